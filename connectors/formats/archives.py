"""Archives and compressed streams: zip, tar, gzip, bzip2, xz.

Nothing is extracted to disk (a zip needs a seekable file: a non-seekable
input is spooled to a temporary file first). Every entry is sniffed and read
like a file of its own, nested archives included, up to ``Limits.max_depth``.

* **zip / tar**: an entry's records have the container
  ``<archive>!<entry path>`` (``exports.zip!2024/kunder.csv``, nested:
  ``a.zip!inner.zip!x.csv``), plus a name record (field ``path``, ``item`` ``""``)
  holding the entry's path, so that a file called ``811228-9874_lönespec.pdf``
  inside an archive is found too. ``ref_date`` is the entry's own date.
* **gzip / bzip2 / xz**: the decompressed stream is read in place of the
  file: same container, sniffed anew (``app.log.gz`` reads as a log).

Bounds (:class:`~connectors.base.Limits`): at most ``max_entries`` entries
per archive (the rest is reported); an entry whose declared size exceeds what
is left of ``max_expanded_bytes`` (shared by an archive and everything nested
in it) or whose declared ratio exceeds ``max_ratio`` is refused unread and
reported; actual expansion is counted too (declared sizes can lie) and stops
an entry or stream that goes beyond either bound. Entries with absolute
paths or ``..`` segments are refused and reported; encrypted entries are
reported. Every refused or damaged entry is reported and the others are read
(the caller raises :class:`~connectors.formats.core.PartialRead` at the end);
a damaged or truncated gzip/bzip2/xz stream or tar raises
:class:`~connectors.base.ConnectorError` after the records read before it.
"""

from __future__ import annotations

import bz2
import datetime as dt
import gzip
import io
import lzma
import re
import tarfile
import zipfile
import zlib
from collections.abc import Callable, Iterator
from typing import IO, Any

from connectors.base import ConnectorError, Record, safe_name
from connectors.formats.core import PATH_FIELD, Budget, Ctx, LimitExceeded, describe
from connectors.formats.office import RATIO_MIN_BYTES
from connectors.formats.opendocument import odf_kind
from connectors.formats.streams import RawView, Source, buffered

_DRIVE = re.compile(r"^[A-Za-z]:")
_SUFFIXES = {".gz": "", ".gzip": "", ".bz2": "", ".xz": "", ".zst": "", ".zstd": "", ".tgz": ".tar", ".tbz2": ".tar",
             ".txz": ".tar", ".tzst": ".tar"}
_DAMAGE = (EOFError, zlib.error, lzma.LZMAError, OSError, zipfile.BadZipFile, tarfile.TarError, ValueError, NotImplementedError, RuntimeError)


def unsafe_path(name: str) -> bool:
    """An entry path that would escape its archive: absolute, a drive, or a ``..`` segment."""
    p = name.replace("\\", "/")
    return p.startswith("/") or bool(_DRIVE.match(p)) or ".." in p.split("/")


def zip_kind(f: IO[bytes]) -> str:
    """``xlsx``, ``docx``, ``pptx``, ``xlsb``, ``odt``, ``ods`` or ``zip`` for a seekable zip file (by its entries, as
    Office does)."""
    try:
        with zipfile.ZipFile(f) as zf:
            return _kind_of(zf)
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        return "zip"
    finally:
        f.seek(0)


def _kind_of(zf: zipfile.ZipFile) -> str:
    names = set(zf.namelist())
    odf = odf_kind(zf) if "mimetype" in names else None
    if odf:
        return odf
    if "[Content_Types].xml" in names:
        if "word/document.xml" in names:
            return "docx"
        if "xl/workbook.xml" in names:
            return "xlsx"
        if "ppt/presentation.xml" in names:
            return "pptx"
        if "xl/workbook.bin" in names:
            return "xlsb"
    return "zip"


def inner_name(name: str) -> str:
    """``app.log.gz`` -> ``app.log``, ``x.tgz`` -> ``x.tar``."""
    low = name.lower()
    for suffix, replacement in _SUFFIXES.items():
        if low.endswith(suffix):
            return name[: len(name) - len(suffix)] + replacement
    return name


