"""The engine: config -> connectors -> units -> Dask tasks -> data map.

One Dask task per unit (a table key range, a file, an object, a mailbox
range), never per row and never with data in the graph: a task carries the
connector (which pickles as its config), the unit description and the scan
settings. The driver writes each finished unit to the data map in one
transaction as results arrive, so a killed scan loses only units in flight
and the next run resumes: units whose fingerprint is unchanged and whose last
scan succeeded are skipped.

Connection faults: a unit whose read fails with a
:class:`~connectors.base.TransientError` (a lost or refused connection, a
server restarting) is read again from the start, on the same worker, after
an exponential backoff with jitter: ``[scan] retries`` times (default 3),
waiting ``[scan] retry_backoff`` seconds (default 1) before the first retry
and twice as long before each next one (at most 30 s). Only the last
attempt's result is written, so a retried unit gives the same data map as an
undisturbed one; a unit that still fails is recorded as failed with its
reason, listed in the summary, and the scan ends partial (exit code 3); the
next scan reads it again. Once a unit of a source has failed all its
attempts, the other units of that source read by the same worker in the next
minute get one attempt only, so a source that stays down fails fast instead
of costing every unit the whole backoff. A source whose listing fails the
same way is listed again.

Worker faults: a Dask worker that dies takes its running tasks with it; the
scheduler runs them again on the other workers (or on the worker its nanny
starts again). When every worker that held the scattered scan settings has
died, the tasks that need them are cancelled: the settings are scattered again
and those units submitted again (:data:`MAX_RESUBMITS` times at most).

Schedulers: ``None`` starts a local cluster of worker processes (one per
core) — the default; ``"tcp://host:port"`` uses an existing Dask cluster;
``"sync"`` runs everything in this process (debugging, small tests). A local
cluster that cannot start raises :class:`ClusterStartError`, one line naming
the cause and what to try; Dask's own log messages are silenced unless the
``pii_scan`` logger is at DEBUG (``scan --verbose``), which also logs the
traceback.
"""

from __future__ import annotations

import logging
import os
import pickle
import random
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass, field
from typing import Any

from connectors.base import BaseConnector, TransientError, Unit, safe_name
from connectors.registry import build
from detectors import Scanner
from pii_scan import __version__, gcpolicy
from pii_scan.config import Config
from pii_scan.datamap import DataMap, UnitResult
from pii_scan.keys import load_keys
from pii_scan.redact import Redactor
from pii_scan.worker import ScanSettings, scan_unit

log = logging.getLogger("pii_scan")

EXIT_COMPLETE = 0
EXIT_FAILED = 1
EXIT_PARTIAL = 3


@dataclass
class ScanSummary:
    scan_id: int
    units_total: int = 0
    units_scanned: int = 0
    units_skipped: int = 0
    units_failed: int = 0
    units_partial: int = 0  # of the failed units, those that read records before they failed (their records are mapped)
    units_removed: int = 0
    units_retried: int = 0
    records: int = 0
    findings: int = 0
    subjects: int = 0
    seconds: float = 0.0
    interrupted_scans: list[int] = field(default_factory=list)  # earlier scans found dead, marked 'interrupted'
    # each: source, unit, reason, records (read and mapped before the failure: a partly read unit)
    failures: list[dict[str, Any]] = field(default_factory=list)

    @property
    def status(self) -> str:
        """'failed' when every unit failed and none read a record; 'partial' when some failed.

        Units skipped as unchanged count as scanned well (the map holds what they hold): a rescan in which
        only a failing unit was read is partial, not failed."""
        if self.units_failed and self.units_failed >= self.units_total and not self.units_skipped and not self.records:
            return "failed"
        return "partial" if self.units_failed else "complete"

    @property
    def exit_code(self) -> int:
        return {"complete": EXIT_COMPLETE, "partial": EXIT_PARTIAL, "failed": EXIT_FAILED}[self.status]

    def as_dict(self) -> dict[str, Any]:
        d = {k: v for k, v in self.__dict__.items()}
        d["status"] = self.status
        return d


