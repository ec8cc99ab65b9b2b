"""Second red team: YYYYMMDD-hhmm stamps written in the personnummer's own dashed form (reference §6.2)."""

from __future__ import annotations

from datetime import date

import pytest

from detectors.checksums import luhn_is_valid
from detectors.scan import Scanner

SCANNER = Scanner()
R = date(2026, 11, 24)
STAMP = "20240517-1345"  # 2024-05-17 13:45; also a valid personnummer (240517-1345)


def test_the_stamp_is_a_valid_personnummer() -> None:
    assert luhn_is_valid("2405171345")
    assert [m.value for m in SCANNER.find(STAMP, ref_date=R)] == ["202405171345"]


@pytest.mark.parametrize(
    "text",
    [
        # before: reported as a personnummer at 0.95
        f"Backup fil db_{STAMP}.sql klar",
        f"export_{STAMP}.csv",
        f"/var/backups/{STAMP}/dump.gz",
        f"Skapad {STAMP} av system",
        f"Tidsstämpel: {STAMP}",
    ],
)
def test_recent_dashed_stamp_with_time_context_is_no_personnummer(text: str) -> None:
    assert [m for m in SCANNER.find(text, ref_date=R) if m.kind == "personnummer"] == []


@pytest.mark.parametrize(
    "text",
    [
        f"pnr {STAMP}",  # a personnummer keyword wins
        f"Barnet {STAMP} är inskrivet",  # no time context
        "intyg_19811228-1343.pdf",  # dated long ago: a birth date, not a stamp
        "Skapad 19811228-1343",
    ],
)
def test_dashed_personnummer_kept(text: str) -> None:
    assert [m.kind for m in SCANNER.find(text, ref_date=R)] == ["personnummer"]


def test_recent_dashed_stamp_without_context_is_lowered_with_a_reason() -> None:
    # before: 0.95 with no word of the other reading (reference §6.2: dates and times look like it)
    # (not "Backup": a time word since test_redteam3_context, which drops the stamp)
    (m,) = SCANNER.find(f"Jobb {STAMP} klar", ref_date=R)
    assert m.kind == "personnummer" and m.confidence < 0.7
    assert "ambiguous:date-time-stamp(-)" in m.why


@pytest.mark.parametrize(
    ("text", "least"),
    [
        ("Barnets personnummer: 20190517-1342", 0.8),  # a keyword: still high
        ("19811228-1343", 0.95),  # an old date: no stamp
        ("20190517-9873", 0.95),  # no time of day
    ],
)
def test_dashed_personnummer_not_lowered(text: str, least: float) -> None:
    ms = SCANNER.find(text, ref_date=R)
    assert [m.kind for m in ms] == ["personnummer"] and ms[0].confidence >= least
