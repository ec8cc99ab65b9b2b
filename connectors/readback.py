"""Read the live values of known locations back from their sources (for the subject access report).

A scan leaves locations (store, source, container, item) in the data map but
no plaintext values. A subject access report has to show the person what is
held about them *now*, so it reads each location back from its source, going
through the same connector code that produced the location, so the same record
is found:

* **sql**: the row by its row key (``id=7``, ``a=1,b="x,y"``; ``rowid=5`` on
  SQLite, ``ctid="(0,5)"`` on PostgreSQL, ``row=3`` (the table's scan order)
  for tables with no key at all), every column;
* **files** and **s3**: the file or object is read again by the shared format
  readers (:mod:`connectors.formats`) and the records with the wanted items
  kept (the CSV row, the JSON Lines line, the XLSX row, the PDF page, the log
  line; ``@<offset>`` items of split files by byte-range reads); reading
  stops as soon as every wanted item of a file was found. A line of a
  plain-text file comes with the lines it runs on from and into
  (``Record.follows``) as :attr:`ReadBack.before` / :attr:`ReadBack.after`,
  at most ``CONTEXT_CHARS`` each: the scan read them together (a number
  wrapped onto the next line, a keyword at the end of the line before), so
  the report needs them to recognise what the scan found on the line; an
  old version of an S3 object (item ``old version <id>: <item>``) is read
  by its version id;
* **mail** (mbox, Maildir, .eml, .msg): the mailbox is read again and the
  records of the wanted Message-IDs kept (headers, text parts, attachments);
* **imap**: the folder is examined read-only, the messages found by ``SEARCH
  HEADER Message-ID`` and fetched with ``BODY.PEEK[]`` (a message without
  Message-ID, item ``sha256:...``, needs the whole folder read; a later
  message with the Message-ID of an earlier one, item ``<Message-ID>
  sha256:...``, is found by its Message-ID and told apart by the digest).

Every function takes the source's name and config mapping (as
:func:`connectors.registry.build` does: credentials come from the environment
as for a scan) and a collection of ``(container, item)`` pairs, and returns one
:class:`ReadBack` per pair: ``ok`` with the fields read, or not ok with a
reason (``the row no longer exists``, ``cannot open (No such file or
directory)``, ``not found (HTTP 404)``, ``cannot connect ...``). Nothing is
dropped. Reasons never hold a value; the values themselves are personal data
and are only returned, never logged.

Memory: one record at a time is read; only the wanted records are kept, each
field bounded by ``max_chars`` (longer values are cut and flagged).
"""

from __future__ import annotations

import imaplib
import json
import os
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from functools import partial
from typing import Any

from connectors.base import ConfigError, ConnectorError, Record, Unit, safe_name
from connectors.registry import build

__all__ = ["ReadBack", "read_back", "read_sql", "read_files", "read_s3", "read_mail", "read_imap", "parse_item"]

MAX_CHARS = 100_000  # per field value shown back
CONTEXT_CHARS = 256  # of the lines before / after a text line read back with it (as the scan's NEIGHBOUR_CHARS)
CONTEXT_BYTES = 4 * CONTEXT_CHARS  # byte window read around an ``@offset`` line for them
MAIL_HEADERS = ("header:From", "header:To", "header:Cc", "header:Subject")


@dataclass
class ReadBack:
    """The live state of one location: its fields (in the source's order) or why it cannot be read."""

    container: str
    item: str
    ok: bool = False
    reason: str = ""
    fields: list[tuple[str, str | None]] = field(default_factory=list)
    record_date: datetime | None = None
    truncated: bool = False
    # A line of free text that the scan read with its neighbours (Record.follows): the end of the
    # lines it runs on from and the start of the lines that run on from it. For recognising what
    # the scan found on the line only (a wrapped number, a keyword on the line before): never shown.
    before: str = ""
    after: str = ""

    def add(self, fields: Iterable[tuple[str, str | None]], max_chars: int = MAX_CHARS) -> None:
        seen = set(self.fields)
        for name, text in fields:
            if text is not None and len(text) > max_chars:
                text = text[:max_chars]
                self.truncated = True
            if (name, text) not in seen:
                seen.add((name, text))
                self.fields.append((name, text))
        self.ok = True
        self.reason = ""


