"""The load generator's HTTP client: one keep-alive HTTP/1.1 connection, requests written as
bytes, answers read by Content-Length (or chunks).

On two cores the load generator shares the CPU with the system under test. httpx spent
about 0.7 ms of CPU per POST here (30 % of a core at 400 requests/s), a third of what the Kela
side itself spends on a referral; this client spends a tenth of that, as wrk would, so the
services get the cores. It speaks just enough HTTP for the benchmark's POSTs to a local
uvicorn, and is not a general client: no TLS, no redirects, no proxies.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit


class HttpFailure(Exception):
    """The request got no complete answer (connection refused, closed or garbled)."""


@dataclass(frozen=True)
class Answer:
    """A complete HTTP answer: status, headers (names in lower case) and body."""

    status_code: int
    headers: Mapping[str, str]
    content: bytes

    @property
    def text(self) -> str:
        return self.content.decode("utf-8", "replace")

    def json(self) -> Any:
        return json.loads(self.content)


class LeanClient:
    """One connection to ``base_url`` (``http://host:port``), opened when first used and
    again after the server closed it; one request at a time."""

    def __init__(self, base_url: str, headers: Mapping[str, str]) -> None:
        address = urlsplit(base_url)
        if address.scheme != "http" or address.hostname is None or address.port is None:
            raise ValueError(f"LeanClient speaks plain http to host:port, not {base_url}")
        self._host, self._port = address.hostname, address.port
        self._fixed = "".join(f"{name}: {value}\r\n" for name, value in headers.items())
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None

    async def post(self, path: str, *, content: bytes, headers: Mapping[str, str]) -> Answer:
        head = (
            f"POST {path} HTTP/1.1\r\nhost: {self._host}:{self._port}\r\n{self._fixed}"
            + "".join(f"{name}: {value}\r\n" for name, value in headers.items())
            + f"content-length: {len(content)}\r\n\r\n"
        ).encode("latin-1")
        try:
            reader, writer = await self._connection()
            writer.write(head + content)
            answer = await _read_answer(reader)
        except (OSError, asyncio.IncompleteReadError, ValueError) as error:
            await self.close()
            raise HttpFailure(f"{type(error).__name__}: {error}") from None
        if answer.headers.get("connection", "").lower() == "close":
            await self.close()
        return answer

    async def _connection(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        if self._reader is None or self._writer is None or self._reader.at_eof():
            await self.close()
            self._reader, self._writer = await asyncio.open_connection(self._host, self._port)
        return self._reader, self._writer

    async def close(self) -> None:
        writer, self._reader, self._writer = self._writer, None, None
        if writer is not None:
            writer.close()
            with contextlib.suppress(OSError):
                await writer.wait_closed()


async def _read_answer(reader: asyncio.StreamReader) -> Answer:
    status_line, *lines = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1").split("\r\n")
    version, code, *_ = status_line.split(" ", 2)
    if not version.startswith("HTTP/1."):
        raise ValueError(f"not an HTTP/1.x answer: {status_line[:40]!r}")
    headers: dict[str, str] = {}
    for line in lines:
        if line:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
    if "content-length" in headers:
        content = await reader.readexactly(int(headers["content-length"]))
    elif headers.get("transfer-encoding", "").lower() == "chunked":
        content = await _read_chunks(reader)
    else:
        raise ValueError("the answer has neither Content-Length nor chunks")
    return Answer(int(code), headers, content)


async def _read_chunks(reader: asyncio.StreamReader) -> bytes:
    parts = []
    while size := int((await reader.readuntil(b"\r\n")).split(b";")[0], 16):
        parts.append(await reader.readexactly(size))
        await reader.readexactly(2)
    while await reader.readuntil(b"\r\n") != b"\r\n":  # trailers, then the empty line
        pass
    return b"".join(parts)