def zip_entry_name(info: zipfile.ZipInfo) -> str:
    """An entry's path as its archiver wrote it.

    A name without the UTF-8 flag is decoded by :mod:`zipfile` as cp437 (the
    old DOS code page, which is also what Windows' own zip writes for åäö), but
    many archivers (Linux ``zip``, macOS, Java) write UTF-8 without setting the
    flag: ``löner/`` came out as ``l├╢ner/``. Such a name is read as UTF-8 when
    its bytes are valid UTF-8 with non-ASCII characters (which cp437 text of
    letters practically never is).
    """
    name = info.filename
    if info.flag_bits & 0x800 or name.isascii():
        return name
    try:
        return name.encode("cp437").decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return name


def _entry_date(info: zipfile.ZipInfo) -> dt.datetime | None:
    try:
        return dt.datetime(*info.date_time)
    except (TypeError, ValueError):
        return None


def _check_depth(ctx: Ctx) -> None:
    if ctx.depth >= ctx.limits.max_depth:
        raise LimitExceeded(f"{ctx.name}: archives nested deeper than max_depth={ctx.limits.max_depth}")


def _counter(budget: Budget, what: str, compressed: Callable[[], int] | None, max_ratio: int) -> Callable[[int], None]:
    """An ``on_read`` callback: charge expanded bytes to the budget and watch the ratio."""
    total = 0

    def on_read(n: int) -> None:
        nonlocal total
        total += n
        budget.take(n, what)
        if compressed is not None and total > RATIO_MIN_BYTES and total > max_ratio * max(compressed(), 1):
            raise LimitExceeded(f"{what}: compressed more than max_ratio={max_ratio}")

    return on_read


def _name_record(ctx: Ctx, entry: str) -> Record:
    return ctx.record("", [(PATH_FIELD, entry)], False)


class _ZstdFrames(io.RawIOBase):
    """The decompressed bytes of a zstd stream, frame after frame (``zstd`` writes one per input it
    appends), a chunk at a time; a stream that ends inside a frame raises EOFError, as gzip's does
    (``zstandard``'s own stream reader ends there in silence)."""

    # Input fed per call: one call's output is not bounded by zstandard, but a zstd block holds at most
    # 128 KiB and takes at least 4 bytes, so 1 KiB of input makes at most 32 MiB (a bomb stops at the
    # archive budget a read later, never with gigabytes in memory).
    CHUNK = 1 << 10

    def __init__(self, raw: IO[bytes]) -> None:
        import zstandard

        self._raw = raw
        self._error = zstandard.ZstdError
        self._new = zstandard.ZstdDecompressor().decompressobj
        self._dec = self._new()
        self._started = False  # the current frame has had input
        self._out = b""
        self._done = False

    def readable(self) -> bool:
        return True

    def readinto(self, b: Any) -> int:
        while not self._out and not self._done:
            data = self._raw.read(self.CHUNK)
            if not data:
                if self._started and not self._dec.eof:
                    raise EOFError("the stream ends inside a zstd frame")
                self._done = True
                break
            while data:
                self._started = True
                try:
                    self._out += self._dec.decompress(data)
                except self._error as exc:  # damaged data: what _DAMAGE says for every compressed stream
                    raise ValueError(f"damaged zstd data ({type(exc).__name__})") from None
                data = b""
                if self._dec.eof:  # the frame ended: what follows starts the next one
                    data, self._dec, self._started = self._dec.unused_data, self._new(), False
        n = min(len(b), len(self._out))
        b[:n] = self._out[:n]
        self._out = self._out[n:]
        return n


