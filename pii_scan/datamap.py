"""The data map: a pointer index from identifiers (as keyed hashes) to locations.

It is not a copy of personal data. Per finding it stores the location, the
kind, a masked value, the HMAC of the canonical value and, optionally, the
value encrypted under the scan key. Any SQLAlchemy URL works: SQLite by
default, PostgreSQL for teams.

Tables (schema version in ``pii_meta``; :data:`UPGRADES` migrates older maps):

* ``scans``: one row per scan, with the detector versions and settings used;
* ``units``: every unit seen, its fingerprint, status (``done``/``failed``) and
  failure reason: a rescan skips unchanged ``done`` units and retries the rest;
* ``records``: located records that hold findings (a row, a line, a mail part),
  keyed by ``rkey`` = hash of (source, container, item);
* ``findings``: field, kind, subkind, value hash, masked value, confidence;
* ``refs``: foreign-key references from rows to rows (related locations);
* ``subjects``: value hash -> subject id, the connected components of values
  that occur together in structured records;
* ``dependencies``: schema facts from connectors (SQL foreign keys).

Each unit is written in one transaction that first removes what the unit
wrote before, so writing a unit twice gives the same map (idempotent), and a
crashed scan loses at most the units in flight.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

SCHEMA_VERSION = 1

metadata = sa.MetaData()

meta_t = sa.Table(
    "pii_meta", metadata,
    sa.Column("key", sa.String(64), primary_key=True),
    sa.Column("value", sa.Text, nullable=False),
)
scans_t = sa.Table(
    "scans", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("started_at", sa.DateTime, nullable=False),
    sa.Column("finished_at", sa.DateTime),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("settings", sa.Text, nullable=False),
    sa.Column("summary", sa.Text),
)
units_t = sa.Table(
    "units", metadata,
    sa.Column("unit_id", sa.String(32), primary_key=True),
    sa.Column("source", sa.String(200), nullable=False, index=True),
    sa.Column("key", sa.Text, nullable=False),
    sa.Column("store", sa.String(16), nullable=False),
    sa.Column("fingerprint", sa.String(64), nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("reason", sa.Text),
    sa.Column("records", sa.Integer, nullable=False, default=0),
    sa.Column("findings", sa.Integer, nullable=False, default=0),
    sa.Column("scan_id", sa.Integer),
    sa.Column("scanned_at", sa.DateTime),
    sa.Column("seconds", sa.Float),
)
records_t = sa.Table(
    "records", metadata,
    sa.Column("rkey", sa.String(32), primary_key=True),
    sa.Column("unit_id", sa.String(32), nullable=False, index=True),
    sa.Column("store", sa.String(16), nullable=False),
    sa.Column("source", sa.String(200), nullable=False),
    sa.Column("container", sa.Text, nullable=False),
    sa.Column("item", sa.Text, nullable=False),
    sa.Column("structured", sa.Boolean, nullable=False),
    sa.Column("record_date", sa.DateTime),
    # container/item with identifiers masked above; the originals encrypted here
    sa.Column("location_enc", sa.LargeBinary),
)
findings_t = sa.Table(
    "findings", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("rkey", sa.String(32), nullable=False, index=True),
    sa.Column("unit_id", sa.String(32), nullable=False, index=True),
    sa.Column("field", sa.Text, nullable=False),
    sa.Column("kind", sa.String(32), nullable=False),
    sa.Column("subkind", sa.String(32), nullable=False),
    sa.Column("value_hash", sa.String(64), nullable=False, index=True),
    sa.Column("masked", sa.String(200), nullable=False),
    sa.Column("confidence", sa.Float, nullable=False),
    sa.Column("test_data", sa.Boolean, nullable=False),
    sa.Column("inside", sa.String(32)),
    # the field holds this value as data (a column email), not mentioned in free text
    sa.Column("linkable", sa.Boolean, nullable=False, default=False),
    sa.Column("enc_value", sa.LargeBinary),
)
refs_t = sa.Table(
    "refs", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("unit_id", sa.String(32), nullable=False, index=True),
    sa.Column("rkey_from", sa.String(32), nullable=False),
    sa.Column("rkey_to", sa.String(32), nullable=False, index=True),
    sa.Column("store", sa.String(16), nullable=False),
    sa.Column("source", sa.String(200), nullable=False),
    sa.Column("container", sa.Text, nullable=False),
    sa.Column("item", sa.Text, nullable=False),
    sa.Column("via", sa.Text, nullable=False),
    sa.Column("location_enc", sa.LargeBinary),
)
subjects_t = sa.Table(
    "subjects", metadata,
    sa.Column("value_hash", sa.String(64), primary_key=True),
    sa.Column("subject", sa.String(64), nullable=False, index=True),
)
deps_t = sa.Table(
    "dependencies", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("source", sa.String(200), nullable=False, index=True),
    sa.Column("data", sa.Text, nullable=False),
)

# version -> callable(connection) that upgrades from version-1 to version
UPGRADES: dict[int, Any] = {}


@dataclass(slots=True)
class FoundValue:
    field: str
    kind: str
    subkind: str
    value_hash: str
    masked: str
    confidence: float
    test_data: bool
    inside: str | None
    enc_value: bytes | None = None
    linkable: bool = False


@dataclass(slots=True)
class RecordResult:
    """A located record as the worker hands it over: names already redacted.

    ``rkey`` is a keyed hash of the true (source, container, item), computed on
    the worker; ``container``/``item`` have any identifier in them masked, and
    ``location_enc`` holds the originals encrypted when anything was masked.
    """

    rkey: str
    store: str
    source: str
    container: str
    item: str
    structured: bool
    record_date: datetime | None
    location_enc: bytes | None = None
    findings: list[FoundValue] = field(default_factory=list)
    refs: list[tuple[str, str]] = field(default_factory=list)  # (rkey of the referenced record, via)


@dataclass(slots=True)
class UnitResult:
    """One unit's outcome. Before it is written, the engine sets ``unit_id`` (a
    keyed hash of source and key) and masks identifiers in ``key`` and ``error``."""

    source: str
    key: str
    store: str
    fingerprint: str
    records: list[RecordResult]
    rows: int
    error: str | None = None
    seconds: float = 0.0
    unit_id: str = ""


class DataMap:
    """Reads and writes one data map."""

    def __init__(self, url: str) -> None:
        self.url = url
        kw: dict[str, Any] = {}
        if url.startswith("sqlite"):
            kw["connect_args"] = {"timeout": 60}
        self.engine = sa.create_engine(url, **kw)
        if url.startswith("sqlite"):
            @sa.event.listens_for(self.engine, "connect")
            def _pragmas(dbapi_conn, _rec):  # noqa: ANN001
                cur = dbapi_conn.cursor()
                cur.execute("PRAGMA journal_mode=WAL")
                cur.execute("PRAGMA synchronous=NORMAL")
                cur.close()
        self._ensure_schema()

    def close(self) -> None:
        self.engine.dispose()

    # -- schema ------------------------------------------------------------------

    def _ensure_schema(self) -> None:
        metadata.create_all(self.engine)
        with self.engine.begin() as c:
            row = c.execute(sa.select(meta_t.c.value).where(meta_t.c.key == "schema_version")).first()
            if row is None:
                c.execute(meta_t.insert().values(key="schema_version", value=str(SCHEMA_VERSION)))
                return
            version = int(row[0])
            if version > SCHEMA_VERSION:
                raise RuntimeError(
                    f"data map schema version {version} is newer than this pii-scan ({SCHEMA_VERSION}); upgrade pii-scan"
                )
            for v in range(version + 1, SCHEMA_VERSION + 1):
                UPGRADES[v](c)
                c.execute(meta_t.update().where(meta_t.c.key == "schema_version").values(value=str(v)))

    def schema_version(self) -> int:
        with self.engine.connect() as c:
            return int(c.execute(sa.select(meta_t.c.value).where(meta_t.c.key == "schema_version")).scalar_one())

    def check_key(self, key_id: str) -> None:
        """Bind the map to one key: hashes under another key would silently never match."""
        with self.engine.begin() as c:
            row = c.execute(sa.select(meta_t.c.value).where(meta_t.c.key == "key_id")).first()
            if row is None:
                c.execute(meta_t.insert().values(key="key_id", value=key_id))
            elif row[0] != key_id:
                raise RuntimeError(
                    "this data map was written with another key (PII_SCAN_KEY / key file); "
                    "use that key, or scan into a new data map"
                )

    # -- scans and units ---------------------------------------------------------------

    def start_scan(self, settings: dict[str, Any]) -> int:
        with self.engine.begin() as c:
            res = c.execute(
                scans_t.insert().values(started_at=_now(), status="running", settings=json.dumps(settings, sort_keys=True))
            )
            return int(res.inserted_primary_key[0])

    def finish_scan(self, scan_id: int, status: str, summary: dict[str, Any]) -> None:
        with self.engine.begin() as c:
            c.execute(
                scans_t.update().where(scans_t.c.id == scan_id).values(
                    finished_at=_now(), status=status, summary=json.dumps(summary, sort_keys=True)
                )
            )

    def unit_states(self, source: str) -> dict[str, tuple[str, str]]:
        """unit id -> (fingerprint, status) of what the map holds for ``source``."""
        with self.engine.connect() as c:
            rows = c.execute(sa.select(units_t.c.unit_id, units_t.c.fingerprint, units_t.c.status).where(units_t.c.source == source))
            return {k: (fp, st) for k, fp, st in rows}

    def record_dependencies(self, source: str, deps: Sequence[dict[str, Any]]) -> None:
        with self.engine.begin() as c:
            c.execute(deps_t.delete().where(deps_t.c.source == source))
            if deps:
                c.execute(deps_t.insert(), [{"source": source, "data": json.dumps(d, sort_keys=True)} for d in deps])

    def forget_units(self, unit_ids: Iterable[str]) -> int:
        """Remove units (and what they wrote) that no longer exist in their source."""
        n = 0
        with self.engine.begin() as c:
            for uid in unit_ids:
                for t in (findings_t, refs_t, records_t, units_t):
                    c.execute(t.delete().where(t.c.unit_id == uid))
                n += 1
            if n:
                self._set_stale(c, "1")
        return n

    def write_unit(self, scan_id: int, res: UnitResult) -> int:
        """Write one unit's findings in one transaction, replacing what it wrote before."""
        uid = res.unit_id
        if not uid:
            raise ValueError("UnitResult.unit_id must be set before writing")
        rec_rows: list[dict[str, Any]] = []
        find_rows: list[dict[str, Any]] = []
        ref_rows: list[dict[str, Any]] = []
        seen_r: set[str] = set()
        seen_f: set[tuple[str, str, str, str]] = set()
        for r in res.records:
            rk = r.rkey
            if r.findings and rk not in seen_r:
                seen_r.add(rk)
                rec_rows.append(
                    {"rkey": rk, "unit_id": uid, "store": r.store, "source": r.source, "container": r.container,
                     "item": r.item, "structured": r.structured, "record_date": r.record_date,
                     "location_enc": r.location_enc}
                )
            for f in r.findings:
                k = (rk, f.field, f.kind, f.value_hash)
                if k in seen_f:
                    continue
                seen_f.add(k)
                find_rows.append(
                    {"rkey": rk, "unit_id": uid, "field": f.field, "kind": f.kind, "subkind": f.subkind,
                     "value_hash": f.value_hash, "masked": f.masked, "confidence": f.confidence,
                     "test_data": f.test_data, "inside": f.inside, "enc_value": f.enc_value,
                     "linkable": f.linkable}
                )
            for rkey_to, via in r.refs:
                ref_rows.append(
                    {"unit_id": uid, "rkey_from": rk, "rkey_to": rkey_to, "store": r.store, "source": r.source,
                     "container": r.container, "item": r.item, "via": via, "location_enc": r.location_enc}
                )
        with self.engine.begin() as c:
            for t in (findings_t, refs_t, records_t):
                c.execute(t.delete().where(t.c.unit_id == uid))
            if rec_rows:
                c.execute(records_t.insert(), rec_rows)
            if find_rows:
                c.execute(findings_t.insert(), find_rows)
            if ref_rows:
                c.execute(refs_t.insert(), ref_rows)
            c.execute(units_t.delete().where(units_t.c.unit_id == uid))
            self._set_stale(c, "1")
            c.execute(
                units_t.insert().values(
                    unit_id=uid, source=res.source, key=res.key, store=res.store, fingerprint=res.fingerprint,
                    status="failed" if res.error else "done", reason=res.error, records=res.rows,
                    findings=len(find_rows), scan_id=scan_id, scanned_at=_now(), seconds=res.seconds,
                )
            )
        return len(find_rows)

    def record_failure(self, scan_id: int, unit_id: str, source: str, key: str, store: str, reason: str) -> None:
        self.write_unit(scan_id, UnitResult(source, key, store, "", [], 0, error=reason, unit_id=unit_id))

    # -- subjects ----------------------------------------------------------------------

    HUB_LIMIT = 3  # a value seen with more distinct values of one kind than this is shared, not personal

    def link_subjects(self) -> int:
        """Group values that occur together in structured records into subjects.

        Only *linkable* findings link: values that a field holds as data (a
        column ``email``), not values mentioned in free text, even free text
        stored in a table row (a ticket body naming two customers).

        A value that occurs with more than :attr:`HUB_LIMIT` distinct values of
        one kind (a switchboard number on every employee row, a shared
        mailbox) does not link: it would merge unrelated people. Returns the
        number of subjects.
        """
        f1, f2, r = findings_t.alias("f1"), findings_t.alias("f2"), records_t.alias("r")
        with self.engine.begin() as c:
            c.execute(subjects_t.delete())
            c.execute(
                subjects_t.insert().from_select(
                    ["value_hash", "subject"],
                    sa.select(findings_t.c.value_hash, findings_t.c.value_hash).distinct(),
                )
            )
            # co-occurrence pairs in structured records
            pairs = (
                sa.select(f1.c.value_hash.label("a"), f2.c.value_hash.label("b"), f2.c.kind.label("bkind"))
                .join(f2, f2.c.rkey == f1.c.rkey)
                .join(r, r.c.rkey == f1.c.rkey)
                .where(
                    r.c.structured.is_(True), f1.c.linkable.is_(True), f2.c.linkable.is_(True),
                    f1.c.value_hash != f2.c.value_hash,
                )
                .distinct()
                .subquery()
            )
            # one pass over the pairs: partners of each value by kind, for the hub test
            partners: dict[str, dict[str, set[str]]] = {}
            for a, b, bkind in c.execution_options(yield_per=50_000).execute(sa.select(pairs.c.a, pairs.c.b, pairs.c.bkind)):
                partners.setdefault(a, {}).setdefault(bkind, set()).add(b)
            hubs = {a for a, by_kind in partners.items() if any(len(bs) > self.HUB_LIMIT for bs in by_kind.values())}
            edges: dict[str, set[str]] = {}
            for a, by_kind in partners.items():
                if a in hubs:
                    continue
                for bs in by_kind.values():
                    for b in bs:
                        if b not in hubs:
                            edges.setdefault(a, set()).add(b)
            del partners
            # union-find over the (bounded: personal values have few partners) edge list
            parent: dict[str, str] = {}

            def find(x: str) -> str:
                while parent.get(x, x) != x:
                    parent[x] = parent.get(parent[x], parent[x])
                    x = parent[x]
                return x

            for a, bs in edges.items():
                for b in bs:
                    ra, rb = find(a), find(b)
                    if ra != rb:
                        lo, hi = sorted((ra, rb))
                        parent[hi] = lo
            updates = [{"h": x, "s": find(x)} for x in parent if find(x) != x]
            if updates:
                c.execute(
                    subjects_t.update().where(subjects_t.c.value_hash == sa.bindparam("h")).values(subject=sa.bindparam("s")),
                    updates,
                )
            self._set_stale(c, "0")
            return int(c.execute(sa.select(sa.func.count(sa.distinct(subjects_t.c.subject)))).scalar_one())

    def subjects_stale(self) -> bool:
        """True when units were written (or removed) since subjects were last linked.

        The flag is set in the same transaction as the write, so a scan killed
        before linking leaves it set and the next scan links even if it has
        nothing new to read.
        """
        with self.engine.connect() as c:
            row = c.execute(sa.select(meta_t.c.value).where(meta_t.c.key == "subjects_stale")).first()
            return row is not None and row[0] == "1"

    @staticmethod
    def _set_stale(c: sa.Connection, value: str) -> None:
        if c.execute(sa.select(meta_t.c.key).where(meta_t.c.key == "subjects_stale")).first() is None:
            c.execute(meta_t.insert().values(key="subjects_stale", value=value))
        else:
            c.execute(meta_t.update().where(meta_t.c.key == "subjects_stale").values(value=value))

    # -- reading -----------------------------------------------------------------------

    def failed_units(self) -> list[dict[str, Any]]:
        with self.engine.connect() as c:
            rows = c.execute(
                sa.select(units_t.c.source, units_t.c.key, units_t.c.reason).where(units_t.c.status == "failed")
                .order_by(units_t.c.source, units_t.c.key)
            )
            return [dict(r._mapping) for r in rows]

    def counts(self) -> dict[str, int]:
        with self.engine.connect() as c:
            return {
                "units": c.execute(sa.select(sa.func.count()).select_from(units_t)).scalar_one(),
                "failed_units": c.execute(sa.select(sa.func.count()).select_from(units_t).where(units_t.c.status == "failed")).scalar_one(),
                "records": c.execute(sa.select(sa.func.count()).select_from(records_t)).scalar_one(),
                "findings": c.execute(sa.select(sa.func.count()).select_from(findings_t)).scalar_one(),
                "subjects": c.execute(sa.select(sa.func.count(sa.distinct(subjects_t.c.subject)))).scalar_one(),
            }

    def iter_findings(self, batch: int = 10_000) -> Iterator[dict[str, Any]]:
        """Every finding with its location and subject, streamed."""
        q = (
            sa.select(
                records_t.c.store, records_t.c.source, records_t.c.container, records_t.c.item, findings_t.c.field,
                findings_t.c.kind, findings_t.c.subkind, findings_t.c.masked, findings_t.c.confidence,
                findings_t.c.test_data, findings_t.c.inside, findings_t.c.enc_value, findings_t.c.value_hash,
                subjects_t.c.subject,
            )
            .join(records_t, records_t.c.rkey == findings_t.c.rkey)
            .join(subjects_t, subjects_t.c.value_hash == findings_t.c.value_hash, isouter=True)
            .order_by(findings_t.c.id)
        )
        with self.engine.connect() as c:
            result = c.execution_options(stream_results=True, yield_per=batch).execute(q)
            for row in result:
                yield dict(row._mapping)


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)
