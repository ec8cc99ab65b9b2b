"""HTML and XML, streamed in chunks.

**HTML** (stdlib ``html.parser``): visible text in blocks (a block ends at a
block-level tag: p, div, li, tr, td, br, headings, ...), one record per block,
``item`` = the source line where the block's text starts, field ``text``,
``structured=False``; a block that goes on from the one before in the
text's flow (no blank paragraph or blank line, table, rule or comment
between) is marked ``follows`` (:class:`connectors.base.Record`), so that
``<p>Personnummer:</p><p>811228 9874</p>`` is read as one text by the
detectors (a table row never follows). The cells of one table row stay in one block,
separated by tabs (``Personnr:<TAB>6408233234``: a form's label keeps its
value; a tab never joins two cells' digits into one number), as in HTML
mail (:func:`connectors.mime.html_to_text`). ``script``/``style`` are skipped; ``mailto:``/``tel:``
link targets are kept as text (``mailto:anna@example.se``), and so are the
``content`` of ``<meta name="author|description|keywords">``, the ``title``
and ``alt`` attributes and the ``value`` of text inputs (a filled-in form saved
as HTML, hidden fields too). An HTML file's comments (``<!-- ... -->``, not
Outlook's conditional ones) are blocks of their own: the file holds them; so are
its data islands (``<script type="application/json">``, schema.org
``application/ld+json``: what the server put in the page, a logged-in customer's
state, a contact person), while script code stays skipped; and ``data-*``
attributes whose name says they hold an identifier (``data-epost``,
``data-mobil``) or whose value holds an ``@`` are read after their name
(``epost: anna@example.se``). HTML mail bodies are read without these.

**XML** (``xml.etree.ElementTree.XMLPullParser``, expat: no external
entities): each child of the document element is a record, ``item`` =
``/root/child[n]`` (n counts same-named siblings, from 1), fields named by
their path below it (``name``, ``address/city``, ``phone[2]``, ``@id``,
``text()`` for the record element's own text); the document element's own
attributes and text form the record ``/root``. Below a child that wraps a
list (``<Export><Kunder><Kund>...</Kund><Kund>...``, an OpenDocument sheet's
rows) the repeated elements are records of their own, ``item`` =
``/Export/Kunder[1]/Kund[2]`` (see :func:`_record_paths`; the document is read
twice, first for its shape: a stream is spooled). Namespaces are dropped from
names. ``structured=True``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any
from html.parser import HTMLParser
from urllib.parse import unquote
from xml.etree import ElementTree as ET

from connectors.base import ConnectorError, Record
from connectors.formats.core import MAX_RECORD_FIELDS, TEXT_FIELD, Ctx
from connectors.formats.encoding import text_stream, utf8_stream
from connectors.formats.streams import Source, buffered

CHUNK_CHARS = 256 * 1024
MAX_PENDING_CHARS = 16 << 20

_BLOCK = frozenset(
    "address article aside blockquote body br caption dd details dialog div dl dt fieldset figcaption figure "
    "footer form h1 h2 h3 h4 h5 h6 head header hr html li main nav ol option p pre section summary table "
    "tbody td tfoot th thead title tr ul".split()
)
_SKIP = frozenset({"script", "style", "template"})
# block elements whose text never goes on from the text before or after them (Record.follows)
_APART = frozenset(
    "body caption head hr html option table tbody td tfoot th thead title tr".split()
)
_WS = re.compile(r"\s+")


# <script> types that hold data, not code: a JSON data island, schema.org JSON-LD
_DATA_SCRIPTS = frozenset({"application/json", "application/ld+json"})
# a data-* attribute read where its name says it holds an identifier (or its value is an address)
_DATA_ATTR = re.compile(r"(?i)pnr|person|ssn|tel|phone|mobil|mail|epost|e-post|konto|account|iban")
MAX_ATTR_CHARS = 256

# <input> types whose value is no typed-in text
_NO_TEXT_INPUT = frozenset({"submit", "button", "reset", "image", "checkbox", "radio", "file", "password", "color", "range"})


class _TextParser(HTMLParser):
    def __init__(self, max_chars: int, comments: bool = False) -> None:
        super().__init__(convert_charrefs=True)
        self.blocks: list[tuple[int, str]] = []
        self._buf: list[str] = []
        self._size = 0
        self._line = 0
        self._skip = 0
        self._max = max_chars
        self._comments = comments
        # Whether each block goes on from the one before (Record.follows): text of one flow,
        # no blank paragraph, table, rule, comment or slice of an over-long block between.
        self.follows: list[bool] = []
        self._gap = True  # the next block does not go on from the one before
        self._open: str | None = None  # the block element opened last, while nothing was written in it
        self._breaks = 0  # <br> since the last text: two make a blank line
        self._island = False  # in a data <script> (files only): its text is a block of its own

    def _add(self, text: str) -> None:
        if not self._buf:
            self._line = self.getpos()[0]
        self._buf.append(text)
        self._size += len(text)
        if not text.isspace():
            self._open, self._breaks = None, 0
        if self._size >= self._max:
            self.flush()
            self._gap = True  # the next slice of an over-long block

    def _emit(self, text: str) -> None:
        self.blocks.append((self._line, text))
        self.follows.append(not self._gap)
        self._gap = False

    def flush(self) -> None:
        if self._buf:
            text = _WS.sub(" ", "".join(self._buf)).strip()
            if text:
                self._emit(text)
        self._buf, self._size = [], 0

    def _boundary(self, tag: str, end: bool) -> None:
        """A block element's start or end: a blank paragraph, a blank line, a table or a rule ends the flow."""
        if tag in _APART:
            self._gap = True
        elif tag == "br":
            self._breaks += 1
            if self._breaks >= 2:
                self._gap = True
        elif end:
            if self._open == tag:
                self._gap = True  # <p></p>, <p>&nbsp;</p>: a blank paragraph
            self._open = None
        else:
            self._open = tag

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "script" and self._comments and not self._skip and not self._island and (
                dict(attrs).get("type") or "").strip().lower() in _DATA_SCRIPTS:
            self.flush()  # a data island: a block of its own, as a comment
            self._gap = True
            self._island = True
            return
        if tag in _SKIP:
            self._skip += 1
            return
        if tag in _BLOCK:
            self.flush()
            self._boundary(tag, False)
        a = {k: (v or "") for k, v in attrs}
        if self._comments and not self._skip:
            for k, v in a.items():
                if k.startswith("data-") and v.strip() and len(v) <= MAX_ATTR_CHARS and (
                        "@" in v or _DATA_ATTR.search(k[5:])):
                    self._add(f" {k[5:]}: {v} ")  # after its name, as a form field's value
        href = a.get("href", "").strip()
        if href[:7].lower() == "mailto:" or href[:4].lower() == "tel:":
            self._add(" " + unquote(href) + " ")
        if tag == "meta" and a.get("name", "").lower() in ("author", "description", "keywords") and a.get("content"):
            self._add(" " + a["content"] + " ")
        for attr in ("title", "alt"):
            if a.get(attr):
                self._add(" " + a[attr] + " ")
        if tag == "input" and a.get("value", "").strip() and a.get("type", "text").lower() not in _NO_TEXT_INPUT:
            # a filled-in form saved as HTML: the field's value (hidden ones too), after its name as a label
            label = a.get("name", "").strip()
            self._add(f" {label}: {a['value']} " if label and len(label) <= 40 else f" {a['value']} ")

    def handle_comment(self, data: str) -> None:
        if self._comments and not self._skip and data.strip() and not data.lstrip().startswith("[if"):
            self.flush()  # a comment is a block of its own: never joined to the text around it
            self._gap = True
            self._add(data)
            self.flush()
            self._gap = True

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag in _BLOCK:
            self.flush()
            if tag != "br":
                self._boundary(tag, True)

    def handle_endtag(self, tag: str) -> None:
        if tag == "script" and self._island:
            self._island = False
            self.flush()
            self._gap = True
            return
        if tag in _SKIP:
            self._skip = max(0, self._skip - 1)
            return
        if tag in _BLOCK:
            self.flush()
            self._boundary(tag, True)

    def handle_data(self, data: str) -> None:
        if (self._island or not self._skip) and data:
            self._add(data)


