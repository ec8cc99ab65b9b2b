"""Red-team round 4: custom document properties of DOCX and XLSX files.

A case or document management system writes the case's party into a template's
custom properties (docProps/custom.xml): the file holds them. Fictional values only.
"""

from __future__ import annotations

import io
import zipfile

import pytest

from connectors.base import Location
from connectors.formats import read_stream

CUSTOM = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/custom-properties" '
    'xmlns:vt="http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes">'
    '<property fmtid="{D5CDD505-2E9C-101B-9397-08002B2CF9AE}" pid="2" name="Part personnummer"><vt:lpwstr>811228-9874</vt:lpwstr></property>'
    '<property fmtid="{D5CDD505-2E9C-101B-9397-08002B2CF9AE}" pid="3" name="Handläggare e-post"><vt:lpwstr>handl.ek@example.se</vt:lpwstr></property>'
    "</Properties>"
)
CT = '<Override PartName="/docProps/custom.xml" ContentType="application/vnd.openxmlformats-officedocument.custom-properties+xml"/>'


def _office(kind: str) -> bytes:
    buf = io.BytesIO()
    if kind == "docx":
        import docx

        docx.Document().save(buf)
    else:
        import openpyxl

        openpyxl.Workbook().save(buf)
    zin = zipfile.ZipFile(io.BytesIO(buf.getvalue()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = zin.read(info.filename)
            if info.filename == "[Content_Types].xml":
                data = data.decode().replace("</Types>", CT + "</Types>").encode()
            zout.writestr(info, data)
        zout.writestr("docProps/custom.xml", CUSTOM)
    return out.getvalue()


@pytest.mark.parametrize("kind", ["docx", "xlsx"])
def test_custom_properties_are_read_into_the_meta_record(kind: str) -> None:
    loc = lambda c, i: Location("files", "t", c, i)  # noqa: E731
    name = f"beslut.{kind}"
    meta = {f: t for r in read_stream(io.BytesIO(_office(kind)), name, container=name, loc_factory=loc)
            if r.location.item == "meta" for f, t in r.fields}
    assert meta["meta:custom:Part personnummer"] == "811228-9874"
    assert meta["meta:custom:Handläggare e-post"] == "handl.ek@example.se"