@dataclass(frozen=True)
class RetryPolicy:
    """How often, and after how long, a unit that failed on its connection is read again."""

    retries: int = 3
    backoff: float = 1.0  # seconds before the first retry; doubled for each next one
    max_backoff: float = 30.0

    @classmethod
    def from_config(cls, cfg: Config) -> RetryPolicy:
        raw = (cfg.raw or {}).get("scan", {}) or {}
        try:
            retries = int(raw.get("retries", cls.retries))
            backoff = float(raw.get("retry_backoff", cls.backoff))
        except (TypeError, ValueError):
            raise RuntimeError("[scan] retries must be an integer and retry_backoff a number of seconds") from None
        if retries < 0 or backoff < 0:
            raise RuntimeError("[scan] retries and retry_backoff must not be negative")
        return cls(retries, backoff)

    def delay(self, attempt: int) -> float:
        """Seconds to wait before retry number ``attempt`` (1-based): exponential, with jitter."""
        return min(self.max_backoff, self.backoff * 2 ** (attempt - 1)) * random.uniform(0.75, 1.25)


class _Attempt:
    """A connector as :func:`scan_unit` sees it for one attempt: notes a transient error on its way out."""

    def __init__(self, connector: BaseConnector) -> None:
        self._connector = connector
        self.transient: str | None = None

    def __getattr__(self, name: str) -> Any:  # store, field_hints, ...
        return getattr(self._connector, name)

    def read(self, unit: Unit) -> Iterator[Any]:
        try:
            yield from self._connector.read(unit)
        except TransientError as exc:
            self.transient = str(exc)
            raise

    def close(self) -> None:
        self._connector.close()


# Per worker process: source name -> when one of its units last failed every attempt. A source that
# stays down would otherwise cost every one of its remaining units the whole backoff; for a while
# after such a unit the others of that source get one attempt only (runtime state, not a setting).
_GAVE_UP: dict[str, float] = {}
GIVE_UP_SECONDS = 60.0


def scan_unit_pickled(connector: BaseConnector, unit: Unit, settings: ScanSettings, policy: RetryPolicy) -> bytes:
    """:func:`scan_unit_retrying` as a Dask task: the result comes back pickled by us, as bytes.

    Dask moves bytes without looking inside, and the driver unpickles them
    with the cyclic collector paused (:func:`unpickle_result`): rebuilding a
    unit's findings under the collector cost the driver three times the
    unpickling itself (see :mod:`pii_scan.gcpolicy`). The worker pickles the
    result and drops it with the collector paused too: walking a unit's
    results cost as much as pickling them (``benchmarks/worker_split.py
    --pickle-paused``: 14.8 -> 8.2 µs per row).
    """
    res = scan_unit_retrying(connector, unit, settings, policy)
    with gcpolicy.paused():
        blob = pickle.dumps(res, protocol=pickle.HIGHEST_PROTOCOL)
        del res
    return blob


def unpickle_result(blob: bytes) -> tuple[UnitResult, list[str]]:
    """The driver's side of :func:`scan_unit_pickled` (the bytes come from our own workers)."""
    with gcpolicy.paused():
        res, retried = pickle.loads(blob)  # noqa: S301 - produced by scan_unit_pickled on a trusted worker
    return res, retried


