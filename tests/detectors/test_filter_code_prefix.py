"""A personnummer-shaped number behind a letter code and a hyphen ("ORD-8112289874") is an order or case number.

About 1 random 10-digit number in 150 is a valid personnummer or samordningsnummer,
so a shop's ORD-/INV-/KND- numbers were reported. Fictional values only.
"""

from __future__ import annotations

import pytest

from detectors import Scanner, filters

SC = Scanner()


def _pnr(text: str, hint: str | None = None) -> list[str]:
    return [m.value for m in SC.find(text, hint=hint) if m.kind == "personnummer"]


@pytest.mark.parametrize("text", ["ORD-8112289874", "Order ORD-8112289874 skickad", "INV-811228-9874", "kund KND-6408233234",
                                  "ärende ABC-19811228-9874 stängt"])
def test_a_code_prefixed_number_is_not_a_personnummer(text: str) -> None:
    assert _pnr(text) == []


@pytest.mark.parametrize("text", ["PNR-8112289874", "Kund 811228-9874", "pnr 811228-9874", "B-8112289874 x",
                                  "Kunden (811228-9874)"])
def test_other_numbers_stay(text: str) -> None:
    assert _pnr(text) == ["198112289874"]


def test_a_personnummer_field_keeps_it() -> None:
    assert _pnr("ORD-8112289874", hint="personnummer") == ["198112289874"]


def test_the_fast_filter_equals_the_reference() -> None:
    from detectors.base import Match

    for text in ("ORD-8112289874", "PNR-8112289874", "INV-811228-9874", "x ab-8112289874", "ÅÄÖ-8112289874",
                 "1A-8112289874", "ABCDEF-8112289874", "-8112289874", "A-8112289874"):
        s = text.index("81")
        for why in (("shape:compact-10",), ("shape:compact-10", "context:personnummer")):
            f = Match("personnummer", "personnummer", s, len(text), "198112289874", 0.7, why)
            assert filters.apply(text, [f]) == filters.apply_slow(text, [f]), (text, why)
    assert filters.why_dropped("ORD-8112289874", Match("personnummer", "personnummer", 4, 14, "198112289874", 0.7, ()))
