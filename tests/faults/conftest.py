"""Shared parts of the fault tests: a fictional estate, scans, a normalised data map dump, fault hooks.

Every fault test follows one pattern: scan an estate undisturbed into a
reference data map, scan it again while a real fault hits (a killed worker, a
terminated backend, a server killed and restarted, an endpoint stopped, a
dropped IMAP connection, a killed scan process), let the scan finish or run
it again, and compare the two maps with :func:`map_dump` (every record,
finding, reference and the partition of values into subjects) while
:func:`assert_accounted` checks that no unit was silently lost.

The faults are real; only their *timing* is hooked: :func:`fault_after`
wraps a connector class's ``read`` so that the fault is injected after a
given number of records of a unit, which puts it mid-table (or mid-mailbox)
on every run instead of by luck.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from random import Random
from typing import Any

import pytest
import sqlalchemy as sa

from detectors.checksums import luhn_check_digit
from pii_scan.config import Config, load
from pii_scan.datamap import DataMap, findings_t, records_t, refs_t, subjects_t, units_t
from pii_scan.engine import EXIT_COMPLETE, EXIT_FAILED, EXIT_PARTIAL, ScanSummary, scan
from pii_scan.keys import load_keys

def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """PyMySQL's unbuffered result drains a dead connection when it is garbage-collected and reports
    that as an unraisable exception, in whichever test the collection happens: driver noise after a
    killed server, not a failure of the scan."""
    mark = pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
    for item in items:
        if "faults" in item.nodeid.split("::")[0]:
            item.add_marker(mark)


# --- fictional people ---------------------------------------------------------------------------------

_FIRST = ("Test", "Anna", "Erik", "Sara", "Nils", "Karin", "Olof", "Maja", "Sven", "Lina", "Gösta", "Åsa")
_LAST = ("Testsson", "Provsson", "Exempelsson", "Fiktiv", "Påhittad", "Modell", "Mönster", "Dummy")


@dataclass(frozen=True)
class Person:
    """A made-up person: name, a checksum-valid personnummer, an example.* address, a PTS fiction number."""

    name: str
    pnr: str  # YYYYMMDD-NNNN
    email: str
    phone: str


def people(n: int, seed: int = 7) -> list[Person]:
    """``n`` fictional people; personnummer are generated with valid check digits, never taken from anyone."""
    rng = Random(seed)
    out: list[Person] = []
    used: set[str] = set()
    while len(out) < n:
        birth = date(1940, 1, 1) + timedelta(days=rng.randrange(0, 60 * 365))
        short = f"{birth:%y%m%d}{rng.randint(100, 999):03d}"
        pnr = f"{birth:%Y%m%d}-{short[6:]}{luhn_check_digit(short)}"
        if pnr in used:
            continue
        used.add(pnr)
        i = len(out)
        first, last = _FIRST[i % len(_FIRST)], _LAST[(i // len(_FIRST)) % len(_LAST)]
        email = f"{first.lower().replace('ö', 'o').replace('å', 'a')}.{last.lower().replace('å', 'a').replace('ö', 'o')}{i}@example.se"
        phone = f"070-174 06 {i % 100:02d}"  # PTS: 070-174 06 00..99 are reserved for fiction
        out.append(Person(f"{first} {last}", pnr, email, phone))
    return out


# --- configs and scans ----------------------------------------------------------------------------------


def _toml_value(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return repr(v)
    if isinstance(v, str):
        return '"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(_toml_value(x) for x in v) + "]"
    raise TypeError(type(v))


def write_config(path: Path, sources: Sequence[Mapping[str, Any]], *, datamap: str, key_file: Path,
                 scan_opts: Mapping[str, Any] | None = None) -> Path:
    """A pii-scan.toml at ``path`` with these sources; every map of a test shares ``key_file``."""
    lines = ["[datamap]", f"url = {_toml_value(datamap)}", f"key_file = {_toml_value(str(key_file))}", ""]
    if scan_opts:
        lines += ["[scan]", *(f"{k} = {_toml_value(v)}" for k, v in scan_opts.items()), ""]
    for s in sources:
        lines.append("[[sources]]")
        lines += [f"{k} = {_toml_value(v)}" for k, v in s.items()]
        lines.append("")
    path.write_text("\n".join(lines), "utf-8")
    return path


@dataclass
class Estate:
    """Where a test's configs and maps live; :meth:`config` writes one config per map."""

    root: Path
    sources: list[dict[str, Any]] = field(default_factory=list)

    @property
    def key_file(self) -> Path:
        return self.root / "pii-scan.key"

    def map_url(self, name: str) -> str:
        return f"sqlite:///{self.root / (name + '.sqlite')}"

    def config(self, name: str, **scan_opts: Any) -> Config:
        path = write_config(self.root / f"{name}.toml", self.sources, datamap=self.map_url(name),
                            key_file=self.key_file, scan_opts=scan_opts or None)
        return load(path)


