"""Mail on a file system: mbox files, Maildir folders, ``.eml``, Outlook ``.msg`` files and ``.pst``/``.ost`` archives, in any mix.

Config (a ``[[sources]]`` entry of ``type = "mail"``)::

    [[sources]]
    name = "archive"
    type = "mail"
    path = "/srv/mail"               # an mbox file, a Maildir, an .eml file, or a folder of any of them
    split_bytes = 67108864           # mbox files larger than this are read in byte ranges (default 64 MiB)
    chunk_messages = 500             # Maildir / .eml messages per unit
    max_message_bytes = 104857600    # larger messages: only their header is read (and reported)
    follow_symlinks = false
    limits = { max_expanded_bytes = 2147483648 }   # for attachments (see connectors.base.Limits)

**What is mail** is decided by content, never by name: a file that starts with
``From `` is an mbox; a file that starts with RFC 822 header lines, among them
one of From/To/Subject/Date/Message-ID/Received/Return-Path/MIME-Version, is
one message (``.eml``), and so is Apple Mail's ``.emlx`` (a line with the
message's length in bytes, the message, then an XML property list that is
not read); a Dovecot dbox file (``sdbox`` ``u.N`` with one message, ``mdbox``
``m.N`` with many: a ``2 M.. C..`` header line) holds messages, each read with
its offset in the file as its place in problems and dbox's received time as
the fallback date; an OLE2 compound file whose name ends in ``.msg`` is
an Outlook message (read with extract-msg, the ``mail`` extra: it rebuilds
the MIME message, which is then read like any other); a directory with
``cur`` and ``new`` subdirectories is a Maildir (Maildir++ subfolders such as
``.Sent`` are Maildirs of their own; a message file that Dovecot's zlib plugin
stored gzip-, bzip2- or xz-compressed is decompressed, a damaged one read as
far as it goes and reported). An archive (zip, tar, gzip, bzip2,
xz, 7z: a mailbox handed over as ``export.zip`` or ``inbox.mbox.gz``) is a unit
``archive:<path>`` read by the format readers (:mod:`connectors.formats`): the
mail in it as mail, container ``<archive>!<entry>``, item the Message-ID, and
its other files as a ``files`` source reads them. Other files (Dovecot's
index files, a Thunderbird ``.msf``, Word's OLE2 ``.doc``) are ignored: a
``files`` source reads them. Outlook ``.pst``/``.ost`` archives are read too (see below).

**Units** (``units()`` reads only the first bytes of files, and a small
window around each split point of a large mbox):

* ``mbox:<path>``: an mbox up to ``split_bytes``; fingerprint size + mtime
  + inode.
* ``mbox:<path>#<start>-<end>``: a byte range of a larger mbox, so one huge
  archive spreads over the workers. Ranges start at a ``From `` line that
  follows an empty line, found by scanning forward from each multiple of
  ``split_bytes`` (a range grows past a message larger than that). The
  fingerprint is the range and a digest of its first and last 4 KiB, so that
  appending to an mbox leaves the earlier ranges unchanged.
* ``maildir:<folder>#<n>``: the n-th chunk of ``chunk_messages`` messages of
  a Maildir's ``cur`` and ``new``, in the order of their unique names (the
  part before ``:2,`` flags, so that reading a mail does not move it);
  fingerprint = those names with sizes and mtimes.
* ``eml:<folder>#<n>``, ``msg:<folder>#<n>`` and ``dbox:<folder>#<n>``: the
  same for the ``.eml`` (``.msg``, dbox) files of one folder, by file name;
  fingerprint = names, sizes, mtimes and inodes.
* ``<folder>/``: a directory that cannot be listed; its read raises the reason.

**Locations** (see :mod:`connectors.mime` for items and fields): store
``mail``; container = the mailbox as a path relative to the source root: the
mbox file, the Maildir folder (``.`` for the root itself, ``.Sent``), or the
``.eml`` file; when ``path`` is a single file, its name. Item = the
Message-ID (or its ``sha256:`` fallback; a Message-ID a message before it in
the mailbox and unit had, followed by that digest: :class:`connectors.mime.MessageItems`).
``ref_date``/``record_date`` come
from the Date header, else from the ``From_`` line (mbox) or the file's
mtime (Maildir, .eml).

**Reading an mbox range** streams it in 1 MiB blocks and cuts messages at
``From `` lines that follow an empty line and carry a time and a year after
the envelope sender (``From <sender> <date>``; or are followed by a header line), so that a body paragraph starting with
``From `` that the writer did not quote (mboxo) stays in its message; a
writer that puts no empty line between messages is followed too: there a
``From `` line starts a message when it carries a time and a year and a
header line follows it;
``>From`` quoting of mboxrd is undone; a message larger than ``max_message_bytes`` is skipped past without
being kept (its header is read and the skip reported). A message larger than
``SPILL_BYTES`` (1 MiB) goes to a temporary file as it is cut out, and is
parsed from there with its large bodies spooled (:func:`connectors.mime.read_message`);
a large ``.eml`` or Maildir file is parsed from the file the same way. Memory
is bounded by a few MiB per message whatever its size or its attachments'
(see :data:`connectors.mime.SPOOL_PART_BYTES`), plus what the format readers
make of one attachment.

**Errors**: a file that cannot be opened, or a range that no longer starts
at a message (the mbox was rewritten since it was listed), raises
:class:`~connectors.base.ConnectorError`. Damaged messages and parts
(unparseable messages, truncated multiparts, bad base64, undecodable text,
unreadable attachments, an mbox that ends mid-line) are skipped or read as
far as possible and reported at the end of the unit
(:class:`~connectors.formats.core.PartialRead`), after every other record of
the unit; messages are named by byte offset or file name, never by value.

**Outlook archives** (``.pst``/``.ost``, found by their ``!BDN`` header, any
name) are read with libpff-python (the ``mail`` extra;
:mod:`connectors.formats.pst`): one unit per ``chunk_messages`` items of each
folder, ``pst:<path>#<folder path>#<n>`` (fingerprint: the file's size, mtime
and inode, the folder and the range: an archive Outlook changed is read
again). Container ``<path>!<folder path>``; item the Message-ID, else
``pst-entry:<n>`` (the item's number in the archive); a contact's or an
appointment's text properties are a record of their own (a contact's
structured). An archive libpff cannot open is a unit that fails with the
reason; without libpff-python installed, a unit that fails saying so.
"""

from __future__ import annotations

import hashlib
import os
import re
import stat
import tempfile
from collections.abc import Iterator, Mapping
from datetime import datetime, timezone
from typing import IO, Any

from connectors.base import BaseConnector, ConfigError, ConnectorError, Limits, Record, Unit, safe_name
from connectors.formats.core import Problems, describe
from connectors.formats.streams import read_fully
from connectors.mime import DEFAULT_MAX_MESSAGE_BYTES, FieldHints, MessageItems, MessageReader, header_block, parse_date, raise_problems
from connectors.files import open_regular

