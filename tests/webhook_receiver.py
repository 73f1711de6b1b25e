"""A real HTTP webhook receiver on a free local port (uvicorn), for the tests: it keeps what
it was sent and answers with the statuses it is told to, then 204."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import hmac
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import uvicorn
from silta_harness import free_port
from starlette.types import Receive, Scope, Send


@dataclass
class Delivery:
    headers: dict[str, str]
    body: bytes

    @property
    def document(self) -> dict[str, Any]:
        found: dict[str, Any] = json.loads(self.body)
        return found


@dataclass
class Receiver:
    url: str
    failures: list[int] = field(default_factory=list)
    """Statuses to answer first, one per request (then 204)."""
    received: list[Delivery] = field(default_factory=list)
    """Every request, also those answered with a failure."""

    @property
    def accepted(self) -> list[Delivery]:
        return [d for d in self.received if d.headers.get("x-test-answer") == "ok"]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        status = self.failures.pop(0) if self.failures else 204
        headers = {k.decode(): v.decode() for k, v in scope["headers"]}
        headers["x-test-answer"] = "ok" if status < 300 else "failed"
        self.received.append(Delivery(headers, body))
        await send({"type": "http.response.start", "status": status, "headers": []})
        await send({"type": "http.response.body", "body": b""})


@contextlib.asynccontextmanager
async def receiver() -> AsyncIterator[Receiver]:
    port = free_port()
    app = Receiver(f"http://127.0.0.1:{port}/hook")
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    while not server.started:
        await asyncio.sleep(0.02)
    try:
        yield app
    finally:
        server.should_exit = True
        await task


def verified(secret: str, delivery: Delivery) -> bool:
    """Whether the delivery's ``webhook-signature`` is the Standard Webhooks signature of its
    id, timestamp and body with ``secret`` (computed here as the specification says)."""
    key = base64.b64decode(secret.removeprefix("whsec_"))
    headers = delivery.headers
    signed = f"{headers['webhook-id']}.{headers['webhook-timestamp']}.".encode() + delivery.body
    expected = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    given = [part.split(",", 1)[1] for part in headers["webhook-signature"].split(" ")]
    return any(hmac.compare_digest(expected, signature) for signature in given)
