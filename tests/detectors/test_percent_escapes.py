"""Identifiers in percent-encoded URLs and form values (access logs, redirects, tracking links).

``pnr%3D198112289874`` is ``pnr=198112289874`` escaped: the letter that ends
the escape (``D`` of ``%3D``, ``F`` of ``%2F``) is no word around the number,
and it is no part of a hex run either. Before, the word filter dropped every
such number. Not handled: an escape whose hex digits are digits (``%20811228-9874``)
joins the number's run; reading that needs the URL decoded first. Fictional
values (the reference's example 811228-9874, a test card).
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
