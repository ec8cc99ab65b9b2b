"""Plain text and logs: one record per line (``structured=False``, field ``text``).

``item`` is the 1-based physical line number (``\\n``, ``\\r\\n`` and ``\\r`` end
a line), or ``@<byte offset>`` of the line in a byte-range unit. A line longer
than ``Limits.max_field_chars`` comes in slices with the same item, each
starting with the last 256 characters of the previous one so that nothing is
cut in two. Blank lines are skipped. A whole line right after another is
marked ``follows`` (:class:`connectors.base.Record`): the detectors read it
with the line before, for a number wrapped over the line break
(``640823-`` / ``3234``) or a keyword at the end of the line before
(``Personnummer:`` / ``640823-3234``); each finding keeps the line where it
starts.

**iCalendar and vCard** (``.ics``, ``.vcf`` ... or a text starting with
``BEGIN:VCALENDAR`` / ``BEGIN:VCARD``, :func:`folded`): a line break followed
by a space or a tab continues the line (RFC 5545 3.1, RFC 6350 3.2), as the
mail reader unfolds such parts (:mod:`connectors.mime`), so that an
attendee's address or a note folded at 75 octets reads whole; the item is
the physical line where the unfolded line starts. Such files are not split
into byte ranges (a range could start inside a folded line). The values of
their id properties (``UID``, ``RELATED-TO``, ``X-WR-RELCALID``: an event's or a
contact's own id, :func:`blank_ids`) are blanked, same length, as in mail: an
invitation's ``UID:<random>@google.com`` is no e-mail address.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from connectors.base import Record
from connectors.formats.core import TEXT_FIELD, Ctx
from connectors.formats.streams import LineIter

OVERLAP = 256
_FOLDED_STARTS = (b"BEGIN:VCALENDAR", b"BEGIN:VCARD")
# An event's or a contact's own id (RFC 5545 3.8.4.7 UID, RELATED-TO holding another event's UID,
# RFC 6350 6.7.6 UID) names no one, but Google's '<random>@google.com' and RFC 2445's advised
# '20240315T100000Z-4711@example.se' read as e-mail addresses: every invitation gave a false one.
# Their values are blanked, same length, so that the other properties keep their lines and places.
# Shared by the file reader (unfold_lines) and the mail reader (connectors.mime: calendar parts, attachments).
_ID_PROPERTY = re.compile(r"(?im)^(?:UID|RELATED-TO|X-WR-RELCALID)(?=[;:])[^:\r\n]*:([^\r\n]*)")
_ID_PROPERTY_BYTES = re.compile(_ID_PROPERTY.pattern.encode(), re.I | re.M)
_NOT_BREAK = re.compile(r"[^\r\n]")


def blank_ids(text: str) -> str:
    """An unfolded iCalendar or vCard text with the values of its id properties blanked.

    >>> blank_ids("UID:7kuk@google.com\\r\\nORGANIZER:mailto:a@example.se\\r\\n")
    'UID:               \\r\\nORGANIZER:mailto:a@example.se\\r\\n'
    """
    return _ID_PROPERTY.sub(lambda m: m.group(0)[: m.start(1) - m.start()] + " " * len(m.group(1)), text)


def blank_ids_bytes(data: bytes) -> bytes:
    """:func:`blank_ids` of bytes (a calendar attachment, before it is decoded)."""
    return _ID_PROPERTY_BYTES.sub(lambda m: m.group(0)[: m.start(1) - m.start()] + b" " * len(m.group(1)), data)


def folded(head: bytes, name: str) -> bool:
    """Whether a text with these first bytes (and this name) is iCalendar or vCard, whose lines are folded.

    >>> folded(b"\\xef\\xbb\\xbfbegin:vcard\\r\\nVERSION:4.0\\r\\n", "x"), folded(b"hej", "kontakter.VCF"), folded(b"hej", "a.txt")
    (True, True, False)
    """
    from connectors.mime import _FOLDED_SUFFIXES  # the mail reader's list, for attachments

    if name.replace("\\", "/").rsplit("!", 1)[-1].lower().endswith(_FOLDED_SUFFIXES):
        return True
    return head.lstrip(b"\xef\xbb\xbf \t\r\n")[:15].upper().startswith(_FOLDED_STARTS)


def unfold_lines(lines: LineIter, cap: int) -> LineIter:
    """Lines with RFC 5545/6350 folding undone (a line starting with a space or tab continues the one before), ids blanked.

    The values of the id properties are blanked (:func:`blank_ids`), the slices of an over-long one whole.

    >>> [(i, t) for i, t, _ in unfold_lines(iter([("1", "NOTE:19640823-\\r\\n", False), ("2", " 3234\\r\\n", False), ("3", "END\\n", False)]), 99)]
    [('1', 'NOTE:19640823-3234\\r\\n'), ('3', 'END\\n')]
    """
    item: str | None = None
    buf = ""
    prev_more = False
    first = True  # nothing of the unfolded line yielded yet
    is_id = False  # the unfolded line is an id property (blank_ids): its later slices are blanked whole

    def blanked(text: str) -> str:
        nonlocal first, is_id
        if first:
            first, is_id = False, _ID_PROPERTY.match(text) is not None
            return blank_ids(text) if is_id else text
        return _NOT_BREAK.sub(" ", text) if is_id else text

    for it, piece, more in lines:
        if item is not None and prev_more:
            buf += piece  # the next slice of an over-long physical line
        elif item is not None and piece[:1] in (" ", "\t"):
            buf = buf.rstrip("\r\n") + piece[1:]
        else:
            if item is not None and buf:
                yield item, blanked(buf), False
            item, buf, first = it, piece, True
        prev_more = more
        while len(buf) > cap:
            yield item, blanked(buf[:cap]), True
            buf = buf[cap:]
    if item is not None and buf:
        yield item, blanked(buf), False


def text_records(ctx: Ctx, lines: LineIter) -> Iterator[Record]:
    """A record per line (a slice per ``max_field_chars`` of a longer one); blank lines skipped.

    A whole line right after another whole line (no blank line, no slice
    between) is marked ``follows``: the worker reads the two together, so that
    a number wrapped over the break or a keyword at the end of the line
    before is found (:class:`connectors.base.Record`).

    >>> from connectors.base import Limits, Location
    >>> ctx = Ctx("a.txt", lambda c, i: Location("files", "share", c, i), Limits())
    >>> lines = iter([("1", "Personnr 640823-\\n", False), ("2", "3234\\n", False), ("3", "\\n", False), ("4", "slut", False)])
    >>> [(r.location.item, r.fields[0][1], r.follows) for r in text_records(ctx, lines)]
    [('1', 'Personnr 640823-', False), ('2', '3234', True), ('4', 'slut', False)]
    """
    tail = ""
    joined = False  # the record before was a whole line, right before this one
    for item, piece, more in lines:
        whole = not more and not tail
        text = tail + piece if tail else piece
        tail = piece[-OVERLAP:] if more else ""
        text = text.rstrip("\r\n")
        if text and not text.isspace():
            rec = ctx.record(item, [(TEXT_FIELD, text)], False)
            if whole and joined:
                rec.follows = True
            joined = whole
            yield rec
        else:
            joined = False
