"""Parquet (pyarrow): streamed in batches of rows, one record per row (``structured=True``).

``item`` = 1-based row number across the file; fields are column names, and
nested values are flattened to paths (``address.city``, ``phones[0]``,
``tags[2]``; a map column's entries by key, ``attrs.pnr``, when its keys are unique). Values are written as a person would (ints as digits, decimals
as stored, timestamps ISO); binary values are scanned only when they are UTF-8.
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
    import pyarrow as pa
    import pyarrow.parquet as pq

    f = src.seekable_file()
    try:
        pf = pq.ParquetFile(f)
    except (pa.ArrowException, OSError, ValueError) as exc:
        raise ConnectorError(f"{ctx.name}: not a readable Parquet file ({describe(exc)})") from None
    row = 0
    try:
        mapped = {f.name: f.type for f in pf.schema_arrow if _has_map(f.type)}
        for batch in pf.iter_batches(batch_size=BATCH_ROWS):
            for values in batch.to_pylist():
                row += 1
                for col, t in mapped.items():
                    if col in values:
                        values[col] = _maps_as_objects(values[col], t)
                pairs = (pair for col, v in values.items() for pair in flatten(str(col), v))
                for fields in bounded_fields(pairs, ctx.limits.max_field_chars):
                    yield ctx.record(str(row), fields, True)
    except (pa.ArrowException, OSError, ValueError) as exc:
        raise ConnectorError(f"{ctx.name}: damaged Parquet data after row {row} ({describe(exc)})") from None
    finally:
        pf.close()
