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


@pytest.mark.parametrize(
    "text",
    ["Tel: +44 7700 900123", "Mobile +447700900456", "Ring Ola på 0044 7700 900 789", "UK contact: +44 (0)7700 900123"],
)
def test_ofcoms_drama_mobile_numbers_are_read_as_test_data(text: str) -> None:
    # Ofcom reserves 07700 900000-900999 for drama, as PTS does 070-174 06 05..99: phonenumbers
    # calls them invalid, so they were not read; they are reported as test data, as PTS's are
    ms = SCANNER.find(text)
    assert [(m.kind, m.subkind, m.test_data) for m in ms] == [("phone", "international", True)]
    assert ms[0].value.startswith("+447700900")


def test_london_drama_numbers_are_test_data() -> None:
    ms = SCANNER.find("Tel +44 20 7946 0958")
    assert [(m.value, m.test_data) for m in ms] == [("+442079460958", True)]
    assert [m.test_data for m in SCANNER.find("Tel +44 20 7947 0958")] == [False]


def test_a_drama_number_of_the_wrong_length_stays_unread() -> None:
    assert SCANNER.find("Tel +44 7700 9001") == []
