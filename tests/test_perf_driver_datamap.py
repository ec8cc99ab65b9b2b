"""The data map's write path on the driver: a unit result unpickled from a worker (records left as tuples)
writes exactly the rows the same result writes as objects; record dates are stored as SQLAlchemy stores them."""
from __future__ import annotations

import hashlib
import pickle
import random
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from pii_scan.datamap import DataMap, FoundValue, RecordResult, UnitResult, records_t

KINDS = ("personnummer", "email", "phone", "bank_account")


def _h(*parts: object) -> str:
    return hashlib.sha256(repr(parts).encode()).hexdigest()


def _date(rnd: random.Random) -> datetime | None:
    pick = rnd.randrange(6)
    if pick == 0:
        return None
    d = datetime(1900, 1, 1) + timedelta(seconds=rnd.randrange(4_000_000_000))
    if pick == 1:
        return d.replace(microsecond=rnd.randrange(1, 10**6))
    if pick == 2:
        return d.replace(tzinfo=timezone(timedelta(hours=rnd.choice((-5, 1, 2)))))
    return d


def _unit(seed: int, n: int = 300) -> UnitResult:
    """Records of every shape write_unit tells apart: structured or not, duplicate records and findings,
    values inside another identifier beside the record's own, no findings but references."""
    rnd = random.Random(seed)
    recs: list[RecordResult] = []
    for i in range(n):
        rk = _h(seed, "rec", rnd.randrange(n))  # some rkeys come twice
        fs = []
        for _ in range(rnd.randrange(0, 5)):
            kind = rnd.choice(KINDS)
            vh = _h("value", kind, rnd.randrange(n // 2))
            inside = rnd.choice((None, None, None, "bank_account", "vat"))
            fs.append(FoundValue(rnd.choice(("personnummer", "epost", "telefon", "notes", "konto")), kind, kind, vh,
                                 f"{kind[:2]}***", rnd.choice((0.5, 0.9, 0.99)), rnd.random() < 0.1, inside,
                                 rnd.randbytes(20) if rnd.random() < 0.7 else None, rnd.random() < 0.7))
        if fs and rnd.random() < 0.2:
            fs.append(fs[0])  # the same finding twice in a record
        refs = [(_h(seed, "rec", rnd.randrange(n)), "customer_id")] if rnd.random() < 0.2 else []
        recs.append(RecordResult(rk, "sql", "crm", "public.customers", f"id={i}", rnd.random() < 0.8, _date(rnd),
                                 rnd.randbytes(16) if rnd.random() < 0.1 else None, fs, refs))
    return UnitResult("crm", f"customers#{seed}", "sql", "fp", recs, n, unit_id=_h("unit", seed)[:32])


def _tables(url: str) -> dict[str, list[tuple[Any, ...]]]:
    eng = sa.create_engine(url)
    try:
        with eng.connect() as c:
            return {
                "records": c.exec_driver_sql("SELECT * FROM records ORDER BY rowid").all(),
                "findings": c.exec_driver_sql("SELECT * FROM findings ORDER BY id").all(),
                "refs": c.exec_driver_sql("SELECT * FROM refs ORDER BY id").all(),
                "units": c.exec_driver_sql("SELECT unit_id, status, records, findings FROM units ORDER BY unit_id").all(),
            }
    finally:
        eng.dispose()


def test_an_unpickled_result_writes_the_same_rows_as_the_objects(tmp_path: Path) -> None:
    units = [_unit(seed) for seed in range(4)]
    maps = []
    for name, via_pickle in (("objects", False), ("tuples", True)):
        url = f"sqlite:///{tmp_path / name}.sqlite"
        dm = DataMap(url)
        try:
            sid = dm.start_scan({})
            for u in units + units[:1]:  # the first unit again: replaced, not added
                res = pickle.loads(pickle.dumps(u)) if via_pickle else u
                assert (res.packed is not None) is via_pickle
                dm.write_unit(sid, res)
                assert (res.packed is not None) is via_pickle  # writing did not build the objects
        finally:
            dm.close()
        maps.append(_tables(url))
    assert maps[0] == maps[1]
    findings = maps[0]["findings"]
    assert len(findings) > 500 and {f[-3] for f in findings} == {0, 1}  # linkable (before enc_value, entry) both ways
    assert any(r[7] is not None and "." in r[7] for r in maps[0]["records"]) and maps[0]["refs"]


def test_an_unpickled_result_builds_its_records_when_read() -> None:
    u = _unit(9, 50)
    res = pickle.loads(pickle.dumps(u))
    assert res.packed is not None and res.finding_count() == u.finding_count() == sum(len(r.findings) for r in u.records)
    again = pickle.loads(pickle.dumps(res))  # pickled again from its tuples
    assert res.packed is not None and again.packed == res.packed
    assert res.records == u.records and res == u and again == u
    assert res.packed is None and res.finding_count() == u.finding_count()


def test_record_dates_are_stored_as_sqlalchemy_stores_them(tmp_path: Path) -> None:
    rnd = random.Random(3)
    dates = [_date(rnd) for _ in range(300)] + [datetime(1, 1, 1), datetime(999, 12, 31, 23, 59, 59, 999999),
                                                 datetime(2024, 2, 29, 12, 0), datetime(2024, 1, 1, tzinfo=UTC)]
    recs = [RecordResult(f"{i:032x}", "files", "share", "a.csv", f"line {i}", True, d,
                         findings=[FoundValue("epost", "email", "email", _h(i), "a***@example.se", 0.9, False, None)])
            for i, d in enumerate(dates)]
    dm = DataMap(f"sqlite:///{tmp_path / 'map.sqlite'}")
    try:
        dm.write_unit(dm.start_scan({}), UnitResult("share", "a.csv", "files", "fp", recs, len(recs), unit_id="u" * 32))
        with dm.engine.begin() as c:
            written = c.execute(sa.select(records_t.c.rkey, sa.text("record_date"))).all()
            c.execute(records_t.delete())
            c.execute(records_t.insert(), [{"rkey": r.rkey, "unit_id": "u", "store": "files", "source": "share",
                                            "container": "a.csv", "item": r.item, "structured": True,
                                            "record_date": r.record_date} for r in recs])
            by_sqlalchemy = c.execute(sa.select(records_t.c.rkey, sa.text("record_date"))).all()
    finally:
        dm.close()
    assert sorted(written) == sorted(by_sqlalchemy)
    assert sum(d is not None for _, d in written) > 200
