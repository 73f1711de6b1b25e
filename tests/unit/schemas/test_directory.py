"""The contact directory's contracts: entries, the update payload, the service catalogue, and
the envelope rules for a kind both sides send."""

import json
from typing import Any
from uuid import UUID

import pytest
from silta_schemas import (
    ALL_COUNTIES,
    DIRECTORY_ENTRY_REQUEST_EXAMPLE,
    DIRECTORY_UPDATE_EXAMPLE,
    KELA_SERVICE_CATALOGUE,
    SENDER_SIDE,
    Actor,
    ContactChannel,
    DirectoryEntry,
    DirectoryEntryRequest,
    DirectoryUpdate,
    KelaService,
    MessageKind,
    MessageRejected,
    NoticeOfNeed,
    Purpose,
    open_message,
    purpose_and_legal_basis,
    seal,
)
from silta_schemas.text import FREE_TEXT_MAX, SHORT_TEXT_MAX

from .support import (
    OTHER_CODE,
    REFERRAL,
    Body,
    assert_no_identity_code,
    assert_rule,
    example_fixture,
    rejected,
)

ENTRY_ID = "7c1d2e3f-4a5b-4c6d-8e9f-0a1b2c3d4e5f"


request_body = example_fixture(DIRECTORY_ENTRY_REQUEST_EXAMPLE)


@pytest.fixture
def county_body() -> Body:
    return {
        "organisation": "county-11",
        "county_code": "11",
        "unit": "Aikuissosiaalityö, Lappeenranta",
        "person_name": None,
        "role": "sosiaaliohjaus, yhteinen linja (shared line)",
        "channels": [{"type": "phone", "value": "040 123 4567", "note": "Mon-Fri 9-11"}],
        "hours": "Mon-Fri 9-11",
    }


update = example_fixture(DIRECTORY_UPDATE_EXAMPLE)


def entry(body: Body, entry_id: str = ENTRY_ID) -> Body:
    return body | {"entry_id": entry_id, "updated_at": "2026-03-02T12:00:00+02:00"}


# --- the catalogue ----------------------------------------------------------------------------


def test_catalogue_covers_every_kela_service() -> None:
    assert set(KELA_SERVICE_CATALOGUE) == set(KelaService)
    assert {s.value for s in KelaService} == {
        "municipal_cooperation",
        "multiprofessional_service",
        "case_manager_service",
        "authorities_phone_line",
    }
    for service, item in KELA_SERVICE_CATALOGUE.items():
        assert item.service is service
        assert item.refer_when, service


# --- entries ----------------------------------------------------------------------------------


def test_kela_entry_may_name_an_area_or_be_national(request_body: Body) -> None:
    assert DirectoryEntryRequest.model_validate(request_body).county_code == "11"
    national = request_body | {"county_code": None, "services": ["authorities_phone_line"]}
    assert DirectoryEntryRequest.model_validate(national).county_code is None


def test_county_unit_with_a_shared_line(county_body: Body) -> None:
    model = DirectoryEntry.model_validate(entry(county_body))
    assert model.person_name is None
    assert model.services == ()
    assert model.county_code == "11"


def test_county_entry_needs_its_own_county(county_body: Body) -> None:
    assert_rule(
        DirectoryEntryRequest, county_body | {"county_code": None}, "directory.county_required"
    )
    assert_rule(
        DirectoryEntryRequest, county_body | {"county_code": "05"}, "directory.county_mismatch"
    )


@pytest.mark.parametrize(
    ("changes", "rule", "loc"),
    [
        ({"organisation": "county-99"}, "string_pattern_mismatch", ("organisation",)),
        ({"organisation": "Kela"}, "string_pattern_mismatch", ("organisation",)),
        ({"county_code": "22"}, "string_pattern_mismatch", ("county_code",)),
        ({"channels": []}, "too_short", ("channels",)),
        ({"unit": " "}, "string_too_short", ("unit",)),
        ({"role": "x" * (SHORT_TEXT_MAX + 1)}, "string_too_long", ("role",)),
        ({"hours": "x" * (SHORT_TEXT_MAX + 1)}, "string_too_long", ("hours",)),
        ({"description": "x" * (FREE_TEXT_MAX + 1)}, "string_too_long", ("description",)),
        ({"topics": ["x" * (SHORT_TEXT_MAX + 1)]}, "string_too_long", ("topics", 0)),
        ({"topics": [f"topic {n}" for n in range(11)]}, "too_long", ("topics",)),
        ({"services": ["municipal_cooperation"] * 2}, "directory.duplicate_service", ()),
        ({"services": ["chat"]}, "enum", ("services", 0)),
        ({"client": {"identity_code": "131052-308T"}}, "extra_forbidden", ("client",)),
        ({"hours": None}, "string_type", ("hours",)),
    ],
)
def test_invalid_entry(request_body: Body, changes: Body, rule: str, loc: tuple[Any, ...]) -> None:
    assert_rule(DirectoryEntryRequest, request_body | changes, rule, loc)


