"""Red-team findings for phone numbers (reference §2.1 written forms)."""

from __future__ import annotations

import pytest

from detectors.scan import Scanner

SCANNER = Scanner()


def _phones(ms: list) -> list[str]:  # type: ignore[type-arg]
    return [m.value for m in ms if m.kind == "phone"]


@pytest.mark.parametrize(
    ("value", "phones"),
    [
        # two numbers joined by a tight "/" in a phone field: before, the "/" made each a
        # piece of one longer number and nothing was found
        ("070-1234567/073-1234567", ["+46701234567", "+46731234567"]),
        ("0701234567/0731234567", ["+46701234567", "+46731234567"]),
        ("0701234567/0812345678", ["+46701234567", "+46812345678"]),
        ("070-123 45 67/08-123 456 78", ["+46701234567", "+46812345678"]),
    ],
)
def test_two_numbers_joined_by_slash_in_a_phone_field(value: str, phones: list[str]) -> None:
    assert _phones(SCANNER.find_many([value], "telefon")[0]) == phones


def test_two_grouped_numbers_joined_by_slash_in_text() -> None:
    assert _phones(SCANNER.find("Tel 070-123 45 67/08-123 456 78")) == ["+46701234567", "+46812345678"]


@pytest.mark.parametrize(
    "text",
    [
        "08/123 456 78",  # the slash after an area code: one number
        "2024/0701234567",
        "0701234567/12",
        "0701234567/2023",
        "17/05/2024",
        "Order 1234567/0701234567",
        "123456789/0701234567",
    ],
)
def test_slash_not_over_read(text: str) -> None:
    got = _phones(SCANNER.find(text))
    assert got == (["+46812345678"] if text.startswith("08/") else [])


def test_swish_field_is_a_phone_field() -> None:
    # a private Swish number is the owner's mobile number; "swish" was a phone keyword in text
    # but not a field hint, so "46701234567" (no "+") in a swishnummer column was missed
    got = [[m.value for m in ms if m.kind == "phone"] for ms in SCANNER.find_many(["46701234567", "1234567890"], "swishnummer")]
    assert got == [["+46701234567"], []]
