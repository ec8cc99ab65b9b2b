"""Peak memory of a scan against the size of one large file, per format: does it stay flat?

Issue 4 asks for peak RSS under 1 GiB whatever the size of the input. A tree
of many files is bounded by its units (``files_scan.py``); this looks at one
large file, where everything depends on whether the format is read as several
units and on what a unit's result costs to hold. For each format and each row
count it writes one fictional customer file (personnummer, e-mail and phone per
row: three findings a row), scans it alone with ``pii-scan scan --scheduler
sync`` (driver and worker in one process, so one peak holds both) into a fresh
SQLite map, and prints peak RSS (``/usr/bin/time``), wall time, units and
findings, then the growth of the peak per 100,000 rows between the two sizes:
about 0 means bounded, anything else is what one more 100,000 rows costs.

Formats: ``parquet`` (one row group per 50,000 rows), ``jsonl`` (JSON Lines:
split by byte ranges), ``json`` (one JSON array: one unit), ``csvzip`` (a zip
of CSV files of 10,000 rows each: one unit), ``xlsx`` (one sheet: one unit).

Usage::

    .venv/bin/python benchmarks/big_units.py                         # 100k and 300k rows, every format
    .venv/bin/python benchmarks/big_units.py --rows 200000,600000 --formats parquet,json
"""

from __future__ import annotations

import argparse
import io
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from detectors.checksums import luhn_is_valid  # noqa: E402

FORMATS = ("parquet", "jsonl", "json", "csvzip", "xlsx")


def pnr(i: int) -> str:
    y, m, d = 1940 + i % 60, 1 + (i // 60) % 12, 1 + (i // 720) % 28
    s = 1 + (i // 20160) % 998
    body = f"{y % 100:02d}{m:02d}{d:02d}{s:03d}"
    c = next(c for c in range(10) if luhn_is_valid(body + str(c)))
    return f"{y}{m:02d}{d:02d}-{s:03d}{c}"


def row(i: int) -> dict[str, object]:
    return {"id": i, "namn": f"Kund {i}", "personnummer": pnr(i), "epost": f"kund{i}@exempel.se",
            "telefon": f"070-{i % 1000:03d} {(i // 1000) % 100:02d} {(i // 100000) % 100:02d}"}


def write(fmt: str, rows: int, folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    if fmt == "parquet":
        import pyarrow as pa
        import pyarrow.parquet as pq

        path = folder / "kunder.parquet"
        writer = None
        for a in range(0, rows, 50_000):
            t = pa.Table.from_pylist([row(i) for i in range(a, min(rows, a + 50_000))])
            writer = writer or pq.ParquetWriter(path, t.schema)
            writer.write_table(t)
        assert writer is not None
        writer.close()
    elif fmt == "jsonl":
        path = folder / "kunder.jsonl"
        with open(path, "w", encoding="utf-8") as f:
            for i in range(rows):
                f.write(json.dumps(row(i), ensure_ascii=False) + "\n")
    elif fmt == "json":
        path = folder / "kunder.json"
        with open(path, "w", encoding="utf-8") as f:
            f.write("[\n")
            for i in range(rows):
                f.write(("," if i else "") + json.dumps(row(i), ensure_ascii=False) + "\n")
            f.write("]\n")
    elif fmt == "csvzip":
        path = folder / "export.zip"
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
            for a in range(0, rows, 10_000):
                buf = io.StringIO()
                buf.write("id;namn;personnummer;epost;telefon\n")
                for i in range(a, min(rows, a + 10_000)):
                    r = row(i)
                    buf.write(";".join(str(r[k]) for k in ("id", "namn", "personnummer", "epost", "telefon")) + "\n")
                z.writestr(f"kunder_{a // 10_000:04d}.csv", buf.getvalue())
    elif fmt == "xlsx":
        from openpyxl import Workbook

        path = folder / "kunder.xlsx"
        wb = Workbook(write_only=True)
        ws = wb.create_sheet("Kunder")
        ws.append(["id", "namn", "personnummer", "epost", "telefon"])
        for i in range(rows):
            r = row(i)
            ws.append([r["id"], r["namn"], r["personnummer"], r["epost"], r["telefon"]])
        wb.save(path)
    else:
        raise ValueError(fmt)
    return path


def scan(folder: Path, work: Path) -> dict[str, object]:
    cfg = work / "pii-scan.toml"
    cfg.write_text(f'[datamap]\nurl = "sqlite:///{work / "map.sqlite"}"\n'
                   f'[[sources]]\nname = "share"\ntype = "files"\npath = "{folder}"\n', encoding="utf-8")
    env = dict(os.environ, PII_SCAN_KEY="k" * 64)
    exe = str(Path(sys.executable).parent / "pii-scan")
    t = time.perf_counter()
    p = subprocess.run(["/usr/bin/time", "-v", exe, "scan", "--config", str(cfg), "--scheduler", "sync", "--no-progress",
                        "--format", "json"], capture_output=True, text=True, env=env)
    wall = time.perf_counter() - t
    rss = re.search(r"Maximum resident set size \(kbytes\): (\d+)", p.stderr)
    try:
        summary = json.loads(p.stdout)
    except json.JSONDecodeError:
        summary = {}
    return {"rss_mib": int(rss.group(1)) / 1024 if rss else float("nan"), "wall": wall, "exit": p.returncode,
            "units": summary.get("units_scanned"), "findings": summary.get("findings")}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rows", default="100000,300000", help="two row counts, comma-separated")
    ap.add_argument("--formats", default=",".join(FORMATS))
    ap.add_argument("--keep", type=Path, help="build the files here and keep them (default: a temporary folder)")
    args = ap.parse_args()
    sizes = [int(x) for x in args.rows.split(",")]
    base = args.keep or Path(tempfile.mkdtemp(prefix="pii-big-"))
    print(f"{'format':<8} {'rows':>9} {'file MB':>8} {'units':>6} {'findings':>10} {'wall s':>7} {'peak RSS MiB':>13}  exit")
    try:
        for fmt in args.formats.split(","):
            peaks = []
            for n in sizes:
                folder = base / f"{fmt}-{n}" / "share"
                if not folder.exists():
                    write(fmt, n, folder)
                mb = sum(f.stat().st_size for f in folder.iterdir()) / 1e6
                work = base / f"{fmt}-{n}" / "run"
                shutil.rmtree(work, ignore_errors=True)
                work.mkdir()
                r = scan(folder, work)
                peaks.append(float(r["rss_mib"]))  # type: ignore[arg-type]
                print(f"{fmt:<8} {n:>9,} {mb:>8.1f} {r['units']!s:>6} {r['findings']!s:>10} {r['wall']:>7.1f} "
                      f"{r['rss_mib']:>13.0f}  {r['exit']}", flush=True)
            if len(sizes) == 2:
                slope = (peaks[1] - peaks[0]) / ((sizes[1] - sizes[0]) / 100_000)
                print(f"{fmt:<8} peak RSS grows {slope:+.0f} MiB per 100,000 rows "
                      f"(1 GiB reached near {int(sizes[1] + (1024 - peaks[1]) / slope * 100_000) if slope > 1 else 'never':>} rows)",
                      flush=True)
    finally:
        if args.keep is None:
            shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
