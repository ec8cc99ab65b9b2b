"""Red team 4: Outlook's TNEF (winmail.dat) attachment holds the mail's real attachments and its RTF body.

The TNEF streams are written here by the rules of [MS-OXTNEF] (no TNEF writer is installed): legacy
attributes (attAttachRendData, attAttachTitle, attAttachData, attBody) and MAPI properties (attMAPIProps
with PR_RTF_COMPRESSED, attAttachment with PR_ATTACH_LONG_FILENAME), as Exchange and Outlook write them.
"""

from __future__ import annotations

import base64
import struct

import pytest

from connectors.base import Limits, Location, Record
from connectors.formats.core import Problems
from connectors.mime import MessageReader

PNR = "811228-9874"  # fictional, valid check digit
PNR_B = "550504-8388"
HEAD = (
    b"From: Avs <avs@example.se>\nTo: bo@example.se\nSubject: Hej\nDate: Wed, 01 May 2024 10:30:00 +0200\n"
    b"Message-ID: <tnef@mail.example.se>\nMIME-Version: 1.0\n"
)


def _attr(level: int, attr_id: int, data: bytes) -> bytes:
    return struct.pack("<BII", level, attr_id, len(data)) + data + struct.pack("<H", sum(data) & 0xFFFF)


def _prop_binary(prop: int, ptype: int, value: bytes) -> bytes:
    pad = b"\0" * (-len(value) % 4)
    return struct.pack("<HHII", ptype, prop, 1, len(value)) + value + pad


def _props(*props: bytes) -> bytes:
    return struct.pack("<I", len(props)) + b"".join(props)


def tnef(rtf_body: bytes | None, attachments: list[tuple[str, str | None, bytes]], body: str | None = None) -> bytes:
    out = struct.pack("<IH", 0x223E9F78, 0x1234)
    out += _attr(1, 0x00089006, struct.pack("<I", 0x00010000))  # attTnefVersion
    if body is not None:
        out += _attr(1, 0x0002800C, body.encode("cp1252"))  # attBody
    if rtf_body is not None:
        import compressed_rtf

        out += _attr(1, 0x00069003, _props(
            _prop_binary(0x0E07, 0x0003, b"")[:4] + struct.pack("<I", 1),  # PR_MESSAGE_FLAGS (PT_LONG), a fixed-size value first
            _prop_binary(0x1009, 0x0102, compressed_rtf.compress(rtf_body)),  # PR_RTF_COMPRESSED
        ))  # fmt: skip
    for title, long_name, data in attachments:
        out += _attr(2, 0x00069002, b"\x01\x00\xff\xff\xff\xff" + b"\0" * 8)  # attAttachRendData: a new attachment
        out += _attr(2, 0x00018010, title.encode("cp1252") + b"\0")  # attAttachTitle (an 8.3 name in old clients)
        out += _attr(2, 0x0006800F, data)  # attAttachData
        if long_name is not None:
            name = long_name.encode("utf-16-le") + b"\0\0"
            out += _attr(2, 0x00069005, _props(_prop_binary(0x3707, 0x001F, name)))  # PR_ATTACH_LONG_FILENAME
    return out


def read_one(raw: bytes) -> tuple[list[Record], Problems]:
    problems = Problems()
    reader = MessageReader(Location("mail", "t", "box"), Limits(), problems)
    return list(reader.records(raw, "message 1")), problems


def with_winmail(data: bytes, ctype: str = "application/ms-tnef") -> bytes:
    return HEAD + (
        b'Content-Type: multipart/mixed; boundary="TT"\n\n--TT\nContent-Type: text/plain\n\nSe bilagan.\n'
        + f'--TT\nContent-Type: {ctype}; name="winmail.dat"\nContent-Disposition: attachment; filename="winmail.dat"\n'.encode()
        + b"Content-Transfer-Encoding: base64\n\n" + base64.encodebytes(data) + b"--TT--\n"
    )


