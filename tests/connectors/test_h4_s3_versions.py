"""Old versions of objects in a versioned bucket (``versions = "all"``), against the real moto server.

A person removed from ``customers.csv`` is still in its earlier versions:
with ``versions = "all"`` each noncurrent version is a unit of its own, read
by its version id, its records' items naming the version
(``old version <id>: <item>``); rescans skip the versions already read, a
version deleted since is forgotten, delete markers are no units, and a
version that may not be read fails its unit alone (the scan ends partial).
"""

from __future__ import annotations

import json
import textwrap
from pathlib import Path
from typing import Any

import pytest

boto3 = pytest.importorskip("boto3")

from click.testing import CliRunner  # noqa: E402

from connectors.base import ConfigError  # noqa: E402
from connectors.readback import read_back  # noqa: E402
from connectors.s3 import S3Connector, split_version_item, version_item  # noqa: E402
from pii_scan.cli import main  # noqa: E402
from pii_scan.config import ConfigError as FileConfigError  # noqa: E402
from pii_scan.config import from_dict, load  # noqa: E402
from pii_scan.engine import EXIT_COMPLETE, EXIT_PARTIAL, scan  # noqa: E402
from tests.conftest import MOTO_REGION  # noqa: E402
from tests.connectors.test_s3 import FaultProxy, conn, make_bucket, proxy, read_all, s3, triples  # noqa: E402,F401

BUCKET = "h4-versions"
KEY = "crm/customers.csv"
CONTAINER = f"{BUCKET}/{KEY}"
PNR_OLD = "19720315-1233"  # only in the oldest version
PNR_ALL = "19850722-2340"  # in every version
PNR_MID = "19901104-3453"  # in the second and third
PNR_GONE = "19661230-4565"  # in an object deleted since (its latest version is a delete marker)
VERSIONS = (
    f"namn,personnummer\nAda Ek,{PNR_OLD}\nBo Al,{PNR_ALL}\n",
    f"namn,personnummer\nBo Al,{PNR_ALL}\nCe Ny,{PNR_MID}\n",
    f"namn,personnummer\nBo Al,{PNR_ALL}\nCe Ny,{PNR_MID}\nDo Ro,\n",
)
KEY_ENV = "PII_SCAN_KEY"
TEST_KEY = "h4-versions-test-key-0123456789abcdef"


def put_versions(client: Any) -> list[str]:
    """The bucket with three versions of the customer list and a deleted object; version ids, oldest first."""
    make_bucket(client, BUCKET, {}, versioned=True)
    ids = [client.put_object(Bucket=BUCKET, Key=KEY, Body=v.encode())["VersionId"] for v in VERSIONS]
    client.put_object(Bucket=BUCKET, Key="crm/borttagen.txt", Body=f"kund {PNR_GONE}\n".encode())
    client.delete_object(Bucket=BUCKET, Key="crm/borttagen.txt")  # a delete marker: the data stays behind it
    return ids


def pnrs(records: list[Any]) -> dict[str, list[tuple[str, str]]]:
    """personnummer -> the (container, item) pairs of the records holding it."""
    out: dict[str, list[tuple[str, str]]] = {}
    for c, i, _f, t in triples(records):
        for p in (PNR_OLD, PNR_ALL, PNR_MID, PNR_GONE):
            if p in t:
                out.setdefault(p, []).append((c, i))
    return out


def write_config(root: Path, endpoint: str, **extra: Any) -> Path:
    lines = "".join(f"{k} = {json.dumps(v)}\n" for k, v in extra.items())
    path = root / "pii-scan.toml"
    path.write_text(textwrap.dedent(f"""\
        [datamap]
        url = "sqlite:///datamap.sqlite"

        [[sources]]
        name = "lake"
        type = "s3"
        endpoint_url = "{endpoint}"
        region = "{MOTO_REGION}"
        buckets = ["{BUCKET}"]
        """) + lines)
    return path


# --- configuration ------------------------------------------------------------------------------------


def test_versions_takes_latest_or_all(tmp_path: Path) -> None:
    base = {"type": "s3", "region": MOTO_REGION}
    assert S3Connector("lake", base).versions == "latest"
    assert S3Connector("lake", {**base, "versions": "latest"}).versions == "latest"
    assert S3Connector("lake", {**base, "versions": "all"}).versions == "all"
    for bad in ("noncurrent", "ALL", True, 3):
        with pytest.raises(ConfigError, match="'versions' must be"):
            S3Connector("lake", {**base, "versions": bad})
        with pytest.raises(FileConfigError, match="'versions' must be"):
            from_dict({"sources": [{"name": "lake", **base, "versions": bad}]}, base=tmp_path)
    assert from_dict({"sources": [{"name": "lake", **base, "versions": "all"}]}, base=tmp_path).sources[0].options["versions"] == "all"


