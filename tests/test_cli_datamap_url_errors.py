"""A data map URL that cannot be opened (its driver not installed, not a URL at all) is one clean line and exit 1
from scan, lookup and export, never a traceback."""
from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from pii_scan.cli import main


@pytest.mark.parametrize("url, says", [
    ("postgresql+nosuchdriver://postgres@127.0.0.1/test", "not a database URL"),
    ("nonsense", "not a database URL"),
])
@pytest.mark.parametrize("command", [["scan", "--no-progress"], ["lookup", "--email", "anna.andersson@example.se"],
                                     ["export", "--format", "jsonl"]])
def test_a_bad_map_url_is_a_clean_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, url: str, says: str,
                                        command: list[str]) -> None:
    monkeypatch.setenv("PII_SCAN_KEY", "k" * 64)
    cfg = tmp_path / "pii-scan.toml"
    cfg.write_text(f'[datamap]\nurl = "{url}"\n[[sources]]\nname = "s"\ntype = "files"\npath = "{tmp_path}"\n')
    res = CliRunner().invoke(main, [command[0], "--config", str(cfg), *command[1:]])
    assert res.exit_code == 1, res.output
    assert says in res.output and "Traceback" not in res.output
    assert res.exception is None or isinstance(res.exception, SystemExit)
