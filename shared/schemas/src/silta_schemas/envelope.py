"""The bus envelope: seal a payload for sending, open and check everything on receipt.

Both sides validate what they send and what they receive: never trust the other side's
validation. `MessageRejected.detail` names fields and rule ids only, never values.
"""

import json
from datetime import UTC, datetime
from typing import Annotated, Any, Final, NamedTuple
from uuid import UUID

from pydantic import AwareDatetime, BaseModel, Field, ValidationError

from silta_schemas._base import Contract
from silta_schemas.codes import MessageKind
from silta_schemas.identity import redact_identity_codes
from silta_schemas.ids import new_id
from silta_schemas.lifecycle import Actor
from silta_schemas.parties import ALL_COUNTIES, KELA, OrganisationId
from silta_schemas.purpose import Purpose
from silta_schemas.registry import (
    KINDS,
    PAYLOAD_MODELS,
    SENDER_SIDE,
    purpose_and_legal_basis,
    spec_of,
)
from silta_schemas.rejection import MessageRejected
from silta_schemas.spec import Addressing, ReferralLink

__all__ = [
    "ALL_COUNTIES",
    "PAYLOAD_MODELS",
    "SCHEMA_VERSION",
    "SENDER_SIDE",
    "Envelope",
    "Message",
    "MessageRejected",
    "Purpose",
    "Recipient",
    "open_message",
    "purpose_and_legal_basis",
    "seal",
]

SCHEMA_VERSION: Final = "1"
MAX_DETAIL: Final = 2000

Recipient = Annotated[
    str,
    Field(
        pattern=r"^(kela|counties|county-(0[1-9]|1[0-9]|2[01]|90))$",
        description="`kela`, `county-NN`, or `counties` for every county (Kela's directory "
        "updates).",
        examples=["county-11", "kela", "counties"],
    ),
]


class Envelope(Contract):
    """What travels on the bus: routing, purpose and legal basis around one payload."""

    message_id: UUID = Field(description="Unique per message; receivers deduplicate on it.")
    kind: MessageKind = Field(description="The payload's kind.")
    schema_version: str = Field(max_length=16, description="Contract version, currently 1.")
    sender: OrganisationId = Field(description="Sending organisation.")
    recipient: Recipient = Field(description="Receiving organisation, or `counties`.")
    referral_id: UUID | None = Field(
        description="The referral the message belongs to; null (and only null) for a kind that "
        "belongs to no referral (a directory update)."
    )
    created_at: AwareDatetime = Field(description="When the message was sealed.")
    purpose: Purpose = Field(description="Why the data is sent.")
    legal_basis: str = Field(min_length=1, max_length=200, description="Law it is sent under.")
    payload: dict[str, Any] = Field(description="The message body, validated by its kind.")

    def to_bytes(self) -> bytes:
        """Compact UTF-8 JSON for the bus."""
        return self.model_dump_json().encode()


class Message(NamedTuple):
    """An opened message: the envelope and its validated payload model."""

    envelope: Envelope
    payload: BaseModel


def _field_names() -> frozenset[str]:
    names: set[str] = set()
    pending: list[type[BaseModel]] = [Contract]
    while pending:
        model = pending.pop()
        names.update(model.model_fields)
        pending.extend(model.__subclasses__())
    return frozenset(names)


def describe_errors(error: ValidationError, prefix: str = "") -> str:
    """`path: type` for each error, no values: safe for logs and problem details.

    An unknown key is named only if it is one of our field names, since a key is input too.
    """
    known = _field_names()
    parts = []
    for item in error.errors(include_input=False, include_url=False, include_context=False):
        loc = [str(part) for part in item["loc"]]
        if item["type"] == "extra_forbidden" and loc and loc[-1] not in known:
            loc[-1] = "(unknown field)"
        path = ".".join([prefix, *loc] if prefix else loc) or "(message)"
        parts.append(f"{path}: {item['type']}")
    return redact_identity_codes("; ".join(parts))[:MAX_DETAIL]


def _no_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result = dict(pairs)
    if len(result) != len(pairs):
        raise ValueError("duplicate key")
    return result


def _reject_constant(_: str) -> None:
    raise ValueError("NaN and Infinity are not JSON")


def _parse(body: bytes) -> Any:
    try:
        return json.loads(
            body.decode("utf-8"),
            object_pairs_hook=_no_duplicate_keys,
            parse_constant=_reject_constant,
        )
    except (ValueError, RecursionError):
        raise MessageRejected(
            "message.not_json", "the body is not a UTF-8 JSON document without duplicate keys"
        ) from None


