"""Shared file-format readers: one binary stream in, records out.

Used by the files connector, the S3 connector (object bodies) and the mail
connector (attachments). The API is a stream, not a path::

    from connectors.formats import read_stream

    for record in read_stream(body, "exports/kunder.csv",
                              container="exports/kunder.csv",
                              loc_factory=lambda container, item: Location("s3", "crm", container, item),
                              limits=Limits(), mtime=last_modified):
        ...

``read_stream(fileobj, name, *, container, loc_factory, limits=None, mtime=None, emit_name=False)``

* ``fileobj``: a binary file-like object with ``read(n)``, seekable or not
  (an S3 body is not). A seekable object at offset 0 is used in place;
  otherwise the first 64 KiB are kept for sniffing and the rest is read
  sequentially. Formats that must seek (zip, xlsx, docx, pdf, parquet) spool
  a non-seekable stream to a temporary file first, at most
  ``limits.max_expanded_bytes``. The caller closes ``fileobj``.
* ``name``: the object's name or path, used only as a tie-breaker (the
  extension) after content sniffing, and to name archive entries.
* ``container`` and ``loc_factory(container, item) -> Location``: every record's
  location is built by the caller's factory; inside an archive the container
  becomes ``<container>!<entry path>``.
* ``mtime`` (epoch seconds or datetime): gives every record its ``ref_date``
  (the date, for the century of 10-digit personnummer) and ``record_date``
  (naive UTC); archive entries carry their own dates.
* ``emit_name``: first yield a record holding ``name`` itself (field ``path``,
  ``item`` ``""``), so a file called ``811228-9874_lönespec.pdf`` is found.

It yields :class:`~connectors.base.Record` objects one at a time, in bounded
memory. Errors: a stream that cannot be read at all raises
:class:`~connectors.base.ConnectorError` (after any records read before the
damage, e.g. a truncated gzip); parts that could be skipped (a zip entry that
is unsafe, too large or damaged; a PDF page; a malformed CSV row) are skipped
and reported, and :class:`PartialRead` (a ``ConnectorError``) is raised after
the last record. Messages name files, entries and reasons, never values.

Formats are chosen by content first (:func:`sniff`): zip (refined to xlsx or
docx by its entries), PDF, Parquet, Avro, ORC, SQLite databases, gzip / bzip2 / xz / zstd, tar, 7z and rar, Access
databases and Excel binary workbooks (.xlsb) (these four not opened: reported as not read), OLE2 (legacy
Office: printable strings; an Outlook ``.msg`` is mail), mail (an ``.eml``
message or an mbox: :mod:`connectors.formats.mailfile`), JSON vs JSON
Lines, HTML, XML, RTF (its text, :func:`connectors.mail.rtf_text`: items are
the lines of that text), and text, which is
CSV/TSV when it reads as a table, else plain text/log lines. Each module
documents its items and field names:

=================  ==========================  ==================================================
format             item                        fields
=================  ==========================  ==================================================
csv/tsv            line number (physical)      header name, ``column N``
json lines         line number                 JSON path ``$.customer.email``
json document      ``[i]``, ``$.key[i]``, ``$``  JSON path relative to the record
parquet, avro, orc row number                  column, ``address.city``, ``phones[0]``
xlsx, ods          ``Sheet1:5``                header name, else ``Sheet1!B5``
docx, odt, odp     ``paragraph 3``,            ``text``; table rows: header name, ``column N``;
                   ``table 1 row 2``, ``meta``   ``meta:author`` ...
pptx               ``slide 2``, ``slide 2 notes``  ``text``; tables as docx
pdf                ``p3``, ``meta``, ``form``,   ``text``, ``meta:/Author``, ``form:<name>``;
                   ``p3 annotation 1``          attachments: container ``<pdf>!<name>``
html               source line of the block    ``text``
xml                ``/root/child[n]``          ``name``, ``address/city``, ``@id``
text/log           line number                 ``text``
mail (eml, mbox,   Message-ID                  ``header:From``, ``body``, ``attachment:<name>!...``
msg)                                           (as the mail connector: :mod:`connectors.mime`)
ole2               ``@<byte offset>``          ``text``
sqlite database    row key (``id=7``), in the  column (as a SQL source: :mod:`connectors.formats.sqlitedb`)
                   container ``<file>!main.t``
outlook pst/ost    Message-ID or               as mail; a contact's properties ``MobileTelephoneNumber`` ...
                   ``pst-entry:<n>``, in the   (:mod:`connectors.formats.pst`)
                   container ``<file>!<folder>``
name of a file     ``""``                      ``path``
=================  ==========================  ==================================================

Line-oriented files (csv, jsonl, text) can also be read by byte range
(:func:`read_range`) for very large files split into several units; their
items are then ``@<byte offset of the line>`` (line numbers would need every
preceding byte).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import IO, Any

from connectors.base import ConnectorError, Limits, Record
from connectors.formats.core import (
    MAX_MESSAGE_BYTES,
    PATH_FIELD,
    TEXT_FIELD,
    Ctx,
    LimitExceeded,
    LocFactory,
    PartialRead,
    as_dates,
    describe,
)
from connectors.formats.encoding import ascii_compatible, detect_encoding, text_stream
from connectors.formats.sniffing import FORMATS, Kind, detect, sniff
from connectors.formats.streams import HEAD_BYTES, Source, range_lines, read_fully, text_lines

LINE_FORMATS = ("csv", "jsonl", "text")
MAX_RTF_BYTES = 64 << 20  # an RTF document is read whole (its text needs its groups); pictures make most of a large one


def _line_cap(ctx: Ctx) -> int:
    return 4 * ctx.limits.max_field_chars


def _dispatch(ctx: Ctx, src: Source, name: str, kind: Kind) -> Iterator[Record]:
    fmt = kind.format
    if fmt in ("empty", "binary"):
        return
    if fmt in ("7z", "rar"):
        raise ConnectorError(f"{ctx.name}: a {fmt} archive, which pii-scan cannot open: its content was not read")
    if fmt == "access":
        raise ConnectorError(f"{ctx.name}: a Microsoft Access database, which pii-scan cannot open: its tables were not "
                             "read (export them, or copy the database into SQLite or another SQL source)")
    if fmt == "text":
        from connectors.formats.text import folded, text_records, unfold_lines

        lines = text_lines(text_stream(src.stream(), kind.encoding), ctx.limits.max_field_chars)
        if folded(src.head, name):  # iCalendar, vCard: folded lines unfolded
            lines = unfold_lines(lines, ctx.limits.max_field_chars)
        yield from text_records(ctx, lines)
    elif fmt == "rtf":
        from connectors.formats.text import text_records
        from connectors.mail import rtf_text

        data = read_fully(src.stream(), MAX_RTF_BYTES + 1)
        if len(data) > MAX_RTF_BYTES:
            ctx.problem(f"{ctx.name}: RTF document larger than {MAX_RTF_BYTES} bytes, read up to that size")
        rtf_lines = rtf_text(data[:MAX_RTF_BYTES]).splitlines(keepends=True)
        del data
        yield from text_records(ctx, ((str(n), line, False) for n, line in enumerate(rtf_lines, start=1)))
    elif fmt == "csv":
        from connectors.formats.delimited import csv_records

        assert kind.table is not None
        lines = text_lines(text_stream(src.stream(), kind.encoding), _line_cap(ctx))
        yield from csv_records(ctx, lines, kind.table, skip_header=True, cap=_line_cap(ctx))
    elif fmt == "jsonl":
        from connectors.formats.jsondoc import jsonl_records

        yield from jsonl_records(ctx, text_lines(text_stream(src.stream(), kind.encoding), _line_cap(ctx)))
    elif fmt == "json":
        from connectors.formats.jsondoc import json_records

        yield from json_records(ctx, src, kind.encoding)
    elif fmt == "html":
        from connectors.formats.markup import html_records

        yield from html_records(ctx, src, kind.encoding)
    elif fmt == "xml":
        from connectors.formats.markup import xml_records

        yield from xml_records(ctx, src, kind.encoding)
    elif fmt == "pdf":
        from connectors.formats.pdf import pdf_records

        yield from pdf_records(ctx, src, read_in)
    elif fmt == "parquet":
        from connectors.formats.parquet import parquet_records

        yield from parquet_records(ctx, src)
    elif fmt == "avro":
        from connectors.formats.columnar import avro_records

        yield from avro_records(ctx, src)
    elif fmt == "orc":
        from connectors.formats.columnar import orc_records

        yield from orc_records(ctx, src)
    elif fmt == "pgdump-sql":
        from connectors.formats.sqldump import plain_dump_records

        yield from plain_dump_records(ctx, text_stream(src.stream(), kind.encoding))
    elif fmt == "mysqldump":
        from connectors.formats.sqldump import mysql_dump_records

        yield from mysql_dump_records(ctx, text_stream(src.stream(), kind.encoding))
    elif fmt == "pgdump":
        from connectors.formats.sqldump import custom_dump_records

        yield from custom_dump_records(ctx, src)
    elif fmt in ("tiff", "png", "jpeg"):
        if fmt != "tiff" and not ctx.limits.ocr_images:
            return  # a picture: read by OCR only when the source asks (limits.ocr_images)
        from connectors.formats.ocr import image_records

        yield from image_records(ctx, src, fmt)
    elif fmt == "sqlite":
        from connectors.formats.sqlitedb import sqlite_records

        yield from sqlite_records(ctx, src)
    elif fmt == "pst":
        from connectors.formats.pst import file_records

        yield from file_records(ctx, src)
    elif fmt in ("eml", "mbox", "msg"):
        from connectors.formats.mailfile import mail_records

        yield from mail_records(ctx, src, fmt)
    elif fmt == "ole2":
        from connectors.formats.biff import MAX_WORKBOOK_BYTES, open_ole, summary_fields, workbook_stream, xls_records
        from connectors.formats.binary import encrypted_office, strings_records

        f = src.seekable_file()
        f.seek(0, 2)
        small = f.tell() <= MAX_WORKBOOK_BYTES
        f.seek(0)
        ole = open_ole(f)  # once, for the encryption check, the workbook and its summary
        try:
            if encrypted_office(src, ole):
                raise ConnectorError(f"{ctx.name}: encrypted Office document, a password is needed")
            book = workbook_stream(ole) if ole is not None and small else None
            summary = summary_fields(ole) if book is not None else []
        finally:
            if ole is not None:
                ole.close()
            f.seek(0)
        if book is not None:  # a legacy Excel workbook: its cells, row by row
            yield from xls_records(ctx, book, summary)
            return
        yield from strings_records(ctx, src)
    elif fmt == "zip":
        from connectors.formats import archives

        sub = archives.zip_kind(src.seekable_file())
        if sub == "xlsx":
            from connectors.formats.office import xlsx_records

            yield from xlsx_records(ctx, src)
        elif sub == "docx":
            from connectors.formats.office import docx_records

            yield from docx_records(ctx, src)
        elif sub == "pptx":
            from connectors.formats.office import pptx_records

            yield from pptx_records(ctx, src)
        elif sub in ("odt", "ods"):
            from connectors.formats.opendocument import odf_records

            yield from odf_records(ctx, src, sub)
        elif sub == "xlsb":
            raise ConnectorError(f"{ctx.name}: an Excel binary workbook (.xlsb), which pii-scan cannot read: its "
                                 "cells were not read (save it as .xlsx)")
        else:
            yield from archives.zip_records(ctx, src, read_in)
    elif fmt == "tar":
        from connectors.formats import archives

        yield from archives.tar_records(ctx, src, read_in)
    elif fmt in ("gzip", "bzip2", "xz", "zstd"):
        from connectors.formats import archives

        yield from archives.compressed_records(ctx, src, name, fmt, read_in)
    else:  # pragma: no cover - FORMATS and this switch go together
        raise ConnectorError(f"{ctx.name}: no reader for format {fmt}")


def read_in(ctx: Ctx, fileobj: Any, name: str, seekable: bool | None = None) -> Iterator[Record]:
    """Sniff and read one stream within a context (archive readers call this for their entries)."""
    src = Source(fileobj, max_spool=ctx.limits.max_expanded_bytes, seekable=seekable)
    fmt = "stream"
    try:
        kind = detect(src.head, name, src.at_eof)
        fmt = kind.format
        yield from _dispatch(ctx, src, name, kind)
    except ConnectorError:
        raise
    except ImportError as exc:
        raise ConnectorError(f"{ctx.name}: reading {fmt} needs the Python package {exc.name or 'missing'}") from None
    except (EOFError, OSError) as exc:
        raise ConnectorError(f"{ctx.name}: {fmt} read failed ({describe(exc)})") from None
    except Exception as exc:  # noqa: BLE001 - a reader's unexpected failure is this stream's error
        raise ConnectorError(f"{ctx.name}: {fmt} reader failed ({type(exc).__name__})") from None
    finally:
        src.close()


def name_record(ctx: Ctx, name: str) -> Record:
    """The record of a file's own name: field ``path``, empty item."""
    return ctx.record("", [(PATH_FIELD, name)], False)


