"""Why a PostgreSQL source could not be connected to, in words a DPO can act on.

psycopg2's connection errors carry no SQLSTATE, so a wrong role, a database that does not
exist and an unknown host were all reported as "database error" (and a refused connection
as "connection lost"). The server's message itself is never repeated (it may hold names; the
URL, password hidden, already says which role, host and database were tried).
"""

from __future__ import annotations

import pytest

from connectors.base import ConnectorError, TransientError
from connectors.sql import SqlConnector
from tests.conftest import free_port


def _error(url: str) -> ConnectorError:
    with pytest.raises(ConnectorError) as exc:
        list(SqlConnector("crm", {"url": url}).units())
    return exc.value


def test_unknown_role_and_database(pg_server_url: str) -> None:
    host = pg_server_url.split("@", 1)[1].rsplit("/", 1)[0]
    err = _error(f"postgresql+psycopg2://no_such_role_h2x@{host}/test")
    assert "authentication failed" in str(err) and "FATAL" not in str(err)
    err = _error(pg_server_url.rsplit("/", 1)[0] + "/no_such_db_h2x")
    assert "database does not exist" in str(err) and "FATAL" not in str(err)


def test_refused_and_unknown_host() -> None:
    err = _error(f"postgresql+psycopg2://u@127.0.0.1:{free_port()}/db")
    assert "connection refused" in str(err) and isinstance(err, TransientError)
    err = _error("postgresql+psycopg2://u@no-such-host-h2x.invalid:5432/db")
    assert "unknown host" in str(err)
