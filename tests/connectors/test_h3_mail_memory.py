"""Mail in bounded memory: a large message or attachment is read from temporary files, not parsed whole in memory.

The reading itself must not change: every message of the mail tests reads the
same whether its bodies are parsed in memory or spooled (thresholds set to 0).
"""

from __future__ import annotations

import base64
import io
import os
import subprocess
import sys
import zipfile
from contextlib import suppress
from pathlib import Path

import pytest

from connectors import mail, mime
from connectors.base import Limits, Location, Record
from connectors.formats.core import PartialRead, Problems
from connectors.mail import MailConnector
from connectors.mime import MessageReader
from tests.connectors.fileutil import PHONE, PNR, PNR2, pdf_bytes, zip_bytes
from tests.connectors.mailutil import CSV_TEXT, as_bytes, mbox_bytes, message, rich_message

ROOT = Path(__file__).resolve().parents[2]
FROM_ = b"From asa@example.se Wed May  1 08:30:00 2024\n"
HEAD = b"From: Avs <avs@example.se>\nTo: bo@example.se\nSubject: Hej\nDate: Wed, 01 May 2024 10:30:00 +0200\n"


def _read(raw: bytes) -> tuple[list[tuple[str, list[tuple[str, str]], bool, bool]], list[str]]:
    problems = Problems()
    reader = MessageReader(Location("mail", "t", "box"), Limits(), problems)
    recs = [(r.location.item, r.fields, r.structured, r.follows) for r in reader.records(raw, "message 1")]
    return recs, problems.messages


