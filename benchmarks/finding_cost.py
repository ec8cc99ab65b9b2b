"""Where the detectors' time goes: the cost of a finding, and what rejecting candidates could buy at most.

Issue 3 asks for 30 MB/s on free text. This script measures the three
figures that decide whether tuning the Python detectors can get there:

1. **Text with no identifier**: MB/s of ``Scanner().find`` over blocks of
   Swedish prose without a digit run or an ``@`` (the fixed cost per block
   and per byte: normalising, the prefilter pass, the giro-keyword look-up).
2. **One isolated identifier per line**: the same prose with one identifier of
   one kind per line (personnummer, phone number, e-mail address, IBAN,
   card, clearing + account), as CPU microseconds per finding over the prose-only
   cost: fictional and valid, in the written forms of the corpus generator of
   ``benchmarks/detectors.py`` (its ``Gen``).
3. **An oracle that skips every fruitless detector call** on the benchmark
   corpus of ``benchmarks/detectors.py`` (``--mb`` must match a generated
   corpus): a first pass records every (block, window, detector) that yielded
   nothing; a second pass returns at once for exactly those. No real
   prefilter can reject more than that, so the gain printed is the upper
   bound of every cheaper-rejection idea (the window-shape gate of
   ``Scanner._plan`` is one).

It prints the per-finding budget that 30 MB/s leaves at the corpus's density
of identifiers (bytes per finding / 30 MB/s) beside the measured cost.

    .venv/bin/python benchmarks/detectors.py --mb 12 --alone-mb 0 --no-presidio   # the corpora, once
    .venv/bin/python benchmarks/finding_cost.py --mb 12

CPU time (``time.process_time``), best of ``--repeat`` runs, one process.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
if sys.path[0] != str(ROOT):
    sys.path.insert(0, str(ROOT))  # before benchmarks/, whose detectors.py would shadow the package

from detectors.scan import Scanner  # noqa: E402

OUT = HERE / "out"
PROSE = (
    "Hej, tack för ditt mejl om beställningen. Vi återkommer så snart vi kan med besked om leveransen. ",
    "Som vi sa i telefon gäller erbjudandet till och med fredag, och fakturan skickas efter leverans. ",
    "Hör gärna av dig om något är oklart, vi hjälper till så gott vi kan. Med vänliga hälsningar. ",
)


def _generator() -> Any:
    """The planting generator of ``benchmarks/detectors.py`` (its written forms, its checksums)."""
    spec = importlib.util.spec_from_file_location("_bench_detectors", HERE / "detectors.py")
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = mod  # its dataclasses look their module up
    spec.loader.exec_module(mod)
    return mod.Gen(11)


def _kinds() -> dict[str, Callable[[], str]]:
    g = _generator()
    return {
        "personnummer": lambda: g.pnr().written,
        "phone": lambda: g.phone().written,
        "email": lambda: g.email().written,
        "iban": lambda: g.iban().written,
        "card": lambda: g.card().written,
        "account": lambda: f"kontonummer {g.account().written}",
    }


def _cpu(fn: Callable[[], object], repeat: int) -> tuple[float, object]:
    best, out = float("inf"), None
    for _ in range(repeat):
        t = time.process_time()
        out = fn()
        best = min(best, time.process_time() - t)
    return best, out


def _blocks(gen: Callable[[], str] | None, n_blocks: int, lines: int) -> list[str]:
    out = []
    for _ in range(n_blocks):
        rows = []
        for k in range(lines):
            p = PROSE[k % len(PROSE)]
            rows.append(p + (f"Uppgift: {gen()} noterad." if gen else "Uppgift: se ovan, noterad.") + "\n")
        out.append("".join(rows))
    return out


def isolated(repeat: int, n_blocks: int, lines: int) -> None:
    scanner = Scanner()
    base = _blocks(None, n_blocks, lines)
    scanner.find(base[0])
    t0, found = _cpu(lambda: sum(len(scanner.find(b)) for b in base), repeat)
    mb = sum(map(len, base)) / 1e6
    n_lines = n_blocks * lines
    print(f"prose, no identifier: {mb:.2f} MB in {n_blocks} blocks of {lines} lines: {mb / t0:6.1f} MB/s CPU, "
          f"{t0 * 1e6 / n_lines:5.1f} µs per line, findings {found}")
    print("one identifier per line (µs per finding = µs per line minus the prose-only line):")
    for name, gen in _kinds().items():
        blocks = _blocks(gen, n_blocks, lines)
        scanner.find(blocks[0])
        t, found = _cpu(lambda b=blocks: sum(len(scanner.find(x)) for x in b), repeat)
        mb = sum(map(len, blocks)) / 1e6
        per = (t - t0) * 1e6 / max(1, n_lines)
        print(f"  {name:<13} {mb / t:6.2f} MB/s CPU   {per:6.1f} µs per finding   findings {found:,} "
              f"of {n_lines:,} lines")


def _corpus(name: str, mb_each: float, seed: int) -> list[str]:
    stem = OUT / f"{name}-v4-s{seed}-{mb_each:g}MB"
    txt = Path(f"{stem}.txt").read_text("utf-8")
    cuts = json.loads(Path(f"{stem}.chunks.json").read_text("utf-8"))
    return [txt[a:b] for a, b in zip(cuts, cuts[1:] + [len(txt)])]


def oracle(names: Sequence[str], mb_each: float, seed: int, repeat: int) -> None:
    print("oracle: every detector call that yielded nothing on the first pass returns at once on the second")
    for name in names:
        try:
            blocks = _corpus(name, mb_each, seed)
        except FileNotFoundError:
            print(f"  {name}: no corpus of {mb_each:g} MB (run benchmarks/detectors.py --mb {3 * mb_each:g} first)")
            continue
        scanner = Scanner()
        original = scanner._fns_of
        empty: set[tuple[int, int, int, int]] = set()
        current = [0]
        calls = [0, 0]

        def record(fn: Callable, k: int) -> Callable:
            def call(w, ctx):  # noqa: ANN001, ANN202
                out = list(fn(w, ctx))
                calls[0] += 1
                if not out:
                    calls[1] += 1
                    empty.add((current[0], w.start, w.end, k))
                return out
            return call

        def skip(fn: Callable, k: int) -> Callable:
            def call(w, ctx):  # noqa: ANN001, ANN202
                if (current[0], w.start, w.end, k) in empty:
                    return ()
                return fn(w, ctx)
            return call

        def passthrough(fn: Callable, k: int) -> Callable:  # the same wrapper cost, nothing skipped
            def call(w, ctx):  # noqa: ANN001, ANN202
                if (current[0], w.start, w.end, -1) in empty:
                    return ()
                return fn(w, ctx)
            return call

        def wrap(how: Callable[[Callable, int], Callable]) -> tuple:
            ids = {id(f): k for k, f in enumerate(dict.fromkeys(f for fs in original for f in fs))}
            return tuple(tuple(how(f, ids[id(f)]) for f in fs) for fs in original)

        def run() -> int:
            n = 0
            for i, b in enumerate(blocks):
                current[0] = i
                n += len(scanner.find(b))
            return n

        scanner._fns_of = wrap(record)
        n_found = run()
        scanner._fns_of = wrap(passthrough)
        t_base, n_base = _cpu(run, repeat)
        scanner._fns_of = wrap(skip)
        t_skip, n_skip = _cpu(run, repeat)
        assert n_base == n_skip == n_found, (n_base, n_skip, n_found)
        mb = sum(map(len, blocks)) / 1e6
        per = t_base * 1e6 / max(1, n_found)
        budget = (mb * 1e6 / max(1, n_found)) / 30e6 * 1e6
        print(f"  {name:<5} {mb:.1f} MB, {n_found:,} findings (one per {mb * 1e6 / max(1, n_found):,.0f} bytes); "
              f"window calls {calls[0]:,}, of them fruitless {calls[1]:,}")
        print(f"        CPU {t_base:.3f} s -> {t_skip:.3f} s with the oracle: x{t_base / t_skip:.3f} at most; "
              f"{mb / t_base:.2f} -> {mb / t_skip:.2f} MB/s")
        print(f"        all-in cost {per:.1f} µs per finding; 30 MB/s at this density leaves {budget:.1f} µs per finding")


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--mb", type=float, default=12, help="total corpus size of benchmarks/detectors.py (default 12)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--blocks", type=int, default=300, help="blocks of the isolated-identifier texts")
    ap.add_argument("--lines", type=int, default=10, help="lines per block")
    ap.add_argument("--corpora", default="mail,csv,logs")
    args = ap.parse_args(argv)
    import os

    print(f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores; CPU time, best of {args.repeat}")
    isolated(args.repeat, args.blocks, args.lines)
    oracle([c for c in args.corpora.split(",") if c], args.mb / 3, args.seed, args.repeat)
    return 0


if __name__ == "__main__":
    sys.exit(main())
