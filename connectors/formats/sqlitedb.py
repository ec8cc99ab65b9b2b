"""SQLite database files found among files, objects and attachments: every table, row by row.

An application's database left in a share (``kunder_backup.db``), an export
uploaded to a bucket, a ``.sqlite`` mailed as an attachment: each is a whole
customer register, and its bytes, read as text, show nothing (a SQLite page
is binary). Such a file is sniffed by its header (``SQLite format 3\\0``) and
read through the SQL connector itself (:class:`connectors.sql.SqlConnector`
on a ``sqlite:`` URL), so it gets what a configured SQL source gets: every
table reflected, rows streamed by key ranges, column names as hints, JSON in
text columns by path, BLOBs sniffed, integers as digits, the rows that a
foreign key makes related. Records come out as the SQL source gives them,
with the file in front of the table:

* container ``<file>!<schema>.<table>`` (``share/kunder_backup.db!main.kund``),
  the way an archive entry follows its archive;
* item the row's key as the SQL connector renders it (``id=7``, ``a=1,b=2``;
  ``rowid=5`` for a table without a primary key);
* field the column (``email``, ``data$.customer.phone``);
* foreign-key references point at ``<file>!<table>`` rows of the same file.

The database is opened read-only and *immutable* (``mode=ro&immutable=1``:
SQLite takes no lock and writes nothing, not even a ``-shm`` file) in place
when it is a local file, else from a temporary copy (an S3 object, an archive
entry, an attachment), bounded by ``max_expanded_bytes``. Immutable means a
write-ahead log beside a local file is not read: a non-empty ``<file>-wal``
is reported (the changes it holds since the last checkpoint were not read)
and the unit ends partial. A table that cannot be read (a damaged page, a
virtual table whose module SQLite lacks) is reported by name and the other
tables are read; a file that is no readable database at all (truncated,
overwritten) fails its unit with the reason. (A database encrypted with
SQLCipher has no header to know it by: it reads as binary.)

A local database file larger than the files source's ``split_bytes`` is
split into units as a SQL source is (one per table, large tables by key
ranges: :func:`sqlite_parts`), so that it is read in parallel and no unit's
results outgrow a worker; the unit keys are ``<file>#<schema>.<table>...``.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

from connectors.base import ConnectorError, Record, Reference, safe_name
from connectors.formats.core import Ctx
from connectors.formats.streams import Source, local_file, local_path



def _url(path: str) -> str:
    # a URI filename: every character that URI syntax gives a meaning is escaped
    return "sqlite:///file:" + quote(os.path.abspath(path), safe="/") + "?mode=ro&immutable=1&uri=true"


def sqlite_parts(path: str) -> list[tuple[str, tuple[tuple[str, Any], ...], int]]:
    """The SQL connector's units of a local database file: (key, params, rows), for a files source that
    splits a large database into several units (tables, key ranges) as a SQL source is split. An empty
    list when it cannot be listed (the whole-file read reports why)."""
    from connectors.sql import SqlConnector

    db = SqlConnector(path, {"url": _url(path), "lock_timeout": 0})
    try:
        return [(u.key, u.params, u.size) for u in db.units() if not dict(u.params).get("missing_schema")]
    except ConnectorError:
        return []
    finally:
        db.close()


def sqlite_part_records(ctx: Ctx, path: str, key: str, params: tuple[tuple[str, Any], ...], first: bool) -> Iterator[Record]:
    """The records of one part of a local database file (see :func:`sqlite_parts`); the first part reports a
    write-ahead log beside the file."""
    from connectors.base import Unit
    from connectors.sql import SqlConnector

    if first:
        _report_wal(ctx, path)
    db = SqlConnector(ctx.container, {"url": _url(path), "lock_timeout": 0})
    try:
        yield from _unit_records(ctx, db, Unit(ctx.container, key, "", params))
        _report_skipped(ctx, db)
    finally:
        db.close()


def _unit_records(ctx: Ctx, db: Any, unit: Any) -> Iterator[Record]:
    """One SQL unit's records, moved under the file; a table that cannot be read is reported, not raised."""
    try:
        for rec in db.read(unit):
            yield _moved(ctx, rec, ctx.container + "!")
    except ConnectorError as exc:
        ctx.problem(f"{ctx.name}: table {safe_name(str(dict(unit.params).get('container', unit.key)))} not read "
                    f"({_reason(exc)})")


def _report_wal(ctx: Ctx, path: str) -> None:
    wal = path + "-wal"
    if os.path.isfile(wal) and os.path.getsize(wal) > 0:
        ctx.problem(f"{ctx.name}: a write-ahead log ({safe_name(os.path.basename(wal))}) holds changes not yet "
                    "checkpointed into the database, which were not read (checkpoint it, or scan a copy made "
                    "with the sqlite3 .backup command)")


def _report_skipped(ctx: Ctx, db: Any) -> None:
    for (container, column, how), n in sorted(db.skipped.items()):
        ctx.problem(f"{ctx.name}: {n} value(s) of {safe_name(container)}.{safe_name(column)} not scanned ({how} data)")


def sqlite_records(ctx: Ctx, src: Source) -> Iterator[Record]:
    f = src.seekable_file()
    with local_file(f, ".sqlite") as path:
        if path == local_path(f):  # read in place: a write-ahead log may lie beside it
            _report_wal(ctx, path)
        yield from _read(ctx, path)


def _read(ctx: Ctx, path: str) -> Iterator[Record]:
    from connectors.sql import SqlConnector

    db = SqlConnector(f"{ctx.container}", {"url": _url(path), "lock_timeout": 0})
    try:
        try:
            units = list(db.units())
        except ConnectorError as exc:
            raise ConnectorError(f"{ctx.name}: not a readable SQLite database ({_reason(exc)})") from None
        for unit in units:
            yield from _unit_records(ctx, db, unit)
        _report_skipped(ctx, db)
    finally:
        db.close()


def _reason(exc: BaseException) -> str:
    """The cause the SQL connector gave, without its own prefix (the source it names is this file)."""
    msg = str(exc)
    return msg.split(": ", 1)[1] if msg.startswith("sql source ") and ": " in msg else msg


def _moved(ctx: Ctx, rec: Record, prefix: str) -> Record:
    loc = rec.location
    refs: tuple[Reference, ...] = tuple(Reference(prefix + r.container, r.item, r.via) for r in rec.references)
    return Record(
        ctx.loc_factory(prefix + loc.container, loc.item),
        rec.fields,
        rec.structured,
        rec.ref_date or ctx.ref_date,
        refs,
        rec.record_date or ctx.record_date,
    )


__all__ = ["sqlite_part_records", "sqlite_parts", "sqlite_records"]
