"""Files on a local or mounted file system: one unit per file, read by content.

Config (a ``[[sources]]`` entry of ``type = "files"``)::

    [[sources]]
    name = "share"
    type = "files"
    path = "/srv/share"              # a directory, or a single file
    include = ["**/*.csv", "hr/**"]   # optional globs on the relative POSIX path
    exclude = [".git", "*.tmp"]       # optional; an excluded directory is not entered
    follow_symlinks = false          # default: symbolic links are skipped
    split_bytes = 8388608            # line-oriented files larger than this are split (8 MiB)
    limits = { max_expanded_bytes = 2147483648, max_entries = 10000 }
    # limits.max_ocr_pages = 100: scanned pages read by OCR per document; limits.ocr_images = true: JPEG and
    # PNG pictures read by OCR too (TIFF scans and PDF pages without text always are, where OCR is installed)

Globs: ``*`` and ``?`` stay within a path segment, ``**`` crosses segments, a
pattern without ``/`` matches the file or directory name at any depth (as in
``.gitignore``), a pattern with ``/`` matches from the root.

``units()`` walks the tree with ``os.scandir`` in sorted order and reads
nothing, except the first 64 KiB of a file larger than ``split_bytes`` (to
know whether it is line-oriented) or than 1 MiB (whether it is Parquet or a
zip; then its footer or central directory). One unit per regular file: ``key`` = the
relative POSIX path, ``fingerprint`` = size + mtime_ns + inode, ``size`` =
bytes. A line-oriented file (CSV, JSON Lines, text/log in an ASCII-compatible
encoding) larger than ``split_bytes`` becomes several units
``<path>#<start>-<end>`` of byte ranges: a range reads the lines that *start*
inside it, and its records' items are ``@<byte offset of the line>`` instead
of line numbers (counting lines would need every byte before the range). A
Parquet file of more than ``split_bytes`` of (uncompressed) column data
becomes units ``<path>#rows <first>-<last>`` of consecutive rows, about
``split_bytes`` of data and at most 50,000 rows each (items stay row numbers across the file), so
that what a worker holds of one unit stays bounded; so does a zip archive
(not an Office file) of more than ``split_bytes`` of declared entries: units
``<path>#entries <first>-<last>`` of consecutive entries, each with the share
of ``max_expanded_bytes`` that the entries before it leave. A
directory that cannot be listed becomes a unit ``<dir>/`` whose read raises
the reason, so the problem is recorded and the scan goes on. FIFOs, sockets
and devices are skipped.

``read(unit)`` opens the file (``O_NOFOLLOW`` unless links are followed),
yields the file-name record (container = the path, item ``""``, field
``path``, text = the relative path; for split files in the first range only)
and then the records of :func:`connectors.formats.read_stream` (see
:mod:`connectors.formats` for formats, items and fields), with ``ref_date`` =
the file's mtime. A file that cannot be opened raises ``ConnectorError``.

Mail kept as files (an ``.eml`` message, an mbox, an Outlook ``.msg``,
also inside a zip), recognised by content, is read as the ``mail``
connector reads it (:mod:`connectors.formats.mailfile`): container = the
file's path, item = the Message-ID, fields ``header:From``, ``body``,
``attachment:<name>!...``. An mbox larger than ``split_bytes`` becomes
units ``<path>#<start>-<end>`` of byte ranges that start at a message, as
the mail connector splits one (a ``From_`` line after an empty line, found
from each multiple of ``split_bytes``; never mid-message; fingerprint = the
range and a digest of its first and last 4 KiB); each range is read message
by message, at most 100 MiB per message. :meth:`FilesConnector.field_hints` gives mail
fields the hint of their header name, as the mail connector does.
"""

from __future__ import annotations

import os
import re
import stat
from collections.abc import Iterator, Mapping
from typing import Any

