"""Review: the line-wrap pass and the lower-case 'se' IBAN lead (two changes of one session).

A Swedish IBAN whose lead is wrapped onto its own line is read whether the lead
is written 'SE', 'Se' or 'se' (reference §3.7: length 24, mod 97 and the national
check decide); a bad check stays unread.
"""

from __future__ import annotations

import pytest

from detectors.scan import Scanner

SCANNER = Scanner()
IBAN = "45\n5000 0000 0583 9825 7466"


@pytest.mark.parametrize("lead", ["SE", "Se", "se"])
def test_an_iban_wrapped_after_its_lead(lead: str) -> None:
    text = f"Betala till {lead}{IBAN} tack"
    ms = SCANNER.find(text)
    assert [(m.kind, text[m.start : m.end]) for m in ms] == [("bank_account", lead + IBAN)]
    assert "shape:line-wrap" in ms[0].why


def test_a_wrapped_lower_case_lead_with_a_bad_check_is_not_read() -> None:
    assert SCANNER.find("Betala till se46\n5000 0000 0583 9825 7466 tack") == []
