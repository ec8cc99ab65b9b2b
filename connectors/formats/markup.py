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
as HTML, hidden fields too). The query and fragment of a URL in ``href``,
``src`` or ``action`` (a newsletter's ``unsub?email=...`` link, a tracking
pixel's ``o.gif?u=olle%40...``, a form's target) are read, decoded, each
parameter after its name (``email: stina@example.se``, :func:`url_values`),
where the name says it holds an identifier (``pnr``, ``tel``, ``mail``,
``kund`` ...) or the value holds an ``@`` or is a number written with its
separators (``811228-9874``); a tracker's bare numbers (timestamps, ids) and
tokens are not. A link's parameters come after its text (a label keeps its
value), a pixel's or a form's where the tag is. Other ``<meta>`` tags'
content is read after their name (``og:email: ...``; a URL's parameters as
above; not the page's machinery: viewport, robots, verification tokens, a
bare number under a name that is no identifier's). An HTML file's comments (``<!-- ... -->``, not
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

# A URL's query and fragment (href, src, action): a newsletter's link or tracking pixel names its recipient
# (unsub?email=..., o.gif?u=olle%40...). A parameter is read, after its name, when the name says it holds an
# identifier, or its value holds an address or is a number written with its separators (811228-9874,
# 070-174 06 12); a tracker's bare numbers (timestamps, ids, counters: t=1711201234 reads as a personnummer)
# and tokens (fbclid, _ga, utm_*) are not: a bare number only under an identifier's name.
_ID_WORDS = tuple(_DATA_ATTR.pattern[4:].split("|")) + (
    "namn", "name", "kund", "customer", "user", "recipient", "mottagare", "contact", "kontakt", "reply")
_ID_NAME = re.compile("(?i)" + "|".join(map(re.escape, _ID_WORDS)))
_SEPARATED_NUMBER = re.compile(r"[+(]?\d[\d \-()/]*\d")
# a parameter's value may be a number written with separators (070%20174..., #811228-9874, =+4670...): a superset
_MAYBE = re.compile(r"[=&;?#](?:(?:\+|%2[Bb])\d|(?:\(|%28)?\d(?:[\d \-()/]|%2[0BbDdFf89])*(?:[ \-()/]|%2[0BbDdFf89]))")
_PARAM_SPLIT = re.compile(r"[&;?#]")
_NO_QUERY = ("javascript:", "data:", "mailto:", "tel:", "cid:", "about:")
MAX_URL_CHARS = 4096  # of a URL's query and fragment
MAX_URL_PARAMS = 64
# <meta> names whose content is the page's machinery, not its text or a party
_META_MACHINERY = re.compile(r"(?i)viewport|robots|bot$|generator|colou?r|verification|csrf|token|nonce|"
                             r"format-detection|referrer|^msapplication|^apple|^x-apple|app_?id|^fb:|^twitter:site")


def _read_param(name: str, value: str) -> bool:
    """Whether a URL parameter's or a meta tag's value is read (see _ID_NAME)."""
    return bool(value) and len(value) <= MAX_ATTR_CHARS and (
        "@" in value or _ID_NAME.search(name) is not None
        or (not value.isdigit() and _SEPARATED_NUMBER.fullmatch(value) is not None))


def url_values(url: str) -> list[str]:
    """The parameters of a URL's query and fragment worth reading, decoded, after their names.

    >>> url_values("https://x.se/unsub?email=stina%40exempel.se&t=1711201234&fbclid=IwAR0x#kund=811228-9874")
    ['email: stina@exempel.se', 'kund: 811228-9874']
    >>> url_values("https://x.se/u#811228-9874"), url_values("mailto:a@example.se?subject=x"), url_values("/a.css?v=7")
    (['811228-9874'], [], [])
    """
    start = url.find("?")
    hash_ = url.find("#", 0, start) if start >= 0 else url.find("#")
    if hash_ >= 0:
        start = hash_
    if start < 0 or url[:11].lstrip().lower().startswith(_NO_QUERY):
        return []
    query = url[start: start + 1 + MAX_URL_CHARS]  # from its ? or #
    lowered = query.lower()
    if "@" not in query and "%40" not in query and not _MAYBE.search(query) and not any(w in lowered for w in _ID_WORDS):
        return []  # most of a newsletter's links: a tracker's tokens and bare numbers (a superset, checked cheaply)
    out = []
    for part in _PARAM_SPLIT.split(query[1:], MAX_URL_PARAMS)[:MAX_URL_PARAMS]:
        name, eq, value = part.partition("=")
        if not eq:
            name, value = "", name  # a fragment or a parameter without a name
        if "%" in part:
            name, value = unquote(name), unquote(value)
        name, value = name.strip(), value.strip()
        if _read_param(name, value):
            out.append(f"{name}: {value}" if name and len(name) <= 40 else value)
    return out


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
        self._link = ""  # the open link's parameters (url_values): read after its text

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

    def _end_link(self) -> None:
        """The open link's parameters, after its text (at its end, or at the end of the block)."""
        if self._link:
            if not self._buf:
                self._line = self.getpos()[0]
            self._buf.append(self._link)
            self._size += len(self._link)
            self._link = ""

    def _emit(self, text: str) -> None:
        self.blocks.append((self._line, text))
        self.follows.append(not self._gap)
        self._gap = False

    def flush(self) -> None:
        self._end_link()
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
        for attr in ("href", "src", "action"):
            url = a.get(attr)
            values = url_values(url) if url and ("?" in url or "#" in url) and not self._skip else []
            if values and tag in ("a", "area") and attr == "href":
                self._end_link()
                self._link = " " + " ".join(values) + " "  # after the link's text: a label keeps its value
            elif values:
                self._add(" " + " ".join(values) + " ")
        if tag == "meta" and not self._skip:
            self._meta(a)
        for attr in ("title", "alt"):
            if a.get(attr):
                self._add(" " + a[attr] + " ")
        if tag == "input" and a.get("value", "").strip() and a.get("type", "text").lower() not in _NO_TEXT_INPUT:
            # a filled-in form saved as HTML: the field's value (hidden ones too), after its name as a label
            label = a.get("name", "").strip()
            self._add(f" {label}: {a['value']} " if label and len(label) <= 40 else f" {a['value']} ")

    def _meta(self, a: dict[str, str]) -> None:
        """A meta tag's content: author, description, keywords as they are; others after their name, as URL parameters."""
        name = (a.get("name") or a.get("property") or a.get("itemprop") or "").strip()
        content = a.get("content", "").strip()
        if not name or not content or _META_MACHINERY.search(name):
            return
        if name.lower() in ("author", "description", "keywords"):
            self._add(" " + content + " ")
        elif content[:1] == "/" or content[:8].lower().startswith(("http://", "https://")):
            values = url_values(content)  # og:url, og:image: a URL's parameters
            if values:
                self._add(" " + " ".join(values) + " ")
        elif "@" in content or _ID_NAME.search(name) or not content.isdigit():
            if len(content) <= MAX_ATTR_CHARS:
                self._add(f" {name}: {content} " if len(name) <= 40 else f" {content} ")

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
        if tag in ("a", "area"):
            self._end_link()
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
        self._end_link()
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
