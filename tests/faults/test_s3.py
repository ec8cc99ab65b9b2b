"""S3: the endpoint stopped in the middle of a scan and started again on the same port.

The test runs its own moto server process (the session's ``moto_server`` is
shared), stops it (SIGTERM) after some records of a unit have been read and
starts it again a second later. Honest note on state: moto keeps objects in
memory only, so a stopped moto loses them. Here the endpoint's "durable
storage" is a folder: a small launcher loads it into moto's S3 backend
before the server listens, under a frozen clock, so the restarted endpoint
serves the same objects (same bytes, hence the same ETags; same
LastModified), which is what a real S3 endpoint does with its durable
objects when it restarts. It is never reachable while half-loaded.
"""

from __future__ import annotations

import importlib.util
import io
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from connectors.s3 import S3Connector
from tests.conftest import MOTO_ACCESS_KEY, MOTO_REGION, MOTO_SECRET_KEY, free_port, need_service, port_open
from tests.faults.conftest import Estate, Fault, assert_accounted, assert_same_map, fault_after, map_dump, people, run

BUCKET = "crm-exports"
OBJECTS = 6
AFTER = 20  # records of the third object read before the endpoint stops

# moto loading its objects from a folder under a frozen clock before it listens (see the module docstring)
_LAUNCH = """
import datetime, pathlib, sys
import moto.s3.models as models
from moto.core.models import DEFAULT_ACCOUNT_ID
FROZEN = datetime.datetime(2024, 5, 1, 8, 30, 0)
models.utcnow = lambda: FROZEN
store, bucket, region = pathlib.Path(sys.argv[1]), sys.argv[2], sys.argv[3]
backend = models.s3_backends[DEFAULT_ACCOUNT_ID]["aws"]
backend.create_bucket(bucket, region)
for path in sorted(p for p in store.rglob("*") if p.is_file()):
    backend.put_object(bucket, path.relative_to(store).as_posix(), path.read_bytes())
from moto.server import main
main(sys.argv[4:])
"""


def objects() -> dict[str, bytes]:
    """Six CSV exports of fictional customers."""
    ps = people(OBJECTS * 25, seed=23)
    out = {}
    for i in range(OBJECTS):
        buf = io.StringIO()
        buf.write("Namn;Personnummer;E-post;Telefon\n")
        for p in ps[i * 25:(i + 1) * 25]:
            buf.write(f"{p.name};{p.pnr};{p.email};{p.phone}\n")
        out[f"exports/kunder-{i}.csv"] = buf.getvalue().encode("utf-8")
    return out


class OwnMoto:
    """A private moto S3 endpoint on a fixed loopback port that can be stopped and started again."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.store = root / "s3-store"
        for key, data in objects().items():
            (self.store / key).parent.mkdir(parents=True, exist_ok=True)
            (self.store / key).write_bytes(data)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen[bytes] | None = None
        self.starts = 0

    def start(self) -> None:
        env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
        log = open(self.root / f"moto-{self.starts}.log", "wb")  # noqa: SIM115
        self.proc = subprocess.Popen([sys.executable, "-c", _LAUNCH, str(self.store), BUCKET, MOTO_REGION,
                                      "-H", "127.0.0.1", "-p", str(self.port)],
                                     stdout=log, stderr=subprocess.STDOUT, env=env)
        log.close()
        self.starts += 1
        deadline = time.time() + 60
        while not port_open("127.0.0.1", self.port, timeout=0.2):
            if self.proc.poll() is not None or time.time() > deadline:
                raise RuntimeError("moto did not start")
            time.sleep(0.05)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


@pytest.fixture
def own_moto(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[OwnMoto]:
    if importlib.util.find_spec("moto") is None or importlib.util.find_spec("flask") is None:
        need_service("moto server", "moto is not installed (pip install 'moto[server]')")
    for var in list(os.environ):
        if var.startswith("AWS_"):
            monkeypatch.delenv(var)
    for var, value in (("AWS_ACCESS_KEY_ID", MOTO_ACCESS_KEY), ("AWS_SECRET_ACCESS_KEY", MOTO_SECRET_KEY),
                       ("AWS_DEFAULT_REGION", MOTO_REGION), ("AWS_CONFIG_FILE", os.devnull),
                       ("AWS_SHARED_CREDENTIALS_FILE", os.devnull), ("AWS_EC2_METADATA_DISABLED", "true")):
        monkeypatch.setenv(var, value)
    server = OwnMoto(tmp_path)
    try:
        server.start()
    except RuntimeError as exc:
        server.stop()
        need_service("moto server", str(exc))
    try:
        yield server
    finally:
        server.stop()


def test_endpoint_stopped_and_restarted(estate: Estate, own_moto: OwnMoto, monkeypatch: pytest.MonkeyPatch) -> None:
    server = own_moto
    # max_attempts = 1: no botocore retries, so the outage reaches the connector and the engine
    estate.sources = [{"name": "lake", "type": "s3", "endpoint_url": server.url, "region": MOTO_REGION,
                       "buckets": [BUCKET], "addressing_style": "path", "max_attempts": 1, "connect_timeout": 2}]
    reference = run(estate.config("reference"))
    assert reference.exit_code == 0 and reference.units_total == OBJECTS
    want = map_dump(estate.map_url("reference"), estate.key_file)
    assert len(want["findings"]) >= 3 * 25 * OBJECTS

    restarts: list[threading.Thread] = []

    def stop_and_restart() -> None:
        server.stop()

        def later() -> None:
            time.sleep(1.0)
            server.start()

        restarts.append(threading.Thread(target=later))
        restarts[-1].start()

    # 1. no retries: the objects read while the endpoint is down fail with the reason, exit code partial
    cfg = estate.config("faulted", retries=0)
    fault = fault_after(monkeypatch, S3Connector, Fault(stop_and_restart, after=AFTER, unit=2))
    summary = run(cfg)
    restarts[-1].join(90)
    assert fault.fired and server.starts == 2
    failed = assert_accounted(cfg, summary, listed=OBJECTS)
    assert failed and summary.exit_code == 3
    assert all(f["reason"].endswith("cannot connect to the endpoint") for f in failed), failed
    assert not {f"{BUCKET}/exports/kunder-{i}.csv" for i in range(2)} & {f["key"] for f in failed}
    # the same command, once the endpoint is back, reads what failed and completes the map
    again = run(cfg)
    assert again.exit_code == 0 and again.units_scanned == len(failed)
    assert_same_map(map_dump(cfg.datamap_url, estate.key_file), want)

    # 2. with retries: the units are read again once the endpoint is back, the scan completes
    cfg = estate.config("retried", retries=6, retry_backoff=0.3)
    fault = fault_after(monkeypatch, S3Connector, Fault(stop_and_restart, after=AFTER, unit=2))
    summary = run(cfg)
    restarts[-1].join(90)
    assert fault.fired and server.starts == 3
    assert_accounted(cfg, summary, listed=OBJECTS)
    assert summary.exit_code == 0 and summary.units_retried >= 1
    assert_same_map(map_dump(cfg.datamap_url, estate.key_file), want)
