"""A large Parquet file is read as several units of rows, with the records of the whole file.

Before, a Parquet file was one unit whatever its size: a file of a million
customer rows (27 MB on disk) made one worker hold every finding of it (the
scan's process passed 2 GiB).
"""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from connectors.files import FilesConnector
from connectors.formats.core import PATH_FIELD
from connectors.formats.parquet import row_ranges


def write(path: Path, rows: int, group_sizes: list[int] | None = None) -> None:
    ids = list(range(rows))
    t = pa.table({
        "id": ids,
        "epost": [f"kund{i}@exempel.se" for i in ids],
        "telefon": [f"070-174 06 {i % 100:02d}" for i in ids],
        "adress": [{"gata": f"Storgatan {i % 90 + 1}", "ort": "Ort"} for i in ids],
    })
    with pq.ParquetWriter(path, t.schema) as w:
        if group_sizes is None:
            w.write_table(t, row_group_size=rows)
        else:
            at = 0
            for n in group_sizes:
                w.write_table(t.slice(at, n), row_group_size=n)
                at += n
            assert at == rows


def records(c: FilesConnector) -> tuple[list[str], list[tuple[str, str, tuple[tuple[str, str], ...]]]]:
    units = list(c.units())
    out = []
    for u in units:
        for r in c.read(u):
            out.append((r.location.container, r.location.item, tuple(r.fields)))
    return [u.key for u in units], out


def test_row_ranges_cover_every_row_once(tmp_path: Path) -> None:
    p = tmp_path / "k.parquet"
    write(p, 30_000)
    with open(p, "rb") as f:
        ranges = row_ranges(f, 200_000)
    assert len(ranges) >= 3
    assert ranges[0][0] == 0 and ranges[-1][1] == 30_000
    assert all(a[1] == b[0] for a, b in zip(ranges, ranges[1:]))
    with open(p, "rb") as f:
        assert row_ranges(f, 1 << 30) == []  # fits in one unit


def test_one_large_row_group_is_split_and_reads_as_the_whole_file(tmp_path: Path) -> None:
    (tmp_path / "export").mkdir()
    write(tmp_path / "export" / "kunder.parquet", 30_000)  # one row group of 30,000 rows
    whole_keys, whole = records(FilesConnector("s", {"path": str(tmp_path), "split_bytes": 0}))
    keys, split = records(FilesConnector("s", {"path": str(tmp_path), "split_bytes": 200_000}))
    assert whole_keys == ["export/kunder.parquet"]
    assert len(keys) >= 3 and all(k.startswith("export/kunder.parquet#rows ") for k in keys)
    assert split == whole  # the same records in the same order: items are row numbers across the file
    assert [r for r in split if r[2][0][0] == PATH_FIELD] == [r for r in whole if r[2][0][0] == PATH_FIELD]
    assert whole[-1][1] == "30000"


def test_ranges_across_uneven_row_groups(tmp_path: Path) -> None:
    write(tmp_path / "k.parquet", 10_000, [1, 4_999, 17, 2_983, 2_000])
    _, whole = records(FilesConnector("s", {"path": str(tmp_path), "split_bytes": 0}))
    keys, split = records(FilesConnector("s", {"path": str(tmp_path), "split_bytes": 60_000}))
    assert len(keys) > 2 and split == whole
    assert [int(r[1]) for r in split if r[1]] == list(range(1, 10_001))


def test_fingerprints_are_stable_and_units_small(tmp_path: Path) -> None:
    write(tmp_path / "k.parquet", 20_000)
    c = FilesConnector("s", {"path": str(tmp_path), "split_bytes": 200_000})
    first = [(u.key, u.fingerprint) for u in c.units()]
    assert first == [(u.key, u.fingerprint) for u in c.units()]
    assert len(first) > 1


def test_many_small_rows_are_split_by_row_count_too(tmp_path: Path) -> None:
    from connectors.formats.parquet import MAX_UNIT_ROWS

    p = tmp_path / "k.parquet"
    write(p, 2 * MAX_UNIT_ROWS + 10)
    with open(p, "rb") as f:
        ranges = row_ranges(f, 1 << 40)  # bytes alone would keep it whole
    assert ranges == [(0, MAX_UNIT_ROWS), (MAX_UNIT_ROWS, 2 * MAX_UNIT_ROWS), (2 * MAX_UNIT_ROWS, 2 * MAX_UNIT_ROWS + 10)]
