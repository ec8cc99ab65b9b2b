"""Tables whose first row is data, not a header: its values must not become field names.

A headerless CSV, sheet, document table or JSON array of rows whose first row
held only text (a name, an address, a place, a note: no identifier to give it
away) was taken for a header row: the rows below were named by that person's
name and address (``Anna Berg``, ``Storgatan 1``), which went into the data
map's ``field`` column and every export (personal data at rest in the map),
and the first row was not scanned as data. ``looks_like_header``
(connectors/formats/core.py) now compares the first row with the rows below
it: a header's cells name columns (``Namn``, ``Postort``, ``first_name``) or
stand above a column of data-like values, and are shaped unlike the values
below them; a first row the rows below repeat in shape (``Anna Berg`` above
``Bo Ek``, ``Malmö`` above ``Lund``), that holds a placeholder (``saknas``)
or a value its column holds again, is data. A headerless table's fields are
positional (``column 1``, ``Kunder!A1``, ``$[0]``).

All values are fictional (made-up names, valid check digits, PTS fiction numbers).
"""

from __future__ import annotations

import io
import json
import os
from datetime import datetime, timezone
from pathlib import Path

import pytest

from connectors.base import Location, Record
from connectors.files import FilesConnector
from connectors.formats import read_stream
from connectors.formats.core import looks_like_header, names_columns
from pii_scan.worker import ScanSettings, scan_unit
from tests.connectors.fileutil import xlsx_bytes

SECRET = b"h" * 32
MTIME = datetime(2026, 11, 24, 9, 0, tzinfo=timezone.utc).timestamp()

PEOPLE = [
    ["Anna Berg", "Storgatan 1", "Malmö"],
    ["Bo Ek", "Lillgatan 22", "Lund"],
    ["Cilla Ny", "Ågatan 3", "Ystad"],
    ["Dan Åberg", "Kungsgatan 5 B", "Umeå"],
]
# the first person's personnummer is missing: no identifier in the first row
WITH_PNR = [
    ["Anna Berg", "", "Malmö"],
    ["Bo Ek", "811228-9874", "Lund"],
    ["Cilla Ny", "640823-3234", "Ystad"],
]
FIRST_ROW_VALUES = {"Anna Berg", "Storgatan 1", "Malmö"}


def _loc(container: str, item: str) -> Location:
    return Location("files", "t", container, item)


def _records(data: bytes, name: str) -> list[Record]:
    return [r for r in read_stream(io.BytesIO(data), name, container=name, loc_factory=_loc) if r.location.item != "meta"]


def _csv(rows: list[list[str]], sep: str = ";") -> bytes:
    return "".join(sep.join(r) + "\n" for r in rows).encode()


def _field_names(records: list[Record]) -> set[str]:
    return {f for r in records for f, _ in r.fields}


def _values(records: list[Record]) -> set[str]:
    return {t for r in records for _, t in r.fields}


def _leaks(names: set[str]) -> set[str]:
    """Field names that hold a value of the first row."""
    return {n for n in names if any(v in n for v in FIRST_ROW_VALUES)}


@pytest.mark.parametrize("rows", [PEOPLE, WITH_PNR, [r[::2] for r in PEOPLE]], ids=["three", "pnr-missing", "two"])
def test_a_headerless_csv_of_names_and_places(rows: list[list[str]]) -> None:
    recs = _records(_csv(rows), "kunder.csv")
    assert not _leaks(_field_names(recs))
    assert _field_names(recs) <= {f"column {i}" for i in range(1, 4)}
    assert recs[0].location.item == "1" and "Anna Berg" in _values(recs)  # the first row is a row of data


@pytest.mark.parametrize("rows", [PEOPLE, WITH_PNR, [r[::2] for r in PEOPLE]], ids=["three", "pnr-missing", "two"])
def test_a_headerless_sheet_of_names_and_places(rows: list[list[str]]) -> None:
    # two columns also are no form of labels and values ("Anna Berg" is no label of "Malmö")
    recs = _records(xlsx_bytes({"Kunder": rows}), "kunder.xlsx")
    assert not _leaks(_field_names(recs))
    assert recs[0].location.item == "Kunder:1" and "Anna Berg" in _values(recs)


def test_a_json_array_of_rows_whose_first_row_is_data() -> None:
    recs = _records(json.dumps(PEOPLE).encode(), "kunder.json")
    assert not _leaks(_field_names(recs))
    assert not names_columns(PEOPLE[0])


def test_a_json_map_keyed_by_names_keeps_them_out_of_the_paths() -> None:
    doc = {"kunder": {"Anna Berg": {"pnr": "811228-9874"}, "Bo Ek": {"pnr": "640823-3234"}}, "Telefon hem": "070-174 06 05"}
    recs = _records(json.dumps(doc).encode(), "kunder.json")
    assert not {n for n in _field_names(recs) if "Anna" in n or "Bo Ek" in n}
    assert {"Anna Berg", "Bo Ek", "811228-9874"} <= _values(recs)  # the names read as values of their own
    assert '$["Telefon hem"]' in _field_names(recs)  # a label keeps its name (its hint)


