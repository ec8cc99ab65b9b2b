"""Second red team: clearing and account each after its label, with words or a parenthesis between (reference §3.4)."""

from __future__ import annotations

from datetime import date

import pytest

from detectors.scan import Scanner

SCANNER = Scanner()
R = date(2026, 11, 24)


@pytest.mark.parametrize(
    ("text", "value"),
    [
        # before: nothing found (the labels were joined only by a comma, a line break or och/and/samt)
        ("konto 014 725 892-5 (clearing 8327-9)", "8327-0147258925"),
        ("clearing 5839 (konto 8257466)", "5839-8257466"),
        ("clearing 3473 till mitt konto 17 01473", "3473-1701473"),
        ("clearingnummer 8327-9 och mitt kontonummer 014 725 892-5", "8327-0147258925"),
        ("Pengarna sätts in på kontonummer 8257466 hos SEB, clearingnummer 5839.", "5839-8257466"),
    ],
)
def test_labelled_account_with_words_between(text: str, value: str) -> None:
    ms = SCANNER.find(text, ref_date=R)
    assert [(m.kind, m.value) for m in ms] == [("bank_account", value)]


@pytest.mark.parametrize(
    "text",
    [
        "konto 014 725 892-6 (clearing 8327-9)",  # account check (§3.4 invalid vector)
        "clearing 8424-1 och konto 014 725 892-5",  # clearing check
        "clearing 5839 är inte alls samma som konto 8257466",  # more than three words between
    ],
)
def test_labelled_account_keeps_its_checks(text: str) -> None:
    assert SCANNER.find(text, ref_date=R) == []
