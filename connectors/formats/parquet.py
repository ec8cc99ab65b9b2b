"""Parquet (pyarrow): streamed in batches of rows, one record per row (``structured=True``).

``item`` = 1-based row number across the file; fields are column names, and
nested values are flattened to paths (``address.city``, ``phones[0]``,
``tags[2]``; a map column's entries by key, ``attrs.pnr``, when its keys are unique). Values are written as a person would (ints as digits, decimals
as stored, timestamps ISO); binary values are scanned only when they are UTF-8.

A large file is read as several units of consecutive rows (:func:`row_ranges`,
used by the files connector), so that what one worker holds of a unit stays
bounded whatever the size of the file: a row group can hold a million rows, so
ranges cut inside row groups (the rows before a range's start in its first
group are decoded and passed over: decoding costs far less than scanning).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from connectors.base import ConnectorError, Record
from connectors.formats.core import Ctx, bounded_fields, describe, flatten
from connectors.formats.streams import Source

BATCH_ROWS = 1024


def _has_map(t: Any) -> bool:
    import pyarrow as pa

    if pa.types.is_map(t):
        return True
    if pa.types.is_struct(t):
        return any(_has_map(t.field(i).type) for i in range(t.num_fields))
    if pa.types.is_list(t) or pa.types.is_large_list(t) or pa.types.is_fixed_size_list(t):
        return _has_map(t.value_type)
    return False


def _maps_as_objects(value: Any, t: Any) -> Any:
    """A value with its map entries as an object (``{"pnr": ...}``) where the keys are unique.

    pyarrow gives a map as a list of (key, value) pairs, which would be flattened
    to ``attrs[0][0]`` (the key) and ``attrs[0][1]`` (its value): the key, which
    names the value, would be lost as the field's name and hint.
    """
    import pyarrow as pa

    if value is None:
        return None
    if pa.types.is_map(t):
        pairs = [(k, _maps_as_objects(v, t.item_type)) for k, v in value]
        keys = [str(k) for k, _ in pairs]
        return dict(zip(keys, (v for _, v in pairs))) if len(set(keys)) == len(keys) else pairs
    if pa.types.is_struct(t):
        return {t.field(i).name: _maps_as_objects(value.get(t.field(i).name), t.field(i).type) for i in range(t.num_fields)}
    if pa.types.is_list(t) or pa.types.is_large_list(t) or pa.types.is_fixed_size_list(t):
        return [_maps_as_objects(x, t.value_type) for x in value]
    return value


def parquet_records(ctx: Ctx, src: Source) -> Iterator[Record]:
    yield from file_records(ctx, src.seekable_file())


def _open(ctx: Ctx, f: Any) -> Any:
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        return pq.ParquetFile(f)
    except (pa.ArrowException, OSError, ValueError) as exc:
        raise ConnectorError(f"{ctx.name}: not a readable Parquet file ({describe(exc)})") from None


MAX_UNIT_ROWS = 50_000  # rows of a unit at most (a SQL unit holds 20,000): what a worker holds of one stays small


def row_ranges(f: Any, target_bytes: int, max_rows: int = MAX_UNIT_ROWS) -> list[tuple[int, int]]:
    """``[start, end)`` row ranges (0-based) of about ``target_bytes`` of uncompressed data and at most ``max_rows``
    rows each; ``[]`` when the file is not readable Parquet or fits in one range."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        meta = pq.ParquetFile(f).metadata
    except (pa.ArrowException, OSError, ValueError):
        return []
    rows = meta.num_rows
    size = sum(meta.row_group(i).total_byte_size for i in range(meta.num_row_groups))
    if rows <= 1 or (size <= target_bytes and rows <= max_rows):
        return []
    per = min(max_rows, max(1_000, int(target_bytes * rows / max(size, 1))))
    if per >= rows:
        return []
    return [(a, min(rows, a + per)) for a in range(0, rows, per)]


def file_records(ctx: Ctx, f: Any, rows: tuple[int, int] | None = None) -> Iterator[Record]:
    """The records of a Parquet file open in ``f``: every row, or rows ``[start, end)`` (items stay file-wide)."""
    import pyarrow as pa

    pf = _open(ctx, f)
    row = 0
    try:
        meta = pf.metadata
        start, end = rows if rows is not None else (0, meta.num_rows)
        groups: list[int] = []
        before = 0  # rows of the row groups before the first one read
        at = 0
        for g in range(meta.num_row_groups):
            n = meta.row_group(g).num_rows
            if at + n > start and at < end:
                if not groups:
                    before = at
                groups.append(g)
            at += n
        row = before
        mapped = {f.name: f.type for f in pf.schema_arrow if _has_map(f.type)}
        for batch in pf.iter_batches(batch_size=BATCH_ROWS, row_groups=groups) if groups else ():
            if row >= end:
                break
            n = batch.num_rows
            lo = min(n, max(0, start - row))  # the batch's rows inside the range: [lo, hi)
            hi = max(lo, min(n, end - row))
            inside = batch.slice(lo, hi - lo).to_pylist() if hi > lo else []
            row += lo
            for values in inside:
                row += 1
                for col, t in mapped.items():
                    if col in values:
                        values[col] = _maps_as_objects(values[col], t)
                pairs = (pair for col, v in values.items() for pair in flatten(str(col), v))
                for fields in bounded_fields(pairs, ctx.limits.max_field_chars):
                    yield ctx.record(str(row), fields, True)
            row += n - hi
    except (pa.ArrowException, OSError, ValueError) as exc:
        raise ConnectorError(f"{ctx.name}: damaged Parquet data after row {row} ({describe(exc)})") from None
    finally:
        pf.close()
