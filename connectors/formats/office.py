"""Office Open XML: XLSX workbooks (openpyxl, read-only streaming), DOCX documents (python-docx), PPTX decks.

**XLSX**: one record per non-empty row of every worksheet (hidden ones too),
except a small sheet of labels and values (a customer card, see
:func:`~connectors.formats.core.label_pairs`): its values are named by their
labels, and are one record ``<sheet>:<first>-<last>`` when the labels end with ``:``;
``structured=True``, ``item`` = ``<sheet>:<row>`` (``Kunder:5``, the row number
Excel shows). When the sheet's first non-empty row is a header, or the row
below a title of one cell (see :func:`~connectors.formats.core.header_row`),
fields of the rows below are named by the header (``Personnummer``; ``Namn (C)``
for a repeated name) and the header row is not a record (unless it may be a
first row of notes: see :func:`~connectors.formats.core.header_also_data`); the title, cells
without a header, and all cells of a sheet without one, are named by their
reference ``Kunder!C5``. Values are the cached
results of formulas, written as a person would (``198112289874.0``, ISO dates);
a whole number whose cell format is digits and separators only is written as the
sheet shows it (``000000-0000``: ``030918-2640``, the leading zero kept). Cell
comments (notes) are records ``item`` = ``<sheet>!<cell> comment`` (fields
``text``, ``meta:author``); a sheet's page header and footer (what a printed
payslip or statement names its person in) are records ``<sheet> header`` and
``<sheet> footer`` (field ``text``, Excel's ``&`` codes removed).
Document properties form the record ``item`` = ``meta`` (fields ``meta:author``,
``meta:last_modified_by``, ``meta:title``, ``meta:subject``, ``meta:comments``,
``meta:keywords``, ``meta:category``; custom properties ``meta:custom:<name>``,
and ``meta:manager``, ``meta:company``; not structured).

**DOCX**: a table of labels and values (a form) as for XLSX (one record
``table T`` when its labels end with ``:``); body paragraphs as ``item`` = ``paragraph N`` (N counts all body
paragraphs, empty ones too, those in content controls included), field ``text``
(the text Word shows: tracked insertions, content controls, fields and links
included), not structured; a text box anchored in a paragraph as ``paragraph N
text box K``; text deleted by a tracked change (still in the file) as
``paragraph N deleted``; a paragraph right after another with text
(no blank paragraph, table, text box or deleted text between, and no page
or section break) is marked ``follows`` (:class:`connectors.base.Record`):
the detectors read it with the one before (``Personnummer:`` / ``811228 9874``),
each finding on the paragraph where it starts; each table row
as ``item`` = ``table T row R`` (R from 1, the header row included in the
count), structured, fields named by the table's header row or ``column N``
(nested tables: ``table T row R table K row S``); headers and footers as
``section S header`` / ``section S footer`` (and ``first page``/``even page``
variants; their text boxes included); footnotes and endnotes as ``footnote N``
/ ``endnote N``; comments as ``comment N`` (fields ``text`` and ``meta:author``);
core properties as ``meta`` like XLSX.

**PPTX**: each slide's text (outside tables) as ``item`` = ``slide N``, field
``text``, not structured; its tables as DOCX tables (``slide N table K row R``);
its speaker notes ``slide N notes``; its comments ``slide N comment K``; core
and custom properties as ``meta``.

All are zip files: declared sizes are checked against :class:`Limits` before
opening, and the XML part that python-docx parses whole must stay under
:data:`MAX_DOM_BYTES`. A part that declares a DTD (the billion-laughs entity
expansion, external entities) is refused before any XML parser sees it:
Office Open XML never has one.
"""

from __future__ import annotations

import html
import posixpath
import re
import warnings
from urllib.parse import unquote
import xml.etree.ElementTree as ET  # noqa: S405 - parts with a DTD are refused before (check_zip_bounds)
import zipfile
from collections.abc import Iterator
from typing import IO, Any

from connectors.base import ConnectorError, Record, safe_name
from connectors.formats.core import (
    MAX_RECORD_FIELDS,
    TEXT_FIELD,
    Ctx,
    LimitExceeded,
    as_text,
    column_letter,
    column_names,
    describe,
    header_also_data,
    header_row,
    label_pairs,
)
from connectors.formats.streams import Source

MAX_DOM_BYTES = 256 << 20  # word/document.xml is parsed into memory whole
RATIO_MIN_BYTES = 1 << 20  # entries smaller than this are never called bombs
HEADER_SAMPLE = 20  # rows looked at to decide whether the first row is a header
PROLOG_BYTES = 64 * 1024  # an XML part's prolog (declaration, comments) must end within this
XML_SUFFIXES = (".xml", ".rels", ".vml")
_ROOT_START = re.compile(rb"<[A-Za-z_]")
# _OVERFLOW: a number in a cell formatted as a date that no date can be (past year 9999: 198112289874,
# a personnummer typed into a date column) is read as the number it holds. openpyxl makes it the error
# "#VALUE!", so the identifier went unscanned, and warns with the value in its message (a personnummer
# printed on stderr). The fast sheet reader keeps the number; openpyxl's own cell path (the fallback,
# fast=False) still gives "#VALUE!"; its warning is silenced for both.
_NUMBER = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
warnings.filterwarnings("ignore", message=r"Cell .* is marked as a date but the serial value", category=UserWarning)

_META = (
    ("author", "meta:author"),
    ("creator", "meta:author"),
    ("last_modified_by", "meta:last_modified_by"),
    ("lastModifiedBy", "meta:last_modified_by"),
    ("title", "meta:title"),
    ("subject", "meta:subject"),
    ("comments", "meta:comments"),
    ("description", "meta:comments"),
    ("keywords", "meta:keywords"),
    ("category", "meta:category"),
)


def check_zip_bounds(ctx: Ctx, f: IO[bytes]) -> zipfile.ZipFile:
    """Open a zip and refuse it if its declared entries exceed the limits (count, total size, ratio)."""
    try:
        zf = zipfile.ZipFile(f)
        infos = zf.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError) as exc:
        raise ConnectorError(f"{ctx.name}: not a readable zip container ({describe(exc)})") from None
    lim = ctx.limits
    if len(infos) > lim.max_entries:
        raise LimitExceeded(f"{ctx.name}: {len(infos)} zip entries, more than max_entries={lim.max_entries}")
    total = sum(i.file_size for i in infos)
    if total > lim.max_expanded_bytes:
        raise LimitExceeded(f"{ctx.name}: expands to {total} bytes, more than max_expanded_bytes={lim.max_expanded_bytes}")
    for i in infos:
        if i.file_size > RATIO_MIN_BYTES and i.file_size > lim.max_ratio * max(i.compress_size, 1):
            raise LimitExceeded(f"{ctx.name}: entry {safe_name(i.filename)} compressed more than max_ratio={lim.max_ratio}")
    for i in infos:
        if i.filename.lower().endswith(XML_SUFFIXES):
            _refuse_dtd(ctx, zf, i)
    return zf


def _refuse_dtd(ctx: Ctx, zf: zipfile.ZipFile, info: zipfile.ZipInfo) -> None:
    """Refuse an XML part with a document type declaration (entity expansion, external entities).

    Office Open XML forbids DTDs (ECMA-376 Part 2), so a part that declares
    one is hostile or broken: refusing it up front is cheaper and safer than
    trusting each XML parser's expansion limits. The declaration must come
    before the root element, so the prolog (at most :data:`PROLOG_BYTES`) is
    all that is read.
    """
    try:
        with zf.open(info) as part:
            head = part.read(PROLOG_BYTES)
    except Exception:  # noqa: BLE001 - a damaged part is the XML reader's to report
        return
    if head[:2] in (b"\xff\xfe", b"\xfe\xff"):
        head = head.decode("utf-16", "replace").encode("utf-8")
    elif (head[:1] == b"<" and head[1:2] == b"\0") or head[:2] == b"\0<":
        head = head.decode("utf-16-le" if head[1:2] == b"\0" else "utf-16-be", "replace").encode("utf-8")
    if b"<!DOCTYPE" in head or b"<!ENTITY" in head:
        raise LimitExceeded(f"{ctx.name}: part {safe_name(info.filename)} declares a DTD (entity expansion), not read")
    if len(head) == PROLOG_BYTES and _ROOT_START.search(head) is None:
        raise LimitExceeded(f"{ctx.name}: part {safe_name(info.filename)} has no root element in its first {PROLOG_BYTES} bytes")


def _meta_record(ctx: Ctx, props: Any, extra: list[tuple[str, str]] | None = None) -> Record | None:
    fields: list[tuple[str, str]] = []
    seen: set[str] = set()
    for attr, name in _META:
        value = getattr(props, attr, None)
        if isinstance(value, str) and value.strip() and name not in seen:
            seen.add(name)
            fields.append((name, value.strip()))
    fields.extend(extra or [])
    return ctx.record("meta", fields, False) if fields else None


