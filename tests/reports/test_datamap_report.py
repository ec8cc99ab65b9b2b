"""``pii-scan report datamap``: systems -> containers -> fields, coverage and failures, against golden files."""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from pii_scan.cli import main
from pii_scan.config import load
from reports import datamap_report
from tests.reports import _golden as golden
from tests.reports._mapbuild import HOSTILE_COLUMN, HOSTILE_FILE, HOSTILE_TABLE, BuiltMap, build, normalise, plaintext_identifiers


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> BuiltMap:
    return build(tmp_path_factory.mktemp("datamap") / "demo")


@pytest.fixture(scope="module")
def outputs(built: BuiltMap) -> dict[str, Path]:
    cfg = load(built.config)
    out = {}
    for fmt in datamap_report.FORMATS:
        out[fmt] = built.directory / f"datamap.{fmt}"
        assert datamap_report.run(cfg, fmt=fmt, output=str(out[fmt])) == 0
    return out


@pytest.mark.parametrize("fmt", ["json", "csv", "html"])
def test_golden(outputs: dict[str, Path], fmt: str) -> None:
    golden.check(f"datamap/datamap.{fmt}", normalise(outputs[fmt].read_text("utf-8")))


def _json(outputs: dict[str, Path]) -> dict:
    return json.loads(outputs["json"].read_text("utf-8"))


def test_rows(outputs: dict[str, Path]) -> None:
    rows = {(r["source"], r["container"], r["field"]): r for r in _json(outputs)["rows"]}
    assert all(r["item"] == "" and r["store"] in ("sql", "files") for r in rows.values())
    email = rows[("crm", "main.customers", "email")]
    assert (email["kinds"], email["categories"], email["findings"], email["records"], email["subjects"]) == (
        ["email"], ["user.contact.email"], 40, 40, 40)
    # one switchboard number on every employee row: 20 findings, one value, one "subject"
    sw = rows[("crm", "main.employees", "switchboard")]
    assert (sw["findings"], sw["records"], sw["subjects"], sw["subkinds"]) == (20, 20, 1, ["fixed_line"])
    # free text: several kinds, per-kind counts
    body = rows[("crm", "main.support_tickets", "body")]
    assert body["kinds"] == ["email", "personnummer", "phone"]
    assert sum(k["findings"] for k in body["by_kind"]) == body["findings"]
    assert {(k["kind"], k["subkind"]) for k in body["by_kind"]} >= {("personnummer", "samordningsnummer")}
    # a reference column: the rows that point to customers, and how many customers
    ref = rows[("crm", "main.invoices", "customer_id")]
    assert (ref["kinds"], ref["subkinds"], ref["categories"]) == (["reference"], ["foreign_key"], ["user.unique_id"])
    assert (ref["findings"], ref["records"], ref["subjects"]) == (57, 57, 30)
    # hostile names are plain data here
    assert rows[("crm", f'main."{HOSTILE_TABLE}"', HOSTILE_COLUMN)]["kinds"] == ["email"]
    assert rows[("share", HOSTILE_FILE, "personnummer")]["subjects"] == 3
    # test data is counted and said so
    assert rows[("share", "events/2024-05.jsonl", "$.payment.card_number")]["test_data"] >= 1


def test_coverage_and_failures(outputs: dict[str, Path]) -> None:
    data = _json(outputs)
    cov = {s["source"]: s for s in data["sources"]}
    assert set(cov) == {"archive", "crm", "share"}
    # the second scan read only the new table and files; the rest was unchanged
    assert {k: cov["crm"][k] for k in ("units", "done", "skipped", "failed")} == {
        "units": 7, "done": 1, "skipped": 6, "failed": 0}
    assert {k: cov["share"][k] for k in ("units", "done", "skipped", "failed")} == {
        "units": 17, "done": 3, "skipped": 13, "failed": 1}
    assert cov["archive"]["units"] == 0 and cov["archive"]["last_scan"] is None
    assert cov["crm"]["subjects"] > 40 and cov["crm"]["containers"] == 7
    assert [(f["source"], f["unit"]) for f in data["failed_units"]] == [("share", "trasig.xlsx")]
    assert "not a readable zip archive" in data["failed_units"][0]["reason"]
    assert data["totals"]["failed_units"] == 1 and data["totals"]["last_scan_status"] == "partial"


def test_formats_agree(outputs: dict[str, Path]) -> None:
    import pyarrow.parquet as pq

    rows = _json(outputs)["rows"]
    from_csv = list(csv.DictReader(io.StringIO(outputs["csv"].read_text("utf-8"))))
    assert list(from_csv[0]) == list(datamap_report.ROW_COLUMNS)
    table = pq.read_table(outputs["parquet"])
    assert table.column_names == list(datamap_report.ROW_COLUMNS)
    from_parquet = table.to_pylist()
    assert len(rows) == len(from_csv) == len(from_parquet) == 45
    for j, c, p in zip(rows, from_csv, from_parquet, strict=True):
        assert p == {k: j[k] for k in datamap_report.ROW_COLUMNS}
        assert c == {k: ";".join(v) if isinstance(v, list) else str(v) for k, v in p.items()}


