"""Red team 5: HTML character references between the parts of a number.

Rich-text editors (a CRM's notes, a ticket's body, an e-mail template kept in
a database column or a CSV export) store the separators of a number as
character references: ``070&nbsp;123&nbsp;45&nbsp;67``, ``811228&#45;9874``,
``08&ndash;123 456 78``. The HTML reader decodes them, but the same HTML held
in a text field reached the detectors as written, and every such number was
missed. The references of spaces, dashes and signs are decoded like the percent
escapes of a URL (detectors.normalize), spans mapped back onto the text as given.
"""

from __future__ import annotations

from datetime import date

import pytest

from detectors.normalize import normalize
from detectors.scan import Scanner

REF = date(2026, 12, 7)


@pytest.mark.parametrize(
    "text, kind, value, written",
    [
        ("<p>Ring&nbsp;070-123&nbsp;45&nbsp;67</p>", "phone", "+46701234567", "070-123&nbsp;45&nbsp;67"),
        ("Tel:&nbsp;+46&nbsp;(0)8&#8209;123&#160;456&#xA0;78", "phone", "+46812345678", "+46&nbsp;(0)8&#8209;123&#160;456&#xA0;78"),
        ("<td>811228&#45;9874</td>", "personnummer", "198112289874", "811228&#45;9874"),
        ("Personnummer: 811228&ndash;9874", "personnummer", "198112289874", "811228&ndash;9874"),
        ("<td>19090527&#43;1474</td>", "personnummer", "190905271474", "19090527&#43;1474"),
        ("Kort: 4242&#x2D;4242&#x2d;4242&#45;4242", "payment_card", "4242424242424242", "4242&#x2D;4242&#x2d;4242&#45;4242"),
        ("IBAN SE45&nbsp;5000&nbsp;0000&nbsp;0583&nbsp;9825&nbsp;7466", "bank_account", "SE4550000000058398257466",
         "SE45&nbsp;5000&nbsp;0000&nbsp;0583&nbsp;9825&nbsp;7466"),
    ],
)
def test_a_number_with_character_references_is_found(text: str, kind: str, value: str, written: str) -> None:
    found = [m for m in Scanner().find(text, ref_date=REF) if m.kind == kind]
    assert [m.value for m in found] == [value]
    assert text[found[0].start : found[0].end] == written


def test_many_values_keep_their_offsets() -> None:
    texts = ["Tel&nbsp;070&nbsp;123&nbsp;45&nbsp;67", "x", "pnr 811228&#45;9874"]
    out = Scanner().find_many(texts, ref_dates=[REF] * 3)
    assert [(m.value, texts[0][m.start : m.end]) for m in out[0]] == [("+46701234567", "070&nbsp;123&nbsp;45&nbsp;67")]
    assert out[1] == []
    assert [(m.value, texts[2][m.start : m.end]) for m in out[2]] == [("198112289874", "811228&#45;9874")]


def test_other_references_are_left_as_written() -> None:
    # &amp; &lt; &gt; would make new markup; "&#64;" is read by the e-mail detector itself
    n = normalize("Q&amp;A &lt;b&gt; a&#64;b.se 070&nbsp;1", html_entities=True)
    assert n.text == "Q&amp;A &lt;b&gt; a&#64;b.se 070 1"
    assert n.to_original(n.text.index("070")) == len("Q&amp;A &lt;b&gt; a&#64;b.se ")


def test_entities_alone_give_nothing() -> None:
    assert Scanner().find("Q&amp;A&nbsp;om&nbsp;leveranser&ndash;2024", ref_date=REF) == []