def compressed_records(ctx: Ctx, src: Source, name: str, fmt: str, read: Any) -> Iterator[Record]:
    """A gzip, bzip2, xz or zstd stream: decompressed on the fly, then sniffed and read as its content."""
    _check_depth(ctx)
    budget = ctx.budget or Budget(ctx.limits.max_expanded_bytes)
    consumed = 0

    def count_in(n: int) -> None:
        nonlocal consumed
        consumed += n

    raw_in = buffered(src.stream(), on_read=count_in)
    dec: Any
    if fmt == "zstd":
        dec = io.BufferedReader(_ZstdFrames(raw_in), 1 << 16)
    else:
        opener = {"gzip": gzip.GzipFile, "bzip2": bz2.BZ2File, "xz": lzma.LZMAFile}[fmt]
        dec = opener(fileobj=raw_in) if fmt == "gzip" else opener(raw_in)
    out = RawView(
        dec,
        on_read=_counter(budget, f"{ctx.name} ({fmt})", lambda: consumed, ctx.limits.max_ratio),
        damage=_DAMAGE,
        damage_msg=f"{ctx.name}: truncated or damaged {fmt} data",
    )
    child = ctx.child(ctx.container)
    child.budget = budget
    try:
        yield from read(child, out, inner_name(name), False)
    except ConnectorError:
        raise
    except _DAMAGE as exc:
        raise ConnectorError(f"{ctx.name}: truncated or damaged {fmt} data ({describe(exc)})") from None


def _read_entry(ctx: Ctx, read: Any, fileobj: Any, entry: str, size: int, compressed: int | None, budget: Budget) -> Iterator[Record]:
    """Read one archive entry (already checked) under the shared budget; problems are reported, not raised."""
    counted = RawView(
        fileobj,
        on_read=_counter(budget, ctx.name, (lambda: compressed) if compressed else None, ctx.limits.max_ratio),
        damage=_DAMAGE,
        damage_msg=f"{ctx.name}: damaged entry",
    )
    try:
        yield from read(ctx, counted, entry, False)
    except ConnectorError as exc:
        ctx.problem(str(exc))
    except _DAMAGE as exc:
        ctx.problem(f"{ctx.name}: damaged entry ({describe(exc)})")


def _refuse(ctx: Ctx, entry_ctx: Ctx, entry: str, size: int, compressed: int | None, budget: Budget) -> bool:
    lim = ctx.limits
    if size > budget.remaining:
        entry_ctx.problem(f"{entry_ctx.name}: refused, {size} bytes would exceed max_expanded_bytes={lim.max_expanded_bytes}")
        return True
    if compressed is not None and size > RATIO_MIN_BYTES and size > lim.max_ratio * max(compressed, 1):
        entry_ctx.problem(f"{entry_ctx.name}: refused, compressed more than max_ratio={lim.max_ratio}")
        return True
    return False


def zip_parts(f: IO[bytes], max_entries: int, target_bytes: int) -> list[tuple[int, int, int]]:
    """A large zip's entries in parts of about ``target_bytes`` declared (uncompressed) bytes each, for units of
    their own: ``(first, end, before)`` = entries ``[first, end)`` of its first ``max_entries``, and the declared
    bytes of the entries before them. ``[]`` when it is not a readable zip, is an Office or OpenDocument file, or
    fits in one part."""
    try:
        with zipfile.ZipFile(f) as zf:
            if _kind_of(zf) != "zip":
                return []  # an Office or OpenDocument file: read as one document
            infos = zf.infolist()[:max_entries]
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError):
        return []
    sizes = [0 if i.is_dir() else max(0, i.file_size) for i in infos]
    if len(infos) < 2 or sum(sizes) <= target_bytes:
        return []
    parts: list[tuple[int, int, int]] = []
    first, acc, before = 0, 0, 0
    for k, n in enumerate(sizes):
        if acc and acc + n > target_bytes:
            parts.append((first, k, before))
            first, before, acc = k, before + acc, 0
        acc += n
    parts.append((first, len(infos), before))
    return parts if len(parts) > 1 else []


