"""Red-team round 4 on HTML files: a saved form's field values and the file's comments.

Fictional values only (valid check digits, PTS fiction numbers, example.se).
"""

from __future__ import annotations

import io

from connectors.base import Location
from connectors.formats import read_stream
from connectors.mime import html_to_text

PAGE = """<!DOCTYPE html><html><body>
<form><label for="p">Personnummer</label><input id="p" name="personnummer" value="811228-9874">
<input type="email" name="epost" value="anna.berg@example.se"><input type="hidden" name="kund_tel" value="0701740605">
<input type="submit" value="Skicka"><input type="checkbox" name="ok" value="on" checked></form>
<!-- gammal kontakt: cia.ek@example.se -->
<!--[if mso]><p>x</p><![endif]-->
</body></html>"""


def _texts() -> list[str]:
    loc = lambda c, i: Location("files", "t", c, i)  # noqa: E731
    return [t for r in read_stream(io.BytesIO(PAGE.encode()), "f.html", container="f.html", loc_factory=loc) for _, t in r.fields]


def test_the_values_of_a_saved_forms_fields_are_read_after_their_names() -> None:
    text = " | ".join(_texts())
    assert "personnummer: 811228-9874" in text
    assert "epost: anna.berg@example.se" in text
    assert "kund_tel: 0701740605" in text
    assert "Skicka" not in text and "ok: on" not in text


def test_an_html_files_comments_are_read_as_blocks_of_their_own() -> None:
    texts = _texts()
    assert "gammal kontakt: cia.ek@example.se" in texts
    assert not any("[if mso]" in t for t in texts)


def test_an_html_mail_body_keeps_its_comments_out() -> None:
    assert "cia.ek@example.se" not in html_to_text(PAGE, 100_000)
