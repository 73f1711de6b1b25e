"""``python -m silta_protection.evidence verify EXPORT.json``: check an evidence export
offline (exit 0 if it holds, 1 if not). Exports come from ``python -m <service>.protect
export-evidence --referral ID`` or ``GET /v1/ops/evidence/{referral_id}``."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

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
    for problem in problems:
        print(problem)
    count = len(export.get("messages") or []) if isinstance(export, dict) else 0
    print(f"{count} messages, evidence {'holds' if not problems else 'DOES NOT HOLD'}")
    return 0 if not problems else 1


if __name__ == "__main__":
    sys.exit(main())
