"""Logging that never writes an identity code in clear.

A filter on the root handler redacts every identity-code-shaped string from the final
message (after %-formatting; URL-encoded ones too, see ``redact_identity_codes``), so neither
a careless log call nor a library's exception text can leak one. HTTP requests are logged by
``silta_platform.access_log`` with their route's template, never the path or query as sent.
"""

from __future__ import annotations

import logging
import sys

from silta_schemas.identity import redact_identity_codes

from silta_platform.access_log import ACCESS_LOGGER


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


def configure_logging(level: str, service: str, *, access_log: bool = True) -> None:
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
    logging.getLogger("uvicorn.access").disabled = True  # never the path and query as sent
    logging.getLogger(ACCESS_LOGGER).disabled = not access_log
    logging.getLogger("aiormq").setLevel(logging.WARNING)
    logging.getLogger("aio_pika").setLevel(logging.WARNING)
