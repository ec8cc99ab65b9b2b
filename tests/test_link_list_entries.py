"""Values in different people's entries of a list within one record do not link (findings.entry).

A customer row may hold its household in a JSON column, a booking its
passengers: each entry that holds a personnummer is a person. The worker
numbers such entries (:func:`pii_scan.worker.person_entries`) and the data map
links per (record, entry), in the full and in the incremental link, on every
dialect; a map of schema 3 gains the column.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from random import Random

import pytest
import sqlalchemy as sa

from pii_scan.config import load
from pii_scan.datamap import DataMap, FoundValue, RecordResult, UnitResult, findings_t, meta_t, subjects_t
from pii_scan.engine import EXIT_COMPLETE, scan
from pii_scan.worker import person_entries
from tests.test_engine import _config, _crm, datamap_url  # noqa: F401 (fixture)
from tests.test_redteam4_subjects_json import GUSTAV, LISA, OWNER, _lookup, _where


def _fv(vh: str, kind: str, entry: int | None = None, linkable: bool = True) -> FoundValue:
    return FoundValue("f", kind, kind, vh, "****", 0.9, False, None, None, linkable, entry)


def test_person_entries_numbers_the_entries_that_hold_a_personnummer() -> None:
    found = [_fv("o", "personnummer"), _fv("oe", "email"), _fv("a", "email"), _fv("g", "personnummer"),
             _fv("ge", "email"), _fv("gt", "phone"), _fv("l", "personnummer"), _fv("k", "email")]
    elements = {2: "p$.adresser[0]", 3: "p$.hushall[0]", 4: "p$.hushall[0]", 5: "p$.hushall[0].kontakt[0]",
                6: "p$.hushall[1]", 7: "p$.hushall[1].barn[0]"}
    person_entries(found, elements)
    assert [f.entry for f in found] == [None, None, None, 1, 1, 1, 2, 2]


@pytest.mark.parametrize("case", ["one person in a list, nothing else", "no personnummer in the list"])
def test_a_record_of_one_person_is_left_as_it_was(case: str) -> None:
    if case.startswith("one"):
        found = [_fv("g", "personnummer"), _fv("ge", "email"), _fv("k", "email")]
        elements = {0: "r$[0]", 1: "r$[0]"}  # and a top-level contact e-mail, no other person
    else:
        found = [_fv("o", "personnummer"), _fv("a", "email"), _fv("b", "email")]
        elements = {1: "p$.adresser[0]", 2: "p$.adresser[1]"}
    person_entries(found, elements)
    assert all(f.entry is None for f in found)


def _records(seed: int) -> list[tuple[str, list[tuple[str, str, int | None]]]]:
    """Records of a household kind: a top-level person and entries, values drawn from small pools so that
    values recur across records (and chains, hubs and shared values arise)."""
    rnd = Random(seed)
    out = []
    for r in range(60):
        fs: list[tuple[str, str, int | None]] = []
        for entry in [None, *range(1, rnd.randint(1, 3) + 1)]:
            if rnd.random() < 0.8:
                fs.append((f"p{rnd.randint(0, 40):02d}", "personnummer", entry))
            for _ in range(rnd.randint(0, 2)):
                fs.append((f"e{rnd.randint(0, 60):02d}", rnd.choice(["email", "phone"]), entry))
        out.append((hashlib.sha256(f"{seed}/{r}".encode()).hexdigest()[:32], fs))  # record keys are keyed hashes
    return out


def _write(dm: DataMap, recs: list[tuple[str, list[tuple[str, str, int | None]]]], tag: str) -> None:
    scan_id = dm.start_scan({})
    rrs = []
    for rk, fs in recs:
        rr = RecordResult(rk, "sql", "crm", "t", rk, True, None)
        for i, (vh, kind, entry) in enumerate(fs):
            rr.findings.append(FoundValue(f"f{i}", kind, kind, vh, "****", 0.9, False, None, None, True, entry))
        rrs.append(rr)
    dm.write_unit(scan_id, UnitResult("crm", f"unit{tag}", "sql", "fp", rrs, len(rrs), unit_id=f"u{tag:0>31}"))


def _as_records(recs: list[tuple[str, list[tuple[str, str, int | None]]]]) -> list[tuple[str, list[tuple[str, str, int | None]]]]:
    """The same values with each entry written as a record of its own (what linking per entry must equal)."""
    groups: dict[str, list[tuple[str, str, int | None]]] = {}
    for rk, fs in recs:
        for vh, kind, entry in fs:
            groups.setdefault(f"{rk[2:]}{entry or 0:02d}", []).append((vh, kind, None))
    return list(groups.items())


def _subjects(dm: DataMap) -> dict[str, str]:
    with dm.engine.connect() as c:
        return dict(c.execute(sa.select(subjects_t.c.value_hash, subjects_t.c.subject)).all())


@pytest.mark.parametrize("seed", [1, 2])
def test_the_full_and_the_incremental_link_keep_entries_apart(datamap_url: str, seed: int, tmp_path: Path) -> None:  # noqa: F811
    recs = _records(seed)
    ref = DataMap(f"sqlite:///{tmp_path / 'reference.sqlite'}")
    try:
        _write(ref, _as_records(recs[:40]), "a")
        ref.link_subjects()
        first = _subjects(ref)
        _write(ref, _as_records(recs[40:]), "b")
        ref.link_subjects(full=True)
        both = _subjects(ref)
    finally:
        ref.close()
    assert any(len([h for h in both if both[h] == s]) > 2 for s in set(both.values()))  # links happen at all
    dm = DataMap(datamap_url)
    try:
        _write(dm, recs[:40], "a")
        dm.link_subjects()
        assert _subjects(dm) == first
        _write(dm, recs[40:], "b")  # a second unit: linked incrementally where it can be
        dm.link_subjects()
        assert _subjects(dm) == both
        dm.link_subjects(full=True)
        assert _subjects(dm) == both
    finally:
        dm.close()


def test_the_co_passenger_and_the_household_on_a_postgresql_map(tmp_path: Path, pg_url: str,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PII_SCAN_KEY", raising=False)
    profil = {"adresser": [{"epost": "owner.home@example.se"}],
              "hushall": [{"pnr": GUSTAV, "epost": "gustav@example.se"}, {"pnr": LISA, "epost": "lisa@example.se"}]}
    _crm(tmp_path, "CREATE TABLE kund (id INTEGER PRIMARY KEY, pnr TEXT, epost TEXT, profil TEXT);",
         {"kund": [(1, OWNER, "owner@example.se", json.dumps(profil))]})
    cfg = _config(tmp_path)
    cfg.write_text(cfg.read_text().replace('url = "sqlite:///datamap.sqlite"', f'url = "{pg_url}"'))
    assert scan(load(cfg), scheduler="sync", progress=False).exit_code == EXIT_COMPLETE
    owner = _where(_lookup(cfg, "email", "owner@example.se"))
    assert ("kund", "id=1", "pnr", "linked") in owner and ("kund", "id=1", "profil$.adresser[0].epost", "linked") in owner
    assert not [w for w in owner if "hushall" in w[2]], owner
    gustav = _where(_lookup(cfg, "email", "gustav@example.se"))
    assert ("kund", "id=1", "profil$.hushall[0].pnr", "linked") in gustav, gustav
    assert not [w for w in gustav if w[2] in ("pnr", "epost") or "hushall[1]" in w[2]], gustav


def test_a_schema_3_map_gains_the_entry_column(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PII_SCAN_KEY", raising=False)
    profil = {"hushall": [{"pnr": GUSTAV, "epost": "gustav@example.se"}]}
    _crm(tmp_path, "CREATE TABLE kund (id INTEGER PRIMARY KEY, pnr TEXT, epost TEXT, profil TEXT);",
         {"kund": [(1, OWNER, "owner@example.se", json.dumps(profil))]})
    cfg = _config(tmp_path)
    assert scan(load(cfg), scheduler="sync", progress=False).exit_code == EXIT_COMPLETE
    url = load(cfg).datamap_url
    eng = sa.create_engine(url)
    with eng.begin() as c:  # the map as schema 3 wrote it: no entry column
        c.exec_driver_sql("ALTER TABLE findings DROP COLUMN entry")
        c.execute(meta_t.update().where(meta_t.c.key == "schema_version").values(value="3"))
    eng.dispose()
    dm = DataMap(url)
    try:
        with dm.engine.connect() as c:
            assert c.execute(sa.select(sa.func.count()).where(findings_t.c.entry.is_(None))).scalar_one() > 0
        assert dm.schema_version() == 4
        dm.link_subjects(full=True)  # the old findings link per record, as before
    finally:
        dm.close()
    assert scan(load(cfg), scheduler="sync", progress=False, full=True).exit_code == EXIT_COMPLETE
    gustav = _where(_lookup(cfg, "personnummer", GUSTAV))
    assert ("kund", "id=1", "profil$.hushall[0].epost", "linked") in gustav
    assert not [w for w in gustav if w[2] in ("pnr", "epost")], gustav


def test_an_entry_with_a_name_is_a_person_too() -> None:
    """A household member known by name and e-mail only (no personnummer) is a person of their own."""
    found = [_fv("o", "personnummer"), _fv("oe", "email"), _fv("g", "personnummer"), _fv("ge", "email"), _fv("le", "email"),
             _fv("a", "email")]
    elements = {2: "p$.hushall[0]", 3: "p$.hushall[0]", 4: "p$.hushall[1]", 5: "p$.adresser[0]"}
    person_entries(found, elements, {"p$.hushall[1]"})
    assert [f.entry for f in found] == [None, None, 1, 1, 2, None]


def test_a_member_known_by_name_and_email_is_not_the_owners(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PII_SCAN_KEY", raising=False)
    profil = {"hushall": [{"namn": "Lisa", "epost": "lisa@example.se"}]}
    _crm(tmp_path, """
        CREATE TABLE kund (id INTEGER PRIMARY KEY, pnr TEXT, epost TEXT, profil TEXT);
        CREATE TABLE orders (id INTEGER PRIMARY KEY, kund_id INTEGER REFERENCES kund(id));
        """, {"kund": [(1, OWNER, "owner@example.se", json.dumps(profil))], "orders": [(10, 1)]})
    cfg = _config(tmp_path)
    assert scan(load(cfg), scheduler="sync", progress=False).exit_code == EXIT_COMPLETE
    owner = _where(_lookup(cfg, "personnummer", OWNER))
    assert ("kund", "id=1", "epost", "linked") in owner and ("orders", "id=10", "kund_id", "related") in owner
    assert not [w for w in owner if "hushall" in w[2]], owner
    lisa = _where(_lookup(cfg, "email", "lisa@example.se"))
    assert lisa == {("kund", "id=1", "profil$.hushall[0].epost", "direct")}, lisa
