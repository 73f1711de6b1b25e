"""Webhook subscriptions: their secrets, the signature of a delivery (Standard Webhooks), and
which URLs may receive one.

A delivery is signed as the Standard Webhooks specification says (``webhook-id``,
``webhook-timestamp``, ``webhook-signature: v1,<base64 HMAC-SHA256>`` over
``<id>.<timestamp>.<body>`` with the secret's bytes; the secret is ``whsec_<base64>``): a
few lines of ``hmac``, where the ``standardwebhooks`` package would bring a generated API
client and its dependencies into both services.

A URL must be ``https`` and its host resolve only to public addresses (no loopback, private,
link-local, multicast, reserved or unspecified address), so that a subscription cannot make
Silta call into its own network; checked when the subscription is made and again before each
delivery, as a name may resolve elsewhere since. ``webhook_allow_http``,
``webhook_allow_private_addresses`` and ``webhook_allowed_hosts`` relax this.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import hashlib
import hmac
import ipaddress
import secrets
import socket
from urllib.parse import urlsplit

from silta_platform.settings import ServiceSettings
from silta_protection.encryption import SealedColumn
from sqlalchemy import Table

SECRET_PREFIX = "whsec_"  # noqa: S105 - the format's marker, not a secret
SECRET_BYTES = 32
MIN_SECRET_BYTES, MAX_SECRET_BYTES = 24, 64

ACTIVE, FAILED = "active", "failed"


def webhook_secret_column(webhooks: Table) -> SealedColumn:
    """The subscription's secret: sealed at rest, bound to the subscription's id."""
    return SealedColumn(webhooks, "id", "secret", form="text")


def new_secret() -> str:
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode()


def secret_bytes(secret: str) -> bytes | None:
    """The key a ``whsec_`` secret holds; None if it is not one (or too short or long)."""
    if not secret.startswith(SECRET_PREFIX):
        return None
    try:
        key = base64.b64decode(secret.removeprefix(SECRET_PREFIX), validate=True)
    except (binascii.Error, ValueError):
        return None
    return key if MIN_SECRET_BYTES <= len(key) <= MAX_SECRET_BYTES else None


def signature(secret: str, message_id: str, timestamp: int, body: bytes) -> str:
    """The ``webhook-signature`` header of one delivery."""
    key = secret_bytes(secret)
    assert key is not None, "a stored secret is always a valid one"
    signed = f"{message_id}.{timestamp}.".encode() + body
    return "v1," + base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()


class UrlRefused(Exception):
    """A webhook URL Silta will not call: ``rule`` says why (never the URL itself)."""

    def __init__(self, rule: str, message: str) -> None:
        super().__init__(message)
        self.rule = rule
        self.message = message


def _public(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


async def check_url(url: str, settings: ServiceSettings) -> None:
    """Raise ``UrlRefused`` unless Silta may deliver to ``url`` now (the name resolved)."""
    try:
        parts = urlsplit(url)
        host, port = parts.hostname, parts.port
    except ValueError:
        raise UrlRefused("webhook.url_invalid", "the URL is not a valid absolute URL") from None
    if parts.scheme not in ("https", "http") or not host:
        raise UrlRefused("webhook.url_invalid", "the URL is not a valid absolute URL")
    if parts.scheme != "https" and not settings.webhook_allow_http:
        raise UrlRefused("webhook.url_not_https", "deliveries go only to https URLs")
    if parts.username is not None or parts.password is not None:
        raise UrlRefused("webhook.url_credentials", "the URL may not hold credentials")
    if host.lower() in {name.lower() for name in settings.webhook_allowed_hosts}:
        return
    if settings.webhook_allow_private_addresses:
        return
    try:
        found = await asyncio.get_running_loop().getaddrinfo(
            host, port or 443, type=socket.SOCK_STREAM
        )
    except (OSError, UnicodeError):
        raise UrlRefused("webhook.url_unresolvable", "the URL's host does not resolve") from None
    if not found or not all(_public(str(info[4][0])) for info in found):
        raise UrlRefused(
            "webhook.url_not_public",
            "the URL's host resolves to a loopback, private, link-local, multicast or "
            "reserved address",
        )
