"""Outlook ``.pst`` and ``.ost`` archives (Personal Folders Files), read with libpff-python.

A PST holds a tree of folders; each folder holds items: mails (``IPM.Note``),
meeting requests, appointments, contacts, tasks, notes. libpff-python
(``pypff``, the ``outlook`` extra) reads the file's B-trees; this module turns
what it gives into what the rest of the scanner reads:

* a **mail-like item** becomes an RFC 822 message, written to a spooled
  temporary file and read by :class:`connectors.mime.MessageReader` like any
  other message: the internet headers Outlook kept (``PR_TRANSPORT_MESSAGE_HEADERS``)
  or, for mail that never crossed the internet (drafts, sent items, items of an
  Exchange store), headers made from the item's properties (sender, To, Cc,
  Bcc from its recipient table, Subject, Date, Message-ID); its plain-text, HTML
  and RTF bodies (the RTF as text, :func:`connectors.mail.rtf_text`); its
  attachments by value as parts with their file names (base64-encoded as they
  are read, so a large attachment never sits in memory) and attached Outlook
  items as ``message/rfc822`` parts, recursively;
* the **other text properties** of an item that is not a mail (a contact's
  phone numbers and e-mail addresses, an appointment's location, a task's
  owner) become one record with those properties as fields named as Outlook
  names them (``BusinessTelephoneNumber``, ``MobileTelephoneNumber``; one
  without a name here by its tag, ``0x3A2C``; a named property, such as a
  contact's e-mail addresses, as ``named:0x8083``: its tag in that archive). A contact is one person: that record is structured.

The item of a location is the Message-ID where there is one, else
``pst-entry:<n>``: the item's identifier in the archive (its descriptor
number), which Outlook's own tools and libpff name it by.

Limits: items larger than ``max_message_bytes`` have only their header read;
attachments nest at most :data:`MAX_DEPTH` Outlook items deep; each
attachment's bytes are read in 1 MiB pieces. A damaged item is skipped and
reported (by folder and position, never by value); the rest of the folder goes on.
Not read: items the archive keeps outside the folder tree (libpff's orphan
and recovered items).
"""

from __future__ import annotations

import base64
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timezone
from email.header import Header
from email.parser import HeaderParser
from email.utils import format_datetime, formataddr
from typing import IO, Any

from connectors.base import ConnectorError, safe_name

PST_MAGIC = b"!BDN"
MAX_DEPTH = 8  # Outlook items attached inside Outlook items, at most
MAX_FOLDERS = 100_000
PIECE = 1 << 20
SPOOL = 1 << 20  # a built message stays in memory up to this size, then goes to a temporary file

# MAPI property tags (MS-OXPROPS)
_MESSAGE_CLASS = 0x001A
_SUBJECT = 0x0037
_CLIENT_SUBMIT_TIME = 0x0039
_SENT_REPRESENTING_NAME = 0x0042
_SENT_REPRESENTING_EMAIL = 0x0065
_TRANSPORT_HEADERS = 0x007D
_SENDER_NAME = 0x0C1A
_SENDER_EMAIL = 0x0C1F
_RECIPIENT_TYPE = 0x0C15
_DELIVERY_TIME = 0x0E06
_BODY = 0x1000
_RTF_COMPRESSED = 0x1009
_HTML = 0x1013
_INTERNET_MESSAGE_ID = 0x1035
_DISPLAY_NAME = 0x3001
_EMAIL_ADDRESS = 0x3003
_ATTACH_FILENAME = 0x3704
_ATTACH_METHOD = 0x3705
_ATTACH_LONG_FILENAME = 0x3707
_ATTACH_MIME_TAG = 0x370E
_SMTP_ADDRESS = 0x39FE
_SENDER_SMTP = 0x5D01
_INTERNET_CPID = 0x3FDE
_STRING_TYPES = (0x001F, 0x001E)  # PT_UNICODE, PT_STRING8
_MULTI_STRING_TYPES = (0x101F, 0x101E)

