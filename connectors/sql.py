"""SQL databases through SQLAlchemy: PostgreSQL, MariaDB/MySQL, SQLite (others best effort).

Config (one ``[[sources]]`` entry of ``type = "sql"``)::

    url = "postgresql+psycopg2://scanner:${PGPASSWORD}@db.internal/crm"
    schemas = ["public"]           # default: every non-system schema (MariaDB/MySQL: the URL's database);
                                   # a listed schema that does not exist is a failed unit ("schema.*")
    include = ["cust*", "sales.*"] # table-name globs (``table`` or ``schema.table``, case-insensitive)
    exclude = ["*_log"]
    chunk_rows = 20000             # rows per unit; larger tables are split into key ranges
    date_columns = ["registrerad"] # a row's date columns (record_date: the most recent); else recognised
    checksum = true                # per-range aggregate checksum in the fingerprint (see below)
    boundaries = "auto"            # key-range boundaries: "window" (ROW_NUMBER), "offset" (keyset walk)
    row_values = true              # compare composite keys as (a, b) >= (x, y); default per dialect
    lock_timeout = 30              # seconds to wait for a table another session locked (0: the server's)

``${NAME}`` references in the URL are expanded from the environment per URL
component (so a password with ``@`` or ``/`` needs no escaping). The URL is only
ever shown with its password hidden.

Units
-----
``units()`` reflects every table (``sqlalchemy.inspect``, batched ``get_multi_*``
calls; views are not scanned, PostgreSQL partitions are read through their parent, and
a parent of classic ``INHERITS`` children ``FROM ONLY``, so a child's rows are listed once).
A PostgreSQL table under row-level security that the account does not bypass (not a
superuser, no BYPASSRLS, not the owner of a table without FORCE) is read as far as its
policies allow, and its unit then ends partial, saying so (rows may be hidden).
A MariaDB system-versioned table (``WITH SYSTEM VERSIONING``) also gets the unit
``<table>#history``: its ended row versions (``FOR SYSTEM_TIME ALL``, period ended before
now: an old e-mail address, a row deleted since), ``item`` = the row's key and when that
version ended (``history 2026-01-15T10:00:00.123456: id=2``, as S3's old versions are named).
Each table gets a *row key*, in this order of preference:

1. its primary key (``id=7``, composite ``a=1,b=2``);
2. a unique constraint or index whose columns are all NOT NULL (partial indexes
   excluded);
3. a per-dialect row locator: SQLite ``rowid`` (every SQLite table without a
   primary key has one; VACUUM may renumber it), PostgreSQL ``ctid`` (the physical
   row address: it changes on UPDATE, VACUUM FULL and CLUSTER, so it is precise
   for "now", not forever);
4. otherwise (MariaDB/MySQL and other dialects) ``row=<n>``: the 1-based ordinal of
   the row in the table's scan order (InnoDB keeps such tables in insertion order
   on its hidden row id). Deletions shift later ordinals; an erasure job has to
   re-identify the row by its values. The row's column values are deliberately
   *not* used as the item: that would copy personal data into every location.

Keyed tables (1-3, except ``ctid``) with more than ``chunk_rows`` rows are split
into key ranges. Boundaries are every ``chunk_rows``-th key, found without
loading the table: one ``ROW_NUMBER() OVER (ORDER BY key)`` query that returns only
the boundary keys (``boundaries = "offset"`` or an old server without window
functions uses a keyset ``ORDER BY key LIMIT 1 OFFSET n`` walk instead). For a
single integer key the boundaries are rounded down to a grid of about a tenth of a
chunk (``id>=5000`` rather than ``id>=5003``), so small inserts and deletes do not
move them and unit keys stay the same between scans. Composite keys compare as row
values ``(a, b) >= (x, y)`` on PostgreSQL and SQLite; on MariaDB/MySQL and other
dialects the expanded form ``a >= x AND (a > x OR (a = x AND b >= y))`` is used,
which their range optimisers handle. The first range is open below and the last
open above, so every row falls in exactly one range, including rows added later.

Unit keys read ``public.customers`` (whole table), ``public.customers[id<5000)``,
``public.customers[id>=5000,<10000)``, ``public.customers[id>=10000)``,
``sales.lines[(order_id,line)>=(17,2),<(40,1))``. Unit params carry the schema,
table, key columns and the bounds as JSON-able values (decimals, dates, UUIDs and
bytes as ``("$type", text)`` pairs).

**Note**: key values appear in items (``id=7``), references and range bounds. A
table keyed by a personal identifier (an e-mail or personnummer as primary key)
therefore puts that identifier into locations and unit keys; that is what makes
the location actionable.

Fingerprint
-----------
Per unit: the column list (names and types), the row count, the smallest and
largest key in the range and, with ``checksum = true`` (the default), an order-independent aggregate
checksum of every row in the range computed on the server:

* PostgreSQL (11+): ``sum(hashtextextended(row::text, 0))``;
* MariaDB/MySQL: ``SUM(CRC32(CONCAT_WS('|', ISNULL(c1), c1, ...)))``;
* SQLite: ``sum()`` of a CRC-32 function the connector registers on its connection.

(MariaDB's ``CHECKSUM TABLE`` was not used: it covers only whole tables.)

The checksum reads every row of the range on the server (nothing is transferred
but one number), so listing a huge database costs about one server-side scan of
each table. With ``checksum = false`` (or on other dialects) the fingerprint is
count + max key only: it then misses an UPDATE that keeps the row count and the
keys, and a delete plus insert inside a range that keeps all three; use ``--full`` scans
now and then. Tables without a usable key (``ctid``, ``row=<n>``) are one unit,
fingerprinted by count and checksum. When a table's statistics cannot be read
(e.g. permission denied) it is still listed, as one unit with a fingerprint that
never matches, so the read fails (or succeeds) with its own reason and the rest of
the scan goes on.

Reading
-------
``read()`` opens the engine lazily on the worker (``_live = ("_engine", ...)``) in a
read-only session: PostgreSQL ``SET SESSION CHARACTERISTICS AS TRANSACTION READ
ONLY`` on every new connection (SQL rather than a startup ``options`` parameter,
so it also works through PgBouncer and with psycopg 3 / pg8000); MariaDB/MySQL
``SET SESSION TRANSACTION READ ONLY`` on connect and ``START TRANSACTION READ
ONLY`` per unit; SQLite opens file databases with a ``file:...?mode=ro`` URI and
``PRAGMA query_only = ON``. Other dialects get no session-level guard: give the
scanner a read-only account. A table locked by another session (``ALTER TABLE``,
``VACUUM FULL``, ``LOCK TABLES ... WRITE``) is waited for ``lock_timeout`` seconds
(default 30; PostgreSQL ``lock_timeout``, MariaDB/MySQL ``lock_wait_timeout`` and
``innodb_lock_wait_timeout``, SQLite's busy timeout), then the read fails as a
transient error ("lock wait timeout"): the engine retries it and, if the lock stays,
reports the unit failed while the rest of the database is scanned. Rows are streamed with server-side cursors
(``stream_results``/``yield_per``: a named cursor on psycopg2, ``SSCursor`` on
PyMySQL), so memory is bounded by one batch whatever the table size.

One :class:`Record` per row. The location container is ``schema.table`` on every
dialect (SQLite: ``main.table``; a part holding ``.``, ``"``, ``[`` or ``]`` is
double-quoted); the item is the row key as above, with a value quoted
(``name="a,b"``, ``\\`` and ``"`` escaped) when it holds ``,``, ``=``, ``"``, ``\\``,
or leading/trailing spaces. Fields are (column name, text) for every non-null value:

* text as is; integers ``str(int)`` (a BIGINT 196408233234 stays
  ``"196408233234"``); decimals without exponent (``format(d, "f")``); floats as
  ``repr`` (``198112289874.0``), positional if ``repr`` would use an exponent;
  booleans and NaN/infinity are skipped (they hold no identifier);
* dates, times and timestamps as ISO text (SQLite: the stored text as is);
* JSON/JSONB (and text columns whose value parses as a JSON object or array):
  one field per leaf named by its path, ``profile$.contact.email``,
  ``profile$.phones[1]``, ``profile$["first name"]``. An object key that looks like
  data (holds ``@`` or four or more digits, or is longer than 64 characters: a
  map keyed by personnummer or e-mail) is never written into a field name: its
  member is addressed by position, ``profile$.by_pnr{0}.phone``, and the key text
  itself is emitted as the field ``profile$.by_pnr{0}~`` (``~`` = "the key", as in
  JSONPath-Plus). Other keys are not emitted as data;
* PostgreSQL arrays: ``tags[0]``, ``tags[1]``, nested ``m[0][1]``;
* BLOB/bytea: sniffed. A document (PDF, zip-based Office files, legacy OLE Office
  files, gzip/bzip2/xz/zstd, 7z, TIFF) is read by the file-format readers
  (:mod:`connectors.formats`) and its text is the column's value (a stored contract's
  personnummer is found; one long text, so not linked to the row's values); a document
  that cannot be read fully makes the unit partial with the reason, after its rows.
  Pictures and programs are skipped; otherwise text with a BOM, UTF-8, UTF-16 (by the
  zero-byte pattern) or cp1252 is decoded when it reads as text. A skipped blob is counted in
  ``connector.skipped[(container, column, reason)]`` (per process; not an error:
  a JPEG in a BLOB column is normal content, not damage).

Row dates. The *date columns* of a table are the configured ``date_columns`` (or
``date_column``) present in it, from the source or from the most specific
``[sources.containers."pattern"]`` table matching ``schema.table`` that sets them;
otherwise every *recognised* column: a date/timestamp column (on SQLite also a
TEXT or untyped column, whose values must then read as ISO dates) whose name holds
created/inserted/registered/registrerad/skapad/updated/modified/changed/ändrad/
date/datum/time (``created_at``, ``order_date``, ``fakturadatum``, ``ändrad``),
except names that point ahead or at a person (birth/födelse/dob, due/förfallo,
expiry/giltig/valid). ``Record.record_date`` (for retention) is the *most recent*
non-null value of the date columns: the last time the row was written or used.
``Record.ref_date`` (the century of 10-digit personnummer) is the first non-null
one in preference order (configured order, else created before updated), i.e.
when the row was written. Values that do not read as dates are ignored; aware
timestamps are converted to naive UTC. The date columns are part of the unit
fingerprint, so a changed ``date_columns`` rereads the table.

``Record.references`` holds one :class:`Reference` per foreign key whose columns
are all non-null in the row:
``Reference("public.customers", "id=5", via="customer_id")``; the item is the
referenced row's own item: the key's columns in the order of the referenced
row key (a composite key declared as ``(nummer, clearing)`` against the primary
key ``(clearing, nummer)``), and for a key to other columns (a unique e-mail or
customer number of a table keyed by ``id``, or a table keyed by a locator) the
referenced row's key is read beside the row (one index lookup per row; a row that
is not there keeps the referenced columns). A key to a table outside the scan
names the referenced columns.

Schema facts
------------
``dependencies()`` returns the reflected foreign keys as
``{"kind": "foreign_key", "name", "container", "columns", "ref_container",
"ref_columns"}``. Column comments are hints, not fields: ``column_hints()`` returns
``{(container, column): comment}`` (SQLite has no column comments: there, the SQL
comments of a column's line in the ``CREATE TABLE`` text, see
:func:`sqlite_column_comments`) and ``field_hints(unit)``
gives the worker ``{column: "column comment"}`` for the unit's table, so a column
``kol1`` commented ``personnummer`` is scanned with a personnummer hint.

Errors
------
Database errors become :class:`ConnectorError` naming the table, a cause
(permission denied, table does not exist, connection lost, read-only violation,
...) and the driver's error class and SQLSTATE/errno, never the SQL, its
parameters or the server's message (which may quote values). Exceptions are
raised ``from None`` so a logged traceback carries no parameters either.
A lost or refused connection (a terminated backend, a restarting server,
SQLSTATE class 08, 57P01-03, errno 2002/2003/2006/2013, deadlocks and
serialization failures) is a :class:`~connectors.base.TransientError`: the
engine reads the unit again after a backoff.
"""

