"""MySQL/MariaDB dumps (mysqldump) in a share or a bucket: each inserted tuple is a record with its column names.

Made here with mysqldump from the real MariaDB, in its one-tuple-per-line form
and in the older all-on-one-line form. Fictional data (Skatteverket test numbers).
"""

from __future__ import annotations

import io
import shutil
import subprocess
import uuid

import pytest
import sqlalchemy as sa

from connectors.base import Location
from connectors.formats import read_stream
from tests.conftest import need_service
from tests.connectors.fileutil import EMAIL, PNR, PNR2


@pytest.fixture
def dump(mariadb_server_url: str) -> bytes:
    if shutil.which("mysqldump") is None:
        need_service("mysqldump", "Debian: mariadb-client")
    name = "piitest_" + uuid.uuid4().hex[:10]
    admin = sa.create_engine(mariadb_server_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(sa.text(f"CREATE DATABASE `{name}`"))
    try:
        eng = sa.create_engine(mariadb_server_url.rsplit("/", 1)[0] + "/" + name)
        with eng.begin() as c:
            c.execute(sa.text("CREATE TABLE kunder (id INT PRIMARY KEY, namn VARCHAR(50), personnummer VARCHAR(20), "
                              "epost VARCHAR(80), anteckning TEXT)"))
            c.execute(sa.text("INSERT INTO kunder VALUES (1, :n, :p, :e, :a), (2, 'Bo Berg', :p2, NULL, 'x,y (z)')"),
                      {"n": "Anna O'Brien", "p": PNR, "e": EMAIL, "a": "rad1\nrad2\ttab; 'citat'", "p2": PNR2})
        eng.dispose()
        url = sa.engine.make_url(mariadb_server_url)
        out = subprocess.run(["mysqldump", "-h", url.host or "127.0.0.1", "-P", str(url.port or 3306),
                              "-u", url.username or "root", name], capture_output=True, check=True, timeout=120).stdout
    finally:
        with admin.connect() as c:
            c.execute(sa.text(f"DROP DATABASE IF EXISTS `{name}`"))
        admin.dispose()
    return out


def _rows(data: bytes) -> dict[str, dict[str, str]]:
    recs = read_stream(io.BytesIO(data), "crm.sql", container="crm.sql", loc_factory=lambda c, i: Location("files", "s", c, i))
    return {f"{r.location.container} {r.location.item}": dict(r.fields) for r in recs if r.structured}


def _expect(rows: dict[str, dict[str, str]]) -> None:
    got = sorted(rows.values(), key=lambda v: v["id"])
    assert got == [
        {"id": "1", "namn": "Anna O'Brien", "personnummer": PNR, "epost": EMAIL, "anteckning": "rad1\nrad2\ttab; 'citat'"},
        {"id": "2", "namn": "Bo Berg", "personnummer": PNR2, "anteckning": "x,y (z)"},
    ]
    assert all(k.split()[0].startswith("crm.sql!") and k.split()[0].endswith("kunder") for k in rows)


def test_each_tuple_is_a_record_with_column_names(dump: bytes) -> None:
    rows = _rows(dump)
    _expect(rows)
    assert len({k.split()[1] for k in rows}) == 2  # one item each


def test_the_one_line_form_too(dump: bytes) -> None:
    # older mysqldump writes every tuple of a statement on one line: items line#k
    text = dump.decode()
    one = text.replace("VALUES\n(", "VALUES (").replace("),\n(", "),(")
    rows = _rows(one.encode())
    _expect(rows)
    assert sorted(k.split()[1].split("#")[1] for k in rows) == ["1", "2"]