# properties already in the message built from an item, or that hold no personal data
_BUILT = frozenset({
    _MESSAGE_CLASS, _SUBJECT, _SENT_REPRESENTING_NAME, _SENT_REPRESENTING_EMAIL, _TRANSPORT_HEADERS, _SENDER_NAME,
    _SENDER_EMAIL, _BODY, _RTF_COMPRESSED, _HTML, _INTERNET_MESSAGE_ID, _SENDER_SMTP, _DISPLAY_NAME,
    0x0E1D,  # normalized subject
    0x0070,  # conversation topic (the subject again)
    0x0E02, 0x0E03, 0x0E04,  # display Bcc / Cc / To: the recipient table holds them with addresses
    0x0064, 0x0075, 0x0076, 0x0C1D, 0x003B, 0x0051, 0x0052,  # address types, search keys
    0x1039, 0x1042,  # references, in-reply-to: Message-IDs of other mails
    # the creator's and last modifier's names and addresses: the archive's owner, on every item
    0x3FFA, 0x3FF8, 0x4022, 0x4023, 0x4024, 0x4025, 0x4038, 0x4039, 0x5D0A, 0x5D0B,
    0x0C1E, 0x4030, 0x4031, 0x5D02,  # the sender's address type, simple names and SMTP address: in From
    0x0E05, 0x3D01, 0x3FFB, 0x3FF9,  # parent and entry names of the store
})

# what a person reading a contact, an appointment or a task sees, by tag (MS-OXPROPS canonical names)
_NAMES = {
    0x3001: "DisplayName", 0x3A06: "GivenName", 0x3A11: "Surname", 0x3A44: "MiddleName", 0x3A45: "DisplayNamePrefix",
    0x3A4F: "Nickname", 0x3A16: "CompanyName", 0x3A17: "Title", 0x3A18: "DepartmentName", 0x3A19: "OfficeLocation",
    0x3A08: "BusinessTelephoneNumber", 0x3A1B: "Business2TelephoneNumber", 0x3A09: "HomeTelephoneNumber",
    0x3A2F: "Home2TelephoneNumber", 0x3A1C: "MobileTelephoneNumber", 0x3A1A: "PrimaryTelephoneNumber",
    0x3A1E: "CarTelephoneNumber", 0x3A1F: "OtherTelephoneNumber", 0x3A21: "PagerTelephoneNumber",
    0x3A23: "PrimaryFaxNumber", 0x3A24: "BusinessFaxNumber", 0x3A25: "HomeFaxNumber", 0x3A2D: "IsdnNumber",
    0x3A02: "CallbackTelephoneNumber", 0x3A1D: "RadioTelephoneNumber", 0x3A2E: "AssistantTelephoneNumber",
    0x3A30: "Assistant", 0x3A2B: "BusinessPostOfficeBox", 0x3A29: "StreetAddress", 0x3A27: "Locality",
    0x3A28: "StateOrProvince", 0x3A2A: "PostalCode", 0x3A26: "Country", 0x3A5D: "HomeAddressStreet",
    0x3A59: "HomeAddressCity", 0x3A5B: "HomeAddressPostalCode", 0x3A5A: "HomeAddressCountry",
    0x3A4E: "ManagerName", 0x3A48: "SpouseName", 0x3A58: "ChildrensNames", 0x3A0A: "Initials",
    0x3A00: "Account", 0x3A07: "GovernmentIdNumber", 0x3A0B: "Keyword", 0x3A0C: "Language",
    0x3A0E: "OrganizationalIdNumber", 0x3A10: "OrganizationalIdNumber", 0x3A12: "OriginalEntryId",
    0x3A51: "BusinessHomePage", 0x3A50: "PersonalHomePage", 0x3A13: "ComputerNetworkName",
    0x3A4B: "CustomerId", 0x3A4A: "ContactEmailAddresses", 0x3A49: "FtpSite", 0x3A42: "Birthday",
    0x3A15: "PostalAddress",
}
_CONTACT_CLASSES = ("ipm.contact", "ipm.distlist")
_MAIL_CLASSES = ("ipm.note", "ipm.schedule.meeting", "report.", "ipm.post", "ipm.outlook.recall")


