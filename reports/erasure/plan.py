"""Building an erasure plan from the data map (see :mod:`reports.erasure` for the rules).

The plan is computed from :func:`reports.subject.records_for_hash` (true
names, record dates, policies) plus what the data map knows besides: which
findings a record holds *as data* (``findings.linkable``), the foreign-key
references between rows (``refs``), the schema's foreign keys
(``dependencies``) and how many records each unit held (``units.records``).
Files and S3 objects are opened read-only for their first 64 KiB (format,
encoding) and their current version (size and mtime, ETag); an old version
of an S3 object is looked up by its id (``HeadObject VersionId``).
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from dataclasses import field as _field
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

from connectors.base import ConnectorError, fingerprint, safe_name
from pii_scan.config import Config, ConfigError
from pii_scan.datamap import PERSON_KIND, DataMap, deps_t, findings_t, in_chunks, records_t, refs_t, subjects_t, units_t
from pii_scan.keys import Keys
from pii_scan.lookup import canonical_forms
from pii_scan.worker import list_element, within_element
from pii_scan.policy import Policy, policy_for
from pii_scan.worker import links_field
from reports.erasure.names import NameError_, line_item, parse_item, split_container, sql_column
from reports.subject import SubjectRecord, records_for_hash

PLAN_FORMAT = "pii-scan/erasure-plan/1"
LINE_FORMATS = ("csv", "jsonl", "text")
HEAD_BYTES = 64 * 1024
_SPLIT_UNIT = re.compile(r"#[0-9]+-[0-9]+\Z")

# action names
DELETE_ROW = "delete_row"
UPDATE_ROW = "update_row"
DELETE_OBJECT = "delete_object"
REWRITE_OBJECT = "rewrite_object"
DELETE_VERSION = "delete_version"  # an old version of an S3 object (it cannot be rewritten)
DELETE_FILE = "delete_file"
REWRITE_FILE = "rewrite_file"
DELETE_MESSAGE = "delete_message"
MANUAL = "manual"
GONE = "gone"


class PlanError(ValueError):
    """A plan cannot be made or read (the message never holds an identifier)."""


@dataclass
class Action:
    """One step of a plan. ``container``/``item`` are masked; ``target`` holds the true location."""

    store: str
    source: str
    container: str
    item: str
    field: str
    action: str
    statement: str
    why: str
    blocked_by: str = ""
    record_date: datetime | None = None
    reached: str = ""
    rkeys: list[str] = _field(default_factory=list)
    target: dict[str, Any] = _field(default_factory=dict)
    transaction: str = ""
    step: int = 0
    locations: list[dict[str, str]] = _field(default_factory=list)  # masked, one per record, when grouped

    @property
    def executable(self) -> bool:
        return not self.blocked_by and self.action not in (MANUAL, GONE)

    def as_dict(self, keys: Keys) -> dict[str, Any]:
        return {
            "step": self.step,
            "store": self.store,
            "source": self.source,
            "container": self.container,
            "item": self.item,
            "field": self.field,
            "reached": self.reached,
            "record_date": self.record_date.isoformat() if self.record_date else None,
            "action": self.action,
            "statement": self.statement,
            "transaction": self.transaction,
            "why": self.why,
            "blocked_by": self.blocked_by,
            "locations": self.locations or [{"container": self.container, "item": self.item, "field": self.field}],
            "rkeys": sorted(self.rkeys),
            "target_enc": seal(keys, self.target),
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any], keys: Keys) -> Action:
        rd = d.get("record_date")
        return cls(
            store=d["store"], source=d["source"], container=d["container"], item=d["item"], field=d["field"],
            action=d["action"], statement=d["statement"], why=d["why"], blocked_by=d.get("blocked_by", ""),
            record_date=datetime.fromisoformat(rd) if rd else None, reached=d.get("reached", ""),
            rkeys=list(d.get("rkeys", [])), target=unseal(keys, d["target_enc"]), transaction=d.get("transaction", ""),
            step=int(d.get("step", 0)), locations=list(d.get("locations", [])),
        )


def seal(keys: Keys, obj: Any) -> str:
    """``obj`` as JSON, encrypted under the data map key, base64."""
    return base64.b64encode(keys.encrypt(json.dumps(obj, sort_keys=True, ensure_ascii=False))).decode("ascii")


def unseal(keys: Keys, text: str) -> Any:
    try:
        return json.loads(keys.decrypt(base64.b64decode(text)))
    except Exception:  # noqa: BLE001 - InvalidTag, bad base64, bad JSON: one clear message
        raise PlanError("the plan cannot be decrypted with this key (made with another key, or altered)") from None


def plan_hash(body: dict[str, Any]) -> str:
    """SHA-256 of the plan's canonical JSON without its ``plan_hash``."""
    raw = json.dumps({k: v for k, v in body.items() if k != "plan_hash"}, sort_keys=True, ensure_ascii=False,
                     separators=(",", ":"))
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


# --------------------------------------------------------------------------------------- the data map


@dataclass(frozen=True)
class _Finding:
    field: str
    kind: str
    value_hash: str
    linkable: bool


def subject_hashes(dm: DataMap, h: str) -> set[str]:
    """The value hashes of the subject that ``h`` belongs to (``h`` itself included)."""
    with dm.engine.connect() as c:
        subj = c.execute(sa.select(subjects_t.c.subject).where(subjects_t.c.value_hash == h)).scalar()
        if subj is None:
            return {h}
        out = {r[0] for r in c.execute(sa.select(subjects_t.c.value_hash).where(subjects_t.c.subject == subj))}
    return out | {h}


def _findings(dm: DataMap, rkeys: Iterable[str]) -> dict[str, list[_Finding]]:
    out: dict[str, list[_Finding]] = defaultdict(list)
    with dm.engine.connect() as c:
        for part in in_chunks(rkeys):
            q = sa.select(findings_t.c.rkey, findings_t.c.field, findings_t.c.kind, findings_t.c.value_hash,
                          findings_t.c.linkable).where(findings_t.c.rkey.in_(part))
            for rkey, f, k, vh, linkable in c.execute(q):
                out[rkey].append(_Finding(f, k, vh, bool(linkable)))
    return out


