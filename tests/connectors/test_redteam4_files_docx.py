"""Red-team round 4 on DOCX: text Word shows that python-docx's paragraphs leave out.

Content controls (the fields of a form template), tracked insertions and deletions,
text boxes and footnotes. Fictional values only (valid check digits, example.se).
"""

from __future__ import annotations

import io
import zipfile

from connectors.base import Location
from connectors.formats import read_stream

W = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'
BODY = (
    # a form template's content control at body level, and one inline
    '<w:sdt><w:sdtPr><w:alias w:val="Sökande"/></w:sdtPr><w:sdtContent>'
    "<w:p><w:r><w:t>E-post: sokande.berg@example.se</w:t></w:r></w:p></w:sdtContent></w:sdt>"
    '<w:p><w:r><w:t xml:space="preserve">Personnummer: </w:t></w:r><w:sdt><w:sdtPr/><w:sdtContent>'
    "<w:r><w:t>811228-9874</w:t></w:r></w:sdtContent></w:sdt></w:p>"
    # a tracked change: the number typed over
    '<w:p><w:r><w:t xml:space="preserve">Mobil </w:t></w:r>'
    '<w:del w:id="1" w:author="Handl" w:date="2024-05-01T10:00:00Z"><w:r><w:delText>070-174 06 05</w:delText></w:r></w:del>'
    '<w:ins w:id="2" w:author="Handl" w:date="2024-05-01T10:00:00Z"><w:r><w:t>070-174 06 06</w:t></w:r></w:ins></w:p>'
    # a text box (DrawingML, with the VML copy for older readers)
    '<w:p><w:r><w:t>Se rutan</w:t></w:r><w:r><mc:AlternateContent xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/2006">'
    '<mc:Choice Requires="wps"><w:drawing><wps:txbx xmlns:wps="http://schemas.microsoft.com/office/word/2010/wordprocessingShape">'
    "<w:txbxContent><w:p><w:r><w:t>Kontakt: ruta.ek@example.se</w:t></w:r></w:p></w:txbxContent></wps:txbx></w:drawing></mc:Choice>"
    '<mc:Fallback><w:pict><v:shape xmlns:v="urn:schemas-microsoft-com:vml"><v:textbox><w:txbxContent>'
    "<w:p><w:r><w:t>Kontakt: ruta.ek@example.se</w:t></w:r></w:p></w:txbxContent></v:textbox></v:shape></w:pict></mc:Fallback>"
    "</mc:AlternateContent></w:r></w:p>"
    '<w:p><w:r><w:t>Se not</w:t></w:r><w:r><w:footnoteReference w:id="2"/></w:r></w:p>'
    # a form table whose value cell is a content control with a tracked insertion
    "<w:tbl><w:tr><w:tc><w:p><w:r><w:t>Namn</w:t></w:r></w:p></w:tc><w:tc><w:p><w:r><w:t>Personnummer</w:t></w:r></w:p></w:tc></w:tr>"
    "<w:tr><w:tc><w:p><w:r><w:t>Bo Ek</w:t></w:r></w:p></w:tc><w:tc><w:sdt><w:sdtContent><w:p>"
    '<w:ins w:id="3" w:author="x"><w:r><w:t>640823-3234</w:t></w:r></w:ins></w:p></w:sdtContent></w:sdt></w:tc></w:tr></w:tbl>'
)
FOOTNOTES = (
    f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><w:footnotes {W}>'
    '<w:footnote w:type="separator" w:id="-1"><w:p><w:r><w:separator/></w:r></w:p></w:footnote>'
    '<w:footnote w:id="2"><w:p><w:r><w:t>Uppgift från 750314-2387</w:t></w:r></w:p></w:footnote></w:footnotes>'
)


