"""Red-team cases for the mail readers (mbox, Maildir, .eml, IMAP share connectors.mime): each failed before its fix."""

from __future__ import annotations

import base64
from contextlib import suppress
from pathlib import Path

from connectors.base import Limits, Location, Record
from connectors.formats.core import PartialRead, Problems
from connectors.mail import MailConnector
from connectors.mime import MessageReader
from tests.connectors.fileutil import PHONE, PNR

HEAD = b"From: Avs <avs@example.se>\nTo: bo@example.se\nSubject: Hej\nDate: Wed, 01 May 2024 10:30:00 +0200\n"


def read_one(raw: bytes) -> tuple[list[Record], Problems]:
    problems = Problems()
    reader = MessageReader(Location("mail", "t", "box"), Limits(), problems)
    return list(reader.records(raw, "message 1")), problems


def fields(records: list[Record]) -> dict[str, str]:
    return {f: t for r in records for f, t in r.fields}


# --- format=flowed (RFC 3676): a client wraps long lines at spaces, the reader joins them again ---------------


def test_format_flowed_lines_are_joined_so_a_wrapped_phone_number_reads_whole() -> None:
    first, rest = PHONE.split(" ", 1)  # '070-174', '06 05'
    raw = HEAD + b"Message-ID: <flowed@example.se>\nContent-Type: text/plain; charset=utf-8; format=flowed\n\n" + (
        f"Hej! En lång rad som klienten bröt, ring mig på {first} \n{rest} eller skriv.\n"
        "> citerad rad som \n> fortsätter\n"
        "-- \nSignatur\n"
    ).encode()
    records, problems = read_one(raw)
    body = fields(records)["body"]
    assert f"ring mig på {PHONE} eller skriv." in body
    assert "> citerad rad som fortsätter" in body
    assert "-- \nSignatur" in body  # the signature separator is no flowed line
    assert not problems


def test_format_flowed_delsp_joins_without_the_space() -> None:
    raw = HEAD + b"Message-ID: <delsp@example.se>\nContent-Type: text/plain; format=flowed; delsp=yes\n\n" + (
        f"Pnr {PNR[:8]} \n{PNR[8:]} tack\n From here\n"  # ' From' is space-stuffed
    ).encode()
    records, _ = read_one(raw)
    assert fields(records)["body"] == f"Pnr {PNR} tack\nFrom here\n"


def test_fixed_text_is_left_alone() -> None:
    raw = HEAD + b"Message-ID: <fixed@example.se>\nContent-Type: text/plain\n\n" + b"rad ett \nrad tva\n"
    records, _ = read_one(raw)
    assert fields(records)["body"] == "rad ett \nrad tva\n"


# --- a forwarded message sent base64-encoded (Outlook, some gateways) -----------------------------------------


def test_base64_encoded_message_rfc822_part_is_decoded_and_read() -> None:
    inner = f"From: Inre <inre@example.se>\nSubject: inre\nMessage-ID: <inre@example.se>\n\nInre {PNR}\n".encode()
    raw = HEAD + (
        b"Message-ID: <fwd64@example.se>\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=\"YY\"\n\n"
        b"--YY\nContent-Type: text/plain\n\nFwd\n"
        b"--YY\nContent-Type: message/rfc822\nContent-Transfer-Encoding: base64\n\n"
    ) + base64.encodebytes(inner) + b"--YY--\n"
    records, problems = read_one(raw)
    f = fields(records)
    assert f["header[2]:From"] == "Inre <inre@example.se>"
    assert f["body[2.1]"] == f"Inre {PNR}\n"
    assert not problems


