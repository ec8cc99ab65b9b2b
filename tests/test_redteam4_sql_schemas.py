"""Red team 4: a configured schema that does not exist (a typo, wrong case, no USAGE right).

The scan listed no table of it and ended "complete" (exit 0): the DPO was told the
database was scanned while nothing of that schema was read. The schema is now a
failed unit with its reason, and the scan is partial (exit 3).
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
import sqlalchemy as sa

from pii_scan.config import load
from pii_scan.engine import EXIT_PARTIAL, scan


@pytest.mark.parametrize("which", ["pg", "mariadb"])
def test_a_configured_schema_that_does_not_exist_fails_the_scan_partially(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest, which: str) -> None:
    monkeypatch.delenv("PII_SCAN_KEY", raising=False)
    monkeypatch.chdir(tmp_path)
    url = request.getfixturevalue("pg_url" if which == "pg" else "mariadb_url")
    eng = sa.create_engine(url)
    with eng.begin() as c:
        c.exec_driver_sql("CREATE TABLE kund (id INTEGER PRIMARY KEY, pnr VARCHAR(20))")
        c.exec_driver_sql("INSERT INTO kund VALUES (1, '19550504-8388')")
        present = eng.url.database if which == "mariadb" else "public"
    eng.dispose()
    (tmp_path / "pii-scan.toml").write_text(textwrap.dedent(f"""
        [datamap]
        url = "sqlite:///datamap.sqlite"
        [[sources]]
        name = "crm"
        type = "sql"
        url = "{url}"
        schemas = ["{present}", "Kunder"]
        """))
    s = scan(load(tmp_path / "pii-scan.toml"), scheduler="sync", progress=False)
    assert s.exit_code == EXIT_PARTIAL, s
    assert [f["unit"] for f in s.failures] == ["Kunder.*"], s.failures
    assert "does not exist" in s.failures[0]["reason"]
    assert s.units_total == 2  # kund was read
