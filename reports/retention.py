"""Retention report: personal data kept longer than the config says it may be.

``pii-scan report retention --config F [--format text|json|csv] [--now ISO]
[--limit-per-group N] [--output FILE]``

Every record of the data map (a row, a line, a file part, an object, a mail)
holds personal data and, where its store tells, a *record date*: the most recent
of a row's date columns (configured ``date_columns``, else recognised names such
as ``created_at``/``updated_at``/``order_date``/``fakturadatum``, see
:mod:`connectors.sql`), a file's modification time, an S3 object's
LastModified, a mail's Date header. The config gives each location a retention
(:func:`pii_scan.policy.policy_for`: per source, per container pattern, and
``[[retention]]`` rules that may match a kind).

Rules, per record:

* its retention is the *shortest* retention set for any kind of data it holds
  (a row with an e-mail kept 3 years and a card number kept 13 months is due
  after 13 months: the card has to go, at least);
* it is **over retention** when ``now - record_date`` exceeds that retention;
  its *due* date is ``record_date + retention``;
* **no retention set**: none of its kinds has a retention in the config;
* **no date known**: a retention is set but the record has no date (a table
  without a recognised date column, say): a coverage gap to fix with
  ``date_columns``. A record with neither counts as *no retention set*.

Records over retention are grouped per source and container (a table, a file,
an object, a mailbox): how many, the oldest and newest record date, the
retention(s) and their basis, the kinds held, and the records themselves (the
masked item, the fields with their kinds and masked values, the record date and
due date), oldest first. The text form lists at most ``--limit-per-group``
records per group; JSON and CSV list them all. The report reads the data map
in two streamed passes (counts, then the overdue records, pre-filtered in SQL by
the earliest possible cut-off), so memory does not grow with the number of
findings, only with the number of containers that have something to report.

No plaintext identifiers: containers, items and values are shown as the data
map holds them (masked). Container patterns in the config are matched against
the true container name (decrypted from the map when it was masked, with the
scan key); without the key they are matched against the masked name and the
report says so.
"""

from __future__ import annotations

import csv
import json
import os
import sys
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import IO, Any

import sqlalchemy as sa

from pii_scan.config import Config, ConfigError
from pii_scan.datamap import DataMap, findings_t, meta_t, records_t
from pii_scan.policy import Policy, check, parse_duration, policy_for

DEFAULT_LIMIT = 20
OVER = "over retention"
WITHIN = "within retention"
NO_RETENTION = "no retention set"
NO_DATE = "no date known"
CSV_COLUMNS = (
    "store", "source", "container", "item", "field", "kinds", "values", "record_date", "retention",
    "retention_basis", "legal_basis", "due", "overdue_days",
)
_POLICY_CACHE_MAX = 100_000
GAP_CONTAINERS_MAX = 100_000  # containers listed per source and gap; records beyond are counted only
_PROGRESS_EVERY = 1_000_000


class RetentionError(ConfigError):
    """The report cannot be made (no data map, a bad option). Shown as a clean CLI error."""


# --------------------------------------------------------------------------- model


@dataclass
class Overdue:
    """One record over its retention, as the report lists it (names and values masked)."""

    store: str
    source: str
    container: str
    item: str
    record_date: datetime
    policy: Policy
    fields: dict[str, set[str]] = field(default_factory=dict)
    values: list[tuple[str, str, str]] = field(default_factory=list)  # (field, kind, masked)

    @property
    def due(self) -> datetime:
        assert self.policy.retention is not None
        return self.record_date + self.policy.retention

    def overdue_days(self, now: datetime) -> int:
        return (now - self.due).days

    def as_dict(self, now: datetime) -> dict[str, Any]:
        return {
            "store": self.store, "source": self.source, "container": self.container, "item": self.item,
            "field": ",".join(sorted(self.fields)),
            "fields": {f: sorted(k) for f, k in sorted(self.fields.items())},
            "values": [{"field": f, "kind": k, "masked": m} for f, k, m in self.values],
            "record_date": _iso(self.record_date),
            "retention": self.policy.retention_text,
            "retention_basis": self.policy.retention_basis,
            "legal_basis": self.policy.legal_basis,
            "due": self.due.date().isoformat(),
            "overdue_days": self.overdue_days(now),
        }