def scan_unit_retrying(connector: BaseConnector, unit: Unit, settings: ScanSettings, policy: RetryPolicy) -> tuple[UnitResult, list[str]]:
    """:func:`scan_unit`, read again from the start after a transient connection error.

    Returns the last attempt's result and the reasons of the attempts that
    failed before it (empty when the first attempt was final). When another
    unit of the same source failed all its attempts in this process within
    :data:`GIVE_UP_SECONDS`, the unit gets one attempt only: a source that is
    down fails its units quickly instead of each waiting out the backoff.
    """
    failed: list[str] = []
    t0 = time.perf_counter()
    given_up = time.monotonic() - _GAVE_UP.get(unit.source, float("-inf")) < GIVE_UP_SECONDS
    retries = 0 if given_up else policy.retries
    while True:
        attempt = _Attempt(connector)
        res = scan_unit(attempt, unit, settings)  # type: ignore[arg-type]
        if not res.error or attempt.transient is None or len(failed) >= retries:
            if attempt.transient is None:
                _GAVE_UP.pop(unit.source, None)
            elif res.error and (failed or given_up):
                _GAVE_UP[unit.source] = time.monotonic()
                res.error += (f" (read {len(failed) + 1} times)" if failed
                              else " (not retried: another unit of this source failed all its attempts moments ago)")
            if failed:
                res.seconds = time.perf_counter() - t0
            return res, failed
        failed.append(res.error)
        time.sleep(policy.delay(len(failed)))


def _list_units(conn: BaseConnector, policy: RetryPolicy) -> tuple[list[Unit], list[dict[str, Any]]]:
    """A source's units and dependencies, listed again after a transient connection error."""
    attempt = 0
    while True:
        try:
            return list(conn.units()), conn.dependencies()
        except TransientError as exc:
            attempt += 1
            if attempt > policy.retries:
                raise
            conn.close()
            log.warning("listing source %s again after a connection error: %s", safe_name(conn.name), exc)
            time.sleep(policy.delay(attempt))


def _plan(
    cfg: Config, dm: DataMap, red: Redactor, only: set[str] | None, full: bool, summary: ScanSummary, scan_id: int,
    policy: RetryPolicy | None = None,
) -> list[tuple[BaseConnector, Unit]]:
    """List units on the driver; skip unchanged ones; record listing failures."""
    work: list[tuple[BaseConnector, Unit]] = []
    for src in cfg.sources:
        if only and src.name not in only:
            continue
        try:
            conn = build(src.name, src.options)
            units, deps = _list_units(conn, policy or RetryPolicy())
        except Exception as exc:  # noqa: BLE001 - a source that cannot be listed is a failed unit
            reason = red.mask(f"cannot list source: {type(exc).__name__}: {safe_name(str(exc), 300)}") or ""
            dm.record_failure(scan_id, red.unit_id(src.name, "<source>"), src.name, "<source>", src.type, reason)
            summary.units_total += 1
            summary.units_failed += 1
            summary.failures.append({"source": src.name, "unit": "<source>", "reason": reason, "records": 0})
            continue
        dm.record_dependencies(src.name, [redact_dependency(red, d) for d in deps])
        known = dm.unit_states(src.name)
        ids = {u.key: red.unit_id(src.name, u.key) for u in units}
        listed = set(ids.values())
        source_uid = red.unit_id(src.name, "<source>")
        gone = [k for k in known if k not in listed and k != source_uid]
        if gone:
            summary.units_removed += dm.forget_units(gone)
        if source_uid in known:
            dm.forget_units([source_uid])
        for u in units:
            summary.units_total += 1
            prev = known.get(ids[u.key])
            if not full and prev is not None and prev == (u.fingerprint, "done"):
                summary.units_skipped += 1
                continue
            work.append((conn, u))
        conn.close()
    return work


