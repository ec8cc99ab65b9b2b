"""XLSX reader throughput: the openpyxl-based reader against the streaming one (reader alone, no detection).

Generates a fictional workbook once (``benchmarks/out/xlsx_reader_<rows>.xlsx``,
gitignored): one sheet ``Kunder`` with a header row and ``--rows`` rows of 8
columns (name, personnummer stored as a number, e-mail, phone, birth date, a
date-time, an amount, a customer number with the ``000000-0000`` format), every
string unique so the shared-string table is as large as it gets. Then runs each
reader ``--runs`` times, alternating, each run in a fresh child process, and
prints per run: records, CPU seconds (``time.process_time`` around the reading
alone), rows per CPU second, and the child's peak RSS (VmHWM).

    .venv/bin/python benchmarks/xlsx_reader.py [--rows 200000] [--runs 3] [--kind excel/openpyxl/both]
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import json
import os
import random
import re
import resource
import subprocess
import sys
import time
import zipfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
if sys.path[0] != str(ROOT):
    sys.path.insert(0, str(ROOT))

OUT = HERE / "out"
FIRST = ["Anna", "Bo", "Karin", "Lars", "Maja", "Nils", "Olle", "Sara", "Tove", "Ulf", "Vera", "Åsa", "Östen"]
LAST = ["Andersson", "Berg", "Ek", "Holm", "Lind", "Nyström", "Sjöberg", "Åkesson", "Öberg"]


def _luhn_digit(digits: str) -> str:
    total = 0
    for i, ch in enumerate(digits):
        d = int(ch) * (2 - i % 2)
        total += d - 9 if d > 9 else d
    return str((10 - total % 10) % 10)


def _personnummer(rng: random.Random) -> tuple[int, dt.date]:
    born = dt.date(1940, 1, 1) + dt.timedelta(days=rng.randrange(365 * 65))
    serial = f"{rng.randrange(1, 1000):03d}"
    ymd = born.strftime("%Y%m%d")
    return int(ymd + serial + _luhn_digit(ymd[2:] + serial)), born


def generate(path: Path, rows: int, *, excel_like: bool = True, seed: int = 4) -> None:
    import openpyxl
    from openpyxl.cell import WriteOnlyCell

    rng = random.Random(seed)
    wb = openpyxl.Workbook(write_only=True)
    ws = wb.create_sheet("Kunder")
    ws.append(["Namn", "Personnummer", "E-post", "Telefon", "Födelsedatum", "Registrerad", "Belopp", "Kundnr"])
    t0 = dt.datetime(2015, 1, 1, 8, 0)
    for i in range(1, rows + 1):
        pnr, born = _personnummer(rng)
        first, last = rng.choice(FIRST), rng.choice(LAST)
        kundnr = WriteOnlyCell(ws, value=rng.randrange(10**9))
        kundnr.number_format = "000000-0000"
        ws.append([
            f"{first} {last} {i}",
            pnr,
            f"{first.lower()}.{last.lower()}{i}@example.se".encode("ascii", "ignore").decode(),
            f"070-{rng.randrange(1000):03d} {rng.randrange(100):02d} {rng.randrange(100):02d}",
            born,
            t0 + dt.timedelta(minutes=rng.randrange(5_000_000)),
            round(rng.uniform(0, 100_000), 2),
            kundnr,
        ])
    buf = io.BytesIO()
    wb.save(buf)
    data = buf.getvalue()
    if excel_like:
        data = _as_excel_writes(data, rows + 1)
    tmp = path.with_suffix(".tmp")
    tmp.write_bytes(data)
    tmp.replace(path)


_INLINE = re.compile(rb'<c r="([A-Z]+[0-9]+)"((?: s="[0-9]+")?) t="inlineStr"><is><t((?: xml:space="preserve")?)>(.*?)</t></is></c>')


def _as_excel_writes(data: bytes, nrows: int) -> bytes:
    """openpyxl's workbook rewritten as Excel writes one: strings in a shared-string table, the sheet's
    dimension declared (openpyxl writes neither: its strings are inline, and a sheet without a dimension
    costs openpyxl's read-only mode a whole extra parse to look for one)."""
    zin = zipfile.ZipFile(io.BytesIO(data))
    index: dict[bytes, int] = {}
    table: list[bytes] = []

    def shared(m: re.Match[bytes]) -> bytes:
        key = m.group(3) + b">" + m.group(4)
        if key not in index:
            index[key] = len(table)
            table.append(b"<si><t" + key + b"</t></si>")
        return b'<c r="%s"%s t="s"><v>%d</v></c>' % (m.group(1), m.group(2), index[key])

    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            part = zin.read(info)
            if info.filename == "xl/worksheets/sheet1.xml":
                part = _INLINE.sub(shared, part)
                part = part.replace(b"<sheetViews>", b'<dimension ref="A1:H%d"/><sheetViews>' % nrows, 1)
            elif info.filename == "[Content_Types].xml":
                part = part.replace(b"</Types>", b'<Override PartName="/xl/sharedStrings.xml" ContentType='
                                    b'"application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>')
            elif info.filename == "xl/_rels/workbook.xml.rels":
                part = part.replace(b"</Relationships>", b'<Relationship Type="http://schemas.openxmlformats.org/'
                                    b'officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml" Id="rId9"/>'
                                    b"</Relationships>")
            zout.writestr(info.filename, part)
        sst = (b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<sst xmlns="http://schemas.openxmlformats.org/'
               b'spreadsheetml/2006/main" count="%d" uniqueCount="%d">' % (len(table), len(table)))
        zout.writestr("xl/sharedStrings.xml", sst + b"".join(table) + b"</sst>")
    return out.getvalue()


def _peak_kib() -> int:
    """This process's peak RSS: VmHWM (ru_maxrss would count the parent's peak: Linux keeps it across exec)."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def child(path: str, fast: bool) -> None:
    from connectors.base import Location
    from connectors.formats.core import Ctx, Limits
    from connectors.formats.office import xlsx_records
    from connectors.formats.streams import Source

    import openpyxl  # noqa: F401 - imported before the clock starts, as a scan imports it once per worker

    limits = Limits()
    ctx = Ctx(path, lambda c, i: Location("files", "b", c, i), limits)
    with open(path, "rb") as f:
        src = Source(f, max_spool=limits.max_expanded_bytes, seekable=True)
        t0, w0 = time.process_time(), time.perf_counter()
        n = cells = 0
        for rec in xlsx_records(ctx, src, fast=fast):
            n += 1
            cells += len(rec.fields)
        cpu, wall = time.process_time() - t0, time.perf_counter() - w0
    peak_kib = _peak_kib()
    print(json.dumps({"records": n, "fields": cells, "cpu": cpu, "wall": wall, "peak_kib": peak_kib,
                      "problems": ctx.problems.count}))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rows", type=int, default=200_000)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--kind", choices=["excel", "openpyxl", "both"], default="both",
                    help="the workbook as Excel writes it, as openpyxl writes it, or both (default)")
    ap.add_argument("--child", choices=["old", "new"])
    ap.add_argument("--generate", choices=["excel", "openpyxl"])
    ap.add_argument("--path")
    args = ap.parse_args()
    if args.child:
        child(args.path, args.child == "new")
        return
    if args.generate:
        generate(Path(args.path), args.rows, excel_like=args.generate == "excel")
        return
    OUT.mkdir(exist_ok=True)
    for kind in (["excel", "openpyxl"] if args.kind == "both" else [args.kind]):
        path = OUT / f"xlsx_reader_{args.rows}{'' if kind == 'excel' else '_openpyxl'}.xlsx"
        if not path.exists():  # in a child: openpyxl writing it needs far more memory than reading it
            t0 = time.perf_counter()
            subprocess.run([sys.executable, __file__, "--generate", kind, "--rows", str(args.rows), "--path", str(path)],
                           check=True)
            print(f"generated {path.name} in {time.perf_counter() - t0:.0f} s")
        print(f"\n{path.name}: {path.stat().st_size / 1e6:.1f} MB, {args.rows} rows x 8 columns, "
              + ("shared strings and a dimension, as Excel writes" if kind == "excel"
                 else "inline strings and no dimension, as openpyxl (pandas) writes"))
        compare(path, args.rows, args.runs)


def compare(path: Path, rows: int, runs: int) -> None:
    a, b, c = os.getloadavg()
    print(f"load average {a:.2f} {b:.2f} {c:.2f} on {os.cpu_count()} cores, Python {sys.version.split()[0]}")
    results: dict[str, list[dict[str, float]]] = {"old": [], "new": []}
    for run in range(runs):
        for which in (("old", "new") if run % 2 == 0 else ("new", "old")):
            out = subprocess.run([sys.executable, __file__, "--child", which, "--path", str(path)],
                                 check=True, capture_output=True, text=True).stdout
            r = json.loads(out.strip().splitlines()[-1])
            results[which].append(r)
            print(f"  run {run + 1} {which}: {r['records']} records, {r['cpu']:.2f} s CPU ({r['wall']:.2f} s wall), "
                  f"{rows / r['cpu']:,.0f} rows/s, peak RSS {r['peak_kib'] / 1024:.0f} MiB, problems {r['problems']}")
    for which in ("old", "new"):
        best = min(x["cpu"] for x in results[which])
        peak = max(x["peak_kib"] for x in results[which])
        print(f"{which}: best {best:.2f} s CPU = {rows / best:,.0f} rows/s; peak RSS {peak / 1024:.0f} MiB")
    old, new = min(x["cpu"] for x in results["old"]), min(x["cpu"] for x in results["new"])
    print(f"speed-up (best CPU old / best CPU new): {old / new:.1f}x")
    same = {(x["records"], x["fields"]) for x in results["old"] + results["new"]}
    print("same record and field counts in every run" if len(same) == 1 else f"COUNTS DIFFER: {same}")


if __name__ == "__main__":
    main()
