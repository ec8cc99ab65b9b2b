"""The command line, end to end through click (and once as a real subprocess)."""

from __future__ import annotations

import json
import subprocess
import sys

import click
import pytest
from click.testing import CliRunner

from pii_scan.cli import main


def _commands(group: click.Group, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    out = [prefix]
    for name, cmd in group.commands.items():
        if isinstance(cmd, click.Group):
            out += _commands(cmd, (*prefix, name))
        else:
            out.append((*prefix, name))
    return out


@pytest.mark.parametrize("path", _commands(main), ids=lambda p: " ".join(p) or "pii-scan")
def test_every_command_has_help(path: tuple[str, ...]) -> None:
    res = CliRunner().invoke(main, [*path, "--help"])
    assert res.exit_code == 0
    assert "Usage:" in res.output and len(res.output) > 200


def test_detect_sample_masks_values() -> None:
    res = CliRunner().invoke(main, ["detect", "--sample"])
    assert res.exit_code == 0, res.output
    assert "19640823-****" in res.output
    assert "196408233234" not in res.output


def test_detect_stdin_jsonl_and_reveal() -> None:
    text = "pnr 811228-9874\ntel 070-123 45 67\n"
    res = CliRunner().invoke(main, ["detect", "-", "--format", "jsonl", "--ref-date", "2026-11-24"], input=text)
    assert res.exit_code == 0, res.output
    rows = [json.loads(line) for line in res.output.splitlines() if line.startswith("{")]
    assert {r["kind"] for r in rows} == {"personnummer", "phone"}
    for r in rows:
        assert {"kind", "subkind", "start", "end", "value", "confidence", "line"} <= set(r)
    p = next(r for r in rows if r["kind"] == "personnummer")
    assert p["value"] == "19811228-****" and text[p["start"] : p["end"]] == "811228-9874"
    ph = next(r for r in rows if r["kind"] == "phone")
    assert text[ph["start"] : ph["end"]] == "070-123 45 67" and ph["line"] == 2
    res = CliRunner().invoke(main, ["detect", "-", "--format", "jsonl", "--reveal"], input=text)
    values = {json.loads(line)["value"] for line in res.output.splitlines() if line.startswith("{")}
    assert "198112289874" in values and "+46701234567" in values


def test_detect_hint() -> None:
    res = CliRunner().invoke(main, ["detect", "-", "--hint", "personnummer", "--format", "jsonl", "--reveal"], input="501011233\n")
    assert json.loads(res.output.splitlines()[0])["value"] == "200501011233"


def test_detect_cp1252_input(tmp_path) -> None:  # noqa: ANN001
    p = tmp_path / "export.csv"
    p.write_bytes("namn;pnr\nÅsa Öberg;811228-9874\n".encode("cp1252"))
    res = CliRunner().invoke(main, ["detect", str(p), "--format", "jsonl"])
    rows = [json.loads(line) for line in res.output.splitlines() if line.startswith("{")]
    assert [r["kind"] for r in rows] == ["personnummer"]


def test_detect_missing_file_is_a_clean_error() -> None:
    res = CliRunner().invoke(main, ["detect", "/nonexistent/file.txt"])
    assert res.exit_code != 0 and "cannot open" in res.output and "Traceback" not in res.output


def test_huge_line_is_scanned_in_slices() -> None:
    from pii_scan.detect import detect_lines

    line = ("x" * 997 + " pnr 811228-9874 ") * 300 + "\n"
    rows = list(detect_lines([line.encode()], max_line=10_000))
    found = [f for r in rows for f in r.findings]
    assert len(found) == 300
    assert all(line[f.start : f.end] == "811228-9874" for f in found)


def test_console_script_runs() -> None:
    res = subprocess.run(
        [sys.executable, "-m", "pii_scan.cli", "detect", "-", "--format", "jsonl"],
        input="pnr 811228-9874\n", capture_output=True, text=True, timeout=60,
    )
    assert res.returncode == 0, res.stderr
    assert json.loads(res.stdout.splitlines()[0])["kind"] == "personnummer"
