"""Red team 6: personal data in an HTML page's links, pixels and meta tags.

HTML-only newsletters put the recipient in their links and tracking pixels
(``<a href="https://x.se/unsub?email=...">``, ``<img src="https://t.x.se/o.gif?u=olle.ny%40...">``),
pages put a customer number in a link's fragment and a contact in ``<meta>`` tags other than
author/description/keywords. Only ``mailto:``/``tel:`` targets were read: none of these was
found, in HTML files nor in HTML mail bodies. A URL's query and fragment are now read, a
parameter after its name (``email: stina.ek@exempel.se``) when its name says it holds an
identifier or its value holds an address or a number written with separators; a tracker's bare
numbers (timestamps, ids, counters: ``t=1711201234`` reads as a personnummer) and tokens are not.
Fictional values only (valid check digits, PTS fiction numbers, exempel.se).
"""

from __future__ import annotations

import io

from connectors.base import Location
from connectors.formats import read_stream
from connectors.mime import html_to_text
from detectors import find_all

PAGE = """<!DOCTYPE html><html><head>
<meta property="og:email" content="kontakt.person@exempel.se"><meta name="reply-to" content="svar.hit@exempel.se">
<meta name="viewport" content="width=device-width"><meta property="fb:app_id" content="1711201234">
</head><body>
<p>Hej Stina! <a href="https://x.se/unsub?email=stina.ek@exempel.se&amp;list=7">Avregistrera</a> dig här.</p>
<p><a href="https://x.se/mina-sidor#kund=811228-9874">Mina sidor</a></p>
<p><a href="https://x.se/ring?mobil=0701740612">Ring oss</a></p>
<img src="https://t.x.se/o.gif?u=olle.ny%40exempel.se&amp;t=1711201234&amp;c=8a3f1711201234e" width="1" height="1" alt="">
<form action="https://x.se/spara?epost=form.action%40exempel.se"><p>Spara</p></form>
<p><a href="https://x.se/p/4711?utm_source=nyhetsbrev&amp;id=1711201234&amp;_ga=2.1711201234.1711201234-1711201234">Erbjudande</a></p>
<p>Personnummer: <a href="https://x.se/kund?nr=4711">640823-3234</a></p>
</body></html>"""

WANTED = {
    ("email", "stina.ek@exempel.se"), ("email", "olle.ny@exempel.se"), ("email", "form.action@exempel.se"),
    ("personnummer", "198112289874"), ("phone", "+46701740612"), ("personnummer", "196408233234"),
    ("email", "kontakt.person@exempel.se"), ("email", "svar.hit@exempel.se"),
}


def _texts() -> list[str]:
    loc = lambda c, i: Location("files", "t", c, i)  # noqa: E731
    return [t for r in read_stream(io.BytesIO(PAGE.encode()), "brev.html", container="brev.html", loc_factory=loc)
            for _, t in r.fields]


def _found(texts: list[str]) -> set[tuple[str, str]]:
    return {(m.kind, m.value) for t in texts for m in find_all(t)}


def test_links_pixels_forms_and_meta_of_an_html_file_are_read() -> None:
    assert _found(_texts()) == WANTED


def test_an_html_mail_bodys_links_and_pixels_are_read() -> None:
    assert _found([html_to_text(PAGE, 100_000)]) == WANTED


def test_a_link_is_read_after_its_text_with_its_parameters_names() -> None:
    texts = _texts()
    assert "Hej Stina! Avregistrera email: stina.ek@exempel.se dig här." in texts
    assert "Personnummer: 640823-3234" in " ".join(texts)  # the link's own parameters come after the value
    assert "Mina sidor kund: 811228-9874" in texts
    assert not any("1711201234" in t or "utm_source" in t for t in texts)  # a tracker's numbers and tokens