from __future__ import annotations

import codecs
import fnmatch
import io
import json
import os
import re
import uuid
import warnings
import weakref
import zlib
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import URL, Connection, Engine, make_url

from connectors.base import (
    BaseConnector, ConfigError, ConnectorError, Limits, Location, Record, Reference, TransientError, Unit, safe_name,
)

__all__ = ["SqlConnector", "render_item", "text_value", "json_leaves", "sniff_bytes", "round_boundaries"]

SYSTEM_SCHEMAS = frozenset({"information_schema", "pg_catalog", "pg_toast", "mysql", "performance_schema", "sys"})
DEFAULT_LOCK_TIMEOUT = 30  # seconds; a lock held longer fails the unit (after the engine's retries)
DEFAULT_CHUNK_ROWS = 20_000  # ~2-4 s of detection a unit: work spreads over the workers, a change rescans little
FETCH_ROWS = 1_000  # rows per server-side cursor batch
_ALIAS = "pii_scan_t"
_LOC = "pii_scan_loc"
_FP_VERSION = "sql/1"
_MAX_HINT_CHARS = 200
_MAX_JSON_DEPTH = 100

# Date column names, most preferred first (matched as substrings of the lower-cased name).
_DATE_NAMES = ("created", "inserted", "registered", "registrerad", "skapad", "updated", "modified", "changed",
               "ändrad", "andrad", "date", "datum", "time")
# ... but not dates ahead of the row (due, expiry) or about the person (birth)
_NOT_ROW_DATE = re.compile(r"birth|f[öo]del|(?:^|_)dob(?:$|_)|due|f[öo]rfall|expir|giltig|valid", re.IGNORECASE)

_ENV_REF = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
_IDENT_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
_JSON_START = frozenset("{[ \t\r\n")


# --------------------------------------------------------------------------- values -> text


def text_value(value: Any) -> str | None:
    """A scalar database value as a person would write it; ``None`` for no data.

    >>> text_value(196408233234), text_value(Decimal("1.96408233234E+11")), text_value(198112289874.0)
    ('196408233234', '196408233234', '198112289874.0')
    >>> text_value(1e20), text_value(True), text_value(datetime(2024, 5, 1, 8, 30))
    ('100000000000000000000', None, '2024-05-01T08:30:00')
    """
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, int):
        return str(value)
    if isinstance(value, Decimal):
        if not value.is_finite():
            return None
        return format(value, "f")
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            return None
        r = repr(value)
        if "e" in r or "E" in r:
            r = format(Decimal(r), "f")
        return r
    if isinstance(value, (datetime, date, time)):
        return value.isoformat()
    if isinstance(value, timedelta):
        return str(value)
    if isinstance(value, uuid.UUID):
        return str(value)
    return str(value)


_NEEDS_QUOTES = re.compile(r'[,="\\]|^\s|\s$').search
_FOUR_DIGITS = re.compile(r"\d(?:\D*\d){3}").search


def _quote_part(text: str) -> str:
    if text and not _NEEDS_QUOTES(text):
        return text
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _key_text(value: Any) -> str:
    if isinstance(value, (bytes, bytearray, memoryview)):
        return "0x" + bytes(value).hex()
    t = text_value(value)
    return "" if t is None else t


def render_item(columns: Sequence[str], values: Sequence[Any]) -> str:
    """A row key as a location item: ``id=7``, ``a=1,b=2``; parts with ``,``/``=`` are quoted.

    >>> render_item(["id"], [7]), render_item(["a", "b"], [1, "x,y"])
    ('id=7', 'a=1,b="x,y"')
    """
    return ",".join(f"{_quote_part(c)}={_quote_part(_key_text(v))}" for c, v in zip(columns, values))


def _container(schema: str | None, table: str) -> str:
    def q(part: str) -> str:
        if re.search(r'[."\[\]]', part):
            return '"' + part.replace('"', '""') + '"'
        return part

    return f"{q(schema)}.{q(table)}" if schema else q(table)


class ColumnHints(dict[str, str]):
    """``{column: "column comment"}`` whose ``get()`` also answers for the fields of a column.

    A PostgreSQL array gives the fields ``x2[0]``, ``x2[1]``, a JSON column ``x3$.a.b``:
    each takes its column's comment (``"x2[0] Mobilnummer"``), so a lost-zero value in
    an element of a commented column is read as the comment says.

    >>> ColumnHints({"x2": "x2 Mobilnummer"}).get("x2[0]"), ColumnHints({"x2": "x2 tel"}).get("x22[0]", "-")
    ('x2[0] Mobilnummer', '-')
    """

    def get(self, key: str, default: Any = None) -> Any:  # type: ignore[override]
        hit = dict.get(self, key)
        if hit is not None:
            return hit
        for col, hint in self.items():
            if key.startswith(col) and key[len(col) : len(col) + 1] in ("[", "$"):
                return key + hint[len(col) :]
        return default


# --------------------------------------------------------------------------- SQLite DDL comments

_QUOTES = {"'": "'", '"': '"', "`": "`", "[": "]"}
_NOT_COLUMNS = frozenset({"constraint", "primary", "unique", "check", "foreign"})


def sqlite_column_comments(ddl: str, columns: Sequence[str]) -> dict[str, str]:
    """``{column: comment}`` from the SQL comments of a SQLite ``CREATE TABLE`` statement.

    SQLite has no column comments; a schema documents a column with a comment on its
    line (``c1 INTEGER, -- personnummer``, ``c2 TEXT /* mobil */``) or on the line
    above it, and SQLite keeps the statement verbatim. Quoted text is skipped; only
    names of ``columns`` get a comment.

    >>> sqlite_column_comments("CREATE TABLE t (a INT, -- pnr\\n b TEXT /* tel */)", ["a", "b"])
    {'a': 'pnr', 'b': 'tel'}
    """
    start = ddl.find("(")
    if start < 0 or ("--" not in ddl and "/*" not in ddl):
        return {}
    defs: list[tuple[list[str], list[str]]] = [([], [])]  # (definition text, comments) per column list item
    ahead: list[str] = []  # comments on lines of their own: for the next definition
    comma_line = False  # a comma of the list ended the last definition on this line, nothing since
    fresh_line = True  # nothing but blanks since the last newline
    depth, i, n = 1, start + 1, len(ddl)
    while i < n and depth:
        ch = ddl[i]
        if ddl.startswith("--", i) or ddl.startswith("/*", i):
            end = ddl.find("\n", i) if ch == "-" else ddl.find("*/", i + 2)
            end = n if end < 0 else end
            text = ddl[i + 2 : end].strip()
            i = end + (0 if ch == "-" else 2)
            if depth == 1 and text:
                if comma_line and len(defs) > 1:
                    defs[-2][1].append(text)
                elif fresh_line and not "".join(defs[-1][0]).strip():
                    ahead.append(text)
                else:
                    defs[-1][1].append(text)
            continue
        if ch in _QUOTES:
            end = ddl.find(_QUOTES[ch], i + 1)
            end = n - 1 if end < 0 else end
            defs[-1][0].append(ddl[i : end + 1])
            comma_line = fresh_line = False
            i = end + 1
            continue
        if ch == "\n":
            comma_line, fresh_line = False, True
        elif ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        if depth == 1 and ch == ",":
            defs.append(([], []))
            comma_line = True
        elif depth and not ch.isspace():
            if ahead and not "".join(defs[-1][0]).strip():
                defs[-1][1].extend(ahead)
                ahead = []
            defs[-1][0].append(ch)
            comma_line = fresh_line = False
        elif depth:
            defs[-1][0].append(ch)
        i += 1
    names = {c.lower(): c for c in columns}
    out: dict[str, str] = {}
    for chars, comments in defs:
        body = "".join(chars).strip()
        if not comments or not body:
            continue
        first = body.split(None, 1)[0] if body[0] not in _QUOTES else body[: body.find(_QUOTES[body[0]], 1) + 1]
        if first[:1] in _QUOTES and len(first) > 1:
            first = first[1:-1]
        col = names.get(first.lower())
        if col is not None and first.lower() not in _NOT_COLUMNS:
            out[col] = " ".join(comments)
    return out


# --------------------------------------------------------------------------- engines

# Installed drivers to use when a URL names none: SQLAlchemy 2.1 maps ``postgresql://`` to
# psycopg 3 and ``mysql://``/``mariadb://`` to mysqlclient, while pii-scan's extras install
# psycopg2 and PyMySQL (and the README's example is a plain ``postgresql://`` URL).
_DRIVER_FALLBACKS: dict[str, tuple[str, ...]] = {
    "postgresql": ("psycopg2", "pg8000"),
    "mysql": ("pymysql", "mysqlconnector"),
    "mariadb": ("pymysql", "mysqlconnector"),
}


@contextmanager
def _savepoint(conn: Connection) -> Iterator[None]:
    """On PostgreSQL a failed statement aborts the transaction: a savepoint keeps the rest of
    the listing going after one table's error (other databases need none)."""
    if conn.dialect.name == "postgresql" and conn.in_transaction():
        with conn.begin_nested():
            yield
    else:
        yield


def _restart(conn: Connection) -> None:
    """After a failed statement: roll the transaction back and begin the next one as the session did
    (read-only on MySQL/MariaDB, where the session starts one explicitly)."""
    conn.rollback()
    if conn.dialect.name in ("mysql", "mariadb"):
        conn.exec_driver_sql("START TRANSACTION READ ONLY")