@dataclass
class Group:
    """One source + container with records over retention."""

    store: str
    source: str
    container: str
    records: int = 0  # all records of the container in the map
    over: int = 0
    oldest: datetime | None = None
    newest: datetime | None = None
    kinds: set[str] = field(default_factory=set)
    retentions: Counter[Policy] = field(default_factory=Counter)
    listed: list[Overdue] = field(default_factory=list)  # text form only, up to the limit

    def add(self, rec_date: datetime, kinds: frozenset[str], p: Policy) -> None:
        self.over += 1
        if self.oldest is None or rec_date < self.oldest:
            self.oldest = rec_date
        if self.newest is None or rec_date > self.newest:
            self.newest = rec_date
        if not kinds <= self.kinds:
            self.kinds |= kinds
        self.retentions[p] += 1

    def header(self) -> dict[str, Any]:
        return {
            "store": self.store, "source": self.source, "container": self.container,
            "records": self.records, "over_retention": self.over,
            "oldest": _iso(self.oldest), "newest": _iso(self.newest),
            "retention": [
                {"retention": p.retention_text, "days": round(p.retention.total_seconds() / 86400, 2),  # type: ignore[union-attr]
                 "basis": p.retention_basis, "legal_basis": p.legal_basis, "records": n}
                for p, n in sorted(self.retentions.items(),
                                   key=lambda x: (x[0].retention, x[0].retention_text, x[0].retention_basis, x[0].legal_basis))
            ],
            "kinds": sorted(self.kinds),
        }


@dataclass
class SourceCounts:
    source: str
    store: str
    records: int = 0
    over: int = 0
    within: int = 0
    no_retention: int = 0
    no_date: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {"source": self.source, "store": self.store, "records": self.records, "over_retention": self.over,
                "within_retention": self.within, "no_retention_set": self.no_retention, "no_date_known": self.no_date}


@dataclass
class Report:
    """What pass 1 found: counts per source, groups with overdue records, coverage gaps."""

    now: datetime
    sources: dict[str, SourceCounts] = field(default_factory=dict)
    groups: dict[tuple[str, str], Group] = field(default_factory=dict)
    gaps: dict[tuple[str, str, str], list[Any]] = field(default_factory=dict)  # (reason, source, container) -> [store, n]
    gap_containers: Counter[tuple[str, str]] = field(default_factory=Counter)  # (reason, source) -> containers listed
    gap_unlisted: dict[tuple[str, str], list[Any]] = field(default_factory=dict)  # (reason, source) -> [store, n]
    notes: list[str] = field(default_factory=list)

    def total(self, attr: str) -> int:
        return sum(getattr(s, attr) for s in self.sources.values())


# --------------------------------------------------------------------------- policies


class _Policies:
    """The effective policy of a record, cached per (source, container, kinds)."""

    def __init__(self, cfg: Config) -> None:
        self.cfg = cfg
        self.cache: dict[tuple[str, str, str], tuple[Policy | None, frozenset[str]]] = {}

    def effective(self, source: str, container: str, kinds: str) -> tuple[Policy | None, frozenset[str]]:
        """(the policy with the shortest retention among the record's kinds, or None when none sets
        one; the kinds as a set) for ``kinds`` joined with commas."""
        k = (source, container, kinds)
        hit = self.cache.get(k)
        if hit is None:
            if len(self.cache) >= _POLICY_CACHE_MAX:
                self.cache.clear()
            ks = frozenset(kinds.split(","))
            best: Policy | None = None
            for kind in sorted(ks):
                p = policy_for(self.cfg, source, container, kind)
                if p.retention is not None and (best is None or p.retention < best.retention):  # type: ignore[operator]
                    best = p
            hit = self.cache[k] = (best, ks)
        return hit


