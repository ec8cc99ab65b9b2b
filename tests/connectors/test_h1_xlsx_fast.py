"""The streaming XLSX reader (office._xlsx_rows) gives exactly the records of the openpyxl-cell reader.

Every workbook here is read twice, ``xlsx_records(..., fast=False)`` (openpyxl's
read-only cells, the reader before) and ``fast=True``, and the two must give the
same records, the same problems and the same error. Workbooks come from openpyxl
(normal and write-only mode) and from hand-written SpreadsheetML, for the cell
kinds openpyxl never writes (cached formula values, booleans, errors, rich text
runs, ISO dates, cells and rows without references) and for damaged sheets.
Fictional values only (valid check digits, example.se).
"""

from __future__ import annotations

import datetime as dt
import io
import re
import random
import zipfile
from typing import Any

import pytest

from connectors.base import ConnectorError, Location
from connectors.formats.core import Ctx, Limits
from connectors.formats import office
from connectors.formats.office import _digit_format, formatted_integer, xlsx_records
from connectors.formats.streams import Source

PNR = 198112289874  # fictional, valid check digit
PNR2 = 196408233234


def _openpyxl_cells(ctx: Any, ws: Any) -> Any:
    raise AssertionError("the fast reader fell back to openpyxl's cells")


def _read(data: bytes, fast: bool) -> tuple[list[Any], list[str], str | None]:
    """Records, problems and error of one reading; ``fast``: the sheets must not go through openpyxl's cells."""
    if fast:
        with pytest.MonkeyPatch.context() as mp:
            mp.setattr(office, "_sheet_records", _openpyxl_cells)
            return _read_with(data, True)
    return _read_with(data, False)


def _read_with(data: bytes, fast: bool) -> tuple[list[Any], list[str], str | None]:
    limits = Limits()
    ctx = Ctx("k.xlsx", lambda c, i: Location("files", "t", c, i), limits)
    src = Source(io.BytesIO(data), max_spool=limits.max_expanded_bytes, seekable=True)
    records: list[Any] = []
    error = None
    try:
        for rec in xlsx_records(ctx, src, fast=fast):
            records.append(rec)
    except ConnectorError as exc:
        error = str(exc)
    return records, list(ctx.problems.messages), error


def _as_openpyxl(new: list[Any], old: list[Any]) -> list[Any]:
    """``new`` with the one difference the fast reader makes on purpose undone: a date cell's number that no
    date can be is read as the number, where openpyxl gives "#VALUE!" (test_xlsx_date_overflow.py)."""
    if len(new) != len(old):
        return new
    out = []
    for n, o in zip(new, old):
        if len(n.fields) == len(o.fields) and any(t == "#VALUE!" for _, t in o.fields):
            fields = [(f, "#VALUE!" if ot == "#VALUE!" and f == of and re.fullmatch(r"[-+0-9.eE]+", t) else t)
                      for (f, t), (of, ot) in zip(n.fields, o.fields)]
            n = type(n)(n.location, fields, n.structured, n.ref_date, n.references, n.record_date, n.follows)
        out.append(n)
    return out


def _same(data: bytes) -> list[Any]:
    old = _read(data, False)
    new = _read(data, True)
    assert _as_openpyxl(new[0], old[0]) == old[0]  # records: locations, fields, texts
    assert new[1:] == old[1:]  # problems, error
    return new[0]


def _items(records: list[Any]) -> dict[str, list[tuple[str, str]]]:
    out: dict[str, list[tuple[str, str]]] = {}
    for r in records:
        out.setdefault(r.location.item, []).extend(r.fields)
    return out


# --- workbooks written by openpyxl ----------------------------------------------------------------


