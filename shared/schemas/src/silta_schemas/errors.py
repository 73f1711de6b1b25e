"""The two ways a request or a message is refused, for every layer of both services.

A rule said no (:class:`RuleRefused`, carrying the rule's id) or the thing asked for is not
there for this caller (:class:`NotFound`). HTTP answers them as RFC 9457 problem details, the
bus parks a message with the rule as its reason. Details name fields and rules, never values:
they may hold personal data.
"""

from __future__ import annotations


class RuleRefused(Exception):
    """A rule refused the request or the message.

    ``rule`` is the rule's stable id (``acknowledgement.stale_sequence``), ``detail`` a
    log-safe sentence, ``field`` the request field to fix where there is one. Subclasses only
    add what an answer needs besides (the current status, the existing referral).
    """

    def __init__(self, rule: str, detail: str, *, field: str | None = None) -> None:
        super().__init__(f"{rule}: {detail}")
        self.rule = rule
        self.detail = detail
        self.field = field


class NotFound(Exception):
    """No such ``what`` (a referral, a statement, a directory entry), or none this caller may
    see: the two get the same answer, so that scope does not leak what exists."""

    def __init__(self, what: str) -> None:
        super().__init__(f"no such {what}")
        self.what = what
