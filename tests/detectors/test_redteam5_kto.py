"""Red team 5: "kto", the common Swedish abbreviation of konto, as an account keyword.

Payroll mails, forms and bank statements write ``Kto 5839 8257466``,
``Ktonr``, ``Bankkto:``; a field ``kto_nr``. Without the keyword a spaced
clearing and account is not offered (mod 11 passes 1 in 11 numbers), so these
were missed.
"""

from __future__ import annotations

import pytest

from detectors.context import hint_kinds
from detectors.scan import Scanner


@pytest.mark.parametrize(
    "text",
    ["Kto 5839 8257466", "Ktonr 5839 8257466", "Bankkto: 5839 8257466", "kto.nr 5839 8257466", "Lön till kto 5839 825 746 6"],
)
def test_kto_is_an_account_keyword(text: str) -> None:
    assert [m.value for m in Scanner().find(text) if m.kind == "bank_account"] == ["5839-8257466"]


@pytest.mark.parametrize("hint", ["kto_nr", "Ktonr", "bank_kto"])
def test_kto_field_is_an_account_field(hint: str) -> None:
    assert "bank_account" in hint_kinds(hint)
    assert [m.value for m in Scanner().find("58398257466", hint=hint)] == ["5839-8257466"]


@pytest.mark.parametrize("hint", ["ktoa", "okto", "oktober"])
def test_words_holding_kto_are_not(hint: str) -> None:
    assert "bank_account" not in hint_kinds(hint)
