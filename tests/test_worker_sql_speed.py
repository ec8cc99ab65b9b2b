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