_VT = "{http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes}"
_CUSTOM = "{http://schemas.openxmlformats.org/officeDocument/2006/custom-properties}"
_EXTENDED = "{http://schemas.openxmlformats.org/officeDocument/2006/extended-properties}"


def _extra_properties(ctx: Ctx, zf: zipfile.ZipFile) -> list[tuple[str, str]]:
    """Custom document properties (``meta:custom:<name>``) and the manager and company of the extended ones.

    Document management and case systems write a case's party into a template's
    custom properties (``Personnummer``, ``Handläggare e-post``): the document holds them.
    """
    out: list[tuple[str, str]] = []
    try:
        names = set(zf.namelist())
        if "docProps/custom.xml" in names and zf.getinfo("docProps/custom.xml").file_size <= MAX_DOM_BYTES:
            for prop in ET.fromstring(zf.read("docProps/custom.xml")).iter(_CUSTOM + "property"):
                name = (prop.get("name") or "").strip()
                value = "".join(el.text or "" for el in prop.iter() if el.tag.startswith(_VT)).strip()
                if name and value:
                    out.append((f"meta:custom:{name}", value))
        if "docProps/app.xml" in names and zf.getinfo("docProps/app.xml").file_size <= MAX_DOM_BYTES:
            root = ET.fromstring(zf.read("docProps/app.xml"))
            for tag, name in (("Manager", "meta:manager"), ("Company", "meta:company")):
                el = root.find(_EXTENDED + tag)
                if el is not None and (el.text or "").strip():
                    out.append((name, (el.text or "").strip()))
    except Exception as exc:  # noqa: BLE001 - damaged properties are reported, the document read
        ctx.problem(f"{ctx.name} document properties: {describe(exc)}")
    return out


# --- XLSX ---------------------------------------------------------------------------------------


# A number format of digit placeholders and separators only, as Swedish Excel's
# "Personnummer" (000000-0000) or a phone column's ("0"##-### ## ##): what the sheet
# shows of a number keeps the leading zeros the number lost.
_DIGITS_FORMAT = re.compile(r'(?:[0#]|\\.|"[^"]*"|[ \-/()])+')
_FORMAT_TOKEN = re.compile(r'[0#]|\\(.)|"([^"]*)"|([ \-/()])')


def formatted_integer(value: int, fmt: str) -> str | None:
    """An integer as a digits-only number format shows it, or None for any other format.

    Placeholders are filled from the right (``0`` shows a zero where no digit is
    left, ``#`` nothing); digits beyond the placeholders stand in front, as in Excel.

    >>> formatted_integer(309182640, "000000-0000"), formatted_integer(701740605, '"0"##-### ## ##')
    ('030918-2640', '070-174 06 05')
    >>> formatted_integer(42, "General"), formatted_integer(42, "0.00"), formatted_integer(123, "0000")
    (None, None, '0123')
    """
    section = fmt.split(";", 1)[0]
    if value < 0 or "0" not in section.replace('"0"', "") and "#" not in section or not _DIGITS_FORMAT.fullmatch(section):
        return None
    digits = list(str(value))
    out: list[str] = []
    for m in reversed(list(_FORMAT_TOKEN.finditer(section))):
        ph = m.group(0)
        if ph in ("0", "#"):
            out.append(digits.pop() if digits else ("0" if ph == "0" else ""))
        else:
            out.append(m.group(1) or m.group(2) or m.group(3) or "")
    return "".join(digits) + "".join(reversed(out))


def _cell_text(v: Any, fmt: str = "General") -> str:
    if v is None or isinstance(v, bool):
        return ""
    if fmt != "General" and isinstance(v, (int, float)) and (isinstance(v, int) or v.is_integer()):
        shown = formatted_integer(int(v), fmt)
        if shown is not None:
            return shown
    return as_text(v)


def _row_texts(row: Any) -> list[str]:
    return [_cell_text(c.value, getattr(c, "number_format", None) or "General") for c in row]


def _sheet_records(ctx: Ctx, ws: Any) -> Iterator[Record]:
    ws.reset_dimensions()  # do not trust the declared dimensions: read what is there
    rows = ((n, _row_texts(row)) for n, row in enumerate(ws.iter_rows(), start=1))
    yield from sheet_rows_records(ctx, ws.title, rows)


# --- XLSX rows, streamed straight from the sheet XML -----------------------------------------------
#
# openpyxl's read-only worksheet turns every cell into a dict and a ReadOnlyCell and looks its
# number format up through three objects. The reader below (xlsx_records(fast=True), the default)
# keeps the workbook-level work to openpyxl (ExcelReader: the sheet list, styles, date formats,
# 1904 dates, properties, and the errors of a damaged workbook; its shared strings and its search
# for each sheet's dimension done faster, same results) and reads each sheet part itself,
# mirroring openpyxl's row and cell rules (WorkSheetParser.parse_row/parse_cell with data_only,
# ReadOnlyWorksheet._cells_by_row/_get_row, ReadOnlyCell.number_format) with caches for what
# repeats: the column of a reference's letters, a style's number format and date flags, a
# digits-only format's placeholders, the text of a date serial. The sheet goes through
# openpyxl's parser (xml.etree, the same reads, so the same errors at the same rows), except
# rows written as Excel and openpyxl write them, which are read from their bytes (_SheetPull).
# A cell it does not take the short way (rich inline text, a style or reference letters not seen
# before) goes through openpyxl's own parse_cell. Rows read are dropped from the tree (openpyxl
# keeps an emptied element per row), so memory is bounded whatever the sheet's length; the
# shared-string table is held whole, as openpyxl holds it (a Python str each, 49 bytes plus its
# characters, and a list slot: 48 MB for 600,000 distinct strings of 19 characters on average).
# tests/connectors/test_h1_xlsx_fast.py checks it against openpyxl's
# cells, benchmarks/xlsx_reader.py times both.

_FAST_OPENPYXL = ("3.1.",)  # the openpyxl versions whose reading rules _xlsx_rows mirrors
_DIGITS = "0123456789"
MAX_HEAD_BYTES = 1 << 20  # a sheet part whose sheetData starts later is read by the XML parser alone
MAX_CACHED_DATES = 30_000  # date texts kept per date style (birth dates repeat, a date-time rarely does): 5 MB


class _DigitFormat:
    """A digits-only number format parsed once: :func:`formatted_integer` without parsing it per value."""

    __slots__ = ("tokens", "zeros", "template")

    def __init__(self, tokens: tuple[tuple[bool, str], ...]) -> None:
        self.tokens = tokens  # right to left: (placeholder?, the placeholder or the literal)
        placeholders = [ch for ph, ch in tokens if ph]
        # only 0 placeholders (000000-0000): the value's last digits, zero-padded, into a template
        self.zeros = len(placeholders) if placeholders and all(ch == "0" for ch in placeholders) else 0
        self.template = "".join("%s" if ph else ch.replace("%", "%%") for ph, ch in reversed(tokens))

    def text(self, value: int) -> str:
        digits = str(value)
        n = self.zeros
        if n:
            if len(digits) < n:
                digits = "0" * (n - len(digits)) + digits
            return digits[: len(digits) - n] + self.template % tuple(digits[len(digits) - n :])
        i = len(digits)
        out: list[str] = []
        for placeholder, ch in self.tokens:
            if not placeholder:
                out.append(ch)
            elif i:
                i -= 1
                out.append(digits[i])
            elif ch == "0":
                out.append("0")
        return digits[:i] + "".join(reversed(out))


def _digit_format(fmt: str) -> _DigitFormat | None:
    """A digits-only number format (:func:`formatted_integer`'s test), else None."""
    section = fmt.split(";", 1)[0]
    if "0" not in section.replace('"0"', "") and "#" not in section or not _DIGITS_FORMAT.fullmatch(section):
        return None
    tokens = []
    for m in reversed(list(_FORMAT_TOKEN.finditer(section))):
        ph = m.group(0)
        tokens.append((True, ph) if ph in ("0", "#") else (False, m.group(1) or m.group(2) or m.group(3) or ""))
    return _DigitFormat(tuple(tokens))


class _FormatCache:
    """What :func:`_cell_text` decides from a number format, once per format."""

    def __init__(self) -> None:
        self.formats: dict[str, _DigitFormat | None] = {}

    def text(self, v: Any, fmt: str) -> str:
        """:func:`_cell_text`, the same text for every value and format."""
        if v is None:
            return ""
        cls = type(v)
        if cls is str:
            return v  # type: ignore[no-any-return]
        if cls is bool:
            return ""
        if fmt != "General" and (cls is int or cls is float and v.is_integer()):
            try:
                digit_format = self.formats[fmt]
            except KeyError:
                digit_format = self.formats[fmt] = _digit_format(fmt)
            if digit_format is not None and v >= 0:
                return digit_format.text(int(v))
        if cls is int:
            return str(v)
        if cls is float:
            return repr(v)
        return as_text(v)  # dates, times, durations: _cell_text leaves them to as_text whatever the format


