"""Second red team: a Swedish IBAN typed in lower case in free text (reference §3.7, §6.11: mod 97 is strong)."""

from __future__ import annotations

from datetime import date

import pytest

from detectors.scan import Scanner

SCANNER = Scanner()
R = date(2026, 11, 24)


@pytest.mark.parametrize(
    ("text", "written", "iban"),
    [
        # before: nothing (IBAN letters were read in capitals only, outside an account field)
        ("Betala till se45 5000 0000 0583 9825 7466 senast fredag.", "se45 5000 0000 0583 9825 7466", "SE4550000000058398257466"),
        ("IBAN: se45 5000 0000 0583 9825 7466", "se45 5000 0000 0583 9825 7466", "SE4550000000058398257466"),
        ("iban se4112000000012740235305, bic dabase", "se4112000000012740235305", "SE4112000000012740235305"),
        ("Kontot är Se58 6000 0000 0005 1718 2351.", "Se58 6000 0000 0005 1718 2351", "SE5860000000000517182351"),
    ],
)
def test_lower_case_iban_in_free_text(text: str, written: str, iban: str) -> None:
    ms = SCANNER.find(text, ref_date=R)
    assert [(text[m.start : m.end], m.subkind, m.value) for m in ms] == [(written, "iban", iban)]
    assert "shape:lower-case" in ms[0].why


def test_lower_case_personkonto_iban_holds_its_personnummer() -> None:
    ms = SCANNER.find("iban: se95 3000 0000 0010 1010 1010", ref_date=R)
    assert sorted((m.kind, m.value, m.inside) for m in ms) == [
        ("bank_account", "SE9530000000001010101010", None),
        ("personnummer", "201010101010", "iban"),
    ]


@pytest.mark.parametrize(
    "text",
    [
        "se46 5000 0000 0583 9825 7466",  # check digits (§3.7 invalid vector)
        "se45 5000 0000 0583 9825 7467",  # mod 97
        "case45 5000 0000 0583 9825 7466",  # "se" inside a word
        "nr se45 5000 0000 0583 9825 746",  # 23 characters
    ],
)
def test_lower_case_iban_keeps_its_checks(text: str) -> None:
    assert [m for m in SCANNER.find(text, ref_date=R) if m.subkind == "iban"] == []