def _save(wb: Any) -> bytes:
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _rich_book(epoch_1904: bool = False) -> bytes:
    import openpyxl
    from openpyxl.comments import Comment
    from openpyxl.utils.datetime import CALENDAR_MAC_1904

    wb = openpyxl.Workbook()
    if epoch_1904:
        wb.epoch = CALENDAR_MAC_1904
    ws = wb.active
    ws.title = "Kunder"
    ws.append(["Namn", "Personnummer", "E-post", "Född", "Registrerad", "Tid", "Belopp", "Kundnr", "Aktiv"])
    ws.append(["Åsa Öberg", PNR, "asa.oberg@example.se", dt.date(1981, 12, 28), dt.datetime(2024, 5, 1, 8, 30),
               dt.time(13, 45, 10), 1234.5, 309182640, True])
    ws.append(["Bo Ek", float(PNR2), "bo.ek@example.se", dt.datetime(1964, 8, 23), dt.datetime(2020, 2, 29, 23, 59, 59),
               dt.timedelta(hours=26, minutes=3), -0.25, 701740605, False])
    ws.append([])  # an empty row
    ws.append(["Ünïcødé – 中文 🙂", 8112289874, None, None, dt.datetime(1900, 1, 1), dt.datetime(1900, 3, 1), 1e20, 0, None])
    ws.append(["  spaces  ", "198112289874", "tab\there", "line\nbreak", "", " ", 3.0, -5, "=not a formula text"])
    for row in ws.iter_rows(min_row=2, max_row=6):
        row[7].number_format = "000000-0000"
    ws["G2"].number_format = "#,##0.00"
    ws["C3"].number_format = '"0"##-### ## ##'
    ws["B5"].number_format = "0"
    ws["D2"].number_format = "yyyy-mm-dd"
    ws["F3"].number_format = "[h]:mm:ss"
    ws["A2"].comment = Comment("Ring 070-174 06 09", "handl@example.se")
    ws.merge_cells("A8:C9")
    ws["A8"] = "sammanslagen cell"
    ws["J12"] = "långt bort"  # empty rows and columns before it
    ws["Z3"] = "utanför rubriken"

    headerless = wb.create_sheet("Utan rubrik")
    for i in range(30):
        headerless.append([PNR + i * 10, f"person{i}@example.se", dt.date(2000, 1, 1) + dt.timedelta(days=i * 37), i / 7])

    card = wb.create_sheet("Kort")  # a small sheet of labels and values
    card.append(["Namn:", "Karin Holm"])
    card.append(["Personnummer:", PNR2])
    card.append(["E-post:", "karin.holm@example.se"])

    hidden = wb.create_sheet("Dold")
    hidden.sheet_state = "hidden"
    hidden.append(["Titel över tabellen"])
    hidden.append(["Namn", "Telefon", "Namn"])
    hidden.append(["Lisa", "070-174 06 05", "Lisa igen"])
    wb.create_sheet("Tom")
    wb.properties.creator = "Karin Chef"
    wb.properties.title = "Kundregister"
    return _save(wb)


def test_rich_workbook_same_records() -> None:
    records = _same(_rich_book())
    recs = _items(records)
    assert ("Personnummer", "198112289874") in recs["Kunder:2"]
    assert ("Personnummer", "196408233234") in recs["Kunder:3"]  # openpyxl writes the float without .0
    assert ("Kundnr", "030918-2640") in recs["Kunder:2"]
    assert ("Född", "1981-12-28") in recs["Kunder:2"]
    assert ("meta:author", "Karin Chef") in recs["meta"]
    assert "Kunder!A2 comment" in recs


def test_1904_date_system_same_records() -> None:
    records = _same(_rich_book(epoch_1904=True))
    assert ("Registrerad", "2024-05-01T08:30:00") in _items(records)["Kunder:2"]


def test_write_only_workbook_inline_strings_same_records() -> None:
    import openpyxl
    from openpyxl.cell import WriteOnlyCell

    wb = openpyxl.Workbook(write_only=True)
    ws = wb.create_sheet("Export")
    ws.append(["Namn", "Personnummer", "Född", "Kundnr"])
    for i in range(60):
        kundnr = WriteOnlyCell(ws, value=10_000 + i)
        kundnr.number_format = "000000-0000"
        ws.append([f"Person {i} ", PNR + i, dt.date(1970, 1, 1) + dt.timedelta(days=400 * i), kundnr])
    ws.append([" ", None, None, "  leading and trailing  "])
    assert len(_same(_save(wb))) == 62


@pytest.mark.parametrize("seed", range(6))
def test_random_grids_same_records(seed: int) -> None:
    import openpyxl

    rng = random.Random(seed)
    formats = ["General", "0", "0.00", "000000-0000", '"0"##-### ## ##', "yyyy-mm-dd", "yyyy-mm-dd hh:mm",
               "[h]:mm", "@", "#,##0", "0%", "mm:ss"]

    def value() -> Any:
        k = rng.randrange(12)
        return [None, rng.randrange(-10**6, 10**13), rng.uniform(-1e6, 1e6), float(rng.randrange(10**12)),
                f"text {rng.randrange(1000)} åäö", dt.date(1900 + rng.randrange(200), 1 + rng.randrange(12), 1),
                dt.datetime(1950, 1, 1) + dt.timedelta(seconds=rng.randrange(10**9)), rng.random() < 0.5,
                dt.time(rng.randrange(24), rng.randrange(60)), "", " ", rng.randrange(100)][k]

    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for s in range(1 + rng.randrange(3)):
        ws = wb.create_sheet(f"Blad{s + 1}")
        if rng.random() < 0.6:
            ws.append([f"Kolumn {c}" for c in range(rng.randrange(1, 8))])
        for r in range(rng.randrange(0, 40)):
            for c in range(rng.randrange(0, 10)):
                if rng.random() < 0.7:
                    cell = ws.cell(row=ws.max_row + (1 if c == 0 else 0) + rng.randrange(2), column=c + 1 + rng.randrange(3))
                    cell.value = value()
                    if rng.random() < 0.5:
                        cell.number_format = rng.choice(formats)
    _same(_save(wb))


