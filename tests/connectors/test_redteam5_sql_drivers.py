"""A source URL that names no driver (``postgresql://``, ``mysql://``, ``mariadb://``).

SQLAlchemy 2.1 maps ``postgresql://`` to psycopg 3 and ``mysql://`` to mysqlclient;
pii-scan installs psycopg2 and PyMySQL. The README's own example is
``postgresql://app:${CRM_PASSWORD}@db/crm``: before, such a source failed as a whole
("the database driver 'psycopg' is not installed"). The connector now uses an installed
driver for the dialect when the URL names none. The default drivers are hidden here
(``sys.modules[...] = None``) so that the test holds whatever else is installed.
"""

from __future__ import annotations

import sys

import pytest
import sqlalchemy as sa

from connectors.base import ConfigError
from connectors.sql import SqlConnector

PNR = "19640823-3234"  # Skatteverket test personnummer


def _without(monkeypatch: pytest.MonkeyPatch, *modules: str) -> None:
    for m in modules:
        monkeypatch.setitem(sys.modules, m, None)


def _values(conn: SqlConnector) -> list[str]:
    out = []
    for unit in conn.units():
        for rec in conn.read(unit):
            out += [str(v) for _, v in rec.fields]
    return out


def test_postgresql_url_without_driver_reads(pg_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    eng = sa.create_engine(pg_url)
    with eng.begin() as c:
        c.execute(sa.text("CREATE TABLE kunder (id integer PRIMARY KEY, pnr text)"))
        c.execute(sa.text("INSERT INTO kunder VALUES (1, :p)"), {"p": PNR})
    eng.dispose()
    _without(monkeypatch, "psycopg")
    bare = "postgresql://" + pg_url.split("://", 1)[1]
    assert PNR in _values(SqlConnector("crm", {"url": bare}))


def test_mysql_and_mariadb_urls_without_driver_read(mariadb_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    eng = sa.create_engine(mariadb_url)
    with eng.begin() as c:
        c.execute(sa.text("CREATE TABLE kunder (id int PRIMARY KEY, pnr varchar(13))"))
        c.execute(sa.text("INSERT INTO kunder VALUES (1, :p)"), {"p": PNR})
    eng.dispose()
    _without(monkeypatch, "MySQLdb")
    rest = mariadb_url.split("://", 1)[1]
    for scheme in ("mysql", "mariadb"):
        assert PNR in _values(SqlConnector("shop", {"url": f"{scheme}://{rest}"})), scheme


def test_named_driver_that_is_missing_still_says_so(monkeypatch: pytest.MonkeyPatch) -> None:
    """An explicit ``+driver`` is the user's choice: no silent substitute."""
    _without(monkeypatch, "psycopg")
    conn = SqlConnector("crm", {"url": "postgresql+psycopg://u@127.0.0.1:1/db"})
    with pytest.raises(ConfigError, match="psycopg"):
        list(conn.units())
