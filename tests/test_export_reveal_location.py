"""``pii-scan export --reveal`` shows the true container and item where they were stored masked.

A row keyed by a personnummer (``pnr=19811228-****``) and a file named by one
are stored with the identifier masked and the original encrypted beside it
(``records.location_enc``). Revealing values reveals those names too; without
``--reveal`` they stay masked. Fictional data (generated personnummer).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from pii_scan.cli import main
from tests.test_engine import _config, _crm

PNR = "19811228-9874"


@pytest.fixture
def cfg(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.delenv("PII_SCAN_KEY", raising=False)
    monkeypatch.chdir(tmp_path)
    _crm(tmp_path, "CREATE TABLE kunder (pnr TEXT PRIMARY KEY, epost TEXT);", {"kunder": [(PNR, "kund.testsson@example.se")]})
    share = tmp_path / "share"
    share.mkdir()
    (share / f"lonespec_{PNR}.txt").write_text("Lönespecifikation för kund.testsson@example.se\n", encoding="utf-8")
    return _config(tmp_path, share=True)


def _export(cfg: Path, *extra: str) -> list[dict[str, object]]:
    res = CliRunner().invoke(main, ["export", "--config", str(cfg), "--format", "jsonl", *extra])
    assert res.exit_code == 0, res.output
    return [json.loads(line) for line in res.output.splitlines() if line.startswith("{")]


def test_reveal_shows_the_true_item_and_container(cfg: Path) -> None:
    res = CliRunner().invoke(main, ["scan", "--config", str(cfg), "--scheduler", "sync", "--no-progress"])
    assert res.exit_code == 0, res.output
    masked = _export(cfg)
    revealed = _export(cfg, "--reveal")
    assert len(masked) == len(revealed) > 0
    sql_masked = {r["item"] for r in masked if r["store"] == "sql"}
    sql_revealed = {r["item"] for r in revealed if r["store"] == "sql"}
    assert sql_masked == {"pnr=19811228-****"}, sql_masked
    assert sql_revealed == {f"pnr={PNR}"}, sql_revealed
    files_masked = {r["container"] for r in masked if r["store"] == "files"}
    files_revealed = {r["container"] for r in revealed if r["store"] == "files"}
    assert all("9874" not in c for c in files_masked), files_masked
    assert f"lonespec_{PNR}.txt" in files_revealed, files_revealed


def _lookup(cfg: Path, *extra: str) -> list[dict[str, object]]:
    res = CliRunner().invoke(main, ["lookup", "--config", str(cfg), "--personnummer", PNR, "--format", "jsonl", *extra])
    assert res.exit_code == 0, res.output
    return json.loads(res.output.splitlines()[-1])["locations"]


def test_lookup_reveal_shows_the_true_item_and_container(cfg: Path) -> None:
    res = CliRunner().invoke(main, ["scan", "--config", str(cfg), "--scheduler", "sync", "--no-progress"])
    assert res.exit_code == 0, res.output
    masked, revealed = _lookup(cfg), _lookup(cfg, "--reveal")
    assert len(masked) == len(revealed) > 0
    assert {l["item"] for l in masked if l["store"] == "sql"} == {"pnr=19811228-****"}
    assert {l["item"] for l in revealed if l["store"] == "sql"} == {f"pnr={PNR}"}
    assert all("9874" not in str(l["container"]) for l in masked)
    assert f"lonespec_{PNR}.txt" in {l["container"] for l in revealed if l["store"] == "files"}
    # values stay masked
    assert all(l["masked"].endswith("****") or "*" in l["masked"] for l in revealed if l["kind"] == "personnummer")
