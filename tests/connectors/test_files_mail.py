"""Red-team: mail, calendar and vCard files, HTML tables and damaged PDFs on a file share (``type = "files"``).

Before the fix, .eml/.mbox/.msg files (and .eml inside a zip) were read as
plain text: base64/quoted-printable bodies, RFC 2047 headers and attachments
stayed encoded and their identifiers were missed. All data is fictional.
"""

from __future__ import annotations

import base64
import logging
from pathlib import Path

import pytest

from connectors.base import ConnectorError, Record
from tests.connectors.fileutil import EMAIL, PHONE, PNR, PNR2, zip_bytes
from tests.connectors.mailutil import as_bytes, mbox_bytes, message
from tests.connectors.test_files import conn, read_all

BASE64_MAIL = (
    b"Return-Path: <asa@example.se>\nReceived: from mx.example.se\n"
    b"From: =?utf-8?Q?=C3=85sa_=C3=96berg?= <asa@example.se>\nTo: support@example.se\n"
    b"Subject: =?utf-8?B?" + base64.b64encode(f"Ärende {PNR2}".encode()) + b"?=\n"
    b"Message-ID: <share.1@example.se>\nDate: Wed, 01 May 2024 10:30:00 +0200\nMIME-Version: 1.0\n"
    b"Content-Type: multipart/mixed; boundary=\"B\"\n\n"
    b"--B\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: base64\n\n"
    + base64.encodebytes(f"Mitt personnummer: {PNR}\n".encode())
    + b"--B\nContent-Type: text/csv; name=\"kunder.csv\"\nContent-Disposition: attachment; filename=\"kunder.csv\"\n"
    b"Content-Transfer-Encoding: base64\n\n"
    + base64.encodebytes(f"namn;epost\nBo;{EMAIL}\n".encode())
    + b"--B--\n"
)
QP_MAIL = (
    b"From: a@example.se\nMessage-ID: <qp.2@example.se>\nContent-Type: text/plain\n"
    b"Content-Transfer-Encoding: quoted-printable\n\n" + f"Ring {PHONE[:6]}=\n{PHONE[6:]}\n".encode()
)


def got(records: list[Record]) -> dict[tuple[str, str, str], str]:
    return {(r.location.container, r.location.item, f): t for r in records for f, t in r.fields}


def write(root: Path, files: dict[str, bytes]) -> Path:
    for rel, data in files.items():
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(data)
    return root


def test_eml_files_are_read_as_mail(tmp_path: Path) -> None:
    root = write(tmp_path / "share", {
        "inkorg/ansokan.eml": BASE64_MAIL,
        "inkorg/brev.eml": QP_MAIL,
        "inkorg/sparat.txt": BASE64_MAIL,  # content, not the name, says it is mail
        "anteckning.txt": f"From: a@example.se\nDate: idag\n\nPersonnummer {PNR}\n".encode(),  # a note, not mail
    })
    records, errors = read_all(conn(root))
    assert not errors
    g = got(records)
    for path in ("inkorg/ansokan.eml", "inkorg/sparat.txt"):
        assert g[(path, "share.1@example.se", "header:From")] == "Åsa Öberg <asa@example.se>"
        assert g[(path, "share.1@example.se", "header:Subject")] == f"Ärende {PNR2}"
        assert g[(path, "share.1@example.se", "body")] == f"Mitt personnummer: {PNR}\n"
        assert g[(path, "share.1@example.se", "attachment:kunder.csv!line 2:epost")] == EMAIL
        assert g[(path, "", "path")] == path
    assert g[("inkorg/brev.eml", "qp.2@example.se", "body")] == f"Ring {PHONE}\n"
    assert g[("anteckning.txt", "4", "text")] == f"Personnummer {PNR}"
    sender = [r for r in records if r.location.container == "inkorg/ansokan.eml" and r.fields[0][0] == "header:From"]
    assert sender[0].structured and sender[0].record_date is not None and sender[0].record_date.year == 2024
    hints = conn(root).field_hints(None)  # type: ignore[arg-type]
    assert hints.get("header:Subject", "header:Subject") == "Subject"
    assert hints.get("personnummer", "personnummer") == "personnummer"


