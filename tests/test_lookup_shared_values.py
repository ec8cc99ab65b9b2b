"""A lookup by a value that other identified people hold (a family's e-mail, a switchboard number).

Such a value links nobody (the person rule), and a row that holds it is its own person's row: the
lookup lists the rows holding the value, not their other values and not the rows that reference
them through foreign keys (another person's orders), nor the values of a row with no personnummer
that holds the same shared value.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from pii_scan.config import load
from tests.test_engine import _config, _crm
from tests.test_redteam_subjects import ANNA, FAR, MOR, _lookup, _scan, _where


@pytest.fixture
def shop(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.delenv("PII_SCAN_KEY", raising=False)
    _crm(tmp_path, """
        CREATE TABLE kund (id INTEGER PRIMARY KEY, pnr TEXT, epost TEXT, telefon TEXT);
        CREATE TABLE nyhetsbrev (id INTEGER PRIMARY KEY, epost TEXT, mobil TEXT);
        CREATE TABLE orders (id INTEGER PRIMARY KEY, kund_id INTEGER REFERENCES kund(id), belopp TEXT);
        """, {
        "kund": [(1, FAR, "familjen@example.se", "070-174 06 05"), (2, MOR, "familjen@example.se", "070-174 06 06"),
                 (3, ANNA, "anna@example.se", "08-465 004 00"), (4, None, "info@example.se", "08-465 004 00"),
                 (5, "880320-0016", "eva@example.se", "08-465 004 00")],
        "nyhetsbrev": [(1, "familjen@example.se", "070-174 06 07")],
        "orders": [(10, 1, "100"), (11, 2, "200"), (12, 3, "300")],
    })
    cfg = _config(tmp_path)
    _scan(cfg)
    return cfg


def test_a_shared_email_lists_the_rows_that_hold_it_and_nothing_of_theirs(shop: Path) -> None:
    got = _where(_lookup(shop, "email", "familjen@example.se"))
    assert got == {("kund", "id=1", "epost", "direct"), ("kund", "id=2", "epost", "direct"),
                   ("nyhetsbrev", "id=1", "epost", "direct")}, got


def test_each_parent_still_gets_their_own_row_and_orders(shop: Path) -> None:
    far = _where(_lookup(shop, "personnummer", FAR))
    assert {("kund", "id=1", "pnr", "direct"), ("kund", "id=1", "epost", "linked"),
            ("orders", "id=10", "kund_id", "related")} <= far, far
    assert not [w for w in far if w[1] in ("id=2", "id=11")], far


def test_a_number_shared_with_an_identified_person_gives_none_of_their_data(shop: Path) -> None:
    got = _where(_lookup(shop, "phone", "08-465 004 00"))  # a switchboard on two customers' rows and one more
    assert got == {("kund", f"id={i}", "telefon", "direct") for i in (3, 4, 5)}, got


def test_a_personal_value_keeps_its_linked_and_related_rows(shop: Path) -> None:
    got = _where(_lookup(shop, "email", "anna@example.se"))
    assert {("kund", "id=3", "pnr", "linked"), ("orders", "id=12", "kund_id", "related")} <= got, got
    assert load(shop)  # the config still loads
