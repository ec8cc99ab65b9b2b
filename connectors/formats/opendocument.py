"""OpenDocument (LibreOffice, OpenOffice): text documents (.odt, .odp) and spreadsheets (.ods).

Read from the zip's ``content.xml`` (streamed), ``styles.xml`` (page headers and
footers) and ``meta.xml``, as the Office Open XML readers read their parts
(:mod:`connectors.formats.office`), with the same items and fields:

* **text** (and presentations): each paragraph or heading ``paragraph N`` (N in
  document order, text boxes and notes included), field ``text``, not structured
  (its text boxes, notes and comments are left to their own paragraphs); a body
  paragraph right after another with text (no blank paragraph, table, section,
  slide, text box, note or comment between) is marked ``follows``
  (:class:`connectors.base.Record`): the detectors read the two together;
  comments ``comment N`` (fields ``text``, ``meta:author``); each table row
  ``table T row R``, structured, named by the table's header row, or one record
  ``table T`` for a form of labels and values (as DOCX tables); page headers and
  footers ``header`` / ``footer``.
* **spreadsheet**: one record per non-empty row of every sheet, ``<sheet>:<row>``,
  fields named by the header row (or below a title) or ``<sheet>!C5``, a small
  sheet of labels and values as one form (as XLSX); a cell's text is what the sheet
  shows (``811228-9874`` for a number formatted so).
* ``meta``: ``meta:author`` (creator), ``meta:initial_creator``, ``meta:title``,
  ``meta:subject``, ``meta:comments``, ``meta:keywords``, ``meta:custom:<name>``.

A file is OpenDocument when its ``mimetype`` entry says so. Without this reader an
OpenDocument file was read as a zip of XML parts: a text document's body was one
structured record, linking everyone it mentions.
"""

from __future__ import annotations

import itertools
import zipfile
from collections.abc import Iterator
from typing import IO
from xml.etree import ElementTree as ET  # noqa: S405 - parts with a DTD are refused before (check_zip_bounds)

from connectors.base import ConnectorError, Record
from connectors.formats.core import TEXT_FIELD, Ctx, describe
from connectors.formats.streams import Source

MIMETYPES = {
    "application/vnd.oasis.opendocument.text": "odt",
    "application/vnd.oasis.opendocument.text-template": "odt",
    "application/vnd.oasis.opendocument.presentation": "odt",
    "application/vnd.oasis.opendocument.presentation-template": "odt",
    "application/vnd.oasis.opendocument.spreadsheet": "ods",
    "application/vnd.oasis.opendocument.spreadsheet-template": "ods",
}
MAX_REPEAT = 1000  # a repeated cell or row with text is repeated at most this often (empty ones only counted)
MAX_TABLE_ROWS = 10_000  # rows of a text document's table kept to find its header

_TEXT = "{urn:oasis:names:tc:opendocument:xmlns:text:1.0}"
_TABLE = "{urn:oasis:names:tc:opendocument:xmlns:table:1.0}"
_OFFICE = "{urn:oasis:names:tc:opendocument:xmlns:office:1.0}"
_DRAW = "{urn:oasis:names:tc:opendocument:xmlns:drawing:1.0}"
_STYLE = "{urn:oasis:names:tc:opendocument:xmlns:style:1.0}"
_DC = "{http://purl.org/dc/elements/1.1/}"
_META = "{urn:oasis:names:tc:opendocument:xmlns:meta:1.0}"

_PARAGRAPHS = (_TEXT + "p", _TEXT + "h")
# elements whose start ends a run of paragraphs read together: another part of the document
_SEPARATE = frozenset({_TEXT + "section", _TEXT + "index-body", _OFFICE + "text", _OFFICE + "presentation",
                       _DRAW + "page", _TEXT + "note", _DRAW + "frame"})
# content of a paragraph that is read apart: text boxes, notes, comments
_APART = frozenset({_DRAW + "frame", _TEXT + "note", _OFFICE + "annotation", _OFFICE + "annotation-end"})


def odf_kind(zf: zipfile.ZipFile) -> str | None:
    """``odt`` or ``ods`` by the zip's ``mimetype`` entry, else None."""
    try:
        info = zf.getinfo("mimetype")
        if info.file_size > 200 or "content.xml" not in zf.namelist():
            return None
        return MIMETYPES.get(zf.read(info).decode("ascii", "replace").strip())
    except (KeyError, zipfile.BadZipFile, OSError, ValueError, EOFError):
        return None