Pairs = Iterable[tuple[str, str]]
Result = dict[tuple[str, str], ReadBack]


def _results(pairs: Pairs) -> Result:
    return {(c, i): ReadBack(c, i) for c, i in dict.fromkeys(pairs)}


def _fail(results: Iterable[ReadBack], reason: str) -> None:
    for r in results:
        if not r.ok:
            r.reason = r.reason or reason


def read_back(name: str, config: Mapping[str, Any], pairs: Pairs, *, max_chars: int = MAX_CHARS,
              fields: Mapping[tuple[str, str], set[str]] | None = None) -> Result:
    """Read ``(container, item)`` locations of one source back; one :class:`ReadBack` each, none dropped.

    ``fields`` (optional, per location) limits what is kept of a mail to its
    From/To/Cc/Subject headers and those fields; other stores keep every field
    of the record (the row's columns, the CSV line's cells).
    """
    results = _results(pairs)
    kind = str(config.get("type") or "")
    fn: dict[str, Callable[..., Result]] = {
        "sql": read_sql, "files": read_files, "s3": read_s3, "mail": read_mail, "imap": read_imap,
    }
    if kind not in fn:
        _fail(results.values(), f"reading back a source of type {safe_name(kind, 40)!r} is not supported")
        return results
    try:
        extra = {"fields": fields} if kind in ("mail", "imap") else {}
        got = fn[kind](name, config, list(results), max_chars=max_chars, **extra)
    except (ConnectorError, ConfigError) as exc:
        _fail(results.values(), str(exc))
        return results
    except Exception as exc:  # noqa: BLE001 - whatever broke, every location is still listed with a reason
        _fail(results.values(), f"read-back failed ({type(exc).__name__})")
        return results
    results.update(got)
    _fail(results.values(), "not found")
    return results


# --------------------------------------------------------------------------- SQL


def parse_item(item: str) -> list[tuple[str, str]]:
    """A row key item back into ``(column, value text)`` pairs (the inverse of ``connectors.sql.render_item``).

    >>> parse_item('id=7'), parse_item('a=1,b="x,y"'), parse_item('"we=ird"="q\\\\"t"')
    ([('id', '7')], [('a', '1'), ('b', 'x,y')], [('we=ird', 'q"t')])
    """
    out: list[tuple[str, str]] = []
    i, n = 0, len(item)

    def part(stop: str) -> str:
        nonlocal i
        if i < n and item[i] == '"':
            i += 1
            buf = []
            while i < n and item[i] != '"':
                if item[i] == "\\" and i + 1 < n:
                    i += 1
                buf.append(item[i])
                i += 1
            i += 1  # closing quote
            return "".join(buf)
        j = i
        while i < n and item[i] not in stop:
            i += 1
        return item[j:i]

    while i < n:
        col = part("=")
        if i >= n or item[i] != "=":
            raise ValueError("not a row key")
        i += 1
        val = part(",")
        out.append((col, val))
        if i < n:
            if item[i] != ",":
                raise ValueError("not a row key")
            i += 1
    return out


def _typed(value: str, coltype: Any) -> Any:
    """A key value's text as the column's Python type (so the comparison can use the index)."""
    import uuid
    from datetime import date, time
    from decimal import Decimal

    try:
        py = coltype.python_type
    except (NotImplementedError, AttributeError):
        return value
    try:
        if py is bool:
            return value
        if py is int:
            return int(value)
        if py is float:
            return float(value)
        if py is Decimal:
            return Decimal(value)
        if py is datetime:
            return datetime.fromisoformat(value)
        if py is date:
            return date.fromisoformat(value)
        if py is time:
            return time.fromisoformat(value)
        if py is uuid.UUID:
            return uuid.UUID(value)
        if py is bytes and value.startswith("0x"):
            return bytes.fromhex(value[2:])
    except ValueError:
        return value
    return value


def _sql_text(value: Any) -> str | None:
    from connectors.sql import sniff_bytes, text_value

    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dict, list, tuple)):
        return json.dumps(value, ensure_ascii=False, default=str)
    if isinstance(value, (bytes, bytearray, memoryview)):
        text, _how = sniff_bytes(bytes(value))
        return text if text is not None else f"<{len(bytes(value))} bytes of binary data>"
    t = text_value(value)
    return t if t is not None else str(value)


