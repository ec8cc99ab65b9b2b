"""Red team 5: a number a line wrap split inside quoted e-mail text.

A reply quotes the earlier message line by line with "> ". Where the quoted
line had wrapped inside a number (``070-123`` / ``45 67``, ``811228-`` /
``9874``), the next line starts with the quote marker, and the wrap pass, which
wanted a digit right after the line break, missed the number. The marker of the
next line is read past when the line of the break has the same one.
"""

from __future__ import annotations

from datetime import date

import pytest

from detectors.scan import Scanner

REF = date(2026, 12, 7)


@pytest.mark.parametrize(
    "text, kind, value, written",
    [
        ("> Mitt personnummer är 811228-\n> 9874 och jag vill", "personnummer", "198112289874", "811228-\n> 9874"),
        ("> Ring mig på 070-123\n> 45 67 efter fem", "phone", "+46701234567", "070-123\n> 45 67"),
        (">> Ring mig på 070-123\n>> 45 67 efter fem", "phone", "+46701234567", "070-123\n>> 45 67"),
        ("> > tel 08-123\n> > 456 78", "phone", "+46812345678", "08-123\n> > 456 78"),
        ("Hej!\n> IBAN SE45\n> 5000 0000 0583 9825 7466\n", "bank_account", "SE4550000000058398257466",
         "SE45\n> 5000 0000 0583 9825 7466"),
    ],
)
def test_a_number_wrapped_in_quoted_text_is_found(text: str, kind: str, value: str, written: str) -> None:
    found = [m for m in Scanner().find(text, ref_date=REF) if m.kind == kind]
    assert [m.value for m in found] == [value]
    assert text[found[0].start : found[0].end] == written
    assert "shape:line-wrap" in found[0].why


@pytest.mark.parametrize(
    "text",
    [
        "Ring mig på 070-123\n> 45 67 efter fem",  # the break's line is not quoted: no wrap
        "> Ring mig på 070-123\n>> 45 67 efter fem",  # another quote depth: another message
    ],
)
def test_a_quote_marker_of_another_depth_is_no_wrap(text: str) -> None:
    assert [m for m in Scanner().find(text, ref_date=REF) if m.kind == "phone" and "\n" in text[m.start : m.end]] == []