DEFAULT_SPLIT_BYTES = 64 << 20
DEFAULT_CHUNK_MESSAGES = 500
SNIFF_BYTES = 16 * 1024
BLOCK = 1 << 20
SPILL_BYTES = 1 << 20  # a message's bytes beyond this go to a temporary file while its end is looked for
BOUNDARY_WINDOW = 64 * 1024  # read at a time when looking for a From_ line near a split point
FINGERPRINT_SAMPLE = 4096

_HEADER_LINE = re.compile(rb"[!-9;-~]{1,76}:")
_DATED = re.compile(rb"(?=.*\b[0-9]{1,2}:[0-9]{2}\b)(?=.*(?<![0-9])[0-9]{4}(?![0-9]))")  # a time and a year
FROM_CONTEXT = 2048  # bytes looked at to tell a From_ line from a body line
_KNOWN = re.compile(rb"(?im)^(from|to|subject|date|message-id|received|return-path|mime-version|delivered-to):")
_SEP = b"\nFrom "
OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_BOM = b"\xef\xbb\xbf"
PST_MAGIC = b"!BDN"  # Outlook .pst/.ost (the Personal Folders File header)
_SENDER_PROPS = ("__substg1.0_5D01", "__substg1.0_0065", "__substg1.0_0C1F", "__substg1.0_5D02")
_UNQUOTE = re.compile(rb"(?m)^>(>*From )")
_EMLX = re.compile(rb"\A([0-9]{1,12})[ \t]*\r?\n")  # Apple Mail's .emlx: the message's length in bytes


def sniff(head: bytes, name: str = "") -> str | None:
    """``mbox``, ``eml``, ``msg`` or None for the first bytes of a file (``name`` only tells .msg from other OLE2 files).

    >>> sniff(b"From anna@example.se Mon Jan  1 10:00:00 2024\\nFrom: x\\n"), sniff(b"Received: x\\nSubject: y\\n\\nz")
    ('mbox', 'eml')
    >>> sniff(b"3 V1700000000 N5\\n"), sniff(b"Not: a mail\\n\\nbody")
    (None, None)

    A file named ``.eml`` is a message when its header names a mail header,
    even after a byte order mark or with a damaged header line (it is read,
    and its damage reported, rather than passed over in silence):

    >>> sniff(b"\\xef\\xbb\\xbfFrom: a@example.se\\nSubject: x\\n\\nz", "a.eml"), sniff(b"garbled\\nTo: b@example.se\\n", "b.eml")
    ('eml', 'eml')
    """
    if head.startswith(b"From "):
        return "mbox"
    emlx = _EMLX.match(head)
    if emlx is not None:  # Apple Mail: the message's length on a line, then the message
        return "eml" if sniff(head[emlx.end() :]) == "eml" else None
    if head.startswith(OLE2_MAGIC):
        return "msg" if name.lower().endswith(".msg") else None
    if head.startswith(_BOM):
        head = head[len(_BOM) :]
    block = header_block(head)
    if name.lower().endswith(".eml"):
        return "eml" if _KNOWN.search(block) else None
    if not _HEADER_LINE.match(head):
        return None
    lines = block.split(b"\n")
    if not all(_HEADER_LINE.match(ln) or ln[:1] in (b" ", b"\t") or not ln.strip() for ln in lines[:-1]):
        return None
    return "eml" if _KNOWN.search(block) else None


_COMPRESSED = (b"\x1f\x8b", b"BZh", b"\xfd7zXZ\x00")  # gzip, bzip2, xz: Dovecot's zlib plugin


def decompressed(raw: bytes, cap: int) -> tuple[bytes, int, str]:
    """A message Dovecot's zlib plugin stored compressed: (at most ``cap`` bytes of it, its size so far, the damage or "").

    >>> import gzip
    >>> decompressed(gzip.compress(b"From: a@example.se\\n\\nhej\\n"), 100)
    (b'From: a@example.se\\n\\nhej\\n', 24, '')
    >>> decompressed(gzip.compress(b"From: a@example.se\\n\\nhej\\n")[:20], 100)[2]
    'compressed message cut short or damaged (gzip)'
    """
    import bz2
    import lzma
    import zlib

    name = "gzip" if raw.startswith(b"\x1f\x8b") else "bzip2" if raw.startswith(b"BZh") else "xz"
    d: Any = zlib.decompressobj(16 + zlib.MAX_WBITS) if name == "gzip" else bz2.BZ2Decompressor() if name == "bzip2" else lzma.LZMADecompressor()
    try:
        out = d.decompress(raw, cap) if name == "gzip" else d.decompress(raw, max_length=cap)
    except (zlib.error, OSError, EOFError, lzma.LZMAError, ValueError):
        return b"", 0, f"compressed message cannot be decompressed ({name})"
    if len(out) >= cap:
        return out, len(out), ""  # larger than max_message_bytes: the caller reads its header only
    if not d.eof:
        return out, len(out), f"compressed message cut short or damaged ({name})"
    return out, len(out), ""


def file_kind(head: bytes, name: str = "") -> str | None:
    """What the mail connector makes of a file with these first bytes: :func:`sniff`'s kinds, ``dbox`` or ``pst``.

    >>> file_kind(b"2 M1e C6b16cb59\\n\\x01\\x02N  ..."), file_kind(b"2 MB CD-skivor\\nlista\\n")
    ('dbox', None)
    """
    if head.startswith(PST_MAGIC):
        return "pst"
    if head.startswith(_ARCHIVES) or head[257:262] == b"ustar":  # zip, gzip, bzip2, xz, 7z, tar: read by the format readers
        return "archive"
    dbox = _DBOX_HEAD.match(head)
    if dbox and head[dbox.end() : dbox.end() + 2] in (b"\x01\x02", b""):  # a first record, or none yet
        return "dbox"
    return sniff(head, name)


_ARCHIVES = (b"PK\x03\x04", b"\x1f\x8b", b"BZh", b"\xfd7zXZ\x00", b"7z\xbc\xaf\x27\x1c")
_DBOX_HEAD = re.compile(rb"\A2 M([0-9a-fA-F]{1,8}) C[0-9a-fA-F]{1,16}[^\n]{0,200}\n")  # Dovecot dbox, version 2
_DBOX_META_END = re.compile(rb"\n *\n")


