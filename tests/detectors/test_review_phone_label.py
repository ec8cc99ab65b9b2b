"""Review: the phone reader's other-number label ("Kund-id", reference §6.4) is no first name.

A name ending in "id" (Ingrid, Astrid, Sigrid, David) right before a phone number
is the commonest way a person's number is written; it was read as a label of the
kind "Konferens-ID" and the number lowered below the threshold.
"""

from __future__ import annotations

import pytest

from detectors.scan import Scanner

SCANNER = Scanner()


@pytest.mark.parametrize(
    ("text", "written"),
    [
        ("Ingrid 0701234567", "0701234567"),  # before: 0.45, not reported
        ("Sigrid Berg, Astrid 0701234567", "0701234567"),
        ("Android: 0701234567", "0701234567"),
    ],
)
def test_a_name_ending_in_id_is_no_label(text: str, written: str) -> None:
    ms = SCANNER.find(text)
    assert [(m.kind, text[m.start : m.end]) for m in ms] == [("phone", written)]
    assert "context:other-number-label(-)" not in ms[0].why


def test_a_name_ending_in_id_keeps_a_grouped_number_at_its_score() -> None:
    ms = SCANNER.find("David 070-123 45 67")
    assert [round(m.confidence, 3) for m in ms] == [0.85]  # before: 0.7


@pytest.mark.parametrize("text", ["Kund-id: 0701234567", "Medlemsid 0701234567", "KundID: 0701234567"])
def test_an_id_label_still_lowers(text: str) -> None:
    assert SCANNER.find(text) == []
    low = Scanner(min_confidence=0.0).find(text)
    assert "context:other-number-label(-)" in low[0].why
