"""The development issuer: a key pair, its JWKS and tokens for any role (never for production).

    python -m silta_platform.dev_tokens demo                  # a token for every demo role
    python -m silta_platform.dev_tokens mint --role county_unit_lead --org county-11 \\
        --counties 11,90 --audience municipality

The first call creates ``var/dev-issuer-key.pem`` (the private key, mode 0600) and
``var/dev-jwks.json`` (the public key: the services' default ``AUTH_JWKS``). The key's ``kid``
starts with ``silta-dev-``, so a service in the ``production`` environment refuses it.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from silta_platform.auth import DEV_ISSUER, DEV_KID_PREFIX, KELA_AUDIENCE, MUNICIPALITY_AUDIENCE

KEY_FILE = "dev-issuer-key.pem"
JWKS_FILE = "dev-jwks.json"
ALGORITHM = "ES256"
AUDIENCES = {"kela": KELA_AUDIENCE, "municipality": MUNICIPALITY_AUDIENCE}


@dataclass(frozen=True)
class DemoUser:
    role: str
    org: str
    audiences: tuple[str, ...]
    counties: tuple[str, ...] = ()


DEMO_USERS = (
    DemoUser("kela_benefit_officer", "kela", (KELA_AUDIENCE,)),
    DemoUser("kela_cooperation_contact", "kela", (KELA_AUDIENCE,)),
    DemoUser("county_social_worker", "county-11", (MUNICIPALITY_AUDIENCE,), ("11",)),
    DemoUser("county_unit_lead", "county-11", (MUNICIPALITY_AUDIENCE,), ("11",)),
    DemoUser("operations", "kela", (KELA_AUDIENCE, MUNICIPALITY_AUDIENCE)),
)
"""One user per role; the county users serve county 11 (where the examples are routed)."""


@dataclass(frozen=True)
class DevIssuer:
    """A development signing key and the JWKS that publishes its public half."""

    private_key: ec.EllipticCurvePrivateKey
    kid: str
    jwks_path: Path
    issuer: str = DEV_ISSUER

    @classmethod
    def ensure(cls, directory: Path, *, kid_prefix: str = DEV_KID_PREFIX) -> DevIssuer:
        """The issuer whose files are in ``directory``, created there if absent."""
        directory.mkdir(parents=True, exist_ok=True)
        key_path = directory / KEY_FILE
        jwks_path = directory / JWKS_FILE
        if key_path.exists() and jwks_path.exists():
            loaded = serialization.load_pem_private_key(key_path.read_bytes(), password=None)
            assert isinstance(loaded, ec.EllipticCurvePrivateKey)
            kid = json.loads(jwks_path.read_text(encoding="utf-8"))["keys"][0]["kid"]
            return cls(loaded, kid, jwks_path)
        issuer = cls.generate(jwks_path, kid_prefix=kid_prefix)
        pem = issuer.private_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        descriptor = os.open(key_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "wb") as file:
            file.write(pem)
        issuer.write_jwks()
        return issuer

    @classmethod
    def generate(cls, jwks_path: Path, *, kid_prefix: str = DEV_KID_PREFIX) -> DevIssuer:
        """A new key (nothing written): tests make their own, and foreign ones."""
        return cls(
            ec.generate_private_key(ec.SECP256R1()), kid_prefix + uuid.uuid4().hex[:12], jwks_path
        )

    def jwks(self) -> dict[str, Any]:
        public = json.loads(jwt.algorithms.ECAlgorithm.to_jwk(self.private_key.public_key()))
        return {"keys": [{**public, "kid": self.kid, "alg": ALGORITHM, "use": "sig"}]}

    def write_jwks(self) -> Path:
        self.jwks_path.parent.mkdir(parents=True, exist_ok=True)
        self.jwks_path.write_text(json.dumps(self.jwks(), indent=2) + "\n", encoding="utf-8")
        return self.jwks_path

    def mint(
        self,
        *,
        roles: Iterable[str],
        org: str,
        audience: str | Sequence[str],
        counties: Iterable[str] | None = None,
        subject: str | None = None,
        lifetime: timedelta = timedelta(hours=1),
        **claims: Any,
    ) -> str:
        """A signed token; ``claims`` override or add any claim (tests break them on purpose)."""
        now = datetime.now(UTC)
        payload: dict[str, Any] = {
            "iss": self.issuer,
            "sub": subject or f"dev-{'-'.join(roles) or 'nobody'}",
            "aud": audience if isinstance(audience, str) else list(audience),
            "iat": now,
            "exp": now + lifetime,
            "jti": uuid.uuid4().hex,
            "org": org,
            "roles": list(roles),
        }
        if counties is not None:
            payload["counties"] = list(counties)
        payload.update(claims)
        return jwt.encode(payload, self.private_key, algorithm=ALGORITHM, headers={"kid": self.kid})

    def demo_tokens(self, lifetime: timedelta = timedelta(hours=12)) -> dict[str, str]:
        return {
            user.role: self.mint(
                roles=[user.role],
                org=user.org,
                audience=user.audiences,
                counties=user.counties or None,
                subject=f"demo-{user.role}",
                lifetime=lifetime,
            )
            for user in DEMO_USERS
        }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m silta_platform.dev_tokens", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--dir", type=Path, default=Path("var"), help="where the key files are")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("demo", help="print a token for every demo role")
    commands.add_parser("jwks", help="create the key pair and JWKS if absent; print its path")
    mint = commands.add_parser("mint", help="print one token")
    mint.add_argument("--role", action="append", required=True, help="a role (repeatable)")
    mint.add_argument("--org", required=True, help="`kela` or `county-NN`")
    mint.add_argument("--counties", help="comma-separated county codes a county user serves")
    mint.add_argument(
        "--audience",
        action="append",
        required=True,
        help="`kela`, `municipality` or an audience string (repeatable)",
    )
    mint.add_argument("--subject", help="the `sub` claim")
    mint.add_argument("--hours", type=float, default=12.0, help="lifetime")
    args = parser.parse_args(argv)
    issuer = DevIssuer.ensure(args.dir)
    if args.command == "jwks":
        print(issuer.jwks_path)
    elif args.command == "demo":
        for role, token in issuer.demo_tokens().items():
            print(f"{role}\t{token}")
    else:
        counties = [c.strip() for c in args.counties.split(",")] if args.counties else None
        print(
            issuer.mint(
                roles=args.role,
                org=args.org,
                audience=[AUDIENCES.get(a, a) for a in args.audience],
                counties=counties,
                subject=args.subject,
                lifetime=timedelta(hours=args.hours),
            )
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
