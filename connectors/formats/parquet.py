"""Parquet (pyarrow): streamed in batches of rows, one record per row (``structured=True``).

``item`` = 1-based row number across the file; fields are column names, and
nested values are flattened to paths (``address.city``, ``phones[0]``,
``tags[2]``). Values are written as a person would (ints as digits, decimals
as stored, timestamps ISO); binary values are scanned only when they are UTF-8.
"""

from __future__ import annotations

from collections.abc import Iterator

from connectors.base import ConnectorError, Record
from connectors.formats.core import Ctx, bounded_fields, describe, flatten
from connectors.formats.streams import Source

BATCH_ROWS = 1024


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
        for batch in pf.iter_batches(batch_size=BATCH_ROWS):
            for values in batch.to_pylist():
                row += 1
                pairs = (pair for col, v in values.items() for pair in flatten(str(col), v))
                for fields in bounded_fields(pairs, ctx.limits.max_field_chars):
                    yield ctx.record(str(row), fields, True)
    except (pa.ArrowException, OSError, ValueError) as exc:
        raise ConnectorError(f"{ctx.name}: damaged Parquet data after row {row} ({describe(exc)})") from None
    finally:
        pf.close()
