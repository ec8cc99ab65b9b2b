"""Dask: one of two worker processes killed with SIGKILL while it runs a unit; then the other one.

The session's ``dask_cluster`` is shared with other tests, so this test runs
its own ``dask scheduler`` and two ``dask worker --no-nanny`` processes on
loopback (without a nanny a killed worker stays dead: the scan has to finish
on the other one). The worker is killed from the driver's per-unit callback
once a few units are written, and only if it is running a unit at that
moment, so the kill always lands mid-scan and mid-unit. A second scan then
kills the last worker mid-scan and starts a fresh one: the scan settings that
were scattered to the workers are gone with them, and the scan must still
finish with every unit.
"""

from __future__ import annotations

import logging
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import psutil
import pytest

from tests.conftest import free_port, need_service, port_open
from tests.faults.conftest import Estate, assert_accounted, assert_same_map, map_dump, run, write_share

FILES = 16
ROWS = 60
KILL_AFTER = 3  # units written before the kill


@dataclass
class Cluster:
    addr: str
    workers: list[subprocess.Popen[bytes]]
    spawn_worker: Callable[[str], subprocess.Popen[bytes]]


@pytest.fixture
def own_cluster(tmp_path: Path) -> Iterator[Cluster]:
    exe = shutil.which("dask", path=os.path.dirname(sys.executable)) or shutil.which("dask")
    if exe is None:
        need_service("dask CLI", "the 'dask' command is not installed (pip install 'dask[distributed]')")
    port = free_port()
    addr = f"tcp://127.0.0.1:{port}"
    env = dict(os.environ, DASK_DISTRIBUTED__WORKER__DAEMON="False")
    procs: list[subprocess.Popen[bytes]] = []

    def spawn(args: list[str], name: str) -> subprocess.Popen[bytes]:
        log = open(tmp_path / f"{name}.log", "wb")  # noqa: SIM115
        p = subprocess.Popen([exe, *args], stdout=log, stderr=subprocess.STDOUT, env=env)
        log.close()
        procs.append(p)
        return p

    spawn(["scheduler", "--host", "127.0.0.1", "--port", str(port), "--no-dashboard"], "scheduler")
    deadline = time.time() + 30
    while not port_open("127.0.0.1", port, timeout=0.2) and time.time() < deadline:
        time.sleep(0.1)
    def spawn_worker(name: str) -> subprocess.Popen[bytes]:
        return spawn(["worker", addr, "--nthreads", "1", "--no-nanny", "--no-dashboard", "--host", "127.0.0.1",
                      "--name", name], name)

    workers = [spawn_worker(f"fault-w{i}") for i in range(2)]
    # no Client in this process besides the scan's own (two live Clients in one process trip over
    # each other's event loops): the scheduler's log says when both workers have registered
    deadline = time.time() + 60
    while (tmp_path / "scheduler.log").read_text(errors="replace").count("Register worker") < 2:
        if time.time() > deadline or any(p.poll() is not None for p in procs):
            for p in procs:
                p.kill()
                p.wait()
            need_service("dask cluster", "did not come up (see scheduler.log)")
        time.sleep(0.1)
    try:
        yield Cluster(addr, workers, spawn_worker)
    finally:
        for p in reversed(procs):
            if p.poll() is None:
                p.terminate()
        for p in procs:
            try:
                p.wait(timeout=20)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()


def test_worker_killed_mid_scan(estate: Estate, own_cluster: Cluster, caplog: pytest.LogCaptureFixture) -> None:
    addr, workers = own_cluster.addr, own_cluster.workers
    write_share(estate.root / "share", FILES, ROWS)
    estate.sources = [{"name": "share", "type": "files", "path": str(estate.root / "share")}]
    reference = run(estate.config("reference"))  # undisturbed, in-process
    assert reference.exit_code == 0 and reference.units_total == FILES
    want = map_dump(estate.map_url("reference"), estate.key_file)

    killed: list[int] = []
    written = 0

    def on_unit(_res: object) -> None:
        nonlocal written
        written += 1
        if killed or written < KILL_AFTER:
            return
        # a worker that is running a unit right now: its process is using CPU
        for _ in range(20):
            cpu = [sum(psutil.Process(p.pid).cpu_times()[:2]) for p in workers]
            time.sleep(0.1)
            used = [sum(psutil.Process(p.pid).cpu_times()[:2]) - before for p, before in zip(workers, cpu)]
            if max(used) > 0.005:
                victim = workers[used.index(max(used))]
                os.kill(victim.pid, signal.SIGKILL)
                killed.append(victim.pid)
                return
        raise AssertionError("no worker was running a unit")

    cfg = estate.config("faulted")
    summary = run(cfg, scheduler=addr, on_unit=on_unit)
    assert killed, "the worker was not killed"
    victim, other = sorted(workers, key=lambda p: p.pid != killed[0])
    assert victim.wait(timeout=10) == -signal.SIGKILL
    assert other.poll() is None  # the scan finished on the other worker
    assert written == FILES
    assert_accounted(cfg, summary, listed=FILES)
    assert summary.exit_code == 0
    assert_same_map(map_dump(cfg.datamap_url, estate.key_file), want)

    # 2. the last worker killed too, mid-scan, and a fresh one started: the scan settings scattered to
    #    the workers died with them, so the units still to run were cancelled; the engine scatters the
    #    settings again and submits those units again
    fresh: list[subprocess.Popen[bytes]] = []
    written = 0

    def kill_the_last(_res: object) -> None:
        nonlocal written
        written += 1
        if written == KILL_AFTER:
            os.kill(other.pid, signal.SIGKILL)
            fresh.append(own_cluster.spawn_worker("fault-w2"))

    cfg = estate.config("faulted-again")
    with caplog.at_level(logging.WARNING, logger="pii_scan"):
        summary = run(cfg, scheduler=addr, on_unit=kill_the_last)
    assert other.wait(timeout=10) == -signal.SIGKILL and fresh and fresh[0].poll() is None
    assert any("scan settings were lost" in r.getMessage() for r in caplog.records)
    assert written == FILES
    assert_accounted(cfg, summary, listed=FILES)
    assert summary.exit_code == 0
    assert_same_map(map_dump(cfg.datamap_url, estate.key_file), want)
