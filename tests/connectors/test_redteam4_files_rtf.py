"""Red-team round 4: RTF documents on a share are read as their text, not as RTF source.

An escaped en dash inside a personnummer (\\'96) or a non-breaking space in a
phone number (\\~) split the number in the source, and letters read as \\'e4.
Fictional values only.
"""

from __future__ import annotations

import io

from connectors.base import Location
from connectors.formats import read_stream

RTF = (rb"{\rtf1\ansi\ansicpg1252{\fonttbl{\f0 Arial;}}{\colortbl;\red0\green0\blue0;}\f0 "
       rb"Kund: 811228\'969874\par Tel 070\~174 06 05\par H\'e4lsning \u197?sa\par}")


def test_an_rtf_file_is_read_as_its_text() -> None:
    loc = lambda c, i: Location("files", "t", c, i)  # noqa: E731
    recs = [(r.location.item, r.fields) for r in read_stream(io.BytesIO(RTF), "brev.rtf", container="brev.rtf", loc_factory=loc)]
    assert recs == [("1", [("text", "Kund: 811228\u20139874")]), ("2", [("text", "Tel 070\u00a0174 06 05")]),
                    ("3", [("text", "Hälsning Åsa")])]
