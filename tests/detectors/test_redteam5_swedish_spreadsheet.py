"""Red team 5: spreadsheet damage in the Swedish locale.

Swedish Excel writes the decimal comma and groups thousands with a space: a
personnummer stored as a number shows as ``1,98112289874E+11`` (all digits
kept), ``198112289874,00`` or, under the number format ``# ##0``,
``8 112 289 874`` / ``198 112 289 874``. In a field named for personnummer the
dot forms were repaired (reference §1.2, §6.9), these were not.
"""

from __future__ import annotations

from datetime import date

import pytest

from detectors.scan import Scanner

REF = date(2026, 12, 7)


@pytest.mark.parametrize(
    "value, canonical",
    [
        ("1,98112289874E+11", "198112289874"),
        ("8 112 289 874", "198112289874"),
        ("198 112 289 874", "198112289874"),
        ("198\u00a0112\u00a0289\u00a0874", "198112289874"),
        ("8 112 289 874,00", "198112289874"),
        ("501 011 233", "200501011233"),  # the leading zero lost too
    ],
)
def test_swedish_locale_number_in_a_personnummer_field(value: str, canonical: str) -> None:
    found = Scanner().find(value, hint="personnummer", ref_date=REF)
    assert [m.value for m in found] == [canonical]
    assert (found[0].start, found[0].end) == (0, len(value))


@pytest.mark.parametrize("value", ["1,98112E+11", "8 112 289 875", "12 345 678", "1 234,50"])
def test_lossy_or_invalid_values_are_not(value: str) -> None:
    assert Scanner().find(value, hint="personnummer", ref_date=REF) == []


def test_not_repaired_outside_such_a_field() -> None:
    assert Scanner().find("Summa 8 112 289 874", ref_date=REF) == []
