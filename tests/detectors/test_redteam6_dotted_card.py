"""Red team 6: a card number grouped in fours with dots (``4571.7954.2205.8798``).

Some forms and exports write the groups of a card number with dots. Only the
fours shapes (4-4-4-4, 4-4-4-4-3) with one kind of separator are read that
way, at a lower confidence than spaces or dashes: dotted digit groups are also
version numbers, amounts and other ids. A card keyword brings it to a report. The span
revalidates (``compact`` removes the dots too). Without a keyword or a card field
a dotted number stays below the reporting threshold (tests/detectors/test_payment_card.py).
"""

from __future__ import annotations

import pytest

from detectors import payment_card
from detectors.scan import Scanner


@pytest.mark.parametrize(
    "text, value",
    [
        ("Kortnr: 4571.7954.2205.8798", "4571795422058798"),
        ("Betalkort 5355.6281.1046.3724 giltig till 12/27", "5355628110463724"),
        ("card 4571.7954.2205.8798.", "4571795422058798"),
    ],
)
def test_a_dotted_card_number_is_found(text: str, value: str) -> None:
    found = [m for m in Scanner().find(text) if m.kind == "payment_card"]
    assert [m.value for m in found] == [value]
    assert found[0].confidence >= 0.6
    assert payment_card.validate(text[found[0].start : found[0].end]) == value


def test_in_a_card_field_it_is_found() -> None:
    assert [[m.value for m in ms] for ms in Scanner(None).find_many(["4571.7954.2205.8798"], "kortnummer")] == [
        ["4571795422058798"]
    ]


def test_without_a_keyword_it_is_weaker_than_spaces() -> None:
    low = Scanner(min_confidence=0.0)
    dotted = [m for m in low.find("4571.7954.2205.8798") if m.kind == "payment_card"]
    spaced = [m for m in low.find("4571 7954 2205 8798") if m.kind == "payment_card"]
    assert len(dotted) == 1 and len(spaced) == 1
    assert dotted[0].confidence < 0.5 <= spaced[0].confidence
    assert [m for m in Scanner().find("4571.7954.2205.8798") if m.kind == "payment_card"] == []


@pytest.mark.parametrize(
    "text",
    [
        "Kortnr: 4571.7954.2205-8798",  # mixed separators
        "Kortnr: 45.7179.5422.0587.98",  # not fours
        "version 4571.7954.2205.8798.1",  # one more group
        "Kortnr: 4571.7954.2205.8799",  # Luhn fails
        "belopp 1.234.567.890.123",
    ],
)
def test_other_dotted_numbers_are_not(text: str) -> None:
    assert [m for m in Scanner().find(text) if m.kind == "payment_card"] == []