def test_the_attachments_and_rtf_body_inside_winmail_dat_are_read() -> None:
    pytest.importorskip("compressed_rtf")
    csv = f"Namn;Personnummer\nÅsa Öberg;{PNR}\n".encode()
    rtf = b"{\\rtf1\\ansi\\deff0 {\\fonttbl{\\f0 Arial;}}\\f0 Kund " + PNR_B.encode() + b", ring 070-174 06 05\\par}"
    data = tnef(rtf, [("KUNDER~1.CSV", "kundlista 2024.csv", csv), ("avtal.txt", None, b"Mejla anna.tnef@example.se\n")])
    for ctype in ("application/ms-tnef", "application/octet-stream"):
        records, problems = read_one(with_winmail(data, ctype))
        got = {f: t for r in records for f, t in r.fields}
        assert got["attachment:winmail.dat!kundlista 2024.csv!line 2:Personnummer"] == PNR, sorted(got)
        assert got["attachment:winmail.dat!avtal.txt!line 1:text"] == "Mejla anna.tnef@example.se"
        assert any(f.startswith("attachment:winmail.dat!body.rtf") and PNR_B in t and "070-174 06 05" in t for f, t in got.items()), sorted(got)
        assert not problems, problems.messages
        assert not any(r.structured for r in records if any(f.startswith("attachment:") for f, _ in r.fields))


def test_a_legacy_body_and_a_damaged_tnef_stream() -> None:
    data = tnef(None, [("a.txt", None, f"Pnr {PNR}\n".encode())], body=f"Hej, mitt personnummer är {PNR_B}")
    records, problems = read_one(with_winmail(data))
    got = {f: t for r in records for f, t in r.fields}
    assert any(PNR_B in t for f, t in got.items() if f.startswith("attachment:winmail.dat!body")), sorted(got)
    assert got["attachment:winmail.dat!a.txt!line 1:text"] == f"Pnr {PNR}"
    assert not problems
    cut = data[: len(data) - 9]  # the last attribute cut short: what came before is read, the damage reported
    records, problems = read_one(with_winmail(cut))
    got = {f: t for r in records for f, t in r.fields}
    assert any(PNR_B in t for f, t in got.items() if f.startswith("attachment:winmail.dat!body")), sorted(got)
    assert len(problems.messages) == 1 and "winmail.dat" in problems.messages[0] and "TNEF" in problems.messages[0]
    assert PNR not in problems.messages[0]


def test_an_outlook_item_attached_inside_winmail_dat_is_opened_too() -> None:
    """An attached Outlook item has no attAttachData: PR_ATTACH_DATA_OBJ holds IID_IMessage and a TNEF stream of its own."""
    inner = tnef(None, [("kund.txt", None, f"Pnr {PNR}\n".encode())], body=f"Inre {PNR_B}")
    iid_imessage = bytes.fromhex("0703020000000000c000000000000046")
    item = struct.pack("<IH", 0x223E9F78, 1) + _attr(1, 0x00089006, struct.pack("<I", 0x00010000))
    item += _attr(2, 0x00069002, b"\x05\x00\xff\xff\xff\xff" + b"\0" * 8)
    item += _attr(2, 0x00069005, _props(
        _prop_binary(0x3001, 0x001F, "Ärende 7".encode("utf-16-le") + b"\0\0"),  # PR_DISPLAY_NAME
        _prop_binary(0x3701, 0x000D, iid_imessage + inner),  # PR_ATTACH_DATA_OBJ
    ))  # fmt: skip
    records, problems = read_one(with_winmail(item))
    got = {f: t for r in records for f, t in r.fields}
    assert got["attachment:winmail.dat!Ärende 7!kund.txt!line 1:text"] == f"Pnr {PNR}", sorted(got)
    assert any(PNR_B in t for f, t in got.items() if f.startswith("attachment:winmail.dat!Ärende 7!body")), sorted(got)
    assert not problems, problems.messages


def test_the_rtf_body_of_winmail_dat_is_read_as_its_text() -> None:
    """Read as raw RTF, an escaped dash or letter inside a number (\\'96, \\~) split it."""
    pytest.importorskip("compressed_rtf")
    rtf = b"{\\rtf1\\ansi\\ansicpg1252{\\fonttbl{\\f0 Arial;}}\\f0 Pnr " + PNR.replace("-", "\\'96").encode() + b"\\par Tel 070-174\\~06\\~05\\par}"
    records, problems = read_one(with_winmail(tnef(rtf, [])))
    texts = [t for r in records for f, t in r.fields if f.startswith("attachment:winmail.dat!body.rtf")]
    assert texts == [f"Pnr {PNR.replace('-', chr(0x2013))}", "Tel 070-174\u00a006\u00a005"], texts
    assert not problems


def test_a_hostile_property_count_costs_no_time() -> None:
    """Multi-valued properties of a size-less type claiming 100000 values each must not loop in place."""
    import time

    props = struct.pack("<I", 300) + b"".join(struct.pack("<HHI", 0x1001, 1, 100_000) for _ in range(300))
    data = struct.pack("<IH", 0x223E9F78, 1) + _attr(1, 0x00069003, props)
    start = time.process_time()
    read_one(with_winmail(data))
    assert time.process_time() - start < 1.0
