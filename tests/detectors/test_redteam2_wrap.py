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
        # wrapped after the first group: an area code, "0046", "+46", a card's first four, an IBAN lead
        ("Jag har nummer 072\n756 75 80 om du undrar", "072\n756 75 80", "phone", "+46727567580"),
        ("Mobilnummer: 0046\n70 725 06 33", "0046\n70 725 06 33", "phone", "+46707250633"),
        ("Ring +46\n70 123 45 67", "+46\n70 123 45 67", "phone", "+46701234567"),
        ("Betalade med kort 4111\n1111 1111 1111 igår", "4111\n1111 1111 1111", "payment_card", "4111111111111111"),
        ("Betala till IBAN SE45\n5000 0000 0583 9825 7466 tack", "SE45\n5000 0000 0583 9825 7466", "bank_account",
         "SE4550000000058398257466"),
        ("Betala till IBAN SE45 5000 0000 0583\n9825 7466 tack", "SE45 5000 0000 0583\n9825 7466", "bank_account",
         "SE4550000000058398257466"),
        ("iban se45 5000\n0000 0583 9825 7466", "se45 5000\n0000 0583 9825 7466", "bank_account", "SE4550000000058398257466"),
        # the first line alone is a shorter valid number ("08-465 004", 7 digits): the wrapped one wins
        ("Nytt nummer: 08-465 004\n22 från idag", "08-465 004\n22", "phone", "+46846500422"),
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
        "2024-02-19 02:52:06\n847164;Olof",  # a CSV row after a time
        "Det kostar 450\n2 veckor i rad",
    ],
)
def test_lines_not_joined(text: str) -> None:
    assert SCANNER.find(text, ref_date=R) == []


def test_list_of_numbers_stays_two_numbers() -> None:
    ms = SCANNER.find("0701234567\n0812345678", ref_date=R)
    assert [(m.value, "shape:line-wrap" in m.why) for m in ms] == [("+46701234567", False), ("+46812345678", False)]
