"""Red team 5: an address whose dot is percent-escaped and whose "@" is not.

The scanner decodes the percent escapes of separators before the detectors
read the text (``a@exempel%2Ese`` reads as ``a@exempel.se``), and reported the
span as written; ``email.validate`` of that span did not decode them and
raised, so a reported span did not revalidate (found by the fragments property
test of test_email.py: ``_@xn--bcher-kva%2Exn--``). ``compact`` now normalises
as the scanner does.
"""

from __future__ import annotations

import pytest

from detectors import email
from detectors.scan import Scanner


@pytest.mark.parametrize(
    "text, value",
    [
        ("kontakt: anna@exempel%2Ese", "anna@exempel.se"),
        ("_@xn--bcher-kva%2Exn--", "_@bücher.xn"),
        ("anna%2Bnyhetsbrev@exempel.se", "anna+nyhetsbrev@exempel.se"),
    ],
)
def test_a_reported_span_revalidates(text: str, value: str) -> None:
    found = [m for m in Scanner().find(text) if m.kind == "email"]
    assert [m.value for m in found] == [value]
    assert email.validate(text[found[0].start : found[0].end]) == value


def test_the_percent_encoded_at_still_validates() -> None:
    assert email.validate("anna%40example%2Ese") == "anna@example.se"
    assert email.validate("anna%2Elind%40exempel%2Ese") == "anna.lind@exempel.se"
