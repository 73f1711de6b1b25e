"""Token checks without a service: the keys, production's refusal, the claims."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest
from kela_side.main import build_app
from kela_side.settings import KelaSettings
from silta_platform import auth
from silta_platform.auth import (
    DEV_ISSUER,
    KELA_AUDIENCE,
    AuthenticationFailed,
    Authenticator,
    DevelopmentKeysRefused,
    JwksUnavailable,
)
from silta_platform.authorisation import Role, principal_from_claims
from silta_platform.dev_tokens import DevIssuer, main

# What production needs besides its token keys (its own data keys), so that only the
# authentication settings decide what these tests see.
_PRODUCTION_DATA = {
    "client_key_secret": "production-client-key-for-tests",
    "data_keys": {"p1": base64.b64encode(b"p" * 32).decode()},
    "data_key_current": "p1",
}


def _settings(jwks: Path | str, **changes: Any) -> KelaSettings:
    if changes.get("environment") == "production":
        changes = _PRODUCTION_DATA | changes
    return KelaSettings(database_url="sqlite+aiosqlite://", auth_jwks=str(jwks), **changes)


def _officer(issuer: DevIssuer, **claims: Any) -> str:
    return issuer.mint(roles=["kela_benefit_officer"], org="kela", audience=KELA_AUDIENCE, **claims)


async def test_a_good_token_gives_its_claims(tmp_path: Path) -> None:
    issuer = DevIssuer.ensure(tmp_path)
    authenticator = Authenticator(_settings(issuer.jwks_path))
    await authenticator.start()
    claims = await authenticator.claims(_officer(issuer))
    assert claims["roles"] == ["kela_benefit_officer"]
    assert claims["iss"] == DEV_ISSUER


async def test_the_development_issuer_keeps_its_key(tmp_path: Path) -> None:
    first = DevIssuer.ensure(tmp_path)
    again = DevIssuer.ensure(tmp_path)
    assert again.kid == first.kid
    assert first.kid.startswith("silta-dev-")
    assert (tmp_path / "dev-issuer-key.pem").stat().st_mode & 0o077 == 0


async def test_production_refuses_development_keys(tmp_path: Path) -> None:
    issuer = DevIssuer.ensure(tmp_path)
    settings = _settings(issuer.jwks_path, environment="production", auth_issuer="https://idp")
    with pytest.raises(DevelopmentKeysRefused, match="silta-dev-"):
        await Authenticator(settings).start()
    # and the whole service does not start
    app = build_app(settings)
    with pytest.raises(DevelopmentKeysRefused):
        async with app.router.lifespan_context(app):
            pass


async def test_production_refuses_the_development_issuer(tmp_path: Path) -> None:
    issuer = DevIssuer.generate(tmp_path / "jwks.json", kid_prefix="prod-")
    issuer.write_jwks()
    with pytest.raises(DevelopmentKeysRefused, match="issuer"):
        Authenticator(_settings(issuer.jwks_path, environment="production"))


async def test_production_starts_with_its_own_keys(tmp_path: Path) -> None:
    issuer = DevIssuer.generate(tmp_path / "jwks.json", kid_prefix="prod-")
    issuer.write_jwks()
    settings = _settings(issuer.jwks_path, environment="production", auth_issuer="https://idp")
    authenticator = Authenticator(settings)
    await authenticator.start()
    token = issuer.mint(
        roles=["kela_benefit_officer"], org="kela", audience=KELA_AUDIENCE, iss="https://idp"
    )
    assert (await authenticator.claims(token))["iss"] == "https://idp"


async def test_a_service_without_keys_does_not_start(tmp_path: Path) -> None:
    with pytest.raises(JwksUnavailable):
        await Authenticator(_settings(tmp_path / "absent.json")).start()
    (tmp_path / "empty.json").write_text(json.dumps({"keys": []}))
    with pytest.raises(JwksUnavailable):
        await Authenticator(_settings(tmp_path / "empty.json")).start()


async def test_a_rotated_key_is_picked_up(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    old = DevIssuer.ensure(tmp_path)
    authenticator = Authenticator(_settings(old.jwks_path))
    await authenticator.start()
    new = DevIssuer.generate(old.jwks_path)
    token = _officer(new)
    with pytest.raises(AuthenticationFailed) as refused:
        await authenticator.claims(token)  # not in the JWKS yet
    assert refused.value.rule == "auth.unknown_key"
    new.write_jwks()
    with pytest.raises(AuthenticationFailed):
        await authenticator.claims(token)  # re-read at most every 10 s
    monkeypatch.setattr(auth, "REFRESH_AT_MOST_EVERY", 0.0)
    assert (await authenticator.claims(token))["sub"]


@pytest.mark.parametrize(
    ("algorithm", "key"), [("none", None), ("HS256", "a-shared-secret-of-thirty-two-bytes!")]
)
async def test_only_asymmetric_algorithms(tmp_path: Path, algorithm: str, key: str | None) -> None:
    import jwt

    issuer = DevIssuer.ensure(tmp_path)
    authenticator = Authenticator(_settings(issuer.jwks_path))
    await authenticator.start()
    claims = jwt.decode(_officer(issuer), options={"verify_signature": False})
    token = jwt.encode(claims, key, algorithm=algorithm, headers={"kid": issuer.kid})
    with pytest.raises(AuthenticationFailed) as refused:
        await authenticator.claims(token)
    assert refused.value.rule == "auth.algorithm_not_allowed"


@pytest.mark.parametrize(
    ("claims", "roles", "counties"),
    [
        ({"org": "kela", "roles": ["kela_benefit_officer"]}, {Role.KELA_BENEFIT_OFFICER}, set()),
        ({"org": "kela", "roles": ["county_social_worker"]}, set(), set()),
        ({"org": "county-11", "roles": ["kela_benefit_officer"]}, set(), {"11"}),
        (
            {"org": "county-11", "roles": ["county_unit_lead", "nobody"]},
            {Role.COUNTY_UNIT_LEAD},
            {"11"},
        ),
        (
            {"org": "county-11", "roles": "county_social_worker", "counties": ["11", "90"]},
            {Role.COUNTY_SOCIAL_WORKER},
            {"11", "90"},
        ),
        ({"org": "kela", "roles": ["operations"]}, {Role.OPERATIONS}, set()),
    ],
)
def test_roles_count_only_for_their_organisation(
    claims: dict[str, Any], roles: set[Role], counties: set[str]
) -> None:
    principal = principal_from_claims({"sub": "someone", **claims})
    assert principal.roles == roles
    assert principal.counties == counties


@pytest.mark.parametrize(
    "claims",
    [
        {"org": "kela", "roles": [1]},
        {"org": "county-1", "roles": []},
        {"org": "municipality", "roles": []},
        {"org": "county-11", "roles": [], "counties": ["99"]},
        # matched in full, no control characters (the second review)
        {"org": "kela\n", "roles": ["kela_benefit_officer"]},
        {"org": "county-11\n", "roles": ["county_unit_lead"]},
        {"org": "kela ", "roles": []},
        {"org": "county-\u0661\u0661", "roles": []},
        {"org": "kela", "roles": ["kela_benefit_officer\n"]},
        {"org": "county-11", "roles": [], "counties": ["11\x00"]},
        {"org": "kela", "roles": [], "sub": "someone\nforged log line"},
        {"org": "kela", "roles": [], "sub": "some\u200bone"},
        {"org": "kela", "roles": [], "sub": "some\u2028one"},
        {"org": "kela", "roles": [], "sub": ""},
    ],
)
def test_malformed_claims_are_refused(claims: dict[str, Any]) -> None:
    with pytest.raises(AuthenticationFailed) as refused:
        principal_from_claims({"sub": "someone", **claims})
    assert refused.value.rule == "auth.claims_invalid"


def test_the_command_mints_tokens(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--dir", str(tmp_path), "demo"]) == 0
    printed = dict(line.split("\t") for line in capsys.readouterr().out.splitlines())
    assert set(printed) == {role.value for role in Role}
    main(
        [
            "--dir",
            str(tmp_path),
            "mint",
            "--role",
            "county_unit_lead",
            "--org",
            "county-11",
            "--counties",
            "11,90",
            "--audience",
            "municipality",
        ]
    )
    import jwt

    token = capsys.readouterr().out.strip()
    claims = jwt.decode(token, options={"verify_signature": False})
    assert claims["counties"] == ["11", "90"]
    assert claims["aud"] == ["silta-municipality-side"]


async def _verified_once(tmp_path: Path) -> tuple[Authenticator, str]:
    """An authenticator that has verified the token it returns once."""
    issuer = DevIssuer.ensure(tmp_path)
    authenticator = Authenticator(_settings(issuer.jwks_path))
    await authenticator.start()
    token = _officer(issuer)
    assert (await authenticator.claims(token))["roles"] == ["kela_benefit_officer"]
    return authenticator, token


async def test_a_token_verified_before_is_refused_once_it_expires(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    authenticator, token = await _verified_once(tmp_path)
    claims = await authenticator.claims(token)  # the second use: the kept result
    later = float(claims["exp"]) + authenticator.leeway + 1
    monkeypatch.setattr(auth.time, "time", lambda: later)
    with pytest.raises(AuthenticationFailed) as refused:
        await authenticator.claims(token)
    assert refused.value.rule == "auth.token_expired"


async def test_a_token_verified_before_is_refused_once_its_key_leaves_the_jwks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    authenticator, token = await _verified_once(tmp_path)
    DevIssuer.generate(Path(authenticator.jwks.source)).write_jwks()  # the old key is gone
    monkeypatch.setattr(authenticator.jwks, "ttl", 0.0)
    with pytest.raises(AuthenticationFailed) as refused:
        await authenticator.claims(token)
    assert refused.value.rule == "auth.unknown_key"
