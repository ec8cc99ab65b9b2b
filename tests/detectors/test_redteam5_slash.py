"""Red team 5: a personnummer written with a slash before its last four digits (``811228/9874``).

Seen in old registers and hand-typed forms; reference §1.2 lists spec-invalid
separators (space, dots) to accept with lower confidence and a keyword. The
slash is read the same way: found after a personnummer keyword or in a
personnummer field, never on its own (``240517/1234`` is also a case or
journal number, a date and a sequence).
"""

from __future__ import annotations

from datetime import date

import pytest

from detectors.scan import Scanner

REF = date(2026, 12, 7)


@pytest.mark.parametrize(
    "text, value",
    [
        ("Pnr 811228/9874", "198112289874"),
        ("Personnummer: 670919/9530 (kund)", "196709199530"),
        ("personnr 19811228/9874", "198112289874"),
        ("Samordningsnummer 701063/2391", "197010632391"),
    ],
)
def test_slash_after_keyword_is_found(text: str, value: str) -> None:
    found = [m for m in Scanner().find(text, ref_date=REF) if m.kind == "personnummer"]
    assert [m.value for m in found] == [value]
    assert "shape:slash-separated" in found[0].why


def test_slash_in_personnummer_field_is_found() -> None:
    found = Scanner().find("811228/9874", hint="personnummer", ref_date=REF)
    assert [m.value for m in found] == ["198112289874"]


@pytest.mark.parametrize(
    "text",
    [
        "811228/9874",
        "Dnr 811228/9874",
        "Journal 240517/1234 och 811228/9874 arkiverade",
        "Ordernr 811228/9874",
    ],
)
def test_slash_without_keyword_is_not_reported(text: str) -> None:
    assert [m for m in Scanner().find(text, ref_date=REF) if m.kind == "personnummer"] == []
