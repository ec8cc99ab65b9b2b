"""Red team 6: a calendar or contact file's own id (UID, RELATED-TO) is no e-mail address.

Mail's calendar parts and .ics/.vcf attachments had their id properties blanked
(:mod:`connectors.mime`, red team 5), but the same invitation saved on a file share
(``inbjudan.ics``, an exported ``kontakter.vcf``) still reported Google's
``UID:<random>@google.com`` and RFC 2445's ``20240315T100000Z-4711@example.se`` as e-mail
addresses: one false finding per event. Organizer, attendees and a contact's EMAIL stay
found, and every property keeps its line. Fictional values only (example.se, PTS fiction
numbers).
"""

from __future__ import annotations

import io

from connectors.base import Location, Record
from connectors.formats import read_stream
from detectors import find_all

ICS = (
    "BEGIN:VCALENDAR\r\nPRODID:-//Google Inc//Google Calendar 70.9054//EN\r\nVERSION:2.0\r\nMETHOD:REQUEST\r\n"
    "BEGIN:VEVENT\r\nDTSTART:20240510T080000Z\r\nDTEND:20240510T090000Z\r\n"
    "ORGANIZER;CN=Karin Ek:mailto:karin.ek@example.se\r\n"
    "UID:7kukuqrfhhb0qjdo2b1ll8e5fs@google.com\r\n"
    "RELATED-TO;RELTYPE=PARENT:20240315T100000Z-4711@exam\r\n ple.se\r\n"
    "ATTENDEE;CN=Per Lund;X-NUM-GUESTS=0:mailto:per.l\r\n und@example.se\r\n"
    "DESCRIPTION:Ring Per på 070-174 06 12\r\nSUMMARY:Genomgång\r\nEND:VEVENT\r\nBEGIN:VEVENT\r\n"
    "uid:20240315T100000Z-4711@example.se\r\nSUMMARY:Uppföljning\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
)
VCF = (
    "BEGIN:VCARD\r\nVERSION:4.0\r\nFN:Anna Berg\r\nUID:kontakt-4711@crm.example.se\r\n"
    "EMAIL;TYPE=work:anna.berg@example.se\r\nTEL;TYPE=cell:070-174 06 51\r\nEND:VCARD\r\n"
)


def _records(text: str, name: str) -> list[Record]:
    loc = lambda c, i: Location("files", "t", c, i)  # noqa: E731
    return list(read_stream(io.BytesIO(text.encode()), name, container=name, loc_factory=loc))


def _found(records: list[Record]) -> set[tuple[str, str]]:
    return {(m.kind, m.value) for r in records for _, t in r.fields for m in find_all(t)}


def test_an_ics_files_uid_and_related_to_are_no_email_addresses() -> None:
    for name in ("inbjudan.ics", "inbjudan.txt"):  # by its name, and by its content (BEGIN:VCALENDAR)
        got = _found(_records(ICS, name))
        assert got == {("email", "karin.ek@example.se"), ("email", "per.lund@example.se"), ("phone", "+46701740612")}, (name, got)


def test_a_vcf_files_uid_is_no_email_address() -> None:
    got = _found(_records(VCF, "kontakter.vcf"))
    assert got == {("email", "anna.berg@example.se"), ("phone", "+46701740651")}, got


def test_the_calendar_keeps_its_lines() -> None:
    records = _records(ICS, "inbjudan.ics")
    by_item = {r.location.item: r.fields[0][1] for r in records}
    assert by_item["9"].startswith("UID:") and by_item["9"][4:].strip() == ""
    assert by_item["10"].startswith("RELATED-TO;RELTYPE=PARENT:") and by_item["10"].split(":", 1)[1].strip() == ""
    assert by_item["12"].endswith("mailto:per.lund@example.se")  # the attendee, on its first physical line
    assert by_item["8"].endswith("mailto:karin.ek@example.se")


def test_an_over_long_uid_is_blanked_in_every_slice() -> None:
    from connectors.formats.text import unfold_lines

    lines = iter([("1", "UID:" + "x" * 30 + "@google.com\r\n", False), ("2", "EMAIL:a@example.se\r\n", False)])
    got = list(unfold_lines(lines, 20))
    assert [i for i, _, _ in got] == ["1", "1", "1", "2"]
    assert "".join(t for i, t, _ in got if i == "1").strip() == "UID:"
    assert got[-1][1] == "EMAIL:a@example.se\r\n"
