"""Red team 6: a number glued to its own keyword (``Betala till BG5402-9681``).

Giro numbers are often written right after their abbreviation, with no space
(``BG5402-9681``, ``PG4105468-5``, ``Bankgiro5402-9681``). The filter for
digits that are part of a longer word or code dropped them, and the scanner did
not count "BG" glued to digits as a giro word. A letter run that is, as a
whole word, a keyword of the finding's own kind is the label of the number, not
a code it is part of; any other letters glued before it (``ABG5402-9681``,
``XBG5402-9681``, a file name) or after it still drop it, and so does the
keyword glued to a short number (a film rating ``PG18``).
"""

from __future__ import annotations

import pytest

from detectors.scan import Scanner


def _found(text: str) -> list[tuple[str, str]]:
    return [(m.subkind, m.value) for m in Scanner().find(text) if m.kind in ("bank_account", "personnummer", "phone")]


@pytest.mark.parametrize(
    "text, found",
    [
        ("Betala till BG5402-9681", [("bankgiro", "5402-9681")]),
        ("Betala till BG5402-9681.", [("bankgiro", "5402-9681")]),
        ("Bankgiro5402-9681", [("bankgiro", "5402-9681")]),
        ("bg54029681 tack", [("bankgiro", "5402-9681")]),
        ("Betala till PG4105468-5", [("plusgiro", "4105468-5")]),
        ("BGnr5402-9681", [("bankgiro", "5402-9681")]),
    ],
)
def test_a_number_glued_to_its_keyword_is_found(text: str, found: list[tuple[str, str]]) -> None:
    assert _found(text) == found


@pytest.mark.parametrize(
    "text",
    [
        "ABG5402-9681",  # letters before the keyword: a code
        "Betala till XBG5402-9681",
        "Betala till BG5402-9681X",  # a letter after
        "Betala till BGX5402-9681",
        "artikel ORD5402-9681",
        "Betala till PG4105468-5a",
        "Filmen är PG18",  # a short number glued to letters is a code
        "Åldersgräns PG13 och PG18",
    ],
)
def test_other_glued_letters_still_drop_it(text: str) -> None:
    assert _found(text) == []