_CELL = "\ue000"  # a table cell's start in the parser's buffer (a private-use character)
_CELL_TAGS = frozenset({"td", "th"})
_CELL_RUN = re.compile(" ?\ue000[ \ue000]*")


class HTMLText(_TextParser):
    """Visible text of HTML in blocks, with the cells of one table row on one line, separated by tabs.

    The parser of :func:`html_records` and of HTML mail bodies
    (:func:`connectors.mime.html_to_text`). Forms and order confirmations put
    a label and its value in two cells of a row
    (``<td>Personnr:</td><td>6408233234</td>``); on two lines the value loses
    its label. A tab keeps them together and never joins the digits of two
    cells into one number. Feed it text, then ``close()`` and ``flush()``:
    ``blocks`` holds (source line, text) pairs.
    """

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _CELL_TAGS:
            if not self._skip:
                self._add(_CELL)
            return
        super().handle_starttag(tag, attrs)

    def handle_endtag(self, tag: str) -> None:
        if tag not in _CELL_TAGS:
            super().handle_endtag(tag)

    def flush(self) -> None:
        if self._buf:
            text = _CELL_RUN.sub("\t", _WS.sub(" ", "".join(self._buf))).strip(" \t")
            if text:
                self._emit(text)
        self._buf, self._size = [], 0


