"""CSV and TSV: dialect and header detection, streaming records.

One record per data row (``structured=True``); ``item`` is the 1-based
*physical* line number where the row starts (the line an editor shows,
counting the header line; a quoted field spanning lines keeps the number of
its first line), or ``@<byte offset>`` in a byte-range unit. Fields are named
by the header (``personnummer``), ``column N`` where there is none, and
``name (column N)`` for a repeated header name. Empty cells are skipped.
"""

from __future__ import annotations

import csv
from collections import Counter, deque
from collections.abc import Iterator
from dataclasses import dataclass

from connectors.base import Record
from connectors.formats.core import Ctx, column_names, looks_like_header
from connectors.formats.streams import LineIter

DELIMITERS = (",", ";", "\t", "|")
TABLE_EXTENSIONS = (".csv", ".tsv", ".tab", ".psv")
SAMPLE_LINES = 200


@dataclass(frozen=True)
class Table:
    delimiter: str
    header: tuple[str, ...] | None  # column names when the first row is a header


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
        best_delim, best_rows = ("\t" if ext == ".tsv" else ","), rows
    header = best_rows[0] if looks_like_header(best_rows[0], best_rows[1:21]) else None
    if best is not None and best[1] == 2 and header is None and not tabular_ext:
        return None
    return Table(best_delim, tuple(header) if header is not None else None)


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
        if header_pending:
            header_pending = False
            continue
        fields = []
        for i, value in enumerate(row):
            if value and not value.isspace():
                fields.append((names[i] if i < len(names) else f"column {i + 1}", value))
        if fields:
            yield ctx.record(item, fields, True)
