"""Red-team round 4: a DOCX form laid out as a table of labels and values is one person's record.

``Namn: | Anna Berg`` / ``Personnummer: | 811228-9874`` / ``E-post: | ...``: before,
each row was a record of its own (so the e-mail was not linked to the personnummer)
and the values were fields 'column 2' (no hint: a lost-zero mobile was missed).
Fictional values only.
"""

from __future__ import annotations

import io
from datetime import date

from connectors.base import Location
from connectors.formats import read_stream
from detectors import Scanner

R = date(2026, 11, 24)


def _docx(rows: list[list[str]]) -> bytes:
    import docx

    d = docx.Document()
    d.add_paragraph("Ansökan om parkeringstillstånd")
    t = d.add_table(rows=len(rows), cols=len(rows[0]))
    for r, row in enumerate(rows):
        for c, text in enumerate(row):
            t.cell(r, c).text = text
    buf = io.BytesIO()
    d.save(buf)
    return buf.getvalue()


def _records(data: bytes) -> dict[str, list[tuple[str, str]]]:
    loc = lambda c, i: Location("files", "t", c, i)  # noqa: E731
    out: dict[str, list[tuple[str, str]]] = {}
    for r in read_stream(io.BytesIO(data), "a.docx", container="a.docx", loc_factory=loc):
        if r.location.item.startswith("table"):
            assert r.structured
            out.setdefault(r.location.item, []).extend(r.fields)
    return out


def test_a_form_of_labels_and_values_is_one_record_named_by_its_labels() -> None:
    recs = _records(_docx([["Namn:", "Anna Berg", "Personnummer:", "811228-9874"],
                           ["E-post:", "anna.berg@example.se", "Mobil:", "701740605"],
                           ["Adress:", "Storgatan 1", "Telefon:", ""]]))
    assert recs == {"table 1": [("Namn", "Anna Berg"), ("Personnummer", "811228-9874"),
                                ("E-post", "anna.berg@example.se"), ("Mobil", "701740605"), ("Adress", "Storgatan 1")]}
    scanner = Scanner()
    found = {(m.kind, m.value) for f, t in recs["table 1"] for m in scanner.find(t, hint=f, ref_date=R)}
    assert ("phone", "+46701740605") in found and ("personnummer", "198112289874") in found


def test_labels_without_colons_name_the_values_row_by_row() -> None:
    recs = _records(_docx([["Personnummer", "811228-9874"], ["Mobil", "701740605"]]))
    assert recs == {"table 1 row 1": [("Personnummer", "811228-9874")], "table 1 row 2": [("Mobil", "701740605")]}


def test_a_table_with_a_header_is_unchanged() -> None:
    recs = _records(_docx([["Namn", "Mobil"], ["Anna Berg", "0701740605"], ["Bo Ek", "0701740606"]]))
    assert recs == {"table 1 row 2": [("Namn", "Anna Berg"), ("Mobil", "0701740605")],
                    "table 1 row 3": [("Namn", "Bo Ek"), ("Mobil", "0701740606")]}


def test_a_two_column_form_is_not_read_as_a_header_and_a_row() -> None:
    # the first row 'Namn: | Anna Berg' looked like a header above 'Personnummer: | 811228-9874'
    recs = _records(_docx([["Namn:", "Anna Berg"], ["Personnummer:", "811228-9874"], ["E-post:", "anna.berg@example.se"]]))
    assert recs == {"table 1": [("Namn", "Anna Berg"), ("Personnummer", "811228-9874"), ("E-post", "anna.berg@example.se")]}


def test_a_sheet_of_labels_and_values_is_one_record_named_by_its_labels() -> None:
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Kundkort"
    for row in (["Namn:", "Anna Berg"], ["Personnummer:", 309182640], [], ["E-post:", "anna.berg@example.se"],
                ["Mobil:", 701740605]):
        ws.append(row)
    buf = io.BytesIO()
    wb.save(buf)
    loc = lambda c, i: Location("files", "t", c, i)  # noqa: E731
    recs = [(r.location.item, r.fields) for r in read_stream(io.BytesIO(buf.getvalue()), "k.xlsx", container="k.xlsx", loc_factory=loc)
            if r.location.item.startswith("Kundkort")]
    assert recs == [("Kundkort:1-5", [("Namn", "Anna Berg"), ("Personnummer", "309182640"),
                                      ("E-post", "anna.berg@example.se"), ("Mobil", "701740605")])]
