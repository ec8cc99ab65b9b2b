"""Red team 5: Unix timestamps (epoch seconds) read as personnummer.

Epoch seconds are ten digits. Those of November 2023 to April 2024
(1 701 000 000 - 1 713 000 000) start with ``17``, a month ``01``-``12`` and a
day: about one in sixteen passes as a personnummer or samordningsnummer
(``1708836232`` reads as 170883-6232, day 83 = 23 + 60). Logs and JSON from
those months hold them by the thousand after a time key (``"created_at":``,
``ts=``, ``"iat":``). A compact ten-digit number right after such a key is
lowered below the reporting threshold, as after an order word; a field named
for a time is a business-number field. A birth-date key (``birth_date``,
``fodelsedatum``) keeps its number, and a written personnummer (with its dash)
is never lowered this way.
"""

from __future__ import annotations

from datetime import date

import pytest

from detectors.scan import Scanner

REF = date(2026, 12, 7)
EPOCH = "1708836232"  # 2024-02-25 04:43:52 UTC; also a valid samordningsnummer (2017-08-23)


def _pnr(text: str, hint: str | None = None) -> list[str]:
    return [m.value for m in Scanner().find(text, hint=hint, ref_date=REF) if m.kind == "personnummer"]


def test_the_epoch_value_is_a_valid_samordningsnummer() -> None:
    assert _pnr(f"Samordningsnummer {EPOCH}") == ["201708836232"]


@pytest.mark.parametrize(
    "text",
    [
        f'{{"created_at": {EPOCH}, "status": "ok"}}',
        f'{{"timestamp":{EPOCH}}}',
        f'{{"iat":1708832632,"exp":{EPOCH},"sub":"42"}}',
        f"ts={EPOCH} user=42 action=login",
        f"time={EPOCH}",
        f"updated_at: {EPOCH}",
        f"<created>{EPOCH}</created>",
        f"epoch={EPOCH}",
        f"last_login_ts='{EPOCH}'",
    ],
)
def test_epoch_after_a_time_key_is_not_reported(text: str) -> None:
    assert _pnr(text) == []


@pytest.mark.parametrize("hint", ["created_at", "ts", "iat", "epoch", "login_time", "unix_time"])
def test_epoch_in_a_time_field_is_not_reported(hint: str) -> None:
    assert _pnr(EPOCH, hint=hint) == []


@pytest.mark.parametrize(
    "text, value",
    [
        (f"birth_date: {EPOCH}", "201708836232"),
        ("fodelsedatum=8112289874", "198112289874"),
        ("created_at: 811228-9874", "198112289874"),
        (f"ts={EPOCH} pnr={EPOCH}", "201708836232"),
    ],
)
def test_birth_keys_and_written_personnummer_stay(text: str, value: str) -> None:
    assert value in _pnr(text)
