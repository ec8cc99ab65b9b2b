"""One mail message in, records out: shared by the mail (mbox, Maildir, .eml) and IMAP connectors.

A message becomes, in this order, all with the same location: ``container`` =
the mailbox (chosen by the connector), ``item`` = the Message-ID without its
angle brackets (``20240501.4711@mail.example.se``), or, when a message has
none, ``sha256:<32 hex digits>`` of the first KiB of its raw header block with
LF line ends (a digest of many headers, stable across mailboxes, stores and
scans, not of one value). A Message-ID that an earlier message of the same
mailbox in the same unit had (a message saved twice, a client that reuses
ids) is followed by that digest of the later message's header,
``20240501.4711@mail.example.se sha256:<32 hex digits>``, so that two
messages are never one location (:class:`MessageItems`):

1. **the sender**, ``structured=True``: a record holding ``header:From`` (the
   decoded address list as a person reads it: ``Åsa Öberg <asa@example.se>``),
   so that the sender's address is *linkable*: it links the mail to the
   sender's subject, and to other identifiers in the same header (a phone
   number in the display name).
2. **the other parties and readable headers**, ``structured=False``:
   ``header:Sender``, ``header:Reply-To``, ``header:To``, ``header:Cc``,
   ``header:Bcc``, ``header:Resent-From`` ... (see :data:`ADDRESS_HEADERS`;
   repeated headers joined with ``, ``; also the list headers, with their
   URLs' %-escapes undone, and the servers' headers that name a mailbox:
   ``X-Envelope-From``, ``X-Rcpt-To``, ``X-Delivered-To`` ...),
   ``header:Received`` (only the addresses of the ``for`` and ``envelope-from``
   clauses: a Bcc copy's recipient is named nowhere else), ``header:Subject``,
   ``header:Comments``, ``header:Keywords``, ``header:Thread-Topic``,
   ``header:Organization``, the application's own ``X-`` headers as they are
   named (``header:X-Kundnummer``; not those of mail servers, filters and
   clients: ``X-MS-*``, ``X-Spam-*``, ``X-Mailer`` ..., see
   :data:`_MACHINE_X_HEADERS`), and ``envelope:From`` (the sender on an mbox
   ``From_`` line). The recipients are found (a lookup by a recipient's
   address reaches the mail directly) but not linked: the data map links
   every two linkable values of one structured record into one subject, and
   a mail's sender and its recipient are two people. :data:`PARTY_HEADERS`
   names the headers that go into the structured record.
3. **the text parts**, ``structured=False``, one record each: ``body`` for the
   first text part of the message itself, ``body[<section>]`` for every other
   one, where ``<section>`` is the IMAP part number (RFC 3501): in a
   ``multipart/alternative`` of plain text and HTML, ``body`` is part ``1``
   and ``body[2]`` the HTML; in a mixed message with an alternative first,
   ``body`` is ``1.1`` and ``body[1.2]`` the HTML. An IMAP client fetches
   exactly that part with ``BODY[1.2]``. HTML is converted to text (the HTML
   reader of :mod:`connectors.formats.markup`: blocks on their own lines,
   ``mailto:``/``tel:`` targets, ``title``/``alt``, a link's or tracking
   pixel's URL parameters that may name someone kept); other ``text/*``
   parts (calendar, vCard) are read with their folded lines joined (RFC
   5545/6350: a line break followed by a space or tab continues the line,
   so that an attendee's address folded at 75 octets reads whole; also for
   ``.ics``/``.vcf`` attachments, whose line numbers count unfolded lines)
   and the values of their id properties (``UID``, ``RELATED-TO``) blanked,
   same length: an invitation's ``<random>@google.com`` is no address. The
   fields of a bounce's or read receipt's report (``message/delivery-status``,
   ``message/disposition-notification``: ``Final-Recipient: rfc822; ...``) are a
   text part of their own, one field a line.
4. **forwarded messages** (``message/rfc822`` parts, attachments named
   ``*.eml``, and attached Outlook items, ``*.msg``, read with extract-msg as
   :mod:`connectors.mail` reads ``.msg`` files) are read recursively: their headers as ``header[<section>]:From``,
   ``header[<section>]:Subject`` ... (``structured=False``: the parties of a
   forwarded mail are not this mail's parties), their text parts as
   ``body[<section>]`` with the global section (``body[2.1]``).
5. **attachments**, ``structured=False``: every other leaf part is decoded and
   read by :func:`connectors.formats.read_stream` (CSV, Excel, Word, PDF, zip
   ...). Fields::

       attachment:<name>                         the attachment's file name itself
       attachment:<name>!<item>:<field>          a record of the attachment
       attachment:<name>!<entry>!<item>:<field>  inside an archive attachment

   Outlook's TNEF attachment (``winmail.dat``, known by its signature
   whatever its type) is opened like an archive: its attachments as
   ``attachment:winmail.dat!<name>!<item>:<field>`` (the long file name, else
   the title), its body as ``winmail.dat!body.rtf`` (the compressed RTF,
   decompressed), ``body.html`` or ``body.txt``; a damaged stream is read up to
   the damage and reported.
   A file uuencoded inside a plain text body (``begin 644 name`` ... ``end``,
   mail from before MIME) is taken out of the body text and read as an
   attachment of that name.
   ``<name>`` is the decoded file name (RFC 2231/2047), or ``part <section>``
   for a nameless part; a name used twice in one message gets ``[<section>]``
   appended the second time. ``<item>`` and ``<field>`` are the reader's own
   (:mod:`connectors.formats`), except that a plain line number ``3`` reads
   ``line 3``: ``attachment:kunder.csv!line 3:Personnummer``,
   ``attachment:lista.xlsx!Blad1:2:Epost``, ``attachment:avtal.pdf!p2:text``,
   ``attachment:arkiv.zip!in/h.jsonl!line 1:$.pnr``. Pictures, sound and
   video (``image/*``, ``audio/*``, ``video/*``, ``font/*``) are not read
   (no OCR): only their name is, unless their bytes are a zip, PDF, gzip or
   OLE2 file with a wrong type. Attachment records are
   not structured even when the reader's are (a CSV line): every record of a
   mail shares the mail's location, and the rows of an attached customer
   list must not be linked to each other or to the mail's sender.

Every record carries the mail's ``Date`` header as ``record_date`` (naive
UTC) and its date as ``ref_date`` (the century of 10-digit personnummer);
when the header is missing or unparseable, the connector's fallback (the mbox
``From_`` line's date, the IMAP INTERNALDATE, the file's mtime).

**Decoding.** Headers: RFC 2047 encoded words through
``email.policy.default``'s header registry, and where that fails or leaves
replacement characters, or where two encoded words stand side by side (the
registry keeps the blank between them inside a display name: an address an
encoder split over two words read as two), word by word as compat32 does (a
broken word stays as written; blanks between two words dropped), with the charset chain below; raw 8-bit headers are read as UTF-8, else
cp1252. Bodies: any transfer encoding (base64, quoted-printable, 8bit,
uuencode), then the declared charset, UTF-8, and cp1252 (bytes undefined in
cp1252 as latin-1), in that order; a body declared as a single-byte charset
that is valid non-ASCII UTF-8 is read as UTF-8 (a common wrong declaration);
a body or encoded word labelled ISO 8859-1 (or US-ASCII) is read as windows-1252,
as browsers do (WHATWG): Outlook and web forms label cp1252 text so, and its
dashes and quotes (0x80-0x9f) would otherwise be C1 control characters inside
a number (``070\x96174 06 05``);
a byte order mark wins over the declaration (UTF-8, UTF-16). A wrong
declaration is not damage: every character of an identifier survives the
cp1252 reading. ``text/plain; format=flowed`` (RFC 3676, Thunderbird and
Apple Mail) has its soft line breaks undone, so that a phone number wrapped at
one of its spaces reads whole. A ``message/rfc822`` part sent base64 or
quoted-printable is decoded before it is read. A transfer encoding written
with blanks, quotes or a semicolon (``Base64 ``) is taken as what it names;
base64 cut off mid-line (a truncated file) is decoded up to the cut; a
multipart that lost its ``boundary`` parameter is split at the delimiter
lines its body uses.

**Memory.** A message up to :data:`SPOOL_PART_BYTES` (1 MiB) is parsed in
memory. A larger one is read line by line as the email parser would read it
(:func:`read_message`): a body larger than 1 MiB as sent (or any, once the
bodies kept add up to :data:`INLINE_BODY_BYTES`, 4 MiB) is decoded (base64,
quoted-printable) as it streams into one temporary file per message, and the
parser gets the message with a marker in its place; an attachment is then
read by the format readers from that file. So a message costs a few MiB
whatever the size of its attachments. A text part (plain text, HTML, any
other ``text/*`` read as a body) spooled so and larger than
:data:`STREAM_BODY_BYTES` is decoded from the file as it is read and comes
in several records of about :data:`TEXT_WINDOW_CHARS` characters, cut at
line breaks, each after the first marked ``follows``
(:class:`~connectors.base.Record`): the engine reads them as one text, so an
identifier wrapped over a cut (or its keyword on the line before) is found
once, with the part's one field (``body``, ``body[1.2]``) as before; only a
line longer than :data:`LONG_LINE_CHARS` is cut inside. Kept whole in memory:
an RTF, iCalendar or vCard text part, a text part holding a uuencoded file, a
TNEF or S/MIME part, an uuencoded part, and the body of a multipart without a
boundary, as the readers need them whole.

**Damage** is reported, never fatal: the caller passes a
:class:`~connectors.formats.core.Problems` and raises
:class:`~connectors.formats.core.PartialRead` at the end of its unit. Reported:
a message that cannot be parsed or has no header (its bytes are still read as
text), a multipart whose boundaries are missing (truncated), invalid base64,
a text part holding NUL bytes that decodes neither in its declared charset
nor as UTF-8 (UTF-16 or UTF-32 without a byte order mark), an attachment its reader could not read
(or read only in part), a message larger than ``max_message_bytes``
(only its header is read), and what is encrypted: S/MIME enveloped data,
PGP/MIME (``multipart/encrypted``), a PGP block in a text or a ``.gpg``/``.pgp``
attachment (``encrypted (S/MIME): not read``; no key is ever asked for). An
opaque-signed S/MIME message (``application/pkcs7-mime; smime-type=signed-data``)
is no damage: the signed entity inside the CMS structure is read as the part. Problems name the message by its position in
the mailbox (byte offset, file name, UID) and the part by its section, never
by a value.
"""

from __future__ import annotations

import base64
import binascii
import codecs
import email.errors
import hashlib
import io
import mimetypes
import os
import quopri
import re
import secrets
import struct
import tempfile
from collections.abc import Iterator
from contextlib import suppress
from dataclasses import replace
from datetime import datetime, timezone
from email import policy as _policies
from email.message import Message
from email.generator import BytesGenerator
from email.parser import BytesParser
from email.utils import parsedate_to_datetime
from typing import IO, Any
from urllib.parse import unquote

from connectors.base import ConnectorError, Limits, Location, Record, safe_name
from connectors.formats import PATH_FIELD, read_stream
from connectors.formats.core import PartialRead, Problems
from connectors.formats.encoding import FALLBACK
from connectors.formats.markup import HTMLText  # the HTML reader's parser (a table row's cells on one line)
from connectors.formats.text import blank_ids, blank_ids_bytes  # a calendar's or contact's own id is no address