def read_sql(name: str, config: Mapping[str, Any], pairs: Pairs, *, max_chars: int = MAX_CHARS,
             batch: int = 500) -> Result:
    """Rows of an SQL source by row key, every column (``None`` for NULL), in one read-only session.

    Rows of a single-column key are fetched ``batch`` at a time (``WHERE id IN (...)``);
    composite keys, ``ctid``/``rowid`` and ordinals one by one. An error on one
    table (permission denied, a column dropped) is that table's rows' reason;
    the other tables are still read.
    """
    from connectors.sql import SqlConnector

    results = _results(pairs)
    conn = build(name, config)
    assert isinstance(conn, SqlConnector)
    try:
        tables = {t.container: t for t in conn._tables()}
        with conn.session() as db:
            for container, items in sorted(_by_container(results).items()):
                wanted = {i: results[(container, i)] for i in items}
                t = tables.get(container)
                if t is None:
                    _fail(wanted.values(), "the table no longer exists (or is no longer scanned)")
                    continue
                try:
                    with conn._guard(f"table {container}"):
                        _read_table(conn, db, t, wanted, max_chars, batch)
                except ConnectorError as exc:
                    _fail(wanted.values(), str(exc))
                    with conn._guard("session"):  # a failed statement aborts a PostgreSQL transaction
                        db.rollback()
                        if db.dialect.name in ("mysql", "mariadb"):
                            db.exec_driver_sql("START TRANSACTION READ ONLY")
                _fail(wanted.values(), "the row no longer exists")
    except ConnectorError as exc:
        _fail(results.values(), str(exc))
    finally:
        conn.close()
    return results


def _read_table(conn: Any, db: Any, t: Any, wanted: dict[str, ReadBack], max_chars: int, batch: int) -> None:
    import sqlalchemy as sa

    from connectors.sql import _as_datetime, render_item

    dname = db.dialect.name
    colnames = [c["name"] for c in t.columns]
    types = {c["name"]: c.get("type") for c in t.columns}
    tbl = conn._sa_table(t.schema, t.name, colnames + [k for k in t.key if k not in types])

    # the row's date as the connector gives it: the most recent of the table's date columns
    date_cols = list(getattr(t, "date_cols", None) or ([t.date_col] if t.date_col else []))

    def take(rb: ReadBack, names: list[str], row: Any) -> None:
        rb.add([(n, _sql_text(v)) for n, v in zip(names, row) if n in types], max_chars)
        dates = [d for c in date_cols if c in names and (d := _as_datetime(row[names.index(c)])) is not None]
        rb.record_date = max(dates) if dates else None

    single: dict[str, Any] = {}  # item -> typed key value, for IN batches
    for item, rb in sorted(wanted.items()):
        if item == "":  # the finding was in the table's name
            rb.add([("table", t.container)], max_chars)
            continue
        try:
            key = parse_item(item)
        except ValueError:
            rb.reason = "the row key cannot be read"
            continue
        q: Any = sa.select(sa.literal_column("*")).select_from(tbl)
        if t.key_kind in ("pk", "unique") and len(key) == 1 and t.key == [key[0][0]]:
            single[item] = _typed(key[0][1], types[key[0][0]])
            continue
        if t.key_kind == "ordinal" and len(key) == 1 and key[0][0] == "row" and key[0][1].isdigit():
            q = q.limit(1).offset(int(key[0][1]) - 1)  # the scan order, as the connector numbered it
        elif t.key_kind == "ctid" and dname == "postgresql" and [k for k, _ in key] == ["ctid"]:
            q = q.where(sa.text(f"{tbl.name}.ctid = CAST(:pii_scan_ctid AS tid)").bindparams(pii_scan_ctid=key[0][1]))
        elif t.key_kind == "rowid" and len(key) == 1 and key[0][1].lstrip("-").isdigit():
            q = q.where(tbl.c[key[0][0]] == int(key[0][1]))
        elif t.key_kind in ("pk", "unique") and [k for k, _ in key] == list(t.key):
            q = q.where(*[tbl.c[k] == _typed(v, types[k]) for k, v in key])
        else:
            rb.reason = "the row key does not match the table's key (the table changed)"
            continue
        result = db.execute(q)
        names = list(result.keys())
        row = result.first()
        if row is not None:
            take(rb, names, row)
    items = sorted(single)
    col = t.key[0] if single else ""
    for i in range(0, len(items), batch):
        part = items[i : i + batch]
        result = db.execute(sa.select(sa.literal_column("*")).select_from(tbl).where(tbl.c[col].in_([single[x] for x in part])))
        names = list(result.keys())
        pos = names.index(col)
        for row in result:
            hit = wanted.get(render_item([col], [row[pos]]))
            if hit is not None:
                take(hit, names, row)


