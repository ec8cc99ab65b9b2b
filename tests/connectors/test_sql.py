"""SqlConnector against real SQLite, PostgreSQL and MariaDB databases.

Every database is fresh per test (``pg_url``/``mariadb_url`` fixtures, a tmp file for
SQLite) and holds the same fictional schema: customers (350 rows, ids with gaps),
invoices with a foreign key, a composite-key table (350 rows), a table without a
key and a table with an odd name. ``chunk_rows = 100`` makes both big tables split.
Personnummer 19640823-3234 is a Skatteverket test number, 070-174 06 05 a PTS
fiction number.
"""

from __future__ import annotations

import gzip
import json
import pickle
import uuid
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

import pytest
import sqlalchemy as sa

from connectors.base import ConfigError, ConnectorError, Reference
from connectors.sql import (
    SqlConnector,
    _as_datetime,
    _cause,
    _nice_grid,
    json_leaves,
    render_item,
    round_boundaries,
    sniff_bytes,
    text_value,
)
from tests.conftest import free_port
from tests.connectors.contract import ConnectorContract

PNR = "19640823-3234"
PHONE = "070-174 06 05"
DOC = f"Personnummer: {PNR}, Malmö".encode()
PROFILE = {"contact": {"email": "anna.s@example.se", "phones": [PHONE]}, "by_pnr": {PNR: {"phone": PHONE}}}
N_CUSTOMERS = 350
CUSTOMER_IDS = [3 * i + 1 for i in range(N_CUSTOMERS)]  # 1, 4, 7, ... gaps on purpose
PAIRS = [(a, b) for a in range(10) for b in range(35)]
PW = "s3cr3t-pw-7f3a"

DDL = {
    "sqlite": [
        """CREATE TABLE customers (id INTEGER PRIMARY KEY, pnr_num BIGINT, pnr_text TEXT, phone INTEGER,
           email TEXT, profile JSON, doc BLOB, amount NUMERIC(20,2), big NUMERIC(30,0), created_at TIMESTAMP,
           kol1 TEXT)""",
        "CREATE TABLE invoices (id INTEGER PRIMARY KEY, customer_id INTEGER REFERENCES customers(id), total NUMERIC)",
        "CREATE TABLE pairs (a INTEGER NOT NULL, b INTEGER NOT NULL, note TEXT, PRIMARY KEY (a, b))",
        "CREATE TABLE notes (body TEXT, email TEXT)",
        'CREATE TABLE "Kund Register" (id INTEGER PRIMARY KEY, "full name" TEXT)',
    ],
    "postgresql": [
        """CREATE TABLE customers (id integer PRIMARY KEY, pnr_num bigint, pnr_text text, phone integer,
           email text, profile jsonb, tags text[], doc bytea, amount numeric(20,2), big numeric(30,0),
           created_at timestamp, kol1 text)""",
        "COMMENT ON COLUMN customers.kol1 IS 'personnummer'",
        "CREATE TABLE invoices (id integer PRIMARY KEY, customer_id integer REFERENCES customers(id), total numeric(10,2))",
        "CREATE TABLE pairs (a integer, b integer, note text, PRIMARY KEY (a, b))",
        "CREATE TABLE notes (body text, email text)",
        'CREATE TABLE "Kund Register" (id integer PRIMARY KEY, "full name" text)',
    ],
    "mariadb": [
        """CREATE TABLE customers (id INT PRIMARY KEY, pnr_num BIGINT, pnr_text VARCHAR(20), phone INT,
           email VARCHAR(100), profile JSON, doc BLOB, amount DECIMAL(20,2), big DECIMAL(30,0), created_at DATETIME,
           kol1 VARCHAR(20) COMMENT 'personnummer') ENGINE=InnoDB""",
        """CREATE TABLE invoices (id INT PRIMARY KEY, customer_id INT, total DECIMAL(10,2),
           FOREIGN KEY (customer_id) REFERENCES customers(id)) ENGINE=InnoDB""",
        "CREATE TABLE pairs (a INT, b INT, note VARCHAR(50), PRIMARY KEY (a, b)) ENGINE=InnoDB",
        "CREATE TABLE notes (body TEXT, email VARCHAR(100)) ENGINE=InnoDB",
        "CREATE TABLE `Kund Register` (id INT PRIMARY KEY, `full name` VARCHAR(100)) ENGINE=InnoDB",
    ],
}