def _fast_xlsx_ok(wb: Any, ws: Any) -> bool:
    """Whether :func:`_xlsx_rows` can read this sheet: the openpyxl version it mirrors, the parts it uses."""
    import openpyxl

    return openpyxl.__version__.startswith(_FAST_OPENPYXL) and not openpyxl.DEFUSEDXML and _event_pull_ok() and all(
        hasattr(o, a) for o, a in (
            (wb, "_archive"), (wb, "_cell_styles"), (wb, "_number_formats"), (wb, "_date_formats"),
            (wb, "_timedelta_formats"), (wb, "epoch"), (ws, "_worksheet_path"), (ws, "_shared_strings"),
        )
    )  # fmt: skip


class _EventPull:
    """xml.etree's iterparse as openpyxl runs it (16 KiB reads; the events before an error delivered,
    then the error), handed over a read at a time instead of one event at a time, with start events
    until :meth:`only_ends`."""

    def __init__(self, src: IO[bytes]) -> None:
        self.src = src
        self.pull: Any = ET.XMLPullParser(("start", "end"))  # Any: its events hold elements
        self.queue: Any = getattr(self.pull, "_events_queue")  # private, as _setevents: _event_pull_ok checks them
        self.error: SyntaxError | None = None
        self.done = False

    def only_ends(self) -> None:
        self.pull._parser._setevents(self.queue, ("end",))

    def batches(self) -> Iterator[list[tuple[str, Any]]]:
        feed = self.pull._parser.feed
        while True:
            events = list(self.queue)
            self.queue.clear()
            yield events
            if self.error is not None:
                raise self.error
            if self.done:
                return
            data = self.src.read(16 * 1024)
            if data:
                try:
                    feed(data)
                except SyntaxError as exc:  # as XMLPullParser.feed: raised after the events before it
                    self.error = exc
            else:
                self.pull.close()
                self.done = True


def _event_pull_ok() -> bool:
    """Whether xml.etree has the parts :class:`_EventPull` uses (CPython's XMLPullParser)."""
    pull: Any = ET.XMLPullParser(("start", "end"))
    return hasattr(pull, "_events_queue") and hasattr(getattr(pull, "_parser", None), "_setevents")


def _read_string_table(src: IO[bytes]) -> list[str]:
    """openpyxl's ``read_string_table`` (same parser, same texts), with a string of one plain run read
    without building openpyxl's Text object, and the strings read dropped from the tree."""
    from openpyxl.cell.text import Text

    si_tag, t_tag = _S + "si", _S + "t"
    strings: list[str] = []
    events = _EventPull(src)
    root: Any = None
    for batch in events.batches():
        for event, node in batch:
            if event == "start":
                if root is None:
                    root = node
                    events.only_ends()
                continue
            if node.tag == si_tag:
                if not node.attrib and len(node) == 1 and node[0].tag == t_tag:
                    text = node[0].text or ""  # Text.from_tree(node).content
                else:
                    text = Text.from_tree(node).content
                text = text.replace("x005F_", "")
                node.clear()
                strings.append(text)
                del root[:]
    return strings


class _Found(Exception):
    """Raised by the dimension scan to stop at the first element that answers it (its name: the message)."""


def _no_dimension(archive: zipfile.ZipFile, path: str) -> bool:
    """Whether a sheet part is well-formed up to the end of its sheetData and declares no dimension before.

    openpyxl's read-only worksheet looks for the dimension element when the workbook is
    loaded, parsing the sheet up to the end of sheetData when there is none (openpyxl and
    pandas write none): a whole extra parse, building every element. This scan runs the
    same parser (expat) without building elements; when it finds a dimension, or an error,
    openpyxl's own search runs, so its result and errors stay openpyxl's.
    """
    import xml.parsers.expat

    stops = (_S[1:] + "dimension", _S[1:] + "sheetData")  # expat's names with "}" between namespace and tag

    def end(name: str) -> None:
        if name in stops:
            raise _Found(name)

    parser = xml.parsers.expat.ParserCreate(None, "}")
    parser.EndElementHandler = end
    try:
        with archive.open(path) as src:
            while True:
                data = src.read(64 * 1024)
                parser.Parse(data, not data)
                if not data:
                    return True
    except _Found as found:
        return str(found) == stops[1]
    except Exception:  # noqa: BLE001 - a damaged sheet: openpyxl's search says how
        return False


def _load_workbook(f: IO[bytes], fast: bool) -> Any:
    """``openpyxl.load_workbook(f, read_only=True, data_only=True, keep_links=False)``; ``fast``: its shared
    strings read by :func:`_read_string_table`."""
    import openpyxl

    if not fast or not openpyxl.__version__.startswith(_FAST_OPENPYXL) or openpyxl.DEFUSEDXML or not _event_pull_ok():
        return openpyxl.load_workbook(f, read_only=True, data_only=True, keep_links=False)
    from openpyxl.packaging.relationship import get_dependents, get_rels_path
    from openpyxl.reader.excel import KEEP_VBA, ExcelReader
    from openpyxl.worksheet._read_only import ReadOnlyWorksheet
    from openpyxl.xml.constants import SHARED_STRINGS

    class Sheet(ReadOnlyWorksheet):  # type: ignore[misc]
        def _get_size(self) -> None:
            if not _no_dimension(self.parent._archive, self._worksheet_path):
                super()._get_size()

    class Reader(ExcelReader):  # type: ignore[misc]
        def read_strings(self) -> None:
            ct = self.package.find(SHARED_STRINGS)
            if ct is not None:
                with self.archive.open(ct.PartName[1:]) as src:
                    self.shared_strings = _read_string_table(src)

        def read_worksheets(self) -> None:  # ExcelReader.read_worksheets when read_only, with Sheet
            for sheet, rel in self.parser.find_sheets():
                if rel.target not in self.valid_files:
                    continue
                if "chartsheet" in rel.Type:
                    self.read_chartsheet(sheet, rel)
                    continue
                rels_path = get_rels_path(rel.target)
                if rels_path in self.valid_files:
                    get_dependents(self.archive, rels_path)  # read as openpyxl reads it (its errors are the workbook's)
                ws = Sheet(self.wb, sheet.name, rel.target, self.shared_strings)
                ws.sheet_state = sheet.state
                self.wb._sheets.append(ws)

    reader = Reader(f, True, KEEP_VBA, True, False, False)
    reader.read()
    return reader.wb


# Rows as Excel and openpyxl write them, read without building elements: a row matched whole by
# _ROW (fixed attribute order, no whitespace, comments or namespace declarations, entities only
# the predefined ones and character references) is well-formed by construction, so it can be
# left out of what the XML parser is fed without changing how the parser reads the rest; any
# other row is fed to the parser and read as before. See _SheetPull.
_XML_TEXT = rb"(?:[^<&>\r\x00-\x08\x0b\x0c\x0e-\x1f]|&(?:amp|lt|gt|quot|apos|#[0-9]{1,7}|#x[0-9a-fA-F]{1,6});)*"
_FORMULA = (rb'(?:<f>' + _XML_TEXT + rb'</f>|<f t="shared"(?: ref="[A-Z0-9:$]{1,40}")? si="[0-9]{1,9}"(?:/>|>'
            + _XML_TEXT + rb'</f>))')
_CELL_XML = (rb'<c r="([A-Z]{1,3})[0-9]{1,7}"(?: s="([0-9]{1,9})")?(?: t="(s|n|b|e|str|inlineStr)")?(?:/>|>(?:'
             + _FORMULA + rb')?(?:<v>(' + _XML_TEXT + rb')</v>|<is><t(?: xml:space="preserve")?>(' + _XML_TEXT
             + rb')</t></is>)?</c>)')
_CELL = re.compile(_CELL_XML)
_ROW = re.compile(rb'<row r="([0-9]{1,7})"((?: [A-Za-z_][\w.-]*(?::[A-Za-z_][\w.-]*)?="[ !#-%\'-;=?-~]*")*)(/?)>')
_ATTR_NAME = re.compile(rb' ([\w.:-]+)="')
_CHAR_REF = re.compile(rb"&#(x[0-9a-fA-F]+|[0-9]+);")
_ENTITY = re.compile(r"&(amp|lt|gt|quot|apos|#x[0-9a-fA-F]+|#[0-9]+);")
_ENTITIES = {"amp": "&", "lt": "<", "gt": ">", "quot": '"', "apos": "'"}
_ROOT_TAG = re.compile(rb'(?:<\?xml[^<>]*\?>)?\s*<worksheet((?:\s+[A-Za-z_][\w.:-]*\s*=\s*"[^"<&]*")*)\s*>')
_ENCODING = re.compile(rb'encoding\s*=\s*["\']([^"\']*)["\']')
_XMLNS = re.compile(rb'\s+xmlns(?::([A-Za-z_][\w.-]*))?\s*=\s*"([^"]*)"')
_MAIN = b"http://schemas.openxmlformats.org/spreadsheetml/2006/main"


def _xml_char(code: int) -> bool:
    return code in (0x9, 0xA, 0xD) or 0x20 <= code <= 0xD7FF or 0xE000 <= code <= 0xFFFD or 0x10000 <= code <= 0x10FFFF


