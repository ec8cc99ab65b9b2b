"""Red-team round 4: PowerPoint decks read slide by slide, not as a zip of XML parts.

Before, a .pptx was a zip: each slide's XML a structured record (everyone on a slide
linked), a run-split number cut into fields, speaker notes a separate entry named by
part. Fictional values only.
"""

from __future__ import annotations

import io
import zipfile

from connectors.base import Location
from connectors.formats import read_stream

A = 'xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main"'
P = 'xmlns:p="http://schemas.openxmlformats.org/presentationml/2006/main"'
R = 'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"'
RELS = 'xmlns="http://schemas.openxmlformats.org/package/2006/relationships"'
T = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"


def _sp(*paragraphs: list[str]) -> str:
    ps = "".join("<a:p>" + "".join(f"<a:r><a:t>{run}</a:t></a:r>" for run in runs) + "</a:p>" for runs in paragraphs)
    return f"<p:sp><p:txBody>{ps}</p:txBody></p:sp>"


def _pptx() -> bytes:
    table = ("<p:graphicFrame><a:graphic><a:graphicData><a:tbl>"
             "<a:tr><a:tc><a:txBody><a:p><a:r><a:t>Namn</a:t></a:r></a:p></a:txBody></a:tc>"
             "<a:tc><a:txBody><a:p><a:r><a:t>Mobil</a:t></a:r></a:p></a:txBody></a:tc></a:tr>"
             "<a:tr><a:tc><a:txBody><a:p><a:r><a:t>Bo Ek</a:t></a:r></a:p></a:txBody></a:tc>"
             "<a:tc><a:txBody><a:p><a:r><a:t>0701740606</a:t></a:r></a:p></a:txBody></a:tc></a:tr>"
             "</a:tbl></a:graphicData></a:graphic></p:graphicFrame>")
    slide = (f'<?xml version="1.0" encoding="UTF-8"?><p:sld {A} {P} {R}><p:cSld><p:spTree>'
             + _sp(["Kundärende"], ["Anna Berg, ", "811228", "-9874"]) + table
             + "</p:spTree></p:cSld></p:sld>")
    notes = (f'<?xml version="1.0" encoding="UTF-8"?><p:notes {A} {P}><p:cSld><p:spTree>'
             + _sp(["Ring henne på 070-174 06 05"]) + _sp(["1"]) + "</p:spTree></p:cSld></p:notes>")
    files = {
        "[Content_Types].xml": '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>',
        "ppt/presentation.xml": f'<?xml version="1.0"?><p:presentation {P} {R}><p:sldIdLst><p:sldId id="256" r:id="rId2"/></p:sldIdLst></p:presentation>',
        "ppt/_rels/presentation.xml.rels": f'<?xml version="1.0"?><Relationships {RELS}><Relationship Id="rId2" Type="{T}/slide" Target="slides/slide1.xml"/></Relationships>',
        "ppt/slides/slide1.xml": slide,
        "ppt/slides/_rels/slide1.xml.rels": f'<?xml version="1.0"?><Relationships {RELS}><Relationship Id="rId3" Type="{T}/notesSlide" Target="../notesSlides/notesSlide1.xml"/></Relationships>',
        "ppt/notesSlides/notesSlide1.xml": notes,
        "docProps/core.xml": ('<?xml version="1.0"?><cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" '
                              'xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:creator>saljare@example.se</dc:creator></cp:coreProperties>'),
    }
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, text in files.items():
            zf.writestr(name, text)
    return buf.getvalue()


def test_a_deck_is_read_slide_by_slide() -> None:
    loc = lambda c, i: Location("files", "t", c, i)  # noqa: E731
    recs = {r.location.item: (r.location.container, r.structured, r.fields)
            for r in read_stream(io.BytesIO(_pptx()), "kund.pptx", container="kund.pptx", loc_factory=loc)}
    assert recs["meta"] == ("kund.pptx", False, [("meta:author", "saljare@example.se")])
    assert recs["slide 1"] == ("kund.pptx", False, [("text", "Kundärende\nAnna Berg, 811228-9874")])
    assert recs["slide 1 table 1 row 2"] == ("kund.pptx", True, [("Namn", "Bo Ek"), ("Mobil", "0701740606")])
    assert recs["slide 1 notes"] == ("kund.pptx", False, [("text", "Ring henne på 070-174 06 05")])
