"""Red-team round 4 on tables in files: the header below a longer preamble.

Fictional values only (generated with valid check digits; PTS fiction numbers).
"""

from __future__ import annotations

import io
from datetime import date

import pytest

from connectors.base import Location
from connectors.formats import read_stream
from detectors import Scanner

R = date(2026, 11, 24)
HEADER = "Namn;Personnummer;Mobil"
ROW = "Anna Berg;030918-2640;701740605"  # a lost-zero mobile: only the column name tells


def _loc(container: str, item: str) -> Location:
    return Location("files", "t", container, item)


def _rows(data: bytes, name: str) -> dict[str, dict[str, str]]:
    return {r.location.item: dict(r.fields) for r in read_stream(io.BytesIO(data), name, container=name, loc_factory=_loc)}


PREAMBLES = {
    # a report export: title, blank lines, who and when, each on a line of its own
    "rapport.csv": f"Kundlista\n\nExporterad av: Bo Ek\n\nDatum: 2024-05-01\n{HEADER}\n{ROW}\n",
    # a title row of two cells (a title and a date in the next column), as Excel saves a sheet's top rows
    "tva_celler.csv": f"Kundlista;2024-05-01;\n{HEADER}\n{ROW}\n",
    # both, with a comment line
    "blandat.csv": f"# Utdrag ur CRM\nKampanj maj;Avdelning Syd\n\n{HEADER}\n{ROW}\nBo Ek;640823-3234;701740606\n",
}


@pytest.mark.parametrize("name", sorted(PREAMBLES))
def test_a_header_below_a_longer_preamble_names_the_columns(name: str) -> None:
    text = PREAMBLES[name]
    rows = _rows(text.encode(), name)
    line = str(text.splitlines().index(ROW) + 1)
    assert rows[line] == {"Namn": "Anna Berg", "Personnummer": "030918-2640", "Mobil": "701740605"}
    assert str(int(line) - 1) not in rows  # the header is no record
    scanner = Scanner()
    found = {(m.kind, m.value) for f, t in rows[line].items() for m in scanner.find(t, hint=f, ref_date=R)}
    assert ("phone", "+46701740605") in found


def test_a_one_column_line_below_a_title_is_not_taken_for_the_header() -> None:
    # before: 'Exporterad av: Bo Ek' became the one column's name and every row one cell
    rows = _rows(PREAMBLES["rapport.csv"].encode(), "rapport.csv")
    assert all(len(r) == 1 and next(iter(r)) == "column 1" or "Namn" in r for r in rows.values())


def test_a_sheet_header_below_a_two_cell_title_row_names_the_columns() -> None:
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Kunder"
    for r in (["Kundlista", "Utskriven 2024-05-01"], ["Filter: aktiva"], [], ["Namn", "Personnummer", "Mobil"],
              ["Anna Berg", 309182640, 701740605]):
        ws.append(r)
    buf = io.BytesIO()
    wb.save(buf)
    rows = _rows(buf.getvalue(), "k.xlsx")
    assert rows["Kunder:5"] == {"Namn": "Anna Berg", "Personnummer": "309182640", "Mobil": "701740605"}
    assert "Kunder:4" not in rows
    assert rows["Kunder:1"] == {"Kunder!A1": "Kundlista", "Kunder!B1": "Utskriven 2024-05-01"}