from connectors.base import BaseConnector, ConfigError, ConnectorError, Limits, Record, Unit, safe_name
from connectors.formats import PATH_FIELD, detect, read_range, read_stream, read_zip_part, splittable, zip_file_parts
from connectors.formats.core import MAX_MESSAGE_BYTES, PartialRead, Problems, as_dates, describe
from connectors.formats.streams import HEAD_BYTES, read_fully

DEFAULT_SPLIT_BYTES = 8 << 20  # a range of record-dense text is 4-15 s of detection: enough units to keep every worker busy


def glob_regex(pattern: str) -> re.Pattern[str]:
    """A glob on relative POSIX paths as a regex (``**`` crosses directories).

    >>> bool(glob_regex("*.csv").fullmatch("a/b/x.csv")), bool(glob_regex("exports/*.csv").fullmatch("a/exports/x.csv"))
    (True, False)
    >>> bool(glob_regex("**/tmp/**").fullmatch("a/tmp/x")), bool(glob_regex("hr/").fullmatch("hr/x/y.pdf"))
    (True, True)
    """
    anchored = "/" in pattern.rstrip("/")
    pat = pattern.lstrip("/")
    out: list[str] = []
    i = 0
    while i < len(pat):
        if pat.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
        elif pat.startswith("**", i):
            out.append(".*")
            i += 2
        elif pat[i] == "*":
            out.append("[^/]*")
            i += 1
        elif pat[i] == "?":
            out.append("[^/]")
            i += 1
        elif pat[i] == "[" and "]" in pat[i + 2 :]:
            j = pat.index("]", i + 2)
            body = pat[i + 1 : j]
            if body.startswith("!"):
                body = "^" + body[1:]
            out.append("[" + body.replace("\\", "\\\\") + "]")
            i = j + 1
        else:
            out.append(re.escape(pat[i]))
            i += 1
    body = "".join(out)
    if pat.endswith("/"):
        body += ".*"
    return re.compile(("" if anchored else "(?:.*/)?") + body, re.S)


def _patterns(value: Any, what: str) -> tuple[re.Pattern[str], ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, (list, tuple)) or not all(isinstance(p, str) for p in value):
        raise ConfigError(f"'{what}' must be a glob or a list of globs")
    return tuple(glob_regex(p) for p in value)


