"""Red team 4: mail files as Apple Mail keeps them (.emlx), read by the mail and the files connector."""

from __future__ import annotations

import base64
from pathlib import Path

from connectors.base import Record
from connectors.formats.mailfile import mail_kind
from tests.connectors.test_mail import conn as mail_conn
from tests.connectors.test_mail import read_all as mail_read_all

PNR = "811228-9874"  # fictional, valid check digit

MESSAGE = (
    b"Return-Path: <asa@example.se>\nFrom: =?utf-8?Q?=C3=85sa_=C3=96berg?= <asa@example.se>\nTo: support@example.se\n"
    b"Subject: Ans\xc3\xb6kan\nMessage-ID: <emlx.1@example.se>\nDate: Wed, 01 May 2024 10:30:00 +0200\nMIME-Version: 1.0\n"
    b"Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: base64\n\n"
    + base64.encodebytes(f"Mitt personnummer: {PNR}\n".encode())
)
PLIST = (
    b'<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" '
    b'"http://www.apple.com/DTDs/PropertyList-1.0.dtd">\n<plist version="1.0">\n<dict>\n\t<key>date-received</key>\n'
    b"\t<integer>1714552200</integer>\n\t<key>flags</key>\n\t<integer>8590195713</integer>\n</dict>\n</plist>\n"
)


def emlx(message: bytes) -> bytes:
    """Apple Mail's .emlx: the message's length on a line of its own, the message, then an XML property list."""
    return f"{len(message)}      \n".encode() + message + PLIST


def bodies(records: list[Record]) -> dict[tuple[str, str], str]:
    return {(r.location.container, r.location.item): t for r in records for f, t in r.fields if f == "body"}


def test_apple_mail_emlx_files_are_read_as_mail(tmp_path: Path) -> None:
    root = tmp_path / "Mail" / "V10" / "INBOX.mbox" / "Messages"
    root.mkdir(parents=True)
    (root / "4711.emlx").write_bytes(emlx(MESSAGE))
    (root / "4712.partial.emlx").write_bytes(emlx(MESSAGE.replace(b"emlx.1@", b"emlx.2@")))
    records, errors = mail_read_all(mail_conn(tmp_path / "Mail"))
    assert not errors
    base = "V10/INBOX.mbox/Messages/"
    assert bodies(records) == {
        (base + "4711.emlx", "emlx.1@example.se"): f"Mitt personnummer: {PNR}\n",
        (base + "4712.partial.emlx", "emlx.2@example.se"): f"Mitt personnummer: {PNR}\n",
    }
    assert not any("plist" in t or "8590195713" in t for r in records for _, t in r.fields)  # the property list is no text
    # on a share the format readers ask mailfile.mail_kind (connectors.formats.sniffing asks it only for a
    # text starting with a letter, 'From ' or a BOM: an .emlx starts with a digit; reported, not changed here)
    assert mail_kind(emlx(MESSAGE), "4711.emlx") == "eml"
    assert mail_kind(b"4711\nnot a mail\n", "x.emlx") is None and mail_kind(b"12;34\n56;78\n", "t.csv") is None


def test_an_outlook_item_inside_an_outlook_msg_keeps_its_own_headers(tmp_path: Path) -> None:
    """A .msg that holds another (Outlook's 'attach item'): extract-msg inlines the inner message as a plain part, its
    headers at part level, its sender without address and its subject left out; they were lost."""
    import pytest

    amsg = pytest.importorskip("aspose.email_foss.msg")  # an independent .msg writer (MIT), for the tests only
    pytest.importorskip("extract_msg")
    inner = amsg.MapiMessage.create("Inre ärende 550504-8388", f"Inre text, pnr {PNR}\n")
    inner.set_property(amsg.PropertyId.SENDER_NAME, "Inre Person")
    inner.set_property(amsg.PropertyId.SENDER_EMAIL_ADDRESS, "inre.person@example.se")
    inner.add_recipient("inre.mott@example.se", display_name="Inre Mott")
    inner.add_attachment("inre.csv", f"Personnummer\n{PNR}\n".encode(), mime_type="text/csv")
    outer = amsg.MapiMessage.create("Fwd: ärende", "Se bifogat.\n")
    outer.set_property(amsg.PropertyId.SENDER_NAME, "Åsa Öberg")
    outer.set_property(amsg.PropertyId.SENDER_EMAIL_ADDRESS, "asa@example.se")
    outer.set_property(amsg.PropertyId.INTERNET_MESSAGE_ID, "<outer.msg@mail.example.se>")
    outer.add_recipient("to.person@example.se", display_name="To Person")
    outer.add_embedded_message_attachment(inner, filename="Inre ärende.msg")
    outer.save(str(tmp_path / "fwd.msg"))
    records, errors = mail_read_all(mail_conn(tmp_path))
    assert not errors
    got = {f: t for r in records for f, t in r.fields}
    (section,) = {f[len("header[") : f.index("]")] for f in got if f.startswith("header[")}
    assert got[f"header[{section}]:From"] == "Inre Person <inre.person@example.se>", sorted(got)
    assert got[f"header[{section}]:To"] == "Inre Mott <inre.mott@example.se>"
    assert got[f"header[{section}]:Subject"] == "Inre ärende 550504-8388"
    assert got["attachment:Inre ärende.msg"] == "Inre ärende.msg"
    assert got["attachment:inre.csv!line 2:Personnummer"] == PNR
    assert any(f.startswith(f"body[{section}.") and PNR in t for f, t in got.items())
    sender = [r for r in records if r.structured]
    assert [r.fields for r in sender] == [[("header:From", "Åsa Öberg <asa@example.se>")]]  # the inner sender is no party