def _unescape(text: str) -> str:
    """The text of an XML text node whose only references are the predefined entities and character references."""
    if "&" not in text:
        return text

    def one(m: re.Match[str]) -> str:
        ref = m.group(1)
        if ref[0] == "#":
            return chr(int(ref[2:], 16) if ref[1] == "x" else int(ref[1:]))
        return _ENTITIES[ref]

    return _ENTITY.sub(one, text)


def _plain_row(buf: bytes, m: re.Match[bytes], end: int, prefixes: frozenset[bytes]) -> bool:
    """Whether a row (its start tag matched by _ROW, its cells by _CELL, ending at ``end``) is well-formed
    XML the parser reads as it is written: its bytes UTF-8, its character references to characters XML
    allows, its other attributes unique, their prefixes declared."""
    raw = buf[m.start() : end]
    if not raw.isascii():
        try:
            raw.decode("utf-8")
        except UnicodeDecodeError:
            return False
    if b"&#" in raw:
        for ref in _CHAR_REF.findall(raw):
            if not _xml_char(int(ref[1:], 16) if ref[:1] == b"x" else int(ref)):
                return False
    extra = m.group(2)
    if extra:
        names = _ATTR_NAME.findall(extra)
        if len(set(names)) != len(names) or b"r" in names or b"xmlns" in names:
            return False
        for name in names:
            if b":" in name and name.split(b":", 1)[0] not in prefixes:
                return False
    return True


class _SheetPull(_EventPull):
    """:class:`_EventPull` for a worksheet: once :meth:`start_rows` is called (sheetData has opened),
    a row that _ROW matches whole while the parser stands between two rows of sheetData is handed
    over as ("row", (bytes, match)) instead of being fed to the parser; the rest is fed as before.
    ``between()`` says whether the parser stands between two rows of sheetData."""

    def __init__(self, src: IO[bytes]) -> None:
        super().__init__(src)
        self.rows = False
        self.prefixes: frozenset[bytes] = frozenset()
        self.fed = b""  # what was fed before start_rows (for its root tag and checks)
        self.head = True  # still before start_rows
        self.between: Any = None

    def start_rows(self, between: Any) -> None:
        """Rows from now on may be read by _ROW, if the part declares its namespaces as Excel does:
        on the root element only, the main namespace the default one, and has no comment, CDATA
        or processing instruction before sheetData."""
        self.only_ends()
        head = self.fed
        self.head, self.fed = False, b""
        m = _ROOT_TAG.match(head)
        if len(head) > MAX_HEAD_BYTES or m is None or b"<!" in head or head.count(b"<?") > (1 if head.lstrip().startswith(b"<?xml") else 0) \
                or head.count(b"xmlns") != m.group(1).count(b"xmlns"):
            return
        encoding = _ENCODING.search(head, 0, m.start(1))
        if encoding is not None and encoding.group(1).lower() not in (b"utf-8", b"utf8"):
            return  # the rows' bytes are read as UTF-8
        declared = dict((p or b"", uri) for p, uri in _XMLNS.findall(m.group(1)))
        if declared.get(b"") != _MAIN or declared.get(b"xml", b"http://www.w3.org/XML/1998/namespace") != \
                b"http://www.w3.org/XML/1998/namespace":
            return
        self.prefixes = frozenset(p for p in declared if p) | {b"xml"}
        self.rows = True
        self.between = between

    def _feed(self, data: bytes) -> None:
        if self.rows and (b"<!" in data or b"<?" in data or b"xmlns" in data):
            self.rows = False  # a comment, CDATA, processing instruction or namespace declaration: the parser reads the rest
        try:
            self.pull._parser.feed(data)
        except SyntaxError as exc:  # as XMLPullParser.feed: raised after the events before it
            self.error = exc

    def items(self) -> Iterator[tuple[str, Any]]:
        buf = b""
        pos = 0
        eof = False
        queue = self.queue
        while True:
            if queue:
                events = list(queue)
                queue.clear()
                yield "events", events
            if self.error is not None:
                raise self.error
            if self.done:
                return
            if self.rows and self.between():
                m = _ROW.match(buf, pos)
                if m is not None:
                    cells: list[re.Match[bytes]] = []
                    at = m.end()
                    if m.group(3):  # <row .../>
                        end = at
                    else:  # cells, each where the one before ends, up to </row>
                        end = buf.find(b"</row>", at)
                        if end >= 0:
                            for cm in _CELL.finditer(buf, at, end):
                                if cm.start() != at:
                                    break
                                cells.append(cm)
                                at = cm.end()
                            if at == end:
                                end += 6
                            else:
                                end = -1
                        elif not eof:  # the row goes on in the next read
                            data = self.src.read(64 * 1024)
                            buf = buf[pos:] + data
                            pos = 0
                            eof = not data
                            continue
                    if end >= 0 and _plain_row(buf, m, end, self.prefixes):
                        yield "row", (int(m.group(1)), buf, cells)
                        pos = end
                        continue
            if not self.rows and pos == len(buf) and not eof:  # the parser reads it all, a read at a time
                data = self.src.read(16 * 1024)
                if self.head and len(self.fed) <= MAX_HEAD_BYTES:  # before sheetData (and a read into it)
                    self.fed += data
                if data:
                    self._feed(data)
                else:
                    eof = True
                continue
            end = buf.find(b"</row>", pos)
            if end >= 0:  # up to the end of the row: then the parser may stand between rows again
                self._feed(buf[pos : end + 6])
                pos = end + 6
            elif eof:
                if pos < len(buf):
                    self._feed(buf[pos:])
                    pos = len(buf)
                    continue
                self.pull.close()
                self.done = True
            elif len(buf) - pos > (1 << 20):  # no row end in sight: feed what there is
                self._feed(buf[pos:])
                pos = len(buf)
            else:
                data = self.src.read(64 * 1024)
                buf = buf[pos:] + data
                pos = 0
                eof = not data


class _Pending:
    """A cell whose text waits for its number format (the row's cells are all parsed first, as in openpyxl)."""

    __slots__ = ("value", "style_id")

    def __init__(self, value: Any, style_id: Any) -> None:
        self.value, self.style_id = value, style_id


