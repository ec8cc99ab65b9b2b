"""Large Parquet and zip objects are read as units of rows or entries by ranged GETs, with the records of the whole object (moto server)."""

from __future__ import annotations

from typing import Any

from tests.connectors.test_s3 import FaultProxy, big_parquet, conn, make_bucket, s3, proxy, triples  # noqa: F401
from tests.connectors.fileutil import PNR


def test_large_parquet_object_is_split_into_row_units(s3: Any, proxy: FaultProxy) -> None:  # noqa: F811
    data = big_parquet(8000)
    make_bucket(s3, "sjo", {"t.parquet": data, "u.parquet": data})
    whole = conn(proxy.url, ranged_bytes=100_000, split_bytes=0)
    split = conn(proxy.url, ranged_bytes=100_000, split_bytes=150_000)
    w_units = [u for u in whole.units() if u.key.startswith("sjo/t.parquet")]
    s_units = [u for u in split.units() if u.key.startswith("sjo/t.parquet")]
    assert [u.key for u in w_units] == ["sjo/t.parquet"]
    assert len(s_units) >= 2 and all(u.key.startswith("sjo/t.parquet#rows ") for u in s_units)
    assert [u.fingerprint for u in s_units] == [u.fingerprint for u in split.units() if u.key.startswith("sjo/t.parquet")]
    w_recs = [r for u in w_units for r in whole.read(u)]
    s_recs = [r for u in s_units for r in split.read(u)]
    assert triples(s_recs) == triples(w_recs)
    assert [r.location.item for r in s_recs[1:]] == [str(i) for i in range(1, 8001)]
    assert ("sjo/t.parquet", "7999", "personnummer", PNR) in triples(s_recs)
    # each range is read in place: no GET of the whole object
    assert all(g and g.startswith("bytes=") for g in proxy.gets("t.parquet"))


def test_small_objects_are_not_looked_at(s3: Any, proxy: FaultProxy) -> None:  # noqa: F811
    make_bucket(s3, "sjo", {"t.parquet": big_parquet(2000)})
    c = conn(proxy.url)  # split_bytes 8 MiB: objects named .parquet or .zip are looked at from 1 MiB
    assert [u.key for u in c.units()] == ["sjo/t.parquet"]
    assert proxy.gets("t.parquet") == []  # under 1 MiB: listing reads nothing


def test_large_zip_object_is_split_into_entry_units(s3: Any, proxy: FaultProxy, tmp_path) -> None:  # noqa: ANN001, F811
    from tests.connectors.test_zip_split import make_zip

    make_zip(tmp_path / "export.zip", 12, 6_000)
    data = (tmp_path / "export.zip").read_bytes()
    make_bucket(s3, "arkiv", {"export.zip": data})
    whole = conn(proxy.url, split_bytes=0)
    split = conn(proxy.url, ranged_bytes=100_000, split_bytes=500_000)
    (w,) = list(whole.units())
    s_units = list(split.units())
    assert len(s_units) >= 4 and all(u.key.startswith("arkiv/export.zip#entries ") for u in s_units)
    w_recs = triples(list(whole.read(w)))
    s_recs = triples([r for u in s_units for r in split.read(u)])
    assert s_recs == w_recs and any(c.startswith("arkiv/export.zip!export/kunder_011.csv") for c, *_ in s_recs)
