"""The scanner's cheap tests and fast paths inside the general path equal the slow forms they stand for.

Each test states the slow form (what the code did before the shortcut) and checks
the shortcut against it on generated text dense in the characters that matter,
so that a shortcut that diverged would fail here. All data is generated and
fictional.
"""

from __future__ import annotations

import re

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from detectors import Scanner
from detectors.email import OBFUSCATION_MARKERS
from detectors.scan import find_all
from detectors.normalize import _DASH_CHARS, has_dashes
from detectors.scan import (
    _AT_MARKERS,
    _AT_SPACED,
    _CLOSING,
    _DOT_MARKERS,
    _OBFUSCATED,
    _OPENING,
    _PREFILTER,
    _PREFILTER_LONG,
    _PREFILTER_LONG_PLAIN,
    _PREFILTER_PLAIN,
    _has_markers,
    _may_be_obfuscated,
)

_DASHES = re.compile("[" + "".join(_DASH_CHARS) + "]")  # the regex that has_dashes replaced

SCANNERS_SQ = {"all-0": Scanner(None, min_confidence=0.0), "phone-0": Scanner(("phone", "bank_account"), min_confidence=0.0)}
SLOW = settings(max_examples=3000, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# Pieces of the obfuscated e-mail forms and their near misses, glued at random.
OBF_PIECES = st.sampled_from(
    [
        " ", "a", "t", "A", "T", "at", "AT", "att", "[", "]", "(", ")", "{", "}", "<", ">", "snabel", "snabela",
        "snabel-a", "-", "punkt", "dot", "PUNKT", "DOT", "Punkt", " punkt ", " dot ", "anna", "example", "se", ".",
        "x", "\n", "@",
    ]
)
# An obfuscated "@" as the pattern reads it, with its optional spaces, and its near misses.
OBF_AT = st.builds(
    lambda sp1, o, sp2, core, sp3, c, sp4: sp1 + o + sp2 + core + sp3 + c + sp4,
    st.sampled_from(["", " "]),
    st.sampled_from(["", "[", "(", "{", "<", " ", "x"]),
    st.sampled_from(["", " "]),
    st.sampled_from(["at", "AT", "At", "snabel", "snabela", "snabel-a", "a", "A"]),
    st.sampled_from(["", " "]),
    st.sampled_from(["", "]", ")", "}", ">", " ", "x"]),
    st.sampled_from(["", " "]),
)
_glue = st.lists(st.one_of(OBF_PIECES, OBF_AT), max_size=12).map("".join)
# mostly an obfuscated "@" and a written-out dot (or a marker) among random pieces
obf_texts = st.one_of(
    _glue,
    st.tuples(
        _glue, OBF_AT, _glue, st.sampled_from(["", " punkt ", " dot ", " PUNKT ", " DOT ", " Punkt ", "at)", "snabel"]), _glue
    ).map("".join),
)


@SLOW
@given(t=obf_texts)
def test_obfuscation_gate_runs_the_search_exactly_where_it_can_find_something(t: str) -> None:
    # the old gate: any marker, then every match of _OBFUSCATED
    old = list(m.span() for m in _OBFUSCATED.finditer(t)) if _has_markers(t) else []
    new = list(m.span() for m in _OBFUSCATED.finditer(t)) if _may_be_obfuscated(t) else []
    assert new == old
    if _may_be_obfuscated(t):
        assert _has_markers(t)  # never looks where the old gate did not


def _gate_agrees(t: str) -> None:
    old = list(m.span() for m in _OBFUSCATED.finditer(t)) if _has_markers(t) else []
    new = list(m.span() for m in _OBFUSCATED.finditer(t)) if _may_be_obfuscated(t) else []
    assert new == old, t
    assert not _may_be_obfuscated(t) or _has_markers(t), t


def test_obfuscation_gate_on_every_spelling_of_an_obfuscated_at() -> None:
    # every combination of optional spaces, brackets and cores, beside every marker
    sp = ("", " ")
    opens = ("", "[", "(", "{", "<", " ", "x")
    closes = ("", "]", ")", "}", ">", " ", "x")
    cores = ("at", "AT", "At", "snabel", "snabela", "snabel-a", "a", "A")
    after = ("", " punkt ", " dot ", " PUNKT ", " DOT ", " Punkt ", "at)", "snabel", "x punkt ")
    for a in sp:
        for o in opens:
            for b in sp:
                for core in cores:
                    for c in sp:
                        for cl in closes:
                            for d in sp:
                                at = a + o + b + core + c + cl + d
                                for tail in after:
                                    _gate_agrees("anna" + at + "example" + tail + "se")
                                    _gate_agrees(at + tail)


def test_obfuscation_gate_reads_the_markers_it_names() -> None:
    # _may_be_obfuscated spells the at-markers out as "at"/"AT" + a closing bracket, "snabel",
    # and the tight "(a)"/"(A)" (anna(a)exempel.se)
    at_markers = {a + s + c for a in ("at", "AT") for s in ("", " ") for c in _CLOSING} | {"snabel", "(a)", "(A)"}
    assert set(_AT_MARKERS) == at_markers
    assert set(OBFUSCATION_MARKERS) == at_markers | set(_DOT_MARKERS)
    assert set(_AT_SPACED) == {o + a + " " for o in " " + _OPENING for a in ("at", "AT")}


def test_obfuscation_gate_examples() -> None:
    assert _may_be_obfuscated("anna at example punkt se")
    assert _may_be_obfuscated("anna [at] example.se")
    assert _may_be_obfuscated("anna ( AT ) example punkt se")
    assert _may_be_obfuscated("anna snabel-a example.se")
    assert not _may_be_obfuscated("se villkoren under punkt 15")
    # a space before the closing bracket (the gate once missed it: no finding at all)
    for form in ("anna [ at ] example.se", "anna ( AT ) example.se", "anna [at ] example.se"):
        assert _has_markers(form) and _may_be_obfuscated(form), form
    found = find_all("skriv till anna [ at ] example.se")
    assert [(f.kind, f.subkind, f.value) for f in found] == [("email", "obfuscated", "anna@example.se")]


# -- the prefilter without short runs --------------------------------------------------

# Digits, every separator of a run, the leads of runs, IBAN/VAT capitals, the "@" forms
# and interim numbers, glued at random.
RUN_PIECES = st.sampled_from(
    [
        "0", "1", "7", "12", "123", "811228", "19811228", "4711", " ", "-", "/", ".", "+", "(", ")", " - ", " (",
        ") ", ",", ":", "x", "a", "SE", "GB", "S", "E", "AB ", "T", "-T220", "811228-T220", "@", "%40", "&#64;",
        "&commat;", "\n", "\u00e5",
    ]
)
run_texts = st.lists(RUN_PIECES, max_size=30).map("".join)


def _lead(t: str, ms: int) -> bool:
    """A capital right before ``ms``, or a capital and a space (what _PREFILTER_LONG keeps short runs for)."""
    return (ms >= 1 and "A" <= t[ms - 1] <= "Z") or (ms >= 2 and t[ms - 1] == " " and "A" <= t[ms - 2] <= "Z")


@SLOW
@given(t=run_texts)
def test_long_prefilter_is_the_prefilter_less_some_short_runs(t: str) -> None:
    # the same matches (so the same runs), less only short runs without a capital lead
    # (the lookahead lets a few short runs through: "000123 " has 7 run characters)
    full = [(m.span(), m.lastgroup) for m in _PREFILTER.finditer(t)]
    long = [(m.span(), m.lastgroup) for m in _PREFILTER_LONG.finditer(t)]
    assert set(long) <= set(full)
    for (ms, me), kind in set(full) - set(long):
        assert kind == "num" and me - ms < 7 and not _lead(t, ms), (t, ms, me)


def _matches(rx, t: str) -> list[tuple[tuple[int, int], str | None]]:  # noqa: ANN001
    return [(m.span(), m.lastgroup) for m in rx.finditer(t)]


@SLOW
@given(t=st.one_of(run_texts, st.text(), st.text(alphabet=st.sampled_from(list("0123456789+(@%&#;x4064comat -.)/ TSEA\n")))))
def test_prefilters_taking_the_first_character_match_as_the_plain_patterns(t: str) -> None:
    # the fast patterns (first character taken by a class, empty marker groups) against the plain ones they
    # stand for: every match's span and name, from every position, and search
    for fast, plain in ((_PREFILTER, _PREFILTER_PLAIN), (_PREFILTER_LONG, _PREFILTER_LONG_PLAIN)):
        assert _matches(fast, t) == _matches(plain, t), t
        for p in range(len(t) + 1):
            a, b = fast.match(t, p), plain.match(t, p)
            assert (a and (a.span(), a.lastgroup)) == (b and (b.span(), b.lastgroup)), (t, p)
        assert (fast.search(t) is None) == (plain.search(t) is None)


def test_prefilters_match_as_the_plain_patterns_on_the_benchmark_texts() -> None:
    import random

    rnd = random.Random(4)
    pieces = ["Tel 070-123 45 67", "+46 (0)8-123 456 78", "(+46) 70 123", "811228-9874", "19811228-T220", "anna@exempel.se",
              "a%40b.se", "x&#64;y", "&#x40;", "&commat;", "IBAN SE45 5000 0000 0583 9825 7466", "2024-05-17 12:33:10",
              "1 234,50 kr", "pg 4-2", "(", ")", "+", "%", "&", "AB 12", " ", "\n", "order 5566778899/12"]
    for _ in range(3000):
        t = "".join(rnd.choice(pieces) + rnd.choice(["", " ", ", ", "\n"]) for _ in range(rnd.randint(1, 12)))
        for fast, plain in ((_PREFILTER, _PREFILTER_PLAIN), (_PREFILTER_LONG, _PREFILTER_LONG_PLAIN)):
            assert _matches(fast, t) == _matches(plain, t), t


def test_long_prefilter_keeps_what_the_loop_reads() -> None:
    # the IBAN/VAT lead of a short first group, an interim number, an "@"
    t = "GB82 WEST 1234 5698 7654 32, SE 12 och 811228-T220, a@b.se, 12:30 och 4711"
    spans = [(t[slice(*m.span())], m.lastgroup) for m in _PREFILTER_LONG.finditer(t)]
    assert spans == [("82", "num"), ("1234 5698 7654 32", "num"), ("12", "num"), ("811228-T220", "interim"), ("@", "at")]


# -- normalisation --------------------------------------------------------------------


@SLOW
@given(
    t=st.one_of(
        st.text(),
        st.text(alphabet=st.sampled_from(["a", "å", "ö", "1", " ", "-", "\u00ad", "\u00a0", *_DASH_CHARS])),
        st.text(alphabet=st.characters(max_codepoint=0xFF)),
    )
)
def test_has_dashes_is_the_dash_regex(t: str) -> None:
    assert has_dashes(t) == (_DASHES.search(t) is not None)


# -- runs of 8 digits or fewer in a text with giro words --------------------------------

GIRO_PIECES = st.sampled_from(
    [
        "bankgiro ", "bg ", "BG: ", "pg ", "plusgiro ", "Giro ", "bg-nr ", "x" * 20, "x" * 40, "text ", ", ", ",", " ",
        " " * 12, " " * 20, "....", "nummer ", ": ", "bankgiro:" + " " * 20 + "nummer" + " " * 10,
        "\n", "2024-07-12", "2024-07-12 07:22", "907 344,13", "07:22:37 +0200", "36320769", "9583213", "762-998",
        "3 203 245", "7.11.187", "+46 8 123 45", "+4681234", "(08) 123 45", "08-123 45", "0701234", "070-123 45 6",
        "5050-1055", "336-1755", "4711-2", "1234, 567 89", "8327-9", "+1234 5678", "(1234) 5678", "12345678",
        "811228-9874", "0701740605",
    ]
)
giro_texts = st.lists(GIRO_PIECES, min_size=1, max_size=16).map("".join)


@SLOW
@given(t=giro_texts, hint=st.sampled_from([None, "notes"]))
def test_runs_far_from_giro_words_skipped_as_the_windows_would_be(t: str, hint: str | None) -> None:
    # the skip in _find_general (Scanner._short_quiet) against the same scanner without it
    for name in ("all-0", "phone-0"):
        sc = SCANNERS_SQ[name]
        sc._short_quiet = True
        fast = sc.find(t, hint=hint)
        fast_many = sc.find_many([t, "bg 5050-1055", t], hint=hint)
        sc._short_quiet = False
        try:
            assert sc.find(t, hint=hint) == fast
            assert sc.find_many([t, "bg 5050-1055", t], hint=hint) == fast_many
        finally:
            sc._short_quiet = True


def test_the_route_keeps_short_windows_quiet() -> None:
    # what the skip relies on, for every detector of this package
    assert Scanner(None)._short_quiet
