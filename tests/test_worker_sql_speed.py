"""The worker's per-row costs for SQL sources: the collector's schedule over a unit, the fast
paths of reading rows and packing results; same results as the plain paths."""

from __future__ import annotations

import gc
import weakref
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import pytest

import pii_scan.worker as worker
from connectors.base import BaseConnector, Location, Record, Unit
from pii_scan.keys import Keys
from pii_scan.worker import ScanSettings, scan_unit

SECRET = b"t" * 32


class _Cycle:
    """A bit of cyclic garbage, as a connector's parser may leave behind per record."""

    def __init__(self) -> None:
        self.me = self


class _FakeConnector(BaseConnector):
    store = "sql"

    def __init__(self, n: int, refs: list[weakref.ref[Any]] | None = None, probe: Any = None) -> None:
        super().__init__("crm", {})
        self.n, self.refs, self.probe = n, refs, probe

    def units(self) -> Iterator[Unit]:
        yield Unit("crm", "public.customers", "fp")

    def read(self, unit: Unit) -> Iterator[Record]:
        for i in range(self.n):
            if self.refs is not None:
                c = _Cycle()
                self.refs.append(weakref.ref(c))
                del c
            if self.probe is not None:
                self.probe(i)
            d = datetime(2021, 3, 1 + i % 28)
            yield Record(Location("sql", "crm", "public.customers", f"id={i}"),
                         [("email", f"anna.berg{i}@example.se"), ("notes", "inget")], True, d.date(), (), d)


def _settings() -> ScanSettings:
    return ScanSettings(None, 0.5, True, SECRET)


def test_unit_restores_the_collector() -> None:
    assert gc.isenabled()
    res = scan_unit(_FakeConnector(600), Unit("crm", "public.customers", "fp"), _settings())
    assert gc.isenabled()
    assert res.rows == 600 and len(res.records) == 600
    gc.disable()
    try:
        scan_unit(_FakeConnector(300), Unit("crm", "public.customers", "fp"), _settings())
        assert not gc.isenabled(), "a collector switched off by the caller stays off"
    finally:
        gc.enable()


def test_unit_restores_the_collector_when_reading_fails() -> None:
    def boom(i: int) -> None:
        if i == 300:
            raise OSError("gone")

    res = scan_unit(_FakeConnector(600, probe=boom), Unit("crm", "public.customers", "fp"), _settings())
    assert gc.isenabled()
    assert res.rows == 300 and res.error is not None and "OSError" in res.error


def test_collector_is_paused_while_reading_and_runs_between_batches() -> None:
    """Inside a unit no automatic collection runs; cycles a connector leaves behind are
    still freed batch by batch, so memory stays bounded whatever the unit's size."""
    refs: list[weakref.ref[Any]] = []
    seen: list[bool] = []
    alive_at: dict[int, int] = {}

    def probe(i: int) -> None:
        seen.append(gc.isenabled())
        if i and i % 1000 == 0:
            alive_at[i] = sum(1 for r in refs if r() is not None)

    scan_unit(_FakeConnector(3000, refs, probe), Unit("crm", "public.customers", "fp"), _settings())
    assert not any(seen)
    # at most the cycles of the batch being read (and the one in hand) are alive
    assert all(n <= worker.BATCH_RECORDS + 1 for n in alive_at.values()), alive_at


def test_full_collections_inside_a_long_unit(monkeypatch: pytest.MonkeyPatch) -> None:
    """Full collections run after FULL_COLLECTION_RECORDS records and then at doublings."""
    monkeypatch.setattr(worker, "FULL_COLLECTION_RECORDS", 512)
    gens: list[int] = []

    def cb(phase: str, info: dict[str, int]) -> None:
        if phase == "start" and not gc.isenabled():  # ours, inside the unit
            gens.append(info["generation"])

    gc.callbacks.append(cb)
    try:
        scan_unit(_FakeConnector(256 * 12), Unit("crm", "public.customers", "fp"), _settings())
    finally:
        gc.callbacks.remove(cb)
    # batches end at 256, 512, ..., 3072 records: full at 512, then at 1024 (512 + 512), then 2048
    assert len(gens) == 12
    assert [i for i, g in enumerate(gens) if g == 2] == [1, 3, 7]
    assert set(gens) == {1, 2}