def test_channels_are_bounded(request_body: Body) -> None:
    channel = {"type": "other", "value": "Teams: Maija Meikäläinen", "note": None}
    assert_rule(
        DirectoryEntryRequest, request_body | {"channels": [channel] * 6}, "too_long", ("channels",)
    )


@pytest.mark.parametrize(
    ("channel", "rule"),
    [
        ({"type": "phone", "value": "call Maija"}, "channel.phone_format"),
        ({"type": "phone", "value": "kuntayhteistyo@example.fi"}, "channel.phone_format"),
        ({"type": "email", "value": "+358 20 634 0000"}, "channel.email_format"),
        ({"type": "secure_email", "value": "kela at example"}, "channel.email_format"),
        ({"type": "fax", "value": "+358 20 634 0000"}, "enum"),
    ],
)
def test_channel_value_must_match_its_type(channel: Body, rule: str) -> None:
    loc: tuple[Any, ...] = ("type",) if rule == "enum" else ()
    assert_rule(ContactChannel, channel, rule, loc)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("unit", f"Team of {OTHER_CODE}"),
        ("person_name", "131052-308T"),
        ("role", "worker 131052-308T"),
        ("hours", "ask 131052-308T"),
        ("description", f"Client {OTHER_CODE} is known here"),
        ("topics", [f"client {OTHER_CODE}"]),
    ],
)
def test_no_identity_code_in_any_text(request_body: Body, field: str, value: Any) -> None:
    loc: tuple[Any, ...] = (field, 0) if field == "topics" else (field,)
    error = assert_rule(
        DirectoryEntryRequest, request_body | {field: value}, "free_text.identity_code", loc
    )
    assert_no_identity_code(str(error), OTHER_CODE)


def test_no_identity_code_in_a_channel_note() -> None:
    note = {"type": "other", "value": "Teams", "note": "re 131052-308T"}
    assert_rule(ContactChannel, note, "free_text.identity_code", ("note",))


def test_entry_needs_id_and_aware_time(request_body: Body) -> None:
    assert_rule(DirectoryEntry, request_body, "missing", ("entry_id",))
    naive = entry(request_body) | {"updated_at": "2026-03-02T12:00:00"}
    assert_rule(DirectoryEntry, naive, "timezone_aware", ("updated_at",))


# --- the update payload -----------------------------------------------------------------------


def test_update_removing_only(update: Body) -> None:
    update["entries"] = []
    assert DirectoryUpdate.model_validate(update).removed == (
        UUID("2f4e6a8c-1b3d-4f5a-9c7e-8d6b4a2c0e1f"),
    )


def test_update_must_change_something(update: Body) -> None:
    assert_rule(DirectoryUpdate, update | {"entries": [], "removed": []}, "directory.update_empty")


def test_update_names_each_entry_once(update: Body) -> None:
    assert_rule(DirectoryUpdate, update | {"removed": [ENTRY_ID]}, "directory.duplicate_entry")
    twice = update | {"entries": update["entries"] * 2, "removed": []}
    assert_rule(DirectoryUpdate, twice, "directory.duplicate_entry")


def test_update_is_bounded(update: Body) -> None:
    many = [str(UUID(int=n)) for n in range(1, 102)]
    assert_rule(DirectoryUpdate, update | {"removed": many}, "too_long", ("removed",))


def test_invalid_entry_inside_an_update_names_its_path(update: Body) -> None:
    update["entries"][0]["description"] = f"about {OTHER_CODE}"
    assert_rule(DirectoryUpdate, update, "free_text.identity_code", ("entries", 0, "description"))


# --- the envelope -----------------------------------------------------------------------------


def kela_update(update: Body) -> DirectoryUpdate:
    return DirectoryUpdate.model_validate(update)


def county_update(county_body: Body) -> DirectoryUpdate:
    return DirectoryUpdate.model_validate(
        {
            "kind": "directory_update",
            "entries": [entry(county_body)],
            "changed_at": "2026-03-02T12:00:00+02:00",
        }
    )


