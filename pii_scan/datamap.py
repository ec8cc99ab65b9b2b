"""The data map: a pointer index from identifiers (as keyed hashes) to locations.

It is not a copy of personal data. Per finding it stores the location, the
kind, a masked value, the HMAC of the canonical value and, optionally, the
value encrypted under the scan key. Any SQLAlchemy URL works: SQLite by
default, PostgreSQL for teams.

Tables (schema version in ``pii_meta``; :data:`UPGRADES` migrates older maps):

* ``scans``: one row per scan, with the detector versions and settings used,
  and the host, process id and process start time of the scanning process
  (so that a later scan can tell a scan that was killed, still ``running`` in
  the table, from one that is running now: :meth:`DataMap.running_scans`);
  status ``running``, ``complete``, ``partial``, ``failed`` or ``interrupted``
  (found dead by a later scan, or stopped by an error or Ctrl-C);
* ``units``: every unit seen, its fingerprint, status (``done``/``failed``) and
  failure reason: a rescan skips unchanged ``done`` units and retries the rest;
* ``records``: located records that hold findings (a row, a line, a mail part),
  keyed by ``rkey`` = hash of (source, container, item);
* ``findings``: field, kind, subkind, value hash, masked value, confidence;
* ``refs``: foreign-key references from rows to rows (related locations);
* ``subjects``: value hash -> subject id, the connected components of values
  that occur together in structured records;
* ``link_dirty``: value hashes written or removed since subjects were last
  linked, so that the next link redoes only the subjects they touch;
* ``link_split``: the values of subjects split because a chain of records
  would have joined two personnummer, with the component they came from;
* ``dependencies``: schema facts from connectors (SQL foreign keys).

Each unit is written in one transaction that first removes what the unit
wrote before, so writing a unit twice gives the same map (idempotent), and a
crashed scan loses at most the units in flight.
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
import os
import pickle
import socket
from array import array
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

import sqlalchemy as sa

log = logging.getLogger("pii_scan")

SCHEMA_VERSION = 4

PERSON_KIND = "personnummer"  # one person each: two of them never share a subject (DataMap.link_subjects)

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
    # the scanning process (schema 2): whether a 'running' scan is still alive can be checked on its host
    sa.Column("host", sa.String(255)),
    sa.Column("pid", sa.Integer),
    sa.Column("pid_started", sa.Double),  # the process's start time (epoch seconds): a reused pid is another process
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
    # the entry of a list of people within the record that holds the value (1, 2, ...; NULL: the record
    # itself): values link within their entry only (worker.person_entries)
    sa.Column("entry", sa.Integer),
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
# the values of subjects split because they held two personnummer (DataMap.link_subjects): value hash ->
# the component they were split from, so that an incremental link redoes the whole component
split_t = sa.Table(
    "link_split", metadata,
    sa.Column("value_hash", sa.String(64), primary_key=True),
    sa.Column("component", sa.String(64), nullable=False, index=True),
)
# value hashes whose subject may have changed since the last link: those of the findings that units
# wrote or removed (kept only once the map has been linked; a map never linked gets a full link)
dirty_t = sa.Table(
    "link_dirty", metadata,
    sa.Column("value_hash", sa.String(64), nullable=False),
)
deps_t = sa.Table(
    "dependencies", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("source", sa.String(200), nullable=False, index=True),
    sa.Column("data", sa.Text, nullable=False),
)

# indexes keyed by hashes, so written at random places: a first scan into an empty map builds them at the
# end instead (DataMap.defer_indexes / restore_indexes; opening a map restores them after a killed scan)
# Indexes a first scan builds once at the end instead of row by row (DataMap.defer_indexes). The unit_id
# indexes serve only to replace a unit written before, which a first scan into an empty map never does.
DEFERRABLE_INDEXES = ("ix_findings_value_hash", "ix_findings_rkey", "ix_findings_unit_id", "ix_records_unit_id")



def _add_scan_process_columns(c: sa.Connection) -> None:
    """Schema 2: ``scans.host``, ``scans.pid`` and ``scans.pid_started`` (the scanning process)."""
    have = {col["name"] for col in sa.inspect(c).get_columns("scans")}
    for col in (scans_t.c.host, scans_t.c.pid, scans_t.c.pid_started):
        if col.name not in have:  # another process may have upgraded the map a moment ago
            c.execute(sa.text(f"ALTER TABLE scans ADD COLUMN {col.name} {col.type.compile(c.dialect)}"))


def _relink_by_person_rule(c: sa.Connection) -> None:
    """Schema 3: subjects follow the person rule and the field roles (docs/architecture.md, linking rules).

    Findings in fields named for another person or holding free text
    (:func:`pii_scan.worker.links_field` of the stored field name) no longer
    link, and the next scan links every subject anew (a value shared by two
    personnummer, two personnummer in one record and chains between two people
    no longer merge them), even when it has nothing new to read.
    """
    from pii_scan.worker import links_field  # the worker imports this module

    fields = [f for (f,) in c.execute(sa.select(findings_t.c.field).distinct()) if not links_field(f)]
    for ch in in_chunks(fields):
        c.execute(findings_t.update().where(findings_t.c.field.in_(ch), findings_t.c.linkable.is_(True)).values(linkable=False))
    c.execute(meta_t.delete().where(meta_t.c.key == "subjects_linked"))  # the next link is a full one
    DataMap._set_stale(c, "1")


def _add_entry_column(c: sa.Connection) -> None:
    """Schema 4: ``findings.entry``, the list entry of a person within a record (values link within it).

    Findings written before have none (they link per record, as before) until their unit is scanned again.
    """
    if "entry" not in {col["name"] for col in sa.inspect(c).get_columns("findings")}:
        c.execute(sa.text(f"ALTER TABLE findings ADD COLUMN entry {findings_t.c.entry.type.compile(c.dialect)}"))


# version -> callable(connection) that upgrades from version-1 to version
UPGRADES: dict[int, Any] = {2: _add_scan_process_columns, 3: _relink_by_person_rule, 4: _add_entry_column}


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
    entry: int | None = None  # the list entry of a person within the record (worker.person_entries)


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


class PackedBatches:
    """A unit's records as :attr:`UnitResult.packed` holds them, kept pickled one batch at a time.

    A worker packs each batch of records as it is detected (:meth:`extend`), so
    that what it holds of a unit is the pickled bytes (about a fifth of the
    objects: 172 against 913 bytes a finding, measured on a customer table),
    and the driver unpickles one batch at a time as it writes them
    (:meth:`DataMap.write_unit` iterates). Iterating yields the record tuples
    in order; it can be done again.
    """

    __slots__ = ("_blobs", "_n", "findings")

    def __init__(self, blobs: list[bytes] | None = None, n: int = 0, findings: int = 0) -> None:
        self._blobs = blobs if blobs is not None else []
        self._n = n
        self.findings = findings  # of all records, counted as they were packed

    def extend(self, records: list[tuple[Any, ...]]) -> None:
        if records:
            self._blobs.append(pickle.dumps(records, protocol=pickle.HIGHEST_PROTOCOL))
            self._n += len(records)
            self.findings += sum(len(r[9]) for r in records)

    def __iter__(self) -> Iterator[tuple[Any, ...]]:
        for blob in self._blobs:
            yield from pickle.loads(blob)  # noqa: S301 - packed by extend() in our own worker

    def __len__(self) -> int:
        return self._n

    def __reduce__(self) -> tuple[Any, ...]:
        return (PackedBatches, (self._blobs, self._n, self.findings))


Packed = list[tuple[Any, ...]] | PackedBatches


@dataclass(slots=True)
class UnitResult:
    """One unit's outcome. Before it is written, the engine sets ``unit_id`` (a
    keyed hash of source and key) and masks identifiers in ``key`` and ``error``.

    Unpickled (a result from a worker), it holds its records as the plain
    tuples they travelled in, and builds the ``records`` objects only when
    something reads them: :meth:`DataMap.write_unit` writes from the tuples,
    so the driver makes no object per finding (a third of unpickling a
    result, and the attribute reads of writing it).
    """

    source: str
    key: str
    store: str
    fingerprint: str
    records: list[RecordResult]
    rows: int
    error: str | None = None
    seconds: float = 0.0
    unit_id: str = ""
    _packed: Packed | None = field(default=None, init=False, repr=False, compare=False)

    def __getattr__(self, name: str) -> Any:
        # only for a slot without a value: ``records`` of an unpickled result, built on first use
        if name == "records" and self._packed is not None:
            records = _unpack_records(self._packed)
            self.records, self._packed = records, None
            return records
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    @property
    def packed(self) -> Packed | None:
        """The records as the tuples they were unpickled from, while ``records`` has not been built (else
        None): ``(rkey, store, source, container, item, structured, record_date, location_enc, refs,
        findings)``, each finding a tuple of :class:`FoundValue`'s fields in order."""
        try:
            _RECORDS_SLOT.__get__(self)
        except AttributeError:
            return self._packed
        return None

    def finding_count(self) -> int:
        """The findings of all records (before :meth:`DataMap.write_unit` drops duplicates)."""
        packed = self.packed
        if isinstance(packed, PackedBatches):
            return packed.findings
        if packed is not None:
            return sum(len(r[9]) for r in packed)
        return sum(len(r.findings) for r in self.records)

    def __reduce__(self) -> tuple[Any, ...]:
        # Results travel from workers to the driver pickled: records and findings as plain tuples
        # pickle four times faster than as dataclass instances (and a quarter smaller).
        packed = self.packed
        if packed is None:
            packed = _pack_records(self.records)
        return (_unit_result, (self.source, self.key, self.store, self.fingerprint, packed, self.rows, self.error,
                               self.seconds, self.unit_id))


