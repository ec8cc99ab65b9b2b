"""Hostile and broken input, end to end: ``pii-scan scan`` over a store that mixes it with normal data.

Each hostile unit must end with a clear reason (or be read safely) in bounded
time and memory, nothing may be written outside the data map, and every
finding of the normal data must be there. The scan runs as a child process
(its own working directory and TMPDIR) so that its peak RSS and its files can
be measured.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import sqlalchemy as sa

from connectors.base import safe_name
from pii_scan.keys import Keys
from tests.hostile import estate
from tests.hostile.runner import KEY_HEX, run_cli, snapshot

GiB = 1 << 30
KEYS = Keys(bytes.fromhex(KEY_HEX))


def _map_rows(db: Path) -> tuple[dict[str, tuple[str, str]], set[tuple[str, str, str, str]]]:
    """(unit key -> (status, reason), {(source, container, kind, value hash)}) of a SQLite data map."""
    eng = sa.create_engine(f"sqlite:///{db}")
    with eng.connect() as c:
        units = {f"{s}:{k}": (st, r or "") for s, k, st, r in c.exec_driver_sql("SELECT source, key, status, reason FROM units")}
        found = set(
            c.exec_driver_sql(
                "SELECT r.source, r.container, f.kind, f.value_hash FROM findings f JOIN records r ON r.rkey = f.rkey"
            ).all()
        )
    eng.dispose()
    return units, found


@pytest.fixture(scope="module")
def scanned(tmp_path_factory: pytest.TempPathFactory):  # noqa: ANN201
    root = tmp_path_factory.mktemp("hostile")
    est = estate.build(root / "store")
    cfg_dir = root / "cfg"
    cfg_dir.mkdir()
    (cfg_dir / "pii-scan.toml").write_text(estate.config(est, cfg_dir / "map.sqlite"), "utf-8")
    before = snapshot(est.root)
    run = run_cli(
        ["scan", "--config", str(cfg_dir / "pii-scan.toml"), "--scheduler", "sync", "--no-progress"],
        cwd=root / "cwd", tmpdir=root / "tmp", timeout=120,
    )
    units, found = _map_rows(cfg_dir / "map.sqlite")
    return est, run, units, found, before, root


def test_partial_exit_code_and_bounded_memory(scanned) -> None:  # noqa: ANN001
    est, run, units, _, _, _ = scanned
    assert run.exit_code == 3, run.stdout + run.stderr[-2000:]
    assert "Traceback" not in run.stderr, run.stderr[-3000:]
    assert run.max_rss < GiB, f"peak RSS {run.max_rss >> 20} MiB"
    failed = {k for k, (st, _) in units.items() if st == "failed"}
    expected_failed = {f"share:{k}" for k in est.bad} | {"mail:mbox:truncated.mbox", "mail:mbox:cut-header.mbox", "mail:eml:eml#0"}
    assert failed == expected_failed




def test_each_hostile_unit_has_a_clear_reason(scanned) -> None:  # noqa: ANN001
    est, run, units, _, _, _ = scanned
    for key, phrase in est.bad.items():
        status, reason = units[f"share:{key}"]
        assert status == "failed", key
        assert phrase in reason, (key, reason)
        assert reason.startswith(safe_name(key)), (key, reason)  # names its file, control characters escaped
        assert len(reason) < 5000
        assert f"failed: share {safe_name(key)}" in run.stdout or f"partly read: share {safe_name(key)}" in run.stdout
    mail = {k: r for k, (st, r) in units.items() if k.startswith("mail:") and st == "failed"}
    assert "ends mid-line; the message is truncated" in mail["mail:mbox:truncated.mbox"]
    assert "invalid base64" in mail["mail:mbox:truncated.mbox"]
    assert "multipart boundaries missing" in mail["mail:eml:eml#0"]
    assert "ends mid-line" in mail["mail:mbox:cut-header.mbox"]


def test_partly_read_units_are_told_apart_from_failed_ones(scanned) -> None:  # noqa: ANN001
    """An mbox cut off in its last message read every message before it into the map: the summary says
    'partly read' with the count, not 'failed' (which says nothing of it was read)."""
    _, run, units, _, _, _ = scanned
    line = next(ln for ln in run.stdout.splitlines() if "truncated.mbox" in ln)
    assert line.lstrip().startswith("partly read: mail "), line
    assert "records read and mapped before it" in line, line
    assert "of them partly read" in run.stdout.splitlines()[0], run.stdout


def test_normal_data_and_readable_parts_are_all_found(scanned) -> None:  # noqa: ANN001
    est, _, units, found, _, _ = scanned
    containers = {c for s, c, _, _ in found if s == "crm"}

    def in_map(source: str, container: str) -> str:
        if source != "crm":
            return container
        # the SQL connector writes schema.table, quoting a part only where it must
        forms = {f"main.{container}", 'main."' + container.replace('"', '""') + '"'}
        hit = forms & containers
        assert len(hit) == 1, (container, containers)
        return hit.pop()

    missing = [
        (source, container, kind)
        for source, container, kind, value in est.expected
        if (source, in_map(source, container), kind, KEYS.hash(kind, value)) not in found
    ]
    assert missing == []
    for key in est.dirty:  # broken bytes are read, not failed
        assert units[f"share:{key}"][0] == "done", (key, units[f"share:{key}"])
    for name in estate.HOSTILE_NAMES:
        assert units[f"share:names/{name}"][0] == "done"
    assert all(st == "done" for k, (st, _) in units.items() if k.startswith(("share:normal/", "crm:")))


def test_nothing_written_outside_the_map(scanned) -> None:  # noqa: ANN001
    est, _, _, _, before, root = scanned
    assert snapshot(est.root) == before  # the store is untouched (not even atime-visible changes of size/mtime)
    assert list((root / "tmp").iterdir()) == []  # spooled archives and PDFs were removed
    assert list((root / "cwd").iterdir()) == []
    assert sorted(p.name for p in (root / "cfg").iterdir() if not p.name.startswith("map.sqlite")) == ["pii-scan.toml"]
    for escaped in ("escaped.csv", "win.csv", "b.csv"):
        assert not list(root.parent.rglob(escaped))
    assert not os.path.exists("/tmp/pii-scan-absolute.csv")


def test_output_has_no_control_characters_from_names(scanned) -> None:  # noqa: ANN001
    _, run, _, _, _, _ = scanned
    for text in (run.stdout, run.stderr):
        assert "\x1b" not in text and "\x01" not in text and "\x7f" not in text
