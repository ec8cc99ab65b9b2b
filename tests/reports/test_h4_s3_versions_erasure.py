"""Old versions of S3 objects in the reports: access read-back, erasure plan, erase and the rescan (moto server).

A person found only in an old version of ``customers.csv`` (``versions =
"all"``) gets a ``delete_version`` step: an old version cannot be rewritten.
After ``erase --confirm`` that version is gone, the current object and the
other versions are untouched, and the rescan finds nothing of the person.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

boto3 = pytest.importorskip("boto3")

from click.testing import CliRunner  # noqa: E402

from pii_scan.cli import main  # noqa: E402
from tests.connectors.test_h4_s3_versions import (  # noqa: E402
    BUCKET,
    CONTAINER,
    KEY,
    KEY_ENV,
    PNR_ALL,
    PNR_MID,
    PNR_OLD,
    TEST_KEY,
    VERSIONS,
    _lookup,
    _scan,
    put_versions,
    write_config,
)
from tests.connectors.test_s3 import s3  # noqa: E402,F401


@pytest.fixture
def scanned(s3: Any, moto_s3: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """Three versions of the customer list, scanned with versions = "all"."""
    ids = put_versions(s3)
    monkeypatch.setenv(KEY_ENV, TEST_KEY)
    path = write_config(tmp_path, moto_s3, versions="all")
    _scan(path)
    return {"ids": ids, "path": path, "s3": s3, "root": tmp_path}


def _versions(client: Any) -> list[str]:
    return [v["VersionId"] for v in client.list_object_versions(Bucket=BUCKET, Prefix=KEY)["Versions"]]


def _plan(e: dict[str, Any], pnr: str) -> tuple[Path, dict[str, Any]]:
    plan = e["root"] / f"plan-{pnr}.json"
    res = CliRunner().invoke(main, ["erasure-plan", "--config", str(e["path"]), "--personnummer", pnr, "-o", str(plan)])
    assert res.exit_code == 0, res.output
    raw = plan.read_text(encoding="utf-8")
    assert pnr not in raw and pnr.replace("-", "")[2:] not in raw
    return plan, json.loads(raw)


def _erase(plan: Path, *flags: str) -> Any:
    return CliRunner().invoke(main, ["erase", "--plan", str(plan), *flags])


def test_an_old_version_is_deleted_and_the_rescan_finds_nothing(scanned: dict[str, Any]) -> None:
    e, ids = scanned, scanned["ids"]
    plan, body = _plan(e, PNR_OLD)
    assert [(a["action"], a["container"], a["item"]) for a in body["actions"]] == [
        ("delete_version", CONTAINER, f"old version {ids[0]}")]
    step = body["actions"][0]
    assert step["locations"] == [{"container": CONTAINER, "item": f"old version {ids[0]}: 2", "field": "personnummer"}]
    assert "VersionId=:version" in step["statement"] and not step["blocked_by"]

    dry = _erase(plan)
    assert dry.exit_code == 0 and "would" in dry.output and _versions(e["s3"]) == ids[::-1]  # nothing changed

    res = _erase(plan, "--confirm")
    assert res.exit_code == 0, res.output
    assert "old version deleted" in res.output and "Nothing of the subject remains." in res.output
    assert _versions(e["s3"]) == ids[:0:-1]  # only that version went
    assert e["s3"].get_object(Bucket=BUCKET, Key=KEY)["Body"].read() == VERSIONS[2].encode()
    assert "no locations found" in _lookup(e["path"], PNR_OLD)
    others = _lookup(e["path"], PNR_ALL)
    assert f"old version {ids[1]}: 2" in others and f"old version {ids[0]}" not in others

    again = _erase(plan, "--confirm")  # the version is gone: nothing left to do
    assert again.exit_code == 0 and "already gone" in again.output


def test_a_subject_in_every_version_loses_all_of_them(scanned: dict[str, Any]) -> None:
    e, ids = scanned, scanned["ids"]
    plan, body = _plan(e, PNR_ALL)
    steps = [(a["action"], a["item"]) for a in body["actions"]]
    assert steps[0] == ("rewrite_object", "2")  # the current object first: its rewrite removes the older versions
    assert sorted(steps[1:]) == sorted(("delete_version", f"old version {v}") for v in ids[:2])
    res = _erase(plan, "--confirm")
    assert res.exit_code == 0, res.output
    # the rewrite removed the older versions with it; their own steps find them gone
    assert res.output.count("already gone") == 2 and "Nothing of the subject remains." in res.output
    assert len(_versions(e["s3"])) == 1
    assert PNR_ALL not in e["s3"].get_object(Bucket=BUCKET, Key=KEY)["Body"].read().decode()
    assert "no locations found" in _lookup(e["path"], PNR_ALL)
    assert "no locations found" not in _lookup(e["path"], PNR_MID)


def test_a_version_that_became_current_is_left_for_a_new_plan(scanned: dict[str, Any]) -> None:
    e, ids = scanned, scanned["ids"]
    plan, _body = _plan(e, PNR_MID)  # in the current object and in the second version
    e["s3"].delete_object(Bucket=BUCKET, Key=KEY, VersionId=ids[2])  # the second version is the current one again
    res = _erase(plan, "--confirm")
    assert res.exit_code == 3
    assert "current version now" in res.output
    assert ids[1] in _versions(e["s3"])


def test_the_access_report_reads_the_old_version(scanned: dict[str, Any]) -> None:
    e, ids = scanned, scanned["ids"]
    res = CliRunner().invoke(main, ["access-report", "--config", str(e["path"]), "--personnummer", PNR_OLD,
                                    "--format", "json", "--lang", "en"])
    assert res.exit_code == 0, res.output
    report = json.loads(res.output[res.output.index("{"):])
    locs = [loc for loc in report["locations"] if loc["item"] == f"old version {ids[0]}: 2"]
    assert len(locs) == 1 and locs[0]["container"] == CONTAINER and locs[0]["status"] == "read"
    assert {"field": "personnummer", "value": PNR_OLD, "matched": True} in locs[0]["values"]
    # the report for people names the version as it names a line
    html = e["root"] / "utdrag.html"
    res = CliRunner().invoke(main, ["access-report", "--config", str(e["path"]), "--personnummer", PNR_OLD, "-o", str(html)])
    assert res.exit_code == 0, res.output
    assert f"gammal version {ids[0]}, rad 2" in html.read_text(encoding="utf-8")


def test_a_version_deleted_before_the_plan_is_gone_and_the_rescan_forgets_it(scanned: dict[str, Any]) -> None:
    e, ids = scanned, scanned["ids"]
    e["s3"].delete_object(Bucket=BUCKET, Key=KEY, VersionId=ids[0])  # by someone else, after the scan
    plan, body = _plan(e, PNR_OLD)
    assert [(a["action"], a["item"]) for a in body["actions"]] == [("gone", f"old version {ids[0]}")]
    assert "cannot be read any more (not found (HTTP 404))" in body["actions"][0]["why"]
    res = _erase(plan, "--confirm")
    assert res.exit_code == 0, res.output  # the rescan it triggers drops the version from the data map
    assert "nothing to do" in res.output and "Nothing of the subject remains." in res.output
    assert "no locations found" in _lookup(e["path"], PNR_OLD)
    assert _versions(e["s3"]) == ids[:0:-1]
