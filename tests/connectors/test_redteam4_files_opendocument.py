"""Red-team round 4: OpenDocument files (LibreOffice .odt, .ods) read as documents, not as zips of XML.

Before, an .odt was a zip whose content.xml was one structured record (a letter
about two people linked them), text split into spans was cut into fields
('811228' and '-9874'), and an .ods sheet's cells were fields without their
column names. Fictional values only.
"""

from __future__ import annotations

import io
import zipfile

from connectors.base import Location
from connectors.formats import read_stream

NS = ('xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
      'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
      'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" '
      'xmlns:draw="urn:oasis:names:tc:opendocument:xmlns:drawing:1.0" '
      'xmlns:style="urn:oasis:names:tc:opendocument:xmlns:style:1.0" xmlns:dc="http://purl.org/dc/elements/1.1/" '
      'xmlns:meta="urn:oasis:names:tc:opendocument:xmlns:meta:1.0"')


def _odf(mimetype: str, body: str, styles: str = "", meta: str = "") -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("mimetype", mimetype)
        zf.writestr("content.xml", f'<?xml version="1.0" encoding="UTF-8"?><office:document-content {NS}>'
                                   f"<office:body>{body}</office:body></office:document-content>")
        if styles:
            zf.writestr("styles.xml", f'<?xml version="1.0" encoding="UTF-8"?><office:document-styles {NS}>'
                                      f"<office:master-styles><style:master-page>{styles}</style:master-page>"
                                      "</office:master-styles></office:document-styles>")
        if meta:
            zf.writestr("meta.xml", f'<?xml version="1.0"?><office:document-meta {NS}><office:meta>{meta}</office:meta>'
                                    "</office:document-meta>")
    return buf.getvalue()


def _records(data: bytes, name: str) -> dict[str, tuple[bool, list[tuple[str, str]]]]:
    loc = lambda c, i: Location("files", "t", c, i)  # noqa: E731
    out: dict[str, tuple[bool, list[tuple[str, str]]]] = {}
    for r in read_stream(io.BytesIO(data), name, container=name, loc_factory=loc):
        assert r.location.container == name
        out.setdefault(r.location.item, (r.structured, []))[1].extend(r.fields)
    return out


LETTER = (
    "<office:text><text:h>Beslut</text:h>"
    "<text:p>Sökande Anna Berg, <text:span>811228</text:span>-9874, <text:a>anna.berg@example.se</text:a>."
    "<office:annotation><dc:creator>granskare@example.se</dc:creator><text:p>Kolla 640823-3234</text:p></office:annotation></text:p>"
    "<text:p>Bo Ek<text:note><text:note-citation>1</text:note-citation><text:note-body>"
    "<text:p>Tel 070-174 06 05</text:p></text:note-body></text:note> är handläggare.</text:p>"
    "<table:table><table:table-row><table:table-cell><text:p>Namn:</text:p></table:table-cell>"
    "<table:table-cell><text:p>Cia Ek</text:p></table:table-cell></table:table-row>"
    "<table:table-row><table:table-cell><text:p>Personnummer:</text:p></table:table-cell>"
    "<table:table-cell><text:p>750314-2387</text:p></table:table-cell></table:table-row></table:table>"
    "</office:text>"
)


def test_an_odt_is_read_paragraph_by_paragraph() -> None:
    recs = _records(_odf("application/vnd.oasis.opendocument.text", LETTER,
                         styles="<style:footer><text:p>Kommunen 08-465 004 00</text:p></style:footer>",
                         meta='<dc:creator>skribent@example.se</dc:creator><meta:user-defined meta:name="Part">900101-1239</meta:user-defined>'),
                    "beslut.odt")
    assert recs["paragraph 2"] == (False, [("text", "Sökande Anna Berg, 811228-9874, anna.berg@example.se.")])
    assert recs["comment 1"] == (False, [("text", "Kolla 640823-3234"), ("meta:author", "granskare@example.se")])
    assert recs["paragraph 3"] == (False, [("text", "Tel 070-174 06 05")])  # the footnote
    assert recs["paragraph 4"] == (False, [("text", "Bo Ek är handläggare.")])
    assert recs["table 1"] == (True, [("Namn", "Cia Ek"), ("Personnummer", "750314-2387")])
    assert recs["footer"] == (False, [("text", "Kommunen 08-465 004 00")])
    assert recs["meta"] == (False, [("meta:author", "skribent@example.se"), ("meta:custom:Part", "900101-1239")])


def _cell(text: str, repeat: int = 1, value: str = "") -> str:
    rep = f' table:number-columns-repeated="{repeat}"' if repeat > 1 else ""
    val = f' office:value-type="float" office:value="{value}"' if value else ""
    return f"<table:table-cell{rep}{val}>" + (f"<text:p>{text}</text:p>" if text else "") + "</table:table-cell>"


def test_an_ods_sheet_is_read_row_by_row_named_by_its_header() -> None:
    rows = [
        "<table:table-row>" + _cell("Namn") + _cell("Personnummer") + _cell("Mobil") + _cell("", 1020) + "</table:table-row>",
        "<table:table-row>" + _cell("Anna Berg") + _cell("811228-9874", value="8112289874") + _cell("070-174 06 05")
        + _cell("", 1020) + "</table:table-row>",
        '<table:table-row table:number-rows-repeated="3">' + _cell("", 1024) + "</table:table-row>",
        "<table:table-row>" + _cell("Bo Ek") + _cell("", value="6408233234") + _cell("070-174 06 06") + "</table:table-row>",
        '<table:table-row table:number-rows-repeated="1048000">' + _cell("", 1024) + "</table:table-row>",
    ]
    body = (f'<office:spreadsheet><table:table table:name="Kunder">{"".join(rows)}</table:table>'
            '<table:table table:name="Tom"><table:table-row>' + _cell("tom@example.se") + "</table:table-row></table:table></office:spreadsheet>")
    recs = _records(_odf("application/vnd.oasis.opendocument.spreadsheet", body), "k.ods")
    assert recs["Kunder:2"] == (True, [("Namn", "Anna Berg"), ("Personnummer", "811228-9874"), ("Mobil", "070-174 06 05")])
    assert recs["Kunder:6"] == (True, [("Namn", "Bo Ek"), ("Personnummer", "6408233234"), ("Mobil", "070-174 06 06")])
    assert "Kunder:1" not in recs
    assert recs["Tom:1"] == (True, [("Tom!A1", "tom@example.se")])


def test_a_password_protected_odt_fails_with_the_reason() -> None:
    import pytest

    from connectors.base import ConnectorError

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("mimetype", "application/vnd.oasis.opendocument.text")
        zf.writestr("content.xml", b"\x8f\x02\xa7 encrypted bytes")
        zf.writestr("META-INF/manifest.xml", '<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0">'
                    '<manifest:file-entry manifest:full-path="content.xml"><manifest:encryption-data/></manifest:file-entry>'
                    "</manifest:manifest>")
    with pytest.raises(ConnectorError, match="encrypted OpenDocument file, a password is needed"):
        _records(buf.getvalue(), "hemlig.odt")
