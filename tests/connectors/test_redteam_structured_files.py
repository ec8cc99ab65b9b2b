"""Red-team findings on structured files (file share estates): JSON keys that name a field.

Fictional values only (generated with valid check digits).
"""

from __future__ import annotations

import io
import json
from datetime import date

import pytest

from connectors.base import Location
from connectors.formats import read_stream
from connectors.formats.core import flatten
from detectors import Scanner

R = date(2026, 11, 24)
# Keys as spreadsheet and BI exports write them: words with spaces and punctuation.
ROW = {
    "Kund id": 7,
    "Telefon nr": "701234567",  # lost leading zero: only a phone field repairs it
    "Kontonummer (clearing + konto)": "5839 8257466",
    "Personnummer (kund)": "309182640",  # lost leading zero of 0309182640
    "19640823-3234": "a key that is data",
}


def _loc(container: str, item: str) -> Location:
    return Location("files", "t", container, item)


def _fields(data: bytes, name: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for r in read_stream(io.BytesIO(data), name, container=name, loc_factory=_loc):
        out.update(r.fields)
    return out


DOCS = {
    "rows.jsonl": (json.dumps(ROW, ensure_ascii=False) + "\n").encode(),
    "rows.json": json.dumps([ROW], ensure_ascii=False).encode(),
    "export.json": json.dumps({"rows": [ROW]}, ensure_ascii=False).encode(),
}


@pytest.mark.parametrize("name", sorted(DOCS))
def test_a_key_with_spaces_names_its_field(name: str) -> None:
    fields = _fields(DOCS[name], name)
    assert fields['$["Telefon nr"]'] == "701234567"
    assert fields['$["Kontonummer (clearing + konto)"]'] == "5839 8257466"
    assert fields['$["Kund id"]'] == "7"
    # a key that may be data is still addressed by position and scanned as a field of its own
    assert "19640823-3234" in fields.values()
    assert not any("19640823" in f for f in fields)


def test_flatten_names_a_key_with_spaces() -> None:
    got = dict(flatten("$", {"kontakt": {"Telefon nr": "x", "anna@example.se": "y"}}))
    assert got['$.kontakt["Telefon nr"]'] == "x"
    assert got["$.kontakt{#1}{key}"] == "anna@example.se"


@pytest.mark.parametrize("name", sorted(DOCS))
def test_the_field_name_is_the_hint_the_detectors_need(name: str) -> None:
    scanner = Scanner()
    found = {(m.kind, m.value) for f, t in _fields(DOCS[name], name).items() for m in scanner.find(t, hint=f, ref_date=R)}
    assert ("phone", "+46701234567") in found
    assert ("bank_account", "5839-8257466") in found
    assert ("personnummer", "200309182640") in found


# --- tables with lines before the header ------------------------------------------------------------

PREAMBLES = {
    # Excel's delimiter directive, written by "Save as CSV" in many locales
    "sep.csv": "sep=;\nNamn;Personnummer;Mobil\nAnna Berg;501011233;701234567\n",
    # a comment or title line, and a blank line, above the header
    "kommentar.csv": "# Export från CRM 2024-05-01\nNamn;Personnummer;Mobil\nAnna Berg;501011233;701234567\n",
    "titel.csv": "Kundlista\n\nNamn;Personnummer;Mobil\nAnna Berg;501011233;701234567\nBo Ek;;701234568\n",
    # both: Excel's directive, then a title row (its empty cells too) above the header
    "sep_titel.csv": "sep=;\nKampanjutskick maj 2024;;\nNamn;Personnummer;Mobil\nAnna Berg;501011233;701234567\n",
}


@pytest.mark.parametrize("name", sorted(PREAMBLES))
def test_a_header_below_a_title_or_sep_line_names_the_columns(name: str) -> None:
    recs = list(read_stream(io.BytesIO(PREAMBLES[name].encode()), name, container=name, loc_factory=_loc))
    rows = {r.location.item: dict(r.fields) for r in recs}
    data_line = str(PREAMBLES[name].splitlines().index("Anna Berg;501011233;701234567") + 1)
    assert rows[data_line] == {"Namn": "Anna Berg", "Personnummer": "501011233", "Mobil": "701234567"}
    header_line = str(int(data_line) - 1)
    assert header_line not in rows  # the header is not a record
    scanner = Scanner()
    found = {(m.kind, m.value) for f, t in rows[data_line].items() for m in scanner.find(t, hint=f, ref_date=R)}
    assert found == {("personnummer", "200501011233"), ("phone", "+46701234567")}


def test_a_title_line_is_still_read() -> None:
    text = "Export av anna.berg@example.se\nNamn;Personnummer\nAnna Berg;811228-9874\n"
    recs = list(read_stream(io.BytesIO(text.encode()), "t.csv", container="t.csv", loc_factory=_loc))
    assert [(r.location.item, r.fields) for r in recs] == [
        ("1", [("column 1", "Export av anna.berg@example.se")]),
        ("3", [("Namn", "Anna Berg"), ("Personnummer", "811228-9874")]),
    ]


def test_a_table_without_preamble_is_unchanged() -> None:
    text = "Anna Berg;811228-9874;070-123 45 67\nErik Lund;680303-5572;073-987 65 43\n"
    recs = list(read_stream(io.BytesIO(text.encode()), "u.csv", container="u.csv", loc_factory=_loc))
    assert [r.location.item for r in recs] == ["1", "2"]
    assert [f for f, _ in recs[0].fields] == ["column 1", "column 2", "column 3"]


def _xlsx(rows: list[list[object]]) -> bytes:
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Kunder"
    for r in rows:
        ws.append(r)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def test_a_sheet_header_below_a_title_row_names_the_columns() -> None:
    # numbers as a spreadsheet keeps them: leading zeros lost, so only the column name tells
    data = _xlsx([["Kundlista export 2024-05-01"], [], ["Namn", "Personnummer", "Mobil"],
                  ["Anna Berg", 501011233, 701234567], ["Erik Lund", 198112289874, 46701234568]])
    recs = list(read_stream(io.BytesIO(data), "k.xlsx", container="k.xlsx", loc_factory=_loc))
    rows = {r.location.item: r.fields for r in recs if r.location.item.startswith("Kunder:")}
    assert rows["Kunder:1"] == [("Kunder!A1", "Kundlista export 2024-05-01")]
    assert "Kunder:3" not in rows
    assert rows["Kunder:4"] == [("Namn", "Anna Berg"), ("Personnummer", "501011233"), ("Mobil", "701234567")]
    scanner = Scanner()
    found = {(m.kind, m.value) for item in ("Kunder:4", "Kunder:5") for f, t in rows[item]
             for m in scanner.find(t, hint=f, ref_date=R)}
    assert found == {("personnummer", "200501011233"), ("phone", "+46701234567"),
                     ("personnummer", "198112289874"), ("phone", "+46701234568")}


def test_a_one_column_sheet_keeps_its_header() -> None:
    data = _xlsx([["E-post"], ["anna@example.se"], ["bo@example.se"]])
    recs = list(read_stream(io.BytesIO(data), "e.xlsx", container="e.xlsx", loc_factory=_loc))
    assert [(r.location.item, r.fields) for r in recs if r.location.item.startswith("Kunder:")] == [
        ("Kunder:2", [("E-post", "anna@example.se")]), ("Kunder:3", [("E-post", "bo@example.se")])]


def test_a_docx_table_header_below_a_merged_title_row_names_the_columns() -> None:
    import docx

    d = docx.Document()
    t = d.add_table(rows=3, cols=3)
    title = t.rows[0].cells[0].merge(t.rows[0].cells[2])
    title.text = "Kunduppgifter"
    for i, h in enumerate(["Namn", "Personnummer", "Mobil"]):
        t.rows[1].cells[i].text = h
    for i, v in enumerate(["Anna Berg", "501011233", "701234567"]):
        t.rows[2].cells[i].text = v
    buf = io.BytesIO()
    d.save(buf)
    recs = list(read_stream(io.BytesIO(buf.getvalue()), "k.docx", container="k.docx", loc_factory=_loc))
    rows = {r.location.item: r.fields for r in recs if "row" in r.location.item}
    assert rows["table 1 row 1"] == [("column 1", "Kunduppgifter")]
    assert "table 1 row 2" not in rows
    assert rows["table 1 row 3"] == [("Namn", "Anna Berg"), ("Personnummer", "501011233"), ("Mobil", "701234567")]


# --- JSON documents: one record per entity, however deep the list -------------------------------

NESTED_ROWS = {"meta": {"exported": "2024-05-01"},
               "export": {"rows": [{"personnummer": "811228-9874", "epost": "anna.berg@example.se"},
                                   {"personnummer": "680303-5572", "epost": "erik.lund@example.se"}]}}
KEYED_BY_PNR = {"exported": "2024-05-01",
                "kunder": {"19811228-9874": {"epost": "anna.berg@example.se", "tel": "070-123 45 67"},
                           "19680303-5572": {"epost": "erik.lund@example.se", "tel": "073-987 65 43"}}}


@pytest.fixture(params=["ijson", "in-memory"])
def json_reader(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    if request.param == "in-memory":
        from connectors.formats import jsondoc

        monkeypatch.setattr(jsondoc, "ijson", None)
    return request.param


def _by_item(doc: object) -> dict[str, list[tuple[str, str]]]:
    data = json.dumps(doc, ensure_ascii=False).encode()
    out: dict[str, list[tuple[str, str]]] = {}
    for r in read_stream(io.BytesIO(data), "d.json", container="d.json", loc_factory=_loc):
        out.setdefault(r.location.item, []).extend(r.fields)
    return out


def test_rows_of_a_list_nested_in_objects_are_records_of_their_own(json_reader: str) -> None:
    # all rows in the one record '$' linked every customer's values to every other's
    assert _by_item(NESTED_ROWS) == {
        "$": [("$.meta.exported", "2024-05-01")],
        "$.export.rows[0]": [("$.personnummer", "811228-9874"), ("$.epost", "anna.berg@example.se")],
        "$.export.rows[1]": [("$.personnummer", "680303-5572"), ("$.epost", "erik.lund@example.se")],
    }


def test_entries_of_an_object_keyed_by_identifier_are_records_of_their_own(json_reader: str) -> None:
    assert _by_item(KEYED_BY_PNR) == {
        "$": [("$.exported", "2024-05-01")],
        "$.kunder{#0}": [("${key}", "19811228-9874"), ("$.epost", "anna.berg@example.se"), ("$.tel", "070-123 45 67")],
        "$.kunder{#1}": [("${key}", "19680303-5572"), ("$.epost", "erik.lund@example.se"), ("$.tel", "073-987 65 43")],
    }


def test_a_key_that_is_data_before_a_scalar_stays_where_it_was(json_reader: str) -> None:
    assert _by_item({"19811228-9874": "x", "a": {"anna@example.se": [1]}}) == {
        "$": [("${#0}{key}", "19811228-9874"), ("${#0}", "x"), ("$.a{#0}{key}", "anna@example.se"), ("$.a{#0}[0]", "1")],
    }
