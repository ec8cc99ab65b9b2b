"""A manager's, an approver's or a clerk's values in an employee's or a customer's row.

Swedish schemas name the clerk who wrote a row ``skapad_av``/``andrad_av``/``registrerad_av``
(the English ``created_by`` already did not link), and an HR row names the employee's
manager (``chef_epost``, ``chef_mobil``, ``manager_email``, ``supervisor_phone``,
``narmaste_chef``), an approver (``attesterare``, ``godkand_av``, ``approver``) or the
customer's account owner at the company (``kundansvarig_epost``). Before, those values
linked to the row's subject: the employee and the manager became one subject, and the
employee's lookup (an access report) listed the manager's own row in ``ledning``.
Fictional data: generated personnummer, example.se addresses, PTS fiction numbers.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from pii_scan.config import load
from pii_scan.engine import EXIT_COMPLETE, scan
from pii_scan.worker import links_field
from tests.test_engine import _config, _crm
from tests.test_engine import _locations as _found

EMPLOYEE = "19811228-9874"
EMPLOYEE_MAIL = "anstalld.testsson@example.se"
MANAGER_MAIL = "chef.provsson@example.se"
MANAGER_PHONE = "070-174 06 21"


@pytest.mark.parametrize("name", [
    "chef_epost", "chef_mobil", "Chef", "chefens_telefon", "narmaste_chef", "närmaste_chef_epost", "manager_email",
    "ManagerPhone", "line_manager", "supervisor_phone", "handledare_epost", "attesterare", "attestant_epost",
    "godkand_av", "godkänd_av", "approver", "approver_email", "skapad_av", "andrad_av", "ändrad_av", "registrerad_av",
    "uppdaterad_av", "handlagd_av", "kundansvarig", "kundansvarig_epost", "ansvarig_saljare",
])
def test_fields_named_for_a_manager_approver_or_clerk_do_not_link(name: str) -> None:
    assert not links_field(name)


@pytest.mark.parametrize("name", ["epost", "mobil", "chefredaktor_id", "kocken", "avdelning", "avgift", "godkand_avgift",
                                  "personnummer", "telefon_arbete", "management_fee", "ansvarsomrade"])
def test_own_fields_still_link(name: str) -> None:
    assert links_field(name)


def test_employee_and_manager_stay_two_subjects(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PII_SCAN_KEY", raising=False)
    _crm(tmp_path,
         "CREATE TABLE ledning (id INTEGER PRIMARY KEY, epost TEXT, mobil TEXT);"
         "CREATE TABLE anstallda (anst_nr INTEGER PRIMARY KEY, personnummer TEXT, epost TEXT, chef_epost TEXT,"
         " chef_mobil TEXT, skapad_av TEXT);",
         {"ledning": [(1, MANAGER_MAIL, MANAGER_PHONE)],
          "anstallda": [(501, EMPLOYEE, EMPLOYEE_MAIL, MANAGER_MAIL, MANAGER_PHONE, MANAGER_MAIL)]})
    cfg = _config(tmp_path)
    res = scan(load(cfg), scheduler="sync", progress=False)
    assert res.exit_code == EXIT_COMPLETE, res.failures
    mine = {(l.container, l.field, l.reached) for l in _found(cfg, "personnummer", EMPLOYEE)}
    assert mine == {("main.anstallda", "personnummer", "direct"), ("main.anstallda", "epost", "linked")}, mine
    theirs = {(l.container, l.field) for l in _found(cfg, "email", MANAGER_MAIL)}
    assert ("main.ledning", "epost") in theirs and ("main.anstallda", "chef_epost") in theirs