def _docx() -> bytes:
    import docx

    d = docx.Document()
    buf = io.BytesIO()
    d.save(buf)
    zin = zipfile.ZipFile(io.BytesIO(buf.getvalue()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = zin.read(info.filename)
            if info.filename == "word/document.xml":
                data = data.decode().replace("<w:sectPr", BODY + "<w:sectPr", 1).encode()
            elif info.filename == "word/_rels/document.xml.rels":
                rel = ('<Relationship Id="rIdFn" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
                       'relationships/footnotes" Target="footnotes.xml"/>')
                data = data.decode().replace("</Relationships>", rel + "</Relationships>").encode()
            elif info.filename == "[Content_Types].xml":
                ct = ('<Override PartName="/word/footnotes.xml" ContentType="application/'
                      'vnd.openxmlformats-officedocument.wordprocessingml.footnotes+xml"/>')
                data = data.decode().replace("</Types>", ct + "</Types>").encode()
            zout.writestr(info, data)
        zout.writestr("word/footnotes.xml", FOOTNOTES)
    return out.getvalue()


def _records() -> dict[str, list[tuple[str, str]]]:
    out: dict[str, list[tuple[str, str]]] = {}
    loc = lambda c, i: Location("files", "t", c, i)  # noqa: E731
    for r in read_stream(io.BytesIO(_docx()), "ansokan.docx", container="ansokan.docx", loc_factory=loc):
        out.setdefault(r.location.item, []).extend(r.fields)
    return out


def _texts(recs: dict[str, list[tuple[str, str]]]) -> str:
    return "\n".join(t for fields in recs.values() for _, t in fields)


def test_content_controls_are_read() -> None:
    recs = _records()
    assert recs["paragraph 1"] == [("text", "E-post: sokande.berg@example.se")]
    assert recs["paragraph 2"] == [("text", "Personnummer: 811228-9874")]


def test_a_tracked_insertion_is_text_and_a_deletion_a_record_of_its_own() -> None:
    recs = _records()
    assert recs["paragraph 3"] == [("text", "Mobil 070-174 06 06")]
    assert recs["paragraph 3 deleted"] == [("text", "070-174 06 05")]


def test_a_text_box_is_read_once() -> None:
    recs = _records()
    assert recs["paragraph 4 text box 1"] == [("text", "Kontakt: ruta.ek@example.se")]
    assert _texts(recs).count("ruta.ek@example.se") == 1


def test_footnotes_are_read() -> None:
    assert _records()["footnote 2"] == [("text", "Uppgift från 750314-2387")]


def test_a_table_cell_in_a_content_control_keeps_its_column_name() -> None:
    assert _records()["table 1 row 2"] == [("Namn", "Bo Ek"), ("Personnummer", "640823-3234")]


def test_a_mailto_link_whose_text_is_a_name_gives_its_address() -> None:
    import docx
    from docx.opc.constants import RELATIONSHIP_TYPE as RT
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    d = docx.Document()
    p = d.add_paragraph("Kontakta ")
    rid = d.part.relate_to("mailto:anna.berg@example.se", RT.HYPERLINK, is_external=True)
    link = OxmlElement("w:hyperlink")
    link.set(qn("r:id"), rid)
    run = OxmlElement("w:r")
    t = OxmlElement("w:t")
    t.text = "Anna Berg"
    run.append(t)
    link.append(run)
    p._p.append(link)
    shown = d.add_paragraph()
    rid2 = d.part.relate_to("mailto:bo.ek@example.se", RT.HYPERLINK, is_external=True)
    link2 = OxmlElement("w:hyperlink")
    link2.set(qn("r:id"), rid2)
    run2 = OxmlElement("w:r")
    t2 = OxmlElement("w:t")
    t2.text = "bo.ek@example.se"
    run2.append(t2)
    link2.append(run2)
    shown._p.append(link2)
    buf = io.BytesIO()
    d.save(buf)
    loc = lambda c, i: Location("files", "t", c, i)  # noqa: E731
    recs = {r.location.item: r.fields for r in read_stream(io.BytesIO(buf.getvalue()), "l.docx", container="l.docx", loc_factory=loc)}
    assert recs["paragraph 1"] == [("text", "Kontakta Anna Berg mailto:anna.berg@example.se")]
    assert recs["paragraph 2"] == [("text", "bo.ek@example.se")]  # the address shown: not repeated
