import json
from pathlib import Path
from typing import Any

import pytest
import silta_schemas
from pydantic import BaseModel
from silta_schemas import (
    ApplicationTransfer,
    Cancellation,
    CancellationRequest,
    ContactChannel,
    DirectoryEntry,
    DirectoryEntryRequest,
    DirectoryUpdate,
    NoticeOfBasicAmountReduction,
    NoticeOfNeed,
    ResponsibleWorker,
    ResponsibleWorkerRequest,
    Statement,
    StatementReceipt,
    StatementRequest,
    StatementSearch,
    StatusAcknowledgement,
    StatusUpdate,
    WorkContact,
    check_identity_code,
)
from silta_schemas import cooperation as co
from silta_schemas import cooperation_examples as cex
from silta_schemas import cooperation_examples as cx
from silta_schemas import examples as ex
from silta_schemas.consultations import (
    ConsultationAnswer,
    ConsultationAnswerBody,
    ConsultationRequest,
    ConsultationRequestBody,
)
from silta_schemas.decisions import (
    DecisionNotice,
    DecisionNoticeReceipt,
    DecisionNoticeRequest,
    DecisionNoticeSearch,
)

EXAMPLES = Path(__file__).resolve().parents[3] / "examples"

CASES: list[tuple[str, dict[str, Any], type[BaseModel]]] = [
    ("statement.json", ex.STATEMENT_EXAMPLE, Statement),
    ("statement_request.json", ex.STATEMENT_REQUEST_EXAMPLE, StatementRequest),
    ("statement_receipt.json", ex.STATEMENT_RECEIPT_EXAMPLE, StatementReceipt),
    ("statement_search.json", ex.STATEMENT_SEARCH_EXAMPLE, StatementSearch),
    ("responsible_worker.json", ex.RESPONSIBLE_WORKER_EXAMPLE, ResponsibleWorker),
    (
        "responsible_worker_request.json",
        ex.RESPONSIBLE_WORKER_REQUEST_EXAMPLE,
        ResponsibleWorkerRequest,
    ),
    ("directory_update.json", ex.DIRECTORY_UPDATE_EXAMPLE, DirectoryUpdate),
    ("directory_entry.json", ex.DIRECTORY_ENTRY_REQUEST_EXAMPLE, DirectoryEntryRequest),
    ("notice_of_need.json", ex.NOTICE_OF_NEED_EXAMPLE, NoticeOfNeed),
    (
        "basic_amount_reduction.json",
        ex.BASIC_AMOUNT_REDUCTION_EXAMPLE,
        NoticeOfBasicAmountReduction,
    ),
    ("application_transfer.json", ex.APPLICATION_TRANSFER_EXAMPLE, ApplicationTransfer),
    ("cancellation.json", ex.CANCELLATION_EXAMPLE, Cancellation),
    ("cancellation_request.json", ex.CANCELLATION_REQUEST_EXAMPLE, CancellationRequest),
    ("status_acknowledgement.json", ex.STATUS_ACKNOWLEDGEMENT_EXAMPLE, StatusAcknowledgement),
    *[(f"status_update_{k}.json", v, StatusUpdate) for k, v in ex.STATUS_UPDATE_EXAMPLES.items()],
    ("case_manager_period.json", cx.CASE_MANAGER_PERIOD_EXAMPLE, co.CaseManagerPeriod),
    (
        "case_manager_period_request.json",
        cx.CASE_MANAGER_PERIOD_REQUEST_EXAMPLE,
        co.CaseManagerPeriodRequest,
    ),
    ("case_manager_change.json", cx.CASE_MANAGER_CHANGE_EXAMPLE, co.CaseManagerChangeRequest),
    ("case_manager_end.json", cx.CASE_MANAGER_END_EXAMPLE, co.CaseManagerEndRequest),
    ("cooperation_case.json", cx.COOPERATION_CASE_EXAMPLE, co.CooperationCase),
    (
        "cooperation_case_request.json",
        cx.COOPERATION_CASE_REQUEST_EXAMPLE,
        co.CooperationCaseRequest,
    ),
    ("decision_notice.json", cex.DECISION_NOTICE_EXAMPLE, DecisionNotice),
    ("decision_notice_request.json", cex.DECISION_NOTICE_REQUEST_EXAMPLE, DecisionNoticeRequest),
    ("decision_notice_search.json", cex.DECISION_NOTICE_SEARCH_EXAMPLE, DecisionNoticeSearch),
    ("decision_notice_receipt.json", cex.DECISION_NOTICE_RECEIPT_EXAMPLE, DecisionNoticeReceipt),
    ("consultation_request.json", cex.CONSULTATION_EXAMPLE, ConsultationRequest),
    ("consultation_request_body.json", cex.CONSULTATION_REQUEST_EXAMPLE, ConsultationRequestBody),
    ("consultation_answer.json", cex.CONSULTATION_ANSWER_EXAMPLE, ConsultationAnswer),
    (
        "consultation_answer_request.json",
        cex.CONSULTATION_ANSWER_REQUEST_EXAMPLE,
        ConsultationAnswerBody,
    ),
]


@pytest.mark.parametrize(("name", "constant", "model"), CASES, ids=[c[0] for c in CASES])
def test_file_equals_constant_and_validates(
    name: str, constant: dict[str, Any], model: type[BaseModel]
) -> None:
    text = (EXAMPLES / name).read_text(encoding="utf-8")
    assert json.loads(text) == constant
    assert text == json.dumps(constant, indent=2, ensure_ascii=False) + "\n"
    assert model.model_validate_json(text).model_dump(mode="json") == constant
    expected = list(ex.STATUS_UPDATE_EXAMPLES.values()) if model is StatusUpdate else [constant]
    assert model.model_json_schema()["examples"] == expected


DESCRIBED = [
    ResponsibleWorker,
    ResponsibleWorkerRequest,
    Statement,
    StatementRequest,
    StatementReceipt,
    StatementSearch,
    WorkContact,
    DirectoryEntry,
    DirectoryUpdate,
    ContactChannel,
    DecisionNotice,
    DecisionNoticeRequest,
    DecisionNoticeSearch,
    ConsultationRequest,
    ConsultationRequestBody,
    ConsultationAnswer,
    ConsultationAnswerBody,
]


@pytest.mark.parametrize("model", DESCRIBED, ids=[model.__name__ for model in DESCRIBED])
def test_every_field_is_described(model: type[BaseModel]) -> None:
    for name, info in model.model_fields.items():
        assert info.description, f"{model.__name__}.{name}"


def test_status_update_files_cover_every_example() -> None:
    names = {p.name for p in EXAMPLES.glob("status_update_*.json")}
    assert names == {
        f"status_update_{k}.json"
        for k in ("accepted", "in_progress", "on_hold", "completed", "rejected", "forwarded")
    }


def test_example_identity_code_is_valid() -> None:
    assert check_identity_code(ex.EXAMPLE_IDENTITY_CODE) == "131052-308T"


@pytest.mark.parametrize(
    ("model", "count"),
    [
        (NoticeOfNeed, 1),
        (NoticeOfBasicAmountReduction, 1),
        (ApplicationTransfer, 1),
        (Cancellation, 1),
        (StatusUpdate, 6),
        (StatusAcknowledgement, 1),
    ],
)
def test_openapi_schema_carries_the_examples(model: type[BaseModel], count: int) -> None:
    examples = model.model_json_schema()["examples"]
    assert len(examples) == count
    for example in examples:
        model.model_validate(example)


def test_public_api_is_importable() -> None:
    for name in silta_schemas.__all__:
        assert getattr(silta_schemas, name) is not None, name
