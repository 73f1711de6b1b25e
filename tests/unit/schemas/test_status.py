import pytest
from silta_schemas import STATUS_UPDATE_EXAMPLES, StatusAcknowledgement, StatusUpdate

from .support import Body, assert_rule

REASON = "Wrong unit: the client is already a client of child welfare."

# (status, event, outcome, reason) that are complete and minimal for each status
VALID = [
    ("accepted", None, None, None),
    ("in_progress", "contact_attempted", None, None),
    ("in_progress", "client_relationship_started", None, None),
    ("completed", None, "no_need_found", None),
    ("rejected", None, None, REASON),
]


def body(status: str, event: str | None, outcome: str | None, reason: str | None) -> Body:
    return {"status": status, "event": event, "outcome": outcome, "reason": reason}


def forwarded(municipality: str | None = "091", county: str | None = "90") -> Body:
    return {
        "status": "forwarded",
        "event": None,
        "outcome": None,
        "reason": REASON,
        "forwarded_to_municipality": municipality,
    } | ({} if county == "skip" else {"forwarded_to_county": county})


@pytest.mark.parametrize("name", sorted(STATUS_UPDATE_EXAMPLES))
def test_examples_are_valid(name: str) -> None:
    example = STATUS_UPDATE_EXAMPLES[name]
    assert StatusUpdate.model_validate(example).model_dump(mode="json") == example
    assert example["status"] == name


@pytest.mark.parametrize("values", VALID)
def test_valid_updates(values: tuple[str, str | None, str | None, str | None]) -> None:
    assert StatusUpdate.model_validate(body(*values)).status == values[0]


@pytest.mark.parametrize(
    ("values", "rule"),
    [
        (("in_progress", None, None, None), "status.event_required"),
        (("accepted", "client_reached", None, None), "status.event_not_allowed"),
        (("completed", "client_reached", "client_declined", None), "status.event_not_allowed"),
        (("completed", None, None, None), "status.outcome_required"),
        (("accepted", None, "client_declined", None), "status.outcome_not_allowed"),
        (("in_progress", "client_reached", "client_declined", None), "status.outcome_not_allowed"),
        (("rejected", None, None, None), "status.reason_required"),
        (("accepted", None, None, REASON), "status.reason_not_allowed"),
        (("completed", None, "no_need_found", REASON), "status.reason_not_allowed"),
    ],
)
def test_update_rules(values: tuple[str, str | None, str | None, str | None], rule: str) -> None:
    assert_rule(StatusUpdate, body(*values), rule)


@pytest.mark.parametrize("status", ["sent", "delivered", "cancelled", "done"])
def test_statuses_a_county_cannot_post(status: str) -> None:
    assert_rule(StatusUpdate, body(status, None, None, REASON), "literal_error", ("status",))


def test_forwarding_names_the_municipality_that_decides_the_county() -> None:
    update = forwarded(county="skip")
    assert StatusUpdate.model_validate(update).forwarded_to_municipality == "091"


@pytest.mark.parametrize(
    ("changes", "rule"),
    [
        ({"forwarded_to_municipality": None}, "status.forward_target_required"),
        ({"reason": None}, "status.reason_required"),
        ({"forwarded_to_municipality": "478"}, "routing.aland"),
        ({"forwarded_to_municipality": "999"}, "routing.unknown_municipality"),
        ({"status": "accepted", "reason": None}, "status.forward_target_not_allowed"),
    ],
)
def test_forwarding_rules(changes: Body, rule: str) -> None:
    assert_rule(StatusUpdate, forwarded(county="skip") | changes, rule)


def test_reason_must_not_contain_identity_code() -> None:
    data = body("rejected", None, None, "Client 131052-308T is not ours")
    assert_rule(StatusUpdate, data, "free_text.identity_code", ("reason",))


