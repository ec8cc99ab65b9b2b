"""Red team 5: adjacent RFC 2047 encoded words in an address header's display name.

An encoder splits a long display name into several encoded words at any character
(Python's email, Outlook, Google Groups' "'anna.berg@example.se' via Kundtjänst"). The
white space between two encoded words is no text (RFC 2047 6.2), but the header registry
keeps it inside a phrase: 'anna.' + 'berg@example.se' read as "anna. berg@example.se",
so the address of the person was missed and a wrong one ('berg@example.se') reported.
"""

from __future__ import annotations

import base64

from connectors.base import Limits, Location, Record
from connectors.formats.core import Problems
from connectors.mime import MessageReader, header_text
from detectors import find_all


def _b(text: str) -> str:
    return "=?utf-8?B?" + base64.b64encode(text.encode()).decode() + "?="


def test_adjacent_words_of_a_display_name_join() -> None:
    q = "=?utf-8?Q?'anna=2E?=\n =?utf-8?Q?berg=40example=2Ese'_via_Kundtj=C3=A4nst?= <kundtjanst@example.se>"
    assert header_text("From", q) == "'anna.berg@example.se' via Kundtjänst <kundtjanst@example.se>"
    b = f"{_b('Åsa Öberg (asa.ob')} {_b('erg@example.se)')} <asa@example.se>, Bo <bo@example.se>"
    assert header_text("To", b) == "Åsa Öberg (asa.oberg@example.se) <asa@example.se>, Bo <bo@example.se>"
    # what the registry did right stays: a quoted name, one encoded word, text between words
    assert header_text("From", "=?utf-8?q?=C3=85sa_=C3=96berg?= <asa@example.se>") == "Åsa Öberg <asa@example.se>"
    assert header_text("To", "=?utf-8?Q?Anna?= och =?utf-8?Q?Bo?= <ab@example.se>") == "Anna och Bo <ab@example.se>"
    assert header_text("Subject", f"{_b('Personnummer 811228')} {_b('-9874')}") == "Personnummer 811228-9874"


def _read(raw: bytes) -> list[Record]:
    return list(MessageReader(Location("mail", "t", "box"), Limits(), Problems()).records(raw, "message 1"))


def test_the_split_address_is_found_whole() -> None:
    raw = (
        "From: =?utf-8?Q?'anna=2E?=\n =?utf-8?Q?berg=40example=2Ese'_via_Kundtj=C3=A4nst?= <kundtjanst@example.se>\n"
        f"To: {_b('Kund 811228-')}\n {_b('9874')} <kund@example.se>\n"
        "Subject: Hej\nDate: Mon, 02 Sep 2024 08:00:00 +0200\nMessage-ID: <grp.1@example.se>\n\nHej\n"
    ).encode()
    got = {(f, m.kind, m.value) for r in _read(raw) for f, t in r.fields for m in find_all(t)}
    assert ("header:From", "email", "anna.berg@example.se") in got, got
    assert ("header:From", "email", "berg@example.se") not in got
    assert ("header:To", "personnummer", "198112289874") in got, got