def test_version_items_round_trip() -> None:
    for vid in ("null", "3HL4kqtJlcpXroDTDmJ+rmSpXd3dIbrHY+MTRCxf3vjVBH40Nr8X8gdRQBpUMLUo", "a b:c%d", "e2728ec7-0031"):
        for inner in ("", "2", "@4096", "Blad1:5", "<1.2@x.se>", "old version x: 3"):
            assert split_version_item(version_item(vid, inner)) == (vid, inner)
    # items of current objects are none
    for item in ("", "2", "old version x:5", "old version a b: 2", "old version : 2", "paragraph 3"):
        assert split_version_item(item) == (None, item)


# --- listing and reading ------------------------------------------------------------------------------


def test_the_oldest_version_is_read_only_with_versions_all(s3: Any, moto_s3: str) -> None:
    ids = put_versions(s3)
    latest, errors = read_all(conn(moto_s3, buckets=[BUCKET]))
    assert not errors
    found = pnrs(latest)
    assert PNR_OLD not in found and PNR_GONE not in found  # the default reads the current version only
    assert found[PNR_ALL] == [(CONTAINER, "2")]

    c = conn(moto_s3, buckets=[BUCKET], versions="all")
    units = {u.key: u for u in c.units()}
    gone_id = s3.list_object_versions(Bucket=BUCKET, Prefix="crm/borttagen.txt")["Versions"][0]["VersionId"]
    assert sorted(units) == sorted([CONTAINER, f"{CONTAINER}?versionId={ids[0]}", f"{CONTAINER}?versionId={ids[1]}",
                                    f"{BUCKET}/crm/borttagen.txt?versionId={gone_id}"])  # no unit for the delete marker
    assert units[CONTAINER].param("noncurrent") is None and units[CONTAINER].param("version") == ids[2]
    assert units[f"{CONTAINER}?versionId={ids[0]}"].param("noncurrent") is True
    records, errors = read_all(c)
    assert not errors
    found = pnrs(records)
    assert found[PNR_OLD] == [(CONTAINER, f"old version {ids[0]}: 2")]
    assert sorted(found[PNR_ALL]) == sorted([(CONTAINER, "2"), (CONTAINER, f"old version {ids[1]}: 2"),
                                             (CONTAINER, f"old version {ids[0]}: 3")])
    assert found[PNR_GONE] == [(f"{BUCKET}/crm/borttagen.txt", f"old version {gone_id}: 1")]
    # the key's name is a record of each version too, its item naming the version
    names = [(r.location.container, r.location.item) for r in records if r.fields[0][0] == "path"]
    assert (CONTAINER, f"old version {ids[0]}") in names and (CONTAINER, "") in names


def test_a_large_old_version_is_split_into_ranges(s3: Any, moto_s3: str) -> None:
    ids = put_versions(s3)
    c = conn(moto_s3, buckets=[BUCKET], versions="all", split_bytes=32, prefix=KEY)
    keys = [u.key for u in c.units()]
    size = len(VERSIONS[0])
    assert f"{CONTAINER}?versionId={ids[0]}#0-32" in keys and f"{CONTAINER}?versionId={ids[0]}#32-{size}" in keys
    records, errors = read_all(c)
    assert not errors
    assert pnrs(records)[PNR_OLD] == [(CONTAINER, f"old version {ids[0]}: @18")]


