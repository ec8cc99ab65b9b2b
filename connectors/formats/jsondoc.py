"""JSON documents and JSON Lines.

**JSON Lines**: one record per line, ``item`` = 1-based line number (or
``@<byte offset>`` in a byte-range unit), fields keyed by JSON path within the
line's value (``$.customer.email``, ``$.items[2].phone``). A line that is not
valid JSON is scanned as text (field ``text``, not structured), and so is a
line longer than four times ``Limits.max_field_chars``, in slices.

**JSON documents** are streamed with ijson when it is installed (else read
whole, up to :data:`MAX_IN_MEMORY` bytes, with a clear error beyond). Records:

* top-level array: each element that is an object or array is a record,
  ``item`` = ``[i]`` (0-based, as in JSON paths), fields relative to it
  (``$.email``);
* top-level object: each object/array element of an array reached through
  objects only is a record, ``item`` = ``$.customers[i]`` (``$.export.rows[i]``),
  fields relative to it; so is each object under a key that is data (a map
  keyed by identifier, ``{"kunder": {"19640823-3234": {...}}}``: ``item`` =
  ``$.kunder{#0}``, the key its field ``${key}``); all other values form the
  record ``item`` = ``$`` with absolute paths (``$.meta.author``);
* scalars outside records go to the ``$`` record (``$[3]``, ``$.tags[0]``);
* rows that are arrays take their column names, as a CSV's, from the first row
  when it is text alone that reads as names (``[["Namn", "Pnr"], ["Anna", ...]]``,
  a spreadsheet API's ``values``), or from an array of such names beside them
  (pandas' ``{"columns": [...], "data": [[...], ...]}``): field ``Pnr ($[1])``.

Records have at most :data:`~connectors.formats.core.MAX_RECORD_FIELDS` fields
(or ``Limits.max_field_chars`` characters): a larger one is emitted in parts
with the same item, so memory stays bounded for any shape of document.

Keys that may be data (more than four digits, ``@``, other punctuation than a
label's: ``{"19640823-3234": {...}}``) never appear in paths: the member is
addressed by its position in its object, ``{#n}``, and the key itself is a field
of its own, ``$.people{#0}{key}``. Plain keys (``email``, ``kund_id``) are not
scanned; nor are labels with spaces (``"Telefon nr"``), written in brackets
(``$["Telefon nr"]``) so that the field keeps its name, which is its hint.
Numbers keep their written digits (``1.50``, ``198112289874.0``); booleans and
nulls are skipped.
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import Iterable, Iterator
from decimal import Decimal
from typing import Any

from connectors.base import ConnectorError, Record
from connectors.formats.core import (
    MAX_RECORD_FIELDS,
    TEXT_FIELD,
    Ctx,
    as_text,
    bounded_fields,
    flatten,
    key_field,
    key_segment,
    names_columns,
)
from connectors.formats.encoding import FALLBACK, utf8_stream
from connectors.formats.streams import LineIter, Source, buffered, read_fully
from connectors.formats.text import text_records

MAX_IN_MEMORY = 64 << 20  # a JSON document read whole (no ijson) may be this large

try:
    import ijson  # type: ignore[import-untyped]
except ImportError:  # pragma: no cover - exercised by monkeypatching in tests
    ijson = None


# --- JSON Lines ---------------------------------------------------------------------------------


def jsonl_records(ctx: Ctx, lines: LineIter) -> Iterator[Record]:
    long_line = False
    for item, piece, more in lines:
        if more or long_line:
            long_line = more
            yield from text_records(ctx, iter([(item, piece, more)]))
            continue
        s = piece.strip()
        if not s:
            continue
        try:
            value = json.loads(s, parse_float=Decimal)
        except (ValueError, RecursionError):
            yield ctx.record(item, [(TEXT_FIELD, piece.rstrip("\r\n"))], False)
            continue
        for batch in bounded_fields(flatten("$", value), ctx.limits.max_field_chars):
            yield ctx.record(item, batch, True)


# --- JSON documents -----------------------------------------------------------------------------


class _Pairs(list):
    """An object's members in order, duplicates kept (for the in-memory reader)."""


def _events(doc: Any) -> Iterator[tuple[str, Any]]:
    """ijson's basic_parse events for a value loaded in memory."""
    stack: list[Any] = [("value", doc)]
    while stack:
        tag, v = stack.pop()
        if tag != "value":
            yield tag, v
            continue
        if isinstance(v, _Pairs):
            yield "start_map", None
            todo: list[Any] = []
            for k, x in v:
                todo.append(("map_key", k))
                todo.append(("value", x))
            todo.append(("end_map", None))
            stack.extend(reversed(todo))
        elif isinstance(v, list):
            yield "start_array", None
            stack.append(("end_array", None))
            stack.extend(("value", x) for x in reversed(v))
        elif isinstance(v, str):
            yield "string", v
        elif isinstance(v, bool):
            yield "boolean", v
        elif v is None:
            yield "null", None
        else:
            yield "number", v


