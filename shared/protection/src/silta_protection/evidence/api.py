"""``GET /v1/ops/evidence/{referral_id}``: one referral's evidence, for operations."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Path
from pydantic import BaseModel, Field
from silta_platform.bus_security import verifier_from
from silta_platform.http import RuntimeDep
from silta_platform.problems import problem_responses
from silta_schemas.errors import NotFound

from silta_protection.evidence.log import export_referral
from silta_protection.evidence.table import MessageLogTables


class LoggedEntry(BaseModel):
    """One message in the message log, with its chain link (strings as hashed: keep them)."""

    seq: int = Field(description="Position in the message log's hash chain.")
    at: str = Field(description="When it was logged (UTC, ISO 8601, microseconds).")
    direction: str = Field(description="`sent` (confirmed by the broker) or `received`.")
    message_id: str = Field(description="The message's id.")
    kind: str = Field(description="The message kind.")
    referral_id: str | None = Field(description="The referral it belongs to.")
    sender: str = Field(description="Sending organisation.")
    recipient: str = Field(description="Receiving organisation.")
    body_sha256: str = Field(description="SHA-256 (hex) of the exact bytes sent or received.")
    statement: str = Field(description="The signed statement (canonical JSON).")
    signature: str = Field(description="Ed25519 signature over the statement (base64).")
    key_id: str = Field(description="The signing key's id.")
    public_key: str = Field(description="The public key that verified it (base64).")
    prev_hash: str = Field(description="Hash of the entry before it in the chain.")
    entry_hash: str = Field(description="SHA-256 over the chained fields.")


class KeyThen(BaseModel):
    public_key: str = Field(description="The public key, as logged with the message.")
    organisations: list[str] | None = Field(
        description="Who the registry lets sign with it (null if it no longer lists the key)."
    )
    in_registry_now: bool = Field(description="The registry still lists this key.")


class ChainState(BaseModel):
    entries: int = Field(description="Entries in the whole message log when exported.")
    intact: bool = Field(description="The whole chain verified when exported.")
    head_seq: int = Field(description="The chain head's last entry.")
    head_hash: str | None = Field(description="The chain head's last hash.")


class Evidence(BaseModel):
    """One referral's evidence; `python -m silta_protection.evidence verify` checks it."""

    format: str = Field(description="`silta-evidence/1`.")
    organisation: str = Field(description="Whose message log it comes from.")
    referral_id: str = Field(description="The referral.")
    exported_at: str = Field(description="When it was exported.")
    chained_fields: list[str] = Field(description="The fields each entry hash covers.")
    messages: list[LoggedEntry] = Field(description="Oldest first.")
    keys: dict[str, KeyThen] = Field(description="The keys of these messages, by key id.")
    chain: ChainState = Field(description="The whole message log, when exported.")


def evidence_router(tables: MessageLogTables, organisation: str) -> APIRouter:
    router = APIRouter(prefix="/v1/ops/evidence", tags=["operations"])

    @router.get(
        "/{referral_id}",
        summary="The evidence of one referral's messages, to verify offline",
        description="Every message this side sent and accepted about the referral: its "
        "signed statement (ids, kind, parties, SHA-256 of the exact bytes), signature, key "
        "id and public key, and its hash-chain link; the keys; whether the chain verifies. "
        "No personal data. Check it with `python -m silta_protection.evidence verify`. "
        "`404` if this side logged no message about the referral.",
        response_model=Evidence,
        responses=problem_responses(404, 422),
    )
    async def evidence(
        runtime: RuntimeDep,
        referral_id: Annotated[UUID, Path(description="The referral's id.")],
    ) -> dict[str, Any]:
        registry = verifier_from(runtime.settings).registry
        # It verifies the whole message log: a long read (``silta_platform.db``).
        async with runtime.long_reads.connect() as conn:
            export = await export_referral(
                conn,
                tables,
                str(referral_id),
                organisation=organisation,
                registry=registry,
                now=datetime.now(UTC),
            )
        if not export["messages"]:
            raise NotFound("evidence of a referral")
        return export

    return router