@dataclass
class Db:
    dialect: str
    url: str
    schema: str  # container prefix

    def c(self, table: str) -> str:
        return f"{self.schema}.{table}"

    def engine(self) -> sa.Engine:
        return sa.create_engine(self.url)

    def connector(self, **config: object) -> SqlConnector:
        return SqlConnector("crm", {"type": "sql", "url": self.url, "chunk_rows": 100, **config})


def _populate(db: Db) -> None:
    eng = db.engine()
    q = '"' if db.dialect != "mariadb" else "`"
    with eng.begin() as c:
        for stmt in DDL[db.dialect]:
            c.exec_driver_sql(stmt)
        rows = []
        for n, cid in enumerate(CUSTOMER_IDS):
            rows.append({
                "id": cid, "pnr_num": 196408233234, "pnr_text": PNR, "phone": 701740605,
                "email": f"kund{n}@example.se",
                "profile": json.dumps(PROFILE) if cid == 1 else None,
                "doc": DOC if cid == 1 else (gzip.compress(b"hidden") if cid == 4 else None),
                "amount": "12.50", "big": "196408233234", "created_at": "2021-03-04 05:06:07",
                "kol1": PNR if cid == 1 else None,
            })
        cols = list(rows[0])
        if db.dialect == "postgresql":
            for r in rows:
                r["tags"] = ["VIP", "anna@example.se"] if r["id"] == 1 else None
            cols.append("tags")
        c.execute(sa.text(f"INSERT INTO customers ({', '.join(cols)}) VALUES ({', '.join(':' + k for k in cols)})"), rows)
        inv = [{"id": i, "cid": CUSTOMER_IDS[i] if i < 9 else None, "t": "99.00"} for i in range(10)]
        c.execute(sa.text("INSERT INTO invoices (id, customer_id, total) VALUES (:id, :cid, :t)"), inv)
        c.execute(sa.text("INSERT INTO pairs (a, b, note) VALUES (:a, :b, :n)"),
                  [{"a": a, "b": b, "n": f"{a}/{b}"} for a, b in PAIRS])
        c.execute(sa.text("INSERT INTO notes (body, email) VALUES (:b, :e)"),
                  [{"b": f"ring {PHONE}", "e": "a@example.se"}, {"b": "hej", "e": "b@example.se"}, {"b": "x", "e": None}])
        c.execute(sa.text(f"INSERT INTO {q}Kund Register{q} (id, {q}full name{q}) VALUES (:i, :n)"),
                  [{"i": 1, "n": "Anna Andersson"}, {"i": 2, "n": "Bo Berg"}])
    eng.dispose()


@pytest.fixture(params=["sqlite", "postgresql", "mariadb"])
def db(request: pytest.FixtureRequest, tmp_path) -> Db:
    if request.param == "sqlite":
        d = Db("sqlite", f"sqlite:///{tmp_path}/crm.db", "main")
    elif request.param == "postgresql":
        d = Db("postgresql", request.getfixturevalue("pg_url"), "public")
    else:
        url = request.getfixturevalue("mariadb_url")
        d = Db("mariadb", url, sa.engine.make_url(url).database or "")
    _populate(d)
    return d


def _records(conn: SqlConnector, container: str | None = None) -> list:
    out = []
    for u in conn.units():
        if container is None or u.param("container") == container:
            out.extend(conn.read(u))
    return out


# --------------------------------------------------------------------------- the shared contract


class TestContract(ConnectorContract):
    @pytest.fixture
    def connector(self, db: Db):
        url = db.url
        if db.dialect == "postgresql":  # trust auth ignores the password: it is only there to be hidden
            url = sa.engine.make_url(url).set(password=PW).render_as_string(hide_password=False)
        conn = SqlConnector("crm", {"type": "sql", "url": url, "chunk_rows": 100})
        yield conn
        conn.close()

    @pytest.fixture
    def secret(self, db: Db) -> str | None:
        return PW if db.dialect == "postgresql" else None


# --------------------------------------------------------------------------- rows, fields, locations


