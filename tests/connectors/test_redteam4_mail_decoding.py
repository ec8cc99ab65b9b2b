"""Red team 4, mail decoding: charset labels, transfer encodings, encrypted and TNEF parts (each failed before its fix)."""

from __future__ import annotations

import base64

from connectors.base import Limits, Location, Record
from connectors.formats.core import Problems
from connectors.mime import MessageReader, decode_bytes, header_text
from detectors import find_all

HEAD = (
    b"From: Avs <avs@example.se>\nTo: bo@example.se\nSubject: Hej\nDate: Wed, 01 May 2024 10:30:00 +0200\n"
    b"Message-ID: <rt4@mail.example.se>\nMIME-Version: 1.0\n"
)
PNR = "811228-9874"  # fictional, valid check digit
PNR_B = "550504-8388"


def read_one(raw: bytes) -> tuple[list[Record], Problems]:
    problems = Problems()
    reader = MessageReader(Location("mail", "t", "box"), Limits(), problems)
    return list(reader.records(raw, "message 1")), problems


def fields(records: list[Record]) -> dict[str, str]:
    return {f: t for r in records for f, t in r.fields}


def kinds(text: str) -> set[str]:
    return {f.kind for f in find_all(text)}


# --- 'iso-8859-1' is what Outlook and many web forms declare for windows-1252 text (WHATWG: the same label) -------


def test_iso_8859_1_label_on_cp1252_bytes_reads_the_dash_as_a_dash() -> None:
    en_dash = b"\x96"  # cp1252 en dash; a C1 control character in ISO 8859-1
    assert decode_bytes(b"070" + en_dash + b"1740606", "iso-8859-1") == ("070\u20131740606", True)
    raw = (
        HEAD.replace(b"Subject: Hej\n", b"Subject: =?iso-8859-1?q?Ang=E5ende_" + PNR[:6].encode() + b"=96" + PNR[7:].encode() + b"?=\n")
        + b"Content-Type: text/plain; charset=iso-8859-1\nContent-Transfer-Encoding: 8bit\n\n"
        + b"Personnummer " + PNR_B[:6].encode() + en_dash + PNR_B[7:].encode() + b", tel 070" + en_dash + b"1740606\n"
    )
    records, problems = read_one(raw)
    f = fields(records)
    assert f["header:Subject"] == f"Angående {PNR[:6]}\u2013{PNR[7:]}"
    assert "personnummer" in kinds(f["header:Subject"])
    assert {"personnummer", "phone"} <= kinds(f["body"])
    assert not problems


def test_latin_1_letters_are_unchanged_by_the_cp1252_reading() -> None:
    assert decode_bytes("Åsa Öberg ÿ".encode("latin-1"), "iso-8859-1") == ("Åsa Öberg ÿ", True)
    assert decode_bytes(b"\x81\x8d", "iso-8859-1") == ("\x81\x8d", True)  # undefined in cp1252: as latin-1
    assert header_text("Subject", "=?ISO-8859-1?Q?=C5sa_=96_kund?=") == "Åsa \u2013 kund"