def _unit_rows(dm: DataMap, rkeys: Iterable[str]) -> tuple[int, bool]:
    """(records read in the units of these records, whether any of them is a byte range of a split object)."""
    with dm.engine.connect() as c:
        uids: set[str] = set()
        for part in in_chunks(rkeys):
            uids.update(r[0] for r in c.execute(sa.select(records_t.c.unit_id).where(records_t.c.rkey.in_(part))))
        rows, split = 0, False
        for part in in_chunks(uids):
            for key, n in c.execute(sa.select(units_t.c.key, units_t.c.records).where(units_t.c.unit_id.in_(part))):
                rows += int(n or 0)
                split = split or bool(_SPLIT_UNIT.search(key or ""))
    return rows, split or len(uids) > 1


def _fk_graph(dm: DataMap, source: str, keys: Keys | None = None) -> dict[str, set[str]]:
    """container -> the containers it references (from the connector's ``dependencies``).

    Names are the true ones: a fact whose names held an identifier is stored
    masked with the true fact encrypted under ``"enc"``, decrypted here."""
    parents: dict[str, set[str]] = defaultdict(set)
    for d in _foreign_keys(dm, source, keys):
        if d.get("container") and d.get("ref_container") and d["container"] != d["ref_container"]:
            parents[d["container"]].add(d["ref_container"])
    return parents


def _foreign_keys(dm: DataMap, source: str, keys: Keys | None) -> Iterator[dict[str, Any]]:
    """The foreign-key facts of a source's ``dependencies``, with true names (an encrypted fact decrypted;
    one that cannot be read is passed over)."""
    with dm.engine.connect() as c:
        for (data,) in c.execute(sa.select(deps_t.c.data).where(deps_t.c.source == source)):
            try:
                d = json.loads(data)
                if d.get("enc") and keys is not None:
                    d = json.loads(keys.decrypt(base64.b64decode(d["enc"])))
            except ValueError:
                continue
            if d.get("kind") == "foreign_key":
                yield d


def fk_depth(parents: dict[str, set[str]]) -> Any:
    """A function container -> depth: 0 for a table that references nothing, else 1 + its deepest parent.

    Sorting by depth, deepest first, puts children before the parents they reference.

    >>> d = fk_depth({"lines": {"invoices"}, "invoices": {"customers"}})
    >>> [d(t) for t in ("lines", "invoices", "customers", "other")]
    [2, 1, 0, 0]
    """
    memo: dict[str, int] = {}

    def depth(c: str, seen: frozenset[str] = frozenset()) -> int:
        if c in memo:
            return memo[c]
        if c in seen:  # a cycle: break it here
            return 0
        ps = parents.get(c, set())
        d = 0 if not ps else 1 + max(depth(p, seen | {c}) for p in ps)
        memo[c] = d
        return d

    return depth


# --------------------------------------------------------------------------------------- SQL


@dataclass
class _Row:
    rkey: str
    container: str
    item: str
    masked_container: str
    masked_item: str
    reached: str
    record_date: datetime | None
    policy: Policy
    fields: set[str]
    op: str  # delete | update
    why: str
    set_null: list[str] = field(default_factory=list)
    set_empty: list[str] = field(default_factory=list)
    blocked_by: str = ""
    kind: str = ""  # own | mention | ref | history
    holds: list[str] = field(default_factory=list)  # columns holding the subject's values (checked before acting)
    ref_check: list[list[str]] = field(default_factory=list)  # [fk column, value] that must still point at the parent
    parent: str = ""  # rkey of the row this one was reached from


def _dialect(url: Any) -> Any:
    try:
        return url.get_dialect()()
    except Exception:  # noqa: BLE001 - a driver that is not installed: a neutral dialect for the display
        from sqlalchemy.engine import default

        return default.DefaultDialect()


def sql_statement(dialect: Any, op: str, container: str, key_cols: list[str], set_null: list[str],
                  set_empty: list[str] | tuple[str, ...] = ()) -> str:
    """The statement of one row action, with named placeholders ``:k0``, ``:k1`` for the key values.

    A correction sets ``set_null`` columns to NULL and ``set_empty`` (NOT NULL text) columns to ``''``, only
    where they still hold something, so that running it twice changes nothing the second time.
    """
    q = dialect.identifier_preparer
    schema, table = split_container(container)
    name = (q.quote_schema(schema) + "." if schema else "") + q.quote(table)
    where = " AND ".join(f"{q.quote(c)} = :k{i}" for i, c in enumerate(key_cols))
    if op == "update":
        sets = ", ".join([f"{q.quote(c)} = NULL" for c in set_null] + [f"{q.quote(c)} = ''" for c in set_empty])
        still = " OR ".join([f"{q.quote(c)} IS NOT NULL" for c in set_null] + [f"{q.quote(c)} <> ''" for c in set_empty])
        return f"UPDATE {name} SET {sets} WHERE {where} AND ({still})"
    return f"DELETE FROM {name} WHERE {where}"


def _column_info(cfg: Config, source: str) -> dict[str, dict[str, tuple[bool, bool]]]:
    """``{container: {column: (nullable, text type)}}`` from the connector's reflection; ``{}`` when unreadable."""
    from connectors.registry import build
    from connectors.sql import SqlConnector

    conn = build(source, cfg.source(source).options)
    try:
        assert isinstance(conn, SqlConnector)
        out: dict[str, dict[str, tuple[bool, bool]]] = {}
        for t in conn._tables():
            cols = {}
            for c in t.columns:
                typ = c.get("type")
                try:
                    texty = issubclass(typ._type_affinity, sa.String)  # type: ignore[union-attr]
                except Exception:  # noqa: BLE001
                    texty = False
                cols[c["name"]] = (bool(c.get("nullable", True)), texty)
            out[t.container] = cols
        return out
    except (ConnectorError, sa.exc.SQLAlchemyError):
        return {}
    finally:
        conn.close()


def _natural(item: str) -> tuple[Any, ...]:
    return tuple(int(p) if p.isdigit() else p for p in re.split(r"([0-9]+)", item))


