"""Authorisation: who may call which endpoint, as ONE table (:data:`PERMISSIONS`).

A caller is who their token says (:mod:`silta_platform.auth`): roles (claim ``roles``), an
organisation (``org``: ``kela`` or ``county-NN``) and, for county users, the counties they
serve (``counties``; the organisation's own county when absent). Kela's roles count only
with ``org = kela``, the counties' roles only with a county organisation; the side's audience
keeps each side's tokens apart.

Every ``/v1`` route is looked up in the table by side, method and path; a route missing from it
is refused to everybody (and a test fails). Not allowed: ``403`` naming the rule. What a county
user may see within an allowed endpoint (only its counties; anything else ``404``) is decided
where the data is read, with :func:`visible_counties`.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from silta_schemas.routing import COUNTY_CODES

from silta_platform.auth import AuthenticationFailed, Authenticator
from silta_platform.edge import edge_of
from silta_platform.problems import ProblemError, refusal
from silta_platform.rate_limit import check_rate, client_address, principal_key
from silta_platform.tls import certificate_organisations


class Side(StrEnum):
    KELA = "kela"
    MUNICIPALITY = "municipality"


class Role(StrEnum):
    KELA_BENEFIT_OFFICER = "kela_benefit_officer"
    KELA_COOPERATION_CONTACT = "kela_cooperation_contact"
    COUNTY_SOCIAL_WORKER = "county_social_worker"
    COUNTY_UNIT_LEAD = "county_unit_lead"
    OPERATIONS = "operations"


KELA_ROLES = frozenset({Role.KELA_BENEFIT_OFFICER, Role.KELA_COOPERATION_CONTACT})
COUNTY_ROLES = frozenset({Role.COUNTY_SOCIAL_WORKER, Role.COUNTY_UNIT_LEAD})

_OFFICER = frozenset({Role.KELA_BENEFIT_OFFICER})
_KELA = KELA_ROLES
_COOPERATION = frozenset({Role.KELA_COOPERATION_CONTACT})
_COUNTY = COUNTY_ROLES
_LEAD = frozenset({Role.COUNTY_UNIT_LEAD})
_OPS = frozenset({Role.OPERATIONS})


@dataclass(frozen=True)
class Permission:
    side: Side
    method: str
    path: str
    roles: frozenset[Role]
    why: str


K, M = Side.KELA, Side.MUNICIPALITY


def _feed(side: Side, roles: frozenset[Role], why: str) -> tuple[Permission, ...]:
    """The change feed and webhook subscriptions: ids, kinds and statuses, never content."""
    return tuple(
        Permission(side, method, path, roles, why)
        for method, path in (
            ("GET", "/v1/events"),
            ("POST", "/v1/webhooks"),
            ("GET", "/v1/webhooks"),
            ("GET", "/v1/webhooks/{webhook_id}"),
            ("DELETE", "/v1/webhooks/{webhook_id}"),
            ("POST", "/v1/webhooks/{webhook_id}/replay"),
        )
    )


PERMISSIONS: tuple[Permission, ...] = (
    # Kela side
    Permission(K, "POST", "/v1/referrals", _OFFICER, "officers send referrals"),
    Permission(K, "POST", "/v1/referrals/batch", _OFFICER, "a night's notices, each as above"),
    Permission(K, "GET", "/v1/referrals", _KELA, "Kela follows what it sent"),
    Permission(K, "GET", "/v1/referrals/{referral_id}", _KELA, "Kela follows what it sent"),
    Permission(K, "POST", "/v1/referrals/{referral_id}/cancel", _OFFICER, "officers cancel"),
    Permission(K, "POST", "/v1/statements/search", _OFFICER, "the deciding officer (ASA §18)"),
    Permission(K, "GET", "/v1/statements/{statement_id}", _OFFICER, "the deciding officer"),
    Permission(K, "POST", "/v1/clients/cooperation", _OFFICER, "the deciding officer (ASA §18)"),
    Permission(K, "POST", "/v1/case-manager-periods", _KELA, "Kela names case managers"),
    Permission(K, "POST", "/v1/case-manager-periods/{record_id}/change", _KELA, "Kela's staff"),
    Permission(K, "POST", "/v1/case-manager-periods/{record_id}/end", _KELA, "Kela's staff"),
    Permission(K, "GET", "/v1/case-manager-periods", _KELA, "dates only, no personal data"),
    Permission(K, "GET", "/v1/case-manager-periods/{record_id}", _KELA, "access-logged"),
    Permission(K, "POST", "/v1/case-manager-periods/search", _KELA, "access-logged"),
    Permission(K, "POST", "/v1/cooperation-cases", _KELA, "Kela follows up cooperation"),
    Permission(K, "POST", "/v1/cooperation-cases/{record_id}/follow-up", _KELA, "Kela's staff"),
    Permission(K, "POST", "/v1/cooperation-cases/{record_id}/links", _KELA, "Kela's staff"),
    Permission(K, "POST", "/v1/cooperation-cases/{record_id}/close", _KELA, "Kela's staff"),
    Permission(K, "GET", "/v1/cooperation-cases", _KELA, "dates only, no personal data"),
    Permission(K, "GET", "/v1/cooperation-cases/{record_id}", _KELA, "access-logged"),
    Permission(K, "POST", "/v1/cooperation-cases/search", _KELA, "access-logged"),
    Permission(K, "POST", "/v1/decision-notices/search", _OFFICER, "the deciding officer"),
    Permission(K, "POST", "/v1/consultations", _KELA, "officers ask a county (ASA §14a)"),
    Permission(K, "GET", "/v1/consultations", _KELA, "tracking data only"),
    Permission(K, "POST", "/v1/consultations/search", _KELA, "one client's consultations"),
    Permission(K, "GET", "/v1/consultations/{consultation_id}", _KELA, "question and answer"),
    Permission(K, "POST", "/v1/consultations/{consultation_id}/answer", _KELA, "Kela answers"),
    Permission(K, "GET", "/v1/directory", _KELA, "work contacts, for Kela's staff"),
    Permission(K, "GET", "/v1/directory/services", _KELA | _OPS, "no personal data"),
    Permission(K, "GET", "/v1/directory/entries/{entry_id}", _KELA, "work contacts"),
    Permission(K, "PUT", "/v1/directory/entries/{entry_id}", _COOPERATION, "Kela's part"),
    Permission(K, "DELETE", "/v1/directory/entries/{entry_id}", _COOPERATION, "Kela's part"),
    Permission(K, "GET", "/v1/code-lists", _KELA | _OPS, "labels only, no personal data"),
    Permission(K, "GET", "/v1/code-lists/{name}", _KELA | _OPS, "labels only"),
    Permission(K, "GET", "/v1/stats", _COOPERATION | _OPS, "follow-up, no personal data"),
    Permission(K, "GET", "/v1/ops/dead-letters", _OPS, "metadata only, never a body"),
    Permission(K, "GET", "/v1/ops/dead-letters/{message_id}", _OPS, "metadata only"),
    Permission(K, "POST", "/v1/ops/dead-letters/{message_id}/requeue", _OPS, "validated again"),
    Permission(K, "DELETE", "/v1/ops/dead-letters/{message_id}", _OPS, "access-logged"),
    Permission(K, "GET", "/v1/ops/metrics", _OPS, "technical figures, no personal data"),
    Permission(K, "GET", "/v1/ops/evidence/{referral_id}", _OPS, "digests and signatures only"),
    Permission(
        K, "POST", "/v1/access-log/search", _COOPERATION, "answers a client's access request"
    ),
    *_feed(K, _KELA, "those who follow referrals"),
    # municipality side
    Permission(M, "GET", "/v1/referrals", _COUNTY, "the inbox of the user's counties"),
    Permission(M, "GET", "/v1/referrals/{referral_id}", _COUNTY, "the notice itself"),
    Permission(M, "POST", "/v1/referrals/{referral_id}/status", _COUNTY, "workers and leads"),
    Permission(
        M, "GET", "/v1/referrals/{referral_id}/responsible-worker", _COUNTY, "workers and leads"
    ),
    Permission(
        M, "PUT", "/v1/referrals/{referral_id}/responsible-worker", _COUNTY, "workers and leads"
    ),
    Permission(M, "GET", "/v1/referrals/{referral_id}/assignee", _COUNTY, "worklists"),
    Permission(M, "PUT", "/v1/referrals/{referral_id}/assignee", _COUNTY, "workers and leads"),
    Permission(M, "POST", "/v1/statements", _COUNTY, "social workers give statements"),
    Permission(M, "GET", "/v1/statements", _COUNTY, "the user's counties' statements"),
    Permission(M, "GET", "/v1/statements/{statement_id}", _COUNTY, "the statement itself"),
    Permission(M, "GET", "/v1/case-manager-periods", _COUNTY, "dates only, no personal data"),
    Permission(M, "GET", "/v1/case-manager-periods/{record_id}", _COUNTY, "access-logged"),
    Permission(M, "POST", "/v1/case-manager-periods/search", _COUNTY, "access-logged"),
    Permission(M, "GET", "/v1/cooperation-cases", _COUNTY, "dates only, no personal data"),
    Permission(M, "GET", "/v1/cooperation-cases/{record_id}", _COUNTY, "access-logged"),
    Permission(M, "POST", "/v1/cooperation-cases/search", _COUNTY, "access-logged"),
    Permission(M, "POST", "/v1/decision-notices", _COUNTY, "workers tell Kela of decisions"),
    Permission(M, "GET", "/v1/decision-notices", _COUNTY, "the user's counties' notices"),
    Permission(M, "GET", "/v1/decision-notices/{notice_id}", _COUNTY, "the notice itself"),
    Permission(M, "POST", "/v1/consultations", _COUNTY, "social workers ask Kela"),
    Permission(M, "GET", "/v1/consultations", _COUNTY, "the user's counties' consultations"),
    Permission(M, "POST", "/v1/consultations/search", _COUNTY, "one client's consultations"),
    Permission(M, "GET", "/v1/consultations/{consultation_id}", _COUNTY, "question and answer"),
    Permission(M, "POST", "/v1/consultations/{consultation_id}/answer", _COUNTY, "answers"),
    Permission(M, "POST", "/v1/access-log/search", _LEAD, "the unit lead answers access requests"),
    Permission(M, "GET", "/v1/directory", _COUNTY, "work contacts, for the county's staff"),
    Permission(M, "GET", "/v1/directory/services", _COUNTY | _OPS, "no personal data"),
    Permission(M, "GET", "/v1/directory/entries/{entry_id}", _COUNTY, "work contacts"),
    Permission(M, "PUT", "/v1/directory/entries/{entry_id}", _LEAD, "the counties' part"),
    Permission(M, "DELETE", "/v1/directory/entries/{entry_id}", _LEAD, "the counties' part"),
    Permission(M, "GET", "/v1/code-lists", _COUNTY | _OPS, "labels only, no personal data"),
    Permission(M, "GET", "/v1/code-lists/{name}", _COUNTY | _OPS, "labels only"),
    Permission(M, "GET", "/v1/stats", _LEAD | _OPS, "no personal data"),
    Permission(M, "GET", "/v1/ops/dead-letters", _OPS, "metadata only, never a body"),
    Permission(M, "GET", "/v1/ops/dead-letters/{message_id}", _OPS, "metadata only"),
    Permission(M, "POST", "/v1/ops/dead-letters/{message_id}/requeue", _OPS, "validated again"),
    Permission(M, "DELETE", "/v1/ops/dead-letters/{message_id}", _OPS, "access-logged"),
    Permission(M, "GET", "/v1/ops/metrics", _OPS, "technical figures, no personal data"),
    Permission(M, "GET", "/v1/ops/evidence/{referral_id}", _OPS, "digests and signatures only"),
    *_feed(M, _COUNTY, "the user's counties' events"),
)
"""Who may call what: the single source of truth (the README's table is generated from it)."""

_TABLE: Mapping[tuple[Side, str, str], frozenset[Role]] = {
    (p.side, p.method, p.path): p.roles for p in PERMISSIONS
}


def allowed_roles(side: Side, method: str, path: str) -> frozenset[Role]:
    """The roles that may call ``method path`` on ``side``; empty if it is not in the table."""
    return _TABLE.get((side, method, path), frozenset())


def permission_table_markdown() -> str:
    """The table as Markdown, for the README (a test keeps the two the same)."""
    roles = list(Role)
    lines = [
        "| side | method and path | " + " | ".join(f"`{role}`" for role in roles) + " |",
        "|---|---|" + "---|" * len(roles),
    ]
    for p in PERMISSIONS:
        cells = ["✓" if role in p.roles else "" for role in roles]
        lines.append(f"| {p.side} | `{p.method} {p.path}` | " + " | ".join(cells) + " |")
    return "\n".join(lines)


# --- who is calling ---------------------------------------------------------------------------

_ROLE_NAMES = frozenset(role.value for role in Role)
_ORGANISATION = re.compile(r"kela|county-([0-9]{2})")
"""Matched in full (``fullmatch``): ``kela\n`` is not ``kela``."""
_CONTROL = frozenset({"Cc", "Cf", "Zl", "Zp"})
"""Control and format characters, line and paragraph separators: never in a claim."""


@dataclass(frozen=True)
class Principal:
    subject: str
    organisation: str
    roles: frozenset[Role]
    counties: frozenset[str]
    """The counties a county user serves; empty for Kela and operations without any."""


def _invalid_claims() -> AuthenticationFailed:
    return AuthenticationFailed("auth.claims_invalid", "the token's claims are not valid")


def _clean(value: str) -> str:
    """``value`` if it holds no control character (a newline, NUL, zero-width space, …)."""
    if any(unicodedata.category(char) in _CONTROL for char in value):
        raise _invalid_claims()
    return value


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [_clean(value)]
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        return [_clean(item) for item in value]
    raise _invalid_claims()


def principal_from_claims(claims: Mapping[str, Any]) -> Principal:
    """The caller the (already verified) claims describe. Each claim is matched in full and
    none may hold a control character; unknown roles grant nothing."""
    organisation = claims.get("org")
    subject = claims.get("sub")
    match = _ORGANISATION.fullmatch(organisation) if isinstance(organisation, str) else None
    if match is None or not isinstance(subject, str) or not subject.strip():
        raise _invalid_claims()
    _clean(subject)
    named = {value for value in _strings(claims.get("roles")) if value in _ROLE_NAMES}
    own_county = match.group(1)
    roles = {Role(value) for value in named}
    if own_county is None:
        roles -= COUNTY_ROLES  # a county role counts only for a county's user
    else:
        roles -= KELA_ROLES  # and Kela's only for Kela's
    counties = set(_strings(claims["counties"])) if "counties" in claims else set()
    if own_county is not None and not counties:
        counties = {own_county}
    if counties - COUNTY_CODES:
        raise AuthenticationFailed("auth.claims_invalid", "the token names an unknown county")
    return Principal(subject, organisation, frozenset(roles), frozenset(counties))  # type: ignore[arg-type]


# --- the dependency on every /v1 route ---------------------------------------------------------

bearer = HTTPBearer(
    scheme_name="bearer",
    bearerFormat="JWT",
    description="An OAuth2 access token (JWT) from the configured issuer, for this side's "
    "audience, with the claims `roles`, `org` (`kela` or `county-NN`) and, for county users, "
    "`counties`.",
    auto_error=False,
)


async def authorise(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> Principal:
    """Authenticate the caller and check the table for this route; return the caller."""
    token = credentials.credentials if credentials is not None else None
    principal = await authenticate(request, token)
    route = request.scope.get("route")
    path = getattr(route, "path", "")
    side: Side = request.app.state.side
    if not principal.roles & allowed_roles(side, request.method, path):
        raise forbidden()
    request.state.principal = principal  # who the access log records (access_log.ActorDep)
    return principal


async def authenticate(request: Request, token: str | None) -> Principal:
    """The caller of this request, counted against its rate limit (``429`` past it): the
    token's, bound to the client certificate under mutual TLS; a request without a valid
    token counts against its client address, then gets its ``401``."""
    edge = edge_of(request.scope)
    authenticator: Authenticator = request.app.state.authenticator
    try:
        principal = principal_from_claims(await authenticator.claims(token))
        if edge.client_org_binding and (
            principal.organisation not in certificate_organisations(request)
        ):
            raise AuthenticationFailed(
                "auth.certificate_mismatch",
                "the token's organisation is not the client certificate's",
            )
    except AuthenticationFailed:
        check_rate(edge.rate_limiter, client_address(request))
        raise
    check_rate(edge.rate_limiter, principal_key(principal.organisation, principal.subject))
    return principal


def forbidden() -> ProblemError:
    return refusal(
        403,
        "forbidden",
        "Forbidden",
        "Authorization",
        "auth.role_not_permitted",
        "the caller's roles do not allow this",
    )


PrincipalDep = Annotated[Principal, Depends(authorise)]
"""The caller, in a route that needs to know (the check itself runs once per request)."""


def visible_counties(principal: Principal, served: Iterable[str]) -> frozenset[str]:
    """The counties whose referrals and statements ``principal`` sees on a deployment
    serving ``served``: only its own."""
    return frozenset(served) & principal.counties


def organisations_of(principal: Principal) -> frozenset[str]:
    """The organisations whose data ``principal`` acts for: Kela, or each of its counties."""
    if principal.organisation == "kela":
        return frozenset({"kela"})
    return frozenset(f"county-{code}" for code in principal.counties)
