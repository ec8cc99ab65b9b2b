"""File names that are not valid UTF-8 (bytes from another system's encoding) scan cleanly."""

from __future__ import annotations

import os
from pathlib import Path

from pii_scan.config import from_dict
from pii_scan.datamap import DataMap
from pii_scan.engine import scan
from pii_scan.export import rows
from pii_scan.keys import load_keys
from pii_scan.redact import printable


def test_printable_escapes_lone_surrogates_only() -> None:
    assert printable("kund_åäö.txt") == "kund_åäö.txt"
    assert printable(os.fsdecode(b"kund_\xff.txt")) == "kund_\\xff.txt"


def test_scan_of_a_name_with_undecodable_bytes(tmp_path: Path) -> None:
    share = tmp_path / "share"
    share.mkdir()
    # a cp1252 name (0xE5 = å) holding a (fictional) personnummer, and a clean one
    with open(os.path.join(os.fsencode(share), b"kund_\xe5_811228-9874.txt"), "wb") as fh:
        fh.write(b"tel 070-123 45 67\n")
    (share / "ok.txt").write_text("mail anna@example.se\n", "utf-8")
    cfg = from_dict({"datamap": {"url": "sqlite:///dm.sqlite"},
                     "sources": [{"name": "share", "type": "files", "path": str(share)}]}, base=tmp_path)
    summary = scan(cfg, scheduler="sync", progress=False)
    assert summary.exit_code == 0 and summary.units_failed == 0
    dm = DataMap(cfg.datamap_url)
    try:
        got = {(r["container"], r["kind"]) for r in rows(dm, None)}
        assert ("kund_\\xe5_19811228-****.txt", "personnummer") in got
        assert ("kund_\\xe5_19811228-****.txt", "phone") in got
        assert ("ok.txt", "email") in got
        # the true name is kept encrypted, byte for byte
        keys = load_keys(cfg.key_file)
        from pii_scan.datamap import records_t

        with dm.engine.connect() as c:
            encs = [e for (e,) in c.execute(records_t.select().with_only_columns(records_t.c.location_enc)) if e]
        names = {keys.decrypt(e).split("\x1f", 1)[0] for e in encs}
        assert os.fsdecode(b"kund_\xe5_811228-9874.txt") in names
    finally:
        dm.close()
    assert b"811228-9874" not in (tmp_path / "dm.sqlite").read_bytes()
