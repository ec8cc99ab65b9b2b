"""A MariaDB account that may read some tables but not the definition of another.

An account with SELECT on ``kunder`` and only a column-level grant on ``leverantorer``
(``GRANT SELECT (id, namn)``) gets "SHOW command denied" (errno 1142) for
``SHOW CREATE TABLE leverantorer``, which SQLAlchemy's MySQL reflection runs for every
table in one batch. Before, that one error failed the whole source ("cannot list source:
catalog: permission denied", exit 1, nothing read). Now the readable tables are read and
the other one is a failed unit with the reason (the scan is partial, exit 3).
"""

from __future__ import annotations

import uuid

import pytest
import sqlalchemy as sa

from connectors.base import ConnectorError
from connectors.sql import SqlConnector

PNR = "19640823-3234"  # Skatteverket test personnummer


@pytest.fixture
def limited_account(mariadb_url: str):  # type: ignore[no-untyped-def]
    db = mariadb_url.rsplit("/", 1)[1].split("?")[0]
    user, pw = "piiro_" + uuid.uuid4().hex[:8], "pw-" + uuid.uuid4().hex[:8]
    eng = sa.create_engine(mariadb_url)
    with eng.begin() as c:
        c.execute(sa.text("CREATE TABLE kunder (id int PRIMARY KEY, pnr varchar(13))"))
        c.execute(sa.text("INSERT INTO kunder VALUES (1, :p)"), {"p": PNR})
        c.execute(sa.text("CREATE TABLE leverantorer (id int PRIMARY KEY, namn varchar(40), orgnr varchar(13))"))
        c.execute(sa.text("INSERT INTO leverantorer VALUES (1, 'Exempel', :p)"), {"p": PNR})
        c.execute(sa.text("CREATE VIEW v_kunder AS SELECT id, pnr FROM kunder"))
        c.execute(sa.text(f"CREATE USER '{user}'@'%' IDENTIFIED BY '{pw}'"))
        c.execute(sa.text(f"GRANT SELECT ON `{db}`.kunder TO '{user}'@'%'"))
        c.execute(sa.text(f"GRANT SELECT (id, namn) ON `{db}`.leverantorer TO '{user}'@'%'"))
        c.execute(sa.text(f"GRANT SELECT ON `{db}`.v_kunder TO '{user}'@'%'"))
    host = mariadb_url.split("@", 1)[1]
    yield mariadb_url.split("://", 1)[0] + f"://{user}:{pw}@{host}"
    with eng.begin() as c:
        c.execute(sa.text(f"DROP USER '{user}'@'%'"))
    eng.dispose()


def test_one_table_without_readable_definition_fails_alone(limited_account: str) -> None:
    conn = SqlConnector("shop", {"url": limited_account})
    units = list(conn.units())
    by_container = {u.key.split("[")[0]: u for u in units}
    assert set(by_container) >= {n for n in by_container if n.endswith((".kunder", ".leverantorer"))}
    kunder = next(u for c, u in by_container.items() if c.endswith(".kunder"))
    values = [v for rec in conn.read(kunder) for _, v in rec.fields]
    assert PNR in values
    lev = next(u for c, u in by_container.items() if c.endswith(".leverantorer"))
    with pytest.raises(ConnectorError, match="permission denied") as exc:
        list(conn.read(lev))
    assert PNR not in str(exc.value) and "19640823" not in str(exc.value)
