"""The shared format readers: what text appears at which location, for every format.

Records are checked by (container, item, field, text); detection is not.
"""

from __future__ import annotations

import bz2
import gzip
import io
import json
import lzma
import tarfile
import tracemalloc
import zipfile
from datetime import date, datetime

import pytest

from connectors.base import ConnectorError, Limits, Location, Record
from connectors.formats import (
    PartialRead,
    detect,
    detect_encoding,
    jsondoc,
    read_range,
    read_stream,
    sniff,
    splittable,
)
from tests.connectors.fileutil import (
    EMAIL,
    PHONE,
    PNR,
    PNR2,
    NonSeekable,
    docx_bytes,
    parquet_bytes,
    pdf_bytes,
    xlsx_bytes,
    zip_bytes,
)


def loc(container: str, item: str) -> Location:
    return Location("files", "test", container, item)


def read(data: bytes | io.RawIOBase, name: str = "x", **kw) -> list[Record]:
    f = io.BytesIO(data) if isinstance(data, bytes) else data
    return list(read_stream(f, name, container=name, loc_factory=loc, **kw))


def triples(records: list[Record]) -> list[tuple[str, str, str, str]]:
    """(container, item, field, text) for every field of every record."""
    return [(r.location.container, r.location.item, f, t) for r in records for f, t in r.fields]


def read_partial(data: bytes | io.RawIOBase, name: str = "x", **kw) -> tuple[list[Record], ConnectorError | None]:
    f = io.BytesIO(data) if isinstance(data, bytes) else data
    out: list[Record] = []
    try:
        for r in read_stream(f, name, container=name, loc_factory=loc, **kw):
            out.append(r)
    except ConnectorError as exc:
        return out, exc
    return out, None


CSV = f"namn;personnummer;telefon\nÅsa Öberg;{PNR};{PHONE}\n\"Bo\nBerg\";{PNR2};\nCarl-Özil;;{EMAIL}\n"


# --- sniffing and encodings ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "head, name, fmt",
    [
        (b"%PDF-1.7\n...", "x.dat", "pdf"),
        (b"PAR1....", "x", "parquet"),
        (b"\x1f\x8b\x08\x00", "x.csv", "gzip"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100, "a.doc", "ole2"),
        (b'[{"a": 1},\n {"a": 2}]', "a.txt", "json"),
        (b'{"a": 1}\n{"a": 2}\n', "a.json", "jsonl"),
        (b'{"a": 1}', "a.jsonl", "jsonl"),
        (b"<!DOCTYPE html><html><body>x</body></html>", "a.txt", "html"),
        (b"<?xml version='1.0'?><a><b>1</b></a>", "a", "xml"),
        (b"a\tb\tc\n1\t2\t3\n4\t5\t6\n", "a.txt", "csv"),
        (b"2024-01-01 10:00:00,123 INFO started\n2024-01-01 10:00:01,456 INFO ok\n", "app.log", "text"),
        (b"[2024-01-01 10:00] INFO x\n", "a.log", "text"),
        (b"[2024-01-01 10:00] INFO x\n", "a.json", "json"),  # invalid JSON, reported as such
        (b"Hej Anna, hur m\xc3\xa5r du?\nBra, tack.\n", "brev.txt", "text"),
        (b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR", "bild.png", "png"),  # a picture: read only with limits.ocr_images
        (b"", "tom.csv", "empty"),
        (b"email\nanna@example.se\n", "lista.csv", "csv"),  # one column: the extension decides
        (b"email\nanna@example.se\n", "lista.txt", "text"),
    ],
)
def test_sniff(head: bytes, name: str, fmt: str) -> None:
    assert sniff(head, name, at_eof=True) == fmt


@pytest.mark.parametrize(
    "text, encoding, expected",
    [
        ("Åsa Öberg – lön", "utf-8", "utf-8"),
        ("Åsa Öberg", "utf-8-sig", "utf-8-sig"),
        ("Åsa Öberg", "utf-16", "utf-16"),
        ("Åsa Öberg – lön €", "cp1252", "cp1252"),
        ("Åsa Öberg, lön", "latin-1", "cp1252"),  # identical bytes: cp1252 is named
        ("Åsa Öberg får löner", "cp850", "cp850"),
        ("Åsa Öberg;12\n", "utf-16-le", "utf-16-le"),  # no BOM
    ],
)
def test_detect_encoding(text: str, encoding: str, expected: str) -> None:
    assert detect_encoding((text * 3).encode(encoding), at_eof=True) == expected


