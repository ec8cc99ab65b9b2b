"""Red team 5: every written form the finder reports, validate() reads too.

The finder reports a personnummer written with a dot or a slash before its last
four digits (``811228.9874``, ``811228/9874``: after a keyword or in a field),
and test_personnummer's property ``every reported span revalidates`` requires
``validate(span) == value``; validate() raised on both (a latent failure of
that property test, waiting for Hypothesis to draw such a text).
"""

from __future__ import annotations

from datetime import date

import pytest

from detectors import personnummer
from detectors.scan import find_all

R = date(2026, 11, 24)


@pytest.mark.parametrize(
    "text, value",
    [
        ("811228.9874", "198112289874"),
        ("811228/9874", "198112289874"),
        ("19811228/9874", "198112289874"),
        ("Pnr 811228/9874", "198112289874"),
    ],
)
def test_reported_span_revalidates(text: str, value: str) -> None:
    found = find_all(text, ref_date=R, kinds=["personnummer"], min_confidence=0.0)
    assert [f.value for f in found] == [value]
    assert personnummer.validate(text[found[0].start : found[0].end], ref_date=R) == value


@pytest.mark.parametrize("number", ["811228/+9874", "811228//9874", "811228./9874", "811228/9875"])
def test_other_shapes_stay_invalid(number: str) -> None:
    assert not personnummer.is_valid(number, ref_date=R)