_RECORDS_SLOT = UnitResult.__dict__["records"]  # the slot's descriptor: raises AttributeError while unset


def finding_tuple(f: FoundValue) -> tuple[Any, ...]:
    """A finding as :attr:`UnitResult.packed` holds it: its fields in order."""
    return (f.field, f.kind, f.subkind, f.value_hash, f.masked, f.confidence, f.test_data, f.inside, f.enc_value,
            f.linkable, f.entry)


def _pack_records(records: Iterable[RecordResult]) -> list[tuple[Any, ...]]:
    return [
        (r.rkey, r.store, r.source, r.container, r.item, r.structured, r.record_date, r.location_enc, r.refs,
         [finding_tuple(f) for f in r.findings])
        for r in records
    ]


def _unpack_records(packed: Packed) -> list[RecordResult]:
    return [
        RecordResult(rk, st, so, co, it, structured, date, enc, [FoundValue(*f) for f in fs], refs)
        for rk, st, so, co, it, structured, date, enc, refs, fs in packed
    ]


def _unit_result(source: str, key: str, store: str, fingerprint: str, packed: Packed, rows: int,
                 error: str | None, seconds: float, unit_id: str) -> UnitResult:
    """Unpickles a :class:`UnitResult` (see its ``__reduce__``), its records left packed."""
    res = UnitResult(source, key, store, fingerprint, [], rows, error, seconds, unit_id)
    del res.records  # built from _packed when read (UnitResult.__getattr__)
    res._packed = packed
    return res