def _xlsx_rows(wb: Any, ws: Any) -> Iterator[tuple[int, list[str]]]:
    """A read-only openpyxl worksheet's rows as ``ws.iter_rows()`` gives them to :func:`_row_texts`, faster.

    Yields (row number, cell texts) for the rows openpyxl's ``_cells_by_row`` yields with
    cells (the empty rows it makes up for gaps are left out: they make no record), and
    raises the same exceptions at the same point for a damaged sheet.
    """
    from openpyxl.cell.read_only import ReadOnlyCell
    from openpyxl.utils.datetime import from_excel, from_ISO8601
    from openpyxl.worksheet import _reader as R

    shared = ws._shared_strings
    epoch = wb.epoch
    date_formats, td_formats = wb._date_formats, wb._timedelta_formats
    text_of = _FormatCache().text

    def number_text(v: str, style: tuple[Any, str, bool, bool, dict[str, str]]) -> str:
        """A number cell's text (``v`` its value as written), as openpyxl and _row_texts give it: a date by
        the cell's date format (cached per style), else the number by its format."""
        num = float(v) if "." in v or "E" in v or "e" in v else int(v)
        if style[2]:
            dates = style[4]
            text = dates.get(v)
            if text is None:
                try:
                    text = text_of(from_excel(num, epoch, timedelta=style[3]), style[1])
                except (OverflowError, ValueError):
                    return v  # no date: the number as stored (see _OVERFLOW)
                if len(dates) < MAX_CACHED_DATES:
                    dates[v] = text
            return text
        if style[1] == "General":
            return str(num) if num.__class__ is int else repr(num)
        return text_of(num, style[1])
    columns: dict[str, int] = {}  # a cell reference's letters -> its column (as coordinate_to_tuple found it)
    # a cell's s attribute -> (style id, number format, date?, duration?, {serial: text} of its date cells),
    # once openpyxl has read one such cell
    styles: dict[str | None, tuple[Any, str, bool, bool, dict[str, str]]] = {}

    def fmt_of(style_id: Any) -> str:  # ReadOnlyCell.number_format, as _row_texts asks it
        return ReadOnlyCell(ws, 1, 1, None, "n", style_id).number_format or "General"

    def slow_cell(c: Any, row_counter: int, col: int) -> tuple[int, _Pending]:
        """openpyxl's WorkSheetParser.parse_cell; what it found of the cell's style and column kept."""
        parser.row_counter, parser.col_counter = row_counter, col
        cell = parser.parse_cell(c)
        if cell["data_type"] == "e" and cell["value"] == "#VALUE!" and c.get("t") in (None, "n"):
            raw = (c.findtext(R.VALUE_TAG) or "").strip()
            if _NUMBER.fullmatch(raw):  # a date cell's serial that no date can be: the number (see _OVERFLOW)
                cell["value"], cell["data_type"] = raw, "n"
        s = c.get("s")
        if s not in styles:
            sid = cell["style_id"]
            try:
                styles[s] = (sid, fmt_of(sid), sid in date_formats, sid in td_formats, {})
            except Exception:  # noqa: BLE001, S110 - a bad style: its cells go through openpyxl, which says so
                pass
        ref = c.get("r")
        if ref:
            letters = ref.rstrip(_DIGITS)
            if len(letters) < len(ref):
                columns[letters] = cell["column"]
        return cell["column"], _Pending(cell["value"], cell["style_id"])

    with wb._archive.open(ws._worksheet_path) as src:
        parser = R.WorkSheetParser(src, shared, data_only=True, epoch=epoch,
                                   date_formats=date_formats, timedelta_formats=td_formats)
        main = _MAIN
        # WorkSheetParser.parse's handling of the elements other than rows (their errors are the sheet's)
        dispatcher = {
            R.COL_TAG: parser.parse_column_dimensions, R.PROT_TAG: parser.parse_sheet_protection,
            R.EXT_TAG: parser.parse_extensions, R.CF_TAG: parser.parse_formatting,
            R.LEGACY_TAG: parser.parse_legacy, R.ROW_BREAK_TAG: parser.parse_row_breaks,
            R.COL_BREAK_TAG: parser.parse_col_breaks, R.CUSTOM_VIEWS_TAG: parser.parse_custom_views,
        }
        properties = {
            R.PRINT_TAG: R.PrintOptions, R.MARGINS_TAG: R.PageMargins, R.PAGE_TAG: R.PrintPageSetup,
            R.HEADER_TAG: R.HeaderFooter, R.FILTER_TAG: R.AutoFilter, R.VALIDATION_TAG: R.DataValidationList,
            R.PROPERTIES_TAG: R.WorksheetProperties, R.VIEWS_TAG: R.SheetViewList,
            R.FORMAT_TAG: R.SheetFormatProperties, R.SCENARIOS_TAG: R.ScenarioList, R.TABLE_TAG: R.TablePartList,
            R.HYPERLINK_TAG: R.HyperlinkList, R.MERGE_TAG: R.MergeCells,
        }
        handlers: dict[str, Any] = dict(dispatcher)
        for tag, cls in properties.items():
            handlers[tag] = cls.from_tree
        row_tag, v_tag, is_tag, t_tag, data_tag = R.ROW_TAG, R.VALUE_TAG, R.INLINE_STRING, _S + "t", R.DATA_TAG
        digits = _DIGITS
        row: list[Any]  # a row's texts (and cells waiting for their number formats)
        text: Any
        bcolumns: dict[bytes, int] = {}  # columns and styles by the bytes of a row read by _ROW
        bstyles: dict[bytes | None, tuple[Any, str, bool, bool, dict[str, str]]] = {}
        row_counter = 0
        counter = 1  # _cells_by_row's: a row numbered below it (out of order, repeated) is not yielded
        sheet_data = None
        # xml.etree's iterparse, as openpyxl's (same chunks, same errors), with start events until
        # sheetData opens: its rows are dropped as they are read (openpyxl keeps an emptied element each)
        events = _SheetPull(src)
        starts = True
        for kind, batch in events.items():
            if kind == "row":  # a row as Excel writes it, read from its bytes (see _SheetPull)
                row_counter, buf, cells = batch
                row = []
                add = row.append
                col = last = 0
                pending = False
                if cells:
                    for cm in cells:
                        letters, s, t, v, inline = cm.groups()
                        column = bcolumns.get(letters, 0)
                        style = bstyles.get(s)
                        if not column or style is None:  # not seen yet: as parsed (the cell's own element)
                            c = ET.fromstring(b'<c xmlns="' + main + b'"' + buf[cm.start() + 2 : cm.end()])
                            column, text = slow_cell(c, row_counter, col)
                            pending = True
                            if letters not in bcolumns and letters.decode() in columns:
                                bcolumns[letters] = columns[letters.decode()]
                            key = None if s is None else s.decode()
                            if s not in bstyles and key in styles:
                                bstyles[s] = styles[key]
                        elif t == b"s":
                            if v:
                                text = shared[int(_unescape(v.decode()))]
                                if text.__class__ is not str:
                                    text = text_of(text, style[1])
                            else:
                                text = ""
                        elif t is None or t == b"n":
                            if not v:
                                text = ""
                            else:
                                text = number_text(_unescape(v.decode()), style)
                        elif t == b"inlineStr":
                            text = _unescape(inline.decode()) if inline is not None else ""
                        elif t == b"b":
                            if v:
                                bool(int(_unescape(v.decode())))  # openpyxl's conversion and its error
                            text = ""
                        else:  # str, e
                            text = _unescape(v.decode()) if v else ""
                        col = last = column
                        n = len(row)
                        if column > n:
                            if column > n + 1:
                                row.extend([""] * (column - n - 1))
                            add(text)
                        else:
                            row[column - 1] = text
                if row_counter < counter:
                    continue
                counter = row_counter + 1
                if not row:
                    continue
                del row[last:]
                if pending:
                    for i, x in enumerate(row):
                        if x.__class__ is _Pending:
                            row[i] = text_of(x.value, fmt_of(x.style_id))
                yield row_counter, row
                continue
            for event, el in batch:
                tag = el.tag
                if tag != row_tag:
                    if event == "start":
                        if tag == data_tag:
                            sheet_data = el
                            if starts:
                                events.start_rows(lambda: len(sheet_data) == 0)
                                starts = False
                    elif tag == data_tag:
                        events.rows = False  # rows after sheetData (openpyxl reads them too) go through the parser
                    elif tag in handlers:  # WorkSheetParser.parse's other elements (their errors are the sheet's)
                        handlers[tag](el)
                        el.clear()
                    continue
                if event == "start":
                    continue
                # WorkSheetParser.parse_row
                r = el.get("r")
                if r is not None:
                    try:
                        row_counter = int(r)
                    except ValueError:
                        val = float(r)
                        if val.is_integer():
                            row_counter = int(val)
                        else:
                            raise ValueError(f"{r} is not a valid row number") from None
                else:
                    row_counter += 1
                # the row's texts as ReadOnlyWorksheet._get_row places its cells: each at its column,
                # a later cell in a column winning, the row as wide as its last cell's column
                row = []
                add = row.append
                col = 0  # the parser's column counter (a cell without a reference takes the next)
                last = 0  # the column of the last cell
                pending = False
                for c in el:
                    # WorkSheetParser.parse_cell (data_only) and _cell_text; openpyxl's own parse_cell
                    # for a cell whose style or reference letters it has not read yet, or rich inline text
                    ref = c.get("r")
                    if ref:
                        letters = ref.rstrip(digits)
                        column = columns.get(letters, 0) if len(letters) < len(ref) else 0
                    else:
                        column = col + 1
                    style = styles.get(c.get("s"))
                    text = None
                    if style is not None and column:
                        t = c.get("t")
                        if t == "s":
                            v = c.findtext(v_tag)
                            if v:
                                text = shared[int(v)]
                                if text.__class__ is not str:
                                    text = text_of(text, style[1])
                            else:
                                text = ""
                        elif t is None or t == "n":
                            v = c.findtext(v_tag)
                            if not v:
                                text = ""
                            else:
                                text = number_text(v, style)
                        elif t == "inlineStr":
                            isc = c.find(is_tag)
                            if isc is None:
                                text = ""
                            elif not isc.attrib and len(isc) == 1 and isc[0].tag == t_tag:
                                text = isc[0].text or ""  # Text.from_tree(isc).content
                        elif t == "b":
                            v = c.findtext(v_tag)
                            if v:
                                bool(int(v))  # openpyxl's conversion and its error; _cell_text drops booleans
                            text = ""
                        elif t == "d":
                            v = c.findtext(v_tag)
                            text = text_of(from_ISO8601(v), style[1]) if v else ""
                        else:  # str, e (an error such as #N/A), or a type openpyxl keeps as written
                            text = c.findtext(v_tag) or ""
                    if text is None:
                        column, text = slow_cell(c, row_counter, col)
                        pending = True
                    col = last = column
                    n = len(row)
                    if column > n:
                        if column > n + 1:
                            row.extend([""] * (column - n - 1))
                        add(text)
                    else:
                        row[column - 1] = text
                el.clear()
                if sheet_data is not None and len(sheet_data) and sheet_data[-1] is el:
                    del sheet_data[:]  # the rows read (not an element still open around a row)
                if row_counter < counter:
                    continue
                counter = row_counter + 1
                if not row:
                    continue
                del row[last:]
                if pending:  # _row_texts: the number formats asked for in column order
                    for i, x in enumerate(row):
                        if x.__class__ is _Pending:
                            row[i] = text_of(x.value, fmt_of(x.style_id))
                yield row_counter, row