@dataclass(frozen=True)
class PstFolder:
    """A folder of an archive that holds items: its path of names from the root, its identifier, how many items."""

    path: str
    identifier: int
    items: int


def open_archive(f: IO[bytes] | str, name: str) -> Any:
    """A ``pypff.file`` open on ``f`` (a path, or a binary file that can seek). Errors say so, by name only."""
    try:
        import pypff
    except ImportError:
        raise ConnectorError(
            f"{safe_name(name)}: reading Outlook .pst/.ost archives needs the Python package libpff-python "
            "(pip install 'pii-scan[mail]')"
        ) from None
    pf = pypff.file()
    try:
        if isinstance(f, str):
            pf.open(f)
        else:
            pf.open_file_object(f)
    except (OSError, IOError, ValueError, TypeError) as exc:
        raise ConnectorError(f"{safe_name(name)}: not readable as an Outlook archive ({type(exc).__name__})") from None
    return pf


def _walk(pf: Any, name: str) -> Iterator[tuple[Any, str]]:
    """Every folder of the archive with its path of names, depth first, in the archive's order."""
    try:
        root = pf.get_root_folder()
    except (OSError, IOError) as exc:
        raise ConnectorError(f"{safe_name(name)}: the archive's folder tree cannot be read ({type(exc).__name__})") from None
    stack: list[tuple[Any, str]] = [(root, "")]
    seen = 0
    while stack:
        folder, path = stack.pop()
        seen += 1
        if seen > MAX_FOLDERS:
            raise ConnectorError(f"{safe_name(name)}: more than {MAX_FOLDERS} folders: damaged archive")
        yield folder, path
        try:
            subs = [folder.get_sub_folder(i) for i in range(folder.get_number_of_sub_folders())]
        except (OSError, IOError):
            continue  # a damaged folder node: what is below it cannot be reached
        for sub in reversed(subs):
            label = (sub.get_name() or f"folder-{sub.get_identifier()}").replace("/", "\u2215")
            stack.append((sub, f"{path}/{label}" if path else label))


def folders(pf: Any, name: str) -> list[PstFolder]:
    """Every folder of the archive that holds items (the root, which holds none a user sees, aside)."""
    out: list[PstFolder] = []
    for folder, path in _walk(pf, name):
        try:
            n = folder.get_number_of_sub_messages()
        except (OSError, IOError):
            continue
        if n and path:
            out.append(PstFolder(path, folder.get_identifier(), n))
    return out


def find_folder(pf: Any, name: str, identifier: int) -> tuple[Any, str] | None:
    """The folder with this identifier and its path, or None (the archive changed since it was listed)."""
    for folder, path in _walk(pf, name):
        if folder.get_identifier() == identifier:
            return folder, path
    return None


@dataclass
class PstItem:
    """One item of a folder: ``message`` (an RFC 822 message to read, bytes or a file) and/or ``properties``."""

    position: int
    identifier: int
    message: bytes | IO[bytes] | None
    properties: list[tuple[str, str]]
    contact: bool
    when: datetime | None


def items(folder: Any, first: int, last: int, max_message: int, problem: Any) -> Iterator[PstItem]:
    """Items ``first`` to ``last`` (inclusive, 0-based) of ``folder``; ``problem(where, what)`` hears of damage."""
    for i in range(first, min(last, folder.get_number_of_sub_messages() - 1) + 1):
        where = f"item {i + 1}"
        try:
            item = folder.get_sub_message(i)
            yield build_item(item, i, max_message, lambda what, w=where: problem(w, what))
        except (OSError, IOError, ValueError, UnicodeError, OverflowError) as exc:
            problem(where, f"cannot be read ({type(exc).__name__}); skipped")


def _props(item: Any) -> dict[int, Any]:
    out: dict[int, Any] = {}
    for rs in item.record_sets:
        for e in rs.entries:
            out.setdefault(e.entry_type, e)
    return out


