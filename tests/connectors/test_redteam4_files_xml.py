"""Red-team round 4 on XML: a list wrapped in an element is a list of records, not one record.

Before, each child of the document element was one record: an export's
``<Kunder>`` with every ``<Kund>`` inside (and an OpenDocument sheet's body with
every row) was one structured record, so every customer's values were linked to
every other's. Fictional values only.
"""

from __future__ import annotations

import io

import pytest

from connectors.base import ConnectorError, Location
from connectors.formats import read_stream
from tests.connectors.fileutil import NonSeekable

EXPORT = """<?xml version="1.0" encoding="UTF-8"?>
<Export skapad="2024-05-01">
  <Header><Avsandare>crm@example.se</Avsandare></Header>
  <Kunder antal="2">
    <Kund id="1"><Namn>Anna Berg</Namn><Personnummer>198112289874</Personnummer>
      <Kontakt><Typ>mobil</Typ><Varde>0701740605</Varde></Kontakt>
      <Kontakt><Typ>epost</Typ><Varde>anna.berg@example.se</Varde></Kontakt></Kund>
    <Kund id="2"><Namn>Bo Ek</Namn><Personnummer>196408233234</Personnummer>
      <Kontakt><Typ>mobil</Typ><Varde>0701740606</Varde></Kontakt></Kund>
  </Kunder>
</Export>"""


def _records(data: bytes, name: str, seekable: bool = True) -> dict[tuple[str, str], list[tuple[str, str]]]:
    out: dict[tuple[str, str], list[tuple[str, str]]] = {}
    loc = lambda c, i: Location("files", "t", c, i)  # noqa: E731
    body = io.BytesIO(data) if seekable else NonSeekable(data)
    for r in read_stream(body, name, container=name, loc_factory=loc):
        out.setdefault((r.location.container, r.location.item), []).extend(r.fields)
    return out


@pytest.mark.parametrize("seekable", [True, False])
def test_each_element_of_a_wrapped_list_is_a_record(seekable: bool) -> None:
    recs = _records(EXPORT.encode(), "e.xml", seekable)
    anna = recs[("e.xml", "/Export/Kunder[1]/Kund[1]")]
    bo = recs[("e.xml", "/Export/Kunder[1]/Kund[2]")]
    # a customer's repeated contacts stay in the customer's record
    assert ("Kontakt[2]/Varde", "anna.berg@example.se") in anna and ("Kontakt/Varde", "0701740605") in anna
    assert ("Personnummer", "198112289874") in anna
    assert ("Personnummer", "196408233234") in bo and not any("anna" in t for _, t in bo)
    assert recs[("e.xml", "/Export/Kunder[1]")] == [("@antal", "2")]
    assert recs[("e.xml", "/Export/Header[1]")] == [("Avsandare", "crm@example.se")]


def test_one_customer_with_repeated_contacts_is_one_record() -> None:
    doc = ("<Kundkort><Kund><Namn>Anna Berg</Namn><Personnummer>198112289874</Personnummer>"
           "<Kontakt><Varde>0701740605</Varde></Kontakt><Kontakt><Varde>anna.berg@example.se</Varde></Kontakt>"
           "</Kund></Kundkort>")
    recs = _records(doc.encode(), "k.xml")
    assert list(recs) == [("k.xml", "/Kundkort/Kund[1]")]


def test_an_opendocument_sheets_rows_are_records() -> None:
    # an OpenDocument sheet's content.xml as an XML file of its own (an .ods is read by its own reader)
    ns = ('xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
          'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"')
    rows = [["Namn", "Personnummer"], ["Anna Berg", "811228-9874"], ["Bo Ek", "640823-3234"]]
    body = "".join("<table:table-row>" + "".join(
        f'<table:table-cell office:value-type="string"><text:p>{c}</text:p></table:table-cell>' for c in r)
        + "</table:table-row>" for r in rows)
    content = (f'<?xml version="1.0" encoding="UTF-8"?><office:document-content {ns}><office:body><office:spreadsheet>'
               f'<table:table table:name="Kunder"><table:table-column/>{body}</table:table></office:spreadsheet></office:body>'
               "</office:document-content>")
    recs = _records(content.encode(), "content.xml")
    rows_ = {item: fields for (c, item), fields in recs.items()}
    base = "/document-content/body[1]/spreadsheet[1]/table[1]/table-row"
    assert ("table-cell[2]/p", "811228-9874") in rows_[f"{base}[2]"]
    assert ("table-cell[2]/p", "640823-3234") in rows_[f"{base}[3]"]
    assert not any("640823" in t for _, t in rows_[f"{base}[2]"])


def test_a_damaged_document_keeps_the_records_before_the_damage() -> None:
    doc = EXPORT.replace("</Kunder>", "<Kund><Namn>Trasig</Kund></Kunder>")
    loc = lambda c, i: Location("files", "t", c, i)  # noqa: E731
    got = []
    with pytest.raises(ConnectorError, match="malformed XML"):
        for r in read_stream(io.BytesIO(doc.encode()), "d.xml", container="d.xml", loc_factory=loc):
            got.append(r.location.item)
    assert "/Export/Header[1]" in got


def test_lists_inside_repeated_children_of_the_document_element_stay_in_them() -> None:
    doc = ("<Export><Kund><Personnummer>198112289874</Personnummer><Ordrar><Order><Tel>0701740605</Tel></Order>"
           "<Order><Tel>0701740607</Tel></Order></Ordrar></Kund>"
           "<Kund><Personnummer>196408233234</Personnummer></Kund></Export>")
    recs = _records(doc.encode(), "o.xml")
    assert sorted(item for _, item in recs) == ["/Export/Kund[1]", "/Export/Kund[2]"]
    assert ("Ordrar/Order[2]/Tel", "0701740607") in recs[("o.xml", "/Export/Kund[1]")]
