"""A large zip archive is read as several units of its entries, with the records of the whole archive.

Before, a zip was one unit whatever it held: a 3.7 MB zip of 30 CSV exports (300,000 rows) took a scan's
process to 766 MiB peak RSS, growing 179 MiB a 100,000 rows (benchmarks/big_units.py).
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest

from connectors.base import ConnectorError
from connectors.files import FilesConnector
from connectors.formats.core import PartialRead


def make_zip(path: Path, files: int, rows: int) -> None:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for k in range(files):
            body = "id;epost;telefon\n" + "".join(f"{k * rows + i};kund{k * rows + i}@exempel.se;070-174 06 {i % 100:02d}\n"
                                                 for i in range(rows))
            z.writestr(f"export/kunder_{k:03d}.csv", body)
        z.writestr("export/", "")  # a directory entry


def read(c: FilesConnector) -> tuple[list[str], list[tuple[str, str, tuple[tuple[str, str], ...]]], list[str]]:
    units = list(c.units())
    recs, problems = [], []
    for u in units:
        try:
            for r in c.read(u):
                recs.append((r.location.container, r.location.item, tuple(r.fields)))
        except PartialRead as exc:
            problems += exc.problems if hasattr(exc, "problems") else [str(exc)]
        except ConnectorError as exc:
            problems.append(str(exc))
    return [u.key for u in units], recs, problems


def test_a_large_zip_is_split_into_entry_units_with_the_same_records(tmp_path: Path) -> None:
    make_zip(tmp_path / "export.zip", 12, 6_000)
    assert (tmp_path / "export.zip").stat().st_size > 500_000 // 8  # looked at from an eighth of split_bytes on disk
    whole_keys, whole, wp = read(FilesConnector("s", {"path": str(tmp_path), "split_bytes": 0}))
    keys, split, sp = read(FilesConnector("s", {"path": str(tmp_path), "split_bytes": 500_000}))
    assert whole_keys == ["export.zip"] and not wp and not sp
    assert len(keys) >= 4 and all(k.startswith("export.zip#entries ") for k in keys)
    assert sorted(split) == sorted(whole)
    assert split == whole  # in the same order, too
    assert {c for c, _, _ in split if c.startswith("export.zip!")} == {f"export.zip!export/kunder_{k:03d}.csv" for k in range(12)}


def test_max_expanded_bytes_is_shared_by_the_parts(tmp_path: Path) -> None:
    make_zip(tmp_path / "export.zip", 12, 6_000)
    limits = {"max_expanded_bytes": 1_200_000}  # about five of the twelve entries
    _, whole, wp = read(FilesConnector("s", {"path": str(tmp_path), "split_bytes": 0, "limits": limits}))
    _, split, sp = read(FilesConnector("s", {"path": str(tmp_path), "split_bytes": 200_000, "limits": limits}))
    read_whole = {c for c, _, f in whole if c.startswith("export.zip!") and f[0][0] != "path"}
    read_split = {c for c, _, f in split if c.startswith("export.zip!") and f[0][0] != "path"}
    assert read_split == read_whole and 0 < len(read_whole) < 12
    assert wp and sp  # the refused entries are reported either way


def test_an_office_file_is_not_split(tmp_path: Path) -> None:
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    ws = wb.create_sheet("Kunder")
    for i in range(20_000):
        ws.append([i, f"kund{i}@exempel.se", f"{i:08x}" * 4])
    wb.save(tmp_path / "kunder.xlsx")
    assert (tmp_path / "kunder.xlsx").stat().st_size > 150_000
    keys, _, _ = read(FilesConnector("s", {"path": str(tmp_path), "split_bytes": 150_000}))
    assert keys == ["kunder.xlsx"]
