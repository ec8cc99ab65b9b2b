"""Red-team round 4 on containers of values: Parquet map columns, zip entry names without the UTF-8 flag.

Fictional values only (valid check digits, PTS fiction numbers).
"""

from __future__ import annotations

import io
import struct
import zipfile
from datetime import date

from connectors.base import Location
from connectors.formats import read_stream
from detectors import Scanner

R = date(2026, 11, 24)


def _records(data: bytes, name: str) -> list[tuple[str, str, list[tuple[str, str]]]]:
    loc = lambda c, i: Location("files", "t", c, i)  # noqa: E731
    return [(r.location.container, r.location.item, r.fields) for r in read_stream(io.BytesIO(data), name, container=name, loc_factory=loc)]


def test_a_parquet_map_column_names_its_values_by_their_keys() -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    attrs = pa.array([[("pnr", "8112289874"), ("mobil", "701740605")], [("a", "x"), ("a", "y")]],
                     pa.map_(pa.string(), pa.string()))
    buf = io.BytesIO()
    pq.write_table(pa.table({"kund": ["Anna", "Bo"], "attrs": attrs}), buf)
    recs = _records(buf.getvalue(), "k.parquet")
    assert recs[0][2] == [("kund", "Anna"), ("attrs.pnr", "8112289874"), ("attrs.mobil", "701740605")]
    assert recs[1][2] == [("kund", "Bo"), ("attrs[0][0]", "a"), ("attrs[0][1]", "x"), ("attrs[1][0]", "a"), ("attrs[1][1]", "y")]
    scanner = Scanner()
    found = {(m.kind, m.value) for f, t in recs[0][2] for m in scanner.find(t, hint=f, ref_date=R)}
    assert found == {("personnummer", "198112289874"), ("phone", "+46701740605")}


def _without_utf8_flag(data: bytes) -> bytes:
    """The zip with bit 11 (names are UTF-8) cleared, as Linux zip, macOS and Java write UTF-8 names."""
    out = bytearray(data)
    for sig, flag_at in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        i = out.find(sig)
        while i >= 0:
            (flags,) = struct.unpack_from("<H", out, i + flag_at)
            struct.pack_into("<H", out, i + flag_at, flags & ~0x800)
            i = out.find(sig, i + 4)
    return bytes(out)


def test_a_zip_entry_name_in_utf8_without_the_flag_is_read_as_written() -> None:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("löner/Åsa Öberg 811228-9874.txt", "Lön maj")
        zf.writestr("plain.txt", "tel 070-174 06 05")
    data = _without_utf8_flag(buf.getvalue())
    assert "löner/Åsa Öberg 811228-9874.txt" not in zipfile.ZipFile(io.BytesIO(data)).namelist()  # cp437 mojibake
    containers = {c for c, _, _ in _records(data, "a.zip")}
    assert containers == {"a.zip!löner/Åsa Öberg 811228-9874.txt", "a.zip!plain.txt"}


def test_a_cp437_entry_name_is_kept() -> None:
    # what Windows' own zip writes for a Swedish name: cp437 bytes, no flag
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("Lon.txt", "x")
    data = buf.getvalue().replace(b"Lon.txt", "Lön.txt".encode("cp437")[:7])
    assert {c for c, _, _ in _records(data, "w.zip")} == {"w.zip!Lön.txt"}
