"""Export the data map: one finding per line as JSON Lines, CSV or Parquet.

Values are masked unless ``reveal`` is asked for; revealing needs the values
to have been stored encrypted (``[datamap] store_values = true``, the
default) and the scan's key. Streams: memory stays bounded for any map size.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Iterator
from typing import IO, Any

from pii_scan.datamap import DataMap
from pii_scan.keys import Keys

COLUMNS = (
    "store", "source", "container", "item", "field", "kind", "subkind", "value",
    "confidence", "test_data", "inside", "subject",
)


class ExportError(RuntimeError):
    pass


def rows(dm: DataMap, keys: Keys | None, reveal: bool = False) -> Iterator[dict[str, Any]]:
    for r in dm.iter_findings():
        if reveal:
            if r["enc_value"] is None or keys is None:
                raise ExportError("values were not stored (store_values = false): cannot reveal; rescan with store_values = true")
            value = keys.decrypt(r["enc_value"])
            # a container or item that held an identifier (a file named by a personnummer, a row
            # keyed by one) is stored masked, its original encrypted beside it
            container, item = keys.decrypt(r["location_enc"]).split("\x1f", 1) if r["location_enc"] else (r["container"], r["item"])
        else:
            value = r["masked"]
            container, item = r["container"], r["item"]
        yield {
            "store": r["store"], "source": r["source"], "container": container, "item": item,
            "field": r["field"], "kind": r["kind"], "subkind": r["subkind"], "value": value,
            "confidence": r["confidence"], "test_data": bool(r["test_data"]), "inside": r["inside"] or "",
            "subject": (r["subject"] or r["value_hash"])[:16],
        }


def write(dm: DataMap, keys: Keys | None, fmt: str, out: IO[Any] | str, reveal: bool = False) -> int:
    """Write the export to ``out``: a file path, or a stream (text; binary for parquet)."""
    if isinstance(out, str) and fmt in ("jsonl", "csv"):
        with open(out, "w", encoding="utf-8", newline="") as fh:
            return write(dm, keys, fmt, fh, reveal)
    n = 0
    if fmt == "jsonl":
        assert not isinstance(out, str)
        for row in rows(dm, keys, reveal):
            out.write(json.dumps(row, ensure_ascii=False) + "\n")
            n += 1
    elif fmt == "csv":
        assert not isinstance(out, str)
        w = csv.DictWriter(out, fieldnames=COLUMNS)
        w.writeheader()
        for row in rows(dm, keys, reveal):
            w.writerow(row)
            n += 1
    elif fmt == "parquet":
        import pyarrow as pa

        schema = pa.schema(
            [(c, pa.float64() if c == "confidence" else pa.bool_() if c == "test_data" else pa.string()) for c in COLUMNS]
        )
        n = write_parquet(out, schema, rows(dm, keys, reveal), batch=50_000)
    else:
        raise ExportError(f"unknown format {fmt!r}")
    return n


def write_parquet(out: Any, schema: Any, records: Iterable[dict[str, Any]], *, batch: int = 20_000) -> int:
    """Stream dicts into a Parquet file (``schema``: a pyarrow schema; keys outside it are ignored),
    ``batch`` rows per row group so memory stays bounded; an empty input still writes the schema."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    names = schema.names
    writer = pq.ParquetWriter(out, schema)
    buf: list[dict[str, Any]] = []
    n = 0
    try:
        for row in records:
            buf.append({k: row[k] for k in names})
            n += 1
            if len(buf) >= batch:
                writer.write_table(pa.Table.from_pylist(buf, schema=schema))
                buf.clear()
        if buf or n == 0:
            writer.write_table(pa.Table.from_pylist(buf, schema=schema))
    finally:
        writer.close()
    return n
