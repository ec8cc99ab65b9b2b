"""How much would compiling today's detectors buy? The same code, interpreted and compiled with Cython.

The detectors are plain Python. Before anyone writes a second, compiled
implementation of their rules, this measures the cheap alternative: the very
same source files compiled to C extension modules by Cython (no type
declarations added, ``annotation_typing=False``, ``infer_types=False``, so the
semantics stay Python's). The script

1. copies ``detectors/`` into a temporary folder and compiles every module
   there with ``cythonize -i`` (the checkout is never touched: a stale ``.so``
   beside a ``.py`` would shadow later edits);
2. runs ``Scanner(None).find`` over every block of the benchmark corpora
   (``benchmarks/detectors.py`` writes them; ``--mb`` must match) in two child
   processes, one importing the source tree and one the compiled copy, each
   pinned to the same CPU when the platform allows it;
3. prints CPU-time MB/s of both per corpus, the ratio, and whether the two
   gave byte-identical findings (every field of every match).

    .venv/bin/pip install cython
    .venv/bin/python benchmarks/detectors.py --mb 10 --alone-mb 0 --no-presidio   # the corpora, once
    .venv/bin/python benchmarks/compiled_detectors.py --mb 10 --repeat 3

Needs gcc and the Python headers (both on this machine). Nothing here is used
by pii-scan itself.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
OUT = HERE / "out"
CORPORA = ("mail", "csv", "logs")

# run in a child process with sys.path[0] = the tree to import detectors from
_CHILD = r"""
import hashlib, json, os, sys, time
tree, corpus_txt, chunks_json, repeat = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
sys.path.insert(0, tree)
import detectors.scan as scan_mod
from detectors.scan import Scanner
assert os.path.dirname(scan_mod.__file__).startswith(tree), scan_mod.__file__
txt = open(corpus_txt, encoding="utf-8").read()
b = json.load(open(chunks_json))
blocks = [txt[b[i]:b[i + 1]] for i in range(len(b) - 1)]
sc = Scanner(None)
best = None
digest = hashlib.sha256()
count = 0
for r in range(repeat):
    t = time.process_time()
    out = [sc.find(x) for x in blocks]
    dt = time.process_time() - t
    best = dt if best is None else min(best, dt)
    if r == 0:
        for ms in out:
            for m in ms:
                count += 1
                digest.update(json.dumps([m.kind, m.subkind, m.start, m.end, m.value, round(m.confidence, 9),
                                          list(m.why), m.test_data, m.personal, m.inside],
                                         ensure_ascii=False).encode())
print(json.dumps({"cpu": best, "bytes": len(txt.encode()), "findings": count, "sha": digest.hexdigest(),
                  "compiled": scan_mod.__file__.endswith(".so")}))
"""


def _corpus(name: str, mb: float) -> tuple[Path, Path]:
    size = f"{mb / 3:.3f}MB"
    txt = OUT / f"{name}-v4-s1-{size}.txt"
    chunks = OUT / f"{name}-v4-s1-{size}.chunks.json"
    if not txt.exists() or not chunks.exists():
        sys.exit(f"missing corpus {txt.name}: run benchmarks/detectors.py --mb {mb:g} --alone-mb 0 --no-presidio first")
    return txt, chunks


def _compile(dst: Path) -> float:
    shutil.copytree(ROOT / "detectors", dst / "detectors", ignore=shutil.ignore_patterns("__pycache__", "*.so"))
    cythonize = Path(sys.executable).with_name("cythonize")
    if not cythonize.exists():
        sys.exit("Cython is not installed: .venv/bin/pip install cython")
    t = time.perf_counter()
    subprocess.run(
        [str(cythonize), "-3", "-i", "-q", "-j", str(os.cpu_count() or 1),
         "-X", "annotation_typing=False", "-X", "infer_types=False",
         *sorted(str(p) for p in (dst / "detectors").glob("*.py"))],
        check=True, cwd=dst, stdout=subprocess.DEVNULL,
    )
    return time.perf_counter() - t


def _run(tree: Path, txt: Path, chunks: Path, repeat: int, cpu: int | None) -> dict[str, object]:
    cmd = [sys.executable, "-c", _CHILD, str(tree), str(txt), str(chunks), str(repeat)]
    if cpu is not None and shutil.which("taskset"):
        cmd = ["taskset", "-c", str(cpu), *cmd]
    res = subprocess.run(cmd, check=True, capture_output=True, text=True, cwd=tree)
    return dict(json.loads(res.stdout.strip().splitlines()[-1]))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--mb", type=float, default=10.0, help="corpus size as given to benchmarks/detectors.py --mb (default 10)")
    ap.add_argument("--repeat", type=int, default=3, help="best of N runs per tree (default 3)")
    ap.add_argument("--cpu", type=int, default=None, help="pin both child processes to this CPU (taskset)")
    ap.add_argument("--corpora", default=",".join(CORPORA))
    args = ap.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="pii-compiled-") as tmp:
        built = Path(tmp)
        secs = _compile(built)
        n_so = len(list((built / "detectors").glob("*.so")))
        print(f"compiled {n_so} modules of detectors/ with Cython in {secs:.0f} s (annotation_typing=False, infer_types=False)")
        print(f"{'corpus':8} {'MB':>6} {'source MB/s':>12} {'compiled MB/s':>14} {'ratio':>6}  findings  identical")
        for name in args.corpora.split(","):
            txt, chunks = _corpus(name, args.mb)
            src = _run(ROOT, txt, chunks, args.repeat, args.cpu)
            cmp_ = _run(built, txt, chunks, args.repeat, args.cpu)
            assert not src["compiled"] and cmp_["compiled"], "a child imported the wrong tree"
            mb = float(src["bytes"]) / 1e6  # type: ignore[arg-type]
            a = mb / float(src["cpu"])  # type: ignore[arg-type]
            b = mb / float(cmp_["cpu"])  # type: ignore[arg-type]
            same = src["sha"] == cmp_["sha"] and src["findings"] == cmp_["findings"]
            print(f"{name:8} {mb:6.1f} {a:12.2f} {b:14.2f} {b / a:5.2f}x  {src['findings']:>8,}  {'yes' if same else 'NO'}")
    print(f"(cpu time, best of {args.repeat})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
