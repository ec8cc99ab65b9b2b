"""Avro and ORC: the row files of a data lake, read as Parquet is (:mod:`connectors.formats.parquet`).

A bucket of exports rarely holds Parquet alone: event pipelines write Avro
(Kafka Connect, Flink, Glue), Hive and Spark tables ORC. Each row is a
record (``structured=True``), ``item`` the 1-based row number across the
file, fields the column names with nested values flattened to paths
(``address.city``, ``phones[0]``; map entries by key), values written as a
person would (integers as digits, timestamps ISO).

* **Avro** (``fastavro``): the object container file, block by block; the
  writer's schema travels in the file. Sniffed by its magic ``Obj\\x01``.
* **ORC** (``pyarrow.orc``): stripe by stripe (an ORC stripe is the unit its
  writer buffered, 64 MiB by default), in batches of rows. Sniffed by
  ``ORC`` followed by binary.

Both need a readable stream only (Avro) or a seekable file (ORC: its footer
is at the end; a non-seekable body is spooled within ``max_expanded_bytes``).
A file that is damaged after some rows yields those rows and fails its unit
with the row it stopped at.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from connectors.base import ConnectorError, Record
from connectors.formats.core import Ctx, bounded_fields, describe, flatten
from connectors.formats.parquet import _has_map, _maps_as_objects
from connectors.formats.streams import Source

BATCH_ROWS = 1024


def _row_records(ctx: Ctx, row: int, values: dict[str, Any]) -> Iterator[Record]:
    pairs = (pair for col, v in values.items() for pair in flatten(str(col), v))
    for fields in bounded_fields(pairs, ctx.limits.max_field_chars):
        yield ctx.record(str(row), fields, True)


def avro_records(ctx: Ctx, src: Source) -> Iterator[Record]:
    import fastavro

    try:
        reader = fastavro.reader(src.stream())
    except Exception as exc:  # noqa: BLE001 - fastavro raises ValueError, SchemaParseException, EOFError...
        raise ConnectorError(f"{ctx.name}: not a readable Avro file ({type(exc).__name__}: {describe(exc)})") from None
    row = 0
    try:
        for values in reader:
            row += 1
            if not isinstance(values, dict):  # a file of bare values (a schema that is not a record)
                values = {"value": values}
            yield from _row_records(ctx, row, values)
    except Exception as exc:  # noqa: BLE001 - a damaged block
        raise ConnectorError(f"{ctx.name}: damaged Avro data after row {row} ({type(exc).__name__})") from None


def orc_records(ctx: Ctx, src: Source) -> Iterator[Record]:
    import pyarrow as pa
    import pyarrow.orc as orc

    try:
        f = orc.ORCFile(src.seekable_file())
    except (pa.ArrowException, OSError, ValueError) as exc:
        raise ConnectorError(f"{ctx.name}: not a readable ORC file ({describe(exc)})") from None
    row = 0
    try:
        mapped = {fld.name: fld.type for fld in f.schema if _has_map(fld.type)}
        for i in range(f.nstripes):
            stripe = f.read_stripe(i)  # a RecordBatch (a Table in some pyarrow versions)
            for off in range(0, stripe.num_rows, BATCH_ROWS):
                for values in stripe.slice(off, BATCH_ROWS).to_pylist():
                    row += 1
                    for col, t in mapped.items():  # map entries by key, as Parquet's
                        if col in values:
                            values[col] = _maps_as_objects(values[col], t)
                    yield from _row_records(ctx, row, values)
    except (pa.ArrowException, OSError, ValueError) as exc:
        raise ConnectorError(f"{ctx.name}: damaged ORC data after row {row} ({describe(exc)})") from None