def read_stream(
    fileobj: IO[bytes] | Any,
    name: str,
    *,
    container: str,
    loc_factory: LocFactory,
    limits: Limits | None = None,
    mtime: Any = None,
    emit_name: bool = False,
    max_message_bytes: int = MAX_MESSAGE_BYTES,
) -> Iterator[Record]:
    """Records of one stream, whatever its format (see the module docstring).

    ``max_message_bytes``: mail stored as a file (:mod:`connectors.formats.mailfile`),
    a larger message has only its header read (the S3 connector's ``max_message_bytes``).
    """
    ref_date, record_date = as_dates(mtime)
    ctx = Ctx(container, loc_factory, limits or Limits(), ref_date, record_date, max_message_bytes=max_message_bytes)
    if emit_name:
        yield name_record(ctx, name)
    yield from read_in(ctx, fileobj, name)
    if ctx.problems:
        raise PartialRead(container, ctx.problems.messages, ctx.problems.count)


def zip_file_parts(f: IO[bytes], limits: Limits | None, target_bytes: int) -> list[tuple[int, int, int]]:
    """A plain zip archive's entries in parts of about ``target_bytes`` (:func:`archives.zip_parts`), for units
    of their own; ``[]`` for an Office or OpenDocument file (a zip read as one document) or one part."""
    from connectors.formats import archives

    try:
        return archives.zip_parts(f, (limits or Limits()).max_entries, target_bytes)
    finally:
        f.seek(0)


