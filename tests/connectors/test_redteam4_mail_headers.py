"""Red team 4: the headers where a mail names the people it went to (a Bcc recipient, a list member, a forwarder)."""

from __future__ import annotations

from connectors.base import Limits, Location, Record
from connectors.formats.core import Problems
from connectors.mime import MessageReader
from detectors import find_all

HEAD = b"From: Nyhetsbrev <info@example.com>\nTo: Kunder:;\nSubject: Hej\nDate: Wed, 01 May 2024 10:30:00 +0200\nMessage-ID: <h@mail.example.se>\n"


def read_one(raw: bytes) -> list[Record]:
    reader = MessageReader(Location("mail", "t", "box"), Limits(), Problems())
    return list(reader.records(raw, "message 1"))


def emails_by_field(records: list[Record]) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for r in records:
        for f, t in r.fields:
            for hit in find_all(t):
                if hit.kind == "email":
                    out.setdefault(f, set()).add(t[hit.start : hit.end].lower())
    return out


def test_the_recipient_named_only_by_the_servers_is_found() -> None:
    """A Bcc copy or a list mail names its real recipient only in the delivering servers' headers."""
    raw = HEAD + (
        b"Received: from mx.example.com (mx.example.com [192.0.2.1])\n\tby mail.example.se (Postfix) with ESMTPS id 4VqXyZ\n"
        b"\tfor <karin.bcc@example.se>; Wed, 01 May 2024 10:30:00 +0200\n"
        b"Received: from app.example.com by mx.example.com with esmtp (Exim 4.96)\n\t(envelope-from <studs@example.com>)\n"
        b"\tid 1r2s3t-000AbC-Ab for per.lista@example.se; Wed, 01 May 2024 10:29:59 +0200\n"
        b"X-Envelope-From: <bounce.anna@example.se>\nX-Rcpt-To: <olle.rcpt@example.se>\nX-Delivered-To: lisa.dt@example.se\n"
        b"X-Authenticated-Sender: stina.auth@example.se\nX-MS-Exchange-Inbox-Rules-Loop: nils.regel@example.se\n"
        b"X-MS-Exchange-Organization-SCL: 1\nX-Spam-Status: No, score=-1.0\n\nHej!\n"
    )
    got = emails_by_field(read_one(raw))
    assert got.get("header:Received") == {"karin.bcc@example.se", "per.lista@example.se", "studs@example.com"}, got
    assert got.get("header:X-Envelope-From") == {"bounce.anna@example.se"}
    assert got.get("header:X-Rcpt-To") == {"olle.rcpt@example.se"}
    assert got.get("header:X-Delivered-To") == {"lisa.dt@example.se"}
    assert got.get("header:X-Authenticated-Sender") == {"stina.auth@example.se"}
    assert got.get("header:X-MS-Exchange-Inbox-Rules-Loop") == {"nils.regel@example.se"}
    fields = {f for r in read_one(raw) for f, _ in r.fields}
    assert not any("SCL" in f or "Spam" in f for f in fields)  # the servers' other headers stay unread
    received = next(t for r in read_one(raw) for f, t in r.fields if f == "header:Received")
    assert "192.0.2.1" not in received and "Postfix" not in received  # only the addresses, not the trace


def test_list_headers_are_read_and_their_urls_decoded() -> None:
    raw = HEAD + (
        b"List-Post: <mailto:medlemmar@lists.example.se>\n"
        b"List-Unsubscribe: <mailto:unsub@lists.example.com?subject=stop>,\n <https://lists.example.com/u?email=eva.lund%40example.se&list=7>\n"
        b"\nHej!\n"
    )
    got = emails_by_field(read_one(raw))
    assert got.get("header:List-Post") == {"medlemmar@lists.example.se"}
    assert got.get("header:List-Unsubscribe") == {"unsub@lists.example.com", "eva.lund@example.se"}, got


def test_a_bounce_and_a_read_receipt_name_their_recipient() -> None:
    """RFC 3464/8098 reports: the failed or reading recipient stands in the machine-readable part only."""
    dsn = HEAD + (
        b'MIME-Version: 1.0\nContent-Type: multipart/report; report-type=delivery-status; boundary="RR"\n\n'
        b"--RR\nContent-Type: text/plain\n\nYour message could not be delivered.\n"
        b"--RR\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; mx.example.se\n\n"
        b"Final-Recipient: rfc822; anna.dsn@example.se\nOriginal-Recipient: rfc822;anna.orig@example.se\nAction: failed\nStatus: 5.1.1\n"
        b"--RR--\n"
    )
    got = emails_by_field(read_one(dsn))
    assert got.get("body[2]") == {"anna.dsn@example.se", "anna.orig@example.se"}, got
    mdn = HEAD + (
        b'MIME-Version: 1.0\nContent-Type: multipart/report; report-type=disposition-notification; boundary="RR"\n\n'
        b"--RR\nContent-Type: text/plain\n\nRead.\n--RR\nContent-Type: message/disposition-notification\n\n"
        b"Reporting-UA: mail.example.se\nFinal-Recipient: rfc822; olle.mdn@example.se\nDisposition: manual-action/MDN-sent-manually; displayed\n"
        b"--RR--\n"
    )
    got = emails_by_field(read_one(mdn))
    assert got.get("body[2]") == {"olle.mdn@example.se"}, got


def test_the_author_a_mailing_list_rewrote_out_of_from_is_found() -> None:
    """DMARC: a list sends 'Anna via Lista <lista@...>' and keeps the author in Original-From or Author (RFC 9057)."""
    raw = (
        b"From: Anna via Lista <lista@lists.example.se>\nTo: lista@lists.example.se\nSubject: Hej\n"
        b"Message-ID: <dmarc@mail.example.se>\nOriginal-From: Anna Ahl <anna.ahl@example.se>\nAuthor: Anna Ahl <anna.ahl@example.se>\n"
        b"Apparently-To: per.app@example.se\nOriginal-Recipient: rfc822;lena.orig@example.se\n\nHej!\n"
    )
    got = emails_by_field(read_one(raw))
    assert got.get("header:Original-From") == {"anna.ahl@example.se"}, got
    assert got.get("header:Author") == {"anna.ahl@example.se"}
    assert got.get("header:Apparently-To") == {"per.app@example.se"}
    assert got.get("header:Original-Recipient") == {"lena.orig@example.se"}
