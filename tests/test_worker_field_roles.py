"""Fields that hold another person's data, or prose, do not link to their record's subject.

A customer row that lists the customer's next of kin (``nodkontakt_telefon``),
the clerk who created it (``created_by``) or a note ("ring kollegan ...")
holds other people's identifiers beside the customer's. They are found and
listed where they stand, but they must not join the customer's subject: an
access request by the customer would hand them someone else's data, and an
erasure request by the relative would reach the customer's row as theirs.
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

CUSTOMER = "19811228-9874"
CUSTOMER_MAIL = "kund.testsson@example.se"
RELATIVE_PHONE = "070-174 06 07"
CLERK_MAIL = "handlaggare.prov@example.se"
COLLEAGUE_MAIL = "kollega.bo@example.se"


@pytest.fixture
def crm(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.delenv("PII_SCAN_KEY", raising=False)
    _crm(tmp_path, "CREATE TABLE kunder (id INTEGER PRIMARY KEY, personnummer TEXT, epost TEXT, nodkontakt_telefon TEXT,"
         " created_by TEXT, anteckning TEXT);",
         {"kunder": [(1, CUSTOMER, CUSTOMER_MAIL, RELATIVE_PHONE, CLERK_MAIL, f"Ring kollegan {COLLEAGUE_MAIL}")]})
    return _config(tmp_path)


def test_other_peoples_fields_are_found_but_not_linked(crm: Path) -> None:
    res = scan(load(crm), scheduler="sync", progress=False)
    assert res.exit_code == EXIT_COMPLETE, res.failures
    mine = {(l.field, l.kind, l.reached) for l in _found(crm, "personnummer", CUSTOMER)}
    assert ("personnummer", "personnummer", "direct") in mine
    assert ("epost", "email", "linked") in mine  # the customer's own e-mail still links
    assert {f for f, _, _ in mine} == {"personnummer", "epost"}, mine
    for kind, value, field in (("phone", RELATIVE_PHONE, "nodkontakt_telefon"), ("email", CLERK_MAIL, "created_by"),
                               ("email", COLLEAGUE_MAIL, "anteckning")):
        theirs = _found(crm, kind, value)
        assert {(l.field, l.reached) for l in theirs} == {(field, "direct")}, (field, theirs)


@pytest.mark.parametrize("name", ["email", "epost", "Telefon", "personnummer", "$.kund.mobil", "kontonr",
                                  "contact_email", "customer_phone", "Office", "price", "iceland"])
def test_a_subjects_own_fields_link(name: str) -> None:
    assert links_field(name)


@pytest.mark.parametrize("name", ["nodkontakt_telefon", "Nödkontakt", "emergency_contact_phone", "ICE_phone", "anhorig_tel",
                                  "guardian_email", "vardnadshavare_pnr", "created_by", "UpdatedBy", "handlaggare_epost",
                                  "kontaktperson_mobil", "notes", "Anteckningar", "kommentar", "$.order.comment",
                                  "beskrivning", "fritext", "Övrigt"])
def test_other_peoples_and_free_text_fields_do_not_link(name: str) -> None:
    assert not links_field(name)


def test_a_map_of_schema_2_is_relinked_by_the_new_rules(crm: Path) -> None:
    """Upgrading a map (schema 2 -> 3): findings of other people's and free-text fields stop linking, and the
    next scan relinks every subject although it has nothing new to read."""
    import sqlalchemy as sa

    from pii_scan.datamap import SCHEMA_VERSION, DataMap, findings_t, meta_t

    cfg = load(crm)
    assert scan(cfg, scheduler="sync", progress=False).exit_code == EXIT_COMPLETE
    dm = DataMap(cfg.datamap_url)
    try:  # make it look like a map written by the old rules
        with dm.engine.begin() as c:
            c.execute(findings_t.update().values(linkable=True))
            c.execute(meta_t.update().where(meta_t.c.key == "schema_version").values(value="2"))
            c.execute(meta_t.update().where(meta_t.c.key == "subjects_stale").values(value="0"))
    finally:
        dm.close()
    dm = DataMap(cfg.datamap_url)
    try:
        assert dm.schema_version() == SCHEMA_VERSION and dm.subjects_stale()
        with dm.engine.connect() as c:
            linkable = {f for (f,) in c.execute(sa.select(findings_t.c.field).where(findings_t.c.linkable.is_(True)))}
    finally:
        dm.close()
    assert linkable == {"personnummer", "epost"}
    assert scan(cfg, scheduler="sync", progress=False).exit_code == EXIT_COMPLETE  # nothing to read, relinks
    assert {l.field for l in _found(crm, "personnummer", CUSTOMER)} == {"personnummer", "epost"}


def test_related_rows_are_followed_from_the_subjects_own_rows_only(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A lookup by a next of kin's phone or a clerk's address lists that field, not the customer's invoices."""
    monkeypatch.delenv("PII_SCAN_KEY", raising=False)
    _crm(tmp_path, """
        CREATE TABLE kunder (id INTEGER PRIMARY KEY, personnummer TEXT, nodkontakt_telefon TEXT, created_by TEXT);
        CREATE TABLE fakturor (id INTEGER PRIMARY KEY, kund_id INTEGER REFERENCES kunder(id), belopp TEXT);
        """, {"kunder": [(1, CUSTOMER, RELATIVE_PHONE, CLERK_MAIL)], "fakturor": [(7, 1, "100,00")]})
    cfg = _config(tmp_path)
    assert scan(load(cfg), scheduler="sync", progress=False).exit_code == EXIT_COMPLETE
    assert ("main.fakturor", "related") in {(l.container, l.reached) for l in _found(cfg, "personnummer", CUSTOMER)}
    for kind, value, field in (("phone", RELATIVE_PHONE, "nodkontakt_telefon"), ("email", CLERK_MAIL, "created_by")):
        assert {(l.container, l.field, l.reached) for l in _found(cfg, kind, value)} == {("main.kunder", field, "direct")}