ADDRESS_HEADERS = (
    "From", "Sender", "Reply-To", "To", "Cc", "Bcc",
    "Resent-From", "Resent-Sender", "Resent-To", "Resent-Cc", "Resent-Bcc",
    "Return-Path", "Delivered-To", "X-Original-To", "Envelope-To", "X-Envelope-To",
    "Mail-Followup-To", "Mail-Reply-To", "Disposition-Notification-To", "Return-Receipt-To", "Errors-To",
    # mailing lists (RFC 2369), and the servers' headers that hold a mailbox: the envelope sender, the
    # delivered-to recipient (a Bcc copy's only trace), the logged-in sender, an Exchange inbox rule's owner
    "List-Post", "List-Owner", "List-Help", "List-Subscribe", "List-Unsubscribe",
    # the author a list rewrote out of From (DMARC; RFC 9057 Author), and older recipient headers
    "Original-From", "Original-Sender", "Author", "Apparently-To", "Original-Recipient",
    "X-Envelope-From", "X-Envelope-Sender", "X-Rcpt-To", "X-Delivered-To", "X-Authenticated-Sender",
    "X-Authenticated-User", "X-MS-Exchange-Inbox-Rules-Loop",
)  # fmt: skip
RECEIVED_FIELD = "Received"  # header:Received: only the addresses of its 'for' and 'envelope-from' clauses
_RECEIVED_ADDRESS = re.compile(r"(?i)\b(?:for|envelope-from|envelope-sender)\s+<?([^\s<>;(),\"]+@[^\s<>;(),\"]+?)>?(?=[\s;)]|$)")
TEXT_HEADERS = ("Subject", "Comments", "Keywords", "Thread-Topic", "Organization")
# X- headers of mail servers, filters and clients: machine data (scores, ids, signatures, IP addresses), never
# an application's data about a person; every other X- header is read (X-Kundnummer, X-Customer-Email ...)
_MACHINE_X_HEADERS = (
    "x-ms-", "x-microsoft-", "x-forefront-", "x-exchange-", "x-exclaimer", "x-eopattributedmessage", "x-eoptenant",
    "x-incomingheadercount", "x-incomingtopheadermarker", "x-crosspremises", "x-originatororg", "x-auto-response",
    "x-google-", "x-gm-", "x-received", "x-spam", "x-virus", "x-amavis", "x-rspamd", "x-policyd", "x-greylist",
    "x-proofpoint", "x-mimecast", "x-barracuda", "x-ironport", "x-cloudmark", "x-sophos", "x-trend", "x-ovh", "x-cmae",
    "x-mailer", "x-mimeole", "x-priority", "x-msmail", "x-originating-ip", "x-source", "x-authenticated", "x-auth",
    "x-ses-", "x-sg-", "x-sendgrid", "x-mailgun", "x-mc-", "x-mandrill", "x-campaign", "x-feedback", "x-csa-",
    "x-report-abuse", "x-abuse", "x-complaints", "x-beenthere", "x-mailman", "x-list", "x-loop", "x-rcpt",
    "x-apple-", "x-uniform-type", "x-universally-unique", "x-pobox", "x-mda", "x-delivered", "x-dkim", "x-arc",
    "x-envelope", "x-original-to", "x-identified-user", "x-php", "x-hashcash", "x-face", "x-image-url",
    "x-has-attach", "x-tnef", "x-message-", "x-mozilla", "x-account-key", "x-uidl", "x-keywords", "x-status",
    "x-ymail", "x-yahoo", "x-aol", "x-gmx", "x-ui-", "x-ct-", "x-halon", "x-scanned", "x-bess", "x-iguazu",
    "x-rpcampaign", "x-rp-", "x-msysteam",
)  # fmt: skip
_HEADER_NAME = re.compile(r"[!-9;-~]{1,76}")
PARTY_HEADERS = ("From",)  # the structured (linkable) record: one party only, never sender and recipient together
OTHER_HEADERS = tuple(h for h in ADDRESS_HEADERS if h not in PARTY_HEADERS) + TEXT_HEADERS

BODY_FIELD = "body"
ENVELOPE_FIELD = "envelope:From"
DEFAULT_MAX_MESSAGE_BYTES = 100 << 20
MAX_NESTING = 8  # forwarded messages within forwarded messages
HEADER_HASH_BYTES = 1024

_PARSER = BytesParser(policy=_policies.compat32)
_REGISTRY = _policies.default.header_factory
_FOLD = re.compile(r"\r?\n(?=[ \t])")
_SURROGATE = re.compile("[\udc80-\udcff]")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
_BOUNDARY_DEFECTS = (
    email.errors.StartBoundaryNotFoundDefect,
    email.errors.CloseBoundaryNotFoundDefect,
    email.errors.MultipartInvariantViolationDefect,
)
_BASE64_DEFECTS = (
    email.errors.InvalidBase64PaddingDefect,
    email.errors.InvalidBase64CharactersDefect,
    email.errors.InvalidBase64LengthDefect,
)
_MEDIA = frozenset({"image", "audio", "video", "font"})  # attachments not read, unless their bytes say otherwise
_READABLE_MAGIC = (b"PK\x03\x04", b"%PDF", b"\x1f\x8b", b"\xd0\xcf\x11\xe0", b"BZh", b"\xfd7zXZ")
_SINGLE_BYTE = frozenset({"ascii", "iso8859-1", "iso8859-15", "cp1252"})
# iCalendar (RFC 5545 3.1) and vCard (RFC 6350 3.2) fold lines at 75 octets: CRLF + one space or tab is no break
_FOLDED_TYPES = frozenset({"text/calendar", "application/ics", "text/vcard", "text/x-vcard", "text/directory", "text/x-vcalendar"})
_FOLDED_SUFFIXES = (".ics", ".ical", ".ifb", ".vcs", ".vcf", ".vcard")
_ICAL_FOLD = re.compile(r"\r?\n[ \t]")
_ICAL_FOLD_BYTES = re.compile(rb"\r?\n[ \t]")
_OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_BOMS = ((b"\xef\xbb\xbf", "utf-8"), (b"\xff\xfe", "utf-16-le"), (b"\xfe\xff", "utf-16-be"))
_UNDECLARED = frozenset({"", "unknown-8bit", "x-unknown", "unknown", "default", "x-user-defined"})
_WINDOWS_1252 = frozenset({"iso8859-1", "ascii"})  # declared labels read as windows-1252 (WHATWG)
_C1 = re.compile("[\x80-\x9f]")


# --- text -----------------------------------------------------------------------------------------


def _codec(charset: str | None) -> str | None:
    """The Python codec for a declared charset, or None when undeclared or unknown."""
    if not charset:
        return None
    name = charset.strip().strip("\"'").lower()
    if name in _UNDECLARED:
        return None
    try:
        info = codecs.lookup(name)
    except (LookupError, ValueError):
        try:
            info = codecs.lookup(name.replace("_", "-"))
        except (LookupError, ValueError):
            return None
    if not getattr(info, "_is_text_encoding", True):
        return None  # base64_codec, zlib_codec ...: not a charset
    return info.name


def decode_bytes(data: bytes, charset: str | None) -> tuple[str, bool]:
    """Bytes as text: declared charset, UTF-8, then cp1252; ``ok`` is False when only the last fitted.

    >>> decode_bytes("Åsa".encode("utf-8"), "iso-8859-1")  # a wrong single-byte declaration
    ('Åsa', True)
    >>> decode_bytes("Åsa".encode("cp1252"), "utf-8")
    ('Åsa', False)
    >>> decode_bytes("Åsa".encode("cp1252"), None)  # nothing declared: cp1252 is the expected guess
    ('Åsa', True)
    >>> decode_bytes("Åsa".encode("utf-8"), "x-no-such-charset")
    ('Åsa', True)
    >>> decode_bytes(b"070\\x96174 06 05", "iso-8859-1")  # windows-1252 labelled ISO 8859-1: an en dash
    ('070–174 06 05', True)
    """
    if data.isascii():
        return data.decode("ascii"), True
    for bom, bom_codec in _BOMS:
        if data.startswith(bom):
            try:
                return data[len(bom) :].decode(bom_codec), True
            except UnicodeDecodeError:
                break
    codec = _codec(charset)
    declared = charset is not None and charset.strip().strip("\"'").lower() not in _UNDECLARED
    if codec in _SINGLE_BYTE or codec is None:
        try:
            return data.decode("utf-8"), True
        except UnicodeDecodeError:
            pass
    if codec in _WINDOWS_1252:
        # what Outlook and web forms label ISO 8859-1 is windows-1252 (WHATWG gives both labels one decoder):
        # 0x80-0x9f are dashes, quotes and the euro sign there, C1 controls in ISO 8859-1 that split a number
        return data.decode("cp1252", errors=FALLBACK), True
    if codec is not None:
        try:
            return data.decode(codec), True
        except (UnicodeDecodeError, LookupError, ValueError):
            pass
        except Exception:  # noqa: BLE001 - an odd codec on odd bytes
            pass
    if codec not in _SINGLE_BYTE:
        try:
            return data.decode("utf-8"), True
        except UnicodeDecodeError:
            pass
    return data.decode("cp1252", errors=FALLBACK), not declared


def _unfold(value: str) -> str:
    return _CONTROL.sub(" ", _FOLD.sub("", value).replace("\r", "").replace("\n", " ")).strip()


def _raw_8bit(value: str) -> str:
    """A header that arrived as raw 8-bit bytes (surrogate-escaped by the parser), decoded."""
    raw = value.encode("ascii", "surrogateescape")
    return decode_bytes(raw, None)[0]


def header_text(name: str, value: Any) -> str:
    """A header value as a person reads it: unfolded, RFC 2047 decoded, never raising.

    >>> header_text("From", "=?utf-8?q?=C3=85sa_=C3=96berg?= <asa@example.se>")
    'Åsa Öberg <asa@example.se>'
    >>> header_text("Subject", "=?x-unknown?q?hej_d=E5?=")
    'hej då'
    >>> header_text("Subject", "=?utf-8?b?broken!!?=")
    '=?utf-8?b?broken!!?='
    """
    if not isinstance(value, str):
        try:
            value = str(value)
        except Exception:  # noqa: BLE001 - a Header object that cannot render
            return ""
    v = _unfold(value)
    if _SURROGATE.search(v):
        v = _raw_8bit(v)
    if "=?" not in v:
        return v
    if _ADJACENT_WORDS.search(v) is not None:
        # White space between two encoded words is no text (RFC 2047 6.2), but the registry keeps it
        # inside a display name: 'anna.' + 'berg@example.se' read "anna. berg@example.se"
        return _decode_words(v)
    try:
        text = str(_REGISTRY(name, v))
        if "\ufffd" not in text and not _SURROGATE.search(text) and "=?" not in text and not _C1.search(text):
            return _unfold(text)
    except Exception:  # noqa: BLE001 - the registry's parser fails on some broken headers
        pass
    return _decode_words(v)


_ENCODED_WORD = re.compile(r"=\?([^?\s]+)\?([bBqQ])\?([^?\s]*)\?=")
_ADJACENT_WORDS = re.compile(r"=\?[^?\s]+\?[bBqQ]\?[^?\s]*\?=[ \t]+(?==\?[^?\s]+\?[bBqQ]\?[^?\s]*\?=)")


def _decode_words(value: str) -> str:
    """RFC 2047 encoded words decoded one by one (compat32 style); a broken word stays as written."""
    out: list[str] = []
    pos = 0
    after_word = False
    for m in _ENCODED_WORD.finditer(value):
        between = value[pos : m.start()]
        if not (after_word and (not between or between.isspace())):
            out.append(between)  # whitespace between two encoded words is not text
        charset, enc, data = m.group(1).split("*", 1)[0], m.group(2).upper(), m.group(3)
        try:
            if enc == "B":
                raw = base64.b64decode(data + "=" * (-len(data) % 4), validate=True)
            else:
                raw = binascii.a2b_qp(data.replace("_", " ").encode("ascii"), header=True)
            out.append(decode_bytes(raw, charset)[0])
            after_word = True
        except (ValueError, binascii.Error, UnicodeError):
            out.append(m.group(0))
            after_word = False
        pos = m.end()
    out.append(value[pos:])
    return _unfold("".join(out))


def html_to_text(html: str, max_chars: int) -> str:
    r"""Visible text of an HTML body, a block per line (a table row's cells joined by tabs), ``mailto:``/``tel:`` targets kept.

    >>> html_to_text("<table><tr><td>Personnr:</td><td> 6408233234</td></tr><tr><th>Tel</th><td></td></tr></table>", 100)
    'Personnr:\t6408233234\nTel'
    """
    parser = HTMLText(max_chars)
    try:
        parser.feed(html)
        parser.close()
        parser.flush()
    except Exception:  # noqa: BLE001 - html.parser on pathological input: strip tags instead
        return re.sub(r"<[^>]*>", " ", html)
    return "\n".join(text for _, text in parser.blocks)


