"""The IMAP connector against a real Dovecot (tests/conftest.py starts it): units, reading, TLS, damage, end to end."""

from __future__ import annotations

import os
import socket
import textwrap
import time
from datetime import datetime
from pathlib import Path

import pytest

from connectors.base import ConfigError, ConnectorError, Record
from connectors.imap import ImapConnector, uid_ranges
from connectors.registry import build
from tests.conftest import Dovecot
from tests.connectors.contract import ConnectorContract
from tests.connectors.fileutil import PHONE, PNR
from tests.connectors.mailutil import SENDER, as_bytes, mbox_bytes, message, rich_message

ENV = "PII_SCAN_TEST_IMAP_PASSWORD"


def crlf(raw: bytes) -> bytes:
    return raw.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")


def deliver(server: Dovecot, user: tuple[str, str], folder: str, messages: list[bytes]) -> None:
    c = server.client(*user)
    try:
        if folder != "INBOX" and not c.folder_exists(folder):
            c.create_folder(folder)
        for raw in messages:
            c.append(folder, crlf(raw))
    finally:
        c.logout()


def imap(server: Dovecot, user: tuple[str, str], monkeypatch: pytest.MonkeyPatch, **config) -> ImapConnector:
    monkeypatch.setenv(ENV, user[1])
    cfg = {"type": "imap", "host": server.host, "port": server.port, "username": user[0], "password_env": ENV, "tls": "none"}
    cfg.update(config)
    return ImapConnector("support", cfg)


def read_unit(c: ImapConnector, unit) -> tuple[list[Record], str | None]:  # noqa: ANN001
    out: list[Record] = []
    try:
        for r in c.read(unit):
            out.append(r)
    except ConnectorError as exc:
        return out, str(exc)
    return out, None


@pytest.fixture
def account(dovecot: Dovecot, imap_user: tuple[str, str]) -> tuple[str, str]:
    deliver(dovecot, imap_user, "INBOX", [as_bytes(rich_message(1)), as_bytes(message(2))])
    deliver(dovecot, imap_user, "Sent", [as_bytes(message(3, message_id=None))])
    return imap_user


class TestContract(ConnectorContract):
    @pytest.fixture
    def connector(self, dovecot: Dovecot, account: tuple[str, str], monkeypatch: pytest.MonkeyPatch) -> ImapConnector:
        return imap(dovecot, account, monkeypatch)

    @pytest.fixture
    def secret(self, account: tuple[str, str]) -> str:
        return account[1]


# --- config -------------------------------------------------------------------------------------


def test_config_refuses_a_literal_password_and_checks_keys() -> None:
    base = {"type": "imap", "host": "127.0.0.1", "username": "u", "password_env": ENV}
    with pytest.raises(ConfigError, match="password_env"):
        ImapConnector("s", {**base, "password": "hemligt"})
    for broken in ({"tls": "maybe"}, {"password_env": "not a name"}, {"folders": "INBOX" and 7}, {"uids_per_unit": 0}):
        with pytest.raises(ConfigError):
            ImapConnector("s", {**base, **broken})
    assert ImapConnector("s", base).port == 993 and ImapConnector("s", {**base, "tls": "starttls"}).port == 143
    assert isinstance(build("s", base), ImapConnector)