def scan(
    cfg: Config,
    *,
    scheduler: str | None = None,
    workers: int | None = None,
    only_sources: set[str] | None = None,
    full: bool = False,
    progress: bool = True,
    on_unit: Callable[[UnitResult], None] | None = None,
) -> ScanSummary:
    """Run a scan of the configured sources into the data map."""
    t0 = time.perf_counter()
    keys = load_keys(cfg.key_file)
    dm = DataMap(cfg.datamap_url)
    scan_id: int | None = None
    red: Redactor | None = None
    runner: Generator[tuple[UnitResult, list[str]], None, None] | None = None
    closers: list[_Closer] = []  # the cluster being closed in the background
    try:
        dm.check_key(keys.fingerprint())
        settings = ScanSettings(cfg.kinds, cfg.min_confidence, cfg.store_values, keys.secret)
        policy = RetryPolicy.from_config(cfg)
        red = Redactor(Scanner(cfg.kinds), keys)
        scan_id = dm.start_scan(
            {"pii_scan": __version__, "detectors": _detector_versions(), "kinds": cfg.kinds,
             "min_confidence": cfg.min_confidence, "sources": [s.name for s in cfg.sources],
             "scheduler": scheduler or "local", "full": full}
        )
        summary = ScanSummary(scan_id)
        summary.interrupted_scans = settle_running_scans(dm, scan_id)
        work = _plan(cfg, dm, red, only_sources, full, summary, scan_id, policy)
        bar = _progress(len(work), progress)
        deferred = bool(work) and dm.defer_indexes()  # a first scan: hash indexes built once at the end

        def build_indexes() -> None:
            # the last units are running and a worker's core is free: build the deferred indexes now,
            # beside them, instead of after the last result (the few units left write into them)
            nonlocal deferred
            if deferred:
                dm.restore_indexes()
                deferred = False

        runner = _run(work, settings, scheduler, workers, policy, on_idle=build_indexes, closers=closers)
        for res, retried in runner:
            if retried:
                summary.units_retried += 1
                log.warning("unit read %d times after connection errors: %s %s: %s", len(retried) + 1,
                            res.source, safe_name(red.mask(res.key) or ""), red.mask(retried[-1]))
            res.unit_id = red.unit_id(res.source, res.key)
            res.key = red.mask(res.key) or ""
            res.error = red.mask(res.error)
            with gcpolicy.paused():  # a unit's rows: no cycles to find, and the collector would walk the heap
                dm.write_unit(scan_id, res)
            summary.units_scanned += 1
            summary.records += res.rows
            summary.findings += res.finding_count()
            if res.error:
                summary.units_failed += 1
                summary.units_partial += bool(res.rows)
                summary.failures.append({"source": res.source, "unit": res.key, "reason": res.error, "records": res.rows})
                log.warning("unit failed: %s %s: %s", res.source, safe_name(res.key), res.error)
            if on_unit:
                on_unit(res)
            bar.update(1)
        bar.close()
        if deferred:
            dm.restore_indexes()
        if dm.subjects_stale():  # while the cluster closes (closers): its processes take a second or two to end
            summary.subjects = dm.link_subjects()
        else:  # nothing was written: the subjects of the last scan still hold
            summary.subjects = dm.counts()["subjects"]
        _join(closers)
        summary.seconds = time.perf_counter() - t0
        dm.finish_scan(scan_id, summary.status, {k: v for k, v in summary.as_dict().items() if k != "failures"})
        return summary
    except BaseException as exc:
        if scan_id is not None:  # the row must not say 'running' after this process gave up on it
            _end_scan_row(dm, scan_id, exc, red)
        raise
    finally:
        if runner is not None:
            runner.close()  # a scan that stopped early: the cluster is closed now, not when the generator is collected
        for t in closers:
            t.join()
        dm.close()


