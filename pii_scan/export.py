"""Export the data map: one finding per line as JSON Lines, CSV or Parquet.

Values are masked unless ``reveal`` is asked for; revealing needs the values
to have been stored encrypted (``[datamap] store_values = true``, the
default) and the scan's key. Streams: memory stays bounded for any map size.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
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
        else:
            value = r["masked"]
        yield {
            "store": r["store"], "source": r["source"], "container": r["container"], "item": r["item"],
            "field": r["field"], "kind": r["kind"], "subkind": r["subkind"], "value": value,
            "confidence": r["confidence"], "test_data": bool(r["test_data"]), "inside": r["inside"] or "",
            "subject": (r["subject"] or r["value_hash"])[:16],
        }


def write(dm: DataMap, keys: Keys | None, fmt: str, out: IO[Any], reveal: bool = False) -> int:
    n = 0
    if fmt == "jsonl":
        for row in rows(dm, keys, reveal):
            out.write(json.dumps(row, ensure_ascii=False) + "\n")
            n += 1
    elif fmt == "csv":
        w = csv.DictWriter(out, fieldnames=COLUMNS)
        w.writeheader()
        for row in rows(dm, keys, reveal):
            w.writerow(row)
            n += 1
    elif fmt == "parquet":
        import pyarrow as pa
        import pyarrow.parquet as pq

        schema = pa.schema(
            [(c, pa.float64() if c == "confidence" else pa.bool_() if c == "test_data" else pa.string()) for c in COLUMNS]
        )
        writer = pq.ParquetWriter(out, schema)
        batch: list[dict[str, Any]] = []
        for row in rows(dm, keys, reveal):
            batch.append(row)
            n += 1
            if len(batch) >= 50_000:
                writer.write_table(pa.Table.from_pylist(batch, schema=schema))
                batch.clear()
        if batch or n == 0:
            writer.write_table(pa.Table.from_pylist(batch, schema=schema))
        writer.close()
    else:
        raise ExportError(f"unknown format {fmt!r}")
    return n
