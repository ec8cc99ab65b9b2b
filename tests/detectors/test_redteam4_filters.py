"""Red team 4: the version filter read Swedish "av" ("by", "of") as a "v" before a version.

'Godkänd av 811228-9874', 'Skickat av 0701234567', 'Loggad av 070-123 45 67'
were dropped as "an IP address or version number": the filter took any "v"
after a non-digit, the last letter of a word too. A version's "v" (v, ver,
version) starts its word; 'v 1.2', 'v. 811228-9874' and 'version 0701234567'
are still versions.
"""

from __future__ import annotations

import pytest

from detectors.scan import Scanner

SCANNER = Scanner()


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("Godkänd av 811228-9874", "personnummer"),
        ("Beställd av 811228-9874 den 3 maj", "personnummer"),
        ("Skickat av 0701234567", "phone"),
        ("inskickad av 070-123 45 67", "phone"),
        ("Loggad av 070-123 45 67", "phone"),
        ("Betald av 5839-8257466", "bank_account"),
    ],
)
def test_a_number_after_av_is_read(text: str, kind: str) -> None:
    assert [m.kind for m in SCANNER.find(text)] == [kind]


@pytest.mark.parametrize("text", ["v 811228-9874", "v.811228-9874", "Version 0701234567", "ver 070-123 45 67", "(v811228-9874)"])
def test_a_version_is_still_no_identifier(text: str) -> None:
    assert SCANNER.find(text) == []


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        # a comma-separated row: the next field is no decimals of an amount
        ("Anna Berg,811228-9874,45,Stockholm", "personnummer"),
        ("Anna Berg,0701234567,12,Stockholm", "phone"),
        ("3,Anna,070-123 45 67,5,aktiv", "phone"),
        ("Anna,811228-9874,1,2", "personnummer"),
        ("anna;811228-9874,50", "personnummer"),  # a dashed personnummer is never an amount
        # a title that ends in a currency code
        ("Chauffeur 070-123 45 67", "phone"),
    ],
)
def test_no_amount(text: str, kind: str) -> None:
    assert [m.kind for m in SCANNER.find(text)] == [kind]


@pytest.mark.parametrize(
    "text",
    ["Att betala 8112289874,45", "Summa: 811 228 987,40", "Totalt 0701234567,00", "8112289874.45 SEK", "Saldo 0701234567 kr",
     "Inköpspris 8112289874", "EUR 8112289874", "belopp: 0701234567"],
)
def test_amounts_are_still_no_identifiers(text: str) -> None:
    assert SCANNER.find(text) == []