def test_customer_row_fields(db: Db) -> None:
    conn = db.connector()
    recs = {r.location.item: r for r in _records(conn, db.c("customers"))}
    assert len(recs) == N_CUSTOMERS
    r = recs["id=1"]
    assert r.location.container == db.c("customers") and r.location.field == "" and r.structured
    f = dict(r.fields)
    assert f["id"] == "1"
    assert f["pnr_num"] == "196408233234"  # BIGINT survives as digits
    assert f["big"] == "196408233234"  # NUMERIC without exponent
    assert f["pnr_text"] == PNR and f["kol1"] == PNR
    assert f["phone"] == "701740605"
    assert f["email"] == "kund0@example.se"
    assert f["amount"] in ("12.50", "12.5")  # SQLite stores NUMERIC 12.50 as REAL
    assert f["profile$.contact.email"] == "anna.s@example.se"
    assert f["profile$.contact.phones[0]"] == PHONE
    assert f["profile$.by_pnr{0}~"] == PNR  # a data-like key is emitted, never put in a field name
    assert f["profile$.by_pnr{0}.phone"] == PHONE
    assert not any(PNR in name for name, _ in r.fields)
    assert f["doc"] == DOC.decode()
    assert f["created_at"].replace(" ", "T") == "2021-03-04T05:06:07"
    assert r.record_date == datetime(2021, 3, 4, 5, 6, 7) and r.ref_date == date(2021, 3, 4)
    if db.dialect == "postgresql":
        assert f["tags[0]"] == "VIP" and f["tags[1]"] == "anna@example.se"
    # nulls give no field; the gzip blob is a document: read (test_redteam5_sql_blob_documents)
    assert "profile" not in dict(recs["id=7"].fields) and dict(recs["id=4"].fields)["doc"] == "hidden"
    assert not conn.skipped
    conn.close()


def test_odd_names(db: Db) -> None:
    conn = db.connector()
    recs = _records(conn, db.c("Kund Register"))
    assert sorted((r.location.item, dict(r.fields)["full name"]) for r in recs) == [("id=1", "Anna Andersson"), ("id=2", "Bo Berg")]
    assert recs[0].location.uri().startswith(f"sql://crm/{db.schema}.Kund%20Register?id=")
    conn.close()


def test_table_without_key(db: Db) -> None:
    conn = db.connector()
    units = [u for u in conn.units() if u.param("container") == db.c("notes")]
    assert len(units) == 1 and units[0].key == db.c("notes") and units[0].size == 3
    recs = list(conn.read(units[0]))
    items = sorted(r.location.item for r in recs)
    expected = {"sqlite": ["rowid=1", "rowid=2", "rowid=3"],
                "postgresql": ['ctid="(0,1)"', 'ctid="(0,2)"', 'ctid="(0,3)"'],
                "mariadb": ["row=1", "row=2", "row=3"]}[db.dialect]
    assert items == expected
    assert sorted(dict(r.fields)["body"] for r in recs) == sorted([f"ring {PHONE}", "hej", "x"])
    assert all("ctid" not in dict(r.fields) and "rowid" not in dict(r.fields) for r in recs)
    conn.close()


# --------------------------------------------------------------------------- key ranges


@pytest.mark.parametrize("options", [{}, {"boundaries": "offset", "row_values": False}, {"row_values": True}],
                         ids=["default", "offset-expanded", "row-values"])
def test_key_ranges_cover_every_row_once(db: Db, options: dict) -> None:
    conn = db.connector(**options)
    units = list(conn.units())
    cust = [u for u in units if u.param("container") == db.c("customers")]
    pairs = [u for u in units if u.param("container") == db.c("pairs")]
    assert len(cust) >= 3 and len(pairs) >= 3
    # ids are 1, 4, 7, ...: boundaries rounded to a grid of 20
    assert [u.key for u in cust] == [f"{db.c('customers')}[id<300)"] + [
        f"{db.c('customers')}[id>={lo},<{lo + 300})" for lo in (300, 600)] + [f"{db.c('customers')}[id>=900)"]
    assert pairs[0].key == f"{db.c('pairs')}[(a,b)<(2,30))"
    assert pairs[1].key == f"{db.c('pairs')}[(a,b)>=(2,30),<(5,25))"
    for group, expected in ((cust, [f"id={i}" for i in CUSTOMER_IDS]), (pairs, [f"a={a},b={b}" for a, b in PAIRS])):
        seen = Counter(r.location.item for u in group for r in conn.read(u))
        assert sorted(seen) == sorted(expected) and set(seen.values()) == {1}
        assert sum(u.size for u in group) == len(expected)
        assert all(u.size <= 130 for u in group)
    conn.close()