def test_quoted_printable_message_rfc822_part_is_decoded_and_read() -> None:
    raw = HEAD + (
        b"Message-ID: <fwdqp@example.se>\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=\"YY\"\n\n"
        b"--YY\nContent-Type: text/plain\n\nFwd\n"
        b"--YY\nContent-Type: message/rfc822\nContent-Transfer-Encoding: quoted-printable\n\n"
        b"From: =3D?utf-8?Q?G=3DC3=3DB6ran?=3D <goran@example.se>\nSubject: inre\n\nPersonnummer 19640823-=\n3234\n"
        b"--YY--\n"
    )
    records, _ = read_one(raw)
    f = fields(records)
    assert f["header[2]:From"] == "Göran <goran@example.se>"
    assert f["body[2.1]"] == f"Personnummer {PNR}"


# --- a wrong charset label loses nothing: it is no damage that makes a unit fail ----------------------------


def test_mislabelled_charset_is_read_and_not_reported(tmp_path: Path) -> None:
    raw = HEAD + b"Message-ID: <ascii@example.se>\nContent-Type: text/plain; charset=us-ascii\n\n" + f"F\xf6delse {PNR} \xc5sa\n".encode("latin-1")
    (tmp_path / "a.eml").write_bytes(raw)
    (tmp_path / "b.eml").write_bytes(
        HEAD + b"Message-ID: <utf8@example.se>\nContent-Type: text/plain; charset=utf-8\n\n" + "Öberg\n".encode("latin-1")
    )
    c = MailConnector("arkiv", {"type": "mail", "path": str(tmp_path)})
    out: list[Record] = []
    for unit in c.units():
        out.extend(c.read(unit))  # no PartialRead: the unit is complete
    f = {(r.location.item, k): t for r in out for k, t in r.fields}
    assert f[("ascii@example.se", "body")] == f"Födelse {PNR} Åsa\n"
    assert f[("utf8@example.se", "body")] == "Öberg\n"


def test_undeclared_utf16_body_is_decoded_by_its_bom_and_nul_bytes_are_still_reported() -> None:
    raw = HEAD + b"Message-ID: <u16@example.se>\nContent-Type: text/plain\nContent-Transfer-Encoding: base64\n\n" + base64.encodebytes(
        f"Pnr {PNR}\n".encode("utf-16")
    )
    records, problems = read_one(raw)
    assert fields(records)["body"] == f"Pnr {PNR}\n"
    assert not problems
    raw = HEAD + b"Message-ID: <bin@example.se>\nContent-Type: text/plain; charset=utf-8\n\n" + b"a\x00b\x00\xff\xfe\x00\n"
    _, problems = read_one(raw)
    assert problems.count == 1 and "charset" in problems.messages[0]



# --- an application's own X- headers (a CRM notification, a web form) hold data about people ----------------


def test_custom_x_headers_are_read_machine_ones_are_not() -> None:
    raw = HEAD + (
        f"Message-ID: <xh@example.se>\nX-Kund-Personnummer: {PNR}\nX-Customer-Email: =?utf-8?Q?=C3=85sa?= <asa@example.se>\n"
        "X-MS-Exchange-Organization-SCL: 1\nX-Spam-Score: 0.3\nX-Mailer: Thunderbird 115\nX-Google-DKIM-Signature: v=1; b=abc\n"
        "Received: from mx (192.0.2.1) for <bo@example.se>; Wed, 01 May 2024 10:30:00 +0200\n"
        "Content-Type: multipart/mixed; boundary=\"ZZ\"\n\n"
        f"--ZZ\nContent-Type: text/plain\n\nHej\n--ZZ\nContent-Type: message/rfc822\n\nFrom: a@example.se\nX-Kundnummer: {PHONE}\n\ninre\n--ZZ--\n"
    ).encode()
    records, _ = read_one(raw)
    f = fields(records)
    assert f["header:X-Kund-Personnummer"] == PNR
    assert f["header:X-Customer-Email"] == "Åsa <asa@example.se>"
    assert f["header[2]:X-Kundnummer"] == PHONE
    assert not [k for k in f if "X-MS" in k or "Spam" in k or "Mailer" in k or "DKIM" in k]
    assert f["header:Received"] == "bo@example.se"  # of a Received trace only its recipient (red team 4), not the IP
    assert not any(r.structured and any("X-" in k for k, _ in r.fields) for r in records)  # never linked to the sender


