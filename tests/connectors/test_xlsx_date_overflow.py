"""A number in a date-formatted cell that no date can be is read as the number (and never printed).

A personnummer typed into a column formatted as dates (198112289874 is no
serial of any date before year 9999) became openpyxl's error "#VALUE!", so it
went unscanned, and openpyxl warned on stderr with the value in the message.
Fictional values (the reference's example personnummer).
"""

from __future__ import annotations

import io
import subprocess
import sys
import textwrap

import openpyxl

from connectors.base import Limits, Location
from connectors.formats import read_stream
from connectors.formats.core import Ctx
from connectors.formats.office import xlsx_records
from connectors.formats.streams import Source


def _book() -> bytes:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["Namn", "Personnummer"])
    ws.append(["Anna", 198112289874])
    ws.append(["Bo", 8112289874])
    ws.append(["Cy", 45000])
    for ref in ("B2", "B3", "B4"):
        ws[ref].number_format = "yyyy-mm-dd"
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _texts(data: bytes, fast: bool) -> dict[str, str]:
    ctx = Ctx("k.xlsx", lambda c, i: Location("files", "t", c, i), Limits())
    src = Source(io.BytesIO(data), max_spool=Limits().max_expanded_bytes, seekable=True)
    return {r.location.item: dict(r.fields).get("Personnummer", "") for r in xlsx_records(ctx, src, fast=fast)}


def test_the_number_is_read_where_no_date_can_be() -> None:
    got = _texts(_book(), True)
    assert got["Sheet:2"] == "198112289874" and got["Sheet:3"] == "8112289874"
    assert got["Sheet:4"] == "2023-03-15"  # a real serial is still a date


def test_the_scan_finds_the_personnummer() -> None:
    from detectors import Scanner

    recs = list(read_stream(io.BytesIO(_book()), "k.xlsx", container="k.xlsx",
                            loc_factory=lambda c, i: Location("files", "t", c, i)))
    found = [m for r in recs for f, t in r.fields for m in Scanner().find(t, hint=f)]
    assert sum(m.kind == "personnummer" for m in found) == 2


def test_the_value_is_never_printed() -> None:
    code = textwrap.dedent("""
        import io, sys
        from connectors.base import Limits, Location
        from connectors.formats.core import Ctx
        from connectors.formats.office import xlsx_records
        from connectors.formats.streams import Source
        data = sys.stdin.buffer.read()
        for fast in (True, False):
            ctx = Ctx("k.xlsx", lambda c, i: Location("files", "t", c, i), Limits())
            list(xlsx_records(ctx, Source(io.BytesIO(data), max_spool=1 << 30, seekable=True), fast=fast))
    """)
    run = subprocess.run([sys.executable, "-W", "default", "-c", code], input=_book(), capture_output=True, timeout=120)
    assert run.returncode == 0, run.stderr.decode()
    assert b"198112289874" not in run.stderr and b"8112289874" not in run.stderr, run.stderr.decode()
