"""Red team 4: people in the elements of a JSON array on somebody else's row.

A customer row with a household list in a JSON column
(``profil$.hushall[0].pnr``, ``profil$.hushall[0].epost``, ...) holds several
people: each array element is one person. The row's owner must not get the
household members' values, a household member must not get the owner's values
or the owner's orders (foreign keys of the row), and the members must not get
each other's. All values are fictional (valid checksums, example.se).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pii_scan.config import load
from pii_scan.engine import EXIT_COMPLETE, scan
from tests.test_engine import _config, _crm
from tests.test_redteam_subjects import _lookup, _where

OWNER, GUSTAV, LISA = "19550504-8388", "19440113-6629", "19980526-8837"


@pytest.fixture
def household(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.delenv("PII_SCAN_KEY", raising=False)
    profil = {
        "adresser": [{"typ": "hem", "epost": "owner.home@example.se"}],  # the owner's own, no other person
        "hushall": [
            {"namn": "Gustav", "pnr": GUSTAV, "epost": "gustav@example.se", "telefon": ["070-174 06 20"]},
            {"namn": "Lisa", "pnr": LISA, "epost": "lisa@example.se"},
        ],
    }
    _crm(tmp_path, """
        CREATE TABLE kund (id INTEGER PRIMARY KEY, pnr TEXT, epost TEXT, mobil TEXT, profil TEXT);
        CREATE TABLE orders (id INTEGER PRIMARY KEY, kund_id INTEGER REFERENCES kund(id), text TEXT);
        """, {
        "kund": [(1, OWNER, "owner@example.se", "070-174 06 05", json.dumps(profil))],
        "orders": [(10, 1, "order")],
    })
    cfg = _config(tmp_path)
    s = scan(load(cfg), scheduler="sync", progress=False)
    assert s.exit_code == EXIT_COMPLETE, s.failures
    return cfg


def test_the_owner_gets_none_of_the_household_members_values(household: Path) -> None:
    got = _where(_lookup(household, "personnummer", OWNER))
    assert ("kund", "id=1", "epost", "linked") in got
    assert ("kund", "id=1", "profil$.adresser[0].epost", "linked") in got  # the owner's own list
    assert ("orders", "id=10", "kund_id", "related") in got
    assert not [w for w in got if w[2].startswith("profil$.hushall")], got


@pytest.mark.parametrize("kind,value", [("personnummer", GUSTAV), ("email", "gustav@example.se"),
                                        ("phone", "070-174 06 20")])
def test_a_household_member_gets_only_their_own_element(household: Path, kind: str, value: str) -> None:
    got = _where(_lookup(household, kind, value))
    fields = {f for _c, _i, f, _r in got}
    assert fields <= {"profil$.hushall[0].pnr", "profil$.hushall[0].epost", "profil$.hushall[0].telefon[0]"}, got
    assert {"profil$.hushall[0].epost", "profil$.hushall[0].telefon[0]"} <= fields, got
    assert not any(c == "orders" for c, *_ in got), got  # the owner's orders are not Gustav's



def test_erasing_a_household_member_deletes_neither_the_owners_row_nor_orders(household: Path) -> None:
    from click.testing import CliRunner

    from pii_scan.cli import main

    res = CliRunner().invoke(main, ["erasure-plan", "--config", str(household), "--personnummer", GUSTAV])
    assert res.exit_code == 0, res.output
    acts = {(a["container"].split(".")[-1], a["action"]) for a in json.loads(res.stdout)["actions"]}
    assert acts == {("kund", "manual")}, acts  # the entry is removed by hand, the row and the orders stay
    res = CliRunner().invoke(main, ["erasure-plan", "--config", str(household), "--personnummer", OWNER])
    acts = {(a["container"].split(".")[-1], a["action"]) for a in json.loads(res.stdout)["actions"]}
    assert acts == {("kund", "delete_row"), ("orders", "delete_row")}, acts


def test_a_row_whose_only_person_is_in_a_list_is_that_persons(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A booking of one passenger, the passenger in a JSON list: the booking and its tickets are theirs."""
    monkeypatch.delenv("PII_SCAN_KEY", raising=False)
    _crm(tmp_path, """
        CREATE TABLE bokning (id INTEGER PRIMARY KEY, resenarer TEXT, referens TEXT);
        CREATE TABLE biljett (id INTEGER PRIMARY KEY, bokning_id INTEGER REFERENCES bokning(id), plats TEXT);
        """, {
        "bokning": [(1, json.dumps([{"pnr": GUSTAV, "epost": "gustav@example.se"}]), "R-1")],
        "biljett": [(7, 1, "12A")],
    })
    cfg = _config(tmp_path)
    assert scan(load(cfg), scheduler="sync", progress=False).exit_code == EXIT_COMPLETE
    got = _where(_lookup(cfg, "personnummer", GUSTAV))
    assert ("bokning", "id=1", "resenarer$[0].epost", "linked") in got, got
    assert ("biljett", "id=7", "bokning_id", "related") in got, got


def test_the_owner_found_by_email_gets_their_personnummer(household: Path) -> None:
    got = _where(_lookup(household, "email", "owner@example.se"))
    assert ("kund", "id=1", "pnr", "linked") in got, got
    assert not [w for w in got if w[2].startswith("profil$.hushall")], got


def test_another_entry_of_the_list_is_not_the_subjects_even_without_a_personnummer(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A booking of two passengers, the second known by name and e-mail only: not the first one's."""
    monkeypatch.delenv("PII_SCAN_KEY", raising=False)
    _crm(tmp_path, """
        CREATE TABLE bokning (id INTEGER PRIMARY KEY, resenarer TEXT, kontakt_epost TEXT);
        CREATE TABLE biljett (id INTEGER PRIMARY KEY, bokning_id INTEGER REFERENCES bokning(id), plats TEXT);
        """, {
        "bokning": [(1, json.dumps([{"pnr": GUSTAV, "epost": "gustav@example.se"},
                                    {"namn": "Lisa", "epost": "lisa@example.se"}]), "bokning@example.se")],
        "biljett": [(7, 1, "12A")],
    })
    cfg = _config(tmp_path)
    assert scan(load(cfg), scheduler="sync", progress=False).exit_code == EXIT_COMPLETE
    got = _where(_lookup(cfg, "personnummer", GUSTAV))
    assert ("bokning", "id=1", "resenarer$[0].epost", "linked") in got, got
    assert ("bokning", "id=1", "kontakt_epost", "linked") in got, got  # the booking's own (the row is his)
    assert ("biljett", "id=7", "bokning_id", "related") in got, got
    assert not [w for w in got if w[2].startswith("resenarer$[1]")], got
