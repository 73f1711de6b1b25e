"""Client content at rest: sealed (AES-256-GCM) with rotatable keys, found by a keyed hash.

A stored value is a token ``silta:enc:v1:<key id>:<base64url(nonce || ciphertext || tag)>``
(in a binary column: the prefix, then the raw nonce, ciphertext and tag) with a fresh 96-bit
random nonce per value. The associated data binds the token to its key id, its purpose
(table and column) and its row, so a token copied into another row or column does not
decrypt. Keys come from the settings (``data_keys``: key id -> key), one of them
current for writing; every configured key is still read, and ``reencrypt`` rewrites what an
older key (or nothing: rows stored before sealing) protects under the current one.
``SealedColumn`` names what is sealed where; the services list theirs in ``<service>.protect``.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import copy
import functools
import hashlib
import hmac
import json
import logging
import os
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

import orjson
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from silta_platform.settings import ServiceSettings
from sqlalchemy import JSON, Table, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

log = logging.getLogger(__name__)

TOKEN_PREFIX = "silta:enc:v1:"  # noqa: S105 - a format marker, not a secret
NONCE_BYTES = 12
_TOKEN_BYTES = TOKEN_PREFIX.encode()


class UndecryptableValue(Exception):
    """A token whose key is not configured, or which was altered or moved to another row."""


def client_key(identity_code: str, secret: str) -> str:
    """A keyed hash of the identity code: finds a client's records, reveals no code."""
    return hmac.new(secret.encode(), identity_code.encode(), hashlib.sha256).hexdigest()


def client_key_of(settings: ServiceSettings, identity_code: str) -> str:
    return client_key(identity_code, settings.client_key_secret.get_secret_value())


def is_token(value: object) -> bool:
    return isinstance(value, str) and value.startswith(TOKEN_PREFIX)


class DataCipher:
    """Encrypts and decrypts short personal values under the configured keys."""

    def __init__(self, keys: Mapping[str, bytes], current: str) -> None:
        for key_id, key in keys.items():
            if not key_id or ":" in key_id:
                raise ValueError("a data key id must be non-empty and contain no ':'")
            if len(key) != 32:
                raise ValueError(f"data key {key_id!r} is not 32 bytes (AES-256)")
        if current not in keys:
            raise ValueError("the current data key is not configured")
        self._keys = {key_id: AESGCM(key) for key_id, key in keys.items()}
        self.current = current

    @staticmethod
    def _aad(key_id: str, purpose: str, row_id: str) -> bytes:
        return f"{TOKEN_PREFIX}{key_id}|{purpose}|{row_id}".encode()

    def seal(self, plaintext: bytes, *, purpose: str, row_id: str) -> bytes:
        """``plaintext`` sealed, in binary: ``silta:enc:v1:<key id>:`` then nonce, ciphertext
        and tag (for binary columns: no base64)."""
        nonce = os.urandom(NONCE_BYTES)
        sealed = self._keys[self.current].encrypt(
            nonce, plaintext, self._aad(self.current, purpose, row_id)
        )
        return f"{TOKEN_PREFIX}{self.current}:".encode() + nonce + sealed

    def open(self, sealed: bytes, *, purpose: str, row_id: str) -> bytes:
        """What ``seal`` sealed for the same purpose and row."""
        head = sealed[: len(TOKEN_PREFIX) + 64].decode("ascii", "replace")
        key_id = self.key_id(head)
        return self._open(key_id, sealed[len(TOKEN_PREFIX) + len(key_id) + 1 :], purpose, row_id)

    def encrypt(self, plaintext: str, *, purpose: str, row_id: str) -> str:
        sealed = self.seal(plaintext.encode(), purpose=purpose, row_id=row_id)
        raw = sealed[len(TOKEN_PREFIX) + len(self.current) + 1 :]
        body = base64.urlsafe_b64encode(raw).decode().rstrip("=")
        return f"{TOKEN_PREFIX}{self.current}:{body}"

    @staticmethod
    def key_id(token: str) -> str:
        if not is_token(token) or ":" not in token[len(TOKEN_PREFIX) :]:
            raise UndecryptableValue("not a token")
        return token[len(TOKEN_PREFIX) :].split(":", 1)[0]

    def decrypt(self, token: str, *, purpose: str, row_id: str) -> str:
        key_id = self.key_id(token)
        body = token[len(TOKEN_PREFIX) + len(key_id) + 1 :]
        try:
            raw = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
        except (binascii.Error, ValueError) as error:
            raise UndecryptableValue("altered") from error
        return self._open(key_id, raw, purpose, row_id).decode()

    def _open(self, key_id: str, raw: bytes, purpose: str, row_id: str) -> bytes:
        aead = self._keys.get(key_id)
        if aead is None:
            raise UndecryptableValue(f"data key {key_id!r} is not configured")
        try:
            return aead.decrypt(
                raw[:NONCE_BYTES], raw[NONCE_BYTES:], self._aad(key_id, purpose, row_id)
            )
        except (InvalidTag, ValueError) as error:
            raise UndecryptableValue("altered, or bound to another row or purpose") from error


