"""Where the tests and the process harness find the app factory (in ``bootstrap``)."""

from municipality_side.bootstrap import build_app

__all__ = ["build_app"]
