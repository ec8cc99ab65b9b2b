"""Identifiers in percent-encoded URLs and form values (access logs, redirects, tracking links).

``pnr%3D198112289874`` is ``pnr=198112289874`` escaped: the letter that ends
the escape (``D`` of ``%3D``, ``F`` of ``%2F``) is no word around the number,
and it is no part of a hex run either. Before, the word filter dropped every
such number. The scanner also decodes the escapes of separators and signs
(``%20``, ``%2B``, ``%2D``...: ``normalize(url_escapes=True)``), so a number
spread over them reads as written; the validators do not decode. Fictional
values (the reference's example 811228-9874, a test card, PTS fiction numbers).
"""

from __future__ import annotations

import random

import pytest

from detectors import filters
from detectors.base import Match
from detectors.scan import Scanner

S = Scanner()


@pytest.mark.parametrize("text,kind", [
    ("GET /kund?pnr%3D198112289874 HTTP/1.1", "personnummer"),
    ("redirect=%2Fkund%2F19811228-9874%2Forder", "personnummer"),
    ("next=%2Fsok%3Fq%3D811228-9874%26x%3D1", "personnummer"),
    ("betalning?kort%3D4111111111111111%26belopp%3D100", "payment_card"),
    ("personnummer%3A811228-9874", "personnummer"),
    ("form: personnummer%3A%20811228-9874", "personnummer"),  # an escape whose hex digits are digits
    ("GET /sok?q=070%20174%2006%2005&x=1", "phone"),
    ("tel%3A%2B46701740605", "phone"),
    ("pnr%3D811228%2D9874", "personnummer"),
])
def test_a_number_after_a_percent_escape_is_found(text: str, kind: str) -> None:
    assert [f.kind for f in S.find(text)] == [kind], text


@pytest.mark.parametrize("text", [
    "abc3D198112289874",  # glued to a word: no escape
    "x%3D198112289874abc",  # a letter after it still makes it part of a code
    "sha 3d198112289874aa",
    "id=%3Da3f19811228987412bc",  # inside a hex run that the escape does not explain
])
def test_a_number_inside_a_word_or_code_is_still_dropped(text: str) -> None:
    assert S.find(text) == [], text


def test_apply_equals_the_filters_in_order_around_escapes() -> None:
    rnd = random.Random(3)
    pieces = ["%3D", "%2F", "%3A", "%20", "%26", "%3d", "%2f", "%41", "%", "3D", "D", "a", "-", " ", "=", "pnr",
              "198112289874", "811228-9874", "4111111111111111", "0701234567", "ff", "x"]
    for _ in range(4000):
        t = "".join(rnd.choice(pieces) for _ in range(rnd.randint(1, 8)))
        found = []
        for _ in range(4):
            s = rnd.randrange(len(t))
            e = rnd.randint(s + 1, min(len(t), s + 20))
            kind = rnd.choice(("personnummer", "phone", "bank_account", "payment_card"))
            found.append(Match(kind, "x", s, e, "v", 0.7, (), False, True, rnd.choice([None, None, "iban"])))
        assert filters.apply(t, found) == filters.apply_slow(t, found), t


def test_spans_of_decoded_escapes_point_into_the_text_as_given() -> None:
    text = "GET /sok?q=070%20174%2006%2005&x=1"
    (m,) = S.find(text)
    assert text[m.start:m.end] == "070%20174%2006%2005" and m.value == "+46701740605"
    text = "a=1&tel%3A%2B46701740605"
    (m,) = S.find(text)
    assert text[m.start:m.end] == "%2B46701740605"


def test_the_validators_do_not_decode() -> None:
    from detectors import personnummer, phone

    assert not personnummer.is_valid("811228%2D9874")
    assert not phone.is_valid("070%20174%2006%2005")


def test_text_without_escapes_normalises_as_before() -> None:
    from detectors.normalize import normalize

    rnd = random.Random(8)
    alphabet = "abc 0123456789-+%/:=&?.,()åäö\u00a0\u2013"
    for _ in range(3000):
        t = "".join(rnd.choice(alphabet) for _ in range(rnd.randint(0, 30)))
        n = normalize(t, url_escapes=True)
        if "%" not in t:
            assert n == normalize(t), t
        for p in range(len(n.text) + 1):  # every offset maps into the text as given
            assert 0 <= n.to_original(p) <= len(t) and 0 <= n.to_original(p, end=True) <= len(t)


def test_what_is_found_in_an_escaped_text_is_what_is_found_decoded() -> None:
    from urllib.parse import quote

    rnd = random.Random(9)
    pieces = ["811228-9874", "070-174 06 05", "+46 70 174 06 05", "4111 1111 1111 1111", "pnr: ", "tel ", "q=", "&", " "]
    for _ in range(500):
        plain = "".join(rnd.choice(pieces) for _ in range(rnd.randint(1, 6)))
        escaped = quote(plain, safe="")  # every separator escaped, as a URL encoder writes it
        got = sorted((m.kind, m.value) for m in S.find(escaped))
        assert got == sorted((m.kind, m.value) for m in S.find(plain)), (plain, escaped)
