"""Shared fixtures: real services on loopback, or a loud failure under CI."""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Iterator

import pytest

ON_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")

PG_URL = os.environ.get("PII_SCAN_TEST_PG", "postgresql+psycopg2://postgres@127.0.0.1:5432/test")
MARIADB_URL = os.environ.get("PII_SCAN_TEST_MARIADB", "mysql+pymysql://root@127.0.0.1:3306/test")


def need_service(what: str, reason: str) -> None:
    """Fail under CI (a missing service is a broken CI), skip with a reason elsewhere."""
    msg = f"{what} is not available: {reason}"
    if ON_CI:
        pytest.fail(msg + " (CI=true: services must be up; .ci/run starts them)")
    pytest.skip(msg)


def port_open(host: str, port: int, timeout: float = 1.0) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def pg_server_url() -> str:
    if not port_open("127.0.0.1", 5432):
        need_service("PostgreSQL on 127.0.0.1:5432", "port closed")
    return PG_URL


@pytest.fixture(scope="session")
def mariadb_server_url() -> str:
    if not port_open("127.0.0.1", 3306):
        need_service("MariaDB on 127.0.0.1:3306", "port closed")
    return MARIADB_URL


@pytest.fixture
def pg_url(pg_server_url: str) -> Iterator[str]:
    """A fresh PostgreSQL database for one test, dropped afterwards."""
    import sqlalchemy as sa

    name = "piitest_" + uuid.uuid4().hex[:10]
    admin = sa.create_engine(pg_server_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as c:
            c.execute(sa.text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:  # noqa: BLE001
        admin.dispose()
        need_service("PostgreSQL", f"cannot create a database: {type(exc).__name__}")
    url = pg_server_url.rsplit("/", 1)[0] + "/" + name
    yield url
    with admin.connect() as c:
        c.execute(sa.text(f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}' AND pid <> pg_backend_pid()"))
        c.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}"'))
    admin.dispose()


@pytest.fixture
def mariadb_url(mariadb_server_url: str) -> Iterator[str]:
    """A fresh MariaDB database for one test, dropped afterwards."""
    import sqlalchemy as sa

    name = "piitest_" + uuid.uuid4().hex[:10]
    admin = sa.create_engine(mariadb_server_url)
    try:
        with admin.begin() as c:
            c.execute(sa.text(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4"))
    except Exception as exc:  # noqa: BLE001
        admin.dispose()
        need_service("MariaDB", f"cannot create a database: {type(exc).__name__}")
    url = mariadb_server_url.rsplit("/", 1)[0] + "/" + name + "?charset=utf8mb4"
    yield url
    with admin.begin() as c:
        c.execute(sa.text(f"DROP DATABASE IF EXISTS `{name}`"))
    admin.dispose()


@pytest.fixture(scope="session")
def dask_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real ``dask scheduler`` with two ``dask worker`` processes on loopback."""
    import shutil
    import subprocess
    import sys
    import time

    exe = shutil.which("dask", path=os.path.dirname(sys.executable)) or shutil.which("dask")
    if exe is None:
        need_service("dask CLI", "the 'dask' command is not installed (pip install 'dask[distributed]')")
    port = free_port()
    addr = f"tcp://127.0.0.1:{port}"
    logdir = tmp_path_factory.mktemp("dask")
    procs = []
    env = dict(os.environ, DASK_DISTRIBUTED__WORKER__DAEMON="False")
    sched_log = open(logdir / "scheduler.log", "w")  # noqa: SIM115
    procs.append(subprocess.Popen(
        [exe, "scheduler", "--host", "127.0.0.1", "--port", str(port), "--no-dashboard"],
        stdout=sched_log, stderr=subprocess.STDOUT, env=env,
    ))
    deadline = time.time() + 30
    while not port_open("127.0.0.1", port) and time.time() < deadline:
        time.sleep(0.2)
    for i in range(2):
        log = open(logdir / f"worker{i}.log", "w")  # noqa: SIM115
        procs.append(subprocess.Popen(
            [exe, "worker", addr, "--nthreads", "1", "--nworkers", "1", "--no-dashboard",
             "--host", "127.0.0.1", "--name", f"w{i}"],
            stdout=log, stderr=subprocess.STDOUT, env=env,
        ))
    try:
        from dask.distributed import Client

        with Client(addr, timeout="30s") as c:
            c.wait_for_workers(2, timeout=60)
    except Exception as exc:  # noqa: BLE001
        for p in procs:
            p.kill()
        need_service("dask cluster", f"did not come up: {type(exc).__name__}")
    yield addr
    for p in reversed(procs):
        p.terminate()
    for p in procs:
        try:
            p.wait(timeout=20)
        except subprocess.TimeoutExpired:
            p.kill()