def test_an_eml_inside_a_zip_is_read_as_mail(tmp_path: Path) -> None:
    root = write(tmp_path / "share", {"export/post.zip": zip_bytes({"2024/ansokan.eml": BASE64_MAIL})})
    records, errors = read_all(conn(root))
    assert not errors
    g = got(records)
    assert g[("export/post.zip!2024/ansokan.eml", "share.1@example.se", "body")] == f"Mitt personnummer: {PNR}\n"
    assert g[("export/post.zip!2024/ansokan.eml", "share.1@example.se", "header:Subject")] == f"Ärende {PNR2}"


@pytest.mark.parametrize("split", [1 << 20, 700, 256])
def test_an_mbox_is_read_message_by_message_and_split_only_between_messages(tmp_path: Path, split: int) -> None:
    msgs = [as_bytes(message(i, body=f"Meddelande {i}\nFrom the desk: {PNR}\n", subject=f"Nr {i}")) for i in range(1, 6)]
    msgs.append(BASE64_MAIL)
    data = mbox_bytes(msgs)
    root = write(tmp_path / "share", {"arkiv/inkorg": data})
    c = conn(root, split_bytes=split)
    units = list(c.units())
    if split > len(data):
        assert [u.key for u in units] == ["arkiv/inkorg"]
    else:  # byte ranges that each start at a message's From_ line
        assert len(units) > 1 and units[0].param("start") == 0 and units[-1].param("end") == len(data)
        assert all(data[u.param("start") : u.param("start") + 5] == b"From " for u in units)
    records, errors = read_all(c)
    assert not errors
    assert sorted(r.location.item for r in records if r.fields[0][0] == "header:From") == sorted(
        [f"{i}.{20240501 + i}@mail.example.se" for i in range(1, 6)] + ["share.1@example.se"]
    )  # every message once
    assert [t for r in records for f, t in r.fields if f == "path"] == ["arkiv/inkorg"]
    g = got(records)
    for i in range(1, 6):
        item = f"{i}.{20240501 + i}@mail.example.se"
        assert g[("arkiv/inkorg", item, "body")] == f"Meddelande {i}\nFrom the desk: {PNR}\n"
        assert g[("arkiv/inkorg", item, "header:Subject")] == f"Nr {i}"
        assert g[("arkiv/inkorg", item, "envelope:From")] == "asa.oberg@example.se"
    assert g[("arkiv/inkorg", "share.1@example.se", "body")] == f"Mitt personnummer: {PNR}\n"


def test_a_note_starting_with_from_is_text_not_an_mbox(tmp_path: Path) -> None:
    root = write(tmp_path / "share", {"brev.txt": f"From the desk of Anna\nPersonnummer {PNR}\n".encode()})
    records, errors = read_all(conn(root))
    assert not errors and got(records)[("brev.txt", "2", "text")] == f"Personnummer {PNR}"


def test_a_damaged_mail_in_an_mbox_is_reported_and_the_rest_read(tmp_path: Path) -> None:
    msgs = [as_bytes(message(1)), b"From: x@example.se\nContent-Type: multipart/mixed; boundary=\"Q\"\n\n--Q\nTrunc"]
    root = write(tmp_path / "share", {"a.mbox": mbox_bytes(msgs)[:-1]})  # ends mid-line
    c = conn(root)
    records: list[Record] = []
    with pytest.raises(ConnectorError) as err:
        for u in c.units():
            records.extend(c.read(u))
    assert "a.mbox" in str(err.value) and "3234" not in str(err.value)
    assert ("a.mbox", "1.20240502@mail.example.se", "body") in got(records)


def test_outlook_msg_files_on_a_share_are_read_as_mail(tmp_path: Path) -> None:
    from tests.connectors.test_mail import outlook_msg  # an independent .msg writer; skips when it is missing

    share = tmp_path / "share"
    share.mkdir()
    outlook_msg(share / "brev.msg")
    records, errors = read_all(conn(share))
    assert not errors
    g = got(records)
    item = "outlook.1@mail.example.se"
    assert g[("brev.msg", item, "header:Subject")] == "Lönespecifikation"
    assert f"Personnummer {PNR}" in g[("brev.msg", item, "body")]
    assert g[("brev.msg", item, "attachment:kunder.csv!line 2:Personnummer")] == PNR


# --- iCalendar and vCard: folded lines are unfolded (RFC 5545 3.1, RFC 6350 3.2) ----------------------

