"""Review of the session's new order words (bokning, biljett, avtal, objekt, skada, bring).

They name a number of a thing alone, definite or before a number word
("Avtalsnummer", "skada nr"); as the first part of a person's role or a place
("Avtalskontakt", "Skadereglerare", "Biljettkassan") they are no order context,
and a phone number after such a role is reported as before the session.
"""

from __future__ import annotations

import pytest

from detectors.context import near_before
from detectors.scan import Scanner

SCANNER = Scanner()


@pytest.mark.parametrize(
    ("text", "written"),
    [
        ("Skadereglerare 070-123 45 67", "070-123 45 67"),  # before: 0.85 -> 0.45, not reported
        ("Objektansvarig 0701234567", "0701234567"),
        ("Avtalskontakt 0701234567", "0701234567"),
        ("Bokningsansvarig: 0701234567", "0701234567"),
        ("Biljettkassan 0701234567", "0701234567"),
        ("Skadejour 0701234567", "0701234567"),
    ],
)
def test_a_role_or_place_named_for_an_order_word_is_no_order_context(text: str, written: str) -> None:
    ms = SCANNER.find(text)
    assert [(m.kind, text[m.start : m.end]) for m in ms] == [("phone", written)]
    assert not any(w.startswith("context:order") for w in ms[0].why)


@pytest.mark.parametrize(
    "before",
    ["bokningen: ", "bokningsref ", "biljetten ", "biljett-id ", "avtalet ", "avtalsnr ", "objektsnummer ",
     "objekt_id=", "skadan ", "skadeärende ", "skadenr: "],
)
def test_the_number_words_of_an_order_word_stay_order_context(before: str) -> None:
    assert near_before(before, "order")


@pytest.mark.parametrize("before", ["avtalad ", "objektansvarig ", "bringa ", "skadereglerare "])
def test_other_words_that_start_with_an_order_word_are_none(before: str) -> None:
    assert not near_before(before, "order")
