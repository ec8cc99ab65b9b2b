"""Red-team round 4: legacy Excel workbooks (.xls, BIFF8) read cell by cell, as XLSX sheets.

Before, an .xls was read as printable strings: a personnummer or phone stored as a
number was never seen, and no row linked its values. The workbook is written here
by hand (BIFF8 records in a minimal OLE2 container). Fictional values only.
"""

from __future__ import annotations

import io
import struct
from datetime import date

import pytest

from connectors.base import Location
from connectors.formats import read_stream
from detectors import Scanner

pytest.importorskip("olefile")
R = date(2026, 11, 24)
MAX_BODY = 8224


def _rec(rtype: int, body: bytes) -> bytes:
    return struct.pack("<HH", rtype, len(body)) + body


def _sst(strings: list[str]) -> bytes:
    """An SST record and its CONTINUE records; a long string is split mid-characters, as Excel does."""
    records: list[bytes] = []
    body = struct.pack("<II", len(strings), len(strings))
    for s in strings:
        head = struct.pack("<HB", len(s), 1)
        if len(body) + len(head) + 2 > MAX_BODY:
            records.append(body)
            body = b""
        body += head
        chars = s.encode("utf-16-le")
        while chars:
            room = (MAX_BODY - len(body)) // 2 * 2
            body += chars[:room]
            chars = chars[room:]
            if chars:
                records.append(body)
                body = b"\x01"  # the rest of the string, stored wide
    records.append(body)
    return _rec(0x00FC, records[0]) + b"".join(_rec(0x003C, r) for r in records[1:])


def _workbook(sheet: str, strings: list[str], cells: list[bytes]) -> bytes:
    bof_globals = _rec(0x0809, struct.pack("<HHHHII", 0x0600, 0x0005, 0x0DBB, 0x07CC, 0, 6))
    name = sheet.encode("utf-16-le")

    def boundsheet(offset: int) -> bytes:
        return _rec(0x0085, struct.pack("<IBB", offset, 0, 0) + bytes([len(sheet), 1]) + name)

    globals_ = bof_globals + boundsheet(0) + _sst(strings) + _rec(0x000A, b"")
    offset = len(globals_)
    globals_ = bof_globals + boundsheet(offset) + _sst(strings) + _rec(0x000A, b"")
    sheet_stream = _rec(0x0809, struct.pack("<HHHHII", 0x0600, 0x0010, 0x0DBB, 0x07CC, 0, 6)) + b"".join(cells) + _rec(0x000A, b"")
    data = globals_ + sheet_stream
    return data + b"\x00" * max(0, 4096 - len(data))  # a regular stream, not a mini stream


def _ole2(stream: bytes, name: str = "Workbook", summary: bytes = b"") -> bytes:
    """A minimal compound file (v3, 512-byte sectors): FAT, one directory sector, the stream(s)."""
    n = (len(stream) + 511) // 512
    m = (len(summary) + 511) // 512
    assert n + m <= 125
    fat = [0xFFFFFFFD, 0xFFFFFFFE] + [3 + i for i in range(n - 1)] + [0xFFFFFFFE]
    if m:
        fat += [3 + n + i for i in range(m - 1)] + [0xFFFFFFFE]
    fat += [0xFFFFFFFF] * (128 - len(fat))
    header = (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 16 + struct.pack("<HHHHH", 0x3E, 3, 0xFFFE, 9, 6) + b"\x00" * 6
              + struct.pack("<IIIIIIIII", 0, 1, 1, 0, 4096, 0xFFFFFFFE, 0, 0xFFFFFFFE, 0)
              + struct.pack("<I", 0) + struct.pack("<I", 0xFFFFFFFF) * 108)

    def entry(entry_name: str, kind: int, child: int, start: int, size: int, right: int = 0xFFFFFFFF) -> bytes:
        raw = entry_name.encode("utf-16-le") + b"\x00\x00" if entry_name else b""
        return (raw.ljust(64, b"\x00") + struct.pack("<HBB", len(raw), kind, 1) + struct.pack("<III", 0xFFFFFFFF, right, child)
                + b"\x00" * 16 + b"\x00" * 4 + b"\x00" * 16 + struct.pack("<IQ", start, size))

    directory = (entry("Root Entry", 5, 1, 0xFFFFFFFE, 0) + entry(name, 2, 0xFFFFFFFF, 2, len(stream), 2 if m else 0xFFFFFFFF)
                 + (entry("\x05SummaryInformation", 2, 0xFFFFFFFF, 2 + n, len(summary)) if m else entry("", 0, 0xFFFFFFFF, 0, 0))
                 + entry("", 0, 0xFFFFFFFF, 0, 0))
    return header + struct.pack("<128I", *fat) + directory + stream.ljust(n * 512, b"\x00") + summary.ljust(m * 512, b"\x00")