VCARD = (
    "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Anna Andersson\r\nEMAIL;TYPE=work:anna.andersson@exa\r\n mple.se\r\n"
    f"NOTE:Personnummer {PNR[:9]}\r\n\t{PNR[9:]}\r\nEND:VCARD\r\n"
).encode()
ICAL = (
    "BEGIN:VCALENDAR\nVERSION:2.0\nBEGIN:VEVENT\nSUMMARY:Möte\n"
    f"ATTENDEE;CN=Anna Andersson:mailto:{EMAIL[:10]}\n {EMAIL[10:]}\nEND:VEVENT\nEND:VCALENDAR\n"
).encode()


def test_folded_lines_of_vcard_and_icalendar_files_are_unfolded(tmp_path: Path) -> None:
    root = write(tmp_path / "share", {"kontakter.vcf": VCARD, "kalender/mote.ics": ICAL, "export.dat": VCARD * 40})
    c = conn(root, split_bytes=512)  # export.dat is larger: a vCard by content, not split where a range could cut a fold
    assert sorted(u.key for u in c.units()) == ["export.dat", "kalender/mote.ics", "kontakter.vcf"]
    records, errors = read_all(c)
    assert not errors
    g = got(records)
    assert g[("kontakter.vcf", "4", "text")] == f"EMAIL;TYPE=work:{EMAIL}"
    assert g[("kontakter.vcf", "6", "text")] == f"NOTE:Personnummer {PNR}"
    assert g[("kalender/mote.ics", "5", "text")] == f"ATTENDEE;CN=Anna Andersson:mailto:{EMAIL}"
    assert g[("export.dat", "6", "text")] == f"NOTE:Personnummer {PNR}"
    assert g[("export.dat", "12", "text")] == f"EMAIL;TYPE=work:{EMAIL}"


# --- HTML files: the cells of one table row stay on one line, separated by tabs ------------------------


def test_table_cells_of_one_html_row_stay_on_one_line(tmp_path: Path) -> None:
    html = (
        "<html><body><h1>Kund</h1>\n<table>\n<tr><td>Personnr:</td><td>6408233234</td></tr>\n"
        f"<tr><th>Telefon</th><td> 0701740605 </td></tr>\n<tr><td>E-post</td><td><a href='mailto:{EMAIL}'>mejl</a></td></tr>\n"
        "</table></body></html>\n"
    ).encode()
    root = write(tmp_path / "share", {"kund.html": html})
    records, errors = read_all(conn(root))
    assert not errors
    texts = [t for r in records for f, t in r.fields if f == "text"]
    assert texts == ["Kund", "Personnr:\t6408233234", "Telefon\t0701740605", f"E-post\tmailto:{EMAIL} mejl"]


# --- PDF: pypdf's warnings quote the document's bytes; they must not reach the logs --------------------


def test_a_damaged_pdf_leaves_no_digits_of_its_personnummer_in_the_logs(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    from tests.connectors.fileutil import pdf_bytes

    digits = PNR.replace("-", "")  # 196408233234
    damaged = pdf_bytes([f"Avtal {PNR}"]).replace(
        b"/BaseFont /Helvetica", f"/BaseFont /Helvetica /Foo {PNR} /Bar {digits} (x)".encode(), 1
    )  # a broken font dictionary, and the startxref no longer points at the xref table
    root = write(tmp_path / "share", {"avtal.pdf": damaged})
    caplog.set_level(logging.DEBUG)  # a process whose root logger is at DEBUG
    records, errors = read_all(conn(root))
    assert any(PNR in t for r in records for _, t in r.fields)  # the text is still read
    logged = caplog.text + " ".join(errors.values())
    assert "3234" not in logged and "640823" not in logged, logged


def test_a_damaged_outlook_msg_is_reported_and_its_strings_read(tmp_path: Path) -> None:
    pytest.importorskip("extract_msg")
    data = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600 + f"Kontakt {EMAIL} ".encode("utf-16-le") + b"\x00" * 64
    root = write(tmp_path / "share", {"trasig.msg": data})
    records, errors = read_all(conn(root))
    assert "trasig.msg" in errors["trasig.msg"] and "Outlook" in errors["trasig.msg"] and "example" not in errors["trasig.msg"]
    assert any(EMAIL in t for r in records for _, t in r.fields)
