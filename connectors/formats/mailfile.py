"""Mail stored as files: an ``.eml`` message, an mbox, an Outlook ``.msg``, read as mail.

A file share (or a zip, or an S3 object read by the format readers) may hold
mail. Read as text, its base64 and quoted-printable bodies, RFC 2047 headers
and attachments would stay encoded. A stream whose first bytes are mail
(:func:`mail_kind`, by content: :func:`connectors.mail.sniff`) is read by the
mail connector's readers instead (:class:`connectors.mime.MessageReader`,
:func:`connectors.mail.mbox_records`), so the records are those of the
``mail`` connector: ``item`` = the Message-ID (or its ``sha256:`` fallback),
fields ``header:From`` (structured: the sender), ``header:Subject``,
``body``, ``body[2]``, ``attachment:<name>!<item>:<field>`` ...; the
container stays the file's (``<file>!<entry>`` inside an archive).

What counts as mail, besides what :func:`connectors.mail.sniff` says:

* an mbox must start with a real ``From_`` line (a time and a year, or a
  header line after it): a note that starts "From the desk of ..." is text;
* a message (``eml``) in a file whose name has no mail suffix must also have
  a transport header (Received, Return-Path, Message-ID, MIME-Version,
  DKIM-Signature, Delivered-To) in its header block, as every stored mail
  has: notes of ``Date:``/``From:``/``Personnummer:`` lines stay text;
* an Outlook message is an OLE2 file named ``.msg`` (the OLE2 directory that
  would say more is not in the first bytes); one extract-msg cannot read is
  reported and its printable strings are read, as for other OLE2 files.

An mbox is read as one stream, message by message (never split by byte
ranges: see :func:`connectors.formats.splittable`); a message up to
``Ctx.max_message_bytes`` is read (100 MiB unless the connector passes
its own ``max_message_bytes``, as S3 does; a larger message: only its header
is read, and that is reported), a large one (an mbox's, or an ``.eml``
over 1 MiB, spooled first when the stream cannot seek) from a file with its
large bodies spooled, in bounded memory (:func:`connectors.mime.read_message`). Damage is reported as the mail connector
reports it, after the other records.
"""

from __future__ import annotations

import io
import posixpath
import re
import sys
from collections.abc import Iterator

from connectors.base import ConnectorError, Record
from connectors.formats.core import Ctx
from connectors.formats.streams import Source, read_fully

MAIL_FORMATS = ("eml", "mbox", "msg")
MAIL_SUFFIXES = (".eml", ".emlx", ".mbox", ".mbx", ".mail", ".msg", ".mbs")
_EVIDENCE = re.compile(rb"(?im)^(received|return-path|message-id|mime-version|dkim-signature|delivered-to):")


def _suffix(name: str) -> str:
    base = name.replace("\\", "/").rsplit("!", 1)[-1].rsplit("/", 1)[-1]
    return posixpath.splitext(base)[1].lower() if "." in base.lstrip(".") else ""


def mail_kind(head: bytes, name: str = "") -> str | None:
    r"""``eml``, ``mbox``, ``msg`` or None for a stream with these first bytes.

    >>> mail_kind(b"From anna@example.se Mon Jan  1 10:00:00 2024\nFrom: x\n\nhej\n", "arkiv.txt")
    'mbox'
    >>> mail_kind(b"From the desk of Anna\nhej\n", "brev.txt") is None
    True
    >>> mail_kind(b"From: a@example.se\nDate: 1 Jan 2024\n\nanteckning\n", "notes.txt") is None
    True
    >>> mail_kind(b"Message-ID: <1@example.se>\nFrom: a@example.se\n\nhej\n", "notes.txt")
    'eml'
    """
    from connectors.mail import sniff, starts_message
    from connectors.mime import header_block

    kind = sniff(head, name.replace("\\", "/").rsplit("!", 1)[-1])
    if kind == "mbox":
        return "mbox" if starts_message(head[:4096]) else None
    if kind == "eml":
        body = head[3:] if head.startswith(b"\xef\xbb\xbf") else head
        if _suffix(name) in MAIL_SUFFIXES or _EVIDENCE.search(header_block(body)):
            return "eml"
        return None
    return kind


def mail_records(ctx: Ctx, src: Source, kind: str) -> Iterator[Record]:
    """The records of one mail file (``kind`` from :func:`mail_kind`), read by the mail connector's readers."""
    from connectors.mail import mbox_records, outlook_msg_bytes
    from connectors.mime import MessageReader, header_block

    reader = MessageReader(ctx.loc_factory(ctx.container, ""), ctx.limits, ctx.problems, ctx.name + " ")
    fallback = ctx.record_date
    cap = ctx.max_message_bytes
    if kind == "mbox":
        yield from mbox_records(src.stream(), 0, sys.maxsize, cap, reader, fallback)
        return
    if kind == "msg":
        f = src.seekable_file()
        size = f.seek(0, io.SEEK_END)
        f.seek(0)
        if size > cap:
            ctx.problem(f"{ctx.name}: Outlook message of {size} bytes is larger than {cap} bytes; not read")
            return
        try:
            data = outlook_msg_bytes(f, ctx.container)
        except ConnectorError as exc:
            if "needs the Python package" in str(exc):
                raise
            ctx.problem(f"{exc}; its printable strings read instead")
            from connectors.formats.binary import strings_records

            yield from strings_records(ctx, src)
            return
    else:
        from connectors.mail import _EMLX, SPILL_BYTES, emlx_message

        if not src.at_eof and not _EMLX.match(src.head):  # more than the head: maybe a large message
            f = src.seekable_file()  # in place, or spooled to a temporary file (an S3 body)
            size = f.seek(0, io.SEEK_END)
            f.seek(0)
            if SPILL_BYTES < size <= cap:  # read from the file as it is parsed, its large bodies spooled
                yield from reader.records(f, "message", fallback_date=fallback)
                return
            data = read_fully(f, min(size, cap + 64))
        else:
            data = emlx_message(read_fully(src.stream(), cap + 64))
    if len(data) > cap:
        yield from reader.records(header_block(data[: 1 << 20]), "message", fallback_date=fallback, oversize=len(data))
    else:
        yield from reader.records(data, "message", fallback_date=fallback)
