"""Red-team round 4 on PDF: sticky notes and attached files.

A PDF's annotations (a reviewer's note, a mailto link) and its embedded files (an
invoice's attached CSV, a form's attachment) are not page text. Fictional values only.
"""

from __future__ import annotations

import io

import pytest

from connectors.base import Limits, Location
from connectors.formats import PartialRead, read_stream
from tests.connectors.fileutil import pdf_bytes


def _pdf() -> bytes:
    from pypdf import PdfReader, PdfWriter
    from pypdf.annotations import Link, Text

    w = PdfWriter()
    w.append(PdfReader(io.BytesIO(pdf_bytes(["Ansokan om bidrag"]))))
    note = Text(text="Ring sokanden 070-174 06 07", rect=(50, 550, 200, 650))
    note[_name("/T")] = _text("granskare.ek@example.se")
    w.add_annotation(page_number=0, annotation=note)
    w.add_annotation(page_number=0, annotation=Link(rect=(50, 500, 200, 520), url="mailto:sokande.berg@example.se"))
    w.add_attachment("bilaga kunder.csv", "namn;personnummer\nAnna Berg;811228-9874\n".encode())
    buf = io.BytesIO()
    w.write(buf)
    return buf.getvalue()


def _name(s: str):  # noqa: ANN202
    from pypdf.generic import NameObject

    return NameObject(s)


def _text(s: str):  # noqa: ANN202
    from pypdf.generic import TextStringObject

    return TextStringObject(s)


def _read(data: bytes, limits: Limits | None = None) -> tuple[dict[tuple[str, str], list[tuple[str, str]]], Exception | None]:
    out: dict[tuple[str, str], list[tuple[str, str]]] = {}
    loc = lambda c, i: Location("files", "t", c, i)  # noqa: E731
    err = None
    try:
        for r in read_stream(io.BytesIO(data), "a.pdf", container="a.pdf", loc_factory=loc, limits=limits):
            out.setdefault((r.location.container, r.location.item), []).extend(r.fields)
    except PartialRead as exc:
        err = exc
    return out, err


def test_annotations_are_read_with_their_author() -> None:
    recs, err = _read(_pdf())
    assert err is None
    assert recs[("a.pdf", "p1 annotation 1")] == [("text", "Ring sokanden 070-174 06 07"), ("meta:author", "granskare.ek@example.se")]
    assert recs[("a.pdf", "p1 annotation 2")] == [("link", "mailto:sokande.berg@example.se")]


def test_an_attached_file_is_read_as_an_entry_of_the_pdf() -> None:
    recs, err = _read(_pdf())
    assert recs[("a.pdf!bilaga kunder.csv", "")] == [("path", "bilaga kunder.csv")]
    assert recs[("a.pdf!bilaga kunder.csv", "2")] == [("namn", "Anna Berg"), ("personnummer", "811228-9874")]


@pytest.mark.parametrize("limit", [20])
def test_an_attachment_beyond_the_limits_is_reported_and_the_pages_read(limit: int) -> None:
    recs, err = _read(_pdf(), Limits(max_expanded_bytes=limit))
    assert isinstance(err, PartialRead) and "max_expanded_bytes" in str(err) and "811228" not in str(err)
    assert ("a.pdf", "p1") in recs and ("a.pdf!bilaga kunder.csv", "2") not in recs


XMP = b"""<?xpacket begin="" id="W5M0MpCehiHzreSzNTczkc9d"?><x:xmpmeta xmlns:x="adobe:ns:meta/">
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description rdf:about=""
 xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:pdf="http://ns.adobe.com/pdf/1.3/">
<dc:creator><rdf:Seq><rdf:li>anna.berg@example.se</rdf:li></rdf:Seq></dc:creator>
<dc:title><rdf:Alt><rdf:li xml:lang="x-default">Lonespec 811228-9874</rdf:li></rdf:Alt></dc:title>
<pdf:Keywords>kund 640823-3234</pdf:Keywords></rdf:Description></rdf:RDF></x:xmpmeta><?xpacket end="w"?>"""


def _with_xmp(xmp: bytes) -> bytes:
    from pypdf import PdfReader, PdfWriter
    from pypdf.generic import StreamObject

    w = PdfWriter()
    w.append(PdfReader(io.BytesIO(pdf_bytes(["Lonespecifikation"]))))
    s = StreamObject()
    s.set_data(xmp)
    s[_name("/Type")] = _name("/Metadata")
    s[_name("/Subtype")] = _name("/XML")
    w._root_object[_name("/Metadata")] = w._add_object(s)
    buf = io.BytesIO()
    w.write(buf)
    return buf.getvalue()


def test_xmp_metadata_is_read() -> None:
    recs, err = _read(_with_xmp(XMP))
    assert err is None
    meta = dict(recs[("a.pdf", "meta")])
    assert meta["meta:xmp:creator"] == "anna.berg@example.se"
    assert meta["meta:xmp:title"] == "Lonespec 811228-9874"
    assert meta["meta:xmp:keywords"] == "kund 640823-3234"


def test_xmp_metadata_declaring_entities_is_refused_and_the_pages_read() -> None:
    bomb = b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;">]><x>&b;</x>'
    recs, err = _read(_with_xmp(bomb))
    assert isinstance(err, PartialRead) and "XMP" in str(err)
    assert recs[("a.pdf", "p1")] == [("text", "Lonespecifikation")]
