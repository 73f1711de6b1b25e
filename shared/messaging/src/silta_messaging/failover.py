"""Several broker addresses, one robust connection: on connection loss it goes to the next.

``aio_pika.connect_robust`` reconnects only to the address it was given, so the node a
service talks to would be a single point of failure. :class:`FailoverConnection` keeps
aio-pika's recovery (channels reopened, queues re-declared, consumers restored) and changes
only where each attempt goes: after a connection is lost it starts from the next address,
and an attempt tries every address in turn before it counts as failed.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Sequence
from typing import Any

import aio_pika
from aio_pika.robust_connection import RobustConnection
from yarl import URL

from silta_messaging.coalescing import CoalescingTransportFactory

log = logging.getLogger(__name__)

CONNECT_TIMEOUT_S = 5.0
"""Per address: a node that does not answer is left for the next one after this long."""


def broker_urls(urls: str | Sequence[str]) -> list[str]:
    """``urls`` as a list: a comma-separated string (``AMQP_URL``) or a sequence of URLs."""
    items = urls.split(",") if isinstance(urls, str) else list(urls)
    cleaned = [url.strip() for url in items if url.strip()]
    if not cleaned:
        raise ValueError("no broker address is configured")
    schemes = {URL(url).scheme.lower() for url in cleaned}
    if len(schemes) > 1:
        raise ValueError("the broker addresses mix amqp:// and amqps://")
    return cleaned


def _address(url: URL) -> str:
    """``host:port`` of ``url``: what the logs name, never the credentials."""
    return f"{url.host}:{url.port}"


class FailoverConnection(RobustConnection):
    """A robust connection over several addresses of one cluster (same vhost, same user)."""

    def __init__(self, url: URL, *, urls: Sequence[str] = (), **kwargs: Any) -> None:
        self._urls = [URL(item) for item in urls] or [URL(url)]
        self._current = 0
        super().__init__(self._urls[0], **kwargs)
        # Read by every attempt, reconnections included (aio-pika passes it on to aiormq).
        self.kwargs["transport_factory"] = CoalescingTransportFactory()

    @property  # a property over aio-pika's attribute
    def url(self) -> URL:
        return self._urls[self._current]

    @url.setter
    def url(self, value: URL) -> None:  # __init__ and update_secret
        self._urls[self._current] = URL(value)

    @property
    def address(self) -> str:
        """``host:port`` of the node this connection uses (or tries next)."""
        return _address(self.url)

    def _next(self) -> None:
        self._current = (self._current + 1) % len(self._urls)

    async def _on_connection_close(self, closing: Any) -> None:
        # Only a connection that was up: a failed attempt moves on in the attempt's loop.
        if self.connected.is_set() and not (self._close_called or self.is_closed):
            log.warning("broker connection to %s lost", self.address)
            self._next()
        await super()._on_connection_close(closing)

    async def _RobustConnection__connect_transport(self) -> None:  # aio-pika's, name-mangled
        """One attempt: each address in turn, starting from the current one."""
        connect = super()._RobustConnection__connect_transport  # type: ignore[misc]
        for tried in range(1, len(self._urls) + 1):
            try:
                await connect()
            except CONNECTION_ERRORS as error:
                log.warning("broker %s not reachable (%s)", self.address, type(error).__name__)
                self._next()
                if tried == len(self._urls):
                    raise
            else:
                log.info("connected to the broker at %s", self.address)
                return


CONNECTION_ERRORS = (TimeoutError, OSError, ConnectionError, aio_pika.exceptions.AMQPError)
"""What makes an address count as not answering."""


async def connect_failover(
    urls: Sequence[str], **kwargs: Any
) -> aio_pika.abc.AbstractRobustConnection:
    """``aio_pika.connect_robust`` over several addresses: :class:`FailoverConnection`."""
    connection = FailoverConnection(URL(urls[0]), urls=urls, **kwargs)
    try:
        await connection.connect(timeout=CONNECT_TIMEOUT_S)
    except BaseException:
        # A first connection that failed or was cancelled is closed: aio-pika's reconnect
        # task outlives a cancelled ``connect`` (the cancel also cancels the future that
        # would have ended it), and would retry the broker for ever after ``Broker.close``.
        with contextlib.suppress(Exception):
            await connection.close()
        raise
    return connection
