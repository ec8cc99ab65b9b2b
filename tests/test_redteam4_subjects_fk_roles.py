"""Red team 4: a foreign key named for another role than the row's owner.

An order references its customer (``customer_id``) and the clerk who handled it
(``handled_by``). The order holds the clerk's reference, so the clerk's access
request lists it; but the order is the customer's: its lines, its invoices and the
values in them are not the clerk's, and an erasure of the clerk must not reach
them. Fictional values only.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from pii_scan.config import load
from pii_scan.datamap import DataMap
from pii_scan.engine import EXIT_COMPLETE, scan
from pii_scan.keys import load_keys
from pii_scan.lookup import Location, lookup
from tests.test_engine import _config, _crm

CLERK, CUSTOMER = "19550504-8388", "19920209-3192"


def _lookup(cfg: Path, pnr: str) -> set[tuple[str, str, str, str]]:
    c = load(cfg)
    dm = DataMap(c.datamap_url)
    try:
        locs: list[Location] = lookup(dm, load_keys(c.key_file), "personnummer", pnr)
    finally:
        dm.close()
    return {(l.container.split(".")[-1], l.item, l.field, l.reached) for l in locs}


@pytest.fixture
def shop(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.delenv("PII_SCAN_KEY", raising=False)
    _crm(tmp_path, """
        CREATE TABLE employees (id INTEGER PRIMARY KEY, pnr TEXT, email TEXT);
        CREATE TABLE customers (id INTEGER PRIMARY KEY, pnr TEXT, email TEXT);
        CREATE TABLE orders (id INTEGER PRIMARY KEY, customer_id INTEGER REFERENCES customers(id),
                             handled_by INTEGER REFERENCES employees(id), leverans_epost TEXT);
        CREATE TABLE order_lines (order_id INTEGER REFERENCES orders(id), line INTEGER, product TEXT,
                                  PRIMARY KEY (order_id, line));
        """, {
        "employees": [(1, CLERK, "clerk@example.se")],
        "customers": [(1, CUSTOMER, "bo@example.se")],
        "orders": [(10, 1, 1, "bo.leverans@example.se")],
        "order_lines": [(10, 1, "kaffe")],
    })
    cfg = _config(tmp_path)
    s = scan(load(cfg), scheduler="sync", progress=False)
    assert s.exit_code == EXIT_COMPLETE, s.failures
    return cfg


def test_the_clerk_gets_the_reference_but_not_the_customers_order(shop: Path) -> None:
    clerk = _lookup(shop, CLERK)
    assert ("orders", "id=10", "handled_by", "related") in clerk  # the clerk's id stands there
    assert not [w for w in clerk if w[0] == "order_lines"], clerk
    assert ("orders", "id=10", "leverans_epost", "related") not in clerk, clerk  # the customer's address


def test_the_customer_gets_the_whole_order(shop: Path) -> None:
    customer = _lookup(shop, CUSTOMER)
    assert ("orders", "id=10", "customer_id", "related") in customer
    assert ("orders", "id=10", "leverans_epost", "related") in customer
    assert ("order_lines", "order_id=10,line=1", "order_id", "related") in customer


def test_the_clerks_erasure_plan_clears_the_reference_and_keeps_the_customers_order(shop: Path) -> None:
    import json

    from click.testing import CliRunner

    from pii_scan.cli import main

    res = CliRunner().invoke(main, ["erasure-plan", "--config", str(shop), "--personnummer", CLERK])
    assert res.exit_code == 0, res.output
    acts = {(a["container"].split(".")[-1], a["action"]) for a in json.loads(res.stdout)["actions"]}
    assert ("employees", "delete_row") in acts
    assert ("orders", "delete_row") not in acts and not [a for a in acts if a[0] == "order_lines"], acts
    assert ("orders", "update_row") in acts, acts  # handled_by cleared