def test_results_are_the_batch_detectors() -> None:
    """scan_unit packs the same results as _BatchDetector on the same records."""
    conn = _FakeConnector(700)
    res = scan_unit(conn, Unit("crm", "public.customers", "fp"), _settings())
    recs = list(conn.read(Unit("crm", "public.customers", "fp")))
    det = worker._BatchDetector(worker.Scanner(None, min_confidence=0.5), Keys(SECRET), _settings(), {})
    want = det(recs[:256]) + det(recs[256:512]) + det(recs[512:])
    keys = Keys(SECRET)

    def plain(rr: Any) -> tuple[Any, ...]:
        return (rr.rkey, rr.container, rr.item, rr.record_date, rr.refs,
                [(f.field, f.kind, f.value_hash, f.masked, f.linkable, keys.decrypt(f.enc_value)) for f in rr.findings])

    assert [plain(r) for r in res.records] == [plain(r) for r in want]


# --------------------------------------------------------------------------- SqlConnector.read's inlined paths

import sqlalchemy as sa  # noqa: E402

from connectors.sql import SqlConnector, _row_dates, render_item  # noqa: E402
from tests.connectors.test_sql import Db, db  # noqa: E402,F401 - the three-dialect fixture

TRICKY_DDL = {
    "sqlite": ["CREATE TABLE tricky (k TEXT PRIMARY KEY, n BIGINT, f REAL, s TEXT, d DATE, updated TIMESTAMP)",
               "CREATE TABLE negs (id INTEGER PRIMARY KEY, created_at TIMESTAMP, s TEXT)"],
    "postgresql": ["CREATE TABLE tricky (k text PRIMARY KEY, n bigint, f double precision, s text, d date, "
                   "updated timestamptz)",
                   "CREATE TABLE negs (id bigint PRIMARY KEY, created_at timestamp, s text)"],
    "mariadb": ["CREATE TABLE tricky (k VARCHAR(40) PRIMARY KEY, n BIGINT, f DOUBLE, s TEXT, d DATE, updated DATETIME)",
                "CREATE TABLE negs (id BIGINT PRIMARY KEY, created_at DATETIME, s TEXT)"],
}
TRICKY = [
    ("plain", 196408233234, 198112289874.0, "Ring 070-174 06 05", "2020-01-02", "2021-03-04 05:06:07+02:00"),
    ("a,b", -5, 1e20, "", None, None),
    (" lead", 0, -0.5, '{"mail": "anna@example.se", "pnr": "19640823-3234"}', "2020-01-03", "2021-03-05 00:00:00+00:00"),
    ('q"x', None, None, "[1, 2]", None, "2021-03-06 12:00:00+00:00"),
    ("back\\slash", 7, 2.5, "{not json", "2020-01-04", None),
    ("eq=", 8, None, " spaced ", None, None),
]


def _plain_read(conn: SqlConnector, unit: Unit) -> list[Record]:
    """SqlConnector.read as it was before its common cases were inlined (the reference)."""
    p = dict(unit.params)
    container, key_kind, key = p["container"], p["key_kind"], list(p["key"])
    json_cols = set(p.get("json") or ())
    date_cols = list(p.get("date_columns") or ([p["date_column"]] if p.get("date_column") else []))
    fks = [(list(c), rc, list(rcols)) for c, rc, rcols in p.get("fks") or ()]
    out = []
    with conn.session() as c:
        dname = c.dialect.name
        locator = key_kind in ("rowid", "ctid")
        tbl = conn._sa_table(p["schema"], p["table"], key)
        keycols = [tbl.c[k] for k in key]
        cols: list[Any] = [keycols[0].label("pii_scan_loc")] if locator else []
        q = sa.select(*cols, sa.literal_column("*")).select_from(tbl)
        q = q.where(*conn._range_where(dname, keycols, p.get("lower"), p.get("upper")))
        result = c.execute(q)
        names = list(result.keys())
        first = 1 if locator else 0
        pos = {n: i for i, n in enumerate(names) if i >= first}
        key_pos = [pos[k] for k in key] if key_kind in ("pk", "unique") else []
        date_pos = [pos[c] for c in date_cols if c in pos]
        for ordinal, row in enumerate(result, 1):
            if key_kind in ("pk", "unique"):
                item = render_item(key, [row[i] for i in key_pos])
            elif locator:
                item = render_item(key, [row[0]])
            else:
                item = f"row={ordinal}"
            fields: list[tuple[str, str]] = []
            for i in range(first, len(names)):
                if row[i] is not None:
                    fields.extend(conn._fields(container, names[i], row[i], names[i] in json_cols))
            refs = []
            for fcols, ref_container, ref_cols in fks:
                vals = [row[pos[c]] for c in fcols if c in pos]
                if len(vals) == len(fcols) and all(v is not None for v in vals) and ref_cols:
                    refs.append(conn_reference(ref_container, render_item(ref_cols, vals), ",".join(fcols)))
            rdate, written = _row_dates(row, date_pos)
            out.append(Record(conn.location(container, item), fields, True, written.date() if written else None,
                              tuple(refs), rdate))
    return out