# --- CSV ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp1252", "latin-1", "utf-16"])
def test_csv_encodings_and_semicolons(encoding: str) -> None:
    recs = read(CSV.encode(encoding), "kunder.txt")  # a CSV named .txt: content decides
    assert triples(recs) == [
        ("kunder.txt", "2", "namn", "Åsa Öberg"),
        ("kunder.txt", "2", "personnummer", PNR),
        ("kunder.txt", "2", "telefon", PHONE),
        ("kunder.txt", "3", "namn", "Bo\nBerg"),  # a quoted field over two lines: the line where it starts
        ("kunder.txt", "3", "personnummer", PNR2),
        ("kunder.txt", "5", "namn", "Carl-Özil"),
        ("kunder.txt", "5", "telefon", EMAIL),
    ]
    assert all(r.structured for r in recs)


def test_csv_tab_and_pipe_and_crlf() -> None:
    tsv = f"Namn\tPersonnummer\r\nAnna\t{PNR}\r\n\r\nBo\t{PNR2}\r\n".encode()
    assert triples(read(tsv, "a.tsv")) == [
        ("a.tsv", "2", "Namn", "Anna"), ("a.tsv", "2", "Personnummer", PNR),
        ("a.tsv", "4", "Namn", "Bo"), ("a.tsv", "4", "Personnummer", PNR2),
    ]  # fmt: skip
    psv = f"id|pnr|tel\n1|{PNR}|{PHONE}\n2|{PNR2}|\n".encode()
    assert ("a.dat", "3", "pnr", PNR2) in triples(read(psv, "a.dat"))


def test_csv_without_header_and_mixed_encoding() -> None:
    data = f"{PNR},Anna,Storgatan 1\n{PNR2},Bo,Lillgatan 2\n".encode() + "Åsa,x,y\n".encode("cp1252")
    t = triples(read(data, "rader.csv"))
    assert t[0] == ("rader.csv", "1", "column 1", PNR)
    assert ("rader.csv", "3", "column 1", "Åsa") in t  # a stray cp1252 byte in UTF-8 reads as cp1252


def test_csv_duplicate_and_empty_header_names() -> None:
    data = f"tel,namn,tel,\n{PHONE},Anna,08-1,x\n".encode()
    assert [f for _, _, f, _ in triples(read(data, "a.csv"))] == ["tel", "namn", "tel (column 3)", "column 4"]


def test_csv_overlong_line_is_reported(monkeypatch: pytest.MonkeyPatch) -> None:
    limits = Limits(max_field_chars=64)  # lines are cut at 4 x 64 characters
    data = ("namn,pnr\n" + "Anna," + "x" * 1000 + "\n" + f"Bo,{PNR}\n").encode()
    recs, err = read_partial(data, "a.csv", limits=limits)
    assert ("a.csv", "3", "pnr", PNR) in triples(recs)
    assert isinstance(err, PartialRead) and "line 2" in str(err) and "truncated" in str(err)


# --- JSON ---------------------------------------------------------------------------------------

DOC = [
    {"namn": "Anna", "kontakt": {"email": EMAIL, "tel": [PHONE, "08-1"]}, "belopp": 198112289874.0, "aktiv": True, "x": None},
    {"namn": "Bo", "personer": {PNR2: {"roll": "chef"}}},
    7,
]


