"""Content sniffing: what a stream is, from its first bytes; the name's extension only breaks ties."""

from __future__ import annotations

import json
import posixpath
import re
from dataclasses import dataclass

from connectors.formats.delimited import TABLE_EXTENSIONS, Table, sniff_table
from connectors.formats.encoding import decode, detect_encoding

FORMATS = (
    "empty", "zip", "gzip", "bzip2", "xz", "tar", "pdf", "parquet", "ole2", "binary",
    "json", "jsonl", "html", "xml", "csv", "text", "eml", "mbox", "msg", "7z", "rar", "rtf", "sqlite", "access",
    "zstd", "avro", "orc", "tiff", "png", "jpeg", "pgdump", "pgdump-sql", "mysqldump", "pst",
)  # fmt: skip
# 7z / rar: archives pii-scan cannot open; reported as not read (never silently skipped)
# sqlite: a SQLite database file, read table by table (connectors.formats.sqlitedb)
# access: a Microsoft Access database (.mdb/.accdb), which pii-scan cannot open: reported as not read
# zstd: decompressed as gzip is; avro, orc: row files of a data lake, read as Parquet is (connectors.formats.columnar)
# pgdump (pg_dump -Fc), pgdump-sql (plain pg_dump), mysqldump: a dump's rows as records (connectors.formats.sqldump)
# tiff: a scanner's pages, read by OCR; png, jpeg: pictures, read by OCR only with limits.ocr_images (connectors.formats.ocr)
# eml / mbox / msg: mail stored as a file, read as mail (connectors.formats.mailfile)
# pst: an Outlook .pst/.ost archive, read folder by folder as mail (connectors.formats.pst)
# zip is refined to xlsx / docx when its entries say so (see archives.zip_kind)

JSONL_EXTENSIONS = (".jsonl", ".ndjson", ".jsonlines")
HTML_EXTENSIONS = (".html", ".htm", ".xhtml")

_LENGTH_LINE = re.compile(rb"[0-9]{1,12}[ \t]*\r?\n")  # Apple Mail's .emlx starts with the message's length
_XML_START = re.compile(r"<[A-Za-z_][\w:.\-]*[\s>/]")
_PRINTABLE_ASCII = bytes(range(0x20, 0x7F)) + b"\t\n\r\f"
_HIGH = bytes(range(0x80, 0x100))
_CONTROL = bytes(range(0, 32)).replace(b"\t", b"").replace(b"\n", b"").replace(b"\r", b"").replace(b"\f", b"").replace(b"\x1b", b"")


@dataclass(frozen=True)
class Kind:
    """What a stream is: its format, and for text its encoding (and table dialect for csv)."""

    format: str
    encoding: str = ""
    table: Table | None = None


def extension(name: str) -> str:
    return posixpath.splitext(name.replace("\\", "/").rsplit("!", 1)[-1])[1].lower()


