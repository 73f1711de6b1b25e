"""What either side does with consultations: ask, take a question from the other side,
answer it, take the answer. The same code on both sides; ``kela`` says which side this is and
``counties`` what the caller may see (None: all, on Kela's side).

Kela asks one county (``county_code``) and answers the counties; a county's deployment asks
Kela for one of the counties it serves and answers Kela. A question carries the client's
identity code only with the consent recorded; an anonymous one carries none. Every handling of
an identified client's consultation goes to the access log.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, Literal
from uuid import UUID

from silta_messaging.incoming import Incoming, Rejection
from silta_messaging.outbox import OutboxEntry
from silta_platform.db import as_utc
from silta_platform.handlers import payload_of
from silta_platform.settings import ServiceSettings
from silta_platform.unit_of_work import Transactions, UnitOfWork
from silta_protection.access_log import Access, Action, Actor, service_actor
from silta_protection.encryption import cipher_of, client_key_of
from silta_schemas.consultations import (
    ConsultationAnswer,
    ConsultationAnswerBody,
    ConsultationRequest,
    ConsultationRequestBody,
    ConsultationStatus,
    beyond_purposes,
)
from silta_schemas.envelope import seal
from silta_schemas.errors import NotFound, RuleRefused
from silta_schemas.idempotency import check_replay, fingerprint
from silta_schemas.ids import new_id
from silta_schemas.parties import KELA, county_code_of, county_organisation
from sqlalchemy import Row, Table

from silta_records.client_records import create_once, row_by_id, stored_rows
from silta_records.consultations import store
from silta_records.consultations.table import INCOMING, OUTGOING, sealed_columns
from silta_records.deadlines import add_working_days

PURPOSE = "consultation"
"""Why a consultation's client data is handled (ASA 1412/1997 §14a, with consent)."""


def _county_party(sender: str, recipient: str) -> str:
    code = county_code_of(recipient if sender == KELA else sender)
    assert code is not None  # the kind's route: one side is a county
    return code


def _access(
    actor: Actor,
    action: Action,
    row_key: str,
    client_key: str | None,
    county: str,
    channel: Literal["http", "bus"] = "http",
) -> Access:
    return Access(actor, action, "consultation", row_key, client_key, PURPOSE, channel, county)


def access_of(actor: Actor, action: Action, row: Row[Any]) -> Access:
    """The access-log entry of ``actor`` handling the consultation in ``row``."""
    return _access(actor, action, row.consultation_id, row.client_key, row.county_code)


async def ask(
    transactions: Transactions,
    settings: ServiceSettings,
    table: Table,
    *,
    kela: bool,
    body: ConsultationRequestBody,
    counties: frozenset[str] | None,
    actor: Actor,
    idempotency_key: str | None,
) -> tuple[store.ConsultationRecord, bool]:
    """Ask the other side; the record, and whether this request asked (not a replay)."""
    if counties is not None and body.county_code not in counties:
        raise RuleRefused(
            "consultation.county_not_served",
            "a county asks Kela from its own deployment, for a county the caller serves",
            field="county_code",
        )
    now = datetime.now(UTC)
    if body.client is not None and body.client.consent.given_at > now:
        raise RuleRefused(
            "consultation.consent_in_future",
            "the client's consent must be given before the question is asked",
            field="client.consent.given_at",
        )
    digest = fingerprint(body.model_dump(mode="json"))

    def replay(row: Row[Any]) -> store.ConsultationRecord:
        check_replay(row.request_hash, digest)
        return store.record(row, datetime.now(UTC))

    async def create() -> store.ConsultationRecord:
        request = ConsultationRequest(
            kind="consultation_request",
            consultation_id=new_id(),
            asked_at=now,
            due_at=add_working_days(now, settings.consultation_deadline_working_days),
            **body.model_dump(exclude={"county_code"}),
        )
        county = county_organisation(body.county_code)
        sender, recipient = (KELA, county) if kela else (county, KELA)
        key = str(request.consultation_id)
        client_key = None
        if request.client is not None:
            client_key = client_key_of(settings, request.client.identity_code)
        question = sealed_columns(table)["consultation_questions"]
        row = {
            "consultation_id": key,
            "county_code": body.county_code,
            "payload": question.seal(cipher_of(settings), request.model_dump(mode="json"), key),
            "client_key": client_key,
            "direction": OUTGOING,
            "sender": sender,
            "status": ConsultationStatus.ASKED.value,
            "purposes": store.purposes_text(request.purposes),
            "asked_at": now,
            "due_at": request.due_at,
            "idempotency_key": idempotency_key,
            "request_hash": digest,
        }
        async with transactions.begin() as work:
            await work.conn.execute(table.insert().values(**row))
            work.announce(OutboxEntry.addressed(seal(request, sender=sender, recipient=recipient)))
            work.account(_access(actor, "create", key, client_key, body.county_code))
        async with transactions.engine.connect() as conn:
            stored = await row_by_id(conn, table, key)
        assert stored is not None
        return store.record(stored, now)

    return await create_once(transactions, table, idempotency_key, replay, create)