def test_an_outlook_msg_whose_body_is_only_rtf_is_read(tmp_path: Path) -> None:
    """Outlook's Rich Text mail keeps its body as compressed RTF only (no PR_BODY, no HTML): extract-msg rebuilt an
    empty body and the text was lost."""
    import pytest

    amsg = pytest.importorskip("aspose.email_foss.msg")
    compressed_rtf = pytest.importorskip("compressed_rtf")
    pytest.importorskip("extract_msg")
    m = amsg.MapiMessage.create("RTF-brev", None)
    m.set_property(amsg.PropertyId.SENDER_NAME, "Åsa Öberg")
    m.set_property(amsg.PropertyId.SENDER_EMAIL_ADDRESS, "asa@example.se")
    m.set_property(amsg.PropertyId.INTERNET_MESSAGE_ID, "<rtf.only@mail.example.se>")
    rtf = (
        b"{\\rtf1\\ansi\\ansicpg1252\\deff0{\\fonttbl{\\f0\\fswiss Arial;}}{\\colortbl;\\red0\\green0\\blue0;}"
        b"{\\*\\generator Riched20 10.0.19041}\\viewkind4\\uc1\\pard\\f0\\fs20 Hej!\\par Kund " + PNR.encode()
        + b", ring 070-174 06 05.\\par H\\'e4lsningar \\u197?sa\\par}"
    )
    m.set_property(0x1009, amsg.PropertyTypeCode.PTYP_BINARY, compressed_rtf.compress(rtf))  # PR_RTF_COMPRESSED
    m.save(str(tmp_path / "rtf.msg"))
    records, errors = mail_read_all(mail_conn(tmp_path))
    assert not errors
    got = {f: t for r in records for f, t in r.fields}
    assert got.get("body") == f"Hej!\nKund {PNR}, ring 070-174 06 05.\nHälsningar Åsa\n", got


def test_compressed_maildir_messages_are_read(tmp_path: Path) -> None:
    """Dovecot's zlib plugin stores Maildir messages gzip-, bzip2- or xz-compressed (a 'Z' in the flags)."""
    import bz2
    import gzip
    import lzma

    box = tmp_path / "vmail" / "anna"
    for sub in ("cur", "new", "tmp"):
        (box / sub).mkdir(parents=True)
    for n, pack in enumerate((gzip.compress, bz2.compress, lzma.compress), start=1):
        (box / "cur" / f"17145522{n:02d}.M1P1.mx:2,SZ").write_bytes(pack(MESSAGE.replace(b"emlx.1@", f"z{n}@".encode())))
    (box / "cur" / "1714552299.M1P1.mx:2,SZ").write_bytes(gzip.compress(MESSAGE)[:60])  # cut short
    records, errors = mail_read_all(mail_conn(tmp_path / "vmail"))
    assert {item for (_, item) in bodies(records)} == {"z1@example.se", "z2@example.se", "z3@example.se"}
    assert all(t == f"Mitt personnummer: {PNR}\n" for t in bodies(records).values())
    (error,) = errors.values()  # the cut message: its decompressed start is read, and the damage reported
    assert "cur/1714552299.M1P1.mx:2,SZ: compressed message cut short or damaged (gzip)" in error