def _summary(author: str, last_saved_by: str) -> bytes:
    """A SummaryInformation property set with the author (PID 4) and last saved by (PID 8), as code-page strings."""
    props = []
    for value in (author, last_saved_by):
        raw = value.encode("cp1252") + b"\x00"
        props.append(struct.pack("<II", 0x1E, len(raw)) + raw.ljust((len(raw) + 3) // 4 * 4, b"\x00"))
    codepage = struct.pack("<IhH", 0x02, 1252, 0)
    ids = [(1, codepage), (4, props[0]), (8, props[1])]
    offset = 8 + 8 * len(ids)
    table, body = b"", b""
    for pid, data in ids:
        table += struct.pack("<II", pid, offset + len(body))
        body += data
    section = struct.pack("<II", 8 + len(table) + len(body), len(ids)) + table + body
    fmtid = bytes.fromhex("E0859FF2F94F6810AB9108002B27B3D9")
    head = struct.pack("<HHI", 0xFFFE, 0, 0x00020006) + b"\x00" * 16 + struct.pack("<I", 1) + fmtid + struct.pack("<I", 48)
    return (head + section).ljust(4096, b"\x00")  # a regular stream, not a mini stream


def _labelsst(row: int, col: int, idx: int) -> bytes:
    return _rec(0x00FD, struct.pack("<HHHI", row, col, 15, idx))


def _number(row: int, col: int, value: float) -> bytes:
    return _rec(0x0203, struct.pack("<HHHd", row, col, 15, value))


def _rk(row: int, col: int, rk: int) -> bytes:
    return _rec(0x027E, struct.pack("<HHHI", row, col, 15, rk))


def _read(data: bytes) -> dict[str, list[tuple[str, str]]]:
    loc = lambda c, i: Location("files", "t", c, i)  # noqa: E731
    return {r.location.item: r.fields for r in read_stream(io.BytesIO(data), "kunder.xls", container="kunder.xls", loc_factory=loc)}


NOTE = "Lång anteckning " + "x" * 9000 + " nås på anna.berg@example.se"


def test_an_xls_sheet_is_read_row_by_row_named_by_its_header() -> None:
    strings = ["Namn", "Personnummer", "Mobil", "Anteckning", "Anna Berg", NOTE, "Bo Ek"]
    cells = [_labelsst(0, 0, 0), _labelsst(0, 1, 1), _labelsst(0, 2, 2), _labelsst(0, 3, 3),
             _labelsst(1, 0, 4), _number(1, 1, 8112289874.0), _number(1, 2, 701740605.0), _labelsst(1, 3, 5),
             _labelsst(2, 0, 6), _number(2, 1, 6408233234.0), _rk(2, 3, (1250 << 2) | 3)]
    recs = _read(_ole2(_workbook("Kunder", strings, cells)))
    assert recs["Kunder:2"] == [("Namn", "Anna Berg"), ("Personnummer", "8112289874"), ("Mobil", "701740605"),
                                ("Anteckning", NOTE)]
    assert recs["Kunder:3"] == [("Namn", "Bo Ek"), ("Personnummer", "6408233234"), ("Anteckning", "12.5")]
    scanner = Scanner()
    found = {(m.kind, m.value) for f, t in recs["Kunder:2"] for m in scanner.find(t, hint=f, ref_date=R)}
    assert {("personnummer", "198112289874"), ("phone", "+46701740605"), ("email", "anna.berg@example.se")} <= found


def test_an_ole2_file_without_a_workbook_is_still_read_as_strings() -> None:
    recs = _read(_ole2(b"Kontakt: anna.berg@example.se".ljust(4096, b"\x00"), name="WordDocument"))
    assert any("anna.berg@example.se" in t for fields in recs.values() for _, t in fields)


def test_a_password_protected_xls_fails_with_the_reason() -> None:
    from connectors.base import ConnectorError

    book = _workbook("Kunder", ["Namn"], [_labelsst(0, 0, 0)])
    book = book[:20] + _rec(0x002F, b"\x01\x00" + b"\x00" * 52) + book[20:]  # FILEPASS after the globals' BOF
    with pytest.raises(ConnectorError, match="encrypted Excel workbook, a password is needed"):
        _read(_ole2(book))


def test_the_workbooks_summary_is_its_meta_record() -> None:
    book = _workbook("Kunder", ["Namn"], [_labelsst(0, 0, 0)])
    recs = _read(_ole2(book, summary=_summary("hr.ek@example.se", "Åsa Öberg 811228-9874")))
    assert recs["meta"] == [("meta:author", "hr.ek@example.se"), ("meta:last_modified_by", "Åsa Öberg 811228-9874")]
