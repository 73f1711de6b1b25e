"""JSON Schemas of what travels on the bus around the envelope: the sealed document
(``silta_messaging.sealing``), the signature headers and the signed statement
(``silta_messaging.signing``, ``silta_messaging.statement``), and the parking headers
(``silta_messaging.topology``). Written from the modules' constants, for the bus contract
(``silta_messaging.contract``)."""

from __future__ import annotations

from typing import Any, Final

from silta_schemas.codes import MessageKind

from silta_messaging import sealing, statement
from silta_messaging.key_registry import KEY_ID_PATTERN
from silta_messaging.signing import KEY_ID_HEADER, SIGNATURE_HEADER
from silta_messaging.topology import (
    DETAIL_HEADER,
    ORIGINAL_ROUTING_KEY_HEADER,
    PARKED_BY_HEADER,
    REASON_HEADER,
)
from silta_messaging.tracing import TRACEPARENT, TRACESTATE

_UUID: Final = {"type": "string", "format": "uuid"}
_KEY_ID: Final = {"type": "string", "pattern": KEY_ID_PATTERN.pattern}


def _base64(description: str) -> dict[str, Any]:
    return {"type": "string", "contentEncoding": "base64", "description": description}


def _organisation(description: str) -> dict[str, Any]:
    return {"type": "string", "description": description}


def _sealed_document() -> dict[str, Any]:
    clear = {
        "message_id": {**_UUID, "description": "The envelope's message id."},
        "kind": {
            "type": "string",
            "enum": [kind.value for kind in MessageKind],
            "description": "The envelope's kind.",
        },
        "sender": _organisation("The envelope's sender."),
        "recipient": _organisation("The envelope's recipient (`counties` for a broadcast)."),
    }
    return {
        "type": "object",
        "description": (
            "The body on the bus: the envelope (`Envelope`) encrypted with a fresh content key "
            "(XChaCha20-Poly1305) sealed to each recipient key (X25519 sealed box). The clear "
            "fields are the ciphertext's associated data (canonical JSON of every field but "
            "`nonce` and `ciphertext`); the receiver checks they equal the envelope's."
        ),
        "required": ["format", *sealing.CLEAR_FIELDS, "recipients", "nonce", "ciphertext"],
        "additionalProperties": False,
        "properties": {
            "format": {"const": sealing.FORMAT},
            **{name: clear[name] for name in sealing.CLEAR_FIELDS},
            "recipients": {
                "type": "array",
                "minItems": 1,
                "description": "One entry per key the content key is sealed to (one per "
                "county key for a broadcast).",
                "items": {
                    "type": "object",
                    "required": ["key_id", "sealed_key"],
                    "additionalProperties": False,
                    "properties": {
                        "key_id": {**_KEY_ID, "description": "An encryption key's id."},
                        "sealed_key": _base64("The content key, sealed to that key."),
                    },
                },
            },
            "nonce": _base64("The XChaCha20-Poly1305 nonce (24 bytes)."),
            "ciphertext": {
                **_base64("The encrypted envelope: see `Envelope`."),
                "contentMediaType": "application/json",
            },
        },
    }


def _signed_statement() -> dict[str, Any]:
    nullable_text: dict[str, Any] = {"type": ["string", "null"]}
    return {
        "type": "object",
        "description": (
            "What the sender signs: canonical JSON (sorted keys, no spaces) of the body's "
            "SHA-256 and the envelope's facts. The message log keeps it, so a signature can be "
            "checked after the body is purged."
        ),
        "required": ["v", "body_sha256", *statement.FACTS],
        "additionalProperties": False,
        "properties": {
            "v": {"const": statement.VERSION},
            "body_sha256": {"type": "string", "pattern": "^[0-9a-f]{64}$"},
            **{name: nullable_text for name in statement.FACTS},
        },
    }


def _headers(extra: dict[str, Any] | None = None) -> dict[str, Any]:
    properties: dict[str, Any] = {
        statement.STATEMENT_HEADER: {
            "type": "string",
            "maxLength": statement.MAX_STATEMENT,
            "contentMediaType": "application/json",
            "description": "The signed statement (`SignedStatement`).",
        },
        KEY_ID_HEADER: {**_KEY_ID, "description": "The id of the Ed25519 key that signed."},
        SIGNATURE_HEADER: _base64("The 64-byte Ed25519 signature over the statement's bytes."),
        **(extra or {}),
    }
    traced = {  # optional: present when the publish was part of a trace
        TRACEPARENT: {
            "type": "string",
            "pattern": "^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$",
            "description": "W3C trace context of the publish (silta_messaging.tracing).",
        },
        TRACESTATE: {
            "type": "string",
            "maxLength": 512,
            "description": "W3C trace state, vendor entries carried along with traceparent.",
        },
    }
    return {
        "type": "object",
        "required": list(properties),
        "properties": {**properties, **traced},
    }


def _parking_headers() -> dict[str, Any]:
    text: dict[str, Any] = {"type": "string"}
    return {
        REASON_HEADER: {
            **text,
            "description": "The rule the message broke, e.g. `signature.invalid`.",
        },
        DETAIL_HEADER: {
            **text,
            "maxLength": 1000,
            "description": "Field names and rules, never values.",
        },
        ORIGINAL_ROUTING_KEY_HEADER: {**text, "description": "The routing key it came with."},
        PARKED_BY_HEADER: {**text, "description": "The queue whose consumer parked it."},
    }


def bus_schemas() -> dict[str, Any]:
    """The schemas, by their component name."""
    return {
        "SealedDocument": _sealed_document(),
        "SignedStatement": _signed_statement(),
        "SignatureHeaders": {
            **_headers(),
            "description": "Every message's signature (`silta_messaging.signing`).",
        },
        "ParkedHeaders": {
            **_headers(_parking_headers()),
            "description": "A parked message keeps the sender's headers and gains the reason.",
        },
    }