def test_update_rejects_case_content() -> None:
    data = body("accepted", None, None, None) | {"notes": "client was upset"}
    assert_rule(StatusUpdate, data, "extra_forbidden", ("notes",))


# --- acknowledgement ------------------------------------------------------------------------


def test_acknowledgement_example_is_valid(acknowledgement: Body) -> None:
    model = StatusAcknowledgement.model_validate(acknowledgement)
    assert model.model_dump(mode="json") == acknowledgement


@pytest.mark.parametrize(
    ("values", "rule"),
    [
        (("delivered", "client_reached", None, None), "status.event_not_allowed"),
        (("delivered", None, "client_declined", None), "status.outcome_not_allowed"),
        (("delivered", None, None, REASON), "status.reason_not_allowed"),
        (("cancelled", None, None, None), "status.reason_required"),
        (("completed", None, None, None), "status.outcome_required"),
        (("in_progress", None, None, None), "status.event_required"),
    ],
)
def test_acknowledgement_rules(
    acknowledgement: Body, values: tuple[str, str | None, str | None, str | None], rule: str
) -> None:
    assert_rule(StatusAcknowledgement, acknowledgement | body(*values), rule)


@pytest.mark.parametrize(
    "values",
    [
        ("delivered", None, None, None),
        ("completed", None, "decided", None),
    ],
)
def test_valid_acknowledgements(
    acknowledgement: Body, values: tuple[str, str | None, str | None, str | None]
) -> None:
    assert StatusAcknowledgement.model_validate(acknowledgement | body(*values))


def test_forwarded_acknowledgement_names_county_and_municipality(acknowledgement: Body) -> None:
    ack = StatusAcknowledgement.model_validate(acknowledgement | forwarded())
    assert (ack.forwarded_to_county, ack.forwarded_to_municipality) == ("90", "091")


@pytest.mark.parametrize(
    ("changes", "rule"),
    [
        (forwarded(county="11"), "status.forward_target_mismatch"),
        (forwarded(county=None), "status.forward_target_mismatch"),
        (forwarded(municipality=None, county=None), "status.forward_target_required"),
        (forwarded() | {"reason": None}, "status.reason_required"),
        (
            body("accepted", None, None, None) | {"forwarded_to_county": "90"},
            "status.forward_target_mismatch",
        ),
    ],
)
def test_forwarded_acknowledgement_rules(acknowledgement: Body, changes: Body, rule: str) -> None:
    assert_rule(StatusAcknowledgement, acknowledgement | changes, rule)


def test_cancelled_acknowledgement_is_kelas_change(acknowledgement: Body) -> None:
    cancelled = body("cancelled", None, None, REASON)
    ack = StatusAcknowledgement.model_validate(acknowledgement | cancelled | {"changed_by": "kela"})
    assert ack.changed_by == "kela"
    assert_rule(StatusAcknowledgement, acknowledgement | cancelled, "status.changed_by")
    kela_accepting = body("accepted", None, None, None) | {"changed_by": "kela"}
    assert_rule(StatusAcknowledgement, acknowledgement | kela_accepting, "status.changed_by")


@pytest.mark.parametrize(
    ("change", "rule", "loc"),
    [
        ({"sequence": 0}, "greater_than_equal", ("sequence",)),
        ({"referral_id": "not-a-uuid"}, "uuid_parsing", ("referral_id",)),
        ({"changed_at": "2026-03-04T13:30:00"}, "timezone_aware", ("changed_at",)),
        ({"changed_by": "county-91"}, "string_pattern_mismatch", ("changed_by",)),
        ({"kind": "status_update"}, "literal_error", ("kind",)),
        ({"responsible_worker": "x"}, "extra_forbidden", ("responsible_worker",)),
    ],
)
def test_acknowledgement_fields(
    acknowledgement: Body, change: Body, rule: str, loc: tuple[str, ...]
) -> None:
    assert_rule(StatusAcknowledgement, acknowledgement | change, rule, loc)