@contextmanager
def _reflecting(conn: Connection) -> Iterator[None]:
    """Around one inspector call: in a savepoint (:func:`_savepoint`), without the warnings that say nothing
    to act on."""
    with warnings.catch_warnings(), _savepoint(conn):
        # "Did not recognize type 'xml' of column 'x'": such a column is read as text anyway
        warnings.filterwarnings("ignore", "Did not recognize type", sa.exc.SAWarning)
        # MariaDB's PERIOD FOR SYSTEM_TIME line (a system-versioned table: _versioned_tables)
        warnings.filterwarnings("ignore", "Unknown schema content", sa.exc.SAWarning)
        yield


def engine_for(url: str | URL, **kwargs: Any) -> Engine:
    """An engine for a user's URL (a source's, the data map's, an erasure's write session): ``sa.create_engine``;
    for a URL without ``+driver`` whose default driver is not installed, the first installed driver of that
    dialect. A URL that names its driver gets exactly that one (``ModuleNotFoundError`` as before)."""
    url = make_url(url)
    try:
        return sa.create_engine(url, **kwargs)
    except ModuleNotFoundError:
        if "+" in url.drivername:
            raise
        for driver in _DRIVER_FALLBACKS.get(url.drivername, ()):
            try:
                return sa.create_engine(url.set(drivername=f"{url.drivername}+{driver}"), **kwargs)
            except ModuleNotFoundError:
                continue
        raise


# --------------------------------------------------------------------------- JSON and blobs


def _data_like_key(key: str) -> bool:
    """A key that is data, not a name for its value: an address, an identifier, a long text, or a person's
    name (``{"Anna Berg": {...}}``: written into every path below it, it would put the name in the data map)."""
    from connectors.formats.core import person_name_key

    return "@" in key or len(key) > 64 or _FOUR_DIGITS(key) is not None or person_name_key(key)


def json_leaves(prefix: str, value: Any, depth: int = 0) -> Iterator[tuple[str, str]]:
    """(path, text) for every scalar leaf of a parsed JSON value (see the module docstring).

    >>> list(json_leaves("p$", {"a": {"b": [1, "x"]}, "first name": "Anna", "anna@example.se": 1}))
    [('p$.a.b[0]', '1'), ('p$.a.b[1]', 'x'), ('p$["first name"]', 'Anna'), ('p${2}~', 'anna@example.se'), ('p${2}', '1')]
    >>> list(json_leaves("p$", {"Anna Berg": {"tel": "070"}}))
    [('p${0}~', 'Anna Berg'), ('p${0}.tel', '070')]
    """
    if depth > _MAX_JSON_DEPTH:
        yield prefix, json.dumps(value, ensure_ascii=False, default=str)
        return
    if isinstance(value, dict):
        for pos, (key, sub) in enumerate(value.items()):
            key = str(key)
            if _data_like_key(key):
                path = f"{prefix}{{{pos}}}"
                yield path + "~", key
            elif _IDENT_KEY.match(key):
                path = f"{prefix}.{key}"
            else:
                path = f"{prefix}[{json.dumps(key, ensure_ascii=False)}]"
            yield from json_leaves(path, sub, depth + 1)
    elif isinstance(value, (list, tuple)):
        for i, sub in enumerate(value):
            yield from json_leaves(f"{prefix}[{i}]", sub, depth + 1)
    else:
        t = text_value(value)
        if t:
            yield prefix, t


def _maybe_json(text: str) -> Any:
    s = text.strip()
    if len(s) < 2 or (s[0], s[-1]) not in (("{", "}"), ("[", "]")):
        return None
    try:
        parsed = json.loads(s)
    except ValueError:
        return None
    return parsed if isinstance(parsed, (dict, list)) and parsed else None


_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"\x1f\x8b", "gzip"), (b"PK\x03\x04", "zip"), (b"PK\x05\x06", "zip"), (b"%PDF", "pdf"),
    (b"\x89PNG", "png"), (b"\xff\xd8\xff", "jpeg"), (b"GIF8", "gif"), (b"BZh", "bzip2"),
    (b"\xfd7zXZ\x00", "xz"), (b"7z\xbc\xaf", "7z"), (b"\x28\xb5\x2f\xfd", "zstd"),
    (b"\xd0\xcf\x11\xe0", "ole"), (b"RIFF", "riff"), (b"SQLite format 3\x00", "sqlite"),
    (b"\x7fELF", "elf"), (b"MZ", "exe"), (b"II*\x00", "tiff"), (b"MM\x00*", "tiff"),
)


# blobs that are documents (read with the file-format readers); pictures and programs are not
_DOCUMENT_BLOBS = frozenset({"pdf", "zip", "ole", "gzip", "bzip2", "xz", "zstd", "7z", "tiff"})
_MAX_DOCUMENT_CHARS = 8_000_000  # text of one document blob


def _textual(text: str) -> bool:
    sample = text[:4096]
    if not sample:
        return False
    bad = sum(1 for ch in sample if (ord(ch) < 32 and ch not in "\t\n\r\f") or ch == "\ufffd")
    return bad <= len(sample) * 0.02


def sniff_bytes(data: bytes) -> tuple[str | None, str]:
    """``(text, encoding)`` when a blob reads as text, else ``(None, reason)``.

    >>> sniff_bytes("Personnummer 19640823-3234".encode("utf-16"))
    ('Personnummer 19640823-3234', 'utf-16')
    >>> sniff_bytes(b"\\x1f\\x8b\\x08\\x00rest")
    (None, 'gzip')
    """
    if not data:
        return None, "empty"
    for magic, name in _MAGIC:
        if data.startswith(magic):
            return None, name
    for bom, enc in ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16")):
        if data.startswith(bom):
            try:
                text = data.decode(enc)
            except UnicodeDecodeError:
                return None, "binary"
            return (text, enc) if _textual(text) else (None, "binary")
    head = data[:4096]
    if b"\x00" in head:
        n = len(head) // 2
        if n and len(data) % 2 == 0:
            even = sum(1 for i in range(0, 2 * n, 2) if head[i] == 0) / n
            odd = sum(1 for i in range(1, 2 * n, 2) if head[i] == 0) / n
            enc = "utf-16-le" if odd > 0.3 and even < 0.05 else "utf-16-be" if even > 0.3 and odd < 0.05 else ""
            if enc:
                try:
                    text = data.decode(enc)
                except UnicodeDecodeError:
                    return None, "binary"
                if _textual(text):
                    return text, enc
        return None, "binary"
    for enc in ("utf-8", "cp1252"):
        try:
            text = data.decode(enc)
        except UnicodeDecodeError:
            continue
        if _textual(text):
            return text, enc
        break  # decodable but full of control characters: binary
    return None, "binary"


# --------------------------------------------------------------------------- key values in params


def _enc(value: Any) -> Any:
    """A key value as a JSON-able (and hashable) param."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, Decimal):
        return ("$decimal", str(value))
    if isinstance(value, datetime):
        return ("$datetime", value.isoformat())
    if isinstance(value, date):
        return ("$date", value.isoformat())
    if isinstance(value, time):
        return ("$time", value.isoformat())
    if isinstance(value, timedelta):
        return ("$interval", value.total_seconds())
    if isinstance(value, (bytes, bytearray, memoryview)):
        return ("$bytes", bytes(value).hex())
    if isinstance(value, uuid.UUID):
        return ("$uuid", str(value))
    return str(value)


def _dec(value: Any) -> Any:
    if isinstance(value, (list, tuple)) and len(value) == 2 and isinstance(value[0], str) and value[0].startswith("$"):
        tag, text = value
        parse: dict[str, Callable[[Any], Any]] = {
            "$decimal": Decimal,
            "$datetime": datetime.fromisoformat,
            "$date": date.fromisoformat,
            "$time": time.fromisoformat,
            "$interval": lambda s: timedelta(seconds=s),
            "$bytes": bytes.fromhex,
            "$uuid": uuid.UUID,
        }
        return parse[tag](text)
    return value


def round_boundaries(bounds: Sequence[int], low: int) -> list[int]:
    """Integer range boundaries rounded down to a "nice" grid of about a tenth of each range.

    Each boundary moves down by less than a tenth of its distance to the previous
    one (``low``, the smallest key, for the first), so the order is kept and no
    range collapses, while a few inserted or deleted rows leave the rounded
    boundaries (and so the unit keys) unchanged.

    >>> round_boundaries([301, 601, 903], 1), round_boundaries([101, 201, 10**9 + 7, 10**9 + 107], 1)
    ([300, 600, 900], [100, 200, 1000000000, 1000000100])
    """
    out: list[int] = []
    prev = low
    for b in bounds:
        grid = _nice_grid((b - prev) / 10)
        r = b - b % grid
        if r > low and (not out or r > out[-1]):
            out.append(r)
        prev = b
    return out


def _nice_grid(target: float) -> int:
    """The largest of 1, 2, 5 x 10^k not above ``target`` (at least 1)."""
    if target < 2:
        return 1
    p = 1
    while p * 10 <= target:
        p *= 10
    for m in (5, 2, 1):
        if m * p <= target:
            return m * p
    return p


# --------------------------------------------------------------------------- errors

_PG_CODES = {
    "42501": "permission denied", "42P01": "table does not exist", "42703": "column does not exist",
    "3F000": "schema does not exist", "3D000": "database does not exist", "25006": "write refused (read-only session)",
    "57014": "query cancelled (statement timeout)", "57P01": "connection lost (server shut down)",
    "57P02": "connection lost (server crashed)", "57P03": "server not accepting connections",
    "28000": "authentication failed", "28P01": "authentication failed", "53300": "too many connections",
    "40001": "serialization failure", "40P01": "deadlock", "55P03": "lock wait timeout (table locked by another session)",
}
_MY_CODES = {
    1044: "permission denied", 1045: "authentication failed", 1142: "permission denied", 1143: "permission denied",
    1227: "permission denied", 1146: "table does not exist", 1049: "database does not exist",
    1054: "column does not exist", 1792: "write refused (read-only transaction)", 1205: "lock wait timeout (table locked by another session)",
    1213: "deadlock", 2003: "cannot connect to the server", 2006: "connection lost (server has gone away)",
    2013: "connection lost during query", 2055: "connection lost", 4031: "connection lost (idle timeout)",
    3024: "query cancelled (statement timeout)", 1969: "query cancelled (statement timeout)", 1040: "too many connections",
}
_SQLITE_WORDS = (
    ("no such table", "table does not exist"), ("no such column", "column does not exist"),
    ("readonly", "write refused (read-only database)"), ("read-only", "write refused (read-only database)"),
    ("unable to open", "cannot open the database file"), ("locked", "database is locked"),
    ("not authorized", "permission denied"), ("malformed", "database file is corrupt"),
    ("not a database", "not a database file"), ("disk i/o", "disk I/O error"),
)


def _cause(exc: BaseException) -> str:
    """A short cause for a database error: words and codes only, never the server's message."""
    orig = getattr(exc, "orig", None) or exc
    cls = type(orig).__name__
    code = getattr(orig, "pgcode", None) or getattr(orig, "sqlstate", None)
    reason = ""
    tag = ""
    if isinstance(code, str) and code:
        tag = f"SQLSTATE {code}"
        reason = _PG_CODES.get(code, "")
        if not reason and code.startswith("08"):
            reason = "connection failure"
    args = getattr(orig, "args", ())
    if not reason and args and isinstance(args[0], int):
        tag = f"errno {args[0]}"
        reason = _MY_CODES.get(args[0], "")
    if not reason and type(orig).__module__.startswith("sqlite3"):
        low = str(orig).lower()
        reason = next((why for word, why in _SQLITE_WORDS if word in low), "")
        name = getattr(orig, "sqlite_errorname", None)
        tag = name or tag
    if not reason and getattr(exc, "connection_invalidated", False):
        reason = "connection lost"
    if not reason:
        low = str(orig).lower()
        if "refused" in low and "connection" in low:
            reason = "connection refused"
        elif "connection" in low and ("closed" in low or "lost" in low or "terminat" in low):
            reason = "connection lost"
        elif "password authentication failed" in low or ("role" in low and "does not exist" in low):
            reason = "authentication failed"  # libpq at connect time: no SQLSTATE
        elif "database" in low and "does not exist" in low:
            reason = "database does not exist"
        elif "translate host name" in low or "name or service not known" in low or "nodename nor servname" in low:
            reason = "unknown host"
        elif "permission denied" in low or "access denied" in low:
            reason = "permission denied"
        else:
            reason = "database error"
    return f"{reason} ({cls}{', ' + tag if tag else ''})"


