"""A 500 MB file on a single line: scanned in slices, in bounded memory, both ends found."""

from __future__ import annotations

import sqlalchemy as sa

from pii_scan.keys import Keys
from tests.connectors.fileutil import PNR
from tests.hostile.corpus import write_single_line
from tests.hostile.runner import KEY_HEX, run_cli

SIZE = 500 * 1000 * 1000
EMAIL_END = "slutet.pa.raden@example.se"


def test_500_mb_single_line(tmp_path) -> None:  # noqa: ANN001
    share = tmp_path / "share"
    share.mkdir()
    # 4-byte characters: 125 million of them, 4 bytes each in Python, so that holding
    # many slices of the line at once would show in the peak RSS
    write_single_line(share / "one-line.log", SIZE, f"start personnummer {PNR} ", f" mejla {EMAIL_END}", unit="\U0001F600")
    (share / "kunder.csv").write_text(f"namn;personnummer\nAnna;{PNR}\n", "utf-8")
    cfg = tmp_path / "pii-scan.toml"
    db = tmp_path / "map.sqlite"
    cfg.write_text(f'[datamap]\nurl = "sqlite:///{db}"\n\n[[sources]]\nname = "share"\ntype = "files"\npath = "{share}"\n')
    run = run_cli(["scan", "--config", str(cfg), "--scheduler", "sync", "--no-progress"], cwd=tmp_path / "cwd", tmpdir=tmp_path / "tmp", timeout=150)
    assert run.exit_code == 0, run.stdout + run.stderr[-2000:]
    # bounded whatever the line's length: the worker detects in batches of at most 8 Mi characters
    assert run.max_rss < 512 << 20, f"peak RSS {run.max_rss >> 20} MiB"
    print(f"500 MB line: {run.seconds:.1f} s wall, {run.cpu_seconds:.1f} s CPU, peak RSS {run.max_rss >> 20} MiB")
    keys = Keys(bytes.fromhex(KEY_HEX))
    eng = sa.create_engine(f"sqlite:///{db}")
    with eng.connect() as c:
        rows = c.exec_driver_sql(
            "SELECT r.container, r.item, f.kind, f.value_hash FROM findings f JOIN records r ON r.rkey = f.rkey"
        ).all()
        units = c.exec_driver_sql("SELECT key, status FROM units ORDER BY key").all()
    eng.dispose()
    found = {(c, k, h) for c, _, k, h in rows}
    assert ("one-line.log", "personnummer", keys.hash("personnummer", "196408233234")) in found
    assert ("one-line.log", "email", keys.hash("email", EMAIL_END)) in found
    assert ("kunder.csv", "personnummer", keys.hash("personnummer", "196408233234")) in found
    # split into byte ranges (the connector's split_bytes): the line starts in the first, which reads it whole
    from connectors.files import DEFAULT_SPLIT_BYTES as S

    ranges = [f"one-line.log#{lo}-{min(lo + S, SIZE)}" for lo in range(0, SIZE, S)]
    assert len(ranges) > 1 and [k for k, _ in units] == sorted(["kunder.csv", *ranges])
    assert all(st == "done" for _, st in units)
    assert {i for c, i, _, _ in rows if c == "one-line.log"} == {"@0"}