def _text(e: Any) -> str:
    if e is None:
        return ""
    try:
        if e.value_type in _STRING_TYPES:
            return (e.get_data_as_string() or "").replace("\x00", "")
    except (OSError, IOError, UnicodeError):
        return ""
    return ""


def _when(e: Any) -> datetime | None:
    if e is None or e.value_type != 0x0040:
        return None
    try:
        d = e.get_data_as_datetime()
    except (OSError, IOError, ValueError, OverflowError):
        return None
    if not isinstance(d, datetime) or d.year < 1971:
        return None
    return d if d.tzinfo else d.replace(tzinfo=timezone.utc)


def _prop_name(e: Any) -> str:
    """Outlook's name of a property; a named property (tag 0x8000 and up, numbered per archive) as ``named:0x....``.

    libpff-python does not expose the name-to-id map, so a named property's
    own name (a contact's ``Email1Address``) is not known here; its value is
    read all the same.
    """
    tag = int(e.entry_type)
    if tag >= 0x8000:
        return f"named:0x{tag:04X}"
    return _NAMES.get(tag, f"0x{tag:04X}")


def other_properties(props: dict[int, Any]) -> list[tuple[str, str]]:
    """The item's text properties that the built message does not hold, as (Outlook's name, value)."""
    out: list[tuple[str, str]] = []
    for tag, e in props.items():
        if tag in _BUILT:
            continue
        if e.value_type in _STRING_TYPES:
            value = _text(e)
            if value.strip():
                out.append((_prop_name(e), value))
        elif e.value_type in _MULTI_STRING_TYPES:
            try:
                raw = e.get_data() or b""
            except (OSError, IOError):
                continue
            text = _multi_strings(raw, e.value_type == 0x101F)
            if text.strip():
                out.append((_prop_name(e), text))
    return out


def _multi_strings(raw: bytes, unicode: bool) -> str:
    """A PT_MV_UNICODE / PT_MV_STRING8 value as one text, its strings joined by ``, ``."""
    if len(raw) < 4:
        return ""
    n = int.from_bytes(raw[:4], "little")
    if n <= 0 or n > 10_000 or 4 + 4 * n > len(raw):
        return ""
    offsets = [int.from_bytes(raw[4 + 4 * k : 8 + 4 * k], "little") for k in range(n)] + [len(raw)]
    parts = []
    for a, b in zip(offsets, offsets[1:]):
        if not 0 <= a <= b <= len(raw):
            return ""
        chunk = raw[a:b]
        parts.append(chunk.decode("utf-16-le" if unicode else "cp1252", "replace").rstrip("\x00"))
    return ", ".join(p for p in parts if p)


def build_item(item: Any, position: int, max_message: int, problem: Any) -> PstItem:
    """One item as a message to read and/or a record of its other properties (see the module's docstring)."""
    props = _props(item)
    cls = _text(props.get(_MESSAGE_CLASS)).lower()
    when = _when(props.get(_CLIENT_SUBMIT_TIME)) or _when(props.get(_DELIVERY_TIME))
    contact = cls.startswith(_CONTACT_CLASSES)
    mail_like = not cls or cls.startswith(_MAIL_CLASSES)
    out = tempfile.SpooledTemporaryFile(max_size=SPOOL)
    size = _write_message(out, item, props, 0, problem)
    others = [] if mail_like else other_properties(props)
    if size > max_message:
        out.close()
        problem(f"item of {size} bytes is larger than max_message_bytes; only its header was read")
        out = tempfile.SpooledTemporaryFile(max_size=SPOOL)
        _write_message(out, item, props, 0, problem, header_only=True)
    message: bytes | IO[bytes]
    if out.tell() <= SPOOL:  # small: the bytes (read_message parses those in one go)
        out.seek(0)
        message = out.read()
        out.close()
    else:  # large: the file, parsed as it is read with its large bodies spooled (bounded memory)
        out.seek(0)
        message = out  # type: ignore[assignment]
    return PstItem(position, _identifier(item), message, others, contact, when)


def _identifier(item: Any) -> int:
    try:
        return int(item.get_identifier())
    except (OSError, IOError, TypeError, ValueError):
        return -1