def key_value(value: str, pytype: Any) -> Any:
    """A key value from a location item, converted to its column's Python type where that is safe."""
    try:
        if pytype is int:
            return int(value)
        if pytype is bytes and value.startswith("0x"):
            return bytes.fromhex(value[2:])
        if pytype is not None and pytype.__name__ == "Decimal":
            return pytype(value)
    except (ValueError, ArithmeticError):
        pass
    return value


def column_types(conn: sa.Connection, schema: str | None, table: str) -> dict[str, Any]:
    """``{column: Python type or None}`` of a table (empty when it cannot be reflected)."""
    types: dict[str, Any] = {}
    try:
        for col in sa.inspect(conn).get_columns(table, schema=schema):
            try:
                types[col["name"]] = col["type"].python_type
            except NotImplementedError:
                types[col["name"]] = None
    except sa.exc.SQLAlchemyError:
        pass
    return types


def _live_dates(cfg: Config, source: str, rows: list[_Row]) -> None:
    """Dates of rows the data map has none for (rows that only reference others hold no finding, so the map
    has no record of them): read from the row's date column (configured or recognised, as the scan does),
    through the connector's read-only session."""
    if not rows:
        return
    from connectors.registry import build
    from connectors.sql import SqlConnector, _as_datetime

    conn = build(source, cfg.source(source).options)
    try:
        assert isinstance(conn, SqlConnector)
        tables = {t.container: t for t in conn._tables()}
        types_of: dict[str, dict[str, Any]] = {}
        with conn.session() as c:
            for row in rows:
                t = tables.get(row.container)
                if t is None or not t.date_col or t.key_kind not in ("pk", "unique"):
                    continue
                try:
                    key = parse_item(row.item)
                except NameError_:
                    continue
                types = types_of.get(t.container)
                if types is None:
                    types = types_of[t.container] = column_types(c, t.schema, t.name)
                tbl = sa.table(t.name, *[sa.column(n) for n in dict.fromkeys([t.date_col, *(k for k, _ in key)])],
                               schema=t.schema)
                q = sa.select(tbl.c[t.date_col]).where(*[tbl.c[k] == key_value(v, types.get(k)) for k, v in key])
                row.record_date = _as_datetime(c.execute(q).scalar())
    except (ConnectorError, sa.exc.SQLAlchemyError):
        pass  # unknown dates: a retention rule then blocks (the age cannot be shown to be over)
    finally:
        conn.close()


def _ref_check(via: str, parent_item: str, ref_columns: list[str] | None = None) -> list[list[str]]:
    """``[[fk column, parent key value], ...]`` when the reference maps onto the parent's key, else ``[]``.

    With the key's referenced columns (the connector's ``dependencies``), each column is paired
    with the parent's value of the column it references: a key to a unique customer number of a
    table keyed by ``id`` maps onto no value of the parent's item, so there is nothing to check.
    """
    try:
        pk = parse_item(parent_item)
    except NameError_:
        return []
    cols = via.split(",")
    if ref_columns is not None and len(ref_columns) == len(cols):
        values = dict(pk)
        return [[c, values[rc]] for c, rc in zip(cols, ref_columns)] if all(rc in values for rc in ref_columns) else []
    return [[c, v] for c, (_, v) in zip(cols, pk)] if len(cols) == len(pk) else []


def _fk_ref_columns(dm: DataMap, source: str, keys: Keys | None = None) -> dict[tuple[str, str], list[str]]:
    """(container, ``via``) -> the columns the foreign key references (from the connector's ``dependencies``)."""
    return {(d.get("container") or "", ",".join(d["columns"])): list(d["ref_columns"])
            for d in _foreign_keys(dm, source, keys) if d.get("columns") and d.get("ref_columns")}


