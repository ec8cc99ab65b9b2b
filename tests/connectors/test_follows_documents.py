"""Consecutive paragraphs of a DOCX or OpenDocument text and blocks of an HTML file are read together.

The readers yield one record per paragraph (block); the scanner finds a keyword
at the end of one (``Personnummer:``) for the number in the next (``811228 9874``:
a space-separated personnummer is reported only after a keyword) and a number
wrapped over a paragraph break only when both are in the text it is given. The
readers mark a paragraph that goes on from the one before (``Record.follows``);
the worker reads such records together and keeps each finding on the paragraph
where it starts (tests/test_linewrap_files_scan.py for plain text). Paragraphs
across a blank paragraph, a table, a page break, a text box, a comment or a rule
are not read together, and unrelated paragraphs never merge into a bogus number.

The engine path: the file is written to a share and scanned by
``worker.scan_unit`` on a files source. Fictional values only: the reference's
test personnummer 811228-9874 and 640823-3234, PTS fiction numbers.
"""

from __future__ import annotations

import io
import os
import zipfile
from datetime import datetime, timezone
from pathlib import Path

import pytest

from connectors.files import FilesConnector
from pii_scan.keys import Keys
from pii_scan.worker import ScanSettings, scan_unit

SECRET = b"f" * 32
KEYS = Keys(SECRET)
MTIME = datetime(2025, 3, 14, 9, 0, tzinfo=timezone.utc).timestamp()
PNR = ("personnummer", KEYS.hash("personnummer", "198112289874"))


def _scan(tmp_path: Path, name: str, data: bytes) -> list[tuple[str, str, str]]:
    """(item, kind, value hash) of every finding of a files scan of one file."""
    root = tmp_path / "share"
    root.mkdir(exist_ok=True)
    path = root / name
    path.write_bytes(data)
    os.utime(path, (MTIME, MTIME))
    conn = FilesConnector("share", {"type": "files", "path": str(root)})
    got: list[tuple[str, str, str]] = []
    for unit in conn.units():
        res = scan_unit(conn, unit, ScanSettings(None, 0.5, False, SECRET))
        assert res.error is None, res.error
        for rec in res.records:
            if rec.container == name:
                got.extend((rec.item, f.kind, f.value_hash) for f in rec.findings)
    return sorted(got)


def _kinds(got: list[tuple[str, str, str]]) -> list[tuple[str, str]]:
    return [(item, kind) for item, kind, _ in got]


# -- DOCX --------------------------------------------------------------------------------------------


def _docx(paragraphs: list[str], *, break_before: int | None = None, table_after: int | None = None,
          table: list[list[str]] | None = None) -> bytes:
    import docx

    d = docx.Document()
    for n, text in enumerate(paragraphs):
        p = d.add_paragraph(text)
        if n == break_before:
            p.paragraph_format.page_break_before = True
        if n == table_after:
            rows = table or [["x"]]
            t = d.add_table(rows=len(rows), cols=len(rows[0]))
            for r, row in enumerate(rows):
                for c, cell in enumerate(row):
                    t.cell(r, c).text = cell
    buf = io.BytesIO()
    d.save(buf)
    return buf.getvalue()


def test_docx_a_keyword_in_the_paragraph_before(tmp_path: Path) -> None:
    got = _scan(tmp_path, "brev.docx", _docx(["Hej Anna,", "Personnummer:", "811228 9874", "Med vänlig hälsning"]))
    # paragraph N counts the body's paragraphs: the number is in the third
    assert ("paragraph 3",) + PNR in got


def test_docx_a_number_wrapped_over_two_paragraphs_is_on_the_first(tmp_path: Path) -> None:
    got = _scan(tmp_path, "anteckning.docx", _docx(["Kunden uppgav personnr 811228-", "9874 vid samtalet."]))
    assert ("paragraph 1",) + PNR in got
    assert [g for g in got if g[1] == "personnummer"] == [("paragraph 1",) + PNR]  # once


def test_docx_an_identifier_in_one_paragraph_keeps_its_paragraph(tmp_path: Path) -> None:
    got = _scan(tmp_path, "lista.docx", _docx(["Personnummer:", "Anna Berg 811228-9874", "Bo Ek 640823-3234"]))
    assert _kinds(got) == [("paragraph 2", "personnummer"), ("paragraph 3", "personnummer")]