def test_a_placeholder_in_the_first_row_is_data() -> None:
    rows = [["Anna Berg", "saknas", "Malmö"], ["Bo Ek", "070-174 06 05", "Lund"], ["Cilla Ny", "070-174 06 06", "Ystad"]]
    assert not looks_like_header(rows[0], rows[1:])
    recs = _records(_csv(rows), "kunder.csv")
    assert not _leaks(_field_names(recs))


@pytest.mark.parametrize(("first", "below"), [
    # a role or type column's values are words that could name a column ("Lärare", "Kund")
    (["Lärare", "Ring efter lunch", "Malmö"], [["Chef", "", "Ystad"], ["Utvecklare", "Skickat faktura", "Kiruna"]]),
    (["Chef", "Upplands Väsby"], [["Lärare", "Ystad"], ["Utvecklare", "Stockholm"]]),
    (["Kund", "Anna Berg"], [["Leverantör", "Bo Ek"], ["Kund", "Cilla Ny"]]),
    (["Östra Långgatan 27", "Säljare", "Lena", "Mikael af Klint"],
     [["Storgatan 81", "Ekonom", "Eva", "Johan af Klint"], ["Box 20", "Chef", "Erik", "Maria Johansson"]]),
    # an identifier's cell left empty or hidden in the first row, a column of them below
    (["", "Per", "Eva af Klint", "Lärare", ""], [["lars@example.se", "Erik", "Bo Andersson", "Ekonom", "811228-9874"]]),
    (["Anna Berg", "Skyddad", "Malmö"], [["Bo Ek", "811228-9874", "Lund"], ["Cilla Ny", "640823-3234", "Ystad"]]),
    # user names in an identifier's form are no column names (first_name is)
    (["anna_berg"], [["bo_ek"], ["cilla_ny"]]),
])
def test_first_rows_of_people_roles_and_places_are_data(first: list[str], below: list[list[str]]) -> None:
    assert not looks_like_header(first, below)


def test_a_headerless_csv_scanned_end_to_end_keeps_names_out_of_the_fields(tmp_path: Path) -> None:
    root = tmp_path / "share"
    root.mkdir()
    path = root / "kunder.csv"
    # a contact column holds a name or an e-mail address: a column of data-like values below "Anna Berg"
    rows = [["Anna Berg", "Storgatan 1", "Malmö", "Ny kund"], ["bo.ek@example.se", "Lillgatan 22", "Lund", "Gammal kund"],
            ["cilla.ny@example.se", "Ågatan 3", "Ystad", "Ny kund"]]
    path.write_bytes(_csv(rows))
    os.utime(path, (MTIME, MTIME))
    conn = FilesConnector("share", {"type": "files", "path": str(root)})
    fields = set()
    for unit in conn.units():
        res = scan_unit(conn, unit, ScanSettings(None, 0.5, False, SECRET))
        assert res.error is None, res.error
        fields |= {f.field for rec in res.records for f in rec.findings}
    assert fields == {"column 1"}  # not "Anna Berg"


# --- headers are still headers ---------------------------------------------------------------------

HEADERS = [
    ["Namn", "Adress", "Ort"],
    ["Förnamn och efternamn", "Gatuadress", "Postort"],
    ["name", "street", "city"],
    ["NAMN", "ADRESS", "ORT"],
    ["first_name", "street_address", "city"],
    ["Kontaktperson", "Besöksadress", "Ort"],
    ["Fullständigt namn", "Utdelningsadress", "Ort"],
    ["Deltagare", "Hemadress", "Stad"],
]


@pytest.mark.parametrize("header", HEADERS, ids=lambda h: h[0])
def test_a_header_of_text_columns_names_them(header: list[str]) -> None:
    assert looks_like_header(header, PEOPLE)
    recs = _records(_csv([header] + PEOPLE), "kunder.csv")
    assert _field_names(recs) == set(header)
    sheet = _records(xlsx_bytes({"Kunder": [header] + PEOPLE}), "kunder.xlsx")
    assert {f for f in _field_names(sheet) if "!" not in f} == set(header)


def test_a_header_above_data_like_columns_names_them() -> None:
    header = ["Kolumn A", "Kolumn B", "Kolumn C"]  # no column word, but a column of identifiers below
    assert looks_like_header(header, WITH_PNR[1:])
    recs = _records(_csv([header] + WITH_PNR[1:]), "kunder.csv")
    assert _field_names(recs) == set(header)


def test_a_json_header_row_still_names_the_rows_below() -> None:
    assert names_columns(["Namn", "Personnummer", "Mobil"])
    recs = _records(json.dumps([["Namn", "Ort"], ["Bo Ek", "Lund"]]).encode(), "kunder.json")
    assert ("Namn ($[0])", "Bo Ek") in {f for r in recs for f in r.fields}
