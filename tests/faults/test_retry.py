"""The engine's unit retries on their own, with a connector that fails on cue (no services needed)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from connectors.base import BaseConnector, ConnectorError, Record, TransientError, Unit
from pii_scan import engine
from pii_scan.config import from_dict
from pii_scan.engine import RetryPolicy, _list_units, scan_unit_retrying
from pii_scan.worker import ScanSettings

PNRS = ["19640823-3234", "199006022397", "19811228-9874"]  # Skatteverket test numbers and a generated one
SETTINGS = ScanSettings(None, 0.5, False, b"k" * 32)
NOW = RetryPolicy(retries=3, backoff=0.0)


class Flaky(BaseConnector):
    """Three rows per unit; the first ``fail`` attempts at a unit break off after one row with ``error``."""

    store = "sql"

    def __init__(self, name: str, config: dict) -> None:
        super().__init__(name, config)
        self.attempts: Counter[str] = Counter()

    def units(self) -> Iterator[Unit]:
        self.attempts["<listing>"] += 1
        yield Unit(self.name, "t", "fp")
        if self.attempts["<listing>"] <= self.config.get("list_fail", 0):
            raise TransientError("catalog: connection lost (OperationalError)")
        yield Unit(self.name, "u", "fp")

    def read(self, unit: Unit) -> Iterator[Record]:
        self.attempts[unit.key] += 1
        for i, pnr in enumerate(PNRS, 1):
            if i == 2 and self.attempts[unit.key] <= self.config.get("fail", 0):
                raise self.config.get("error", TransientError)("table t: connection lost (OperationalError)")
            yield Record(self.location("t", f"id={i}"), [("personnummer", pnr)])


@pytest.fixture(autouse=True)
def _fresh_breaker(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(engine, "_GAVE_UP", {})


def test_a_transient_failure_is_read_again_and_only_the_last_attempt_counts() -> None:
    clean, _ = scan_unit_retrying(Flaky("crm", {}), Unit("crm", "t", "fp"), SETTINGS, NOW)
    conn = Flaky("crm", {"fail": 2})
    res, failed = scan_unit_retrying(conn, Unit("crm", "t", "fp"), SETTINGS, NOW)
    assert conn.attempts["t"] == 3 and len(failed) == 2 and "connection lost" in failed[0]
    assert res.error is None and res.rows == 3
    assert [r.rkey for r in res.records] == [r.rkey for r in clean.records]  # no row twice, none missing
    assert [f.value_hash for r in res.records for f in r.findings] == [f.value_hash for r in clean.records for f in r.findings]


def test_other_errors_are_not_retried() -> None:
    conn = Flaky("crm", {"fail": 1, "error": ConnectorError})
    res, failed = scan_unit_retrying(conn, Unit("crm", "t", "fp"), SETTINGS, NOW)
    assert conn.attempts["t"] == 1 and not failed
    assert res.error == "table t: connection lost (OperationalError)" and res.rows == 1  # the row read before is kept


def test_retries_run_out_then_the_source_fails_fast_for_a_while() -> None:
    down = Flaky("crm", {"fail": 99})
    res, failed = scan_unit_retrying(down, Unit("crm", "a", "fp"), SETTINGS, NOW)
    assert down.attempts["a"] == 4 and len(failed) == 3
    assert res.error == "table t: connection lost (OperationalError) (read 4 times)"
    # the next unit of the same source gets one attempt: a source that is down costs no backoff per unit
    res, failed = scan_unit_retrying(down, Unit("crm", "b", "fp"), SETTINGS, NOW)
    assert down.attempts["b"] == 1 and not failed
    assert res.error is not None and res.error.endswith("(not retried: another unit of this source failed all its attempts moments ago)")
    # another source is retried as usual, and a unit of the first that reads cleanly lifts its block
    other = Flaky("hr", {"fail": 1})
    assert scan_unit_retrying(other, Unit("hr", "a", "fp"), SETTINGS, NOW)[0].error is None and other.attempts["a"] == 2
    up = Flaky("crm", {})
    assert scan_unit_retrying(up, Unit("crm", "c", "fp"), SETTINGS, NOW)[0].error is None
    flaky = Flaky("crm", {"fail": 1})
    assert scan_unit_retrying(flaky, Unit("crm", "d", "fp"), SETTINGS, NOW)[0].error is None and flaky.attempts["d"] == 2


def test_retry_settings(tmp_path: Path) -> None:
    def cfg(**scan: object) -> object:
        return from_dict({"scan": scan, "sources": []}, base=tmp_path)

    assert RetryPolicy.from_config(cfg()) == RetryPolicy(3, 1.0)  # type: ignore[arg-type]
    assert RetryPolicy.from_config(cfg(retries=0, retry_backoff=0.5)) == RetryPolicy(0, 0.5)  # type: ignore[arg-type]
    for bad in ({"retries": -1}, {"retry_backoff": "soon"}):
        with pytest.raises(RuntimeError, match=r"\[scan\] retr"):
            RetryPolicy.from_config(cfg(**bad))  # type: ignore[arg-type]
    policy = RetryPolicy(10, 1.0)
    delays = [policy.delay(n) for n in range(1, 9)]
    assert 0.75 <= delays[0] <= 1.25 and 1.5 <= delays[1] <= 2.5  # doubling, with jitter
    assert max(delays) <= policy.max_backoff * 1.25


def test_a_listing_that_loses_its_connection_is_listed_again() -> None:
    conn = Flaky("crm", {"list_fail": 2})
    units, deps = _list_units(conn, NOW)
    assert [u.key for u in units] == ["t", "u"] and deps == [] and conn.attempts["<listing>"] == 3
    down = Flaky("crm", {"list_fail": 99})
    with pytest.raises(TransientError):  # the engine records it as the source's failure
        _list_units(down, NOW)
    assert down.attempts["<listing>"] == 4


def test_a_dask_task_result_comes_back_whole_and_the_collector_is_restored() -> None:
    """Tasks return their result pickled (engine.scan_unit_pickled); the driver unpickles it with
    the cyclic collector paused and must get the same result, with the collector as it was."""
    import gc
    import pickle

    direct = scan_unit_retrying(Flaky("crm", {"fail": 1}), Unit("crm", "t", "fp"), SETTINGS, NOW)
    blob = engine.scan_unit_pickled(Flaky("crm", {"fail": 1}), Unit("crm", "t", "fp"), SETTINGS, NOW)
    assert isinstance(blob, bytes)
    was = gc.isenabled()
    try:
        for enabled in (True, False):
            (gc.enable if enabled else gc.disable)()
            res, retried = engine.unpickle_result(blob)
            assert gc.isenabled() is enabled
            assert retried == direct[1] and len(retried) == 1
            direct[0].seconds = res.seconds  # the only field that differs between two runs
            assert res == direct[0] and res.rows == 3 and sum(len(r.findings) for r in res.records) == 3
        with pytest.raises(pickle.UnpicklingError):
            engine.unpickle_result(b"not a pickle")
        assert gc.isenabled() is False  # restored after an error too (it was off)
    finally:
        (gc.enable if was else gc.disable)()