def conn_reference(container: str, item: str, via: str) -> Any:
    from connectors.base import Reference

    return Reference(container, item, via)


def test_read_equals_the_plain_loop(db: Db) -> None:  # noqa: F811 - the fixture
    """Every table of the three dialects' test schema, plus odd keys and values: same records."""
    eng = db.engine()
    with eng.begin() as c:
        for stmt in TRICKY_DDL[db.dialect]:
            c.exec_driver_sql(stmt)
        rows = [dict(zip(("k", "n", "f", "s", "d", "u"), r)) for r in TRICKY]
        if db.dialect == "mariadb":
            for r in rows:
                r["u"] = r["u"][:19] if r["u"] else None
        c.execute(sa.text("INSERT INTO tricky (k, n, f, s, d, updated) VALUES (:k, :n, :f, :s, :d, :u)"), rows)
        c.execute(sa.text("INSERT INTO negs (id, created_at, s) VALUES (:i, :c, :s)"),
                  [{"i": -3, "c": "2021-01-01 10:00:00", "s": "x"}, {"i": 4, "c": None, "s": "anna@example.se"},
                   {"i": 5, "c": "2021-02-01 10:00:00", "s": None}])
    eng.dispose()
    for config in ({}, {"date_columns": ["d", "updated"]}):
        conn = db.connector(**config)
        n = 0
        for u in conn.units():
            got = list(conn.read(u))
            want = _plain_read(conn, u)
            assert got == want, u.key
            n += len(got)
        conn.close()
        assert n > 350 + 350 + 9


# --------------------------------------------------------------------------- _BatchDetector's inlined packing

from decimal import Decimal  # noqa: E402

from connectors.base import Reference  # noqa: E402
from detectors import Match  # noqa: E402
from detectors.base import mask  # noqa: E402
from pii_scan.redact import Redactor  # noqa: E402


class _Scripted:
    """A scanner whose findings are given: value text -> matches (the names find nothing)."""

    kinds: tuple[str, ...] = ()  # none of its own: the worker pairs no clearing and account fields for it

    def __init__(self, script: dict[str, list[Match]]) -> None:
        self.script = script

    def find_many(self, texts: list[str], hint: str | None = None, ref_dates: Any = None) -> list[list[Match]]:
        return [list(self.script.get(t, [])) if hint is not None else [] for t in texts]

    def find(self, text: str, hint: str | None = None, ref_date: Any = None) -> list[Match]:
        return []


def _plain_pack(det: worker._BatchDetector, batch: list[Record], keys: Keys) -> list[tuple[Any, ...]]:
    """What the packing loop gave before it was inlined: Keys.hash, Keys.encrypt, round(), _holds_as_data."""
    names = Redactor(det.scanner, keys)  # type: ignore[arg-type]
    out = []
    for rec in batch:
        per_field = []
        for fname, text in rec.fields:
            ms = det.scanner.find_many([text], fname, [rec.ref_date])[0] if text else []
            if ms:
                per_field.append((fname, text, ms))
        if not per_field and not rec.references:
            continue
        loc = rec.location
        fs = [(names.field(fname), m.kind, m.subkind, keys.hash(m.kind, m.value), mask(m.kind, m.value),
               round(m.confidence, 3), type(round(m.confidence, 3)), m.test_data, m.inside,
               m.value if det.store_values else None,
               rec.structured and worker._holds_as_data(text, m, ms))
              for fname, text, ms in per_field for m in ms]
        out.append((names.rkey(loc.source, loc.container, loc.item), loc.container, loc.item,
                    worker._as_dt(rec.record_date or rec.ref_date),
                    [(names.rkey(loc.source, r.container, r.item), r.via) for r in rec.references], fs))
    return out


def _packed(res: list[Any], keys: Keys) -> list[tuple[Any, ...]]:
    return [(rr.rkey, rr.container, rr.item, rr.record_date, rr.refs,
             [(f.field, f.kind, f.subkind, f.value_hash, f.masked, f.confidence, type(f.confidence), f.test_data,
               f.inside, keys.decrypt(f.enc_value) if f.enc_value is not None else None, f.linkable)
              for f in rr.findings])
            for rr in res]


