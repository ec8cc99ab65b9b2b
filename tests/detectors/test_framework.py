"""The shared machinery: checksums, normalisation, prefilter, filters, resolution, robustness."""

from __future__ import annotations

import pickle
import random
import sys
import unicodedata
from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import detectors
from detectors import KINDS, Scanner, find_all
from detectors import bank_account, email, organisationsnummer, payment_card, personnummer, phone
from detectors.checksums import (
    ean13_is_valid,
    luhn_check_digit,
    luhn_is_valid,
    mod11_is_valid,
    mod97_is_valid,
)
from detectors.context import hint_kinds, near_before
from detectors.normalize import normalize

R = date(2026, 11, 24)
MODULES = [personnummer, organisationsnummer, email, phone, bank_account, payment_card]


@pytest.mark.parametrize(
    "digits,ok",
    [("8112289874", True), ("8112289875", False), ("7010632391", True), ("4242424242424242", True),
     ("4242424242424241", False), ("0", True), ("18", True), ("12345674", True)],
)
def test_luhn(digits: str, ok: bool) -> None:
    assert luhn_is_valid(digits) is ok


def test_luhn_check_digit_worked_example() -> None:
    # Skatteverket's worked example: 701063-239 -> check digit 1
    assert luhn_check_digit("701063239") == "1"


def test_mod11_and_mod97_and_ean() -> None:
    assert mod11_is_valid("8398257466")  # SEB 5839-8257466, comment 1 (clearing without first digit)
    assert not mod11_is_valid("0000000000")  # zero sum is rejected
    assert mod97_is_valid("SE4550000000058398257466")
    assert not mod97_is_valid("SE4650000000058398257466")
    assert not mod97_is_valid("SE45!")
    assert ean13_is_valid("7310865004703") is True or ean13_is_valid("7310865004703") is False
    assert ean13_is_valid("4006381333931")
    assert not ean13_is_valid("4006381333932")


def test_normalize_keeps_ascii_untouched_and_maps_offsets() -> None:
    n = normalize("plain ascii 123")
    assert n.text == "plain ascii 123" and n.to_original(5) == 5
    text = "ﬁ… pnr 811228\u20119874"
    n = normalize(text)
    assert n.text == "fi... pnr 811228-9874"
    i = n.text.index("811228")
    assert text[n.to_original(i) : n.to_original(i + 11, end=True)] == "811228\u20119874"


@pytest.mark.parametrize("sep", ["\u00a0", "\u2009", "\u202f", "\u2007"])
def test_odd_spaces_are_separators(sep: str) -> None:
    assert [f.kind for f in find_all(f"tel 070{sep}123{sep}45{sep}67", ref_date=R)] == ["phone"]


def test_hints() -> None:
    assert hint_kinds("kund_personnr") == {"personnummer"}
    assert "phone" in hint_kinds("Mobilnummer")
    assert "email" in hint_kinds("e_post")
    assert "bank_account" in hint_kinds("clearingnummer")
    assert hint_kinds(None) == frozenset()


def test_keywords_just_before() -> None:
    assert near_before("kundens personnummer: ", "personnummer")
    assert near_before("pnr ", "personnummer")
    assert not near_before("personnummer finns i bilagan. här är något annat ", "personnummer")


def test_scanner_pickles_as_its_settings() -> None:
    s = Scanner(["personnummer", "email"], min_confidence=0.3)
    s2 = pickle.loads(pickle.dumps(s))
    assert s2.kinds == ("personnummer", "email") and s2.min_confidence == 0.3
    assert [f.value for f in s2.find("pnr 811228-9874", ref_date=R)] == ["198112289874"]


def test_unknown_kind_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="unknown detector kind"):
        Scanner(["shoe_size"])


def test_mixed_record_finds_everything_once() -> None:
    text = (
        "Test Testsson, pnr 640823-3234, tel 070-174 06 05, e-post test.testsson@example.se, "
        "konto 5839-8257466, IBAN SE45 5000 0000 0583 9825 7466, kort 4242 4242 4242 4242"
    )
    found = find_all(text, ref_date=R)
    kinds = sorted(f.kind for f in found)
    assert kinds == sorted(["personnummer", "phone", "email", "bank_account", "bank_account", "payment_card"]), found
    for f in found:
        assert f.start < f.end
    # spans do not overlap unless one is inside the other on purpose
    spans = sorted((f.start, f.end) for f in found if f.inside is None)
    for (s1, e1), (s2, e2) in zip(spans, spans[1:]):
        assert e1 <= s2


