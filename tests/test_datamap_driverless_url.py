"""A data map URL that names no driver (``postgresql://``, as in the README) works with the drivers pii-scan
installs (psycopg2): SQLAlchemy 2.1's default for it is psycopg 3, which is not installed. Failed before
('No module named psycopg')."""
from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from pii_scan.cli import main
from pii_scan.datamap import DataMap


def test_driverless_postgresql_url_opens_the_map(pg_url: str) -> None:
    url = pg_url.replace("postgresql+psycopg2://", "postgresql://")
    assert "+" not in url.split("://")[0]
    dm = DataMap(url)
    try:
        assert dm.engine.dialect.name == "postgresql"
        with dm.engine.connect() as c:
            assert c.exec_driver_sql("SELECT 1").scalar_one() == 1
    finally:
        dm.close()


def test_scan_and_lookup_with_a_driverless_map_url(pg_url: str, tmp_path: Path, monkeypatch) -> None:  # noqa: ANN001
    url = pg_url.replace("postgresql+psycopg2://", "postgresql://")
    share = tmp_path / "share"
    share.mkdir()
    (share / "kund.csv").write_text("namn;personnummer;epost\nAnna Andersson;19640823-3234;anna.andersson@example.se\n",
                                    encoding="utf-8")
    cfg = tmp_path / "pii-scan.toml"
    cfg.write_text(f'[datamap]\nurl = "{url}"\n[[sources]]\nname = "share"\ntype = "files"\npath = "{share}"\n', encoding="utf-8")
    monkeypatch.setenv("PII_SCAN_KEY", "k" * 64)
    res = CliRunner().invoke(main, ["scan", "--config", str(cfg), "--scheduler", "sync", "--no-progress"])
    assert res.exit_code == 0, res.output
    res = CliRunner().invoke(main, ["lookup", "--config", str(cfg), "--email", "anna.andersson@example.se"])
    assert res.exit_code == 0 and "kund.csv" in res.output, res.output
