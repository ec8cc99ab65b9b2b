"""Red team 4: an IBAN grouped in fours by hyphens, or with a space after the country code.

'SE45-5000-0000-0583-9825-7466' and 'SE 45 5000 0000 0583 9825 7466' were not
read at all (only groups of four split by single spaces, and the compact form):
the length (24), mod 97 and the national check decide as for the other forms
(reference §3.7). Mixed separators, or a number that goes on, are still no IBAN.
"""

from __future__ import annotations

import pytest

from detectors.scan import Scanner

SCANNER = Scanner()
IBAN = "SE4550000000058398257466"


@pytest.mark.parametrize(
    "text",
    [
        "IBAN: SE45-5000-0000-0583-9825-7466",
        "SE45-5000-0000-0583-9825-7466",
        "Betala till SE45-5000-0000-0583-9825-7466 senast fredag.",
        "IBAN SE 45 5000 0000 0583 9825 7466",
        "SE 45 5000 0000 0583 9825 7466",
        "iban: se45-5000-0000-0583-9825-7466",
    ],
)
def test_hyphen_grouped_or_spaced_country_code_iban_is_read(text: str) -> None:
    ms = [m for m in SCANNER.find(text) if m.kind == "bank_account"]
    assert [(m.subkind, m.value) for m in ms] == [("iban", IBAN)]
    assert text[ms[0].start : ms[0].end].upper().replace(" ", "").replace("-", "") == IBAN


@pytest.mark.parametrize(
    "text",
    [
        "SE45-5000-0000-0583-9825-7467",  # mod 97
        "SE45-5000 0000-0583 9825-7466",  # mixed separators
        "SE45-5000-0000-0583-9825-7466-1234",  # the number goes on
        "SE 4550 0000 0005 8398 2574 66",  # a space after the country code, then no groups of four from the check digits
    ],
)
def test_not_an_iban(text: str) -> None:
    assert [m for m in SCANNER.find(text) if m.kind == "bank_account" and m.subkind == "iban"] == []