def dbox_messages(data: bytes) -> Iterator[tuple[int, bytes, datetime | None, str]]:
    r"""The messages of a Dovecot dbox file (``sdbox`` ``u.N``, ``mdbox`` ``m.N``): (offset, bytes, received, damage).

    The file: a header line ``2 M<message header size> C<created>``; then per
    message ``\x01\x02N`` and its size in hex (the message header), the
    message, and a metadata block (``\n\x01\x03\n``, ``<key><value>`` lines,
    ``R`` = received time in hex, an empty line). A record that does not
    start so, or is cut short, ends the file with its damage.

    >>> head = b"2 M1e C6b16cb59\n"
    >>> rec = b"\x01\x02N" + b" " * 10 + b"%016x\n" % 18 + b"Subject: x\n\nhej 1\n" + b"\n\x01\x03\nR6b16cb59\nGabc\n\n"
    >>> [(off, raw, when.year, damage) for off, raw, when, damage in dbox_messages(head + rec + rec)]
    [(16, b'Subject: x\n\nhej 1\n', 2026, ''), (84, b'Subject: x\n\nhej 1\n', 2026, '')]
    """
    m = _DBOX_HEAD.match(data)
    if m is None:
        return
    hsize = int(m.group(1), 16)
    pos = m.end()
    while pos < len(data):
        header = data[pos : pos + hsize]
        try:
            if hsize < 5 or not header.startswith(b"\x01\x02") or not header.endswith(b"\n"):
                raise ValueError
            size = int(header[3:-1].strip(), 16)
        except ValueError:
            yield pos, b"", None, "a damaged dbox record; the rest of the file not read"
            return
        start = pos + hsize
        raw = data[start : start + size]
        if len(raw) < size:
            yield pos, raw, None, "the dbox file ends inside this message (cut short)"
            return
        meta = start + size
        if data[meta : meta + 4] != b"\n\x01\x03\n":
            yield pos, raw, None, "a damaged dbox record after this message; the rest of the file not read"
            return
        end = _DBOX_META_END.search(data, meta + 3)
        stop = end.start() if end else len(data)
        received = None
        for line in data[meta + 4 : stop].split(b"\n"):
            if line.startswith(b"R"):
                try:
                    received = datetime.fromtimestamp(int(line[1:], 16), timezone.utc).replace(tzinfo=None)
                except (ValueError, OverflowError, OSError):
                    received = None
        yield pos, raw, received, ""
        pos = end.end() if end else len(data)


def emlx_message(raw: bytes) -> bytes:
    """The message of an Apple Mail ``.emlx`` file (its length on the first line, an XML property list after it); other bytes as they are.

    >>> emlx_message(b"24\\nFrom: a@example.se\\n\\nhej\\n<?xml version=...")
    b'From: a@example.se\\n\\nhej\\n'
    >>> emlx_message(b"From: a@example.se\\n\\n12\\n")
    b'From: a@example.se\\n\\n12\\n'
    """
    m = _EMLX.match(raw)
    if m is None or sniff(raw[m.end() : m.end() + SNIFF_BYTES]) != "eml":
        return raw
    return raw[m.end() : m.end() + int(m.group(1))]


def _maildir(path: str) -> bool:
    return os.path.isdir(os.path.join(path, "cur")) and os.path.isdir(os.path.join(path, "new"))


def _base(name: str) -> str:
    """A Maildir file's unique name without its ``:2,FLAGS`` info."""
    return name.split(":", 1)[0]


def _int(config: Mapping[str, Any], key: str, default: int, name: str) -> int:
    try:
        value = int(config.get(key, default))
    except (TypeError, ValueError):
        raise ConfigError(f"source {name!r}: {key!r} must be a whole number") from None
    if value <= 0:
        raise ConfigError(f"source {name!r}: {key!r} must be positive")
    return value