def paragraph_text(el: ET.Element) -> str:
    """A paragraph's text as shown: spans and links included, ``text:s`` spaces, tabs and line breaks."""
    out: list[str] = []

    def walk(e: ET.Element) -> None:
        if e.text:
            out.append(e.text)
        for c in e:
            tag = c.tag
            if tag == _TEXT + "s":
                out.append(" " * min(int(c.get(_TEXT + "c", "1") or 1), 100))
            elif tag == _TEXT + "tab":
                out.append("\t")
            elif tag == _TEXT + "line-break":
                out.append("\n")
            elif tag not in _APART:  # a frame, note or annotation is read as a record of its own
                walk(c)
            if c.tail:
                out.append(c.tail)

    walk(el)
    return "".join(out)


def _cell_text(cell: ET.Element) -> str:
    texts = [paragraph_text(p) for p in cell.iter() if p.tag in _PARAGRAPHS]
    text = "\n".join(t for t in texts if t.strip())
    if not text:
        # a value without its shown text (written by a program): the value itself
        text = cell.get(_OFFICE + "value") or cell.get(_OFFICE + "string-value") or ""
    return text


def _row_texts(row: ET.Element) -> list[str]:
    texts: list[str] = []
    for cell in row:
        if cell.tag not in (_TABLE + "table-cell", _TABLE + "covered-table-cell"):
            continue
        text = _cell_text(cell)
        repeat = int(cell.get(_TABLE + "number-columns-repeated", "1") or 1)
        texts.extend([text] * (min(repeat, MAX_REPEAT) if text.strip() else 1))
        if not text.strip() and repeat > 1:
            texts.extend([""] * min(repeat - 1, MAX_REPEAT))
    while texts and not texts[-1].strip():
        texts.pop()
    return texts


def _events(ctx: Ctx, part: IO[bytes]) -> Iterator[tuple[str, ET.Element]]:
    try:
        yield from ET.iterparse(part, events=("start", "end"))
    except ET.ParseError as exc:
        line, col = getattr(exc, "position", (0, 0))
        raise ConnectorError(f"{ctx.name}: malformed content.xml at line {line}, column {col}") from None


def _meta_record(ctx: Ctx, zf: zipfile.ZipFile) -> Record | None:
    if "meta.xml" not in zf.namelist():
        return None
    names = {_DC + "creator": "meta:author", _META + "initial-creator": "meta:initial_creator", _DC + "title": "meta:title",
             _DC + "subject": "meta:subject", _DC + "description": "meta:comments", _META + "keyword": "meta:keywords"}
    fields: list[tuple[str, str]] = []
    with zf.open("meta.xml") as part:
        for el in ET.parse(part).getroot().iter():
            text = (el.text or "").strip()
            if not text:
                continue
            if el.tag in names:
                fields.append((names[el.tag], text))
            elif el.tag == _META + "user-defined" and (el.get(_META + "name") or "").strip():
                fields.append((f"meta:custom:{el.get(_META + 'name', '').strip()}", text))
    return ctx.record("meta", fields, False) if fields else None


def _page_records(ctx: Ctx, zf: zipfile.ZipFile) -> Iterator[Record]:
    """Page headers and footers of the master pages (``styles.xml``)."""
    if "styles.xml" not in zf.namelist():
        return
    with zf.open("styles.xml") as part:
        root = ET.parse(part).getroot()
    for kind in ("header", "footer"):
        texts: list[str] = []
        for el in root.iter():
            if el.tag in (_STYLE + kind, _STYLE + kind + "-left", _STYLE + kind + "-first"):
                texts.extend(paragraph_text(p) for p in el.iter() if p.tag in _PARAGRAPHS)
        text = "\n".join(dict.fromkeys(t for t in texts if t.strip()))
        if text:
            yield ctx.record(kind, [(TEXT_FIELD, text)], False)


