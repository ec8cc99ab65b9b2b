"""Red-team round 4 on XLSX: what the sheet shows of a number, and cell comments.

Fictional values only (valid check digits, PTS fiction numbers, example.se).
"""

from __future__ import annotations

import io
from datetime import date

from connectors.base import Location
from connectors.formats import read_stream
from detectors import Scanner

R = date(2026, 11, 24)


def _records(data: bytes) -> dict[str, list[tuple[str, str]]]:
    out: dict[str, list[tuple[str, str]]] = {}
    loc = lambda c, i: Location("files", "t", c, i)  # noqa: E731
    for r in read_stream(io.BytesIO(data), "k.xlsx", container="k.xlsx", loc_factory=loc):
        out.setdefault(r.location.item, []).extend(r.fields)
    return out


def _book() -> bytes:
    import openpyxl
    from openpyxl.comments import Comment

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Blad1"
    # no header: numbers whose leading zero only the cell format keeps (Swedish Excel's
    # "Personnummer" special format, a phone format with a literal zero)
    ws.append(["Lisa Ek", 309182640, 701740605, 1234])
    ws["B1"].number_format = "000000-0000"
    ws["C1"].number_format = '"0"##-### ## ##'
    ws["D1"].number_format = "#,##0"
    ws.append(["Bo Ek", 8112289874, 46701740606])
    ws["B2"].number_format = "0"
    ws["A1"].comment = Comment("Ring målsman 070-174 06 09", "handl.ek@example.se")
    hidden = wb.create_sheet("Dold")
    hidden.sheet_state = "hidden"
    hidden.append(["x"])
    hidden["A1"].comment = Comment("pnr 640823-3234", "granskare@example.se")
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def test_a_number_is_read_as_its_cell_format_shows_it() -> None:
    recs = _records(_book())
    assert recs["Blad1:1"] == [("Blad1!A1", "Lisa Ek"), ("Blad1!B1", "030918-2640"), ("Blad1!C1", "070-174 06 05"),
                               ("Blad1!D1", "1234")]
    assert recs["Blad1:2"] == [("Blad1!A2", "Bo Ek"), ("Blad1!B2", "8112289874"), ("Blad1!C2", "46701740606")]
    scanner = Scanner()
    found = {(m.kind, m.value) for f, t in recs["Blad1:1"] for m in scanner.find(t, hint=f, ref_date=R)}
    assert found == {("personnummer", "200309182640"), ("phone", "+46701740605")}


def test_cell_comments_are_read_with_their_author() -> None:
    recs = _records(_book())
    assert recs["Blad1!A1 comment"] == [("text", "Ring målsman 070-174 06 09"), ("meta:author", "handl.ek@example.se")]
    assert recs["Dold!A1 comment"] == [("text", "pnr 640823-3234"), ("meta:author", "granskare@example.se")]