def test_fingerprints_follow_changes(db: Db) -> None:
    conn = db.connector()
    before = {u.key: u.fingerprint for u in conn.units()}
    eng = db.engine()
    with eng.begin() as c:  # an UPDATE that keeps count and keys: only the checksum sees it
        c.execute(sa.text("UPDATE customers SET email = 'ny@example.se' WHERE id = 4"))
        c.execute(sa.text("INSERT INTO pairs (a, b, note) VALUES (99, 1, 'new')"))
    eng.dispose()
    after = {u.key: u.fingerprint for u in conn.units()}
    assert before.keys() == after.keys()
    changed = {k for k in before if before[k] != after[k]}
    assert changed == {f"{db.c('customers')}[id<300)", f"{db.c('pairs')}[(a,b)>=(8,20))"}
    blind = db.connector(checksum=False)
    fp1 = {u.key: u.fingerprint for u in blind.units()}
    eng = db.engine()
    with eng.begin() as c:
        c.execute(sa.text("UPDATE customers SET email = 'igen@example.se' WHERE id = 4"))
    eng.dispose()
    assert fp1 == {u.key: u.fingerprint for u in blind.units()}  # documented limit without checksum
    conn.close()
    blind.close()


# --------------------------------------------------------------------------- schema facts


def test_references_and_dependencies(db: Db) -> None:
    conn = db.connector()
    recs = {r.location.item: r for r in _records(conn, db.c("invoices"))}
    assert recs["id=0"].references == (Reference(db.c("customers"), "id=1", "customer_id"),)
    assert recs["id=2"].references == (Reference(db.c("customers"), "id=7", "customer_id"),)
    assert recs["id=9"].references == ()  # NULL foreign key
    deps = conn.dependencies()
    fk = [d for d in deps if d["container"] == db.c("invoices")]
    assert len(fk) == 1
    assert {k: fk[0][k] for k in ("columns", "ref_container", "ref_columns")} == {
        "columns": ["customer_id"], "ref_container": db.c("customers"), "ref_columns": ["id"]}
    json.dumps(deps)
    conn.close()


def test_column_comments_are_hints(db: Db) -> None:
    conn = db.connector()
    unit = next(u for u in conn.units() if u.param("container") == db.c("customers"))
    if db.dialect == "sqlite":  # SQLite has no column comments
        assert conn.column_hints() == {} and conn.field_hints(unit) == {}
    else:
        assert conn.column_hints() == {(db.c("customers"), "kol1"): "personnummer"}
        assert conn.field_hints(unit) == {"kol1": "kol1 personnummer"}
        assert pickle.loads(pickle.dumps(conn)).field_hints(unit) == {"kol1": "kol1 personnummer"}
    conn.close()


def test_include_exclude_and_schemas(db: Db) -> None:
    conn = db.connector(include=["c*", "*.pairs"], exclude=["*ustomer?"])
    assert {u.param("container") for u in conn.units()} == {db.c("pairs")}
    conn = db.connector(schemas=[db.schema], include=["KUND*"])
    assert {u.param("container") for u in conn.units()} == {db.c("Kund Register")}


# --------------------------------------------------------------------------- read-only, errors


def test_session_is_read_only(db: Db) -> None:
    conn = db.connector()
    with conn.session() as c:
        assert c.execute(sa.text("SELECT count(*) FROM notes")).scalar() == 3
    for stmt in ("INSERT INTO notes (body) VALUES ('x')", "DELETE FROM notes", "UPDATE notes SET body = 'y'"):
        with pytest.raises(sa.exc.DBAPIError) as info:
            with conn.session() as c:
                c.execute(sa.text(stmt))
                c.commit()
        assert _cause(info.value).startswith("write refused")
        # the guard is on every connection of the engine, not only in session()
        with pytest.raises(sa.exc.DBAPIError):
            with conn._get_engine().connect() as c:
                c.execute(sa.text(stmt))
                c.commit()
    with conn.session() as c:
        assert c.execute(sa.text("SELECT count(*) FROM notes")).scalar() == 3
    conn.close()


def test_missing_table_is_a_connector_error(db: Db) -> None:
    conn = db.connector()
    unit = next(u for u in conn.units() if u.key.startswith(db.c("pairs") + "[(a,b)>=(2,30)"))
    eng = db.engine()
    with eng.begin() as c:
        c.exec_driver_sql("DROP TABLE pairs")
    eng.dispose()
    conn.close()
    with pytest.raises(ConnectorError) as info:
        list(conn.read(unit))
    msg = str(info.value)
    assert db.c("pairs") in msg and "does not exist" in msg
    rest = msg.replace(db.c("pairs"), "")
    assert "(2" not in rest and "30" not in rest and "SELECT" not in rest  # no bounds, no SQL
    assert info.value.__cause__ is None and info.value.__suppress_context__
    conn.close()