def test_docx_not_across_a_blank_paragraph_a_table_or_a_page_break(tmp_path: Path) -> None:
    assert _scan(tmp_path, "a.docx", _docx(["Personnummer:", "", "811228 9874"])) == []
    assert _scan(tmp_path, "b.docx", _docx(["Personnummer:", "811228 9874"], table_after=0)) == []
    assert _scan(tmp_path, "c.docx", _docx(["Personnummer:", "811228 9874"], break_before=1)) == []
    import docx
    from docx.enum.text import WD_BREAK

    d = docx.Document()
    d.add_paragraph("Personnummer:").add_run().add_break(WD_BREAK.PAGE)  # a page break at the end of the paragraph
    d.add_paragraph("811228 9874")
    buf = io.BytesIO()
    d.save(buf)
    assert _scan(tmp_path, "d.docx", buf.getvalue()) == []


def test_docx_a_form_table_keeps_its_label(tmp_path: Path) -> None:
    # handled by the table reader before (label/value forms): unchanged
    got = _scan(tmp_path, "form.docx", _docx(["Ansökan"], table_after=0, table=[["Namn:", "Anna Berg"], ["Personnummer:", "811228 9874"]]))
    assert [(i, k) for i, k, _ in got] == [("table 1", "personnummer")]


@pytest.mark.parametrize(
    "paragraphs",
    [
        ["Mötet hölls 2024-05-01", "1234 deltagare kom."],  # a date ends one, digits start the next
        ["Order 4711-2024-05", "12 st levererade"],
        ["Summa 1 250", "450 kr"],
        ["Fakturadatum 2023-11-28", "9874 kr att betala"],
        ["Ärende 811228", "9874 är kundens nummer hos oss"],  # digits of a pnr shape over a break, no dash
    ],
    ids=["date-digits", "order", "amount", "date-pnr-tail", "split-digits"],
)
def test_docx_unrelated_paragraphs_do_not_merge(tmp_path: Path, paragraphs: list[str]) -> None:
    assert _scan(tmp_path, "x.docx", _docx(paragraphs)) == []


def test_docx_an_order_number_split_over_two_table_cells_does_not_merge(tmp_path: Path) -> None:
    table = [["Order", "Antal"], ["811228", "9874"], ["640823", "3234"]]
    assert _scan(tmp_path, "t.docx", _docx(["Leveranser"], table_after=0, table=table)) == []


# -- OpenDocument ------------------------------------------------------------------------------------

NS = ('xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
      'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
      'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" '
      'xmlns:draw="urn:oasis:names:tc:opendocument:xmlns:drawing:1.0"')


def _odt(body: str) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("mimetype", "application/vnd.oasis.opendocument.text")
        zf.writestr("content.xml", f'<?xml version="1.0" encoding="UTF-8"?><office:document-content {NS}>'
                                   f"<office:body><office:text>{body}</office:text></office:body></office:document-content>")
    return buf.getvalue()


def _p(text: str) -> str:
    return f"<text:p>{text}</text:p>"


def test_odt_a_keyword_in_the_paragraph_before(tmp_path: Path) -> None:
    got = _scan(tmp_path, "brev.odt", _odt(_p("Hej Anna,") + '<text:h>Personnummer:</text:h>' + _p("811228 9874")))
    assert ("paragraph 3",) + PNR in got


def test_odt_a_number_wrapped_over_two_paragraphs_is_on_the_first(tmp_path: Path) -> None:
    got = _scan(tmp_path, "a.odt", _odt(_p("Kunden uppgav personnr 811228-") + _p("9874 vid samtalet.")))
    assert [g for g in got if g[1] == "personnummer"] == [("paragraph 1",) + PNR]


