"""Red-team round 5 on XLSX: a worksheet's page header and footer.

A sheet printed as a personal statement (a payslip, an account statement) often names
the person in its page header or footer (``&CLönespecifikation 19811228-9874``), which
Excel shows only in the page layout and prints on every page. Before, openpyxl's read-only
mode left them out and nothing else read them. Now they are records ``<sheet> header`` /
``<sheet> footer`` (field ``text``, Excel's ``&`` codes removed). Fictional values.
"""

from __future__ import annotations

import io

import openpyxl

from connectors.base import Location
from connectors.formats import read_stream


def _records(data: bytes) -> dict[str, str]:
    loc = lambda c, i: Location("files", "t", c, i)  # noqa: E731
    return {r.location.item: " | ".join(t for _, t in r.fields)
            for r in read_stream(io.BytesIO(data), "lon.xlsx", container="lon.xlsx", loc_factory=loc)}


def test_page_header_and_footer_are_read() -> None:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Lön"
    ws.append(["Post", "Belopp"])
    ws.append(["Grundlön", 32000])
    ws.oddHeader.center.text = "Lönespecifikation 19811228-9874"
    ws.oddFooter.left.text = "Frågor: lon.prov@example.se"
    ws.evenFooter.right.text = "Tel 070-174 06 71"
    buf = io.BytesIO()
    wb.save(buf)
    recs = _records(buf.getvalue())
    assert "19811228-9874" in recs.get("Lön header", ""), recs
    assert "lon.prov@example.se" in recs.get("Lön footer", "") and "070-174 06 71" in recs["Lön footer"]
    assert "&C" not in recs["Lön header"] and "&L" not in recs["Lön footer"]
    assert recs["Lön:2"]  # the cells are read as before


def test_a_sheet_without_header_gives_no_record() -> None:
    wb = openpyxl.Workbook()
    wb.active.append(["Namn"])
    buf = io.BytesIO()
    wb.save(buf)
    assert not any(k.endswith((" header", " footer")) for k in _records(buf.getvalue()))
