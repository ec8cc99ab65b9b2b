"""An erasure plan for a subject whose old row versions sit in a MariaDB system-versioned table's history: the
current row is deleted, the history versions are a step by hand (no statement deletes one version), and executing
the plan fails nothing. Before, each history version became a delete_row whose statement failed on an unknown
column (H2's red team). Fictional values only."""
from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa

from pii_scan.config import load
from pii_scan.datamap import DataMap
from pii_scan.engine import EXIT_COMPLETE, scan
from pii_scan.keys import load_keys

KEY = "5e" * 32
EMAIL_OLD, EMAIL_NEW = "anna.gammal@example.se", "anna.andersson@example.se"
PNR = "19640823-3234"


def test_history_versions_are_manual_steps(tmp_path: Path, mariadb_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    from reports.erasure import build_plan, execute_plan

    eng = sa.create_engine(mariadb_url)
    with eng.begin() as c:
        c.execute(sa.text("CREATE TABLE kunder (id int PRIMARY KEY, pnr varchar(13), epost varchar(100)) WITH SYSTEM VERSIONING"))
        c.execute(sa.text("INSERT INTO kunder VALUES (1, :p, :e)"), {"p": PNR, "e": EMAIL_OLD})
    with eng.begin() as c:
        c.execute(sa.text("UPDATE kunder SET epost = :e WHERE id = 1"), {"e": EMAIL_NEW})
    eng.dispose()
    monkeypatch.setenv("PII_SCAN_KEY", KEY)
    monkeypatch.chdir(tmp_path)
    cfg_path = tmp_path / "pii-scan.toml"
    cfg_path.write_text(f'[datamap]\nurl = "sqlite:///datamap.sqlite"\n[[sources]]\nname = "shop"\ntype = "sql"\n'
                        f'url = "{mariadb_url}"\n')
    cfg = load(cfg_path)
    assert scan(cfg, scheduler="sync", progress=False).exit_code == EXIT_COMPLETE
    keys = load_keys(cfg.key_file)
    dm = DataMap(cfg.datamap_url)
    try:
        body = build_plan(cfg, dm, keys, "personnummer", PNR)
    finally:
        dm.close()
    text = str(body)
    assert "system-versioned table's history" in text and "DELETE HISTORY" in text
    result = execute_plan(body, cfg, keys, confirm=True)
    assert not [o for o in result.outcomes if o.status == "failed"], result.outcomes
    eng = sa.create_engine(mariadb_url)
    with eng.connect() as c:
        assert c.execute(sa.text("SELECT COUNT(*) FROM kunder")).scalar_one() == 0  # the current row is gone
    eng.dispose()