def sheet_rows_records(ctx: Ctx, title: str, rows: Iterator[tuple[int, list[str]]]) -> Iterator[Record]:
    """Records of one sheet's rows ((row number, cell texts), streamed): XLSX and OpenDocument sheets."""
    buffered: list[tuple[int, list[str]]] = []
    whole = True  # the sheet's rows all in the buffer
    for n, texts in rows:
        if any(t.strip() for t in texts):
            buffered.append((n, texts))
            if len(buffered) > HEADER_SAMPLE:
                whole = False
                break
    names: list[str] | None = None
    at = header_row([t for _, t in buffered])
    labelled = label_pairs([t for _, t in buffered]) if whole else None
    if labelled is not None and (at < 0 or labelled[1]):
        # a small sheet of labels and values (a customer card): values named by their labels,
        # one record when it reads as one form (labels with colons), as a DOCX form table
        pairs, form = labelled
        if form:
            fields = [f for row in pairs for f in row]
            item = f"{title}:{buffered[0][0]}-{buffered[-1][0]}"
            for start in range(0, len(fields), MAX_RECORD_FIELDS):
                yield ctx.record(item, fields[start : start + MAX_RECORD_FIELDS], True)
        else:
            for (n, _), row in zip(buffered, pairs):
                if row:
                    yield ctx.record(f"{title}:{n}", row, True)
        return
    header_n = 0  # rows up to this one (a title above the header) are not named by it
    if at >= 0:
        header_n, header = buffered[at]
        if not header_also_data(header, [t for _, t in buffered[at + 1 :]]):
            del buffered[at]  # else its cells are scanned as values too, named by their references
        names = column_names(header, len(header), letters=True)
        names = [nm if h.strip() else "" for nm, h in zip(names, header)]

    def rec(n: int, texts: list[str]) -> Iterator[Record]:
        fields = []
        for i, t in enumerate(texts):
            if t and not t.isspace():
                name = (names[i] if names and n > header_n and i < len(names) and names[i]
                        else f"{title}!{column_letter(i)}{n}")
                fields.append((name, t))
        for start in range(0, len(fields), MAX_RECORD_FIELDS):
            yield ctx.record(f"{title}:{n}", fields[start : start + MAX_RECORD_FIELDS], True)

    for n, texts in buffered:
        yield from rec(n, texts)
    for n, texts in rows:
        if any(t.strip() for t in texts):
            yield from rec(n, texts)


_S = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_R = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
_PR = "{http://schemas.openxmlformats.org/package/2006/relationships}"


def _rels(zf: zipfile.ZipFile, part: str) -> dict[str, tuple[str, str]]:
    """A part's relationships: id -> (type's last word, target part path)."""
    folder, name = posixpath.split(part)
    try:
        root = ET.fromstring(zf.read(posixpath.join(folder, "_rels", name + ".rels")))
    except KeyError:
        return {}
    out = {}
    for rel in root.iter(_PR + "Relationship"):
        target = rel.get("Target") or ""
        if rel.get("TargetMode") == "External" or not target:
            continue
        path = target.lstrip("/") if target.startswith("/") else posixpath.normpath(posixpath.join(folder, target))
        out[rel.get("Id") or ""] = ((rel.get("Type") or "").rsplit("/", 1)[-1], path)
    return out


def _worksheets(zf: zipfile.ZipFile) -> list[tuple[str, str]]:
    """The workbook's worksheets: (title, part), in the workbook's order (chart sheets and others left out)."""
    book = "xl/workbook.xml"
    rels = _rels(zf, book)
    out = []
    for sheet in ET.fromstring(zf.read(book)).iter(_S + "sheet"):
        kind, part = rels.get(sheet.get(_R + "id") or "", ("", ""))
        if kind == "worksheet":
            out.append((sheet.get("name") or "", part))
    return out


def _comment_records(ctx: Ctx, zf: zipfile.ZipFile, sheets: list[tuple[str, str]]) -> Iterator[Record]:
    """Cell comments (notes): ``item`` = ``<sheet>!<cell> comment``, fields ``text`` and ``meta:author``.

    openpyxl's read-only mode leaves them out; they are read from each worksheet's
    comments part (a threaded comment has its text there too, for older readers).
    """
    for title, part in sheets:
        for ckind, cpart in _rels(zf, part).values():
            if ckind != "comments" or zf.getinfo(cpart).file_size > MAX_DOM_BYTES:
                continue
            root = ET.fromstring(zf.read(cpart))
            authors = [a.text or "" for a in root.iter(_S + "author")]
            for c in root.iter(_S + "comment"):
                text = "".join(t.text or "" for t in c.iter(_S + "t")).strip()
                fields = [(TEXT_FIELD, text)] if text else []
                a = c.get("authorId")
                author = authors[int(a)] if a and a.isdigit() and int(a) < len(authors) else ""
                if author.strip():
                    fields.append(("meta:author", author.strip()))
                if fields:
                    yield ctx.record(f"{title}!{c.get('ref') or '?'} comment", fields, False)


_HF_START = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?headerFooter[\s>/]")
_HF_END = re.compile(rb"</(?:[A-Za-z_][\w.-]*:)?headerFooter>")
_HF_PART = re.compile(r"<(?:[A-Za-z_][\w.-]*:)?(?:odd|even|first)(Header|Footer)>([^<]*)</")
# Excel's header/footer codes: sections &L &C &R, fields (&P page, &D date, &F file, ...), &"font,style", &12, &K colour
_HF_CODES = re.compile(r'&(?:"[^"]*"|[0-9]+|K[0-9A-Fa-f]{6}|K[0-9]{2}[+-][0-9]{3}|[A-Za-z+-])')
MAX_HF_SCAN = 64 << 20  # a worksheet's XML looked through for its page header and footer (they come after the cells)
HF_CHUNK = 1 << 20
MAX_HF_BYTES = 64 * 1024


def _header_footer(zf: zipfile.ZipFile, part: str) -> bytes:
    """The ``headerFooter`` element of a worksheet part (streamed: it follows the cells), or b""."""
    found = b""
    carry = b""
    with zf.open(part) as f:
        while True:
            chunk = f.read(HF_CHUNK)
            if not chunk and not carry:
                return b""
            buf = carry + chunk
            if not found:
                m = _HF_START.search(buf)
                if m is None:
                    if not chunk:
                        return b""
                    carry = buf[-256:]
                    continue
                buf = buf[m.start():]
                found = b"<"
            end = _HF_END.search(buf)
            if end is not None:
                return buf[:end.end()][:MAX_HF_BYTES]
            if not chunk or len(buf) > MAX_HF_BYTES:
                return buf[:MAX_HF_BYTES]
            carry = buf


def _header_footer_records(ctx: Ctx, zf: zipfile.ZipFile, sheets: list[tuple[str, str]]) -> Iterator[Record]:
    """Each worksheet's page header and footer (odd, even and first page): records ``<sheet> header`` and
    ``<sheet> footer``, field ``text``, Excel's ``&`` codes removed; not structured. A sheet's XML larger
    than :data:`MAX_HF_SCAN` is not looked through (a data export, not a printed statement)."""
    for title, part in sheets:
        if part not in zf.NameToInfo or zf.getinfo(part).file_size > MAX_HF_SCAN:
            continue
        snippet = _header_footer(zf, part).decode("utf-8", "replace")
        texts: dict[str, list[str]] = {"Header": [], "Footer": []}
        for which, raw in _HF_PART.findall(snippet):
            text = _HF_CODES.sub(" ", html.unescape(raw).replace("&&", "\x00")).replace("\x00", "&")
            text = " ".join(text.split())
            if text and text not in texts[which]:
                texts[which].append(text)
        for which, parts in texts.items():
            if parts:
                yield ctx.record(f"{title} {which.lower()}", [(TEXT_FIELD, " | ".join(parts))], False)


def xlsx_records(ctx: Ctx, src: Source, *, fast: bool = True) -> Iterator[Record]:
    """An XLSX workbook's records (see the module docstring).

    ``fast=False``: every sheet read through openpyxl's read-only cells (the reader before
    :func:`_xlsx_rows`), kept to check that one against.
    """
    f = src.seekable_file()
    with check_zip_bounds(ctx, f) as zf:
        extra = _extra_properties(ctx, zf)
        try:
            sheets = _worksheets(zf)  # looked through for comments and for page headers
        except Exception as exc:  # noqa: BLE001 - a damaged workbook part is reported, the cells read
            ctx.problem(f"{ctx.name} comments and page headers: {describe(exc)}")
            sheets = []
        try:
            comments = list(_comment_records(ctx, zf, sheets))
        except Exception as exc:  # noqa: BLE001 - damaged comments are reported, the cells read
            ctx.problem(f"{ctx.name} comments: {describe(exc)}")
            comments = []
        try:
            comments += list(_header_footer_records(ctx, zf, sheets))
        except Exception as exc:  # noqa: BLE001 - a damaged header is reported, the cells read
            ctx.problem(f"{ctx.name} page headers: {describe(exc)}")
    f.seek(0)
    try:
        wb = _load_workbook(f, fast)
    except Exception as exc:  # noqa: BLE001 - openpyxl raises many kinds
        raise ConnectorError(f"{ctx.name}: not a readable XLSX workbook ({describe(exc)})") from None
    try:
        meta = _meta_record(ctx, wb.properties, extra)
        if meta:
            yield meta
        for ws in wb.worksheets:
            try:
                if fast and _fast_xlsx_ok(wb, ws):
                    yield from sheet_rows_records(ctx, ws.title, _xlsx_rows(wb, ws))
                else:
                    yield from _sheet_records(ctx, ws)
            except ConnectorError:
                raise
            except Exception as exc:  # noqa: BLE001 - a damaged sheet is skipped, the others read
                ctx.problem(f"{ctx.name} sheet {safe_name(ws.title)}: {describe(exc)}")
        yield from comments
    finally:
        wb.close()