@pytest.fixture
def estate(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Estate:
    monkeypatch.delenv("PII_SCAN_KEY", raising=False)  # one key file per test, shared by its maps
    return Estate(tmp_path)


def run(cfg: Config, **kw: Any) -> ScanSummary:
    """A scan in this process (``--scheduler sync`` unless told otherwise), no progress bar."""
    kw.setdefault("scheduler", "sync")
    return scan(cfg, progress=False, **kw)


# --- the normalised dump ----------------------------------------------------------------------------------


def map_dump(url: str, key_file: Path) -> dict[str, Any]:
    """A data map as comparable sets: what two scans of the same estate must agree on.

    * ``units``: (source, key, fingerprint, status, records read, findings);
    * ``records``: (source, container, item, true location decrypted, structured, record date);
    * ``findings``: (source, container, item, field, kind, subkind, value_hash, masked,
      confidence, test_data, inside, linkable);
    * ``refs``: (source, container, item, via, rkey of the referenced record);
    * ``subjects``: the partition of value hashes into subjects (ids ignored);
    * ``indexes``: (table, index name, columns) of every index (a scan killed mid-way must
      not leave the map without the indexes lookups need).

    Row ids, scan ids, times and the random nonces of encrypted values are left out.
    """
    keys = load_keys(key_file)
    dm = DataMap(url)
    try:
        with dm.engine.connect() as c:
            units = {
                (r.source, r.key, r.fingerprint, r.status, r.records, r.findings)
                for r in c.execute(sa.select(units_t))
            }
            loc = {}
            records = set()
            for r in c.execute(sa.select(records_t)):
                true = keys.decrypt(r.location_enc) if r.location_enc else None
                loc[r.rkey] = (r.source, r.container, r.item)
                records.add((r.source, r.container, r.item, true, bool(r.structured),
                             r.record_date.isoformat() if r.record_date else None))
            findings = set()
            for f in c.execute(sa.select(findings_t)):
                findings.add((*loc[f.rkey], f.field, f.kind, f.subkind, f.value_hash, f.masked, f.confidence,
                              bool(f.test_data), f.inside, bool(f.linkable)))
            refs = {(r.source, r.container, r.item, r.via, r.rkey_to) for r in c.execute(sa.select(refs_t))}
            groups: dict[str, set[str]] = {}
            for s in c.execute(sa.select(subjects_t)):
                groups.setdefault(s.subject, set()).add(s.value_hash)
            subjects = {frozenset(g) for g in groups.values()}
            insp = sa.inspect(c)
            indexes = {(t, ix["name"], tuple(ix["column_names"])) for t in insp.get_table_names()
                       for ix in insp.get_indexes(t)}
    finally:
        dm.close()
    return {"units": units, "records": records, "findings": findings, "refs": refs, "subjects": subjects,
            "indexes": indexes}


def assert_same_map(got: dict[str, Any], want: dict[str, Any]) -> None:
    """Equal dumps, or a message naming what differs (counts and a few examples)."""
    problems = []
    for part in want:
        missing, extra = want[part] - got[part], got[part] - want[part]
        if missing or extra:
            problems.append(f"{part}: {len(missing)} missing, {len(extra)} extra "
                            f"(e.g. missing {sorted(map(str, missing))[:2]}, extra {sorted(map(str, extra))[:2]})")
    assert not problems, "data map differs from the undisturbed scan:\n" + "\n".join(problems)


def assert_accounted(cfg: Config, summary: ScanSummary, *, listed: int) -> list[dict[str, Any]]:
    """No unit silently lost: every listed unit is in the map as done, or failed with a reason that the summary lists.

    Returns the failed units. Checks the exit code: 0 when none failed, 3 (partial) when some did (or all did after reading records), 1 when every unit failed and nothing was read.
    """
    dm = DataMap(cfg.datamap_url)
    try:
        with dm.engine.connect() as c:
            rows = [dict(r._mapping) for r in c.execute(sa.select(units_t.c.source, units_t.c.key, units_t.c.status, units_t.c.reason))]
    finally:
        dm.close()
    assert len(rows) == listed, f"{listed} units listed, {len(rows)} in the map"
    assert summary.units_total == listed
    failed = [r for r in rows if r["status"] != "done"]
    for r in failed:
        assert r["status"] == "failed" and r["reason"], r
    assert sorted((f["source"], f["unit"], f["reason"]) for f in summary.failures) == sorted(
        (r["source"], r["key"], r["reason"]) for r in failed)
    assert summary.units_failed == len(failed)
    if not failed:
        assert summary.exit_code == EXIT_COMPLETE
    elif len(failed) < summary.units_total - summary.units_skipped or summary.records:
        assert summary.exit_code == EXIT_PARTIAL  # some units failed, or all failed after reading records
    else:  # nothing could be read
        assert summary.exit_code == EXIT_FAILED
    return failed


# --- injecting a fault at a chosen point ---------------------------------------------------------------------


@dataclass
class Fault:
    """A fault fired once, after ``after`` records of the ``unit``-th unit read (0-based, in reading order)."""

    action: Callable[[], None]
    after: int
    unit: int = 0
    fired: bool = False
    units_seen: int = 0


def fault_after(monkeypatch: pytest.MonkeyPatch, cls: type, fault: Fault) -> Fault:
    """Wrap ``cls.read`` (in this process: use ``scheduler="sync"``) so that ``fault.action`` runs mid-unit, once."""
    original = getattr(cls.read, "fault_original", cls.read)  # a second fault replaces the first

    def read(self: Any, unit: Any) -> Iterator[Any]:
        index = fault.units_seen
        fault.units_seen += 1
        n = 0
        for rec in original(self, unit):
            yield rec
            n += 1
            if not fault.fired and index == fault.unit and n == fault.after:
                fault.fired = True
                fault.action()

    read.fault_original = original  # type: ignore[attr-defined]
    monkeypatch.setattr(cls, "read", read)
    return fault


def sql_rows(n: int, seed: int = 7) -> list[dict[str, Any]]:
    """Customer rows: a personnummer, an address and a phone each, and a note of free text."""
    out = []
    for i, p in enumerate(people(n, seed), 1):
        out.append({"id": i, "name": p.name, "personnummer": p.pnr, "email": p.email,
                    "phone": p.phone if i % 3 == 0 else None,
                    "note": f"Kundnummer {100000 + i}; kontakta via {p.email}" if i % 5 == 0 else "ingen anteckning"})
    return out


_FILLER = "lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod tempor incididunt ut labore "


def create_customers(url: str, n: int, seed: int = 7, pad: int = 0) -> None:
    """Tables ``customers`` (``n`` rows) and ``orders`` (a foreign key to it) in the database at ``url``.

    ``pad`` adds a column of that many characters of filler text (no identifiers) to each
    customer row: a table larger than the socket buffers between server and scanner, so a
    server killed mid-table has rows left unsent.
    """
    eng = sa.create_engine(url)
    md = sa.MetaData()
    cust = sa.Table("customers", md, sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
                    sa.Column("name", sa.String(80)), sa.Column("personnummer", sa.String(20)),
                    sa.Column("email", sa.String(120)), sa.Column("phone", sa.String(30)), sa.Column("note", sa.Text),
                    *([sa.Column("pad", sa.Text)] if pad else []))
    orders = sa.Table("orders", md, sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
                      sa.Column("customer_id", sa.Integer, sa.ForeignKey("customers.id")), sa.Column("text", sa.Text))
    try:
        md.create_all(eng)
        rows = sql_rows(n, seed)
        if pad:
            filler = (_FILLER * (pad // len(_FILLER) + 1))[:pad]
            rows = [dict(r, pad=filler) for r in rows]
        with eng.begin() as c:
            c.execute(cust.insert(), rows)
            c.execute(orders.insert(), [{"id": 10 * r["id"], "customer_id": r["id"], "text": "order"} for r in rows[: n // 4]])
    finally:
        eng.dispose()



def write_share(root: Path, files: int, rows: int, seed: int = 5) -> Path:
    """A file share of ``files`` CSV exports of ``rows`` fictional customers each (one unit per file)."""
    root.mkdir(parents=True, exist_ok=True)
    ps = people(files * rows, seed)
    for i in range(files):
        lines = ["Namn;Personnummer;E-post;Telefon;Anteckning"]
        for j, p in enumerate(ps[i * rows:(i + 1) * rows]):
            lines.append(f"{p.name};{p.pnr};{p.email};{p.phone};kund sedan {2000 + j % 20}, inga synpunkter")
        (root / f"export-{i:03d}.csv").write_text("\n".join(lines) + "\n", "utf-8")
    return root