def _dbox(messages: list[bytes], cut: int = 0) -> bytes:
    """A Dovecot dbox file laid out as Dovecot 2.3 writes one (checked against its sdbox u.N and mdbox m.N files)."""
    out = b"2 M1e C6b16cb59\n"
    for n, raw in enumerate(messages):
        out += b"\x01\x02N" + b" " * 10 + b"%016x\n" % len(raw) + raw
        out += b"\n\x01\x03\nR%x\nV%x\nG7b58672259cb166bba5f000083ecc3%02x\nBINBOX\n\n" % (1714552200 + n, len(raw), n)
    return out[: len(out) - cut] if cut else out


def test_dovecot_dbox_mailboxes_are_read(tmp_path: Path) -> None:
    """A server copy of /var/vmail in Dovecot's sdbox or mdbox format: the files were passed over in silence."""
    one = MESSAGE.replace(b"emlx.1@", b"d1@")
    two = MESSAGE.replace(b"emlx.1@", b"d2@").replace(b"Date: Wed, 01 May 2024 10:30:00 +0200\n", b"")
    sdbox = tmp_path / "vmail" / "anna" / "mailboxes" / "INBOX" / "dbox-Mails"
    mdbox = tmp_path / "vmail" / "bo" / "storage"
    sdbox.mkdir(parents=True)
    mdbox.mkdir(parents=True)
    (sdbox / "u.1").write_bytes(_dbox([one]))
    (sdbox / "dovecot.index.log").write_bytes(b"\x01\x02\x00\x00" + b"\x00" * 40)  # an index: not mail
    (mdbox / "m.1").write_bytes(_dbox([one.replace(b"d1@", b"d3@"), two]))
    (mdbox / "m.2").write_bytes(_dbox([one.replace(b"d1@", b"d4@"), two.replace(b"d2@", b"d5@")], cut=120))
    records, errors = mail_read_all(mail_conn(tmp_path / "vmail"))
    got = bodies(records)
    assert set(got) == {
        ("anna/mailboxes/INBOX/dbox-Mails/u.1", "d1@example.se"),
        ("bo/storage/m.1", "d3@example.se"),
        ("bo/storage/m.1", "d2@example.se"),
        ("bo/storage/m.2", "d4@example.se"),
        ("bo/storage/m.2", "d5@example.se"),  # cut short: read as far as it goes, and reported
    }, got
    assert all(t == f"Mitt personnummer: {PNR}\n" for (c, i), t in got.items() if i != "d5@example.se")
    dated = {r.location.item: r.record_date for r in records}
    assert dated["d2@example.se"] is not None and dated["d2@example.se"].year == 2024  # no Date header: dbox's received time
    (error,) = errors.values()
    assert "bo/storage/m.2 message at offset" in error and "cut short" in error


def test_a_mail_export_packed_in_an_archive_is_read(tmp_path: Path) -> None:
    """A mailbox handed over as 'export.zip' or 'inbox.mbox.gz' in the mail archive was passed over in silence."""
    import gzip
    import io
    import zipfile

    root = tmp_path / "arkiv"
    root.mkdir()
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("export/1.eml", MESSAGE.replace(b"emlx.1@", b"zip1@"))
        z.writestr("export/kunder.csv", f"Namn;Personnummer\nBo;{PNR}\n")
    (root / "export-2023.zip").write_bytes(buf.getvalue())
    mbox = b"From asa@example.se Wed May  1 08:30:00 2024\n" + MESSAGE.replace(b"emlx.1@", b"gz1@") + b"\n"
    (root / "inbox.mbox.gz").write_bytes(gzip.compress(mbox))
    (root / "dovecot.index.log").write_bytes(b"\x01\x02\x00\x00" + b"\x00" * 40)  # not mail, no archive: ignored
    records, errors = mail_read_all(mail_conn(root))
    assert not errors, errors
    got = {(r.location.container, r.location.item, f): t for r in records for f, t in r.fields}
    assert got[("export-2023.zip!export/1.eml", "zip1@example.se", "body")] == f"Mitt personnummer: {PNR}\n", sorted(got)
    assert got[("inbox.mbox.gz", "gz1@example.se", "body")] == f"Mitt personnummer: {PNR}\n"
    assert any(k[0] == "export-2023.zip!export/kunder.csv" and t == PNR for k, t in got.items())
    assert {r.location.store for r in records} == {"mail"}


def test_an_archive_given_as_the_mail_path_is_read(tmp_path: Path) -> None:
    import gzip

    path = tmp_path / "inbox.mbox.gz"
    path.write_bytes(gzip.compress(b"From asa@example.se Wed May  1 08:30:00 2024\n" + MESSAGE + b"\n"))
    records, errors = mail_read_all(mail_conn(path))
    assert not errors
    assert bodies(records) == {("inbox.mbox.gz", "emlx.1@example.se"): f"Mitt personnummer: {PNR}\n"}
