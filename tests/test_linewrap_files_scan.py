"""A plain-text file is read as one running text by the detectors, each finding on the line where it starts.

The text reader yields one record per line (connectors/formats/text.py); the
scanner finds a number broken by a line wrap (``640823-\\n3234``) and a keyword
at the end of the line before (``Personnummer:\\n640823 3234``) only when both
lines are in the text it is given. The worker reads consecutive lines of a
file together (``Record.follows``) and keeps each finding on the record where
it starts, once. The reference for every file here: ``Scanner.find`` over the
file's whole text, each finding on the line of its first character.

All values are fictional: Skatteverket's test personnummer, PTS fiction
numbers, the known test card 4111 1111 1111 1111, the ECBS example IBAN and
the reference's vector accounts (shared/reference §3.4, §3.5).
"""

from __future__ import annotations

import os
import pickle
from datetime import datetime, timezone
from pathlib import Path

import pytest

from connectors.base import Location, Record
from connectors.files import FilesConnector
from detectors import Scanner
from pii_scan import worker
from pii_scan.keys import Keys
from pii_scan.worker import ScanSettings, scan_unit

SECRET = b"w" * 32
KEYS = Keys(SECRET)
MTIME = datetime(2025, 3, 14, 9, 0, tzinfo=timezone.utc).timestamp()
REF = datetime.fromtimestamp(MTIME, timezone.utc).date()


def _scan_file(tmp_path: Path, name: str, text: str, **config: object) -> list[tuple[str, str, str]]:
    """(item, kind, value hash) of every finding of a files scan of one file, in the order of the file."""
    root = tmp_path / "share"
    path = root / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.encode("utf-8"))
    os.utime(path, (MTIME, MTIME))
    conn = FilesConnector("share", {"type": "files", "path": str(root), **config})
    got: list[tuple[str, str, str]] = []
    for unit in conn.units():
        res = scan_unit(conn, unit, ScanSettings(None, 0.5, False, SECRET))
        assert res.error is None, res.error
        for rec in res.records:
            if rec.container == name:
                got.extend((rec.item, f.kind, f.value_hash) for f in rec.findings)
    return sorted(got, key=lambda x: (int(x[0].lstrip("@")), x[1], x[2]))


def _whole_text(text: str) -> list[tuple[str, str, str]]:
    """The reference: the scanner over the whole text, each finding on the (1-based) line where it starts."""
    out = [
        (str(text.count("\n", 0, m.start) + 1), m.kind, KEYS.hash(m.kind, m.value))
        for m in Scanner(min_confidence=0.5).find(text, ref_date=REF)
    ]
    return sorted(out, key=lambda x: (int(x[0]), x[1], x[2]))


def _h(kind: str, value: str) -> str:
    return KEYS.hash(kind, value)


# -- numbers wrapped over two lines ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "kind", "value", "line"),
    [
        ("Samtal med kund\nKunden uppgav personnr 640823-\n3234 vid samtalet.\n", "personnummer", "196408233234", "2"),
        ("Anteckning\nHon vill bli uppringd på 070-174\n06 05 efter lunch.\n", "phone", "+46701740605", "2"),
        ("Betalning\nKort 4111 1111\n1111 1111 giltigt till 12/27.\n", "payment_card", "4111111111111111", "2"),
        ("Återbetalning\nIBAN SE45\n5000 0000 0583 9825 7466 enligt kunden.\n", "bank_account", "SE4550000000058398257466", "2"),
        ("Utbetalning\nKonto 6114-517\n182 351 hos banken.\n", "bank_account", None, "2"),
    ],
    ids=["personnummer", "phone", "card", "iban", "account"],
)
def test_a_number_wrapped_over_two_lines_is_found_on_its_first_line(
    tmp_path: Path, text: str, kind: str, value: str | None, line: str
) -> None:
    got = _scan_file(tmp_path, "anteckningar/samtal.txt", text)
    assert [(item, k) for item, k, _ in got] == [(line, kind)]
    if value is not None:
        assert got[0][2] == _h(kind, value)
    assert got == _whole_text(text)


def test_a_log_file_and_a_wrapped_number_in_a_gzip(tmp_path: Path) -> None:
    import gzip

    text = "rad ett\nring 08-465 004\n22 i morgon\n"
    root = tmp_path / "share"
    root.mkdir()
    (root / "gammal.log.gz").write_bytes(gzip.compress(text.encode()))
    conn = FilesConnector("share", {"type": "files", "path": str(root)})
    found: list[tuple[str, str, str]] = []
    for unit in conn.units():
        for rec in scan_unit(conn, unit, ScanSettings(None, 0.5, False, SECRET)).records:
            found.extend((rec.item, f.kind, f.value_hash) for f in rec.findings)
    assert found == [("2", "phone", _h("phone", "+46846500422"))]


# -- a keyword on the line before ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "kind", "value"),
    [
        ("Hej!\nMitt personnummer är\n640823 3234\nMvh Anna\n", "personnummer", "196408233234"),
        ("Faktura\nTack, vårt bankgiro:\n5402-9681\n", "bank_account", None),
    ],
)
def test_a_keyword_at_the_end_of_the_line_before(tmp_path: Path, text: str, kind: str, value: str | None) -> None:
    got = _scan_file(tmp_path, "brev.txt", text)
    assert [(item, k) for item, k, _ in got] == [("3", kind)]
    if value is not None:
        assert got[0][2] == _h(kind, value)
    assert got == _whole_text(text)


