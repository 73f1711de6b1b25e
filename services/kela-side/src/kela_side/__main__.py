"""`python -m kela_side`: logging, migrations, then the HTTP server (`silta_platform.serve`)."""

from __future__ import annotations

from pathlib import Path

from silta_platform.serve import serve

from kela_side.bootstrap import build_app
from kela_side.settings import KelaSettings


def main() -> None:
    serve("kela-side", KelaSettings(), Path(__file__).parent / "db" / "migrations", build_app)


if __name__ == "__main__":
    main()