@functools.lru_cache(maxsize=16)
def _cipher(keys: tuple[tuple[str, str], ...], current: str) -> DataCipher:
    return DataCipher({key_id: base64.b64decode(key) for key_id, key in keys}, current)


def cipher_of(settings: ServiceSettings) -> DataCipher:
    """The cipher configured by ``settings`` (built once per distinct configuration)."""
    keys = tuple(sorted((k, v.get_secret_value()) for k, v in settings.data_keys.items()))
    return _cipher(keys, settings.data_key_current)


@dataclass(frozen=True)
class SealedColumn:
    """A column of ``table`` whose every value is stored sealed, bound to its row.

    ``bound_to`` names the column (or columns) that identify the row (a referral's or
    message's id; a referral and sequence): the associated data is ``<table>.<column>`` and
    those values, so a value moved to another row or
    column does not open. ``form``: ``json`` (a JSON column holding the token as a JSON
    string), ``text`` (a text column holding the token) or ``bytes`` (a binary column holding
    the binary form). ``client_key_column``, if given, holds the keyed hash of the identity
    code at ``code_path`` in the (JSON) value: ``reencrypt`` fills it where missing.
    """

    table: Table
    bound_to: str | tuple[str, ...]
    column: str = "payload"
    form: Literal["json", "text", "bytes"] = "json"
    client_key_column: str | None = None
    code_path: tuple[str, ...] = ("client", "identity_code")

    @property
    def purpose(self) -> str:
        return f"{self.table.name}.{self.column}"

    def row_id(self, row: Mapping[Any, Any]) -> str:
        """The row's identity the value is bound to, from its (named) columns."""
        if isinstance(self.bound_to, str):
            return str(row[self.bound_to])
        return "/".join(str(row[name]) for name in self.bound_to)

    def seal(self, cipher: DataCipher, value: Any, row_id: str) -> Any:
        """What to store for ``value`` in row ``row_id`` (``None`` stays ``None``)."""
        if value is None:
            return None
        if self.form == "bytes":
            return cipher.seal(value, purpose=self.purpose, row_id=row_id)
        plain = value if self.form == "text" else _json_text(value)
        return cipher.encrypt(plain, purpose=self.purpose, row_id=row_id)

    def open(self, cipher: DataCipher, stored: Any, row_id: str) -> Any:
        """The value as given to ``seal``: ``None`` (purged) stays ``None``; a value stored
        before sealing (in clear; or, for JSON, with only the identity code encrypted) is
        returned as it is, its code decrypted (``reencrypt`` seals it)."""
        if stored is None:
            return None
        if self.form == "bytes":
            if not bytes(stored).startswith(_TOKEN_BYTES):
                return stored  # emptied (b""), or written before sealing
            return cipher.open(bytes(stored), purpose=self.purpose, row_id=row_id)
        if is_token(stored):
            plain = cipher.decrypt(stored, purpose=self.purpose, row_id=row_id)
            return plain if self.form == "text" else json.loads(plain)
        if self.form == "json" and isinstance(stored, Mapping):
            return self._legacy(cipher, stored, row_id)
        return stored

    def _legacy(self, cipher: DataCipher, payload: Mapping[str, Any], row_id: str) -> Any:
        """A payload stored with only its identity code encrypted (the first scheme)."""
        result = copy.deepcopy(dict(payload))
        target: Any = result
        for step in self.code_path[:-1]:
            target = target.get(step) if isinstance(target, dict) else None
        last = self.code_path[-1]
        if isinstance(target, dict) and is_token(target.get(last)):
            purpose = f"{self.purpose}.{'.'.join(self.code_path)}"
            target[last] = cipher.decrypt(target[last], purpose=purpose, row_id=row_id)
        return result

    def code_in(self, value: Any) -> str | None:
        """The identity code at ``code_path`` of an opened JSON value, if any."""
        for step in self.code_path:
            if not isinstance(value, Mapping):
                return None
            value = value.get(step)
        return value if isinstance(value, str) else None

    def is_current(self, cipher: DataCipher, stored: Any) -> bool:
        """Nothing to rewrite: empty, or sealed under the current key."""
        if stored is None or stored == b"":
            return True
        if self.form == "bytes":
            head = bytes(stored)[: len(TOKEN_PREFIX) + 64].decode("ascii", "replace")
            return head.startswith(f"{TOKEN_PREFIX}{cipher.current}:")
        return is_token(stored) and cipher.key_id(stored) == cipher.current


