"""What the bus did, counted for Prometheus (``prometheus_client``'s process-wide registry).

Labels have few values: the message kind (one of the registry's kinds, else ``other``) and
the parking reason (a rule such as ``signature.unknown_key``). Never an id or anything from
a body. The relay counts what the broker confirmed, the consumer what it accepted (its inbox
row written) and what it parked (confirmed by the dead-letter exchange).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from prometheus_client import Counter
from silta_schemas.codes import MessageKind

PUBLISHED = Counter(
    "silta_messages_published",
    "Messages the broker confirmed, published from the outbox, by kind.",
    ["kind"],
)
CONSUMED = Counter(
    "silta_messages_consumed",
    "Messages accepted and processed (inbox row written), by kind.",
    ["kind"],
)
PARKED = Counter(
    "silta_messages_parked",
    "Messages parked on the dead-letter exchange, by kind and reason.",
    ["kind", "reason"],
)

_KINDS = frozenset(str(kind) for kind in MessageKind)
_RULE = re.compile(r"[a-z0-9_.]{1,64}")
OTHER = "other"


def kind_label(kind: str | None) -> str:
    """A kind the registry knows, else ``other`` (a delivery's type is the sender's input)."""
    return kind if kind in _KINDS else OTHER


def reason_label(rule: str) -> str:
    return rule if _RULE.fullmatch(rule) else OTHER


def count_published(kinds: Iterable[str]) -> None:
    for kind in kinds:
        PUBLISHED.labels(kind_label(kind)).inc()


def count_consumed(kinds: Iterable[str]) -> None:
    for kind in kinds:
        CONSUMED.labels(kind_label(kind)).inc()


def count_parked(kind: str | None, rule: str) -> None:
    PARKED.labels(kind_label(kind), reason_label(rule)).inc()