class MailConnector(BaseConnector):
    """mbox files, Maildirs and .eml files under one path."""

    store = "mail"

    def __init__(self, name: str, config: Mapping[str, Any]) -> None:
        super().__init__(name, config)
        path = self.config.get("path")
        if not path or not isinstance(path, str):
            raise ConfigError(f"source {name!r}: 'path' (an mbox, a Maildir, an .eml file or a folder) is required")
        self.root = os.path.abspath(os.path.expanduser(path))
        self.split_bytes = _int(self.config, "split_bytes", DEFAULT_SPLIT_BYTES, name)
        self.chunk = _int(self.config, "chunk_messages", DEFAULT_CHUNK_MESSAGES, name)
        self.max_message = _int(self.config, "max_message_bytes", DEFAULT_MAX_MESSAGE_BYTES, name)
        self.follow_symlinks = bool(self.config.get("follow_symlinks", False))
        try:
            self.limits = Limits.from_config(self.config)
        except (TypeError, AttributeError):
            raise ConfigError(f"source {name!r}: 'limits' must be a table of numbers") from None

    def field_hints(self, unit: Unit) -> FieldHints:
        return FieldHints()

    # --- listing (driver) ---------------------------------------------------------------------

    def units(self) -> Iterator[Unit]:
        try:
            st = os.stat(self.root)
        except OSError as exc:
            raise ConfigError(f"source {self.name!r}: path {safe_name(self.root)} is not accessible ({describe(exc)})") from None
        if stat.S_ISREG(st.st_mode):
            name = os.path.basename(self.root)
            kind = self._sniff(self.root)
            if kind == "pst":
                yield from self._pst_units(name, self.root, st)
                return
            if kind is None:
                raise ConfigError(f"source {self.name!r}: {safe_name(name)} is neither an mbox nor a mail message")
            if kind == "mbox":
                yield from self._mbox_units(name, self.root, st)
            elif kind == "archive":
                yield self._archive_unit(name, st)
            else:
                yield from self._file_units(kind, "", [(name, st)])
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
                yield self._error_unit((rel_dir or ".") + "/", f"cannot list directory ({describe(exc)})")
                continue
            is_maildir = _maildir(full_dir)
            if is_maildir:
                yield from self._maildir_units(rel_dir or ".", full_dir)
            singles: dict[str, list[tuple[str, os.stat_result]]] = {"eml": [], "msg": [], "dbox": []}
            subdirs: list[tuple[str, str]] = []
            for entry in entries:
                rel = f"{rel_dir}/{entry.name}" if rel_dir else entry.name
                try:
                    if entry.is_symlink() and not self.follow_symlinks:
                        continue
                    est = entry.stat(follow_symlinks=True)
                except OSError:
                    continue
                if stat.S_ISDIR(est.st_mode):
                    if is_maildir and entry.name in ("cur", "new", "tmp"):
                        continue
                    if (est.st_dev, est.st_ino) in visited:
                        continue
                    visited.add((est.st_dev, est.st_ino))
                    subdirs.append((rel, entry.path))
                elif stat.S_ISREG(est.st_mode):
                    kind = self._sniff(entry.path)
                    if kind == "mbox":
                        yield from self._mbox_units(rel, entry.path, est)
                    elif kind in singles:
                        singles[kind].append((entry.name, est))
                    elif kind == "pst":  # an Outlook archive: its folders, in chunks of items
                        yield from self._pst_units(rel, entry.path, est)
                    elif kind == "archive":  # a mailbox handed over packed (export.zip, inbox.mbox.gz)
                        yield self._archive_unit(rel, est)
            for kind, files in singles.items():
                if files:
                    yield from self._file_units(kind, rel_dir, files)
            stack.extend(reversed(subdirs))

    def _archive_unit(self, rel: str, st: os.stat_result) -> Unit:
        params = (("kind", "archive"), ("path", rel))
        return Unit(self.name, f"archive:{rel}", self.fingerprint(st.st_size, st.st_mtime_ns, st.st_ino), params, st.st_size)

    def _error_unit(self, key: str, reason: str) -> Unit:
        return Unit(self.name, key, self.fingerprint("unlistable", key, reason), (("error", reason),), 0)

    def _sniff(self, full: str) -> str | None:
        try:
            with open(full, "rb") as f:
                head = read_fully(f, SNIFF_BYTES)
        except OSError:
            return None
        return file_kind(head, os.path.basename(full))

    def _mbox_units(self, rel: str, full: str, st: os.stat_result) -> Iterator[Unit]:
        size = st.st_size
        if size <= self.split_bytes:
            params = (("kind", "mbox"), ("path", rel), ("start", 0), ("end", size))
            yield Unit(self.name, f"mbox:{rel}", self.fingerprint(size, st.st_mtime_ns, st.st_ino), params, size)
            return
        try:
            with open(full, "rb") as f:
                for start, end, digest in mbox_ranges(f, size, self.split_bytes):
                    params = (("kind", "mbox"), ("path", rel), ("start", start), ("end", end))
                    fp = self.fingerprint(start, end, digest)
                    yield Unit(self.name, f"mbox:{rel}#{start}-{end}", fp, params, end - start)
        except OSError as exc:
            yield self._error_unit(f"mbox:{rel}", f"cannot read ({describe(exc)})")

    def _maildir_units(self, rel: str, full: str) -> Iterator[Unit]:
        files: dict[str, tuple[str, int, int]] = {}
        for sub in ("new", "cur"):  # cur last: a message seen in both while it moves counts once, in cur
            try:
                with os.scandir(os.path.join(full, sub)) as it:
                    for e in it:
                        if e.name.startswith("."):
                            continue
                        try:
                            est = e.stat(follow_symlinks=self.follow_symlinks)
                        except OSError:
                            continue
                        if stat.S_ISREG(est.st_mode):
                            files[_base(e.name)] = (sub, est.st_size, est.st_mtime_ns)
            except OSError as exc:
                yield self._error_unit(f"maildir:{rel}/{sub}/", f"cannot list directory ({describe(exc)})")
                return
        names = sorted(files)
        for n, i in enumerate(range(0, len(names), self.chunk)):
            part = names[i : i + self.chunk]
            fp = self.fingerprint("maildir", [(b, files[b][1], files[b][2]) for b in part])
            params = (("kind", "maildir"), ("path", rel), ("first", part[0]), ("last", part[-1]))
            yield Unit(self.name, f"maildir:{rel}#{n}", fp, params, sum(files[b][1] for b in part))

    def _file_units(self, kind: str, rel_dir: str, files: list[tuple[str, os.stat_result]]) -> Iterator[Unit]:
        files = sorted(files, key=lambda x: x[0])
        for n, i in enumerate(range(0, len(files), self.chunk)):
            part = files[i : i + self.chunk]
            fp = self.fingerprint(kind, [(name, st.st_size, st.st_mtime_ns, st.st_ino) for name, st in part])
            params = (("kind", kind), ("path", rel_dir), ("first", part[0][0]), ("last", part[-1][0]))
            yield Unit(self.name, f"{kind}:{rel_dir or '.'}#{n}", fp, params, sum(st.st_size for _, st in part))

    # --- reading (worker) ---------------------------------------------------------------------

    def _full(self, rel: str) -> str:
        if not os.path.isdir(self.root):
            return self.root if rel in ("", ".", os.path.basename(self.root)) else os.path.join(os.path.dirname(self.root), rel)
        if rel in ("", "."):
            return self.root
        parts = rel.split("/")
        if any(p in ("", ".", "..") for p in parts):
            raise ConnectorError(f"{safe_name(rel)}: not a path inside the source")
        return os.path.join(self.root, *parts)

    def _open(self, full: str, what: str) -> tuple[IO[bytes], os.stat_result]:
        return open_regular(full, what, follow_symlinks=self.follow_symlinks)

    def read(self, unit: Unit) -> Iterator[Record]:
        error = unit.param("error")
        if error:
            raise ConnectorError(f"{safe_name(unit.key)}: {error}")
        kind = unit.param("kind")
        problems = Problems()
        if kind == "mbox":
            yield from self._read_mbox(unit, problems)
        elif kind in ("maildir", "eml", "msg", "dbox"):
            yield from self._read_files(unit, kind, problems)
        elif kind == "archive":
            yield from self._read_archive(unit)
        elif kind == "pst":
            yield from self._read_pst(unit, problems)
        else:
            raise ConnectorError(f"{safe_name(unit.key)}: unknown unit kind")
        raise_problems(unit.key, problems)

    def _container(self, rel: str) -> str:
        if rel in ("", ".") and not os.path.isdir(self.root):
            return os.path.basename(self.root)
        return rel or "."

    def _read_mbox(self, unit: Unit, problems: Problems) -> Iterator[Record]:
        rel = unit.param("path")
        start, end = int(unit.param("start")), int(unit.param("end"))
        f, st = self._open(self._full(rel), rel)
        container = self._container(rel)
        reader = MessageReader(self.location(container), self.limits, problems, safe_name(container) + " ")
        with f:
            try:
                f.seek(start)
                if read_fully(f, 5) not in (b"From ", b""):
                    raise ConnectorError(f"{safe_name(unit.key)}: the range does not start at a message: the mbox changed since it was listed; scan again")
                f.seek(start)
                yield from mbox_records(f, start, end, self.max_message, reader, _mtime(st))
            except OSError as exc:
                raise ConnectorError(f"{safe_name(unit.key)}: read failed ({describe(exc)})") from None

    def _read_files(self, unit: Unit, kind: str, problems: Problems) -> Iterator[Record]:
        rel = unit.param("path")
        first, last = unit.param("first"), unit.param("last")
        folder = self._full(rel)
        chosen: list[tuple[str, str]] = []  # (file path relative to the folder, container)
        if kind == "maildir":
            found: dict[str, str] = {}
            for sub in ("new", "cur"):
                try:
                    names = os.listdir(os.path.join(folder, sub))
                except OSError as exc:
                    raise ConnectorError(f"{safe_name(rel)}/{sub}: cannot list directory ({describe(exc)})") from None
                for n in names:
                    b = _base(n)
                    if not n.startswith(".") and first <= b <= last:
                        found[b] = f"{sub}/{n}"
            chosen = [(found[b], self._container(rel)) for b in sorted(found)]
        elif not os.path.isdir(self.root):
            chosen = [(os.path.basename(self.root), self._container(""))]
        else:
            try:
                names = sorted(os.listdir(folder))
            except OSError as exc:
                raise ConnectorError(f"{safe_name(rel or '.')}: cannot list directory ({describe(exc)})") from None
            chosen = [(n, f"{rel}/{n}" if rel else n) for n in names if first <= n <= last]
        # a Maildir is one container: its messages' items are told apart across their readers (an .eml file is one)
        items = MessageItems() if kind == "maildir" else None
        for name, container in chosen:
            full = os.path.join(folder, *name.split("/")) if os.path.isdir(self.root) else self.root
            where = name if kind == "maildir" else ""
            try:
                f, st = self._open(full, f"{container}/{name}" if kind == "maildir" else container)
            except ConnectorError as exc:
                if not os.path.lexists(full):
                    continue  # moved or deleted since it was listed: nothing to read
                problems.add(str(exc))
                continue
            with f:
                head = read_fully(f, SNIFF_BYTES)
                if kind != "maildir" and file_kind(head, name) != kind:
                    continue  # replaced since it was listed by something that is not a message
                f.seek(0)
                if kind in ("eml", "maildir") and SPILL_BYTES < st.st_size <= self.max_message and not head.startswith(_COMPRESSED) and not _EMLX.match(head):
                    # a large message: read from the file as it is parsed, its large bodies spooled (bounded memory)
                    reader = MessageReader(self.location(container), self.limits, problems, safe_name(container) + (" " if where else ""), items)
                    try:
                        yield from reader.records(f, safe_name(where), fallback_date=_mtime(st))
                    except OSError as exc:
                        problems.add(f"{safe_name(container)} {safe_name(where)}: read failed ({describe(exc)})")
                    continue
                try:
                    size = os.fstat(f.fileno()).st_size
                    if kind == "dbox":
                        data = read_fully(f, 4 * self.max_message + 1)
                    elif kind == "msg":
                        if size > self.max_message:
                            problems.add(f"{safe_name(container)}: Outlook message of {size} bytes is larger than max_message_bytes; not read")
                            continue
                        raw = outlook_msg_bytes(f, container)
                    else:
                        raw = emlx_message(read_fully(f, self.max_message + 64))
                        if kind == "maildir" and raw.startswith(_COMPRESSED):
                            raw, size, damage = decompressed(raw, self.max_message + 1)
                            if damage:
                                problems.add(f"{safe_name(container)} {safe_name(where)}: {damage}; read as far as it goes")
                                if not raw.strip():
                                    continue
                except OSError as exc:
                    problems.add(f"{safe_name(container)} {safe_name(where)}: read failed ({describe(exc)})")
                    continue
                except ConnectorError as exc:
                    if "needs the Python package" in str(exc):
                        raise
                    problems.add(str(exc))
                    continue
            if kind == "dbox":
                yield from self._read_dbox(data, container, st, problems)
                continue
            oversize = None
            if len(raw) > self.max_message:
                raw = header_block(raw[: 1 << 20])
                oversize = size
            reader = MessageReader(self.location(container), self.limits, problems, safe_name(container) + (" " if where else ""), items)
            yield from reader.records(raw, safe_name(where), fallback_date=_mtime(st), oversize=oversize)

    def _pst_units(self, rel: str, full: str, st: os.stat_result) -> Iterator[Unit]:
        """An Outlook archive's folders, ``chunk_messages`` items a unit: ``pst:<path>#<folder>#<n>``."""
        from connectors.formats import pst

        try:
            pf = pst.open_archive(full, rel)
            try:
                found = pst.folders(pf, rel)
            finally:
                pf.close()
        except ConnectorError as exc:  # an archive libpff cannot open or list: a unit that fails with the reason
            yield self._error_unit(f"pst:{rel}", str(exc).split(": ", 1)[-1])
            return
        total = sum(f.items for f in found) or 1
        for f in found:
            for n, first in enumerate(range(0, f.items, self.chunk)):
                last = min(f.items, first + self.chunk) - 1
                params = (("kind", "pst"), ("path", rel), ("folder", f.identifier), ("first", first), ("last", last))
                fp = self.fingerprint(st.st_size, st.st_mtime_ns, st.st_ino, f.identifier, first, last)
                yield Unit(self.name, f"pst:{rel}#{f.path}#{n}", fp, params, st.st_size * (last - first + 1) // total)

    def _read_pst(self, unit: Unit, problems: Problems) -> Iterator[Record]:
        from connectors.formats import pst

        rel = unit.param("path")
        f, st = self._open(self._full(rel), rel)
        with f:
            pf = pst.open_archive(f, rel)
            try:
                yield from pst.records(
                    pf, rel, self._container(rel), int(unit.param("folder")), int(unit.param("first")),
                    int(unit.param("last")), self.location, self.limits, self.max_message, problems,
                )
            finally:
                pf.close()

    def _read_archive(self, unit: Unit) -> Iterator[Record]:
        """An archive in the mail folder, read by the format readers: mail inside it as mail (container ``<archive>!<entry>``)."""
        from connectors.formats import read_stream

        rel = unit.param("path")
        f, st = self._open(self._full(rel), rel)
        with f:
            yield from read_stream(
                f, rel, container=rel, loc_factory=self.location, limits=self.limits, mtime=st.st_mtime,
                max_message_bytes=self.max_message,
            )

    def _read_dbox(self, data: bytes, container: str, st: os.stat_result, problems: Problems) -> Iterator[Record]:
        """The messages of one Dovecot dbox file (``data``: at most four times ``max_message_bytes`` of it)."""
        reader = MessageReader(self.location(container), self.limits, problems, safe_name(container) + " ")
        if len(data) > 4 * self.max_message:
            problems.add(f"{safe_name(container)}: dbox file larger than {4 * self.max_message} bytes; the rest not read")
            data = data[: 4 * self.max_message]
        for off, raw, received, damage in dbox_messages(data):
            where = f"message at offset {off}"
            if raw:
                oversize = len(raw) if len(raw) > self.max_message else None
                body = header_block(raw[: 1 << 20]) if oversize else raw
                yield from reader.records(body, where, fallback_date=received or _mtime(st), oversize=oversize)
            if damage:
                reader.problem(where, damage)


def mbox_records(
    f: IO[bytes], start: int, end: int, max_message: int, reader: MessageReader, fallback: datetime | None
) -> Iterator[Record]:
    """Records of the messages of an mbox that start in [start, end) (``f`` at ``start``), read by ``reader``.

    The ``From_`` line gives the envelope sender and, without a Date header,
    the date (else ``fallback``); mboxrd ``>From`` quoting is undone; a last
    message that ends mid-line is reported as truncated.
    """
    for offset, data, size, oversize, ends_mid_line in mbox_messages(f, start, end, max_message):
        where = f"message at offset {offset}"
        raw: bytes | IO[bytes]
        if isinstance(data, bytes):
            nl = data.find(b"\n")
            from_line = data[: nl if nl >= 0 else len(data)].rstrip(b"\r")
            raw = data[nl + 1 :] if nl >= 0 else b""
            if b">From " in raw:
                raw = _UNQUOTE.sub(rb"\1", raw)
        else:  # a large message, in a temporary file: read from there, its >From lines unquoted as they are read
            from_line = rest = data.readline(FROM_CONTEXT)
            while rest and not rest.endswith(b"\n"):
                rest = data.readline(FROM_CONTEXT)  # the rest of an absurdly long From_ line
            from_line, raw = from_line.rstrip(b"\r\n"), data
        envelope, when = _from_line(from_line)
        if ends_mid_line:
            reader.problem(where, "the mbox ends mid-line; the message is truncated")
        yield from reader.records(
            raw, where, envelope=envelope, fallback_date=when or fallback, oversize=size if oversize else None,
            unquote=not isinstance(raw, bytes),
        )


def outlook_msg_bytes(f: IO[bytes], name: str) -> bytes:
    """An Outlook ``.msg`` file as the bytes of an RFC 822 message (extract-msg), for :class:`MessageReader`.

    extract-msg rebuilds the MIME message (headers, plain and HTML bodies,
    attachments, embedded messages). The Subject is added when its made-up
    headers leave it out, and when the From header lacks an address (Outlook
    keeps the SMTP address in a separate property), the sender's SMTP address
    is added from the properties.
    """
    try:
        import extract_msg
    except ImportError:
        raise ConnectorError(f"{safe_name(name)}: reading Outlook .msg files needs the Python package extract-msg (pip install 'pii-scan[mail]')") from None
    from email.policy import SMTP

    try:
        msg: Any = extract_msg.openMsg(f)
    except Exception as exc:  # noqa: BLE001 - olefile and extract-msg raise many kinds
        raise ConnectorError(f"{safe_name(name)}: not readable as an Outlook message ({type(exc).__name__})") from None
    try:
        em = msg.asEmailMessage()
        _complete_outlook_headers(em, msg)
        _embedded_as_rfc822(em, msg, 0)
        _rtf_only_body(em, msg)
        return em.as_bytes(policy=SMTP.clone(linesep="\n", max_line_length=0))
    except ConnectorError:
        raise
    except Exception as exc:  # noqa: BLE001
        raise ConnectorError(f"{safe_name(name)}: not readable as an Outlook message ({type(exc).__name__})") from None
    finally:
        try:
            msg.close()
        except Exception:  # noqa: BLE001
            pass


def _complete_outlook_headers(em: Any, msg: Any) -> None:
    """The Subject extract-msg leaves out of the headers it makes up, and the sender's SMTP address Outlook keeps apart."""
    from email.utils import formataddr, parseaddr

    if not str(em.get("Subject", "") or "").strip() and getattr(msg, "subject", None):
        del em["Subject"]
        em["Subject"] = str(msg.subject)
    sender = str(em.get("From", "") or "")
    if "@" not in sender:
        for prop in _SENDER_PROPS:
            try:
                addr = msg.getStringStream(prop)
            except Exception:  # noqa: BLE001
                addr = None
            if addr and "@" in addr and "/" not in addr:
                display = parseaddr(sender)[0] or sender.strip().strip('"')
                del em["From"]
                em["From"] = formataddr((display, addr)) if display else addr
                break


def _embedded_as_rfc822(part: Any, msg: Any, depth: int) -> None:
    """Outlook items attached to ``msg`` as ``message/rfc822`` parts named by their attachment's file name.

    extract-msg puts an embedded item's message in its parent's multipart as a
    plain part, its From/To at part level (read as nothing but a nested
    multipart), without its Subject and often without the sender's address.
    """
    if depth > 8:
        return
    from email.message import EmailMessage

    embedded = [a for a in getattr(msg, "attachments", None) or () if type(a).__name__ == "EmbeddedMsgAttachment"]
    queue = list(embedded)

    def visit(node: Any) -> None:
        if not node.is_multipart() or node.get_content_type() == "message/rfc822":
            return
        payload = node.get_payload()
        for i, sub in enumerate(payload):
            if queue and any(sub.get(h) is not None for h in ("From", "To", "Message-Id")):
                att = queue.pop(0)
                inner = getattr(att, "data", None)
                if inner is not None:
                    _complete_outlook_headers(sub, inner)
                    _embedded_as_rfc822(sub, inner, depth + 1)
                name = getattr(att, "longFilename", None) or getattr(att, "name", None) or None
                wrapper = EmailMessage()
                wrapper.set_content(sub, disposition="attachment", filename=name)
                payload[i] = wrapper
            else:
                visit(sub)

    if embedded:
        visit(part)


def _rtf_only_body(em: Any, msg: Any) -> None:
    """A text part for a message whose body Outlook kept as compressed RTF only (no plain text, no HTML).

    extract-msg rebuilds such a message with an empty body; its text is taken
    out of the RTF (:func:`rtf_text`) and put first in the message.
    """
    from email.message import EmailMessage

    def empty(value: Any) -> bool:
        return not value or not str(value).strip()

    try:
        if not (empty(msg.body) and empty(msg.htmlBody)):
            return
        rtf = msg.rtfBody
    except Exception:  # noqa: BLE001 - a damaged RTF stream, RTFDE's failures
        return
    text = rtf_text(rtf) if isinstance(rtf, bytes) else ""
    if not text.strip():
        return
    part = EmailMessage()
    part.set_content(text)
    if em.is_multipart():
        em.get_payload().insert(0, part)
    elif not em.get_payload():
        em.set_content(text)


_RTF_TOKEN = re.compile(rb"\\([a-zA-Z]{1,32})(-?[0-9]{1,10})? ?|\\'([0-9a-fA-F]{2})|\\(.)|([{}])|[\r\n]+|([^\\{}\r\n]+)", re.S)
_RTF_SKIP = frozenset({b"fonttbl", b"colortbl", b"stylesheet", b"info", b"pict", b"object", b"listtable", b"listoverridetable", b"rsidtbl", b"generator", b"xmlnstbl", b"themedata", b"colorschememapping", b"latentstyles", b"datastore", b"mmathPr"})
_RTF_BREAK = {b"par": "\n", b"line": "\n", b"row": "\n", b"sect": "\n", b"page": "\n", b"tab": "\t", b"cell": "\t"}


def rtf_text(rtf: bytes) -> str:
    r"""The text of an RTF document: paragraphs as lines, ``\'hh`` in its code page, ``\uN`` as the character.

    Destinations that hold no text (font and colour tables, ``{\*...}``, pictures) are left out.

    >>> rtf_text(rb"{\rtf1\ansi{\fonttbl{\f0 Arial;}}\f0 Kund 811228-9874\par H\'e4lsning \u197?sa\par}")
    'Kund 811228-9874\nHälsning Åsa\n'
    """
    out: list[str] = []
    codepage = "cp1252"
    stack: list[tuple[bool, int]] = []
    skip, uc, pending = False, 1, 0  # pending: fallback characters to drop after a \uN
    first_in_group = False
    for m in _RTF_TOKEN.finditer(rtf):
        word, num, hexbyte, sym, brace, text = m.groups()
        if brace is not None:
            if brace == b"{":
                stack.append((skip, uc))
                first_in_group = True
            elif stack:
                skip, uc = stack.pop()
            pending = 0
            continue
        starts = first_in_group
        first_in_group = False
        if word is not None:
            if starts and word in _RTF_SKIP:
                skip = True
            elif word == b"ansicpg" and num:
                codepage = f"cp{int(num)}"
            elif word == b"uc" and num:
                uc = int(num)
            elif skip:
                continue
            elif word == b"u" and num:
                out.append(chr(int(num) % 65536))
                pending = uc
            elif word in _RTF_BREAK:
                out.append(_RTF_BREAK[word])
            continue
        if sym is not None:
            if starts and sym == b"*":
                skip = True
            elif not skip and pending:
                pending -= 1
            elif not skip and sym in (b"{", b"}", b"\\"):
                out.append(sym.decode())
            elif not skip and sym == b"~":
                out.append("\u00a0")
            elif not skip and sym == b"_":
                out.append("-")
            continue
        if skip:
            continue
        if hexbyte is not None:
            if pending:
                pending -= 1
                continue
            try:
                out.append(bytes([int(hexbyte, 16)]).decode(codepage))
            except (LookupError, UnicodeDecodeError):
                out.append(bytes([int(hexbyte, 16)]).decode("cp1252", "replace"))
            continue
        if text is not None:
            chunk = text.decode("latin-1")
            if pending:
                drop = min(pending, len(chunk))
                chunk, pending = chunk[drop:], pending - drop
            out.append(chunk)
    # \uN writes a character outside the BMP as two surrogates: pair them, and never leave a lone one
    return "".join(out).encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")


def _mtime(st: os.stat_result) -> datetime:
    return datetime.fromtimestamp(st.st_mtime, timezone.utc).replace(tzinfo=None)


def _from_line(line: bytes) -> tuple[str | None, datetime | None]:
    """The envelope sender and date of an mbox ``From_`` line.

    >>> _from_line(b"From anna@example.se Mon Jan  1 10:00:00 2024")
    ('anna@example.se', datetime.datetime(2024, 1, 1, 10, 0))
    """
    text = line.decode("utf-8", "replace")
    parts = text.split(None, 2)
    sender = parts[1] if len(parts) > 1 and parts[1] != "-" else None
    when = parse_date(parts[2]) if len(parts) > 2 else None
    return sender, when


def _is_separator(buf: bytes | bytearray, j: int) -> bool:
    """Whether ``buf[j:]`` starting with ``\\nFrom `` ends an empty line (``\\n\\n`` or ``\\n\\r\\n`` before it)."""
    if j >= 1 and buf[j - 1] == 0x0A:
        return True
    return j >= 2 and buf[j - 1] == 0x0D and buf[j - 2] == 0x0A


def starts_message(seg: bytes | bytearray) -> bool:
    r"""Whether ``seg`` (a ``From `` line and what follows) starts a message: a dated ``From_`` line, or one before a header.

    An mbox writer that does not quote body lines (mboxo) leaves a paragraph
    starting with ``From `` after an empty line: it is no message start
    unless the line carries a time and a year after its first word (the
    envelope sender), as ``From_`` lines do, or the next line is a header line (a ``From_`` line without a date). Used to
    split an mbox between messages and by :func:`connectors.formats.mailfile.mail_kind`
    to tell an mbox from a text that starts with ``From ``.

    >>> starts_message(b"From asa@example.se Wed May  1 08:30:00 2024\nx"), starts_message(b"From -\nSubject: x\n")
    (True, True)
    >>> starts_message(b"From the desk of Asa: 640823-3234\nmore\n")
    False
    """
    line, _, rest = bytes(seg).partition(b"\n")
    if _dated(line):
        return True
    return _HEADER_LINE.match(rest.split(b"\n", 1)[0]) is not None


def _dated(line: bytes) -> bool:
    r"""Whether a ``From `` line carries a ``From_`` line's date: a time and a year after the envelope sender.

    ``From <sender> <date>``: a body paragraph ``From 10:30 on Monday 6 May 2024 ...`` has its time
    where the sender stands.

    >>> _dated(b"From - Mon May 06 10:00:00 2024"), _dated(b"From 10:30 on Monday 6 May 2024 I am in Lund.")
    (True, False)
    """
    parts = line[5:].split(None, 1)
    return len(parts) == 2 and _DATED.search(parts[1]) is not None


def _starts_unseparated(seg: bytes | bytearray) -> bool:
    r"""Whether a ``From `` line that follows no empty line starts a message: dated, and a header line after it.

    Some writers put no empty line between messages; in an mbox every body line
    starting with ``From `` is quoted (``>From``), so only a writer that quotes
    nothing leaves one, and then rarely dated and before a header line.

    >>> _starts_unseparated(b"From a@example.se Wed May  1 08:30:00 2024\nFrom: a@example.se\n")
    True
    >>> _starts_unseparated(b"From -\nSubject: x\n"), _starts_unseparated(b"From 10:00 to 12:00, 2024\nhej\n")
    (False, False)
    """
    line, _, rest = bytes(seg).partition(b"\n")
    return _dated(line) and _HEADER_LINE.match(rest.split(b"\n", 1)[0]) is not None


def _separator_at(buf: bytes | bytearray, j: int, eof: bool) -> bool | None:
    """Whether the ``\nFrom `` at ``j`` separates two messages; None when ``buf`` does not hold enough to tell yet."""
    stop = j + 1 + FROM_CONTEXT
    first = buf.find(b"\n", j + 1, stop)
    second = buf.find(b"\n", first + 1, stop) if first >= 0 else -1
    if second < 0 and not eof and len(buf) < stop:
        return None
    seg = buf[j + 1 : second if second >= 0 else stop]
    return starts_message(seg) if _is_separator(buf, j) else _starts_unseparated(seg)


def _boundary_after(f: IO[bytes], point: int, limit: int) -> int | None:
    """Offset of the first message start (a ``From `` line after an empty line) at or after ``point`` and before ``limit``."""
    pos = max(0, point - 3)
    carry = b""
    carry_off = pos
    while pos < limit:
        f.seek(pos)
        chunk = f.read(BOUNDARY_WINDOW)
        if not chunk:
            return None
        buf = carry + chunk
        j = buf.find(_SEP, 0)
        while j >= 0:
            off = carry_off + j + 1
            if off >= point:
                f.seek(off)
                seg = f.read(FROM_CONTEXT)
                if starts_message(seg) if _is_separator(buf, j) else _starts_unseparated(seg):
                    return off if off < limit else None
            j = buf.find(_SEP, j + 1)
        pos += len(chunk)
        carry = buf[-8:]
        carry_off = pos - len(carry)
    return None


def _range_digest(f: IO[bytes], start: int, end: int) -> str:
    f.seek(start)
    head = f.read(min(FINGERPRINT_SAMPLE, end - start))
    f.seek(max(start, end - FINGERPRINT_SAMPLE))
    tail = f.read(min(FINGERPRINT_SAMPLE, end - start))
    return hashlib.sha256(head + b"\x00" + tail).hexdigest()[:32]


def mbox_ranges(f: IO[bytes], size: int, split_bytes: int) -> Iterator[tuple[int, int, str]]:
    r"""Byte ranges of an mbox of ``size`` bytes that start at messages: (start, end, digest), in order.

    A range ends at the first message start (a ``From_`` line after an empty
    line, :func:`starts_message`) found from each multiple of ``split_bytes``
    on, so no message is cut; a stretch without one stays in the range
    before it. ``digest`` is a digest of the range's first and last 4 KiB, for
    the unit's fingerprint. The boundaries are all found before the first
    range is yielded; each digest is read as its range is yielded. ``OSError``
    from ``f`` is the caller's to handle.

    >>> import io
    >>> box = b"".join(b"From a@example.se Wed May  1 08:30:00 2024\nSubject: %d\n\nhej\n\n" % i for i in range(4))
    >>> [(start, end) for start, end, _ in mbox_ranges(io.BytesIO(box), len(box), 100)]
    [(0, 120), (120, 240)]
    """
    bounds = [0]
    point = split_bytes
    while point < size:
        b = _boundary_after(f, max(point, bounds[-1] + 1), min(point + split_bytes, size))
        if b is not None and b < size:
            bounds.append(b)
            point = b + split_bytes
        else:
            point += split_bytes
    bounds.append(size)
    for start, end in zip(bounds, bounds[1:]):
        yield start, end, _range_digest(f, start, end)


def mbox_messages(f: IO[bytes], start: int, end: int, cap: int) -> Iterator[tuple[int, bytes | IO[bytes], int, bool, bool]]:
    """Messages of an mbox that start in [start, end): (offset, bytes or file, size, oversize, ends mid-line).

    ``f`` is positioned at ``start`` (a ``From `` line). A message's bytes run
    from its ``From_`` line to the empty line before the next ``From `` line
    (exclusive). A message longer than :data:`SPILL_BYTES` is not kept in
    memory: its bytes come as a temporary file at offset 0 (valid until the
    next message is asked for). A message longer than ``cap`` is not kept at
    all: only its header block (at most 1 MiB) is returned, with
    ``oversize`` set and its real size. "Ends mid-line" is set for the last
    message of a file that does not end with a line break (a truncated mbox).
    """
    buf = bytearray()
    buf_off = start  # file offset of buf[0]
    msg_start = start  # file offset of the current message
    scan = 0  # index in buf from which to look for the next separator
    head: bytes | None = None  # the header of an oversize message, whose body is being skipped
    spill: Any = None  # the current message's first bytes, once there are more than SPILL_BYTES of them
    try:
        while True:
            block = f.read(BLOCK)
            eof = not block
            buf += block
            pending = -1  # a separator candidate whose From_ line is not all in buf yet
            while True:
                j = buf.find(_SEP, max(scan, msg_start - buf_off + 1, 0))
                while j >= 0:
                    ok = _separator_at(buf, j, eof)
                    if ok is None:
                        pending, j = j, -1
                    elif not ok:
                        j = buf.find(_SEP, j + 1)
                        continue
                    break
                if j < 0:
                    break
                nxt = buf_off + j + 1
                cut = j - 1 if buf[j - 1] == 0x0D else j  # the empty line (\n or \r\n) belongs to the separator
                yield _message(buf, buf_off, msg_start, cut, nxt - msg_start, head, cap, False, spill)
                if spill is not None:
                    spill.close()
                    spill = None
                msg_start, head, scan = nxt, None, j + 1
                if msg_start >= end:
                    return
            if eof:
                total = buf_off + len(buf) - msg_start
                if total > 0:
                    cut = len(buf)
                    for tail in (b"\r\n\r\n", b"\n\n"):
                        if buf.endswith(tail):
                            cut -= len(tail) // 2
                            break
                    yield _message(buf, buf_off, msg_start, cut, total, head, cap, not buf.endswith(b"\n"), spill)
                return
            lo = msg_start - buf_off
            if lo > 0:  # drop what is done with
                del buf[:lo]
                buf_off += lo
                scan -= lo
                pending -= lo
            scan = max(scan, len(buf) - 8, 0)
            if pending >= 0:
                scan = min(scan, pending)  # look at it again with the next block
            # this message's bytes so far: not those from a pending From_ line on, nor a separator still cut by the block end
            if head is None and buf_off - msg_start + (pending if pending >= 0 else len(buf) - 8) > cap:
                head = header_block(_first_bytes(spill, buf, 1 << 20)) + b"\n\n"
                if spill is not None:
                    spill.close()
                    spill = None
            keep = 8 if pending < 0 else len(buf) - pending + 2
            if head is not None and len(buf) > keep:  # skip the body of an oversize message, keeping some context
                drop = len(buf) - keep
                del buf[:drop]
                buf_off += drop
                scan = 0
            elif head is None and scan - 8 >= SPILL_BYTES:  # a large message: what is looked at goes to disk
                move = scan - 8
                if spill is None:
                    spill = tempfile.TemporaryFile(prefix="pii-scan-mbox-")
                spill.write(buf[:move])
                del buf[:move]
                buf_off += move
                scan -= move
                if pending >= 0:
                    pending -= move
    finally:
        if spill is not None:
            spill.close()


def _first_bytes(spill: Any, buf: bytearray, n: int) -> bytes:
    """The first ``n`` bytes of the current message: in ``spill`` (when there is one), then ``buf``."""
    if spill is None:
        return bytes(buf[:n])
    spill.seek(0)
    got = spill.read(n)
    spill.seek(0, os.SEEK_END)
    return got + bytes(buf[: n - len(got)])


def _message(
    buf: bytearray, buf_off: int, msg_start: int, cut: int, size: int, head: bytes | None, cap: int, mid_line: bool, spill: Any = None
) -> tuple[int, bytes | IO[bytes], int, bool, bool]:
    if head is None and size <= cap:
        if spill is None:
            return msg_start, bytes(buf[msg_start - buf_off : cut]), size, False, mid_line
        spill.write(buf[:cut])
        spill.seek(0)
        return msg_start, spill, size, False, mid_line
    if head is None:
        head = header_block(_first_bytes(spill, buf[msg_start - buf_off if spill is None else 0 :], 1 << 20)) + b"\n\n"
    return msg_start, head, size, True, mid_line
