"""Red team 5: an mbox whose writer did not quote body lines (mboxo) and a paragraph starting with ``From <time>``.

A ``From_`` line is ``From <sender> <date>``: its time and year follow the envelope
sender. A body paragraph ``From 10:30 on Monday 6 May 2024 I am in Malmö.`` carries a
time and a year too, so it was taken for a message start: the personnummer after it
was put in a message of its own without a header (item ``sha256:...``, a location
no one can find) and the unit was reported as damaged.
"""

from __future__ import annotations

from pathlib import Path

from connectors.base import ConnectorError
from connectors.mail import MailConnector, starts_message

BOX = (
    "From anna@example.se Mon May  6 10:00:00 2024\nFrom: Anna <anna@example.se>\nTo: bo@example.se\nSubject: Resa\n"
    "Date: Mon, 06 May 2024 10:00:00 +0200\nMessage-ID: <resa.1@example.se>\n\n"
    "Hej!\n\nFrom 10:30 on Monday 6 May 2024 I am in Malmö.\nMitt personnummer 811228-9874.\n\n"
    "From - Tue May 07 10:00:00 2024\nFrom: Bo <bo@example.se>\nSubject: Svar\nMessage-ID: <svar.1@example.se>\n\nOk\n\n"
    "From MAILER-DAEMON Wed May  8 10:00:00 2024\nFrom: Mail System <mailer-daemon@example.se>\nSubject: x\n"
    "Message-ID: <bounce.1@example.se>\n\nx\n"
)


def test_a_body_line_from_a_time_is_no_message_start(tmp_path: Path) -> None:
    box = tmp_path / "in.mbox"
    box.write_text(BOX)
    conn = MailConnector("m", {"path": str(box)})
    bodies: dict[str, str] = {}
    for unit in conn.units():
        try:
            for rec in conn.read(unit):
                bodies.update({rec.location.item: t for f, t in rec.fields if f == "body"})
        except ConnectorError as exc:
            raise AssertionError(f"reported as damaged: {exc}") from None
    assert set(bodies) == {"resa.1@example.se", "svar.1@example.se", "bounce.1@example.se"}, set(bodies)
    assert "811228-9874" in bodies["resa.1@example.se"]


def test_from_lines_still_start_messages() -> None:
    assert starts_message(b"From anna@example.se Mon May  6 10:00:00 2024\nbody\n")
    assert starts_message(b"From - Tue May 07 10:00:00 2024\n")
    assert starts_message(b"From anna@example.se Mon, 06 May 2024 10:00:00 +0200\n")
    assert not starts_message(b"From 10:30 on Monday 6 May 2024 I am in Malm\xc3\xb6.\nMitt personnummer 811228-9874.\n")
