"""Recall and precision of a whole scan on a fictional estate with a known answer.

Builds an estate with :func:`pii_scan.estate.build_estate` (a SQLite CRM and a
file share with planted identifiers and planted traps), runs a full scan of
it through the engine into a fresh data map, and scores the map against the
estate's ground truth:

* recall and precision per store and kind: a planted value counts as found
  when the map has a finding of its kind with HMAC(canonical value) at its
  exact location (store, source, container, item, field); a finding is a
  true positive when it matches a planted value (a company's own switchboard
  and customer-service numbers are planted too, as shared values);
* decoys reported: timestamps, order numbers that are valid Stockholm numbers,
  Luhn-valid order numbers and amounts shaped like personnummer, opening
  hours, EAN-13 codes, organisation and VAT numbers, masked numbers, UUIDs
  and a dump named by date and time that a detector reported anyway;
* test-data flags: Skatteverket test numbers, PTS fiction numbers, test cards
  and example.com addresses must be flagged, nothing else;
* lookups: for N subjects, whether ``lookup`` returns every expected
  location (direct, linked, related), and whether it returns locations of
  other subjects (a next of kin's phone, a clerk's e-mail and a family's
  shared address are other people's) or rows related only to other subjects;
  subjects merged or split by the linking.

Usage::

    .venv/bin/python benchmarks/estate_recall.py                      # 200 customers, sync
    .venv/bin/python benchmarks/estate_recall.py --customers 2000 --scheduler local
    .venv/bin/python benchmarks/estate_recall.py --json               # machine-readable figures

Everything it prints is masked; the estate's ``ground_truth.json`` holds the
planted (fictional) values in plaintext.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))  # run from a checkout without installing

from pii_scan.config import load  # noqa: E402
from pii_scan.engine import scan  # noqa: E402
from pii_scan.estate import build_estate, evaluate, format_evaluation  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--customers", type=int, default=200)
    ap.add_argument("--employees", type=int, default=20)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--dir", type=Path, help="build the estate here (default: a temporary folder, removed after)")
    ap.add_argument("--scheduler", default="sync", help="'sync' (default), 'local' (a local Dask cluster) or tcp://host:port")
    ap.add_argument("--workers", type=int)
    ap.add_argument("--lookups", type=int, default=50, help="subjects to look up (0: all)")
    ap.add_argument("--examples", type=int, default=10, help="misses / false positives to list")
    ap.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = ap.parse_args(argv)

    tmp = None
    if args.dir is None:
        tmp = tempfile.TemporaryDirectory(prefix="pii-scan-estate-")
        root = Path(tmp.name)
    else:
        root = args.dir
        for name in ("datamap.sqlite", "datamap.sqlite-wal", "datamap.sqlite-shm"):
            (root / name).unlink(missing_ok=True)
    os.environ.setdefault("PII_SCAN_KEY", "estate-benchmark-key-" + "0" * 16)  # a throwaway key for fictional data
    try:
        t0 = time.perf_counter()
        gt = build_estate(root, seed=args.seed, customers=args.customers, employees=args.employees)
        t_build = time.perf_counter() - t0
        cfg = load(root / "pii-scan.toml")
        t0 = time.perf_counter()
        summary = scan(cfg, scheduler=None if args.scheduler == "local" else args.scheduler, workers=args.workers,
                       full=True, progress=not args.json)
        t_scan = time.perf_counter() - t0
        t0 = time.perf_counter()
        ev = evaluate(gt, cfg, lookups=None if args.lookups == 0 else args.lookups)
        t_eval = time.perf_counter() - t0
        if args.json:
            out = {"customers": args.customers, "seed": args.seed, "scheduler": args.scheduler,
                   "build_seconds": round(t_build, 2), "scan_seconds": round(t_scan, 2),
                   "evaluate_seconds": round(t_eval, 2), "scan": {k: v for k, v in summary.as_dict().items() if k != "failures"},
                   **ev.as_dict()}
            print(json.dumps(out, indent=1))
        else:
            print(f"estate: {args.customers} customers, {args.employees} employees, seed {args.seed}: "
                  f"{len(gt.planted)} planted values, {len(gt.decoys)} decoys, {len(gt.subjects)} subjects "
                  f"(built in {t_build:.1f}s)")
            print(f"scan ({args.scheduler}): {summary.status}, {summary.units_total} units, {summary.records} records, "
                  f"{summary.findings} findings, {summary.subjects} subjects in {t_scan:.1f}s")
            print()
            print(format_evaluation(ev, examples=args.examples))
        ok = (not ev.failed_units and not ev.decoys_found and all(s.recall >= 0.95 for s in ev.by_kind.values())
              and ev.lookups_complete == len(ev.lookups) and not ev.merged)
        return 0 if ok else 1
    finally:
        if tmp is not None:
            tmp.cleanup()


if __name__ == "__main__":
    sys.exit(main())
