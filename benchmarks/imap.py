"""Throughput of the IMAP connector against a local Dovecot: messages/s, read only and with detection.

Starts a Dovecot on loopback (the same generated config as the tests'
``dovecot`` fixture: ``tests/conftest.py``; needs ``apt-get install
dovecot-imapd``), creates an account, APPENDs ``--messages`` fictional mails
made by the mbox benchmark's generator (``benchmarks/mbox.py``: plain, HTML
and attachments), and scans the account:

* ``read``: ``ImapConnector.units()`` + ``read()`` in this process (login,
  EXAMINE, UID SEARCH, FETCH BODY.PEEK[] in batches, MIME walking, attachment
  readers);
* ``detect``: ``pii_scan.worker.scan_unit`` per unit in this process (one core);
* ``engine``: ``pii_scan.engine.scan`` on the local Dask cluster (one worker
  per core; each unit opens its own IMAP connection).

Prints messages/s, MB/s (RFC822 sizes) and peak RSS as the mbox benchmark does.

Usage::

    .venv/bin/python benchmarks/imap.py                 # 3000 messages
    .venv/bin/python benchmarks/imap.py --messages 10000 --uids-per-unit 1000
    .venv/bin/python benchmarks/imap.py --host 127.0.0.1 --port 143 --user u --password-env IMAP_PASSWORD
        # an existing server and account (read only: nothing is appended; the account's mail is scanned)
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

from mbox import MailGen, MemorySampler, count_messages, report  # noqa: E402

ENV = "PII_SCAN_BENCH_IMAP_PASSWORD"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--messages", type=int, default=3000)
    ap.add_argument("--modes", default="read,detect,engine")
    ap.add_argument("--uids-per-unit", type=int, default=500)
    ap.add_argument("--workers", type=int, default=None)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--host")
    ap.add_argument("--port", type=int, default=143)
    ap.add_argument("--user")
    ap.add_argument("--password-env")
    args = ap.parse_args(argv)
    modes = [m.strip() for m in args.modes.split(",") if m.strip()]

    server = None
    if args.host:
        host, port, user, env = args.host, args.port, args.user, args.password_env
        if not (user and env):
            ap.error("--host needs --user and --password-env")
        nbytes = 0
    else:
        from tests.conftest import dovecot_binary, start_dovecot

        exe = dovecot_binary()
        if exe is None:
            print("dovecot is not installed (apt-get install dovecot-imapd)", file=sys.stderr)
            return 2
        server = start_dovecot(exe, users=1)
        host, port = server.host, server.port
        user, password = server.add_user()
        env = ENV
        os.environ[env] = password
        gen = MailGen(args.seed)
        client = server.client(user, password)
        t0 = time.perf_counter()
        nbytes = 0
        batch: list[bytes] = []
        for n in range(1, args.messages + 1):
            raw = gen.message(n).replace(b"\n", b"\r\n")
            nbytes += len(raw)
            batch.append(raw)
            if len(batch) == 100 or n == args.messages:
                client.multiappend("INBOX", batch)
                batch = []
        client.logout()
        dt = time.perf_counter() - t0
        print(f"appended {args.messages} messages ({nbytes / 1e6:.0f} MB) in {dt:.1f} s = {args.messages / dt:,.0f} messages/s", flush=True)
    source = {"type": "imap", "host": host, "port": port, "username": user, "password_env": env, "tls": "none",
              "uids_per_unit": args.uids_per_unit}
    try:
        from connectors.base import ConnectorError
        from connectors.imap import ImapConnector

        if "read" in modes:
            conn = ImapConnector("bench", source)
            msgs = recs = failed = 0
            with MemorySampler() as mem:
                t0 = time.perf_counter()
                units = list(conn.units())
                for unit in units:
                    try:
                        m, r = count_messages(conn.read(unit))
                    except ConnectorError:
                        failed += 1
                        continue
                    msgs += m
                    recs += r
                conn.close()
                dt = time.perf_counter() - t0
            report("read", msgs, nbytes, dt, mem, f", {recs} records, {len(units)} units, {failed} failed")
        total = sum(u.size for u in ImapConnector("bench", source).units())
        if "detect" in modes:
            from pii_scan.worker import ScanSettings, scan_unit

            conn = ImapConnector("bench", source)
            settings = ScanSettings(None, 0.5, False, b"\x00" * 32)
            findings = failed = 0
            with MemorySampler() as mem:
                t0 = time.perf_counter()
                units = list(conn.units())
                conn.close()
                for unit in units:
                    res = scan_unit(conn, unit, settings)
                    findings += sum(len(r.findings) for r in res.records)
                    failed += bool(res.error)
                dt = time.perf_counter() - t0
            report("detect", total, nbytes, dt, mem, f", {findings} findings, {failed} units failed")
        if "engine" in modes:
            from pii_scan.config import from_dict
            from pii_scan.engine import scan

            with tempfile.TemporaryDirectory(prefix="pii-bench-") as tmp:
                os.environ.pop("PII_SCAN_KEY", None)
                cfg = from_dict(
                    {"datamap": {"url": f"sqlite:///{tmp}/datamap.sqlite", "key_file": f"{tmp}/key"},
                     "sources": [{"name": "bench", **source}]},
                    base=Path(tmp),
                )
                with MemorySampler() as mem:
                    t0 = time.perf_counter()
                    summary = scan(cfg, workers=args.workers, progress=False)
                    dt = time.perf_counter() - t0
                report("engine", total, nbytes, dt, mem,
                       f", {summary.findings} findings, {summary.units_scanned} units, {summary.units_failed} failed")
    finally:
        if server is not None:
            server.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