def settle_running_scans(dm: DataMap, scan_id: int) -> list[int]:
    """Mark earlier scans that still say ``running`` but whose process is gone as ``interrupted``; returns their ids.

    A scan killed outright (SIGKILL, a power cut) cannot finish its row. Its
    row records the host, pid and start time of its process: on this host, a
    process that no longer exists (or whose pid now belongs to another
    process) is dead, and its scan is marked ``interrupted`` with the time it
    was found. A live process is a scan running now (two scans may share a
    map) and is left alone, as is a scan on another host (its process cannot
    be checked from here) or one recorded before the map kept processes: both
    are logged. The check runs after this scan's own row is written, and only
    ever marks rows whose process is gone, so scans started at the same time
    never mark each other.
    """
    marked: list[int] = []
    for other in dm.running_scans(but=scan_id):
        p = other.process
        started = other.started_at.strftime("%Y-%m-%d %H:%M:%S UTC") if other.started_at else "?"
        alive = p.alive() if p is not None else None
        if alive is False:
            assert p is not None
            note = {"interrupted": True, "found_by_scan": scan_id,
                    "reason": f"its process (pid {p.pid} on {p.host}) was gone when scan {scan_id} started"}
            if dm.mark_interrupted(other.id, note):
                marked.append(other.id)
                log.warning("scan %d (started %s, pid %s) was interrupted: its process is gone; marked 'interrupted'. "
                            "Its finished units are kept, the rest are read by this scan", other.id, started, p.pid)
        elif alive:
            log.warning("scan %d (started %s, pid %s on this host) is still running on this data map", other.id, started,
                        p.pid if p else "?")
        elif p is None:
            log.warning("scan %d (started %s) is marked running but was recorded without its process "
                        "(an older pii-scan): left as it is", other.id, started)
        else:
            log.warning("scan %d (started %s) is marked running on host %s, whose processes cannot be checked from here: "
                        "left as it is", other.id, started, safe_name(p.host or "?", 100))
    return marked


def _end_scan_row(dm: DataMap, scan_id: int, exc: BaseException, red: Redactor | None) -> None:
    """Finish the row of a scan that stopped on an exception: ``interrupted`` on Ctrl-C, else ``failed``."""
    status = "interrupted" if isinstance(exc, (KeyboardInterrupt, SystemExit)) else "failed"
    reason = f"{type(exc).__name__}: {safe_name(str(exc), 300)}"
    if red is not None:
        reason = red.mask(reason) or ""
    try:
        dm.finish_scan(scan_id, status, {"error": reason})
    except Exception:  # noqa: BLE001 - the original error matters more; a later scan finds the row otherwise
        log.debug("could not finish the row of scan %d", scan_id, exc_info=True)


def _run(
    work: list[tuple[BaseConnector, Unit]], settings: ScanSettings, scheduler: str | None, workers: int | None,
    policy: RetryPolicy, on_idle: Callable[[], None] | None = None, closers: list[_Closer] | None = None,
) -> Generator[tuple[UnitResult, list[str]], None, None]:
    """Run the units' tasks and yield each result (and the reasons of its failed attempts) as it comes in.

    ``on_idle`` is called once on a cluster, before waiting for the next
    result, when fewer units are left than the cluster has worker threads and
    no result is waiting: a worker's core is free then, and the driver's own
    end-of-scan work (:meth:`DataMap.restore_indexes`) runs beside the last
    units instead of after them. Never with ``sync`` (one process: nothing
    runs beside it).

    After the last result the client and the local cluster are closed; with
    ``closers`` in a thread appended to it (the caller joins it, see
    :func:`_join`), so that the driver links subjects while the worker
    processes end.
    """
    if not work:
        return
    if scheduler in ("sync", "synchronous"):
        for conn, unit in work:
            yield scan_unit_retrying(conn, unit, settings, policy)
        return
    from dask.distributed import Client, as_completed

    cluster = None
    if scheduler:
        client = Client(scheduler, timeout="30s")
    else:
        n = max(1, workers or min(os.cpu_count() or 1, len(work)))
        verbose = log.isEnabledFor(logging.DEBUG)
        try:
            cluster = _local_cluster(n, verbose)
        except Exception as exc:  # noqa: BLE001 - whatever stopped it, the user needs the cause and a way out
            log.debug("the local Dask cluster failed to start", exc_info=True)
            raise ClusterStartError(n, exc) from exc
        client = Client(cluster)
    try:
        # the settings (with the key) go to the workers once, not into every task; under a random
        # key (hash=False), not one derived from their content
        settings_f = client.scatter(settings, broadcast=True, hash=False)
        generation = 0  # scatters of the settings so far, minus one
        pending: dict[Any, tuple[int, int]] = {}  # task key -> (unit index, settings generation it uses)
        submits: Counter[int] = Counter()
        stranded = False

        def submit(i: int) -> Any:
            conn, unit = work[i]
            submits[i] += 1
            key = f"unit-{i}-{unit.source}" + (f"-{submits[i]}" if submits[i] > 1 else "")
            fut = client.submit(scan_unit_pickled, conn, unit, settings_f, policy, key=key, pure=False, retries=1)
            pending[fut.key] = (i, generation)
            return fut

        done = as_completed([submit(i) for i in range(len(work))])
        slots = _worker_threads(client)
        while True:
            if on_idle is not None and len(pending) < slots and not done.has_ready():
                on_idle()
                on_idle = None
            try:
                fut = next(done)
            except StopIteration:
                break
            i, gen = pending.pop(fut.key)
            try:
                res, retried = unpickle_result(fut.result())
            except Exception as exc:  # noqa: BLE001 - a worker died, or the task could not run
                conn, unit = work[i]
                lost = _lost(exc) and submits[i] <= MAX_RESUBMITS and not stranded
                if lost and gen == generation:
                    # every worker that held the scattered settings died (a nanny restarts them
                    # empty), so the tasks that need them were cancelled: send them again
                    new_f = _send_again(client, settings)
                    if new_f is None:
                        stranded = True  # no worker came back: this and the remaining units fail
                    else:
                        settings_f.release()
                        settings_f, generation = new_f, generation + 1
                if lost and gen < generation:
                    fut.release()  # run again, with the settings sent after this task was submitted
                    done.add(submit(i))
                    continue
                res = UnitResult(unit.source, unit.key, conn.store, unit.fingerprint, [], 0,
                                 error=f"task failed: {type(exc).__name__}: {safe_name(str(exc), 200)}")
                retried = []
            fut.release()
            yield res, retried
    finally:
        closer = _Closer(client, cluster)
        if closers is None:
            closer.run()
            closer.raise_error()
        else:
            closer.start()
            closers.append(closer)