def _text_records(ctx: Ctx, zf: zipfile.ZipFile) -> Iterator[Record]:
    from connectors.formats.office import text_table_records

    p_no = t_no = c_no = 0
    in_table = 0  # depth of table:table elements open
    in_comment = 0  # depth of office:annotation elements open (their paragraphs are the comment's)
    in_para = 0  # depth of paragraphs open (a text box's or note's paragraphs are inside another's)
    joined = False  # the record just before is the body paragraph that ended right before this one started
    tables: list[list[list[str]]] = []  # rows of the open tables
    with zf.open("content.xml") as part:
        for ev, el in _events(ctx, part):
            tag = el.tag
            if ev == "start":
                if tag in _PARAGRAPHS:
                    in_para += 1
                    if in_para > 1:
                        joined = False  # a paragraph inside another (text box, note): a record between
                elif tag == _TABLE + "table":
                    in_table += 1
                    tables.append([])
                    joined = False
                elif tag == _OFFICE + "annotation":
                    in_comment += 1
                    joined = False
                elif tag in _SEPARATE:
                    joined = False
                continue
            if tag in _PARAGRAPHS:
                in_para -= 1
            elif tag in _SEPARATE:
                joined = False  # the text after a text box, section or slide does not go on from its last paragraph
            if tag == _TABLE + "table-row" and tables:
                if len(tables[-1]) < MAX_TABLE_ROWS:
                    tables[-1].append(_row_texts(el))
                el.clear()
            elif tag == _TABLE + "table":
                in_table -= 1
                t_no += 1
                rows = tables.pop()
                yield from text_table_records(ctx, rows, f"table {t_no}")
                el.clear()
            elif tag == _OFFICE + "annotation":
                in_comment -= 1
                c_no += 1
                text = "\n".join(t for t in (paragraph_text(p) for p in el.iter() if p.tag in _PARAGRAPHS) if t.strip())
                fields = [(TEXT_FIELD, text)] if text else []
                author = el.find(_DC + "creator")
                if author is not None and (author.text or "").strip():
                    fields.append(("meta:author", (author.text or "").strip()))
                if fields:
                    yield ctx.record(f"comment {c_no}", fields, False)
            elif tag in _PARAGRAPHS and not in_table and not in_comment:
                p_no += 1
                text = paragraph_text(el)
                if text.strip():
                    rec = ctx.record(f"paragraph {p_no}", [(TEXT_FIELD, text)], False)
                    rec.follows = joined and not in_para
                    joined = not in_para  # a body paragraph, not one inside a text box or note
                    yield rec
                else:
                    joined = False  # a blank paragraph ends the run
                tail = el.tail
                el.clear()  # read: only its place in the tree is kept
                el.tail = tail
    yield from _page_records(ctx, zf)


def _sheet_rows(events: Iterator[tuple[str, ET.Element]]) -> Iterator[tuple[str, int, list[str]]]:
    """(sheet name, row number, cell texts) of every row of every sheet, streamed."""
    sheet = ""
    n = 0
    depth = 0  # table:table nesting (a sheet's subtables are read as its rows)
    for ev, el in events:
        if el.tag == _TABLE + "table":
            if ev == "start":
                depth += 1
                if depth == 1:
                    sheet, n = el.get(_TABLE + "name") or "Sheet", 0
            else:
                depth -= 1
                el.clear()
            continue
        if ev != "end" or el.tag != _TABLE + "table-row" or not depth:
            continue
        texts = _row_texts(el)
        repeat = int(el.get(_TABLE + "number-rows-repeated", "1") or 1)
        el.clear()
        if not any(t.strip() for t in texts):
            n += repeat  # empty rows (a sheet's unused rows come as one, repeated a million times)
            continue
        for _ in range(min(repeat, MAX_REPEAT)):
            n += 1
            yield sheet, n, texts
        n += max(0, repeat - MAX_REPEAT)


def _sheet_records(ctx: Ctx, zf: zipfile.ZipFile) -> Iterator[Record]:
    from connectors.formats.office import sheet_rows_records

    with zf.open("content.xml") as part:
        rows = _sheet_rows(_events(ctx, part))
        for sheet, group in itertools.groupby(rows, key=lambda r: r[0]):
            yield from sheet_rows_records(ctx, sheet, ((n, texts) for _, n, texts in group))


def odf_records(ctx: Ctx, src: Source, kind: str) -> Iterator[Record]:
    from connectors.formats.office import check_zip_bounds

    f = src.seekable_file()
    try:  # before the parts are looked at: an encrypted part is no XML
        with zipfile.ZipFile(f) as zf:
            info = zf.getinfo("META-INF/manifest.xml")
            encrypted = info.file_size < (1 << 20) and b"encryption-data" in zf.read(info)
    except (KeyError, zipfile.BadZipFile, OSError, ValueError, EOFError):
        encrypted = False
    if encrypted:
        raise ConnectorError(f"{ctx.name}: encrypted OpenDocument file, a password is needed")
    f.seek(0)
    with check_zip_bounds(ctx, f) as zf:
        try:
            meta = _meta_record(ctx, zf)
        except (ET.ParseError, KeyError, OSError, ValueError, zipfile.BadZipFile) as exc:
            ctx.problem(f"{ctx.name} meta.xml: {describe(exc)}")
            meta = None
        if meta is not None:
            yield meta
        if kind == "ods":
            yield from _sheet_records(ctx, zf)
        else:
            yield from _text_records(ctx, zf)


__all__ = ["MIMETYPES", "odf_kind", "odf_records", "paragraph_text"]

