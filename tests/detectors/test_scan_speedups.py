"""Cheaper forms of the scanner's inner steps equal the forms they replaced.

Each test states the slow form and checks the fast one against it on generated
text dense in the characters that matter. All data is generated and fictional.
"""

from __future__ import annotations

import random
import re

import pytest

from detectors.scan import _GIRO_ANY, _GIRO_BEFORE, _GIRO_KEYS, _giro_key_starts

_ANY_CASE_KEY = re.compile(r"(?i)giro|pg|bg")
_PIECES = (
    "giro", "GIRO", "Giro", "gIrO", "bankgiro", "Plusgiro", "pg", "PG", "Pg", "bg", "BG", "bG", "bg-nr", "gg", "bygg",
    "piro", "g", "i", "r", "o", "p", "b", "İ", "ı", "gİro", "gıro", "Gı", "ß", "Å", "ä", " ", "\n", "-", ":", "1234",
    "x", "Hej ", "ö",
)


def _text(rnd: random.Random) -> str:
    return "".join(rnd.choice(_PIECES) for _ in range(rnd.randint(0, 16)))


def test_giro_key_starts_are_where_a_giro_keyword_starts_in_any_case() -> None:
    rnd = random.Random(4)
    for _ in range(5000):
        t = _text(rnd)
        got = _giro_key_starts(t)
        assert got == sorted(got)
        everywhere = [p for p in range(len(t)) if _ANY_CASE_KEY.match(t, p)]
        if "İ" in t or "ı" in t:
            # the regex it stands for, a superset
            assert got == [g.start() for g in _GIRO_KEYS.finditer(t)], t
            assert set(everywhere) <= set(got), t
        else:
            assert got == everywhere, t
        # what the scanner needs of them: every start of a giro word and of a keyword before a number
        for p in range(len(t)):
            if _GIRO_ANY.match(t, p):
                assert p in got, t
        for m in (_GIRO_BEFORE.search(t, lo, hi) for lo in range(len(t)) for hi in range(lo, len(t) + 1, 5)):
            if m is not None:
                assert m.start() in got, t


def test_match_init_takes_every_field_with_its_default() -> None:
    # Match writes its own __init__ (see detectors.base): it must stay the one dataclass would write
    import dataclasses
    import inspect

    from detectors.base import Match

    params = list(inspect.signature(Match.__init__).parameters.values())[1:]
    fields = dataclasses.fields(Match)
    assert [p.name for p in params] == [f.name for f in fields]
    assert [p.default for p in params] == [inspect.Parameter.empty if f.default is dataclasses.MISSING else f.default for f in fields]
    m = Match("phone", "mobile", 3, 16, "+46701740605", 0.9, ("shape:grouped",), True, False, "vat")
    assert [getattr(m, f.name) for f in fields] == ["phone", "mobile", 3, 16, "+46701740605", 0.9, ("shape:grouped",), True, False, "vat"]
    assert dataclasses.replace(m, end=17) == Match("phone", "mobile", 3, 17, "+46701740605", 0.9, ("shape:grouped",), True, False, "vat")
    with pytest.raises(dataclasses.FrozenInstanceError):
        m.start = 0  # type: ignore[misc]


_GIRO_TEXT_PIECES = (
    "bankgiro ", "bg ", "BG: ", "pg ", "plusgiro ", "Giro ", "bg-nr ", "PlusGiro: ", "x" * 20, "text ", ", ", ",", " ",
    " " * 12, "\n", "2024-07-12", "07:22", "907 344,13", "36320769", "762-998", "4711-2", "4-2", "28 65 43-4", "5402",
    "5402-9681", "540-2968", "1234, 567 89", "8327-9", "SE", "se", "Se ", "SE45 5000", "AB 12", "X1", "(", ")", "+46 8",
    "811228-9874", "0701740605", "12", "3", "99 1", "anna@example.se", "Hej ", "pg nr: ", "plusgiro nummer ",
    "Plusgiro till ", "bg-nr:  ", "giro x ", "4-2", "9-5", "1-8", "28 65 43-4",
)


def test_short_runs_near_giro_words_read_after_the_long_pass_find_what_the_full_pass_finds(monkeypatch) -> None:  # noqa: ANN001
    # the slow form: every short run read in the loop (the long pass made the full one)
    from detectors import scan
    from detectors.scan import Scanner

    rnd = random.Random(6)
    texts = [
        ["".join(rnd.choice(_GIRO_TEXT_PIECES) for _ in range(rnd.randint(1, 18))) for _ in range(3)] for _ in range(400)
    ]
    hints = [None, "notes", "kontonummer", "bankgiro", "personnummer"]
    sc = Scanner(None, min_confidence=0.0, include_non_personal=True)
    fast = [(sc.find(v[0], hint=h), sc.find_many(v, h)) for v in texts for h in hints]
    monkeypatch.setattr(scan, "_PREFILTER_LONG", scan._PREFILTER)
    slow = [(sc.find(v[0], hint=h), sc.find_many(v, h)) for v in texts for h in hints]
    assert fast == slow
    assert sum(len(a) for a, _ in fast) > 150  # the texts hold findings