def _sql_actions(cfg: Config, dm: DataMap, keys: Keys, source: str, recs: list[SubjectRecord], subject: set[str],
                 findings: dict[str, list[_Finding]], now: datetime) -> list[Action]:
    # 1. what the data map says of each record: the subject's own row (holds a value of the subject as data),
    #    a row that mentions the subject in free text, or a row that only references one of the subject's rows
    rows: dict[str, _Row] = {}
    for r in recs:
        subj = [f for f in findings.get(r.rkey, []) if f.value_hash in subject]
        ident = (r.rkey, r.container, r.item, r.masked_container, r.masked_item, r.reached, r.record_date, r.policy)
        own = [f for f in subj if f.linkable]
        places = {list_element(f.field) for f in own}
        if subj and r.item.startswith("history "):
            # an ended version of a row of a system-versioned table (MariaDB: the table's #history unit); no
            # statement removes one version: the table's history is purged up to a time, every row's at once
            rows[r.rkey] = _Row(*ident, {f.field for f in subj}, "manual",
                                "an ended version of a row in a system-versioned table's history: it cannot be deleted "
                                "row by row; purge the table's history up to after this version ended (DELETE HISTORY "
                                "FROM the table BEFORE SYSTEM_TIME ..., which removes every row's older versions) or "
                                "record why it is kept", kind="history", holds=sorted({sql_column(f.field) for f in subj}))
        elif own and "" not in places and any(
                f.kind == PERSON_KIND and f.value_hash not in subject
                and not any(within_element(list_element(f.field), p) for p in places)
                for f in findings.get(r.rkey, [])):
            # the subject is one entry of a list of people on another person's row (a household in a JSON
            # column): neither the row nor what references it is the subject's
            rows[r.rkey] = _Row(*ident, {f.field for f in subj}, "manual",
                                "another person's row that lists the subject in "
                                f"{', '.join(sorted({f.field for f in subj}))}: remove the subject's entry by hand",
                                kind="mention", holds=sorted({sql_column(f.field) for f in subj}))
        elif own:
            held = sorted({f.field for f in own})
            rows[r.rkey] = _Row(*ident, set(r.fields) - {r.via}, "delete",
                                f"the subject's row (holds the subject's data in {', '.join(held)})", kind="own",
                                holds=sorted({sql_column(f.field) for f in subj}))
        elif subj:
            rows[r.rkey] = _Row(*ident, {f.field for f in subj}, "update",
                                "another party's row that mentions the subject in free text: the text is cleared",
                                set_null=sorted({sql_column(f.field) for f in subj}), kind="mention",
                                holds=sorted({sql_column(f.field) for f in subj}))
        else:  # decided below, by the row it references
            rows[r.rkey] = _Row(*ident, set(), "skip", "", kind="ref")
    # 2. rows that reference a row being deleted, transitively, are the subject's too (the customer's invoices, their
    #    lines, tickets), except a row of the same table (a customer the subject referred, an employee the subject
    #    manages): that is another party pointing at the subject, and only the reference is cleared
    edges: set[tuple[str, str, str]] = set()  # (child rkey, parent rkey, via)
    frontier = [k for k, row in rows.items() if row.kind == "own"]
    expanded = set(frontier)
    ref_columns = _fk_ref_columns(dm, source, keys)
    new_keys: list[str] = []
    with dm.engine.connect() as c:
        while frontier:
            nxt: list[str] = []
            for part in in_chunks(frontier):
                q = sa.select(refs_t.c.rkey_from, refs_t.c.rkey_to, refs_t.c.container, refs_t.c.item, refs_t.c.via,
                              refs_t.c.location_enc).where(refs_t.c.rkey_to.in_(part), refs_t.c.source == source)
                for frm, to, mc, mi, via, enc in sorted(c.execute(q), key=lambda t: (t[0], t[1], t[4])):
                    edges.add((frm, to, via))
                    child = rows.get(frm)
                    if child is None:
                        cont, item = (keys.decrypt(enc).split("\x1f", 1) if enc is not None else (mc, mi))
                        child = rows[frm] = _Row(frm, cont, item, mc, mi, "related", None,
                                                 policy_for(cfg, source, cont, None), set(), "skip", "", kind="ref")
                        new_keys.append(frm)
                    if child.op == "delete" or child.kind == "own":
                        continue
                    parent = rows[to]
                    child.ref_check = _ref_check(via, parent.item, ref_columns.get((child.container, via)))
                    child.parent = parent.rkey
                    # a self-reference (a customer the subject referred), or a key named for another role than
                    # the row's owner (an order's handled_by/created_by: the customer's order): unlink
                    role = not links_field(via)
                    if child.container == parent.container or role:
                        if child.op == "skip":
                            child.op, child.fields = "update", {via}
                            child.set_null = sorted(via.split(","))
                            child.why = (f"another party's row that names a row being erased as {via}: the reference "
                                         "is cleared" if role else
                                         f"another row of the same table that references a row being erased ({via}): "
                                         "the reference is cleared")
                        elif child.op == "update" and child.kind == "mention":
                            child.fields |= {via}
                            child.set_null = sorted(set(child.set_null) | set(via.split(",")))
                            child.why += f"; its reference to a row being erased ({via}) is cleared too"
                        continue
                    child.fields |= {via}
                    what = "a row of the subject" if parent.kind == "own" else "a row being erased"
                    child.why = f"references {what} ({via})" + (" and mentions the subject" if child.kind == "mention" else "")
                    child.op, child.set_null = "delete", []
                    if frm not in expanded:
                        expanded.add(frm)
                        nxt.append(frm)
            frontier = nxt
        # rows that only reference a row that is corrected, not deleted, are not the subject's
        for k in [k for k, row in rows.items() if row.op == "skip"]:
            del rows[k]
        edges = {(a, b, v) for a, b, v in edges if a in rows and b in rows}
        new_keys = [k for k in new_keys if k in rows]
        for part in in_chunks(new_keys):
            for rkey, rdate in c.execute(sa.select(records_t.c.rkey, records_t.c.record_date).where(records_t.c.rkey.in_(part))):
                rows[rkey].record_date = rdate
    _live_dates(cfg, source, [r for r in rows.values() if r.record_date is None])
    # a dependent row without a date of its own has its parent's (an invoice line, its invoice's)
    for _ in range(len(rows)):
        changed = False
        for ch, par, _via in edges:
            if rows[ch].op == "delete" and rows[ch].record_date is None and rows[par].record_date is not None:
                rows[ch].record_date = rows[par].record_date
                changed = True
        if not changed:
            break
    for row in rows.values():
        row.blocked_by = row.policy.erasure_block(row.record_date, now)
    # a row referenced by a retained row cannot be deleted either (the reference must stay valid)
    for _ in range(len(rows)):
        changed = False
        for ch, par, _via in sorted(edges):
            p = rows[par]
            if rows[ch].blocked_by and p.op == "delete" and not p.blocked_by:
                p.blocked_by = f"retain: referenced by a retained row of {rows[ch].masked_container}"
                changed = True
        if not changed:
            break
    # a NOT NULL column is corrected to '' (text) or, for other types, by hand
    updates = [r for r in rows.values() if r.op == "update"]
    info = _column_info(cfg, source) if updates else {}
    for row in updates:
        cols_info = info.get(row.container, {})
        keep_null: list[str] = []
        empty: list[str] = []
        stuck: list[str] = []
        for col in row.set_null:
            nullable, texty = cols_info.get(col, (True, False))
            (keep_null if nullable else empty if texty else stuck).append(col)
        row.set_null, row.set_empty = keep_null, empty
        if stuck:
            row.op = "manual"
            row.why += f"; {', '.join(stuck)} cannot be NULL or empty: correct it by hand"
    # a row still referenced by a row left for correction by hand cannot be deleted before that correction
    for _ in range(len(rows)):
        changed = False
        for ch, par, via in sorted(edges):
            p = rows[par]
            if rows[ch].op == "manual" and p.op == "delete":
                p.op = "manual"
                p.why += f"; still referenced by {rows[ch].masked_container} ({via}): delete it after that correction"
                changed = True
        if not changed:
            break
    src = cfg.source(source)
    from sqlalchemy.engine import make_url

    try:
        dialect = _dialect(make_url(str(src.options.get("url", ""))))
    except Exception:  # noqa: BLE001 - the URL may need ${ENV}: the display falls back to a neutral dialect
        from sqlalchemy.engine import default

        dialect = default.DefaultDialect()
    depth = fk_depth(_fk_graph(dm, source, keys))
    ordered = sorted(rows.values(), key=lambda r: (r.op != "update", -depth(r.container), r.masked_container,
                                                   _natural(r.masked_item)))
    out: list[Action] = []
    for row in ordered:
        base: dict[str, Any] = dict(store="sql", source=source, container=row.masked_container, item=row.masked_item,
                    field=",".join(sorted(f for f in row.fields if f)), reached=row.reached, record_date=row.record_date,
                    rkeys=[row.rkey], transaction=source, blocked_by=row.blocked_by)
        try:
            key = parse_item(row.item)
            schema_table = split_container(row.container)
        except NameError_ as exc:
            out.append(Action(action=MANUAL, statement="", why=f"{row.why}; cannot act on the row automatically: {exc}", **base))
            continue
        cols = [k for k, _ in key]
        if row.op == "manual":
            out.append(Action(action=MANUAL, statement="", why=row.why, **base))
            continue
        if cols in (["ctid"], ["row"]) and re.fullmatch(r"[0-9(),]+", key[0][1]):
            out.append(Action(action=MANUAL, statement="",
                              why=f"{row.why}; the table has no key (the row is located by {cols[0]}): erase it by hand",
                              **base))
            continue
        op = "update" if row.op == "update" else "delete"
        try:  # the statement shown names the masked table and key columns (a name can hold an identifier)
            shown_cols = [k for k, _ in parse_item(row.masked_item)] if row.masked_item != row.item else cols
            shown = sql_statement(dialect, op, row.masked_container, shown_cols, row.set_null, row.set_empty)
        except NameError_:
            shown = sql_statement(dialect, op, "<table>", [f"<key {i + 1}>" for i in range(len(cols))], row.set_null,
                                  row.set_empty)
        target = {"container": row.container, "schema": schema_table[0], "table": schema_table[1], "key": key,
                  "op": op, "set_null": row.set_null, "set_empty": row.set_empty,
                  "check": {"ref": row.ref_check, "parent": row.parent} if row.ref_check else
                  {"holds": row.holds} if row.holds else {"parent": row.parent} if row.parent else {}}
        out.append(Action(action=UPDATE_ROW if op == "update" else DELETE_ROW, statement=shown, why=row.why,
                          target=target, **base))
    return out


