"""Authentication: every ``/v1`` endpoint needs an OAuth2 bearer JWT.

The token's signature is checked against a configured JWKS (a file or an https URL, cached),
and its issuer (``iss``), audience (``aud``) and expiry (``exp``). Anything wrong is ``401``
problem details with ``WWW-Authenticate: Bearer`` naming the rule (``auth.token_missing``,
``auth.token_expired``, ``auth.bad_signature``, ``auth.wrong_audience`` ...); the token itself
is never echoed or logged. What an authenticated caller may do is
:mod:`silta_platform.authorisation`'s business.

Development keys carry a ``kid`` starting with ``silta-dev-`` (see
:mod:`silta_platform.dev_tokens`); a service in the ``production`` environment refuses to start
with such a key in its JWKS, or with the development issuer.
"""

from __future__ import annotations

import asyncio
import json
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jwt
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from silta_platform.problems import FieldError, ProblemError
from silta_platform.settings import ServiceSettings

DEV_KID_PREFIX = "silta-dev-"
"""Every development key's ``kid`` starts with this: production refuses such keys."""
DEV_ISSUER = "silta-dev-issuer"
"""The development issuer's ``iss``: production refuses it too."""
KELA_AUDIENCE = "silta-kela-side"
MUNICIPALITY_AUDIENCE = "silta-municipality-side"
"""Each side's default ``aud``: a token for one side is no good on the other."""

ALGORITHMS = frozenset(
    {"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"}
)
"""Asymmetric algorithms only: never ``none``, never a shared secret (HS*)."""
REQUIRED_CLAIMS = ("exp", "iat", "iss", "aud", "sub", "org", "roles")
REFRESH_AT_MOST_EVERY = 10.0
VERIFIED_TOKENS_KEPT = 1024
"""Tokens whose signature was verified, kept per process (the oldest go first)."""
"""An unknown ``kid`` re-reads the JWKS (key rotation), but not more often than this (s)."""


class AuthenticationFailed(Exception):
    """401: the request carries no acceptable bearer token. ``rule`` names why."""

    def __init__(self, rule: str, message: str) -> None:
        super().__init__(message)
        self.rule = rule
        self.message = message


class DevelopmentKeysRefused(RuntimeError):
    """A production service was configured with development keys or the development issuer."""


class JwksUnavailable(RuntimeError):
    """The JWKS could not be read or holds no usable key."""


def _read_jwks(source: str) -> dict[str, Any]:
    if source.startswith(("https://", "http://")):
        with urllib.request.urlopen(source, timeout=10) as response:  # noqa: S310 (checked)
            data = json.loads(response.read())
    else:
        data = json.loads(Path(source).read_text(encoding="utf-8"))
    if not isinstance(data, dict):
        raise JwksUnavailable("the JWKS is not a JSON object")
    return data


@dataclass
class _KeySet:
    keys: dict[str, jwt.PyJWK]
    loaded_at: float


class Jwks:
    """The verification keys by ``kid``, read from ``source`` and cached for ``ttl`` seconds."""

    def __init__(self, source: str, *, ttl: float, production: bool) -> None:
        if production and not source.startswith("https://") and "://" in source:
            raise JwksUnavailable("in production the JWKS URL must be https://")
        self.source = source
        self.ttl = ttl
        self.production = production
        self._cached: _KeySet | None = None
        self._lock = asyncio.Lock()

    async def load(self) -> dict[str, jwt.PyJWK]:
        """Read the JWKS now (blocking I/O off the event loop)."""
        try:
            data = await asyncio.to_thread(_read_jwks, self.source)
            keys = {
                str(key.key_id): key
                for key in jwt.PyJWKSet.from_dict(data).keys
                if key.key_id is not None
            }
        except (OSError, ValueError, jwt.PyJWKSetError, jwt.PyJWKError) as error:
            raise JwksUnavailable(f"cannot read the JWKS from {self.source}: {error}") from None
        if not keys:
            raise JwksUnavailable(f"the JWKS at {self.source} holds no key with a kid")
        if self.production:
            development = sorted(kid for kid in keys if kid.startswith(DEV_KID_PREFIX))
            if development:
                raise DevelopmentKeysRefused(
                    f"production refuses development keys (kid {', '.join(development)}) "
                    f"in the JWKS at {self.source}"
                )
        self._cached = _KeySet(keys, time.monotonic())
        return keys

    async def key(self, kid: str) -> jwt.PyJWK | None:
        cached = self._cached
        now = time.monotonic()
        if (
            cached is None
            or now - cached.loaded_at > self.ttl
            or (kid not in cached.keys and now - cached.loaded_at > REFRESH_AT_MOST_EVERY)
        ):
            async with self._lock:
                if self._cached is cached:  # nobody refreshed it meanwhile
                    try:
                        await self.load()
                    except JwksUnavailable:
                        if cached is None:
                            raise
                        # keep the keys known so far; try again after the short interval
                        self._cached = _KeySet(cached.keys, now)
        assert self._cached is not None
        return self._cached.keys.get(kid)


@dataclass(frozen=True)
class _Verified:
    """A token whose signature was verified: by which key (``kid`` and the key object), and
    the claims it carries."""

    kid: str
    key: jwt.PyJWK
    claims: dict[str, Any]


