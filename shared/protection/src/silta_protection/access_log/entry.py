"""Who handled which personal data, for what, over which channel: one access-log entry, as a
pure value."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

# --- who ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Actor:
    """Who handles personal data: a person or system (``subject``), for an organisation, in a
    role."""

    subject: str
    organisation: str
    role: str


UNAUTHENTICATED = Actor(subject="unauthenticated", organisation="unknown", role="none")
"""The actor of an HTTP request no authentication vouched for (until authentication is on)."""


def service_actor(service: str, organisation: str) -> Actor:
    """A service handling a bus message on behalf of the organisation that sent it."""
    return Actor(subject=service, organisation=organisation, role="service")


def actor_of(principal: object) -> Actor:
    """An ``Actor`` from what authentication left in ``request.state.principal``: an
    ``Actor``, or JWT claims (``sub``, ``org``, ``roles``) as a mapping or attributes."""
    if isinstance(principal, Actor):
        return principal

    def claim(name: str) -> Any:
        if isinstance(principal, Mapping):
            return principal.get(name)
        return getattr(principal, name, None)

    roles = claim("roles")
    many = isinstance(roles, list | tuple | set | frozenset)
    role = ",".join(sorted(str(r) for r in roles)) if many else roles
    return Actor(
        subject=str(claim("sub") or claim("subject") or UNAUTHENTICATED.subject),
        organisation=str(claim("org") or claim("organisation") or UNAUTHENTICATED.organisation),
        role=str(role or claim("role") or UNAUTHENTICATED.role),
    )


# --- what --------------------------------------------------------------------------------

Action = Literal[
    "create", "read", "update", "search", "purge", "access_request", "requeue", "discard"
]


@dataclass(frozen=True)
class Access:
    """One handling of personal data, to be logged. ``county``: the county whose client record
    it concerns (on a county's side always given: the access log answers each county only its
    own entries)."""

    actor: Actor
    action: Action
    resource: str
    resource_id: str | None
    client_key: str | None
    purpose: str
    channel: Literal["http", "bus", "maintenance"] = "http"
    county: str | None = None