def test_html_escapes_every_name(outputs: dict[str, Path]) -> None:
    page = outputs["html"].read_text("utf-8")
    assert "<script>window.__pwned" not in page and "<img" not in page and "<b>" not in page
    assert "&lt;script&gt;window.__pwned=1;alert(1)&lt;/script&gt;" in page
    assert "&lt;img src=x onerror=&quot;window.__pwned=2&quot;&gt;.csv" in page
    assert page.count("<script") == 1  # ours, at the end
    # self-contained: nothing to fetch
    for needle in ("http://", "https://", "//fonts", "@import", "url("):
        assert needle not in page.lower(), needle
    assert not re.search(r"<[a-z][^>]*\s(?:src|href|action|srcset)\s*=", page, re.IGNORECASE)
    assert "Content-Security-Policy" in page and "default-src 'none'" in page


def test_no_plaintext_identifier(built: BuiltMap, outputs: dict[str, Path]) -> None:
    import pyarrow.parquet as pq

    texts = {fmt: p.read_text("utf-8") for fmt, p in outputs.items() if fmt != "parquet"}
    texts["parquet"] = json.dumps(pq.read_table(outputs["parquet"]).to_pylist())
    for value in plaintext_identifiers(built.directory):
        for fmt, text in texts.items():
            assert value not in text, f"a planted identifier appears in the {fmt} data map report"


def test_cli_stdout(built: BuiltMap) -> None:
    import pyarrow.parquet as pq

    runner = CliRunner()
    res = runner.invoke(main, ["report", "datamap", "--config", str(built.config), "--format", "csv"])
    assert res.exit_code == 0, res.output
    assert res.stdout.splitlines()[0] == ",".join(datamap_report.ROW_COLUMNS) and len(list(csv.reader(io.StringIO(res.stdout)))) == 46
    res = runner.invoke(main, ["report", "datamap", "--config", str(built.config), "--format", "parquet"])
    assert res.exit_code == 0
    assert pq.read_table(io.BytesIO(res.stdout_bytes)).num_rows == 45
    res = runner.invoke(main, ["report", "datamap", "--help"])
    assert res.exit_code == 0 and "self-contained" in res.output


def test_empty_map(tmp_path: Path) -> None:
    (tmp_path / "c.toml").write_text('[datamap]\nurl = "sqlite:///dm.sqlite"\n', "utf-8")
    cfg = load(tmp_path / "c.toml")
    assert datamap_report.run(cfg, fmt="json", output=str(tmp_path / "m.json")) == 0
    data = json.loads((tmp_path / "m.json").read_text("utf-8"))
    assert data["rows"] == [] and data["sources"] == [] and data["totals"]["last_scan"] is None
    assert datamap_report.run(cfg, fmt="html", output=str(tmp_path / "m.html")) == 0
    assert "No personal data in the data map" in (tmp_path / "m.html").read_text("utf-8")
    assert datamap_report.run(cfg, fmt="parquet", output=str(tmp_path / "m.parquet")) == 0


def test_postgresql_map_gives_the_same_report(built: BuiltMap, pg_url: str, tmp_path: Path) -> None:
    """The aggregation is plain SQL: the same estate scanned into PostgreSQL gives the same rows."""
    import shutil

    from pii_scan.config import from_dict
    from pii_scan.datamap import DataMap
    from pii_scan.engine import scan
    from reports import register

    raw = dict(load(built.config).raw)
    raw["datamap"] = dict(raw["datamap"], url=pg_url)
    raw["sources"] = [s for s in raw["sources"] if s["name"] != "archive"]
    shutil.copy(built.directory / "pii-scan.key", tmp_path / "pii-scan.key")
    cfg = from_dict(raw, base=built.directory)
    cfg = type(cfg)(**{**cfg.__dict__, "key_file": tmp_path / "pii-scan.key"})
    scan(cfg, scheduler="sync", progress=False)

    def strip(rows: list[dict]) -> list[str]:
        return sorted(json.dumps({k: v for k, v in r.items() if k != "last_scan"}, sort_keys=True) for r in rows)

    pg, lite = DataMap(pg_url), DataMap(load(built.config).datamap_url)
    try:
        assert strip(list(datamap_report.rows(pg))) == strip(list(datamap_report.rows(lite)))
        assert strip(list(register.rows(cfg, pg))) == strip(list(register.rows(cfg, lite)))
        cov = {s["source"]: s for s in datamap_report.coverage(pg, cfg)}
        assert cov["share"]["failed"] == 1 and cov["crm"]["done"] == 7
    finally:
        pg.close()
        lite.close()
