"""Checking an evidence export offline: no database, no broker, no registry but the export's.

For every message: its entry hash is recomputed from its fields (so no field can be changed
without it showing), its statement is canonical and says what the entry says (message id,
kind, referral, parties, body digest), the public key is the export's key of that id, the
Ed25519 signature verifies over the statement, the sender is one the key signs for (when
the export names the key's organisations), and the message belongs to the exported
referral. Links between consecutive exported entries of the chain are checked too; the
export also records whether the whole chain verified when it was made.
"""

from __future__ import annotations

from typing import Any

from silta_messaging.signing import load_public_key, verify_signature
from silta_messaging.statement import read_statement

from silta_protection.chain import chain_hash
from silta_protection.evidence.log import FORMAT
from silta_protection.evidence.table import FIELDS

_FACTS = ("message_id", "kind", "referral_id", "sender", "recipient", "body_sha256")


def verify_export(export: Any) -> list[str]:
    """What is wrong with ``export`` (an evidence export's JSON); empty if it holds."""
    if not isinstance(export, dict) or export.get("format") != FORMAT:
        return [f"not an evidence export ({FORMAT})"]
    problems: list[str] = []
    chain = export.get("chain") or {}
    if not chain.get("intact"):
        problems.append("the message log's chain did not verify when this was exported")
    keys = export.get("keys") or {}
    previous: dict[str, Any] | None = None
    for message in export.get("messages") or []:
        problems += [f"entry {message.get('seq')}: {p}" for p in _check(message, keys, export)]
        if (
            previous is not None
            and message.get("seq") == previous.get("seq", 0) + 1
            and message.get("prev_hash") != previous.get("entry_hash")
        ):
            problems.append(f"entry {message.get('seq')}: does not follow the entry before")
        previous = message
    if not export.get("messages"):
        problems.append("the export holds no message")
    return problems


def _check(message: dict[str, Any], keys: dict[str, Any], export: dict[str, Any]) -> list[str]:
    try:
        fields = ("seq", "at", *FIELDS, "prev_hash")
        if chain_hash(message, fields) != message["entry_hash"]:
            return ["content does not match its hash"]
        statement = read_statement(message["statement"])
        if statement is None:
            return ["the statement is not canonical"]
        problems = [
            f"{name} is not the signed statement's"
            for name in _FACTS
            if statement[name] != message[name]
        ]
        if message["referral_id"] != export["referral_id"]:
            problems.append("belongs to another referral")
        key = keys.get(message["key_id"]) or {}
        if key.get("public_key") != message["public_key"]:
            problems.append("the public key is not the export's key of that id")
        public = load_public_key(message["public_key"])
        if not verify_signature(public, message["signature"], message["statement"].encode()):
            problems.append("the signature does not verify over the statement")
        organisations = key.get("organisations")
        if organisations is not None and message["sender"] not in organisations:
            problems.append("the key does not sign for the sender")
    except (KeyError, TypeError, ValueError) as error:
        return [f"malformed ({type(error).__name__}: {error})"]
    return problems
