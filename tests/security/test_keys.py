"""The key: created 0600, refused when others can read it, rotated in place (``pii-scan key rotate``).

Rotation is checked against the strongest reference there is: the fictional
estate is scanned with key A and rotated to key B, then scanned afresh with
key B into a second map; both maps must hold the same rows, hashes, record
keys, unit ids, references and subjects.
"""

from __future__ import annotations

import dataclasses
import os
import stat
from pathlib import Path

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from pii_scan import estate
from pii_scan.cli import main
from pii_scan.config import Config, load
from pii_scan.datamap import DataMap
from pii_scan.demo import DEMO_PERSONNUMMER
from pii_scan.engine import scan
from pii_scan.keys import ENV, NEW_ENV, KeyError_, Keys, load_keys, read_key_file
from pii_scan.lookup import lookup
from pii_scan.rekey import RekeyError, rotate

@pytest.fixture(autouse=True)
def _no_env_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(ENV, raising=False)
    monkeypatch.delenv(NEW_ENV, raising=False)


def test_key_file_is_created_0600_and_refused_when_readable(tmp_path: Path) -> None:
    old = os.umask(0o022)
    try:
        kf = tmp_path / "sub" / "pii-scan.key"
        keys = load_keys(kf)
        assert stat.S_IMODE(kf.stat().st_mode) == 0o600
        assert load_keys(kf).secret == keys.secret and len(keys.secret) == 32
        assert repr(keys) == "Keys(<secret>)" and keys.secret.hex() not in repr(keys)
        kf.chmod(0o644)
        with pytest.raises(KeyError_, match="readable by others"):
            load_keys(kf)
    finally:
        os.umask(old)


def _snapshot(url: str) -> dict[str, set[tuple]]:
    eng = sa.create_engine(url)
    with eng.connect() as c:
        out = {
            "records": set(c.exec_driver_sql("SELECT rkey, unit_id, store, source, container, item, structured FROM records")),
            "findings": set(c.exec_driver_sql(
                "SELECT rkey, unit_id, field, kind, subkind, value_hash, masked, confidence, linkable FROM findings")),
            "refs": set(c.exec_driver_sql("SELECT unit_id, rkey_from, rkey_to, container, item, via FROM refs")),
            "units": set(c.exec_driver_sql("SELECT unit_id, source, key, fingerprint, status FROM units")),
            "subjects": set(c.exec_driver_sql("SELECT value_hash, subject FROM subjects")),
            "key_id": set(c.exec_driver_sql("SELECT value FROM pii_meta WHERE key = 'key_id'")),
            "dependencies": {_dep(d) for (d,) in c.exec_driver_sql("SELECT data FROM dependencies")},
        }
        out["enc"] = {bytes(v) if v is not None else None for (v,) in c.exec_driver_sql("SELECT enc_value FROM findings")}
    eng.dispose()
    return out


def _dep(data: str) -> str:
    """A schema fact without its ciphertext (random nonce), with the true fact decrypted when a key is at hand."""
    import json

    d = json.loads(data)
    d.pop("enc", None)
    return json.dumps(d, sort_keys=True)


def _locations(cfg: Config, keys: Keys, kind: str, value: str) -> set[tuple]:
    dm = DataMap(cfg.datamap_url)
    try:
        return {(loc.store, loc.source, loc.container, loc.item, loc.field) for loc in lookup(dm, keys, kind, value)}
    finally:
        dm.close()


@pytest.fixture(scope="module")
def estate_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("rotate")
    estate.build_estate(d / "estate", seed=3, customers=14, employees=5, suppliers=2)
    return d / "estate"


def _cfg(estate_dir: Path, work: Path, **kw: object) -> Config:
    cfg = load(estate_dir / "pii-scan.toml")
    return dataclasses.replace(cfg, datamap_url=f"sqlite:///{work / 'map.sqlite'}", key_file=work / "pii-scan.key", **kw)