@dataclass(frozen=True, slots=True)
class ScanProcess:
    """The process that runs a scan: host name, pid and the process's start time (epoch seconds).

    A pid alone is not an identity: after the process ends, the system may
    give the number to another process (after a reboot, surely). The start
    time tells them apart.
    """

    host: str | None
    pid: int | None
    started: float | None

    @classmethod
    def current(cls) -> ScanProcess:
        pid = os.getpid()
        return cls(socket.gethostname(), pid, _process_started(pid))

    def alive(self) -> bool | None:
        """Whether this process is still running: None when that cannot be known here (another host, no pid)."""
        if self.pid is None or self.host != socket.gethostname():
            return None
        if self.pid == os.getpid():
            return True  # this process (another scan in it, or this one)
        try:
            os.kill(self.pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            pass  # it exists, under another user
        except OSError:
            return None
        started = _process_started(self.pid)
        if started is None or self.started is None:
            return True  # it exists; whether it is the same process cannot be told
        return abs(started - self.started) < 1.0  # else the pid was given to another process


@dataclass(frozen=True, slots=True)
class RunningScan:
    """A scan whose row says ``running``; ``process`` is None for rows written before schema 2."""

    id: int
    started_at: datetime
    process: ScanProcess | None


def _process_started(pid: int) -> float | None:
    """A process's start time in epoch seconds (psutil comes with dask.distributed), or None."""
    try:
        import psutil
    except ImportError:  # pragma: no cover - distributed needs it
        return None
    try:
        return float(psutil.Process(pid).create_time())
    except (psutil.Error, OSError):
        return None


def _engine(url: str, kw: dict[str, Any]) -> sa.Engine:
    """The map's engine; a URL that names no driver (``postgresql://``, as the README's) takes an installed driver
    of its dialect when SQLAlchemy's default (psycopg 3) is not installed, as SQL sources do."""
    from connectors.sql import engine_for
    from pii_scan.config import ConfigError

    try:
        return engine_for(url, **kw)
    except ModuleNotFoundError as exc:
        raise ConfigError(f"the data map's database driver {exc.name!r} is not installed "
                          "(pip install psycopg2-binary for PostgreSQL)") from None
    except sa.exc.ArgumentError:  # not a URL, or a dialect SQLAlchemy does not know
        raise ConfigError("[datamap] url is not a database URL SQLAlchemy can open "
                          "(e.g. sqlite:///datamap.sqlite, postgresql://user@host/db)") from None


SQLITE_BUSY_TIMEOUT = 600  # seconds a writer waits for another (a scan's unit write during another scan's link)


class DataMap:
    """Reads and writes one data map."""

    def __init__(self, url: str) -> None:
        self.url = url
        kw: dict[str, Any] = {}
        if url.startswith("sqlite"):
            kw["connect_args"] = {"timeout": SQLITE_BUSY_TIMEOUT}
        self.engine = _engine(url, kw)
        if url.startswith("sqlite"):
            @sa.event.listens_for(self.engine, "connect")
            def _pragmas(dbapi_conn, _rec):  # noqa: ANN001
                cur = dbapi_conn.cursor()
                cur.execute("PRAGMA journal_mode=WAL")
                cur.execute("PRAGMA synchronous=NORMAL")
                # 64 MiB of page cache instead of 2 MiB: the hash-keyed indexes are written at random places
                cur.execute("PRAGMA cache_size=-65536")
                cur.execute("PRAGMA temp.cache_size=-65536")
                cur.close()
        self._ensure_schema()
        with self.engine.connect() as c:
            self._linked = c.execute(sa.select(meta_t.c.value).where(meta_t.c.key == "subjects_linked")).first() is not None

    def close(self) -> None:
        self.engine.dispose()

    # -- schema ------------------------------------------------------------------

    def _ensure_schema(self) -> None:
        metadata.create_all(self.engine)
        self.restore_indexes()
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

    def defer_indexes(self) -> bool:
        """Drop the hash-keyed indexes of ``findings`` if it is empty (a first scan); returns whether it did.

        Inserting into them costs about half of a unit's write while the map
        grows; built once at the end (:meth:`restore_indexes`), they cost a
        fraction of that. Lookups in a map whose first scan is running are
        slow until then.
        """
        with self.engine.begin() as c:
            if c.execute(sa.select(findings_t.c.id).limit(1)).first() is not None:
                return False
            if c.execute(sa.select(records_t.c.rkey).limit(1)).first() is not None:
                return False
            for ix in self._deferrable():
                ix.drop(c, checkfirst=True)
        return True

    def restore_indexes(self) -> None:
        """Build the indexes that :meth:`defer_indexes` dropped (a no-op when they exist)."""
        with self.engine.begin() as c:
            for ix in self._deferrable():
                ix.create(c, checkfirst=True)

    @staticmethod
    def _deferrable() -> list[sa.Index]:
        return [ix for t in (findings_t, records_t) for ix in t.indexes if ix.name in DEFERRABLE_INDEXES]

    def schema_version(self) -> int:
        with self.engine.connect() as c:
            return int(c.execute(sa.select(meta_t.c.value).where(meta_t.c.key == "schema_version")).scalar_one())

    def key_id(self) -> str | None:
        """The fingerprint of the key this map was written with (None: never scanned)."""
        with self.engine.connect() as c:
            return c.execute(sa.select(meta_t.c.value).where(meta_t.c.key == "key_id")).scalar()

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

    def start_scan(self, settings: dict[str, Any], process: ScanProcess | None = None) -> int:
        """A new scan row, ``running``, owned by ``process`` (default: this process)."""
        p = process or ScanProcess.current()
        with self.engine.begin() as c:
            res = c.execute(
                scans_t.insert().values(started_at=_now(), status="running", settings=json.dumps(settings, sort_keys=True),
                                        host=p.host, pid=p.pid, pid_started=p.started)
            )
            pk = res.inserted_primary_key
            assert pk is not None  # an INSERT of one row
            return int(pk[0])

    def running_scans(self, but: int | None = None) -> list[RunningScan]:
        """The scans whose row says ``running`` (except scan ``but``), oldest first."""
        q = (sa.select(scans_t.c.id, scans_t.c.started_at, scans_t.c.host, scans_t.c.pid, scans_t.c.pid_started)
             .where(scans_t.c.status == "running").order_by(scans_t.c.id))
        if but is not None:
            q = q.where(scans_t.c.id != but)
        with self.engine.connect() as c:
            return [RunningScan(int(r.id), r.started_at, ScanProcess(r.host, r.pid, r.pid_started) if r.pid is not None else None)
                    for r in c.execute(q)]

    def mark_interrupted(self, scan_id: int, note: dict[str, Any]) -> bool:
        """Mark a scan that is still ``running`` as ``interrupted`` now (the time it was found dead).

        Returns False when the row was no longer ``running`` (it finished, or
        another scan marked it first).
        """
        with self.engine.begin() as c:
            res = c.execute(
                scans_t.update().where(scans_t.c.id == scan_id, scans_t.c.status == "running").values(
                    finished_at=_now(), status="interrupted", summary=json.dumps(note, sort_keys=True))
            )
            return bool(res.rowcount)

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
                self._note_dirty_unit(c, uid)
                for t in (findings_t, refs_t, records_t, units_t):
                    c.execute(t.delete().where(t.c.unit_id == uid))
                n += 1
            if n:
                self._set_stale(c, "1")
        return n

    _REC_COLS = ("rkey", "unit_id", "store", "source", "container", "item", "structured", "record_date", "location_enc")
    _FIND_COLS = ("rkey", "unit_id", "field", "kind", "subkind", "value_hash", "masked", "confidence", "test_data",
                  "inside", "enc_value", "linkable", "entry")
    _REF_COLS = ("unit_id", "rkey_from", "rkey_to", "store", "source", "container", "item", "via", "location_enc")

    FLUSH_ROWS = 100_000  # findings of a unit held before they go in (in the unit's one transaction)

    def write_unit(self, scan_id: int, res: UnitResult) -> int:
        """Write one unit's findings in one transaction, replacing what it wrote before.

        Rows go in as tuples through :func:`insert_rows` (bulk inserts of
        up to :attr:`FLUSH_ROWS` findings, made as a result's batches are
        unpickled, so that a large unit never sits in memory as rows);
        what the unit wrote before is deleted only when the map has the unit
        (a unit row is written in the same transaction as its findings, so
        no unit row means nothing to delete).
        """
        uid = res.unit_id
        if not uid:
            raise ValueError("UnitResult.unit_id must be set before writing")
        rec_rows: list[tuple[Any, ...]] = []
        find_rows: list[tuple[Any, ...]] = []
        ref_rows: list[tuple[Any, ...]] = []
        seen_r: set[str] = set()
        seen_f: set[tuple[str, str, str, str]] = set()
        # from the tuples an unpickled result travelled in (UnitResult.packed: no object per finding; batch by
        # batch when a worker packed them so), or packed from the objects of a result made in this process
        packed = res.packed
        if packed is None:
            packed = _pack_records(res.records)
        written = 0
        with self.engine.begin() as c:
            if c.execute(sa.select(units_t.c.unit_id).where(units_t.c.unit_id == uid)).first() is not None:
                self._note_dirty_unit(c, uid)
                for t in (findings_t, refs_t, records_t, units_t):
                    c.execute(t.delete().where(t.c.unit_id == uid))
            linked = self._is_linked(c)

            # record keys another unit holds already (one location read by two units: a Message-ID that two
            # messages of a mailbox share, read by two of its chunks): this unit's records get keys of their own
            moved: dict[str, str] = {}

            def flush() -> None:
                # a large unit goes in as it is read, FLUSH_ROWS findings at a time, in the one transaction
                nonlocal written
                self._insert_records(c, uid, rec_rows, moved)
                finds, refs_out = find_rows, ref_rows
                if moved:
                    finds = [(moved.get(r[0], r[0]),) + r[1:] for r in find_rows]
                    refs_out = [(r[0], moved.get(r[1], r[1])) + r[2:] for r in ref_rows]
                insert_rows(c, findings_t, self._FIND_COLS, finds)
                if finds and linked:
                    insert_rows(c, dirty_t, ("value_hash",), [(h,) for h in {row[5] for row in finds}])
                insert_rows(c, refs_t, self._REF_COLS, refs_out)
                written += len(finds)
                rec_rows.clear()
                find_rows.clear()
                ref_rows.clear()

            # a finding f is (field 0, kind 1, subkind 2, value_hash 3, masked 4, confidence 5, test_data 6,
            # inside 7, enc_value 8, linkable 9, entry 10): its row is (rk, uid) + f where linkable stands
            general = False  # a record key came twice: from then on every finding is checked against seen_f
            for rk, store, source, container, item, structured, record_date, location_enc, refs, fs in packed:
                if fs:
                    fast = False
                    if rk not in seen_r:
                        seen_r.add(rk)
                        rec_rows.append((rk, uid, store, source, container, item, structured, record_date, location_enc))
                        # The common record (a table row, its key new in the unit, no value twice in it, none inside
                        # another identifier): every finding is written as it came, its row (rk, uid) + f.
                        fast = (not general and structured and len({f[3] for f in fs}) == len(fs)
                                and not any(f[7] for f in fs))
                    elif not general:  # a record key again (rare): what was written of it so far counts
                        general = True
                        seen_f.update((row[0], row[2], row[3], row[5]) for row in find_rows)
                        if written:  # and what went in before
                            seen_f.update(
                                (r, fi, k, h) for r, fi, k, h in c.execute(
                                    sa.select(findings_t.c.rkey, findings_t.c.field, findings_t.c.kind,
                                              findings_t.c.value_hash).where(findings_t.c.unit_id == uid))
                            )
                    if fast:
                        find_rows += [(rk, uid) + f for f in fs]
                    else:
                        seen = seen_f if general else set()  # before a key came twice, a record's own are enough
                        plain = {f[1] for f in fs if f[9] and not f[7]} if structured and any(f[7] for f in fs) else ()
                        for f in fs:
                            k = (rk, f[0], f[1], f[3])
                            if k in seen:
                                continue
                            seen.add(k)
                            # a personnummer inside an account or VAT number beside the record's own personnummer
                            # (a centenarian's personkonto read with another century) is no second person to link
                            linkable = f[9] and structured and not (f[7] and f[1] in plain)
                            find_rows.append((rk, uid, f[0], f[1], f[2], f[3], f[4], f[5], f[6], f[7], f[8], linkable, f[10]))
                for rkey_to, via in refs:
                    ref_rows.append((uid, rk, rkey_to, store, source, container, item, via, location_enc))
                if len(find_rows) >= self.FLUSH_ROWS:
                    flush()
            flush()
            self._set_stale(c, "1")
            c.execute(
                units_t.insert().values(
                    unit_id=uid, source=res.source, key=res.key, store=res.store, fingerprint=res.fingerprint,
                    status="failed" if res.error else "done", reason=res.error, records=res.rows,
                    findings=written, scan_id=scan_id, scanned_at=_now(), seconds=res.seconds,
                )
            )
        return written

    def _insert_records(self, c: sa.Connection, uid: str, rows: list[tuple[Any, ...]], moved: dict[str, str]) -> None:
        """Insert a unit's record rows; a key another unit holds already is moved to one of this unit's own
        (``moved``, kept for the unit's findings and references), so that the scan goes on with both records."""
        if moved:
            rows = [(moved.get(r[0], r[0]),) + r[1:] for r in rows]
        dbapi = getattr(c.dialect, "dbapi", None) or getattr(c.dialect, "loaded_dbapi", None)
        clash: tuple[type[BaseException], ...] = (sa.exc.IntegrityError,) + (
            (dbapi.IntegrityError,) if dbapi is not None and hasattr(dbapi, "IntegrityError") else ())
        try:
            with c.begin_nested():
                insert_rows(c, records_t, self._REC_COLS, rows)
            return
        except clash:
            pass
        keys = [r[0] for r in rows]
        taken = {k for ch in in_chunks(keys) for (k,) in c.execute(sa.select(records_t.c.rkey).where(records_t.c.rkey.in_(ch)))}
        for k in taken:
            moved[k] = hashlib.sha256(f"{k}\x1f{uid}".encode()).hexdigest()[:32]
        log.warning("unit %s: %d record(s) at a location another unit holds too; kept apart", uid[:8], len(taken))
        insert_rows(c, records_t, self._REC_COLS, [(moved.get(r[0], r[0]),) + r[1:] for r in rows])

    def _note_dirty_unit(self, c: sa.Connection, uid: str) -> None:
        """Before a unit's findings are deleted: their values' subjects must be redone."""
        if self._is_linked(c):
            c.execute(dirty_t.insert().from_select(
                ["value_hash"], sa.select(findings_t.c.value_hash).where(findings_t.c.unit_id == uid).distinct()))

    def _is_linked(self, c: sa.Connection) -> bool:
        """Whether subjects were ever linked in this map (another DataMap may have done it since we opened)."""
        if not self._linked:
            self._linked = c.execute(sa.select(meta_t.c.value).where(meta_t.c.key == "subjects_linked")).first() is not None
        return self._linked

    def record_failure(self, scan_id: int, unit_id: str, source: str, key: str, store: str, reason: str) -> None:
        self.write_unit(scan_id, UnitResult(source, key, store, "", [], 0, error=reason, unit_id=unit_id))

    # -- subjects ----------------------------------------------------------------------

    HUB_LIMIT = 3  # a value seen with more distinct values of one kind than this is shared, not personal
    PERSON_LIMIT = 1  # ... or with more distinct personnummer than this (a family's e-mail, a joint account)
    LINK_BATCH = 50_000  # rows per fetch and per insert while linking

    INCREMENTAL_SHARE = 0.1  # link incrementally while the values to redo are at most this share of all values

    def link_subjects(self, full: bool = False) -> int:
        """Group values that occur together in structured records into subjects.

        Only *linkable* findings link: values that a field holds as data (a
        column ``email``) in a structured record, not values mentioned in free
        text, even free text stored in a table row (a ticket body naming two
        customers).

        A value that occurs with more than :attr:`HUB_LIMIT` distinct values of
        one kind (a switchboard number on every employee row, a shared
        mailbox), or with more than :attr:`PERSON_LIMIT` distinct personnummer
        (a family's shared e-mail on the rows of two parents, a phone on the
        row of a child and of a guardian), does not link: it would merge
        different people. Two personnummer never link to each other (a row
        of a child and a guardian holds two people), and a subject that a
        chain of records without a personnummer would join to two of them is
        split (:func:`split_conflicts`; its values are kept in ``link_split``
        so that an incremental link redoes the whole chain). A subject's id
        is the smallest value hash in it. Returns the number of subjects.

        Once a map has been linked, units that are written or removed note
        their values in ``link_dirty``, and the next link redoes only the
        subjects those values reach (:meth:`_link_incremental`); the first
        link of a map, ``full=True``, or a change that reaches more than
        :attr:`INCREMENTAL_SHARE` of the values redo everything
        (:meth:`_link_full`). Both give the same subjects.
        """
        with self.engine.begin() as c, _link_lock(c):
            n: int | None = None
            if not full and self._is_linked(c):
                n_dirty = int(c.execute(sa.select(sa.func.count(sa.distinct(dirty_t.c.value_hash)))).scalar_one())
                n_all = int(c.execute(sa.select(sa.func.count()).select_from(subjects_t)).scalar_one())
                if n_dirty <= self.INCREMENTAL_SHARE * max(n_all, 1):
                    n = self._link_incremental(c, max(1000, int(self.INCREMENTAL_SHARE * n_all)))
            if n is None:
                n = self._link_full(c)
            c.execute(dirty_t.delete())
            self._set_meta(c, "subject_count", str(n))
            self._set_meta(c, "subjects_linked", "1")
            self._set_stale(c, "0")
        self._linked = True
        return n

    LINK_LOCK_TIMEOUT = 600  # seconds a link waits for another scan's link to end (MariaDB/MySQL)

    def _link_full(self, c: sa.Connection) -> int:
        """Relink every value; see :meth:`link_subjects`.

        The work happens in the database, in scratch tables, with one
        streamed pass in Python: every value gets an integer id (in
        value-hash order); the linkable occurrences ``(rkey, id)`` are
        streamed ``ORDER BY rkey`` into a union-find over an integer array (8
        bytes per distinct value: no hash strings, no pairs in memory); the
        hub test runs in SQL, only on the values that could be hubs (seen in
        more than one record, or in a record with more than ``HUB_LIMIT + 1``
        linkable values); the values that join another's subject are written
        back in batches and ``subjects`` is rebuilt with one ``INSERT ...
        SELECT`` joined on the integer ids. The number of subjects is that of
        the values less those that joined another's subject.
        """
        if c.dialect.name == "postgresql":  # fresh statistics: a scan just wrote most of the rows
            c.exec_driver_sql(f"ANALYZE {findings_t.name}")
        s = _Scratch(c)  # on an error the transaction's rollback drops them (or the next run does)
        s.create()
        n = s.number_values()
        s.fill_occurrences()
        hubs = s.find_hubs(self.HUB_LIMIT, self.PERSON_LIMIT)
        parent = s.union_find(n, self.LINK_BATCH)
        moved = s.write_moved(parent, self.LINK_BATCH)
        del parent
        s.write_subjects()
        s.write_split()
        s.drop()
        log.debug("linked %d values: %d hubs, %d joined another value's subject", n, hubs, moved)
        return n - moved  # a subject per value that joined none: the values that others joined, and the rest

    def _link_incremental(self, c: sa.Connection, max_values: int) -> int | None:
        """Redo only the subjects that the values in ``link_dirty`` reach; see :meth:`link_subjects`.

        Starting from the dirty values, the closure takes in every member of
        their old subjects and every partner of a non-hub value in it (hub
        status is recomputed for each value taken in), until nothing new comes
        in. Subjects outside the closure cannot change: their values kept
        every record and partner they had. The closure's components are
        found with a union-find over its hashes (memory in proportion to the
        change, not to the map) and its rows in ``subjects`` replaced.
        Returns the new number of subjects, or None when the closure grows
        past ``max_values`` (the caller then links everything).
        """
        f, sj = findings_t, subjects_t
        a, b = f.alias("a"), f.alias("b")
        together = sa.and_(b.c.rkey == a.c.rkey, sa.func.coalesce(b.c.entry, 0) == sa.func.coalesce(a.c.entry, 0),
                           b.c.value_hash != a.c.value_hash)
        frontier = {h for (h,) in c.execute(sa.select(dirty_t.c.value_hash).distinct())}
        closure: set[str] = set()
        old_subjects: set[str] = set()
        old_comps: set[str] = set()
        hubs: set[str] = set()
        edges: list[tuple[str, str]] = []
        while frontier:
            # a subject split from a component holding two personnummer: the whole component is redone
            comps = {x for ch in in_chunks(frontier) for (x,) in
                     c.execute(sa.select(split_t.c.component).where(split_t.c.value_hash.in_(ch)).distinct())} - old_comps
            old_comps |= comps
            frontier |= {x for ch in in_chunks(comps) for (x,) in
                         c.execute(sa.select(split_t.c.value_hash).where(split_t.c.component.in_(ch)))} - closure
            closure |= frontier
            subs = {x for ch in in_chunks(frontier) for (x,) in
                    c.execute(sa.select(sj.c.subject).where(sj.c.value_hash.in_(ch)).distinct())} - old_subjects
            old_subjects |= subs
            mates = {x for ch in in_chunks(subs) for (x,) in
                     c.execute(sa.select(sj.c.value_hash).where(sj.c.subject.in_(ch)))} - closure
            closure |= mates
            frontier |= mates
            if len(closure) > max_values:
                return None
            for ch in in_chunks(frontier):
                hubs.update(x for (x,) in c.execute(
                    sa.select(a.c.value_hash).join(b, together)
                    .where(a.c.value_hash.in_(ch), a.c.linkable.is_(True), b.c.linkable.is_(True))
                    .group_by(a.c.value_hash, b.c.kind)
                    .having(sa.func.count(sa.distinct(b.c.value_hash))
                            > sa.case((b.c.kind == PERSON_KIND, self.PERSON_LIMIT), else_=self.HUB_LIMIT))
                ))
            nxt: set[str] = set()
            for ch in in_chunks(frontier - hubs):
                for x, y in c.execute(
                    sa.select(a.c.value_hash, b.c.value_hash).join(b, together)
                    .where(a.c.value_hash.in_(ch), a.c.linkable.is_(True), b.c.linkable.is_(True)).distinct()
                ):
                    edges.append((x, y))
                    if y not in closure:
                        nxt.add(y)
            frontier = nxt
        parent: dict[str, str] = {}

        def root(x: str) -> str:
            return _root(parent, x)

        pnr = {x for ch in in_chunks(closure) for (x,) in c.execute(
            sa.select(f.c.value_hash).where(f.c.value_hash.in_(ch), f.c.linkable.is_(True), f.c.kind == PERSON_KIND)
            .distinct())}
        for x, y in edges:
            if x in hubs or y in hubs or (x in pnr and y in pnr):
                continue
            rx, ry = root(x), root(y)
            if rx != ry:
                parent[max(rx, ry)] = min(rx, ry)
        by_root: dict[str, list[str]] = {}
        for x in pnr - hubs:
            by_root.setdefault(root(x), []).append(x)
        conflicted = {r for r, ps in by_root.items() if len(ps) > 1}
        split_rows: list[tuple[str, str]] = []
        if conflicted:  # subjects holding two personnummer: see split_conflicts
            members = [x for x in closure if root(x) in conflicted]
            split_rows = sorted((x, root(x)) for x in members)
            new = split_conflicts(members, ((x, y) for x, y in edges if x not in hubs and y not in hubs), pnr.__contains__)
            parent.update((x, r) for x, r in new.items())
        for ch in in_chunks(closure):
            c.execute(split_t.delete().where(split_t.c.value_hash.in_(ch)))
        insert_rows(c, split_t, ("value_hash", "component"), split_rows)
        present = {x for ch in in_chunks(closure) for (x,) in
                   c.execute(sa.select(f.c.value_hash).where(f.c.value_hash.in_(ch)).distinct())}
        for ch in in_chunks(closure):
            c.execute(sj.delete().where(sj.c.value_hash.in_(ch)))
        rows = sorted((x, root(x)) for x in present)
        for i in range(0, len(rows), self.LINK_BATCH):
            insert_rows(c, sj, ("value_hash", "subject"), rows[i : i + self.LINK_BATCH])
        before = c.execute(sa.select(meta_t.c.value).where(meta_t.c.key == "subject_count")).scalar()
        if before is None:
            n = int(c.execute(sa.select(sa.func.count(sa.distinct(sj.c.subject)))).scalar_one())
        else:
            n = int(before) - len(old_subjects) + len({s for _, s in rows})
        log.debug("linked incrementally: %d dirty-reached values, %d hubs, %d subjects redone", len(closure), len(hubs),
                  len(old_subjects))
        return n

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
        DataMap._set_meta(c, "subjects_stale", value)

    @staticmethod
    def _set_meta(c: sa.Connection, key: str, value: str) -> None:
        # one statement where the key exists (every unit's write sets subjects_stale); a driver that counts only
        # changed rows (0 for the same value) is asked whether the key is there before the insert
        if c.execute(meta_t.update().where(meta_t.c.key == key).values(value=value)).rowcount == 0 and \
                c.execute(sa.select(meta_t.c.key).where(meta_t.c.key == key)).first() is None:
            c.execute(meta_t.insert().values(key=key, value=value))

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
                subjects_t.c.subject, records_t.c.location_enc,
            )
            .join(records_t, records_t.c.rkey == findings_t.c.rkey)
            .join(subjects_t, subjects_t.c.value_hash == findings_t.c.value_hash, isouter=True)
            .order_by(findings_t.c.id)
        )
        with self.engine.connect() as c:
            result = c.execution_options(stream_results=True, yield_per=batch).execute(q)
            for row in result:
                yield dict(row._mapping)


