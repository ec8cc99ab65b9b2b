"""Review of the session's keyword-on-the-line-before rule (context.keyword_line_ok).

A keyword at the end of the line before a number counts, except the name of a
cell in a row (a CSV header's last column). A comma earlier in a sentence makes
no row of cells; and the phone reader's other-number label ("Kundnummer") counts
at the end of the line before as a keyword does.
"""

from __future__ import annotations

import pytest

from detectors.context import near_before
from detectors.scan import Scanner

SCANNER = Scanner()


def _found(text: str) -> list[tuple[str, str, tuple[str, ...]]]:
    return [(m.kind, text[m.start : m.end], m.why) for m in SCANNER.find(text)]


@pytest.mark.parametrize(
    ("text", "kind", "why"),
    [
        # before: the comma made the line a "row of cells", so the keyword did not count
        ("Hej, mitt personnummer är\n811228 9874", "personnummer", "context:personnummer"),
        ("Tack, vårt bankgiro:\n3827-5533", "bank_account", "context:bankgiro"),
        ("Hej Anna, mitt telefonnummer är\n0701234567", "phone", "context:phone"),
    ],
)
def test_a_comma_earlier_in_the_sentence_keeps_the_keyword(text: str, kind: str, why: str) -> None:
    got = _found(text)
    assert [k for k, _, _ in got] == [kind] and why in got[0][2]


@pytest.mark.parametrize(
    "before",
    ["namn, personnummer\n", 'namn;"personnummer"\n', "namn ; personnummer\n", "id|namn|personnummer\n"],
)
def test_a_cell_of_a_header_row_stays_no_keyword(before: str) -> None:
    assert not near_before(before, "personnummer")


@pytest.mark.parametrize("text", ["Kundnummer:\n0701234567", "Ditt kundnummer är\n0701234567", "Medlemsnr\n0701234567"])
def test_an_other_number_label_on_the_line_before(text: str) -> None:
    # before: reported at 0.6 (the label counted only on the number's own line)
    assert _found(text) == []
    low = Scanner(min_confidence=0.0).find(text)
    assert [m.kind for m in low] == ["phone"] and "context:other-number-label(-)" in low[0].why


@pytest.mark.parametrize("text", ["Kundnummer:\n\n0701234567", "namn;kundnummer\n0701234567;Anna"])
def test_no_other_number_label_across_a_blank_line_or_from_a_header(text: str) -> None:
    assert [m.kind for m in SCANNER.find(text)] == ["phone"]