class _Closer(threading.Thread):
    """Closes a Dask client and its local cluster (if any); an error is kept for :meth:`raise_error`."""

    def __init__(self, client: Any, cluster: Any) -> None:
        super().__init__(name="pii-scan-close-cluster", daemon=False)
        self.client, self.cluster = client, cluster
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            self.client.close()
            if self.cluster is not None:
                self.cluster.close()
        except BaseException as exc:  # noqa: BLE001 - raised in the scan's thread by raise_error
            self.error = exc

    def raise_error(self) -> None:
        if self.error is not None:
            raise self.error


def _join(closers: list[_Closer]) -> None:
    """Wait for the clusters being closed; an error in closing one fails the scan, as when it was closed inline."""
    for t in closers:
        t.join()
        t.raise_error()


def _worker_threads(client: Any) -> int:
    """How many tasks the cluster runs at once (its workers' threads); 0 when that cannot be told."""
    try:
        return int(sum(client.nthreads().values()))
    except Exception:  # noqa: BLE001 - only an optimisation hangs on it: then never idle
        log.debug("could not count the cluster's worker threads", exc_info=True)
        return 0


class ClusterStartError(RuntimeError):
    """The local Dask cluster could not start: the message names the cause and what to try instead."""

    def __init__(self, workers: int, exc: BaseException) -> None:
        self.workers = workers
        plural = "es" if workers != 1 else ""
        fewer = " or fewer --workers" if workers > 1 else ""
        super().__init__(
            f"cannot start the local Dask cluster ({workers} worker process{plural}): {_cause(exc)}; "
            f"try --scheduler sync (no cluster: the scan runs in this process){fewer}"
        )