def test_permission_denied_is_a_connector_error(pg_url: str) -> None:
    db = Db("postgresql", pg_url, "public")
    _populate(db)
    role = "piitest_norights_" + uuid.uuid4().hex[:6]
    admin = db.engine()
    with admin.begin() as c:
        c.exec_driver_sql(f"CREATE ROLE {role} LOGIN")
    try:
        url = sa.engine.make_url(pg_url).set(username=role).render_as_string(hide_password=False)
        conn = SqlConnector("crm", {"url": url, "chunk_rows": 100})
        units = list(conn.units())  # statistics denied: tables are still listed, one unit each
        assert {u.key for u in units} >= {db.c("customers"), db.c("pairs")}
        with pytest.raises(ConnectorError, match=r"public\.customers: permission denied .*42501"):
            list(conn.read(next(u for u in units if u.key == db.c("customers"))))
        assert conn.dependencies()  # the catalog is readable
        conn.close()
    finally:
        with admin.begin() as c:
            c.exec_driver_sql(f"DROP ROLE {role}")
        admin.dispose()


def test_cannot_connect_hides_the_password(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PII_SCAN_TEST_PW", "p@ss/w0rd")
    port = free_port()
    conn = SqlConnector("crm", {"url": f"postgresql+psycopg2://scan:${{PII_SCAN_TEST_PW}}@127.0.0.1:{port}/x"})
    assert conn.url().password == "p@ss/w0rd"  # expanded per component: no escaping needed
    with pytest.raises(ConnectorError) as info:
        list(conn.units())
    assert "p@ss" not in str(info.value) and "***" in str(info.value) and str(port) in str(info.value)
    assert "p@ss" not in repr(pickle.dumps(conn)) and "PII_SCAN_TEST_PW" in conn.config["url"]


def test_env_expansion_reads(pg_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PII_SCAN_TEST_URL", pg_url)
    db = Db("postgresql", pg_url, "public")
    _populate(db)
    conn = SqlConnector("crm", {"url": "${PII_SCAN_TEST_URL}"})
    assert len(_records(conn, "public.notes")) == 3
    conn.close()


def test_config_errors(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(ConfigError, match="url"):
        SqlConnector("x", {})
    with pytest.raises(ConfigError, match="chunk_rows"):
        SqlConnector("x", {"url": "sqlite://", "chunk_rows": 0})
    with pytest.raises(ConfigError, match="include"):
        SqlConnector("x", {"url": "sqlite://", "include": "customers"})
    monkeypatch.delenv("NO_SUCH_VAR_PII", raising=False)
    with pytest.raises(ConfigError, match="NO_SUCH_VAR_PII"):
        list(SqlConnector("x", {"url": "postgresql://u:${NO_SUCH_VAR_PII}@h/db"}).units())
    with pytest.raises(ConfigError) as info:
        list(SqlConnector("x", {"url": "not a url :: secretpw"}).units())
    assert "secretpw" not in str(info.value)
    with pytest.raises(ConfigError, match="driver"):
        list(SqlConnector("x", {"url": "postgresql+nosuchdriver_pii://u:pw@h/db"}).units())


def test_sqlite_file_opened_read_only(tmp_path) -> None:
    path = tmp_path / "a b%x.db"
    eng = sa.create_engine("sqlite://", creator=lambda: __import__("sqlite3").connect(str(path)))
    with eng.begin() as c:
        c.exec_driver_sql("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)")
        c.exec_driver_sql("INSERT INTO t VALUES (1, 'x')")
    eng.dispose()
    conn = SqlConnector("f", {"url": f"sqlite:///{path}"})
    assert [dict(r.fields)["v"] for r in _records(conn)] == ["x"]
    with conn.session() as c:
        assert c.exec_driver_sql("PRAGMA query_only").scalar() == 1
    conn.close()
    missing = SqlConnector("f", {"url": f"sqlite:///{tmp_path}/missing.db"})
    with pytest.raises(ConnectorError, match="cannot open"):  # mode=ro never creates a file
        list(missing.units())
    assert not (tmp_path / "missing.db").exists()


# --------------------------------------------------------------------------- pure helpers


@pytest.mark.parametrize("value, text", [
    (196408233234, "196408233234"), (-5, "-5"), (Decimal("1.96408233234E+11"), "196408233234"),
    (Decimal("0.0000010"), "0.0000010"), (198112289874.0, "198112289874.0"), (1e21, "1000000000000000000000"),
    (0.1, "0.1"), (True, None), (None, None), (float("nan"), None), (Decimal("NaN"), None),
    (date(2024, 1, 2), "2024-01-02"), (datetime(2024, 1, 2, 3, 4, 5), "2024-01-02T03:04:05"),
    (uuid.UUID(int=1), "00000000-0000-0000-0000-000000000001"), ("text", "text"),
])
def test_text_value(value, text) -> None:
    assert text_value(value) == text


def test_render_item_quotes() -> None:
    assert render_item(["id"], [7]) == "id=7"
    assert render_item(["a", "b"], [1, "x"]) == "a=1,b=x"
    assert render_item(["k"], ['a,b="c"\\']) == r'k="a,b=\"c\"\\"'
    assert render_item(["full name"], [" x"]) == 'full name=" x"'
    assert render_item(["a=b"], [b"\x01\xff"]) == '"a=b"=0x01ff'


def test_json_leaves() -> None:
    doc = {"a": [{"b": 1}, None, True, 2.5], "odd key": "v", "070-174 06 05": "x", "n": {"x@example.se": {"y": "z"}}}
    assert list(json_leaves("c$", doc)) == [
        ("c$.a[0].b", "1"), ("c$.a[3]", "2.5"), ('c$["odd key"]', "v"),
        ("c${2}~", "070-174 06 05"), ("c${2}", "x"), ("c$.n{0}~", "x@example.se"), ("c$.n{0}.y", "z"),
    ]
    deep: object = "leaf"
    for _ in range(300):
        deep = [deep]
    ((path, text),) = list(json_leaves("d$", deep))
    assert path.startswith("d$[0][0]") and "leaf" in text


def test_sniff_bytes() -> None:
    text = f"Namn: Åsa Öberg, personnummer {PNR}"
    assert sniff_bytes(text.encode("utf-8")) == (text, "utf-8")
    assert sniff_bytes(text.encode("utf-8-sig")) == (text, "utf-8-sig")
    assert sniff_bytes(text.encode("utf-16-le")) == (text, "utf-16-le")
    assert sniff_bytes(text.encode("utf-16-be")) == (text, "utf-16-be")
    assert sniff_bytes(text.encode("utf-16")) == (text, "utf-16")
    assert sniff_bytes(text.encode("cp1252")) == (text, "cp1252")
    assert sniff_bytes(gzip.compress(text.encode())) == (None, "gzip")
    assert sniff_bytes(b"PK\x03\x04rest") == (None, "zip")
    assert sniff_bytes(bytes(range(256)) * 4) == (None, "binary")
    assert sniff_bytes(b"") == (None, "empty")


def test_record_dates() -> None:
    assert _as_datetime("2021-03-04 05:06:07") == datetime(2021, 3, 4, 5, 6, 7)
    assert _as_datetime(date(2021, 3, 4)) == datetime(2021, 3, 4)
    assert _as_datetime(datetime(2021, 3, 4, 7, 0, tzinfo=timezone(timedelta(hours=2)))) == datetime(2021, 3, 4, 5, 0)
    assert _as_datetime("0000-00-00") is None and _as_datetime(20210304) is None


def test_nice_grid_and_rounding() -> None:
    assert [_nice_grid(x) for x in (0.3, 1, 3, 9.9, 30, 49, 5000, 7500)] == [1, 1, 2, 5, 20, 20, 5000, 5000]
    # serial ids: round numbers, unchanged by a few deletes before a boundary
    assert round_boundaries([50_001, 100_001, 150_001], 1) == [50_000, 100_000, 150_000]
    assert round_boundaries([50_040, 100_070, 150_090], 1) == [50_000, 100_000, 150_000]
    # skewed keys (a dense block, then snowflake-like ids): no range collapses, order kept
    skewed = [101, 201, 301, 10**12 + 5, 10**12 + 105, 10**12 + 205]
    got = round_boundaries(skewed, 1)
    assert got == sorted(set(got)) and len(got) == len(skewed)
    assert all(abs(g - b) <= max(1, (b - p) // 10) for g, b, p in zip(got, skewed, [1] + skewed))
    assert round_boundaries([5, 6, 7], 5) == [6, 7]  # never at or below the smallest key


def test_units_are_unit_sized_and_picklable_without_engine(db: Db) -> None:
    conn = db.connector()
    units = list(conn.units())
    assert conn._engine is not None
    clone = pickle.loads(pickle.dumps(conn))
    assert clone._engine is None and clone.config == conn.config
    for u in units:
        json.dumps(u.params)  # JSON-able
        hash(u)
    conn.close()
    conn.close()
    assert conn._engine is None
