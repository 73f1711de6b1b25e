"""``python -m silta_protection.evidence verify EXPORT.json``: check an evidence export
offline (exit 0 if it holds, 1 if not). Exports come from ``python -m <service>.protect
export-evidence --referral ID`` or ``GET /v1/ops/evidence/{referral_id}``."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from silta_protection.evidence.verifier import verify_export


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Check a Silta evidence export offline.")
    sub = parser.add_subparsers(dest="command", required=True)
    check = sub.add_parser("verify", help="check signatures, statements and chain links")
    check.add_argument("export", type=Path, help="the export's JSON file ('-' for stdin)")
    args = parser.parse_args(argv)
    try:
        text = sys.stdin.read() if str(args.export) == "-" else args.export.read_text()
        export = json.loads(text)
    except (OSError, ValueError) as error:
        print(f"cannot read the export: {error}")
        return 1
    problems = verify_export(export)
    messages = (export.get("messages") or []) if isinstance(export, dict) else []
    for message in messages:
        print(_summary(message))
    for problem in problems:
        print(problem)
    count = len(messages)
    print(f"{count} messages, evidence {'holds' if not problems else 'DOES NOT HOLD'}")
    return 0 if not problems else 1


def _summary(message: dict[str, Any]) -> str:
    """One line per message: what, between whom, when, which digest, signed with which key."""
    parts = ("seq", "direction", "kind", "sender", "recipient", "at", "body_sha256", "key_id")
    seq, direction, kind, sender, recipient, at, digest, key_id = (
        message.get(name) for name in parts
    )
    return (
        f"entry {seq}: {direction} {kind} {sender} -> {recipient} at {at}, "
        f"sha256 {digest}, signed with key {key_id}"
    )


if __name__ == "__main__":
    sys.exit(main())