@pytest.mark.parametrize("streaming", [True, False])
def test_json_array_of_objects(streaming: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    if not streaming:
        monkeypatch.setattr(jsondoc, "ijson", None)
    data = json.dumps(DOC, indent=2).replace("198112289874.0", "198112289874.0").encode()
    assert triples(read(data, "kunder.json")) == [
        ("kunder.json", "[0]", "$.namn", "Anna"),
        ("kunder.json", "[0]", "$.kontakt.email", EMAIL),
        ("kunder.json", "[0]", "$.kontakt.tel[0]", PHONE),
        ("kunder.json", "[0]", "$.kontakt.tel[1]", "08-1"),
        ("kunder.json", "[0]", "$.belopp", "198112289874.0"),  # digits as written
        ("kunder.json", "[1]", "$.namn", "Bo"),
        ("kunder.json", "[1]", "$.personer{#0}{key}", PNR2),  # a key that may be data: a field, never a path
        ("kunder.json", "[1]", "$.personer{#0}.roll", "chef"),
        ("kunder.json", "$", "$[2]", "7"),
    ]


@pytest.mark.parametrize("streaming", [True, False])
def test_json_object_with_record_arrays(streaming: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    if not streaming:
        monkeypatch.setattr(jsondoc, "ijson", None)
    doc = {"export": {"av": "Karin"}, "kunder": [{"pnr": PNR}, {"pnr": PNR2, "tel": [{"nr": PHONE}]}], "taggar": ["a"]}
    data = ("\ufeff" + json.dumps(doc)).encode("utf-8")
    assert triples(read(data, "e.json")) == [
        ("e.json", "$.kunder[0]", "$.pnr", PNR),
        ("e.json", "$.kunder[1]", "$.pnr", PNR2),
        ("e.json", "$.kunder[1]", "$.tel[0].nr", PHONE),
        ("e.json", "$", "$.export.av", "Karin"),
        ("e.json", "$", "$.taggar[0]", "a"),
    ]


def test_json_large_record_is_emitted_in_parts() -> None:
    doc = [{f"f{i}": str(i) for i in range(2500)}]
    recs = read(json.dumps(doc).encode(), "w.json")
    assert [len(r.fields) for r in recs] == [1000, 1000, 500]
    assert {r.location.item for r in recs} == {"[0]"}


def test_json_truncated_raises_after_what_was_read() -> None:
    data = json.dumps([{"pnr": PNR}, {"pnr": PNR2}]).encode()[:-12]
    recs, err = read_partial(data, "t.json")
    assert triples(recs) == [("t.json", "[0]", "$.pnr", PNR)]
    assert isinstance(err, ConnectorError) and "JSON" in str(err)
    assert PNR2 not in str(err) and "680164" not in str(err)


def test_json_lines() -> None:
    data = f'{{"pnr": "{PNR}", "n": 1.50}}\n\n[1, "{PHONE}"]\nnot json {EMAIL}\n"{PNR2}"\n'.encode()
    recs = read(data, "h.jsonl")
    assert triples(recs) == [
        ("h.jsonl", "1", "$.pnr", PNR),
        ("h.jsonl", "1", "$.n", "1.50"),
        ("h.jsonl", "3", "$[0]", "1"),
        ("h.jsonl", "3", "$[1]", PHONE),
        ("h.jsonl", "4", "text", f"not json {EMAIL}"),  # scanned as text
        ("h.jsonl", "5", "$", PNR2),
    ]
    assert [r.structured for r in recs] == [True, True, False, True]


# --- spreadsheets, documents, columnar ------------------------------------------------------------


@pytest.mark.parametrize("seekable", [True, False])
def test_xlsx(seekable: bool) -> None:
    data = xlsx_bytes(
        {
            "Kunder": [["Namn", "Personnummer", "Telefon"], ["Anna", PNR, 198112289874.5, "utan rubrik"], [], ["Bo", PNR2, PHONE]],
            "Rå data": [[None, EMAIL, datetime(2024, 5, 1)]],
        },
        author="Karin Chef",
    )
    recs = read(data if seekable else NonSeekable(data), "k.xlsx")
    assert triples(recs) == [
        ("k.xlsx", "meta", "meta:author", "Karin Chef"),
        ("k.xlsx", "Kunder:2", "Namn", "Anna"),
        ("k.xlsx", "Kunder:2", "Personnummer", PNR),
        ("k.xlsx", "Kunder:2", "Telefon", "198112289874.5"),
        ("k.xlsx", "Kunder:2", "Kunder!D2", "utan rubrik"),
        ("k.xlsx", "Kunder:4", "Namn", "Bo"),
        ("k.xlsx", "Kunder:4", "Personnummer", PNR2),
        ("k.xlsx", "Kunder:4", "Telefon", PHONE),
        ("k.xlsx", "Rå data:1", "Rå data!B1", EMAIL),
        ("k.xlsx", "Rå data:1", "Rå data!C1", "2024-05-01"),
    ]


@pytest.mark.parametrize("seekable", [True, False])
def test_docx(seekable: bool) -> None:
    data = docx_bytes()
    recs = read(data if seekable else NonSeekable(data), "avtal.docx")
    t = triples(recs)
    assert ("avtal.docx", "meta", "meta:author", "Karin Chef") in t
    assert ("avtal.docx", "paragraph 2", "text", f"Anna Andersson, personnummer {PNR}, nås på {PHONE}.") in t
    assert ("avtal.docx", "table 1 row 2", "Personnummer", PNR) in t
    assert ("avtal.docx", "table 1 row 3", "Namn", "Bo") in t
    assert ("avtal.docx", "paragraph 3", "text", f"Kontakt: {EMAIL}") in t
    assert ("avtal.docx", "section 1 header", "text", "Konfidentiellt: HR") in t
    by_item = {r.location.item: r.structured for r in recs}
    assert by_item["table 1 row 2"] is True and by_item["paragraph 2"] is False


@pytest.mark.parametrize("seekable", [True, False])
def test_pdf_named_dat(seekable: bool) -> None:
    data = pdf_bytes([f"Anna Andersson {PNR}", "", f"ring {PHONE}"], {"Author": "Karin Chef", "Title": "Lonespec"})
    recs = read(data if seekable else NonSeekable(data), "scan.dat")
    assert triples(recs) == [
        ("scan.dat", "meta", "meta:/Author", "Karin Chef"),
        ("scan.dat", "meta", "meta:/Title", "Lonespec"),
        ("scan.dat", "p1", "text", f"Anna Andersson {PNR}"),
        ("scan.dat", "p3", "text", f"ring {PHONE}"),
    ]


def test_corrupt_pdf_raises_with_reason() -> None:
    with pytest.raises(ConnectorError, match=r"broken\.pdf: not a readable PDF"):
        read(b"%PDF-1.4\n1 0 obj << /Type /Catalog >>\n trash", "broken.pdf")


def test_pdf_page_that_fails_is_reported(monkeypatch: pytest.MonkeyPatch) -> None:
    from pypdf import PageObject

    real = PageObject.extract_text

    def flaky(self, *a, **kw):  # noqa: ANN001, ANN002, ANN003
        if "sida 2" in real(self):
            raise ValueError("damaged content stream")
        return real(self, *a, **kw)

    monkeypatch.setattr(PageObject, "extract_text", flaky)
    recs, err = read_partial(pdf_bytes(["sida 1", "sida 2", "sida 3"]), "d.pdf")
    assert [r.location.item for r in recs] == ["p1", "p3"]
    assert isinstance(err, PartialRead) and "page 2" in str(err)


def test_parquet() -> None:
    t = triples(read(parquet_bytes(), "p.parquet"))
    assert ("p.parquet", "1", "personnummer", PNR) in t
    assert ("p.parquet", "1", "kontakt.email", EMAIL) in t
    assert ("p.parquet", "1", "telefoner[0]", PHONE) in t
    assert ("p.parquet", "1", "belopp", "198112289874.0") in t
    assert ("p.parquet", "2", "kontakt.tel", "08-123 456") in t
    assert ("p.parquet", "3", "id", "3") in t  # row numbers run across row groups


def test_corrupt_parquet_raises() -> None:
    data = parquet_bytes()
    with pytest.raises(ConnectorError, match="Parquet"):
        read(data[:40] + b"\0" * 50 + data[90:], "p.parquet")


# --- markup and text ----------------------------------------------------------------------------


def test_html() -> None:
    page = (
        "<!doctype html><html><head><title>Kontakt</title><meta name='author' content='Karin Chef'>"
        "<style>p { color: red }</style></head>\n<body>\n<p>Ring <b>Anna</b> på "
        f"{PHONE}</p>\n<div><a href='mailto:{EMAIL}'>mejla</a> <a href='tel:+46701740605'>ring</a></div>"
        "<script>var pnr = 'nej';</script>\n<ul><li>Bo</li><li>&Aring;sa</li></ul></body></html>"
    )
    assert triples(read(page.encode(), "k.txt")) == [
        ("k.txt", "1", "text", "Kontakt"),
        ("k.txt", "1", "text", "Karin Chef"),
        ("k.txt", "3", "text", f"Ring Anna på {PHONE}"),
        ("k.txt", "4", "text", f"mailto:{EMAIL} mejla tel:+46701740605 ring"),
        ("k.txt", "5", "text", "Bo"),
        ("k.txt", "5", "text", "Åsa"),
    ]


def test_xml() -> None:
    doc = (
        f"<?xml version='1.0' encoding='ISO-8859-1'?>\n<kunder xmlns:k='urn:k' version='2'>"
        f"<kund id='7'><namn>Åsa</namn><pnr>{PNR}</pnr><tel>{PHONE}</tel><tel>08-1</tel>"
        f"<adress><ort>Lund</ort></adress></kund><kund><k:namn>Bo</k:namn></kund></kunder>"
    ).encode("latin-1")
    assert triples(read(doc, "k.xml")) == [
        ("k.xml", "/kunder/kund[1]", "@id", "7"),
        ("k.xml", "/kunder/kund[1]", "namn", "Åsa"),
        ("k.xml", "/kunder/kund[1]", "pnr", PNR),
        ("k.xml", "/kunder/kund[1]", "tel", PHONE),
        ("k.xml", "/kunder/kund[1]", "tel[2]", "08-1"),
        ("k.xml", "/kunder/kund[1]", "adress/ort", "Lund"),
        ("k.xml", "/kunder/kund[2]", "namn", "Bo"),
        ("k.xml", "/kunder", "@version", "2"),
    ]


def test_xml_without_declaration_in_cp1252() -> None:
    doc = f"<kunder><kund><namn>Åsa Öberg – chef</namn><pnr>{PNR}</pnr></kund></kunder>".encode("cp1252")
    assert triples(read(doc, "k.xml"))[:1] == [("k.xml", "/kunder/kund[1]", "namn", "Åsa Öberg – chef")]


def test_malformed_xml_raises() -> None:
    with pytest.raises(ConnectorError, match="malformed XML at line 1"):
        read(b"<?xml version='1.0'?><a><b>x</a>", "m.xml")


def test_text_lines_and_long_line_slices() -> None:
    limits = Limits(max_field_chars=1000)
    long_line = "a" * 1500 + f" {PNR} " + "b" * 1500
    data = f"rad ett\n\n{long_line}\r\nsista {EMAIL}".encode()
    recs = read(data, "app.log", limits=limits)
    assert [(r.location.item, r.structured) for r in recs][:1] == [("1", False)]
    items = [r.location.item for r in recs]
    assert items == ["1", "3", "3", "3", "3", "4"]
    assert max(len(t) for r in recs for _, t in r.fields) <= 1000 + 256
    assert any(PNR in t for r in recs if r.location.item == "3" for _, t in r.fields)  # whole in some slice
    assert recs[-1].fields == [("text", f"sista {EMAIL}")]


def test_mtime_gives_dates() -> None:
    recs = read(b"hej\n", "a.txt", mtime=datetime(2001, 2, 3, 4, 5).timestamp())
    assert recs[0].ref_date == date(2001, 2, 3) and recs[0].record_date.year == 2001


def test_emit_name() -> None:
    recs = read(b"hej\n", f"lön/{PNR}_lönespec.txt", emit_name=True)
    assert triples(recs)[0] == (f"lön/{PNR}_lönespec.txt", "", "path", f"lön/{PNR}_lönespec.txt")


def test_ole2_strings() -> None:
    data = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 500 + f"Anna {PNR}".encode("utf-16-le") + b"\0\x01" + b"kund: Bo Berg" + b"\0" * 100
    t = triples(read(data, "gammal.doc"))
    assert t == [("gammal.doc", "@0", "text", f"Anna {PNR}\nkund: Bo Berg")]


def test_binary_files_give_no_records() -> None:
    assert read(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 10, "bild.png") == []


# --- compressed streams and archives ---------------------------------------------------------------


@pytest.mark.parametrize("compress", [gzip.compress, bz2.compress, lzma.compress])
def test_compressed_csv(compress) -> None:  # noqa: ANN001
    recs = read(compress(CSV.encode("cp1252")), "kunder.csv.gz")
    assert triples(recs)[:3] == [
        ("kunder.csv.gz", "2", "namn", "Åsa Öberg"),
        ("kunder.csv.gz", "2", "personnummer", PNR),
        ("kunder.csv.gz", "2", "telefon", PHONE),
    ]


def test_truncated_gzip_raises_after_the_lines_before() -> None:
    lines = "".join(f"rad {i} {PNR}\n" for i in range(20000)).encode()
    data = gzip.compress(lines)[: 40_000]
    recs, err = read_partial(NonSeekable(data), "app.log.gz")
    assert recs and recs[0].location.item == "1" and recs[0].location.container == "app.log.gz"
    assert isinstance(err, ConnectorError) and "truncated or damaged gzip data" in str(err)
    assert PNR not in str(err)


def test_gzip_bomb_is_stopped() -> None:
    data = gzip.compress(b"a" * 30_000_000)
    recs, err = read_partial(data, "bomb.txt.gz")
    assert isinstance(err, ConnectorError) and "max_ratio" in str(err)
    recs, err = read_partial(gzip.compress(b"a\n" * 500_000), "x.gz", limits=Limits(max_expanded_bytes=100_000))
    assert isinstance(err, ConnectorError) and "max_expanded_bytes" in str(err)


def _archive() -> bytes:
    inner = zip_bytes({"djup/in.txt": f"hej {PNR}\n".encode(), "tabell.csv": f"pnr,tel\n{PNR2},{PHONE}\n".encode()})
    return zip_bytes(
        {
            "a/kunder.csv": CSV.encode(),
            "../evil.txt": b"x",
            "/etc/passwd": b"x",
            "bomb.bin": b"\0" * 2_000_000,
            "inre.zip": inner,
            f"lön/{PNR}_lönespec.pdf": pdf_bytes([f"lon {PNR}"]),
            "sist.txt": f"sista {EMAIL}\n".encode(),
        }
    )


@pytest.mark.parametrize("seekable", [True, False])
def test_zip_nested_unsafe_and_bomb(seekable: bool) -> None:
    data = _archive()
    recs, err = read_partial(data if seekable else NonSeekable(data), "arkiv.zip", limits=Limits(max_expanded_bytes=1_000_000))
    t = triples(recs)
    assert ("arkiv.zip!a/kunder.csv", "", "path", "a/kunder.csv") in t
    assert ("arkiv.zip!a/kunder.csv", "2", "personnummer", PNR) in t
    assert ("arkiv.zip!inre.zip!djup/in.txt", "1", "text", f"hej {PNR}") in t
    assert ("arkiv.zip!inre.zip!tabell.csv", "2", "tel", PHONE) in t
    assert (f"arkiv.zip!lön/{PNR}_lönespec.pdf", "", "path", f"lön/{PNR}_lönespec.pdf") in t
    assert (f"arkiv.zip!lön/{PNR}_lönespec.pdf", "p1", "text", f"lon {PNR}") in t
    assert ("arkiv.zip!sist.txt", "1", "text", f"sista {EMAIL}") in t  # read after the refused entries
    assert not any("evil" in c or "passwd" in c for c, *_ in t)
    assert isinstance(err, PartialRead) and err.count == 3
    msg = str(err)
    assert "../evil.txt refused" in msg and "/etc/passwd refused" in msg
    assert "bomb.bin: refused" in msg and "max_expanded_bytes" in msg


def test_zip_entry_dates_and_entry_limit() -> None:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for i in range(5):
            z.writestr(zipfile.ZipInfo(f"f{i}.txt", date_time=(2019, 3, 4, 5, 6, 7)), f"rad {i}\n")
    recs, err = read_partial(buf.getvalue(), "m.zip", limits=Limits(max_entries=3))
    assert {r.location.container for r in recs} == {"m.zip!f0.txt", "m.zip!f1.txt", "m.zip!f2.txt"}
    assert all(r.ref_date == date(2019, 3, 4) for r in recs)
    assert isinstance(err, PartialRead) and "max_entries=3" in str(err)


def test_zip_nesting_depth_is_bounded() -> None:
    data = f"djupt {PNR}\n".encode()
    for level in range(4):  # d.zip!n3.zip!n2.zip!n1.zip!x.txt: four archives deep
        data = zip_bytes({f"n{level}.zip" if level else "x.txt": data})
    recs, err = read_partial(data, "d.zip", limits=Limits(max_depth=3))
    assert not [t for _, _, f, t in triples(recs) if f == "text"]
    assert isinstance(err, PartialRead) and "d.zip!n3.zip!n2.zip!n1.zip: archives nested deeper than max_depth=3" in str(err)
    recs = read(data, "d.zip", limits=Limits(max_depth=4))
    assert ("d.zip!n3.zip!n2.zip!n1.zip!x.txt", "1", "text", f"djupt {PNR}") in triples(recs)


def test_damaged_zip_entry_is_reported_and_others_read() -> None:
    data = bytearray(zip_bytes({"a.txt": b"forsta rad\n" * 100, "b.txt": f"andra {PNR}\n".encode()}, compression=0))
    pos = data.index(b"forsta rad")
    data[pos + 500 : pos + 503] = b"XYZ"  # a.txt's CRC no longer matches
    recs, err = read_partial(bytes(data), "s.zip")
    assert ("s.zip!b.txt", "1", "text", f"andra {PNR}") in triples(recs)
    assert isinstance(err, PartialRead) and "s.zip!a.txt" in str(err)


def test_not_a_zip_raises() -> None:
    with pytest.raises(ConnectorError, match="not a readable zip"):
        read(b"PK\x03\x04" + b"\0" * 100, "trasig.zip")


def test_tar_gz() -> None:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tf:
        for name, data in [("ut/kunder.csv", CSV.encode()), ("../ond.txt", b"x")]:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            info.mtime = datetime(2020, 1, 2).timestamp()
            tf.addfile(info, io.BytesIO(data))
    recs, err = read_partial(NonSeekable(buf.getvalue()), "backup.tgz")
    assert ("backup.tgz!ut/kunder.csv", "2", "personnummer", PNR) in triples(recs)
    assert isinstance(err, PartialRead) and "../ond.txt refused" in str(err)


# --- byte ranges --------------------------------------------------------------------------------


def test_read_range_partitions_lines_exactly() -> None:
    lines = [f"{i};Anna {i};{PNR}" for i in range(1, 400)]
    data = ("id;namn;pnr\n" + "\n".join(lines) + "\n").encode()
    assert splittable(data[:1000], "big.csv")
    seen = []
    size, step = len(data), 997
    for start in range(0, size, step):
        f = io.BytesIO(data)
        for r in read_range(f, "big.csv", start, min(start + step, size), container="big.csv", loc_factory=loc):
            off = int(r.location.item[1:])
            assert data[off:].startswith(dict(r.fields)["id"].encode() + b";")  # the item points at the line
            assert [f for f, _ in r.fields] == ["id", "namn", "pnr"]
            seen.append(dict(r.fields)["id"])
    assert seen == [str(i) for i in range(1, 400)]


@pytest.mark.parametrize("eol", ["\n", "\r\n"])
@pytest.mark.parametrize("step", [1, 7, 64, 4096])
def test_read_range_any_boundaries(eol: str, step: int) -> None:
    lines = [f"rad {i} " + "x" * (i % 37) for i in range(1, 120)]
    data = (eol.join(lines) + eol).encode()
    got = []
    for start in range(0, len(data), step):
        f = io.BytesIO(data)
        got += [r.fields[0][1] for r in read_range(f, "a.log", start, min(start + step, len(data)), container="a.log", loc_factory=loc)]
    assert got == lines


def test_read_range_refuses_non_line_formats() -> None:
    with pytest.raises(ConnectorError, match="byte ranges"):
        list(read_range(io.BytesIO(pdf_bytes(["x"])), "a.pdf", 0, 10, container="a.pdf", loc_factory=loc))


# --- bounded memory ------------------------------------------------------------------------------


class _Generated(io.RawIOBase):
    """A large CSV made on the fly, never held whole."""

    def __init__(self, total: int) -> None:
        self.total, self.made, self.line = total, 0, 0
        self.buf = b""

    def readable(self) -> bool:
        return True

    def readinto(self, b) -> int:  # noqa: ANN001
        while len(self.buf) < len(b) and self.made < self.total:
            if self.line == 0:
                chunk = b"id;namn;personnummer;telefon;email;anteckning\n"
            else:
                chunk = b"%d;Anna Andersson;%s;%s;anna%d@example.se;%s\n" % (self.line, PNR.encode(), PHONE.encode(), self.line, b"x" * 300)
            self.line += 1
            self.made += len(chunk)
            self.buf += chunk
        n = min(len(b), len(self.buf))
        b[:n] = self.buf[:n]
        self.buf = self.buf[n:]
        return n


def test_large_csv_in_bounded_memory() -> None:
    total = 50 << 20
    tracemalloc.start()
    try:
        n = 0
        for r in read_stream(io.BufferedReader(_Generated(total)), "stor.csv", container="stor.csv", loc_factory=loc):
            n += 1
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert n > 100_000
    assert peak < 50 << 20, f"peak {peak >> 20} MiB"


def test_detect_gives_kind() -> None:
    kind = detect(CSV.encode("cp1252"), "k.txt", at_eof=True)
    assert (kind.format, kind.encoding, kind.table.delimiter) == ("csv", "cp1252", ";")
    assert kind.table.header == ("namn", "personnummer", "telefon")
