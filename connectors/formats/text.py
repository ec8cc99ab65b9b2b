"""Plain text and logs: one record per line (``structured=False``, field ``text``).

``item`` is the 1-based physical line number (``\\n``, ``\\r\\n`` and ``\\r`` end
a line), or ``@<byte offset>`` of the line in a byte-range unit. A line longer
than ``Limits.max_field_chars`` comes in slices with the same item, each
starting with the last 256 characters of the previous one so that nothing is
cut in two. Blank lines are skipped.
"""

from __future__ import annotations

from collections.abc import Iterator

from connectors.base import Record
from connectors.formats.core import TEXT_FIELD, Ctx
from connectors.formats.streams import LineIter

OVERLAP = 256


def text_records(ctx: Ctx, lines: LineIter) -> Iterator[Record]:
    tail = ""
    for item, piece, more in lines:
        text = tail + piece if tail else piece
        tail = piece[-OVERLAP:] if more else ""
        text = text.rstrip("\r\n")
        if text and not text.isspace():
            yield ctx.record(item, [(TEXT_FIELD, text)], False)
