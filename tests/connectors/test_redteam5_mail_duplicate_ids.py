"""Red team 5: two messages of one mailbox with one Message-ID (a message saved twice, a client that reuses ids).

Both had the item ``same.4242@example.se``: one location, so the data map linked the
two senders as one person (a lookup by one listed the other's mail), and the access
report of the second sender read back the first sender's message too and showed that
other person's name and address unmasked, as the subject's own. The later message
now gets ``<Message-ID> sha256:<digest of its header>``.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from connectors.base import Limits, Location
from connectors.formats.core import Problems
from connectors.mail import MailConnector
from connectors.mime import MessageReader, fallback_item
from connectors.readback import read_back
from pii_scan.config import load
from pii_scan.datamap import DataMap
from pii_scan.engine import EXIT_COMPLETE, scan
from pii_scan.keys import load_keys
from pii_scan.lookup import lookup

MID = "same.4242@example.se"
SENDERS = ("karin.ek@example.se", "per.lund@example.se")


def _message(i: int) -> bytes:
    return (
        f"From: Kund {i} <{SENDERS[i]}>\nTo: support@example.se\nSubject: Nytt nummer\nMessage-ID: <{MID}>\n"
        f"Date: Mon, 06 May 2024 10:0{i}:00 +0200\n\nNytt nummer: 070-174 06 1{i}\n"
    ).encode()


def _maildir(root: Path) -> None:
    for sub in ("cur", "new", "tmp"):
        (root / sub).mkdir(parents=True)
    for i in range(2):
        (root / "cur" / f"170000000{i}.M{i}P1.host:2,S").write_bytes(_message(i))


def _items(conn: MailConnector) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for unit in conn.units():
        for rec in conn.read(unit):
            for f, t in rec.fields:
                if f == "header:From":
                    out.setdefault(rec.location.item, set()).add(t)
    return out


def test_a_maildirs_messages_with_one_message_id_are_two_items(tmp_path: Path) -> None:
    _maildir(tmp_path / "mail")
    got = _items(MailConnector("m", {"path": str(tmp_path / "mail")}))
    second = f"{MID} {fallback_item(_message(1))}"
    assert got == {MID: {f"Kund 0 <{SENDERS[0]}>"}, second: {f"Kund 1 <{SENDERS[1]}>"}}, got
    again = _items(MailConnector("m", {"path": str(tmp_path / "mail")}))
    assert again == got  # stable from one scan to the next


def test_an_mboxs_messages_with_one_message_id_are_two_items(tmp_path: Path) -> None:
    box = tmp_path / "inbox.mbox"
    box.write_bytes(b"".join(b"From x@example.se Mon May  6 10:00:00 2024\n" + _message(i) + b"\n" for i in range(2)))
    got = _items(MailConnector("m", {"path": str(box)}))
    assert set(got) == {MID, f"{MID} {fallback_item(_message(1))}"}, got


def test_the_same_message_read_twice_keeps_its_item() -> None:
    """One reader of one unit: a byte-identical copy gets the same (second) item each time it is read."""
    reader = MessageReader(Location("mail", "m", "box"), Limits(), Problems())
    items = [next(iter(reader.records(_message(0), f"message {n}"))).location.item for n in range(3)]
    assert items == [MID, f"{MID} {fallback_item(_message(0))}", f"{MID} {fallback_item(_message(0))}"]


def test_two_senders_are_two_people_and_their_reports_apart(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PII_SCAN_KEY", "0123456789abcdef0123456789abcdef")
    _maildir(tmp_path / "mail")
    cfg = tmp_path / "pii-scan.toml"
    cfg.write_text('[datamap]\nurl = "sqlite:///dm.sqlite"\n[[sources]]\nname = "m"\ntype = "mail"\npath = "mail"\n')
    s = scan(load(cfg), scheduler="sync", progress=False)
    assert s.exit_code == EXIT_COMPLETE, s.failures
    c = load(cfg)
    dm = DataMap(c.datamap_url)
    try:
        for i, sender in enumerate(SENDERS):
            got = lookup(dm, load_keys(c.key_file), "email", sender)
            assert {(loc.item, loc.field, loc.reached) for loc in got} == {
                (MID if i == 0 else f"{MID} {fallback_item(_message(1))}", "header:From", "direct")
            }, (sender, got)
    finally:
        dm.close()
    second = (".", f"{MID} {fallback_item(_message(1))}")
    rb = read_back("m", {**c.source("m").options, "type": "mail"}, [second], fields={second: {"header:From"}})[second]
    assert rb.ok, rb.reason
    froms = [t for f, t in rb.fields if f == "header:From"]
    assert froms == [f"Kund 1 <{SENDERS[1]}>"], rb.fields  # not the other sender's message


def test_imap_reads_back_the_later_message_by_its_item(dovecot, imap_user, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: ANN001
    """Over IMAP the later message is searched for by its Message-ID and told apart by the digest."""
    from connectors.imap import ImapConnector
    from tests.connectors.test_imap import ENV, deliver

    deliver(dovecot, imap_user, "INBOX", [_message(0), _message(1)])
    monkeypatch.setenv(ENV, imap_user[1])
    cfg = {"type": "imap", "host": dovecot.host, "port": dovecot.port, "username": imap_user[0], "password_env": ENV,
           "tls": "none", "folders": ["INBOX"]}
    got = _items(ImapConnector("support", cfg))  # type: ignore[arg-type]
    second = f"{MID} {fallback_item(_message(1))}"  # line ends as LF in the digest
    assert got == {MID: {f"Kund 0 <{SENDERS[0]}>"}, second: {f"Kund 1 <{SENDERS[1]}>"}}, got
    for i, item in enumerate((MID, second)):  # each alone, as one subject's access report asks
        pair = ("INBOX", item)
        rb = read_back("support", cfg, [pair], fields={pair: {"header:From"}})[pair]
        assert rb.ok, rb.reason
        assert [t for f, t in rb.fields if f == "header:From"] == [f"Kund {i} <{SENDERS[i]}>"], rb.fields


def test_eml_files_with_one_message_id_keep_it(tmp_path: Path) -> None:
    """Two .eml files are two containers: each keeps the plain Message-ID, and each reads back alone."""
    folder = tmp_path / "export"
    folder.mkdir()
    for i in range(2):
        (folder / f"Ärende{' (1)' if i else ''}.eml").write_bytes(_message(i))
    conn = MailConnector("m", {"path": str(tmp_path)})
    got = {(rec.location.container, rec.location.item) for unit in conn.units() for rec in conn.read(unit)}
    assert got == {("export/Ärende.eml", MID), ("export/Ärende (1).eml", MID)}, got
    pair = ("export/Ärende (1).eml", MID)
    rb = read_back("m", {"type": "mail", "path": str(tmp_path)}, [pair], fields={pair: {"header:From"}})[pair]
    assert rb.ok and [t for f, t in rb.fields if f == "header:From"] == [f"Kund 1 <{SENDERS[1]}>"], rb
