"""A unit's result packed batch by batch (PackedBatches) and written FLUSH_ROWS findings at a time, in one
transaction: the rows written are those of the whole-unit write, on units of every shape (record keys that
come again after a flush included)."""
from __future__ import annotations

import pickle
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from pii_scan.datamap import DataMap, PackedBatches, UnitResult, _pack_records, _unit_result
from tests.test_h2_write_fastpath import _plain_rows
from tests.test_perf_driver_datamap import _unit


def _batched(unit: UnitResult, size: int) -> UnitResult:
    """``unit`` as a worker now sends it: its records packed in batches of ``size``."""
    packed = _pack_records(unit.records)
    out = PackedBatches()
    for i in range(0, len(packed), size):
        out.extend(packed[i : i + size])
    res = _unit_result(unit.source, unit.key, unit.store, unit.fingerprint, out, unit.rows, unit.error,
                       unit.seconds, unit.unit_id)
    return pickle.loads(pickle.dumps(res))


def _written(url: str) -> list[tuple[Any, ...]]:
    eng = sa.create_engine(url)
    with eng.connect() as c:
        got = [(*r[:11], bool(r[11]), r[12]) for r in c.exec_driver_sql(
            "SELECT rkey, unit_id, field, kind, subkind, value_hash, masked, confidence, test_data, inside, enc_value, "
            "linkable, entry FROM findings ORDER BY id")]
        units = c.exec_driver_sql("SELECT findings FROM units").scalar_one()
    eng.dispose()
    assert units == len(got)
    return got


def test_packed_batches_iterate_in_order_again_and_pickle_as_bytes() -> None:
    recs = [(f"r{i}", "files", "s", "c", str(i), True, None, None, [], [("f", "email", "email", "h" * 64)]) for i in range(10)]
    pb = PackedBatches()
    pb.extend(recs[:3])
    pb.extend([])
    pb.extend(recs[3:])
    assert len(pb) == 10 and list(pb) == recs and list(pb) == recs
    again = pickle.loads(pickle.dumps(pb))
    assert list(again) == recs and len(again) == 10
    assert all(isinstance(b, bytes) for b in pb._blobs) and len(pb._blobs) == 2


@pytest.mark.parametrize("seed", range(6))
def test_streamed_write_is_the_whole_write(tmp_path: Path, seed: int, monkeypatch: pytest.MonkeyPatch) -> None:
    unit = _unit(seed, 400)
    if seed % 2:  # no record key twice
        for i, r in enumerate(unit.records):
            r.rkey = f"{seed:04d}{i:028d}"
    monkeypatch.setattr(DataMap, "FLUSH_ROWS", 7)  # many flushes; a key that comes again finds earlier ones in the map
    url = f"sqlite:///{tmp_path / 'map.sqlite'}"
    dm = DataMap(url)
    try:
        n = dm.write_unit(dm.start_scan({}), _batched(unit, 13))
        again = dm.write_unit(dm.start_scan({}), _batched(unit, 5))  # the same unit again: replaced, not doubled
    finally:
        dm.close()
    got = _written(url)
    want = _plain_rows(unit)
    assert got == want and n == again == len(want)


def test_a_record_key_again_after_a_flush_skips_what_went_in_before(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from pii_scan.datamap import FoundValue, RecordResult

    def f(field: str, kind: str, value: str) -> FoundValue:
        return FoundValue(field, kind, kind, value * 64, "***", 0.9, False, None, None, True)

    r1, r2 = "a" * 32, "b" * 32
    recs = [
        RecordResult(r1, "files", "s", "c.csv", "1", False, None, None, [f("text", "email", "1"), f("text", "phone", "2")], []),
        RecordResult(r2, "files", "s", "c.csv", "2", False, None, None, [f("text", "email", "3")], []),
        RecordResult(r1, "files", "s", "c.csv", "1", False, None, None, [f("text", "email", "1"), f("text", "email", "4")], []),
    ]
    unit = UnitResult("s", "c.csv", "files", "fp", recs, 3, unit_id="u" * 32)
    monkeypatch.setattr(DataMap, "FLUSH_ROWS", 1)
    url = f"sqlite:///{tmp_path / 'map.sqlite'}"
    dm = DataMap(url)
    try:
        n = dm.write_unit(dm.start_scan({}), _batched(unit, 1))
    finally:
        dm.close()
    got = _written(url)
    assert [(r[0], r[5]) for r in got] == [(r1, "1" * 64), (r1, "2" * 64), (r2, "3" * 64), (r1, "4" * 64)] and n == 4


def test_finding_count_of_a_batched_result_needs_no_unpickling() -> None:
    unit = _unit(3, 200)
    res = _batched(unit, 17)
    assert res.finding_count() == sum(len(r.findings) for r in unit.records)


def test_a_worker_keeps_a_units_records_pickled_batch_by_batch(tmp_path: Path) -> None:
    from connectors.files import FilesConnector
    from pii_scan.worker import BATCH_RECORDS, ScanSettings, scan_unit

    rows = 3 * BATCH_RECORDS + 5
    (tmp_path / "kunder.csv").write_text(
        "id;epost\n" + "".join(f"{i};kund{i}@exempel.se\n" for i in range(rows)), encoding="utf-8")
    c = FilesConnector("s", {"path": str(tmp_path), "split_bytes": 0})
    (unit,) = list(c.units())
    res = scan_unit(c, unit, ScanSettings(None, 0.5, False, b"k" * 32))
    packed = res.packed
    assert isinstance(packed, PackedBatches) and len(packed._blobs) >= 3
    assert res.finding_count() == rows
    back = pickle.loads(pickle.dumps(res))
    assert back.finding_count() == rows and sum(len(r[9]) for r in back.packed) == rows