# PostgreSQL SQLSTATEs and MariaDB/MySQL errnos after which reading the unit again may succeed
_PG_TRANSIENT = frozenset({"57P01", "57P02", "57P03", "53300", "40001", "40P01", "55P03"})
_MY_TRANSIENT = frozenset({1040, 1053, 1205, 1213, 1927, 2002, 2003, 2006, 2013, 2055, 4031})


def _transient(exc: BaseException) -> bool:
    """Whether a database error is the connection's (lost, refused, server restarting), not the data's."""
    if getattr(exc, "connection_invalidated", False):
        return True
    orig = getattr(exc, "orig", None) or exc
    code = getattr(orig, "pgcode", None) or getattr(orig, "sqlstate", None)
    if isinstance(code, str) and code:
        return code in _PG_TRANSIENT or code.startswith("08")
    args = getattr(orig, "args", ())
    if args and isinstance(args[0], int) and not isinstance(args[0], bool):
        return args[0] in _MY_TRANSIENT
    return _cause(exc).startswith(("connection lost", "connection refused", "connection failure", "cannot connect"))


# --------------------------------------------------------------------------- reflection result


@dataclass
class _Table:
    schema: str | None
    name: str
    container: str
    columns: list[dict[str, Any]]
    key_kind: str  # pk | unique | rowid | ctid | ordinal
    key: list[str]
    fks: list[dict[str, Any]] = field(default_factory=list)
    json_cols: list[str] = field(default_factory=list)
    date_col: str | None = None
    comments: dict[str, str] = field(default_factory=dict)
    date_cols: list[str] = field(default_factory=list)  # record_date = the most recent of these
    # foreign keys (by index in ``fks``) to columns other than the referenced table's row key:
    # (schema, table, referenced columns, that table's key columns) to read the key from
    fk_lookups: dict[int, tuple[str | None, str, list[str], list[str]]] = field(default_factory=dict)
    uniques: list[frozenset[str]] = field(default_factory=list)  # column sets of the unique constraints and indexes
    only: bool = False  # PostgreSQL: a parent of (classic) inheritance children, read without their rows
    denied: str = ""  # why the table's definition could not be read (its unit fails with this)
    history_end: str = ""  # MariaDB system-versioned table: the column ending each row's period (ROW_END)
    rls: bool = False  # PostgreSQL: row-level security applies to this account (rows may be hidden)

    @property
    def splittable(self) -> bool:
        return self.key_kind in ("pk", "unique", "rowid")


def _is_json_type(t: Any) -> bool:
    return isinstance(t, sa.JSON) or type(t).__name__.upper() in ("JSON", "JSONB")


def _is_date_type(t: Any) -> bool:
    try:
        return issubclass(t._type_affinity, (sa.Date, sa.DateTime))  # type: ignore[union-attr]
    except Exception:  # noqa: BLE001
        return False


def _may_hold_dates(t: Any, dname: str) -> bool:
    """A column type that holds dates: a date/timestamp type; on SQLite also TEXT or no type
    (SQLite has no date type: ``created_at TEXT`` is the common way to store one)."""
    if _is_date_type(t):
        return True
    return dname == "sqlite" and (t is None or isinstance(t, (sa.String, sa.types.NullType)))


def _date_columns(columns: list[dict[str, Any]], dname: str, configured: Sequence[str]) -> list[str]:
    """The row-date columns of a table, most preferred first (see the module docstring)."""
    names = [c["name"] for c in columns]
    if configured:
        by_lower = {n.lower(): n for n in names}
        got = [by_lower[str(w).lower()] for w in configured if str(w).lower() in by_lower]
        if got:
            return list(dict.fromkeys(got))
    dated = [c["name"] for c in columns
             if _may_hold_dates(c.get("type"), dname) and not _NOT_ROW_DATE.search(c["name"])]
    out: list[str] = []
    for word in _DATE_NAMES:
        out.extend(n for n in dated if word in n.lower() and n not in out)
    return out


# --------------------------------------------------------------------------- the connector