async def answer(
    transactions: Transactions,
    settings: ServiceSettings,
    table: Table,
    *,
    consultation_id: UUID,
    body: ConsultationAnswerBody,
    counties: frozenset[str] | None,
    actor: Actor,
) -> store.ConsultationRecord:
    """Answer (or decline) a question the other side asked. Raises ``NotFound``, or
    ``RuleRefused``: ``consultation.not_open`` (answered, declined or expired) and
    ``consultation_answer.beyond_purpose`` (a field the question's purposes do not allow)."""
    async with transactions.engine.connect() as conn:
        row = await row_by_id(conn, table, consultation_id)
    visible = row is not None and (counties is None or row.county_code in counties)
    if row is None or not visible or row.direction != INCOMING:
        raise NotFound("consultation")
    now = datetime.now(UTC)
    found = store.record(row, now)
    if found.status is not ConsultationStatus.ASKED:
        raise RuleRefused(
            "consultation.not_open", f"the consultation is {found.status.value}", field="outcome"
        )
    beyond = beyond_purposes(found.purposes, body)
    if beyond is not None:
        raise RuleRefused(
            "consultation_answer.beyond_purpose",
            "none of the question's purposes allows this field",
            field=beyond,
        )
    reply = ConsultationAnswer(
        kind="consultation_answer",
        consultation_id=consultation_id,
        answered_at=now,
        purposes=tuple(found.purposes),
        **body.model_dump(),
    )
    key = str(consultation_id)
    sealed = sealed_columns(table)["consultation_answers"]
    me = KELA if row.sender != KELA else county_organisation(row.county_code)
    async with transactions.begin() as work:
        value = sealed.seal(cipher_of(settings), reply.model_dump(mode="json"), key)
        if not await store.record_answer(work.conn, table, key, body.outcome.value, value, now):
            raise RuleRefused("consultation.not_open", "the consultation was just answered")
        work.announce(OutboxEntry.addressed(seal(reply, sender=me, recipient=row.sender)))
        work.account(_access(actor, "update", key, row.client_key, row.county_code))
    return store.ConsultationRecord(
        **{**found.__dict__, "status": ConsultationStatus(body.outcome.value), "answered_at": now}
    )


