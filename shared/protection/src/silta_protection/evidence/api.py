"""``GET /v1/ops/evidence/{referral_id}``: one referral's evidence, for operations."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Path
from silta_platform.bus_security import verifier_from
from silta_platform.http import RuntimeDep
from silta_platform.problems import problem_responses
from silta_schemas.errors import NotFound

from silta_protection.evidence.log import export_referral
from silta_protection.evidence.table import MessageLogTables


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
        responses=problem_responses(404),
    )
    async def evidence(
        runtime: RuntimeDep,
        referral_id: Annotated[UUID, Path(description="The referral's id.")],
    ) -> dict[str, Any]:
        registry = verifier_from(runtime.settings).registry
        async with runtime.engine.connect() as conn:
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
