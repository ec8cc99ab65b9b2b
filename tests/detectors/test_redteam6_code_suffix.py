"""Red team 6: a personnummer-shaped number with a hyphen and a letter code after it
(``Artikelnr 811228-9874-B``) is an article, order or case number.

The mirror of the code-prefix rule (``ORD-8112289874``, tests/detectors/
test_filter_code_prefix.py): a suffix of one to three letters and digits, the
first a letter, glued by a hyphen, makes the number part of a system's code.
Not when a personnummer keyword stands before it, nor in a personnummer field.
"""

from __future__ import annotations

import pytest

from detectors import Scanner, filters
from detectors.base import Match

SC = Scanner()


def _pnr(text: str, hint: str | None = None) -> list[str]:
    return [m.value for m in SC.find(text, hint=hint) if m.kind == "personnummer"]


@pytest.mark.parametrize(
    "text",
    ["Artikelnr 811228-9874-B", "811228-9874-B", "Art 8112289874-B i lager", "Kund 811228-9874-AB2",
     "best. 19811228-9874-c, 2 st", "ORD-811228-9874-B"],
)
def test_a_number_with_a_code_suffix_is_not_a_personnummer(text: str) -> None:
    assert _pnr(text) == []


@pytest.mark.parametrize(
    "text",
    ["Pnr 811228-9874-B", "personnummer: 811228-9874-A", "Kund 811228-9874 - B", "811228-9874-", "811228-9874-Stockholm",
     "811228-9874. B", "811228-9874-\nB"],
)
def test_other_numbers_stay(text: str) -> None:
    assert _pnr(text) == ["198112289874"]


def test_a_personnummer_field_keeps_it() -> None:
    assert _pnr("811228-9874-B", hint="personnummer") == ["198112289874"]


def test_the_fast_filter_equals_the_reference() -> None:
    for text in ("811228-9874-B", "811228-9874-AB2", "811228-9874-ABCD", "811228-9874-1", "811228-9874-B1x",
                 "811228-9874-Å", "811228-9874-b.", "811228-9874--B"):
        m = Match("personnummer", "personnummer", 0, 11, "198112289874", 0.9, ("shape:dashed",))
        assert (filters.apply(text, [m]) == []) == (filters.why_dropped(text, m) is not None), text
