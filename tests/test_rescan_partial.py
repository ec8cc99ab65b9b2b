"""A rescan in which every other unit is unchanged (skipped) and only a failing unit is read ends partial (exit 3),
not failed (exit 1): the map holds everything else. Failed before (H2's red team, session 2026-12-07 night)."""
from __future__ import annotations

from pathlib import Path

from pii_scan.config import load
from pii_scan.engine import EXIT_FAILED, EXIT_PARTIAL, scan
from tests.test_engine import estate  # noqa: F401 - the fixture


def test_rescan_with_only_a_failing_unit_read_is_partial(estate: Path) -> None:  # noqa: F811
    first = scan(load(estate), scheduler="sync", progress=False)
    assert first.units_scanned >= 5 and not first.failures
    estate.write_text(estate.read_text() + '\n[[sources]]\nname = "gone"\ntype = "files"\npath = "/nonexistent/dir"\n')
    again = scan(load(estate), scheduler="sync", progress=False)
    assert again.units_skipped == first.units_total and again.units_failed == 1 and again.records == 0
    assert again.status == "partial" and again.exit_code == EXIT_PARTIAL


def test_a_scan_where_every_unit_failed_is_failed(tmp_path: Path, monkeypatch) -> None:  # noqa: ANN001
    monkeypatch.setenv("PII_SCAN_KEY", "k" * 64)
    cfg = tmp_path / "pii-scan.toml"
    cfg.write_text(f'[datamap]\nurl = "sqlite:///{tmp_path / "m.sqlite"}"\n'
                   '[[sources]]\nname = "gone"\ntype = "files"\npath = "/nonexistent/dir"\n')
    s = scan(load(cfg), scheduler="sync", progress=False)
    assert s.status == "failed" and s.exit_code == EXIT_FAILED
