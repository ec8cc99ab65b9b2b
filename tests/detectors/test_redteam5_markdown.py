"""Red team 5: Markdown emphasis read as a mask.

Tickets, chat exports and notes written in Markdown set a label or a value in
bold: ``**Personnummer:** 811228-9874``, ``Tel: **070-123 45 67**``. The
masked-number filter took the ``**`` next to the number for the stars of a
masked value (``****-9874``, ``811228-****``) and dropped every such finding.
Emphasis is told apart by its shape: stars closing a word (a letter or ``:``
right before them, a space after), or the same stars on both sides of the value.
"""

from __future__ import annotations

from datetime import date

import pytest

from detectors.scan import Scanner

REF = date(2026, 12, 7)


@pytest.mark.parametrize(
    "text, kind, value",
    [
        ("**Personnummer:** 811228-9874", "personnummer", "198112289874"),
        ("**Pnr:** 8112289874", "personnummer", "198112289874"),
        ("**811228-9874**", "personnummer", "198112289874"),
        ("Personnummer: **811228-9874**", "personnummer", "198112289874"),
        ("***Kund*** 19811228-9874", "personnummer", "198112289874"),
        ("**Telefon:** 070-123 45 67", "phone", "+46701234567"),
        ("**Mobil** 070-123 45 67", "phone", "+46701234567"),
        ("Tel: **070-123 45 67**", "phone", "+46701234567"),
        ("**Kort:** 4242 4242 4242 4242", "payment_card", "4242424242424242"),
        ("**IBAN:** SE45 5000 0000 0583 9825 7466", "bank_account", "SE4550000000058398257466"),
        ("**Bankgiro:** 5402-9681", "bank_account", "5402-9681"),
    ],
)
def test_markdown_emphasis_is_no_mask(text: str, kind: str, value: str) -> None:
    assert [m.value for m in Scanner().find(text, ref_date=REF) if m.kind == kind] == [value]


@pytest.mark.parametrize(
    "text",
    [
        "****-9874",
        "811228-****",
        "19811228-XXXX",
        "**** **** **** 4242",
        "4111 11** **** 1111",
        "Kort: ************4242",
        "Tel: 070-XXX XX 67",
    ],
)
def test_masked_values_stay_unreported(text: str) -> None:
    assert Scanner().find(text, ref_date=REF) == []