# --------------------------------------------------------------------------------------- files and S3


def _object_head(cfg: Config, store: str, source: str, container: str) -> dict[str, Any]:
    """Format, encoding and version of a file or object; ``{"gone": reason}`` when it cannot be read."""
    from connectors.formats.encoding import ascii_compatible
    from connectors.formats.sniffing import detect
    from connectors.registry import build

    conn = build(source, cfg.source(source).options)
    try:
        if store == "s3":
            bucket, key = container.split("/", 1)
            client = conn.client()  # type: ignore[attr-defined]
            try:
                resp = client.get_object(Bucket=bucket, Key=key, Range=f"bytes=0-{HEAD_BYTES - 1}")
                head = resp["Body"].read()
                resp["Body"].close()
            except Exception as exc:  # noqa: BLE001
                from connectors.s3 import describe_error

                code = getattr(exc, "response", {}).get("Error", {}).get("Code", "")
                if code == "InvalidRange":  # an empty object
                    resp = client.head_object(Bucket=bucket, Key=key)
                    head = b""
                else:
                    return {"gone": describe_error(exc)}
            size = int(str(resp.get("ContentRange", "")).rsplit("/", 1)[-1] or resp.get("ContentLength") or 0) \
                if resp.get("ContentRange") else int(resp.get("ContentLength") or 0)
            info: dict[str, Any] = {"bucket": bucket, "key": key, "etag": resp.get("ETag", ""), "size": size}
            if resp.get("VersionId"):
                info["version"] = resp["VersionId"]
        else:
            root = str(conn.root)  # type: ignore[attr-defined]
            full = root if os.path.isfile(root) else os.path.join(root, *container.split("/"))
            try:
                with open(full, "rb") as f:
                    head = f.read(HEAD_BYTES)
                    st = os.fstat(f.fileno())
            except OSError as exc:
                return {"gone": f"cannot open ({exc.strerror})"}
            size = st.st_size
            info = {"path": container, "size": st.st_size, "mtime_ns": st.st_mtime_ns,
                    "fingerprints": [fingerprint(st.st_size, st.st_mtime_ns, st.st_ino)]}
        if store == "s3":
            base = ("s3", info["etag"], size)
            info["fingerprints"] = [fingerprint(*base)] + ([fingerprint(*base, str(info["version"]))] if "version" in info else [])
        kind = detect(head, container, len(head) >= size)
        info["format"] = kind.format
        info["encoding"] = kind.encoding
        info["delimiter"] = kind.table.delimiter if kind.table is not None else ","
        info["line_based"] = kind.format in LINE_FORMATS and bool(kind.encoding) and ascii_compatible(kind.encoding)
        return info
    except (ConnectorError, ConfigError) as exc:
        return {"gone": safe_name(str(exc))}
    finally:
        conn.close()


def _scanned_fingerprint(dm: DataMap, keys: Keys, source: str, key: str) -> str | None:
    uid = keys.hasher()("unit", f"{source}\x1f{key}")[:32]
    with dm.engine.connect() as c:
        return c.execute(sa.select(units_t.c.fingerprint).where(units_t.c.unit_id == uid)).scalar()


def _record_locations(recs: list[SubjectRecord]) -> list[dict[str, str]]:
    return [{"container": r.masked_container, "item": r.masked_item, "field": ",".join(sorted(r.fields))}
            for r in sorted(recs, key=lambda r: (r.masked_container, _natural(r.masked_item)))]


# format of a file that holds tables (connectors.formats.sqlitedb, .sqldump) -> (what it is, what to do with rows in it)
_DUMP_TODO = ", a backup: delete the dump when it is no longer needed, or restore, erase and dump it again; then rescan"
_DATABASE_FILES = {
    "sqlite": ("a SQLite database file", ": delete or correct them with sqlite3 by hand, then rescan"),
    "pgdump": ("a PostgreSQL dump", _DUMP_TODO),
    "pgdump-sql": ("a PostgreSQL dump", _DUMP_TODO),
    "mysqldump": ("a MySQL/MariaDB dump", _DUMP_TODO),
}


