"""Where the tests and the process harness find the app factory (``kela_side.bootstrap``)."""

from kela_side.bootstrap import build_app

__all__ = ["build_app"]
