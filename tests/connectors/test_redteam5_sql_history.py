"""MariaDB system-versioned tables keep every old row: the history is personal data too.

``WITH SYSTEM VERSIONING`` keeps a row's earlier versions (an old e-mail address) and the
rows deleted since (a customer erased with ``DELETE``): a plain ``SELECT`` shows only the
current rows, so before, a scan never saw them, and an erasure that deleted the row
looked complete. Now each such table gets a unit ``<table>#history`` that reads
``FOR SYSTEM_TIME ALL`` the rows whose period has ended, ``item`` = when that version
ended and the row's key (``history <end>: id=2``). Fictional values only.
"""

from __future__ import annotations

import sqlalchemy as sa

from connectors.sql import SqlConnector

PNR_A, PNR_B = "19811228-9874", "19670919-9530"


def _records(url: str) -> dict[str, list[tuple[str, list[tuple[str, str]]]]]:
    conn = SqlConnector("shop", {"url": url})
    out: dict[str, list[tuple[str, list[tuple[str, str]]]]] = {}
    for unit in conn.units():
        out[unit.key] = [(r.location.item, r.fields) for r in conn.read(unit)]
    return out


def test_old_and_deleted_rows_of_a_versioned_table_are_read(mariadb_url: str) -> None:
    eng = sa.create_engine(mariadb_url)
    with eng.begin() as c:
        c.execute(sa.text("CREATE TABLE kunder (id int PRIMARY KEY, pnr varchar(13), epost varchar(100)) WITH SYSTEM VERSIONING"))
        c.execute(sa.text("INSERT INTO kunder VALUES (1, :a, 'gammal.adress@example.se'), (2, :b, 'raderad@example.se')"),
                  {"a": PNR_A, "b": PNR_B})
    with eng.begin() as c:
        c.execute(sa.text("UPDATE kunder SET epost = 'ny.adress@example.se' WHERE id = 1"))
        c.execute(sa.text("DELETE FROM kunder WHERE id = 2"))
        c.execute(sa.text("CREATE TABLE vanlig (id int PRIMARY KEY, epost varchar(100))"))
    eng.dispose()
    recs = _records(mariadb_url)
    current = next(v for k, v in recs.items() if k.endswith(".kunder"))
    history = next(v for k, v in recs.items() if k.endswith(".kunder#history"))
    assert [i for i, _ in current] == ["id=1"]
    values = {(i.split(": ", 1)[1], v) for i, fields in history for _, v in fields}
    assert ("id=1", "gammal.adress@example.se") in values
    assert ("id=2", PNR_B) in values and ("id=2", "raderad@example.se") in values
    assert not any(v == "ny.adress@example.se" for _, v in values)  # the current row is read once, by its own unit
    assert all(i.startswith("history ") for i, _ in history)  # not a row key: nothing takes it for the current row
    assert not any(k.endswith(".vanlig#history") for k in recs)


def test_a_versioned_table_with_named_period_columns(mariadb_url: str) -> None:
    eng = sa.create_engine(mariadb_url)
    with eng.begin() as c:
        c.execute(sa.text(
            "CREATE TABLE medlem (id int PRIMARY KEY, epost varchar(100), "
            "giltig_fran TIMESTAMP(6) GENERATED ALWAYS AS ROW START, giltig_till TIMESTAMP(6) GENERATED ALWAYS AS ROW END, "
            "PERIOD FOR SYSTEM_TIME(giltig_fran, giltig_till)) WITH SYSTEM VERSIONING"))
        c.execute(sa.text("INSERT INTO medlem (id, epost) VALUES (1, 'forst@example.se')"))
    with eng.begin() as c:
        c.execute(sa.text("UPDATE medlem SET epost = 'sedan@example.se' WHERE id = 1"))
    eng.dispose()
    recs = _records(mariadb_url)
    history = next(v for k, v in recs.items() if k.endswith(".medlem#history"))
    assert [v for _, fields in history for f, v in fields if f == "epost"] == ["forst@example.se"]
