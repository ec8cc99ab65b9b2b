"""CSV and TSV: dialect and header detection, streaming records.

One record per data row (``structured=True``); ``item`` is the 1-based
*physical* line number where the row starts (the line an editor shows,
counting the header line; a quoted field spanning lines keeps the number of
its first line), or ``@<byte offset>`` in a byte-range unit. Fields are named
by the header (``personnummer``), ``column N`` where there is none, and
``name (column N)`` for a repeated header name. Empty cells are skipped. A
first row holding an identifier (``Ring på 070-...``, ``anna at example dot
se``) is no header (:func:`~connectors.formats.core.holds_identifier`), nor is
one the rows below repeat in shape (names, addresses, places: compared with up
to 20 rows below it, :func:`~connectors.formats.core.looks_like_header`), so a
headerless file's fields are ``column N`` and never its first row's values; a header
of text columns with a digit in a cell is read as a row of data too, its cells
named ``column N`` (:func:`~connectors.formats.core.header_also_data`).

The header may stand below a few lines of preamble: Excel's delimiter
directive ``sep=;``, or title and comment lines of one or two cells each
(``Kundlista``, ``# Export 2024-05-01``, ``Kundlista;2024-05-01``), blank
lines between them. Those lines are read as rows of
their own (``column 1``); the header names the columns of the rows below it,
so a ``Personnummer`` or ``Mobil`` column keeps its hint.
"""

from __future__ import annotations

import csv
import re
from collections import Counter, deque
from collections.abc import Iterator
from dataclasses import dataclass

from connectors.base import Record
from connectors.formats.core import MAX_PREAMBLE, Ctx, column_names, header_also_data, is_preamble_row, looks_like_header
from connectors.formats.streams import LineIter

DELIMITERS = (",", ";", "\t", "|")
TABLE_EXTENSIONS = (".csv", ".tsv", ".tab", ".psv")
SAMPLE_LINES = 200
_SEP_LINE = re.compile(r"\ufeff?sep=(.)\r?\n?\Z")


@dataclass(frozen=True)
class Table:
    delimiter: str
    header: tuple[str, ...] | None  # column names when a row (the first but for a preamble) is a header
    header_row: int = 0  # non-empty rows above the header (a preamble)
    header_data: bool = False  # the header row is read as a row of data too (core.header_also_data)


def sniff_table(text: str, at_eof: bool, ext: str) -> Table | None:
    """The dialect of a text sample if it reads as a table, else None.

    A delimiter qualifies when it splits at least 80 % of the sample's rows
    into the same number (>= 2) of cells; the most consistent, then the
    widest, wins. Without a table extension (.csv, .tsv) a single row is not
    a table, and neither is a headerless two-column one (``time,ms message``
    logs); with one, a one-column file is a table.
    """
    lines = text.splitlines(keepends=True)
    if not at_eof and len(lines) > 1:
        lines = lines[:-1]  # the sample may end inside a line
    lines = lines[:SAMPLE_LINES]
    tabular_ext = ext in TABLE_EXTENSIONS
    order = ("\t",) + DELIMITERS if ext == ".tsv" else DELIMITERS
    sep = _SEP_LINE.match(lines[0]) if lines else None
    if sep is not None and sep.group(1) in DELIMITERS:
        # Excel's directive names the delimiter; the header, if any, is the next row or
        # stands below a title under the directive
        delim = sep.group(1)
        found = _sniff_below_preamble(lines[1:], True, (delim,))
        if found is None or found.delimiter != delim:
            return Table(delim, None)
        return Table(delim, found.header, 1 + found.header_row if found.header is not None else 0, found.header_data)
    return _sniff_below_preamble(lines, tabular_ext, order)