@contextmanager
def _link_lock(c: sa.Connection) -> Iterator[None]:
    """One link at a time per data map: two scans that finish together both link.

    Two links that interleave would each delete and rebuild ``subjects`` (and,
    on MariaDB, share the scratch tables, which are plain tables there): the
    second fails or leaves rows of the first. SQLite: take the write lock first
    (this transaction reads, then writes, and a transaction that has read cannot
    wait for another writer; taken up front, the wait is an ordinary busy wait).
    PostgreSQL: a transaction-level advisory lock (per database). MariaDB and
    MySQL commit on the scratch tables' DDL, so a named lock of the session,
    per database, released at the end.
    """
    name = c.dialect.name
    if name == "sqlite":
        c.exec_driver_sql("BEGIN IMMEDIATE")
        yield
    elif name == "postgresql":
        c.exec_driver_sql(f"SELECT pg_advisory_xact_lock({_LINK_LOCK_KEY})")
        yield
    elif name in ("mysql", "mariadb"):
        lock = "CONCAT('pii_scan_link:', DATABASE())"
        got = c.exec_driver_sql(f"SELECT GET_LOCK({lock}, {DataMap.LINK_LOCK_TIMEOUT})").scalar()
        if got != 1:
            raise RuntimeError(f"another scan is linking subjects in this data map (waited {DataMap.LINK_LOCK_TIMEOUT} s)")
        try:
            yield
        finally:
            c.exec_driver_sql(f"SELECT RELEASE_LOCK({lock})")
    else:  # other dialects: no portable lock; concurrent scans there link one after another by hand
        yield


