"""Identity codes at rest: encrypted (AES-256-GCM) with rotatable keys, found by a keyed hash.

A stored value is a token ``silta:enc:v1:<key id>:<base64url(nonce || ciphertext || tag)>``
with a fresh 96-bit random nonce per value. The associated data binds the token to its key id,
its purpose (table, column and JSON path) and its row, so a token copied into another row or
field does not decrypt. Keys come from the settings (``data_keys``: key id -> key), one of them
current for writing; every configured key is still read, and ``reencrypt`` rewrites what an
older key (or nothing: rows stored before encryption) protects under the current one.
"""

from __future__ import annotations

import base64
import binascii
import copy
import functools
import hashlib
import hmac
import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from silta_platform.settings import ServiceSettings
from sqlalchemy import JSON, Table, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

TOKEN_PREFIX = "silta:enc:v1:"  # noqa: S105 - a format marker, not a secret
NONCE_BYTES = 12


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

    def encrypt(self, plaintext: str, *, purpose: str, row_id: str) -> str:
        nonce = os.urandom(NONCE_BYTES)
        sealed = self._keys[self.current].encrypt(
            nonce, plaintext.encode(), self._aad(self.current, purpose, row_id)
        )
        body = base64.urlsafe_b64encode(nonce + sealed).decode().rstrip("=")
        return f"{TOKEN_PREFIX}{self.current}:{body}"

    @staticmethod
    def key_id(token: str) -> str:
        if not is_token(token):
            raise UndecryptableValue("not a token")
        return token[len(TOKEN_PREFIX) :].split(":", 1)[0]

    def decrypt(self, token: str, *, purpose: str, row_id: str) -> str:
        key_id = self.key_id(token)
        aead = self._keys.get(key_id)
        if aead is None:
            raise UndecryptableValue(f"data key {key_id!r} is not configured")
        body = token[len(TOKEN_PREFIX) + len(key_id) + 1 :]
        try:
            raw = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
            plain = aead.decrypt(
                raw[:NONCE_BYTES], raw[NONCE_BYTES:], self._aad(key_id, purpose, row_id)
            )
        except (InvalidTag, binascii.Error, ValueError) as error:
            raise UndecryptableValue("altered, or bound to another row or purpose") from error
        return plain.decode()


@functools.lru_cache(maxsize=16)
def _cipher(keys: tuple[tuple[str, str], ...], current: str) -> DataCipher:
    return DataCipher({key_id: base64.b64decode(key) for key_id, key in keys}, current)


def cipher_of(settings: ServiceSettings) -> DataCipher:
    """The cipher configured by ``settings`` (built once per distinct configuration)."""
    keys = tuple(sorted((k, v.get_secret_value()) for k, v in settings.data_keys.items()))
    return _cipher(keys, settings.data_key_current)


@dataclass(frozen=True)
class ProtectedField:
    """An identity code inside a JSON column: ``table.column`` at ``path``, row key ``id_column``.

    ``client_key_column``, if given, holds the keyed hash of the same code.
    """

    table: Table
    id_column: str
    column: str = "payload"
    path: tuple[str, ...] = ("client", "identity_code")
    client_key_column: str | None = None

    @property
    def purpose(self) -> str:
        return f"{self.table.name}.{self.column}.{'.'.join(self.path)}"

    def _get(self, payload: Mapping[str, Any]) -> Any:
        value: Any = payload
        for step in self.path:
            if not isinstance(value, Mapping) or step not in value:
                return None
            value = value[step]
        return value

    def _with(self, payload: Mapping[str, Any], value: str) -> dict[str, Any]:
        result = copy.deepcopy(dict(payload))
        target = result
        for step in self.path[:-1]:
            target = target[step]
        target[self.path[-1]] = value
        return result

    def seal(self, cipher: DataCipher, payload: Mapping[str, Any], row_id: str) -> dict[str, Any]:
        """A copy of ``payload`` to store, its identity code encrypted for row ``row_id``."""
        code = self._get(payload)
        if not isinstance(code, str) or is_token(code):
            return dict(payload)
        return self._with(payload, cipher.encrypt(code, purpose=self.purpose, row_id=row_id))

    def open(
        self, cipher: DataCipher, payload: Mapping[str, Any] | None, row_id: str
    ) -> dict[str, Any] | None:
        """``payload`` as stored, its identity code decrypted (``None`` stays ``None``: purged)."""
        if payload is None:
            return None
        token = self._get(payload)
        if not is_token(token):
            return dict(payload)  # stored before encryption; ``reencrypt`` seals it
        return self._with(payload, cipher.decrypt(token, purpose=self.purpose, row_id=row_id))


async def reencrypt(
    engine: AsyncEngine,
    settings: ServiceSettings,
    fields: Mapping[str, ProtectedField],
    *,
    batch_size: int = 500,
) -> dict[str, int]:
    """Rewrite every stored identity code not under the current key (or stored in clear) under
    the current key, and fill a missing keyed hash; return how many rows changed per field.

    Idempotent and resumable: run it after making a new key current, then drop the old key
    from ``data_keys`` once it reports nothing left.
    """
    cipher = cipher_of(settings)
    changed: dict[str, int] = {}
    for name, field in fields.items():
        table, ident, column = (
            field.table,
            field.table.c[field.id_column],
            field.table.c[field.column],
        )
        key_column = None if field.client_key_column is None else table.c[field.client_key_column]
        count, after = 0, ""
        while True:
            columns = [ident, column] + ([] if key_column is None else [key_column])
            async with engine.begin() as conn:
                rows = (
                    await conn.execute(
                        select(*columns)
                        .where(ident > after, column.is_not(None))
                        .order_by(ident)
                        .limit(batch_size)
                    )
                ).all()
                for row in rows:
                    row_id, payload = row[0], row[1]
                    if payload is None:
                        continue
                    value = field._get(payload)
                    values: dict[str, Any] = {}
                    if isinstance(value, str) and not (
                        is_token(value) and cipher.key_id(value) == cipher.current
                    ):
                        code = (
                            cipher.decrypt(value, purpose=field.purpose, row_id=row_id)
                            if is_token(value)
                            else value
                        )
                        sealed = cipher.encrypt(code, purpose=field.purpose, row_id=row_id)
                        values[field.column] = field._with(payload, sealed)
                        if key_column is not None and row[2] is None:
                            values[key_column.name] = client_key_of(settings, code)
                    elif key_column is not None and row[2] is None and is_token(value):
                        code = cipher.decrypt(value, purpose=field.purpose, row_id=row_id)
                        values[key_column.name] = client_key_of(settings, code)
                    if values:
                        await conn.execute(update(table).where(ident == row_id).values(**values))
                        count += 1
            if len(rows) < batch_size:
                break
            after = rows[-1][0]
        changed[name] = count
    return changed


PURGED = JSON.NULL
"""What a purged JSON column holds: JSON ``null`` (the column itself stays NOT NULL)."""
