"""Third red team: a lost leading zero is repaired only in a bare digit run that is
the whole value of a phone column, and only into mobile or geographic numbers
(reference §6.9)."""

from __future__ import annotations

import pytest

from detectors.scan import Scanner

SCANNER = Scanner()


@pytest.mark.parametrize(
    "value",
    [
        "SO-2024-0815",  # a code: was +4620240815 (toll-free)
        "20240001",  # was toll-free
        "900123456",  # was premium rate
        "771234567",  # was shared cost
        "5402-9681",  # grouped: was +4654029681
        "Ring 701234567",  # not the whole value
        "701234567 (kväll)",
    ],
)
def test_no_lost_zero_repair(value: str) -> None:
    assert [m for m in SCANNER.find(value, hint="Mobilnummer") if m.kind == "phone"] == []


@pytest.mark.parametrize(
    ("value", "e164"),
    [
        ("701234567", "+46701234567"),
        ("812345678", "+46812345678"),
        ("31123456", "+4631123456"),
        ("701234567.0", "+46701234567"),
    ],
)
def test_lost_zero_repair_of_mobile_and_geographic_numbers(value: str, e164: str) -> None:
    assert [m.value for m in SCANNER.find(value, hint="Telefon") if m.kind == "phone"] == [e164]


@pytest.mark.parametrize("value", ["900123456.0", "771234567.0", "20240001.0"])
def test_no_lost_zero_repair_of_a_float_into_other_ranges(value: str) -> None:
    assert [m for m in SCANNER.find(value, hint="Telefon") if m.kind == "phone"] == []