_LINK_LOCK_KEY = 0x7069695F6C6E6B  # "pii_lnk": the advisory lock key of linking


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def _root(parent: dict[Any, Any], x: Any) -> Any:
    """The root of ``x`` in a union-find forest kept as ``parent`` (absent = its own root), halving the path."""
    while (p := parent.get(x, x)) != x:
        parent[x] = parent.get(p, p)
        x = p
    return x


def split_conflicts(members: Iterable[Any], pairs: Iterable[tuple[Any, Any]], is_pnr: Any) -> dict[Any, Any]:
    """Values of subjects holding two or more personnummer -> their new subject (its smallest value).

    ``pairs``: values of ``members`` that occur together in a record (neither
    a hub). Two personnummer in one subject are two people joined by a chain
    of records without a personnummer (row 1: pnr A, e-mail a; row 2:
    e-mail a, phone b; row 3: phone b, pnr B). Each value seen in a record
    with a personnummer joins that one (a value that is no hub is seen with
    one at most); the other values are grouped by the records they share
    with each other, and a group that touches the values of one personnummer
    only joins it, else it stays a subject of its own. Records between two
    people's values (row 2) link nobody.
    """
    members = list(members)
    inside = set(members)
    parent: dict[Any, Any] = {}

    def find(x: Any) -> Any:
        return _root(parent, x)

    own: dict[Any, set[Any]] = {}  # value -> the personnummer it occurs with
    plain: list[tuple[Any, Any]] = []
    for a, b in pairs:
        if a not in inside or b not in inside or a == b:
            continue
        pa, pb = is_pnr(a), is_pnr(b)
        if pa and pb:
            continue
        if pa or pb:
            x, p = (b, a) if pa else (a, b)
            own.setdefault(x, set()).add(p)
        else:
            plain.append((a, b))
    seed = {x: next(iter(ps)) for x, ps in own.items() if len(ps) == 1}
    touches: dict[Any, set[Any]] = {}  # group of values without a personnummer -> personnummer it touches
    for a, b in plain:
        if a in seed and b in seed:
            continue
        if a in seed or b in seed:
            x, s = (b, a) if a in seed else (a, b)
            touches.setdefault(x, set()).add(seed[s])
            continue
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)
    by_group: dict[Any, set[Any]] = {}
    for x, ps in touches.items():
        by_group.setdefault(find(x), set()).update(ps)
    anchor: dict[Any, Any] = {}
    for x in members:
        if is_pnr(x):
            anchor[x] = x
        elif x in seed:
            anchor[x] = seed[x]
        else:
            ps = by_group.get(find(x), set())
            anchor[x] = next(iter(ps)) if len(ps) == 1 else find(x)
    smallest: dict[Any, Any] = {}
    for x, a in anchor.items():
        if a not in smallest or x < smallest[a]:
            smallest[a] = x
    return {x: smallest[a] for x, a in anchor.items()}


