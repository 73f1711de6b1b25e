from __future__ import annotations

from pathlib import Path

from silta_platform.serve import serve

from municipality_side.bootstrap import build_app
from municipality_side.settings import MunicipalitySettings

MIGRATIONS = Path(__file__).parent / "db" / "migrations"


def main() -> None:
    serve(
        service="municipality-side",
        settings=MunicipalitySettings(),
        migrations_dir=MIGRATIONS,
        app_factory=build_app,
    )


if __name__ == "__main__":
    main()