def _check_parties(envelope: Envelope, payload: BaseModel) -> None:
    """Sender, recipient and payload must agree on who talks to whom, as the kind's spec says."""
    kind = envelope.kind
    spec = KINDS[kind]
    route = spec.route
    side = Actor.KELA if envelope.sender == KELA else Actor.COUNTY
    if side not in route.senders:
        senders = " or ".join(sorted(actor.value for actor in route.senders))
        raise MessageRejected("envelope.sender_not_allowed", f"{kind.value} is sent by {senders}")
    if route.referral is ReferralLink.NONE:
        if envelope.referral_id is not None:
            raise MessageRejected(
                "envelope.referral_id_not_allowed",
                f"{kind.value} belongs to no referral: referral_id must be null",
            )
    elif envelope.referral_id is None and route.referral is ReferralLink.REQUIRED:
        raise MessageRejected(
            "envelope.referral_id_required", f"{kind.value} belongs to a referral: referral_id"
        )
    addressing = Addressing(kind, envelope.sender, envelope.recipient, envelope.referral_id)
    complaint = route.recipient(addressing, payload)
    if complaint is not None:
        raise MessageRejected("envelope.wrong_recipient", complaint)
    if spec.check is not None:
        spec.check(addressing, payload)


def seal(
    payload: BaseModel,
    *,
    sender: str,
    recipient: str,
    referral_id: UUID | None = None,
    message_id: UUID | None = None,
    created_at: datetime | None = None,
) -> Envelope:
    """Wrap a payload for sending, re-validating it and checking the same rules as on receipt."""
    spec = spec_of(payload)
    if spec is None:
        raise MessageRejected(
            "envelope.unknown_kind",
            f"{type(payload).__name__} is not a payload this version carries",
        )
    body = payload.model_dump(mode="json")
    try:
        checked = spec.payload.model_validate(body)
    except ValidationError as error:
        raise MessageRejected("payload.invalid", describe_errors(error, "payload")) from None
    purpose, legal_basis = spec.grounds.of(checked)
    try:
        envelope = Envelope(
            message_id=message_id or new_id(),
            kind=spec.kind,
            schema_version=SCHEMA_VERSION,
            sender=sender,
            recipient=recipient,
            referral_id=referral_id,
            created_at=created_at or datetime.now(UTC),
            purpose=purpose,
            legal_basis=legal_basis,
            payload=body,
        )
    except ValidationError as error:
        raise MessageRejected("envelope.invalid", describe_errors(error)) from None
    _check_parties(envelope, checked)
    return envelope


def open_message(body: bytes, *, max_bytes: int = 256_000) -> Message:
    """Parse and check a received message completely, or raise `MessageRejected`."""
    if len(body) > max_bytes:
        raise MessageRejected("message.too_large", f"the message is over {max_bytes} bytes")
    raw = _parse(body)
    if not isinstance(raw, dict):
        raise MessageRejected("envelope.invalid", "(message): dict_type")
    if "schema_version" in raw and raw["schema_version"] != SCHEMA_VERSION:
        raise MessageRejected(
            "envelope.schema_version",
            f"unsupported schema_version: this side reads {SCHEMA_VERSION}",
        )
    if isinstance(raw.get("kind"), str) and raw["kind"] not in KINDS:
        handled = ", ".join(KINDS)
        raise MessageRejected("envelope.unknown_kind", f"kind must be one of: {handled}")
    try:
        envelope = Envelope.model_validate(raw)
    except ValidationError as error:
        raise MessageRejected("envelope.invalid", describe_errors(error)) from None
    if envelope.payload.get("kind") != envelope.kind.value:
        raise MessageRejected("payload.kind_mismatch", "payload.kind must equal envelope kind")
    spec = KINDS[envelope.kind]
    try:
        payload = spec.payload.model_validate(envelope.payload)
    except ValidationError as error:
        raise MessageRejected("payload.invalid", describe_errors(error, "payload")) from None
    purpose, legal_basis = spec.grounds.of(payload)
    if (envelope.purpose, envelope.legal_basis) != (purpose, legal_basis):
        raise MessageRejected(
            "envelope.purpose_mismatch",
            f"this payload is sent for {purpose.value} under {legal_basis}",
        )
    _check_parties(envelope, payload)
    return Message(envelope, payload)
