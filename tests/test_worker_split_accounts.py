"""Clearing and account numbers in two columns of one row (``clearingnr`` + ``kontonr``), end to end.

A payroll table keeps them apart; neither value alone is an account. The scan
reports the account on the account column, linked to the row's other values,
so a lookup by the account (or by the employee's personnummer) finds it.
Fictional data: §3.4 vectors of the reference and a generated personnummer.
"""

from __future__ import annotations

import sqlite3
import textwrap
from pathlib import Path

import pytest

from pii_scan.config import load
from pii_scan.datamap import DataMap
from pii_scan.engine import EXIT_COMPLETE, scan
from tests.test_engine import _locations as _found

PNR = "19811228-9874"


@pytest.fixture
def payroll(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.delenv("PII_SCAN_KEY", raising=False)
    con = sqlite3.connect(tmp_path / "hr.sqlite")
    con.executescript(
        """
        CREATE TABLE anstallda (id INTEGER PRIMARY KEY, namn TEXT, personnummer TEXT, clearingnr TEXT, kontonr TEXT);
        CREATE TABLE leverantorer (id INTEGER PRIMARY KEY, namn TEXT, clearing INTEGER, kontonummer INTEGER);
        CREATE TABLE gamla (id INTEGER PRIMARY KEY, clearing_old TEXT, konto_old TEXT, clearing_new TEXT, konto_new TEXT);
        """
    )
    con.executemany("INSERT INTO anstallda VALUES (?, ?, ?, ?, ?)", [
        (1, "Test Testsson", PNR, "8327-9", "014 725 892-5"),
        (2, "Anna Prov", None, "5839", "8257466"),
        (3, "Fel Felsson", None, "1234", "3456789"),  # check digits do not match: no account
        (4, "Tom Tomsson", None, "5839", None),
    ])
    # numbers stored as integers: the account's leading zero is lost
    con.execute("INSERT INTO leverantorer VALUES (1, 'Leverantör AB', 83279, 147258925)")
    con.execute("INSERT INTO gamla VALUES (1, '5839', '8257466', '6114', '517182351')")
    con.commit()
    con.close()
    cfg = tmp_path / "pii-scan.toml"
    cfg.write_text(textwrap.dedent(
        """
        [datamap]
        url = "sqlite:///datamap.sqlite"
        [[sources]]
        name = "hr"
        type = "sql"
        url = "sqlite:///hr.sqlite"
        """
    ))
    return cfg


def test_accounts_split_over_two_columns_are_found_and_linked(payroll: Path) -> None:
    res = scan(load(payroll), scheduler="sync", progress=False)
    assert res.exit_code == EXIT_COMPLETE, res.failures
    locs = _found(payroll, "bank_account", "8327-9, 014 725 892-5")
    acct = [l for l in locs if l.kind == "bank_account"]
    assert {(l.container, l.item, l.field, l.reached) for l in acct} == {
        ("main.anstallda", "id=1", "kontonr", "direct"), ("main.leverantorer", "id=1", "kontonummer", "direct")}
    # the account links to the employee's personnummer in the same row
    assert any(l.kind == "personnummer" and l.reached == "linked" for l in locs)
    assert any(l.kind == "bank_account" and l.field == "kontonr" for l in _found(payroll, "personnummer", PNR))
    assert {(l.container, l.field) for l in _found(payroll, "bank_account", "5839-8257466") if l.reached == "direct"} == {
        ("main.anstallda", "kontonr"), ("main.gamla", "konto_old")}
    assert [l.field for l in _found(payroll, "bank_account", "6114-517182351") if l.reached == "direct"] == ["konto_new"]
    # a pair whose check digits fail is no account, nor is a clearing without an account
    dm = DataMap(load(payroll).datamap_url)
    try:
        accounts = {(f["container"], f["item"]) for f in dm.iter_findings() if f["kind"] == "bank_account"}
    finally:
        dm.close()
    assert accounts == {("main.anstallda", "id=1"), ("main.anstallda", "id=2"), ("main.leverantorer", "id=1"),
                        ("main.gamla", "id=1")}


def test_split_account_fields_pair_by_name() -> None:
    from pii_scan.worker import split_account_pairs

    assert split_account_pairs(("namn", "clearingnr", "kontonummer"), {}) == [("clearingnr", "kontonummer")]
    assert sorted(split_account_pairs(("clearing_old", "konto_old", "clearing_new", "konto_new"), {})) == [
        ("clearing_new", "konto_new"), ("clearing_old", "konto_old")]
    # a JSON array of people: each clearing with its own person's account, never the next person's
    fields = ("$.staff[0].clearing", "$.staff[0].kontonr", "$.staff[1].kontonr")
    assert split_account_pairs(fields, {}) == [("$.staff[0].clearing", "$.staff[0].kontonr")]
    assert split_account_pairs(("clearingnr", "email"), {}) == []
    # the connector's hint (a column comment) names what a field holds
    assert split_account_pairs(("c1", "c2"), {"c1": "clearingnummer", "c2": "kontonummer"}) == [("c1", "c2")]
