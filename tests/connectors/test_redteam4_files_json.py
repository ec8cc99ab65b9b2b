"""Red-team round 4 on JSON: rows that are arrays, named by a header row or a columns array.

Fictional values only (valid check digits, PTS fiction numbers).
"""

from __future__ import annotations

import io
import json
from datetime import date

import pytest

from connectors.base import Location
from connectors.formats import read_stream
from detectors import Scanner
from tests.connectors.test_redteam_structured_files import json_reader  # noqa: F401 (fixture: both JSON readers)

R = date(2026, 11, 24)


def _by_item(doc: object) -> dict[str, list[tuple[str, str]]]:
    data = json.dumps(doc, ensure_ascii=False).encode()
    out: dict[str, list[tuple[str, str]]] = {}
    loc = lambda c, i: Location("files", "t", c, i)  # noqa: E731
    for r in read_stream(io.BytesIO(data), "d.json", container="d.json", loc_factory=loc):
        out.setdefault(r.location.item, []).extend(r.fields)
    return out


def _found(fields: list[tuple[str, str]]) -> set[tuple[str, str]]:
    scanner = Scanner()
    return {(m.kind, m.value) for f, t in fields for m in scanner.find(t, hint=f, ref_date=R)}


def test_rows_under_a_header_row_are_named_by_it(json_reader: str) -> None:
    # a spreadsheet API's values: the first row names the columns
    recs = _by_item({"range": "Kunder!A1:C3", "values": [["Namn", "Personnummer", "Mobil"],
                                                         ["Lisa Ek", "309182640", "701740605"]]})
    assert recs["$.values[1]"] == [("Namn ($[0])", "Lisa Ek"), ("Personnummer ($[1])", "309182640"),
                                   ("Mobil ($[2])", "701740605")]
    assert _found(recs["$.values[1]"]) == {("personnummer", "200309182640"), ("phone", "+46701740605")}


def test_rows_beside_a_columns_array_are_named_by_it(json_reader: str) -> None:
    # pandas DataFrame.to_json(orient="split")
    recs = _by_item({"columns": ["namn", "pnr", "tel"], "index": [0], "data": [["Lisa Ek", "309182640", "701740605"]]})
    assert recs["$.data[0]"] == [("namn ($[0])", "Lisa Ek"), ("pnr ($[1])", "309182640"), ("tel ($[2])", "701740605")]
    assert _found(recs["$.data[0]"]) == {("personnummer", "200309182640"), ("phone", "+46701740605")}


def test_a_first_row_of_data_names_nothing(json_reader: str) -> None:
    recs = _by_item([["Anna Berg", "811228-9874"], ["Bo Ek", "640823-3234"]])
    assert recs["[1]"] == [("$[0]", "Bo Ek"), ("$[1]", "640823-3234")]


def test_objects_after_a_header_row_keep_their_keys(json_reader: str) -> None:
    recs = _by_item([["Namn", "Pnr"], {"epost": "anna@example.se", "tel": "0701740605"}])
    assert recs["[1]"] == [("$.epost", "anna@example.se"), ("$.tel", "0701740605")]


@pytest.mark.parametrize("seekable", [True, False])
def test_nan_and_infinity_written_by_python_do_not_fail_the_document(seekable: bool) -> None:
    # json.dumps writes NaN/Infinity for float gaps; the streaming parser refused the whole document.
    # A file is parsed again with them read as null (the records before given once); a stream is filtered.
    from tests.connectors.fileutil import NonSeekable

    rows = [{"pnr": "811228-9874", "epost": "anna.berg@example.se"},
            {"pnr": "640823-3234", "belopp": float("nan"), "not": 'NaN i "text" \\ Infinity'},
            {"pnr": "750314-2387", "belopp": float("-inf")}]
    data = json.dumps(rows).encode()
    loc = lambda c, i: Location("files", "t", c, i)  # noqa: E731
    body = io.BytesIO(data) if seekable else NonSeekable(data)
    recs = [(r.location.item, r.fields) for r in read_stream(body, "d.json", container="d.json", loc_factory=loc)]
    assert recs == [("[0]", [("$.pnr", "811228-9874"), ("$.epost", "anna.berg@example.se")]),
                    ("[1]", [("$.pnr", "640823-3234"), ("$.not", 'NaN i "text" \\ Infinity')]),
                    ("[2]", [("$.pnr", "750314-2387")])]


def test_the_nan_filter_keeps_every_string_across_read_boundaries() -> None:
    import random

    from connectors.formats.jsondoc import _NanAsNull

    rnd = random.Random(7)
    alphabet = ['"', "\\", "N", "a", "I", "n", "f", "-", " ", "x", "é", "{", "}"]
    doc = [{"s": "".join(rnd.choice(alphabet) for _ in range(rnd.randint(0, 30))), "v": rnd.choice([1.5, float("nan"), float("inf")])}
           for _ in range(20000)]
    raw = json.dumps(doc).encode()
    assert len(raw) > 300_000
    got = json.loads(io.BufferedReader(_NanAsNull(io.BytesIO(raw))).read())
    assert [d["s"] for d in got] == [d["s"] for d in doc]
    assert all(d["v"] in (1.5, None) for d in got)
