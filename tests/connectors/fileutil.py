"""Fictional files of every format, made in the tests (no fixtures on disk)."""

from __future__ import annotations

import io
from typing import Any

PNR = "19640823-3234"  # Skatteverket test numbers
PNR2 = "680164-2395"
PHONE = "070-174 06 05"  # PTS fiction number
EMAIL = "anna.andersson@example.se"


class NonSeekable(io.RawIOBase):
    """A body like an S3 object's: read only, no seek, short reads."""

    def __init__(self, data: bytes, step: int = 7001) -> None:
        self._data = memoryview(data)
        self._pos = 0
        self._step = step

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return False

    def read(self, n: int = -1) -> bytes:  # type: ignore[override]
        if n is None or n < 0:
            n = len(self._data) - self._pos
        n = min(n, self._step)
        out = bytes(self._data[self._pos : self._pos + n])
        self._pos += len(out)
        return out


def pdf_bytes(pages: list[str], info: dict[str, str] | None = None) -> bytes:
    """A small valid PDF with one Helvetica text line per page (ASCII text)."""

    def esc(s: str) -> bytes:
        return s.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)").encode("latin-1")

    objs: list[bytes] = []
    kids = " ".join(f"{4 + 2 * i} 0 R" for i in range(len(pages)))
    objs.append(b"<< /Type /Catalog /Pages 2 0 R >>")
    objs.append(f"<< /Type /Pages /Kids [{kids}] /Count {len(pages)} >>".encode())
    objs.append(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
    for i, text in enumerate(pages):
        content = b"BT /F1 12 Tf 72 720 Td (" + esc(text) + b") Tj ET"
        objs.append(
            f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 3 0 R >> >> "
            f"/Contents {5 + 2 * i} 0 R >>".encode()
        )
        objs.append(b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream")
    trailer_extra = b""
    if info:
        entries = b" ".join(b"/" + k.encode() + b" (" + esc(v) + b")" for k, v in info.items())
        objs.append(b"<< " + entries + b" >>")
        trailer_extra = b" /Info %d 0 R" % len(objs)
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for n, body in enumerate(objs, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % n + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objs) + 1)
    for off in offsets:
        out += b"%010d 00000 n \n" % off
    out += b"trailer\n<< /Size %d /Root 1 0 R" % (len(objs) + 1) + trailer_extra + b" >>\nstartxref\n%d\n%%%%EOF\n" % xref
    return bytes(out)


def xlsx_bytes(sheets: dict[str, list[list[Any]]], author: str | None = None) -> bytes:
    import openpyxl

    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for title, rows in sheets.items():
        ws = wb.create_sheet(title)
        for r, row in enumerate(rows, start=1):
            for c, value in enumerate(row, start=1):
                if value is not None:
                    ws.cell(row=r, column=c, value=value)
    if author:
        wb.properties.creator = author
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def docx_bytes() -> bytes:
    import docx

    d = docx.Document()
    d.add_paragraph("Anställningsavtal")
    d.add_paragraph(f"Anna Andersson, personnummer {PNR}, nås på {PHONE}.")
    t = d.add_table(rows=3, cols=3)
    for r, row in enumerate([["Namn", "Personnummer", "Telefon"], ["Anna", PNR, PHONE], ["Bo", PNR2, ""]]):
        for c, text in enumerate(row):
            t.cell(r, c).text = text
    d.add_paragraph(f"Kontakt: {EMAIL}")
    d.core_properties.author = "Karin Chef"
    d.core_properties.title = "Avtal"
    d.sections[0].header.paragraphs[0].text = "Konfidentiellt: HR"
    buf = io.BytesIO()
    d.save(buf)
    return buf.getvalue()


def parquet_bytes() -> bytes:
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.table(
        {
            "id": [1, 2, 3],
            "personnummer": [PNR, PNR2, None],
            "kontakt": [{"email": EMAIL, "tel": PHONE}, {"email": None, "tel": "08-123 456"}, None],
            "telefoner": [[PHONE, "08-1"], [], None],
            "belopp": [198112289874.0, 1.5, None],
        }
    )
    buf = io.BytesIO()
    pq.write_table(table, buf, row_group_size=2)
    return buf.getvalue()


def zip_bytes(entries: dict[str, bytes], compression: int = 8) -> bytes:
    import zipfile

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression) as z:
        for name, data in entries.items():
            z.writestr(name, data)
    return buf.getvalue()
