"""The access report recognises the subject's identifier in a text line where it wraps onto the next line.

The scan reads consecutive lines of a plain-text file together (``Record.follows``,
commit 4ff13f6): a number wrapped over two lines and a personnummer whose
keyword ends the line before are found, on the line where they start. The
report reads that line back and must still recognise the subject's value
there (not list it as changed), show it, and mask another person's number.

All values are fictional: Skatteverket's test personnummer and PTS fiction numbers.
"""

from __future__ import annotations

import json
import textwrap
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from pii_scan.cli import main
from pii_scan.config import load
from pii_scan.engine import EXIT_COMPLETE, scan

PNR = "19640823-3234"  # the subject (Skatteverket test number)
PHONE = "070-174 06 05"  # the subject's phone (PTS fiction range)
OTHER_PHONE = "070-174 06 20"  # another person's phone (PTS fiction range)
OTHER_PNR = "19900602-2397"  # another person's personnummer (test number)

NOTE = (
    "Samtal med kund\n"
    "Kunden bad oss ringa på 070-174\n"  # 2: the subject's phone, wrapped
    "06 05 efter lunch.\n"  # 3
    "\n"
    "Kundens personnummer är\n"  # 5: the keyword
    "640823 3234 enligt samtalet, hustrun nås på 070-174 06 20.\n"  # 6: the subject's pnr, another's phone
    "\n"
    "Ärendet gäller även 199006022397 som inte\n"  # 8: another person's pnr
    "ringt. Anteckning gjord.\n"
)


@pytest.fixture
def no_env_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PII_SCAN_KEY", raising=False)


def _estate(tmp_path: Path, note: str = NOTE, split_bytes: int | None = None) -> Path:
    share = tmp_path / "share"
    share.mkdir()
    # the register that links the subject's phone to their personnummer
    (share / "kunder.csv").write_text(f"namn;personnummer;telefon\nErik Jakobsson;{PNR};{PHONE}\n", "utf-8")
    (share / "anteckning.txt").write_text(note, "utf-8")
    cfg = tmp_path / "pii-scan.toml"
    extra = f"split_bytes = {split_bytes}\n" if split_bytes else ""
    cfg.write_text('[datamap]\nurl = "sqlite:///datamap.sqlite"\n' + textwrap.dedent("""
        [[sources]]
        name = "share"
        type = "files"
        path = "share"
        """) + extra, "utf-8")
    s = scan(load(cfg), scheduler="sync", progress=False)
    assert s.exit_code == EXIT_COMPLETE, s.failures
    return cfg


def _json(cfg: Path, code: int = 0) -> dict[str, Any]:
    r = CliRunner().invoke(main, ["access-report", "--config", str(cfg), "--personnummer", PNR, "--format", "json"],
                           catch_exceptions=False)
    assert r.exit_code == code, r.output
    return json.loads(r.stdout)