def test_adjacent_numbers_in_one_run_are_split() -> None:
    found = find_all("0701740605 8112289874", ref_date=R)
    assert {f.kind for f in found} >= {"phone", "personnummer"}


def test_repr_and_errors_never_show_values() -> None:
    f = find_all("pnr 811228-9874", ref_date=R)[0]
    assert "9874" not in repr(f)
    assert f.masked == "19811228-****"
    assert f.as_dict()["value"] == "19811228-****"
    assert f.as_dict(reveal=True)["value"] == "198112289874"


# -- robustness: junk at every detector -------------------------------------------

ALL_UNICODE_DIGITS = "".join(chr(c) for c in range(sys.maxunicode + 1) if unicodedata.category(chr(c)) == "Nd")


def _junk() -> list[str]:
    rnd = random.Random(7)
    return [
        "",
        " ",
        "\x00" * 50,
        bytes(rnd.randrange(256) for _ in range(4000)).decode("latin-1"),
        bytes(rnd.randrange(256) for _ in range(4000)).decode("utf-8", errors="replace"),
        "9" * 200_000,  # a huge line of digits
        "1-" * 50_000,
        "@" * 10_000 + "a@" * 5_000,
        "SE" * 20_000 + "SE45",
        ALL_UNICODE_DIGITS,
        "".join(ALL_UNICODE_DIGITS[i : i + 10] + "-" for i in range(0, len(ALL_UNICODE_DIGITS), 10)),
        "\u0660\u0668\u0661\u0661\u0662\u0662\u0668-\u0669\u0668\u0667\u0664",  # Arabic-Indic digits
        "٨١١٢٢٨-٩٨٧٤",
        "+" * 1000 + "0" * 1000,
        "(" * 1000 + "46" + ")" * 1000,
        "\ud800 lone surrogate",
        "x" * 100_000,
    ]


@pytest.mark.parametrize("mod", MODULES, ids=lambda m: m.__name__)
def test_robustness_every_detector_survives_junk(mod) -> None:  # noqa: ANN001
    for junk in _junk():
        for f in mod.find(junk):
            assert 0 <= f.start < f.end <= len(junk)
        assert mod.is_valid(junk) in (True, False)
        with pytest.raises(detectors.ValidationError):
            mod.validate(junk)
        if hasattr(mod, "compact"):
            mod.compact(junk)


def test_only_ascii_digits_count() -> None:
    # Arabic-Indic and other non-ASCII digits are not read as a personnummer (presidio's lesson)
    assert find_all("٨١١٢٢٨-٩٨٧٤", ref_date=R) == []
    assert not personnummer.is_valid("٨١١٢٢٨-٩٨٧٤")


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.characters(codec="utf-8"), max_size=400), st.sampled_from([None, "personnummer", "tel", "konto", "email", "orgnr", "kort"]))
def test_property_find_all_never_raises_with_any_hint(text: str, hint: str | None) -> None:
    for f in find_all(text, hint=hint, ref_date=R, min_confidence=0.0):
        assert 0 <= f.start < f.end <= len(text)
        assert f.kind in KINDS
        assert 0.0 <= f.confidence <= 1.0


_VALUES = st.sampled_from(
    ["811228-9874", "pnr 8112289874", "070-123 45 67", "tel", "anna@example.se", "SE45 5000 0000 0583 9825 7466",
     "4242 4242 4242 4242", "198112289874.0", "501011233", "2024-05-17 12:34", "order 0812345678", "XXXX", "",
     "ring mig", "kr", "\u00a0", "１２", "Kontonr: 5839-8257466", "5402-9681", "bankgiro"]
)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(_VALUES, st.text(max_size=30)), max_size=12), st.sampled_from([None, "personnummer", "telefon", "notes", "bankgiro"]))
def test_property_find_many_equals_find_per_value(texts: list[str], hint: str | None) -> None:
    s = Scanner()
    many = s.find_many(texts, hint=hint, ref_dates=[R] * len(texts))
    one = [s.find(t, hint=hint, ref_date=R) for t in texts]
    assert [[(f.kind, f.value, f.start, f.end, round(f.confidence, 6)) for f in x] for x in many] == [
        [(f.kind, f.value, f.start, f.end, round(f.confidence, 6)) for f in x] for x in one
    ]


# -- the fast paths give the same answers as the plain ones ------------------------------------

