"""Two scans linking subjects in one data map at the same time, on every map dialect.

On a server map two scans can finish together; each then links subjects. Two
full links that interleave (each deleting and re-inserting ``subjects``) must
neither fail nor leave a map that differs from a single link.
"""

from __future__ import annotations

import threading

import pytest
import sqlalchemy as sa

from pii_scan.datamap import DataMap, subjects_t
from tests.test_engine import _link_case, _reference_subjects, _write_case, datamap_url  # noqa: F401 - a fixture


@pytest.mark.parametrize("full", [True, False])
def test_two_links_at_once_give_the_single_link_result(datamap_url: str, full: bool) -> None:
    recs = _link_case(3)
    maps = [DataMap(datamap_url) for _ in range(3)]
    try:
        _write_case(maps[0], recs)
        if not full:  # a linked map with new units: both links may go the incremental way
            maps[0].link_subjects()
            more = [(rk + "-again", s, fs) for rk, s, fs in recs[:40]]
            _write_case(maps[0], more, per_unit=len(more), tag="x")  # units of their own
            recs = recs + more
        expect = _reference_subjects(recs, DataMap.HUB_LIMIT)
        errors: list[BaseException] = []
        counts: list[int] = []
        go = threading.Barrier(2)

        def link(dm: DataMap) -> None:
            try:
                go.wait(10)
                counts.append(dm.link_subjects(full=full))
            except BaseException as exc:  # noqa: BLE001 - reported below
                errors.append(exc)

        threads = [threading.Thread(target=link, args=(dm,)) for dm in maps[1:]]
        for t in threads:
            t.start()
        for t in threads:
            t.join(120)
        assert not errors, [f"{type(e).__name__}: {str(e)[:300]}" for e in errors]
        with maps[0].engine.connect() as c:
            got = dict(c.execute(sa.select(subjects_t.c.value_hash, subjects_t.c.subject)).all())
        assert got == expect
        assert counts == [len(set(expect.values()))] * 2
        assert not maps[0].subjects_stale()
    finally:
        for dm in maps:
            dm.close()
