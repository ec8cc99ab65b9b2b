"""Avro and ORC files and zstd-compressed streams are read (before: sniffed as binary and skipped).

A data lake's bucket holds Avro (event pipelines) and ORC (Hive, Spark) beside
Parquet, and logs and exports compressed with zstd. Rows are records as
Parquet's are (item = 1-based row number, fields = column paths). All values
are fictional (Skatteverket test numbers, PTS fiction numbers, example.se).
"""

from __future__ import annotations

import io
import tarfile

import pytest

from connectors.base import ConnectorError, Location, Record
from connectors.formats import read_stream
from tests.connectors.fileutil import EMAIL, PHONE, PNR, NonSeekable
from tests.connectors.test_files import conn as files_conn
from tests.connectors.test_files import read_all as files_read_all

zstandard = pytest.importorskip("zstandard")
fastavro = pytest.importorskip("fastavro")
pa = pytest.importorskip("pyarrow")
import pyarrow.orc as orc  # noqa: E402

PNR12 = int(PNR.replace("-", ""))
CSV = ("kundnr;namn;personnummer;epost\n" + "".join(f"{i};Kund {i};{PNR};{EMAIL}\n" for i in range(1, 2001))).encode()


def loc(container: str, item: str) -> Location:
    return Location("s3", "lake", container, item)


def records(data: bytes, name: str, seekable: bool = True) -> list[Record]:
    body = io.BytesIO(data) if seekable else NonSeekable(data)
    return list(read_stream(body, name, container=f"b/{name}", loc_factory=loc))


def _fields(recs: list[Record]) -> dict[str, dict[str, str]]:
    return {r.location.item: dict(r.fields) for r in recs}


@pytest.mark.parametrize("seekable", [True, False])
def test_a_zstd_compressed_csv_is_read_as_the_csv(seekable: bool) -> None:
    # two frames, as 'zstd' writes for appended inputs
    half = len(CSV) // 2
    data = zstandard.ZstdCompressor().compress(CSV[:half]) + zstandard.ZstdCompressor().compress(CSV[half:])
    got = _fields(records(data, "export/kunder.csv.zst", seekable))
    plain = _fields(records(CSV, "export/kunder.csv"))
    assert got == plain and len(got) == 2000
    assert got["2"]["personnummer"] == PNR and got["2"]["epost"] == EMAIL


def test_a_tar_zst_archive_is_read_entry_by_entry() -> None:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        info = tarfile.TarInfo("kunder.csv")
        info.size = len(CSV)
        tar.addfile(info, io.BytesIO(CSV))
    data = zstandard.ZstdCompressor().compress(buf.getvalue())
    got = records(data, "arkiv.tar.zst")
    assert {r.location.container for r in got} == {"b/arkiv.tar.zst!kunder.csv"}
    assert len([r for r in got if r.location.item]) == 2000  # and the entry's name


def test_damaged_zstd_data_fails_with_the_reason() -> None:
    data = zstandard.ZstdCompressor().compress(CSV)
    with pytest.raises(ConnectorError, match="damaged zstd data|truncated"):
        records(data[: len(data) // 2] + b"\x00" * 64, "kunder.csv.zst")


AVRO_SCHEMA = {
    "type": "record", "name": "Kund",
    "fields": [
        {"name": "id", "type": "int"},
        {"name": "personnummer", "type": "long"},
        {"name": "kontakt", "type": {"type": "record", "name": "Kontakt", "fields": [
            {"name": "epost", "type": "string"}, {"name": "mobil", "type": ["null", "string"]}]}},
        {"name": "taggar", "type": {"type": "array", "items": "string"}},
        {"name": "attrs", "type": {"type": "map", "values": "string"}},
    ],
}


def _avro(n: int = 300) -> bytes:
    buf = io.BytesIO()
    rows = [{"id": i, "personnummer": PNR12, "kontakt": {"epost": EMAIL, "mobil": PHONE if i % 2 else None},
             "taggar": ["vip", f"kund {i}"], "attrs": {"pnr": PNR}} for i in range(1, n + 1)]
    fastavro.writer(buf, fastavro.parse_schema(AVRO_SCHEMA), rows, sync_interval=2000)
    return buf.getvalue()


@pytest.mark.parametrize("seekable", [True, False])
def test_an_avro_file_is_read_row_by_row(seekable: bool) -> None:
    got = _fields(records(_avro(), "events/kunder.avro", seekable))
    assert len(got) == 300
    assert got["1"] == {"id": "1", "personnummer": str(PNR12), "kontakt.epost": EMAIL, "kontakt.mobil": PHONE,
                        "taggar[0]": "vip", "taggar[1]": "kund 1", "attrs.pnr": PNR}
    assert "kontakt.mobil" not in got["2"]  # a null


def test_a_damaged_avro_file_keeps_the_rows_before_the_damage() -> None:
    data = _avro(3000)
    cut = data[: len(data) * 2 // 3] + b"\xff" * 100
    got: list[Record] = []
    with pytest.raises(ConnectorError, match="damaged Avro data after row"):
        for r in read_stream(io.BytesIO(cut), "x.avro", container="b/x.avro", loc_factory=loc):
            got.append(r)
    assert len(got) > 100


def _orc(n: int = 5000) -> bytes:
    table = pa.table({
        "id": pa.array(range(1, n + 1), pa.int64()),
        "personnummer": pa.array([PNR12] * n, pa.int64()),
        "kontakt": pa.array([{"epost": EMAIL, "mobil": PHONE}] * n),
        "telefoner": pa.array([[PHONE, "08-465 004 00"]] * n),
        "attrs": pa.array([[("pnr", PNR)]] * n, pa.map_(pa.string(), pa.string())),
    })
    buf = io.BytesIO()
    orc.write_table(table, buf, stripe_size=64 * 1024)
    return buf.getvalue()


@pytest.mark.parametrize("seekable", [True, False])
def test_an_orc_file_is_read_stripe_by_stripe(seekable: bool) -> None:
    data = _orc()
    assert orc.ORCFile(io.BytesIO(data)).nstripes > 1
    got = _fields(records(data, "hive/kunder.orc", seekable))
    assert len(got) == 5000
    assert got["4999"] == {"id": "4999", "personnummer": str(PNR12), "kontakt.epost": EMAIL, "kontakt.mobil": PHONE,
                           "telefoner[0]": PHONE, "telefoner[1]": "08-465 004 00", "attrs.pnr": PNR}


def test_text_that_starts_with_orc_is_still_text() -> None:
    got = records(f"ORCA-projektet: kontakt {EMAIL}\n".encode(), "notes.txt")
    assert [dict(r.fields) for r in got] == [{"text": f"ORCA-projektet: kontakt {EMAIL}\n".rstrip("\n")}] or \
        any(EMAIL in t for r in got for _, t in r.fields)


def test_a_share_with_these_files_is_scanned(tmp_path) -> None:  # noqa: ANN001
    share = tmp_path / "share"
    share.mkdir()
    (share / "a.avro").write_bytes(_avro(10))
    (share / "b.orc").write_bytes(_orc(10))
    (share / "c.csv.zst").write_bytes(zstandard.ZstdCompressor().compress(CSV))
    recs, errors = files_read_all(files_conn(share))
    assert errors == {}
    by = {}
    for r in recs:
        by.setdefault(r.location.container, 0)
        by[r.location.container] += 1
    assert by == {"a.avro": 11, "b.orc": 11, "c.csv.zst": 2001}  # rows and the file's name
