"""IMAP in bounded memory: a large message is fetched in pieces into a temporary file, and its text read in windows.

Against the real Dovecot of tests/conftest.py. A message over 1 MiB is
fetched with ``BODY.PEEK[]<offset.length>``, 1 MiB at a time, into a temporary
file, and parsed from there as the mbox/Maildir path parses a large message;
its text part goes to the detectors in windows (records that follow one
another). What is found, and where, is what the whole-message path finds.
"""

from __future__ import annotations

import base64
import glob
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import pytest

from connectors import imap as imap_module
from connectors import mime
from connectors.base import Record, TransientError
from connectors.formats.core import PartialRead
from tests.conftest import Dovecot
from tests.connectors.fileutil import EMAIL, PHONE, PNR, PNR2
from tests.connectors.mailutil import as_bytes, rich_message
from tests.connectors.test_imap import ENV, deliver, imap, read_unit

ROOT = Path(__file__).resolve().parents[2]
FILLER = "Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor incididunt.\n"
PNRS = ("811228-9874", "19121212-1212", "640823-3234")  # Skatteverket's test numbers (fiction)


def _text_body(chars: int) -> str:
    """``chars`` characters of text lines, with identifiers planted at the first two windows' edges.

    A window (:data:`mime.TEXT_WINDOW_CHARS`) ends at its last line break: a
    phone number is wrapped over exactly the first window's edge (the line
    after it is long enough to cross the window's end), and a keyword ends the
    second window, its personnummer on the next line.
    """
    window = mime.TEXT_WINDOW_CHARS
    lines: list[str] = []
    size = 0

    def add(line: str) -> None:
        nonlocal size
        lines.append(line)
        size += len(line) + 1

    def fill(upto: int) -> None:
        while size + len(FILLER) < upto:
            add(FILLER[:-1])

    add(f"Hej! Bifogat kundregistret. Min kollega Åsa nås på {EMAIL}.")
    fill(window - 40)
    add(f"ring {PHONE[:7]}")  # the first window's last line: its line break is the window's edge
    second = size  # where the second window starts
    add(f"{PHONE[8:]} eller mejla {EMAIL} " + "y" * 200)
    fill(second + window - 40)
    add("Personnummer:")  # the second window's last line
    add(f"{PNR}. " + "z" * 200)
    fill(chars)
    add(f"Vänliga hälsningar, {PNR2}")
    return "\n".join(lines) + "\n"


def test_the_planted_identifiers_straddle_the_windows_edges() -> None:
    windows = list(mime._windows(iter([_text_body(3 << 20)])))
    assert windows[0].endswith(f"\nring {PHONE[:7]}") and windows[1].startswith(f"{PHONE[8:]} eller")
    assert windows[1].endswith("\nPersonnummer:") and windows[2].startswith(f"{PNR}. ")


def _csv(size: int) -> bytes:
    rows = ["Namn;Personnummer;Epost;Anteckning"]
    note = "x" * 900
    for i, pnr in enumerate(PNRS):
        rows.append(f"Person {i};{pnr};kund{i}@example.se;ok")
    n = 0
    while sum(map(len, rows)) < size:
        rows.append(f"Rad {n};;;{note}")
        n += 1
    rows.append(f"Sista;{PNR2};sista@example.se;slut")
    return ("\n".join(rows) + "\n").encode()


def big_message(text_chars: int, csv_bytes: int) -> bytes:
    """A mail with a large text part (8bit) and a large CSV attachment (base64), CR LF line ends as over IMAP."""
    head = (
        "From: Åsa Öberg <asa.oberg@example.se>\nTo: bo.berg@example.se\nSubject: Kundregister\n"
        "Date: Wed, 01 May 2024 10:30:00 +0200\nMessage-ID: <stor.20240501@mail.example.se>\nMIME-Version: 1.0\n"
        'Content-Type: multipart/mixed; boundary="gr"\n\n--gr\nContent-Type: text/plain; charset=utf-8\n'
        "Content-Transfer-Encoding: 8bit\n\n"
    ).encode()
    att = b'--gr\nContent-Type: text/csv; name="kunder.csv"\nContent-Transfer-Encoding: base64\nContent-Disposition: attachment; filename="kunder.csv"\n\n'
    raw = head + _text_body(text_chars).encode() + att + base64.encodebytes(_csv(csv_bytes)) + b"--gr--\n"
    return raw.replace(b"\n", b"\r\n")


