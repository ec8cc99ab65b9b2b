"""What column profiling (pii_scan/profiling.py) costs the worker, per batch, in CPU time.

The worker detects a unit's records 256 at a time, field by field
(``Scanner.find_many``). Profiling adds one call per batch
(``ColumnProfiles.hints``) that weighs the values of the fields whose names
hint at no kind. This script builds batches of a headerless CSV's rows
(``column 1`` ... ``column 6``: a name, a personnummer, a mobile number without
its zero, an e-mail address, an amount, a note) and of the same rows under a
named header, and prints per batch the CPU time of

* the profiler's call (over a new unit's first batches, before a column's
  tally is settled, and over later ones),
* ``find_many`` over all the fields with the column names as hints (today)
  and with the profiled hints (the hinted columns may take a detector's fast
  path),

alternating the runs, min of ``--repeat``.

    .venv/bin/python benchmarks/column_profiling.py --batches 40 --repeat 5
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from detectors import Scanner  # noqa: E402
from detectors.checksums import luhn_check_digit  # noqa: E402
from pii_scan.profiling import ColumnProfiles  # noqa: E402

REF = date(2026, 11, 24)
BATCH = 256
HEADER = ["Namn", "Personnummer", "Mobil", "E-post", "Belopp", "Kommentar"]


def _row(rnd: random.Random, k: int) -> list[str]:
    born = date(rnd.randint(1940, 2008), rnd.randint(1, 12), rnd.randint(1, 28))
    body = born.strftime("%y%m%d") + f"{rnd.randint(1, 999):03d}"
    pnr = str(int(body + luhn_check_digit(body)))  # stored as a number: 05.. lost its zero
    mobile = f"7{rnd.choice('02369')}{rnd.randint(0, 9_999_999):07d}"
    note = rnd.choice(["Ny kund", "Ring efter lunch", "Faktura skickad 2024-05-01", "", "Vill ha nyhetsbrev"])
    return [f"Person {k}", pnr, mobile, f"person{k}@example.se", f"{rnd.randint(1, 9999)}.{rnd.randint(0, 99):02d}", note]


def _batches(n: int, names: list[str]) -> list[dict[str, tuple[list[int], list[str]]]]:
    rnd = random.Random(7)
    out = []
    for b in range(n):
        rows = [_row(rnd, b * BATCH + i) for i in range(BATCH)]
        by_field: dict[str, tuple[list[int], list[str]]] = {}
        for i, row in enumerate(rows):
            for name, value in zip(names, row):
                if value:
                    idxs, texts = by_field.setdefault(name, ([], []))
                    idxs.append(i)
                    texts.append(value)
        out.append(by_field)
    return out


def _detect(scanner: Scanner, batches: list, hints_per_batch: list[dict[str, str]]) -> float:
    refs = [REF] * BATCH
    t0 = time.process_time()
    for by_field, hints in zip(batches, hints_per_batch):
        for name, (idxs, texts) in by_field.items():
            scanner.find_many(texts, hints[name], [refs[i] for i in idxs])
    return time.process_time() - t0


def _profile(batches: list) -> tuple[float, list[dict[str, str]]]:
    refs = [REF] * BATCH
    profiles = ColumnProfiles()
    got = []
    t0 = time.process_time()
    for by_field in batches:
        got.append(profiles.hints(by_field, {}, refs))
    return time.process_time() - t0, got


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--batches", type=int, default=40)
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    scanner = Scanner()
    headerless = _batches(args.batches, [f"column {i + 1}" for i in range(len(HEADER))])
    named = _batches(args.batches, HEADER)
    plain = [{name: name for name in b} for b in headerless]
    best: dict[str, float] = {}
    profiled: list[dict[str, str]] = []
    for _ in range(args.repeat):
        for label, run in (
            ("profile headerless", lambda: _profile(headerless)[0]),
            ("profile named", lambda: _profile(named)[0]),
            ("find_many headerless, names as hints", lambda: _detect(scanner, headerless, plain)),
            ("find_many headerless, profiled hints", lambda: _detect(scanner, headerless, profiled or _profile(headerless)[1])),
            ("find_many named header", lambda: _detect(scanner, named, [{n: n for n in b} for b in named])),
        ):
            if not profiled:
                profiled = _profile(headerless)[1]
            t = run()
            best[label] = min(best.get(label, t), t)
    n = args.batches
    print(f"{n} batches of {BATCH} rows x {len(HEADER)} columns, CPU time per batch, min of {args.repeat}")
    for label, t in best.items():
        print(f"  {label:40s} {1000 * t / n:8.2f} ms")
    print("  hints of the last batch:", {k: v for k, v in profiled[-1].items() if v != k})


if __name__ == "__main__":
    main()
