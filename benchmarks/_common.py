"""Shared helpers of the scan benchmarks: configs, timing, memory sampling, verdicts.

Memory: :class:`RssSampler` samples the resident set size of this process (the
driver) and of every descendant process (the Dask nannies and workers of a
local cluster) every ``interval`` seconds with psutil, and keeps the peaks.
``resource.getrusage`` gives the driver's own peak (``RUSAGE_SELF``) and the
peak of the largest *terminated* child (``RUSAGE_CHILDREN``) as a cross-check
once the cluster is closed.
"""

from __future__ import annotations

import os
import resource
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
if sys.path[0] != str(ROOT):
    # run from a checkout without installing; ROOT first, before benchmarks/ whose
    # detectors.py would otherwise shadow the detectors package
    sys.path.insert(0, str(ROOT))

OUT = HERE / "out"  # gitignored
MB = 1_000_000
MiB = 1 << 20


def load_line() -> str:
    """The load average: this machine may be shared, and a busy one slows every figure here."""
    a, b, c = os.getloadavg()
    return f"load average {a:.2f} {b:.2f} {c:.2f} on {os.cpu_count()} cores"


def verdict(ok: bool) -> str:
    return "PASS" if ok else "MISS"


def target_line(what: str, value: float, target: float, unit: str, *, higher_is_better: bool = True, fmt: str = ",.0f") -> str:
    ok = value >= target if higher_is_better else value <= target
    rel = ">=" if higher_is_better else "<="
    return f"{verdict(ok)}  {what}: {value:{fmt}} {unit} (target {rel} {target:{fmt}} {unit})"


def human_bytes(n: float) -> str:
    for unit in ("B", "KiB", "MiB", "GiB"):
        if abs(n) < 1024 or unit == "GiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} GiB"


def machine_line() -> str:
    import platform

    try:
        import psutil

        mem = f", {psutil.virtual_memory().total / (1 << 30):.0f} GiB RAM"
    except ImportError:
        mem = ""
    return f"machine: {os.cpu_count()} cores{mem}, Python {platform.python_version()}, {platform.system()} {platform.release()}"


# --------------------------------------------------------------------------- configs


def make_config(base: Path, sources: list[dict[str, Any]], *, datamap: str = "datamap.sqlite", **scan: Any) -> Any:
    """A :class:`pii_scan.config.Config` with a data map and key file under ``base``."""
    from pii_scan.config import from_dict

    base.mkdir(parents=True, exist_ok=True)
    data: dict[str, Any] = {
        "datamap": {"url": f"sqlite:///{datamap}", "key_file": "pii-scan.key"},
        "sources": sources,
    }
    if scan:
        data["scan"] = scan
    return from_dict(data, base=base)


def fresh_datamap(cfg: Any) -> None:
    """Remove the SQLite data map of ``cfg`` (and its WAL files) so the next scan is a full one."""
    url: str = cfg.datamap_url
    if not url.startswith("sqlite:///"):
        raise ValueError("only SQLite data maps are reset by the benchmarks")
    p = Path(url[len("sqlite:///"):])
    for suffix in ("", "-wal", "-shm", "-journal"):
        q = Path(str(p) + suffix)
        if q.exists():
            q.unlink()


# --------------------------------------------------------------------------- memory


@dataclass
class RssPeaks:
    driver: int = 0  # bytes
    child_max: int = 0  # the largest single descendant process
    children_sum: int = 0  # the largest sum over all descendants at one moment
    total: int = 0  # driver + descendants at one moment
    samples: int = 0
    per_child: dict[int, int] = field(default_factory=dict)

    def lines(self) -> list[str]:
        return [
            f"peak RSS driver: {human_bytes(self.driver)}",
            f"peak RSS largest worker/child process: {human_bytes(self.child_max)} ({len(self.per_child)} child processes seen)",
            f"peak RSS all children together: {human_bytes(self.children_sum)}; driver + children: {human_bytes(self.total)}",
        ]


