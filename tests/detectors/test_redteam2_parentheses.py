"""Second red team: identifiers in parentheses in prose ("Anna Berg (811228-9874) har ringt")."""

from __future__ import annotations

from datetime import date

import pytest

from detectors.scan import Scanner

SCANNER = Scanner()
R = date(2026, 11, 24)


@pytest.mark.parametrize(
    ("text", "written", "kind", "value"),
    [
        # before: the span began at the "(" that leads the digit run
        ("Anna Berg (811228-9874) har ringt.", "811228-9874", "personnummer", "198112289874"),
        ("Anna Berg (19811228-9874) har ringt.", "19811228-9874", "personnummer", "198112289874"),
        ("personnummer (8112289874)", "8112289874", "personnummer", "198112289874"),
        # before: a card number in parentheses was not reported at all
        ("Betalt med kort (4111 1111 1111 1111) igår", "4111 1111 1111 1111", "payment_card", "4111111111111111"),
        ("kortnummer (5555-5555-5555-4444)", "5555-5555-5555-4444", "payment_card", "5555555555554444"),
        ("kort (4242424242424242)", "4242424242424242", "payment_card", "4242424242424242"),
    ],
)
def test_parenthesis_is_not_part_of_the_number(text: str, written: str, kind: str, value: str) -> None:
    ms = SCANNER.find(text, ref_date=R)
    assert [(text[m.start : m.end], m.kind, m.value) for m in ms] == [(written, kind, value)]


def test_organisation_number_in_parentheses() -> None:
    text = "Saab AB (556036-0793) har fakturerat"
    ms = Scanner(include_non_personal=True).find(text, ref_date=R)
    assert [(text[m.start : m.end], m.kind) for m in ms] == [("556036-0793", "organisationsnummer")]


def test_card_grouping_broken_by_parenthesis_stays_unread() -> None:
    assert Scanner().find("(4111) 1111 1111 1111", ref_date=R) == []
