"""``GET /v1/code-lists``: the messages' code lists in Finnish, Swedish and English, the same
on both sides (the service-need checklist as this deployment accepts it). No personal data."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel, Field
from silta_schemas.code_lists import CodeList, CodeListName, code_list, code_lists

from silta_platform.http import RuntimeDep, read_one


class CodeLists(BaseModel):
    items: list[CodeList] = Field(description="Every code list, each with its codes in order.")


def code_lists_router() -> APIRouter:
    """The two routes; each side includes one."""
    router = APIRouter(prefix="/v1/code-lists", tags=["code lists"])
    names = ", ".join(f"`{name.value}`" for name in CodeListName)

    @router.get(
        "",
        response_model=CodeLists,
        summary="Every code list with Finnish, Swedish and English labels",
        description=f"The lists: {names}. The service-need checklist is this deployment's "
        "(`SERVICE_NEED_CHECKLIST`, `SERVICE_NEED_CHECKLIST_EXTRA`).",
    )
    async def list_code_lists(runtime: RuntimeDep) -> CodeLists:
        return CodeLists(items=code_lists(runtime.settings.checklist))

    @read_one(router, "/{name}", CodeList, "One code list with its labels")
    async def read_code_list(runtime: RuntimeDep, name: CodeListName) -> CodeList:
        # An unknown name is a 422 naming `name` and the rule (enum): the names are fixed.
        return code_list(name, runtime.settings.checklist)

    return router
