"""PostgreSQL dumps: the rows of every table a dump holds, as records with their column names.

A database backup left in a share or a bucket (``crm_2021.dump``,
``nightly.sql.gz``) is the whole customer register of its day. Read as
plain text, a COPY block's rows are tab-separated values with no column
names: the detectors lose their hints (``8112289874`` in a ``personnummer``
column) and the values of one customer are not linked. Here each row of a
``COPY schema.table (columns) FROM stdin;`` block becomes a structured record:

* container ``<file>!<schema>.<table>``, item the row's line number in the
  dump's SQL text (stable for an unchanged dump), fields the column names;
* ``\\N`` (NULL) is no value; COPY's escapes (``\\t``, ``\\n``, ``\\\\``, octal
  and hex bytes) are decoded;
* every other line (DDL, ``INSERT`` statements of ``pg_dump --inserts``,
  comments) is read as the lines of a text file are (item = line number,
  field ``text``), so nothing is lost.

Two forms are read:

* the **plain** form (``pg_dump`` with no ``-F``, ``.sql``): known by the
  ``-- PostgreSQL database dump`` comment at its top;
* the **custom** form (``pg_dump -Fc``, ``.dump``): known by its ``PGDMP``
  magic, turned into the plain form by ``pg_restore --data-only`` (Debian's
  ``postgresql-client``) as a program reading a local copy; its output is read
  line by line, never whole. Without ``pg_restore``, or with one older than
  the dump, the unit fails with the reason.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Iterable, Iterator
from typing import IO

from connectors.base import ConnectorError, Record, safe_name
from connectors.formats.core import TEXT_FIELD, Ctx, bounded_fields
from connectors.formats.streams import Source, local_file

_COPY = re.compile(r'COPY\s+((?:"[^"]+"|[\w$]+)(?:\.(?:"[^"]+"|[\w$]+))?)\s*\(([^)]*)\)\s+FROM\s+stdin;\s*$', re.I)
_ESCAPE = re.compile(r"\\(?:([0-7]{1,3})|x([0-9a-fA-F]{1,2})|(.))")
_SIMPLE = {"b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t", "v": "\v"}


def _unquote(name: str) -> str:
    return ".".join(part[1:-1].replace('""', '"') if part.startswith('"') else part
                    for part in re.findall(r'"(?:[^"]|"")+"|[^.]+', name))


def _copy_value(raw: str) -> str | None:
    """A COPY text-format value: ``\\N`` is NULL; backslash escapes decoded."""
    if raw == "\\N":
        return None
    if "\\" not in raw:
        return raw

    def one(m: re.Match[str]) -> str:
        if m.group(1):
            return chr(int(m.group(1), 8))
        if m.group(2):
            return chr(int(m.group(2), 16))
        c = m.group(3)
        return _SIMPLE.get(c, c)

    return _ESCAPE.sub(one, raw)


def _lines(text: IO[str], cap: int) -> Iterator[str]:
    """The lines of ``text``, each read within ``cap`` characters (a longer one comes in pieces)."""
    while True:
        line = text.readline(cap)
        if not line:
            return
        yield line


def dump_records(ctx: Ctx, lines: Iterable[str]) -> Iterator[Record]:
    """Records of a plain dump's lines (1-based line numbers as items)."""
    table: Ctx | None = None  # inside a COPY block: the table's context
    columns: list[str] = []
    for n, line in enumerate(lines, start=1):
        line = line.rstrip("\r\n")
        if table is not None:
            if line == "\\.":
                table = None
                continue
            values = line.split("\t")
            pairs = [(c, v) for c, raw in zip(columns, values) if (v := _copy_value(raw))]
            for fields in bounded_fields(pairs, ctx.limits.max_field_chars):
                yield table.record(str(n), fields, True)
            continue
        m = _COPY.match(line)
        if m is not None:
            table = ctx.child(f"{ctx.container}!{_unquote(m.group(1))}")
            table.depth = ctx.depth  # a table of the dump, not an archive entry
            columns = [_unquote(c.strip()) for c in m.group(2).split(",")]
            continue
        if line.strip() and not line.startswith("--"):
            yield ctx.record(str(n), [(TEXT_FIELD, line[: ctx.limits.max_field_chars])], False)


def plain_dump_records(ctx: Ctx, text: IO[str]) -> Iterator[Record]:
    yield from dump_records(ctx, _lines(text, 4 * ctx.limits.max_field_chars))


def custom_dump_records(ctx: Ctx, src: Source) -> Iterator[Record]:
    """A ``pg_dump -Fc`` file: ``pg_restore --data-only`` turns it into SQL, read as it comes."""
    exe = shutil.which("pg_restore")
    if exe is None:
        raise ConnectorError(f"{ctx.name}: a PostgreSQL custom-format dump, not read: pg_restore is not installed "
                             "(Debian: postgresql-client)")
    proc = None
    try:
        with local_file(src.seekable_file(), ".dump") as path:
            proc = subprocess.Popen([exe, "--data-only", "--no-owner", "--file=-", path], stdout=subprocess.PIPE,
                                    stderr=subprocess.PIPE, text=True, encoding="utf-8", errors="surrogateescape")
            assert proc.stdout is not None
            yield from dump_records(ctx, _lines(proc.stdout, 4 * ctx.limits.max_field_chars))
            proc.stdout.close()
            err = proc.stderr.read() if proc.stderr is not None else ""
            if proc.wait() != 0:
                first = next((ln for ln in err.splitlines() if ln.strip()), "")
                # pg_restore's messages name the dump's objects, never its rows: the reason is kept short anyway
                raise ConnectorError(f"{ctx.name}: pg_restore could not read the dump "
                                     f"({safe_name(first[:160]) or 'exit ' + str(proc.returncode)})")
    finally:
        if proc is not None and proc.poll() is None:
            proc.kill()
            proc.wait()