# --- DOCX ---------------------------------------------------------------------------------------


def _row_cells(row: Any) -> list[Any]:
    """A table row's cells, a merged cell once."""
    out, seen = [], set()
    for cell in row.cells:
        key = id(cell._tc)
        if key not in seen:
            seen.add(key)
            out.append(cell)
    return out


def _table_records(ctx: Ctx, table: Any, prefix: str, links: dict[str, str] | None = None) -> Iterator[Record]:
    rows = [_row_cells(r) for r in table.rows]
    texts = [[_tc_text(c._tc, links) for c in cells] for cells in rows]
    yield from text_table_records(ctx, texts, prefix)
    for r, cells in enumerate(rows):
        for cell in cells:
            for k, nested in enumerate(cell.tables, start=1):
                yield from _table_records(ctx, nested, f"{prefix} row {r + 1} table {k}", links)


def text_table_records(ctx: Ctx, texts: list[list[str]], prefix: str) -> Iterator[Record]:
    """Records of a document's table (its cells' texts): a row each named by the header, or one form."""
    names: list[str] = []
    # the header: the first row, or the row below a merged title row (see header_row)
    at = header_row(texts[:HEADER_SAMPLE]) if len(texts) > 1 else -1
    header_data = False  # the header row read as a row of data too (core.header_also_data)
    if at >= 0:
        names = column_names(texts[at], len(texts[at]))
        header_data = header_also_data(texts[at], texts[at + 1 : HEADER_SAMPLE])
    labelled = label_pairs(texts)
    if labelled is not None and (at < 0 or labelled[1]):  # labels with colons are no header, whatever the first row says
        # a form of labels and values: values named by their labels; one record when it reads as one form
        pairs, form = labelled
        if form:
            fields = [f for row in pairs for f in row]
            for start in range(0, len(fields), MAX_RECORD_FIELDS):
                yield ctx.record(prefix, fields[start : start + MAX_RECORD_FIELDS], True)
        else:
            for r, row in enumerate(pairs):
                if row:
                    yield ctx.record(f"{prefix} row {r + 1}", row, True)
        return
    for r in range(len(texts)):
        if r == at and not header_data:  # the header row is no record
            continue
        named = names if r > at else ()
        fields = []
        for c, t in enumerate(texts[r]):
            if t.strip():
                fields.append((named[c] if c < len(named) else f"column {c + 1}", t))
        if fields:
            yield ctx.record(f"{prefix} row {r + 1}", fields, True)


# --- DOCX text as Word shows it ------------------------------------------------------------------
#
# python-docx's Paragraph.text reads the runs and hyperlinks directly in a paragraph
# only: the text of a tracked insertion (w:ins), an inline content control (w:sdt),
# a smart tag or a simple field was missed, and so were body-level content controls
# (the fields of a form template), text boxes and footnotes. These helpers read the
# WordprocessingML itself.

_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_MC = "{http://schemas.openxmlformats.org/markup-compatibility/2006}"
_SKIP = frozenset({
    _W + "del", _W + "moveFrom",  # deleted text: read apart (see _deleted_text)
    _W + "txbxContent",  # a text box: a record of its own (see _text_boxes)
    _MC + "Fallback",  # the same content again, for older readers
    _W + "sdtPr", _W + "rPr", _W + "pPr", _W + "instrText", _W + "delInstrText",
    _W + "footnoteReference", _W + "endnoteReference", _W + "commentReference",
})
_CHARS = {_W + "tab": "\t", _W + "ptab": "\t", _W + "br": "\n", _W + "cr": "\n", _W + "noBreakHyphen": "-"}


_RID = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"


def _link_targets(part: Any) -> dict[str, str]:
    """A part's ``mailto:``/``tel:`` hyperlink targets by relationship id."""
    out = {}
    for rid, rel in part.rels.items():
        target = str(getattr(rel, "target_ref", "") or "")
        if rel.is_external and (target[:7].lower() == "mailto:" or target[:4].lower() == "tel:"):
            out[rid] = unquote(target)
    return out


def _p_text(p: Any, links: dict[str, str] | None = None) -> str:
    """The visible text of a paragraph element: runs anywhere in it (insertions, content controls, fields, links).

    With ``links`` (:func:`_link_targets`), a ``mailto:``/``tel:`` link whose address
    its text does not show (``Kontakta Anna Berg``) has its target added at the end.
    """
    text = _run_text(p)
    if links:
        for h in p.iter(_W + "hyperlink"):
            target = links.get(h.get(_RID) or "")
            if target and target.split(":", 1)[1].split("?", 1)[0].strip() not in text:
                text += " " + target
    return text


def _run_text(p: Any) -> str:
    out: list[str] = []
    stack = list(reversed(list(p)))
    while stack:
        el = stack.pop()
        tag = el.tag
        if not isinstance(tag, str) or tag in _SKIP:
            continue
        if tag == _W + "t":
            out.append(el.text or "")
        elif tag in _CHARS:
            out.append(_CHARS[tag])
        else:
            stack.extend(reversed(list(el)))
    return "".join(out)


def _blocks(container: Any) -> Iterator[Any]:
    """Paragraph and table elements of a body, cell, header or text box in order, content controls opened."""
    for el in container:
        tag = el.tag
        if tag in (_W + "p", _W + "tbl"):
            yield el
        elif tag == _W + "sdt":
            for content in el.iterchildren(_W + "sdtContent"):
                yield from _blocks(content)
        elif tag == _W + "customXml":
            yield from _blocks(el)


def _tc_text(tc: Any, links: dict[str, str] | None = None) -> str:
    """A table cell's paragraphs (its nested tables are read as tables of their own)."""
    return "\n".join(_p_text(el, links) for el in _blocks(tc) if el.tag == _W + "p")


def _deleted_text(p: Any) -> str:
    """Text a tracked change deleted from a paragraph: still in the file until the change is accepted."""
    parts = []
    for el in p.iter(_W + "del", _W + "moveFrom"):
        parts.append("".join(t.text or "" for t in el.iter(_W + "delText", _W + "t")))
    return " ".join(x for x in parts if x.strip())


def _text_boxes(p: Any) -> list[str]:
    """The text of each text box anchored in a paragraph (its fallback copy for older readers left out)."""
    out = []
    for box in p.iter(_W + "txbxContent"):
        if any(a.tag == _MC + "Fallback" for a in box.iterancestors()):
            continue
        texts = [_p_text(el) for el in box.iter(_W + "p")]
        text = "\n".join(t for t in texts if t.strip())
        if text:
            out.append(text)
    return out


def _part_text(element: Any) -> str:
    """The text of a header or footer: paragraphs, table rows (cells tab-separated), text boxes."""
    chunks: list[str] = []
    for el in _blocks(element):
        if el.tag == _W + "p":
            chunks.append(_p_text(el))
            chunks.extend(_text_boxes(el))
        else:
            for tr in el.iter(_W + "tr"):
                chunks.append("\t".join(_tc_text(tc) for tc in tr.iterchildren(_W + "tc")))
    return "\n".join(c for c in chunks if c.strip())


def _page_breaks(p: Any, text: str) -> tuple[bool, bool]:
    """Whether a paragraph starts a new page (``pageBreakBefore``) and whether it ends its page or section
    (a page break in it, a section break after it): no text goes on over such a break. ``text``: its text
    (a page break shows as a line break in it, so paragraphs without one are not searched)."""
    before = after = False
    ppr = p.find(_W + "pPr")
    if ppr is not None:
        el = ppr.find(_W + "pageBreakBefore")
        before = el is not None and el.get(_W + "val", "true") not in ("0", "false", "off")
        after = ppr.find(_W + "sectPr") is not None
    if not after and "\n" in text:
        after = any(br.get(_W + "type") == "page" for br in p.iter(_W + "br"))
    return before, after