def shortest_retention(cfg: Config) -> timedelta | None:
    """The shortest retention anywhere in the config: no record younger than that can be over."""
    found: list[timedelta] = []

    def take(table: Any) -> None:
        if isinstance(table, dict):
            for key in ("retention", "keep"):
                d = parse_duration(table.get(key))
                if d is not None:
                    found.append(d)

    for s in cfg.sources:
        take(s.options)
        for sub in (s.options.get("containers") or {}).values():
            take(sub)
    for rule in cfg.raw.get("retention", []) or []:
        take(rule)
    return min(found) if found else None


# --------------------------------------------------------------------------- reading the map


class _Names:
    """True container names for policy matching (decrypted with the scan key where masked)."""

    def __init__(self, cfg: Config, dm: DataMap, report: Report) -> None:
        self.cfg, self.dm, self.report = cfg, dm, report
        self.keys: Any = None
        self.tried = False
        self.unreadable = 0

    def _load(self) -> None:
        self.tried = True
        from pii_scan.keys import KeyError_, load_keys

        if not os.environ.get("PII_SCAN_KEY") and not self.cfg.key_file.exists():
            return  # never create a key here: it would not be the map's
        try:
            keys = load_keys(self.cfg.key_file)
        except KeyError_:
            return
        with self.dm.engine.connect() as c:
            kid = c.execute(sa.select(meta_t.c.value).where(meta_t.c.key == "key_id")).scalar()
        if kid is None or kid == keys.fingerprint():
            self.keys = keys

    def container(self, masked: str, enc: bytes | None) -> str:
        if enc is None:
            return masked
        if not self.tried:
            self._load()
        if self.keys is not None:
            try:
                return str(self.keys.decrypt(bytes(enc)).split("\x1f", 1)[0])
            except Exception:  # noqa: BLE001 - a damaged blob: fall back to the masked name
                pass
        self.unreadable += 1
        return masked

    def note(self) -> None:
        if self.unreadable:
            self.report.notes.append(
                f"{_n(self.unreadable, 'record')} with a masked container name and the scan key not available "
                "(PII_SCAN_KEY / key file): container patterns were matched against the masked names for them"
            )


def _order(col: Any, dialect: str) -> Any:
    """Order by bytes on every backend (SQLite's default): PostgreSQL's default collation ignores
    punctuation and case, MariaDB's is case-insensitive, and a group must not be split by names
    that compare equal there (``A.txt``, ``a.txt``)."""
    if dialect == "postgresql":
        return col.collate("C")
    if dialect in ("mysql", "mariadb"):
        return sa.cast(col, sa.LargeBinary)
    return col


@contextmanager
def _stream(dm: DataMap, q: Any) -> Iterator[Any]:
    with dm.engine.connect() as c:
        yield c.execution_options(stream_results=True, yield_per=10_000).execute(q)


def _progress(enabled: bool) -> Callable[[int], None]:
    def tick(n: int) -> None:
        if enabled and n % _PROGRESS_EVERY == 0:
            print(f"retention: {n:,} records read", file=sys.stderr, flush=True)

    return tick


def _kinds_agg(dialect: str, col: Any) -> Any:
    """The record's kinds joined with commas, aggregated on the server; None where not known how."""
    if dialect in ("sqlite", "mysql", "mariadb"):
        return sa.func.group_concat(sa.distinct(col))
    if dialect == "postgresql":
        return sa.func.string_agg(sa.distinct(col), sa.literal_column("','"))
    return None


