"""Red-team round 4: Apple Mail's .emlx files on a share are read as mail.

An .emlx starts with the message's length on a line of its own; the sniffer asked
whether a file is mail only when it starts with a letter, 'From ' or a BOM, so a
Mac user's Mail folder copied to a share was read as text (base64 bodies and
encoded headers unread). Fictional values only.
"""

from __future__ import annotations

import base64
import io

from connectors.base import Location
from connectors.formats import read_stream


def test_an_emlx_file_is_read_as_mail() -> None:
    body = base64.b64encode("Hej! Mitt personnummer är 811228-9874.\n".encode()).decode()
    message = ("From: =?utf-8?q?=C3=85sa_Berg?= <asa.berg@example.se>\r\nTo: kundtjanst@example.se\r\n"
               "Message-ID: <emlx-1@example.se>\r\nSubject: Fråga\r\nMIME-Version: 1.0\r\n"
               "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n" + body + "\r\n").encode()
    plist = b'<?xml version="1.0" encoding="UTF-8"?>\n<plist version="1.0"><dict><key>flags</key><integer>8590195713</integer></dict></plist>\n'
    data = str(len(message)).encode() + b"        \n" + message + plist
    loc = lambda c, i: Location("files", "t", c, i)  # noqa: E731
    recs = list(read_stream(io.BytesIO(data), "Mail/V10/INBOX.mbox/Messages/4711.emlx", container="4711.emlx", loc_factory=loc))
    texts = {(r.location.item, f): t for r in recs for f, t in r.fields}
    assert any(item == "emlx-1@example.se" and "811228-9874" in t for (item, _), t in texts.items())
    assert not any(f == "text" for _, f in texts)  # not read as lines of text