def _note_records(ctx: Ctx, doc: Any) -> Iterator[Record]:
    """Footnotes and endnotes: ``footnote N`` / ``endnote N`` (N the note's id), field ``text``."""
    from docx.oxml import parse_xml

    for rel in list(doc.part.rels.values()):
        kind = rel.reltype.rsplit("/", 1)[-1]
        if kind not in ("footnotes", "endnotes") or rel.is_external:
            continue
        try:
            root = parse_xml(rel.target_part.blob)
        except Exception as exc:  # noqa: BLE001 - a damaged part is reported, the rest read
            ctx.problem(f"{ctx.name} {kind}: {describe(exc)}")
            continue
        for note in root.iterchildren(_W + kind[:-1]):
            if note.get(_W + "type") not in (None, "normal"):
                continue  # separators
            text = "\n".join(t for t in (_p_text(p) for p in note.iter(_W + "p")) if t.strip())
            if text:
                yield ctx.record(f"{kind[:-1]} {note.get(_W + 'id')}", [(TEXT_FIELD, text)], False)


def docx_records(ctx: Ctx, src: Source) -> Iterator[Record]:
    import docx
    from docx.table import Table

    f = src.seekable_file()
    zf = check_zip_bounds(ctx, f)
    try:
        size = zf.getinfo("word/document.xml").file_size
    except KeyError:
        size = 0
    extra = _extra_properties(ctx, zf)
    zf.close()
    if size > MAX_DOM_BYTES:
        raise LimitExceeded(f"{ctx.name}: document body of {size} bytes is too large for the DOCX reader")
    f.seek(0)
    try:
        doc = docx.Document(f)
    except Exception as exc:  # noqa: BLE001 - python-docx raises many kinds
        raise ConnectorError(f"{ctx.name}: not a readable DOCX document ({describe(exc)})") from None
    meta = _meta_record(ctx, doc.core_properties, extra)
    if meta:
        yield meta
    try:
        links = _link_targets(doc.part)
    except Exception as exc:  # noqa: BLE001
        ctx.problem(f"{ctx.name} hyperlinks: {describe(exc)}")
        links = {}
    p_no = t_no = 0
    joined = False  # the record just before is the body paragraph right before this one, on the same page
    for el in _blocks(doc.element.body):
        if el.tag == _W + "tbl":
            t_no += 1
            joined = False
            yield from _table_records(ctx, Table(el, doc._body), f"table {t_no}", links)
            continue
        p_no += 1
        text = _p_text(el, links)
        page_before, page_after = _page_breaks(el, text)
        if text.strip():
            rec = ctx.record(f"paragraph {p_no}", [(TEXT_FIELD, text)], False)
            rec.follows = joined and not page_before
            joined = True
            yield rec
        else:
            joined = False  # a blank paragraph ends the run
        for k, box in enumerate(_text_boxes(el), start=1):
            joined = False
            yield ctx.record(f"paragraph {p_no} text box {k}", [(TEXT_FIELD, box)], False)
        deleted = _deleted_text(el)
        if deleted:
            joined = False
            yield ctx.record(f"paragraph {p_no} deleted", [(TEXT_FIELD, deleted)], False)
        if page_after:
            joined = False
    for s_no, section in enumerate(doc.sections, start=1):
        for attr, label in (
            ("header", "header"), ("first_page_header", "first page header"), ("even_page_header", "even page header"),
            ("footer", "footer"), ("first_page_footer", "first page footer"), ("even_page_footer", "even page footer"),
        ):  # fmt: skip
            try:
                part = getattr(section, attr)
                if part.is_linked_to_previous:
                    continue
                text = _part_text(part._element)
            except Exception as exc:  # noqa: BLE001
                ctx.problem(f"{ctx.name} section {s_no} {label}: {describe(exc)}")
                continue
            if text:
                yield ctx.record(f"section {s_no} {label}", [(TEXT_FIELD, text)], False)
    try:
        yield from _note_records(ctx, doc)
    except ConnectorError:
        raise
    except Exception as exc:  # noqa: BLE001
        ctx.problem(f"{ctx.name} notes: {describe(exc)}")
    comments = getattr(doc, "comments", None)
    if comments is not None:
        try:
            for n, comment in enumerate(comments, start=1):
                fields = [(TEXT_FIELD, comment.text)] if comment.text.strip() else []
                if (comment.author or "").strip():
                    fields.append(("meta:author", comment.author))
                if fields:
                    yield ctx.record(f"comment {n}", fields, False)
        except Exception as exc:  # noqa: BLE001
            ctx.problem(f"{ctx.name} comments: {describe(exc)}")


# --- PPTX ---------------------------------------------------------------------------------------

_A = "{http://schemas.openxmlformats.org/drawingml/2006/main}"
_P = "{http://schemas.openxmlformats.org/presentationml/2006/main}"
_CORE = (
    ("{http://purl.org/dc/elements/1.1/}creator", "meta:author"),
    ("{http://schemas.openxmlformats.org/package/2006/metadata/core-properties}lastModifiedBy", "meta:last_modified_by"),
    ("{http://purl.org/dc/elements/1.1/}title", "meta:title"),
    ("{http://purl.org/dc/elements/1.1/}subject", "meta:subject"),
    ("{http://purl.org/dc/elements/1.1/}description", "meta:comments"),
    ("{http://schemas.openxmlformats.org/package/2006/metadata/core-properties}keywords", "meta:keywords"),
    ("{http://schemas.openxmlformats.org/package/2006/metadata/core-properties}category", "meta:category"),
)


def _drawing_paragraph(p: Any) -> str:
    out: list[str] = []
    for el in p.iter():
        if el.tag == _A + "t":
            out.append(el.text or "")
        elif el.tag == _A + "br":
            out.append("\n")
    return "".join(out)


def _part_xml(zf: zipfile.ZipFile, part: str) -> Any:
    info = zf.getinfo(part)
    if info.file_size > MAX_DOM_BYTES:
        raise LimitExceeded(f"part {safe_name(part)} of {info.file_size} bytes is too large to read")
    return ET.fromstring(zf.read(info))


def _slide_texts(root: Any) -> tuple[list[str], list[list[list[str]]]]:
    """A slide's (or notes page's) paragraphs outside tables, and its tables' cell texts."""
    tables: list[list[list[str]]] = []
    in_tables: set[int] = set()
    for tbl in root.iter(_A + "tbl"):
        rows = []
        for tr in tbl.iter(_A + "tr"):
            cells = []
            for tc in tr.iter(_A + "tc"):
                texts = [_drawing_paragraph(p) for p in tc.iter(_A + "p")]
                cells.append("\n".join(t for t in texts if t.strip()))
            rows.append(cells)
        tables.append(rows)
        in_tables.update(id(p) for p in tbl.iter(_A + "p"))
    paragraphs = [_drawing_paragraph(p) for p in root.iter(_A + "p") if id(p) not in in_tables]
    return [t for t in paragraphs if t.strip()], tables


def pptx_records(ctx: Ctx, src: Source) -> Iterator[Record]:
    """A PowerPoint deck: ``meta``; each slide's text ``slide N`` (not structured), its tables ``slide N table K
    row R`` (as DOCX tables), its speaker notes ``slide N notes``, its comments ``slide N comment K``."""
    f = src.seekable_file()
    with check_zip_bounds(ctx, f) as zf:
        fields: list[tuple[str, str]] = []
        try:
            if "docProps/core.xml" in zf.namelist():
                core = _part_xml(zf, "docProps/core.xml")
                for tag, name in _CORE:
                    el = core.find(tag)
                    if el is not None and (el.text or "").strip():
                        fields.append((name, (el.text or "").strip()))
        except Exception as exc:  # noqa: BLE001
            ctx.problem(f"{ctx.name} document properties: {describe(exc)}")
        fields.extend(_extra_properties(ctx, zf))
        if fields:
            yield ctx.record("meta", fields, False)
        book = "ppt/presentation.xml"
        rels = _rels(zf, book)
        slides = [rels.get(s.get(_R + "id") or "", ("", ""))[1] for s in _part_xml(zf, book).iter(_P + "sldId")]
        for n, part in enumerate(slides, start=1):
            if not part:
                continue
            try:
                paragraphs, tables = _slide_texts(_part_xml(zf, part))
                if paragraphs:
                    yield ctx.record(f"slide {n}", [(TEXT_FIELD, "\n".join(paragraphs))], False)
                for k, rows in enumerate(tables, start=1):
                    yield from text_table_records(ctx, rows, f"slide {n} table {k}")
                for kind, target in _rels(zf, part).values():
                    if kind == "notesSlide":
                        notes, _ = _slide_texts(_part_xml(zf, target))
                        notes = [t for t in notes if not t.strip().isdigit()]  # the slide number placeholder
                        if notes:
                            yield ctx.record(f"slide {n} notes", [(TEXT_FIELD, "\n".join(notes))], False)
                    elif kind == "comments":
                        for k, cm in enumerate(_part_xml(zf, target).iter(_P + "cm"), start=1):
                            text = "".join(t.text or "" for t in cm.iter(_P + "text")).strip()
                            if text:
                                yield ctx.record(f"slide {n} comment {k}", [(TEXT_FIELD, text)], False)
            except ConnectorError:
                raise
            except Exception as exc:  # noqa: BLE001 - a damaged slide is reported, the others read
                ctx.problem(f"{ctx.name} slide {n}: {describe(exc)}")
