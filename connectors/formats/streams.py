"""Byte streams: sniffing heads without losing them, spooling for seeking readers, bounds, lines."""

from __future__ import annotations

import codecs
import io
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import IO, Any

from connectors.base import ConnectorError
from connectors.formats.encoding import FALLBACK

HEAD_BYTES = 64 * 1024  # what sniffing and encoding detection look at
SPOOL_MEMORY = 8 << 20  # a spooled stream stays in memory up to this size, then goes to a temporary file
COPY_CHUNK = 1 << 20

LineIter = Iterator[tuple[str, str, bool]]
"""(item, piece, more): a physical line, or a slice of an over-long one when ``more`` says another slice follows."""


def read_fully(stream: IO[bytes], n: int) -> bytes:
    """Up to ``n`` bytes, fewer only at the end of the stream (raw reads may be short)."""
    parts: list[bytes] = []
    got = 0
    while got < n:
        chunk = stream.read(n - got)
        if not chunk:
            break
        parts.append(chunk)
        got += len(chunk)
    return b"".join(parts)


class RawView(io.RawIOBase):
    """A read-only, non-seekable raw stream over any object with ``read``.

    Serves ``prefix`` first (a head already read for sniffing), then the rest
    of ``inner``; calls ``on_read(n)`` after each read (counting, limits).
    Exceptions of the types in ``damage`` raised by ``inner`` (a truncated
    gzip, a bad CRC) become a :class:`ConnectorError` saying ``damage_msg``,
    so that they keep their meaning through the readers above.
    """

    def __init__(
        self,
        inner: Any,
        prefix: bytes = b"",
        on_read: Callable[[int], None] | None = None,
        damage: tuple[type[BaseException], ...] = (),
        damage_msg: str = "",
    ) -> None:
        super().__init__()
        self._inner = inner
        self._prefix = memoryview(prefix) if prefix else None
        self._on_read = on_read
        self._damage = damage
        self._damage_msg = damage_msg

    def readable(self) -> bool:
        return True

    def readinto(self, b: Any) -> int:  # type: ignore[override]
        view = memoryview(b).cast("B")
        if self._prefix is not None:
            n = min(len(view), len(self._prefix))
            view[:n] = self._prefix[:n]
            self._prefix = self._prefix[n:] if n < len(self._prefix) else None
        else:
            try:
                data = self._inner.read(len(view))
            except ConnectorError:
                raise
            except self._damage as exc:
                raise ConnectorError(f"{self._damage_msg} ({type(exc).__name__})") from None
            n = len(data) if data else 0
            if n:
                view[:n] = data
        if n and self._on_read is not None:
            self._on_read(n)
        return n


def buffered(inner: Any, prefix: bytes = b"", on_read: Callable[[int], None] | None = None) -> io.BufferedReader:
    return io.BufferedReader(RawView(inner, prefix, on_read), buffer_size=256 * 1024)


class Source:
    """One stream to read: its head for sniffing, then either a sequential stream or a seekable file.

    A seekable input at offset 0 is used in place; anything else (an S3 body,
    a decompressor, a zip entry) is read sequentially, and spooled to a
    temporary file (at most ``max_spool`` bytes) only when a reader needs to
    seek (zip, xlsx, docx, pdf, parquet).
    """

    def __init__(self, fileobj: Any, *, max_spool: int, seekable: bool | None = None) -> None:
        if seekable is None:
            try:
                seekable = bool(fileobj.seekable()) and fileobj.tell() == 0
            except (AttributeError, OSError, ValueError):
                seekable = False
        self._f = fileobj
        self._seekable = seekable
        self._max_spool = max_spool
        self._used = False
        self._spool: IO[bytes] | None = None
        self.head = read_fully(fileobj, HEAD_BYTES)
        self.at_eof = len(self.head) < HEAD_BYTES
        if seekable:
            fileobj.seek(0)

    @property
    def restartable(self) -> bool:
        """Whether :meth:`stream` may be called again (a seekable input, or one spooled already)."""
        return self._seekable or self._spool is not None

    def stream(self) -> IO[bytes]:
        """The whole stream from its first byte, read sequentially (once, unless seekable or spooled)."""
        if self._seekable:
            self._f.seek(0)
            return self._f
        if self._spool is not None:  # a reader that seeked gave up (a damaged .msg): read the copy again
            self._spool.seek(0)
            return self._spool
        if self._used:
            raise RuntimeError("a sequential source is read once")
        self._used = True
        return buffered(self._f, self.head)

    def seekable_file(self) -> IO[bytes]:
        """A seekable file at offset 0 holding the whole stream (spooled if need be)."""
        if self._seekable:
            self._f.seek(0)
            return self._f
        if self._spool is None:
            src = self.stream()
            spool = tempfile.SpooledTemporaryFile(max_size=SPOOL_MEMORY)
            total = 0
            try:
                while True:
                    chunk = src.read(COPY_CHUNK)
                    if not chunk:
                        break
                    total += len(chunk)
                    if total > self._max_spool:
                        raise ConnectorError(f"too large to buffer for a seeking reader (over {self._max_spool} bytes)")
                    spool.write(chunk)
            except BaseException:
                spool.close()
                raise
            spool.seek(0)
            self._spool = spool
        self._spool.seek(0)
        return self._spool

    def close(self) -> None:
        if self._spool is not None:
            self._spool.close()
            self._spool = None