def html_records(ctx: Ctx, src: Source, encoding: str) -> Iterator[Record]:
    parser = HTMLText(ctx.limits.max_field_chars, comments=True)
    tf = text_stream(src.stream(), encoding)
    while True:
        chunk = tf.read(CHUNK_CHARS)
        if not chunk:
            parser.close()
            parser.flush()
        else:
            parser.feed(chunk)
        for (line, text), follows in zip(parser.blocks, parser.follows):
            rec = ctx.record(str(line), [(TEXT_FIELD, text)], False)
            rec.follows = follows
            yield rec
        parser.blocks.clear()
        parser.follows.clear()
        if len(parser.rawdata) > MAX_PENDING_CHARS:  # html.parser holds an unfinished construct whole
            raise ConnectorError(f"{ctx.name}: unterminated HTML comment, tag or script longer than {MAX_PENDING_CHARS} characters")
        if not chunk:
            return


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1] if tag.startswith("{") else tag.split(":")[-1]


_DECLARED = re.compile(rb"^(?:\xef\xbb\xbf)?\s*<\?xml[^>]*encoding=")


def _xml_stream(src: Source, encoding: str) -> Any:
    """The document from its first byte, for expat: raw when declared (or UTF-16/32), else re-encoded as UTF-8."""
    raw = buffered(src.stream())  # its own view: closing it (or its text wrapper) leaves the file open for the next pass
    if _DECLARED.match(src.head) or encoding.startswith(("utf-16", "utf-32")):
        return raw  # expat follows the declaration (or the BOM)
    return utf8_stream(raw, encoding)  # undeclared: what was sniffed, as UTF-8


def _xml_events(ctx: Ctx, stream: Any) -> Iterator[tuple[str, ET.Element]]:
    parser: ET.XMLPullParser[Any] = ET.XMLPullParser(events=("start", "end"))
    try:
        while True:
            chunk = stream.read(CHUNK_CHARS)
            if chunk:
                parser.feed(chunk)
            else:
                parser.close()
            for ev, elem in parser.read_events():  # type: ignore[misc]  # only start/end events asked for
                assert isinstance(elem, ET.Element)
                yield ev, elem
            if not chunk:
                return
    except ET.ParseError as exc:
        line, col = getattr(exc, "position", (0, 0))
        raise ConnectorError(f"{ctx.name}: malformed XML at line {line}, column {col}") from None


MAX_XML_PATHS = 10_000  # distinct element paths the first pass keeps track of


