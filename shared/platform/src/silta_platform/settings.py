"""Settings common to both services; each service subclasses with its own env prefix."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Literal, Self

from limits import parse_many
from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings
from silta_schemas.code_lists import CHECKLIST_CODE_PATTERN, Checklist

DEVELOPMENT_DATA_KEY_ID = "dev"
DEVELOPMENT_DATA_KEY = "c2lsdGEtZGV2ZWxvcG1lbnQtb25seS1kYXRhLWtleSE="
"""base64 of 32 bytes: encrypts identity codes in development and tests; refused in production."""
DEVELOPMENT_CLIENT_KEY_SECRET = "silta-development-client-key"  # noqa: S105 - refused in production

MIGRATION_URL_VARIABLE = "SILTA_MIGRATION_DATABASE_URL"
"""The database URL as ``silta_platform.serve`` hands it to its migrations' child process
(``silta_platform.migrations``): in the environment, not on the command line."""


class ServiceSettings(BaseSettings):
    database_url: str = Field(
        description="SQLAlchemy async URL: sqlite+aiosqlite or postgresql+asyncpg."
    )
    amqp_url: str = Field(
        "amqp://guest:guest@127.0.0.1:5672/",
        description="RabbitMQ URL (amqps:// for TLS), or several comma-separated: the nodes "
        "of one cluster, tried in turn; a lost connection goes to the next that answers.",
    )
    host: str = Field("127.0.0.1", description="Address the HTTP API listens on.")
    port: int = Field(description="Port the HTTP API listens on.")
    metrics_port: int | None = Field(
        None,
        ge=1,
        le=65535,
        description="Port of a second listener (same host) serving only GET /metrics, without a "
        "token, for a Prometheus scrape; unset: none (GET /v1/ops/metrics still answers).",
    )
    log_level: str = Field("INFO", description="Python logging level.")
    log_format: Literal["json", "console"] = Field(
        "json",
        description="json: one JSON object per line (service, level, event, trace and span "
        "ids, message and referral ids); console: the same, readable (make run's default).",
    )
    relay_batch_size: int = Field(500, ge=1, description="Outbox rows published per relay pass.")
    relay_poll_seconds: float = Field(
        1.0, gt=0, description="Fallback outbox poll when nothing wakes the relay."
    )
    consumer_prefetch: int = Field(256, ge=1, description="Unacknowledged deliveries at most.")
    consumer_batch_size: int = Field(200, ge=1, description="Deliveries committed per transaction.")
    consumer_linger_ms: float = Field(
        5.0,
        ge=0,
        le=1000,
        description="When several deliveries are already waiting (the queue is busy), wait "
        "this long once for more before committing the batch; a lone delivery never waits. "
        "0: never wait.",
    )
    delivery_limit: int = Field(
        5, ge=1, description="Failed deliveries before the broker parks a message."
    )
    deadline_working_days: dict[str, int] = Field(
        default_factory=lambda: {
            "notice_of_need": 7,
            "basic_amount_reduction": 7,
            "application_transfer": 7,
        },
        description="Working days the county has to react, per referral kind (JSON object); "
        "for an application transfer, to decide (ASA 1412/1997 §14).",
    )
    urgent_deadline_working_days: int = Field(
        1, ge=0, description="Working days for a referral marked urgent."
    )
    consultation_deadline_working_days: int = Field(
        5,
        ge=1,
        description="Working days the side asked has to answer a consultation; past them "
        "unanswered, it expires (set by the side that asks, sent with the question).",
    )
    access_log: bool = Field(
        True, description="Log every HTTP request by its route's template, never the path or query."
    )
    run_migrations: bool = Field(True, description="Apply Alembic migrations at start-up.")
    stats_min_cell: int = Field(
        5,
        ge=5,
        description=(
            "Smallest number of referrals a cell of GET /v1/stats may describe; smaller ones "
            "are suppressed. At least 5: it can be raised, never lowered."
        ),
    )

    service_need_checklist: list[str] | None = Field(
        None,
        description="The default service-need checklist items this deployment accepts (JSON "
        "list of codes); unset: all of them. Both sides should list the same.",
    )
    service_need_checklist_extra: dict[str, tuple[str, str, str]] = Field(
        default_factory=dict,
        description="Checklist items this deployment adds: JSON object, code -> "
        "[Finnish, Swedish, English] label.",
    )

    # --- Data protection: encryption at rest, retention, access log (issue 4, items 5-6) ---
    environment: Literal["development", "production"] = Field(
        "development",
        description="`production` refuses the development keys and secrets.",
    )
    client_key_secret: SecretStr = Field(
        SecretStr(DEVELOPMENT_CLIENT_KEY_SECRET),
        description="Key of the keyed hash (HMAC-SHA-256) of the identity code that finds a "
        "client's referrals, statements and access log entries without decrypting anything.",
    )
    data_keys: dict[str, SecretStr] = Field(
        default_factory=lambda: {DEVELOPMENT_DATA_KEY_ID: SecretStr(DEVELOPMENT_DATA_KEY)},
        description="Keys that encrypt identity codes at rest (AES-256-GCM), as a JSON object "
        "key id -> base64 of 32 random bytes. Older keys stay here until `reencrypt` has run.",
    )
    data_key_current: str = Field(
        DEVELOPMENT_DATA_KEY_ID, description="Id of the key in `data_keys` new values use."
    )
    retention_days: int = Field(
        365,
        ge=1,
        description="Days after a referral closed (completed, rejected, forwarded, cancelled) "
        "before its content is purged; the tracking record stays.",
    )
    message_log_retention_days: int = Field(
        3650,
        ge=1,
        description="Days the message log (the evidence of every message sent and received: "
        "digests, signatures, key ids) keeps an entry, whatever happened to the payload.",
    )
    maintenance_interval_seconds: float = Field(
        300.0,
        gt=0,
        description="How often the service purges expired content and empties sent messages.",
    )

    # --- The change feed and webhooks (issue 11, item 6): ``silta_records.events`` ----------
    events_retention_days: int = Field(
        30,
        ge=1,
        description="Days the change feed keeps an event, and the webhook delivery log an "
        "attempt, before retention drops them.",
    )
    events_poll_seconds: float = Field(
        1.0,
        gt=0,
        description="How often a waiting GET /v1/events and the webhook dispatcher look for "
        "events another replica committed (this replica's own wake them at once).",
    )
    webhook_max_attempts: int = Field(
        8, ge=1, description="Failed attempts at one delivery before the subscription is `failed`."
    )
    webhook_retry_seconds: float = Field(
        10.0, gt=0, description="Wait after a delivery's first failure; doubled after each next."
    )
    webhook_retry_max_seconds: float = Field(
        3600.0, gt=0, description="The longest wait between two attempts at a delivery."
    )
    webhook_timeout_seconds: float = Field(
        10.0, gt=0, description="How long a receiver may take to answer a delivery."
    )
    webhook_batch_size: int = Field(
        100, ge=1, description="Events one dispatcher pass delivers to a subscription at most."
    )
    webhook_allow_private_addresses: bool = Field(
        False,
        description="Accept webhook URLs whose host resolves to a loopback, private, "
        "link-local, multicast or otherwise non-public address (development and tests only).",
    )
    webhook_allow_http: bool = Field(
        False, description="Accept plain http:// webhook URLs (development and tests only)."
    )
    webhook_allowed_hosts: list[str] = Field(
        default_factory=list,
        description="Host names (JSON list) whose webhook URLs may resolve to non-public "
        "addresses, e.g. a receiver inside the organisation's own network.",
    )

    # --- The HTTP edge: body size, TLS, mutual TLS, rate limit (issue 9, item 8) -----------
    # Read by ``silta_platform.edge``, ``silta_platform.rate_limit`` and ``silta_platform.tls``.
    max_body_bytes: int = Field(
        256 * 1024,
        ge=1,
        description="Largest request body taken; a larger one is refused with 413 before it "
        "is read (by its Content-Length, or as a chunked body arrives).",
    )
    tls_cert_file: Path | None = Field(
        None, description="The API's TLS certificate (PEM, chain included): HTTPS when set."
    )
    tls_key_file: Path | None = Field(None, description="The TLS certificate's private key.")
    tls_client_ca_file: Path | None = Field(
        None,
        description="CA certificate(s) of the integrating systems: when set, every connection "
        "must present a client certificate they issued (mutual TLS).",
    )
    tls_client_org_binding: bool = Field(
        True,
        description="With mutual TLS: a token is taken only when its `org` is an "
        "organizationName (O) of the client certificate's subject.",
    )
    hsts_max_age_seconds: int = Field(
        31_536_000, ge=0, description="Strict-Transport-Security max-age, sent under TLS only."
    )
    rate_limit: str = Field(
        "100/second;3000/minute",
        description="Requests to /v1 per caller (token organisation and subject; the client "
        "address for a caller without a valid token), in `limits` notation, several separated "
        "by `;`. Empty: no limit.",
    )

    @model_validator(mode="after")
    def _data_protection_keys(self) -> Self:
        if self.data_key_current not in self.data_keys:
            raise ValueError("data_key_current names no key in data_keys")
        if self.environment == "production":
            if self.client_key_secret.get_secret_value() == DEVELOPMENT_CLIENT_KEY_SECRET:
                raise ValueError("production needs its own client_key_secret")
            if any(
                key.get_secret_value() == DEVELOPMENT_DATA_KEY for key in self.data_keys.values()
            ):
                raise ValueError("production refuses the development data key")
        return self

    def body_limits(self) -> dict[str, int]:
        """Paths whose request body may be larger than ``max_body_bytes`` (a service's batch
        route), and their own limit."""
        return {}

    @model_validator(mode="after")
    def _http_edge(self) -> Self:
        if (self.tls_cert_file is None) != (self.tls_key_file is None):
            raise ValueError("tls_cert_file and tls_key_file go together")
        if self.tls_client_ca_file is not None and self.tls_cert_file is None:
            raise ValueError("tls_client_ca_file (mutual TLS) needs tls_cert_file")
        if self.rate_limit.strip():
            parse_many(self.rate_limit)  # a ValueError names the bad limit
        return self

    @property
    def checklist(self) -> Checklist:
        """The service-need checklist this deployment accepts (``silta_schemas.code_lists``)."""
        return Checklist(self.service_need_checklist, self.service_need_checklist_extra)

    @model_validator(mode="after")
    def _checklist(self) -> Self:
        self.checklist.labels  # noqa: B018 - a ValueError names a code that is no default item
        if any(
            not re.fullmatch(CHECKLIST_CODE_PATTERN, code)
            for code in self.service_need_checklist_extra
        ):
            raise ValueError(
                "service_need_checklist_extra: a code is lower case letters, digits and _"
            )
        return self

    # --- authentication (silta_platform.auth) ---------------------------------------------
    auth_jwks: str = Field(
        "var/dev-jwks.json",
        description="Where the token verification keys are: a JWKS file path or an https URL "
        "(cached). The default is the development issuer's (python -m silta_platform.dev_tokens).",
    )
    auth_jwks_cache_seconds: float = Field(
        300.0, gt=0, description="How long the JWKS is cached before it is read again."
    )
    auth_issuer: str = Field("silta-dev-issuer", description="The tokens' expected `iss`.")
    auth_audience: str = Field(
        "silta", description="The tokens' expected `aud`; each side has its own default."
    )
    auth_leeway_seconds: int = Field(
        30, ge=0, le=300, description="Clock skew allowed when checking `exp`, `nbf`, `iat`."
    )

    # --- Message signing and the broker connection's security (issue 4, items 3 and 4) ----
    # Kept in one block; read by ``silta_platform.bus_security``.
    signing_key_id: str = Field(
        "", description="Id of this organisation's current signing key (in the registry)."
    )
    signing_key: SecretStr | None = Field(
        None, description="Ed25519 signing key: base64 of its 32 raw bytes, or PEM (PKCS#8)."
    )
    signing_key_file: Path | None = Field(
        None, description="File holding the signing key (instead of SIGNING_KEY)."
    )
    trusted_keys: str = Field(
        "",
        description='Registry of the organisations\' public keys, JSON: {"<key id>": '
        '{"organisations": ["kela"], "public_key": "<base64>"}, ...}; encryption keys have '
        '"use": "encrypt" and an optional "since".',
    )
    trusted_keys_file: Path | None = Field(
        None, description="File holding the registry (instead of TRUSTED_KEYS)."
    )
    decryption_keys: SecretStr | None = Field(
        None,
        description='This organisation\'s private X25519 encryption keys, JSON: {"<key id>": '
        '"<base64 of 32 raw bytes>"}; two during a rotation. Their public halves are in the '
        'registry with "use": "encrypt".',
    )
    decryption_keys_file: Path | None = Field(
        None, description="File holding the decryption keys (instead of DECRYPTION_KEYS)."
    )
    message_max_age_seconds: float = Field(
        7 * 24 * 3600.0,
        gt=0,
        description="A message not processed before is parked (message.outside_window) when "
        "its created_at is older than this.",
    )
    message_max_future_seconds: float = Field(
        300.0, ge=0, description="... or later than now plus this (clock skew allowed)."
    )
    amqp_declare_exchanges: bool = Field(
        True,
        description="Declare the exchanges; false where the broker user may not configure "
        "them (they are provisioned by infra/broker_users.py and only checked).",
    )
    amqp_ca_file: Path | None = Field(
        None, description="CA certificate(s) that verify the broker (amqps://)."
    )
    amqp_cert_file: Path | None = Field(None, description="Client certificate (amqps://).")
    amqp_key_file: Path | None = Field(None, description="Client certificate's key (amqps://).")