def test_rotation_equals_a_fresh_scan_with_the_new_key(estate_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir()
    b.mkdir()
    cfg = _cfg(estate_dir, a)
    assert scan(cfg, scheduler="sync", progress=False).exit_code == 0
    old = read_key_file(cfg.key_file)
    pnr = DEMO_PERSONNUMMER
    before = _locations(cfg, old, "personnummer", pnr)
    assert before, "the demo subject must be in the map"
    snap_old = _snapshot(cfg.datamap_url)

    res = CliRunner().invoke(main, ["key", "rotate", "--config", str(_write_cfg(cfg, a))])
    assert res.exit_code == 0, res.output
    assert "key rotated" in res.output and "units re-keyed" in res.output
    new = read_key_file(cfg.key_file)
    assert new.secret != old.secret
    assert stat.S_IMODE(cfg.key_file.stat().st_mode) == 0o600
    assert not cfg.key_file.with_name("pii-scan.key.new").exists()

    rotated = _snapshot(cfg.datamap_url)
    assert rotated["key_id"] == {(new.fingerprint(),)}
    old_hashes = {f[5] for f in snap_old["findings"]}
    assert not old_hashes & {f[5] for f in rotated["findings"]}  # no hash under the old key is left
    assert not snap_old["enc"] & rotated["enc"]

    # the reference: a fresh scan of the same estate with the new key
    monkeypatch.setenv(ENV, new.secret.hex())
    fresh_cfg = _cfg(estate_dir, b)
    assert scan(fresh_cfg, scheduler="sync", progress=False).exit_code == 0
    fresh = _snapshot(fresh_cfg.datamap_url)
    for table in ("records", "findings", "refs", "subjects", "key_id", "dependencies"):
        assert rotated[table] == fresh[table], table
    rescan = {u for u in rotated["units"] if u[3] == ""}
    assert {u for u in rotated["units"] if u not in rescan} <= fresh["units"]
    monkeypatch.delenv(ENV)

    # lookups give the same locations under the new key; the old key no longer opens the map
    assert _locations(cfg, new, "personnummer", pnr) == before
    assert _locations(cfg, old, "personnummer", pnr) == set()
    monkeypatch.setenv(ENV, old.secret.hex())
    with pytest.raises(RuntimeError, match="another key"):
        scan(cfg, scheduler="sync", progress=False)
    monkeypatch.delenv(ENV)

    # the next incremental scan skips every unit it could re-key
    summary = scan(cfg, scheduler="sync", progress=False)
    assert summary.exit_code == 0
    assert summary.units_scanned == len(rescan) and summary.units_skipped == summary.units_total - len(rescan)
    assert _snapshot(cfg.datamap_url)["findings"] == fresh["findings"]


def _write_cfg(cfg: Config, work: Path) -> Path:
    """A TOML file for the CLI with the config's sources, map and key file."""
    import json

    lines = [f"[datamap]\nurl = {json.dumps(cfg.datamap_url)}\nkey_file = {json.dumps(str(cfg.key_file))}\n"
             f"store_values = {'true' if cfg.store_values else 'false'}\n"]
    for s in cfg.sources:
        lines.append("[[sources]]")
        for k, v in s.options.items():
            lines.append(f"{k} = {json.dumps(v)}")
        if "name" not in s.options:
            lines.append(f"name = {json.dumps(s.name)}")
        if "type" not in s.options:
            lines.append(f"type = {json.dumps(s.type)}")
        lines.append("")
    p = work / "pii-scan.toml"
    p.write_text("\n".join(lines), "utf-8")
    return p


def test_rotation_refused_without_stored_values(estate_dir: Path, tmp_path: Path) -> None:
    cfg = _cfg(estate_dir, tmp_path, store_values=False)
    scan(cfg, scheduler="sync", progress=False, only_sources={cfg.sources[0].name})
    before = cfg.key_file.read_bytes()
    snap = _snapshot(cfg.datamap_url)
    with pytest.raises(RekeyError, match="store_values = false"):
        rotate(cfg)
    assert cfg.key_file.read_bytes() == before and _snapshot(cfg.datamap_url) == snap
    assert not cfg.key_file.with_name("pii-scan.key.new").exists()


def test_interrupted_rotation_is_completed(estate_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import pii_scan.rekey as rekey_mod

    cfg = _cfg(estate_dir, tmp_path)
    scan(cfg, scheduler="sync", progress=False, only_sources={cfg.sources[0].name})
    old = read_key_file(cfg.key_file)

    def crash(src: Path, dst: Path) -> None:
        raise KeyboardInterrupt  # killed after the commit, before the key file was replaced

    monkeypatch.setattr(rekey_mod, "_replace", crash)
    with pytest.raises(KeyboardInterrupt):
        rotate(cfg)
    pending = cfg.key_file.with_name("pii-scan.key.new")
    assert pending.exists() and read_key_file(cfg.key_file).secret == old.secret
    with pytest.raises(RuntimeError, match="another key"):
        scan(cfg, scheduler="sync", progress=False)  # the old key no longer opens the map
    monkeypatch.undo()
    monkeypatch.delenv(ENV, raising=False)
    done = rotate(cfg)
    assert done.resumed and not pending.exists()
    new = read_key_file(cfg.key_file)
    assert new.secret != old.secret
    assert scan(cfg, scheduler="sync", progress=False, only_sources={cfg.sources[0].name}).exit_code == 0


def test_rotation_with_the_key_in_the_environment(estate_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    old_hex, new_hex = "11" * 32, "22" * 32
    monkeypatch.setenv(ENV, old_hex)
    cfg = _cfg(estate_dir, tmp_path)
    scan(cfg, scheduler="sync", progress=False, only_sources={cfg.sources[0].name})
    with pytest.raises(KeyError_, match=NEW_ENV):
        rotate(cfg)
    monkeypatch.setenv(NEW_ENV, new_hex)
    done = rotate(cfg)
    assert done.summary is not None and done.summary.findings > 0 and done.key_file is None
    assert not cfg.key_file.exists()  # no key file is written when keys come from the environment
    monkeypatch.setenv(ENV, new_hex)
    monkeypatch.delenv(NEW_ENV)
    assert scan(cfg, scheduler="sync", progress=False, only_sources={cfg.sources[0].name}).exit_code == 0


def test_masked_schema_facts_are_reencrypted(tmp_path: Path) -> None:
    """A foreign key of a table named after a person is stored masked, the true fact encrypted;
    rotation keeps it readable under the new key only."""
    import base64
    import json

    from detectors import Scanner
    from pii_scan.engine import redact_dependency
    from pii_scan.rekey import rekey
    from pii_scan.redact import Redactor

    old, new = Keys(b"\x01" * 32), Keys(b"\x02" * 32)
    fact = {"kind": "foreign_key", "container": "main.kund_6408233234", "ref_container": "main.kunder", "columns": ["kund_id"]}
    stored = redact_dependency(Redactor(Scanner(None), old), fact)
    assert "6408233234" not in json.dumps({k: v for k, v in stored.items() if k != "enc"})
    assert json.loads(old.decrypt(base64.b64decode(stored["enc"]))) == fact
    assert redact_dependency(Redactor(Scanner(None), old), {"kind": "foreign_key", "container": "main.kunder"}) == {
        "kind": "foreign_key", "container": "main.kunder"}  # nothing masked: nothing encrypted

    dm = DataMap(f"sqlite:///{tmp_path / 'map.sqlite'}")
    try:
        dm.check_key(old.fingerprint())
        dm.record_dependencies("crm", [stored])
        rekey(dm, old, new)
        with dm.engine.connect() as c:
            (data,) = c.exec_driver_sql("SELECT data FROM dependencies").one()
    finally:
        dm.close()
    after = json.loads(data)
    assert json.loads(new.decrypt(base64.b64decode(after["enc"]))) == fact
    assert {k: v for k, v in after.items() if k != "enc"} == {k: v for k, v in stored.items() if k != "enc"}