# The scan of one account in a process of its own: its peak RSS is VmHWM (ru_maxrss would count
# pytest's pages, kept across exec by Linux). With "whole", the message is fetched and parsed whole
# (the path of a small message, and of every message before large ones were fetched in pieces).
SCAN = """
import json, os, re, sys
from connectors import imap, mime
from connectors.imap import ImapConnector
from pii_scan.worker import ScanSettings, scan_unit
cfg = json.loads(sys.argv[1])
if sys.argv[2] == "whole":
    imap.STREAM_MESSAGE_BYTES = mime.SPOOL_PART_BYTES = mime.INLINE_BODY_BYTES = mime.STREAM_BODY_BYTES = 1 << 40
c = ImapConnector("support", cfg)
settings = ScanSettings(None, 0.0, False, b"k" * 32)
found, errors = [], []
for unit in c.units():
    res = scan_unit(c, unit, settings)
    errors.append(res.error)
    found += [(r.item, f.field, f.kind, f.value_hash, f.confidence) for r in res.records for f in r.findings]
hwm = re.search(r"VmHWM:\\s+([0-9]+) kB", open("/proc/self/status").read())
print(json.dumps({"peak_mib": int(hwm.group(1)) // 1024, "found": sorted(found), "errors": errors}))
"""


def _scan(server: Dovecot, user: tuple[str, str], mode: str) -> dict[str, Any]:
    cfg = {"type": "imap", "host": server.host, "port": server.port, "username": user[0], "password_env": ENV, "tls": "none"}
    env = {**os.environ, ENV: user[1]}
    out = subprocess.run([sys.executable, "-c", SCAN, json.dumps(cfg), mode], cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr[-3000:]
    return json.loads(out.stdout)


@pytest.mark.skipif(not os.path.exists("/proc/self/status"), reason="peak RSS from /proc (Linux)")
def test_a_large_message_is_scanned_in_bounded_memory(dovecot: Dovecot, imap_user: tuple[str, str]) -> None:
    """A 38 MB message (a 28 MB text part, a 6 MB CSV as base64) scanned with a peak RSS under 125 MiB.

    Before, the message was fetched whole (imaplib's literal, imapclient's
    copy, bytes()), parsed whole and its text decoded whole: ~700 MiB. The
    bound: the interpreter with the scanner, connector and imapclient loaded
    (~70 MiB), a 1 MiB FETCH piece and the skeleton parser's few MiB, and one
    worker batch of text (8 windows of 1 MiB joined into one text, scanned in
    slices): about 100 MiB, under half the message's size. Every identifier is
    found as the whole path finds it: same message, field, kind, value and
    confidence, each once.
    """
    raw = big_message(28 << 20, 6 << 20)
    assert len(raw) > 36_000_000
    c = dovecot.client(*imap_user)
    try:
        c.append("INBOX", raw)
    finally:
        c.logout()
    del raw
    streamed = _scan(dovecot, imap_user, "streamed")
    assert streamed["errors"] == [None]
    found = {(field, kind) for _, field, kind, _, _ in streamed["found"]}
    assert {("body", "phone"), ("body", "email"), ("body", "personnummer")} <= found
    assert ("attachment:kunder.csv!line 2:Personnummer", "personnummer") in found
    assert ("attachment:kunder.csv!line 4:Epost", "email") in found
    csv_pnrs = [f for f in streamed["found"] if f[1].endswith(":Personnummer")]
    assert len(csv_pnrs) == len(PNRS) + 1
    body = sorted(kind for _, field, kind, _, _ in streamed["found"] if field == "body")
    assert body == ["email", "email", "personnummer", "personnummer", "phone"]  # each once (the address is there twice)
    assert streamed["peak_mib"] < 125, f"peak RSS {streamed['peak_mib']} MiB"
    whole = _scan(dovecot, imap_user, "whole")
    assert whole["errors"] == [None]
    assert [tuple(f) for f in streamed["found"]] == [tuple(f) for f in whole["found"]]
    print(f"peak RSS: streamed {streamed['peak_mib']} MiB, whole {whole['peak_mib']} MiB")


def _read(c: Any) -> tuple[list[tuple[Any, ...]], list[str]]:
    out: list[Record] = []
    problems: list[str] = []
    for unit in c.units():
        try:
            out.extend(c.read(unit))
        except PartialRead as exc:
            problems.extend(exc.problems)
    c.close()
    return [(r.location, r.fields, r.structured, r.follows, r.record_date) for r in out], problems


def test_a_message_fetched_in_pieces_reads_as_fetched_whole(
    dovecot: Dovecot, imap_user: tuple[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Small messages around a large one: the same records, in the same order, whole or in pieces of 64 KiB."""
    big = big_message(600_000, 900_000)
    deliver(dovecot, imap_user, "INBOX", [as_bytes(rich_message(1)), big, as_bytes(rich_message(2))])
    pieces: list[str] = []
    real = imap_module.ImapConnector._fetch_into

    def counted(self: Any, client: Any, uid: int, spool: Any) -> Any:
        fetch = client.fetch

        def one(uids: Any, items: list[str]) -> Any:
            pieces.extend(i for i in items if i.startswith("BODY.PEEK[]<"))
            return fetch(uids, items)

        client.fetch = one
        try:
            return real(self, client, uid, spool)
        finally:
            del client.fetch

    monkeypatch.setattr(imap_module.ImapConnector, "_fetch_into", counted)
    monkeypatch.setattr(imap_module, "FETCH_CHUNK_BYTES", 64 << 10)
    in_pieces = _read(imap(dovecot, imap_user, monkeypatch))
    assert len(pieces) == len(big) // (64 << 10) + 1 and pieces[1] == f"BODY.PEEK[]<{64 << 10}.{64 << 10}>"
    monkeypatch.setattr(imap_module, "STREAM_MESSAGE_BYTES", 1 << 40)
    whole = _read(imap(dovecot, imap_user, monkeypatch))
    assert in_pieces == whole
    assert any(f == "attachment:kunder.csv!line 2:Personnummer" for _, fields, *_ in in_pieces[0] for f, _ in fields)


def test_a_connection_dropped_during_a_piece_is_a_transient_error_and_the_file_goes(
    dovecot: Dovecot, imap_user: tuple[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    deliver(dovecot, imap_user, "INBOX", [as_bytes(rich_message(1)), big_message(1_500_000, 1_000_000)])
    spools: list[Any] = []
    temporary_file = tempfile.TemporaryFile

    def spool(**kw: Any) -> Any:
        f = temporary_file(**kw)
        if kw.get("prefix") == "pii-scan-imap-":
            spools.append(f)
        return f

    monkeypatch.setattr(imap_module.tempfile, "TemporaryFile", spool)
    real = imap_module.ImapConnector._fetch_into

    def dropping(self: Any, client: Any, uid: int, spool: Any) -> Any:
        fetch = client.fetch

        def one(uids: Any, items: list[str]) -> Any:
            if items[0] == f"BODY.PEEK[]<{1 << 20}.{1 << 20}>":
                client._imap.sock.shutdown(2)  # the connection drops before the second piece
            return fetch(uids, items)

        client.fetch = one
        return real(self, client, uid, spool)

    monkeypatch.setattr(imap_module.ImapConnector, "_fetch_into", dropping)
    c = imap(dovecot, imap_user, monkeypatch)
    (unit,) = c.units()
    got: list[Record] = []
    with pytest.raises(TransientError, match=r"INBOX UIDs 1-500: connection lost after 1 of 2 messages") as err:
        for r in c.read(unit):
            got.append(r)
    assert {r.location.item for r in got} == {"1.20240502@mail.example.se"}  # the first message's records came
    assert len(spools) == 1 and spools[0].closed
    assert PNR not in str(err.value)
    monkeypatch.setattr(imap_module.ImapConnector, "_fetch_into", real)
    again = list(c.read(unit))  # read again (the engine's retry): a new connection
    assert "stor.20240501@mail.example.se" in {r.location.item for r in again}
    assert len(spools) == 2 and spools[1].closed
    c.close()


def test_a_large_message_the_server_cannot_fetch_is_reported_and_the_others_are_read(
    dovecot: Dovecot, imap_user: tuple[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    deliver(dovecot, imap_user, "INBOX", [as_bytes(rich_message(1)), big_message(1_500_000, 500_000), as_bytes(rich_message(3))])
    box = os.path.join(dovecot.root, "mail", imap_user[0])
    (big,) = [f for f in glob.glob(os.path.join(box, "*", "*")) if os.path.getsize(f) > 1_000_000]
    os.chmod(big, 0)  # the large message's file cannot be opened by the server (a broken store, a disk error)
    try:
        c = imap(dovecot, imap_user, monkeypatch)
        (unit,) = list(c.units())
        records, error = read_unit(c, unit)
        c.close()
    finally:
        os.chmod(big, 0o600)
    assert {r.location.item for r in records} == {"1.20240502@mail.example.se", "3.20240504@mail.example.se"}
    assert error is not None and "1 part(s) not read" in error and "UID 2: the server failed to fetch the message" in error


@pytest.mark.parametrize("lost", ["first piece", "second piece"])
def test_a_large_message_the_server_leaves_out_of_its_answer_is_reported(
    dovecot: Dovecot, imap_user: tuple[str, str], monkeypatch: pytest.MonkeyPatch, lost: str
) -> None:
    from imapclient import IMAPClient

    deliver(dovecot, imap_user, "INBOX", [big_message(1_500_000, 1_000_000), as_bytes(rich_message(2))])
    real_fetch = IMAPClient.fetch
    wanted = "BODY.PEEK[]<0." if lost == "first piece" else f"BODY.PEEK[]<{1 << 20}."

    def lossy_fetch(self, messages, data, modifiers=None):  # noqa: ANN001, ANN202
        got = real_fetch(self, messages, data, modifiers)
        if any(str(d).startswith(wanted) for d in data):
            got.pop(1, None)
        return got

    monkeypatch.setattr(IMAPClient, "fetch", lossy_fetch)
    c = imap(dovecot, imap_user, monkeypatch)
    (unit,) = list(c.units())
    records, error = read_unit(c, unit)
    c.close()
    assert {r.location.item for r in records} == {"2.20240503@mail.example.se"}
    assert error is not None and "1 part(s) not read" in error and "UID 1: the server returned no content" in error
