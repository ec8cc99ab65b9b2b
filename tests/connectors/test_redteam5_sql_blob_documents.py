"""Documents stored in BLOB/bytea columns (a ``dokument`` table of contracts and letters).

Before, a blob was read only when it decoded as text: a PDF, a DOCX, a gzip'd text in a
BLOB was "a known binary format" and skipped in silence, so the personnummer in a stored
contract was never found. Now such a blob is read with the file-format readers, its text
given as the column's value (one long text: found, not linked to the row's values, as a
text blob); pictures and other binaries are still skipped; a document that cannot be read
fully makes the unit partial with the reason, after its rows.
"""

from __future__ import annotations

import gzip
import io
import sqlite3
from pathlib import Path

import docx
import pytest

from connectors.base import ConnectorError
from connectors.sql import SqlConnector

PNR = "19640823-3234"  # Skatteverket test personnummer
PHONE = "070-174 06 05"  # PTS fiction number


def _pdf(line: str) -> bytes:
    content = f"BT /F1 11 Tf 50 780 Td ({line}) Tj ET".encode("latin-1")
    objs = [b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>",
            b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
            b"<< /Length " + str(len(content)).encode() + b" >>\nstream\n" + content + b"\nendstream"]
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n")
    offs = []
    for i, o in enumerate(objs, start=1):
        offs.append(out.tell())
        out.write(f"{i} 0 obj\n".encode() + o + b"\nendobj\n")
    xref = out.tell()
    out.write(f"xref\n0 {len(objs) + 1}\n0000000000 65535 f \n".encode())
    out.write(b"".join(f"{o:010d} 00000 n \n".encode() for o in offs))
    out.write(f"trailer\n<< /Size {len(objs) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode())
    return out.getvalue()


def _docx(text: str) -> bytes:
    d = docx.Document()
    d.add_paragraph(text)
    buf = io.BytesIO()
    d.save(buf)
    return buf.getvalue()


def _db(tmp_path: Path, blobs: list[bytes]) -> SqlConnector:
    path = tmp_path / "docs.sqlite"
    con = sqlite3.connect(path)
    con.execute("CREATE TABLE dokument (id INTEGER PRIMARY KEY, kund_id INTEGER, innehall BLOB)")
    con.executemany("INSERT INTO dokument VALUES (?, 7, ?)", list(enumerate(blobs, 1)))
    con.commit()
    con.close()
    return SqlConnector("docs", {"url": f"sqlite:///{path}"})


def _rows(conn: SqlConnector) -> dict[str, str]:
    out = {}
    for unit in conn.units():
        for rec in conn.read(unit):
            out[rec.location.item] = "\n".join(t for f, t in rec.fields if f == "innehall")
    return out


def test_documents_in_blobs_are_read(tmp_path: Path) -> None:
    conn = _db(tmp_path, [
        _pdf(f"Anstallningsavtal, personnummer {PNR}"),
        _docx(f"Fullmakt. Personnummer {PNR}, mobil {PHONE}"),
        gzip.compress(f"Personnummer {PNR}\n".encode()),
        b"\xff\xd8\xff\xe0" + bytes(range(256)) * 4,  # a JPEG: a picture, still skipped
    ])
    rows = _rows(conn)
    assert PNR in rows["id=1"]
    assert PNR in rows["id=2"] and PHONE in rows["id=2"]
    assert PNR in rows["id=3"]
    assert rows.get("id=4", "") == ""


def test_a_damaged_document_blob_makes_the_unit_partial(tmp_path: Path) -> None:
    conn = _db(tmp_path, [_pdf(f"Personnummer {PNR}"), b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog" + b"\x00" * 50])
    (unit,) = list(conn.units())
    got = []
    with pytest.raises(ConnectorError) as exc:
        for rec in conn.read(unit):
            got.append(rec.location.item)
    assert got == ["id=1", "id=2"]  # every row read first
    assert "innehall" in str(exc.value) and "1964" not in str(exc.value)