class RssSampler:
    """Samples RSS of a process (default: this one) and its descendants in a background thread.

    ``root``: the pid to treat as the driver (a child process running the scan).
    ``limit`` (bytes, only with ``root``): when the root and its descendants
    together pass it, ``tripped`` is set and the whole tree is killed (SIGKILL,
    by pid: descendants first, then the root), so a run that would exhaust a
    shared machine's memory stops early.
    """

    def __init__(self, interval: float = 0.1, root: int | None = None, limit: int | None = None,
                 exclude: Iterable[int] = ()) -> None:
        if limit and root is None:
            raise ValueError("a memory limit needs a root process to kill")
        self.interval = interval
        self.root = root
        self.limit = limit
        self.tripped = False
        self.exclude = set(exclude)  # pids not counted (a server the benchmark started, e.g. moto)
        self.names: dict[int, str] = {}  # pid -> its command line, first seen
        self.peaks = RssPeaks()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def _sample(self) -> None:
        import psutil

        try:
            me = psutil.Process(self.root) if self.root else psutil.Process()
        except psutil.Error:
            return
        procs: dict[int, Any] = {}
        while not self._stop.is_set():
            try:
                drv = me.memory_info().rss
            except psutil.Error:
                drv = 0
            csum = 0
            try:
                kids = me.children(recursive=True)
            except psutil.Error:
                kids = []
            for k in kids:
                if k.pid in self.exclude:
                    continue
                if k.pid not in procs:
                    try:
                        self.names[k.pid] = " ".join(k.cmdline())[:200]
                    except psutil.Error:
                        self.names[k.pid] = "?"
                p = procs.setdefault(k.pid, k)
                try:
                    rss = p.memory_info().rss
                except psutil.Error:
                    continue
                csum += rss
                pk = self.peaks.per_child
                if rss > pk.get(k.pid, 0):
                    pk[k.pid] = rss
            pk_ = self.peaks
            pk_.driver = max(pk_.driver, drv)
            pk_.children_sum = max(pk_.children_sum, csum)
            pk_.total = max(pk_.total, drv + csum)
            pk_.child_max = max(pk_.per_child.values(), default=0)
            pk_.samples += 1
            if self.limit and drv + csum > self.limit and not self.tripped:
                self.tripped = True
                for victim in [*kids, me]:
                    try:
                        victim.kill()
                    except psutil.Error:
                        pass
            self._stop.wait(self.interval)

    def __enter__(self) -> RssSampler:
        self._thread = threading.Thread(target=self._sample, name="rss-sampler", daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()


def rusage_lines() -> list[str]:
    """Peak RSS by getrusage (Linux reports KiB)."""
    self_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    kids_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return [
        f"getrusage: driver ru_maxrss {human_bytes(self_kib * 1024)}, "
        f"largest terminated child ru_maxrss {human_bytes(kids_kib * 1024)}"
    ]


# --------------------------------------------------------------------------- engine instrumentation


@dataclass
class Split:
    """Wall-clock time the driver spends in each phase of :func:`pii_scan.engine.scan`."""

    plan: float = 0.0
    write_unit: float = 0.0
    write_calls: int = 0
    link_subjects: float = 0.0
    worker_seconds: float = 0.0  # sum of UnitResult.seconds (read + detect + hash on the workers)
    rows: int = 0
    findings: int = 0
    first_result_at: float | None = None
    t0: float = 0.0
    peak_before_link: int = 0  # driver ru_maxrss (bytes) when link_subjects starts
    peak_after_link: int = 0
    # driver CPU seconds (time.process_time: this process only, so SQLite's work but not a server's)
    write_cpu: float = 0.0
    link_cpu: float = 0.0
    restore_indexes: float = 0.0  # DataMap.restore_indexes (the deferred indexes of a first scan), wall
    restore_cpu: float = 0.0
    restore_at: float | None = None  # seconds from the start when it began
    unpickle_cpu: float = 0.0  # engine.unpickle_result (results from the workers)
    last_result_at: float | None = None  # when the last unit's write ended
    cpu0: float = 0.0
    driver_cpu: float = 0.0  # the driver's CPU over the whole scan

    def lines(self, total: float, workers: int) -> list[str]:
        def pct(x: float) -> str:
            return f"{100 * x / total:5.1f} %" if total else "-"

        out = [
            f"  plan (list units, fingerprints): {self.plan:8.1f} s  {pct(self.plan)}",
            f"  data-map write_unit (driver):    {self.write_unit:8.1f} s  {pct(self.write_unit)}"
            f"  ({self.write_calls} units; {self.findings / self.write_unit if self.write_unit else 0:,.0f} findings/s,"
            f" {self.rows / self.write_unit if self.write_unit else 0:,.0f} rows/s)",
            f"  link_subjects (driver):          {self.link_subjects:8.1f} s  {pct(self.link_subjects)}",
            f"  worker busy (read+detect+hash):  {self.worker_seconds:8.1f} s summed over {workers} worker(s)"
            f" = {self.worker_seconds / max(1, workers):.1f} s each"
            f" ({self.rows / self.worker_seconds if self.worker_seconds else 0:,.0f} rows/s per worker)",
        ]
        if self.first_result_at is not None:
            out.append(f"  first unit result after:         {self.first_result_at:8.1f} s (plan + cluster start + first unit)")
        if self.last_result_at is not None:
            out.append(f"  last unit written after:         {self.last_result_at:8.1f} s; after it {total - self.last_result_at:.1f} s"
                       " (index build if still deferred, link, finish)")
        if self.restore_at is not None:
            out.append(f"  restore_indexes (driver):        {self.restore_indexes:8.1f} s, begun at {self.restore_at:.1f} s")
        out.append(f"  driver CPU: {self.driver_cpu:.2f} s in all; write_unit {self.write_cpu:.2f} s, unpickle results "
                   f"{self.unpickle_cpu:.2f} s, restore_indexes {self.restore_cpu:.2f} s, link_subjects {self.link_cpu:.2f} s")
        if self.peak_after_link:
            out.append(f"  driver peak RSS before link_subjects {human_bytes(self.peak_before_link)}, "
                       f"after {human_bytes(self.peak_after_link)}")
        return out


@contextmanager
def instrument_engine() -> Iterator[Split]:
    """Time ``_plan``, ``DataMap.write_unit``, ``restore_indexes``, ``link_subjects`` and the unpickling of
    results inside ``scan()``, wall and driver CPU.

    Wraps them on the driver only (``write_unit`` and ``link_subjects`` run
    there); nothing in the engine changes. Restored on exit.
    """
    import pii_scan.engine as eng
    from pii_scan.datamap import DataMap

    split = Split(t0=time.perf_counter(), cpu0=time.process_time())
    orig_plan, orig_write, orig_link = eng._plan, DataMap.write_unit, DataMap.link_subjects
    orig_restore, orig_unpickle = DataMap.restore_indexes, eng.unpickle_result

    def restore_indexes(self: Any) -> Any:
        t, c = time.perf_counter(), time.process_time()
        if split.restore_at is None and split.first_result_at is not None:
            split.restore_at = t - split.t0
        try:
            return orig_restore(self)
        finally:
            if split.first_result_at is not None:  # not the one of opening the map
                split.restore_indexes += time.perf_counter() - t
                split.restore_cpu += time.process_time() - c

    def unpickle_result(blob: bytes) -> Any:
        c = time.process_time()
        try:
            return orig_unpickle(blob)
        finally:
            split.unpickle_cpu += time.process_time() - c

    def plan(*a: Any, **k: Any) -> Any:
        t = time.perf_counter()
        try:
            return orig_plan(*a, **k)
        finally:
            split.plan += time.perf_counter() - t

    def write_unit(self: Any, scan_id: int, res: Any) -> Any:
        if split.first_result_at is None:
            split.first_result_at = time.perf_counter() - split.t0
        t, c = time.perf_counter(), time.process_time()
        try:
            n = orig_write(self, scan_id, res)
        finally:
            split.write_unit += time.perf_counter() - t
            split.write_cpu += time.process_time() - c
            split.last_result_at = time.perf_counter() - split.t0
        split.write_calls += 1
        split.worker_seconds += res.seconds
        split.rows += res.rows
        split.findings += n
        return n

    def link_subjects(self: Any) -> Any:
        split.peak_before_link = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
        t, c = time.perf_counter(), time.process_time()
        try:
            return orig_link(self)
        finally:
            split.link_subjects += time.perf_counter() - t
            split.link_cpu += time.process_time() - c
            split.peak_after_link = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024

    eng._plan = plan  # type: ignore[assignment]
    DataMap.write_unit = write_unit  # type: ignore[method-assign]
    DataMap.link_subjects = link_subjects  # type: ignore[method-assign]
    DataMap.restore_indexes = restore_indexes  # type: ignore[method-assign]
    eng.unpickle_result = unpickle_result  # type: ignore[assignment]
    try:
        yield split
    finally:
        split.driver_cpu = time.process_time() - split.cpu0
        eng._plan = orig_plan  # type: ignore[assignment]
        DataMap.write_unit = orig_write  # type: ignore[method-assign]
        DataMap.link_subjects = orig_link  # type: ignore[method-assign]
        DataMap.restore_indexes = orig_restore  # type: ignore[method-assign]
        eng.unpickle_result = orig_unpickle  # type: ignore[assignment]


def timed(fn: Callable[[], Any]) -> tuple[Any, float]:
    t = time.perf_counter()
    r = fn()
    return r, time.perf_counter() - t


class Tee:
    """Print and keep the lines, for the results file."""

    def __init__(self) -> None:
        self.lines: list[str] = []

    def __call__(self, *parts: Any) -> None:
        line = " ".join(str(p) for p in parts)
        print(line, flush=True)
        self.lines.extend(line.splitlines() or [""])

    def save(self, name: str) -> Path:
        OUT.mkdir(parents=True, exist_ok=True)
        p = OUT / name
        p.write_text("\n".join(self.lines) + "\n", "utf-8")
        return p