def test_a_denied_old_version_fails_its_unit_and_the_scan_goes_on(s3: Any, proxy: FaultProxy, tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    ids = put_versions(s3)
    proxy.add("GET", r"^/h4-versions/crm/customers\.csv\?.*versionId=", "error", status=403, code="AccessDenied")
    monkeypatch.setenv(KEY_ENV, TEST_KEY)
    cfg = load(write_config(tmp_path, proxy.url, versions="all"))
    summary = scan(cfg, scheduler="sync", progress=False)
    assert summary.exit_code == EXIT_PARTIAL
    failed = {f["unit"]: f["reason"] for f in summary.failures}
    assert sorted(failed) == sorted(f"{CONTAINER}?versionId={v}" for v in ids[:2])
    for reason in failed.values():
        assert "access denied (AccessDenied)" in reason and "s3:GetObjectVersion" in reason
        assert PNR_OLD not in reason
    # the rest was read: the current object, and the deleted object's old version
    out = CliRunner().invoke(main, ["lookup", "--config", str(cfg.path), "--personnummer", PNR_ALL])
    assert f"{CONTAINER}" in out.output and " 2 " in out.output
    out = CliRunner().invoke(main, ["lookup", "--config", str(cfg.path), "--personnummer", PNR_GONE])
    assert "old version" in out.output


def test_versions_that_may_not_be_listed_fail_one_unit(s3: Any, proxy: FaultProxy) -> None:
    put_versions(s3)
    proxy.add("GET", r"^/h4-versions/?\?.*versions", "error", status=403, code="AccessDenied")
    c = conn(proxy.url, buckets=[BUCKET], versions="all")
    records, errors = read_all(c)
    assert list(errors) == [f"{BUCKET}/?versions"]
    assert "cannot list the old versions (access denied (AccessDenied)" in errors[f"{BUCKET}/?versions"]
    assert pnrs(records) == {PNR_ALL: [(CONTAINER, "2")], PNR_MID: [(CONTAINER, "3")]}  # the current objects
    # the default asks for no old versions: the plain listing, no failure
    records, errors = read_all(conn(proxy.url, buckets=[BUCKET]))
    assert not errors and PNR_ALL in pnrs(records)


# --- the scan, rescans, lookup, export, read-back -------------------------------------------------------


def _scan(path: Path) -> Any:
    summary = scan(load(path), scheduler="sync", progress=False)
    assert summary.exit_code == EXIT_COMPLETE, summary.failures
    return summary


def _lookup(path: Path, pnr: str) -> str:
    res = CliRunner().invoke(main, ["lookup", "--config", str(path), "--personnummer", pnr])
    assert res.exit_code == 0, res.output
    return res.output


def test_rescans_skip_old_versions_and_forget_deleted_ones(s3: Any, moto_s3: str, tmp_path: Path,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    ids = put_versions(s3)
    monkeypatch.setenv(KEY_ENV, TEST_KEY)
    (tmp_path / "latest").mkdir()
    plain = write_config(tmp_path / "latest", moto_s3)
    _scan(plain)
    assert "no locations found" in _lookup(plain, PNR_OLD)

    path = write_config(tmp_path, moto_s3, versions="all")
    first = _scan(path)
    assert (first.units_total, first.units_skipped) == (4, 0)
    out = _lookup(path, PNR_OLD)
    assert CONTAINER in out and f"old version {ids[0]}: 2" in out

    again = _scan(path)
    assert (again.units_total, again.units_skipped) == (4, 4)  # nothing changed: nothing read

    # a new version: the new current object and the version it replaced are read, the older ones skipped
    new = s3.put_object(Bucket=BUCKET, Key=KEY, Body=f"namn,personnummer\nBo Al,{PNR_ALL}\n".encode())["VersionId"]
    third = _scan(path)
    assert (third.units_total, third.units_skipped, third.units_removed) == (5, 3, 0)
    out = _lookup(path, PNR_MID)
    assert f"old version {ids[2]}: 3" in out and f"old version {ids[1]}: 3" in out
    assert f"{CONTAINER:<50} 3 " not in out  # no longer in the current object
    assert ids[2] != new

    # the oldest version deleted for good: it leaves the data map as a deleted object does
    s3.delete_object(Bucket=BUCKET, Key=KEY, VersionId=ids[0])
    fourth = _scan(path)
    assert (fourth.units_total, fourth.units_removed) == (4, 1)
    assert "no locations found" in _lookup(path, PNR_OLD)


def test_export_and_read_back_name_the_version(s3: Any, moto_s3: str, tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    ids = put_versions(s3)
    monkeypatch.setenv(KEY_ENV, TEST_KEY)
    path = write_config(tmp_path, moto_s3, versions="all")
    _scan(path)
    res = CliRunner().invoke(main, ["export", "--config", str(path), "--format", "jsonl"])
    assert res.exit_code == 0, res.output
    rows = [json.loads(line) for line in res.output.splitlines() if line.startswith("{")]
    old = [r for r in rows if r["kind"] == "personnummer" and r["item"] == f"old version {ids[0]}: 2"]
    assert len(old) == 1 and old[0]["container"] == CONTAINER and old[0]["store"] == "s3"
    assert PNR_OLD not in res.output  # masked, as every export without --reveal

    cfg = load(path)
    src = cfg.source("lake")
    gone_id = s3.list_object_versions(Bucket=BUCKET, Prefix="crm/borttagen.txt")["Versions"][0]["VersionId"]
    pairs = [(CONTAINER, f"old version {ids[0]}: 2"), (CONTAINER, "2"), (CONTAINER, f"old version {ids[0]}"),
             (f"{BUCKET}/crm/borttagen.txt", f"old version {gone_id}: 1"), (f"{BUCKET}/crm/borttagen.txt", "1")]
    got = read_back("lake", {**src.options, "type": "s3"}, pairs)
    assert got[pairs[0]].ok and ("personnummer", PNR_OLD) in got[pairs[0]].fields
    assert got[pairs[1]].ok and ("personnummer", PNR_ALL) in got[pairs[1]].fields  # the current object's line 2
    assert got[pairs[2]].ok and got[pairs[2]].fields == [("path", CONTAINER)]
    assert got[pairs[3]].ok and got[pairs[3]].fields == [("text", f"kund {PNR_GONE}")]
    assert not got[pairs[4]].ok  # the object itself is deleted
    # split into ranges, an old version's line is read back by its offset
    split = {**src.options, "type": "s3", "split_bytes": 32}
    at = (CONTAINER, f"old version {ids[0]}: @18")
    assert ("personnummer", PNR_OLD) in read_back("lake", split, [at])[at].fields
    # a version deleted since the scan says so
    s3.delete_object(Bucket=BUCKET, Key=KEY, VersionId=ids[0])
    rb = read_back("lake", {**src.options, "type": "s3"}, [pairs[0]])[pairs[0]]
    assert not rb.ok and rb.reason == "cannot read the old version: not found (HTTP 404)"
