"""A Nordea personkonto's ten digits carry no '+': the holder's century is the one that puts the birth before the
record's date (reference §1.3; a centenarian's account is not read as a child's not yet born)."""

from __future__ import annotations

from datetime import date

import pytest

from detectors.scan import Scanner


def _inside(text: str, ref: date) -> list[str]:
    return [m.value for m in Scanner(None).find(text, hint="kontonummer", ref_date=ref)
            if m.kind == "personnummer" and m.inside == "personkonto"]


@pytest.mark.parametrize("text", ["3300 231202-7804", "3300-2312027804"])
def test_a_centenarians_personkonto_is_of_the_century_before(text: str) -> None:
    assert _inside(text, date(2023, 6, 1)) == ["192312027804"]  # 2023-12-02 is after the record's date


def test_a_childs_personkonto_keeps_its_century() -> None:
    assert _inside("3300 231202-7804", date(2024, 3, 1)) == ["202312027804"]  # born before the record: as read


def test_a_samordningsnummer_personkonto_compares_its_real_day() -> None:
    # day 62 is the 2nd; the 2nd of December 2023 is before 15 December 2023: this century
    assert _inside("3300 231262-7801", date(2023, 12, 15)) == ["202312627801"]