def _object_actions(cfg: Config, dm: DataMap, keys: Keys, store: str, source: str, container: str,
                    recs: list[SubjectRecord], now: datetime) -> Action:
    masked = recs[0].masked_container
    name_hit = any(r.item == "" for r in recs)
    items = sorted({r.item for r in recs if r.item != ""}, key=_natural)
    masked_items = sorted({r.masked_item for r in recs if r.item != ""}, key=_natural)
    fields = sorted({f for r in recs for f in r.fields})
    blocked = next((b for r in recs if (b := r.policy.erasure_block(r.record_date, now))), "")
    dates = [r.record_date for r in recs if r.record_date is not None]
    base: dict[str, Any] = dict(store=store, source=source, container=masked, field=",".join(fields), reached=min(r.reached for r in recs),
                record_date=max(dates) if dates else None, rkeys=[r.rkey for r in recs], blocked_by=blocked,
                locations=_record_locations(recs))
    noun = "object" if store == "s3" else "file"
    delete = DELETE_OBJECT if store == "s3" else DELETE_FILE
    rewrite = REWRITE_OBJECT if store == "s3" else REWRITE_FILE
    if "!" in container and not name_hit:
        outer, inner = container.split("!", 1)
        outer_format = _object_head(cfg, store, source, outer).get("format") if "!" not in inner else None
        what_to_do = _DATABASE_FILES.get(outer_format or "")
        if what_to_do is not None:  # rows of a table in a database file or dump (not lines, not an archive)
            m_outer, m_table = masked.split("!", 1)
            return Action(item=",".join(masked_items), action=MANUAL, statement="",
                          why=f"rows of table {m_table} in {what_to_do[0]} ({m_outer}){what_to_do[1]}", **base)
        return Action(item=",".join(masked_items), action=MANUAL, statement="",
                      why=f"inside an archive ({masked.split('!', 1)[0]}): unpack, edit and repack it by hand", **base)
    info = _object_head(cfg, store, source, container)
    if "gone" in info:
        return Action(item=",".join(masked_items), action=GONE, statement="",
                      why=f"the {noun} cannot be read any more ({info['gone']}); rescan to update the data map", **base)
    rows, split = _unit_rows(dm, [r.rkey for r in recs])
    scanned = None if split else _scanned_fingerprint(dm, keys, source, container)
    fps = info.pop("fingerprints")
    if scanned is not None and scanned not in fps:
        return Action(item=",".join(masked_items), action=MANUAL, statement="",
                      why=f"the {noun} changed since the last scan: rescan it, then make a new plan", **base)
    sole = not split and rows > 0 and len(items) >= rows - 1
    target = dict(info, items=items)
    if store == "s3":
        del_stmt = "HeadObject Bucket=:bucket Key=:key (ETag must equal :etag); DeleteObject Bucket=:bucket Key=:key" \
                   " (and its older versions in a versioned bucket)"
        rw_stmt = ("GetObject Bucket=:bucket Key=:key If-Match=:etag; drop lines :items; "
                   "PutObject Bucket=:bucket Key=:key (older versions removed in a versioned bucket)")
    else:
        del_stmt = "unlink :path (size and mtime must equal the planned :size, :mtime_ns)"
        rw_stmt = "rewrite :path without lines :items (size and mtime must equal the planned :size, :mtime_ns)"
    if name_hit:
        return Action(item="", action=delete, statement=del_stmt, target=target,
                      why=f"the {noun}'s name holds the subject's identifier: the {noun} is about the subject", **base)
    if sole:
        return Action(item="", action=delete, statement=del_stmt, target=target,
                      why=f"every record of the {noun} is the subject's", **base)
    if info["line_based"] and all(line_item(i) for i in items):
        return Action(item=",".join(masked_items), action=rewrite, statement=rw_stmt, target=target,
                      why=f"the {noun} ({info['format']}) also holds other records: the subject's lines are dropped",
                      **base)
    from connectors.formats.sniffing import extension

    ext = extension(container)
    label = info["format"] + (f" ({ext})" if ext and ext.lstrip(".") != info["format"] else "")
    return Action(item=",".join(masked_items), action=MANUAL, statement="", target=target,
                  why=f"the {noun} ({label}) also holds other records and cannot be rewritten line by line: "
                      f"edit it by hand", **base)


def _old_versions(cfg: Config, source: str, recs: list[SubjectRecord], now: datetime) -> tuple[list[SubjectRecord], list[Action]]:
    """The records of the current S3 objects, and one action per old version that holds the rest.

    An old version's records (item ``old version <id>: <item>``, :func:`connectors.s3.split_version_item`)
    are grouped by the version of the object they were read from (found by ``HeadObject VersionId``: the
    container itself, else the archive it is an entry of).
    """
    from connectors.readback import archive_candidates
    from connectors.registry import build
    from connectors.s3 import describe_error, split_version_item

    current: list[SubjectRecord] = []
    by_version: dict[str, list[SubjectRecord]] = defaultdict(list)
    for r in recs:
        version = split_version_item(r.item)[0]
        if version is None:
            current.append(r)
        else:
            by_version[version].append(r)
    if not by_version:
        return current, []
    conn = build(source, cfg.source(source).options)
    heads: dict[tuple[str, str], dict[str, Any] | str] = {}

    def head(path: str, version: str) -> dict[str, Any] | str:
        if (path, version) not in heads:
            bucket, _, key = path.partition("/")
            try:
                heads[(path, version)] = conn.client().head_object(Bucket=bucket, Key=key, VersionId=version)  # type: ignore[attr-defined]
            except Exception as exc:  # noqa: BLE001 - mapped to a reason
                heads[(path, version)] = describe_error(exc)
        return heads[(path, version)]

    actions: list[Action] = []
    try:
        for version, vrecs in by_version.items():
            groups: dict[str, list[SubjectRecord]] = defaultdict(list)
            for r in vrecs:
                cands = archive_candidates(r.container)
                groups[next((c for c in cands if not isinstance(head(c, version), str)), cands[0])].append(r)
            for path, grecs in groups.items():
                actions.append(_version_action(conn, path, version, grecs, head(path, version), now))
    finally:
        conn.close()
    return current, actions