def _header_lines(item: Any, props: dict[int, Any]) -> list[tuple[str, str]]:
    """The item's internet headers, without the MIME ones of its original body (the body is rebuilt)."""
    kept = _text(props.get(_TRANSPORT_HEADERS))
    headers: list[tuple[str, str]] = []
    if kept.strip():
        parsed = HeaderParser().parsestr(kept.replace("\r\n", "\n").strip("\n") + "\n\n", headersonly=True)
        for k, v in parsed.items():
            if k.lower().startswith("content-") or k.lower() == "mime-version":
                continue
            headers.append((k, str(v)))
    have = {k.lower() for k, _ in headers}
    if "from" not in have:
        name = _text(props.get(_SENT_REPRESENTING_NAME)) or _text(props.get(_SENDER_NAME))
        addr = _smtp(_text(props.get(_SENDER_SMTP)) or _text(props.get(_SENT_REPRESENTING_EMAIL)) or _text(props.get(_SENDER_EMAIL)))
        if name or addr:
            headers.append(("From", _address(name, addr)))
    if not {"to", "cc", "bcc"} & have:
        by_type: dict[str, list[str]] = {"To": [], "Cc": [], "Bcc": []}
        for name, addr, kind in _recipients(item):
            by_type[kind].append(_address(name, addr))
        headers.extend((k, ", ".join(v)) for k, v in by_type.items() if v)
    if "subject" not in have:
        subject = _text(props.get(_SUBJECT))
        if subject:
            headers.append(("Subject", subject))
    if "date" not in have:
        when = _when(props.get(_CLIENT_SUBMIT_TIME)) or _when(props.get(_DELIVERY_TIME))
        if when:
            headers.append(("Date", format_datetime(when)))
    if "message-id" not in have:
        mid = _text(props.get(_INTERNET_MESSAGE_ID)).strip()
        if mid:
            headers.append(("Message-ID", mid))
    return headers


def _smtp(addr: str) -> str:
    """An SMTP address, or '' for an Exchange distinguished name (``/o=ExchangeLabs/ou=...``)."""
    return addr if "@" in addr and not addr.startswith("/") else ""


def _address(name: str, addr: str) -> str:
    if addr:
        return formataddr((name, addr))
    return name


def _recipients(item: Any) -> Iterator[tuple[str, str, str]]:
    try:
        table = item.recipients
    except (OSError, IOError):
        return
    if table is None:
        return
    for rs in table.record_sets:
        p = {e.entry_type: e for e in rs.entries}
        name = _text(p.get(_DISPLAY_NAME))
        addr = _smtp(_text(p.get(_SMTP_ADDRESS)) or _text(p.get(_EMAIL_ADDRESS)))
        kind_e = p.get(_RECIPIENT_TYPE)
        try:
            kind = {2: "Cc", 3: "Bcc"}.get(int(kind_e.get_data_as_integer()) & 0x0F, "To") if kind_e is not None else "To"
        except (OSError, IOError, TypeError, ValueError):
            kind = "To"
        if name or addr:
            yield name, addr, kind


def _encoded_header(value: str) -> str:
    """A header value that any parser reads back: RFC 2047 where it is not ASCII, one line."""
    value = " ".join(value.split())
    try:
        value.encode("ascii")
        return value
    except UnicodeEncodeError:
        return Header(value, "utf-8").encode(maxlinelen=10_000)


