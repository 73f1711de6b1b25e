"""The offline evidence verifier, on exports built by hand: no database, broker or registry."""

from __future__ import annotations

import copy
import json
from typing import Any
from uuid import uuid4

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from silta_messaging.signing import Signer, public_key_text
from silta_messaging.statement import STATEMENT_HEADER
from silta_protection.chain import GENESIS_HASH, chain_hash
from silta_protection.evidence import FORMAT, verify_export
from silta_protection.evidence.table import FIELDS

RETIRED = Signer("kela-2020-01", Ed25519PrivateKey.generate())
REFERRAL = str(uuid4())
CHAINED = ("seq", "at", *FIELDS, "prev_hash")


def entry(seq: int, prev_hash: str) -> dict[str, Any]:
    body = json.dumps(
        {"message_id": str(uuid4()), "kind": "notice_of_need", "sender": "kela",
         "recipient": "county-11", "referral_id": REFERRAL, "created_at": "2020-01-01T00:00:00Z"}
    ).encode()  # fmt: skip
    headers = RETIRED.headers(body)
    statement = json.loads(headers[STATEMENT_HEADER])
    row: dict[str, Any] = {
        "seq": seq,
        "at": "2020-01-01T00:00:00.000000+00:00",
        "direction": "sent",
        **{name: statement[name] for name in ("message_id", "kind", "referral_id")},
        **{name: statement[name] for name in ("sender", "recipient", "body_sha256")},
        "statement": headers[STATEMENT_HEADER],
        "signature": headers["x-silta-signature"],
        "key_id": RETIRED.key_id,
        "public_key": RETIRED.public_key,
        "prev_hash": prev_hash,
    }
    row["entry_hash"] = chain_hash(row, CHAINED)
    return row


def export(organisations: list[str] | None) -> dict[str, Any]:
    first = entry(1, GENESIS_HASH)
    second = entry(2, first["entry_hash"])
    return {
        "format": FORMAT,
        "organisation": "kela",
        "referral_id": REFERRAL,
        "messages": [first, second],
        "keys": {
            RETIRED.key_id: {
                "public_key": public_key_text(RETIRED.key),
                "organisations": organisations,
                "in_registry_now": organisations is not None,
            }
        },
        "chain": {"entries": 2, "intact": True, "head_seq": 2, "head_hash": second["entry_hash"]},
    }


def test_evidence_signed_with_a_key_the_registry_no_longer_lists_still_verifies() -> None:
    assert verify_export(export(None)) == []
    assert verify_export(export(["kela"])) == []


def test_a_key_that_does_not_sign_for_the_sender_a_broken_link_or_chain_fails() -> None:
    assert verify_export(export(["county-11"])) == [
        "entry 1: the key does not sign for the sender",
        "entry 2: the key does not sign for the sender",
    ]
    relinked = copy.deepcopy(export(None))
    second = relinked["messages"][1]
    second["prev_hash"] = "f" * 64
    second["entry_hash"] = chain_hash(second, CHAINED)
    assert verify_export(relinked) == ["entry 2: does not follow the entry before"]
    broken = export(None) | {"chain": {"intact": False}}
    assert verify_export(broken) == [
        "the message log's chain did not verify when this was exported"
    ]
    assert verify_export({"format": "other"}) == [f"not an evidence export ({FORMAT})"]