def _record_kinds(dm: DataMap) -> Iterator[tuple[str, str, str, datetime | None, bytes | None, str]]:
    """(source, container, store, record_date, location_enc, kinds) per record, streamed, in no order."""
    r, f = records_t, findings_t
    agg = _kinds_agg(dm.engine.dialect.name, f.c.kind)
    if agg is not None:
        kinds_of = sa.select(f.c.rkey, agg.label("kinds")).group_by(f.c.rkey).subquery("k")
        q = (sa.select(r.c.source, r.c.container, r.c.store, r.c.record_date, r.c.location_enc, kinds_of.c.kinds)
             .join(kinds_of, kinds_of.c.rkey == r.c.rkey))
        with _stream(dm, q) as rows:
            yield from rows
        return
    # other dialects: one row per record and kind, grouped here
    kinds_of = sa.select(f.c.rkey, f.c.kind).distinct().subquery("k")
    q = (sa.select(r.c.rkey, r.c.source, r.c.container, r.c.store, r.c.record_date, r.c.location_enc, kinds_of.c.kind)
         .join(kinds_of, kinds_of.c.rkey == r.c.rkey).order_by(r.c.rkey))
    with _stream(dm, q) as rows:
        cur: tuple[Any, ...] | None = None
        kinds: list[str] = []
        for rkey, source, container, store, rdate, enc, kind in rows:
            if cur is None or rkey != cur[0]:
                if cur is not None:
                    yield (*cur[1:], ",".join(sorted(kinds)))
                cur, kinds = (rkey, source, container, store, rdate, enc), []
            kinds.append(kind)
        if cur is not None:
            yield (*cur[1:], ",".join(sorted(kinds)))


def summarise(cfg: Config, dm: DataMap, now: datetime, *, progress: bool = False) -> Report:
    """Pass 1: classify every record (streamed, one row per record with its kinds aggregated in SQL)."""
    report = Report(now=now)
    pol = _Policies(cfg)
    names = _Names(cfg, dm, report)
    tick = _progress(progress)
    sources, groups = report.sources, report.groups
    for n, (source, container, store, rdate, enc, kinds) in enumerate(_record_kinds(dm), 1):
        tick(n)
        sc = sources.get(source)
        if sc is None:
            sc = sources[source] = SourceCounts(source, store)
        sc.records += 1
        p, kind_set = pol.effective(source, names.container(container, enc), kinds)
        if p is None:
            sc.no_retention += 1
            _gap(report, NO_RETENTION, source, container, store)
        elif rdate is None:
            sc.no_date += 1
            _gap(report, NO_DATE, source, container, store)
        elif now - rdate > p.retention:  # type: ignore[operator]
            sc.over += 1
            g = groups.get((source, container))
            if g is None:
                g = groups[(source, container)] = Group(store, source, container)
            g.add(rdate, kind_set, p)
        else:
            sc.within += 1
    # how many records each reported container holds in all (one GROUP BY on the server)
    if groups:
        _count_containers(dm, report)
    names.note()
    return report


def _count_containers(dm: DataMap, report: Report) -> None:
    r = records_t
    q = sa.select(r.c.source, r.c.container, sa.func.count()).group_by(r.c.source, r.c.container)
    with _stream(dm, q) as rows:
        for source, container, count in rows:
            g = report.groups.get((source, container))
            if g is not None:
                g.records = int(count)


def _gap(report: Report, reason: str, source: str, container: str, store: str) -> None:
    cell = report.gaps.get((reason, source, container))
    if cell is not None:
        cell[1] += 1
        return
    if report.gap_containers[(reason, source)] >= GAP_CONTAINERS_MAX:  # bounded memory: count only
        report.gap_unlisted.setdefault((reason, source), [store, 0])[1] += 1
        return
    report.gap_containers[(reason, source)] += 1
    report.gaps[(reason, source, container)] = [store, 1]


