"""DataMap.write_unit writes a common row's findings as they came ((rkey, unit_id) + the finding) and checks
the rest one by one: the rows it writes are those of the plain rule (every finding checked for a duplicate of
its record key, field, kind and value, and its linkable flag worked out) on units of every shape."""
from __future__ import annotations

import pickle
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from pii_scan.datamap import DataMap, UnitResult, _pack_records
from tests.test_perf_driver_datamap import _unit


def _plain_rows(res: UnitResult) -> list[tuple[Any, ...]]:
    """The findings rows as the loop before the fast path wrote them."""
    seen_r: set[str] = set()
    seen_f: set[tuple[str, str, str, str]] = set()
    rows = []
    for rk, _st, _so, _co, _it, structured, _d, _enc, _refs, fs in _pack_records(res.records):
        if not fs:
            continue
        seen_r.add(rk)
        plain = {f[1] for f in fs if f[9] and not f[7]} if structured and any(f[7] for f in fs) else ()
        for f in fs:
            k = (rk, f[0], f[1], f[3])
            if k in seen_f:
                continue
            seen_f.add(k)
            linkable = f[9] and structured and not (f[7] and f[1] in plain)
            rows.append((rk, res.unit_id, *f[:9], bool(linkable), f[10]))
    return rows


@pytest.mark.parametrize("seed", range(6))
def test_written_findings_are_the_plain_rules(tmp_path: Path, seed: int) -> None:
    unit = _unit(seed, 400)
    if seed % 2:  # no record key twice: the whole unit may take the fast path
        for i, r in enumerate(unit.records):
            r.rkey = f"{seed:04d}{i:028d}"
    res = pickle.loads(pickle.dumps(unit))
    url = f"sqlite:///{tmp_path / 'map.sqlite'}"
    dm = DataMap(url)
    try:
        dm.write_unit(dm.start_scan({}), res)
    finally:
        dm.close()
    eng = sa.create_engine(url)
    with eng.connect() as c:
        got = [(*r[:11], bool(r[11]), r[12]) for r in c.exec_driver_sql(
            "SELECT rkey, unit_id, field, kind, subkind, value_hash, masked, confidence, test_data, inside, enc_value, "
            "linkable, entry FROM findings ORDER BY id")]
    eng.dispose()
    want = _plain_rows(unit)
    assert got == want
    assert len(want) > 300 and any(r[9] for r in want) and any(r[11] for r in want)