class FilesConnector(BaseConnector):
    """A directory tree (or one file) on a local or mounted file system."""

    store = "files"

    def __init__(self, name: str, config: Mapping[str, Any]) -> None:
        super().__init__(name, config)
        path = self.config.get("path")
        if not path or not isinstance(path, str):
            raise ConfigError(f"source {name!r}: 'path' (a directory or a file) is required")
        self.root = os.path.abspath(os.path.expanduser(path))
        self.include = _patterns(self.config.get("include"), "include")
        self.exclude = _patterns(self.config.get("exclude"), "exclude")
        self.follow_symlinks = bool(self.config.get("follow_symlinks", False))
        try:
            self.split_bytes = int(self.config.get("split_bytes", DEFAULT_SPLIT_BYTES))
        except (TypeError, ValueError):
            raise ConfigError(f"source {name!r}: 'split_bytes' must be a number of bytes") from None
        try:
            self.limits = Limits.from_config(self.config)
        except (TypeError, AttributeError):
            raise ConfigError(f"source {name!r}: 'limits' must be a table of numbers (ocr_images: true or false)") from None

    def field_hints(self, unit: Unit) -> Any:
        """Mail fields hint by their header name (``header:Subject`` -> ``Subject``); other fields are their own hint."""
        from connectors.mime import FieldHints

        return FieldHints()

    # --- listing (driver) ---------------------------------------------------------------------

    def _excluded(self, rel: str) -> bool:
        return any(p.fullmatch(rel) for p in self.exclude)

    def _selected(self, rel: str) -> bool:
        if self._excluded(rel):
            return False
        return not self.include or any(p.fullmatch(rel) for p in self.include)

    def units(self) -> Iterator[Unit]:
        try:
            st = os.stat(self.root)
        except OSError as exc:
            raise ConfigError(f"source {self.name!r}: path {safe_name(self.root)} is not accessible ({describe(exc)})") from None
        if stat.S_ISREG(st.st_mode):
            yield from self._file_units(os.path.basename(self.root), self.root, st)
            return
        if not stat.S_ISDIR(st.st_mode):
            raise ConfigError(f"source {self.name!r}: path {safe_name(self.root)} is neither a directory nor a file")
        visited = {(st.st_dev, st.st_ino)}
        stack: list[tuple[str, str]] = [("", self.root)]
        while stack:
            rel_dir, full_dir = stack.pop()
            try:
                with os.scandir(full_dir) as it:
                    entries = sorted(it, key=lambda e: e.name)
            except OSError as exc:
                key = (rel_dir or ".") + "/"
                reason = f"cannot list directory ({describe(exc)})"
                yield Unit(self.name, key, self.fingerprint("unlistable", key, reason), (("error", reason),), 0)
                continue
            subdirs: list[tuple[str, str]] = []
            for entry in entries:
                rel = f"{rel_dir}/{entry.name}" if rel_dir else entry.name
                try:
                    if entry.is_symlink() and not self.follow_symlinks:
                        continue
                    est = entry.stat(follow_symlinks=True)
                except OSError:
                    continue  # a dangling link or a vanished entry
                if stat.S_ISDIR(est.st_mode):
                    if self._excluded(rel) or self._excluded(rel + "/"):
                        continue
                    ident = (est.st_dev, est.st_ino)
                    if ident in visited:
                        continue  # a link loop
                    visited.add(ident)
                    subdirs.append((rel, entry.path))
                elif stat.S_ISREG(est.st_mode) and self._selected(rel):
                    yield from self._file_units(rel, entry.path, est)
            stack.extend(reversed(subdirs))

    def _file_units(self, rel: str, full: str, st: os.stat_result) -> Iterator[Unit]:
        size = st.st_size
        base = (size, st.st_mtime_ns, st.st_ino)
        # a Parquet file or a zip is looked at from 1 MiB on (an eighth of a small split_bytes): compressed, a few
        # MiB can hold a million rows
        how = self._splittable(full, rel) if 0 < self.split_bytes and size > min(self.split_bytes // 8, 1 << 20) else None
        if how not in ("parquet", "zip") and size <= self.split_bytes:
            how = None
        if how == "lines":
            for start in range(0, size, self.split_bytes):
                end = min(start + self.split_bytes, size)
                params = (("path", rel), ("start", start), ("end", end))
                yield Unit(self.name, f"{rel}#{start}-{end}", self.fingerprint(*base, start, end), params, end - start)
            return
        if how == "mbox":
            yield from self._mbox_units(rel, full, st)
            return
        if how == "parquet":
            from connectors.formats.parquet import row_ranges

            try:
                with open(full, "rb") as f:
                    ranges = row_ranges(f, self.split_bytes)
            except OSError:
                ranges = []  # read() will report it
            if ranges:  # a large Parquet file: units of consecutive rows (what a worker holds stays bounded)
                for a, b in ranges:
                    yield Unit(self.name, f"{rel}#rows {a + 1}-{b}", self.fingerprint(*base, "parquet", a, b),
                               (("path", rel), ("rows", (a, b))), b - a)
                return
        if how == "zip":
            try:
                with open(full, "rb") as f:
                    zparts = zip_file_parts(f, self.limits, self.split_bytes)
            except OSError:
                zparts = []  # read() will report it
            if zparts:  # a large zip: units of its entries (what a worker holds stays bounded)
                for a, b, before in zparts:
                    yield Unit(self.name, f"{rel}#entries {a + 1}-{b}", self.fingerprint(*base, "zip", a, b),
                               (("path", rel), ("zip", (a, b, before))), size * (b - a) // max(1, zparts[-1][1]))
                return
        if how == "sqlite":
            from connectors.formats.sqlitedb import sqlite_parts

            parts = sqlite_parts(full)
            if parts:  # a large database file: units as a SQL source's (tables, key ranges)
                for i, (key, sql_params, rows) in enumerate(parts):
                    yield Unit(self.name, f"{rel}#{key}", self.fingerprint(*base, "sqlite", key),
                               (("path", rel), ("sqlite", key), ("sql", sql_params), ("first", i == 0)), rows)
                return
        yield Unit(self.name, rel, self.fingerprint(*base), (("path", rel),), size)

    def _splittable(self, full: str, rel: str) -> str | None:
        """``lines`` (split anywhere, read by lines), ``mbox`` (split at messages), ``sqlite`` (split as a SQL
        source: tables, key ranges), ``parquet`` (split into row ranges), ``zip`` (split into entries) or None."""
        try:
            with open(full, "rb") as f:
                head = read_fully(f, HEAD_BYTES)
        except OSError:
            return None  # read() will report it
        if splittable(head, rel, len(head) < HEAD_BYTES):
            return "lines"
        fmt = detect(head, rel, len(head) < HEAD_BYTES).format
        return fmt if fmt in ("mbox", "sqlite", "parquet", "zip") else None

    def _mbox_units(self, rel: str, full: str, st: os.stat_result) -> Iterator[Unit]:
        """Byte ranges of a large mbox that start at messages, as the mail connector splits one (never mid-message)."""
        from connectors.mail import mbox_ranges

        size = st.st_size
        try:
            with open(full, "rb") as f:
                units = []
                for start, end, digest in mbox_ranges(f, size, self.split_bytes):
                    params = (("path", rel), ("start", start), ("end", end), ("mbox", True))
                    fp = self.fingerprint("mbox", start, end, digest)
                    units.append(Unit(self.name, f"{rel}#{start}-{end}", fp, params, end - start))
        except OSError:
            yield Unit(self.name, rel, self.fingerprint(size, st.st_mtime_ns, st.st_ino), (("path", rel),), size)
            return
        yield from units

    # --- reading (worker) ---------------------------------------------------------------------

    def _full_path(self, rel: str) -> str:
        if os.path.isfile(self.root) or not os.path.isdir(self.root):
            return self.root
        parts = rel.split("/")
        if any(p in ("", ".", "..") for p in parts):
            raise ConnectorError(f"{safe_name(rel)}: not a path inside the source")
        return os.path.join(self.root, *parts)

    def _open(self, rel: str) -> Any:
        return open_regular(self._full_path(rel), rel, follow_symlinks=self.follow_symlinks)

    def read(self, unit: Unit) -> Iterator[Record]:
        error = unit.param("error")
        if error:
            raise ConnectorError(f"{safe_name(unit.key)}: {error}")
        rel = unit.param("path", unit.key)
        f, st = self._open(rel)
        with f:
            if unit.param("sqlite") is not None:
                yield from self._read_sqlite(rel, unit, st)
                return
            if unit.param("rows") is not None:
                yield from self._read_parquet_rows(f, rel, unit, st)
                return
            part = unit.param("zip")
            if part is not None:
                if part[0] == 0:
                    yield self._path_record(rel, st)
                yield from read_zip_part(f, rel, (int(part[0]), int(part[1]), int(part[2])), container=rel,
                                         loc_factory=self.location, limits=self.limits, mtime=st.st_mtime)
                return
            start = unit.param("start")
            if start is None:
                yield from read_stream(
                    f, rel, container=rel, loc_factory=self.location, limits=self.limits, mtime=st.st_mtime, emit_name=True
                )
                return
            if start == 0:
                yield self._path_record(rel, st)
            if unit.param("mbox"):
                yield from self._read_mbox(f, rel, unit, st)
                return
            yield from read_range(
                f, rel, int(start), int(unit.param("end")), container=rel, loc_factory=self.location,
                limits=self.limits, mtime=st.st_mtime,
            )

    def _path_record(self, rel: str, st: os.stat_result) -> Record:
        """The file-name record of a file read as several units (yielded by its first)."""
        ref_date, record_date = as_dates(st.st_mtime)
        return Record(self.location(rel), [(PATH_FIELD, rel)], False, ref_date, (), record_date)

    def _read_parquet_rows(self, f: Any, rel: str, unit: Unit, st: os.stat_result) -> Iterator[Record]:
        """One row range of a large Parquet file (items are row numbers across the whole file)."""
        from connectors.formats.core import Ctx
        from connectors.formats.parquet import file_records

        ref_date, record_date = as_dates(st.st_mtime)
        a, b = unit.param("rows")
        if a == 0:
            yield self._path_record(rel, st)
        ctx = Ctx(rel, self.location, self.limits, ref_date, record_date)
        yield from file_records(ctx, f, (int(a), int(b)))

    def _read_sqlite(self, rel: str, unit: Unit, st: os.stat_result) -> Iterator[Record]:
        """One part (a table or key range) of a large SQLite database file (connectors.formats.sqlitedb)."""
        from connectors.formats.core import Ctx
        from connectors.formats.sqlitedb import sqlite_part_records

        ref_date, record_date = as_dates(st.st_mtime)
        ctx = Ctx(rel, self.location, self.limits, ref_date, record_date)
        first = bool(unit.param("first"))
        if first:
            yield self._path_record(rel, st)
        params = tuple((k, v) for k, v in unit.param("sql"))
        yield from sqlite_part_records(ctx, self._full_path(rel), str(unit.param("sqlite")), params, first)
        if ctx.problems:
            raise PartialRead(rel, ctx.problems.messages, ctx.problems.count)

    def _read_mbox(self, f: Any, rel: str, unit: Unit, st: os.stat_result) -> Iterator[Record]:
        """The messages of an mbox that start in the unit's byte range, read as the mail connector reads them."""
        from connectors.mail import mbox_records
        from connectors.mime import MessageReader, raise_problems

        start, end = int(unit.param("start")), int(unit.param("end"))
        problems = Problems()
        reader = MessageReader(self.location(rel), self.limits, problems, safe_name(rel) + " ")
        try:
            f.seek(start)
            if read_fully(f, 5) not in (b"From ", b""):
                raise ConnectorError(f"{safe_name(unit.key)}: the range does not start at a message: the mbox changed since it was listed; scan again")
            f.seek(start)
            yield from mbox_records(f, start, end, MAX_MESSAGE_BYTES, reader, as_dates(st.st_mtime)[1])
        except OSError as exc:
            raise ConnectorError(f"{safe_name(unit.key)}: read failed ({describe(exc)})") from None
        raise_problems(unit.key, problems)


def open_regular(full: str, what: str, *, follow_symlinks: bool = False) -> tuple[Any, os.stat_result]:
    """Open a regular file for reading (not following a symlink unless asked): (file, stat).

    ``what`` names the file in error messages. Shared with the mail connector.
    """
    flags = os.O_RDONLY | getattr(os, "O_BINARY", 0)
    if not follow_symlinks:
        flags |= getattr(os, "O_NOFOLLOW", 0)
    try:
        fd = os.open(full, flags)
    except OSError as exc:
        raise ConnectorError(f"{safe_name(what)}: cannot open ({describe(exc)})") from None
    f = os.fdopen(fd, "rb")
    try:
        st = os.fstat(fd)
    except OSError as exc:
        f.close()
        raise ConnectorError(f"{safe_name(what)}: cannot stat ({describe(exc)})") from None
    if not stat.S_ISREG(st.st_mode):
        f.close()
        raise ConnectorError(f"{safe_name(what)}: not a regular file")
    return f, st