# --------------------------------------------------------------------------- files and S3


def _by_container(pairs: Iterable[tuple[str, str]]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for c, i in pairs:
        out.setdefault(c, []).append(i)
    return out


def archive_candidates(container: str) -> list[str]:
    """The container itself, then the archive paths it may be inside (``a.zip!in/b.csv`` -> ``a.zip``)."""
    out = [container]
    i = container.find("!")
    while i > 0:
        out.append(container[:i])
        i = container.find("!", i + 1)
    return out


def _offset_item(item: str) -> int | None:
    return int(item[1:]) if item.startswith("@") and item[1:].isdigit() else None


def _line(rec: Record) -> str | None:
    """The text of a record that the scan may have read with its neighbours (one field of free text), else None."""
    if rec.structured or len(rec.fields) != 1:
        return None
    return rec.fields[0][1] or None


def _read_records(records: Iterator[Record], sub: dict[tuple[str, str], ReadBack], max_chars: int, *,
                  context: bool = True) -> tuple[str, set[tuple[str, str]]]:
    """Keep the records of ``sub`` read from ``records`` (their lines around as context).

    Returns the error, if any, and which of them were lines of free text.

    Stops once every wanted record was read and the lines running on from the
    last of them (at most ``CONTEXT_CHARS``) were taken; ``context=False``
    reads only the lines before (:attr:`ReadBack.before`) and keeps nothing else.
    """
    want_items = set(sub)
    found: set[tuple[str, str]] = set()
    lines: set[tuple[str, str]] = set()
    error = ""
    chain = ""  # the end of the lines the current record runs on from, when it does (Record.follows)
    prev: str | None = None  # the text of the record before, when a line of free text
    open_: list[ReadBack] = []  # wanted lines whose following lines are being taken as context
    try:
        for rec in records:
            text = _line(rec)
            goes_on = rec.follows and text is not None and prev is not None
            chain = (f"{chain}\n{prev}" if chain else str(prev))[-CONTEXT_CHARS:] if goes_on else ""
            if goes_on and open_:
                assert text is not None
                for rb in open_:
                    rb.after = (f"{rb.after}\n{text}" if rb.after else text)[:CONTEXT_CHARS]
                open_ = [rb for rb in open_ if len(rb.after) < CONTEXT_CHARS]
            elif not goes_on:
                open_ = []
            prev = text
            k = (rec.location.container, rec.location.item)
            hit = sub.get(k)
            if hit is not None:
                if text is not None and k not in found:
                    lines.add(k)
                    hit.before = chain
                    if context:
                        open_.append(hit)
                if context:
                    hit.add(rec.fields, max_chars)
                    hit.record_date = hit.record_date or rec.record_date
                found.add(k)
            elif found == want_items and not open_:
                break  # everything wanted was read: do not read the rest of the file
            if not context and found == want_items:
                break
    except ConnectorError as exc:
        error = str(exc)
    finally:
        records.close()  # type: ignore[attr-defined]
    return error, lines


def _read_object(read: Callable[[Unit], Iterator[Record]], source: str, path: str, unit_params: tuple[tuple[str, Any], ...],
                 wanted: dict[tuple[str, str], ReadBack], max_chars: int) -> None:
    """Read one file/object (whole, and by byte range for ``@offset`` items) into the wanted results.

    An ``@offset`` line is read by a range from its offset, ``CONTEXT_BYTES``
    long for the lines after it; a line of free text then once more from up to
    ``CONTEXT_BYTES`` before it, for the lines it runs on from (only whole
    lines that start in that window: the line cut by the window's start is left out).
    """
    offsets = sorted({o for (_c, i) in wanted if (o := _offset_item(i)) is not None})
    plain = {k: rb for k, rb in wanted.items() if _offset_item(k[1]) is None}
    jobs: list[tuple[tuple[tuple[str, Any], ...], dict[tuple[str, str], ReadBack], int | None]] = []
    if plain:
        jobs.append((unit_params, plain, None))
    for off in offsets:
        sub = {k: rb for k, rb in wanted.items() if k[1] == f"@{off}"}
        jobs.append(((*unit_params, ("start", off), ("end", off + 1 + CONTEXT_BYTES)), sub, off))
    for params, sub, at in jobs:
        error, lines = _read_records(read(Unit(source, path, "", params)), sub, max_chars)
        for k, rb in sub.items():
            if not rb.ok:
                rb.reason = error or ("the line is no longer at that offset (the file changed)" if _offset_item(k[1]) is not None
                                      else "no longer in the file (the file changed)")
        if at and not error and lines:
            # the lines before: a second read from a window before the line (a free-text line only)
            window = (*unit_params, ("start", max(0, at - CONTEXT_BYTES)), ("end", at + 1))
            probe = {k: ReadBack(*k) for k in sub}
            if not _read_records(read(Unit(source, path, "", window)), probe, max_chars, context=False)[0]:
                for k, rb in sub.items():
                    rb.before = probe[k].before


def read_files(name: str, config: Mapping[str, Any], pairs: Pairs, *, max_chars: int = MAX_CHARS) -> Result:
    """Records of files of a ``files`` source by item (lines, CSV rows, cells, pages; archive entries too)."""
    from connectors.files import FilesConnector

    results = _results(pairs)
    conn = build(name, config)
    assert isinstance(conn, FilesConnector)
    single = os.path.isfile(conn.root)
    groups: dict[str, dict[tuple[str, str], ReadBack]] = {}
    for (container, item), rb in results.items():
        path = None
        for cand in archive_candidates(container):
            if single and cand == os.path.basename(conn.root):
                path = cand
                break
            try:
                full = conn._full_path(cand)
            except ConnectorError:
                continue
            if os.path.lexists(full):
                path = cand
                break
        if path is None:
            rb.reason = "the file no longer exists"
            continue
        groups.setdefault(path, {})[(container, item)] = rb
    for path, wanted in sorted(groups.items()):
        _read_object(conn.read, name, path, (("path", path),), wanted, max_chars)
    conn.close()
    return results


def read_s3(name: str, config: Mapping[str, Any], pairs: Pairs, *, max_chars: int = MAX_CHARS) -> Result:
    """Records of S3 objects by item; the object is looked up afresh (HEAD) so a deleted one says so.

    An item of an old version (``old version <id>: 2``, :func:`connectors.s3.split_version_item`)
    is read from that version (``HeadObject``/``GetObject`` with its ``VersionId``), as the scan read it.
    """
    from connectors.s3 import S3Connector, describe_error, split_version_item

    results = _results(pairs)
    conn = build(name, config)
    assert isinstance(conn, S3Connector)
    client = conn.client()
    heads: dict[tuple[str, str | None], dict[str, Any] | str] = {}

    def head(cand: str, version: str | None) -> dict[str, Any] | str:
        if (cand, version) not in heads:
            bucket, _, key = cand.partition("/")
            if not bucket or not key:
                heads[(cand, version)] = "not an object"
            else:
                try:
                    extra = {} if version is None else {"VersionId": version}
                    heads[(cand, version)] = client.head_object(Bucket=bucket, Key=key, **extra)
                except Exception as exc:  # noqa: BLE001 - mapped to a reason
                    heads[(cand, version)] = describe_error(exc)
        return heads[(cand, version)]

    # per object (or old version): its HEAD and the wanted records, by their item within the object
    groups: dict[tuple[str, str], tuple[str | None, dict[str, Any], dict[tuple[str, str], ReadBack]]] = {}
    for (container, item), rb in results.items():
        version, inner = split_version_item(item)
        reason = ""
        for cand in archive_candidates(container):
            got = head(cand, version)
            if not isinstance(got, str):
                groups.setdefault((cand, version or ""), (version, got, {}))[2][(container, inner)] = rb
                break
            reason = reason or got
        else:
            what = "object" if version is None else "old version"
            rb.reason = f"cannot read the {what}: {reason}" if reason else f"the {what} no longer exists"
    try:
        for (path, _v), (version, meta, wanted) in sorted(groups.items()):
            bucket, _, key = path.partition("/")
            params: list[tuple[str, Any]] = [("bucket", bucket), ("key", key), ("size", int(meta.get("ContentLength") or 0)),
                                             ("etag", str(meta.get("ETag") or ""))]
            if meta.get("LastModified") is not None:
                params.append(("mtime", meta["LastModified"].timestamp()))
            read = conn.read
            if version is not None:
                params += [("version", version), ("noncurrent", True)]
                read = partial(_within_version, conn.read)
            _read_object(read, name, path, tuple(params), wanted, max_chars)
    finally:
        conn.close()
    return results


def _within_version(read: Callable[[Unit], Iterator[Record]], unit: Unit) -> Iterator[Record]:
    """The records of an old version's unit with the items they have within the version (``2``, ``@512``, ``""``)."""
    from connectors.s3 import split_version_item

    records = read(unit)
    try:
        for rec in records:
            rec.location = replace(rec.location, item=split_version_item(rec.location.item)[1])
            yield rec
    finally:
        records.close()  # type: ignore[attr-defined]


# --------------------------------------------------------------------------- mail


def _mail_fields(fields_wanted: set[str] | None) -> Callable[[ReadBack, Record], list[tuple[str, str | None]]]:
    def keep(_rb: ReadBack, rec: Record) -> list[tuple[str, str | None]]:
        if fields_wanted is None:
            return list(rec.fields)
        return [(f, t) for f, t in rec.fields if f in MAIL_HEADERS or f in fields_wanted]

    return keep


def _read_messages(records: Iterator[Record], wanted: dict[tuple[str, str], ReadBack], max_chars: int,
                   fields: Mapping[tuple[str, str], set[str]] | None) -> str:
    error = ""
    found: set[tuple[str, str]] = set()
    try:
        for rec in records:
            k = (rec.location.container, rec.location.item)
            rb = wanted.get(k)
            if rb is None:
                if len(found) == len(wanted):
                    break  # a message's records come together: every wanted one has been read
                continue
            found.add(k)
            want = None if fields is None else fields.get(k)
            rb.add(_mail_fields(want)(rb, rec), max_chars)
            rb.record_date = rb.record_date or rec.record_date
    except ConnectorError as exc:
        error = str(exc)
    finally:
        records.close()  # type: ignore[attr-defined]
    return error


def read_mail(name: str, config: Mapping[str, Any], pairs: Pairs, *, max_chars: int = MAX_CHARS,
              fields: Mapping[tuple[str, str], set[str]] | None = None) -> Result:
    """Messages of a ``mail`` source (mbox, Maildir, .eml, .msg, Dovecot dbox, a mailbox packed in an archive) by Message-ID.

    A message inside an archive (container ``export.zip!inbox/1.eml`` or
    ``inbox.mbox.gz``) is found by reading the archive again, as the scan did.

    ``fields`` (optional, per location) limits what is kept of a message to the
    headers From/To/Cc/Subject and those fields (the parts that held the data).
    """
    from connectors.files import open_regular
    from connectors.formats.streams import read_fully
    from connectors.mail import SNIFF_BYTES, MailConnector, _maildir, file_kind

    results = _results(pairs)
    conn = build(name, config)
    assert isinstance(conn, MailConnector)
    by_file: dict[str, dict[tuple[str, str], ReadBack]] = {}
    for container, items in _by_container(results).items():
        # a message read out of an archive names the archive, '!' and its entry
        file_rel = container.split("!", 1)[0] if "!" in container and not os.path.lexists(_joined(conn, container)) else container
        by_file.setdefault(file_rel, {}).update({(container, i): results[(container, i)] for i in items})
    for container, wanted in sorted(by_file.items()):
        try:
            full = conn._full(container if os.path.isdir(conn.root) else "")
        except ConnectorError as exc:
            _fail(wanted.values(), str(exc))
            continue
        rel = container if os.path.isdir(conn.root) else ""
        if os.path.isdir(full):
            if not _maildir(full):
                _fail(wanted.values(), "the mailbox is no longer a Maildir")
                continue
            unit = Unit(name, f"maildir:{rel}", "", (("kind", "maildir"), ("path", rel or "."), ("first", ""), ("last", "\U0010ffff")))
        else:
            try:
                f, st = open_regular(full, container, follow_symlinks=conn.follow_symlinks)
            except ConnectorError:
                _fail(wanted.values(), "the mailbox no longer exists" if not os.path.lexists(full) else "the mailbox cannot be opened")
                continue
            with f:
                kind = file_kind(read_fully(f, SNIFF_BYTES), os.path.basename(full))
            if kind == "mbox":
                unit = Unit(name, f"mbox:{rel or os.path.basename(full)}", "",
                            (("kind", "mbox"), ("path", rel or os.path.basename(full)), ("start", 0), ("end", st.st_size)))
            elif kind == "archive":
                unit = Unit(name, f"archive:{rel or os.path.basename(full)}", "", (("kind", "archive"), ("path", rel or os.path.basename(full))))
            elif kind in ("eml", "msg", "dbox"):
                folder, _, base = container.rpartition("/") if os.path.isdir(conn.root) else ("", "", os.path.basename(full))
                unit = Unit(name, f"{kind}:{folder or '.'}", "", (("kind", kind), ("path", folder), ("first", base), ("last", base)))
            else:
                _fail(wanted.values(), "the file is no longer a mailbox or a mail message")
                continue
        error = _read_messages(conn.read(unit), wanted, max_chars, fields)
        _fail(wanted.values(), error or "the message is no longer in the mailbox")
    conn.close()
    return results


def _joined(conn: Any, container: str) -> str:
    """The path a mail source's container names (the source's own file when the source is one file)."""
    try:
        return str(conn._full(container if os.path.isdir(conn.root) else ""))
    except ConnectorError:
        return ""


def read_imap(name: str, config: Mapping[str, Any], pairs: Pairs, *, max_chars: int = MAX_CHARS,
              fields: Mapping[tuple[str, str], set[str]] | None = None) -> Result:
    """Messages of an ``imap`` source by Message-ID: EXAMINE (read-only), SEARCH HEADER, FETCH BODY.PEEK[]."""
    from imapclient.exceptions import IMAPClientError

    from connectors.formats.core import Problems, describe
    from connectors.imap import ImapConnector, _naive_utc
    from connectors.mime import MessageReader

    results = _results(pairs)
    conn = build(name, config)
    assert isinstance(conn, ImapConnector)
    try:
        client = conn._connect()
    except ConnectorError as exc:
        _fail(results.values(), str(exc))
        return results
    try:
        for folder, items in sorted(_by_container(results).items()):
            wanted = {(folder, i): results[(folder, i)] for i in items}
            try:
                conn._examine(client, folder)
                uids: set[int] = set()
                if any(i.startswith("sha256:") or not i for i in items):
                    uids.update(client.search(["ALL"]))
                else:
                    # a later message with a Message-ID an earlier one had: '<Message-ID> sha256:<digest>'
                    # (connectors.mime.MessageItems); the server knows the Message-ID, the reader tells them apart
                    for mid in dict.fromkeys(i.split(" sha256:", 1)[0] for i in items):
                        uids.update(client.search(["HEADER", "Message-ID", mid]))
                uids_l = sorted(uids)
                problems = Problems()
                reader = MessageReader(conn.location(folder), conn.limits, problems, safe_name(folder) + " ")
                for start in range(0, len(uids_l), conn.fetch_messages):
                    batch = uids_l[start : start + conn.fetch_messages]
                    got = client.fetch(batch, ["BODY.PEEK[]", "INTERNALDATE"])
                    for uid in batch:
                        data = got.get(uid)
                        if not data:
                            continue
                        recs = reader.records(bytes(data.get(b"BODY[]") or b""), f"UID {uid}",
                                              fallback_date=_naive_utc(data.get(b"INTERNALDATE")))
                        _read_messages(recs, wanted, max_chars, fields)
                _fail(wanted.values(), "the message is no longer in the folder")
            except (imaplib.IMAP4.abort, OSError) as exc:
                conn._drop()
                _fail(results.values(), f"{conn._where}: connection lost ({describe(exc)})")
                return results
            except (IMAPClientError, imaplib.IMAP4.error) as exc:
                _fail(wanted.values(), f"cannot open folder {safe_name(folder)} ({type(exc).__name__})")
    finally:
        conn.close()
    return results
