"""Red team 4: foreign keys that do not point at the referenced row's key as written.

A related row is found by its reference, whose item must equal the referenced
row's location item. A composite key declared in another column order than the
referenced primary key, and a key to a unique column that is not the row key
(a customer number, a unique e-mail), named no row: the invoices, payments and
cases of the person were missing from the access request. Fictional values only.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
import sqlalchemy as sa

from pii_scan.config import load
from pii_scan.datamap import DataMap
from pii_scan.engine import EXIT_COMPLETE, scan
from pii_scan.keys import load_keys
from pii_scan.lookup import lookup

ANNA, BO = "19550504-8388", "19920209-3192"

DDL = [
    "CREATE TABLE {s}kund (id INTEGER PRIMARY KEY, pnr VARCHAR(20), epost VARCHAR(80) UNIQUE, kundnr VARCHAR(20) UNIQUE)",
    "CREATE TABLE {s}konto (clearing VARCHAR(5), nummer VARCHAR(12), agare INTEGER REFERENCES {s}kund(id),"
    " PRIMARY KEY (clearing, nummer), UNIQUE (nummer, clearing))",
    "CREATE TABLE {s}betalning (id INTEGER PRIMARY KEY, n VARCHAR(12), c VARCHAR(5), belopp INTEGER,"
    " FOREIGN KEY (n, c) REFERENCES {s}konto(nummer, clearing))",
    "CREATE TABLE {s}arende (id INTEGER PRIMARY KEY, kund VARCHAR(20) REFERENCES {s}kund(kundnr), rubrik VARCHAR(40))",
    "CREATE TABLE {s}svar (id INTEGER PRIMARY KEY, kund_epost VARCHAR(80) REFERENCES {s}kund(epost), rubrik VARCHAR(40))",
]
ROWS = [
    "INSERT INTO {s}kund VALUES (1, '%s', 'anna@example.se', 'K-1001'), (2, '%s', 'bo@example.se', 'K-1002')" % (ANNA, BO),
    "INSERT INTO {s}konto VALUES ('5000', '1234567', 1), ('5000', '7654321', 2)",
    "INSERT INTO {s}betalning VALUES (1, '1234567', '5000', 100), (2, '7654321', '5000', 200)",
    "INSERT INTO {s}arende VALUES (1, 'K-1001', 'Fråga'), (2, 'K-1002', 'Klagomål')",
    "INSERT INTO {s}svar VALUES (1, 'anna@example.se', 'Svar'), (2, 'bo@example.se', 'Svar')",
]


def _build(url: str, schema: str = "") -> None:
    eng = sa.create_engine(url)
    with eng.begin() as c:
        if schema:
            c.exec_driver_sql(f"CREATE SCHEMA {schema}")
        for stmt in DDL + ROWS:
            c.exec_driver_sql(stmt.format(s=f"{schema}." if schema else ""))
    eng.dispose()


def _scan_and_look(tmp: Path, url: str) -> dict[str, set[tuple[str, str, str]]]:
    cfg = tmp / "pii-scan.toml"
    cfg.write_text(textwrap.dedent(f"""
        [datamap]
        url = "sqlite:///datamap.sqlite"
        [[sources]]
        name = "crm"
        type = "sql"
        url = "{url}"
        """))
    c = load(cfg)
    s = scan(c, scheduler="sync", progress=False)
    assert s.exit_code == EXIT_COMPLETE, s.failures
    dm = DataMap(c.datamap_url)
    try:
        keys = load_keys(c.key_file)
        return {who: {(l.container.split(".")[-1], l.item, l.reached) for l in lookup(dm, keys, "personnummer", pnr)}
                for who, pnr in (("anna", ANNA), ("bo", BO))}
    finally:
        dm.close()


def _check(got: dict[str, set[tuple[str, str, str]]]) -> None:
    anna, bo = got["anna"], got["bo"]
    assert ("konto", "clearing=5000,nummer=1234567", "related") in anna
    assert ("betalning", "id=1", "related") in anna, anna  # composite key in another column order
    assert ("arende", "id=1", "related") in anna, anna  # key to the unique customer number
    assert ("svar", "id=1", "related") in anna or ("svar", "id=1", "linked") in anna, anna
    assert ("betalning", "id=2", "related") in bo and ("arende", "id=2", "related") in bo, bo
    for mine, theirs in ((anna, bo), (bo, anna)):  # nobody gets the other's rows
        assert not {(c, i) for c, i, _r in mine} & {(c, i) for c, i, _r in theirs if c != "kund"}


def test_sqlite_foreign_keys_to_reordered_and_unique_columns(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PII_SCAN_KEY", raising=False)
    monkeypatch.chdir(tmp_path)
    _build(f"sqlite:///{tmp_path / 'crm.sqlite'}")
    _check(_scan_and_look(tmp_path, f"sqlite:///{tmp_path / 'crm.sqlite'}"))


def test_postgresql_foreign_keys_in_another_schema(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, pg_url: str) -> None:
    monkeypatch.delenv("PII_SCAN_KEY", raising=False)
    monkeypatch.chdir(tmp_path)
    _build(pg_url, "rt4crm")
    _check(_scan_and_look(tmp_path, pg_url))


def test_mariadb_foreign_keys(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, mariadb_url: str) -> None:
    monkeypatch.delenv("PII_SCAN_KEY", raising=False)
    monkeypatch.chdir(tmp_path)
    _build(mariadb_url)
    _check(_scan_and_look(tmp_path, mariadb_url))


def test_a_referenced_table_the_account_cannot_read_does_not_fail_the_referencing_table(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, pg_url: str) -> None:
    """Least privilege: the scanner may read the cases but not the customers; the cases are still read."""
    import uuid

    monkeypatch.delenv("PII_SCAN_KEY", raising=False)
    monkeypatch.chdir(tmp_path)
    _build(pg_url)
    role = "rt4r_" + uuid.uuid4().hex[:8]
    admin = sa.create_engine(pg_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.exec_driver_sql(f"CREATE ROLE {role} LOGIN")
        c.exec_driver_sql(f"GRANT SELECT ON arende, svar, betalning TO {role}")
    try:
        url = sa.engine.make_url(pg_url).set(username=role).render_as_string(hide_password=False)
        from connectors.sql import SqlConnector

        conn = SqlConnector("crm", {"url": url})
        unit = next(u for u in conn.units() if u.key.endswith(".arende"))
        recs = list(conn.read(unit))
        conn.close()
        assert [r.location.item for r in recs] == ["id=1", "id=2"]
        assert [r.references[0].item for r in recs] == ["kundnr=K-1001", "kundnr=K-1002"]  # as declared
    finally:
        with admin.connect() as c:
            c.exec_driver_sql(f"DROP OWNED BY {role}")
            c.exec_driver_sql(f"DROP ROLE {role}")
        admin.dispose()


def test_a_referenced_table_dropped_after_the_listing_does_not_fail_the_referencing_table(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from connectors.sql import SqlConnector

    url = f"sqlite:///{tmp_path / 'crm.sqlite'}"
    _build(url)
    conn = SqlConnector("crm", {"url": url})
    unit = next(u for u in conn.units() if u.key.endswith(".svar"))
    eng = sa.create_engine(url)
    with eng.begin() as c:
        c.exec_driver_sql("PRAGMA foreign_keys = OFF")
        c.exec_driver_sql("DROP TABLE kund")
    eng.dispose()
    recs = list(conn.read(unit))
    conn.close()
    assert [r.references[0].item for r in recs] == ["epost=anna@example.se", "epost=bo@example.se"]


def test_erasure_deletes_the_rows_that_reference_a_unique_column(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The plan's check that a related row still references the subject's row pairs each key column with
    the column it references: a case keyed to the customer number is deleted, not 'no longer references'."""
    from click.testing import CliRunner

    from pii_scan.cli import main

    monkeypatch.delenv("PII_SCAN_KEY", raising=False)
    monkeypatch.chdir(tmp_path)
    url = f"sqlite:///{tmp_path / 'crm.sqlite'}"
    _build(url)
    _scan_and_look(tmp_path, url)
    cfg = str(tmp_path / "pii-scan.toml")
    res = CliRunner().invoke(main, ["erasure-plan", "--config", cfg, "--personnummer", ANNA, "-o", "plan.json"])
    assert res.exit_code == 0, res.output
    res = CliRunner().invoke(main, ["erase", "--plan", "plan.json", "--config", cfg, "--confirm"])
    assert "not theirs" not in res.output, res.output
    eng = sa.create_engine(url)
    with eng.connect() as c:
        left = {t: sorted(r[0] for r in c.exec_driver_sql(f"SELECT id FROM {t}"))
                for t in ("kund", "betalning", "arende", "svar")}
    eng.dispose()
    assert left == {"kund": [2], "betalning": [2], "arende": [2], "svar": [2]}, left
