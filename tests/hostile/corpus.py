"""Generators of hostile and broken input: every file is made by the test that needs it.

Nothing binary is committed. Each generator writes one file (or returns its
bytes) and is cheap: bombs are built from repeated compressed members or
crafted headers, never by compressing their full expansion.
"""

from __future__ import annotations

import gzip
import io
import struct
import zipfile
import zlib
from pathlib import Path

from tests.connectors.fileutil import PNR, docx_bytes, pdf_bytes, xlsx_bytes

MiB = 1 << 20

BILLION_LAUGHS_DTD = (
    '<!DOCTYPE lolz [\n <!ENTITY lol "lol">\n'
    + "".join(f' <!ENTITY lol{i} "{("&lol%s;" % (i - 1 if i > 1 else "")) * 10}">\n' for i in range(1, 10))
    + "]>\n"
)
"""Nine levels of ten references: ``&lol9;`` expands to 10^9 ``lol`` (3 GB)."""


# --- compression bombs ------------------------------------------------------------------------------


def gzip_member(data_len: int, byte: bytes = b"a") -> bytes:
    return gzip.compress(byte * data_len, compresslevel=9)


def gzip_bomb(expanded: int = 4 << 30) -> bytes:
    """A multi-member gzip of one letter (text, so it is read, not skipped as binary): ``expanded`` bytes from ``expanded / 1000``."""
    member = gzip_member(16 * MiB)
    return member * max(1, expanded // (16 * MiB))


def nested_gzip_bomb(levels: int = 3) -> bytes:
    """gzip of gzip of ... of a gzip bomb (each level compresses the previous level's output)."""
    data = gzip_bomb(1 << 30)
    for _ in range(levels - 1):
        data = gzip.compress(data, compresslevel=9)
    return data


def _zeros_deflated(size: int) -> bytes:
    co = zlib.compressobj(9, zlib.DEFLATED, -15)
    chunk = b"\0" * MiB
    out = [co.compress(chunk) for _ in range(size // MiB)]
    out.append(co.flush())
    return b"".join(out)


def _raw_zip(entries: list[tuple[str, bytes, int, int]]) -> bytes:
    """A zip from (name, deflated data, declared uncompressed size, crc) entries, headers written by hand.

    Lets a test declare sizes that lie, and names that ``zipfile`` would refuse to write.
    """
    out = io.BytesIO()
    central = []
    for name, data, size, crc in entries:
        nb = name.encode("utf-8")
        off = out.tell()
        out.write(struct.pack("<4sHHHHHIIIHH", b"PK\x03\x04", 20, 0x800, 8, 0, 0x21, crc, len(data), size, len(nb), 0))
        out.write(nb + data)
        central.append(
            struct.pack("<4sHHHHHHIIIHHHHHII", b"PK\x01\x02", 20, 20, 0x800, 8, 0, 0x21, crc, len(data), size, len(nb), 0, 0, 0, 0, 0, off)
            + nb
        )
    cd_off = out.tell()
    cd = b"".join(central)
    out.write(cd)
    out.write(struct.pack("<4sHHHHIIH", b"PK\x05\x06", 0, 0, len(entries), len(entries), len(cd), cd_off, 0))
    return out.getvalue()


def zip_bomb_flat(entries: int = 16, entry_size: int = 64 * MiB) -> bytes:
    """A zip of ``entries`` entries of zeros, each ~1000:1 (honest headers): 1 GiB from ~1 MB."""
    data = _zeros_deflated(entry_size)
    crc = zlib.crc32(b"\0" * entry_size)
    return _raw_zip([(f"zeros{i:02d}.txt", data, entry_size, crc) for i in range(entries)])


def zip_bomb_lying(entry_size: int = 32 * MiB) -> bytes:
    """One entry of zeros whose headers declare 1 KiB: the ratio is only visible while reading."""
    data = _zeros_deflated(entry_size)
    return _raw_zip([("small.csv", data, 1024, 0)])


def zip_bomb_nested(levels: int = 5, fanout: int = 10) -> bytes:
    """42.zip-style: a zip of ``fanout`` copies of a zip of ... of a 4 MiB zero file (400 GiB at 5 levels, a few KB).

    The copies of one level sit within deflate's window, so each level stays small.
    """
    data = zip_bomb_flat(1, 4 * MiB)
    for _ in range(levels):
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
            for i in range(fanout):
                zf.writestr(f"layer{i}.zip", data)
        data = buf.getvalue()
    return data


def zip_with_unsafe_entries(good_csv: bytes) -> bytes:
    """A zip whose entries try to leave it: ``../``, absolute, Windows drive and backslash paths, plus a good entry."""
    csv_deflated = zlib.compress(good_csv)[2:-4]
    crc = zlib.crc32(good_csv)
    names = ["../../escaped.csv", "/tmp/pii-scan-absolute.csv", "C:/Windows/evil.csv", "..\\..\\win.csv", "a/../../b.csv"]
    return _raw_zip([(n, csv_deflated, len(good_csv), crc) for n in names] + [("ok/kunder.csv", csv_deflated, len(good_csv), crc)])


# --- XML entity expansion ---------------------------------------------------------------------------


def _replace_part(zip_data: bytes, part: str, new: bytes) -> bytes:
    src = zipfile.ZipFile(io.BytesIO(zip_data))
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as out:
        for info in src.infolist():
            out.writestr(info.filename, new if info.filename == part else src.read(info.filename))
    return buf.getvalue()


def _with_laughs(xml: bytes) -> bytes:
    """Insert the billion-laughs DTD after the XML declaration and a ``&lol9;`` reference in the first text node."""
    text = xml.decode("utf-8")
    decl_end = text.index("?>") + 2 if text.startswith("<?xml") else 0
    body = text[decl_end:]
    # the first element's text: after the first '>' that is followed by a '<' start of a text-holding element
    i = body.index("<t") if "<t" in body else body.index(">") + 1
    j = body.index(">", i) + 1
    body = body[:j] + "&lol9;" + body[j:]
    return (text[:decl_end] + "\n" + BILLION_LAUGHS_DTD + body).encode("utf-8")


def docx_laughs() -> bytes:
    """A DOCX whose ``word/document.xml`` holds the billion-laughs DTD and reference."""
    data = docx_bytes()
    xml = zipfile.ZipFile(io.BytesIO(data)).read("word/document.xml")
    return _replace_part(data, "word/document.xml", _with_laughs(xml))


def docx_core_laughs() -> bytes:
    """A DOCX whose document properties (``docProps/core.xml``) expand."""
    data = docx_bytes()
    zf = zipfile.ZipFile(io.BytesIO(data))
    if "docProps/core.xml" not in zf.namelist():
        raise AssertionError("docx_bytes() has no core properties")
    xml = zf.read("docProps/core.xml")
    return _replace_part(data, "docProps/core.xml", _with_laughs(xml))


def xlsx_laughs(part: str) -> bytes:
    """An XLSX whose ``part`` (shared strings, a sheet, the workbook, core properties) expands."""
    data = xlsx_bytes({"Kunder": [["Namn", "Personnummer"], ["Åsa Öberg", PNR], ["Bo", "x"]]}, author="Åsa")
    names = zipfile.ZipFile(io.BytesIO(data)).namelist()
    if part not in names:
        raise AssertionError(f"{part} not in {names}")
    xml = zipfile.ZipFile(io.BytesIO(data)).read(part)
    return _replace_part(data, part, _with_laughs(xml))


# --- PDF --------------------------------------------------------------------------------------------


def _pdf(objs: list[bytes], trailer: bytes, *, prev_loop: bool = False) -> bytes:
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for n, body in enumerate(objs, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % n + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objs) + 1)
    for off in offsets:
        out += b"%010d 00000 n \n" % off
    prev = b" /Prev %d" % xref if prev_loop else b""
    out += b"trailer\n<< /Size %d " % (len(objs) + 1) + trailer + prev + b" >>\nstartxref\n%d\n%%%%EOF\n" % xref
    return bytes(out)


def pdf_reference_loops() -> bytes:
    """A PDF whose page tree, outlines and xref chain loop: Pages -> Kids -> itself, Parent cycles, /Prev to itself."""
    content = b"BT /F1 12 Tf 72 720 Td (Loop) Tj ET"
    objs = [
        b"<< /Type /Catalog /Pages 2 0 R /Outlines 6 0 R >>",
        b"<< /Type /Pages /Kids [2 0 R 4 0 R 7 0 R] /Count 3 /Parent 7 0 R >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 3 0 R >> /XObject << /X 8 0 R >> >> /Contents 5 0 R >>",
        b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream",
        b"<< /Type /Outlines /First 6 0 R /Last 6 0 R /Next 6 0 R /Count 1 >>",
        b"<< /Type /Pages /Kids [2 0 R] /Count 1 /Parent 2 0 R >>",
        b"<< /Type /XObject /Subtype /Form /BBox [0 0 10 10] /Resources << /XObject << /Y 8 0 R >> >> /Length 7 >>\nstream\n/Y Do Q\nendstream",
    ]
    return _pdf(objs, b"/Root 1 0 R", prev_loop=True)


def pdf_xobject_loop(text: str) -> bytes:
    """A valid page whose form XObject draws itself, and an outline entry that is its own next: readable."""
    content = b"BT /F1 12 Tf 72 720 Td (" + text.encode("latin-1") + b") Tj ET /X Do"
    xo = b"BT /F1 12 Tf (inner) Tj ET /X Do"
    objs = [
        b"<< /Type /Catalog /Pages 2 0 R /Outlines 6 0 R >>",
        b"<< /Type /Pages /Kids [4 0 R] /Count 1 >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 3 0 R >> /XObject << /X 7 0 R >> >> /Contents 5 0 R >>",
        b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream",
        b"<< /Type /Outlines /First 6 0 R /Last 6 0 R /Next 6 0 R /Count 1 >>",
        b"<< /Type /XObject /Subtype /Form /BBox [0 0 10 10] /Resources << /Font << /F1 3 0 R >> /XObject << /X 7 0 R >> >> "
        b"/Length %d >>\nstream\n" % len(xo) + xo + b"\nendstream",
    ]
    return _pdf(objs, b"/Root 1 0 R")


def pdf_huge_stream(expanded: int = 96 * MiB) -> bytes:
    """A one-page PDF whose content stream inflates to ``expanded`` bytes of spaces (from ~1 MB)."""
    co = zlib.compressobj(9)
    chunk = b" " * MiB
    stream = b"".join(co.compress(chunk) for _ in range(expanded // MiB)) + co.flush()
    objs = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [4 0 R] /Count 1 >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 3 0 R >> >> /Contents 5 0 R >>",
        b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(stream) + stream + b"\nendstream",
    ]
    return _pdf(objs, b"/Root 1 0 R")


def pdf_lying_length() -> bytes:
    """A PDF whose stream declares a /Length of 2^40 bytes."""
    good = pdf_bytes([f"Pnr {PNR}"])
    return good.replace(b"<< /Length ", b"<< /Length 1099511627776 /Old ", 1)


# --- large and broken text --------------------------------------------------------------------------


def write_single_line(path: Path, size: int, head: str, tail: str, unit: str = "lorem ipsum dolor sit amet ") -> None:
    """``size`` bytes on one line without a newline: ``head`` + ``unit`` repeated + ``tail``, written streaming.

    With a 4-byte character as ``unit`` (an emoji) every character costs Python 4 bytes in memory.
    """
    raw = unit.encode()
    filler = raw * ((1 << 20) // len(raw))
    with open(path, "wb") as f:
        f.write(head.encode())
        left = size - len(head.encode()) - len(tail.encode())
        while left >= len(raw):
            n = min(left, len(filler)) // len(raw) * len(raw)
            f.write(filler[:n])
            left -= n
        f.write(b" " * left)
        f.write(tail.encode())
