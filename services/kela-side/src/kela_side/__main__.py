from __future__ import annotations

from pathlib import Path

from silta_platform.serve import serve

from kela_side.main import build_app
from kela_side.settings import KelaSettings

MIGRATIONS = Path(__file__).parent / "db" / "migrations"


def main() -> None:
    serve(
        service="kela-side",
        settings=KelaSettings(),
        migrations_dir=MIGRATIONS,
        app_factory=build_app,
    )


if __name__ == "__main__":
    main()
