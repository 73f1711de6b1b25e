"""Evidence: the message log, as X-Road keeps one.

For every message a side sends (recorded by the relay when the broker confirms it) and
accepts (recorded by the consumer with its inbox row): direction, message id, kind, referral
id, sender, recipient, SHA-256 of the exact bytes, the signed statement
(``silta_messaging.statement``), the Ed25519 signature, the key id and the public key, and
when. Append-only and hash-chained like the access log (``silta_protection.chain``); kept
for ``message_log_retention_days``, whatever retention does to payloads; nothing personal.

The county's signed ``status_acknowledgement`` of a notice (``delivered``) is received
evidence in Kela's log: Kela's proof of delivery. ``export_referral`` gives one referral's
evidence as JSON and ``verify_export`` checks such an export offline.
"""

from silta_protection.evidence.api import evidence_router
from silta_protection.evidence.log import FORMAT, export_referral, record_messages
from silta_protection.evidence.table import MessageLogTables, add_message_log
from silta_protection.evidence.verifier import verify_export

__all__ = [
    "FORMAT",
    "MessageLogTables",
    "add_message_log",
    "evidence_router",
    "export_referral",
    "record_messages",
    "verify_export",
]
