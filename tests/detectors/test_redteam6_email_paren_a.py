"""Red team 6: ``namn(a)domän.se``, the "(a)" written for "@" on Swedish and Finnish web pages.

Only the tight form is read: a local part right before "(a)"/"(A)" (a letter or
digit as its last character) and a domain right after it, no space inside or
around the parentheses. "(a)" with a space on either side is how lists number
their items ("(a) första punkten", "punkt (a) ovan"), and code calls a function
on "a" ("print(a).strip()"): neither is an address.
"""

from __future__ import annotations

import pytest

from detectors import email
from detectors.scan import Scanner


@pytest.mark.parametrize(
    "text, value",
    [
        ("Kontakt: anna.lind(a)exempel.se", "anna.lind@exempel.se"),
        ("E-post: INFO(A)FORETAGET.SE", "info@foretaget.se"),
        ("kundtjanst(a)exempel.se eller 08-123 456 78", "kundtjanst@exempel.se"),
        ("Skriv till bo.ek(a)exempel(punkt)se idag", "bo.ek@exempel.se"),
    ],
)
def test_a_tight_parenthesised_a_is_an_at(text: str, value: str) -> None:
    found = [m for m in Scanner().find(text) if m.kind == "email"]
    assert [(m.subkind, m.value) for m in found] == [("obfuscated", value)]
    assert email.validate(text[found[0].start : found[0].end]) == value


@pytest.mark.parametrize(
    "text",
    [
        "(a) first point.se",
        "(a) första punkten, (b) andra punkten",
        "Villkor:\n(a) avtalet.se gäller\n(b) inget annat",
        "enligt punkt (a) ovan.se",
        "se 3 kap. 2 § (a) lag.se",
        "f(a)x",
        "print(a).strip()",
        "alternativ(a) och (b)",
        "x = max(a)+min(b)",
        "storlek(a)",
    ],
)
def test_list_items_and_code_are_not(text: str) -> None:
    assert [m for m in Scanner().find(text) if m.kind == "email"] == []
