"""The driver's end of a scan on a cluster: deferred indexes built beside the last units, the cluster
closed while subjects are linked. Same data map as a scan in one process."""
from __future__ import annotations

import dataclasses
import random
import threading
import time
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from detectors.checksums import luhn_check_digit
from pii_scan.config import load
from pii_scan.datamap import DEFERRABLE_INDEXES, DataMap, findings_t, records_t, subjects_t
from pii_scan.engine import scan


def _pnr(rnd: random.Random) -> str:
    """A fictional personnummer: random date and serial, valid Luhn digit."""
    y, m, d, s = rnd.randint(1940, 2005), rnd.randint(1, 12), rnd.randint(1, 28), rnd.randint(1, 999)
    body = f"{y % 100:02d}{m:02d}{d:02d}{s:03d}"
    return f"{y}{m:02d}{d:02d}-{s:03d}{luhn_check_digit(body)}"


def _share(tmp: Path, big_rows: int) -> Path:
    """Two small CSV files and one large one (three units): the large one is the last unit to finish."""
    rnd = random.Random(7)
    share = tmp / "share"
    share.mkdir()
    for name, rows in (("a.csv", 3), ("b.csv", 3), ("stor.csv", big_rows)):
        lines = ["namn;personnummer;epost;telefon"]
        for i in range(rows):
            lines.append(f"Kund {name} {i};{_pnr(rnd)};kund{i}.{name[0]}@example.se;07{rnd.choice('0236')}{rnd.randrange(10**7):07d}")
        (share / name).write_text("\n".join(lines) + "\n", "utf-8")
    cfg = tmp / "pii-scan.toml"
    cfg.write_text('[datamap]\nurl = "sqlite:///datamap.sqlite"\n\n[[sources]]\nname = "share"\ntype = "files"\npath = "share"\n')
    return cfg


def _map(url: str) -> dict[str, Any]:
    """The map's findings (location, field, kind, value hash), subject partition and index names."""
    eng = sa.create_engine(url)
    try:
        with eng.connect() as c:
            f, r, s = findings_t, records_t, subjects_t
            rows = c.execute(
                sa.select(r.c.container, r.c.item, f.c.field, f.c.kind, f.c.value_hash, f.c.linkable, s.c.subject)
                .join(r, r.c.rkey == f.c.rkey).join(s, s.c.value_hash == f.c.value_hash, isouter=True)
            ).all()
            groups: dict[str, set[tuple[Any, ...]]] = {}
            for row in rows:
                groups.setdefault(row[-1], set()).add(tuple(row[:-1]))
            indexes = {ix["name"] for t in ("findings", "records") for ix in sa.inspect(c).get_indexes(t)}
        return {"findings": sorted(tuple(x[:-1]) for x in rows),
                "partition": sorted(sorted(g) for g in groups.values()), "indexes": indexes}
    finally:
        eng.dispose()


@pytest.fixture
def share(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("PII_SCAN_KEY", "ab" * 32)  # both maps under one key: their hashes compare
    return _share(tmp_path, 20_000)


def test_a_first_scan_builds_its_deferred_indexes_while_the_last_unit_runs(share: Path, tmp_path: Path,
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    events: list[str] = []
    write, restore = DataMap.write_unit, DataMap.restore_indexes

    def write_unit(self: DataMap, scan_id: int, res: Any) -> int:
        events.append(f"write {Path(res.key).name}")
        return write(self, scan_id, res)

    def restore_indexes(self: DataMap) -> None:
        events.append("restore")
        restore(self)

    monkeypatch.setattr(DataMap, "write_unit", write_unit)
    monkeypatch.setattr(DataMap, "restore_indexes", restore_indexes)
    summary = scan(load(share), workers=2, progress=False)
    assert summary.status == "complete" and summary.units_scanned == 3
    # once for opening the map; then, with two workers and one unit left, before that unit's result
    assert events[0] == "restore" and events[-1] == "write stor.csv", events
    assert events[1:].count("restore") == 1 and events.index("restore", 1) < len(events) - 1, events
    cluster_map = _map(load(share).datamap_url)
    assert set(DEFERRABLE_INDEXES) <= cluster_map["indexes"]

    monkeypatch.setattr(DataMap, "write_unit", write)
    monkeypatch.setattr(DataMap, "restore_indexes", restore)
    cfg = dataclasses.replace(load(share), datamap_url=f"sqlite:///{tmp_path / 'sync.sqlite'}")
    assert scan(cfg, scheduler="sync", progress=False).status == "complete"
    sync_map = _map(cfg.datamap_url)
    assert cluster_map == sync_map
    assert len(sync_map["findings"]) >= 3 * 20_006 and len(sync_map["partition"]) > 19_000


def test_subjects_are_linked_while_the_cluster_closes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PII_SCAN_KEY", "ab" * 32)
    cfg_path = _share(tmp_path, 50)
    from dask.distributed import LocalCluster

    linking = threading.Event()
    order: list[str] = []
    close, link = LocalCluster.close, DataMap.link_subjects

    def slow_close(self: Any, *a: Any, **k: Any) -> Any:
        linking.wait(20)  # before: the scan closed the cluster first, and waited here for nothing
        order.append("cluster closing" if linking.is_set() else "cluster closed before the link")
        return close(self, *a, **k)

    def link_subjects(self: DataMap, full: bool = False) -> int:
        linking.set()
        order.append("link")
        return link(self, full)

    monkeypatch.setattr(LocalCluster, "close", slow_close)
    monkeypatch.setattr(DataMap, "link_subjects", link_subjects)
    t = time.perf_counter()
    summary = scan(load(cfg_path), workers=2, progress=False)
    assert summary.status == "complete" and summary.subjects > 0
    assert order[:2] == ["link", "cluster closing"], order
    assert time.perf_counter() - t < 20 + 60
    assert not [th for th in threading.enumerate() if th.name == "pii-scan-close-cluster"]  # joined before returning


def test_an_error_closing_the_cluster_still_fails_the_scan(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PII_SCAN_KEY", "ab" * 32)
    cfg_path = _share(tmp_path, 5)
    from dask.distributed import LocalCluster

    close = LocalCluster.close

    def failing_close(self: Any, *a: Any, **k: Any) -> Any:
        close(self, *a, **k)
        raise RuntimeError("the cluster did not close")

    monkeypatch.setattr(LocalCluster, "close", failing_close)
    with pytest.raises(RuntimeError, match="did not close"):
        scan(load(cfg_path), workers=2, progress=False)
    dm = DataMap(load(cfg_path).datamap_url)
    try:
        with dm.engine.connect() as c:
            assert c.exec_driver_sql("SELECT status FROM scans").scalars().all() == ["failed"]
    finally:
        dm.close()
