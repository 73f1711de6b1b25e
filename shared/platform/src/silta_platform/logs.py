"""Logging that never writes an identity code in clear.

A filter on the root handler redacts every identity-code-shaped string from the final
message (after %-formatting), so neither a careless log call nor a library's exception
text can leak one.
"""

from __future__ import annotations

import logging
import sys

from silta_schemas.identity import redact_identity_codes


class RedactIdentityCodes(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        redacted = redact_identity_codes(message)
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact_identity_codes(record.exc_text)
        record.msg, record.args = redacted, None
        return True


def configure_logging(level: str, service: str) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        logging.Formatter(f"%(asctime)s {service} %(levelname)s %(name)s: %(message)s")
    )
    handler.addFilter(RedactIdentityCodes())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logging.getLogger(name).handlers[:] = []
        logging.getLogger(name).propagate = True
    logging.getLogger("aiormq").setLevel(logging.WARNING)
    logging.getLogger("aio_pika").setLevel(logging.WARNING)
