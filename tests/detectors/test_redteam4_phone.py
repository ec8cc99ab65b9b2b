"""Red team 4: phone numbers.

* A piece of a longer number printed in groups of four ('Betalningsreferens
  4758 0900 3242 5446', '1234 0701 2345 67', an OCR or contract number written
  as a card is) is no phone number: a window of its groups that read as a
  number with a trunk 0 ('0900 3242', '0338 9689') was reported at 0.5-0.75,
  about 3 in 100 random references of 12-20 digits so printed. A phone number
  is never grouped in fours inside a longer run; the run as a whole, and a
  number beside a run of other groupings, are read as before.
"""

from __future__ import annotations

import random

import pytest

from detectors.scan import Scanner

SCANNER = Scanner()


@pytest.mark.parametrize(
    "text",
    [
        "Betalningsreferens 4758 0900 3242 5446",
        "Ref 4608 3301 0338 9689",
        "1234 0701 2345 67",
        "Avtalsnummer: 1234 0944 5521 8765 4321",
        "OCR 7781 0820 1234",
    ],
)
def test_a_piece_of_a_number_grouped_in_fours_is_no_phone_number(text: str) -> None:
    assert [m for m in SCANNER.find(text) if m.kind == "phone"] == []


def test_random_references_grouped_in_fours_give_no_phone_numbers() -> None:
    rnd = random.Random(7)
    hits = 0
    for _ in range(400):
        d = "".join(str(rnd.randrange(10)) for _ in range(16))
        text = "Referens " + " ".join(d[i : i + 4] for i in range(0, 16, 4))
        hits += any(m.kind == "phone" for m in SCANNER.find(text))
    assert hits == 0


@pytest.mark.parametrize(
    ("text", "written"),
    [
        ("Tel 0701 23 45 67", "0701 23 45 67"),
        ("Ring 08 123 456 78", "08 123 456 78"),
        ("Tel: 070 123 45 67 08 123 456 78", "070 123 45 67"),
        ("Kund 1234, tel 0701 234 567", "0701 234 567"),
    ],
)
def test_phone_numbers_in_other_groupings_are_read(text: str, written: str) -> None:
    assert written in [text[m.start : m.end] for m in SCANNER.find(text) if m.kind == "phone"]