def test_odt_not_across_a_blank_paragraph_a_table_or_a_text_box(tmp_path: Path) -> None:
    assert _scan(tmp_path, "a.odt", _odt(_p("Personnummer:") + "<text:p/>" + _p("811228 9874"))) == []
    table = "<table:table><table:table-row><table:table-cell>" + _p("x") + "</table:table-cell></table:table-row></table:table>"
    assert _scan(tmp_path, "b.odt", _odt(_p("Personnummer:") + table + _p("811228 9874"))) == []
    box = '<draw:frame><draw:text-box>' + _p("Personnummer:") + "</draw:text-box></draw:frame>"
    assert _scan(tmp_path, "c.odt", _odt(box + _p("811228 9874"))) == []


@pytest.mark.parametrize(
    "paragraphs",
    [["Mötet hölls 2024-05-01", "1234 deltagare kom."], ["Fakturadatum 2023-11-28", "9874 kr att betala"]],
    ids=["date-digits", "date-pnr-tail"],
)
def test_odt_unrelated_paragraphs_do_not_merge(tmp_path: Path, paragraphs: list[str]) -> None:
    assert _scan(tmp_path, "x.odt", _odt("".join(_p(t) for t in paragraphs))) == []


# -- HTML --------------------------------------------------------------------------------------------


def _html(body: str) -> bytes:
    return f"<!DOCTYPE html><html><head><title>Kund</title></head><body>\n{body}\n</body></html>\n".encode()


@pytest.mark.parametrize(
    "body",
    [
        "<p>Personnummer:</p>\n<p>811228 9874</p>",
        "<div>Personnummer:<br>811228 9874</div>",
        "<dl><dt>Personnummer</dt>\n<dd>811228 9874</dd></dl>",
    ],
    ids=["paragraphs", "line-break", "definition-list"],
)
def test_html_a_keyword_in_the_block_before(tmp_path: Path, body: str) -> None:
    got = _scan(tmp_path, "kund.html", _html(body))
    assert [(k, h) for _, k, h in got] == [PNR]


def test_html_a_number_wrapped_over_two_blocks_is_on_the_first(tmp_path: Path) -> None:
    got = _scan(tmp_path, "a.html", _html("<p>Kunden uppgav personnr 811228-</p>\n\n<p>9874 vid samtalet.</p>"))
    assert got == [("2",) + PNR]  # the line where the first block starts


@pytest.mark.parametrize(
    "body",
    [
        "<p>Personnummer:</p><p></p><p>811228 9874</p>",  # a blank paragraph
        "<p>Personnummer:<br><br>811228 9874</p>",  # a blank line
        "<p>Personnummer:</p><table><tr><td>811228 9874</td></tr></table>",  # a table
        "<table><tr><td>Personnummer</td></tr><tr><td>811228 9874</td></tr></table>",  # table rows
        "<p>Personnummer:</p><hr><p>811228 9874</p>",  # a rule
        "<p>Personnummer:</p><!-- mall --><p>811228 9874</p>",  # a comment
        "<p>Mötet hölls 2024-05-01</p><p>1234 deltagare kom.</p>",  # unrelated: a date and digits
        "<p>Fakturadatum 2023-11-28</p><p>9874 kr att betala</p>",
    ],
    ids=["blank-paragraph", "blank-line", "table", "table-rows", "rule", "comment", "date-digits", "date-pnr-tail"],
)
def test_html_blocks_apart_are_not_read_together(tmp_path: Path, body: str) -> None:
    assert _scan(tmp_path, "x.html", _html(body)) == []


# -- inside an archive -------------------------------------------------------------------------------


def test_a_docx_in_a_zip_reads_its_paragraphs_together(tmp_path: Path) -> None:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("brev/a.docx", _docx(["Personnummer:", "811228 9874"]))
        zf.writestr("brev/b.txt", "811228 9874\n")  # the next entry: never read with a.docx's last paragraph
    root = tmp_path / "share"
    root.mkdir()
    (root / "export.zip").write_bytes(buf.getvalue())
    conn = FilesConnector("share", {"type": "files", "path": str(root)})
    found = []
    for unit in conn.units():
        for rec in scan_unit(conn, unit, ScanSettings(None, 0.5, False, SECRET)).records:
            found.extend((rec.container, rec.item, f.kind, f.value_hash) for f in rec.findings)
    assert found == [("export.zip!brev/a.docx", "paragraph 2") + PNR]