def test_missing_env_and_wrong_password(dovecot: Dovecot, account: tuple[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    c = imap(dovecot, account, monkeypatch)
    monkeypatch.delenv(ENV)
    with pytest.raises(ConnectorError, match=ENV):
        list(c.units())
    monkeypatch.setenv(ENV, "fel-lösenord-" + account[1])
    with pytest.raises(ConnectorError, match="refused the login") as err:
        list(c.units())
    assert account[1] not in str(err.value)


# --- listing and reading ------------------------------------------------------------------------


def test_records_and_locations(dovecot: Dovecot, account: tuple[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    c = imap(dovecot, account, monkeypatch)
    units = list(c.units())
    assert [u.key for u in units] == ["INBOX#uid:1-500", "Sent#uid:1-500"]
    assert [u.size for u in units] == [2, 1]
    records: list[Record] = []
    for u in units:
        got, err = read_unit(c, u)
        assert err is None
        records.extend(got)
    c.close()
    triples = {(r.location.container, r.location.item, f, t) for r in records for f, t in r.fields}
    item = "1.20240502@mail.example.se"
    assert {
        ("INBOX", item, "header:From", f"Åsa Öberg <{SENDER}>"),
        ("INBOX", item, "body", f"Hej! Ring mig på {PHONE}.\n"),
        ("INBOX", item, "attachment:kunder.csv!line 2:Personnummer", PNR),
        ("INBOX", item, "attachment:avtal.pdf!p1:text", f"Avtal for {PNR}"),
        ("INBOX", "2.20240503@mail.example.se", "header:Subject", "Kundlista"),
    } <= triples
    assert any(r.location.container == "Sent" and r.location.item.startswith("sha256:") for r in records)
    assert all(r.location.store == "mail" and r.location.source == "support" for r in records)
    assert {r.record_date for r in records} == {datetime(2024, 5, 1, 8, 30)}
    # the hash item of a mail without Message-ID is the same as from a file
    from connectors.mime import fallback_item

    assert fallback_item(as_bytes(message(3, message_id=None))) in {r.location.item for r in records if r.location.container == "Sent"}


def test_reading_is_read_only(dovecot: Dovecot, account: tuple[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    c = imap(dovecot, account, monkeypatch)
    for u in c.units():
        assert read_unit(c, u)[1] is None
    c.close()
    check = dovecot.client(*account)
    check.select_folder("INBOX", readonly=True)
    assert check.search(["UNSEEN"]) == check.search(["ALL"])  # BODY.PEEK + EXAMINE: nothing marked \\Seen
    check.logout()


def test_uid_ranges_cover_every_message_exactly_once(dovecot: Dovecot, imap_user: tuple[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    deliver(dovecot, imap_user, "INBOX", [as_bytes(message(i, body=f"nr {i}\n")) for i in range(1, 31)])
    admin = dovecot.client(*imap_user)
    admin.select_folder("INBOX")
    admin.delete_messages([3, 4, 5, 6, 7, 8, 17])  # holes: buckets 5-8 empty, others sparse
    admin.expunge()
    admin.logout()
    c = imap(dovecot, imap_user, monkeypatch, uids_per_unit=4, fetch_messages=3)
    units = list(c.units())
    ranges = [(u.param("lo"), u.param("hi")) for u in units]
    assert all(hi - lo + 1 >= 4 and lo % 4 == 1 for lo, hi in ranges)
    assert all(a[1] < b[0] for a, b in zip(ranges, ranges[1:]))  # disjoint, ascending
    assert sum(u.size for u in units) == 23
    items: list[str] = []
    for u in units:
        got, err = read_unit(c, u)
        assert err is None
        items.extend(dict.fromkeys(r.location.item for r in got))
    c.close()
    expected = [f"{i}.{20240501 + i}@mail.example.se" for i in range(1, 31) if i not in (3, 4, 5, 6, 7, 8, 17)]
    assert sorted(items) == sorted(expected) and len(items) == len(set(items))


def test_uid_ranges_function() -> None:
    assert uid_ranges([], 10) == []
    uids = [1, 2, 50, 51, 52, 300, 1000, 1001]
    out = uid_ranges(uids, 2)
    assert sorted(u for _, _, us in out for u in us) == uids
    assert all(len(us) <= 2 for _, _, us in out)


def test_uidvalidity_change_changes_fingerprints(dovecot: Dovecot, imap_user: tuple[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    deliver(dovecot, imap_user, "Arkiv", [as_bytes(message(i)) for i in range(1, 4)])
    c = imap(dovecot, imap_user, monkeypatch, folders=["Arkiv"])
    before = list(c.units())
    assert {u.key: u.fingerprint for u in before} == {u.key: u.fingerprint for u in c.units()}
    c.close()
    admin = dovecot.client(*imap_user)
    admin.delete_folder("Arkiv")
    admin.logout()
    time.sleep(1.1)  # Dovecot's UIDVALIDITY is time based
    deliver(dovecot, imap_user, "Arkiv", [as_bytes(message(i)) for i in range(1, 4)])
    after = list(c.units())
    assert [u.key for u in after] == [u.key for u in before]
    assert after[0].param("uidvalidity") != before[0].param("uidvalidity")
    assert after[0].fingerprint != before[0].fingerprint
    # a unit listed before the change refuses to read the recreated folder
    got, err = read_unit(c, before[0])
    assert got == [] and err is not None and "UIDVALIDITY changed" in err
    c.close()


def test_missing_folder_is_a_unit_error(dovecot: Dovecot, account: tuple[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    c = imap(dovecot, account, monkeypatch, folders=["INBOX", "Finns inte"])
    units = list(c.units())
    assert [u.key for u in units] == ["INBOX#uid:1-500", "Finns inte#"]
    _, err = read_unit(c, units[1])
    assert err is not None and "cannot open folder" in err
    c.close()


def test_corrupt_and_undecodable_messages_are_reported(dovecot: Dovecot, imap_user: tuple[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    garbage = b"\x89PNG trasigt 070-174 06 05\r\n\x00\x01\r\n"
    undecodable = b"Message-ID: <u@example.se>\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nTrasig \xe5\xe4\xf6 text\r\n"
    deliver(dovecot, imap_user, "INBOX", [as_bytes(message(1)), garbage, undecodable, as_bytes(message(4))])
    c = imap(dovecot, imap_user, monkeypatch)
    (unit,) = list(c.units())
    got, err = read_unit(c, unit)
    c.close()
    # UID 3's wrong charset label loses nothing (read as cp1252): no damage to report
    assert err is not None and "UID 2" in err and "UID 3" not in err and "070" not in err
    items = {r.location.item for r in got}
    assert {"1.20240502@mail.example.se", "u@example.se", "4.20240505@mail.example.se"} <= items
    assert any("070-174 06 05" in t for r in got for _, t in r.fields)
    assert {t for r in got if r.location.item == "u@example.se" for f, t in r.fields if f == "body"} == {"Trasig åäö text\n"}


# --- dropped connections ------------------------------------------------------------------------


def test_dropped_connection_mid_read(dovecot: Dovecot, imap_user: tuple[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    deliver(dovecot, imap_user, "INBOX", [as_bytes(message(i)) for i in range(1, 11)])
    c = imap(dovecot, imap_user, monkeypatch, fetch_messages=2)
    (unit,) = list(c.units())
    c.close()
    got: list[Record] = []
    dropped = False
    with pytest.raises(ConnectorError) as err:
        for r in c.read(unit):
            got.append(r)
            if not dropped and len({x.location.item for x in got}) == 3:
                c._client.socket().shutdown(socket.SHUT_RDWR)  # the network goes away
                dropped = True
    assert "connection lost after 4 of 10 messages" in str(err.value)
    assert len({r.location.item for r in got}) == 4  # the fetched batches were all yielded
    # a later read opens a new connection and reads the whole unit
    again, e2 = read_unit(c, unit)
    assert e2 is None and len({r.location.item for r in again}) == 10
    c.close()


def test_killed_server_process_mid_read(dovecot: Dovecot, imap_user: tuple[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    import signal

    deliver(dovecot, imap_user, "INBOX", [as_bytes(message(i)) for i in range(1, 9)])
    c = imap(dovecot, imap_user, monkeypatch, fetch_messages=2)
    (unit,) = list(c.units())
    got: list[Record] = []
    killed: list[int] = []
    with pytest.raises(ConnectorError, match="connection lost"):
        for r in c.read(unit):
            got.append(r)
            if not killed:
                killed = dovecot.imap_pids(imap_user[0])
                assert killed, "the imap process serving this user was not found"
                for pid in killed:
                    os.kill(pid, signal.SIGKILL)
    assert 1 <= len({r.location.item for r in got}) < 8
    c.close()


# --- TLS ----------------------------------------------------------------------------------------


def test_starttls_and_imaps(dovecot: Dovecot, account: tuple[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    for tls, port in (("starttls", dovecot.port), ("ssl", dovecot.tls_port)):
        c = imap(dovecot, account, monkeypatch, tls=tls, port=port, ca_file=dovecot.ca_file)
        unit = next(iter(c.units()))
        got, err = read_unit(c, unit)
        assert err is None and got
        c.close()
    untrusted = imap(dovecot, account, monkeypatch, tls="ssl", port=dovecot.tls_port)
    with pytest.raises(ConnectorError, match="cannot connect"):
        list(untrusted.units())
    insecure = imap(dovecot, account, monkeypatch, tls="ssl", port=dovecot.tls_port, verify_tls=False)
    assert list(insecure.units())
    insecure.close()


# --- end to end ---------------------------------------------------------------------------------


def test_engine_scans_mail_and_imap_then_lookup_finds_the_mail(
    dovecot: Dovecot, imap_user: tuple[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pii_scan.config import load
    from pii_scan.datamap import DataMap
    from pii_scan.engine import EXIT_COMPLETE, scan
    from pii_scan.keys import load_keys
    from pii_scan.lookup import lookup

    kund, kollega = "kund.karlsson@example.se", "anna.andersson@example.se"
    imap_mail = message(11, sender="support@example.se", to=f"Karl Karlsson <{kund}>", subject="Ditt ärende", body=f"Hej! Vi ringer {PHONE}.\n")
    deliver(dovecot, imap_user, "INBOX", [as_bytes(imap_mail)])
    arkiv = tmp_path / "arkiv"
    arkiv.mkdir()
    file_mail = message(12, sender=kund, to=kollega, body=f"Mitt personnummer är {PNR}.\n")
    (arkiv / "2024.mbox").write_bytes(mbox_bytes([as_bytes(file_mail)], envelope=kund))
    monkeypatch.setenv(ENV, imap_user[1])
    monkeypatch.delenv("PII_SCAN_KEY", raising=False)
    cfg_path = tmp_path / "pii-scan.toml"
    cfg_path.write_text(
        textwrap.dedent(
            f"""
            [datamap]
            url = "sqlite:///datamap.sqlite"
            [[sources]]
            name = "arkiv"
            type = "mail"
            path = "arkiv"
            [[sources]]
            name = "support"
            type = "imap"
            host = "{dovecot.host}"
            port = {dovecot.port}
            username = "{imap_user[0]}"
            password_env = "{ENV}"
            tls = "none"
            """
        )
    )
    cfg = load(cfg_path)
    summary = scan(cfg, scheduler="sync", progress=False)
    assert summary.exit_code == EXIT_COMPLETE, summary.failures
    dm = DataMap(cfg.datamap_url)
    try:
        locs = lookup(dm, load_keys(cfg.key_file), "email", kund.upper())
        colleague = lookup(dm, load_keys(cfg.key_file), "email", kollega)
    finally:
        dm.close()
    # a recipient is found in the mail, but not merged with its sender: the support mailbox's mail to the
    # sender is not the colleague's
    assert {(l.source, l.field, l.reached) for l in colleague} == {("arkiv", "header:To", "direct")}
    assert not any(l.reached == "linked" for l in locs)
    direct = {(l.store, l.source, l.container, l.field) for l in locs if l.reached == "direct"}
    assert ("mail", "support", "INBOX", "header:To") in direct
    assert ("mail", "arkiv", "2024.mbox", "header:From") in direct
    assert ("mail", "arkiv", "2024.mbox", "envelope:From") in direct
    items = {(l.source, l.item) for l in locs if l.reached == "direct"}
    # items are the Message-IDs; the data map masks what looks like an identifier in them
    assert {s for s, _ in items} == {"arkiv", "support"}
    assert all("@mail.example.se" in i for _, i in items), items
    blob = (tmp_path / "datamap.sqlite").read_bytes()
    assert kund.encode() not in blob and PNR.replace("-", "").encode() not in blob


def test_oversize_message_is_fetched_as_header_only(dovecot: Dovecot, imap_user: tuple[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    deliver(dovecot, imap_user, "INBOX", [as_bytes(message(1)), as_bytes(message(2, body="x" * 200_000 + f"\n{PNR}\n")), as_bytes(message(3))])
    c = imap(dovecot, imap_user, monkeypatch, max_message_bytes=100_000)
    (unit,) = list(c.units())
    got, err = read_unit(c, unit)
    c.close()
    assert err is not None and "UID 2" in err and "larger than max_message_bytes" in err
    f2 = {f: t for r in got if r.location.item == "2.20240503@mail.example.se" for f, t in r.fields}
    assert f2["header:From"] and "body" not in f2
    assert {r.location.item for r in got} >= {"1.20240502@mail.example.se", "3.20240504@mail.example.se"}
