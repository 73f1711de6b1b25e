"""The bus contract served by each side, without a token like ``/openapi.json``:
``/asyncapi.yaml`` (AsyncAPI 3.0) and ``/schemas/{kind}.json`` (each kind's payload, and
``envelope``). Generated from the running code (``silta_messaging.contract``), so a side serves
the contract it speaks; the same files are kept in the repository's ``contracts/``."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response
from silta_messaging.contract import ASYNCAPI_FILE, contract_files

from silta_platform.problems import not_found

router = APIRouter(tags=["contracts"])


@router.get(f"/{ASYNCAPI_FILE}", include_in_schema=False)
async def asyncapi() -> Response:
    return Response(contract_files()[ASYNCAPI_FILE], media_type="application/yaml")


@router.get("/schemas/{kind}.json", include_in_schema=False)
async def kind_schema(kind: str) -> Response:
    text = contract_files().get(f"schemas/{kind}.json")
    if text is None:
        raise not_found("schema")
    return Response(text, media_type="application/schema+json")
