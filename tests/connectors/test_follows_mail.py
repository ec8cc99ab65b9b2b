"""A mail attachment's lines and paragraphs keep ``Record.follows`` through the mail reader's rewrite.

The format readers mark a line of a .txt (a paragraph of a DOCX, a block of an
HTML file) that goes on from the one before; connectors/mime.py renames each
record's fields ``attachment:<name>!line N:text`` and made a new record,
dropping the mark. The first line of each attachment never follows (not
across two attachments). Fictional values only (reference test personnummer).
"""

from __future__ import annotations

import os
from datetime import datetime, timezone
from email.message import EmailMessage
from pathlib import Path

from connectors.base import Limits, Location
from connectors.files import FilesConnector
from connectors.formats.core import Problems
from connectors.mime import MessageReader
from pii_scan.keys import Keys
from pii_scan.worker import ScanSettings, scan_unit

SECRET = b"m" * 32
KEYS = Keys(SECRET)


def _mail(*attachments: tuple[str, str]) -> bytes:
    msg = EmailMessage()
    msg["From"] = "Handläggare <handl@example.se>"
    msg["To"] = "arkiv@example.com"
    msg["Subject"] = "Anteckningar"
    msg["Date"] = "Fri, 14 Mar 2025 09:00:00 +0000"
    msg["Message-ID"] = "<follows-1@example.se>"
    msg.set_content("Se bifogade filer.\n")
    for name, text in attachments:
        msg.add_attachment(text.encode("utf-8"), maintype="text", subtype="plain", filename=name)
    return msg.as_bytes()


def _records(raw: bytes) -> list[tuple[str, bool]]:
    reader = MessageReader(Location("mail", "m", "INBOX", ""), Limits(), Problems())
    return [(r.fields[0][0], r.follows) for r in reader.records(raw, "1") if r.fields[0][0].startswith("attachment:")]


def test_an_attachments_lines_keep_follows() -> None:
    got = _records(_mail(("a.txt", "Personnummer:\n811228 9874\n\nslut\n"), ("b.txt", "ny fil\nrad två\n")))
    assert got == [
        ("attachment:a.txt", False),
        ("attachment:a.txt!line 1:text", False),
        ("attachment:a.txt!line 2:text", True),
        ("attachment:a.txt!line 4:text", False),  # after a blank line
        ("attachment:b.txt", False),
        ("attachment:b.txt!line 1:text", False),  # the first line of the next attachment
        ("attachment:b.txt!line 2:text", True),
    ]


def test_a_keyword_on_the_line_before_in_a_mail_attachment_is_found(tmp_path: Path) -> None:
    root = tmp_path / "share"
    root.mkdir()
    path = root / "meddelande.eml"
    path.write_bytes(_mail(("a.txt", "Samtal med kund\nPersonnummer:\n811228 9874\n")))
    mtime = datetime(2025, 3, 14, 9, 0, tzinfo=timezone.utc).timestamp()
    os.utime(path, (mtime, mtime))
    conn = FilesConnector("share", {"type": "files", "path": str(root)})
    found = []
    for unit in conn.units():
        res = scan_unit(conn, unit, ScanSettings(None, 0.5, False, SECRET))
        assert res.error is None, res.error
        found.extend((f.kind, f.value_hash) for rec in res.records for f in rec.findings)
    assert ("personnummer", KEYS.hash("personnummer", "198112289874")) in found
