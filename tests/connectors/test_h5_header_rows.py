"""A table's first row taken for its header is never scanned as data: a headerless table whose first row is text.

``looks_like_header`` (connectors/formats/core.py) took a first row of
text cells for a header where every cell read like a name, so a headerless
CSV, sheet or document table whose first row held a phone number or an
e-mail address inside text (``Ring på 070-123 45 67 efter lunch``, ``anna at
example dot se``) lost that row: its cells became the names of the columns
below and were never scanned as values. A cell holding an identifier's shape
is no column name; and a header of text columns (no column of data-like values
below it: the reader cannot tell it from a row of notes) is read as a row of
data too where a cell holds a digit.

All values are fictional (PTS fiction numbers, example.se addresses).
"""

from __future__ import annotations

import io

import pytest

from connectors.base import Location, Record
from connectors.formats import read_stream
from connectors.formats.core import holds_identifier, looks_like_header
from detectors import Scanner
from tests.connectors.fileutil import xlsx_bytes

SCANNER = Scanner()


def _loc(container: str, item: str) -> Location:
    return Location("files", "t", container, item)


def _records(data: bytes, name: str) -> list[Record]:
    return [r for r in read_stream(io.BytesIO(data), name, container=name, loc_factory=_loc) if r.location.item != "meta"]


def _found(records: list[Record]) -> set[tuple[str, str, str]]:
    """(item, kind, value) of everything the scanner finds in the records, each field with its name as hint."""
    return {(r.location.item, m.kind, m.value) for r in records for f, t in r.fields for m in SCANNER.find(t, hint=f)}


def _names(records: list[Record]) -> set[str]:
    return {f for r in records for f, _ in r.fields}


NOTES = [
    ["Anna Berg", "Ring på 070-174 06 05 efter lunch", "Malmö"],
    ["Bo Ek", "Ny kund", "Lund"],
    ["Cilla Ny", "Gammal kund", "Ystad"],
]
MAILS = [["Anna Berg", "anna at example dot se"], ["Bo Ek", "bo at example dot se"], ["Cilla Ny", "cilla at example dot se"]]


def _csv(rows: list[list[str]], sep: str = ";") -> bytes:
    return "".join(sep.join(r) + "\n" for r in rows).encode()


@pytest.mark.parametrize("cell", ["Ring på 070-174 06 05 efter lunch", "pnr 811228 9874", "Konto 5839 8257466",
                                  "anna at example dot se", "anna(at)example.se", "Bankgiro 5402-9681"])
def test_a_cell_holding_an_identifier_is_no_column_name(cell: str) -> None:
    assert holds_identifier(cell)
    assert not looks_like_header(["Anna Berg", cell, "Malmö"], [["Bo Ek", "Ny kund", "Lund"]])


@pytest.mark.parametrize("cell", ["Telefon 2", "Adress 1", "Saldo per 2024-05-01", "Försäljning 2023/2024", "Kvartal 1 2024",
                                  "Belopp (SEK)", "E-post", "Kund sedan", "Org.nr", "Perioden 2023-2024"])
def test_column_names_with_numbers_are_still_names(cell: str) -> None:
    assert not holds_identifier(cell)
    assert looks_like_header(["Namn", cell], [["Anna Berg", "12"], ["Bo Ek", "7"]])


def test_a_headerless_csv_whose_first_row_holds_a_phone_number_in_text() -> None:
    recs = _records(_csv(NOTES), "kunder.csv")
    assert ("1", "phone", "+46701740605") in _found(recs)
    assert not any(any(c.isdigit() for c in n) for n in _names(recs) - {"column 1", "column 2", "column 3"})


def test_a_headerless_csv_of_written_out_addresses() -> None:
    recs = _records(_csv(MAILS, ","), "kunder.csv")
    assert ("1", "email", "anna@example.se") in _found(recs)
    assert not any("example" in n for n in _names(recs))


def test_a_headerless_sheet_whose_first_row_holds_a_phone_number_in_text() -> None:
    recs = _records(xlsx_bytes({"Kunder": NOTES}), "kunder.xlsx")
    assert ("Kunder:1", "phone", "+46701740605") in _found(recs)
    assert not any("070" in n for n in _names(recs))


def _docx(rows: list[list[str]]) -> bytes:
    import docx

    d = docx.Document()
    t = d.add_table(rows=len(rows), cols=len(rows[0]))
    for r, row in enumerate(rows):
        for c, text in enumerate(row):
            t.cell(r, c).text = text
    buf = io.BytesIO()
    d.save(buf)
    return buf.getvalue()


def test_a_headerless_document_table() -> None:
    recs = _records(_docx(NOTES), "kunder.docx")
    assert ("phone", "+46701740605") in {(k, v) for _, k, v in _found(recs)}
    assert not any("070" in n for n in _names(recs))


# --- a header the reader cannot be sure of is read as data too ---------------------------------

UNSURE = [["Anna Berg", "Ring växeln på 08 - 12 34 56", "Malmö"], ["Bo Ek", "Ny kund", "Lund"], ["Cilla Ny", "Gammal kund", "Ystad"]]


def test_an_unsure_header_with_a_number_is_scanned_as_a_row_too() -> None:
    # "08 - 12 34 56" has no run of seven digits, but the row is shaped as the rows below it
    # (a name, a note, a place): it is read as data (H2: no longer taken for a header as well)
    assert not looks_like_header(UNSURE[0], UNSURE[1:])
    recs = _records(_csv(UNSURE), "kunder.csv")
    assert ("1", "phone", "+468123456") in _found(recs)
    sheet = _records(xlsx_bytes({"Kunder": UNSURE}), "kunder.xlsx")
    assert ("Kunder:1", "phone", "+468123456") in _found(sheet)
    table = _records(_docx(UNSURE), "kunder.docx")
    assert ("table 1 row 1", "phone", "+468123456") in _found(table)


def test_a_sure_header_is_no_record() -> None:
    # a column of data-like values below a name: the first row is a header, and no row of data
    rows = [["Namn", "Telefon 1", "Telefon 2"], ["Anna Berg", "070-174 06 05", ""], ["Bo Ek", "070-174 06 06", "08-123 456 78"]]
    recs = _records(_csv(rows), "kunder.csv")
    assert [r.location.item for r in recs] == ["2", "3"]
    assert {"Namn", "Telefon 1", "Telefon 2"} == _names(recs)
    sheet = _records(xlsx_bytes({"Kunder": rows}), "kunder.xlsx")
    assert [r.location.item for r in sheet] == ["Kunder:2", "Kunder:3"]


def test_a_header_of_text_columns_without_digits_is_no_record() -> None:
    rows = [["Namn", "Ort", "Kommentar"], ["Anna Berg", "Malmö", "Ny kund"], ["Bo Ek", "Lund", "Gammal kund"]]
    recs = _records(_csv(rows), "kunder.csv")
    assert [r.location.item for r in recs] == ["2", "3"]
    assert _names(recs) == {"Namn", "Ort", "Kommentar"}