def read_zip_part(
    fileobj: IO[bytes] | Any,
    name: str,
    part: tuple[int, int, int],
    *,
    container: str,
    loc_factory: LocFactory,
    limits: Limits | None = None,
    mtime: Any = None,
) -> Iterator[Record]:
    """Records of one part of a large zip (:func:`zip_file_parts`): its entries, read as :func:`read_stream` reads
    them (containers ``<archive>!<entry>``), under the share of ``max_expanded_bytes`` the entries before leave."""
    from connectors.formats import archives

    ref_date, record_date = as_dates(mtime)
    ctx = Ctx(container, loc_factory, limits or Limits(), ref_date, record_date)
    src = Source(fileobj, max_spool=ctx.limits.max_expanded_bytes)
    try:
        yield from archives.zip_records(ctx, src, read_in, part)
    except ConnectorError:
        raise
    except (EOFError, OSError) as exc:
        raise ConnectorError(f"{ctx.name}: zip read failed ({describe(exc)})") from None
    finally:
        src.close()
    if ctx.problems:
        raise PartialRead(container, ctx.problems.messages, ctx.problems.count)


def splittable(head: bytes, name: str, at_eof: bool = False) -> bool:
    """Whether a file with these first bytes can be read by byte ranges (:func:`read_range`)."""
    kind = detect(head, name, at_eof)
    if kind.format == "text":
        from connectors.formats.text import folded

        if folded(head, name):
            return False  # a range could start inside a folded line
    # a plain pg_dump larger than a unit is read by ranges as text lines (its COPY rows then without their columns)
    return (kind.format in LINE_FORMATS or kind.format in ("pgdump-sql", "mysqldump")) and ascii_compatible(kind.encoding)


