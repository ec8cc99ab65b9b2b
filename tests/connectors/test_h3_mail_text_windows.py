"""A large text part is read in windows: records cut at line breaks that follow one another (Record.follows).

Joined again with line breaks, the windows of a part are the text the part's
single record held before (only blanks at its end are not kept), for every
charset rule, line end, HTML and format=flowed; and the engine finds an
identifier that straddles a window's edge once, on the record where it starts.
"""

from __future__ import annotations

import base64
from pathlib import Path

import pytest

from connectors import mime
from connectors.base import Limits, Location
from connectors.formats.core import Problems
from connectors.mime import MessageReader
from connectors.mail import MailConnector
from pii_scan import worker
from pii_scan.worker import ScanSettings, scan_unit
from tests.connectors.fileutil import EMAIL, PHONE, PNR, PNR2
from tests.connectors.test_h3_mail_memory import MESSAGES

HEAD = b"From: Avs <avs@example.se>\nTo: bo@example.se\nSubject: Hej\nDate: Wed, 01 May 2024 10:30:00 +0200\nMessage-ID: <w@x>\n"
FILLER = "Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor.\n"


def _part(ctype: str, body: bytes, cte: str = "base64", extra: str = "") -> bytes:
    if cte == "base64":
        body = base64.encodebytes(body)
    return f"Content-Type: {ctype}\nContent-Transfer-Encoding: {cte}\n{extra}\n".encode() + body


def _mixed(*parts: bytes) -> bytes:
    return HEAD + b'MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary="b"\n\n' + b"".join(b"--b\n" + p for p in parts) + b"--b--\n"


def _texts(raw: bytes) -> tuple[list[tuple[str, str]], list[str], int]:
    """(field, text) of every record, the records that follow one another joined with line breaks; problems; records."""
    problems = Problems()
    out: list[tuple[str, str]] = []
    n = 0
    for rec in MessageReader(Location("mail", "t", "box"), Limits(), problems).records(raw, "message 1"):
        n += 1
        for f, t in rec.fields:
            if rec.follows and out and out[-1][0] == f:
                out[-1] = (f, out[-1][1] + "\n" + t)
            else:
                out.append((f, t))
    return [(f, t.rstrip() if f.startswith("body") else t) for f, t in out], problems.messages, n


def _windowed(monkeypatch: pytest.MonkeyPatch, window: int = 64) -> None:
    monkeypatch.setattr(mime, "SPOOL_PART_BYTES", 0)
    monkeypatch.setattr(mime, "INLINE_BODY_BYTES", 0)
    monkeypatch.setattr(mime, "STREAM_BODY_BYTES", 0)
    monkeypatch.setattr(mime, "TEXT_WINDOW_CHARS", window)
    monkeypatch.setattr(mime, "LONG_LINE_CHARS", 4 * window)


LINES = "".join(f"rad {i} {FILLER}" for i in range(40))
WINDOWED = {
    **MESSAGES,
    "utf-8, crlf": _mixed(_part("text/plain; charset=utf-8", f"Åsa {PNR}\r\n{LINES}Tel {PHONE}\r\n".replace("\n", "\r\n").encode())),
    "cp1252 labelled iso-8859-1": _mixed(_part("text/plain; charset=iso-8859-1", f"Åsa – {PNR}\n{LINES}{PHONE}\n".encode("cp1252"))),
    "latin-1 labelled utf-8 (not ok), NUL": _mixed(_part("text/plain; charset=utf-8", f"Åsa\x00{PNR}\n{LINES}".encode("cp1252"))),
    "utf-16 with BOM": _mixed(_part("text/plain", "\ufeff".encode("utf-16-le") + f"Åsa {PNR}\n{LINES}{EMAIL}\n".encode("utf-16-le"))),
    "koi8-r declared": _mixed(_part("text/plain; charset=koi8-r", f"Привет {PNR}\n{LINES}".encode("koi8-r"))),
    "quoted-printable, two texts": _mixed(
        _part("text/plain; charset=utf-8", f"Pnr {PNR}=\n ok\n{LINES}".encode(), "quoted-printable"),
        _part("text/plain; charset=utf-8", f"{LINES}andra {PNR2}\n".encode(), "8bit"),
    ),
    "html": _mixed(_part("text/html; charset=utf-8", (
        "<html><body>" + "".join(f"<p>Stycke {i} {FILLER}</p>" for i in range(30))
        + f"<table><tr><td>Personnr:</td><td>{PNR}</td></tr></table><p>a &amp; b <a href='mailto:{EMAIL}'>mejl</a></p>"
        + "<script>var x = 1;</script>" + "".join(f"<div>{FILLER}<br>rad</div>" for i in range(30)) + "</body></html>"
    ).encode())),
    "format=flowed, delsp": _mixed(_part("text/plain; charset=utf-8; format=flowed; delsp=yes", (
        "".join(f"Lang rad {i} som fortsatter \nhar och \n> citerad \n> text {i}\n-- \nsig\n\n" for i in range(30))
        + "Pnr 19640823 \n-3234\n"
    ).encode())),
    "PGP block": _mixed(_part("text/plain", f"{LINES}-----BEGIN PGP MESSAGE-----\nhQEMA\n-----END PGP MESSAGE-----\n{LINES}".encode())),
    "uuencoded file in the text": _mixed(_part("text/plain", f"{LINES}begin 644 a.txt\n#86)C\n`\nend\n{LINES}".encode(), "8bit")),
    "blank lines": _mixed(_part("text/plain", (" \n" * 60 + LINES + "\n" * 150 + f"{PNR}\n" + " \n" * 300).encode())),
    "a blank part": _mixed(_part("text/plain", b" \n" * 300), _part("text/plain", f"{LINES}{PNR}\n".encode())),
}