def _local_cluster(n: int, verbose: bool) -> Any:
    """The default cluster: ``n`` worker processes of one thread each (detection is CPU-bound Python).

    Dask's own log messages are silenced unless pii_scan logs at DEBUG: a
    worker that cannot start would print its traceback from every process,
    while the engine says in one line what failed (:class:`ClusterStartError`).
    """
    import warnings

    from dask.distributed import LocalCluster

    with warnings.catch_warnings():
        if not verbose:  # the scheduler's HTTP server (no dashboard) takes another port when 8787 is taken: no news
            warnings.filterwarnings("ignore", message="Port .* is already in use", category=UserWarning)
        return LocalCluster(n_workers=n, threads_per_worker=1, processes=True, dashboard_address=None,
                            silence_logs=logging.ERROR if verbose else logging.CRITICAL)


def _cause(exc: BaseException) -> str:
    """An exception and the root of its chain, as one line: ``Nanny failed to start (ModuleNotFoundError: ...)``."""
    def one(e: BaseException) -> str:
        text = safe_name(" ".join(str(e).split()), 200).rstrip(".")
        return f"{type(e).__name__}: {text}" if text else type(e).__name__

    seen = {id(exc)}
    root = exc
    while True:
        nxt = root.__cause__ or (None if root.__suppress_context__ else root.__context__)
        if nxt is None or id(nxt) in seen:
            break
        seen.add(id(nxt))
        root = nxt
    top = safe_name(" ".join(str(exc).split()), 200).rstrip(".") or type(exc).__name__
    return top if root is exc else f"{top} ({one(root)})"


MAX_RESUBMITS = 3  # times a unit's task is submitted again after its inputs were lost with dead workers
WORKERS_BACK_SECONDS = 120.0  # how long lost settings wait for a worker to send them to


def _send_again(client: Any, settings: ScanSettings) -> Any:
    """The scan settings scattered again once a worker is there (within :data:`WORKERS_BACK_SECONDS`), or None."""
    try:
        client.wait_for_workers(1, timeout=WORKERS_BACK_SECONDS)
        fut = client.scatter(settings, broadcast=True, hash=False)  # a new key: the lost one is forgotten
    except Exception as exc:  # noqa: BLE001 - no worker came back (or went again): the units fail with a reason
        log.warning("the scan settings were lost with the workers that held them, and no worker came back "
                    "to send them to (%s): the units left fail", type(exc).__name__)
        return None
    log.warning("the scan settings were lost with the workers that held them; sent again")
    return fut


def _lost(exc: BaseException) -> bool:
    """Whether a task failed because it was cancelled (its scattered input died with its workers), not by itself."""
    from distributed.client import FutureCancelledError

    return isinstance(exc, FutureCancelledError)


def redact_dependency(red: Redactor, dep: dict[str, Any]) -> dict[str, Any]:
    """A schema fact (a foreign key) with identifiers in its names masked, as in the records' names.

    A table or column named after a person (``kund_6408233234``) would
    otherwise put the identifier into the map in plaintext. When anything was
    masked, the true fact is kept encrypted under ``"enc"`` (base64), for
    tools that hold the key (an erasure plan ordering deletes by foreign key).
    """
    import base64
    import json

    def walk(v: Any) -> Any:
        if isinstance(v, str):
            return red.mask(v)
        if isinstance(v, list):
            return [walk(x) for x in v]
        if isinstance(v, dict):
            return {k: walk(x) for k, x in v.items()}
        return v

    masked = walk(dep)
    if masked != dep:
        masked["enc"] = base64.b64encode(red.keys.encrypt(json.dumps(dep, sort_keys=True))).decode("ascii")
    return masked


def _detector_versions() -> dict[str, str]:
    import detectors
    import phonenumbers

    return {"detectors": detectors.__version__, "phonenumbers": phonenumbers.__version__}


class _NoBar:
    def update(self, n: int) -> None: ...
    def close(self) -> None: ...


def _progress(total: int, enabled: bool):  # noqa: ANN202
    if not enabled or total == 0:
        return _NoBar()
    from tqdm import tqdm

    return tqdm(total=total, unit="unit", desc="scanning", file=sys.stderr, dynamic_ncols=True, leave=False)
