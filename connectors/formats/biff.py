"""Legacy Excel workbooks (.xls, BIFF8 in an OLE2 container): cells row by row, as XLSX sheets.

The ``Workbook`` stream (read with olefile, a dependency) is a
sequence of records: the sheets' names (BOUNDSHEET), the shared strings (SST and
its CONTINUE records) and each sheet's cells: text (LABELSST, LABEL), numbers
(NUMBER, RK, MULRK) and formulas' cached results (FORMULA, STRING). Rows go
through the XLSX sheet logic (:func:`connectors.formats.office.sheet_rows_records`):
``item`` = ``<sheet>:<row>``, fields named by the header row or ``<sheet>!C5``.
Numbers are written as a person would (``8112289874``, ``12.5``); number formats
are not applied. The document summary (author, last saved by, title, ...) is the
record ``meta``. Before, an .xls was read as printable strings: numbers stored as
numbers (a personnummer column, phones) were never seen and no row linked its values.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from typing import Any

from connectors.base import ConnectorError, Record
from connectors.formats.core import Ctx, as_text

MAX_WORKBOOK_BYTES = 256 << 20  # a larger .xls is read as printable strings
MAX_CELLS = 5_000_000  # cells of one workbook kept (a sheet is collected before its rows are read)

BOF, EOF, BOUNDSHEET, SST, CONTINUE = 0x0809, 0x000A, 0x0085, 0x00FC, 0x003C
LABELSST, LABEL, NUMBER, RK, MULRK, FORMULA, STRING, FILEPASS = 0x00FD, 0x0204, 0x0203, 0x027E, 0x00BD, 0x0006, 0x0207, 0x002F


class Encrypted(ConnectorError):
    """A workbook protected by a password (a FILEPASS record): its cells cannot be read."""


_SUMMARY = (("author", "meta:author"), ("last_saved_by", "meta:last_modified_by"), ("title", "meta:title"),
            ("subject", "meta:subject"), ("keywords", "meta:keywords"), ("comments", "meta:comments"),
            ("manager", "meta:manager"), ("company", "meta:company"))


def open_ole(f: Any) -> Any:
    """``f`` opened as an OLE2 container (``olefile.OleFileIO``; the caller closes it), or None when olefile
    cannot read it (a damaged container) or is missing (a dependency; the callers then look at the bytes)."""
    try:
        import olefile  # type: ignore[import-untyped]
    except ImportError:  # pragma: no cover - a dependency (pyproject.toml)
        return None
    try:
        return olefile.OleFileIO(f)
    except Exception:  # noqa: BLE001 - not an OLE2 file olefile can read
        return None


def summary_fields(ole: Any) -> list[tuple[str, str]]:
    """The document summary of an OLE2 container (author, last saved by, title, ...), as ``meta:`` fields."""
    try:
        meta = ole.get_metadata()
        out = []
        for attr, name in _SUMMARY:
            value = getattr(meta, attr, None)
            if isinstance(value, bytes):
                value = value.decode("cp1252", "replace")
            if isinstance(value, str) and value.strip("\x00 ").strip():
                out.append((name, value.strip("\x00 ").strip()))
        return out
    except Exception:  # noqa: BLE001 - a damaged summary: the cells are still read
        return []


def workbook_stream(ole: Any) -> bytes | None:
    """The ``Workbook`` stream of an OLE2 container, or None when it has none."""
    for name in ("Workbook", "Book"):
        if ole.exists(name):
            return bytes(ole.openstream(name).read())
    return None


def _records(data: bytes) -> Iterator[tuple[int, int, bytes]]:
    """(offset, type, body) of each record."""
    pos, n = 0, len(data)
    while pos + 4 <= n:
        rtype, length = struct.unpack_from("<HH", data, pos)
        body = data[pos + 4 : pos + 4 + length]
        yield pos, rtype, body
        pos += 4 + length


def _rk(value: int) -> float | int:
    if value & 0x02:
        num: float | int = value >> 2 if value < (1 << 31) else (value >> 2) - (1 << 30)
    else:
        num = struct.unpack("<d", struct.pack("<Q", (value & 0xFFFFFFFC) << 32))[0]
    if value & 0x01:
        num = num / 100
    return num


def _number(v: float | int) -> str:
    if isinstance(v, float) and v.is_integer() and abs(v) < 1e15:
        return str(int(v))
    return as_text(v)


class _Chunks:
    """The bytes of an SST record and its CONTINUE records, read across their boundaries."""

    def __init__(self, parts: list[bytes]) -> None:
        self.parts = parts
        self.i = 0
        self.pos = 0

    def take(self, n: int) -> bytes:
        out = b""
        while n > 0 and self.i < len(self.parts):
            part = self.parts[self.i]
            if self.pos >= len(part):
                self.i, self.pos = self.i + 1, 0
                continue
            got = part[self.pos : self.pos + n]
            out += got
            self.pos += len(got)
            n -= len(got)
        return out

    def chars(self, count: int, wide: bool) -> str:
        """``count`` characters; at a CONTINUE boundary a new option byte says how the rest is stored."""
        out: list[str] = []
        while count > 0 and self.i < len(self.parts):
            part = self.parts[self.i]
            if self.pos >= len(part):
                self.i, self.pos = self.i + 1, 0
                if self.i < len(self.parts):
                    wide = bool(self.take(1)[:1] == b"\x01")
                continue
            size = 2 if wide else 1
            fit = min(count, (len(part) - self.pos) // size)
            if fit == 0:
                self.i, self.pos = self.i + 1, 0
                continue
            raw = part[self.pos : self.pos + fit * size]
            self.pos += fit * size
            out.append(raw.decode("utf-16-le" if wide else "latin-1", "replace"))
            count -= fit
        return "".join(out)


def _shared_strings(parts: list[bytes]) -> list[str]:
    c = _Chunks(parts)
    head = c.take(8)
    if len(head) < 8:
        return []
    _, unique = struct.unpack("<II", head)
    out: list[str] = []
    for _ in range(unique):
        hdr = c.take(3)
        if len(hdr) < 3:
            break
        count, flags = struct.unpack("<HB", hdr)
        runs = struct.unpack("<H", c.take(2))[0] if flags & 0x08 else 0
        ext = struct.unpack("<I", c.take(4))[0] if flags & 0x04 else 0
        out.append(c.chars(count, bool(flags & 0x01)))
        c.take(4 * runs + ext)
    return out


def _label(body: bytes) -> str:
    count, flags = struct.unpack_from("<HB", body, 6)
    raw = body[9:]
    return raw[: count * 2].decode("utf-16-le", "replace") if flags & 0x01 else raw[:count].decode("latin-1", "replace")


def _string(body: bytes) -> str:
    count, flags = struct.unpack_from("<HB", body, 0)
    raw = body[3:]
    return raw[: count * 2].decode("utf-16-le", "replace") if flags & 0x01 else raw[:count].decode("latin-1", "replace")


def xls_sheets(data: bytes) -> Iterator[tuple[str, list[tuple[int, list[str]]]]]:
    """(sheet name, rows (1-based number, cell texts)) of each worksheet of a BIFF8 workbook stream."""
    sheets: list[tuple[int, str]] = []
    sst_parts: list[bytes] = []
    in_sst = False
    for _, rtype, body in _records(data):
        if rtype == FILEPASS:
            raise Encrypted("encrypted Excel workbook, a password is needed")
        if rtype == BOUNDSHEET and len(body) >= 8:
            offset, _visibility, kind = struct.unpack_from("<IBB", body, 0)
            if kind == 0:  # a worksheet (not a chart or macro sheet)
                count, flags = body[6], body[7]
                name = body[8 : 8 + count * 2].decode("utf-16-le", "replace") if flags & 1 else body[8 : 8 + count].decode("latin-1", "replace")
                sheets.append((offset, name))
        elif rtype == SST:
            sst_parts, in_sst = [body], True
            continue
        elif rtype == CONTINUE and in_sst:
            sst_parts.append(body)
            continue
        elif rtype == EOF:
            break
        in_sst = False
    strings = _shared_strings(sst_parts) if sst_parts else []
    cells_total = 0
    for offset, name in sheets:
        cells: dict[int, dict[int, str]] = {}
        pending_formula: tuple[int, int] | None = None
        for _, rtype, body in _records(data[offset:]):
            if rtype == EOF:
                break
            try:
                if rtype == LABELSST and len(body) >= 10:
                    row, col, _xf, idx = struct.unpack_from("<HHHI", body)
                    text = strings[idx] if idx < len(strings) else ""
                elif rtype == LABEL and len(body) >= 9:
                    row, col = struct.unpack_from("<HH", body)
                    text = _label(body)
                elif rtype == NUMBER and len(body) >= 14:
                    row, col, _xf, value = struct.unpack_from("<HHHd", body)
                    text = _number(value)
                elif rtype == RK and len(body) >= 10:
                    row, col, _xf, rk = struct.unpack_from("<HHHI", body)
                    text = _number(_rk(rk))
                elif rtype == MULRK and len(body) >= 6:
                    row, first = struct.unpack_from("<HH", body)
                    for k in range((len(body) - 6) // 6):
                        rk = struct.unpack_from("<I", body, 4 + 6 * k + 2)[0]
                        cells.setdefault(row, {})[first + k] = _number(_rk(rk))
                    continue
                elif rtype == FORMULA and len(body) >= 14:
                    row, col = struct.unpack_from("<HH", body)
                    result = body[6:14]
                    if result[6:8] == b"\xff\xff":
                        pending_formula = (row, col) if result[0] == 0 else None  # a text result follows
                        continue
                    text = _number(struct.unpack("<d", result)[0])
                elif rtype == STRING and pending_formula is not None and len(body) >= 3:
                    row, col = pending_formula
                    pending_formula = None
                    text = _string(body)
                else:
                    continue
            except (struct.error, IndexError):
                continue
            if text.strip():
                cells.setdefault(row, {})[col] = text
                cells_total += 1
                if cells_total > MAX_CELLS:
                    raise ConnectorError(f"more than {MAX_CELLS} cells: not read further")
        rows = []
        for r in sorted(cells):
            row_cells = cells[r]
            width = max(row_cells) + 1
            rows.append((r + 1, [row_cells.get(c, "") for c in range(width)]))
        yield name, rows


def xls_records(ctx: Ctx, data: bytes, meta: list[tuple[str, str]] | None = None) -> Iterator[Record]:
    from connectors.formats.office import sheet_rows_records

    if meta:
        yield ctx.record("meta", meta, False)
    try:
        for name, rows in xls_sheets(data):
            yield from sheet_rows_records(ctx, name, iter(rows))
    except Encrypted as exc:
        raise ConnectorError(f"{ctx.name}: {exc}") from None
    except ConnectorError as exc:
        ctx.problem(f"{ctx.name}: {exc}")