def _notes(doc: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {l["item"]: l for l in doc["locations"] if l["container"] == "anteckning.txt"}


def _text(loc: dict[str, Any]) -> str:
    (v,) = loc["values"]
    return str(v["value"])


def test_wrapped_phone_and_keyword_on_the_line_before_are_the_subjects(tmp_path: Path, no_env_key: None) -> None:
    cfg = _estate(tmp_path)
    doc = _json(cfg)
    notes = _notes(doc)
    assert set(notes) == {"2", "6"}, sorted(notes)  # where the subject's identifiers start
    assert all(l["status"] == "read" and l["reason"] is None for l in notes.values()), notes
    # the wrapped phone: the line, completed by the rest of the subject's number from the next line
    assert _text(notes["2"]) == "Kunden bad oss ringa på 070-174\n06 05"
    assert notes["2"]["masked_others"] == 0
    # the personnummer after the keyword on the line before: shown; the other person's phone masked
    six = _text(notes["6"])
    assert six.startswith("640823 3234 enligt samtalet, hustrun nås på ")
    assert "070-174 06 20" not in six and "06 20" not in six and notes["6"]["masked_others"] == 1
    assert doc["summary"]["unreadable"] == 0
    whole = json.dumps(doc, ensure_ascii=False)
    assert "199006022397" not in whole and "efter lunch" not in whole  # nothing of the lines around


def test_html_shows_the_wrapped_value(tmp_path: Path, no_env_key: None) -> None:
    cfg = _estate(tmp_path)
    r = CliRunner().invoke(main, ["access-report", "--config", str(cfg), "--personnummer", PNR], catch_exceptions=False)
    assert r.exit_code == 0, r.output
    assert "070-174\n06 05" in r.stdout and "posten innehåller inte längre" not in r.stdout


def test_still_changed_when_the_data_is_gone(tmp_path: Path, no_env_key: None) -> None:
    cfg = _estate(tmp_path)
    note = tmp_path / "share" / "anteckning.txt"
    # the rest of the phone and the personnummer are gone: the lines no longer hold the subject's data
    note.write_text(NOTE.replace("06 05 efter lunch.", "senare i veckan.").replace("640823 3234", "(uppgift struken)"), "utf-8")
    notes = _notes(_json(cfg, code=3))
    for item in ("2", "6"):
        assert notes[item]["status"] == "unreadable" and "source changed" in notes[item]["reason"]
        assert notes[item]["values"] == []


def test_another_persons_wrapped_number_is_not_the_subjects(tmp_path: Path, no_env_key: None) -> None:
    # the subject's line goes on into another person's number: its start is masked, its rest not shown
    note = "Kundens personnummer är\n640823 3234, ring annars 070-174\n06 20 (hustrun).\n"
    cfg = _estate(tmp_path, note)
    notes = _notes(_json(cfg))
    two = _text(notes["2"])
    assert two.startswith("640823 3234, ring annars ") and "070-174" not in two and "06 20" not in two
    assert notes["2"]["masked_others"] == 1


def test_split_file_lines_are_read_with_their_neighbours(tmp_path: Path, no_env_key: None) -> None:
    # a large file read by byte ranges: items are line offsets, read back with the lines around them
    filler = "".join(f"Rad {i} utan uppgifter om någon.\n" for i in range(30))
    note = filler + NOTE + filler
    cfg = _estate(tmp_path, note, split_bytes=len((filler + NOTE).encode()) + 16)  # the note in the first range
    notes = _notes(_json(cfg))
    base = len(filler.encode())
    phone_at = base + len("Samtal med kund\n".encode())
    pnr_at = base + len(NOTE.split("640823")[0].encode())
    assert set(notes) == {f"@{phone_at}", f"@{pnr_at}"}, sorted(notes)
    assert all(l["status"] == "read" for l in notes.values())
    assert _text(notes[f"@{phone_at}"]) == "Kunden bad oss ringa på 070-174\n06 05"
    assert "070-174 06 20" not in _text(notes[f"@{pnr_at}"])


@pytest.mark.parametrize("split", [False, True])
def test_the_rest_of_another_persons_number_from_the_line_before_is_hidden(tmp_path: Path, no_env_key: None,
                                                                           split: bool) -> None:
    # the subject's line starts with the end of another person's number, wrapped from the line before
    filler = "".join(f"Rad {i} utan uppgifter om någon.\n" for i in range(30)) if split else ""
    note = filler + "Hustrun nås på 070-174\n06 20, kundens personnummer 640823-3234.\n" + filler
    cfg = _estate(tmp_path, note, split_bytes=len(note.encode()) - len(filler.encode()) + 16 if split else None)
    notes = _notes(_json(cfg))
    first = "Hustrun nås på 070-174\n"
    item = f"@{len((filler + first).encode())}" if split else "2"
    assert set(notes) == {item}, sorted(notes)
    assert _text(notes[item]) == "** **, kundens personnummer 640823-3234."
    assert notes[item]["masked_others"] == 1