# --- message facts --------------------------------------------------------------------------------


def parse(raw: bytes) -> Message:
    """A message parsed leniently (compat32: defects are recorded, not raised)."""
    return _PARSER.parsebytes(raw)


def header_block(raw: bytes) -> bytes:
    for sep in (b"\r\n\r\n", b"\n\n"):
        i = raw.find(sep)
        if i >= 0:
            return raw[:i]
    return raw


def fallback_item(raw: bytes) -> str:
    """``sha256:`` of the first KiB of the raw header block (line ends as LF): the item of a mail without Message-ID.

    The same mail gives the same item in an mbox, a Maildir and on an IMAP server.

    >>> fallback_item(b"From: a@example.se\\r\\nSubject: x\\r\\n\\r\\nbody") == fallback_item(b"From: a@example.se\\nSubject: x\\n\\nother")
    True
    """
    head = header_block(raw).replace(b"\r\n", b"\n")
    return "sha256:" + hashlib.sha256(head[:HEADER_HASH_BYTES]).hexdigest()[:32]


def message_id(msg: Message) -> str:
    """The Message-ID without angle brackets, or ``""``.

    >>> message_id(parse(b"Message-ID:  <abc.1@mail.example.se>\\n\\nx"))
    'abc.1@mail.example.se'
    """
    for k, v in msg.raw_items():
        if k.lower() == "message-id":
            text = _unfold(v if isinstance(v, str) else str(v))
            if _SURROGATE.search(text):
                text = _raw_8bit(text)
            text = text.strip()
            if text.startswith("<") and ">" in text:
                text = text[1 : text.index(">")]
            text = text.strip()[:998]
            if text:
                return text
    return ""


def parse_date(value: str | None) -> datetime | None:
    """A date header as naive UTC, or None.

    >>> parse_date("Wed, 01 May 2024 10:30:00 +0200")
    datetime.datetime(2024, 5, 1, 8, 30)
    >>> parse_date("not a date") is None
    True
    """
    if not value:
        return None
    try:
        when = parsedate_to_datetime(_unfold(value))
    except Exception:  # noqa: BLE001 - TypeError, ValueError, IndexError, OverflowError
        return None
    if when is None or not 1900 <= when.year <= 9999:
        return None
    if when.tzinfo is not None:
        try:
            when = when.astimezone(timezone.utc).replace(tzinfo=None)
        except (OverflowError, ValueError):
            return None
    return when


def message_date(msg: Message) -> datetime | None:
    for k, v in msg.raw_items():
        if k.lower() == "date":
            return parse_date(v if isinstance(v, str) else str(v))
    return None


def _header_fields(
    msg: Message, names: tuple[str, ...], prefix: str, sep: str, custom: bool = False
) -> list[tuple[str, str]]:
    """The headers ``names`` (repeated ones joined by ``sep``), then with ``custom`` the application's own X- headers."""
    wanted = {n.lower(): n for n in names}
    got: dict[str, list[str]] = {}
    extra: dict[str, list[str]] = {}
    received: list[str] = []
    for k, v in msg.raw_items():
        low = k.lower()
        canon = wanted.get(low)
        if canon is not None:
            text = header_text(canon, v)
            if canon.startswith("List-") and "%" in text:
                text = unquote(text)  # <https://...?email=eva%40example.se>
            if text:
                got.setdefault(canon, []).append(text)
        elif custom and low == "received":
            received.extend(m.group(1) for m in _RECEIVED_ADDRESS.finditer(header_text(k, v)))
        elif custom and _is_custom(low):
            text = header_text(k, v)
            if text:
                extra.setdefault(k.strip(), []).append(text)
    out = [(prefix + n, sep.join(got[n])) for n in names if n in got]
    if received:
        out.append((prefix + RECEIVED_FIELD, sep.join(dict.fromkeys(received))))
    return out + [(prefix + n, sep.join(t)) for n, t in extra.items()]


def _is_custom(name: str) -> bool:
    """Whether a (lower-case) header is an application's own X- header, not one of the mail system's.

    >>> _is_custom("x-kund-personnummer"), _is_custom("x-ms-exchange-organization-scl"), _is_custom("received")
    (True, False, False)
    """
    return name.startswith("x-") and not name.startswith(_MACHINE_X_HEADERS) and _HEADER_NAME.fullmatch(name) is not None


# --- the walk ---------------------------------------------------------------------------------------


_DELIMITER_LINE = re.compile(r"(?m)^--([0-9A-Za-z'()+_,\-./:=? ]{0,69}[0-9A-Za-z'()+_,\-./:=?])[ \t]*\r?\n(?=[!-9;-~]+:|\r?\n)")


def _with_found_boundary(part: Message, ctype: str) -> Message | None:
    """A multipart without a ``boundary`` parameter parsed again with the delimiter its body uses, or None.

    A part that has the parameter (its delimiters are missing: truncated) or
    whose body has no delimiter line before a header is left as it is.
    """
    try:
        if part.get_param("boundary"):
            return None
    except Exception:  # noqa: BLE001 - a broken parameter list
        return None
    body = part.get_payload()
    if not isinstance(body, str):
        return None
    m = _DELIMITER_LINE.search(body)
    if m is None:
        return None
    head = f'Content-Type: {ctype}; boundary="{m.group(1)}"\n\n'.encode()
    try:
        rebuilt = parse(head + body.encode("utf-8", "surrogateescape"))
    except Exception:  # noqa: BLE001
        return None
    return rebuilt if rebuilt.is_multipart() else None


def _filename(part: Message) -> str | None:
    try:
        name = part.get_filename()
    except Exception:  # noqa: BLE001 - a broken RFC 2231 parameter
        return None
    if not name:
        return None
    name = header_text("Content-Disposition", name) if "=?" in name or _SURROGATE.search(name) else _unfold(name)
    return name or None


def _disposition(part: Message) -> str | None:
    try:
        return part.get_content_disposition()
    except Exception:  # noqa: BLE001
        return None


def _charset(part: Message) -> str | None:
    try:
        return part.get_content_charset()
    except Exception:  # noqa: BLE001 - a broken RFC 2231 charset parameter
        return None


def _param(part: Message, name: str) -> str:
    try:
        value = part.get_param(name)
    except Exception:  # noqa: BLE001 - a broken parameter list
        return ""
    return value.strip().lower() if isinstance(value, str) else ""


_QUOTE = re.compile(r">+")
_NOT_BASE64 = re.compile(rb"[^A-Za-z0-9+/]")
_TRANSFER_ENCODINGS = frozenset({"base64", "quoted-printable", "7bit", "8bit", "binary", "x-uuencode", "uuencode", "x-uue", "uue"})


def _transfer_encoding(head: Message) -> str:
    """The transfer encoding, lower case, taken as what it names when written sloppily (``Base64 ``, ``"base64"``)."""
    raw = str(head.get("Content-Transfer-Encoding", "") or "")
    clean = raw.strip().strip("\"'").rstrip(";").strip().lower()
    return clean if clean in _TRANSFER_ENCODINGS else raw.lower()


def _clean_transfer_encoding(part: Message) -> None:
    """Make a sloppy Content-Transfer-Encoding (``Base64 ``, ``"base64"``, ``base64;``) one the email package decodes.

    Its decoder compares the lower-cased header as it stands, so that a blank,
    quotes or a semicolon left the body encoded.
    """
    value = part.get("Content-Transfer-Encoding")
    if value is None:
        return
    clean = _transfer_encoding(part)
    if clean != str(value).lower():
        part.replace_header("Content-Transfer-Encoding", clean)


def _b64_as_far_as_possible(part: Message) -> bytes:
    """A base64 payload cut off one character past a whole quantum, decoded up to that quantum.

    The email package returns such a payload still encoded (bpo-27397).
    """
    payload = part.get_payload()
    if not isinstance(payload, str):
        return b""
    b64 = _NOT_BASE64.sub(b"", payload.encode("ascii", "surrogateescape"))
    b64 = b64[: len(b64) - len(b64) % 4]
    try:
        return base64.b64decode(b64)
    except (binascii.Error, ValueError):
        return b""


def unflow(text: str, delsp: bool = False) -> str:
    r"""A ``format=flowed`` text (RFC 3676) with its soft line breaks undone.

    A line that ends in a space (other than the signature separator ``-- ``)
    continues on the next line of the same quote depth; space-stuffing is
    removed; with ``delsp=yes`` the space before a soft break is dropped too.
    A phone number or address wrapped at one of its spaces reads whole again.

    >>> unflow("ring 070-174 \n06 05 nu\n> a \n> b\n-- \nx\n")
    'ring 070-174 06 05 nu\n> a b\n-- \nx\n'
    >>> unflow("Pnr 19640823 \n-3234\n", delsp=True)
    'Pnr 19640823-3234\n'
    """
    out: list[str] = []
    held: str | None = None  # a flowed line waiting for its continuation
    held_depth = 0
    lines = text.split("\n")
    last = lines.pop() if lines and lines[-1] == "" else None
    for line in lines:
        m = _QUOTE.match(line)
        depth = m.end() if m else 0
        content = line[depth:]
        if content.startswith(" "):
            content = content[1:]  # space-stuffing (or the space after the quote marks)
        if held is not None and depth != held_depth:
            out.append(held)  # a quote depth change ends a paragraph
            held = None
        flowed = content.endswith(" ") and content != "-- "
        if flowed and delsp:
            content = content[:-1]
        if held is None:
            prefix = ">" * depth + (" " if depth else "")
            held = prefix + content
            held_depth = depth
        else:
            held += content
        if not flowed:
            out.append(held)
            held = None
    if held is not None:
        out.append(held)
    if last is not None:
        out.append(last)
    return "\n".join(out)


_UU_BLOCK = re.compile(r"(?m)^begin [0-7]{3,4} ([^\n]+)\n((?:[ -`]*\n)*?)end[ \t]*$\n?")


