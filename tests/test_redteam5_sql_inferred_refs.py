"""An invoice that references its customer by ``customer_id`` without a declared foreign key.

Many schemas declare no foreign keys at all (MyISAM tables, legacy systems, SQLite files,
ORMs that leave them out): an ``invoices.customer_id`` or ``fakturor.kund_id`` holds the
customer's key all the same. Before, such rows were never ``related`` to the customer
(a lookup and an access request missed the invoices). Now a column named
``<table>_id``/``<table>id``/``<table>_nr`` (``customer_id`` -> ``customers``,
``kund_id`` -> ``kunder``, ``faktura_id`` -> ``fakturor``, ``CustomerID`` -> ``Customers``) is taken
for a reference to the one table of that name in its schema with a one-column primary key
of the same type family, where no declared foreign key covers it. Fictional data.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from pii_scan.config import load
from pii_scan.engine import EXIT_COMPLETE, scan
from tests.test_engine import _config, _crm
from tests.test_engine import _locations as _found

A, B = "19811228-9874", "19670919-9530"


@pytest.fixture
def cfg(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.delenv("PII_SCAN_KEY", raising=False)
    _crm(tmp_path,
         "CREATE TABLE customers (id INTEGER PRIMARY KEY, personnummer TEXT);"
         "CREATE TABLE invoices (id INTEGER PRIMARY KEY, customer_id INTEGER, total REAL);"
         "CREATE TABLE Kunder (KundId INTEGER PRIMARY KEY, pnr TEXT);"
         "CREATE TABLE fakturor (nr INTEGER PRIMARY KEY, kund_id INTEGER, belopp REAL);"
         "CREATE TABLE logg (id INTEGER PRIMARY KEY, external_id INTEGER, session_id TEXT);",
         {"customers": [(1, A), (2, "19880320-0016")], "invoices": [(10, 1, 99.5), (11, 2, 10.0)],
          "Kunder": [(7, B)], "fakturor": [(100, 7, 12.5)], "logg": [(1, 1, "1")]})
    return _config(tmp_path)


def test_undeclared_references_by_name_make_related_rows(cfg: Path) -> None:
    res = scan(load(cfg), scheduler="sync", progress=False)
    assert res.exit_code == EXIT_COMPLETE, res.failures
    related = {(l.container, l.item, l.field) for l in _found(cfg, "personnummer", A) if l.reached == "related"}
    assert related == {("main.invoices", "id=10", "customer_id")}, related
    related = {(l.container, l.item, l.field) for l in _found(cfg, "personnummer", B) if l.reached == "related"}
    assert related == {("main.fakturor", "nr=100", "kund_id")}, related


def test_an_inferred_reference_is_part_of_the_units_fingerprint(tmp_path: Path) -> None:
    """A map scanned before references were inferred reads the referencing table again (its rows now
    carry references), as it does when a declared foreign key is added."""
    import sqlite3

    from connectors.sql import SqlConnector

    fps = []
    for parent in ("customers", "clients"):
        path = tmp_path / f"{parent}.sqlite"
        con = sqlite3.connect(path)
        con.executescript(f"CREATE TABLE {parent} (id INTEGER PRIMARY KEY, pnr TEXT);"
                          "CREATE TABLE invoices (id INTEGER PRIMARY KEY, customer_id INTEGER, total REAL);"
                          "INSERT INTO invoices VALUES (10, 1, 99.5);")
        con.close()
        units = {u.key: u.fingerprint for u in SqlConnector("crm", {"url": f"sqlite:///{path}"}).units()}
        fps.append(units["main.invoices"])
    assert fps[0] != fps[1]
