"""Red team 5: a WhatsApp click-to-chat link, ``https://wa.me/46701234567``.

Businesses put it in signatures and on web pages; the number is written in the
international form without "+" (as WhatsApp asks), which the phone reader
takes only after a phone keyword (``46...`` is also how many order and
customer numbers start). ``wa.me/`` is such a keyword.
"""

from __future__ import annotations

import pytest

from detectors.scan import Scanner


@pytest.mark.parametrize(
    "text",
    ["https://wa.me/46701234567", "Chatta med oss: wa.me/46701234567?text=Hej", '<a href="https://wa.me/46701234567">'],
)
def test_a_wa_me_link_holds_a_phone_number(text: str) -> None:
    assert [m.value for m in Scanner().find(text) if m.kind == "phone"] == ["+46701234567"]


def test_the_bare_number_still_needs_a_keyword() -> None:
    assert [m for m in Scanner().find("Kund 46701234567") if m.kind == "phone"] == []
