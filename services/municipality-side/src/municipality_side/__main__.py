"""`python -m municipality_side`: logs, migrations, then the HTTP server (silta_platform)."""

from __future__ import annotations

from pathlib import Path

from silta_platform.serve import serve

from municipality_side.bootstrap import build_app
from municipality_side.settings import MunicipalitySettings


def main() -> None:
    serve(
        "municipality-side",
        MunicipalitySettings(),
        Path(__file__).parent / "db" / "migrations",
        build_app,
    )


if __name__ == "__main__":
    main()