class SqlConnector(BaseConnector):
    """Any SQLAlchemy database: tables as key-range units, rows as records."""

    store = "sql"
    _live = ("_engine", "_catalog")

    def __init__(self, name: str, config: Mapping[str, Any]) -> None:
        super().__init__(name, config)
        if not self.config.get("url"):
            raise ConfigError(f"source {name!r}: 'url' is required (an SQLAlchemy URL)")
        cr = self.config.get("chunk_rows", DEFAULT_CHUNK_ROWS)
        if not isinstance(cr, int) or isinstance(cr, bool) or cr < 1:
            raise ConfigError(f"source {name!r}: 'chunk_rows' must be a positive integer")
        for k in ("schemas", "include", "exclude", "date_columns"):
            v = self.config.get(k)
            if v is not None and (isinstance(v, str) or not isinstance(v, (list, tuple))):
                raise ConfigError(f"source {name!r}: {k!r} must be a list of strings")
        lt = self.config.get("lock_timeout", DEFAULT_LOCK_TIMEOUT)
        if not isinstance(lt, (int, float)) or isinstance(lt, bool) or lt < 0:
            raise ConfigError(f"source {name!r}: 'lock_timeout' must be a number of seconds (0: the server's default)")
        self.lock_timeout: float = float(lt)
        if self.config.get("boundaries", "auto") not in ("auto", "window", "offset"):
            raise ConfigError(f"source {name!r}: 'boundaries' must be auto, window or offset")
        self.chunk_rows: int = cr
        self.skipped: Counter[tuple[str, str, str]] = Counter()
        self._blob_problems: list[str] = []  # document blobs of the unit being read that were not fully read
        self._engine: Engine | None
        self._catalog: list[_Table] | None

    # ------------------------------------------------------------------ engine and session

    def url(self) -> URL:
        """The configured URL with ``${NAME}`` references expanded (holds the password: never show it)."""
        raw = str(self.config["url"]).strip()
        whole = _ENV_REF.fullmatch(raw)
        if whole:
            raw = self._env(whole.group(1))
        try:
            url = make_url(raw)
        except Exception:  # noqa: BLE001 - the message would echo the URL
            raise ConfigError(f"source {self.name!r}: 'url' is not a valid SQLAlchemy URL") from None
        changes: dict[str, Any] = {}
        for attr in ("username", "password", "host", "database"):
            v = getattr(url, attr)
            if isinstance(v, str) and "${" in v:
                changes[attr] = _ENV_REF.sub(lambda m: self._env(m.group(1)), v)
        if any("${" in str(v) for v in url.query.values()):
            changes["query"] = {
                k: (_ENV_REF.sub(lambda m: self._env(m.group(1)), v) if isinstance(v, str) else v)
                for k, v in url.query.items()
            }
        return url.set(**changes) if changes else url

    def safe_url(self) -> str:
        """The URL for messages: password hidden."""
        try:
            return self.url().render_as_string(hide_password=True)
        except ConfigError:
            return "<invalid url>"

    def _env(self, name: str) -> str:
        value = os.environ.get(name)
        if value is None:
            raise ConfigError(f"source {self.name!r}: environment variable {name} (used in 'url') is not set")
        return value

    def _get_engine(self) -> Engine:
        if self._engine is not None:
            return self._engine
        url = self.url()
        backend = url.get_backend_name()
        kwargs: dict[str, Any] = {}
        if backend == "sqlite":
            url = _sqlite_read_only(url)
            if self.lock_timeout:
                kwargs["connect_args"] = {"timeout": self.lock_timeout}
        else:
            kwargs["pool_pre_ping"] = True
        try:
            engine = engine_for(url, **kwargs)
        except ModuleNotFoundError as exc:
            raise ConfigError(f"source {self.name!r}: the database driver {exc.name!r} is not installed "
                              f"(pip install psycopg2-binary / pymysql / ...)") from None
        except Exception as exc:  # noqa: BLE001 - messages may echo the URL
            raise ConfigError(f"source {self.name!r}: cannot use {self.safe_url()}: {type(exc).__name__}") from None
        event.listen(engine, "connect", _on_connect(backend, self.lock_timeout))
        self._engine = engine
        return engine

    @contextmanager
    def session(self) -> Iterator[Connection]:
        """A read-only connection (see the module docstring), closed (rolled back) at the end."""
        engine = self._get_engine()
        try:
            conn = engine.connect()
        except sa.exc.DBAPIError as exc:
            err = TransientError if _transient(exc) else ConnectorError
            raise err(f"cannot connect to {self.safe_url()}: {_cause(exc)}") from None
        except sa.exc.SQLAlchemyError as exc:
            raise ConnectorError(f"cannot connect to {self.safe_url()}: {type(exc).__name__}") from None
        with conn:
            if engine.dialect.name in ("mysql", "mariadb"):
                with self._guard("session"):
                    conn.exec_driver_sql("START TRANSACTION READ ONLY")
            yield conn

    @contextmanager
    def _guard(self, what: str) -> Iterator[None]:
        try:
            yield
        except ConnectorError:
            raise
        except sa.exc.DBAPIError as exc:
            err = TransientError if _transient(exc) else ConnectorError
            raise err(f"sql source {self.name}, {safe_name(what)}: {_cause(exc)}") from None
        except sa.exc.SQLAlchemyError as exc:
            raise ConnectorError(f"sql source {self.name}, {safe_name(what)}: {type(exc).__name__}") from None

    # ------------------------------------------------------------------ reflection

    def _wanted(self, schema: str | None, table: str) -> bool:
        names = [table.lower(), f"{schema}.{table}".lower() if schema else table.lower()]
        inc = [p.lower() for p in self.config.get("include") or []]
        exc = [p.lower() for p in self.config.get("exclude") or []]
        if inc and not any(fnmatch.fnmatchcase(n, p) for n in names for p in inc):
            return False
        return not any(fnmatch.fnmatchcase(n, p) for n in names for p in exc)

    def _schemas(self, conn: Connection, insp: Any) -> list[str]:
        configured = self.config.get("schemas")
        if configured:  # the missing ones are failed units (units())
            known = set(insp.get_schema_names())
            return [str(s) for s in configured if str(s) in known]
        if conn.dialect.name in ("mysql", "mariadb") and conn.engine.url.database:
            return [conn.engine.url.database]
        return [s for s in insp.get_schema_names()
                if s.lower() not in SYSTEM_SCHEMAS and not s.lower().startswith("pg_")]

    def _reflect(self, conn: Connection) -> list[_Table]:
        dname = conn.dialect.name
        insp = sa.inspect(conn)
        partitions: set[tuple[str, str]] = set()
        parents: set[tuple[str, str]] = set()
        if dname == "postgresql" and (conn.dialect.server_version_info or (0,)) >= (10,):
            partitions = {(s, t) for s, t in conn.exec_driver_sql(
                "SELECT n.nspname, c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                "WHERE c.relispartition")}
        rls: set[tuple[str, str]] = set()
        if dname == "postgresql":  # row-level security that this account does not bypass (owner without FORCE does)
            with self._guard("catalog"), _savepoint(conn):
                rls = {(s, t) for s, t in conn.exec_driver_sql(
                    "SELECT n.nspname, c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                    "WHERE c.relrowsecurity AND c.relkind IN ('r', 'p') "
                    "AND NOT (SELECT r.rolsuper OR r.rolbypassrls FROM pg_roles r WHERE r.rolname = current_user) "
                    "AND (c.relforcerowsecurity OR NOT pg_has_role(current_user, c.relowner, 'USAGE'))")}
        if dname == "postgresql":  # classic inheritance: a SELECT on the parent returns its children's rows too
            parents = {(s, t) for s, t in conn.exec_driver_sql(
                "SELECT DISTINCT n.nspname, c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhparent "
                "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relkind = 'r'")}
        out: list[_Table] = []
        for schema in self._schemas(conn, insp):
            names = [n for n in insp.get_table_names(schema=schema)
                     if (schema, n) not in partitions and self._wanted(schema, n)]
            if not names:
                continue

            denied: dict[str, str] = {}  # table -> why its definition could not be read

            def multi(meth: str) -> dict[tuple[str | None, str], Any]:
                readable = [n for n in names if n not in denied]  # a denied table fails every later batch too
                if not readable:
                    return {}
                try:
                    with _reflecting(conn):
                        got = getattr(insp, meth)(schema=schema, filter_names=readable)
                except NotImplementedError:
                    return {}
                except sa.exc.DBAPIError as exc:
                    if _transient(exc):
                        raise
                    # one table's definition the account may not read (MySQL's SHOW CREATE TABLE under a
                    # column-level grant) fails the batch: table by table, so only that one fails
                    got = {}
                    single = meth.replace("get_multi_", "get_")
                    for n in readable:
                        try:
                            with _reflecting(conn):
                                got[(schema, n)] = getattr(insp, single)(n, schema=schema)
                        except sa.exc.DBAPIError as one:
                            if _transient(one):
                                raise
                            denied[n] = _cause(one)
                return {(s if s is not None else schema, t): v for (s, t), v in got.items()}

            cols = multi("get_multi_columns")
            pks = multi("get_multi_pk_constraint")
            fks = multi("get_multi_foreign_keys")
            idx = multi("get_multi_indexes")
            ucs = multi("get_multi_unique_constraints")
            ddls: dict[str, str] = {}
            referenced = {fk.get("referred_table"): True for v in fks.values() for fk in v or ()}
            if dname == "sqlite":  # column comments live in the CREATE TABLE text (sqlite_column_comments)
                master = '"' + schema.replace('"', '""') + '".sqlite_master'
                ddls = {n: d or "" for n, d in conn.exec_driver_sql(
                    f"SELECT name, sql FROM {master} WHERE type = 'table'")}
            for name in sorted(names):
                k = (schema, name)
                if name in denied:
                    t = _Table(schema, name, _container(schema, name), [], "ordinal", [])
                    t.denied = denied[name]
                    out.append(t)
                    continue
                columns = cols.get(k, [])
                t = self._describe(dname, insp, schema, name, columns, pks.get(k) or {},
                                   fks.get(k) or [], idx.get(k) or [], ucs.get(k) or [])
                t.only = (schema, name) in parents
                t.rls = (schema, name) in rls
                if ddls.get(name):
                    t.comments.update(sqlite_column_comments(ddls[name], [c["name"] for c in columns]))
                if dname == "sqlite" and referenced.get(name):  # a column's own UNIQUE is reflected by no inspector call
                    t.uniques += _sqlite_unique_sets(conn, schema, name)
                out.append(t)
        if dname in ("mysql", "mariadb"):
            _versioned_tables(conn, out)
        _infer_references(out)
        _key_references(out)
        self._catalog = out
        return out

    def _describe(self, dname: str, insp: Any, schema: str, name: str, columns: list[dict[str, Any]],
                  pk: dict[str, Any], fks: list[dict[str, Any]], idx: list[dict[str, Any]],
                  ucs: list[dict[str, Any]]) -> _Table:
        colnames = [c["name"] for c in columns]
        key_kind, key = "ordinal", []
        uniques = [frozenset(u.get("column_names") or ()) for u in ucs] + [
            frozenset(ix.get("column_names") or ()) for ix in idx if ix.get("unique")
            and not any(k.endswith("_where") and v is not None for k, v in (ix.get("dialect_options") or {}).items())]
        if pk.get("constrained_columns"):
            uniques.append(frozenset(pk["constrained_columns"]))
            key_kind, key = "pk", list(pk["constrained_columns"])
        else:
            notnull = {c["name"] for c in columns if not c.get("nullable", True)}
            cands = [list(u.get("column_names") or []) for u in ucs]
            for ix in idx:
                opts = ix.get("dialect_options") or {}
                if ix.get("unique") and not any(k.endswith("_where") and v is not None for k, v in opts.items()):
                    cands.append(list(ix.get("column_names") or []))
            cands = [c for c in cands if c and all(n is not None and n in notnull for n in c)]
            if cands:
                key_kind, key = "unique", min(cands, key=len)
            elif dname == "sqlite":
                loc = next(n for n in ("rowid", "_rowid_", "oid") if n not in colnames)
                key_kind, key = "rowid", [loc]
            elif dname == "postgresql":
                key_kind, key = "ctid", ["ctid"]
        container = _container(schema, name)
        fk_out = []
        for fk in fks:
            if not fk.get("constrained_columns") or not fk.get("referred_table"):
                continue
            ref_schema = fk.get("referred_schema") or (insp.default_schema_name if dname == "postgresql" else schema)
            fk_out.append({
                "kind": "foreign_key", "name": fk.get("name"), "container": container,
                "columns": list(fk["constrained_columns"]),
                "ref_container": _container(ref_schema, fk["referred_table"]),
                "ref_columns": list(fk.get("referred_columns") or []),
            })
        json_cols = [c["name"] for c in columns if _is_json_type(c.get("type"))]
        date_cols = _date_columns(columns, dname, self._configured_dates(container))
        comments = {c["name"]: str(c["comment"]) for c in columns if c.get("comment")}
        t = _Table(schema, name, container, columns, key_kind, key, fk_out, json_cols,
                   date_cols[0] if date_cols else None, comments, date_cols)
        t.uniques = [u for u in uniques if u and None not in u]
        return t

    def _configured_dates(self, container: str) -> list[str]:
        """``date_columns``/``date_column`` for a table: the most specific matching
        ``containers`` pattern that sets them (longest pattern last, as the policy reads
        them), else the source's."""
        def listed(table: Mapping[str, Any]) -> list[str] | None:
            v = table.get("date_columns", table.get("date_column"))
            if v is None:
                return None
            if isinstance(v, str):
                return [v]
            if isinstance(v, (list, tuple)) and all(isinstance(x, str) for x in v):
                return list(v)
            raise ConfigError(f"source {self.name!r}: date_columns must be a column name or a list of names")

        out = listed(self.config) or []
        containers = self.config.get("containers")
        if isinstance(containers, Mapping):
            for pat in sorted(containers, key=len):
                sub = containers[pat]
                if isinstance(sub, Mapping) and fnmatch.fnmatchcase(container, pat):
                    out = listed(sub) or out
        return out

    def _tables(self) -> list[_Table]:
        if self._catalog is None:
            with self.session() as conn, self._guard("catalog"):
                self._reflect(conn)
        return self._catalog or []

    def dependencies(self) -> list[dict[str, Any]]:
        """The foreign keys of the scanned tables (see the module docstring)."""
        return [dict(fk) for t in self._tables() for fk in t.fks]

    def column_hints(self) -> dict[tuple[str, str], str]:
        """``{(container, column): comment}`` for every commented column."""
        return {(t.container, col): text for t in self._tables() for col, text in t.comments.items()}

    def field_hints(self, unit: Unit) -> dict[str, str]:
        """Hints for the worker: ``{column: "column comment"}`` from the unit's params (no I/O).

        An array element or a JSON leaf of a commented column (``x2[0]``, ``x3$.id``) gets
        its column's comment from ``get()`` too (see :class:`ColumnHints`).
        """
        return ColumnHints({col: f"{col} {text}" for col, text in unit.param("hints") or ()})

    # ------------------------------------------------------------------ units

    def units(self) -> Iterator[Unit]:
        with self.session() as conn:
            with self._guard("catalog"):
                tables = self._reflect(conn)
                configured = [str(x) for x in self.config.get("schemas") or ()]
                known = set(sa.inspect(conn).get_schema_names()) if configured else set()
            for schema in configured:
                if schema not in known:  # a typo or a schema the account cannot see: reported, not "complete"
                    yield Unit(self.name, _container(None, schema) + ".*", self.fingerprint(_FP_VERSION, "missing", uuid.uuid4().hex),
                               (("schema", schema), ("container", _container(None, schema)), ("missing_schema", True)), 0)
            for t in tables:
                if t.denied:
                    yield self._unit(t, None, None, self.fingerprint(_FP_VERSION, "denied", uuid.uuid4().hex), 0)
                    continue
                if t.history_end:
                    yield self._history_unit(conn, t)
                try:
                    with self._guard(f"table {t.container}"):
                        units = list(self._table_units(conn, t))
                except ConnectorError:
                    with self._guard("session"):
                        _restart(conn)
                    # listed anyway: the read records the real cause, the rest of the scan goes on
                    units = [self._unit(t, None, None, self.fingerprint(_FP_VERSION, "unknown", uuid.uuid4().hex), 0)]
                yield from units

    def _unit(self, t: _Table, lo: tuple[Any, ...] | None, hi: tuple[Any, ...] | None, fp: str, size: int) -> Unit:
        key = t.container
        if lo is not None or hi is not None:
            cols = t.key[0] if len(t.key) == 1 else "(" + ",".join(_quote_part(c) for c in t.key) + ")"

            def vals(v: tuple[Any, ...]) -> str:
                parts = [_quote_part(_key_text(_dec(x))) for x in v]
                return parts[0] if len(parts) == 1 else "(" + ",".join(parts) + ")"

            if lo is None:
                key += f"[{cols}<{vals(hi)})"  # type: ignore[arg-type]
            elif hi is None:
                key += f"[{cols}>={vals(lo)})"
            else:
                key += f"[{cols}>={vals(lo)},<{vals(hi)})"
        hints = []
        budget = 6000
        for col, text in t.comments.items():
            text = text[:_MAX_HINT_CHARS]
            budget -= len(col) + len(text)
            if budget < 0:
                break
            hints.append((col, text))
        params: tuple[tuple[str, Any], ...] = (
            ("schema", t.schema), ("table", t.name), ("container", t.container),
            ("key_kind", t.key_kind), ("key", tuple(t.key)), ("lower", lo), ("upper", hi),
            ("json", tuple(t.json_cols)), ("date_column", t.date_col), ("date_columns", tuple(t.date_cols)),
            ("fks", tuple((tuple(f["columns"]), f["ref_container"], tuple(f["ref_columns"])) for f in t.fks)),
            ("hints", tuple(hints)),
        )
        if t.only:
            params += (("only", True),)
        if t.denied:
            params += (("denied", t.denied),)
        if t.rls:
            params += (("rls", True),)
        if t.fk_lookups:
            params += (("fk_lookups", tuple((i, s, n, tuple(rc), tuple(k)) for i, (s, n, rc, k) in sorted(t.fk_lookups.items()))),)
        return Unit(self.name, key, fp, params, size)

    def _sa_table(self, t_schema: str | None, t_name: str, names: Iterable[str], only: bool = False) -> Any:
        tbl = sa.table(t_name, *[sa.column(n) for n in dict.fromkeys(names)], schema=t_schema).alias(_ALIAS)
        if only:
            _ONLY.add(tbl)
        return tbl

    def _table_units(self, conn: Connection, t: _Table) -> Iterator[Unit]:
        dname = conn.dialect.name
        colnames = [c["name"] for c in t.columns]
        tbl = self._sa_table(t.schema, t.name, colnames + (t.key if t.key_kind in ("rowid", "ctid") else []), t.only)
        keycols = [tbl.c[k] for k in t.key]
        colsig = [(c["name"], type(c.get("type")).__name__) for c in t.columns]
        ranges: list[tuple[tuple[Any, ...] | None, tuple[Any, ...] | None]] = [(None, None)]
        if t.splittable:
            total = conn.execute(sa.select(sa.func.count()).select_from(tbl).with_hint(tbl, "ONLY", _only(tbl))).scalar() or 0
            if total > self.chunk_rows:
                bounds = self._boundaries(conn, tbl, keycols)
                if bounds:
                    edges: list[tuple[Any, ...] | None] = [None, *bounds, None]
                    ranges = list(zip(edges[:-1], edges[1:]))
        checksum = self._checksum_expr(conn, tbl, colnames) if self.config.get("checksum", True) else None
        for lo, hi in ranges:
            where = self._range_where(dname, keycols, lo, hi)
            cols = [sa.func.count()] + ([checksum] if checksum is not None else [])
            row = conn.execute(sa.select(*cols).select_from(tbl).with_hint(tbl, "ONLY", _only(tbl)).where(*where)).one()
            count, ck = row[0], (row[1] if checksum is not None else None)
            ends = []
            if t.splittable and count:
                for order in ([c.asc() for c in keycols], [c.desc() for c in keycols]):
                    r = conn.execute(sa.select(*keycols).select_from(tbl).with_hint(tbl, "ONLY", _only(tbl)).where(*where).order_by(*order).limit(1)).first()
                    ends.append(render_item(t.key, list(r)) if r is not None else "")
            # the date columns only when there are some: tables without dates keep their fingerprints
            dates = [("dates", t.date_cols)] if t.date_cols else []
            # how references are read, when that is not the declared way (tables without keep their fingerprints)
            refs = [("refs", sorted((i, *v[:2], v[3]) for i, v in t.fk_lookups.items()))] if t.fk_lookups else []
            # references inferred by name (_infer_references), and row-level security, only where there are some
            inferred = sorted(f"{fk['ref_container']}:{','.join(fk['columns'])}" for fk in t.fks if fk.get("inferred"))
            fp = self.fingerprint(_FP_VERSION, colsig, t.key_kind, t.key, count, ends, text_value(ck), *dates, *refs,
                                  *(("rls",) if t.rls else ()), *([("inferred", inferred)] if inferred else []))
            yield self._unit(t, lo, hi, fp, int(count))

    def _boundaries(self, conn: Connection, tbl: Any, keycols: list[Any]) -> list[tuple[Any, ...]]:
        n = self.chunk_rows
        mode = self.config.get("boundaries", "auto")
        if mode == "auto":
            mode = "window" if _has_window_functions(conn) else "offset"
        raw: list[tuple[Any, ...]] = []
        if mode == "window":
            labelled = [c.label(f"k{i}") for i, c in enumerate(keycols)]
            rn = sa.func.row_number().over(order_by=keycols).label("rn")
            inner = sa.select(*labelled, rn).select_from(tbl).with_hint(tbl, "ONLY", _only(tbl)).subquery("pii_scan_k")
            q = (sa.select(*[inner.c[f"k{i}"] for i in range(len(keycols))])
                 .where((inner.c.rn - 1) % n == 0, inner.c.rn > 1).order_by(inner.c.rn))
            raw = [tuple(r) for r in conn.execution_options(stream_results=True, yield_per=FETCH_ROWS).execute(q)]
        else:  # keyset walk: the key n rows after the previous boundary, read from the index
            lo: tuple[Any, ...] | None = None
            dname = conn.dialect.name
            while True:
                q = (sa.select(*keycols).select_from(tbl).with_hint(tbl, "ONLY", _only(tbl)).where(*self._range_where(dname, keycols, lo, None))
                     .order_by(*keycols).limit(1).offset(n))
                r = conn.execute(q).first()
                if r is None:
                    break
                lo = tuple(_enc(v) for v in r)
                raw.append(tuple(r))
        if len(keycols) == 1 and raw and all(isinstance(b[0], int) and not isinstance(b[0], bool) for b in raw):
            low = conn.execute(sa.select(sa.func.min(keycols[0])).select_from(tbl).with_hint(tbl, "ONLY", _only(tbl))).scalar()
            if isinstance(low, int):
                raw = [(b,) for b in round_boundaries([b[0] for b in raw], low)]
        return [tuple(_enc(v) for v in b) for b in raw]

    def _range_where(self, dname: str, keycols: list[Any], lo: Sequence[Any] | None, hi: Sequence[Any] | None) -> list[Any]:
        row_values = self.config.get("row_values")
        if row_values is None:
            row_values = dname in ("postgresql", "sqlite")
        out = []
        for bound, op in ((lo, ">="), (hi, "<")):
            if bound is None:
                continue
            vals = [_dec(v) for v in bound]
            if len(keycols) == 1:
                out.append(keycols[0] >= vals[0] if op == ">=" else keycols[0] < vals[0])
                continue
            if row_values:
                lhs, rhs = sa.tuple_(*keycols), sa.tuple_(*[sa.literal(v) for v in vals])
                out.append(lhs >= rhs if op == ">=" else lhs < rhs)
                continue
            strict = (lambda c, v: c > v) if op == ">=" else (lambda c, v: c < v)
            last = (lambda c, v: c >= v) if op == ">=" else (lambda c, v: c < v)
            alts = []
            for i in range(len(keycols)):
                eqs = [keycols[j] == vals[j] for j in range(i)]
                cmp = last if i == len(keycols) - 1 else strict
                alts.append(sa.and_(*eqs, cmp(keycols[i], vals[i])))
            lead = keycols[0] >= vals[0] if op == ">=" else keycols[0] <= vals[0]
            out.append(sa.and_(lead, sa.or_(*alts)))
        return out

    def _checksum_expr(self, conn: Connection, tbl: Any, colnames: list[str]) -> Any:
        dname = conn.dialect.name
        if dname == "postgresql":
            if (conn.dialect.server_version_info or (0,)) < (11,):
                return None
            row = sa.func.hashtextextended(sa.cast(sa.literal_column(f"ROW({_ALIAS}.*)"), sa.Text), 0)
            return sa.func.coalesce(sa.func.sum(row), 0)
        cols = [tbl.c[n] for n in colnames]
        if not cols:
            return None
        if dname in ("mysql", "mariadb"):
            args: list[Any] = []
            for c in cols:
                args += [sa.func.isnull(c), c]
            return sa.func.coalesce(sa.func.sum(sa.func.crc32(sa.func.concat_ws("|", *args))), 0)
        if dname == "sqlite":
            groups = [sa.func.pii_scan_crc(*cols[i:i + 100]) for i in range(0, len(cols), 100)]
            expr = groups[0] if len(groups) == 1 else sa.func.pii_scan_crc(*groups)
            return sa.func.coalesce(sa.func.sum(expr), 0)
        return None

    # ------------------------------------------------------------------ read

    def read(self, unit: Unit) -> Iterator[Record]:
        p = dict(unit.params)
        if p.get("missing_schema"):
            raise ConnectorError(f"sql source {self.name}, schema {safe_name(p['schema'])}: the configured schema "
                                 "does not exist or is not visible to this account (names are case-sensitive)")
        container: str = p["container"]
        if p.get("denied"):
            raise ConnectorError(f"sql source {self.name}, table {safe_name(container)}: its definition cannot be "
                                 f"read by this account: {p['denied']}")
        key_kind: str = p["key_kind"]
        key: list[str] = list(p["key"])
        json_cols = set(p.get("json") or ())
        if p.get("history"):
            yield from self._read_history(p, container, key if key_kind in ("pk", "unique") else [], json_cols)
            return
        date_cols = list(p.get("date_columns") or ([p["date_column"]] if p.get("date_column") else []))
        fks = [(list(c), rc, list(rcols)) for c, rc, rcols in p.get("fks") or ()]
        lookups = {int(i): (s, n, list(rc), list(k)) for i, s, n, rc, k in p.get("fk_lookups") or ()}
        self._blob_problems = []
        yield from self._read_rows(p, container, key_kind, key, json_cols, date_cols, fks, lookups)
        problems, self._blob_problems = self._blob_problems, []
        if p.get("rls"):
            problems.insert(0, "rows that row-level security policies hide from this account (grant it BYPASSRLS, "
                               "or scan as the table's owner)")
        if problems:
            from connectors.formats.core import PartialRead

            raise PartialRead(container, problems[:10], len(problems))

    def _read_rows(self, p: dict[str, Any], container: str, key_kind: str, key: list[str], json_cols: set[str],
                   date_cols: list[str], fks: list[tuple[list[str], str, list[str]]],
                   lookups: dict[int, tuple[str | None, str, list[str], list[str]]]) -> Iterator[Record]:
        with self._guard(f"table {container}"), self.session() as conn:
            dname = conn.dialect.name
            locator = key_kind in ("rowid", "ctid")
            tbl = self._sa_table(p["schema"], p["table"], key + [c for i in lookups for c in fks[i][0]], bool(p.get("only")))
            keycols = [tbl.c[k] for k in key]
            cols: list[Any] = [keycols[0].label(_LOC)] if locator else []
            # a foreign key to other columns than the referenced row's key: that key, read beside the row
            # (one index lookup per row), so the reference names the row as its own location does
            fk_at: dict[int, list[int]] = {}
            lead = list(cols)
            for i, (r_schema, r_name, r_cols, r_key) in sorted(lookups.items()):
                rtbl = sa.table(r_name, *[sa.column(n) for n in dict.fromkeys(r_cols + r_key)], schema=r_schema).alias(f"pii_scan_r{i}")
                match = [rtbl.c[rc] == tbl.c[c] for c, rc in zip(fks[i][0], r_cols)]
                fk_at[i] = []
                for j, k in enumerate(r_key):
                    fk_at[i].append(len(cols))
                    cols.append(sa.select(rtbl.c[k]).where(*match).limit(1).scalar_subquery().label(f"pii_scan_fk{i}_{j}"))
            where = self._range_where(dname, keycols, p.get("lower"), p.get("upper"))
            # MariaDB/MySQL take a bare * only first
            q = sa.select(*cols, sa.literal_column(f"{_ALIAS}.*" if lookups else "*")).select_from(tbl).with_hint(tbl, "ONLY", _only(tbl)).where(*where)
            try:
                result = conn.execution_options(stream_results=True, yield_per=FETCH_ROWS).execute(q)
            except sa.exc.DBAPIError as exc:
                if not lookups or _transient(exc):
                    raise
                # the referenced table is not readable to this account (or was dropped since the listing):
                # the rows themselves still are, their references name the referenced columns as declared;
                # an error of the table itself comes again below, with its own cause
                _restart(conn)
                cols, fk_at, lookups = lead, {}, {}
                q = sa.select(*cols, sa.literal_column("*")).select_from(tbl).with_hint(tbl, "ONLY", _only(tbl)).where(*where)
                result = conn.execution_options(stream_results=True, yield_per=FETCH_ROWS).execute(q)
            names = list(result.keys())
            first = len(cols)
            pos = {n: i for i, n in enumerate(names) if i >= first}
            key_pos = [pos[k] for k in key] if key_kind in ("pk", "unique") else []
            date_pos = [pos[c] for c in date_cols if c in pos]
            # The per-row work below is the worker's read cost (benchmarks/worker_split.py): the
            # common cases are inlined, everything else goes the general way (render_item,
            # _fields, _row_dates), with the same results.
            cols_ = [(i, names[i], names[i] in json_cols) for i in range(first, len(names))]
            keyed = key_kind in ("pk", "unique")
            # one key column (or a locator): ``name=`` + the value, as render_item writes it
            item_pos = (key_pos[0] if keyed else 0) if (keyed and len(key) == 1) or (locator and key) else -1
            item_prefix = _quote_part(key[0]) + "=" if item_pos >= 0 else ""
            one_date = date_pos[0] if len(date_pos) == 1 else -1
            store, source, fields_of = self.store, self.name, self._fields
            for ordinal, row in enumerate(result, 1):
                if item_pos >= 0:
                    v = row[item_pos]
                    item = item_prefix + (str(v) if type(v) is int else _quote_part(_key_text(v)))
                elif keyed:
                    item = render_item(key, [row[i] for i in key_pos])
                elif locator:
                    item = render_item(key, [row[0]])
                else:
                    item = f"row={ordinal}"
                fields: list[tuple[str, str]] = []
                add = fields.append
                for i, name, json_col in cols_:
                    v = row[i]
                    if v is None:
                        continue
                    t = type(v)
                    if t is str:
                        if v and not json_col and v[0] not in _JSON_START:
                            add((name, v))
                            continue
                    elif t is int:
                        add((name, str(v)))
                        continue
                    elif t is datetime:
                        add((name, v.isoformat()))
                        continue
                    fields.extend(fields_of(container, name, v, json_col))
                refs: list[Reference] = []
                for n, (fcols, ref_container, ref_cols) in enumerate(fks):
                    vals = [row[pos[c]] for c in fcols if c in pos]
                    if len(vals) == len(fcols) and all(v is not None for v in vals) and ref_cols:
                        if n in fk_at:  # the referenced row's key, if the row is there
                            keyvals = [row[i] for i in fk_at[n]]
                            ref_item = render_item(lookups[n][3], keyvals) if all(v is not None for v in keyvals) \
                                else render_item(ref_cols, vals)
                        else:
                            ref_item = render_item(ref_cols, vals)
                        refs.append(Reference(ref_container, ref_item, ",".join(fcols)))
                rdate: datetime | None
                written: datetime | None
                if one_date >= 0 and type(d := row[one_date]) is datetime and d.tzinfo is None:
                    rdate = written = d  # what _row_dates gives for one naive timestamp
                else:
                    rdate, written = _row_dates(row, date_pos)
                yield Record(
                    Location(store, source, container, item), fields, True,
                    written.date() if written else None, tuple(refs), rdate,
                )

    def _fields(self, container: str, name: str, value: Any, json_col: bool) -> Iterator[tuple[str, str]]:
        if type(value) is str and value and not json_col and value[:1] not in _JSON_START:  # the common case first
            yield name, value
        elif type(value) is int:
            yield name, str(value)
        elif isinstance(value, dict) or (json_col and isinstance(value, list)):
            yield from json_leaves(name + "$", value)
        elif isinstance(value, (list, tuple)):  # PostgreSQL arrays
            for i, v in enumerate(value):
                if v is not None:
                    yield from self._fields(container, f"{name}[{i}]", v, False)
        elif isinstance(value, (bytes, bytearray, memoryview)):
            data = bytes(value)  # (a memoryview, as psycopg2 gives a bytea, is copied once)
            text, how = sniff_bytes(data)
            if text is None and how in _DOCUMENT_BLOBS:
                text = self._document_text(container, name, data, how)
            if text is None:
                self.skipped[(container, name, how)] += 1
            elif text:
                yield from self._fields(container, name, text, json_col)
        elif isinstance(value, str):
            parsed = _maybe_json(value) if (json_col or value[:1] in _JSON_START) else None
            if parsed is not None:
                yield from json_leaves(name + "$", parsed)
            elif value:
                yield name, value
        else:
            t = text_value(value)
            if t:
                yield name, t


    def _history_sql(self, conn: Connection, schema: str | None, table: str, end: str, what: str) -> str:
        q = conn.dialect.identifier_preparer.quote
        name = (q(schema) + "." if schema else "") + q(table)
        return f"SELECT {what} FROM {name} FOR SYSTEM_TIME ALL WHERE {q(end)} < NOW(6)"

    def _history_unit(self, conn: Connection, t: _Table) -> Unit:
        """The unit of a system-versioned table's history: its ended row versions, fingerprinted by
        their count and latest end (a new version or a purged history changes them)."""
        try:
            with self._guard(f"table {t.container} history"):
                n, last = conn.exec_driver_sql(
                    self._history_sql(conn, t.schema, t.name, t.history_end, f"COUNT(*), MAX({conn.dialect.identifier_preparer.quote(t.history_end)})")
                ).one()
                fp = self.fingerprint(_FP_VERSION, "history", int(n or 0), str(last))
        except ConnectorError:
            with self._guard("session"):
                _restart(conn)
            fp, n = self.fingerprint(_FP_VERSION, "history", uuid.uuid4().hex), 0
        base = self._unit(t, None, None, fp, int(n or 0))
        return Unit(self.name, t.container + "#history", fp, base.params + (("history", t.history_end),), base.size)

    def _read_history(self, p: dict[str, Any], container: str, key: list[str], json_cols: set[str]) -> Iterator[Record]:
        """The ended row versions of a system-versioned table (``FOR SYSTEM_TIME ALL``), ``item`` = the row's key
        and when that version ended, as S3's old versions are named (``history 2026-01-15T10:00:00.123456: id=2``:
        not a row key, so nothing takes it for the current row ``id=2``)."""
        end = p["history"]
        with self._guard(f"table {container} history"), self.session() as conn:
            sql = self._history_sql(conn, p["schema"], p["table"], end,
                                    f"*, {conn.dialect.identifier_preparer.quote(end)} AS pii_scan_row_end")
            result = conn.execution_options(stream_results=True, yield_per=FETCH_ROWS).exec_driver_sql(sql)
            names = list(result.keys())
            last = len(names) - 1
            pos = {n: i for i, n in enumerate(names[:last])}
            key_pos = [pos[k] for k in key if k in pos]
            for ordinal, row in enumerate(result, 1):
                ended = row[last]
                when = ended.isoformat() if isinstance(ended, datetime) else str(ended)
                head = render_item(key, [row[i] for i in key_pos]) if key and len(key_pos) == len(key) else f"row={ordinal}"
                fields: list[tuple[str, str]] = []
                for i in range(last):
                    v = row[i]
                    if v is not None and names[i] != end:
                        fields.extend(self._fields(container, names[i], v, names[i] in json_cols))
                written = ended if isinstance(ended, datetime) else None
                yield Record(Location(self.store, self.name, container, f"history {when}: {head}"), fields, True,
                             written.date() if written else None, (), written)

    def _document_text(self, container: str, name: str, data: bytes, how: str) -> str:
        """The text of a document kept in a blob (a PDF, DOCX, XLSX, legacy Office file or
        compressed text), read by the file-format readers; what could not be read is noted
        for the unit (:attr:`_blob_problems`, names and reasons only)."""
        from connectors.formats import read_stream  # here: connectors.formats reads SQLite files with this module

        parts: list[str] = []
        size = 0
        try:
            for rec in read_stream(io.BytesIO(data), "blob", container=container, limits=Limits(),
                                   loc_factory=lambda c, i: Location(self.store, self.name, c, i)):
                for _, text in rec.fields:
                    if text:
                        parts.append(text)
                        size += len(text)
                if size > _MAX_DOCUMENT_CHARS:
                    self._blob_problems.append(f"column {safe_name(name)}: a {how} document's text beyond "
                                               f"{_MAX_DOCUMENT_CHARS} characters not read")
                    break
        except ConnectorError as exc:
            self._blob_problems.append(f"column {safe_name(name)}: a {how} document not fully read ({type(exc).__name__})")
        return "\n".join(parts)


# --------------------------------------------------------------------------- helpers


_REF_COLUMN = re.compile(r"(?i)^(.*?[a-zåäö])_?(?:id|nr)$")


def _plural_names(stem: str) -> set[str]:
    """The names a table of ``stem`` things may have: ``customer`` -> customers, ``kund`` -> kunder,
    ``faktura`` -> fakturor, ``category`` -> categories, ``order`` -> orders, or the stem itself."""
    s = stem.lower()
    out = {s, s + "s", s + "es", s + "er", s + "ar", s + "r"}
    if s.endswith("a"):
        out.add(s[:-1] + "or")
    if s.endswith("y"):
        out.add(s[:-1] + "ies")
    if s.endswith("e"):
        out.add(s + "r")
    return out


def _type_family(t: Any) -> type | None:
    try:
        py = t.python_type
    except Exception:  # noqa: BLE001 - NotImplementedError, or a type that cannot say
        return None
    return int if py in (int, Decimal) else str if py is str else py


def _infer_references(tables: Sequence[_Table]) -> None:
    """Foreign keys by name where none is declared: ``invoices.customer_id`` -> ``customers``.

    Many schemas declare none (MyISAM tables, legacy systems, SQLite files, ORMs that
    leave them out), and an invoice that holds only its customer's id is the
    customer's all the same (a ``related`` row). A column named ``<name>_id``,
    ``<name>id`` or ``<name>_nr`` (any case) that no declared foreign key covers is
    taken for a reference to the one table of the same schema named ``<name>`` or a
    plural of it (:func:`_plural_names`) whose primary key is one column of the same
    type family (numbers or text). The table's own key is no reference; two candidate
    tables, none, or a composite key: no reference.
    """
    by_name: dict[tuple[str | None, str], _Table] = {}
    for t in tables:
        if t.key_kind == "pk" and len(t.key) == 1 and not t.denied:
            by_name[(t.schema, t.name.lower())] = t
    for t in tables:
        declared = {c for fk in t.fks for c in fk["columns"]}
        for col in t.columns:
            name = col["name"]
            if name in declared or t.key == [name]:
                continue
            m = _REF_COLUMN.match(name)
            if m is None:
                continue
            targets = {id(x): x for n in _plural_names(m.group(1)) if (x := by_name.get((t.schema, n))) is not None}
            if len(targets) != 1:
                continue
            target = next(iter(targets.values()))
            if target is t:
                continue
            ref_type = next((c.get("type") for c in target.columns if c["name"] == target.key[0]), None)
            fam, ref_fam = _type_family(col.get("type")), _type_family(ref_type)
            if fam is None or fam != ref_fam:
                continue
            t.fks.append({"kind": "foreign_key", "name": None, "container": t.container, "columns": [name],
                          "ref_container": target.container, "ref_columns": [target.key[0]], "inferred": True})


_PERIOD = re.compile(r"PERIOD FOR SYSTEM_TIME \(`((?:[^`]|``)+)`, `((?:[^`]|``)+)`\)")


def _versioned_tables(conn: Connection, tables: Sequence[_Table]) -> None:
    """Mark MariaDB's system-versioned tables (``WITH SYSTEM VERSIONING``) with the column that ends their
    rows' periods: ``ROW_END`` (invisible), or the one its ``PERIOD FOR SYSTEM_TIME`` names."""
    by_schema: dict[str | None, dict[str, _Table]] = {}
    for t in tables:
        if not t.denied:
            by_schema.setdefault(t.schema, {})[t.name] = t
    for schema, named in by_schema.items():
        try:
            with _savepoint(conn):
                versioned = [n for (n,) in conn.exec_driver_sql(
                    "SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = %s "
                    "AND TABLE_TYPE = 'SYSTEM VERSIONED'", (schema or conn.engine.url.database or "",))]
        except sa.exc.DBAPIError:
            continue  # not MariaDB (MySQL has no such tables), or no catalog access
        q = conn.dialect.identifier_preparer.quote
        for n in versioned:
            vt = named.get(n)
            if vt is None:
                continue
            end = "ROW_END"
            try:
                ddl = conn.exec_driver_sql(f"SHOW CREATE TABLE {(q(schema) + '.') if schema else ''}{q(n)}").one()[1]
                m = _PERIOD.search(ddl or "")
                if m is not None:
                    end = m.group(2).replace("``", "`")
            except sa.exc.DBAPIError:
                pass
            vt.history_end = end


def _key_references(tables: Sequence[_Table]) -> None:
    """Make each foreign key name the referenced row as that row's own item does.

    A reference's item is rendered from the referenced columns. It matches the
    referenced row's location only when those are its row key in the key's order:
    a composite key declared in another order (``(nummer, clearing)`` against the
    key ``(clearing, nummer)``) is put in the key's order; a key to other columns
    (a unique e-mail or customer number while the row is keyed by ``id``, or a table
    keyed by a locator) gets a lookup of the referenced row's key
    (:attr:`_Table.fk_lookups`) when those columns are unique (a constraint or a unique
    index: one row, found through the index; MariaDB and SQLite also accept keys to
    columns that are not). Tables outside the scan are left as declared.
    """
    by_container = {t.container: t for t in tables}
    for t in tables:
        for i, fk in enumerate(t.fks):
            target = by_container.get(fk["ref_container"])
            cols, ref_cols = list(fk["columns"]), list(fk["ref_columns"])
            if target is None or not ref_cols or len(cols) != len(ref_cols) or target.key_kind == "ordinal":
                continue
            if ref_cols == target.key:
                continue
            if target.key_kind in ("pk", "unique") and sorted(ref_cols) == sorted(target.key):
                fk["columns"] = [cols[ref_cols.index(k)] for k in target.key]
                fk["ref_columns"] = list(target.key)
                continue
            if frozenset(ref_cols) in target.uniques:  # one row, found by an index (not a scan per row)
                t.fk_lookups[i] = (target.schema, target.name, ref_cols, list(target.key))


def _sqlite_unique_sets(conn: Connection, schema: str, table: str) -> list[frozenset[str]]:
    """The column sets of a SQLite table's unique indexes, its automatic ones too (``email TEXT UNIQUE``)."""
    def q(name: str) -> str:
        return '"' + name.replace('"', '""') + '"'

    out = []
    for row in conn.exec_driver_sql(f"PRAGMA {q(schema)}.index_list({q(table)})").fetchall():
        name, unique, partial = row[1], row[2], (row[4] if len(row) > 4 else 0)
        if unique and not partial:
            cols = [r[2] for r in conn.exec_driver_sql(f"PRAGMA {q(schema)}.index_info({q(name)})").fetchall()]
            if cols and None not in cols:
                out.append(frozenset(cols))
    return out


_ONLY: weakref.WeakSet[Any] = weakref.WeakSet()  # table aliases read FROM ONLY (PostgreSQL inheritance parents)


def _only(tbl: Any) -> str:
    """The dialect that reads ``tbl`` ``FROM ONLY``: PostgreSQL for a parent of inheritance children, else
    none (a hint for a dialect of no such name is never rendered)."""
    return "postgresql" if tbl in _ONLY else "pii_scan_none"


def _row_dates(row: Sequence[Any], positions: Sequence[int]) -> tuple[datetime | None, datetime | None]:
    """(the most recent, the first in preference order) of a row's date values that read as dates."""
    latest = first = None
    for i in positions:
        d = _as_datetime(row[i])
        if d is not None:
            if first is None:
                first = d
            if latest is None or d > latest:
                latest = d
    return latest, first


def _as_datetime(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        dt = value
    elif isinstance(value, date):
        dt = datetime(value.year, value.month, value.day)
    elif isinstance(value, str):
        try:
            dt = datetime.fromisoformat(value.strip()[:40])
        except ValueError:
            return None
    else:
        return None
    if dt.tzinfo is not None:
        dt = dt.astimezone(timezone.utc).replace(tzinfo=None)
    return dt


def _has_window_functions(conn: Connection) -> bool:
    d = conn.dialect
    v = d.server_version_info or (0,)
    if d.name == "postgresql":
        return True
    if d.name == "sqlite":
        return (d.dbapi.sqlite_version_info if d.dbapi else (0,)) >= (3, 25)  # type: ignore[attr-defined]
    if d.name in ("mysql", "mariadb"):
        return v >= ((10, 2) if getattr(d, "is_mariadb", False) else (8, 0))
    return d.name in ("mssql", "oracle")


def _sqlite_crc(*args: Any) -> int:
    return zlib.crc32(repr(args).encode("utf-8", "surrogatepass"))


def _on_connect(backend: str, lock_timeout: float = 0) -> Any:
    def hook(dbapi_conn: Any, _record: Any) -> None:
        if backend == "sqlite":
            dbapi_conn.execute("PRAGMA query_only = ON")
            dbapi_conn.create_function("pii_scan_crc", -1, _sqlite_crc, deterministic=True)
            return
        sql = {
            "postgresql": ["SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY"],
            "mysql": ["SET SESSION TRANSACTION READ ONLY"],
            "mariadb": ["SET SESSION TRANSACTION READ ONLY"],
        }.get(backend, [])
        if sql and lock_timeout:
            if backend == "postgresql":
                sql.append(f"SET lock_timeout = {max(1, round(lock_timeout * 1000))}")
            else:  # whole seconds; metadata locks (LOCK TABLES, ALTER) and row locks
                secs = max(1, round(lock_timeout))
                sql += [f"SET SESSION lock_wait_timeout = {secs}", f"SET SESSION innodb_lock_wait_timeout = {secs}"]
        if sql:
            cur = dbapi_conn.cursor()
            try:
                for stmt in sql:
                    cur.execute(stmt)
            finally:
                cur.close()
            dbapi_conn.commit()

    return hook


def _sqlite_read_only(url: URL) -> URL:
    """``sqlite:///path`` -> ``sqlite:///file:path?mode=ro&uri=true`` (memory databases unchanged)."""
    db = url.database or ""
    if not db or db == ":memory:" or url.query.get("mode"):
        return url
    query = dict(url.query)
    if not db.startswith("file:"):
        db = "file:" + db.replace("%", "%25").replace("?", "%3f").replace("#", "%23")
    query.update({"mode": "ro", "uri": "true"})
    return url.set(database=db, query=query)