def text_lines(tf: IO[str], cap: int) -> LineIter:
    """Physical lines of a text stream, items being 1-based line numbers; lines longer than ``cap`` come in slices."""
    n = 0
    cont = False
    readline = tf.readline
    while True:
        s = readline(cap)
        if not s:
            return
        if not cont:
            n += 1
        more = len(s) >= cap and s[-1] not in "\r\n"
        yield str(n), s, more
        cont = more


def range_lines(f: IO[bytes], start: int, end: int, encoding: str, cap: int) -> LineIter:
    """Lines that *start* in the byte range [start, end) of a seekable file; items are ``@<byte offset>``.

    A range that does not begin the file skips the line in progress at its
    start (the previous range reads it through); the last line is read to its
    end even past ``end``. Only for encodings where ``\\n`` is the byte 0x0A.
    """
    if start > 0:
        f.seek(start - 1)
        pos = start - 1
        while True:
            chunk = f.readline(cap)
            pos += len(chunk)
            if not chunk or chunk.endswith(b"\n"):
                break
    else:
        f.seek(0)
        pos = 0
    decoder = codecs.getincrementaldecoder(encoding)(errors=FALLBACK)
    cont = False
    line_start = pos
    while pos < end or cont:
        b = f.readline(cap)
        if not b:
            return
        if not cont:
            line_start = pos
        pos += len(b)
        more = len(b) >= cap and not b.endswith(b"\n")
        yield f"@{line_start}", decoder.decode(b, final=not more), more
        cont = more


def local_path(f: Any) -> str | None:
    """The path of the local file that the open file ``f`` reads, when it is one (not a spool, a pipe or an
    archive entry that happens to share a name with a file): for readers that hand a path to a program or a
    library (SQLite, pdftoppm)."""
    try:
        fd = f.fileno()
        name = getattr(f, "name", None)
        if not isinstance(name, str):  # opened from a descriptor (the files connector): its path, where the OS tells
            name = os.readlink(f"/proc/self/fd/{fd}")
        st, ps = os.fstat(fd), os.stat(name)
    except (OSError, AttributeError, ValueError):  # io.UnsupportedOperation is an OSError and a ValueError
        return None
    return name if (st.st_dev, st.st_ino) == (ps.st_dev, ps.st_ino) else None


@contextmanager
def local_file(f: Any, suffix: str = "") -> Iterator[str]:
    """A path to the whole content of the seekable file ``f`` for a program or library that opens files by
    name: the local file itself where ``f`` reads one (:func:`local_path`), else a copy in a private folder of
    ``TMPDIR``, removed on leaving (also on errors)."""
    path = local_path(f)
    if path is not None:
        yield path
        return
    tmp = tempfile.mkdtemp(prefix="pii-scan-")
    try:
        path = os.path.join(tmp, "copy" + suffix)
        f.seek(0)
        with open(path, "wb") as out:
            shutil.copyfileobj(f, out, COPY_CHUNK)
        yield path
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

