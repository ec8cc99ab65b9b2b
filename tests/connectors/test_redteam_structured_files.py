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