def test_an_other_number_label_on_the_line_before_counts_too(tmp_path: Path) -> None:
    # 'Kundnummer' says the number below is a customer number, as it does on one line
    text = "Kundnummer:\n0701740605\n"
    assert _scan_file(tmp_path, "kund.txt", text) == _whole_text(text) == []


# -- once, where it starts ------------------------------------------------------------------------------


def test_each_finding_once_on_the_line_where_it_starts(tmp_path: Path) -> None:
    text = (
        "Samtalslogg\n"
        "Ring 070-174\n"
        "06 05 eller mejla anna.andersson@example.se\n"
        "Personnummer: 640823-3234 070-1740606\n"
        "070-1740607\n"
        "Personnr 640823-\n"
        "3234\n"
    )
    got = _scan_file(tmp_path, "logg.txt", text)
    assert got == _whole_text(text)
    assert [(item, k) for item, k, _ in got] == [
        ("2", "phone"), ("3", "email"), ("4", "personnummer"), ("4", "phone"), ("5", "phone"), ("6", "personnummer"),
    ]
    assert len(set(got)) == len(got)


def test_lines_read_together_still_do_not_link_people(tmp_path: Path) -> None:
    """Free text names anyone: reading two lines together links nothing (their records stay unstructured)."""
    root = tmp_path / "share"
    root.mkdir()
    (root / "samtal.txt").write_text("Anna anna.andersson@example.se personnr 640823-\n3234, Bo 070-174\n06 06\n", "utf-8")
    conn = FilesConnector("share", {"type": "files", "path": str(root)})
    (unit,) = list(conn.units())
    records = [r for r in scan_unit(conn, unit, ScanSettings(None, 0.5, False, SECRET)).records if r.findings]
    assert [(r.item, sorted(f.kind for f in r.findings)) for r in records] == [("1", ["email", "personnummer"]), ("2", ["phone"])]
    assert not any(r.structured for r in records)
    assert not any(f.linkable for r in records for f in r.findings)


def test_across_the_worker_batches(tmp_path: Path) -> None:
    """Lines read in two batches of the worker (BATCH_RECORDS): a wrap over the batch boundary, a keyword before it."""
    n = worker.BATCH_RECORDS
    lines = [f"rad {i} utan nummer" for i in range(1, 2 * n + 20)]
    lines[n - 2] = "Kunden har personnr 640823-"  # line n-1
    lines[n - 1] = "3234 och telefon 070-174"  # line n: the last of the first batch
    lines[n] = "06 05 i kväll"  # line n+1: the first of the second
    lines[2 * n - 1] = "Mitt personnummer är"  # line 2n
    lines[2 * n] = "680164 2395"  # line 2n+1
    text = "\n".join(lines) + "\n"
    got = _scan_file(tmp_path, "lang.txt", text)
    assert got == _whole_text(text)
    assert [(item, k) for item, k, _ in got] == [
        (str(n - 1), "personnummer"), (str(n), "phone"), (str(2 * n + 1), "personnummer"),
    ]


def test_byte_range_units_read_their_lines_together(tmp_path: Path) -> None:
    lines = [f"2024-03-01 10:{i // 60:02d}:{i % 60:02d} INFO rad {i}" for i in range(400)]
    lines[120] = "2024-03-01 10:02:00 INFO kund ring 070-174"
    lines[121] = "06 05 om leveransen"
    text = "\n".join(lines) + "\n"
    got = _scan_file(tmp_path, "app.log", text, split_bytes=4096)
    start = len("\n".join(lines[:120]).encode()) + 1
    assert got == [(f"@{start}", "phone", _h("phone", "+46701740605"))]


def test_an_over_long_line_is_still_read_in_slices(tmp_path: Path) -> None:
    long = "x" * 3000 + " ring 070-1740605 nu " + "y" * 3000
    text = f"Kunden ringde 070-174\n06 05\n{long}\nPersonnr 640823-\n3234\n"
    got = _scan_file(tmp_path, "lang_rad.txt", text, limits={"max_field_chars": 1000})
    assert [(item, k) for item, k, _ in got] == [("1", "phone"), ("3", "phone"), ("4", "personnummer")]


# -- no bogus numbers from unrelated lines ---------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "Order 12345-\n6789 levererad\n",
        "Leveransdatum 2024-05-10\n1234 5678 kr\n",
        "Faktura 2024-05-10\n811228 9874 kr\n",
        "2024-03-01T10:00:00.123Z INFO GET /api/orders/4711 200 12ms 5120\n"
        "2024-03-01T10:00:00.456Z INFO GET /api/orders/4712 200 9ms 5120\n"
        "2024-03-01T10:00:01.001Z WARN GET /health 500 3ms 120\n",
        "Summa 1 250\n450 kr\n",
        "Kundnr 640823-\n\n3234\n",  # a blank line between: no wrap
    ],
    ids=["order", "date-number", "date-pnr-shape", "log", "amount", "blank-line"],
)
def test_unrelated_lines_do_not_merge(tmp_path: Path, text: str) -> None:
    assert _scan_file(tmp_path, "logg.txt", text) == _whole_text(text) == []


# -- the Record field --------------------------------------------------------------------------------------


def test_a_record_without_follows_is_as_before_and_pickles() -> None:
    loc = Location("files", "share", "a.txt", "2")
    old = Record(loc, [("text", "rad")], False)
    assert old.follows is False
    new = Record(loc, [("text", "rad")], False, follows=True)
    back = pickle.loads(pickle.dumps(new))
    assert back == new and back.follows is True