def split_uuencoded(text: str) -> tuple[str, list[tuple[str, bytes]]]:
    r"""A text body without its uuencoded blocks (``begin 644 name`` ... ``end``), and the files they hold.

    Mail from before MIME (and some gateways) carries attachments so.

    >>> split_uuencoded("Hej\nbegin 644 a.txt\n#86)C\n`\nend\nHejda\n")
    ('Hej\nHejda\n', [('a.txt', b'abc')])
    """
    files: list[tuple[str, bytes]] = []

    def take(m: re.Match[str]) -> str:
        out = bytearray()
        for line in m.group(2).split("\n"):
            if not line or line == "`":
                continue
            try:
                out += binascii.a2b_uu(line)
            except binascii.Error:
                # a line some encoder padded differently: decode by its length byte
                n = (ord(line[0]) - 32) & 63
                try:
                    out += binascii.a2b_uu(line[: 1 + (n + 2) // 3 * 4])
                except binascii.Error:
                    return m.group(0)  # not uuencode after all: leave the text as it is
        files.append((m.group(1).strip(), bytes(out)))
        return ""

    rest = _UU_BLOCK.sub(take, text)
    return rest, files


_RTF_TYPES = frozenset({"text/rtf", "application/rtf", "text/richtext"})
_REPORT_TYPES = frozenset({
    "message/delivery-status", "message/global-delivery-status", "message/disposition-notification",
    "message/global-disposition-notification", "message/feedback-report",
})  # fmt: skip
_PKCS7_TYPES = frozenset({"application/pkcs7-mime", "application/x-pkcs7-mime"})
_OID_SIGNED_DATA = bytes.fromhex("06092a864886f70d010702")  # 1.2.840.113549.1.7.2
_OID_ENVELOPED_DATA = bytes.fromhex("06092a864886f70d010703")  # 1.2.840.113549.1.7.3
_OID_AUTH_ENVELOPED_DATA = bytes.fromhex("060b2a864886f70d0109100117")  # 1.2.840.113549.1.9.16.1.23
_PGP_ARMOR = "-----BEGIN PGP MESSAGE-----"
_PGP_SUFFIXES = (".gpg", ".pgp")


def _tlv(data: bytes, pos: int, depth: int = 0) -> tuple[int, int, int, int]:
    """One BER element at ``pos``: (tag byte, content start, content end, next position); indefinite lengths too.

    Raises ValueError on anything malformed.
    """
    if depth > 32 or pos + 2 > len(data):
        raise ValueError("BER: too deep or short")
    tag = data[pos]
    i = pos + 1
    if tag & 0x1F == 0x1F:  # a high tag number: base-128 octets
        while i < len(data) and data[i] & 0x80:
            i += 1
        i += 1
    if i >= len(data):
        raise ValueError("BER: short")
    first = data[i]
    i += 1
    if first == 0x80:  # indefinite length (streamed S/MIME): children up to an end-of-contents 00 00
        end = i
        while data[end : end + 2] != b"\0\0":
            end = _tlv(data, end, depth + 1)[3]
        return tag, i, end, end + 2
    if first & 0x80:
        n = first & 0x7F
        if n > 8 or i + n > len(data):
            raise ValueError("BER: bad length")
        length = int.from_bytes(data[i : i + n], "big")
        i += n
    else:
        length = first
    if i + length > len(data):
        raise ValueError("BER: truncated")
    return tag, i, i + length, i + length


def _ber_children(data: bytes, start: int, end: int, depth: int = 0) -> list[tuple[int, int, int, int]]:
    out = []
    while start < end:
        child = _tlv(data, start, depth)
        out.append(child)
        start = child[3]
    return out


def _ber_octets(data: bytes, el: tuple[int, int, int, int], depth: int = 0) -> bytes:
    """An OCTET STRING's bytes, primitive or constructed (BER splits a streamed one into pieces)."""
    tag, start, end, _ = el
    if tag == 0x04:
        return data[start:end]
    if tag == 0x24 and depth < 32:
        return b"".join(_ber_octets(data, c, depth + 1) for c in _ber_children(data, start, end, depth + 1))
    raise ValueError("BER: not an OCTET STRING")


def cms_content(data: bytes) -> tuple[str, bytes | None]:
    """What a CMS (PKCS #7) object holds: ``("signed", content)``, ``("encrypted", None)`` or ``("other", None)``.

    The content of an opaque-signed S/MIME message is the signed MIME entity
    (RFC 8551 3.5.2: ContentInfo, SignedData, encapContentInfo, eContent).

    >>> cms_content(bytes.fromhex("3011060b2a864886f70d0109100117a0020500"))
    ('encrypted', None)
    >>> cms_content(b"not DER")
    ('other', None)
    """
    try:
        _, start, end, _ = _tlv(data, 0)
        kids = _ber_children(data, start, end)
        oid = data[kids[0][1] - 2 : kids[0][2]] if kids and kids[0][0] == 0x06 else b""
        if oid in (_OID_ENVELOPED_DATA, _OID_AUTH_ENVELOPED_DATA):
            return "encrypted", None
        if oid != _OID_SIGNED_DATA or len(kids) < 2 or kids[1][0] != 0xA0:
            return "other", None
        (signed,) = _ber_children(data, kids[1][1], kids[1][2])[:1]
        encap = _ber_children(data, signed[1], signed[2])[2]  # version, digestAlgorithms, encapContentInfo
        econtent = _ber_children(data, encap[1], encap[2])
        if len(econtent) < 2 or econtent[1][0] != 0xA0:
            return "other", None  # a detached signature: the content is elsewhere
        (octets,) = _ber_children(data, econtent[1][1], econtent[1][2])[:1]
        return "signed", _ber_octets(data, octets)
    except (ValueError, IndexError):
        return "other", None


_TNEF_SIGNATURE = b"\x78\x9f\x3e\x22"
_TNEF_BODY, _TNEF_MAPI_PROPS = 0x0002800C, 0x00069003
_TNEF_ATTACH_REND, _TNEF_ATTACH_TITLE, _TNEF_ATTACH_DATA, _TNEF_ATTACHMENT = 0x00069002, 0x00018010, 0x0006800F, 0x00069005
_PR_BODY, _PR_RTF_COMPRESSED, _PR_HTML = 0x1000, 0x1009, 0x1013
_PR_ATTACH_DATA, _PR_ATTACH_LONG_FILENAME, _PR_ATTACH_FILENAME, _PR_DISPLAY_NAME = 0x3701, 0x3707, 0x3704, 0x3001
_MAPI_FIXED = {0x0001: 4, 0x0002: 2, 0x0003: 4, 0x0004: 4, 0x0005: 8, 0x0006: 8, 0x0007: 8, 0x000A: 4, 0x000B: 2, 0x0014: 8, 0x0040: 8, 0x0048: 16}
_MAPI_VARIABLE = (0x001E, 0x001F, 0x0102, 0x000D)


def _mapi_props(data: bytes) -> dict[int, tuple[int, bytes]]:
    """MAPI properties of a TNEF attribute ([MS-OXTNEF] 2.1.3.4): property id -> (type, first value).

    Read up to the first property it cannot size; named properties (id >= 0x8000) are skipped over.
    """
    out: dict[int, tuple[int, bytes]] = {}
    with suppress(struct.error, KeyError):  # a list cut short or of an unknown type: what was read so far
        (count,) = struct.unpack_from("<I", data, 0)
        pos = 4
        for _ in range(min(count, 10_000)):
            ptype, pid = struct.unpack_from("<HH", data, pos)
            pos += 4
            if pid >= 0x8000:  # a named property: GUID, kind, then an id or a name
                (kind,) = struct.unpack_from("<I", data, pos + 16)
                pos += 20
                if kind == 0:
                    pos += 4
                else:
                    (n,) = struct.unpack_from("<I", data, pos)
                    pos += 4 + n + (-n % 4)
            base, multi = ptype & 0x0FFF, bool(ptype & 0x1000)
            if base in _MAPI_VARIABLE or multi:
                (nvals,) = struct.unpack_from("<I", data, pos)
                pos += 4
                first: bytes | None = None
                for _ in range(min(nvals, 100_000)):
                    if base in _MAPI_VARIABLE:
                        (n,) = struct.unpack_from("<I", data, pos)
                        value = data[pos + 4 : pos + 4 + n]
                        pos += 4 + n + (-n % 4)
                    else:
                        size = _MAPI_FIXED[base]
                        value = data[pos : pos + size]
                        pos += size + (-size % 4)
                    if first is None:
                        first = value
                    if pos > len(data):
                        break
                if pos > len(data):
                    break
                out[pid] = (base, first or b"")
            else:
                size = _MAPI_FIXED[base]
                out[pid] = (base, data[pos : pos + size])
                pos += size + (-size % 4)
    return out


def _mapi_text(value: tuple[int, bytes] | None) -> str | None:
    if value is None:
        return None
    ptype, data = value
    if ptype == 0x001F:
        return data.decode("utf-16-le", "replace").split("\0", 1)[0]
    if ptype == 0x001E:
        return data.decode("cp1252", FALLBACK).split("\0", 1)[0]
    return None


def tnef_entries(data: bytes) -> tuple[list[tuple[str, bytes, bool]], str]:
    r"""What a TNEF stream (Outlook's ``winmail.dat``) holds: ``(name, bytes, is_file)`` for its body and attachments.

    The body comes as ``body.rtf`` (PR_RTF_COMPRESSED, decompressed), ``body.html``
    or ``body.txt``; each attachment by its long file name (else its title).
    The second value names the damage ("" when none); what came before it is kept.

    >>> sig = bytes.fromhex("789f3e22") + b"\0\0"
    >>> tnef_entries(sig + bytes.fromhex("02 0f800600 03000000") + b"abc\0\0")  # attAttachData, 3 bytes, no name
    ([('attachment 1', b'abc', True)], '')
    >>> tnef_entries(sig + bytes.fromhex("02 0f80"))[1]
    'cut short'
    """
    bodies: list[tuple[str, bytes, bool]] = []
    files: list[dict[str, Any]] = []
    pos, error = 6, ""
    while pos < len(data):
        if pos + 9 > len(data):
            error = "cut short"
            break
        level, attr, length = struct.unpack_from("<BII", data, pos)
        value = data[pos + 9 : pos + 9 + length]
        if len(value) < length:
            error = "cut short"
            break
        pos += 9 + length + 2  # the value's 16-bit checksum is not checked
        if level == 2 and (attr == _TNEF_ATTACH_REND or not files):
            files.append({})
        if level == 1 and attr == _TNEF_BODY:
            bodies.append(("body.txt", value, False))
        elif level == 1 and attr == _TNEF_MAPI_PROPS:
            props = _mapi_props(value)
            rtf = props.get(_PR_RTF_COMPRESSED)
            if rtf is not None:
                try:
                    import compressed_rtf  # installed with extract-msg (the mail extra)

                    bodies.append(("body.rtf", compressed_rtf.decompress(rtf[1]), False))
                except ImportError:
                    error = error or "compressed RTF body: the Python package compressed-rtf is not installed"
                except Exception:  # noqa: BLE001 - a damaged compressed RTF
                    error = error or "compressed RTF body cannot be decompressed"
            for pid, name in ((_PR_HTML, "body.html"), (_PR_BODY, "body.txt")):
                got = props.get(pid)
                if got is not None:
                    text = _mapi_text(got)
                    bodies.append((name, text.encode("utf-8") if text is not None else got[1], False))
        elif level == 2 and attr == _TNEF_ATTACH_TITLE:
            files[-1]["title"] = value.split(b"\0", 1)[0].decode("cp1252", FALLBACK)
        elif level == 2 and attr == _TNEF_ATTACH_DATA:
            files[-1]["data"] = value
        elif level == 2 and attr == _TNEF_ATTACHMENT:
            props = _mapi_props(value)
            for pid in (_PR_ATTACH_LONG_FILENAME, _PR_DISPLAY_NAME, _PR_ATTACH_FILENAME):
                long_name = _mapi_text(props.get(pid))
                if long_name:
                    files[-1].setdefault("long", long_name)
            obj = props.get(_PR_ATTACH_DATA)
            if obj is not None and "data" not in files[-1]:
                files[-1]["data"] = obj[1][16:] if obj[0] == 0x000D else obj[1]  # an object starts with its IID
    out = [b for b in bodies if b[1].strip(b"\0 \r\n")]
    for n, f in enumerate(files, start=1):
        if "data" in f:
            name = (f.get("long") or f.get("title") or f"attachment {n}").replace("/", "_").replace("\\", "_").strip() or f"attachment {n}"
            out.append((name, f["data"], True))
    return out, error


# --- large messages: bodies moved out to a temporary file -------------------------------------------


SPOOL_PART_BYTES = 1 << 20  # a part's body larger than this (as sent) is decoded to a temporary file, not parsed
INLINE_BODY_BYTES = 4 << 20  # ... and every body once those kept in the message add up to this
LINE_PIECE = 64 << 10  # a longer line is handled in pieces of this size
_READ_BYTES = 1 << 20
_FLUSH_BYTES = 1 << 20
_MARKER = "pii-scan-spooled-" + secrets.token_hex(16) + "-"  # a body standing for a spooled one (no mail knows it; no ":", no header)
_MARKER_BODY = re.compile(re.escape(_MARKER) + r"([0-9]{1,9})\r?\n?")
_HEADER_LINE_B = re.compile(rb"From |[\041-\071\073-\176]*:|[\t ]")  # email.feedparser.headerRE
_BLANK_B = re.compile(rb"\r\n|\r|\n")  # email.feedparser.NLCRE, matched at a line's start: an empty line
_EOL_CHAR = re.compile(rb"[\r\n]")
_EOL_END = re.compile(rb"(?:\r\n|\r|\n)\Z")
_MBOXRD_QUOTED = re.compile(rb">+From ")
_UNQUOTE_B = re.compile(rb"(?m)^>(>*From )")  # mboxrd quoting undone (as connectors.mail does), lines after a LF
_DASH_LINE = re.compile(rb"[\r\n]--")
_PREFIX_BYTES = 4 * HEADER_HASH_BYTES  # holds the header block's first KiB (fallback_item) even with CR LF
_NOT_BASE64_PAD = re.compile(rb"[^A-Za-z0-9+/=]")
_UUENCODE = frozenset({"x-uuencode", "uuencode", "x-uue", "uue"})
_MAX_DEPTH = 50  # nesting beyond which a message's rest is kept as it is


class _Lines:
    """A binary stream's lines as the email parser splits them (at CR LF, CR or LF), longer ones in pieces.

    Each piece is ``(bytes, starts)``: ``starts`` when it begins a line. With
    ``unquote`` (an mbox message), a line ``>From `` (``>>From `` ...) that
    follows a LF loses one ``>`` (mboxrd).
    """

    def __init__(self, f: Any, unquote: bool = False) -> None:
        self.f = f
        self.buf = b""
        self.pos = 0
        self.eof = False
        self.first = True
        self.starts = True
        self.after_lf = True
        self.unquote = unquote
        self.prefix = b""  # the first bytes read (after unquoting): what a message without Message-ID is named by

    def _keep(self, piece: bytes) -> bytes:
        if len(self.prefix) < _PREFIX_BYTES:
            self.prefix += piece[: _PREFIX_BYTES - len(self.prefix)]
        return piece

    def _more(self) -> None:
        chunk = self.f.read(_READ_BYTES)
        if not chunk:
            self.eof = True
            return
        if self.first:
            self.first = False
            if chunk.startswith(b"\xef\xbb\xbf"):
                chunk = chunk[3:]  # a byte order mark saved before the header (Windows tools)
        self.buf = self.buf[self.pos :] + chunk
        self.pos = 0

    def next(self) -> tuple[bytes, bool] | None:
        """The next piece, or None at the end."""
        while True:
            buf, pos = self.buf, self.pos
            limit = min(len(buf), pos + LINE_PIECE)
            m = _EOL_CHAR.search(buf, pos, limit)
            if m is not None:
                i = m.start()
                if buf[i] == 0x0D and i + 1 == len(buf) and not self.eof:
                    self._more()  # CR LF, or a CR alone?
                    continue
                end = i + 2 if buf[i : i + 2] == b"\r\n" else i + 1
            elif limit - pos >= LINE_PIECE:
                end = limit  # a piece of a long line
            elif not self.eof:
                self._more()
                continue
            elif pos < len(buf):
                end = len(buf)  # the last line, without a line break
            else:
                return None
            piece = buf[pos:end]
            self.pos = end
            starts = self.starts
            if starts and self.unquote and self.after_lf and _MBOXRD_QUOTED.match(piece):
                piece = piece[1:]
            last = buf[end - 1 : end]
            self.starts = last in (b"\n", b"\r")
            if self.starts:
                self.after_lf = last == b"\n"
            return self._keep(piece), starts

    def bulk(self) -> bytes | None:
        """Whole lines up to the next one that starts with ``--`` (a boundary, maybe), in one piece; None when :meth:`next` must go on.

        What a body is read with once it is known to be large: no line of it
        is looked at unless it could end the part.
        """
        if not self.starts or (self.pos + 2 > len(self.buf) and not self.eof):
            return None
        buf, pos = self.buf, self.pos
        if buf[pos : pos + 2] == b"--" or (self.unquote and buf[pos : pos + 1] == b">"):
            return None
        m = _DASH_LINE.search(buf, pos)
        stop = m.start() + 1 if m is not None else max(buf.rfind(b"\n", pos), buf.rfind(b"\r", pos, len(buf) - 1)) + 1
        if stop <= pos:
            return None
        piece = buf[pos:stop]
        if self.unquote:
            piece = _UNQUOTE_B.sub(rb"\1", piece)
        self.pos = stop
        self.after_lf = buf[stop - 1] == 0x0A
        if self.pos >= len(buf) and not self.eof:
            self._more()
        return self._keep(piece)


class _Window(io.RawIOBase):
    """Bytes [start, start + size) of a file, as a seekable read-only file of their own."""

    def __init__(self, fd: int, start: int, size: int) -> None:
        self.fd, self.start, self.size, self.pos = fd, start, size, 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self.pos

    def seek(self, offset: int, whence: int = 0) -> int:
        base = 0 if whence == 0 else self.pos if whence == 1 else self.size
        self.pos = max(0, base + offset)
        return self.pos

    def readinto(self, b: Any) -> int:
        n = min(len(b), self.size - self.pos)
        if n <= 0:
            return 0
        data = os.pread(self.fd, n, self.start + self.pos)
        b[: len(data)] = data
        self.pos += len(data)
        return len(data)


class _Spooled:
    """A body moved out of a message: where it lies in the message's temporary file, decoded, and its damage."""

    def __init__(self, spools: _Spools, start: int, size: int, bad_base64: bool) -> None:
        self.spools, self.start, self.size, self.bad_base64 = spools, start, size, bad_base64

    def open(self) -> io.BufferedReader:
        assert self.spools.file is not None
        return io.BufferedReader(_Window(self.spools.file.fileno(), self.start, self.size), _READ_BYTES)

    def head(self, n: int) -> bytes:
        return self.open().read(min(n, self.size))

    def read(self) -> bytes:
        """All of it in memory: for the readers that need the whole body (a text part, TNEF, S/MIME)."""
        return self.open().read()


class _Spools:
    """The bodies moved out of one message (and of the messages inside it): one temporary file, closed with the message."""

    def __init__(self) -> None:
        self.file: Any = None
        self.parts: list[_Spooled] = []
        self.end = 0

    def writer(self, cte: str, strip: bool) -> _Decoder:
        if self.file is None:
            self.file = tempfile.TemporaryFile(prefix="pii-scan-mail-", buffering=0)
        return _Decoder(self, cte, strip)

    def get(self, payload: Any) -> _Spooled | None:
        if not isinstance(payload, str) or not payload.startswith(_MARKER):
            return None
        m = _MARKER_BODY.fullmatch(payload)
        return self.parts[int(m.group(1))] if m is not None and int(m.group(1)) < len(self.parts) else None

    def close(self) -> None:
        if self.file is not None:
            self.file.close()
            self.file = None
        self.parts = []


class _Decoder:
    """A body's transfer encoding undone as it streams into the spool, as ``Message.get_payload(decode=True)`` would.

    ``strip``: the line break before the next boundary is the boundary's, not
    the body's (the email parser drops it from every part of a multipart).
    """

    def __init__(self, spools: _Spools, cte: str, strip: bool) -> None:
        self.spools, self.cte, self.strip = spools, cte, strip
        self.start = spools.end
        self.size = 0
        self.out = bytearray()
        self.held_eol = b""
        self.pending = bytearray()  # base64 characters not yet a whole 64 KiB, or quoted-printable up to its last line
        self.bad = False
        self.padded = False  # base64 padding seen: what follows is not decoded (as binascii does)

    def feed(self, data: bytes) -> None:
        data = self.held_eol + data
        m = _EOL_END.search(data)
        self.held_eol = m.group(0) if m else b""
        self._decode(data[: len(data) - len(self.held_eol)] if m else data)

    def _decode(self, data: bytes) -> None:
        if self.cte == "base64":
            data = data.translate(None, b"\r\n")
            if _NOT_BASE64_PAD.search(data):
                self.bad = True  # what binascii skips over
                data = _NOT_BASE64_PAD.sub(b"", data)
            if self.padded:
                self.bad = self.bad or bool(data.strip(b"="))
                return
            while (pad := data.find(b"=")) >= 0:
                self.pending += data[:pad]
                data = data[pad + 1 :]
                if len(self.pending) % 4 >= 2:  # the end of the data: nothing after it is decoded
                    self.padded = True
                    self.bad = self.bad or bool(data.strip(b"="))
                    self._flush_base64(final=True)
                    return
                self.bad = True  # a stray '=' is skipped
            self.pending += data
            if len(self.pending) >= 1 << 16:
                self._flush_base64(final=False)
        elif self.cte == "quoted-printable":
            self.pending += data
            cut = self.pending.rfind(b"\n") + 1
            if cut >= 1 << 16:
                self._write(binascii.a2b_qp(bytes(self.pending[:cut])))
                del self.pending[:cut]
        else:
            self._write(data)

    def _flush_base64(self, final: bool) -> None:
        whole = len(self.pending) - len(self.pending) % 4
        if final and whole < len(self.pending):
            rest = len(self.pending) - whole
            if rest == 1:  # one character too many: decoded up to the last whole quantum (bpo-27397)
                self.bad = True
                del self.pending[whole:]
            else:
                self.bad = self.bad or not self.padded  # padding missing
                self.pending += b"=" * (4 - rest)
            whole = len(self.pending)
        if whole:
            self._write(binascii.a2b_base64(bytes(self.pending[:whole])))
            del self.pending[:whole]

    def _write(self, data: bytes) -> None:
        self.out += data
        if len(self.out) >= _FLUSH_BYTES:
            self._flush()

    def _flush(self) -> None:
        if self.out:
            view = memoryview(self.out)
            while view:
                view = view[os.write(self.spools.file.fileno(), view) :]
            self.size += len(self.out)
            self.spools.end += len(self.out)
            self.out = bytearray()

    def finish(self) -> int:
        """The spooled body's number (what its marker names)."""
        if not self.strip and self.held_eol:
            self._decode(self.held_eol)
        if self.cte == "base64" and not self.padded:
            self._flush_base64(final=True)
        elif self.cte == "quoted-printable" and self.pending:
            self._write(binascii.a2b_qp(bytes(self.pending)))
        self._flush()
        self.spools.parts.append(_Spooled(self.spools, self.start, self.size, self.bad))
        return len(self.spools.parts) - 1


class _Skeleton:
    """A message read line by line as the email parser reads it, its large bodies moved to ``spools``.

    The result is the message's bytes with every leaf body larger than
    :data:`SPOOL_PART_BYTES` (or any, once the bodies kept add up to
    :data:`INLINE_BODY_BYTES`) replaced by a marker line that names its
    decoded copy in ``spools``; everything else (headers, boundaries, small
    bodies, preambles) stays byte for byte. The email parser then parses the
    skeleton, in memory bounded by those sizes, into the same parts it would
    have made of the whole message. Multiparts without a boundary and uuencoded
    bodies are kept as they are (the reader needs them whole).
    """

    def __init__(self, lines: _Lines, spools: _Spools) -> None:
        self.lines = lines
        self.spools = spools
        self.out = bytearray()
        self.inline = 0
        self.pushed: tuple[bytes, bool] | None = None

    def build(self) -> bytes:
        self._entity([], 0, strip=False, digest=False)
        self._copy([])  # nothing is left unless the parser stopped early
        return bytes(self.out)

    def _next(self, ends: list[re.Pattern[bytes]]) -> tuple[bytes, bool] | None:
        """The next piece, or None at the end of the stream or at a line an enclosing multipart's boundary ends the part at."""
        item = self.pushed
        if item is not None:
            self.pushed = None
        else:
            item = self.lines.next()
            if item is None:
                return None
        if item[1] and ends and item[0][:2] == b"--":
            for end in reversed(ends):
                if end.match(item[0]):
                    self.pushed = item
                    return None
        return item

    def _copy(self, ends: list[re.Pattern[bytes]]) -> None:
        while (item := self._next(ends)) is not None:
            self.out += item[0]

    def _entity(self, ends: list[re.Pattern[bytes]], depth: int, strip: bool, digest: bool) -> None:
        header: list[bytes] = []
        while (item := self._next(ends)) is not None:
            piece, starts = item
            if not starts or _HEADER_LINE_B.match(piece):
                header.append(piece)
                self.out += piece
                continue
            if _BLANK_B.match(piece):
                self.out += piece
            else:
                self.pushed = item  # no empty line after the header: the body starts here
            break
        head = _PARSER.parsebytes(b"".join(header) + b"\n", headersonly=True)
        if digest:
            head.set_default_type("message/rfc822")
        ctype = head.get_content_type()
        if depth > _MAX_DEPTH or ctype == "message/delivery-status":
            self._copy(ends)
        elif head.get_content_maintype() == "message":
            self._entity(ends, depth + 1, strip, False)
        elif head.get_content_maintype() == "multipart":
            self._multipart(head, ends, depth, ctype == "multipart/digest")
        else:
            self._body(ends, _transfer_encoding(head), strip)

    def _multipart(self, head: Message, ends: list[re.Pattern[bytes]], depth: int, digest: bool) -> None:
        try:
            boundary = head.get_boundary()
        except Exception:  # noqa: BLE001 - a broken parameter list
            boundary = None
        if boundary is None:
            self._copy(ends)  # read as text, or split at the delimiter its body uses (_with_found_boundary)
            return
        sep = re.compile(b"(?P<sep>" + re.escape(b"--" + boundary.encode("ascii", "surrogateescape")) + rb")(?P<end>--)?(?P<ws>[ \t]*)(?P<linesep>\r\n|\r|\n)?$")
        inner = ends + [sep]
        while (item := self._next(ends)) is not None:
            self.out += item[0]
            mo = sep.match(item[0]) if item[1] else None
            if mo is None:
                continue  # preamble
            if mo.group("end"):
                self._copy(ends)  # the epilogue
                return
            while (item := self._next(ends)) is not None:  # boundary lines in a row: no part between them
                if not (item[1] and sep.match(item[0])):
                    self.pushed = item
                    break
                self.out += item[0]
            self._entity(inner, depth + 1, strip=True, digest=digest)

    def _body(self, ends: list[re.Pattern[bytes]], cte: str, strip: bool) -> None:
        held: list[bytes] = []
        size = 0
        decoder: _Decoder | None = None
        spoolable = cte not in _UUENCODE  # decoded by the email package only
        while (item := self._next(ends)) is not None:
            if decoder is not None:
                decoder.feed(item[0])
                while (more := self.lines.bulk()) is not None:  # lines that cannot be a boundary, many at a time
                    decoder.feed(more)
                continue
            held.append(item[0])
            size += len(item[0])
            if spoolable and (size > SPOOL_PART_BYTES or self.inline + size > INLINE_BODY_BYTES):
                decoder = self.spools.writer(cte if cte in ("base64", "quoted-printable") else "", strip)
                for piece in held:
                    decoder.feed(piece)
                held = []
        if decoder is not None:
            self.out += f"{_MARKER}{decoder.finish()}\n".encode()
        else:
            self.out += b"".join(held)
            self.inline += size


def read_message(source: bytes | Any, spools: _Spools, unquote: bool = False) -> tuple[Message, bytes, bytes]:
    """A message parsed leniently, the bytes it was parsed from, and its first bytes (for :func:`fallback_item`).

    ``source`` is the message's bytes or a binary file positioned at its
    start. The bytes parsed are ``source`` itself when it is small; a message
    larger than :data:`SPOOL_PART_BYTES` is read line by line
    (:class:`_Skeleton`) and its large bodies decoded into ``spools``.
    """
    if isinstance(source, (bytes, bytearray)):
        if len(source) <= SPOOL_PART_BYTES:
            return parse(bytes(source)), bytes(source), bytes(source)
        source = io.BytesIO(source)
    lines = _Lines(source, unquote)
    skeleton = _Skeleton(lines, spools).build()
    return parse(skeleton), skeleton, lines.prefix



_MARKER_BYTES = re.compile(re.escape(_MARKER.encode()) + rb"([0-9]{1,9})(?:\r?\n)?")  # its line break is the skeleton's


def _expand(data: bytes, spools: _Spools) -> Iterator[bytes]:
    """``data`` (a skeleton, or a part of one written out again) with the spooled bodies it names put back, in pieces."""
    pos = 0
    for m in _MARKER_BYTES.finditer(data):
        yield data[pos : m.start()]
        spooled = spools.get(m.group(0).decode().rstrip())
        if spooled is not None:
            f = spooled.open()
            while chunk := f.read(_READ_BYTES):
                yield chunk
        pos = m.end()
    yield data[pos:]


def _whole(data: bytes | _Spooled | None) -> bytes:
    """A body in memory: spooled ones read back, for the readers that need all of it (text, TNEF, S/MIME)."""
    if data is None:
        return b""
    return data if isinstance(data, bytes) else data.read()

# --- large text parts: decoded and cut into windows as they are read ----------------------------------

STREAM_BODY_BYTES = SPOOL_PART_BYTES  # a spooled text part larger than this (decoded) is read in windows, not whole
TEXT_WINDOW_CHARS = 1 << 20  # ... of about this many characters, cut at a line break
LONG_LINE_CHARS = 4 * TEXT_WINDOW_CHARS  # a line longer than this is cut where it reaches it
_WHOLE_TEXT_TYPES = _RTF_TYPES | _FOLDED_TYPES  # read whole: RTF's groups and folded lines span any cut
_UU_BEGIN_B = re.compile(rb"(?m)^begin [0-7]{3,4} ")
_SNIFF_TAIL = 16
_MAX_BLANK_WINDOWS = 4


def _sniff(data: _Spooled) -> tuple[bool, bool, bool]:
    """One pass over a spooled body: (all ASCII, holds a NUL byte, holds a uuencode ``begin`` line)."""
    ascii_only, nul, uu = True, False, False
    tail = b""
    f = data.open()
    while chunk := f.read(_READ_BYTES):
        ascii_only = ascii_only and chunk.isascii()
        nul = nul or b"\x00" in chunk
        uu = uu or _UU_BEGIN_B.search(tail + chunk) is not None
        tail = chunk[-_SNIFF_TAIL:]
    return ascii_only, nul, uu


def _decodes(data: _Spooled, codec: str, skip: int = 0) -> bool:
    """Whether the spooled body (after ``skip`` bytes) decodes in ``codec`` without an error; read in pieces."""
    try:
        decoder = codecs.getincrementaldecoder(codec)()
        f = data.open()
        f.read(skip)
        while chunk := f.read(_READ_BYTES):
            decoder.decode(chunk)
        decoder.decode(b"", True)
    except (UnicodeDecodeError, LookupError, ValueError):
        return False
    except Exception:  # noqa: BLE001 - an odd codec on odd bytes
        return False
    return True


def _stream_codec(data: _Spooled, charset: str | None, ascii_only: bool) -> tuple[str, int, str, bool]:
    """What :func:`decode_bytes` would decode the spooled body with: (codec, bytes to skip, errors, ok), chosen in passes over it."""
    if ascii_only:
        return "ascii", 0, "strict", True
    head = data.head(4)
    for bom, bom_codec in _BOMS:
        if head.startswith(bom):
            if _decodes(data, bom_codec, len(bom)):
                return bom_codec, len(bom), "strict", True
            break
    codec = _codec(charset)
    declared = charset is not None and charset.strip().strip("\"'").lower() not in _UNDECLARED
    if (codec in _SINGLE_BYTE or codec is None) and _decodes(data, "utf-8"):
        return "utf-8", 0, "strict", True
    if codec in _WINDOWS_1252:
        return "cp1252", 0, FALLBACK, True
    if codec is not None and _decodes(data, codec):
        return codec, 0, "strict", True
    if codec not in _SINGLE_BYTE and _decodes(data, "utf-8"):
        return "utf-8", 0, "strict", True
    return "cp1252", 0, FALLBACK, not declared


def _decoded(data: _Spooled, codec: str, skip: int, errors: str) -> Iterator[str]:
    decoder = codecs.getincrementaldecoder(codec)(errors)
    f = data.open()
    f.read(skip)
    while chunk := f.read(_READ_BYTES):
        yield decoder.decode(chunk)
    yield decoder.decode(b"", True)


def _crlf_to_lf(texts: Iterator[str]) -> Iterator[str]:
    """CR LF as LF (as :meth:`_Walk.body` reads IMAP and Windows line ends), across the pieces' edges."""
    held = ""
    for text in texts:
        text = held + text
        held = "\r" if text.endswith("\r") else ""
        if held:
            text = text[:-1]
        yield text.replace("\r\n", "\n") if "\r" in text else text
    yield held


def _html_texts(texts: Iterator[str], max_chars: int) -> Iterator[str]:
    """:func:`html_to_text` of the pieces' HTML, as it is fed: the blocks found so far, one a line."""
    parser = HTMLText(max_chars)
    first = True
    broken = False
    for text in texts:
        if broken:  # as html_to_text: tags stripped instead (of the rest only)
            yield re.sub(r"<[^>]*>", " ", text)
            continue
        try:
            parser.feed(text)
        except Exception:  # noqa: BLE001 - html.parser on pathological input
            broken = True
            yield re.sub(r"<[^>]*>", " ", parser.rawdata)
            continue
        if parser.blocks:
            yield ("" if first else "\n") + "\n".join(t for _, t in parser.blocks)
            first = False
            parser.blocks.clear()
            parser.follows.clear()
    if not broken:
        with suppress(Exception):
            parser.close()
            parser.flush()
        if parser.blocks:
            yield ("" if first else "\n") + "\n".join(t for _, t in parser.blocks)


def _unflowed(texts: Iterator[str], delsp: bool) -> Iterator[str]:
    """:func:`unflow` of the pieces' text, each time up to the last line break after a line that is not flowed."""
    buf = ""
    for text in texts:
        buf += text
        # the last line break that ends a line that is not flowed (a flowed line ends with a space)
        cut = buf.rfind("\n")
        while cut > 0 and buf[cut - 1] == " ":
            cut = buf.rfind("\n", 0, cut)
        if cut >= 0:
            yield unflow(buf[: cut + 1], delsp)
            buf = buf[cut + 1 :]
        if len(buf) > LONG_LINE_CHARS:  # one flowed paragraph that long: unflowed in parts
            yield unflow(buf, delsp)
            buf = ""
    yield unflow(buf, delsp)


def _windows(texts: Iterator[str]) -> Iterator[str]:
    """The text of ``texts`` in windows of about :data:`TEXT_WINDOW_CHARS` cut at line breaks (the break itself dropped).

    The windows joined with line breaks are the text (but a final line break;
    and where a line longer than :data:`LONG_LINE_CHARS` was cut).
    """
    buf = ""
    for text in texts:
        buf += text
        while len(buf) >= TEXT_WINDOW_CHARS:
            cut = buf.rfind("\n", 0, TEXT_WINDOW_CHARS)
            if cut <= 0:
                cut = buf.find("\n", TEXT_WINDOW_CHARS, LONG_LINE_CHARS)
            if cut > 0:
                yield buf[:cut]
                buf = buf[cut + 1 :]
            elif len(buf) >= LONG_LINE_CHARS:
                yield buf[:LONG_LINE_CHARS]
                buf = buf[LONG_LINE_CHARS:]
            else:
                break  # the line goes on: wait for its end
    while len(buf) > LONG_LINE_CHARS:
        cut = buf.rfind("\n", 1, LONG_LINE_CHARS)
        cut = cut if cut > 0 else LONG_LINE_CHARS
        yield buf[:cut]
        buf = buf[cut + (buf[cut : cut + 1] == "\n") :]
    if buf:
        yield buf


def _item_label(item: str) -> str:
    return "line " + item if item.isdigit() else item


class MessageItems:
    """The items of the messages of one mailbox in one unit: a Message-ID is not always unique.

    A message saved twice, a client or a mail-merge tool that reuses its ids, a
    list that resends: two messages of one mailbox with one Message-ID would be
    one location, so the data map linked their senders as one person and an
    access report read back the other person's message as well. The first
    message keeps its Message-ID as its item; a later one with the same
    Message-ID but another header gets ``<Message-ID> sha256:<32 hex digits>``
    (:func:`fallback_item` of its header block: the same message read again
    gets the same item). A message without Message-ID has its ``sha256:``
    fallback as before.
    """

    __slots__ = ("_seen",)

    def __init__(self) -> None:
        self._seen: set[str] = set()

    def item(self, mid: str, first: bytes) -> str:
        if not mid:
            return fallback_item(first)
        if mid in self._seen:
            mid = f"{mid} {fallback_item(first)}"
        self._seen.add(mid)
        return mid


class MessageReader:
    """Reads messages of one unit into records; problems go to the shared ``problems``.

    ``base`` is the location of the mailbox (store, source, container);
    each message's records get the item of that message (see
    :class:`MessageItems`; pass one ``items`` to every reader of one mailbox in
    one unit, as a Maildir's messages are read by a reader each).
    """

    def __init__(self, base: Location, limits: Limits, problems: Problems, where_prefix: str = "",
                 items: MessageItems | None = None) -> None:
        self.base = base
        self.limits = limits
        self.problems = problems
        self.where_prefix = where_prefix
        self.items = items if items is not None else MessageItems()

    def problem(self, where: str, what: str) -> None:
        self.problems.add(f"{self.where_prefix}{where}: {what}")

    def records(
        self,
        raw: bytes | IO[bytes],
        where: str,
        *,
        envelope: str | None = None,
        fallback_date: datetime | None = None,
        oversize: int | None = None,
        unquote: bool = False,
    ) -> Iterator[Record]:
        """Records of one message (``raw`` = its bytes; only its header when ``oversize`` gives its real size).

        ``raw`` may also be a binary file at the message's start (``unquote``:
        undo mboxrd ``>From`` quoting as it is read): a message larger than
        :data:`SPOOL_PART_BYTES`, bytes or file, is read line by line and its
        large bodies decoded to a temporary file (:func:`read_message`), so
        that memory stays bounded whatever the size of a message or an
        attachment; the file is removed once the message is read.
        """
        spools = _Spools()
        try:
            yield from self._records(raw, where, spools, envelope, fallback_date, oversize, unquote)
        finally:
            spools.close()

    def _records(
        self, source: bytes | IO[bytes], where: str, spools: _Spools, envelope: str | None,
        fallback_date: datetime | None, oversize: int | None, unquote: bool,
    ) -> Iterator[Record]:
        if isinstance(source, (bytes, bytearray)) and source.startswith(b"\xef\xbb\xbf"):
            source = source[3:]  # a byte order mark saved before the header (Windows tools)
        raw = source if isinstance(source, bytes) else b""
        try:
            msg, raw, first = read_message(source, spools, unquote)
        except Exception as exc:  # noqa: BLE001 - RecursionError on absurd nesting, parser bugs
            self.problem(where, f"cannot be parsed ({type(exc).__name__}); read as text")
            when = fallback_date
            text, _ = decode_bytes(raw, None)
            yield Record(replace(self.base, item=fallback_item(raw)), [(BODY_FIELD, text)], False,
                         when.date() if when else None, (), when)
            return
        item = self.items.item(message_id(msg), first)
        when = message_date(msg) or fallback_date
        ref = when.date() if when else None
        loc = replace(self.base, item=item)

        def rec(fields: list[tuple[str, str]], structured: bool = False) -> Record:
            return Record(loc, fields, structured, ref, (), when)

        parties = _header_fields(msg, PARTY_HEADERS, "header:", ", ")
        if parties:
            yield rec(parties, True)
        texts = _header_fields(msg, OTHER_HEADERS, "header:", ", ", custom=True)
        if envelope:
            texts.append((ENVELOPE_FIELD, envelope))
        if texts:
            yield rec(texts)
        if not msg.keys():
            self.problem(where, "no header: not a mail message, or damaged; read as text")
            text, _ = decode_bytes(b"".join(_expand(raw, spools)), None)
            if text.strip():
                yield rec([(BODY_FIELD, text)])
            return
        if oversize is not None:
            self.problem(where, f"message of {oversize} bytes is larger than max_message_bytes; only its header was read")
            return
        try:
            yield from _Walk(self, where, rec, when, spools).message(msg, "", 0)
        except Exception as exc:  # noqa: BLE001 - one message the email package cannot take apart must not end the unit
            self.problem(where, f"cannot be read further ({type(exc).__name__}); the rest of the message skipped")


class _Walk:
    """The parts of one message, depth first, with their IMAP section numbers."""

    def __init__(self, reader: MessageReader, where: str, rec: Any, when: datetime | None, spools: _Spools) -> None:
        self.r = reader
        self.spools = spools
        self.where = where
        self.rec = rec
        self.when = when
        self.first_body = True
        self.names: set[str] = set()
        self.parts = 0

    def problem(self, section: str, what: str) -> None:
        self.r.problem(self.where, f"part {section or '1'}: {what}" if section else what)

    def message(self, msg: Message, prefix: str, depth: int) -> Iterator[Record]:
        """A message's body: ``prefix`` is the section of the enclosing message/rfc822 part ('' at the top)."""
        if msg.is_multipart() and msg.get_content_maintype() == "multipart":
            yield from self.part(msg, prefix, depth)
        else:
            yield from self.part(msg, f"{prefix}.1" if prefix else "1", depth)

    def part(self, part: Message, section: str, depth: int) -> Iterator[Record]:
        """One part; a multipart's children are ``<section>.<n>`` (``<n>`` alone at the top)."""
        self.parts += 1
        if self.parts > self.r.limits.max_entries:
            if self.parts == self.r.limits.max_entries + 1:
                self.problem("", f"more than {self.r.limits.max_entries} parts (max_entries); the rest not read")
            return
        ctype = part.get_content_type()
        # not get_payload() on a leaf: it decodes 8-bit text with the charset parameter, which may be anything
        payload = part.get_payload() if part.is_multipart() else None
        broken = any(isinstance(d, _BOUNDARY_DEFECTS) for d in part.defects)
        if ctype == "multipart/encrypted":  # RFC 1847: PGP/MIME; its parts are a version line and the ciphertext
            what = "PGP" if "pgp" in _param(part, "protocol") else _param(part, "protocol") or "multipart/encrypted"
            self.problem(section, f"encrypted ({safe_name(what)}): not read")
            return
        if ctype in _REPORT_TYPES:  # a bounce's or read receipt's fields (Final-Recipient: rfc822; anna@...)
            yield from self.report(part, section, payload)
            return
        if isinstance(payload, list):
            if ctype.startswith("message/"):  # message/rfc822 (or message/global) with its parsed message
                encoded = self._encoded_message(part, payload, section)
                if encoded is not None:
                    yield from self.forwarded(encoded, section, depth, _filename(part))
                    return
                for sub in payload:
                    if isinstance(sub, Message):
                        yield from self.forwarded(sub, section, depth, _filename(part))
                return
            if broken:
                self.problem(section, "multipart boundaries missing: truncated or damaged")
            for i, sub in enumerate(payload, start=1):
                if isinstance(sub, Message):
                    yield from self.part(sub, f"{section}.{i}" if section else str(i), depth)
            return
        if ctype.startswith("multipart/") and payload is None and depth + 1 <= MAX_NESTING:
            rebuilt = _with_found_boundary(part, ctype)
            if rebuilt is not None:  # its 'boundary=' lost: split at the delimiter lines its body uses
                yield from self.part(rebuilt, section, depth + 1)
                return
        if ctype.startswith("multipart/") and broken:
            self.problem(section, "multipart boundaries missing: truncated or damaged; read as text")
        filename = _filename(part)
        disposition = _disposition(part)
        maintype = part.get_content_maintype()
        is_body = (
            (maintype == "text" or ctype.startswith("multipart/"))
            and disposition != "attachment"
            and (filename is None or (disposition == "inline" and ctype in ("text/plain", "text/html")))
        )
        data = self._payload(part, section)
        if data is None:
            return
        if ctype in ("message/rfc822", "message/global") or (filename or "").lower().endswith(".eml"):
            try:
                inner = read_message(data if isinstance(data, bytes) else data.open(), self.spools)[0]
            except Exception:  # noqa: BLE001
                inner = None
            if inner is not None and inner.keys():
                yield from self.forwarded(inner, section, depth, filename)
                return
        head = data[:8] if isinstance(data, bytes) else data.head(8)
        if head.startswith(_OLE2) and (ctype == "application/vnd.ms-outlook" or (filename or "").lower().endswith(".msg")):
            inner = self._outlook(data, section, filename)
            if inner is not None:
                yield from self.forwarded(inner, section, depth, filename)
                return
        if head.startswith(_TNEF_SIGNATURE):  # winmail.dat (application/ms-tnef, or any type a gateway gave it)
            yield from self.tnef(section, _whole(data), filename)
            return
        if ctype in _PKCS7_TYPES or (filename or "").lower().endswith(".p7m"):
            kind, content = cms_content(_whole(data))
            if kind == "encrypted" or _param(part, "smime-type") in ("enveloped-data", "authenveloped-data"):
                self.problem(section, "encrypted (S/MIME): not read")
                return
            if kind == "signed" and content is not None and depth + 1 <= MAX_NESTING:
                try:
                    inner = parse(content)
                except Exception:  # noqa: BLE001
                    inner = None
                if inner is not None:  # an opaque-signed message: the signed entity is the message's content
                    yield from self.part(inner, section, depth + 1)
                    return
        if is_body:
            if isinstance(data, _Spooled) and data.size > STREAM_BODY_BYTES and ctype not in _WHOLE_TEXT_TYPES:
                yield from self.body_windows(part, section, data, ctype)
            else:
                yield from self.body(part, section, _whole(data), ctype)
        else:
            yield from self.attachment(part, section, data, ctype, filename)

    def _outlook(self, data: bytes | _Spooled, section: str, filename: str | None) -> Message | None:
        """An attached Outlook item (``.msg``, Exchange's "forward as attachment") as a message, or None to read its strings."""
        from connectors.mail import outlook_msg_bytes  # the mail connector's reader (extract-msg)

        try:
            f = io.BytesIO(data) if isinstance(data, bytes) else data.open()
            inner = read_message(outlook_msg_bytes(f, filename or f"part {section}"), self.spools)[0]
        except ConnectorError as exc:
            if "needs the Python package" not in str(exc):
                self.problem(section, f"attached Outlook message {safe_name(filename or '')} cannot be read; its strings are")
            return None
        except Exception:  # noqa: BLE001 - the parser on a strange rebuild
            return None
        return inner if inner.keys() else None

    def _encoded_message(self, part: Message, payload: list[Any], section: str) -> Message | None:
        """The message of a ``message/rfc822`` part sent base64 or quoted-printable (RFC 2046 forbids it; Outlook does it).

        The parser took the encoded text for a message of its own; it is
        written out again, decoded and parsed. None for the usual 7bit/8bit part.
        """
        cte = str(part.get("Content-Transfer-Encoding", "") or "").strip().lower()
        if cte not in ("base64", "quoted-printable") or len(payload) != 1 or not isinstance(payload[0], Message):
            return None
        out = io.BytesIO()
        try:
            BytesGenerator(out, mangle_from_=False, maxheaderlen=0).flatten(payload[0])
            text = out.getvalue()
            if _MARKER_BYTES.search(text):  # a large one: decoded as it streams into the spool
                decoder = self.spools.writer(cte, strip=False)
                for piece in _expand(text, self.spools):
                    decoder.feed(piece)
                inner = read_message(self.spools.parts[decoder.finish()].open(), self.spools)[0]
                return inner if inner.keys() else None
            if cte == "base64":
                b64 = _NOT_BASE64.sub(b"", text)
                data = base64.b64decode(b64 + b"=" * (-len(b64) % 4))
            else:
                data = quopri.decodestring(text)
            inner = parse(data)
        except Exception:  # noqa: BLE001 - binascii.Error, generator failures
            self.problem(section, f"forwarded message in {cte} cannot be decoded")
            return None
        return inner if inner.keys() else None

    def _payload(self, part: Message, section: str) -> bytes | _Spooled | None:
        # the payload as stored: get_payload() would decode and re-encode a text part's 8-bit bytes to return it
        spooled = self.spools.get(getattr(part, "_payload", None)) if not part.is_multipart() else None
        if spooled is not None:  # a large body, decoded into the message's temporary file (read_message)
            if spooled.bad_base64:
                self.problem(section, "invalid base64; decoded as far as possible")
            return spooled
        _clean_transfer_encoding(part)
        before = len(part.defects)
        try:
            data = part.get_payload(decode=True)
        except Exception as exc:  # noqa: BLE001 - a transfer decoder's failure
            self.problem(section, f"content cannot be decoded ({type(exc).__name__})")
            return None
        defects = part.defects[before:]
        if any(isinstance(d, _BASE64_DEFECTS) for d in defects):
            self.problem(section, "invalid base64; decoded as far as possible")
            if any(isinstance(d, email.errors.InvalidBase64LengthDefect) for d in defects):
                data = _b64_as_far_as_possible(part)  # the email package gave the encoded text back
        if data is None:
            return b""
        if isinstance(data, str):  # pragma: no cover - compat32 returns bytes for leaves
            data = data.encode("utf-8", "surrogateescape")
        return data if isinstance(data, bytes) else b""

    def body(self, part: Message, section: str, data: bytes, ctype: str) -> Iterator[Record]:
        charset = _charset(part)
        text, ok = decode_bytes(data, charset)
        if not ok and b"\x00" in data:  # UTF-16/32 without a BOM: its digits and letters are lost as cp1252
            self.problem(section, "text is neither in its declared charset nor UTF-8; read as cp1252")
        if "\r" in text:
            text = text.replace("\r\n", "\n")  # IMAP and Windows line ends read like the rest
        if ctype == "text/html":
            text = html_to_text(text, self.r.limits.max_field_chars)
        elif ctype in _RTF_TYPES and data.lstrip().startswith(b"{\\rtf"):
            from connectors.mail import rtf_text

            text = rtf_text(data)
        elif ctype in _FOLDED_TYPES:
            text = blank_ids(_ICAL_FOLD.sub("", text))
        elif ctype == "text/plain" and _param(part, "format") == "flowed":
            text = unflow(text, delsp=_param(part, "delsp") == "yes")
        if _PGP_ARMOR in text:
            self.problem(section, "encrypted (PGP) block in the text: not read")
        uuencoded: list[tuple[str, bytes]] = []
        if ctype == "text/plain" and "begin " in text:
            text, uuencoded = split_uuencoded(text)
        if text.strip():
            if self.first_body:
                field = BODY_FIELD
                self.first_body = False
            else:
                field = f"{BODY_FIELD}[{section}]"
            yield self.rec([(field, text)])
        for name, content in uuencoded:  # attachments of pre-MIME mail, inside the text
            yield from self.attachment(part, section, content, mimetypes.guess_type(name)[0] or "application/octet-stream", name)

    def body_windows(self, part: Message, section: str, data: _Spooled, ctype: str) -> Iterator[Record]:
        """A large text part (spooled) read as :meth:`body` reads it, in records of about :data:`TEXT_WINDOW_CHARS`.

        The text is decoded from the spool as it is read (the charset chosen as
        :func:`decode_bytes` chooses it, by reading the spool through first),
        and cut at line breaks: each record after the first ``follows`` the one
        before (:class:`~connectors.base.Record`), so that the engine reads them
        as one text, as it reads the lines of a text file. An identifier across
        a window's edge is found once, on the record where it starts; all
        records have the field the part's single record has. A line longer than
        :data:`LONG_LINE_CHARS` is cut inside (a line break where there was none).
        """
        ascii_only, nul, uuencoded = _sniff(data)
        if uuencoded and ctype == "text/plain":
            yield from self.body(part, section, data.read(), ctype)  # a file inside the text: taken out of it whole
            return
        codec, skip, errors, ok = _stream_codec(data, _charset(part), ascii_only)
        if not ok and nul:
            self.problem(section, "text is neither in its declared charset nor UTF-8; read as cp1252")
        texts = _crlf_to_lf(_decoded(data, codec, skip, errors))
        if ctype == "text/html":
            texts = _html_texts(texts, self.r.limits.max_field_chars)
        elif ctype == "text/plain" and _param(part, "format") == "flowed":
            texts = _unflowed(texts, _param(part, "delsp") == "yes")
        field: str | None = None
        follows = False
        pgp = False
        blanks: list[str] = []  # windows of blanks only: records once text follows them (none for a blank part)
        for piece in _windows(texts):
            if not piece.strip():
                blanks.append(piece)
                if len(blanks) > _MAX_BLANK_WINDOWS:
                    blanks, follows = [], False  # a sea of blanks: dropped, and the text after it starts anew
                continue
            if not pgp and _PGP_ARMOR in piece:
                pgp = True
                self.problem(section, "encrypted (PGP) block in the text: not read")
            if field is None:
                field = BODY_FIELD if self.first_body else f"{BODY_FIELD}[{section}]"
                self.first_body = False
            for text in [*blanks, piece]:
                rec = self.rec([(field, text)])
                rec.follows = follows
                follows = True
                yield rec
            blanks = []

    def report(self, part: Message, section: str, payload: Any) -> Iterator[Record]:
        """A delivery status or disposition notification (RFC 3464, 8098) as text: its field blocks, one line each."""
        if isinstance(payload, list):  # the parser made each block of fields a message of headers
            blocks = [sub for sub in payload if isinstance(sub, Message)]
            text = "\n\n".join("\n".join(f"{k}: {header_text(k, v)}" for k, v in b.raw_items()) for b in blocks)
        else:
            data = self._payload(part, section)
            text = decode_bytes(_whole(data), "utf-8")[0] if data else ""
        if text.strip():
            field = BODY_FIELD if self.first_body else f"{BODY_FIELD}[{section}]"
            self.first_body = False
            yield self.rec([(field, text)])

    def forwarded(self, msg: Message, section: str, depth: int, filename: str | None) -> Iterator[Record]:
        if filename:
            yield self.rec([(f"attachment:{self._unique(filename, section)}", filename)])
        if depth + 1 > MAX_NESTING:
            self.problem(section, f"forwarded messages nested deeper than {MAX_NESTING}; not read")
            return
        fields = _header_fields(msg, ADDRESS_HEADERS + TEXT_HEADERS, f"header[{section}]:", ", ", custom=True)
        if fields:
            yield self.rec(fields)
        first = self.first_body
        self.first_body = False  # 'body' is the outer message's first text only
        yield from self.message(msg, section, depth + 1)
        self.first_body = first

    def _unique(self, name: str, section: str) -> str:
        label = name
        if label in self.names:
            label = f"{name}[{section}]"
        self.names.add(label)
        return label

    def tnef(self, section: str, data: bytes, filename: str | None, label: str | None = None, depth: int = 0) -> Iterator[Record]:
        """Outlook's ``winmail.dat``: its body (RTF, HTML or text) and its attachments, each read as an attachment.

        An Outlook item attached inside it is a TNEF stream of its own, opened the same way.
        """
        if label is None:
            label = self._unique(filename or f"part {section}", section)
        if filename is not None:
            yield self.rec([(f"attachment:{label}", filename)])
        entries, error = tnef_entries(data)
        seen: set[str] = set()
        for n, (name, content, is_file) in enumerate(entries, start=1):
            inner = name if name not in seen else f"{name}[{n}]"
            seen.add(inner)
            if content.startswith(_TNEF_SIGNATURE) and depth < MAX_NESTING:
                yield from self.tnef(section, content, name, f"{label}!{inner}", depth + 1)
                continue
            if name == "body.rtf" and not is_file:  # its text, not RTF source (an escaped dash would split a number)
                from connectors.mail import rtf_text

                content = rtf_text(content).encode("utf-8")
            ctype = mimetypes.guess_type(name)[0] or "application/octet-stream"
            yield from self.attachment(None, section, content, ctype, name if is_file else None, label=f"{label}!{inner}")
        if error:
            self.problem(section, f"attachment {safe_name(label)}: TNEF stream damaged ({error}); read as far as it goes")

    def attachment(
        self, part: Message | None, section: str, data: bytes | _Spooled, ctype: str, filename: str | None, label: str | None = None
    ) -> Iterator[Record]:
        """An attachment read by the format readers; ``label`` (default: its unique name) names it in the fields."""
        if label is None:
            label = self._unique(filename or f"part {section}", section)
        sniff_name = filename or label + (mimetypes.guess_extension(ctype) or "")

        def loc(container: str, item: str) -> Location:
            return Location("", "", container, item)

        if ctype in _FOLDED_TYPES or (filename or "").lower().endswith(_FOLDED_SUFFIXES):
            data = blank_ids_bytes(_ICAL_FOLD_BYTES.sub(b"", _whole(data)))  # a line per property: an address folded at 75 octets reads whole
        head = data[:4096] if isinstance(data, bytes) else data.head(4096)
        if (ctype in _RTF_TYPES or (filename or "").lower().endswith(".rtf")) and head.lstrip().startswith(b"{\\rtf"):
            from connectors.mail import rtf_text

            data = rtf_text(_whole(data)).encode("utf-8")  # its text: an escaped dash (\\'96) must not split a number
            head = data[:4096]
        if (filename or "").lower().endswith(_PGP_SUFFIXES) or head.lstrip()[:27] == _PGP_ARMOR.encode():
            if filename is not None:
                yield self.rec([(f"attachment:{label}", filename)])
            self.problem(section, f"attachment {safe_name(label)}: encrypted (PGP): not read")
            return
        if ctype.split("/", 1)[0] in _MEDIA and not head.startswith(_READABLE_MAGIC):
            if filename is not None:  # a picture holds no text to read; its name may
                yield self.rec([(f"attachment:{label}", filename)])
            return
        try:
            for r in read_stream(
                io.BytesIO(data) if isinstance(data, bytes) else data.open(), sniff_name, container=label, loc_factory=loc, limits=self.r.limits,
                mtime=self.when, emit_name=filename is not None,
            ):
                c, i = r.location.container, r.location.item
                prefix = "attachment:" + c + ("!" + _item_label(i) if i else "")
                fields = [(prefix if (f == PATH_FIELD and not i) else f"{prefix}:{f}", t) for f, t in r.fields]
                out = self.rec(fields)
                out.follows = r.follows  # the next line or paragraph of the same attachment (Record.follows)
                yield out
        except PartialRead as exc:
            self.problem(section, f"attachment {safe_name(label)}: {exc.count} part(s) not read: " + "; ".join(exc.problems[:3]))
        except ConnectorError as exc:
            self.problem(section, f"attachment {safe_name(label)} not read: {exc}")


def field_hint(field: str) -> str:
    """The detectors' hint for a mail field: the header name, or an attachment reader's own field.

    >>> field_hint("header:From"), field_hint("header[2]:Cc"), field_hint("attachment:order 7.csv!line 3:Personnummer")
    ('From', 'Cc', 'Personnummer')
    >>> field_hint("attachment:kunder.csv"), field_hint("body[1.2]"), field_hint("envelope:From")
    ('path', 'body', 'From')
    >>> field_hint("bodyweight"), field_hint("$.kund.pnr")  # any other store's fields are their own hint
    ('bodyweight', '$.kund.pnr')
    """
    if field.startswith("attachment:"):
        rest = field[len("attachment:") :]
        return rest.rsplit(":", 1)[1] if ":" in rest else PATH_FIELD
    if field.startswith(("header:", "header[", "envelope:")):
        return field.rsplit(":", 1)[1]
    if field == BODY_FIELD or field.startswith(BODY_FIELD + "["):
        return BODY_FIELD
    return field


class FieldHints(dict):  # type: ignore[type-arg]
    """What ``field_hints(unit)`` returns: the engine asks ``.get(field, field)`` for each field.

    The attachment's name stays out of the hint (``order_2024.csv`` must not
    make every value in it look like an order number).
    """

    def get(self, key: Any, default: Any = None) -> Any:  # noqa: D102
        return field_hint(key) if isinstance(key, str) else default

    def __reduce__(self):  # type: ignore[no-untyped-def]
        return (FieldHints, ())


def raise_problems(name: str, problems: Problems) -> None:
    """Raise :class:`PartialRead` for the unit when anything was skipped or damaged."""
    if problems:
        raise PartialRead(name, problems.messages, problems.count)