def _version_action(conn: Any, path: str, version: str, recs: list[SubjectRecord], head: dict[str, Any] | str,
                    now: datetime) -> Action:
    """Delete one old version of an object that holds the subject's data (an old version cannot be rewritten)."""
    from connectors.s3 import split_version_item, version_item

    depth = path.count("!")  # the object's masked name: as many '!' parts of the record's masked container
    masked = "!".join(recs[0].masked_container.split("!")[: depth + 1])
    shown = split_version_item(recs[0].masked_item)[0]
    blocked = next((b for r in recs if (b := r.policy.erasure_block(r.record_date, now))), "")
    dates = [r.record_date for r in recs if r.record_date is not None]
    base: dict[str, Any] = dict(
        store="s3", source=recs[0].source, container=masked, item=version_item(shown) if shown else recs[0].masked_item,
        field=",".join(sorted({f for r in recs for f in r.fields})), reached=min(r.reached for r in recs),
        record_date=max(dates) if dates else None, rkeys=[r.rkey for r in recs], blocked_by=blocked,
        locations=_record_locations(recs))
    if isinstance(head, str):
        return Action(action=GONE, statement="",
                      why=f"the old version cannot be read any more ({head}); rescan to update the data map", **base)
    bucket, _, key = path.partition("/")
    try:
        latest = conn.client().head_object(Bucket=bucket, Key=key).get("VersionId")
    except Exception:  # noqa: BLE001 - the object itself is deleted (a delete marker) or unreadable: the version is old
        latest = None
    if latest == version:
        return Action(action=MANUAL, statement="",
                      why="the version scanned as an old one is the object's current version now (newer ones were "
                          "deleted): rescan it, then make a new plan", **base)
    target = {"bucket": bucket, "key": key, "version": version, "etag": head.get("ETag", ""),
              "size": int(head.get("ContentLength") or 0)}
    return Action(action=DELETE_VERSION, target=target,
                  statement="HeadObject Bucket=:bucket Key=:key VersionId=:version (ETag must equal :etag); "
                            "DeleteObject Bucket=:bucket Key=:key VersionId=:version",
                  why="an old version of the object holds the subject's data; an old version cannot be rewritten: "
                      "it is deleted (the current object and the other versions stay)", **base)


# --------------------------------------------------------------------------------------- mail


def mailbox_kind(cfg: Config, source: str, container: str) -> str:
    """``imap``, ``maildir``, ``mbox`` or ``eml`` for a mail location's container."""
    src = cfg.source(source)
    if src.type == "imap":
        return "imap"
    from connectors.mail import _maildir, sniff

    root = str(src.options.get("path", ""))
    if not os.path.isdir(root):
        full = root
    else:
        full = root if container in ("", ".") else os.path.join(root, *container.split("/"))
    if os.path.isdir(full):
        return "maildir" if _maildir(full) else "unknown"
    try:
        with open(full, "rb") as f:
            return sniff(f.read(16 * 1024), full) or "unknown"
    except OSError:
        return "gone"


_MAIL_STATEMENTS = {
    "imap": "SELECT :folder; UID SEARCH HEADER Message-ID :message_id; UID STORE :uid +FLAGS (\\Deleted); UID EXPUNGE :uid",
    "maildir": "unlink the message file in :folder/cur|new whose Message-ID is :message_id",
    "mbox": "rewrite :mbox without the message whose Message-ID is :message_id",
    "eml": "unlink :file (its Message-ID must be :message_id)",
    "msg": "unlink :file (an Outlook message)",
}


def _mail_action(cfg: Config, source: str, container: str, item: str, recs: list[SubjectRecord], now: datetime) -> Action:
    blocked = next((b for r in recs if (b := r.policy.erasure_block(r.record_date, now))), "")
    dates = [r.record_date for r in recs if r.record_date is not None]
    fields = sorted({f for r in recs for f in r.fields})
    base: dict[str, Any] = dict(store="mail", source=source, container=recs[0].masked_container, item=recs[0].masked_item,
                field=",".join(fields), reached=min(r.reached for r in recs), record_date=max(dates) if dates else None,
                rkeys=[r.rkey for r in recs], blocked_by=blocked, locations=_record_locations(recs))
    kind = mailbox_kind(cfg, source, container)
    found = {f for r in recs for f in r.fields}
    sender = bool(found & {"header:From", "envelope:From", "header:Sender", "header:Reply-To"})
    party = sender or any(f.startswith(("header:", "envelope:")) and f != "header:Subject" for f in found)
    why = "a mail sent by the subject" if sender else "a mail to the subject" if party else ""
    if not party:
        return Action(action=MANUAL, statement="",
                      why="a mail between others that mentions the subject (in its text or an attachment): "
                          "review it and delete or redact it by hand", **base)
    if kind == "gone":
        return Action(action=GONE, statement="", why="the mailbox cannot be read any more; rescan to update the data map", **base)
    if item.startswith("sha256:") or kind not in _MAIL_STATEMENTS:
        return Action(action=MANUAL, statement="",
                      why=f"{why}; it has no Message-ID (or the mailbox is not recognised): delete it by hand", **base)
    return Action(action=DELETE_MESSAGE, statement=_MAIL_STATEMENTS[kind], why=why,
                  target={"mailbox": container, "kind": kind, "message_id": item}, **base)


# --------------------------------------------------------------------------------------- the plan