def overdue_records(cfg: Config, dm: DataMap, now: datetime) -> Iterator[Overdue]:
    """Pass 2: the records over retention with their fields and masked values, per source and
    container, oldest first. Only records older than the shortest retention in the config are read."""
    shortest = shortest_retention(cfg)
    if shortest is None:
        return
    cutoff = now - shortest
    pol = _Policies(cfg)
    names = _Names(cfg, dm, Report(now=now))
    dialect = dm.engine.dialect.name
    r, f = records_t, findings_t
    q = (
        sa.select(r.c.source, r.c.container, r.c.rkey, r.c.store, r.c.item, r.c.record_date, r.c.location_enc,
                  f.c.field, f.c.kind, f.c.masked)
        .join(f, f.c.rkey == r.c.rkey)
        .where(r.c.record_date.is_not(None), r.c.record_date < cutoff)
        .order_by(_order(r.c.source, dialect), _order(r.c.container, dialect), r.c.record_date,
                  _order(r.c.item, dialect), r.c.rkey, _order(f.c.field, dialect), f.c.kind,
                  _order(f.c.masked, dialect))
    )

    def finish(head: tuple[Any, ...], fields: dict[str, set[str]], values: list[tuple[str, str, str]]) -> Overdue | None:
        source, container, _rkey, store, item, rdate, enc = head
        kinds = ",".join(sorted({k for ks in fields.values() for k in ks}))
        p, _ = pol.effective(source, names.container(container, enc), kinds)
        if p is None or not (now - rdate > p.retention):  # type: ignore[operator]
            return None
        return Overdue(store, source, container, item, rdate, p, fields, values)

    with _stream(dm, q) as rows:
        head: tuple[Any, ...] | None = None
        fields: dict[str, set[str]] = {}
        values: list[tuple[str, str, str]] = []
        for source, container, rkey, store, item, rdate, enc, fld, kind, masked in rows:
            if head is None or rkey != head[2]:
                if head is not None and (o := finish(head, fields, values)) is not None:
                    yield o
                head, fields, values = (source, container, rkey, store, item, rdate, enc), {}, []
            fields.setdefault(fld, set()).add(kind)
            if not values or values[-1] != (fld, kind, masked):
                values.append((fld, kind, masked))
        if head is not None and (o := finish(head, fields, values)) is not None:
            yield o


# --------------------------------------------------------------------------- output


def _iso(d: datetime | date | None) -> str | None:
    if d is None:
        return None
    if isinstance(d, datetime) and d.time() == datetime.min.time():
        return d.date().isoformat()
    return d.isoformat()


def _day(d: datetime | None) -> str:
    return d.date().isoformat() if d else "-"


