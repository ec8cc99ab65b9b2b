"""Red team 4: personnummer.

* A compact personnummer shape after an order or reference word ("Order",
  "Spårningsnummer", "Fakturanr", "OCR") is lowered as in a field named for a
  business number (0.35), not by 0.25: the twelve-digit form (0.8) stayed
  reported at 0.55, and order, tracking and case numbers made of a date and a
  four-digit sequence ("Order 202405170042") pass as a personnummer one time in
  ten (reference §6.1, §6.2, §6.4). Written with its dash it is still reported.
"""

from __future__ import annotations

from datetime import date

import pytest

from detectors.checksums import luhn_check_digit
from detectors.scan import Scanner

SCANNER = Scanner()
REF = date(2026, 11, 24)


def _pnr12(yyyymmdd: str, serial: str) -> str:
    ten = yyyymmdd[2:] + serial
    return yyyymmdd[:2] + ten + luhn_check_digit(ten)


# a date and a four-digit sequence that happen to pass (born 2024-05-17, 1981-12-28)
DATED = _pnr12("20240517", "871")  # "871x" is no time of day
OLD = _pnr12("19811228", "987")


@pytest.mark.parametrize(
    "before",
    ["Order ", "Ordernummer: ", "Spårningsnummer ", "Fakturanr ", "Ärende ", "Kolli-id: ", "OCR: ", "Referens ", "Transaktions-ID "],
)
@pytest.mark.parametrize("number", [DATED, OLD])
def test_a_compact_12_digit_number_after_an_order_word_is_not_reported(before: str, number: str) -> None:
    assert [m for m in SCANNER.find(before + number, ref_date=REF) if m.kind == "personnummer"] == []


@pytest.mark.parametrize("before", ["Order ", "Ärende ", "OCR: "])
def test_the_dashed_form_after_an_order_word_is_still_reported(before: str) -> None:
    text = before + OLD[:8] + "-" + OLD[8:]
    assert [(m.kind, m.value) for m in SCANNER.find(text, ref_date=REF)] == [("personnummer", OLD)]


@pytest.mark.parametrize("text", [f"Personnummer {OLD}", f"Kund: Anna Berg, {OLD}", f"{OLD}", f"Order {DATED}, pnr {OLD}"])
def test_a_compact_12_digit_personnummer_elsewhere_is_reported(text: str) -> None:
    assert OLD in [m.value for m in SCANNER.find(text, ref_date=REF) if m.kind == "personnummer"]


@pytest.mark.parametrize(
    "text",
    ["pers nr: 811228 9874", "Pers. nr 811228 9874", "Pers nummer: 811228 9874", "person nr 811228 9874", "Person-nr: 811228.9874"],
)
def test_pers_nr_written_apart_is_a_personnummer_keyword(text: str) -> None:
    # the space-separated form needs a keyword (reference §6.13); "pers nr" was none
    ms = SCANNER.find(text, ref_date=REF)
    assert [(m.kind, m.value) for m in ms] == [("personnummer", "198112289874")]
    assert "context:personnummer" in ms[0].why


@pytest.mark.parametrize(
    "text",
    ["Reserve number: 19811228-AB12", "reservnumret 19811228-AB12", "Patient reserve no. 19811228K071", "reservnumret är 991981123456"],
)
def test_reservnummer_keyword_in_english_and_definite(text: str) -> None:
    ms = SCANNER.find(text, ref_date=REF)
    assert [(m.kind, m.subkind) for m in ms] == [("personnummer", "reservnummer")]
