"""Two people in one flat row, told apart by their columns' prefixes.

A loan application holds the applicant and the co-applicant side by side
(``sokande_pnr, sokande_epost, medsokande_pnr, medsokande_epost``); a contract its
buyer and seller. Before, the row held two personnummer, so the data map linked none of
its values to anyone (the applicant's e-mail was a subject of its own) and a lookup of
either person listed the other one's e-mail and phone as theirs (an access report would
hand them out). Now each personnummer column's prefix (``sokande``, ``medsokande``; none
for a plain ``personnummer``) groups the row's values whose columns share it: each group
links as one person, as the entries of a JSON list of people do.
Fictional data: generated personnummer, example.se addresses, PTS fiction numbers.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from pii_scan.config import load
from pii_scan.engine import EXIT_COMPLETE, scan
from pii_scan.worker import field_prefix
from tests.test_engine import _config, _crm
from tests.test_engine import _locations as _found

A, A_MAIL, A_TEL = "19811228-9874", "sokande.prov@example.se", "070-174 06 11"
B, B_MAIL, B_TEL = "19670919-9530", "medsokande.prov@example.se", "070-174 06 12"
C, C_MAIL = "19880320-0016", "kopare.prov@example.se"
D, D_MAIL = "19460823-9986", "saljare.prov@example.se"


@pytest.fixture
def cfg(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.delenv("PII_SCAN_KEY", raising=False)
    _crm(tmp_path,
         "CREATE TABLE lanansokan (id INTEGER PRIMARY KEY, sokande_pnr TEXT, sokande_epost TEXT, sokande_mobil TEXT,"
         " medsokande_pnr TEXT, medsokande_epost TEXT, medsokande_mobil TEXT, belopp INTEGER);"
         "CREATE TABLE avtal (id INTEGER PRIMARY KEY, personnummer TEXT, epost TEXT, motpart_personnummer TEXT,"
         " motpart_epost TEXT);",
         {"lanansokan": [(1, A, A_MAIL, A_TEL, B, B_MAIL, B_TEL, 250000)],
          "avtal": [(1, C, C_MAIL, D, D_MAIL)]})
    return _config(tmp_path)


def _mine(cfg: Path, pnr: str) -> set[tuple[str, str]]:
    return {(l.field, l.reached) for l in _found(cfg, "personnummer", pnr)}


def test_each_person_of_a_row_gets_their_own_columns(cfg: Path) -> None:
    res = scan(load(cfg), scheduler="sync", progress=False)
    assert res.exit_code == EXIT_COMPLETE, res.failures
    assert _mine(cfg, A) == {("sokande_pnr", "direct"), ("sokande_epost", "linked"), ("sokande_mobil", "linked")}
    assert _mine(cfg, B) == {("medsokande_pnr", "direct"), ("medsokande_epost", "linked"), ("medsokande_mobil", "linked")}
    assert _mine(cfg, C) == {("personnummer", "direct"), ("epost", "linked")}
    assert _mine(cfg, D) == {("motpart_personnummer", "direct"), ("motpart_epost", "linked")}
    # and a lookup by the e-mail reaches its own person's number only
    assert {(l.field, l.reached) for l in _found(cfg, "email", B_MAIL) if l.kind == "personnummer"} == {
        ("medsokande_pnr", "linked")}


@pytest.mark.parametrize(("name", "prefix"), [
    ("sokande_pnr", "sokande"), ("medsokande_epost", "medsokande"), ("MedsokandeMobil", "medsokande"),
    ("personnummer", ""), ("epost", ""), ("co_applicant_email", "co_applicant"), ("Kund E-post", "kund"),
    ("tel_nr", ""), ("buyer_phone_number", "buyer"),
])
def test_field_prefix(name: str, prefix: str) -> None:
    assert field_prefix(name) == prefix
