"""Sources are only read: a write through the SQL connector's session fails on every backend,
and credentials in a source URL never reach locations, unit keys, messages or logs."""

from __future__ import annotations

import logging
import pickle
import sqlite3
from pathlib import Path
from urllib.parse import quote

import pytest
import sqlalchemy as sa

from connectors.base import ConnectorError
from connectors.registry import build

PASSWORD = "Pw-i-URL:en-4711"
FORMS = (PASSWORD, quote(PASSWORD, safe=""))  # as written, and as it stands in a URL


def _clean(text: str) -> bool:
    return not any(f in text for f in FORMS)
WRITES = [
    "INSERT INTO kunder (id, epost) VALUES (99, 'ny@example.se')",
    "UPDATE kunder SET epost = 'x@example.se'",
    "DELETE FROM kunder",
    "CREATE TABLE intrang (id INTEGER)",
    "DROP TABLE kunder",
]


def _setup(url: str) -> None:
    eng = sa.create_engine(url)
    with eng.begin() as c:
        c.exec_driver_sql("CREATE TABLE kunder (id INTEGER PRIMARY KEY, epost VARCHAR(100))")
        c.exec_driver_sql("INSERT INTO kunder VALUES (1, 'anna.andersson@example.se'), (2, 'bo.berg@example.se')")
    eng.dispose()


def _rows(url: str) -> list[tuple]:
    eng = sa.create_engine(url)
    with eng.connect() as c:
        rows = [tuple(r) for r in c.exec_driver_sql("SELECT id, epost FROM kunder ORDER BY id")]
        names = set(sa.inspect(c).get_table_names())
    eng.dispose()
    assert "intrang" not in names
    return rows


@pytest.fixture(params=["sqlite", "postgresql", "mariadb"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        path = tmp_path / "crm.sqlite"
        sqlite3.connect(path).close()
        return f"sqlite:///{path}"
    return request.getfixturevalue("pg_url" if request.param == "postgresql" else "mariadb_url")


@pytest.mark.parametrize("stmt", WRITES, ids=lambda s: s.split()[0].lower())
def test_a_write_through_the_session_fails(db_url: str, stmt: str) -> None:
    _setup(db_url)
    before = _rows(db_url)
    conn = build("crm", {"type": "sql", "url": db_url})
    try:
        with pytest.raises((sa.exc.DBAPIError, ConnectorError)):
            with conn.session() as c:
                c.exec_driver_sql(stmt)
                c.commit()
    finally:
        conn.close()
    assert _rows(db_url) == before


def _with_password(url: str) -> str:
    return sa.engine.make_url(url).set(password=PASSWORD).render_as_string(hide_password=False)


def test_credentials_never_leave_the_connector(pg_url: str, caplog: pytest.LogCaptureFixture) -> None:
    """PostgreSQL with trust authentication ignores the password, so the URL with one works."""
    _setup(pg_url)
    caplog.set_level(logging.DEBUG)
    conn = build("crm", {"type": "sql", "url": _with_password(pg_url)})
    seen: list[str] = [repr(conn), conn.safe_url()]
    for unit in conn.units():
        seen += [unit.key, unit.fingerprint, repr(unit.params)]
        for rec in conn.read(unit):
            seen += [rec.location.uri(), repr(rec.location)]
    # a failure names the source and the cause, never the password
    eng = sa.create_engine(pg_url)
    with eng.begin() as c:
        c.exec_driver_sql("DROP TABLE kunder")
    eng.dispose()
    with pytest.raises(ConnectorError) as info:
        for _ in conn.read(unit):
            pass
    seen.append(str(info.value))
    conn.close()
    seen += [r.getMessage() for r in caplog.records]
    assert all(_clean(s) for s in seen), [s for s in seen if not _clean(s)]
    assert "***" in conn.safe_url()
    # the configuration (with the password) travels to trusted workers only, pickled as config
    assert not _clean(pickle.dumps(conn).decode("latin-1"))


def test_a_refused_login_does_not_show_the_password(mariadb_server_url: str, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    conn = build("erp", {"type": "sql", "url": _with_password(mariadb_server_url)})
    with pytest.raises(ConnectorError) as info:
        list(conn.units())
    conn.close()
    msg = str(info.value)
    assert _clean(msg) and "***" in msg
    assert all(_clean(r.getMessage()) for r in caplog.records)
