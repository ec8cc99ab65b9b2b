"""The files connector: listing units, reading them by content, locations, errors."""

from __future__ import annotations

import gzip
import os
import pickle
from datetime import date, datetime
from pathlib import Path

import pytest

from connectors.base import ConfigError, ConnectorError, Record
from connectors.files import FilesConnector
from connectors.registry import build
from tests.connectors.contract import ConnectorContract
from tests.connectors.fileutil import EMAIL, PHONE, PNR, PNR2, docx_bytes, pdf_bytes, xlsx_bytes, zip_bytes

SHORT_PNR = "640823-3234"  # the test number in its 10-digit form
MTIME = datetime(2021, 6, 15, 12, 0).timestamp()


def make_tree(root: Path) -> Path:
    files: dict[str, bytes] = {
        "kunder.txt": f"namn;personnummer;telefon\nÅsa Öberg;{PNR};{PHONE}\nBo;{PNR2};\n".encode("cp1252"),
        f"hr/{SHORT_PNR}_lönespec.pdf": pdf_bytes([f"Lonespecifikation {PNR}"], {"Author": "Karin Chef"}),
        "hr/avtal.docx": docx_bytes(),
        "hr/lista.xlsx": xlsx_bytes({"Blad1": [["Namn", "Epost"], ["Anna", EMAIL]]}),
        "skannat.dat": pdf_bytes([f"ring {PHONE}"]),
        "logs/app.log": "".join(f"2024-01-01 10:00:{i:02d} INFO kund {i} loggade in\n" for i in range(40)).encode(),
        "logs/old.log.gz": gzip.compress(f"gammal rad {EMAIL}\n".encode()),
        "export/arkiv.zip": zip_bytes({"in/h.jsonl": f'{{"pnr": "{PNR}"}}\n'.encode(), "../evil.txt": b"x"}),
        "export/data.json": f'[{{"kund": {{"email": "{EMAIL}"}}}}]'.encode(),
        ".git/config": b"[core]\n",
        "tom.txt": b"",
    }
    for rel, data in files.items():
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(data)
        os.utime(p, (MTIME, MTIME))
    return root


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    return make_tree(tmp_path / "share")


def conn(root: Path | str, **config) -> FilesConnector:
    return FilesConnector("share", {"type": "files", "path": str(root), **config})


def read_all(c: FilesConnector) -> tuple[list[Record], dict[str, str]]:
    """All records of all units, and the errors by unit key."""
    out: list[Record] = []
    errors: dict[str, str] = {}
    for unit in c.units():
        try:
            for r in c.read(unit):
                out.append(r)
        except ConnectorError as exc:
            errors[unit.key] = str(exc)
    return out, errors


def triples(records: list[Record]) -> list[tuple[str, str, str, str]]:
    return [(r.location.container, r.location.item, f, t) for r in records for f, t in r.fields]


class TestContract(ConnectorContract):
    @pytest.fixture
    def connector(self, tree: Path) -> FilesConnector:
        return conn(tree, exclude=[".git", "arkiv.zip"])  # the archive's unsafe entry fails its unit


# --- listing ------------------------------------------------------------------------------------


def test_units_one_per_file_sorted_with_sizes(tree: Path) -> None:
    units = list(conn(tree).units())
    assert [u.key for u in units] == [
        "kunder.txt", "skannat.dat", "tom.txt",
        ".git/config",
        "export/arkiv.zip", "export/data.json",
        "hr/640823-3234_lönespec.pdf", "hr/avtal.docx", "hr/lista.xlsx",
        "logs/app.log", "logs/old.log.gz",
    ]  # fmt: skip
    for u in units:
        assert u.size == (tree / u.key).stat().st_size
        assert u.param("path") == u.key


def test_fingerprint_changes_with_the_file(tree: Path) -> None:
    c = conn(tree)
    before = {u.key: u.fingerprint for u in c.units()}
    os.utime(tree / "kunder.txt", (MTIME + 60, MTIME + 60))
    after = {u.key: u.fingerprint for u in c.units()}
    assert before["kunder.txt"] != after["kunder.txt"]
    assert {k for k in before if before[k] != after[k]} == {"kunder.txt"}