class BoundSeal:
    """A sealed binary column with its cipher: what the outbox seals a message body with
    (``silta_messaging.outbox.BodySeal``), bound to the message id."""

    def __init__(self, column: SealedColumn, cipher: DataCipher) -> None:
        self._column, self._cipher = column, cipher

    def seal(self, body: bytes, message_id: str) -> bytes:
        sealed: bytes = self._column.seal(self._cipher, body, message_id)
        return sealed

    def open(self, body: bytes, message_id: str) -> bytes:
        opened: bytes = self._column.open(self._cipher, body, message_id)
        return opened


def outbox_seal(settings: ServiceSettings, outbox: Table) -> BoundSeal:
    return BoundSeal(outbox_body(outbox), cipher_of(settings))


def outbox_body(outbox: Table) -> SealedColumn:
    """The outbox's ``body``: sealed until the broker confirms it (then the row is deleted)."""
    return SealedColumn(outbox, "message_id", "body", form="bytes")


async def reencrypt(
    engine: AsyncEngine,
    settings: ServiceSettings,
    fields: Mapping[str, SealedColumn],
    *,
    batch_size: int = 500,
) -> dict[str, int]:
    """Rewrite every stored value not sealed under the current key (an older key, or stored
    before sealing) under the current key, and fill a missing keyed hash; return how many
    rows changed per column.

    Idempotent and resumable: run it after making a new key current, then drop the old key
    from ``data_keys`` once it reports nothing left.
    """
    cipher = cipher_of(settings)
    changed: dict[str, int] = {}
    for name, field in fields.items():
        table = field.table
        (page,) = table.primary_key.columns
        column = table.c[field.column]
        bound = [field.bound_to] if isinstance(field.bound_to, str) else list(field.bound_to)
        key_column = None if field.client_key_column is None else table.c[field.client_key_column]
        columns = [page, column, *(table.c[name] for name in bound)]
        columns += [] if key_column is None else [key_column]
        count, after = 0, None
        while True:
            query = select(*columns).where(column.is_not(None)).order_by(page).limit(batch_size)
            async with engine.begin() as conn:
                rows = (
                    await conn.execute(query if after is None else query.where(page > after))
                ).all()
                for row in rows:
                    row_id, stored = field.row_id(row._mapping), row[1]
                    values: dict[str, Any] = {}
                    missing_key = key_column is not None and row[-1] is None
                    if not field.is_current(cipher, stored) or missing_key:
                        plain = field.open(cipher, stored, row_id)
                        if not field.is_current(cipher, stored):
                            values[field.column] = field.seal(cipher, plain, row_id)
                        code = field.code_in(plain)
                        if missing_key and code is not None and key_column is not None:
                            values[key_column.name] = client_key_of(settings, code)
                    if values:
                        await conn.execute(update(table).where(page == row[0]).values(**values))
                        count += 1
            if len(rows) < batch_size:
                break
            after = rows[-1][0]
        changed[name] = count
    await checkpoint(engine)
    return changed


CHECKPOINT_RETRY_S = 0.1
CHECKPOINT_PATIENCE_S = 60.0
"""How long a checkpoint that must empty the WAL waits for long reads to end."""


async def checkpoint(engine: AsyncEngine) -> None:
    """On SQLite: the WAL still holds the pages as they were before a rewrite or a purge;
    copy the new ones into the database (where ``secure_delete`` zeroed the old values) and
    empty it. Nothing to do on PostgreSQL.

    A read in progress on another connection (a long read: ``silta_platform.db``) may still
    need the WAL; SQLite then answers busy and leaves it. The checkpoint is tried again,
    the service's connection free in between, until the reads are over."""
    if engine.dialect.name != "sqlite":
        return
    deadline = time.monotonic() + CHECKPOINT_PATIENCE_S
    while True:
        async with engine.connect() as conn:
            busy = await conn.run_sync(_checkpoint)
        if not busy:
            return
        if time.monotonic() >= deadline:
            log.warning(
                "the WAL was not emptied: reads held it for %.0f s (the next pass tries again)",
                CHECKPOINT_PATIENCE_S,
            )
            return
        await asyncio.sleep(CHECKPOINT_RETRY_S)


def _checkpoint(sync_conn: Any) -> bool:
    """``PRAGMA wal_checkpoint(TRUNCATE)`` outside any transaction (it would not truncate);
    whether SQLite answered busy (a reader still needs the WAL)."""
    cursor = sync_conn.connection.dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        row = cursor.fetchone()
    finally:
        cursor.close()
    return bool(row and row[0])


PURGED = JSON.NULL
"""What a purged JSON column holds: JSON ``null`` (the column itself stays NOT NULL)."""


def _json_text(value: Any) -> str:
    """``value`` as JSON for sealing; ``open`` reads it back with ``json.loads``. Written by
    orjson (a sealed payload on every row stored: the standard library's encoder was 1-2 %
    of each side's CPU); by the standard library where orjson refuses (an integer beyond
    64 bits)."""
    try:
        return orjson.dumps(value).decode()
    except orjson.JSONEncodeError:
        return json.dumps(value, separators=(",", ":"))