def zip_records(ctx: Ctx, src: Source, read: Any, part: tuple[int, int, int] | None = None) -> Iterator[Record]:
    """The records of a zip's entries: all of them, or ``part`` (:func:`zip_parts`), whose share of
    ``max_expanded_bytes`` is what the entries before it leave (by their declared sizes)."""
    _check_depth(ctx)
    f = src.seekable_file()
    try:
        zf = zipfile.ZipFile(f)
        infos = zf.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError) as exc:
        raise ConnectorError(f"{ctx.name}: not a readable zip archive ({describe(exc)})") from None
    budget = ctx.budget or Budget(ctx.limits.max_expanded_bytes - (part[2] if part else 0))
    if len(infos) > ctx.limits.max_entries:
        if part is None or part[0] == 0:
            ctx.problem(f"{ctx.name}: {len(infos)} entries, only the first max_entries={ctx.limits.max_entries} read")
        infos = infos[: ctx.limits.max_entries]
    if part is not None:
        infos = infos[part[0] : part[1]]
    with zf:
        for info in infos:
            entry = zip_entry_name(info)
            if info.is_dir():
                continue
            if unsafe_path(entry):
                ctx.problem(f"{ctx.name}: entry {safe_name(entry)} refused, its path leaves the archive")
                continue
            child = ctx.child(f"{ctx.container}!{entry}", _entry_date(info))
            child.budget = budget
            yield _name_record(child, entry)
            if info.flag_bits & 0x1:
                child.problem(f"{child.name}: encrypted, not read")
                continue
            if _refuse(ctx, child, entry, info.file_size, info.compress_size, budget):
                continue
            try:
                raw = zf.open(info)
            except _DAMAGE as exc:
                child.problem(f"{child.name}: cannot be opened ({describe(exc)})")
                continue
            with raw:
                yield from _read_entry(child, read, raw, entry, info.file_size, info.compress_size, budget)


def embedded_records(ctx: Ctx, read: Any, name: str, data: bytes, when: dt.datetime | None = None) -> Iterator[Record]:
    """A file embedded in a document (a PDF attachment), read as an archive entry: container ``<document>!<name>``.

    Its name is a record (field ``path``); its bytes count against the document's
    ``max_expanded_bytes`` and nesting against ``max_depth``; damage is reported, not raised.
    """
    _check_depth(ctx)
    budget = ctx.budget or Budget(ctx.limits.max_expanded_bytes)
    ctx.budget = budget
    child = ctx.child(f"{ctx.container}!{name}", when)
    child.budget = budget
    yield _name_record(child, name)
    if unsafe_path(name):
        name = name.replace("\\", "/").rsplit("/", 1)[-1]  # only a label here: nothing is written
    if _refuse(ctx, child, name, len(data), None, budget):
        return
    yield from _read_entry(child, read, io.BytesIO(data), name, len(data), None, budget)


def tar_records(ctx: Ctx, src: Source, read: Any) -> Iterator[Record]:
    _check_depth(ctx)
    budget = ctx.budget or Budget(ctx.limits.max_expanded_bytes)
    count = 0
    try:
        tf = tarfile.open(fileobj=src.stream(), mode="r|")
        for member in tf:
            count += 1
            if count > ctx.limits.max_entries:
                ctx.problem(f"{ctx.name}: more than max_entries={ctx.limits.max_entries} entries, the rest not read")
                break
            if not member.isfile():
                continue
            entry = member.name
            if unsafe_path(entry):
                ctx.problem(f"{ctx.name}: entry {safe_name(entry)} refused, its path leaves the archive")
                continue
            when = dt.datetime.fromtimestamp(member.mtime, dt.timezone.utc).replace(tzinfo=None) if member.mtime else None
            child = ctx.child(f"{ctx.container}!{entry}", when)
            child.budget = budget
            yield _name_record(child, entry)
            if _refuse(ctx, child, entry, member.size, None, budget):
                continue
            fileobj = tf.extractfile(member)
            if fileobj is not None:
                yield from _read_entry(child, read, fileobj, entry, member.size, None, budget)
    except ConnectorError:
        raise
    except _DAMAGE as exc:
        raise ConnectorError(f"{ctx.name}: truncated or damaged tar archive ({describe(exc)})") from None
