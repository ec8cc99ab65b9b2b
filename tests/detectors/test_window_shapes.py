"""The window shape gate: a detector is skipped only for windows it finds nothing in.

Each numeric detector module declares ``window_shape_wanted(lens, comma)``: whether
its ``match_window`` can find anything in a window whose digit groups have the
digit counts ``lens``. The scanner asks it once per shape of run and offers a
window only to the detectors that want its shape. These tests check the
contract on windows cut from valid identifiers in every grouping (a detector
that finds something in a window must want its shape), and the scanner with
the gate against the scanner without it, hinted and not. All data is generated
and fictional.
"""

from __future__ import annotations

import itertools
import random
from datetime import date

import pytest

from detectors import Scanner, bank_account, organisationsnummer, payment_card, personnummer
from detectors.base import Context
from detectors.scan import Window

R = date(2026, 11, 24)
# (the phone detector wants every shape)
GATED = [personnummer, organisationsnummer, bank_account, payment_card]

# Valid identifiers of every numeric kind (fictional), as digits.
VALID = [
    "8112289874", "198112289874", "8112889872", "0701234567", "46701234567", "0812345678", "5560360793",
    "165560360793", "58398257466", "83279014725892" + "5", "83270147258925", "33008112289874", "54029681",
    "3361755", "42", "2865434", "4242424242424242", "378282246310005", "5105105105105100", "30569309025904",
    "6011111111111117", "91801111111116", "95001234567",
]
# What may stand before a window: keywords of every kind, a comma-separated clearing, nothing.
BEFORE = [
    "", "kontonummer ", "konto: ", "bankgiro ", "bg ", "plusgiro ", "pg: ", "pnr ", "personnummer: ", "kort ",
    "orgnr ", "tel ", "1274, ", "5839,", "ordernr ", "handelsbanken ",
]
HINTS = [frozenset(), frozenset({"bank_account"}), frozenset({"bankgiro", "bank_account"}),
         frozenset({"plusgiro", "bank_account"}), frozenset({"personnummer"}), frozenset({"phone"}),
         frozenset({"payment_card"}), frozenset({"organisationsnummer"})]


def _splits(digits: str, most: int) -> list[list[str]]:
    """Every way to cut ``digits`` into at most ``most`` groups."""
    out = []
    n = len(digits)
    for k in range(min(most, n)):
        for cuts in itertools.combinations(range(1, n), k):
            bounds = (0, *cuts, n)
            out.append([digits[a:b] for a, b in zip(bounds, bounds[1:])])
    return out


def _window(groups: list[str], seps: list[str], before: str) -> Window:
    text = groups[0] + "".join(s + g for s, g in zip(seps, groups[1:]))
    start = len(before)
    return Window(text, "".join(groups), tuple(groups), tuple(seps), start, start + len(text), False,
                  before[-8:], "", True, True)


@pytest.mark.parametrize("mod", GATED, ids=lambda m: m.__name__.rsplit(".", 1)[1])
def test_a_detector_finds_nothing_in_a_window_whose_shape_it_does_not_want(mod) -> None:  # noqa: ANN001
    rnd = random.Random(3)
    tried = 0
    for digits in VALID:
        if len(digits) not in mod.WINDOW_DIGITS:
            continue
        for groups in _splits(digits, 4):
            lens = tuple(map(len, groups))
            for before in BEFORE:
                comma = before.endswith((",", ", "))
                if mod.window_shape_wanted(lens, comma):
                    continue
                seps = [rnd.choice([" ", "-", "-", " ", "/", ".", " - "]) for _ in groups[1:]]
                w = _window(groups, seps, before)
                for hints in rnd.sample(HINTS, 2):
                    ctx = Context(before.lower(), "", hints, frozenset(), not before, R.year, R.toordinal())
                    tried += 1
                    assert not list(mod.match_window(w, ctx)), (before + w.text, lens, sorted(hints))
    assert tried > 500  # the gate turns many windows of valid numbers away


# Pieces of text dense in numbers grouped every way, their keywords and hints' words.
_PIECES = (
    "811228-9874", "19811228-9874", "1981 12 28-9874", "8112-28-9874", "811228 9874", "0701234567", "070-123 45 67",
    "08-123 456 78", "+46 70 123 45 67", "5839-8257466", "5839 825 746 6", "5839, 8257466", "1274, 0235 305",
    "8327-9 014 725 892-5", "8327-0147258925", "3300 811228-9874", "5402-9681", "540-2968 1", "54029681", "4-2",
    "28 65 43-4", "4242 4242 4242 4242", "4242 424242 42424", "3782 822463 10005", "4242424242424242",
    "556036-0793", "16556036-0793", "5560 3607 93", "2024-05-17 12:34", "9180 1111111116", "95001234567",
    "konto ", "kontonr: ", "clearing ", "bankgiro ", "BG ", "pg ", "plusgiro: ", "kort ", "pnr ", "tel ", "orgnr ",
    "ordernr ", ", ", ",", " ", " ", "  ", "\n", "-", "/", ".", "(", ")", "+", "x", "Hej ",
)
_FIELD_HINTS = (None, "kontonummer", "bankgiro", "plusgiro", "personnummer", "telefon", "kortnummer", "orgnr", "notes", "ocr")


def test_the_scanner_with_the_shape_gate_finds_what_it_finds_without() -> None:
    rnd = random.Random(8)
    gated = Scanner(min_confidence=0.0, include_non_personal=True)
    plain = Scanner(min_confidence=0.0, include_non_personal=True)
    plain._route = None  # no routing and no shape gate: every window to every detector taking its digit count
    for _ in range(600):
        texts = ["".join(rnd.choice(_PIECES) for _ in range(rnd.randint(1, 10))) for _ in range(3)]
        hint = rnd.choice(_FIELD_HINTS)
        assert gated.find(texts[0], hint=hint, ref_date=R) == plain.find(texts[0], hint=hint, ref_date=R), (hint, texts[0])
        assert gated.find_many(texts, hint, [R] * 3) == plain.find_many(texts, hint, [R] * 3), (hint, texts)
