"""Red-team round 5 on HTML files: data islands and data attributes.

A saved web page holds what its server put in it for the page's scripts: a JSON data
island (``<script type="application/json" id="__NEXT_DATA__">`` with the logged-in
customer's state), schema.org JSON-LD (a contact person's e-mail and telephone), and
``data-*`` attributes (``data-epost="..."``). Before, every ``<script>`` was skipped and
attributes other than title/alt were not read: none of these was found. Script code
stays skipped (numbers in code are no one's), and mail's HTML bodies are read as before.
Fictional values only (valid check digits, PTS fiction numbers, example.se).
"""

from __future__ import annotations

import io

from connectors.base import Location
from connectors.formats import read_stream
from connectors.mime import html_to_text

PAGE = """<!DOCTYPE html><html><head>
<script type="application/ld+json">{"@type": "Person", "name": "Anna Berg", "email": "anna.ld@example.se",
 "telephone": "+46 70 174 06 51"}</script>
<script>var build = 8112289874; function f(){ return "kod.js@example.se"; }</script>
</head><body>
<div id="kort" data-kund-epost="data.attr@example.se" data-id="12345" data-mobil="070-174 06 52">Mina sidor</div>
<p>Hej!</p>
<script id="__NEXT_DATA__" type="application/json">{"props": {"kund": {"personnummer": "19811228-9874"}}}</script>
</body></html>"""


def _texts(page: str = PAGE) -> list[str]:
    loc = lambda c, i: Location("files", "t", c, i)  # noqa: E731
    return [t for r in read_stream(io.BytesIO(page.encode()), "f.html", container="f.html", loc_factory=loc) for _, t in r.fields]


def test_json_data_islands_are_read_and_script_code_is_not() -> None:
    text = " | ".join(_texts())
    assert "anna.ld@example.se" in text and "+46 70 174 06 51" in text
    assert "19811228-9874" in text
    assert "8112289874" not in text and "kod.js@example.se" not in text


def test_data_attributes_naming_or_holding_an_identifier_are_read() -> None:
    texts = _texts()
    text = " | ".join(texts)
    assert "kund-epost: data.attr@example.se" in text
    assert "mobil: 070-174 06 52" in text
    assert "12345" not in text  # an id attribute is no one's data
    assert "Hej!" in texts and "Mina sidor" in text


def test_mail_html_bodies_are_unchanged() -> None:
    body = html_to_text(PAGE, 100_000)
    assert "anna.ld@example.se" not in body and "data.attr@example.se" not in body and "Mina sidor" in body
