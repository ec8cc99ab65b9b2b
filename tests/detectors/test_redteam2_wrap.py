"""Second red team: a number broken by a line wrap at one of its separators (hard-wrapped mail bodies)."""

from __future__ import annotations

from datetime import date

import pytest

from detectors.scan import Scanner

SCANNER = Scanner()
R = date(2026, 11, 24)


@pytest.mark.parametrize(
    ("text", "written", "kind", "value"),
    [
        # before: nothing (neither line's digit run is an identifier on its own)
        ("Mitt personnummer är 811228-\n9874 tack.", "811228-\n9874", "personnummer", "198112289874"),
        ("Mitt personnummer är 19811228-\n9874 tack.", "19811228-\n9874", "personnummer", "198112289874"),
        ("Hej, ring mig på 070-123\n45 67 imorgon.", "070-123\n45 67", "phone", "+46701234567"),
        ("Telefon 070-123 45\n67", "070-123 45\n67", "phone", "+46701234567"),
        ("Ring mig på 070-\n1234567 imorgon.", "070-\n1234567", "phone", "+46701234567"),
        ("Ring +46 70\n123 45 67", "+46 70\n123 45 67", "phone", "+46701234567"),
        ("Mitt kortnummer är 4111 1111\n1111 1111 tack", "4111 1111\n1111 1111", "payment_card", "4111111111111111"),
    ],
)
def test_number_wrapped_at_a_separator(text: str, written: str, kind: str, value: str) -> None:
    ms = SCANNER.find(text, ref_date=R)
    assert [(text[m.start : m.end], m.kind, m.value) for m in ms] == [(written, kind, value)]
    assert "shape:line-wrap" in ms[0].why


def test_wrapped_number_in_one_value_of_a_batch() -> None:
    got = SCANNER.find_many(["anteckning", "ring 070-123\n45 67", "x"], "anteckning", [R] * 3)
    assert [[(m.kind, m.value) for m in ms] for ms in got] == [[], [("phone", "+46701234567")], []]


@pytest.mark.parametrize(
    "texts",
    [
        ["070-123", "45 67"],  # two values of a batch: the newline between them is no wrap
        ["811228-", "9874"],
    ],
)
def test_no_wrap_across_values(texts: list[str]) -> None:
    assert SCANNER.find_many(texts, None, [R] * len(texts)) == [[], []]


@pytest.mark.parametrize(
    "text",
    [
        "rad 811228\n9874",  # no separator at the break: not one number
        "2024-05-17\n1002;Anna;Berg",  # a CSV row after a date
    ],
)
def test_lines_not_joined(text: str) -> None:
    assert SCANNER.find(text, ref_date=R) == []


def test_list_of_numbers_stays_two_numbers() -> None:
    ms = SCANNER.find("0701234567\n0812345678", ref_date=R)
    assert [(m.value, "shape:line-wrap" in m.why) for m in ms] == [("+46701234567", False), ("+46812345678", False)]
