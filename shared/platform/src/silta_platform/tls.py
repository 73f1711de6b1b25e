"""TLS for the HTTP API, and mutual TLS: the integrating systems' certificates.

With ``TLS_CERT_FILE`` and ``TLS_KEY_FILE`` uvicorn serves HTTPS. With ``TLS_CLIENT_CA_FILE``
too, the TLS handshake *requires* a client certificate issued by that CA (as X-Road's
security servers authenticate their members): a client without one never reaches the
application. Tokens are checked as before, on top.

With ``TLS_CLIENT_ORG_BINDING`` (the default under mutual TLS) a token is taken only when its
``org`` claim is one of the ``organizationName`` (O) values of the client certificate's
subject: a token that leaked from one organisation's system is no good over another
organisation's connection. The HTTP protocol below records those names per connection, in
the request's state, where :func:`certificate_organisations` reads them.
"""

from __future__ import annotations

import asyncio
import ssl
from typing import Any

from starlette.requests import Request
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from silta_platform.settings import ServiceSettings

CERTIFICATE_ORGANISATIONS = "silta.tls.client_organisations"
"""The request-state key holding the client certificate's organisation names."""


def _organisations(certificate: Any) -> tuple[str, ...]:
    """The subject's ``organizationName`` values of a verified peer certificate
    (``ssl.SSLSocket.getpeercert()``'s form)."""
    if not isinstance(certificate, dict):
        return ()
    return tuple(
        value
        for rdn in certificate.get("subject", ())
        for name, value in rdn
        if name == "organizationName"
    )


class ClientCertificateProtocol(HttpToolsProtocol):
    """uvicorn's HTTP protocol, recording the verified client certificate's organisations
    in every request's state on its connection."""

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        ssl_object = transport.get_extra_info("ssl_object")
        certificate = ssl_object.getpeercert() if ssl_object is not None else None
        # One protocol instance per connection: its own copy of the state each request gets.
        self.app_state = {**self.app_state, CERTIFICATE_ORGANISATIONS: _organisations(certificate)}


def uvicorn_tls(settings: ServiceSettings) -> dict[str, Any]:
    """uvicorn's keyword arguments for the TLS settings (none without a certificate)."""
    if settings.tls_cert_file is None:
        return {}
    options: dict[str, Any] = {
        "ssl_certfile": str(settings.tls_cert_file),
        "ssl_keyfile": str(settings.tls_key_file),
    }
    if settings.tls_client_ca_file is not None:
        options |= {
            "ssl_ca_certs": str(settings.tls_client_ca_file),
            "ssl_cert_reqs": ssl.CERT_REQUIRED,
            "http": ClientCertificateProtocol,
        }
    return options


def certificate_organisations(request: Request) -> tuple[str, ...]:
    """The organisation names of this connection's client certificate (none without one)."""
    names = request.scope.get("state", {}).get(CERTIFICATE_ORGANISATIONS, ())
    return tuple(names) if isinstance(names, tuple) else ()