def _sniff_below_preamble(lines: list[str], tabular_ext: bool, order: tuple[str, ...]) -> Table | None:
    """:func:`_sniff`, or the header below up to :data:`MAX_PREAMBLE` title or comment lines.

    Preamble lines are the rows a report export writes above its table: a title,
    ``Exporterad av: ...``, a date, blank lines (which do not count), each with at
    most :data:`~connectors.formats.core.MAX_PREAMBLE_CELLS` filled cells and fewer
    than the header names.
    """
    found = _sniff(lines, tabular_ext, order)
    if found is not None and found.header is not None and len(found.header) > 1:
        return found
    # a header below title or comment lines: only in a file named as a table (prose is
    # no table), and only where that finds a header of two or more names
    filled = 0  # non-blank lines above the candidate header
    for skip in range(1, len(lines) - 1 if tabular_ext else 0):
        if lines[skip - 1].strip():
            filled += 1
            if filled > MAX_PREAMBLE:
                break
        if not lines[skip].strip():
            continue
        below = _sniff(lines[skip:], tabular_ext, order)
        if below is None or below.header is None or len(below.header) < 2:
            continue
        try:
            above = [r for r in csv.reader(lines[:skip], delimiter=below.delimiter, strict=False) if r]
        except csv.Error:
            break
        if all(is_preamble_row(r, len(below.header)) for r in above):
            return Table(below.delimiter, below.header, len(above), below.header_data)
    return found


def _sniff(lines: list[str], tabular_ext: bool, order: tuple[str, ...]) -> Table | None:
    """:func:`sniff_table` on lines whose first row is the header, if there is one."""
    best: tuple[float, int] | None = None
    best_delim, best_rows = ",", []
    for delim in order:
        try:
            rows = [r for r in csv.reader(lines, delimiter=delim, strict=False) if r]
        except csv.Error:
            continue
        if not rows:
            continue
        width, freq = Counter(len(r) for r in rows).most_common(1)[0]
        if width < 2:
            continue
        consistency = freq / len(rows)
        if len(rows) == 1 and not tabular_ext:
            continue
        if len(rows) > 1 and consistency < 0.8:
            continue
        score = (consistency, width)
        if best is None or score > best:
            best, best_delim, best_rows = score, delim, rows
    if best is None:
        if not tabular_ext:
            return None
        rows = [r for r in csv.reader(lines, delimiter=",", strict=False) if r]
        if not rows:
            return None
        best_delim, best_rows = order[0] if order[0] == "\t" else ",", rows
    below = best_rows[1:21]
    header = best_rows[0] if looks_like_header(best_rows[0], below) else None
    if best is not None and best[1] == 2 and header is None and not tabular_ext:
        return None
    if header is None:
        return Table(best_delim, None)
    return Table(best_delim, tuple(header), header_data=header_also_data(header, below))


def csv_records(ctx: Ctx, lines: LineIter, table: Table, *, skip_header: bool, cap: int) -> Iterator[Record]:
    """Records of a CSV stream given as lines (from :func:`text_lines` or :func:`range_lines`).

    A line longer than ``cap`` characters is read truncated and reported.
    A malformed row (the csv module's errors) is reported and skipped.
    """
    if csv.field_size_limit() < cap:
        csv.field_size_limit(cap)  # only ever raised: the same value in every process
    starts: deque[str] = deque()

    def feed() -> Iterator[str]:
        skipping = False
        for item, piece, more in lines:
            if skipping:  # the rest of a truncated line
                skipping = more
                continue
            starts.append(item)
            if more:
                ctx.problem(f"{ctx.name} line {item}: longer than {cap} characters, read truncated")
                skipping = True
            yield piece

    reader = csv.reader(feed(), delimiter=table.delimiter, strict=False)
    names = column_names(list(table.header), len(table.header)) if table.header else []
    header_pending = skip_header and table.header is not None
    above = table.header_row  # preamble rows still to read before the header
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            item = starts[0] if starts else "?"
            starts.clear()
            ctx.problem(f"{ctx.name} line {item}: malformed CSV row ({exc})")
            continue
        item = starts[0] if starts else "?"
        starts.clear()
        if not row:
            continue
        unnamed = header_pending
        if header_pending:
            if not above:
                header_pending = False
                if not table.header_data:
                    continue
                # a header that may be a first row of notes: its cells are scanned as values too
            else:
                above -= 1
        named = names if not unnamed else ()
        fields = []
        for i, value in enumerate(row):
            if value and not value.isspace():
                fields.append((named[i] if i < len(named) else f"column {i + 1}", value))
        if fields:
            yield ctx.record(item, fields, True)
