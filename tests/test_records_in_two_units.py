"""Two units that hold one location (a Message-ID that two messages of a Maildir share, read by two of its chunks)
do not fail the scan: before, the second unit's write raised ``UNIQUE constraint failed: records.rkey`` and the whole
scan ended failed with a traceback (H3's red team). Each message keeps its own record, so its sender is not merged
with the other's. Fictional values only (PTS fiction numbers)."""
from __future__ import annotations

from pathlib import Path

import pytest

from pii_scan.config import load
from pii_scan.datamap import DataMap
from pii_scan.engine import EXIT_COMPLETE, scan
from pii_scan.keys import load_keys
from pii_scan.lookup import lookup

PHONES = ("070-174 06 11", "070-174 06 12")


def _maildir(root: Path) -> None:
    for sub in ("cur", "new", "tmp"):
        (root / sub).mkdir(parents=True)
    for i, phone in enumerate(PHONES, 1):
        (root / "cur" / f"170000000{i}.M{i}P1.host:2,S").write_text(
            f"From: Kund {i} <kund{i}@example.se>\nTo: support@example.se\nSubject: Nytt nummer\n"
            f"Message-ID: <same.4242@example.se>\nDate: Mon, 06 May 2024 10:0{i}:00 +0200\n\nNytt nummer: {phone}\n"
        )


@pytest.mark.parametrize("chunk", [1, 500])
def test_a_message_id_in_two_units_of_one_maildir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, chunk: int) -> None:
    _check(tmp_path, monkeypatch, chunk, "sqlite:///dm.sqlite")


def test_the_same_on_a_postgresql_map(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, pg_url: str) -> None:
    _check(tmp_path, monkeypatch, 1, pg_url)  # COPY raises the driver's own IntegrityError inside the savepoint


def _check(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, chunk: int, url: str) -> None:
    monkeypatch.setenv("PII_SCAN_KEY", "0123456789abcdef0123456789abcdef")
    monkeypatch.chdir(tmp_path)
    _maildir(tmp_path / "mail")
    cfg = tmp_path / "pii-scan.toml"
    cfg.write_text(f'[datamap]\nurl = "{url}"\n[[sources]]\nname = "m"\ntype = "mail"\npath = "mail"\n'
                   f"chunk_messages = {chunk}\n")
    s = scan(load(cfg), scheduler="sync", progress=False)
    assert s.exit_code == EXIT_COMPLETE, s.failures
    again = scan(load(cfg), scheduler="sync", progress=False, full=True)  # rewritten: the same records again
    assert again.exit_code == EXIT_COMPLETE and again.findings == s.findings
    c = load(cfg)
    dm = DataMap(c.datamap_url)
    keys = load_keys(c.key_file)
    try:
        for i, phone in enumerate(PHONES, 1):
            got = {(l.container, l.item.split(" ")[0], l.field, l.kind) for l in lookup(dm, keys, "phone", phone)}
            assert (".", "same.4242@example.se", "body", "phone") in got, got
            mine = [l for l in lookup(dm, keys, "email", f"kund{i}@example.se") if l.kind == "email"]
            # the sender's own address, once: not the other sender's too (the two were one subject before the
            # within-unit fix, and one record across units would merge them again)
            assert [(l.field, l.reached) for l in mine] == [("header:From", "direct")], mine
    finally:
        dm.close()
