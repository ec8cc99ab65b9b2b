"""Streaming rewrites: a line-based file without some of its lines, an mbox without some of its messages.

Both read the source once and write the result to another stream, holding at
most one CSV record or one mail header in memory. Line numbers are counted as
the format readers count them (:func:`connectors.formats.streams.text_lines`:
``\\n``, ``\\r\\n`` and ``\\r`` end a line; ``@<offset>`` items are byte offsets
of a line's start), so the lines dropped are the lines the scan reported.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from typing import IO, Any

from reports.erasure.names import line_item

MAX_HEADER_BYTES = 1 << 20


class RewriteError(RuntimeError):
    """The content no longer matches the plan (the message names counts, never content)."""


class _Raw(io.RawIOBase):
    """A file-like ``read(n)`` object (an S3 body) as a raw stream."""

    def __init__(self, body: Any) -> None:
        self.body = body

    def readable(self) -> bool:
        return True

    def readinto(self, b: Any) -> int:
        data = self.body.read(len(b))
        n = len(data)
        b[:n] = data
        return n


def buffered(body: Any) -> IO[bytes]:
    """``body`` as a buffered binary stream (it may already be one)."""
    if isinstance(body, (io.BufferedIOBase, io.RawIOBase)) and hasattr(body, "readinto"):
        return body  # type: ignore[return-value]
    return io.BufferedReader(_Raw(body), buffer_size=256 << 10)


def _lines(text: IO[str], encoding: str) -> Iterator[tuple[int, int, str]]:
    """(1-based line number, byte offset of its start, line with its end) of a text stream."""
    bom = 3 if encoding.replace("_", "-").lower() == "utf-8-sig" else 0  # the first line's bytes include the mark
    enc = "utf-8" if bom else encoding
    pos = n = 0
    for line in iter(text.readline, ""):
        n += 1
        yield n, pos, line
        pos += len(line.encode(enc, "surrogateescape")) + (bom if n == 1 else 0)


def drop_lines(src: IO[bytes], dst: IO[bytes], items: list[str], fmt: str, encoding: str, delimiter: str = ",") -> int:
    """Copy ``src`` to ``dst`` without the records at ``items`` (line numbers or ``@offsets``); the number dropped.

    For CSV a record that spans several physical lines (a quoted newline) is
    dropped whole. Bytes that do not decode are carried over unchanged.
    """
    lines_wanted: set[int] = set()
    offsets_wanted: set[int] = set()
    for it in items:
        got = line_item(it)
        if got is None:
            raise RewriteError("an item of the plan is not a line")
        (lines_wanted if got[0] == "line" else offsets_wanted).add(got[1])
    text = io.TextIOWrapper(src, encoding=encoding, errors="surrogateescape", newline="")
    out = io.TextIOWrapper(dst, encoding=encoding, errors="surrogateescape", newline="", write_through=True)
    dropped = 0

    def wanted(n: int, pos: int) -> bool:
        return n in lines_wanted or pos in offsets_wanted

    try:
        if fmt == "csv":
            pending: list[tuple[int, int, str]] = []
            source = _lines(text, encoding)

            def feed() -> Iterator[str]:
                for entry in source:
                    pending.append(entry)
                    yield entry[2]

            reader = csv.reader(feed(), delimiter=delimiter, strict=False)
            while True:
                try:
                    next(reader)
                except StopIteration:
                    break
                except csv.Error:
                    pass  # a malformed row is still a run of lines: kept or dropped by its first line
                record, pending[:] = list(pending), []
                if record and wanted(record[0][0], record[0][1]):
                    dropped += 1
                    continue
                for _, _, line in record:
                    out.write(line)
            for _, _, line in pending:
                out.write(line)
        else:
            for n, pos, line in _lines(text, encoding):
                if wanted(n, pos):
                    dropped += 1
                    continue
                out.write(line)
        out.flush()
    finally:
        out.detach()
        text.detach()
    if dropped != len(lines_wanted) + len(offsets_wanted):
        raise RewriteError(f"{len(lines_wanted) + len(offsets_wanted)} line(s) planned, {dropped} found: "
                           "the content changed since the scan; rescan and make a new plan")
    return dropped


# --------------------------------------------------------------------------------------- mail


def header_message_id(header: bytes) -> str:
    """The item the scan gave a message with this header block (its Message-ID, else its ``sha256:`` fallback)."""
    from connectors.mime import fallback_item, message_id, parse

    return message_id(parse(header + b"\n\n")) or fallback_item(header)


def _is_blank(line: bytes) -> bool:
    return line in (b"\n", b"\r\n", b"\r")


def drop_mbox_messages(src: IO[bytes], dst: IO[bytes], ids: set[str]) -> list[str]:
    """Copy an mbox without the messages whose Message-ID is in ``ids``; the IDs dropped, one per message.

    A message starts at a ``From `` line at the start of the file or after an
    empty line, as the mail connector reads it.
    """
    dropped: list[str] = []
    prev_blank = True
    header: list[bytes] = []  # the current message's lines until its header ends
    state = "none"  # none | header | keep | drop
    size = 0

    def decide() -> str:
        raw = b"".join(header[1:])  # without the From_ line
        mid = header_message_id(raw.rstrip(b"\r\n"))
        if mid in ids:
            dropped.append(mid)
            return "drop"
        return "keep"

    for line in iter(lambda: src.readline(1 << 20), b""):
        if line.startswith(b"From ") and prev_blank:
            if state == "header":
                state = decide()
                if state == "keep":
                    dst.writelines(header)
            header, state, size = [line], "header", len(line)
            prev_blank = False
            continue
        prev_blank = _is_blank(line)
        if state == "header":
            header.append(line)
            size += len(line)
            if _is_blank(line) or size > MAX_HEADER_BYTES:
                state = decide()
                if state == "keep":
                    dst.writelines(header)
                header = []
            continue
        if state in ("keep", "none"):
            dst.write(line)
    if state == "header" and decide() == "keep":
        dst.writelines(header)
    return dropped