def _record_paths(ctx: Ctx, stream: Any) -> set[tuple[str, ...]]:
    """Element paths whose elements are records of their own, below the document element's children.

    An export wraps its list in an element (``<Export><Kunder><Kund>...</Kund><Kund>...``,
    an OpenDocument sheet's ``table-row``): the elements that repeat under one parent
    and have elements inside are the records, when that parent holds no text of its
    own (a customer's repeated ``<Kontakt>`` stays in the customer's record) and no
    ancestor is a record already (the outermost list wins).
    """
    repeats: set[tuple[str, ...]] = set()
    holds_text: set[tuple[str, ...]] = set()
    stack: list[tuple[tuple[str, ...], dict[str, int], list[bool]]] = []  # path, complex children by name, [has children]
    events = _xml_events(ctx, stream)
    while True:
        try:
            ev, elem = next(events)
        except (StopIteration, ConnectorError):
            break  # a malformed document: the second pass reads up to the damage and reports it
        if ev == "start":
            path = (stack[-1][0] if stack else ()) + (_local(elem.tag),)
            if stack:
                stack[-1][2][0] = True
            stack.append((path, {}, [False]))
            continue
        path, _, complex_ = stack.pop()
        if (elem.text or "").strip() or any((c.tail or "").strip() for c in elem):
            if complex_[0]:
                holds_text.add(path)  # mixed content: text of its own
            elif stack:
                holds_text.add(stack[-1][0])  # a leaf with text: its parent holds data
        if complex_[0] and stack and len(repeats) < MAX_XML_PATHS:
            counts = stack[-1][1]
            name = path[-1]
            counts[name] = counts.get(name, 0) + 1
            if counts[name] == 2:
                repeats.add(path)
        del elem[:]
        if len(holds_text) > MAX_XML_PATHS:
            holds_text.clear()  # a document of endless shapes: no splitting below its children
            repeats.clear()
            break
    out: set[tuple[str, ...]] = set()
    for path in sorted(repeats, key=len):
        if len(path) == 2:
            out.add(path)  # the document element's children are records anyway: no records inside repeated ones
            continue
        if path[:-1] in holds_text or any(path[:k] in out for k in range(2, len(path))):
            continue
        out.add(path)
    return out


def xml_records(ctx: Ctx, src: Source, encoding: str) -> Iterator[Record]:
    src.seekable_file()  # read twice: the shape first (which elements are records), then the records
    records = _record_paths(ctx, _xml_stream(src, encoding))
    max_chars = ctx.limits.max_field_chars
    # per open element: path of names from the root, path relative to its record, counts of child names, absolute item
    stack: list[tuple[tuple[str, ...], str, dict[str, int], str]] = []
    opened: list[tuple[int, str, list[tuple[str, str]], list[int]]] = []  # open records: depth, item, fields, [size]
    root_elem: ET.Element | None = None
    root_tag = ""
    root_fields: list[tuple[str, str]] = []

    for ev, elem in _xml_events(ctx, _xml_stream(src, encoding)):
        name = _local(elem.tag)
        depth = len(stack) if ev == "start" else len(stack) - 1
        if ev == "start":
            if depth == 0:
                root_elem, root_tag = elem, name
                stack.append(((name,), "", {}, f"/{name}"))
                root_fields.extend(("@" + _local(k), v) for k, v in elem.attrib.items() if v.strip())
                continue
            names, parent_path, counts, parent_item = stack[-1]
            n = counts[name] = counts.get(name, 0) + 1
            names = names + (name,)
            item = f"{parent_item}/{name}[{n}]"
            if depth == 1 or names in records:
                opened.append((depth, item, [], [0]))
                path = ""
            else:
                seg = name if n == 1 else f"{name}[{n}]"
                path = f"{parent_path}/{seg}" if parent_path else seg
            stack.append((names, path, {}, item))
            _, _, fields, size = opened[-1]
            for k, v in elem.attrib.items():
                if v.strip():
                    fields.append(((path + "/@" if path else "@") + _local(k), v.strip()))
                    size[0] += len(v)
            continue
        _, path, _, _ = stack.pop()
        own = ((elem.text or "") + "".join(c.tail or "" for c in elem)).strip()
        if depth == 0:
            if own:
                root_fields.append(("text()", own))
            continue
        rec_depth, rec_item, fields, size = opened[-1]
        if own:
            fields.append((path or "text()", own))
            size[0] += len(own)
        del elem[:]  # children are done with
        if fields and (depth == rec_depth or len(fields) >= MAX_RECORD_FIELDS or size[0] >= max_chars):
            yield ctx.record(rec_item, list(fields), True)
            fields.clear()
            size[0] = 0
        if depth == rec_depth:
            opened.pop()
        if depth == 1 and root_elem is not None:
            del root_elem[:]
    if root_fields:
        yield ctx.record(f"/{root_tag}", root_fields, True)