def _spool_everything(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(mime, "SPOOL_PART_BYTES", 0)
    monkeypatch.setattr(mime, "INLINE_BODY_BYTES", 0)


def _mime(ctype: str, body: bytes, cte: str = "base64", extra: str = "") -> bytes:
    return f"Content-Type: {ctype}\nContent-Transfer-Encoding: {cte}\n{extra}\n".encode() + body


MESSAGES = {
    "rich": as_bytes(rich_message()),
    "crlf": as_bytes(rich_message(2)).replace(b"\n", b"\r\n"),
    "bom and no blank line": b"\xef\xbb\xbf" + HEAD + b"Message-ID: <b@x>\nnot a header line " + PNR.encode() + b"\n",
    "no header": b"\x00garbage line\n" + HEAD + f"\nTel {PHONE}\n".encode(),
    "bad base64": HEAD + b'MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary="b"\n\n--b\n'
    + _mime("text/csv", base64.encodebytes(CSV_TEXT.encode())[:-3] + b" !\n", extra='Content-Disposition: attachment; filename="k.csv"\n')
    + b"--b--\n",
    "cut base64 (one char past a quantum)": HEAD + b'Content-Type: multipart/mixed; boundary="b"\n\n--b\n'
    + _mime("text/plain; charset=utf-8", base64.b64encode(f"Pnr {PNR} ok".encode()) + b"Q\n") + b"--b--\n",
    "quoted-printable and sloppy encoding": HEAD + b'Content-Type: multipart/alternative; boundary="b"\n\n--b\n'
    + _mime("text/plain; charset=iso-8859-1", f"Tel {PHONE} =E5=\nterkommer\n".encode(), "quoted-printable")
    + b"--b\n" + _mime("text/html; charset=utf-8", base64.encodebytes(f"<p>Pnr {PNR2}</p>".encode()), '"Base64 "')
    + b"--b--\nepilog\n",
    "forwarded, base64 rfc822, digest": HEAD + b'Content-Type: multipart/mixed; boundary="o"\n\npreamble\n--o\n'
    + _mime("text/plain", f"Se nedan {PHONE}\n".encode(), "8bit")
    + b"--o\n" + _mime("message/rfc822", base64.encodebytes(as_bytes(message(3, body=f"Inre {PNR}\n"))))
    + b"--o\nContent-Type: message/rfc822\n\n" + as_bytes(message(4, attachments={"k.csv": CSV_TEXT.encode()}))
    + b'\n--o\nContent-Type: multipart/digest; boundary="d"\n\n--d\n\n' + as_bytes(message(5)) + b"\n--d--\n"
    + b"--o--\n",
    "boundary lost, truncated": HEAD + b"Content-Type: multipart/mixed\n\n--zz\nContent-Type: text/plain\n\nA "
    + PNR.encode() + b"\n--zz\n" + _mime("text/csv", base64.encodebytes(CSV_TEXT.encode()), extra='Content-Disposition: attachment; filename="c.csv"\n'),
    "uuencoded and inline name": HEAD + b'Content-Type: multipart/mixed; boundary="b"\n\n--b\nContent-Type: text/plain\n\nbegin 644 a.txt\n'
    + b"#86)C\n`\nend\n--b\n" + _mime("text/plain", f"Pnr {PNR}\n".encode(), "x-uuencode", 'Content-Disposition: inline; filename="n.txt"\n')
    + b"--b\n" + _mime("application/zip", base64.encodebytes(zip_bytes({"in/k.csv": CSV_TEXT.encode()})),
                       extra='Content-Disposition: attachment; filename="a.zip"\n') + b"--b--\n",
}


@pytest.mark.parametrize("name", sorted(MESSAGES))
def test_a_message_reads_the_same_with_its_bodies_spooled(monkeypatch: pytest.MonkeyPatch, name: str) -> None:
    raw = MESSAGES[name]
    in_memory = _read(raw)
    _spool_everything(monkeypatch)
    assert _read(raw) == in_memory
    assert _read(io.BytesIO(raw)) == in_memory  # type: ignore[arg-type]


def test_spooled_bodies_are_decoded_as_the_email_package_decodes_them(monkeypatch: pytest.MonkeyPatch) -> None:
    pdf = pdf_bytes([f"Avtal for {PNR}", f"Kontakt {PHONE}"])
    raw = HEAD + b'Content-Type: multipart/mixed; boundary="b"\n\n--b\n' + _mime(
        "application/pdf", base64.encodebytes(pdf), extra='Content-Disposition: attachment; filename="avtal.pdf"\n'
    ) + b"--b--\n"
    _spool_everything(monkeypatch)
    spools = mime._Spools()
    try:
        msg, skeleton, first = mime.read_message(raw, spools)
        assert first == raw[: len(first)]
        assert len(skeleton) < len(raw) and pdf not in skeleton
        part = msg.get_payload()[0]
        spooled = spools.get(part.get_payload())
        assert spooled is not None and spooled.read() == pdf and spooled.size == len(pdf)
    finally:
        spools.close()


def test_a_large_mbox_message_comes_from_a_temporary_file_and_reads_the_same(monkeypatch: pytest.MonkeyPatch) -> None:
    inner = b"Message-ID: <stor@example.se>\n" + HEAD + b"\nHej\n\n>From the desk of " + PNR.encode() + b"\n>>From x\n" + b"rad\n" * 5000
    box = mbox_bytes([as_bytes(message(1)), inner, as_bytes(message(2))])
    before = list(mail.mbox_records(io.BytesIO(box), 0, len(box), 1 << 30, MessageReader(Location("mail", "t", "b"), Limits(), Problems()), None))
    monkeypatch.setattr(mail, "SPILL_BYTES", 1024)
    monkeypatch.setattr(mail, "BLOCK", 4096)
    kinds = [type(data) for _, data, _, _, _ in mail.mbox_messages(io.BytesIO(box), 0, len(box), 1 << 30)]
    assert kinds[0] is bytes and kinds[1] is not bytes and kinds[2] is bytes
    after = list(mail.mbox_records(io.BytesIO(box), 0, len(box), 1 << 30, MessageReader(Location("mail", "t", "b"), Limits(), Problems()), None))
    assert [(r.location.item, r.fields) for r in after] == [(r.location.item, r.fields) for r in before]
    assert b">>From the desk" in box and any(f"\n>From the desk of {PNR}\n>>From x\n" in t for r in after for _, t in r.fields)
    # a spilled message that then grows past the cap: its header only, as before
    over = list(mail.mbox_messages(io.BytesIO(box), 0, len(box), 8000))
    assert [o for _, _, _, o, _ in over] == [False, True, False] and over[1][1].endswith(b"Message-ID: <stor@example.se>\nFrom: Avs <avs@example.se>\nTo: bo@example.se\nSubject: Hej\nDate: Wed, 01 May 2024 10:30:00 +0200\n\n")


def _big_mbox(path: Path, payload_mb: int) -> None:
    """Small messages around one with a zip attachment of ``payload_mb`` MB: a CSV with a person and a large stored file."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as z:
        z.writestr("kunder.csv", CSV_TEXT)
        z.writestr("bilder/scan.bin", os.urandom(payload_mb << 20))
    big = message(99, body="Se bifogat.\n")
    big.add_attachment(buf.getvalue(), maintype="application", subtype="zip", filename="export.zip")
    with open(path, "wb") as f:
        f.write(mbox_bytes([as_bytes(message(n)) for n in range(1, 4)] + [as_bytes(big)] + [as_bytes(message(n)) for n in range(4, 7)]))


# the peak RSS of this process: VmHWM (ru_maxrss would count pytest's pages, kept across exec by Linux)
SCAN = """
import re, sys
from connectors.mail import MailConnector
c = MailConnector("m", {"type": "mail", "path": sys.argv[1]})
values = set()
for unit in c.units():
    for r in c.read(unit):
        values.update(t for f, t in r.fields if "kunder.csv" in f)
hwm = re.search(r"VmHWM:\\s+([0-9]+) kB", open("/proc/self/status").read())
print(int(hwm.group(1)) // 1024, int(any(%r in v for v in values)))
"""


@pytest.mark.skipif(not os.path.exists("/proc/self/status"), reason="peak RSS from /proc (Linux)")
def test_one_large_attachment_is_read_in_bounded_memory(tmp_path: Path) -> None:
    """A 32 MB zip attachment (43 MB as base64): read with a peak RSS far below the message's size times the parser's ~10."""
    box = tmp_path / "stor.mbox"
    _big_mbox(box, 32)
    assert box.stat().st_size > 43_000_000
    out = subprocess.run([sys.executable, "-c", SCAN % PNR, str(box)], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    peak_mib, found = (int(x) for x in out.stdout.split())
    assert found == 1  # the CSV inside the spooled, decoded zip was read
    assert peak_mib < 150, f"peak RSS {peak_mib} MiB"  # before: ~470 MiB (the message parsed whole, ~10 copies of it)


def test_a_large_attachment_in_maildir_and_eml_is_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _spool_everything(monkeypatch)
    monkeypatch.setattr(mail, "SPILL_BYTES", 64)
    (tmp_path / "a.eml").write_bytes(as_bytes(rich_message(7)))
    c = MailConnector("m", {"type": "mail", "path": str(tmp_path)})
    got: list[Record] = []
    for unit in c.units():
        with suppress(PartialRead):
            got.extend(c.read(unit))
    monkeypatch.undo()
    ref: list[Record] = []
    for unit in c.units():
        with suppress(PartialRead):
            ref.extend(c.read(unit))
    assert [(r.location, r.fields) for r in got] == [(r.location, r.fields) for r in ref]
    assert any(PNR in t for r in got for _, t in r.fields)
