"""Red team 6: a 12-digit personnummer written in three groups of four (``Pnr 1981 1228 9874``).

Forms that group long numbers in fours (as cards and references are printed)
write the 12-digit personnummer so. Twelve digits in fours are also gift-card,
OCR and reference numbers, so the shape is scored as the space-separated one
(``811228 9874``): found after a personnummer keyword or in a personnummer
field, not alone.
"""

from __future__ import annotations

import pytest

from detectors.scan import Scanner


def _pnr(text: str, hint: str | None = None) -> list[str]:
    return [m.value for m in Scanner().find(text, hint=hint) if m.kind == "personnummer"]


@pytest.mark.parametrize(
    "text",
    ["Pnr 1981 1228 9874", "Personnummer: 1981-1228-9874", "personnr 1981 1228 9874, tack"],
)
def test_fours_after_a_keyword_are_found(text: str) -> None:
    assert _pnr(text) == ["198112289874"]


def test_fours_in_a_personnummer_field_are_found() -> None:
    assert [[m.value for m in ms] for ms in Scanner(None).find_many(["1981 1228 9874"], "personnummer")] == [
        ["198112289874"]
    ]


@pytest.mark.parametrize(
    "text",
    [
        "1981 1228 9874",  # no keyword
        "Presentkort 1981 1228 9874",
        "Pnr 1981 1228-9874",  # mixed separators
        "Pnr 1981 1228 9875",  # Luhn fails
        "Pnr 1981 1328 9874",  # no such month (13)
    ],
)
def test_other_fours_are_not(text: str) -> None:
    assert _pnr(text) == []