def test_include_and_exclude(tree: Path) -> None:
    keys = [u.key for u in conn(tree, include=["**/*.pdf", "*.dat"]).units()]
    assert keys == ["skannat.dat", "hr/640823-3234_lönespec.pdf"]
    keys = [u.key for u in conn(tree, exclude=[".git", "logs/", "*.docx"]).units()]
    assert ".git/config" not in keys and not any(k.startswith("logs/") for k in keys) and "hr/avtal.docx" not in keys
    keys = [u.key for u in conn(tree, include="hr/*").units()]
    assert keys == ["hr/640823-3234_lönespec.pdf", "hr/avtal.docx", "hr/lista.xlsx"]


def test_symlinks_skipped_unless_followed(tree: Path, tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "hemlig.txt").write_text(f"hemlig {PNR}\n")
    (tree / "länk").symlink_to(outside)
    (tree / "filänk.txt").symlink_to(tree / "kunder.txt")
    (tree / "loop").symlink_to(tree)
    (tree / "trasig").symlink_to(tree / "finns-inte")
    keys = [u.key for u in conn(tree).units()]
    assert not any(k.startswith(("länk", "filänk", "loop", "trasig")) for k in keys)
    keys = [u.key for u in conn(tree, follow_symlinks=True).units()]
    assert "länk/hemlig.txt" in keys and "filänk.txt" in keys
    assert not any(k.startswith("loop/") for k in keys)  # the tree is not entered twice


def test_special_files_are_skipped(tree: Path) -> None:
    os.mkfifo(tree / "rör")
    assert "rör" not in [u.key for u in conn(tree).units()]


def test_single_file_root(tree: Path) -> None:
    c = conn(tree / "kunder.txt")
    units = list(c.units())
    assert [u.key for u in units] == ["kunder.txt"]
    assert ("kunder.txt", "2", "personnummer", PNR) in triples(list(c.read(units[0])))


def test_config_errors(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="'path'"):
        FilesConnector("s", {"type": "files"})
    with pytest.raises(ConfigError, match="not accessible"):
        list(conn(tmp_path / "saknas").units())
    with pytest.raises(ConfigError, match="include"):
        conn(tmp_path, include=[1])