def test_both_sides_may_send_it() -> None:
    assert SENDER_SIDE[MessageKind.DIRECTORY_UPDATE] == {Actor.KELA, Actor.COUNTY}
    assert SENDER_SIDE[MessageKind.NOTICE_OF_NEED] == {Actor.KELA}


def test_kela_sends_its_part_to_every_county(update: Body) -> None:
    payload = kela_update(update)
    envelope = seal(payload, sender="kela", recipient=ALL_COUNTIES)
    assert envelope.referral_id is None
    assert envelope.kind == MessageKind.DIRECTORY_UPDATE
    assert (envelope.purpose, envelope.legal_basis) == purpose_and_legal_basis(payload)
    assert envelope.purpose == Purpose.COOPERATION_DIRECTORY
    assert "no client data" in envelope.legal_basis
    opened = open_message(envelope.to_bytes())
    assert opened.payload == payload
    assert opened.envelope == envelope


def test_a_county_sends_its_part_to_kela(county_body: Body) -> None:
    payload = county_update(county_body)
    opened = open_message(seal(payload, sender="county-11", recipient="kela").to_bytes())
    assert opened.payload == payload


@pytest.mark.parametrize(
    ("sender", "recipient", "rule"),
    [
        ("county-11", "kela", "directory.wrong_owner"),  # Kela's entry sent by a county
        ("kela", "county-11", "envelope.wrong_recipient"),
        ("kela", "kela", "envelope.wrong_recipient"),
        ("county-11", ALL_COUNTIES, "envelope.wrong_recipient"),
    ],
)
def test_seal_checks_owner_and_recipient(
    update: Body, sender: str, recipient: str, rule: str
) -> None:
    with pytest.raises(MessageRejected) as caught:
        seal(kela_update(update), sender=sender, recipient=recipient)
    assert caught.value.rule == rule


def test_an_entry_of_another_owner_is_rejected_on_receipt(county_body: Body) -> None:
    sealed = json.loads(
        seal(county_update(county_body), sender="county-11", recipient="kela").to_bytes()
    )
    sealed["sender"] = "county-05"  # someone else's entry
    error = rejected(sealed, OTHER_CODE)
    assert error.rule == "directory.wrong_owner"
    sealed["sender"] = "kela"
    sealed["recipient"] = ALL_COUNTIES
    assert rejected(sealed, OTHER_CODE).rule == "directory.wrong_owner"


def test_a_directory_update_belongs_to_no_referral(update: Body) -> None:
    sealed = json.loads(seal(kela_update(update), sender="kela", recipient=ALL_COUNTIES).to_bytes())
    assert sealed["referral_id"] is None
    sealed["referral_id"] = str(REFERRAL)
    assert rejected(sealed, OTHER_CODE).rule == "envelope.referral_id_not_allowed"
    del sealed["referral_id"]
    error = rejected(sealed, OTHER_CODE)
    assert (error.rule, error.detail) == ("envelope.invalid", "referral_id: missing")


def test_referral_kinds_still_need_a_referral_id() -> None:
    from silta_schemas.examples import NOTICE_OF_NEED_EXAMPLE

    notice = NoticeOfNeed.model_validate(NOTICE_OF_NEED_EXAMPLE)
    with pytest.raises(MessageRejected) as caught:
        seal(notice, sender="kela", recipient="county-11")
    assert caught.value.rule == "envelope.referral_id_required"
    sealed = json.loads(
        seal(notice, sender="kela", recipient="county-11", referral_id=REFERRAL).to_bytes()
    )
    sealed["referral_id"] = None
    assert rejected(sealed, OTHER_CODE).rule == "envelope.referral_id_required"
    sealed["referral_id"] = str(REFERRAL)
    sealed["recipient"] = ALL_COUNTIES  # a referral goes to one county only
    assert rejected(sealed, OTHER_CODE).rule == "envelope.wrong_recipient"


def test_purpose_must_match(update: Body) -> None:
    sealed = json.loads(seal(kela_update(update), sender="kela", recipient=ALL_COUNTIES).to_bytes())
    sealed["purpose"] = "social_welfare_referral"
    assert rejected(sealed, OTHER_CODE).rule == "envelope.purpose_mismatch"


def test_invalid_payload_detail_names_paths_and_rules_only(update: Body) -> None:
    sealed = json.loads(seal(kela_update(update), sender="kela", recipient=ALL_COUNTIES).to_bytes())
    sealed["payload"]["entries"][0]["person_name"] = OTHER_CODE
    error = rejected(sealed, OTHER_CODE)
    assert error.rule == "payload.invalid"
    assert error.detail == "payload.entries.0.person_name: free_text.identity_code"
