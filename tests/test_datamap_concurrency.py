"""Two processes writing one SQLite data map (two scans at once, a scan and a `key rotate`)."""

from __future__ import annotations

import threading
import time
from pathlib import Path

from pii_scan.datamap import DataMap, meta_t


def test_linking_waits_for_another_writer_instead_of_failing(tmp_path: Path) -> None:
    """link_subjects reads, then writes, in one transaction. On SQLite a transaction that has
    read cannot wait for another connection's write to end: without taking the write lock up
    front it failed at once with 'database is locked' while another scan was saving a unit."""
    url = f"sqlite:///{tmp_path / 'map.sqlite'}"
    a, b = DataMap(url), DataMap(url)
    holding = threading.Event()
    released_at: list[float] = []

    def other_scan_saving_a_unit() -> None:
        with a.engine.begin() as c:
            c.execute(meta_t.insert().values(key="other_scan_was_here", value="1"))
            holding.set()
            time.sleep(1.0)
            released_at.append(time.monotonic())

    t = threading.Thread(target=other_scan_saving_a_unit)
    t.start()
    try:
        assert holding.wait(10)
        assert b.link_subjects() == 0
        linked_at = time.monotonic()
    finally:
        t.join()
        a.close()
    assert released_at and linked_at >= released_at[0]  # it waited for the other write, then went on
    assert not b.subjects_stale()
    b.close()