@pytest.mark.parametrize("name", sorted(WINDOWED))
def test_a_text_part_read_in_windows_is_the_text_read_whole(monkeypatch: pytest.MonkeyPatch, name: str) -> None:
    raw = WINDOWED[name]
    whole, problems, _ = _texts(raw)
    _windowed(monkeypatch)
    windowed, windowed_problems, _ = _texts(raw)
    assert windowed == whole
    assert windowed_problems == problems


def test_windows_are_records_that_follow_one_another(monkeypatch: pytest.MonkeyPatch) -> None:
    raw = WINDOWED["html"]
    _windowed(monkeypatch)
    recs = list(MessageReader(Location("mail", "t", "box"), Limits(), Problems()).records(raw, "m"))
    body = [r for r in recs if r.fields[0][0] == "body"]
    assert len(body) > 10 and not body[0].follows and all(r.follows for r in body[1:])
    assert all(len(r.fields[0][1]) <= 4 * 64 for r in body) and not any(r.structured for r in body)  # a line is longer than 64


def test_a_line_longer_than_the_long_line_cap_is_cut(monkeypatch: pytest.MonkeyPatch) -> None:
    raw = _mixed(_part("text/plain", ("x" * 1000 + "\nslut\n").encode()))
    _windowed(monkeypatch)
    recs = list(MessageReader(Location("mail", "t", "box"), Limits(), Problems()).records(raw, "m"))
    texts = [r.fields[0][1] for r in recs if r.fields[0][0] == "body"]
    assert "".join(texts[:-1]) == "x" * 1000 and texts[-1] == "slut\n" and max(map(len, texts)) == 256


def _findings(tmp_path: Path, raw: bytes) -> list[tuple[str, str, str, str, float]]:
    """What the engine finds in a message (an .eml file): (item, field, kind, value hash, confidence), duplicates kept."""
    path = tmp_path / "m.eml"
    path.write_bytes(raw)
    c = MailConnector("m", {"type": "mail", "path": str(path)})
    settings = ScanSettings(None, 0.0, False, b"k" * 32)
    out = []
    for unit in c.units():
        res = scan_unit(c, unit, settings)
        assert res.error is None, res.error
        out.extend((r.item, f.field, f.kind, f.value_hash, f.confidence) for r in res.records for f in r.findings)
    return sorted(out)


def test_an_identifier_across_a_window_edge_is_found_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Windows are cut at line breaks: what a line break splits (a wrapped phone number, a keyword on the line
    before) is read across the windows' edges (and the worker's batches'), and found once, as in the whole text."""
    lines = [FILLER[: 10 + (i * 7) % 60] for i in range(120)]
    for n in (5, 23, 41, 58, 77, 96):
        lines[n] = f"ring {PHONE[:7]}"
        lines[n + 1] = f"{PHONE[8:]} eller mejla {EMAIL}"
        lines[n + 3] = "Personnummer:"
        lines[n + 4] = f"{PNR2}."
    raw = _mixed(_part("text/plain; charset=utf-8", ("\n".join(lines) + f"\nPnr {PNR}\n").encode()))
    whole = _findings(tmp_path, raw)
    kinds = {k for _, _, k, _, _ in whole}
    assert {"email", "personnummer", "phone"} <= kinds and len(whole) >= 19
    monkeypatch.setattr(worker, "BATCH_RECORDS", 3)
    for window in (32, 50, 64, 101, 200):
        _windowed(monkeypatch, window)
        assert _findings(tmp_path, raw) == whole, window