def _binary_magic(head: bytes) -> str | None:
    if head.startswith((b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08")):
        return "zip"
    if head.startswith(b"%PDF-") or b"%PDF-" in head[:1024]:
        return "pdf"
    if head.startswith(b"PAR1"):
        return "parquet"
    if head.startswith(b"\x1f\x8b"):
        return "gzip"
    if head.startswith(b"BZh") and head[3:4].isdigit() and head[4:10] in (b"1AY&SY", b"\x17rE8P\x90"):
        return "bzip2"
    if head.startswith(b"\xfd7zXZ\x00"):
        return "xz"
    if head.startswith(b"\x28\xb5\x2f\xfd"):
        return "zstd"
    if head.startswith(b"Obj\x01"):
        return "avro"
    if head.startswith(b"ORC") and any(b < 9 for b in head[3:64]):  # the file's protobuf follows (no text does)
        return "orc"
    if len(head) >= 262 and head[257:262] == b"ustar":
        return "tar"
    if head.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        return "ole2"
    if head.startswith(b"PGDMP"):
        return "pgdump"
    if head.startswith((b"II*\x00", b"MM\x00*")):
        return "tiff"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head.startswith(b"SQLite format 3\x00"):
        return "sqlite"
    if head.startswith(b"!BDN"):  # the Personal Folders File header of Outlook's .pst and .ost
        return "pst"
    if head[4:19] in (b"Standard Jet DB", b"Standard ACE DB"):
        return "access"
    if head.startswith(b"7z\xbc\xaf\x27\x1c"):
        return "7z"
    if head.startswith(b"Rar!\x1a\x07"):
        return "rar"
    return None


def _looks_binary(head: bytes, encoding: str) -> bool:
    if encoding.startswith(("utf-16", "utf-32")):
        return False
    sample = head[:8192]
    nul = sample.count(0)
    if nul:
        # Stray NUL bytes (NUL-padded fields of a legacy export, a damaged log) do not
        # make text binary: what is left must be printable, with hardly any control
        # characters and mostly ASCII, which no binary format (code, images,
        # compressed data) is.
        rest = sample.replace(b"\x00", b"")
        if nul * 2 > len(sample) or len(rest) < 16:
            return True
        high = len(rest) - len(rest.translate(None, _HIGH))
        controls = len(rest.translate(None, _PRINTABLE_ASCII + _HIGH))
        return controls > len(rest) * 0.01 or high > len(rest) * 0.3
    control = sum(sample.count(bytes([c])) for c in _CONTROL) if sample else 0
    return control > len(sample) * 0.1


def _json_kind(text: str, at_eof: bool, ext: str) -> str | None:
    """``json``, ``jsonl`` or None for a text starting with ``{`` or ``[``."""
    decoder = json.JSONDecoder()
    try:
        _, end = decoder.raw_decode(text)
    except json.JSONDecodeError as exc:
        truncated = not at_eof and (exc.pos >= len(text.rstrip()) - 5 or exc.msg.startswith("Unterminated string"))
        if not truncated:
            return "json" if ext == ".json" else None  # a damaged .json file is reported, not read as text
        if ext in JSONL_EXTENSIONS:
            return "jsonl"
        first = text.split("\n", 1)[0].strip()
        try:
            json.loads(first)
        except ValueError:
            return "json"
        return "jsonl" if "\n" in text.strip() else "json"
    rest = text[end:].strip()
    if not rest:
        return "jsonl" if ext in JSONL_EXTENSIONS else "json"
    return "jsonl" if rest.startswith(("{", "[")) else None


def detect(head: bytes, name: str = "", at_eof: bool = False) -> Kind:
    """What the stream whose first bytes are ``head`` is.

    >>> detect(b"%PDF-1.4 ...").format, detect(b"PK\\x03\\x04...").format
    ('pdf', 'zip')
    >>> detect(b"namn;personnummer\\nAnna;19640823-3234\\nBo;680164-2395\\n", "a.txt", True).table.delimiter
    ';'
    >>> detect(b'{"a": 1}\\n{"a": 2}\\n', "x", True).format, detect(b'{"a":\\n 1}\\n', "x", True).format
    ('jsonl', 'json')
    >>> detect(b"[2024-01-01 10:00] INFO started\\n", "app.log", True).format
    'text'
    >>> detect(b"From asa@example.se Wed May  1 08:30:00 2024\\nSubject: x\\n\\nhej\\n", "arkiv", True).format
    'mbox'
    """
    if not head:
        return Kind("empty")
    from connectors.formats.mailfile import mail_kind

    magic = _binary_magic(head)
    if magic:
        if magic == "ole2" and mail_kind(head, name) == "msg":
            return Kind("msg")
        return Kind(magic)
    if head.startswith((b"From ", b"\xef\xbb\xbf")) or head[:1].isalpha() or _LENGTH_LINE.match(head):
        mail = mail_kind(head, name)
        if mail:
            return Kind(mail)
    ext = extension(name)
    encoding = detect_encoding(head, at_eof)
    if _looks_binary(head, encoding):
        return Kind("binary")
    text = decode(head, encoding)
    body = text.lstrip("\ufeff \t\r\n")
    if not body:
        return Kind("text", encoding)
    if body.startswith("{\\rtf"):
        return Kind("rtf", encoding)
    if body.startswith("--") and "-- PostgreSQL database dump" in body[:2048]:
        return Kind("pgdump-sql", encoding)
    if body.startswith(("--", "/*")) and ("-- MySQL dump" in body[:2048] or "-- MariaDB dump" in body[:2048]):
        return Kind("mysqldump", encoding)  # (MariaDB 10.11 writes a "sandbox mode" comment above the header)
    if body[0] in "{[":
        fmt = _json_kind(body, at_eof, ext)
        if fmt:
            return Kind(fmt, encoding)
    if body[0] == "<":
        low = body[:2048].lower()
        if low.startswith(("<!doctype html", "<html")) or ext in HTML_EXTENSIONS:
            return Kind("html", encoding)
        if low.startswith("<?xml") or low.startswith("<!doctype") or _XML_START.match(body):
            if "<html" in low or "<!doctype html" in low:
                return Kind("html", encoding)
            return Kind("xml", encoding)
        if "<html" in low or "<body" in low or "<div" in low or "<p>" in low:
            return Kind("html", encoding)
    table = sniff_table(text, at_eof, ext)
    if table is not None:
        return Kind("csv", encoding, table)
    return Kind("text", encoding)


def sniff(head: bytes, name: str = "", at_eof: bool = False) -> str:
    """The format name of a stream from its first bytes (see :data:`FORMATS`)."""
    return detect(head, name, at_eof).format


__all__ = ["FORMATS", "Kind", "detect", "extension", "sniff", "TABLE_EXTENSIONS"]
