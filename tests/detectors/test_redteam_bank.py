"""Red-team findings for bank accounts (reference §3.2, §3.4)."""

from __future__ import annotations

from datetime import date

import pytest

from detectors.scan import Scanner

SCANNER = Scanner()
R = date(2026, 11, 24)


@pytest.mark.parametrize(
    ("text", "value"),
    [
        # §3.4 valid vectors (type 2, comment 1/3: a 10-digit Luhn account). The account
        # 1111111116 is also a valid compact personnummer (2011-11-11), which took the span
        # at 0.7 over the spaced account (0.65) even after "kontonummer"
        ("kontonummer 9180 1111111116", "9180-1111111116"),
        ("Kontonummer: 9500 1111111116", "9500-1111111116"),
        ("konto 9300 8112289874", "9300-8112289874"),
        ("bankkonto 9570 8112289874", "9570-8112289874"),
    ],
)
def test_ten_digit_account_after_keyword_beats_compact_personnummer(text: str, value: str) -> None:
    ms = SCANNER.find(text, ref_date=R)
    assert [(m.kind, m.value) for m in ms] == [("bank_account", value)]


def test_without_keyword_the_personnummer_reading_stays() -> None:
    ms = SCANNER.find("9180 8112289874", ref_date=R)
    assert [(m.kind, m.value) for m in ms] == [("personnummer", "198112289874")]


def test_personkonto_unchanged() -> None:
    ms = SCANNER.find("kontonummer 3300 8112289874", ref_date=R)
    assert sorted((m.kind, m.value, m.inside) for m in ms) == [
        ("bank_account", "3300-8112289874", None),
        ("personnummer", "198112289874", "personkonto"),
    ]


@pytest.mark.parametrize(
    ("value", "iban"),
    [
        ("se4550000000058398257466", "SE4550000000058398257466"),
        ("se45 5000 0000 0583 9825 7466", "SE4550000000058398257466"),
        ("Se41 1200 0000 0127 4023 5305", "SE4112000000012740235305"),
    ],
)
def test_lower_case_iban_in_an_account_field(value: str, iban: str) -> None:
    # §3.7 vectors typed in lower case into a web form; before, an iban field found nothing
    got = [(m.subkind, m.value, m.start, m.end) for m in SCANNER.find_many([value], "iban")[0] if m.kind == "bank_account"]
    assert got == [("iban", iban, 0, len(value))]


def test_lower_case_iban_keeps_its_checks() -> None:
    assert SCANNER.find_many(["se4650000000058398257466"], "iban") == [[]]  # check digits
    # outside an account field a lower-case IBAN is read since test_redteam2_iban; mod 97 still decides
    assert SCANNER.find_many(["se4550000000058398257467"], "anteckning") == [[]]


@pytest.mark.parametrize(
    ("text", "written", "value"),
    [
        # the account before the clearing, each after its label: before, nothing was found
        ("Kontonummer: 8257466, clearingnummer: 5839", "8257466, clearingnummer: 5839", "5839-8257466"),
        ("Kontonr 17 01473 clearingnr 3473", "17 01473 clearingnr 3473", "3473-1701473"),
        ("Konto: 014 725 892-5, clearing: 8327-9", "014 725 892-5, clearing: 8327-9", "8327-0147258925"),
        ("Kontonummer: 5171 82351\nClearingnummer: 6114", "5171 82351\nClearingnummer: 6114", "6114-517182351"),
    ],
)
def test_labelled_account_before_clearing(text: str, written: str, value: str) -> None:
    ms = [m for m in SCANNER.find(text, ref_date=R) if m.kind == "bank_account"]
    assert [(text[m.start : m.end], m.value) for m in ms] == [(written, value)]


def test_labelled_personkonto_before_clearing() -> None:
    text = "Kontonummer: 811228-9874, clearingnummer: 3300"
    ms = SCANNER.find(text, ref_date=R)
    assert sorted((m.kind, text[m.start : m.end], m.value) for m in ms) == [
        ("bank_account", "811228-9874, clearingnummer: 3300", "3300-8112289874"),
        ("personnummer", "811228-9874", "198112289874"),
    ]


@pytest.mark.parametrize(
    "text",
    [
        "Kontonummer: 8257467, clearingnummer: 5839",  # check digit
        "kontonummer 014 725 892-5 clearing 8327",  # Swedbank 8xxx needs its fifth digit
    ],
)
def test_labelled_account_before_clearing_invalid(text: str) -> None:
    assert [m for m in SCANNER.find(text, ref_date=R) if m.kind == "bank_account"] == []


def test_forward_labels_still_win_after_a_stray_account_label() -> None:
    text = "Konto 1234567 clearing 5839 konto 8257466"
    assert [m.value for m in SCANNER.find(text, ref_date=R) if m.kind == "bank_account"] == ["5839-8257466"]


@pytest.mark.parametrize(
    ("value", "hint"),
    [
        # §3.6 invalid vectors in a plusgiro field: before, a Luhn-valid piece ("03-4") or the
        # number before a letter was reported
        ("90 20 03-4", "plusgiro"),
        ("410 54 68-5X", "plusgiro"),
        ("5402-9681X", "bankgiro"),
    ],
)
def test_giro_pieces_and_alphanumeric_codes_are_not_giro_numbers(value: str, hint: str) -> None:
    assert SCANNER.find_many([value], hint) == [[]]


def test_giro_vectors_still_found() -> None:
    got = [[m.value for m in ms] for ms in SCANNER.find_many(["410 54 68-5", "28 65 43-4", "4-2"], "plusgiro")]
    assert got == [["4105468-5"], ["286543-4"], ["4-2"]]
    got = [[m.value for m in ms] for ms in SCANNER.find_many(["5402-9681", "297-3675"], "bankgiro")]
    assert got == [["5402-9681"], ["297-3675"]]
