"""Routing: the client's municipality of residence decides the wellbeing services county."""

from datetime import date
from typing import Annotated, Final

from pydantic import Field

from silta_schemas._municipalities import COUNTY_NAMES, MUNICIPALITY_COUNTY, MUNICIPALITY_NAMES

__all__ = [
    "COUNTY_CODES",
    "COUNTY_NAMES",
    "FIRST_YEAR",
    "LAST_YEAR",
    "MUNICIPALITY_NAMES",
    "MunicipalityCode",
    "RoutingError",
    "county_for_municipality",
]

COUNTY_CODES: Final = frozenset(COUNTY_NAMES)
"""`01`-`21` and `90` (City of Helsinki, which organises its own social services)."""
FIRST_YEAR: Final = min(MUNICIPALITY_COUNTY)
LAST_YEAR: Final = max(MUNICIPALITY_COUNTY)

MunicipalityCode = Annotated[
    str,
    Field(
        pattern=r"^\d{3}$",
        description="Statistics Finland municipality code (kuntanumero), 3 digits.",
        examples=["405"],
    ),
]


class RoutingError(ValueError):
    """No county for this municipality; `rule` is `routing.aland` or `routing.unknown_municipality`.

    Messages never name the municipality: under address non-disclosure even that is
    a location.
    """

    def __init__(self, rule: str, message: str) -> None:
        super().__init__(message)
        self.rule = rule
        self.message = message


def county_for_municipality(municipality_code: str, on: date) -> str:
    """County code for a municipality on a date, using that year's classification.

    Years outside the data are clamped to the nearest year we have: municipal mergers take
    effect on 1 January, so the nearest year is the best guess.
    """
    year = min(max(on.year, FIRST_YEAR), LAST_YEAR)
    mapping = MUNICIPALITY_COUNTY[year]
    if municipality_code not in mapping:
        raise RoutingError(
            "routing.unknown_municipality",
            f"the municipality code is not a municipality of Finland in {year}",
        )
    county = mapping[municipality_code]
    if county is None:
        raise RoutingError(
            "routing.aland",
            "the municipality is in Åland, which is outside the wellbeing services counties: "
            "there is no county to send to",
        )
    return county
