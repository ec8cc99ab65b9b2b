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


# --- S3: a real S3 HTTP endpoint on loopback (moto in server mode, its own process) ---------------

MOTO_ACCESS_KEY = "AKIAPIISCANTESTKEY01"  # dummy credentials: moto accepts any
MOTO_SECRET_KEY = "pii-scan-dummy-secret/K7MDENG+bPxRfiCY"
MOTO_REGION = "eu-north-1"


@pytest.fixture(scope="session")
def moto_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``moto_server`` started as a subprocess on a free loopback port; yields its endpoint URL.

    boto3 talks to it over HTTP exactly as to AWS (no in-process mocking).
    """
    import importlib.util
    import subprocess
    import sys
    import time

    # only looked up, never imported here: moto must not hook into this process's botocore
    if importlib.util.find_spec("moto") is None or importlib.util.find_spec("flask") is None:
        need_service("moto server", "moto is not installed (pip install 'moto[server]')")
    port = free_port()
    log = open(tmp_path_factory.mktemp("moto") / "moto.log", "w")  # noqa: SIM115
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    proc = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=log, stderr=subprocess.STDOUT, env=env,
    )
    deadline = time.time() + 30
    while not port_open("127.0.0.1", port, timeout=0.2):
        if proc.poll() is not None or time.time() > deadline:
            proc.kill()
            need_service("moto server", "did not start (see moto.log)")
        time.sleep(0.1)
    yield f"http://127.0.0.1:{port}"
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
    log.close()


@pytest.fixture
def moto_s3(moto_server: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """The moto endpoint, emptied for this test, with dummy AWS credentials in the environment.

    The AWS config files and profile variables are pointed away so that no real
    credential or setting of this machine is used.
    """
    import urllib.request

    for var in list(os.environ):
        if var.startswith("AWS_"):
            monkeypatch.delenv(var)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", MOTO_ACCESS_KEY)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", MOTO_SECRET_KEY)
    monkeypatch.setenv("AWS_DEFAULT_REGION", MOTO_REGION)
    monkeypatch.setenv("AWS_CONFIG_FILE", os.devnull)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", os.devnull)
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    req = urllib.request.Request(moto_server + "/moto-api/reset", method="POST")
    with urllib.request.urlopen(req, timeout=10) as resp:
        resp.read()
    return moto_server


# --- Dovecot (IMAP) -------------------------------------------------------------------------------


class Dovecot:
    """A real Dovecot on loopback, started from a generated config as a foreground process.

    ``port`` speaks plain IMAP and STARTTLS, ``tls_port`` IMAPS; both present a
    self-signed certificate for 127.0.0.1 (``ca_file``). Users live in a
    passwd-file with plain passwords (:meth:`add_user`, picked up without a
    restart); mail in ``<root>/mail/<user>`` (Maildir).
    """

    def __init__(self, root: str, port: int, tls_port: int, ca_file: str, passwd: str, proc: object) -> None:
        self.host = "127.0.0.1"
        self.root = root
        self.port = port
        self.tls_port = tls_port
        self.ca_file = ca_file
        self.passwd = passwd
        self.proc = proc
        self._pool: list[tuple[str, str]] = []

    @staticmethod
    def make_users(passwd: str, n: int) -> list[tuple[str, str]]:
        """Write ``n`` fresh accounts to the passwd-file (before the start: Dovecot notices changes only per second)."""
        import secrets

        users = [("u" + uuid.uuid4().hex[:10], secrets.token_urlsafe(12)) for _ in range(n)]
        with open(passwd, "a", encoding="utf-8") as fh:
            fh.writelines(f"{name}:{{PLAIN}}{password}::::::\n" for name, password in users)
        return users

    def add_user(self) -> tuple[str, str]:
        """A fresh account (user, password) with an empty INBOX."""
        if not self._pool:
            import time

            self._pool = self.make_users(self.passwd, 16)
            time.sleep(1.1)  # let the file's mtime tell Dovecot to re-read it
        return self._pool.pop()

    def client(self, user: str, password: str):  # noqa: ANN201 - an imapclient.IMAPClient, read-write, for test setup
        from imapclient import IMAPClient

        c = IMAPClient(self.host, port=self.port, ssl=False, timeout=30)
        c.login(user, password)
        return c

    def stop(self) -> None:
        import shutil
        import subprocess

        self.proc.terminate()  # type: ignore[attr-defined]
        try:
            self.proc.wait(timeout=15)  # type: ignore[attr-defined]
        except subprocess.TimeoutExpired:
            self.proc.kill()  # type: ignore[attr-defined]
            self.proc.wait()  # type: ignore[attr-defined]
        shutil.rmtree(self.root, ignore_errors=True)

    def imap_pids(self, user: str) -> list[int]:
        """PIDs of the ``imap`` processes serving ``user`` (the process title names the user)."""
        import psutil

        out = []
        for child in psutil.Process(self.proc.pid).children(recursive=True):  # type: ignore[attr-defined]
            try:
                cmd = " ".join(child.cmdline())
            except psutil.Error:
                continue
            if "imap" in cmd and "login" not in cmd and f"[{user} " in cmd:
                out.append(child.pid)
        return out


def _self_signed_cert(root: str) -> tuple[str, str]:
    import datetime as dt
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "pii-scan test IMAP")])
    now = dt.datetime.now(dt.timezone.utc)
    cert = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1)).not_valid_after(now + dt.timedelta(days=30))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = os.path.join(root, "cert.pem"), os.path.join(root, "key.pem")
    with open(cert_path, "wb") as fh:
        fh.write(cert.public_bytes(serialization.Encoding.PEM))
    with open(key_path, "wb") as fh:
        fh.write(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    os.chmod(key_path, 0o600)
    return cert_path, key_path


def dovecot_binary() -> str | None:
    import shutil

    return shutil.which("dovecot") or shutil.which("dovecot", path="/usr/sbin:/usr/local/sbin")


def start_dovecot(exe: str, users: int = 64) -> Dovecot:
    """Start Dovecot in the foreground (``dovecot -F -c <generated config>``) in a new temporary folder.

    Raises RuntimeError with the end of its log when it does not come up.
    Stop it with :meth:`Dovecot.stop`.
    """
    import pwd
    import shutil
    import subprocess
    import tempfile
    import time

    root = tempfile.mkdtemp(prefix="pii-dovecot-")  # not under pytest's 0700 tmp: the mail user must reach it
    os.chmod(root, 0o755)
    if os.getuid() == 0:  # Dovecot refuses mail access as root: the mail belongs to nobody
        mail = pwd.getpwnam("nobody")
        uid, gid = mail.pw_uid, mail.pw_gid
        login_user, internal_user = "dovenull", "dovecot"
    else:
        uid, gid = os.getuid(), os.getgid()
        login_user = internal_user = pwd.getpwuid(uid).pw_name
    for sub in ("mail", "home"):
        os.makedirs(os.path.join(root, sub))
        if os.getuid() == 0:
            os.chown(os.path.join(root, sub), uid, gid)
    cert, key = _self_signed_cert(root)
    passwd = os.path.join(root, "passwd")
    open(passwd, "w").close()
    pool = Dovecot.make_users(passwd, users)
    port, tls_port = free_port(), free_port()
    while tls_port == port:
        tls_port = free_port()
    conf = os.path.join(root, "dovecot.conf")
    with open(conf, "w", encoding="utf-8") as fh:
        fh.write(f"""
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = yes
ssl_cert = <{cert}
ssl_key = <{key}
disable_plaintext_auth = no
auth_mechanisms = plain login
auth_failure_delay = 0
login_trusted_networks = 127.0.0.0/8
mail_location = maildir:{root}/mail/%u
mail_uid = {uid}
mail_gid = {gid}
first_valid_uid = {min(uid, 1) if uid else 0}
first_valid_gid = 0
default_login_user = {login_user}
default_internal_user = {internal_user}
verbose_proctitle = yes
passdb {{
  driver = passwd-file
  args = scheme=PLAIN {passwd}
}}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={root}/home/%u
}}
namespace inbox {{
  inbox = yes
  separator = /
}}
service imap-login {{
  chroot =
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    address = 127.0.0.1
    port = {tls_port}
    ssl = yes
  }}
}}
service anvil {{
  chroot =
  unix_listener anvil-auth-penalty {{
    mode = 0
  }}
}}
service pop3-login {{
  chroot =
}}
""")
    log = open(os.path.join(root, "stdout.log"), "w")  # noqa: SIM115
    proc = subprocess.Popen([exe, "-F", "-c", conf], stdout=log, stderr=subprocess.STDOUT)
    log.close()
    deadline = time.time() + 20
    while time.time() < deadline and proc.poll() is None and not (port_open("127.0.0.1", port) and port_open("127.0.0.1", tls_port)):
        time.sleep(0.1)
    if proc.poll() is not None or not port_open("127.0.0.1", port):
        proc.kill()
        proc.wait()
        text = ""
        for name in ("stdout.log", "dovecot.log"):
            try:
                with open(os.path.join(root, name), encoding="utf-8", errors="replace") as fh:
                    text += fh.read()[-1500:]
            except OSError:
                pass
        shutil.rmtree(root, ignore_errors=True)
        raise RuntimeError(f"did not start: {text.strip()[-1500:]}")
    server = Dovecot(root, port, tls_port, cert, passwd, proc)
    server._pool = pool
    return server


@pytest.fixture(scope="session")
def dovecot() -> Iterator[Dovecot]:
    """A Dovecot IMAP server for the session (Debian: ``apt-get install dovecot-imapd``)."""
    exe = dovecot_binary()
    if exe is None:
        need_service("Dovecot", "the 'dovecot' binary is not installed (apt-get install dovecot-imapd)")
    try:
        server = start_dovecot(exe)  # type: ignore[arg-type]
    except RuntimeError as exc:
        need_service("Dovecot", str(exc))
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def imap_user(dovecot: Dovecot) -> tuple[str, str]:
    """A fresh IMAP account (user, password) with an empty INBOX."""
    return dovecot.add_user()