# --- hand-written SpreadsheetML -----------------------------------------------------------------------

_NS = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" ' \
      'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"'
_STYLES = (
    f'<styleSheet {_NS}><numFmts count="3"><numFmt numFmtId="164" formatCode="000000-0000"/>'
    '<numFmt numFmtId="165" formatCode="yyyy-mm-dd"/><numFmt numFmtId="166" formatCode="[h]:mm:ss"/></numFmts>'
    '<fonts count="1"><font><sz val="11"/><name val="Calibri"/></font></fonts>'
    '<fills count="1"><fill><patternFill patternType="none"/></fill></fills>'
    '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
    '<cellStyleXfs count="1"><xf/></cellStyleXfs><cellXfs count="6"><xf numFmtId="0"/>'
    '<xf numFmtId="164" applyNumberFormat="1"/><xf numFmtId="165" applyNumberFormat="1"/>'
    '<xf numFmtId="14" applyNumberFormat="1"/><xf numFmtId="166" applyNumberFormat="1"/>'
    '<xf numFmtId="49" applyNumberFormat="1"/></cellXfs></styleSheet>'
)


def _package(sheets: dict[str, str], shared: list[str] | None = None, date1904: bool = False) -> bytes:
    """An XLSX package of hand-written parts: ``sheets`` maps a sheet name to its sheetData content
    (or a whole worksheet part when it has its sheetData tags); ``shared``: <si> bodies."""
    ct = ['<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
          '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
          '<Default Extension="xml" ContentType="application/xml"/>'
          '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
          '<Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>']
    rels = ['<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            '<Relationship Id="rIdS" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/>']
    pr = '<workbookPr date1904="1"/>' if date1904 else "<workbookPr/>"
    book = [f'<?xml version="1.0"?><workbook {_NS}>{pr}<sheets>']
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for n, (name, body) in enumerate(sheets.items(), start=1):
            ct.append(f'<Override PartName="/xl/worksheets/sheet{n}.xml" '
                      'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>')
            rels.append(f'<Relationship Id="rId{n}" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
                        f'relationships/worksheet" Target="worksheets/sheet{n}.xml"/>')
            book.append(f'<sheet name="{name}" sheetId="{n}" r:id="rId{n}"/>')
            part = body if "sheetData>" in body else f"<worksheet {_NS}><sheetData>{body}</sheetData></worksheet>"
            z.writestr(f"xl/worksheets/sheet{n}.xml", part)
        if shared is not None:
            ct.append('<Override PartName="/xl/sharedStrings.xml" '
                      'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>')
            rels.append('<Relationship Id="rIdT" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
                        'relationships/sharedStrings" Target="sharedStrings.xml"/>')
            z.writestr("xl/sharedStrings.xml", f'<sst {_NS}>' + "".join(f"<si>{s}</si>" for s in shared) + "</sst>")
        z.writestr("[Content_Types].xml", "".join(ct) + "</Types>")
        z.writestr("_rels/.rels", '<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/'
                   'package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/'
                   'officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>')
        z.writestr("xl/_rels/workbook.xml.rels", "".join(rels) + "</Relationships>")
        z.writestr("xl/workbook.xml", "".join(book) + "</sheets></workbook>")
        z.writestr("xl/styles.xml", _STYLES)
    return out.getvalue()


_SHARED = [
    "<t>Namn</t>", "<t>Personnummer</t>", "<t>Anteckning</t>",
    "<t>Anna Berg</t>",
    '<t xml:space="preserve">  Bo Ek  </t>',
    "<r><t>Karin </t></r><r><rPr><b/></rPr><t>Holm</t></r>",  # rich text runs
    "<t>Lisa</t><rPh sb=\"0\" eb=\"1\"><t>リサ</t></rPh><phoneticPr fontId=\"1\"/>",  # phonetic run, left out
    "<t>a_x005F_x000D_b &amp; &lt;c&gt;</t>",
    "<t/>",
    "<t>ring 070-174 06 09\nnär som helst</t>",
]

_CELLS = (
    '<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c><c r="C1" t="s"><v>2</v></c></row>'
    f'<row r="2"><c r="A2" t="s"><v>3</v></c><c r="B2"><v>{PNR}</v></c><c r="C2" t="s"><v>7</v></c></row>'
    '<row r="3"><c r="A3" t="s"><v>4</v></c><c r="B3" s="1"><v>309182640</v></c><c r="C3" t="s"><v>9</v></c></row>'
    '<row r="4"><c r="A4" t="s"><v>5</v></c><c r="B4"><f>A1*2</f><v>198112289874.0</v></c>'
    '<c r="C4" t="str"><f>CONCAT("a";"b")</f><v>ab &amp; c</v></c></row>'
    '<row r="5"><c r="A5" t="s"><v>6</v></c><c r="B5" t="e"><v>#N/A</v></c><c r="C5" t="b"><v>1</v></c></row>'
    '<row r="6"><c r="A6" t="inlineStr"><is><t>Inline Åsa</t></is></c><c r="B6" t="inlineStr"><is><r><t>rik </t></r>'
    '<r><rPr><i/></rPr><t>text</t></r></is></c><c r="C6" t="inlineStr"><is><t xml:space="preserve"> kant </t></is></c></row>'
    '<row r="7"><c r="A7" s="2"><v>29948</v></c><c r="B7" s="3"><v>45412.5</v></c><c r="C7" s="4"><v>1.25</v></c></row>'
    '<row r="8"><c r="A8" t="d"><v>2024-05-01T08:30:00</v></c><c r="B8" t="d"><v>1981-12-28</v></c>'
    '<c r="C8" t="n"><v>1E+3</v></c></row>'
    '<row r="9"><c r="A9" t="s"><v>8</v></c><c r="B9" s="5"><v>00123</v></c><c r="C9"/></row>'
    '<row><c t="s"><v>3</v></c><c><v>12</v></c><c r="E10"><v>5</v></c><c><v>6</v></c></row>'  # no references
    '<row r="12" spans="1:3" ht="20" customHeight="1"><c r="C12"><v>1</v></c><c r="A12"><v>2</v></c></row>'  # out of order
    '<row r="12"><c r="A12"><v>99</v></c></row>'  # a repeated row number: openpyxl skips it
    '<row r="11"><c r="A11"><v>98</v></c></row>'  # a row number going back: skipped too
    '<row r="14"><c r="B14" s="1"><v>-5</v></c><c r="C14" s="1"><v>12.0</v></c><c r="D14" s="1"><v>1.5</v></c></row>'
    '<row r="15"><c r="A15" t="inlineStr"/><c r="B15" t="s"/><c r="C15" t="b"><v>0</v></c><c r="D15"><v></v></c></row>'
    '<row r="16.0"><c r="A16" t="s"><v>3</v></c></row>'
    '<row r="17"/>'
    '<row r="18"><c r="A18" t="x"><v>odd type</v></c><c r="AA18" t="s"><v>4</v></c></row>'
    '<row r="19"><c r="A19" s="2"><v>1.25</v></c><c r="B19" s="4"><v>1.25</v></c><c r="C19" s="3"><v>1.25</v></c>'
    '<c r="D19" s="2"><v>0.5</v></c><c r="E19" s="2"><v>59</v></c><c r="F19" s="2"><v>61</v></c></row>'
)


@pytest.mark.parametrize("date1904", [False, True])
def test_cell_kinds_same_records(date1904: bool) -> None:
    records = _same(_package({"Data": _CELLS, "Kort": '<row r="1"><c r="A1" t="s"><v>1</v></c>'
                              f'<c r="B1"><v>{PNR2}</v></c></row>'}, _SHARED, date1904))
    recs = _items(records)
    assert ("Personnummer", "198112289874.0") in recs["Data:4"]  # a formula's cached value
    assert ("Anteckning", "ab & c") in recs["Data:4"]
    assert ("Namn", "Karin Holm") in recs["Data:4"]  # rich text runs joined
    assert ("Personnummer", "#N/A") in recs["Data:5"]


def test_sheet_with_other_parts_same_records() -> None:
    sheet = (f'<worksheet {_NS}><sheetPr><tabColor rgb="FF00FF00"/></sheetPr><dimension ref="A1:C3"/>'
             '<sheetViews><sheetView workbookViewId="0"/></sheetViews><sheetFormatPr defaultRowHeight="15"/>'
             '<cols><col min="1" max="2" width="20" customWidth="1"/></cols>'
             '<sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>Namn</t></is></c>'
             '<c r="B1" t="inlineStr"><is><t>Personnummer</t></is></c></row>'
             f'<row r="2"><c r="A2" t="inlineStr"><is><t>Anna</t></is></c><c r="B2"><v>{PNR}</v></c></row></sheetData>'
             '<mergeCells count="1"><mergeCell ref="A3:B3"/></mergeCells>'
             '<hyperlinks><hyperlink ref="A2" r:id="rId9"/></hyperlinks>'
             '<pageMargins left="0.7" right="0.7" top="0.75" bottom="0.75" header="0.3" footer="0.3"/>'
             '<headerFooter><oddHeader>Konfidentiellt</oddHeader></headerFooter></worksheet>')
    assert len(_same(_package({"Blad1": sheet}))) == 3  # meta, row 2 and the page header (test_redteam5_files_xlsx_headers)


def test_many_rows_and_columns_same_records() -> None:
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append([f"Kolumn {c}" for c in range(40)])
    for i in range(400):
        ws.append([PNR + i if c == 0 else (f"v{i}-{c}" if c % 3 else i * c / 3) for c in range(40)])
    records = _same(_save(wb))
    assert len(records) == 1 + 400  # meta and the rows


# --- damaged sheets: the same problems and errors -------------------------------------------------------


@pytest.mark.parametrize("body", [
    '<row r="1"><c r="A1" t="s"><v>0</v></c></row><row r="2"><c r="A2" t="s"><v>99</v></c></row>',  # no such string
    '<row r="1"><c r="A1" s="42"><v>1</v></c></row>',  # no such style
    '<row r="1"><c r="A1" s="x"><v>1</v></c></row>',  # a style that is no number
    '<row r="1"><c r="A1" s=""><v>1</v></c></row>',
    '<row r="x"><c r="A1"><v>1</v></c></row>',  # a row number that is no number
    '<row r="1.5"><c r="A1"><v>1</v></c></row>',
    '<row r="1"><c r="1A"><v>1</v></c></row>',  # a reference the wrong way round
    '<row r="1"><c r="A"><v>1</v></c></row>',
    '<row r="1"><c r="A1"><v>1,5</v></c></row>',  # a number that is not one
    '<row r="1"><c r="A1" t="b"><v>yes</v></c></row>',
    '<row r="1"><c r="A1" t="d"><v>not a date</v></c></row>',
    # (a date out of range is read as its number, where openpyxl's cells give #VALUE!: test_xlsx_date_overflow.py)
    '<row r="1"><c r="A1" t="inlineStr"><is foo="1"><t>x</t></is></c></row>',
])
def test_damaged_cells_same_problems(body: str) -> None:
    rows = "".join(f'<row r="{n}"><c r="A{n}" t="s"><v>3</v></c><c r="B{n}"><v>{PNR}</v></c></row>' for n in range(2, 30))
    _same(_package({"Trasig": body.replace('r="1"', 'r="40"').replace("A1", "A40") + rows, "Hel": rows}, _SHARED))
    _same(_package({"Trasig": rows + body.replace('r="1"', 'r="40"').replace("A1", "A40"), "Hel": rows}, _SHARED))


@pytest.mark.parametrize("cut", [200, 900, 2000, -30])
def test_truncated_sheet_same_problems(cut: int) -> None:
    data = _package({"Blad1": "".join(f'<row r="{n}"><c r="A{n}" t="s"><v>3</v></c><c r="B{n}"><v>{PNR}</v></c></row>'
                                      for n in range(1, 200)), "Blad2": _CELLS}, _SHARED)
    zin = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        for info in zin.infolist():
            part = zin.read(info)
            if info.filename == "xl/worksheets/sheet1.xml":
                part = part[:cut] + b"<<garbage" + part[cut:]
            z.writestr(info.filename, part)
    _same(out.getvalue())


def test_not_a_workbook_same_error() -> None:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("xl/workbook.xml", "<workbook/>")
    old, new = _read(out.getvalue(), False), _read(out.getvalue(), True)
    assert old == new and old[2]


def test_bad_shared_string_table_same_error() -> None:
    data = _package({"Blad1": '<row r="1"><c r="A1" t="s"><v>0</v></c></row>'}, ["<t>a</t>", "<t>b</t"])
    old, new = _read(data, False), _read(data, True)
    assert old == new and old[2]


# --- the digits-only number formats -----------------------------------------------------------------


def test_digit_format_as_formatted_integer() -> None:
    rng = random.Random(7)
    values = [0, 1, 7, 42, 123, 99999, 309182640, 701740605, 8112289874, PNR] + [rng.randrange(10 ** rng.randrange(1, 14))
                                                                                   for _ in range(500)]
    for fmt in ["000000-0000", '"0"##-### ## ##', "#,##0", "0", "0000", "###", "#0", '"10"-', "(000) 000",
                "0\\-0", '"%"00', "0;-0", "General", "0.00", "# ### ##0", "00 00 #", "@"]:
        parsed = _digit_format(fmt)
        for v in values:
            assert (parsed.text(v) if parsed is not None else None) == formatted_integer(v, fmt), (fmt, v)


# --- bounded memory -------------------------------------------------------------------------------------


def _rows_peak(n: int) -> int:
    import tracemalloc

    import openpyxl

    rows = "".join(f'<row r="{i}"><c r="A{i}" t="s"><v>3</v></c><c r="B{i}"><v>{PNR}</v></c>'
                   f'<c r="C{i}" s="2"><v>{20000 + i % 9}</v></c></row>' for i in range(1, n + 1))
    wb = openpyxl.load_workbook(io.BytesIO(_package({"Blad1": rows}, _SHARED)), read_only=True, data_only=True)
    tracemalloc.start()
    try:
        count = sum(1 for _ in office._xlsx_rows(wb, wb.worksheets[0]))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
        wb.close()
    assert count == n
    return peak


def test_memory_does_not_grow_with_the_rows() -> None:
    small, big = _rows_peak(5_000), _rows_peak(40_000)
    assert big < small * 1.5 + 200_000, (small, big)


@pytest.mark.parametrize("where", ["before", "after"])
def test_damaged_sheet_with_or_without_dimension_same_problems(where: str) -> None:
    # openpyxl looks for the dimension when it loads the workbook: a sheet damaged before it (or with
    # none) fails the workbook, one damaged after it only its own rows
    rows = "".join(f'<row r="{n}"><c r="A{n}" t="s"><v>3</v></c><c r="B{n}"><v>{PNR}</v></c></row>' for n in range(1, 50))
    dim = '<dimension ref="A1:B49"/>'
    body = f"<worksheet {_NS}>{dim if where == 'before' else ''}<sheetData>{rows[:900]}<<{rows[900:]}</sheetData>" \
           f"{dim if where == 'after' else ''}</worksheet>"
    old = _read(_package({"Blad1": body, "Blad2": rows}, _SHARED), False)
    assert _same(_package({"Blad1": body, "Blad2": rows}, _SHARED)) == old[0]
    assert bool(old[2]) == (where == "after")  # the workbook fails, or only the sheet


# --- big sheets: rows after the first read are read from their bytes (office._SheetPull) ----------

_X14AC = "http://schemas.microsoft.com/office/spreadsheetml/2009/9/ac"


def _big_rows(n: int, start: int = 1) -> str:
    kinds = [
        lambda r: f'<c r="A{r}" t="s"><v>{r % len(_SHARED)}</v></c>',
        lambda r: f'<c r="B{r}"><v>{PNR + r}</v></c>',
        lambda r: f'<c r="C{r}" s="1"><v>{309182640 + r}</v></c>',
        lambda r: f'<c r="D{r}" s="2"><v>{20000 + r % 5000}</v></c>',
        lambda r: f'<c r="E{r}" s="3"><v>{40000 + r / 7:.6f}</v></c>',
        lambda r: f'<c r="F{r}" s="4"><v>{r / 13}</v></c>',
        lambda r: f'<c r="G{r}" t="str"><f>A1&amp;B1</f><v>x &amp; y {r} &#229; &quot;</v></c>',
        lambda r: f'<c r="H{r}" t="e"><v>#N/A</v></c>',
        lambda r: f'<c r="I{r}" t="b"><v>{r % 2}</v></c>',
        lambda r: f'<c r="J{r}" t="inlineStr"><is><t xml:space="preserve"> Åsa {r} &lt;x&gt; </t></is></c>',
        lambda r: f'<c r="K{r}" t="inlineStr"><is><t>&#246;sten\nrad två</t></is></c>',
        lambda r: f'<c r="L{r}"><f t="shared" ref="L1:L9" si="0">B1*2</f><v>{r}.5</v></c>',
        lambda r: f'<c r="M{r}" s="5"><v>00123</v></c>',
        lambda r: f'<c r="N{r}"/>',
        lambda r: f'<c r="O{r}" t="n"><v>1E+3</v></c>',
        lambda r: f'<c r="P{r}" t="inlineStr"><is><t></t></is></c>',
        lambda r: f'<c r="Q{r}" t="s"/>',
        lambda r: f'<c r="Z{r}" t="s"><v>3</v></c>',
        lambda r: f'<c r="AB{r}" s="0"><v>{r}</v></c>',
    ]
    out = []
    for r in range(start, start + n):
        attrs = ' spans="1:28" x14ac:dyDescent="0.25"' if r % 3 else ' ht="20" customHeight="1"'
        cells = "".join(k(r) for i, k in enumerate(kinds) if (r + i) % 4)
        out.append(f'<row r="{r}"{attrs}>{cells}</row>' if r % 50 else f'<row r="{r}"{attrs}/>')
    return "".join(out)


def _big_sheet(rows: str, before: str = "", after: str = "") -> str:
    return (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<worksheet {_NS} xmlns:x14ac="{_X14AC}">'
            f'<dimension ref="A1:AB2000"/><sheetFormatPr defaultRowHeight="15"/>{before}<sheetData>{rows}</sheetData>'
            f'{after}<pageMargins left="0.7" right="0.7" top="0.75" bottom="0.75" header="0.3" footer="0.3"/></worksheet>')


def _count_plain_rows(data: bytes) -> int:
    seen = [0]
    real = office._plain_row

    def counting(*args: Any) -> bool:
        ok = real(*args)
        seen[0] += ok
        return ok

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(office, "_plain_row", counting)
        _read(data, True)
    return seen[0]


def test_big_sheet_rows_read_from_their_bytes_same_records() -> None:
    header = '<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c><c r="C1" t="s"><v>2</v></c></row>'
    data = _package({"Stor": _big_sheet(header + _big_rows(1500, start=2)), "Liten": _CELLS}, _SHARED)
    records = _same(data)
    assert len(records) > 1400
    assert _count_plain_rows(data) > 1000  # most rows took the short way


@pytest.mark.parametrize("date1904", [False, True])
def test_big_openpyxl_workbook_same_records(date1904: bool) -> None:
    import openpyxl
    from openpyxl.utils.datetime import CALENDAR_MAC_1904

    wb = openpyxl.Workbook()
    if date1904:
        wb.epoch = CALENDAR_MAC_1904
    ws = wb.active
    ws.append(["Namn", "Personnummer", "Född", "Registrerad", "Belopp", "Kundnr", "Aktiv", "Anteckning"])
    for i in range(2000):
        ws.append([f"Namn {i} Öberg", PNR + i, dt.date(1950, 1, 1) + dt.timedelta(days=i * 7),
                   dt.datetime(2020, 1, 1, 8) + dt.timedelta(minutes=i * 97), i * 1.25, 10_000 + i, i % 3 == 0,
                   "" if i % 5 else f"rad {i} <&> \"citat\""])
        ws.cell(row=i + 2, column=6).number_format = "000000-0000"
    data = _save(wb)
    _same(data)
    assert _count_plain_rows(data) > 1000


_PLAIN = _big_rows(600, start=1)
_AT = _PLAIN.index('<row r="400"')


@pytest.mark.parametrize("insert", [
    "<<",  # not XML
    '<!-- <row r="999"><c r="A999" t="s"><v>3</v></c></row> -->',  # a row in a comment is no row
    '<!-- <row r="998"><c r="A998"><v>1</v></c></row><row r="999"><c r="A999" t="s"><v>3</v></c></row> -->',
    '<?pi <row r="998"><c r="A998"><v>1</v></c></row><row r="999"><c r="A999"><v>3</v></c></row> ?>',
    '<row r="401"><c r="A401" t="s"><v>&#49;</v></c><c r="B401" t="b"><v>&#49;</v></c></row>',
    '<row r="401"><c r="A401"><v><![CDATA[12]]></v></c></row>',
    "\n  \n",  # whitespace between rows
    '<row r="401" foo:bar="1"><c r="A401"><v>1</v></c></row>',  # an undeclared prefix
    '<row r="401" ht="1" ht="2"><c r="A401"><v>1</v></c></row>',  # an attribute twice
    '<row r="401"><c r="A401" t="inlineStr"><is><t>tr\xff\xfe</t></is></c></row>',  # not UTF-8 (see below)
    '<row r="401"><c r="A401" t="inlineStr"><is><t>x&#1;y</t></is></c></row>',  # a character XML does not allow
    '<row r="401"><c r="A401" t="inlineStr"><is><t>x&#xD;y &#x1F600;</t></is></c></row>',
    '<row r="401" xmlns="urn:annan"><c r="A401"><v>1</v></c></row>',  # not a SpreadsheetML row
    '<row r="401" xmlns:y="urn:y" y:z="1"><c r="A401"><v>1</v></c></row>',
    '<row r="x"><c r="A401"><v>1</v></c></row>',
    '<row r="401"><c r="A401" t="s"><v>9999</v></c></row>',  # no such shared string
    '<row r="401"><c r="A401" s="42"><v>1</v></c></row>',  # no such style
    '<row r="401"><c r="A401"><v>&#49;2</v></c></row>',  # a character reference in a number
    '<row r="401"><c r="A401" t="n"><v>\u0661\u0662</v></c></row>',  # digits Python reads, not ASCII
    '<row r="399"><c r="A399" t="s"><v>3</v></c></row><row r="5"><c r="A5" t="s"><v>4</v></c></row>',  # back
    '<row r="401"><c r="A401"><v>1</v></c><c r="A401"><v>2</v></c><c r="AZ401"><v>3</v></c></row>',
    '<row r="401"><c r="B401"><v>1</v></c><c r="A401"><v>2</v></c></row>',  # cells out of order
    '<row r="401"><c r="A401"><v>1</v></c>text between<c r="B401"><v>2</v></c></row>',
    '<row r="401"><c r="A401"><v>1</v></c><x/><c><v>2</v></c></row>',  # an element openpyxl counts as a cell
    '<row r="401"><c r="A401"><v>1</v></c></row ><row r="402" ><c r="A402"><v>2</v></c></row>',
    '<row r="401"><c r="A401"><is><t>inline in a number cell</t></is></c></row>',
    '<row r="401"><c r="A401" t="inlineStr"><v>1</v></c></row>',
    "</sheetData><sheetData>",  # a second sheetData
    '<foo xmlns="urn:x"><row r="401"><c r="A401"><v>1</v></c></row><row r="402"><c r="A402"><v>2</v></c></row></foo>',
    '<foo><row r="401"><c r="A401"><v>1</v></c></row><row r="402"><c r="A402"><v>2</v></c></row></foo>',
])
def test_big_sheet_damaged_or_odd_same_problems(insert: str) -> None:
    rows = _PLAIN[:_AT] + insert + _PLAIN[_AT:]
    part = _big_sheet(rows)
    data = _package({"Blad1": part, "Blad2": _CELLS}, _SHARED)
    if "\xff" in insert:  # raw bytes that are not UTF-8
        out = io.BytesIO()
        with zipfile.ZipFile(io.BytesIO(data)) as zin, zipfile.ZipFile(out, "w") as zout:
            for info in zin.infolist():
                body = zin.read(info)
                if info.filename == "xl/worksheets/sheet1.xml":
                    body = body.replace("tr\xff\xfe".encode(), b"tr\xff\xfe")
                zout.writestr(info.filename, body)
        data = out.getvalue()
    _same(data)


@pytest.mark.parametrize("head", [
    f'<worksheet xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main">',  # a prefix for the main namespace
    f"<!-- written by hand --><worksheet {_NS}>",
    f'<worksheet {_NS}><sheetPr xmlns:q="urn:q"/>',
])
def test_big_sheet_other_heads_same_records(head: str) -> None:
    rows = _big_rows(400)
    if head.startswith("<worksheet xmlns:x"):
        rows = rows.replace("<row", "<x:row").replace("</row>", "</x:row>").replace("<c ", "<x:c ").replace(
            "</c>", "</x:c>").replace("<v>", "<x:v>").replace("</v>", "</x:v>").replace(' x14ac:dyDescent="0.25"', "")
        rows = rows.replace("<is>", "<x:is>").replace("</is>", "</x:is>").replace("<t>", "<x:t>").replace(
            "<t ", "<x:t ").replace("</t>", "</x:t>").replace("<f>", "<x:f>").replace("<f ", "<x:f ").replace("</f>", "</x:f>")
        part = f"{head}<x:sheetData>{rows}</x:sheetData></worksheet>"
    else:
        part = f'{head.replace(f"<worksheet {_NS}>", f"<worksheet {_NS} xmlns:x14ac={chr(34)}{_X14AC}{chr(34)}>")}' \
               f"<sheetData>{rows}</sheetData></worksheet>"
    _same(_package({"Blad1": part}, _SHARED))


def test_big_sheet_in_latin1_same_records() -> None:
    # bytes that read as UTF-8 too ("Ã¥" in ISO-8859-1 is "å" in UTF-8): the declared encoding decides
    part = _big_sheet(_big_rows(400)).replace('encoding="UTF-8"', 'encoding="ISO-8859-1"').replace("Åsa", "Ã¥sa")
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(_package({"Blad1": "<sheetData>"}, _SHARED))) as zin, zipfile.ZipFile(out, "w") as z:
        for info in zin.infolist():
            z.writestr(info.filename, part.encode("latin-1") if info.filename == "xl/worksheets/sheet1.xml" else zin.read(info))
    records = _same(out.getvalue())
    assert any("Ã¥sa" in t for r in records for _, t in r.fields)
