"""PostgreSQL row-level security hides rows from the scanning account without an error.

A table with ``ENABLE ROW LEVEL SECURITY`` and a policy that lets the scanner's role see
some rows (a tenant, a region) returns only those to ``SELECT *``: before, the other rows
were passed over in silence and the scan ended "complete". Now such a table's unit reads
what it may and then ends partial, saying that row-level security hid rows (grant the
role BYPASSRLS, or scan as the table's owner). A superuser, a BYPASSRLS role and the
owner (without FORCE) see every row: no note. Fictional values.
"""

from __future__ import annotations

import uuid

import pytest
import sqlalchemy as sa

from connectors.base import ConnectorError
from connectors.sql import SqlConnector

A, B = "19811228-9874", "19670919-9530"


@pytest.fixture
def rls_db(pg_url: str):  # type: ignore[no-untyped-def]
    role = "piirls_" + uuid.uuid4().hex[:8]
    eng = sa.create_engine(pg_url)
    with eng.begin() as c:
        c.execute(sa.text("CREATE TABLE kunder (id int PRIMARY KEY, pnr text, region text)"))
        c.execute(sa.text("INSERT INTO kunder VALUES (1, :a, 'syd'), (2, :b, 'norr')"), {"a": A, "b": B})
        c.execute(sa.text("CREATE TABLE fri (id int PRIMARY KEY, pnr text)"))
        c.execute(sa.text("INSERT INTO fri VALUES (1, :a)"), {"a": A})
        c.execute(sa.text(f"CREATE ROLE {role} LOGIN"))
        c.execute(sa.text(f"GRANT SELECT ON kunder, fri TO {role}"))
        c.execute(sa.text("ALTER TABLE kunder ENABLE ROW LEVEL SECURITY"))
        c.execute(sa.text(f"CREATE POLICY syd ON kunder FOR SELECT TO {role} USING (region = 'syd')"))
    yield pg_url, pg_url.split("://", 1)[0] + f"://{role}@" + pg_url.split("@", 1)[1]
    with eng.begin() as c:
        c.execute(sa.text("DROP TABLE kunder, fri"))
        c.execute(sa.text(f"DROP ROLE {role}"))
    eng.dispose()


def _read(url: str) -> dict[str, tuple[list[str], str]]:
    conn = SqlConnector("crm", {"url": url})
    out = {}
    for unit in conn.units():
        values, error = [], ""
        try:
            for rec in conn.read(unit):
                values += [v for f, v in rec.fields if f == "pnr"]
        except ConnectorError as exc:
            error = str(exc)
        out[unit.key.rsplit(".", 1)[-1]] = (values, error)
    return out


def test_rows_hidden_by_row_level_security_make_the_unit_partial(rls_db: tuple[str, str]) -> None:
    admin, reader = rls_db
    got = _read(reader)
    assert got["kunder"][0] == [A]
    assert "row-level security" in got["kunder"][1]
    assert got["fri"] == ([A], "")
    got = _read(admin)  # a superuser sees every row
    assert sorted(got["kunder"][0]) == sorted([A, B]) and got["kunder"][1] == ""
