"""Legacy binary documents (OLE2: .doc, .xls, .ppt, .msg): printable strings, like ``strings(1)``.

Runs of at least six printable characters, single-byte (read as cp1252) or
UTF-16LE, are collected per 64 KiB block of the file: one record per block
with text, ``item`` = ``@<byte offset of the block>``, field ``text``, not
structured. Crude but bounded, and it finds identifiers in old Office files.
Other binary files (images, executables) are not scanned: only their names.
A password-protected Office Open XML document (an OLE2 container of an
``EncryptedPackage``) is not read: its unit fails with the reason, as an
encrypted PDF's does (:func:`encrypted_office`).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from connectors.base import Record
from connectors.formats.core import TEXT_FIELD, Ctx
from connectors.formats.encoding import decode
from connectors.formats.streams import Source

BLOCK = 64 * 1024
MAX_CARRY = 4096
_RUNS = re.compile(rb"[\x20-\x7e\xa0-\xff\t]{6,}|(?:[\x20-\x7e\xa0-\xff]\x00){6,}")


_ENCRYPTED_PACKAGE = "EncryptedPackage".encode("utf-16-le")
_ENCRYPTION_INFO = "EncryptionInfo".encode("utf-16-le")
TAIL_SCAN = 1 << 20


def encrypted_office(src: Source, ole: Any) -> bool:
    """Whether an OLE2 file is a password-protected Office Open XML document (.xlsx, .docx, .pptx).

    Office encrypts such a document into an OLE2 container holding the streams
    ``EncryptionInfo`` and ``EncryptedPackage`` (MS-OFFCRYPTO 2.3.4): its printable
    strings are noise, and what it holds cannot be read without the password.
    ``ole`` is the container opened with olefile (:func:`connectors.formats.biff.open_ole`);
    None (a damaged container olefile cannot open): the stream names are looked for in its
    directory's bytes (its first 64 KiB and its last MiB).
    """
    if ole is not None:
        return bool(ole.exists("EncryptedPackage") and ole.exists("EncryptionInfo"))
    f = src.seekable_file()
    head = src.head
    f.seek(0, 2)
    size = f.tell()
    f.seek(max(0, size - TAIL_SCAN))
    tail = f.read(TAIL_SCAN)
    f.seek(0)
    return any(_ENCRYPTED_PACKAGE in b and _ENCRYPTION_INFO in b for b in (head, tail))


def strings_records(ctx: Ctx, src: Source) -> Iterator[Record]:
    stream = src.stream()
    offset = 0  # of the start of `carry + chunk`
    carry = b""
    while True:
        chunk = stream.read(BLOCK)
        data = carry + chunk
        if not data:
            return
        texts: list[str] = []
        keep_from = len(data)
        for m in _RUNS.finditer(data):
            if chunk and m.end() >= len(data) - 1 and m.end() - m.start() <= MAX_CARRY:
                keep_from = m.start()  # may continue in the next block
                break
            run = m.group()
            if len(run) > 1 and run[1] == 0 and len(run) % 2 == 0 and run[1::2].count(0) == len(run) // 2:
                texts.append(run.decode("utf-16-le", errors="replace"))
            else:
                texts.append(decode(run, "cp1252"))
        if texts:
            yield ctx.record(f"@{offset}", [(TEXT_FIELD, "\n".join(texts))], False)
        if not chunk:
            return
        carry = data[keep_from:]
        offset += keep_from