MAX_COLUMNS = 1000  # column names kept for rows that are arrays


class _Frame:
    __slots__ = ("kind", "path", "item", "n", "key_seg", "records", "record_root", "header", "texts", "columns")

    def __init__(self, kind: str, path: str, item: str, records: bool, record_root: bool,
                 header: list[str] | None = None) -> None:
        self.kind = kind  # "map" or "array"
        self.path = path  # relative to the record root inside a record, else absolute
        self.item = item  # absolute path of this container (outside records)
        self.n = 0  # elements or keys seen
        self.key_seg = ""
        self.records = records  # its object/array elements are records
        self.record_root = record_root
        # rows that are arrays ([["Namn", "Pnr"], ["Anna", "..."]], or {"columns": [...], "data": [[...]]}):
        self.header = header  # a records array: the names of its rows' columns; a row: the same
        self.texts: list[str] | None = [] if kind == "array" else None  # an array's own scalars, while all are text
        self.columns: list[str] | None = None  # a map: the column names one of its arrays held


def _column_field(frame: _Frame, index: int, path: str) -> str:
    """``Personnummer ($[1])``: a row array's cell named by its column, as a CSV's repeated name is."""
    if frame.kind == "array" and frame.header is not None and index < len(frame.header):
        return f"{frame.header[index].strip()} ({path})"
    return path


def json_event_records(ctx: Ctx, events: Iterable[tuple[str, Any]]) -> Iterator[Record]:
    """Records from a stream of ijson ``basic_parse`` events (see the module docstring)."""
    max_chars = ctx.limits.max_field_chars
    stack: list[_Frame] = []
    root: list[tuple[str, str]] = []
    root_size = 0
    rec: list[tuple[str, str]] | None = None
    rec_item = ""
    rec_size = 0
    # a key that is data, outside a record: its field waits for its value, which may be
    # the entry of a map keyed by identifier ({"19811228-9874": {...}}), a record of its own
    pending: tuple[str, str] | None = None

    for ev, val in events:
        if pending is not None and ev != "start_map":
            name, text = pending
            pending = None
            root.append((name, text))
            root_size += len(text)
            if len(root) >= MAX_RECORD_FIELDS or root_size >= max_chars:
                yield ctx.record("$", root, True)
                root, root_size = [], 0
        if ev == "map_key":
            frame = stack[-1]
            key = str(val)
            frame.key_seg = key_segment(key, frame.n)
            frame.n += 1
            if not frame.key_seg.startswith("{"):
                continue
            name, text = key_field(frame.path + frame.key_seg), key
            if rec is None:
                pending = (name, text)
                continue
        elif ev in ("end_map", "end_array"):
            frame = stack.pop()
            if frame.record_root and rec is not None:
                if rec:
                    yield ctx.record(rec_item, rec, True)
                rec, rec_size = None, 0
            if frame.texts and names_columns(frame.texts) and stack:
                up = stack[-1]
                if frame.record_root and up.records and up.n == 1 and up.header is None:
                    up.header = frame.texts  # the first row of an array of rows names the columns
                elif not frame.record_root and up.kind == "map":
                    up.columns = frame.texts  # {"columns": [...], "data": [[...], ...]}
            continue
        else:
            # a value begins: where is it?
            if not stack:
                parent, seg = None, ""
                path, item = "$", "$"
            else:
                parent = stack[-1]
                if parent.kind == "array":
                    seg = f"[{parent.n}]"
                    parent.n += 1
                else:
                    seg = parent.key_seg
                path, item = parent.path + seg, parent.item + seg
            if ev in ("start_map", "start_array"):
                kind = "map" if ev == "start_map" else "array"
                if parent is not None and parent.texts is not None:
                    parent.texts = None  # not an array of text alone
                if pending is not None:
                    # an entry of a map keyed by identifier: a record, item "$.kunder{#0}", with its key
                    rec, rec_item, rec_size = [(key_field("$"), pending[1])], item, len(pending[1])
                    pending = None
                    stack.append(_Frame(kind, "$", item, False, True))
                elif parent is not None and parent.records:
                    rec, rec_item, rec_size = [], item, 0
                    stack.append(_Frame(kind, "$", item, False, True, parent.header))
                elif parent is None:
                    # a top-level array's elements are records, items "[i]"
                    stack.append(_Frame(kind, "$", "" if kind == "array" else "$", kind == "array", False))
                else:
                    # arrays reached through objects only hold records, items "$.key[i]", "$.a.b[i]"
                    records = kind == "array" and rec is None and all(f.kind == "map" for f in stack)
                    stack.append(_Frame(kind, path, item, records, False, parent.columns if records else None))
                continue
            if parent is not None and parent.texts is not None:
                if ev == "string" and len(parent.texts) < MAX_COLUMNS:
                    parent.texts.append(val)
                else:
                    parent.texts = None
            if ev in ("null", "boolean"):
                continue
            text = as_text(val)
            if not text or text.isspace():
                continue
            name = _column_field(parent, parent.n - 1, path) if parent is not None and parent.record_root else path
        # add a field to the open record, or to the "$" record
        if rec is not None:
            rec.append((name, text))
            rec_size += len(text)
            if len(rec) >= MAX_RECORD_FIELDS or rec_size >= max_chars:
                yield ctx.record(rec_item, rec, True)
                rec, rec_size = [], 0
        else:
            root.append((name, text))
            root_size += len(text)
            if len(root) >= MAX_RECORD_FIELDS or root_size >= max_chars:
                yield ctx.record("$", root, True)
                root, root_size = [], 0
    if root:
        yield ctx.record("$", root, True)