def _n(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def _basis(basis: str) -> str:
    return basis or "no basis given"


def write_json(cfg: Config, dm: DataMap, report: Report, out: IO[str]) -> None:
    """One JSON document; the overdue records stream inside their groups."""
    now = report.now
    head = {
        "report": "retention",
        "now": _iso(now),
        "summary": _summary(report),
        "sources": [s.as_dict() for _, s in sorted(report.sources.items())],
        "gaps": _gap_rows(report),
        "notes": report.notes,
    }
    text = json.dumps(head, ensure_ascii=False, indent=1).rstrip()
    out.write(text[:-1].rstrip() + ',\n "groups": [')  # the same object goes on with the streamed groups
    current: tuple[str, str] | None = None
    first_group = True
    first_rec = True
    for o in overdue_records(cfg, dm, now):
        k = (o.source, o.container)
        if k != current:
            if current is not None:
                out.write("\n  ]}")
            g = report.groups.get(k) or Group(o.store, o.source, o.container)  # (the map changed since pass 1)
            h = json.dumps(g.header(), ensure_ascii=False)
            out.write(("\n  " if first_group else ",\n  ") + h[:-1] + ', "locations": [')
            first_group, first_rec, current = False, True, k
        out.write(("\n   " if first_rec else ",\n   ") + json.dumps(o.as_dict(now), ensure_ascii=False))
        first_rec = False
    if current is not None:
        out.write("\n  ]}")
    out.write("\n ]\n}\n")


def write_csv(cfg: Config, dm: DataMap, report: Report, out: IO[str]) -> None:
    """One row per record over retention, oldest first per source and container."""
    w = csv.writer(out, lineterminator="\n")
    w.writerow(CSV_COLUMNS)
    for o in overdue_records(cfg, dm, report.now):
        d = o.as_dict(report.now)
        w.writerow([
            d["store"], d["source"], d["container"], d["item"], d["field"],
            " ".join(sorted({k for ks in o.fields.values() for k in ks})),
            "; ".join(f"{f}={m}" for f, _k, m in o.values),
            d["record_date"], d["retention"], d["retention_basis"], d["legal_basis"], d["due"], d["overdue_days"],
        ])


def write_text(cfg: Config, dm: DataMap, report: Report, out: IO[str], limit: int) -> None:
    """A readable report: summary, per source, the groups with up to ``limit`` records each, the gaps."""
    now = report.now
    for o in overdue_records(cfg, dm, now):
        g = report.groups.get((o.source, o.container))
        if g is not None and len(g.listed) < limit:
            g.listed.append(o)
    s = _summary(report)
    w = out.write
    w(f"Retention report, reference time {_iso(now)}\n")
    w("Names and values are masked as in the data map.\n\n")
    width = max(len(str(v)) for v in s.values()) if s else 1
    w(f"  records holding personal data  {s['records']:>{width}}\n")
    w(f"  over retention                 {s['over_retention']:>{width}}"
      f"   in {s['containers_over_retention']} container(s)\n")
    w(f"  within retention               {s['within_retention']:>{width}}\n")
    w(f"  no retention set               {s['no_retention_set']:>{width}}"
      "   (set retention per source, container or [[retention]] rule)\n")
    w(f"  no date known                  {s['no_date_known']:>{width}}"
      "   (tables without a recognised date column: set date_columns)\n")
    if report.sources:
        w("\nPer source\n")
        rows = [("source", "store", "records", "over", "within", "no retention", "no date")]
        rows += [(c.source, c.store, str(c.records), str(c.over), str(c.within), str(c.no_retention), str(c.no_date))
                 for _, c in sorted(report.sources.items())]
        w(_table(rows))
    groups = sorted(report.groups.values(), key=lambda g: (g.source, g.container))
    if groups:
        w("\nOver retention (per source and container, oldest first)\n")
    for g in groups:
        w(f"\n{g.source} / {g.container} ({g.store})\n")
        span = _day(g.oldest) if _day(g.oldest) == _day(g.newest) else f"{_day(g.oldest)} .. {_day(g.newest)}"
        w(f"  {g.over} of {_n(g.records, 'record')} over retention; record dates {span}\n")
        for r in g.header()["retention"]:
            legal = f"; legal basis: {r['legal_basis']}" if r["legal_basis"] else ""
            w(f"  retention {r['retention']} ({_basis(r['basis'])}{legal}): {_n(r['records'], 'record')}\n")
        w(f"  kinds: {', '.join(sorted(g.kinds))}\n")
        for o in g.listed:
            vals = ", ".join(f"{f or '(name)'}={m}" for f, _k, m in o.values)
            w(f"    {_day(o.record_date)}  due {o.due.date().isoformat()}  {o.item or '-'}  {vals}\n")
        if g.over > len(g.listed):
            w(f"    ... and {g.over - len(g.listed)} more (--limit-per-group, or --format json/csv for all)\n")
    for reason in (NO_RETENTION, NO_DATE):
        by_source: dict[str, list[tuple[str, str, str, int]]] = {}
        for (rs, src, cont), (store, n) in report.gaps.items():
            if rs == reason:
                by_source.setdefault(src, []).append((src, cont, store, n))
        for rs, src in report.gap_unlisted:
            if rs == reason:
                by_source.setdefault(src, [])
        if not by_source:
            continue
        w(f"\nCoverage gap: {reason} (records per container, largest first)\n")
        for src in sorted(by_source):
            items = sorted(by_source[src], key=lambda x: (-x[3], x[1]))
            store_, unlisted = report.gap_unlisted.get((reason, src)) or [items[0][2], 0]
            w(f"  {src} ({store_}): {_n(sum(x[3] for x in items) + unlisted, 'record')} in "
              f"{_n(len(items), 'container')}{' and more' if unlisted else ''}\n")
            for _s, cont, _st, n in items[:limit]:
                w(f"    {n:>7}  {cont}\n")
            if len(items) > limit:
                w(f"    ... and {len(items) - limit} more containers (--format json for all)\n")
            if unlisted:
                w(f"    ... and {_n(unlisted, 'record')} in containers past the first {GAP_CONTAINERS_MAX:,} "
                  "(counted, not listed)\n")
    for note in report.notes:
        w(f"\nNote: {note}\n")


def _summary(report: Report) -> dict[str, int]:
    return {
        "records": report.total("records"),
        "over_retention": report.total("over"),
        "within_retention": report.total("within"),
        "no_retention_set": report.total("no_retention"),
        "no_date_known": report.total("no_date"),
        "containers_over_retention": len(report.groups),
    }


def _gap_rows(report: Report) -> list[dict[str, Any]]:
    """One row per (reason, source, container); ``container`` null for the records of the
    containers past :data:`GAP_CONTAINERS_MAX` per source, which are counted only."""
    rows = [
        {"reason": reason, "source": src, "store": cell[0], "container": cont, "records": cell[1]}
        for (reason, src, cont), cell in sorted(report.gaps.items())
    ]
    rows += [
        {"reason": reason, "source": src, "store": cell[0], "container": None, "records": cell[1]}
        for (reason, src), cell in sorted(report.gap_unlisted.items())
    ]
    return rows


def _table(rows: Sequence[tuple[str, ...]]) -> str:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = []
    for r in rows:
        cells = [c.ljust(widths[i]) if i < 2 else c.rjust(widths[i]) for i, c in enumerate(r)]
        lines.append("  " + "  ".join(cells).rstrip() + "\n")
    return "".join(lines)


# --------------------------------------------------------------------------- entry point


def parse_now(text: str | None) -> datetime:
    """``--now``: an ISO date or date-time (aware ones converted to UTC); default: now, UTC."""
    if not text:
        return datetime.now(UTC).replace(tzinfo=None)
    try:
        d = datetime.fromisoformat(text.strip())
    except ValueError:
        raise RetentionError(f"--now: not an ISO date or date-time: {text!r}") from None
    return d.astimezone(UTC).replace(tzinfo=None) if d.tzinfo else d


def _open_map(cfg: Config) -> DataMap:
    url = cfg.datamap_url
    if url.startswith("sqlite"):
        db = sa.engine.make_url(url).database
        if db and db != ":memory:" and not db.startswith("file:") and not os.path.exists(db):
            raise RetentionError(f"no data map at {db}: run 'pii-scan scan' first")
    return DataMap(url)


def run(cfg: Config, *, fmt: str, output: str | None, now: str | datetime | None = None,
        limit_per_group: int = DEFAULT_LIMIT, progress: bool | None = None) -> int:
    """Write the retention report in ``fmt`` (text, json, csv) to ``output`` or stdout; exit code 0."""
    if fmt not in ("text", "json", "csv"):
        raise RetentionError(f"unknown format {fmt!r} (text, json, csv)")
    if limit_per_group < 0:
        raise RetentionError("--limit-per-group must be 0 or more")
    check(cfg)
    when = now if isinstance(now, datetime) else parse_now(now)
    if when.tzinfo is not None:
        when = when.astimezone(UTC).replace(tzinfo=None)
    if progress is None:
        progress = sys.stderr.isatty()
    dm = _open_map(cfg)
    try:
        report = summarise(cfg, dm, when, progress=progress) if fmt != "csv" else Report(now=when)
        out: IO[str] = sys.stdout
        if output:
            try:
                out = open(output, "w", encoding="utf-8", newline="")  # noqa: SIM115 - closed below
            except OSError as exc:
                raise RetentionError(f"cannot write {output}: {exc.strerror}") from None
        try:
            if fmt == "json":
                write_json(cfg, dm, report, out)
            elif fmt == "csv":
                write_csv(cfg, dm, report, out)
            else:
                write_text(cfg, dm, report, out, limit_per_group)
            out.flush()
        finally:
            if output:
                out.close()
    finally:
        dm.close()
    return 0
