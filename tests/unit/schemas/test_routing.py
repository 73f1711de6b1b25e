import csv
import functools
from collections import Counter
from datetime import date
from pathlib import Path
from types import ModuleType

import pytest
from silta_schemas import COUNTY_CODES, COUNTY_NAMES, RoutingError, county_for_municipality
from silta_schemas import _municipalities as generated

from tests.scripts import load_script

REPO = Path(__file__).resolve().parents[3]
CSV_PATH = REPO / "shared" / "schemas" / "data" / "municipalities.csv"
ALAND = [
    "035", "043", "060", "062", "065", "076", "170", "295",
    "318", "417", "438", "478", "736", "766", "771", "941",
]  # fmt: skip


@functools.cache
def load_generator() -> ModuleType:
    """Import tools/gen_municipalities.py (not a package) once."""
    return load_script(REPO / "tools" / "gen_municipalities.py", "gen_municipalities")


@pytest.mark.parametrize(
    ("municipality", "county"),
    [
        ("091", "90"),  # Helsinki organises its own social services
        ("405", "11"),  # Lappeenranta → Etelä-Karjala
        ("186", "02"),  # Järvenpää → Keski-Uusimaa
        ("285", "10"),  # Kotka → Kymenlaakso
        ("398", "09"),  # Lahti → Päijät-Häme
        ("049", "03"),  # Espoo → Länsi-Uusimaa
        ("092", "04"),  # Vantaa → Vantaa–Kerava
        ("698", "21"),  # Rovaniemi → Lappi
    ],
)
@pytest.mark.parametrize("year", [2024, 2025, 2026])
def test_spot_checks(municipality: str, county: str, year: int) -> None:
    assert county_for_municipality(municipality, date(year, 6, 1)) == county


@pytest.mark.parametrize("municipality", ALAND)
def test_aland_has_no_county(municipality: str) -> None:
    with pytest.raises(RoutingError) as caught:
        county_for_municipality(municipality, date(2026, 1, 1))
    assert caught.value.rule == "routing.aland"
    assert "Åland" in str(caught.value)
    assert municipality not in str(caught.value)  # a location is personal data under turvakielto


@pytest.mark.parametrize("municipality", ["999", "000", "90", "4055", ""])
def test_unknown_municipality(municipality: str) -> None:
    with pytest.raises(RoutingError) as caught:
        county_for_municipality(municipality, date(2026, 1, 1))
    assert caught.value.rule == "routing.unknown_municipality"
    assert isinstance(caught.value, ValueError)


@pytest.mark.parametrize(
    ("on", "expected"),
    [
        (date(2020, 1, 1), "12"),  # clamped to 2024, when Pertunmaa still existed
        (date(2024, 12, 31), "12"),
        (date(2025, 1, 1), None),  # merged into Mäntyharju on 2025-01-01
        (date(2031, 1, 1), None),  # clamped to 2026
    ],
)
def test_year_is_clamped_into_the_data(on: date, expected: str | None) -> None:
    if expected is not None:
        assert county_for_municipality("588", on) == expected
    else:
        with pytest.raises(RoutingError, match=f"in {min(on.year, 2026)}$"):
            county_for_municipality("588", on)
    assert county_for_municipality("507", on) == "12"  # Mäntyharju, every year


def test_county_codes() -> None:
    expected = {f"{n:02d}" for n in range(1, 22)} | {"90"}
    assert expected == COUNTY_CODES
    assert COUNTY_NAMES["11"] == "Etelä-Karjalan hyvinvointialue"
    assert COUNTY_NAMES["90"] == "Helsingin kaupunki"


def test_data_matches_the_documented_row_counts() -> None:
    with CSV_PATH.open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert Counter(r["valid_year"] for r in rows) == {"2024": 309, "2025": 308, "2026": 308}
    for valid_year in ("2024", "2025", "2026"):
        aland = sorted(
            r["municipality_code"]
            for r in rows
            if r["valid_year"] == valid_year and not r["county_code"]
        )
        assert aland == ALAND
    for year, mapping in generated.MUNICIPALITY_COUNTY.items():
        assert len(mapping) == (309 if year == 2024 else 308)
        assert {c for c in mapping.values() if c is not None} == COUNTY_CODES


def test_generated_module_is_up_to_date() -> None:
    gen = load_generator()
    text = gen.render(gen.parse(CSV_PATH.read_text(encoding="utf-8")))
    assert text == Path(generated.__file__).read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("bad_row", "message"),
    [
        ("05,X,X,16,Y,Y,2024", "bad municipality code"),
        ("005,X,X,22,Y,Y,2024", "bad county code"),
        ("005,X,X,16,,,2024", "both set or both empty"),
    ],
)
def test_generator_rejects_bad_rows(bad_row: str, message: str) -> None:
    header = CSV_PATH.read_text(encoding="utf-8").splitlines()[0]
    with pytest.raises(ValueError, match=message):
        load_generator().parse(f"{header}\n{bad_row}\n")


def test_generator_rejects_duplicates() -> None:
    header = CSV_PATH.read_text(encoding="utf-8").splitlines()[0]
    row = "005,Alajärvi,Alajärvi,16,Etelä-Pohjanmaan hyvinvointialue,Södra,2024"
    with pytest.raises(ValueError, match="duplicate"):
        load_generator().parse(f"{header}\n{row}\n{row}\n")