def read_range(
    f: IO[bytes],
    name: str,
    start: int,
    end: int,
    *,
    container: str,
    loc_factory: LocFactory,
    limits: Limits | None = None,
    mtime: Any = None,
) -> Iterator[Record]:
    """Records of the lines that start in the byte range [start, end) of a seekable line-oriented file.

    The format, encoding and CSV header come from the file's first bytes, so
    every range of one file reads alike; items are ``@<byte offset>``. A CSV
    quoted field that spans the range's first boundary may be misread there.
    """
    ref_date, record_date = as_dates(mtime)
    ctx = Ctx(container, loc_factory, limits or Limits(), ref_date, record_date)
    try:
        f.seek(0)
        head = read_fully(f, HEAD_BYTES)
        kind = detect(head, name, len(head) < HEAD_BYTES)
        if kind.format in ("pgdump-sql", "mysqldump"):
            from dataclasses import replace

            kind = replace(kind, format="text")  # by ranges: its lines as text (see splittable)
        if kind.format not in LINE_FORMATS or not ascii_compatible(kind.encoding):
            raise ConnectorError(f"{ctx.name}: a {kind.format} file cannot be read by byte ranges")
        cap = _line_cap(ctx)
        if kind.format == "csv":
            from connectors.formats.delimited import csv_records

            assert kind.table is not None
            yield from csv_records(ctx, range_lines(f, start, end, kind.encoding, cap), kind.table, skip_header=start == 0, cap=cap)
        elif kind.format == "jsonl":
            from connectors.formats.jsondoc import jsonl_records

            yield from jsonl_records(ctx, range_lines(f, start, end, kind.encoding, cap))
        else:
            from connectors.formats.text import text_records

            yield from text_records(ctx, range_lines(f, start, end, kind.encoding, ctx.limits.max_field_chars))
    except ConnectorError:
        raise
    except OSError as exc:
        raise ConnectorError(f"{ctx.name}: read failed ({describe(exc)})") from None
    if ctx.problems:
        raise PartialRead(container, ctx.problems.messages, ctx.problems.count)


__all__ = [
    "FORMATS",
    "PATH_FIELD",
    "TEXT_FIELD",
    "Kind",
    "LimitExceeded",
    "LocFactory",
    "PartialRead",
    "detect",
    "detect_encoding",
    "read_range",
    "read_stream",
    "read_zip_part",
    "sniff",
    "splittable",
    "zip_file_parts",
]