# A string, or a number JSON does not have but Python's json.dumps writes (NaN, Infinity)
_NAN_OR_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"|-?Infinity|NaN')
_TOKEN_TAIL = 9  # len(b"-Infinity"): a token may be cut at a read's end


class _NanAsNull(io.RawIOBase):
    """JSON bytes with ``NaN``/``Infinity``/``-Infinity`` outside strings read as ``null``.

    Python's ``json.dumps`` writes them by default (a script's export of a float
    column with gaps); the streaming parser refuses them, which made the whole
    document a failed unit. Strings are left as they are.
    """

    def __init__(self, inner: Any) -> None:
        super().__init__()
        self._inner = inner
        self._carry = b""
        self._out = b""
        self._eof = False

    def readable(self) -> bool:
        return True

    def _fill(self, n: int) -> None:
        while not self._out and not self._eof:
            chunk = self._inner.read(max(n, 64 << 10))
            self._eof = not chunk
            data = self._carry + (chunk or b"")
            limit = len(data) if self._eof else max(0, len(data) - _TOKEN_TAIL)
            parts: list[bytes] = []
            pos = 0
            for m in _NAN_OR_STRING.finditer(data):
                if m.start() >= limit or data.find(b'"', pos, m.start()) != -1:
                    break  # a token that may go on, or a string that ends in the next read
                parts.append(data[pos : m.start()])
                parts.append(m.group() if m.group()[:1] == b'"' else b"null")
                pos = m.end()
            cut = max(pos, limit)
            quote = data.find(b'"', pos, cut)
            if quote != -1 and not self._eof:
                cut = quote
            parts.append(data[pos:cut])
            self._out, self._carry = b"".join(parts), data[cut:]

    def readinto(self, b: Any) -> int:  # type: ignore[override]
        view = memoryview(b).cast("B")
        self._fill(len(view))
        n = min(len(view), len(self._out))
        view[:n] = self._out[:n]
        self._out = self._out[n:]
        return n


def _utf8(src: Source, encoding: str, nan_as_null: bool) -> Any:
    """The document as UTF-8 bytes, through its own view of the source (closing it leaves the file open)."""
    data: Any = utf8_stream(buffered(src.stream()), encoding)
    if nan_as_null:
        data = io.BufferedReader(_NanAsNull(data), buffer_size=256 * 1024)
    return data


def json_records(ctx: Ctx, src: Source, encoding: str) -> Iterator[Record]:
    if ijson is not None:
        # A file is parsed as it is, and again with NaN/Infinity read as null only if the
        # parser fails (the records already given are skipped); a stream read once is
        # filtered from the start (the filter costs ~0.5 s of CPU per 10 MiB).
        restartable = src.restartable
        emitted = 0
        try:
            for rec in json_event_records(ctx, ijson.basic_parse(_utf8(src, encoding, not restartable), use_float=False)):
                emitted += 1
                yield rec
            return
        except ijson.JSONError as exc:
            if not restartable:
                raise ConnectorError(f"{ctx.name}: invalid or truncated JSON ({type(exc).__name__})") from None
        try:
            for n, rec in enumerate(json_event_records(ctx, ijson.basic_parse(_utf8(src, encoding, True), use_float=False))):
                if n >= emitted:
                    yield rec
        except ijson.JSONError as exc:
            raise ConnectorError(f"{ctx.name}: invalid or truncated JSON ({type(exc).__name__})") from None
        return
    raw = read_fully(src.stream(), MAX_IN_MEMORY + 1)
    if len(raw) > MAX_IN_MEMORY:
        raise ConnectorError(
            f"{ctx.name}: JSON document larger than {MAX_IN_MEMORY >> 20} MiB; install ijson to stream it"
        )
    text = raw.decode(encoding, errors=FALLBACK)
    del raw
    try:
        doc = json.loads(text.lstrip("\ufeff"), parse_float=Decimal, object_pairs_hook=_Pairs)
    except (ValueError, RecursionError) as exc:
        raise ConnectorError(f"{ctx.name}: invalid or truncated JSON ({type(exc).__name__})") from None
    del text
    yield from json_event_records(ctx, _events(doc))