_PIECES = (
    "811228-9874", "19811228-9874", "198112289874", "197702150157", "0701234567", "070-123 45 67", "08-123 456 78", "+46 70 123 45 67",
    "+46 (0)8-123 456 78", "0046701234567", "46701234567", "5839-8257466", "5839, 8257466", "8327-9 014 725 892-5",
    "3300 811228-9874", "5402-9681", "54029681", "4-2", "28 65 43-4", "4242 4242 4242 4242", "4242424242424242",
    "378282246310005", "556036-0793", "2024-05-17", "12:34", "2024-05-17 12:34", "202405171234", "1 234,50 kr",
    "SE45 5000 0000 0583 9825 7466", "SE556036079301", "10.0.0.1", "v4.7.2", "811228-XXXX", "XX", "anna@example.se",
    "7310865004703", "(08) 123 456 78", "0701234567-12", "tel:", "Tel. ", "Mobil: ", "pnr ", "personnummer: ",
    "ordernr ", "order ", "OCR ", "ref: ", "kl ", "datum ", "konto ", "kontonr: ", "clearing ", "bankgiro ", "BG ",
    "pg ", "PlusGiro ", "plusgiro: ", "kort ", "card no: ", "belopp ", "summa: ", "SEK ", " kr", ":-", ", ", ",",
    "; ", " ", " ", "  ", "\n", "-", "/", ".", "(", ")", "+", "_", "x", "abc", "Hej", "uuid ", "ff00aa", "-0a1b",
    "nummer ", "nr ", "tfn ", "fax ", "call me at ", "mottagare ", "\u00a0", "\u2013",
)


def _random_text(rnd: random.Random) -> str:
    return "".join(rnd.choice(_PIECES) for _ in range(rnd.randint(1, 14)))


def test_keyword_regexes_match_the_plain_form() -> None:
    import re

    from detectors import context

    rnd = random.Random(7)
    words = [w.strip().lower() for w in _PIECES if w.strip() and not w.strip()[0].isdigit()]
    fillers = ["", " ", ": ", ".", "-", "(", " nr ", " nummer: ", "x", "1", " " * 30, "\t", "é", "tel nr: "]
    texts = [
        "".join(rnd.choice(words + fillers) for _ in range(rnd.randint(0, 6))) for _ in range(3000)
    ] + [_random_text(rnd).lower() for _ in range(1000)]
    for kind, words_re in context._KEYWORDS.items():
        plain = re.compile(r"(?:^|[^a-zåäöéü0-9])(?:" + words_re + r")" + context._TAIL)
        fast = context._kw_regex(kind, True)
        for alt in context._split_alternatives(words_re):  # every keyword itself, with a colon after it
            text = re.sub(r"\\(.)", r"\1", re.sub(r"\(\?:([^|)]*)[^)]*\)\??|.\?", r"\1", alt)) + ": "
            assert (plain.search(text) is None) == (fast.search(text) is None), (kind, text)
        for text in texts:
            assert (plain.search(text) is None) == (fast.search(text) is None), (kind, text)
    kinds = ("order", "reference", "time", "personnummer")
    for text in texts:
        assert context.first_near_before(text, kinds) == next((k for k in kinds if near_before(text, k)), None)


def test_filters_apply_equals_every_filter_in_order() -> None:
    from detectors import filters
    from detectors.base import Match

    rnd = random.Random(11)
    for _ in range(3000):
        t = _random_text(rnd)
        found = []
        for _ in range(6):
            s = rnd.randrange(len(t))
            e = rnd.randint(s + 1, min(len(t), s + 20))
            kind = rnd.choice(KINDS)
            sub = rnd.choice(["personnummer", "iban", "account", "mobile", "email", "visa"])
            why = rnd.choice([(), ("context:personnummer",), ("context:order(-)",)])
            found.append(Match(kind, sub, s, e, "v", 0.7, why, False, True, rnd.choice([None, None, "iban", "vat"])))
        hints = rnd.choice([frozenset(), frozenset({"personnummer"}), frozenset({"phone", "bank_account"})])
        ref_year_at = rnd.choice([None, lambda p: 2026, lambda p: 1990])
        assert filters.apply(t, found, hints, ref_year_at) == filters.apply_slow(t, found, hints, ref_year_at), t


def test_window_routing_offers_every_window_a_detector_can_use() -> None:
    """The scanner without routing (every window to every detector taking its digit count) finds the same."""
    rnd = random.Random(5)
    routed = Scanner(min_confidence=0.0, include_non_personal=True)
    plain = Scanner(min_confidence=0.0, include_non_personal=True)
    plain._route = None  # type: ignore[assignment]
    for _ in range(2500):
        t = _random_text(rnd)
        assert routed.find(t, ref_date=R) == plain.find(t, ref_date=R), t