def _record_pairs(records: Iterable[Iterable[Any]], is_pnr: Any) -> Iterator[tuple[Any, Any]]:
    """The pairs of each record's values for :func:`split_conflicts` (every pair but of two personnummer:
    which values touch which is what it reads)."""
    for vals in records:
        vs = sorted(vals)
        for i, a in enumerate(vs):
            for b in vs[i + 1 :]:
                if not (is_pnr(a) and is_pnr(b)):
                    yield a, b


def _int_chunks(values: Sequence[int], size: int = 500) -> Iterator[list[int]]:
    for i in range(0, len(values), size):
        yield list(values[i : i + size])


def in_chunks(values: Iterable[str], size: int = 500) -> Iterator[list[str]]:
    """``values`` deduplicated and sorted, in lists of ``size`` (for ``IN`` lists within every database's
    parameter limit)."""
    vals = sorted(set(values))
    for i in range(0, len(vals), size):
        yield vals[i : i + size]


def _bind_processors(table: sa.Table, cols: Sequence[str], dialect: sa.Dialect) -> list[Any]:
    """The columns' bind conversions, minus those the fast drivers do themselves (bool, bytes, float).

    A column without a conversion left costs nothing; one with a conversion
    makes :func:`insert_rows` rebuild every row (``findings.confidence`` was
    the only one of ``findings``: ``float(x)`` of a float).
    """
    key = (table.name, tuple(cols), dialect.name, dialect.driver)
    procs = _PROCESSORS.get(key)
    if procs is None:
        native = dialect.name == "sqlite" or (dialect.name == "postgresql" and dialect.driver == "psycopg2")
        procs = []
        for n in cols:
            t = table.c[n].type
            if native and isinstance(t, (sa.Boolean, sa.LargeBinary, sa.Float)):
                procs.append(None)
                continue
            p = t.dialect_impl(dialect).bind_processor(dialect)
            if p is not None and dialect.name == "sqlite" and isinstance(t, sa.DateTime):
                p = _sqlite_datetime(p)
            procs.append(p)
        _PROCESSORS[key] = procs
    return procs


def _sqlite_datetime(general: Any) -> Any:
    """SQLAlchemy's SQLite ``DATETIME`` bind conversion, fast for a naive ``datetime``.

    SQLite stores a ``DateTime`` as the text ``YYYY-MM-DD HH:MM:SS.ffffff``;
    SQLAlchemy formats it from a dict of the seven fields, which cost a
    records row as much as SQLite's insert of it (``records.record_date``).
    ``datetime.isoformat(" ", "microseconds")`` writes the same text for a
    naive ``datetime`` (the four-digit year included); anything else (None,
    a date, an aware datetime, a subclass) goes the general way.
    """
    def process(value: Any) -> Any:
        if type(value) is datetime and value.tzinfo is None:
            return value.isoformat(" ", "microseconds")
        return general(value)

    return process


_PROCESSORS: dict[tuple[Any, ...], list[Any]] = {}


def insert_rows(c: sa.Connection, table: sa.Table, cols: Sequence[str], rows: Sequence[tuple[Any, ...]]) -> None:
    """Insert ``rows`` (tuples in the order of ``cols``) in bulk, with the column types' conversions.

    SQLite gets one ``executemany`` of positional tuples and PostgreSQL
    (psycopg2) one ``COPY ... FROM STDIN`` in text format (:func:`_copy_text`):
    both skip SQLAlchemy's per-row parameter dictionaries, which cost more
    than the inserts themselves. Other dialects go through SQLAlchemy's own
    ``executemany``. Runs inside ``c``'s transaction.
    """
    if not rows:
        return
    d = c.dialect
    procs = _bind_processors(table, cols, d)
    if any(procs):
        live = [(i, p) for i, p in enumerate(procs) if p is not None]
        conv: list[tuple[Any, ...]] = []
        for row in rows:
            lst = list(row)
            for i, p in live:
                lst[i] = p(lst[i])
            conv.append(tuple(lst))
        rows = conv
    names = ", ".join(cols)
    raw = c.connection.driver_connection  # the DBAPI connection of a checked-out Connection: never None
    assert raw is not None
    if d.name == "sqlite":
        cur = raw.cursor()
        try:
            cur.executemany(f"INSERT INTO {table.name} ({names}) VALUES ({', '.join('?' * len(cols))})", rows)
        finally:
            cur.close()
    elif d.name == "postgresql" and d.driver == "psycopg2":
        cur = raw.cursor()
        try:
            cur.copy_expert(f"COPY {table.name} ({names}) FROM STDIN", io.StringIO(_copy_text(rows)), size=1 << 20)
        finally:
            cur.close()
    else:
        c.execute(table.insert(), [dict(zip(cols, row)) for row in rows])


_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def _copy_text(rows: Sequence[tuple[Any, ...]]) -> str:
    """Rows in PostgreSQL's ``COPY`` text format: tab-separated, ``\\N`` for NULL, escaped text, hex bytea."""
    out: list[str] = []
    for row in rows:
        cells = []
        for v in row:
            if v is None:
                cells.append("\\N")
            elif isinstance(v, str):
                cells.append(v.translate(_COPY_ESCAPES))
            elif isinstance(v, bool):
                cells.append("t" if v else "f")
            elif isinstance(v, (bytes, bytearray, memoryview)):
                cells.append("\\\\x" + bytes(v).hex())
            elif isinstance(v, (datetime, date)):
                cells.append(v.isoformat())
            else:  # int, float
                cells.append(repr(v))
        out.append("\t".join(cells))
    out.append("")
    return "\n".join(out)