def build_plan(cfg: Config, dm: DataMap, keys: Keys, kind: str, value: str, *, now: datetime | None = None) -> dict[str, Any]:
    """The erasure plan of the subject identified by ``value`` of ``kind``, as a JSON-able dict.

    Nothing is changed anywhere; files and objects are read (their first
    64 KiB) to tell line-based formats from others and to pin their version.
    """
    now = now or datetime.now()
    canon, *other_forms = canonical_forms(kind, value)
    h = keys.hash(kind, canon)
    also = [keys.hash(kind, v) for v in other_forms]  # a bank account's IBAN and vice versa
    records = records_for_hash(cfg, dm, keys, h, also)
    subject = subject_hashes(dm, h).union(*(subject_hashes(dm, x) for x in also))
    findings = _findings(dm, [r.rkey for r in records])
    actions: list[Action] = []
    order = {s.name: i for i, s in enumerate(cfg.sources)}
    by_source: dict[str, list[SubjectRecord]] = defaultdict(list)
    for r in records:
        by_source[r.source].append(r)
    for source in sorted(by_source, key=lambda s: (order.get(s, len(order)), s)):
        recs = by_source[source]
        if source not in order:
            for r in recs:
                actions.append(Action(store=r.store, source=source, container=r.masked_container, item=r.masked_item,
                                      field=",".join(sorted(r.fields)), action=MANUAL, statement="",
                                      why="the source is no longer in the config", reached=r.reached,
                                      record_date=r.record_date, rkeys=[r.rkey]))
            continue
        store = recs[0].store
        if store == "sql":
            actions.extend(_sql_actions(cfg, dm, keys, source, recs, subject, findings, now))
        elif store in ("s3", "files"):
            versions: list[Action] = []
            if store == "s3":  # old versions of objects: each deleted as a whole
                recs, versions = _old_versions(cfg, source, recs, now)
            groups: dict[str, list[SubjectRecord]] = defaultdict(list)
            for r in recs:
                groups[r.container].append(r)
            acts = [_object_actions(cfg, dm, keys, store, source, cont, rs, now) for cont, rs in groups.items()]
            actions.extend(sorted(acts + versions, key=lambda a: (a.container, _natural(a.item))))
        elif store == "mail":
            mails: dict[tuple[str, str], list[SubjectRecord]] = defaultdict(list)
            for r in recs:
                mails[(r.container, r.item)].append(r)
            acts = [_mail_action(cfg, source, c, i, rs, now) for (c, i), rs in mails.items()]
            actions.extend(sorted(acts, key=lambda a: (a.container, a.item)))
        else:
            for r in recs:
                actions.append(Action(store=store, source=source, container=r.masked_container, item=r.masked_item,
                                      field=",".join(sorted(r.fields)), action=MANUAL, statement="",
                                      why=f"no erasure support for {store} stores", reached=r.reached,
                                      record_date=r.record_date, rkeys=[r.rkey]))
    for i, a in enumerate(actions, 1):
        a.step = i
    counts: dict[str, int] = defaultdict(int)
    for a in actions:
        counts[a.action] += 1
    from detectors.base import mask

    masked = mask(kind, canon)
    coverage = _coverage(dm)
    warnings = [f"{n} unit(s) of source {src} failed in the last scan: the plan may miss locations there "
                "(see 'pii-scan report datamap')" for src, n in sorted(coverage["failed_units"].items())]
    body: dict[str, Any] = {
        "format": PLAN_FORMAT,
        "created_at": datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z"),
        "config": str(cfg.path.resolve()) if cfg.path else None,
        "datamap_key_id": keys.fingerprint(),
        "subject": {"kind": kind, "masked": masked},
        "subject_enc": seal(keys, {"kind": kind, "value": canon, "hashes": sorted(subject)}),
        "summary": {
            "actions": len(actions),
            "executable": sum(1 for a in actions if a.executable),
            "blocked": sum(1 for a in actions if a.blocked_by),
            "manual": counts.get(MANUAL, 0),
            "by_action": dict(sorted(counts.items())),
        },
        "data_map": coverage,
        "warnings": warnings,
        "actions": [a.as_dict(keys) for a in actions],
    }
    body["plan_hash"] = plan_hash(body)
    return body


def _coverage(dm: DataMap) -> dict[str, Any]:
    """When the data map was last scanned, and which sources have failed units (the plan cannot see into them)."""
    from pii_scan.datamap import scans_t

    with dm.engine.connect() as c:
        # the last scan that read its sources: a failed or interrupted scan's finished_at is only when it stopped
        # (or when a later scan found its process gone), not a view of the sources
        last = c.execute(sa.select(sa.func.max(scans_t.c.finished_at))
                         .where(scans_t.c.status.in_(("complete", "partial")))).scalar()
        failed: dict[str, int] = {
            str(src): int(n) for src, n in c.execute(
                sa.select(units_t.c.source, sa.func.count()).where(units_t.c.status == "failed").group_by(units_t.c.source))
        }
    return {"last_scan": last.isoformat() if last else None, "failed_units": failed}


def load_plan(text: str) -> dict[str, Any]:
    """A plan read back from JSON, its hash checked."""
    try:
        body = json.loads(text)
    except ValueError:
        raise PlanError("the plan is not JSON (write it with 'pii-scan erasure-plan --format json')") from None
    if not isinstance(body, dict) or body.get("format") != PLAN_FORMAT:
        raise PlanError(f"not an erasure plan of this version (expected format {PLAN_FORMAT})")
    if body.get("plan_hash") != plan_hash(body):
        raise PlanError("the plan's hash does not match its content: it was altered after it was made")
    return body


# --------------------------------------------------------------------------------------- text


def render_text(body: dict[str, Any]) -> str:
    """The plan for people: one block per step, the blocked ones marked."""
    s = body["summary"]
    lines = [
        f"Erasure plan for the data subject {body['subject']['masked']} ({body['subject']['kind']})",
        f"made {body['created_at']} from {body.get('config') or '-'}; plan hash {body['plan_hash'][:16]}",
        f"{s['actions']} step(s): {s['executable']} to execute, {s['blocked']} retained, {s['manual']} by hand",
        f"data map last scanned {(body.get('data_map') or {}).get('last_scan') or 'never'}",
    ]
    lines += [f"WARNING: {w}" for w in body.get("warnings", [])]
    lines.append("")
    for a in body["actions"]:
        where = f"{a['store']}://{a['source']}/{a['container']}"
        if a["item"]:
            where += f"  [{a['item']}]"
        status = "RETAINED" if a["blocked_by"] else ("BY HAND" if a["action"] == MANUAL else
                                                     "NOTHING TO DO" if a["action"] == GONE else "erase")
        lines.append(f"{a['step']:>3}. {status:<8} {a['action']:<15} {where}")
        if a["field"]:
            lines.append(f"       fields: {a['field']}")
        lines.append(f"       why: {a['why']}")
        if a["statement"]:
            lines.append(f"       statement: {a['statement']}")
        if a["blocked_by"]:
            lines.append(f"       blocked: {a['blocked_by']}")
        if a["record_date"]:
            lines.append(f"       record date: {a['record_date']}")
    lines.append("")
    lines.append("Nothing has been changed. Execute with: pii-scan erase --plan PLAN.json --confirm "
                 "(a dry run without --confirm)")
    return "\n".join(lines) + "\n"
