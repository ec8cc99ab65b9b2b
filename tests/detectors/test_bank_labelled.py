"""Clearing and account number each after its own label ("Clearingnummer: 8327-9, kontonummer: 014 725 892-5").

Forms, refund requests and payroll mails write them so; the prefilter sees two
digit runs, neither an account on its own. Vectors: reference §3.4 (valid and
invalid), in every labelled spelling.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from detectors import Scanner
from detectors.bank_account import validate_account

DEFAULT = Scanner()
VALID = [
    ("1274", "0235 305"), ("3300", "101010-1010"), ("6114", "5171 82351"), ("81034", "978 3242"),
    ("8327-9", "014 725 892-5"), ("9022", "11 14884"), ("9570", "12344"), ("9570", "525 004 176 0"),
    ("5140", "0010004"), ("9180", "1111111116"), ("9190", "6543218"), ("3473", "17 01473"), ("5839", "8257466"),
    ("9040", "1106944"), ("6789", "123456789"), ("8424-4", "983 189 224-6"), ("9789", "1111113"),
]
INVALID = [
    ("9272", "1829751"), ("9272", "18297523"), ("1234", "3456789"), ("6789", "123456788"), ("8424-1", "014 725 892-6"),
    ("83270", "123456782"), ("8327", "123456782"), ("9022", "8456424"), ("9680", "1234567"), ("3300", "8012346589"),
    ("0123", "1234567"), ("1000", "0000000"), ("9999", "1234567"), ("3300", "12344"),
]
FORMS = [
    "Clearingnummer: {c}, Kontonummer: {a}",
    "clearingnr {c} kontonr {a}",
    "Clearing: {c} Konto: {a}",
    "CLEARING NR {c} KONTONUMMER {a}",
    "Hej!\nClearing nr: {c}\nKontonummer: {a}\nMvh Anna",
    "Mitt clearingnummer är {c} och kontonummer {a}.",
    "clearing-nr. {c}; bankkonto: {a}",
    "Clearing number {c}, account number {a}",
]


def _accounts(text: str) -> list:
    return [m for m in DEFAULT.find(text) if m.kind == "bank_account" and m.subkind == "account"]


@pytest.mark.parametrize("form", FORMS)
@pytest.mark.parametrize(("clearing", "account"), VALID)
def test_a_labelled_clearing_and_account_is_found(form: str, clearing: str, account: str) -> None:
    text = form.format(c=clearing, a=account)
    want = validate_account(f"{clearing}, {account}" if len(clearing) == 4 and clearing[0] != "8" else f"{clearing} {account}")
    found = _accounts(text)
    assert [m.value for m in found] == [want], text
    (m,) = found
    assert text[m.start : m.end].startswith(clearing) and text[m.start : m.end].endswith(account)
    assert "shape:labelled" in m.why


@pytest.mark.parametrize("form", FORMS[:3])
@pytest.mark.parametrize(("clearing", "account"), INVALID)
def test_a_labelled_invalid_account_is_not(form: str, clearing: str, account: str) -> None:
    assert _accounts(form.format(c=clearing, a=account)) == []


def test_a_personkonto_after_labels_also_gives_the_personnummer() -> None:
    found = DEFAULT.find("Clearing: 3300\nKonto: 8112289874")
    assert {(m.kind, m.value, m.inside) for m in found} == {
        ("bank_account", "3300-8112289874", None), ("personnummer", "198112289874", "personkonto")}


def test_labels_never_join_two_values_of_a_batch() -> None:
    # each value of a field is its own world: a clearing in one row and an account in the next are not an account
    assert DEFAULT.find_many(["clearing 5839", "konto 8257466"]) == [[], []]
    assert [m.value for m in DEFAULT.find_many(["x", "clearing 5839 konto 8257466"])[1]] == ["5839-8257466"]


def test_other_words_between_the_labels_are_not_read() -> None:
    assert _accounts("clearing 5839, se vidare avsnitt 4 om konto 8257466") == []


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=" \n:,.-0123456789clearingKONTOkontoäöår", max_size=80))
def test_labelled_reader_never_raises_and_spans_hold(text: str) -> None:
    for m in DEFAULT.find("clearing " + text):
        assert 0 <= m.start < m.end <= len("clearing " + text)
