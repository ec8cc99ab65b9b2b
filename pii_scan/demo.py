"""``pii-scan demo``: build a small fictional estate, scan it, show what was found.

The estate (see :mod:`pii_scan.estate`) is rebuilt on every run: it is
deterministic, takes a second or two, and a fresh data map means the summary
always describes one complete scan. A folder that holds anything other than
an earlier demo is refused rather than overwritten.

The demo customer is planted with Skatteverket's *test* personnummer
19640823-3234, so the lookup command printed at the end is safe to copy.
"""

from __future__ import annotations

import json
import shutil
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pii_scan import estate

DEFAULT_DIR = "pii-scan-demo"
DEMO_PERSONNUMMER = "19640823-3234"  # Skatteverket test number, planted for customer 1
MAX_LOOKUP_LINES = 40
_OURS = ("crm.sqlite", "share", "pii-scan.toml", "ground_truth.json", "pii-scan.key", "datamap.sqlite",
         "datamap.sqlite-wal", "datamap.sqlite-shm", "datamap.sqlite-journal")


class DemoError(RuntimeError):
    """The demo cannot run (e.g. the folder holds something else)."""


@dataclass
class DemoReport:
    directory: Path
    config: Path
    scheduler: str
    summary: dict[str, Any]
    by_store_kind: dict[tuple[str, str], int]
    test_data: int
    failures: list[dict[str, Any]]
    lookup: list[Any] = field(default_factory=list)  # pii_scan.lookup.Location
    lookup_command: str = ""


def prepare(directory: Path) -> None:
    """Make ``directory`` ready for a fresh demo: empty, or an earlier demo (whose files are removed)."""
    if directory.exists():
        if not directory.is_dir():
            raise DemoError(f"{directory} exists and is not a folder")
        entries = {p.name for p in directory.iterdir()}
        if entries and not (directory / "ground_truth.json").exists():
            raise DemoError(f"{directory} is not empty and is not an earlier pii-scan demo; choose another --dir")
        strangers = entries - set(_OURS)
        if strangers:
            raise DemoError(f"{directory} holds files the demo did not write ({', '.join(sorted(strangers)[:3])}); "
                            "choose another --dir")
        gt = directory / "ground_truth.json"
        if gt.exists():
            try:
                notice = json.loads(gt.read_text("utf-8")).get("notice", "")
            except (OSError, ValueError):
                notice = ""
            if notice != estate.NOTICE:
                raise DemoError(f"{directory} does not look like a pii-scan demo; choose another --dir")
        for name in _OURS:
            p = directory / name
            if name == "pii-scan.key":
                continue  # keep the key: it is only a key, and the new data map is bound to it
            if p.is_dir():
                shutil.rmtree(p)
            elif p.exists():
                p.unlink()
    directory.mkdir(parents=True, exist_ok=True)


def run_demo(
    directory: str | Path = DEFAULT_DIR,
    *,
    scheduler: str | None = "sync",
    workers: int | None = None,
    customers: int = 200,
    seed: int = 1,
    progress: bool = True,
) -> DemoReport:
    """Build the demo estate in ``directory``, scan it and look up the demo customer."""
    import sqlalchemy as sa

    from pii_scan.config import load
    from pii_scan.datamap import DataMap, findings_t, records_t
    from pii_scan.engine import scan
    from pii_scan.keys import load_keys
    from pii_scan.lookup import lookup

    d = Path(directory)
    prepare(d)
    # the showcase estate without the red-team traps (estate_recall and tests/test_estate.py use them)
    estate.build_estate(d, seed=seed, customers=customers, traps=False)
    cfg_path = d / "pii-scan.toml"
    cfg = load(cfg_path)
    summary = scan(cfg, scheduler=scheduler, workers=workers, full=True, progress=progress)
    dm = DataMap(cfg.datamap_url)
    try:
        counts: dict[tuple[str, str], int] = defaultdict(int)
        with dm.engine.connect() as c:
            q = (
                sa.select(records_t.c.store, findings_t.c.kind, sa.func.count())
                .join(records_t, records_t.c.rkey == findings_t.c.rkey)
                .group_by(records_t.c.store, findings_t.c.kind)
            )
            for store, kind, n in c.execute(q):
                counts[(store, kind)] = int(n)
            test = int(c.execute(sa.select(sa.func.count()).select_from(findings_t).where(findings_t.c.test_data.is_(True))).scalar_one())
        locs = lookup(dm, load_keys(cfg.key_file), "personnummer", DEMO_PERSONNUMMER)
    finally:
        dm.close()
    return DemoReport(
        directory=d,
        config=cfg_path,
        scheduler=scheduler or "local cluster",
        summary=summary.as_dict(),
        by_store_kind=dict(counts),
        test_data=test,
        failures=summary.failures,
        lookup=locs,
        lookup_command=f"pii-scan lookup --config {_shell_path(cfg_path)} --personnummer {DEMO_PERSONNUMMER}",
    )


def _shell_path(p: Path) -> str:
    import shlex

    return shlex.quote(str(p))


def format_report(r: DemoReport) -> str:
    """The demo's printed summary (values masked)."""
    s = r.summary
    out = [
        f"Demo estate (fictional data) in {r.directory}/: crm.sqlite (6 tables) and share/ (CSV, JSONL, XLSX, DOCX, "
        "PDF, HTML, logs, gzip, zip)",
        f"Scan ({r.scheduler}): {s['status']} - {s['units_total']} units, {s['units_scanned']} scanned, "
        f"{s['units_failed']} failed; {s['records']} records read, {s['findings']} findings, "
        f"{s['subjects']} subjects, {s['seconds']:.1f}s",
        "",
        "Findings per store and kind:",
    ]
    kinds = sorted({k for _, k in r.by_store_kind})
    stores = sorted({st for st, _ in r.by_store_kind})
    out.append("  " + f"{'kind':<14}" + "".join(f"{st:>8}" for st in stores) + f"{'total':>8}")
    for kind in kinds:
        row = [r.by_store_kind.get((st, kind), 0) for st in stores]
        out.append("  " + f"{kind:<14}" + "".join(f"{c:>8}" for c in row) + f"{sum(row):>8}")
    out.append(f"  ({r.test_data} of them are known test data: Skatteverket test numbers, PTS fiction numbers, "
               "test cards, example.com)")
    if r.failures:
        out.append("")
        out.append("Failed units:")
        for f in r.failures:
            read = f" (partly read: {f['records']} records read and mapped before it)" if f.get("records") else ""
            out.append(f"  {f['source']} {f['unit']}: {f['reason']}{read}")
    out.append("")
    out.append(f"Lookup of the demo customer (personnummer {DEMO_PERSONNUMMER}, a Skatteverket test number):")
    if not r.lookup:
        out.append("  no locations found")
    counts: dict[str, int] = defaultdict(int)
    for n, l in enumerate(r.lookup):
        counts[l.reached] += 1
        if n < MAX_LOOKUP_LINES:
            where = f"{l.store}:{l.source}/{l.container}"
            out.append(f"  {l.reached:<8} {where:<44} {l.item:<12} {l.field:<26} {l.kind:<13} {l.masked}")
    if len(r.lookup) > MAX_LOOKUP_LINES:
        out.append(f"  ... {len(r.lookup) - MAX_LOOKUP_LINES} more (the command below lists them all)")
    if r.lookup:
        out.append("  " + ", ".join(f"{n} {k}" for k, n in counts.items()))
    out.append("")
    out.append("Try next:")
    out.append(f"  {r.lookup_command}")
    out.append(f"  pii-scan export --config {_shell_path(r.config)} --format csv -o findings.csv")
    return "\n".join(out)