def test_unlistable_directory_becomes_a_failing_unit(tree: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    real = os.scandir

    def scandir(path):  # noqa: ANN001, ANN202
        if str(path).endswith("hr"):
            raise PermissionError(13, "Permission denied")
        return real(path)

    monkeypatch.setattr(os, "scandir", scandir)
    c = conn(tree)
    units = {u.key: u for u in c.units()}
    assert "hr/" in units and not any(k.startswith("hr/") and k != "hr/" for k in units)
    with pytest.raises(ConnectorError, match="hr/: cannot list directory .*Permission denied"):
        list(c.read(units["hr/"]))


def test_registry_builds_it(tree: Path) -> None:
    c = build("share", {"type": "files", "path": str(tree)})
    assert isinstance(c, FilesConnector) and c.store == "files"
    clone = pickle.loads(pickle.dumps(c))
    assert clone.root == c.root


# --- reading ------------------------------------------------------------------------------------


def test_every_format_in_the_tree(tree: Path) -> None:
    records, errors = read_all(conn(tree, exclude=".git"))
    t = triples(records)
    assert ("kunder.txt", "2", "personnummer", PNR) in t  # cp1252 CSV named .txt
    assert ("kunder.txt", "2", "namn", "Åsa Öberg") in t
    assert ("skannat.dat", "p1", "text", f"ring {PHONE}") in t  # a PDF named .dat
    assert ("hr/640823-3234_lönespec.pdf", "meta", "meta:/Author", "Karin Chef") in t
    assert ("hr/avtal.docx", "table 1 row 2", "Personnummer", PNR) in t
    assert ("hr/lista.xlsx", "Blad1:2", "Epost", EMAIL) in t
    assert ("logs/app.log", "7", "text", "2024-01-01 10:00:06 INFO kund 6 loggade in") in t
    assert ("logs/old.log.gz", "1", "text", f"gammal rad {EMAIL}") in t
    assert ("export/arkiv.zip!in/h.jsonl", "1", "$.pnr", PNR) in t
    assert ("export/data.json", "[0]", "$.kund.email", EMAIL) in t
    # the archive's refused entry is reported against its unit, after the rest was read
    assert set(errors) == {"export/arkiv.zip"} and "../evil.txt refused" in errors["export/arkiv.zip"]
    for r in records:
        assert r.location.store == "files" and r.location.source == "share"


def test_file_names_are_records(tree: Path) -> None:
    c = conn(tree)
    unit = next(u for u in c.units() if u.key.endswith("_lönespec.pdf"))
    first = next(iter(c.read(unit)))
    assert (first.location.container, first.location.item, first.fields) == (
        "hr/640823-3234_lönespec.pdf", "", [("path", "hr/640823-3234_lönespec.pdf")],
    )  # fmt: skip
    assert first.structured is False
    empty = next(u for u in c.units() if u.key == "tom.txt")
    assert [r.fields for r in c.read(empty)] == [[("path", "tom.txt")]]


def test_ref_date_is_the_mtime(tree: Path) -> None:
    c = conn(tree)
    unit = next(u for u in c.units() if u.key == "kunder.txt")
    recs = list(c.read(unit))
    assert all(r.ref_date == date(2021, 6, 15) for r in recs)
    assert all(r.record_date is not None and r.record_date.date() == date(2021, 6, 15) for r in recs)


def test_vanished_and_unreadable_files(tree: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    c = conn(tree)
    unit = next(u for u in c.units() if u.key == "kunder.txt")
    (tree / "kunder.txt").unlink()
    with pytest.raises(ConnectorError, match=r"kunder\.txt: cannot open .*No such file"):
        list(c.read(unit))

    unit = next(u for u in c.units() if u.key == "logs/app.log")
    real_open = os.open

    def denied(path, *a, **kw):  # noqa: ANN001, ANN002, ANN003, ANN202
        if str(path).endswith("app.log"):
            raise PermissionError(13, "Permission denied")
        return real_open(path, *a, **kw)

    monkeypatch.setattr(os, "open", denied)
    with pytest.raises(ConnectorError, match="app.log: cannot open .*Permission denied"):
        list(c.read(unit))


def test_a_file_replaced_by_a_symlink_is_not_followed(tree: Path, tmp_path: Path) -> None:
    c = conn(tree)
    unit = next(u for u in c.units() if u.key == "kunder.txt")
    (tmp_path / "annat.txt").write_text(f"annat {PNR}\n")
    (tree / "kunder.txt").unlink()
    (tree / "kunder.txt").symlink_to(tmp_path / "annat.txt")
    with pytest.raises(ConnectorError, match="cannot open"):
        list(c.read(unit))


def test_corrupt_files_fail_their_unit_only(tree: Path) -> None:
    (tree / "trasig.pdf").write_bytes(b"%PDF-1.4\nnothing here")
    rows = "".join(f"{i};{i * 7919 % 100003}\n" for i in range(50000))
    (tree / "stympad.csv.gz").write_bytes(gzip.compress(("a;b\n" + rows).encode())[:150000])
    records, errors = read_all(conn(tree, exclude=".git"))
    assert "not a readable PDF" in errors["trasig.pdf"]
    assert "truncated or damaged gzip" in errors["stympad.csv.gz"]
    assert ("stympad.csv.gz", "", "path", "stympad.csv.gz") in triples(records)
    assert any(r.location.container == "stympad.csv.gz" and r.location.item == "2" for r in records)
    assert ("kunder.txt", "2", "personnummer", PNR) in triples(records)


# --- very large line-oriented files: byte-range units ----------------------------------------------


def test_large_line_files_are_split_into_byte_ranges(tree: Path) -> None:
    lines = [f"{i};kund {i};{PNR if i % 2 else PNR2}" for i in range(1, 301)]
    data = ("id;namn;pnr\n" + "\n".join(lines) + "\n").encode()
    (tree / "stor.csv").write_bytes(data)
    c = conn(tree, split_bytes=1000, include=["stor.csv", "hr/*.pdf", "logs/app.log"])
    units = [u for u in c.units()]
    csv_units = [u for u in units if u.param("path") == "stor.csv"]
    assert len(csv_units) == -(-len(data) // 1000)
    assert csv_units[0].key == "stor.csv#0-1000" and csv_units[-1].param("end") == len(data)
    assert sum(u.size for u in csv_units) == len(data)
    assert [u.key for u in units if u.param("path", "").endswith(".pdf")] == ["hr/640823-3234_lönespec.pdf"]  # not split
    assert len([u for u in units if u.param("path") == "logs/app.log"]) > 1  # a log is split too

    seen: list[str] = []
    names = 0
    for u in csv_units:
        for r in c.read(u):
            if r.location.item == "":
                names += 1
                continue
            off = int(r.location.item.lstrip("@"))
            row = dict(r.fields)
            assert data[off:].startswith(row["id"].encode() + b";")  # the item points at the line
            assert set(row) == {"id", "namn", "pnr"}  # the header names every range's fields
            seen.append(row["id"])
    assert names == 1
    assert seen == [str(i) for i in range(1, 301)]
