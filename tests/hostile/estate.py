"""A store of hostile and broken input mixed with normal data, built by the tests.

:func:`build` writes a files tree, a mail folder and a SQLite database under a
root, and returns what a scan must find in the normal parts (``expected``)
and how each hostile unit must end (``bad``).
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path

from tests.connectors.fileutil import EMAIL, PHONE, PNR, PNR2, docx_bytes, pdf_bytes, xlsx_bytes, zip_bytes
from tests.connectors.mailutil import as_bytes, mbox_bytes, message
from tests.hostile import corpus

PNR_C, PNR2_C, PHONE_C = "196408233234", "196801642395", "+46701740605"
EMAIL2 = "bo.berg@example.se"

HOSTILE_NAMES = [
    "quote'd \"name\".csv",
    "ctl\x01\x1b[31mred\x7f.csv",
    "new\nline.csv",
    "<img src=x onerror=alert(1)>.csv",
    "%2e%2e%2fescape.csv",
    "...csv",
    "-rf --reveal.csv",
]
"""File names a scan must survive: quotes, control characters, HTML, encoded traversal, option-like."""

HOSTILE_TABLES = [
    'quo"te\'s',
    "'; DROP TABLE kunder; --",
    "<b onmouseover=alert(1)>html</b>",
    "../../etc/passwd",
    "ctl\ttab\nnl\x01",
]
HOSTILE_COLUMNS = ['e"post', "tel'efon", "<i>pnr</i>", "../col", "c\x02l"]


@dataclass
class Estate:
    root: Path
    files: Path
    mail: Path
    sqlite: Path
    # (source, container, kind, canonical): must be in the map after the scan
    expected: list[tuple[str, str, str, str]] = field(default_factory=list)
    # unit key -> a phrase its failure reason must hold (the unit is failed)
    bad: dict[str, str] = field(default_factory=dict)
    # unit keys that hold broken bytes but must be read (status done) with their findings
    dirty: list[str] = field(default_factory=list)


def _csv(rows: list[tuple[str, str, str]]) -> bytes:
    return ("namn;personnummer;telefon\n" + "".join(f"{a};{b};{c}\n" for a, b, c in rows)).encode()


def build(root: Path) -> Estate:
    files, mail = root / "share", root / "mail"
    est = Estate(root, files, mail, root / "crm.sqlite")
    for d in ("normal", "bad", "dirty", "names"):
        (files / d).mkdir(parents=True)
    mail.mkdir()

    def put(rel: str, data: bytes) -> None:
        (files / rel).write_bytes(data)

    def expect(container: str, kind: str, value: str, source: str = "share") -> None:
        est.expected.append((source, container, kind, value))

    # --- normal files: their findings must all be there ------------------------------------------
    put("normal/kunder.csv", _csv([("Anna Andersson", PNR, PHONE), ("Bo Berg", PNR2, "")]))
    expect("normal/kunder.csv", "personnummer", PNR_C)
    expect("normal/kunder.csv", "personnummer", PNR2_C)
    expect("normal/kunder.csv", "phone", PHONE_C)
    put("normal/notes.txt", f"Mejla {EMAIL2} om avtalet.\n".encode())
    expect("normal/notes.txt", "email", EMAIL2)
    put("normal/data.json", json.dumps([{"email": EMAIL, "pnr": PNR2}]).encode())
    expect("normal/data.json", "email", EMAIL)
    put("normal/avtal.docx", docx_bytes())
    expect("normal/avtal.docx", "personnummer", PNR_C)
    put("normal/lista.xlsx", xlsx_bytes({"Kunder": [["Namn", "Personnummer"], ["Bo Berg", PNR2]]}))
    expect("normal/lista.xlsx", "personnummer", PNR2_C)
    put("normal/brev.pdf", pdf_bytes([f"Personnummer {PNR}"]))
    expect("normal/brev.pdf", "personnummer", PNR_C)
    put("normal/arkiv.zip", zip_bytes({"2024/kunder.csv": _csv([("Anna", PNR, PHONE)])}))
    expect("normal/arkiv.zip!2024/kunder.csv", "personnummer", PNR_C)

    # --- hostile files: each fails its own unit with a clear reason -------------------------------
    bad = {
        "bad/bomb.log.gz": (corpus.gzip_bomb(), "max_ratio"),
        "bad/nested.log.gz": (corpus.nested_gzip_bomb(), "max_ratio"),
        "bad/flat-bomb.zip": (corpus.zip_bomb_flat(), "refused, compressed more than max_ratio"),
        "bad/lying-bomb.zip": (corpus.zip_bomb_lying(), "damaged entry"),
        "bad/42.zip": (corpus.zip_bomb_nested(), "nested deeper than max_depth"),
        "bad/laughs.docx": (corpus.docx_laughs(), "declares a DTD"),
        "bad/laughs-core.docx": (corpus.docx_core_laughs(), "declares a DTD"),
        "bad/laughs-sheet.xlsx": (corpus.xlsx_laughs("xl/worksheets/sheet1.xml"), "declares a DTD"),
        "bad/laughs-workbook.xlsx": (corpus.xlsx_laughs("xl/workbook.xml"), "declares a DTD"),
        "bad/laughs-props.xlsx": (corpus.xlsx_laughs("docProps/core.xml"), "declares a DTD"),
        "bad/loops.pdf": (corpus.pdf_reference_loops(), "PDF"),
        "bad/huge-stream.pdf": (corpus.pdf_huge_stream(), "LimitReachedError"),
        "bad/lying-length.pdf": (corpus.pdf_lying_length(), "PDF"),
    }
    for rel, (data, reason) in bad.items():
        put(rel, data)
        est.bad[rel] = reason
    # a damaged file whose name would drive a terminal: reasons and output must escape it
    put("bad/\x1b[2Jclear\x07.pdf", b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog")
    est.bad["bad/\x1b[2Jclear\x07.pdf"] = "not a readable PDF"
    # a zip whose entries try to leave it, beside a good entry that is read
    put("bad/traversal.zip", corpus.zip_with_unsafe_entries(_csv([("Anna", PNR, PHONE)])))
    est.bad["bad/traversal.zip"] = "its path leaves the archive"
    expect("bad/traversal.zip!ok/kunder.csv", "personnummer", PNR_C)

    # --- NUL bytes and invalid UTF-8: read, findings kept -----------------------------------------
    dirty = {
        "dirty/nul.csv": b"namn;personnummer;telefon\nAn\0na;" + PNR.encode() + b";\0\0\nB\0o;\0;" + b"x" * 10 + b"\n",
        "dirty/badutf8.csv": b"namn;personnummer\n\xc3\x28\xff\xfe;" + PNR.encode() + b"\n\x80\x81;x\n",
        "dirty/nul.json": b'[{"pnr": "' + PNR.encode() + b'", "x": "\\u0000\\u0000"}]\0\0\0',
        "dirty/badutf8.jsonl": b'{"pnr": "' + PNR.encode() + b'", "n": "\xff\xfe\xc0\xaf"}\n{"bad": \xff}\n',
        "dirty/nul.txt": b"\0\0log\0 line " + PNR.encode() + b" \0\xff\xfe end\n" * 3,
        "dirty/utf16-broken.txt": b"\xff\xfe" + f"pnr {PNR}\n".encode("utf-16-le") + b"\x00\xd8",
        "dirty/xobject-loop.pdf": corpus.pdf_xobject_loop(f"Pnr {PNR}"),  # a drawing that draws itself: read, loop skipped
    }
    for rel, data in dirty.items():
        put(rel, data)
        est.dirty.append(rel)
        expect(rel, "personnummer", PNR_C)

    # --- hostile names ----------------------------------------------------------------------------
    for name in HOSTILE_NAMES:
        put(f"names/{name}", _csv([("Anna", PNR, "")]))
        expect(f"names/{name}", "personnummer", PNR_C)

    # --- mail: a good mbox, a truncated one, broken MIME ------------------------------------------
    good = [as_bytes(message(1, body=f"Hej, mitt personnummer är {PNR}.\n")), as_bytes(message(2, body=f"Ring {PHONE}.\n"))]
    (mail / "inbox.mbox").write_bytes(mbox_bytes(good))
    expect("inbox.mbox", "personnummer", PNR_C, "mail")
    expect("inbox.mbox", "phone", PHONE_C, "mail")
    att = as_bytes(message(3, body=f"Bifogat, se {EMAIL}.\n", attachments={"kunder.csv": _csv([("Bo", PNR2, "")]) * 200}))
    whole = mbox_bytes([as_bytes(message(4, body=f"Först: {PNR2}\n")), att])
    (mail / "truncated.mbox").write_bytes(whole[: len(whole) - 3000])  # cut inside the attachment's base64
    expect("truncated.mbox", "personnummer", PNR2_C, "mail")
    expect("truncated.mbox", "email", EMAIL, "mail")
    (mail / "cut-header.mbox").write_bytes(mbox_bytes([as_bytes(message(5, body=f"Tel {PHONE}\n"))]) + b"From x@y Thu Jan  1 00:00:00 2024\nSubject: =?utf-8?B?broken")
    expect("cut-header.mbox", "phone", PHONE_C, "mail")
    broken = (
        b"From: a@example.se\nTo: b@example.se\nSubject: \xff\xfe\x00bad\nMessage-ID: <broken.1@example.se>\n"
        b"MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=XYZ\n\n--XYZ\nContent-Type: text/plain; charset=utf-8\n\n"
        b"Pnr " + PNR.encode() + b" \0\0\xff\xfe\n--XYZ\nContent-Type: application/zip\nContent-Transfer-Encoding: base64\n\nUEsDBBQAAAAIAA==\n"
    )  # the multipart never closes, the zip is cut
    (mail / "eml").mkdir()
    (mail / "eml" / "broken.eml").write_bytes(broken)
    expect("eml/broken.eml", "personnummer", PNR_C, "mail")

    # --- SQLite: hostile table and column names ---------------------------------------------------
    con = sqlite3.connect(est.sqlite)
    for n, (table, col) in enumerate(zip(HOSTILE_TABLES, HOSTILE_COLUMNS)):
        qt, qc = '"' + table.replace('"', '""') + '"', '"' + col.replace('"', '""') + '"'
        con.execute(f"CREATE TABLE {qt} (id INTEGER PRIMARY KEY, {qc} TEXT, note TEXT)")
        con.execute(f"INSERT INTO {qt} VALUES (?, ?, ?)", (1, PNR if n % 2 == 0 else EMAIL, "\0nul \xff text"))
        expect(table, "personnummer" if n % 2 == 0 else "email", PNR_C if n % 2 == 0 else EMAIL, "crm")
    con.commit()
    con.close()
    return est


def config(est: Estate, datamap: Path, extra_sources: str = "") -> str:
    def q(p: Path) -> str:
        return json.dumps(str(p))

    return (
        f"[datamap]\nurl = {json.dumps('sqlite:///' + str(datamap))}\n\n"
        f"[[sources]]\nname = \"share\"\ntype = \"files\"\npath = {q(est.files)}\n\n"
        f"[[sources]]\nname = \"mail\"\ntype = \"mail\"\npath = {q(est.mail)}\n\n"
        f"[[sources]]\nname = \"crm\"\ntype = \"sql\"\nurl = {json.dumps('sqlite:///' + str(est.sqlite))}\n"
        + extra_sources
    )