def _write_message(out: IO[bytes], item: Any, props: dict[int, Any], depth: int, problem: Any, header_only: bool = False) -> int:
    """Write one item as a MIME message to ``out``; the number of bytes written."""
    start = out.tell()
    boundary = f"=_pii-scan-pst-{depth}-{_identifier(item)}"
    lines = [f"{k}: {_encoded_header(v)}" for k, v in _header_lines(item, props)]
    lines += ["MIME-Version: 1.0", f'Content-Type: multipart/mixed; boundary="{boundary}"', "", ""]
    out.write("\r\n".join(lines).encode("ascii", "replace"))
    sep = f"--{boundary}\r\n".encode()
    empty = sep + b"Content-Type: text/plain; charset=utf-8\r\n\r\n\r\n"  # a multipart needs a part to be whole
    if header_only:
        out.write(empty + f"--{boundary}--\r\n".encode())
        return out.tell() - start
    bodies = 0
    for ctype, body in _bodies(item, props, problem):
        out.write(sep)
        out.write(f"Content-Type: {ctype}; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n".encode())
        _base64(out, iter([body]))
        bodies += 1
    if not bodies:
        out.write(empty)
    for n, att in enumerate(_attachments(item, problem), start=1):
        kind, a, ap = att
        out.write(sep)
        if kind == "item":
            if depth + 1 >= MAX_DEPTH:
                problem(f"attachment {n}: Outlook items nested deeper than {MAX_DEPTH}; not read")
                out.write(b"Content-Type: text/plain\r\n\r\n")
                continue
            out.write(b"Content-Type: message/rfc822\r\n\r\n")
            _write_message(out, a, _props(a), depth + 1, problem)
            continue
        name = _text(ap.get(_ATTACH_LONG_FILENAME)) or _text(ap.get(_ATTACH_FILENAME)) or f"attachment-{n}"
        mime = _text(ap.get(_ATTACH_MIME_TAG)) or "application/octet-stream"
        if "/" not in mime or any(c in mime for c in "\r\n;\""):
            mime = "application/octet-stream"
        fname = _encoded_header(name).replace('"', "'")
        out.write(
            f'Content-Type: {mime}; name="{fname}"\r\nContent-Disposition: attachment; filename="{fname}"\r\n'
            "Content-Transfer-Encoding: base64\r\n\r\n".encode("ascii", "replace")
        )
        _base64(out, _pieces(a, problem, n))
    out.write(f"--{boundary}--\r\n".encode())
    return out.tell() - start


def _bodies(item: Any, props: dict[int, Any], problem: Any) -> Iterator[tuple[str, bytes]]:
    """The item's bodies as UTF-8: plain text, HTML (in its code page), and RTF as text when neither is there."""
    plain = html = rtf = None
    try:
        plain = item.get_plain_text_body()
    except (OSError, IOError):
        problem("plain-text body cannot be read")
    try:
        html = item.get_html_body()
    except (OSError, IOError):
        problem("HTML body cannot be read")
    if plain:
        yield "text/plain", _utf8(plain, "utf-8")
    if html:
        yield "text/html", _utf8(html, _codepage(props))
    if not plain and not html:
        try:
            rtf = item.get_rtf_body()
        except (OSError, IOError):
            problem("RTF body cannot be read")
        if rtf:
            from connectors.mail import rtf_text

            text = rtf_text(bytes(rtf))
            if text.strip():
                yield "text/plain", text.encode("utf-8")


def _codepage(props: dict[int, Any]) -> str:
    e = props.get(_INTERNET_CPID)
    try:
        cp = int(e.get_data_as_integer()) if e is not None else 0
    except (OSError, IOError, TypeError, ValueError):
        cp = 0
    return {65001: "utf-8", 1200: "utf-16-le", 28591: "latin-1", 20127: "ascii"}.get(cp, f"cp{cp}" if cp else "utf-8")


def _utf8(data: bytes, charset: str) -> bytes:
    data = bytes(data).rstrip(b"\x00")
    try:
        return data.decode(charset).encode("utf-8")
    except (LookupError, UnicodeDecodeError):
        try:
            return data.decode("utf-8").encode("utf-8")
        except UnicodeDecodeError:
            return data.decode("cp1252", "replace").encode("utf-8")


def _attachments(item: Any, problem: Any) -> Iterator[tuple[str, Any, dict[int, Any]]]:
    try:
        n = item.get_number_of_attachments()
    except (OSError, IOError):
        problem("attachments cannot be listed")
        return
    for i in range(n):
        try:
            a = item.get_attachment(i)
            ap = _props(a)
            method_e = ap.get(_ATTACH_METHOD)
            method = int(method_e.get_data_as_integer()) if method_e is not None else 1
            if method == 5 and a.get_number_of_sub_items():  # an attached Outlook item
                yield "item", a.get_sub_item(0), ap
            elif method in (1, 6):  # by value, or an OLE object's storage
                yield "data", a, ap
            else:  # by reference: a path or URL outside the archive, nothing to read here
                continue
        except (OSError, IOError, TypeError, ValueError) as exc:
            problem(f"attachment {i + 1}: cannot be read ({type(exc).__name__}); skipped")


