from typing import Any

import pytest
from pydantic import TypeAdapter, ValidationError
from silta_schemas import (
    KELA,
    ClientAddress,
    ClientContact,
    KelaContact,
    OrganisationId,
    county_code_of,
    county_organisation,
)

from .support import assert_rule

organisation = TypeAdapter(OrganisationId)


@pytest.mark.parametrize("org", ["kela", "county-01", "county-11", "county-21", "county-90"])
def test_valid_organisation_ids(org: str) -> None:
    assert organisation.validate_python(org) == org


@pytest.mark.parametrize("org", ["Kela", "county-00", "county-22", "county-91", "county-5", ""])
def test_invalid_organisation_ids(org: str) -> None:
    with pytest.raises(ValidationError):
        organisation.validate_python(org)


def test_county_organisation_round_trip() -> None:
    assert county_organisation("05") == "county-05"
    assert county_code_of("county-05") == "05"
    assert county_code_of(KELA) is None


@pytest.mark.parametrize("code", ["91", "5", "00", "22"])
def test_county_organisation_rejects_non_counties(code: str) -> None:
    with pytest.raises(ValueError, match="county code"):
        county_organisation(code)


@pytest.mark.parametrize("org", ["county-91", "municipality-091", ""])
def test_county_code_of_rejects_non_organisations(org: str) -> None:
    with pytest.raises(ValueError, match="organisation"):
        county_code_of(org)


KELA_CONTACT = {"name": "Maija M", "team": "Kuntayhteistyö", "phone": "+358 20 634 0000"}


def test_kela_contact_email_is_optional() -> None:
    assert KelaContact.model_validate(KELA_CONTACT).email is None


@pytest.mark.parametrize(
    ("change", "rule", "loc"),
    [
        ({"phone": "call me"}, "string_pattern_mismatch", ("phone",)),
        ({"email": "not-an-email"}, "string_pattern_mismatch", ("email",)),
        ({"name": ""}, "string_too_short", ("name",)),
        ({"home_address": "x"}, "extra_forbidden", ("home_address",)),
    ],
)
def test_kela_contact_rules(change: dict[str, Any], rule: str, loc: tuple[str, ...]) -> None:
    assert_rule(KelaContact, KELA_CONTACT | change, rule, loc)


@pytest.mark.parametrize("postal_code", ["5380", "538000", "ABCDE", "53 850"])
def test_postal_code_is_five_digits(postal_code: str) -> None:
    data = {"street": "Katu 1", "postal_code": postal_code, "post_office": "Lappeenranta"}
    assert_rule(ClientAddress, data, "string_pattern_mismatch", ("postal_code",))


def test_empty_client_contact_is_rejected() -> None:
    assert_rule(ClientContact, {}, "client.contact_empty")
    assert ClientContact(email="a@example.fi").email == "a@example.fi"


def test_models_are_frozen() -> None:
    contact = KelaContact.model_validate(KELA_CONTACT)
    with pytest.raises(ValidationError):
        contact.name = "Other"  # type: ignore[misc]
