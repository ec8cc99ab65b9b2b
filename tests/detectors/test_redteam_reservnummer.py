"""Red-team findings: health-care reserve numbers (reference §1.7) were never reported."""

from __future__ import annotations

from datetime import date

import pytest

from detectors.scan import Scanner

SCANNER = Scanner()
R = date(2026, 11, 24)


def _reserv(text: str, hint: str | None = None) -> list[tuple[str, str]]:
    return [(text[m.start : m.end], m.value) for m in SCANNER.find(text, hint=hint, ref_date=R) if m.subkind == "reservnummer"]


@pytest.mark.parametrize(
    ("text", "written", "value"),
    [
        ("Reservnummer 19811228-AB12", "19811228-AB12", "19811228AB12"),  # national, 2 letters + 2 digits
        ("reservnr: 19811228ABC1", "19811228ABC1", "19811228ABC1"),  # national, 3 letters + 1 digit
        ("Patienten har reservnummer 19811228K071.", "19811228K071", "19811228K071"),  # VGR LRID
        ("Reserv-nr 19811228-12M3", "19811228-12M3", "19811228-12M3".replace("-", "")),  # Gävleborg
        ("reservnummer 19811228123R", "19811228123R", "19811228123R"),  # Västernorrland
        ("reservnummer 811228DA0B", "811228DA0B", "19811228DA0B"),  # Skåne, 6-digit date
        ("Reservnummer: 991981123456", "991981123456", "991981123456"),  # Region Stockholm
        ("reservnummer 198112451234", "198112451234", "198112451234"),  # Inera/Halland, day 45
    ],
)
def test_reservnummer_after_keyword(text: str, written: str, value: str) -> None:
    assert _reserv(text) == [(written, value)]


def test_reservnummer_in_fields() -> None:
    vals = ["19811228-AB12", "991981123456", "198112451234", "19811228R123"]
    got = [[m.value for m in ms] for ms in SCANNER.find_many(vals, "reservnummer")]
    assert got == [["19811228AB12"], ["991981123456"], ["198112451234"], ["19811228R123"]]
    # a letter form in a personnummer field; the digit-only forms and the interim-shaped one
    # (letter + 3 digits, an invalid interim number there) need the reserve-number name
    got = [[(m.subkind, m.value) for m in ms] for ms in SCANNER.find_many(vals, "personnummer")]
    assert got == [[("reservnummer", "19811228AB12")], [], [], []]


@pytest.mark.parametrize(
    "text",
    [
        "19811228-AB12",  # no keyword: a ticket or batch id as likely
        "Order 20230115AB12",
        "reservnummer 19811332-AB12",  # month 13
        "reservnummer 19811228-1234",  # no letter: a personnummer-shaped number, read by its own rules
        "991981123456",
        "198112451234",
        "reservation 20230115AB12",
    ],
)
def test_not_reservnummer(text: str) -> None:
    assert _reserv(text) == []


def test_interim_number_stays_interim() -> None:
    ms = SCANNER.find("reservnummer 000101-T220", ref_date=R)
    assert [(m.subkind, m.value) for m in ms] == [("interim", "20000101T220")]


def test_invalid_interim_number_in_a_personnummer_field_is_not_a_reservnummer() -> None:
    # reference §1.10 lists 20000101E220 as invalid; only a reservnummer label makes it one
    assert SCANNER.find_many(["20000101E220"], "personnummer") == [[]]
    assert [m.value for m in SCANNER.find_many(["20000101E220"], "reservnummer")[0]] == ["20000101E220"]


@pytest.mark.parametrize("value", ["811228-XXXX", "19811228-XXXX", "811228-98XX", "19811228-98xx"])
def test_masked_personnummer_is_no_reservnummer(value: str) -> None:
    # a masked number is a §6 trap: not reported, in a personnummer field or after the label
    assert SCANNER.find_many([value], "personnummer") == [[]]
    assert _reserv(f"reservnummer {value}") == []


@pytest.mark.parametrize("value", ["811228-TEST", "19811228-NULL", "19811228-ABCD", "811228-NNNN", "19811228-NNNC"])
def test_placeholders_are_no_reservnummer(value: str) -> None:
    # every §1.7 letter form has a digit among its last four characters
    assert SCANNER.find_many([value], "personnummer") == [[]]


@pytest.mark.parametrize("hint", [None, "ärende", "anteckning"])
def test_a_reserve_number_of_short_runs_is_not_lost_to_the_short_run_shortcut(hint: str | None) -> None:
    # "811228" and "071" are digit runs under 7 characters and "A" is no interim letter: the
    # scanner's shortcut for texts of short runs only (detectors.scan._only_short_runs) skipped
    # the label-led reserve-number pass, in free text and in fields hinted for nothing
    text = "reservnummer 811228A071"
    assert _reserv(text, hint) == [("811228A071", "19811228A071")]
    assert [m.subkind for m in SCANNER.find_many([text], hint=hint, ref_dates=[R])[0]] == ["reservnummer"]