# --- an Outlook item attached to a mail (Exchange's "forward as attachment") ------------------------------------


def test_an_attached_outlook_msg_is_read_as_a_forwarded_message(tmp_path: Path) -> None:
    from tests.connectors.test_mail import outlook_msg  # an independent .msg writer; skips when it is missing
    from tests.connectors.mailutil import as_bytes, message

    msg = outlook_msg(tmp_path / "fwd.msg").read_bytes()
    outer = message(1, body="Se bifogat\n", attachments={"Lönespecifikation.msg": msg})
    records, problems = read_one(as_bytes(outer))
    f = fields(records)
    assert f["attachment:Lönespecifikation.msg"] == "Lönespecifikation.msg"
    assert f["header[2]:From"] == "Åsa Öberg <asa.oberg@example.se>"
    assert any(k.startswith("body[2.") and f"Personnummer {PNR}" in t for k, t in f.items())
    assert f["attachment:kunder.csv!line 2:Personnummer"] == PNR  # the attachment of the attached item
    assert not problems, problems.messages


# --- calendar invites and vCards fold long lines (RFC 5545 3.1, RFC 6350 3.2) -----------------------------------


def test_folded_calendar_and_vcard_lines_are_joined_in_bodies_and_attachments() -> None:
    ics = (
        "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nATTENDEE;CN=\"Åsa Öberg\";ROLE=REQ-PARTICIPANT;RSVP=TRUE:mailto:asa.oberg@exem\r\n"
        f" pel.se\r\nDESCRIPTION:Ring {PHONE[:9]}\r\n\t{PHONE[9:]}\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    ).encode()
    vcf = f"BEGIN:VCARD\nVERSION:3.0\nFN:Åsa Öberg\nNOTE:personnummer {PNR[:6]}\n {PNR[6:]}\nEND:VCARD\n".encode()
    raw = HEAD + (
        b"Message-ID: <cal@example.se>\nContent-Type: multipart/mixed; boundary=C\n\n"
        b"--C\nContent-Type: text/plain\n\nMote\n"
        b"--C\nContent-Type: text/calendar; method=REQUEST; charset=utf-8\n\n" + ics
        + b"--C\nContent-Type: application/octet-stream; name=invite.ics\nContent-Disposition: attachment; filename=invite.ics\n\n" + ics
        + b"--C\nContent-Type: text/x-vcard; name=asa.vcf\nContent-Disposition: attachment; filename=asa.vcf\n\n" + vcf
        + b"--C--\n"
    )
    records, _ = read_one(raw)
    f = fields(records)
    assert "mailto:asa.oberg@exempel.se" in f["body[2]"] and f"Ring {PHONE}" in f["body[2]"]
    attached = " ".join(t for k, t in f.items() if k.startswith("attachment:invite.ics!"))
    assert "mailto:asa.oberg@exempel.se" in attached and f"Ring {PHONE}" in attached
    assert f"NOTE:personnummer {PNR}" in [t for k, t in f.items() if k.startswith("attachment:asa.vcf!")]


# --- an .eml file that does not start with a clean header is read, not passed over in silence -------------------


def test_eml_files_with_a_bom_or_a_damaged_first_line_are_read(tmp_path: Path) -> None:
    (tmp_path / "bom.eml").write_bytes(b"\xef\xbb\xbf" + HEAD + f"Message-ID: <bom@example.se>\n\nPnr {PNR}\n".encode())
    (tmp_path / "trasig.eml").write_bytes(b"\x00garbage line\n" + HEAD + f"Message-ID: <trasig@example.se>\n\nTel {PHONE}\n".encode())
    (tmp_path / "notes.eml").write_bytes(b"Just some notes, no mail\n")  # names no mail header: not mail
    c = MailConnector("arkiv", {"type": "mail", "path": str(tmp_path)})
    out: list[Record] = []
    for unit in c.units():
        with suppress(PartialRead):  # damage is reported at the end of the unit, after its records
            out.extend(c.read(unit))
    got = {(r.location.container, r.location.item, k): t for r in out for k, t in r.fields}
    assert got[("bom.eml", "bom@example.se", "header:From")] == "Avs <avs@example.se>"
    assert got[("bom.eml", "bom@example.se", "body")] == f"Pnr {PNR}\n"
    assert any(c == "trasig.eml" and PHONE in t for (c, _, _), t in got.items())
    assert not any(c == "notes.eml" for c, _, _ in got)


# --- a damaged message must not end the unit (found by mutating the probes above) -------------------------------


def test_a_nul_in_a_charset_parameter_does_not_escape_the_reader() -> None:
    raw = HEAD + b"Message-ID: <nul@example.se>\nContent-Type: text/plain; charset=\"utf\x00-8\"\n\n" + f"\xe5 {PNR}\n".encode("latin-1")
    records, problems = read_one(raw)  # raised ValueError: embedded null character
    assert f"å {PNR}\n" in fields(records).values() or problems.count == 1


def test_any_failure_inside_one_message_is_a_problem_and_the_next_message_is_read(monkeypatch) -> None:  # noqa: ANN001
    import connectors.mime as mime

    def broken(*_a, **_k):  # noqa: ANN002, ANN003, ANN202
        raise RuntimeError("a parser bug")

    monkeypatch.setattr(mime._Walk, "body", broken)
    problems = Problems()
    reader = MessageReader(Location("mail", "t", "box"), Limits(), problems)
    first = list(reader.records(HEAD + b"Message-ID: <a@example.se>\n\nHej\n", "message 1"))
    assert [f for r in first for f, _ in r.fields] == ["header:From", "header:To", "header:Subject"]
    assert problems.count == 1 and "RuntimeError" in problems.messages[0] and "message 1" in problems.messages[0]


# --- HTML forms and order confirmations: a label and its value are two cells of one table row ---------------


def test_table_cells_of_one_row_stay_on_one_line_separated_by_tabs() -> None:
    html = (
        "<table><tr><th>Namn:</th><td>Åsa Öberg</td></tr>"
        f"<tr><td>Personnr:</td><td><b>{PNR.replace('-', '')[2:]}</b></td></tr>"
        "<tr><td>Antal</td><td>070</td><td>17</td></tr></table>"
    )
    raw = HEAD + b"Message-ID: <form@example.se>\nContent-Type: text/html; charset=utf-8\n\n" + html.encode()
    records, _ = read_one(raw)
    assert fields(records)["body"] == f"Namn:\tÅsa Öberg\nPersonnr:\t{PNR.replace('-', '')[2:]}\nAntal\t070\t17"


# --- pre-MIME attachments: a uuencoded file inside a plain text body ---------------------------------------------


def test_uuencoded_files_in_a_text_body_are_read_as_attachments() -> None:
    import binascii

    csv = f"Personnummer;Namn\n{PNR};Åsa\n".encode()
    enc = "".join(binascii.b2a_uu(csv[i : i + 45]).decode() for i in range(0, len(csv), 45))
    for end in ("`\nend\n", "end\n"):  # with and without the closing empty line
        raw = HEAD + b"Message-ID: <uu@example.se>\n\n" + f"Hej, listan:\n\nbegin 644 kunder.csv\n{enc}{end}\nMvh\n".encode()
        records, problems = read_one(raw)
        f = fields(records)
        assert f["body"] == "Hej, listan:\n\n\nMvh\n"
        assert f["attachment:kunder.csv!line 2:Personnummer"] == PNR
        assert not problems
