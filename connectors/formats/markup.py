"""HTML and XML, streamed in chunks.

**HTML** (stdlib ``html.parser``): visible text in blocks (a block ends at a
block-level tag: p, div, li, tr, td, br, headings, ...), one record per block,
``item`` = the source line where the block's text starts, field ``text``,
``structured=False``. The cells of one table row stay in one block,
separated by tabs (``Personnr:<TAB>6408233234``: a form's label keeps its
value; a tab never joins two cells' digits into one number), as in HTML
mail (:func:`connectors.mime.html_to_text`). ``script``/``style`` are skipped; ``mailto:``/``tel:``
link targets are kept as text (``mailto:anna@example.se``), and so are the
``content`` of ``<meta name="author|description|keywords">`` and the ``title``
and ``alt`` attributes.

**XML** (``xml.etree.ElementTree.XMLPullParser``, expat: no external
entities): each child of the document element is a record, ``item`` =
``/root/child[n]`` (n counts same-named siblings, from 1), fields named by
their path below it (``name``, ``address/city``, ``phone[2]``, ``@id``,
``text()`` for the record element's own text); the document element's own
attributes and text form the record ``/root``. Namespaces are dropped from
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
from connectors.formats.streams import Source

CHUNK_CHARS = 256 * 1024
MAX_PENDING_CHARS = 16 << 20

_BLOCK = frozenset(
    "address article aside blockquote body br caption dd details dialog div dl dt fieldset figcaption figure "
    "footer form h1 h2 h3 h4 h5 h6 head header hr html li main nav ol option p pre section summary table "
    "tbody td tfoot th thead title tr ul".split()
)
_SKIP = frozenset({"script", "style", "template"})
_WS = re.compile(r"\s+")


class _TextParser(HTMLParser):
    def __init__(self, max_chars: int) -> None:
        super().__init__(convert_charrefs=True)
        self.blocks: list[tuple[int, str]] = []
        self._buf: list[str] = []
        self._size = 0
        self._line = 0
        self._skip = 0
        self._max = max_chars

    def _add(self, text: str) -> None:
        if not self._buf:
            self._line = self.getpos()[0]
        self._buf.append(text)
        self._size += len(text)
        if self._size >= self._max:
            self.flush()

    def flush(self) -> None:
        if self._buf:
            text = _WS.sub(" ", "".join(self._buf)).strip()
            if text:
                self.blocks.append((self._line, text))
        self._buf, self._size = [], 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIP:
            self._skip += 1
            return
        if tag in _BLOCK:
            self.flush()
        a = {k: (v or "") for k, v in attrs}
        href = a.get("href", "").strip()
        if href[:7].lower() == "mailto:" or href[:4].lower() == "tel:":
            self._add(" " + unquote(href) + " ")
        if tag == "meta" and a.get("name", "").lower() in ("author", "description", "keywords") and a.get("content"):
            self._add(" " + a["content"] + " ")
        for attr in ("title", "alt"):
            if a.get(attr):
                self._add(" " + a[attr] + " ")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag in _BLOCK:
            self.flush()

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP:
            self._skip = max(0, self._skip - 1)
            return
        if tag in _BLOCK:
            self.flush()

    def handle_data(self, data: str) -> None:
        if not self._skip and data:
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
                self.blocks.append((self._line, text))
        self._buf, self._size = [], 0


def html_records(ctx: Ctx, src: Source, encoding: str) -> Iterator[Record]:
    parser = HTMLText(ctx.limits.max_field_chars)
    tf = text_stream(src.stream(), encoding)
    while True:
        chunk = tf.read(CHUNK_CHARS)
        if not chunk:
            parser.close()
            parser.flush()
        else:
            parser.feed(chunk)
        for line, text in parser.blocks:
            yield ctx.record(str(line), [(TEXT_FIELD, text)], False)
        parser.blocks.clear()
        if len(parser.rawdata) > MAX_PENDING_CHARS:  # html.parser holds an unfinished construct whole
            raise ConnectorError(f"{ctx.name}: unterminated HTML comment, tag or script longer than {MAX_PENDING_CHARS} characters")
        if not chunk:
            return


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1] if tag.startswith("{") else tag.split(":")[-1]


_DECLARED = re.compile(rb"^(?:\xef\xbb\xbf)?\s*<\?xml[^>]*encoding=")


def xml_records(ctx: Ctx, src: Source, encoding: str) -> Iterator[Record]:
    parser: ET.XMLPullParser[Any] = ET.XMLPullParser(events=("start", "end"))
    if _DECLARED.match(src.head) or encoding.startswith(("utf-16", "utf-32")):
        stream: Any = src.stream()  # expat follows the declaration (or the BOM)
    else:
        stream = utf8_stream(src.stream(), encoding)  # undeclared: what was sniffed, as UTF-8
    max_chars = ctx.limits.max_field_chars
    stack: list[tuple[str, dict[str, int]]] = []  # per open element: relative path, counts of child names
    root_elem: ET.Element | None = None
    root_tag = ""
    root_fields: list[tuple[str, str]] = []
    fields: list[tuple[str, str]] = []
    size = 0
    item = ""

    try:
        while True:
            chunk = stream.read(CHUNK_CHARS)
            if chunk:
                parser.feed(chunk)
            else:
                parser.close()
            for ev, elem in parser.read_events():  # type: ignore[misc]  # only start/end events asked for
                assert isinstance(elem, ET.Element)
                name = _local(elem.tag)
                depth = len(stack) if ev == "start" else len(stack) - 1
                if ev == "start":
                    if depth == 0:
                        root_elem, root_tag = elem, name
                        stack.append(("", {}))
                        root_fields.extend(("@" + _local(k), v) for k, v in elem.attrib.items() if v.strip())
                        continue
                    parent_path, counts = stack[-1]
                    n = counts[name] = counts.get(name, 0) + 1
                    if depth == 1:
                        item, path = f"/{root_tag}/{name}[{n}]", ""
                    else:
                        seg = name if n == 1 else f"{name}[{n}]"
                        path = f"{parent_path}/{seg}" if parent_path else seg
                    stack.append((path, {}))
                    for k, v in elem.attrib.items():
                        if v.strip():
                            fields.append(((path + "/@" if path else "@") + _local(k), v.strip()))
                            size += len(v)
                    continue
                path, _ = stack.pop()
                own = ((elem.text or "") + "".join(c.tail or "" for c in elem)).strip()
                if depth == 0:
                    if own:
                        root_fields.append(("text()", own))
                    continue
                if own:
                    fields.append((path or "text()", own))
                    size += len(own)
                del elem[:]  # children are done with
                if fields and (depth == 1 or len(fields) >= MAX_RECORD_FIELDS or size >= max_chars):
                    yield ctx.record(item, fields, True)
                    fields, size = [], 0
                if depth == 1 and root_elem is not None:
                    del root_elem[:]
            if not chunk:
                break
    except ET.ParseError as exc:
        line, col = getattr(exc, "position", (0, 0))
        raise ConnectorError(f"{ctx.name}: malformed XML at line {line}, column {col}") from None
    if root_fields:
        yield ctx.record(f"/{root_tag}", root_fields, True)