class Authenticator:
    """Checks bearer tokens for one service."""

    def __init__(self, settings: ServiceSettings) -> None:
        self.issuer = settings.auth_issuer
        self.audience = settings.auth_audience
        self.leeway = settings.auth_leeway_seconds
        production = settings.environment == "production"
        if production and self.issuer == DEV_ISSUER:
            raise DevelopmentKeysRefused("production refuses the development issuer")
        self.jwks = Jwks(
            settings.auth_jwks, ttl=settings.auth_jwks_cache_seconds, production=production
        )
        self._verified: dict[str, _Verified] = {}
        """Token → the key object that verified it and its claims. The same bytes verify
        the same way: checking the signature again (a quarter of a millisecond, an eighth of
        the Kela side's CPU per POST) changes nothing, and neither does decoding its header
        again (2-3 % of Kela's CPU under load), so a kept token is looked up first. A key the
        JWKS no longer holds is not found, and a reloaded JWKS makes new key objects, so
        nothing outlives the keys; expiry is checked on every use."""

    async def start(self) -> None:
        """Read the keys once at start-up: a service without usable keys does not start."""
        await self.jwks.load()

    async def claims(self, token: str | None) -> dict[str, Any]:
        if not token:
            raise AuthenticationFailed("auth.token_missing", "no bearer token")
        kept = self._verified.get(token)
        if kept is not None:
            if await self.jwks.key(kept.kid) is kept.key:
                return self._still_valid(kept.claims)
            del self._verified[token]  # its key left the JWKS or was reloaded: check it anew
        try:
            header = jwt.get_unverified_header(token)
        except jwt.DecodeError:
            raise AuthenticationFailed("auth.token_malformed", "the token is not a JWT") from None
        algorithm = header.get("alg")
        if algorithm not in ALGORITHMS:
            raise AuthenticationFailed(
                "auth.algorithm_not_allowed", "the token's algorithm is not accepted"
            )
        kid = header.get("kid")
        if not isinstance(kid, str) or not kid:
            raise AuthenticationFailed("auth.unknown_key", "the token names no key (kid)")
        key = await self.jwks.key(kid)
        if key is None:
            raise AuthenticationFailed("auth.unknown_key", "the token's key is not trusted")
        if key.algorithm_name != algorithm:
            raise AuthenticationFailed(
                "auth.algorithm_not_allowed", "the token's algorithm does not match its key"
            )
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                key=key,
                algorithms=[algorithm],
                audience=self.audience,
                issuer=self.issuer,
                leeway=self.leeway,
                options={"require": list(REQUIRED_CLAIMS)},
            )
        except jwt.InvalidTokenError as error:
            raise _failure(error) from None
        if len(self._verified) >= VERIFIED_TOKENS_KEPT:
            del self._verified[next(iter(self._verified))]  # the oldest
        self._verified[token] = _Verified(kid, key, dict(claims))
        return claims

    def _still_valid(self, claims: dict[str, Any]) -> dict[str, Any]:
        """A token verified before with the same key: its signature, issuer and audience
        were checked on these very bytes; the times are checked again now."""
        now = time.time()
        if now > float(claims["exp"]) + self.leeway:
            raise AuthenticationFailed("auth.token_expired", "the token has expired")
        not_before = claims.get("nbf")
        if not_before is not None and now < float(not_before) - self.leeway:
            raise AuthenticationFailed("auth.token_not_yet_valid", "the token is not valid yet")
        return dict(claims)


def _failure(error: jwt.InvalidTokenError) -> AuthenticationFailed:
    # The library's own messages may quote claims: only fixed texts go out.
    failures: tuple[tuple[type[jwt.InvalidTokenError], str, str], ...] = (
        (jwt.ExpiredSignatureError, "auth.token_expired", "the token has expired"),
        (jwt.InvalidSignatureError, "auth.bad_signature", "the token's signature is not valid"),
        (jwt.InvalidAudienceError, "auth.wrong_audience", "the token is not for this service"),
        (jwt.InvalidIssuerError, "auth.wrong_issuer", "the token's issuer is not trusted"),
        (jwt.ImmatureSignatureError, "auth.token_not_yet_valid", "the token is not valid yet"),
        (jwt.MissingRequiredClaimError, "auth.claim_missing", "the token lacks a required claim"),
        (jwt.DecodeError, "auth.token_malformed", "the token cannot be decoded"),
    )
    for kind, rule, message in failures:
        if isinstance(error, kind):
            return AuthenticationFailed(rule, message)
    return AuthenticationFailed("auth.token_invalid", "the token is not valid")


def www_authenticate(rule: str) -> str:
    """RFC 6750 §3: no error code when no token came; ``invalid_token`` otherwise."""
    if rule == "auth.token_missing":
        return 'Bearer realm="silta"'
    return f'Bearer realm="silta", error="invalid_token", error_description="{rule}"'


def bearer_token(request: Request) -> str | None:
    """The token of an ``Authorization: Bearer …`` header, if there is one."""
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    return token.strip() or None if scheme.lower() == "bearer" else None


def unauthorised_response(request: Request, error: AuthenticationFailed) -> JSONResponse:
    return ProblemError(
        401,
        "unauthorized",
        "Unauthorized",
        error.message,
        [FieldError(field="Authorization", rule=error.rule, message=error.message)],
        extra={"rule": error.rule},
        headers={"WWW-Authenticate": www_authenticate(error.rule)},
    ).response(request)


def install_auth_handler(app: FastAPI) -> None:
    @app.exception_handler(AuthenticationFailed)
    async def _unauthorised(request: Request, error: AuthenticationFailed) -> JSONResponse:
        return unauthorised_response(request, error)