class _Scratch:
    """The scratch tables of one subject-linking run, on the linking connection.

    Temporary tables on SQLite and PostgreSQL; plain tables elsewhere (MySQL
    and MariaDB cannot open a temporary table twice in one statement), dropped
    at the end either way.
    """

    def __init__(self, c: sa.Connection) -> None:
        self.c = c
        self.pg = c.dialect.name == "postgresql"
        pre = ["TEMPORARY"] if c.dialect.name in ("sqlite", "postgresql") else []
        self.split: dict[int, int] = {}  # value id -> its component's id, for the subjects split (link_split)
        self.md = md = sa.MetaData()
        big = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
        # value ids are given in value-hash order, so the smallest id of a subject is its smallest hash
        self.vals = sa.Table(
            "pii_link_vals", md,
            sa.Column("vid", big, primary_key=True, autoincrement=False),
            sa.Column("value_hash", sa.String(64), nullable=False),
            prefixes=pre,
        )
        self.occ = sa.Table(  # linkable occurrences: value id in a structured record
            "pii_link_occ", md,
            sa.Column("rkey", sa.String(32), nullable=False),
            sa.Column("vid", big, nullable=False),
            sa.Column("kind", sa.String(32), nullable=False),
            prefixes=pre,
        )
        self.cand = sa.Table("pii_link_cand", md, sa.Column("vid", big, primary_key=True, autoincrement=False), prefixes=pre)
        self.hubs = sa.Table("pii_link_hubs", md, sa.Column("vid", big, primary_key=True, autoincrement=False), prefixes=pre)
        self.moved = sa.Table(  # values whose subject is another value's: vid -> the subject's vid
            "pii_link_moved", md,
            sa.Column("vid", big, primary_key=True, autoincrement=False),
            sa.Column("root", big, nullable=False),
            prefixes=pre,
        )

    def create(self) -> None:
        self.md.drop_all(self.c, checkfirst=True)
        self.md.create_all(self.c)

    def drop(self) -> None:
        self.md.drop_all(self.c, checkfirst=True)

    def _analyze(self, t: sa.Table) -> None:
        if self.pg:  # autovacuum never analyzes temporary tables; the planner needs the row counts
            self.c.exec_driver_sql(f"ANALYZE {t.name}")

    def number_values(self) -> int:
        """Give every distinct value hash of ``findings`` an integer id, 1.. in hash order; returns the count.

        Every value, not only the linkable ones: ``subjects`` holds a row for
        each, and :meth:`write_subjects` then rebuilds it from these ids with
        integer joins only. The distinct hashes come from a scan of
        ``ix_findings_value_hash`` (already in order, nothing to sort).
        """
        f, v = findings_t, self.vals
        if self.c.dialect.name == "sqlite":
            # vid is the rowid, given in insertion order, which is the SELECT's order (SQLite's row_number
            # costs four times the plain scan here)
            self.c.execute(v.insert().from_select(
                ["value_hash"], sa.select(f.c.value_hash).distinct().order_by(f.c.value_hash)))
        else:
            d = sa.select(f.c.value_hash).distinct().subquery()
            self.c.execute(v.insert().from_select(
                ["vid", "value_hash"], sa.select(sa.func.row_number().over(order_by=d.c.value_hash), d.c.value_hash)))
        self._analyze(v)
        return int(self.c.execute(sa.select(sa.func.coalesce(sa.func.max(v.c.vid), 0))).scalar_one())

    def fill_occurrences(self) -> None:
        """The linkable occurrences ``(rkey, value id, kind)``, numbered by sorting, not by looking up.

        ``dense_rank() OVER (ORDER BY value_hash)`` over every finding gives
        each its value's id as :meth:`number_values` gave it (the same
        distinct hashes in the same order), in one sort of ``findings``: a
        join of ``findings`` to the hashes of ``pii_link_vals`` instead looks
        each of them up at random, and once that index outgrows the page
        cache (a few million values) the link spent most of its time there
        (2 M customer rows: 37 s of the link's 102 s CPU, against 16 s
        sorted). On SQLite the table is read as it lies and sorted (``NOT
        INDEXED``), not in the order of ``ix_findings_value_hash``, which
        would fetch every row at random.

        Not made distinct: a value that a record holds in two fields is two
        rows, which neither the hub test (it counts distinct partners; such a
        value is at most an extra candidate) nor the union-find minds.
        """
        src: Any
        rkey: Any
        kind: Any
        vh: Any
        linkable: Any
        entry: Any
        if self.c.dialect.name == "sqlite":
            src = sa.text(f"{findings_t.name} NOT INDEXED")
            rkey, kind, vh, linkable = (sa.column(n) for n in ("rkey", "kind", "value_hash", "linkable"))
            entry = sa.column("entry", sa.Integer)
        else:
            f = findings_t
            src, rkey, kind, vh, linkable, entry = f, f.c.rkey, f.c.kind, f.c.value_hash, f.c.linkable, f.c.entry
        # the link group: the record, or a person's entry in a list within it (findings.entry), as a key no
        # record key can be (record keys are 32 hex digits of a keyed hash): the record key's first 28 hex
        # digits (112 bits: two records alike in them are as unlikely as a hash collision), '~', the entry
        group = sa.case((sa.func.coalesce(entry, 0) == 0, rkey),
                        else_=sa.func.substr(rkey, 1, 28, type_=sa.String) + sa.literal("~", sa.String) + sa.cast(entry, sa.String))
        x = (sa.select(group.label("rkey"), kind.label("kind"), linkable.label("linkable"),
                       sa.func.dense_rank().over(order_by=vh).label("vid"))
             .select_from(src).subquery())
        self.c.execute(self.occ.insert().from_select(
            ["rkey", "vid", "kind"], sa.select(x.c.rkey, x.c.vid, x.c.kind).where(x.c.linkable == sa.true())))
        # covering indexes: the union-find reads (rkey, vid) in rkey order; the hub test goes from a candidate's
        # rows (vid -> rkey) to its records' rows (rkey -> vid, kind) without fetching table rows at random
        sa.Index("pii_link_occ_rv", self.occ.c.rkey, self.occ.c.vid, self.occ.c.kind).create(self.c)
        sa.Index("pii_link_occ_v", self.occ.c.vid, self.occ.c.rkey).create(self.c)
        self._analyze(self.occ)

    def find_hubs(self, limit: int, person_limit: int = 1) -> int:
        """Mark values with more than ``limit`` distinct partners of one kind, or more than
        ``person_limit`` distinct personnummer partners; returns how many.

        Only candidates are counted exactly: a value seen in one record has at
        most (record size - 1) partners, so it can be a hub only if it is seen
        in several records, in a record of more than ``limit + 1`` values or in
        a record holding more than ``person_limit`` personnummer.
        """
        o = self.occ
        multi = sa.select(o.c.vid).group_by(o.c.vid).having(sa.func.count() > 1)
        n_pnr = sa.func.sum(sa.case((o.c.kind == PERSON_KIND, 1), else_=0))
        big_recs = (sa.select(o.c.rkey).group_by(o.c.rkey)
                    .having(sa.or_(sa.func.count() > limit + 1, n_pnr > person_limit)).subquery())
        o2 = o.alias("o2")
        in_big = sa.select(o2.c.vid).join(big_recs, big_recs.c.rkey == o2.c.rkey)
        self.c.execute(self.cand.insert().from_select(["vid"], sa.union(multi, in_big)))
        self._analyze(self.cand)
        a, b, k = o.alias("a"), o.alias("b"), self.cand
        per_kind = (
            sa.select(a.c.vid)
            .select_from(k)
            .join(a, a.c.vid == k.c.vid)
            .join(b, sa.and_(b.c.rkey == a.c.rkey, b.c.vid != a.c.vid))
            .group_by(a.c.vid, b.c.kind)
            .having(sa.func.count(sa.distinct(b.c.vid)) > sa.case((b.c.kind == PERSON_KIND, person_limit), else_=limit))
        )
        self.c.execute(self.hubs.insert().from_select(["vid"], sa.select(per_kind.subquery().c.vid).distinct()))
        self._analyze(self.hubs)
        return int(self.c.execute(sa.select(sa.func.count()).select_from(self.hubs)).scalar_one())

    def union_find(self, n: int, batch: int) -> array:
        """One pass over the occurrences ``ORDER BY rkey``: union the non-hub values of each record.

        Returns the parent array, flattened: ``parent[i]`` is the smallest id
        of ``i``'s subject (ids start at 1; slot 0 is unused). Hubs are marked
        in a byte array first (one byte a value) and skipped in the pass, and
        so are personnummer: two of them are never united (two people).
        Every other value in a record holding two personnummer is a hub (two
        personnummer partners), so uniting each value with the record's first
        non-hub value, but no personnummer with another, unites exactly the
        pairs that :meth:`DataMap.link_subjects` says.
        """
        parent = array("q", range(n + 1))
        hub = bytearray(n + 1)
        for h in self._ids(sa.select(self.hubs.c.vid)):
            hub[h] = 1
        pnr = bytearray(n + 1)
        pnr_ids = self._ids(sa.select(self.occ.c.vid).where(self.occ.c.kind == PERSON_KIND).distinct())
        for h in pnr_ids:
            pnr[h] = 1
        prev: str | None = None
        first = 0
        for part in self._occurrences_by_record(batch):
            for rk, x in part:
                if hub[x]:
                    continue
                if rk != prev:
                    prev, first = rk, x
                    continue
                if pnr[x] and pnr[first]:
                    continue
                # roots with path halving; the smaller id becomes the root
                a = first
                while parent[a] != a:
                    parent[a] = parent[parent[a]]
                    a = parent[a]
                b = x
                while parent[b] != b:
                    parent[b] = parent[parent[b]]
                    b = parent[b]
                if a < b:
                    parent[b] = a
                elif b < a:
                    parent[a] = b
        for i in range(1, n + 1):  # ascending: parent[i] < i is already flat
            parent[i] = parent[parent[i]]
        self._split_conflicts(parent, pnr, hub, pnr_ids)
        return parent

    def _split_conflicts(self, parent: array, pnr: bytearray, hub: bytearray, pnr_ids: list[int]) -> None:
        """Re-group the subjects that hold two or more personnummer (:func:`split_conflicts`), in place.

        Such a subject was chained together by records without a personnummer
        (one person's e-mail on a row with another's phone); there are few,
        so their records are read again here.
        """
        self.split = {}
        first: dict[int, int] = {}
        conflicted: set[int] = set()
        for i in pnr_ids:
            if not hub[i]:
                r = parent[i]
                if first.setdefault(r, i) != i:
                    conflicted.add(r)
        if not conflicted:
            return
        members = [i for i in range(1, len(parent)) if parent[i] in conflicted]
        o = self.occ
        rkeys = {rk for ch in _int_chunks(members) for (rk,) in self.c.execute(sa.select(o.c.rkey).where(o.c.vid.in_(ch)).distinct())}
        recs: dict[str, set[int]] = {}
        for ch in in_chunks(rkeys):
            for rk, v in self.c.execute(sa.select(o.c.rkey, o.c.vid).where(o.c.rkey.in_(ch))):
                if not hub[v]:
                    recs.setdefault(rk, set()).add(v)
        new = split_conflicts(members, _record_pairs(recs.values(), lambda v: bool(pnr[v])), lambda v: bool(pnr[v]))
        self.split = {v: parent[v] for v in members}  # value id -> the component's (smallest) id
        for v, r in new.items():
            parent[v] = r
        log.debug("split %d subjects holding several personnummer (%d values)", len(conflicted), len(members))

    def _ids(self, q: sa.Select[Any]) -> list[int]:
        """The values of a query of one integer column; on SQLite from the driver's cursor (a SQLAlchemy row
        per value cost the union-find as much as its pass over the records, for the personnummer's ids)."""
        if self.c.dialect.name == "sqlite":
            cur = self.c.connection.driver_connection.cursor()  # type: ignore[union-attr]
            try:
                cur.execute(str(q.compile(dialect=self.c.dialect, compile_kwargs={"literal_binds": True})))
                return [x for (x,) in cur.fetchall()]
            finally:
                cur.close()
        return [int(x) for x in self.c.execute(q).scalars()]

    def _occurrences_by_record(self, batch: int) -> Iterator[Sequence[Any]]:
        """``(rkey, vid)`` of every occurrence ``ORDER BY rkey``, in lists of up to ``batch``.

        On SQLite straight from the driver's cursor (a covering scan of the
        ``(rkey, vid)`` index; SQLAlchemy's rows cost as much again as the
        scan); elsewhere streamed through SQLAlchemy (a server-side cursor).
        """
        o = self.occ
        q = sa.select(o.c.rkey, o.c.vid).order_by(o.c.rkey)
        if self.c.dialect.name == "sqlite":
            cur = self.c.connection.driver_connection.cursor()  # type: ignore[union-attr]
            try:
                cur.execute(str(q.compile(dialect=self.c.dialect)))
                while rows := cur.fetchmany(batch):
                    yield rows
            finally:
                cur.close()
        else:
            yield from self.c.execute(q, execution_options={"stream_results": True, "yield_per": batch}).partitions(batch)

    def write_moved(self, parent: array, batch: int) -> int:
        """Write (value id, subject's id) for every value that is not its own subject."""
        rows: list[tuple[int, int]] = []
        moved = 0
        for i in range(1, len(parent)):
            p = parent[i]
            if p != i:
                rows.append((i, p))
                if len(rows) >= batch:
                    insert_rows(self.c, self.moved, ("vid", "root"), rows)
                    moved += len(rows)
                    rows = []
        insert_rows(self.c, self.moved, ("vid", "root"), rows)
        self._analyze(self.moved)
        return moved + len(rows)

    def write_split(self) -> None:
        """Replace ``link_split`` with the values of the subjects that :meth:`_split_conflicts` split."""
        self.c.execute(split_t.delete())
        split: dict[int, int] = getattr(self, "split", {})
        if not split:
            return
        ids = sorted(set(split) | set(split.values()))
        hash_of = {vid: vh for ch in _int_chunks(ids) for vid, vh in
                   self.c.execute(sa.select(self.vals.c.vid, self.vals.c.value_hash).where(self.vals.c.vid.in_(ch)))}
        insert_rows(self.c, split_t, ("value_hash", "component"), sorted((hash_of[v], hash_of[r]) for v, r in split.items()))

    def write_subjects(self) -> None:
        """Replace ``subjects``: each value's subject is its subject's smallest hash (its root's), or itself.

        Integer joins only (value id -> moved -> root id), in value-id order,
        so the primary key of ``subjects`` is written in order. On SQLite and
        PostgreSQL the index on ``subject`` is dropped first and built once
        after the rows are in (written row by row, its entries land at random
        places); both run DDL inside the transaction, so a failed link rolls
        the drop back too. MySQL and MariaDB commit on DDL: there the index
        stays. (On PostgreSQL the drop locks ``subjects`` against readers
        until the link commits; only this last step of the link is left by then.)
        """
        c, v, m, rv = self.c, self.vals.alias("v"), self.moved, self.vals.alias("rv")
        sel = (
            sa.select(v.c.value_hash, sa.func.coalesce(rv.c.value_hash, v.c.value_hash))
            .select_from(v)
            .join(m, m.c.vid == v.c.vid, isouter=True)
            .join(rv, rv.c.vid == m.c.root, isouter=True)
            .order_by(v.c.vid)
        )
        rebuild = [ix for ix in subjects_t.indexes if ix.name == "ix_subjects_subject"] \
            if c.dialect.name in ("sqlite", "postgresql") else []
        for ix in rebuild:
            ix.drop(c, checkfirst=True)
        c.execute(subjects_t.delete())
        c.execute(subjects_t.insert().from_select(["value_hash", "subject"], sel))
        for ix in rebuild:
            ix.create(c)
