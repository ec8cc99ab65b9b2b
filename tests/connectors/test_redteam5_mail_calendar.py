"""Red team 5: a meeting invitation's UID is the event's id, not a mailbox.

Google Calendar writes ``UID:<random>@google.com`` in every invitation, other servers
``UID:20240315T100000Z-4711@example.se`` (RFC 2445's advice); both read as an e-mail
address, so every invitation in a mailbox gave a false e-mail finding, in the inline
``text/calendar`` part and again in the ``invite.ics`` attachment. The organizer and
attendees (``mailto:``) are still found.
"""

from __future__ import annotations

import base64

from connectors.base import Limits, Location, Record
from connectors.formats.core import Problems
from connectors.mime import MessageReader
from detectors import find_all

ICS = (
    "BEGIN:VCALENDAR\r\nPRODID:-//Google Inc//Google Calendar 70.9054//EN\r\nVERSION:2.0\r\nMETHOD:REQUEST\r\n"
    "BEGIN:VEVENT\r\nDTSTART:20240510T080000Z\r\nDTEND:20240510T090000Z\r\nDTSTAMP:20240506T080000Z\r\n"
    "ORGANIZER;CN=Karin Ek:mailto:karin.ek@example.se\r\n"
    "UID:7kukuqrfhhb0qjdo2b1ll8e5fs@google.com\r\n"
    "RELATED-TO;RELTYPE=PARENT:20240315T100000Z-4711@example.se\r\n"
    "ATTENDEE;CUTYPE=INDIVIDUAL;ROLE=REQ-PARTICIPANT;PARTSTAT=ACCEPTED;RSVP=TRUE\r\n ;CN=Per Lund;X-NUM-GUESTS=0:mailto:per.l\r\n und@example.se\r\n"
    "DESCRIPTION:Ring Per på 070-174 06 12\r\nSUMMARY:Genomgång\r\nEND:VEVENT\r\nBEGIN:VEVENT\r\n"
    "uid:20240315T100000Z-4711@example.se\r\nSUMMARY:Uppföljning\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
)


def _message() -> bytes:
    b64 = base64.encodebytes(ICS.encode()).decode()
    return (
        "From: Karin Ek <karin.ek@example.se>\nTo: per.lund@example.se\nSubject: Inbjudan\nDate: Mon, 06 May 2024 08:00:00 +0200\n"
        'Message-ID: <inv.1@mail.example.se>\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary="m"\n\n'
        '--m\nContent-Type: multipart/alternative; boundary="a"\n\n--a\nContent-Type: text/plain; charset=UTF-8\n\nInbjudan\n'
        f"--a\nContent-Type: text/calendar; charset=UTF-8; method=REQUEST\n\n{ICS}\n--a--\n"
        f'--m\nContent-Type: application/ics; name="invite.ics"\nContent-Disposition: attachment; filename="invite.ics"\n'
        f"Content-Transfer-Encoding: base64\n\n{b64}\n--m--\n"
    ).encode()


def _read() -> list[Record]:
    return list(MessageReader(Location("mail", "t", "box"), Limits(), Problems()).records(_message(), "message 1"))


def _found(records: list[Record], where: str) -> set[tuple[str, str]]:
    return {(m.kind, m.value) for r in records for f, t in r.fields if f.startswith(where) for m in find_all(t)}


def test_an_invitations_uid_is_no_email_address() -> None:
    records = _read()
    for where in ("body[1.2]", "attachment:invite.ics!"):
        got = _found(records, where)
        assert got == {("email", "karin.ek@example.se"), ("email", "per.lund@example.se"), ("phone", "+46701740612")}, (where, got)


def test_the_calendar_keeps_its_lines() -> None:
    """The UID's value is blanked, not cut out: the other properties keep their lines and places."""
    records = _read()
    inline = next(t for r in records for f, t in r.fields if f == "body[1.2]")
    lines = inline.split("\n")
    assert lines[9].startswith("UID:") and lines[9][4:].strip() == ""
    assert "mailto:per.lund@example.se" in lines[11]
    fields = [f for r in records for f, _ in r.fields if f.startswith("attachment:invite.ics!")]
    assert "attachment:invite.ics!line 12:text" in fields, fields  # the attendee's line, as numbered before
