"""Second red team: the area code in parentheses after the country code ('+46 (70) 123 45 67')."""

from __future__ import annotations

import pytest

from detectors.scan import Scanner

SCANNER = Scanner()


@pytest.mark.parametrize(
    ("text", "written", "value"),
    [
        # before: nothing (only the trunk "(0)" was allowed in parentheses)
        ("Ring mig på +46(70)1234567", "+46(70)1234567", "+46701234567"),
        ("Mobil: +46 (70) 123 45 67", "+46 (70) 123 45 67", "+46701234567"),
        ("Tel +46 (8) 123 456 78", "+46 (8) 123 456 78", "+46812345678"),
        ("Tel 0046 (31) 12 34 56", "0046 (31) 12 34 56", "+4631123456"),
        # unchanged
        ("Ring mig på +46 (0)70 123 45 67", "+46 (0)70 123 45 67", "+46701234567"),
        ("Ring (08) 123 456 78", "(08) 123 456 78", "+46812345678"),
    ],
)
def test_area_code_in_parentheses(text: str, written: str, value: str) -> None:
    ms = SCANNER.find(text)
    assert [(text[m.start : m.end], m.kind, m.value) for m in ms] == [(written, "phone", value)]


@pytest.mark.parametrize("text", ["tel 070 (123) 45 67", "tel 0701 (23) 45 67", "+46 (0)(70) 1234567"])
def test_other_parentheses_stay_unread(text: str) -> None:
    assert SCANNER.find(text) == []
