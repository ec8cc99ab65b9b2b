"""Equality check for detector speed work: every finding on the benchmark corpora, serialised.

A change meant only to make the detectors faster must leave every finding as it
was. This script runs ``Scanner(None).find`` over every chunk of the three
corpora that ``benchmarks/detectors.py`` writes (mail, csv, logs) and
``Scanner(None).find_many`` over batches of lines and of CSV columns, with the
columns' own header names as hints and a few fixed hints (the scanner's
per-value fast paths and the general path, hinted and not), then serialises
every field of every Match (confidence rounded to 9 places).

    .venv/bin/python benchmarks/detectors_equal.py --save   # write the baseline
    .venv/bin/python benchmarks/detectors_equal.py          # compare with it

The baseline (full text and its SHA-256) lives in /tmp by default
(``--baseline PATH``): it holds the generated, fictional values of the corpora
and is not meant to be committed. A difference prints the first few differing
lines and exits 1. If a corpus is missing, run ``benchmarks/detectors.py --mb 10``
(or ``--mb 6`` and pass ``--size 2MB``).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import time
from collections.abc import Iterator
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from detectors.base import Match  # noqa: E402
from detectors.scan import Scanner  # noqa: E402

OUT = Path(__file__).resolve().parent / "out"
CORPORA = ("mail", "csv", "logs")
# hints for batches of lines and columns: the per-value fast paths (personnummer,
# email, telefon), a general-path hint (kontonummer), a hint naming no kind (notes)
# and none
HINTS: tuple[str | None, ...] = ("personnummer", "email", "telefon", "kontonummer", "notes", None)
BATCH = 200


def _ser(m: Match) -> str:
    return json.dumps(
        [m.kind, m.subkind, m.start, m.end, m.value, round(m.confidence, 9), list(m.why), m.test_data, m.personal, m.inside],
        ensure_ascii=False,
    )


def _load(name: str, size: str) -> tuple[str, list[int]]:
    txt = (OUT / f"{name}-v4-s1-{size}.txt").read_text(encoding="utf-8")
    bounds = json.loads((OUT / f"{name}-v4-s1-{size}.chunks.json").read_text())
    return txt, bounds


def lines_of_findings(size: str) -> Iterator[str]:
    sc = Scanner(None)
    for name in CORPORA:
        txt, b = _load(name, size)
        t0 = time.process_time()
        for i in range(len(b) - 1):
            for m in sc.find(txt[b[i] : b[i + 1]]):
                yield f"{name}\tfind\t{i}\t{_ser(m)}"
        print(f"{name}: find over {len(b) - 1} chunks {time.process_time() - t0:.2f} s CPU", file=sys.stderr)
        t0 = time.process_time()
        lines = txt.split("\n")
        # whole lines, in batches, with each hint
        for hint in HINTS:
            for k in range(0, len(lines), BATCH):
                for j, ms in enumerate(sc.find_many(lines[k : k + BATCH], hint)):
                    for m in ms:
                        yield f"{name}\tlines\t{hint}\t{k + j}\t{_ser(m)}"
        if name == "csv":
            # columns of each table, hinted by their header and by each fixed hint
            tables: list[tuple[list[str], list[list[str]]]] = []
            for line in lines:
                cells = line.split(";")
                if cells and cells[0] and not any(c.isdigit() for c in line) and len(cells) > 3:
                    tables.append((cells, []))
                elif tables:
                    tables[-1][1].append(cells)
            for ti, (header, rows) in enumerate(tables):
                for ci, col in enumerate(header):
                    values = [r[ci] if ci < len(r) else "" for r in rows]
                    for hint in (col, *HINTS):
                        for k in range(0, len(values), BATCH):
                            for j, ms in enumerate(sc.find_many(values[k : k + BATCH], hint)):
                                for m in ms:
                                    yield f"{name}\tcol\t{ti}\t{col}\t{hint}\t{k + j}\t{_ser(m)}"
        print(f"{name}: find_many batches {time.process_time() - t0:.2f} s CPU", file=sys.stderr)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--save", action="store_true", help="write the baseline instead of comparing")
    ap.add_argument("--baseline", default="/tmp/detectors_equal.baseline.txt")
    ap.add_argument(
        "--size",
        default="3.333MB",
        help="corpus size in the file names: 3.333MB (detectors.py --mb 10) or 2MB (--mb 6)",
    )
    args = ap.parse_args()
    base = Path(args.baseline)
    got = list(lines_of_findings(args.size))
    text = "\n".join(got) + "\n"
    digest = hashlib.sha256(text.encode()).hexdigest()
    print(f"{len(got)} findings, sha256 {digest}")
    if args.save:
        base.write_text(text, encoding="utf-8")
        Path(str(base) + ".sha256").write_text(digest + "\n")
        return 0
    want = base.read_text(encoding="utf-8")
    if want == text:
        print("EQUAL to the baseline")
        return 0
    old = want.splitlines()
    print(f"DIFFERENT: baseline {len(old)} findings, now {len(got)}")
    shown = 0
    for a, b in zip(old, got):
        if a != b:
            print("-", a[:300])
            print("+", b[:300])
            shown += 1
            if shown >= 10:
                break
    if shown == 0:
        print("(one is a prefix of the other)")
    return 1


if __name__ == "__main__":
    sys.exit(main())