def consultation_receivers(
    table: Table, service: str, served: Callable[[Any], frozenset[str] | None]
) -> tuple[Callable[..., Awaitable[Mapping[UUID, Rejection]]], ...]:
    """The handlers of the other side's questions and of its answers to this side's
    questions; ``served``: the counties the deployment its settings describe serves (None on
    Kela's side)."""

    def not_served(settings: ServiceSettings, sender: str, recipient: str) -> bool:
        counties = served(settings)
        return counties is not None and _county_party(sender, recipient) not in counties

    async def questions(
        work: UnitOfWork, messages: Sequence[Incoming], settings: ServiceSettings
    ) -> Mapping[UUID, Rejection]:
        """Store each question once. Parked: for a county not served here
        (``consultation.county_not_served``), an id another party's consultation has
        (``consultation.duplicate_id``)."""
        found = await stored_rows(
            work.conn, table, (payload_of(m, ConsultationRequest).consultation_id for m in messages)
        )
        rejections: dict[UUID, Rejection] = {}
        question = sealed_columns(table)["consultation_questions"]
        for message in messages:
            envelope, request = message.envelope, payload_of(message, ConsultationRequest)
            key = str(request.consultation_id)
            if not_served(settings, envelope.sender, envelope.recipient):
                rejections[envelope.message_id] = Rejection(
                    "consultation.county_not_served", "this deployment does not serve that county"
                )
                continue
            if key in found:
                if found[key].sender != envelope.sender or found[key].direction != INCOMING:
                    rejections[envelope.message_id] = Rejection(
                        "consultation.duplicate_id", "another consultation has this id"
                    )
                continue  # the same question again changes nothing
            county = _county_party(envelope.sender, envelope.recipient)
            client_key = None
            if request.client is not None:
                client_key = client_key_of(settings, request.client.identity_code)
            payload = request.model_dump(mode="json")
            row = {
                "consultation_id": key,
                "county_code": county,
                "payload": question.seal(cipher_of(settings), payload, key),
                "client_key": client_key,
                "direction": INCOMING,
                "sender": envelope.sender,
                "status": ConsultationStatus.ASKED.value,
                "purposes": store.purposes_text(request.purposes),
                "asked_at": request.asked_at,
                "due_at": request.due_at,
            }
            await work.conn.execute(table.insert().values(**row))
            found[key] = (await stored_rows(work.conn, table, [key]))[key]
            actor = service_actor(service, envelope.sender)
            work.account(_access(actor, "create", key, client_key, county, "bus"))
        return rejections

    async def answers(
        work: UnitOfWork, messages: Sequence[Incoming], settings: ServiceSettings
    ) -> Mapping[UUID, Rejection]:
        """Record each answer to a question this side asked. Parked: an answer to no question
        asked of the sender (``consultation.unknown``), after the deadline
        (``consultation.expired``), to another question's purposes
        (``consultation_answer.purposes_mismatch``), or a second, different answer
        (``consultation.already_answered``)."""
        replies = {m.envelope.message_id: payload_of(m, ConsultationAnswer) for m in messages}
        found = await stored_rows(work.conn, table, (r.consultation_id for r in replies.values()))
        rejections: dict[UUID, Rejection] = {}
        sealed = sealed_columns(table)["consultation_answers"]
        for message in messages:
            envelope, reply = message.envelope, replies[message.envelope.message_id]
            key = str(reply.consultation_id)
            row = found.get(key)
            refusal = _answer_refusal(row, envelope.sender, envelope.recipient, reply)
            if refusal is not None:
                rejections[envelope.message_id] = refusal
                continue
            assert row is not None
            if row.status != ConsultationStatus.ASKED:
                continue  # the same answer again changes nothing
            value = sealed.seal(cipher_of(settings), reply.model_dump(mode="json"), key)
            await store.record_answer(
                work.conn, table, key, reply.outcome.value, value, reply.answered_at
            )
            found[key] = (await stored_rows(work.conn, table, [key]))[key]
            actor = service_actor(service, envelope.sender)
            work.account(_access(actor, "update", key, row.client_key, row.county_code, "bus"))
        return rejections

    return questions, answers


def _answer_refusal(
    row: Row[Any] | None, sender: str, recipient: str, reply: ConsultationAnswer
) -> Rejection | None:
    """Why an answer is not taken, or None (a repeat of the stored answer is taken)."""
    asked = None if row is None else county_organisation(row.county_code)
    expected = (asked, KELA) if row is not None and row.sender == KELA else (KELA, asked)
    if row is None or row.direction != OUTGOING or (sender, recipient) != expected:
        return Rejection("consultation.unknown", "no such question asked of the sender")
    if row.status != ConsultationStatus.ASKED:
        same = row.answered_at is not None and as_utc(row.answered_at) == reply.answered_at
        if same:
            return None
        return Rejection("consultation.already_answered", "the consultation was answered before")
    if reply.answered_at > as_utc(row.due_at):
        return Rejection("consultation.expired", "the answer came after the deadline")
    if store.purposes_text(reply.purposes) != row.purposes:
        return Rejection("consultation_answer.purposes_mismatch", "the answer names other purposes")
    return None
