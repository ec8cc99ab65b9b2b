r"""Red team 6: the JSON (and JavaScript) ``\uXXXX`` escapes of the separators inside a number.

A JSON writer with ensure_ascii (Python's json.dumps by default) writes an en dash,
a non-breaking hyphen or a no-break space as ``\u2013``, ``\u2011``, ``\u00a0``:
``{"pnr": "811228\u20139874"}`` as raw text, which no detector read. The scanner
decodes these escapes of spaces, dashes and signs as it decodes their percent
escapes (``%2D``) and character references (``&ndash;``); the span reported is
that of the original text, escapes included.
"""

from __future__ import annotations

import json

import pytest

from detectors.normalize import normalize
from detectors.scan import Scanner


@pytest.mark.parametrize(
    "text, kind, value, written",
    [
        ('{"pnr": "811228\\u20139874"}', "personnummer", "198112289874", "811228\\u20139874"),
        ('{"pnr": "811228\\u2011' '9874"}', "personnummer", "198112289874", "811228\\u20119874"),
        ('{"tel": "070\\u00a0123\\u00a045\\u00a067"}', "phone", "+46701234567", "070\\u00a0123\\u00a045\\u00a067"),
        ('{"tel": "070\\u00A0123\\u00A045\\u00A067"}', "phone", "+46701234567", "070\\u00A0123\\u00A045\\u00A067"),
        (json.dumps({"personnummer": "19811228\u20139874"}), "personnummer", "198112289874", "19811228\\u20139874"),
    ],
)
def test_an_escaped_separator_is_read(text: str, kind: str, value: str, written: str) -> None:
    found = [m for m in Scanner().find(text) if m.kind == kind]
    assert [m.value for m in found] == [value]
    assert text[found[0].start : found[0].end] == written


def test_the_escape_decodes_with_an_offset_map() -> None:
    n = normalize('a "811228\\u20139874" b', url_escapes=True)
    assert n.text == 'a "811228-9874" b'
    assert n.to_original(n.text.index("9874")) == len('a "811228\\u2013')


@pytest.mark.parametrize(
    "text",
    [
        '{"note": "\\u00e5r 811228"}',  # a letter escape is not decoded: nothing to read
        '{"id": "811228\\u00419874"}',  # "A": a letter, not decoded
        '{"id": "811228\\u00409874"}',  # "@" is not a separator
    ],
)
def test_other_escapes_give_nothing(text: str) -> None:
    assert [m for m in Scanner().find(text) if m.kind == "personnummer"] == []