# -- MySQL and MariaDB dumps (mysqldump) -----------------------------------------------------------
#
# ``INSERT INTO `t` VALUES (1,'Anna','811228-9874'),(2,...);`` with the columns from the table's
# ``CREATE TABLE`` above it (or the INSERT's own column list): each tuple a structured record,
# container ``<file>!<db>.<table>`` (the db from ``USE`` / ``-- Current Database``), item the line
# where the tuple starts and, where one line holds several, ``#k`` (the k-th on it, 1-based).

_MY_CREATE = re.compile(r"CREATE TABLE (?:IF NOT EXISTS )?`((?:[^`]|``)+)`\s*\(\s*$", re.I)
_MY_COLUMN = re.compile(r"\s+`((?:[^`]|``)+)`\s")
_MY_INSERT = re.compile(r"(?:INSERT|REPLACE)(?:\s+IGNORE)?\s+INTO\s+`((?:[^`]|``)+)`\s*(?:\(([^)]*)\)\s*)?VALUES\s*", re.I)
_MY_USE = re.compile(r"(?:USE\s+`((?:[^`]|``)+)`\s*;|-- Current Database: `((?:[^`]|``)+)`)", re.I)
_MY_TOKEN = re.compile(r"(?:_binary\s*)?'((?:[^'\\]|\\.|'')*)'|([(),;])|([^,()'\s;]+)", re.S)
_MY_ESCAPES = {"0": "\0", "b": "\b", "n": "\n", "r": "\r", "t": "\t", "Z": "\x1a"}
_MY_ESCAPE = re.compile(r"\\(.)|''", re.S)


def _my_string(raw: str) -> str:
    if "\\" not in raw and "''" not in raw:  # most values: nothing to decode (as _copy_value)
        return raw
    return _MY_ESCAPE.sub(lambda m: "'" if m.group(1) is None else _MY_ESCAPES.get(m.group(1), m.group(1)), raw)


def mysql_dump_records(ctx: Ctx, text: IO[str]) -> Iterator[Record]:
    """Records of a mysqldump file's lines (see above); other lines are read as text, so nothing is lost."""
    db = ""
    columns: dict[str, list[str]] = {}  # table -> its columns, from CREATE TABLE
    creating: str | None = None
    table: Ctx | None = None  # inside an INSERT: the table's context
    cols: list[str] = []
    values: list[str | None] | None = None  # the tuple being read
    start = 0
    on_line = 0  # tuples started on the current line
    for n, line in enumerate(_lines(text, 4 * ctx.limits.max_field_chars), start=1):
        line = line.rstrip("\r\n")
        if creating is not None:
            m = _MY_COLUMN.match(line)
            if m is not None:
                columns[creating].append(m.group(1).replace("``", "`"))
            elif line.startswith(")"):
                creating = None
            continue
        pos = 0
        if table is None:
            m = _MY_INSERT.match(line)
            if m is None:
                c = _MY_CREATE.match(line)
                if c is not None:
                    creating = c.group(1).replace("``", "`")
                    columns[creating] = []
                    continue
                u = _MY_USE.match(line)
                if u is not None:
                    db = (u.group(1) or u.group(2)).replace("``", "`")
                if line.strip() and not line.startswith(("--", "/*")):
                    yield ctx.record(str(n), [(TEXT_FIELD, line[: ctx.limits.max_field_chars])], False)
                continue
            name = m.group(1).replace("``", "`")
            cols = [c.strip().strip("`") for c in m.group(2).split(",")] if m.group(2) else columns.get(name, [])
            table = ctx.child(f"{ctx.container}!{db + '.' if db else ''}{name}")
            table.depth = ctx.depth
            pos = m.end()
        on_line = 0
        for tok in _MY_TOKEN.finditer(line, pos):
            s, punct, bare = tok.group(1), tok.group(2), tok.group(3)
            if punct == "(":
                values, start = [], n
                on_line += 1
            elif punct == ")" and values is not None:
                names = cols if len(cols) == len(values) else [f"column {k}" for k in range(1, len(values) + 1)]
                pairs = [(c, v) for c, v in zip(names, values) if v]
                item = str(start) if on_line <= 1 and not _more_on(line, tok.end()) else f"{start}#{on_line}"
                for fields in bounded_fields(pairs, ctx.limits.max_field_chars):
                    yield table.record(item, fields, True)
                values = None
            elif punct == ";" and values is None:
                table = None
                break
            elif values is not None and punct is None:
                values.append(_my_string(s) if s is not None else (None if bare.upper() == "NULL" else bare))


def _more_on(line: str, pos: int) -> bool:
    """Whether another tuple starts on the line after ``pos`` (then the line's tuples are numbered)."""
    return "(" in line[pos:]


__all__ = ["custom_dump_records", "dump_records", "mysql_dump_records", "plain_dump_records"]