@pytest.mark.parametrize("store_values", [True, False])
def test_packing_equals_the_plain_loop(store_values: bool) -> None:
    pnr = Match("personnummer", "", 4, 17, "196408233234", 0.95, (), True)
    mail = Match("email", "", 0, 15, "anna@example.se", 0.9)
    mail2 = Match("email", "", 20, 33, "bo@example.se", 0.9)
    odd = [Match("phone", "mobile", 0, 5, "+46701740605", c) for c in (1, Decimal("0.8765"), -0.0, 0.0, float("nan"))]
    inside = Match("personnummer", "", 2, 14, "198112289874", 0.666666, inside="vat")
    esc = Match("email", "", 0, 10, "anna\udce5@exempel.se", 0.7)
    script = {
        "pnr 19640823-3234": [pnr],
        "anna@example.se": [mail],
        "anna@example.se och bo@example.se": [mail, mail2],  # two of a kind: not held as data
        "07017": [odd[0]], "07018": [odd[1]], "07019": [odd[2]], "07020": [odd[3]], "07021": [odd[4]],
        "SE198112289874": [inside, pnr],
        "esc": [esc],
        "lång text " * 10 + "anna@example.se": [mail],  # prose: too much besides the value
    }
    keys = Keys(SECRET)
    det = worker._BatchDetector(_Scripted(script), keys, ScanSettings(None, 0.0, store_values, SECRET), {})  # type: ignore[arg-type]
    texts = list(script) + ["", "nothing"]
    batch = []
    for i in range(40):
        d = datetime(2021, 1, 1 + i % 28, 8) if i % 3 else None
        fields = [(f"c{j}", texts[(i + j) % len(texts)]) for j in range(3)]
        refs = (Reference("public.orders", f"id={i}", "order_id"),) if i % 5 == 0 else ()
        batch.append(Record(Location("sql", "crm", "public.customers", f"id={i}"), fields, i % 7 != 0,
                            d.date() if d and i % 2 else None, refs, d))
    batch.append(Record(Location("sql", "crm", "public.customers", "id=999"), [("c0", "nothing")], True, None,
                        (Reference("public.orders", "id=1", "order_id"),), None))  # references only
    got = _packed(det(batch), keys)
    want = _plain_pack(det, batch, keys)
    assert [g[:5] for g in got] == [w[:5] for w in want]
    for g, w in zip(got, want):
        assert len(g[5]) == len(w[5])
        for fg, fw in zip(g[5], w[5]):
            same = [repr(a) == repr(b) if isinstance(a, float) else a == b for a, b in zip(fg, fw)]  # -0.0, NaN
            assert all(same), (fg[1], fg[5], fw[5])
    confs = [f[5] for g in got for f in g[5]]
    assert any(type(c) is int for c in confs) and any(type(c) is Decimal for c in confs)
    assert any(str(c) == "-0.0" for c in confs) and any(str(c) == "0.0" for c in confs)
    assert any(f[10] for g in got for f in g[5]) and not all(f[10] for g in got for f in g[5])
    if store_values:
        assert any(f[9] == "anna\udce5@exempel.se" for g in got for f in g[5])


def test_every_encrypted_value_has_its_own_nonce() -> None:
    """The batch's nonces come from one os.urandom call: each value still gets its own 12 bytes."""
    keys = Keys(SECRET)
    mail = Match("email", "", 0, 15, "anna@example.se", 0.9)
    det = worker._BatchDetector(_Scripted({"anna@example.se": [mail, mail]}), keys,  # type: ignore[arg-type]
                                ScanSettings(None, 0.0, True, SECRET), {})
    blobs = []
    for b in range(3):
        batch = [Record(Location("sql", "crm", "t", f"id={b * 100 + i}"), [("a", "anna@example.se"), ("b", "anna@example.se")])
                 for i in range(50)]
        blobs += [f.enc_value for rr in det(batch) for f in rr.findings]
    assert len(blobs) == 3 * 50 * 4
    assert len({blob[:12] for blob in blobs}) == len(blobs)  # type: ignore[index]
    assert {keys.decrypt(blob) for blob in blobs} == {"anna@example.se"}  # type: ignore[arg-type]


from hypothesis import example, given  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from pii_scan.redact import may_hold  # noqa: E402


@given(st.text(max_size=20) | st.from_regex(r"[a-z=]{0,6}[0-9@]{0,8}", fullmatch=True))
@example("id=12345")
@example("id=٣٣٣٣٣٣")  # Arabic-Indic digits: str.isdigit, not [0-9]
@example("nr=²³⁴⁵⁶")  # superscripts: str.isdigit as well
@example("abcdefg")
def test_may_hold_is_the_redactors_rule(text: str) -> None:
    assert may_hold(text) == (len(text) >= 7 and any(ch.isdigit() or ch == "@" for ch in text))
