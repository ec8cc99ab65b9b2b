"""IMAP: the connection dropped mid-mailbox (the user's Dovecot ``imap`` process killed with SIGKILL).

Dovecot serves each login from its own ``imap`` process; killing the scanning
user's process drops exactly the scanner's connection, as a server restart or
a network failure would, and leaves the Dovecot shared by the other tests up.
"""

from __future__ import annotations

import os
import signal

import pytest

from connectors.imap import ImapConnector
from tests.conftest import Dovecot
from tests.connectors.mailutil import as_bytes, message
from tests.faults.conftest import Estate, Fault, assert_accounted, assert_same_map, fault_after, map_dump, people, run

ENV = "PII_SCAN_FAULT_IMAP_PASSWORD"
MESSAGES = 45
PER_UNIT = 15  # three UID-range units
AFTER = 12  # records (headers, bodies, attachments) of a unit read before the connection drops


def deliver(server: Dovecot, user: tuple[str, str]) -> None:
    c = server.client(*user)
    try:
        for i, p in enumerate(people(MESSAGES, seed=11)):
            msg = message(
                i + 1, sender=p.email, to="kundtjanst@example.se", subject=f"Ärende {i + 1}",
                body=f"Hej! Mitt personnummer är {p.pnr}, ring mig på {p.phone}.\n",
                attachments={"uppgifter.csv": f"Namn;Personnummer\n{p.name};{p.pnr}\n".encode()} if i % 5 == 0 else None,
                date=f"Wed, {1 + i % 28:02d} May 2024 10:30:00 +0200",
            )
            c.append("INBOX", as_bytes(msg).replace(b"\n", b"\r\n"))
    finally:
        c.logout()


def test_connection_dropped_mid_mailbox(estate: Estate, dovecot: Dovecot, imap_user: tuple[str, str],
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    deliver(dovecot, imap_user)
    monkeypatch.setenv(ENV, imap_user[1])
    estate.sources = [{"name": "support", "type": "imap", "host": dovecot.host, "port": dovecot.port, "tls": "none",
                       "username": imap_user[0], "password_env": ENV, "uids_per_unit": PER_UNIT, "fetch_messages": 3}]
    reference = run(estate.config("reference"))
    assert reference.exit_code == 0 and reference.units_total == MESSAGES // PER_UNIT
    want = map_dump(estate.map_url("reference"), estate.key_file)
    assert len(want["records"]) == MESSAGES and len(want["findings"]) >= 3 * MESSAGES

    killed: list[int] = []

    def drop() -> None:
        pids = dovecot.imap_pids(imap_user[0])
        assert pids, "no imap process of the scanning user"
        for pid in pids:
            os.kill(pid, signal.SIGKILL)
            killed.append(pid)

    # 1. no retries: the unit fails naming how far it got, the others are read, exit code partial
    cfg = estate.config("faulted", retries=0)
    fault = fault_after(monkeypatch, ImapConnector, Fault(drop, after=AFTER, unit=1))
    summary = run(cfg)
    assert fault.fired and killed
    failed = assert_accounted(cfg, summary, listed=3)
    assert [f["key"] for f in failed] == [f"INBOX#uid:{PER_UNIT + 1}-{2 * PER_UNIT}"]
    assert "connection lost after" in failed[0]["reason"] and f"of {PER_UNIT} messages" in failed[0]["reason"]
    assert summary.exit_code == 3
    again = run(cfg)
    assert again.exit_code == 0 and (again.units_scanned, again.units_skipped) == (1, 2)
    assert_same_map(map_dump(cfg.datamap_url, estate.key_file), want)

    # 2. with retries: the unit is read again on a new connection, the scan completes
    killed.clear()
    cfg = estate.config("retried", retries=3, retry_backoff=0.2)
    fault = fault_after(monkeypatch, ImapConnector, Fault(drop, after=AFTER, unit=2))
    summary = run(cfg)
    assert fault.fired and killed
    assert_accounted(cfg, summary, listed=3)
    assert summary.exit_code == 0 and summary.units_retried == 1
    assert_same_map(map_dump(cfg.datamap_url, estate.key_file), want)
