"""An erasure on a SQL source whose URL names no driver (``mysql://``, ``postgresql://``, as the README writes them)
opens its write session with the installed driver, as the scan does. Failed before ('cannot open ...:
ModuleNotFoundError'; H2's red team)."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from pii_scan.config import load
from pii_scan.engine import EXIT_COMPLETE, scan
from tests.reports.test_erasure import KEY, _anna_plan, _ids, _maria


@pytest.fixture
def shop_driverless(tmp_path: Path, mariadb_url: str, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    _maria(mariadb_url)
    monkeypatch.setenv("PII_SCAN_KEY", KEY)
    plain = mariadb_url.replace("mysql+pymysql://", "mysql://")
    assert "+" not in plain.split("://")[0]
    cfg_path = tmp_path / "pii-scan.toml"
    cfg_path.write_text(f'[datamap]\nurl = "sqlite:///datamap.sqlite"\n[[sources]]\nname = "shop"\ntype = "sql"\n'
                        f'url = "{plain}"\n')
    cfg = load(cfg_path)
    assert scan(cfg, scheduler="sync", progress=False).exit_code == EXIT_COMPLETE
    return {"cfg": cfg, "maria": mariadb_url}


def test_erasure_runs_on_a_driverless_url(shop_driverless: dict[str, Any]) -> None:
    from reports.erasure import execute_plan

    body, keys = _anna_plan(shop_driverless["cfg"])
    result = execute_plan(body, shop_driverless["cfg"], keys, confirm=True)
    assert all("cannot open" not in o.detail for o in result.outcomes), result.outcomes
    assert result.exit_code == 0 and {o.status for o in result.outcomes} <= {"done", "retained"}, result.outcomes
    assert _ids(shop_driverless["maria"], "members") == [2]
