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


@pytest.mark.parametrize(
    "text",
    [
        # before: phone numbers at 0.6 (08..., grouped-unusual) and 0.85 (0900 premium rate),
        # 0.9 and more after "Telefontid"
        "Öppet 0800-1700 vardagar",
        "Öppettider: 0900-1600, lunch stängt",
        "Telefontid 0830 - 1630",
        "Kundtjänst har öppet 0900–1700.",
        "Vi svarar mellan 0745-2100 alla dagar",
    ],
)
def test_opening_hours_are_no_phone_number(text: str) -> None:
    assert SCANNER.find(text) == []


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("tel 0900-123 456", "+46900123456"),  # premium rate, usual grouping
        ("Tel 0980-31 92 00", "+46980319200"),
        ("ring 0910-123 45", "+4691012345"),
    ],
)
def test_numbers_with_four_digit_area_codes_kept(text: str, value: str) -> None:
    assert [m.value for m in SCANNER.find(text)] == [value]


@pytest.mark.parametrize(
    "text",
    [
        # reference §6.4: customer and other numbers that start with 0 are valid phone numbers;
        # before: reported at 0.55-0.6 with no word of the label
        "Kundnummer 0701234567",
        "Kund-id: 0701234567",
        "Medlemsnr 0812-345678",
        "Licensnummer 0701 2345 67",  # Biljettnummer is an order word now (test_redteam3_context)
        "Mätarnummer 0701234567",
        "Konferens-ID: 0701 234 567#",
        "Mitt kundnummer är 0701234567.",
    ],
)
def test_phone_shaped_number_after_another_numbers_label(text: str) -> None:
    assert SCANNER.find(text) == []
    low = Scanner(min_confidence=0.0).find(text)
    assert [m.kind for m in low] == ["phone"] and "context:other-number-label(-)" in low[0].why


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("Telefonnummer 0701234567", "+46701234567"),
        ("Mobilnr: 0701234567", "+46701234567"),
        ("Kontaktnummer 0701234567", "+46701234567"),
        ("Privatnummer 070-123 45 67", "+46701234567"),
        ("Jobbnummer: 08-123 456 78", "+46812345678"),
        ("SMS-nummer 0701234567", "+46701234567"),
        ("Kundnummer 070-123 45 67", "+46701234567"),  # the phone grouping still speaks (lowered, reported)
    ],
)
def test_phone_labels_kept(text: str, value: str) -> None:
    assert [m.value for m in SCANNER.find(text)] == [value]