def _pieces(a: Any, problem: Any, n: int) -> Iterator[bytes]:
    try:
        left = int(a.get_size())
        a.seek_offset(0)
        while left > 0:
            piece = a.read_buffer(min(PIECE, left))
            if not piece:
                break
            left -= len(piece)
            yield piece
    except (OSError, IOError, TypeError, ValueError) as exc:
        problem(f"attachment {n}: read failed ({type(exc).__name__}); read as far as it goes")


def _base64(out: IO[bytes], pieces: Iterator[bytes]) -> None:
    """Write ``pieces`` base64-encoded in 76-character lines, holding at most one piece."""
    rest = b""
    for piece in pieces:
        data = rest + piece
        cut = len(data) - len(data) % 57
        for k in range(0, cut, 57 * 1024):
            chunk = base64.b64encode(data[k : min(cut, k + 57 * 1024)])
            out.write(b"\r\n".join(chunk[j : j + 76] for j in range(0, len(chunk), 76)) + b"\r\n")
        rest = data[cut:]
    if rest:
        out.write(base64.b64encode(rest) + b"\r\n")


def records(
    pf: Any, name: str, container: str, folder_id: int, first: int, last: int, loc: Any, limits: Any,
    max_message: int, problems: Any, fallback: datetime | None = None,
) -> Iterator[Any]:
    """Records of items ``first``..``last`` of one folder of an open archive.

    ``container`` is the archive's name relative to its source (``mail/arkiv.pst``);
    each record's container is ``<container>!<folder path>``; ``loc(container)``
    makes a location. Raises :class:`ConnectorError` when the folder is gone
    (the archive changed since it was listed). ``fallback`` dates an item that
    carries no date of its own (the archive's mtime).
    """
    from dataclasses import replace

    from connectors.base import Record
    from connectors.mime import MessageReader

    found = find_folder(pf, name, folder_id)
    if found is None:
        raise ConnectorError(f"{safe_name(name)}: folder {folder_id} is gone: the archive changed since it was listed; scan again")
    folder, path = found
    box = f"{container}!{path}"
    reader = MessageReader(loc(box, ""), limits, problems, safe_name(box) + " ")
    for it in items(folder, first, last, max_message, reader.problem):
        entry = f"pst-entry:{it.identifier}"
        when = it.when or fallback
        ref = when.date() if when else None
        item_id = entry
        if it.message is not None:
            try:
                for rec in reader.records(it.message, f"item {it.position + 1}", fallback_date=when):
                    if rec.location.item.startswith("sha256:"):  # no Message-ID: the archive's own name of the item
                        rec = replace(rec, location=replace(rec.location, item=entry))
                    item_id = rec.location.item
                    yield rec
            finally:
                if not isinstance(it.message, bytes):
                    it.message.close()
        if it.properties:
            yield Record(loc(box, item_id), it.properties, it.contact, ref, (), when)



def file_records(ctx: Any, src: Any) -> Iterator[Any]:
    """Every item of an archive found among files (a file share, an S3 object, a zip entry): ``ctx``/``src`` of
    :mod:`connectors.formats`; the records' container is ``<file>!<folder path>``. A damaged folder is reported
    and the next one read."""
    pf = open_archive(src.seekable_file(), ctx.container)
    try:
        for f in folders(pf, ctx.container):
            try:
                yield from records(pf, ctx.container, ctx.container, f.identifier, 0, f.items - 1, ctx.loc_factory,
                                   ctx.limits, ctx.max_message_bytes, ctx.problems, ctx.record_date)
            except ConnectorError as exc:
                ctx.problem(str(exc))
    finally:
        pf.close()
