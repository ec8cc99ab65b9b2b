"""``pii-scan report datamap``: the data map by system, container and field.

What a DPO reads to see where personal data lives: per system (a configured
source) its containers (tables, files, objects, mailboxes) and, in each, the
fields that hold personal data, with the kinds found, their fideslang
categories and the counts of findings, records and distinct data subjects;
then the scan coverage per source and the units that failed, with reasons.

Formats:

* ``html``: one self-contained page (inline CSS and JS, no fonts, images or
  requests of any kind; a Content-Security-Policy allows only the page's own
  style and script, by hash). Filters by kind and by system; each system
  folds. Every name is escaped: a table called ``<script>...`` is shown as text.
* ``json``: ``{"generated_at", "totals", "sources", "failed_units", "rows"}``.
* ``csv`` and ``parquet``: the rows only.

A *row* is one field of one container: ``store``, ``source``, ``container``,
``item``, ``field``, ``kinds``, ``subkinds``, ``categories`` (fideslang keys),
``findings``, ``records``, ``subjects``, ``test_data`` and ``last_scan`` (when a
scan last read it: a later scan that skipped it as unchanged keeps the date). The
report is at field level, so ``item`` is always ``""``; ``records`` says how
many items (rows, lines, mails, ...) of the container hold data in that field.
Rows that only *reference* a person's row through a foreign key (an invoice's
``customer_id``) are rows with the kind ``reference``; their ``subjects`` are
the subjects of the rows they reference.

Distinct subjects are distinct subject ids of the ``subjects`` table, or the
value hash for a value not linked to any subject (a data map scanned before
linking). Everything is aggregated in SQL and streamed: the map may hold
millions of findings. Names are the data map's, identifiers in them already
masked; nothing is decrypted.
"""

from __future__ import annotations

import csv
import hashlib
import html
import io
import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import resources
from typing import IO, Any

import sqlalchemy as sa

from pii_scan.config import Config
from pii_scan.datamap import DataMap, findings_t, records_t, refs_t, scans_t, subjects_t, units_t
from reports.categories import categories_of, kind_label

FORMATS = ("html", "json", "csv", "parquet")
ROW_COLUMNS = (
    "store", "source", "container", "item", "field", "kinds", "subkinds", "categories",
    "findings", "records", "subjects", "test_data", "last_scan",
)
_LIST_COLUMNS = ("kinds", "subkinds", "categories")
_INT_COLUMNS = ("findings", "records", "subjects", "test_data")


# --- aggregation (shared with the register) --------------------------------------------


def hits() -> sa.Subquery:
    """Findings and foreign-key references as one selectable, one row per (finding | reference, value).

    Columns: ``store, source, container, field, kind, subkind, fid, rkey, subj, test, unit_id``.
    ``fid`` identifies the finding (negative for a reference, whose row repeats
    once per value of the referenced record); ``subj`` is the subject id, or the
    value hash of a value without one.
    """
    f, r, s = findings_t, records_t, subjects_t
    direct = (
        sa.select(
            r.c.store.label("store"), r.c.source.label("source"), r.c.container.label("container"),
            f.c.field.label("field"), f.c.kind.label("kind"), f.c.subkind.label("subkind"),
            f.c.id.label("fid"), r.c.rkey.label("rkey"),
            sa.func.coalesce(s.c.subject, f.c.value_hash).label("subj"),
            sa.case((f.c.test_data.is_(True), 1), else_=0).label("test"),
            r.c.unit_id.label("unit_id"),
        )
        .select_from(f.join(r, r.c.rkey == f.c.rkey).outerjoin(s, s.c.value_hash == f.c.value_hash))
    )
    rf, ft, st = refs_t, findings_t.alias("ft"), subjects_t.alias("st")
    related = (
        sa.select(
            rf.c.store, rf.c.source, rf.c.container, rf.c.via,
            sa.literal("reference", sa.String), sa.literal("foreign_key", sa.String),
            (-rf.c.id), rf.c.rkey_from,
            sa.func.coalesce(st.c.subject, ft.c.value_hash),
            sa.literal(0, sa.Integer),
            rf.c.unit_id,
        )
        .select_from(rf.outerjoin(ft, ft.c.rkey == rf.c.rkey_to).outerjoin(st, st.c.value_hash == ft.c.value_hash))
    )
    return sa.union_all(direct, related).subquery("hits")


def _totals_cols(h: sa.Subquery) -> list[Any]:
    return [
        sa.func.count(sa.distinct(h.c.fid)).label("findings"),
        sa.func.count(sa.distinct(h.c.rkey)).label("records"),
        sa.func.count(sa.distinct(h.c.subj)).label("subjects"),
        sa.func.coalesce(sa.func.sum(h.c.test), 0).label("test_data"),
    ]


@dataclass
class Group:
    """One aggregated group (a container, or a field of a container) and its kinds."""

    key: tuple[str, ...]
    findings: int
    records: int
    subjects: int
    test_data: int
    last_scan: datetime | None
    kinds: list[dict[str, Any]] = field(default_factory=list)  # kind, subkind, findings, subjects

    @property
    def kind_names(self) -> list[str]:
        return sorted({k["kind"] for k in self.kinds})

    @property
    def subkind_names(self) -> list[str]:
        return sorted({k["subkind"] for k in self.kinds})

    @property
    def categories(self) -> list[str]:
        return [c.key for c in categories_of((k["kind"], k["subkind"]) for k in self.kinds)]


def groups(dm: DataMap, by: tuple[str, ...], batch: int = 5_000) -> Iterator[Group]:
    """Aggregate the map by ``by`` (e.g. ``("store", "source", "container")``), streamed in key order.

    Two GROUP BY queries in the same order, merged: the totals per group
    (distinct subjects across kinds cannot be summed from per-kind counts) and
    the counts per kind and subkind within each group.
    """
    h = hits()
    u = units_t
    keys = [h.c[c] for c in by]
    q_tot = (
        sa.select(*keys, *_totals_cols(h), sa.func.max(u.c.scanned_at).label("last_scan"))
        .select_from(h.outerjoin(u, u.c.unit_id == h.c.unit_id))
        .group_by(*keys).order_by(*keys)
    )
    q_kind = (
        sa.select(*keys, h.c.kind, h.c.subkind, sa.func.count(sa.distinct(h.c.fid)), sa.func.count(sa.distinct(h.c.subj)))
        .group_by(*keys, h.c.kind, h.c.subkind).order_by(*keys, h.c.kind, h.c.subkind)
    )
    n = len(by)
    with dm.engine.connect() as c1, dm.engine.connect() as c2:
        tot = c1.execution_options(stream_results=True, yield_per=batch).execute(q_tot)
        kin = c2.execution_options(stream_results=True, yield_per=batch).execute(q_kind)
        pending = next(kin, None)
        for row in tot:
            key = tuple(row[:n])
            g = Group(key, int(row.findings), int(row.records), int(row.subjects), int(row.test_data), row.last_scan)
            while pending is not None and tuple(pending[:n]) == key:
                g.kinds.append({"kind": pending[n], "subkind": pending[n + 1], "findings": int(pending[n + 2]),
                                "subjects": int(pending[n + 3])})
                pending = next(kin, None)
            if not g.kinds:  # the two queries disagree on order: never expected, but never silent
                raise RuntimeError("data map aggregation out of step (collation differs between queries?)")
            yield g


def source_totals(dm: DataMap) -> dict[str, dict[str, int]]:
    """source -> containers, fields, findings, records, subjects (one small GROUP BY)."""
    h = hits()
    q = sa.select(
        h.c.source, sa.func.count(sa.distinct(h.c.container)).label("containers"), *_totals_cols(h)
    ).group_by(h.c.source)
    with dm.engine.connect() as c:
        return {r.source: {"containers": int(r.containers), "findings": int(r.findings), "records": int(r.records),
                           "subjects": int(r.subjects), "test_data": int(r.test_data)} for r in c.execute(q)}


def coverage(dm: DataMap, cfg: Config | None = None) -> list[dict[str, Any]]:
    """Scan coverage per source, from the ``units`` table.

    ``done`` units were read in the source's latest scan, ``skipped`` ones were
    unchanged since an earlier scan (so not read again), ``failed`` ones could
    not be read (see :func:`failed_units`); ``units = done + skipped + failed``.
    Sources in the config that were never scanned are listed with zeros;
    sources in the map but no longer in the config are marked.
    """
    u = units_t
    latest = sa.select(u.c.source, sa.func.max(u.c.scan_id).label("m")).group_by(u.c.source).subquery("latest")
    failed = u.c.status == "failed"
    q = (
        sa.select(
            u.c.source, sa.func.min(u.c.store).label("store"), sa.func.count().label("units"),
            sa.func.sum(sa.case((sa.and_(~failed, u.c.scan_id == latest.c.m), 1), else_=0)).label("done"),
            sa.func.sum(sa.case((sa.and_(~failed, u.c.scan_id != latest.c.m), 1), else_=0)).label("skipped"),
            sa.func.sum(sa.case((failed, 1), else_=0)).label("failed"),
            sa.func.coalesce(sa.func.sum(u.c.records), 0).label("records_read"),
            sa.func.max(u.c.scanned_at).label("last_scan"),
        )
        .select_from(u.join(latest, latest.c.source == u.c.source))
        .group_by(u.c.source).order_by(u.c.source)
    )
    with dm.engine.connect() as c:
        rows = [
            {"source": r.source, "store": r.store, "units": int(r.units), "done": int(r.done or 0),
             "skipped": int(r.skipped or 0), "failed": int(r.failed or 0), "records_read": int(r.records_read),
             "last_scan": _iso(r.last_scan), "configured": True}
            for r in c.execute(q)
        ]
    if cfg is not None:
        names = {s.name for s in cfg.sources}
        seen = {r["source"] for r in rows}
        for r in rows:
            r["configured"] = r["source"] in names
        for s in cfg.sources:
            if s.name not in seen:
                rows.append({"source": s.name, "store": s.type, "units": 0, "done": 0, "skipped": 0, "failed": 0,
                             "records_read": 0, "last_scan": None, "configured": True})
        rows.sort(key=lambda r: r["source"])
    return rows


def failed_units(dm: DataMap) -> Iterator[dict[str, Any]]:
    """Units that failed in their latest scan: source, unit (masked key), reason (masked), when."""
    u = units_t
    q = (
        sa.select(u.c.source, u.c.store, u.c.key, u.c.reason, u.c.scanned_at)
        .where(u.c.status == "failed").order_by(u.c.source, u.c.key)
    )
    with dm.engine.connect() as c:
        for r in c.execution_options(stream_results=True, yield_per=1000).execute(q):
            yield {"source": r.source, "store": r.store, "unit": r.key, "reason": r.reason or "",
                   "scanned_at": _iso(r.scanned_at)}


def map_totals(dm: DataMap) -> dict[str, Any]:
    counts: dict[str, Any] = dict(dm.counts())
    with dm.engine.connect() as c:
        last = c.execute(sa.select(scans_t.c.id, scans_t.c.finished_at, scans_t.c.status).order_by(scans_t.c.id.desc()).limit(1)).first()
    counts["last_scan"] = _iso(last.finished_at) if last is not None else None
    counts["last_scan_status"] = last.status if last is not None else None
    return counts


def _iso(d: datetime | None) -> str | None:
    """Naive UTC datetimes of the data map as ``2026-11-26T10:30:24Z``."""
    if d is None:
        return None
    if isinstance(d, str):  # some drivers hand back text
        d = datetime.fromisoformat(d)
    return d.replace(microsecond=0, tzinfo=None).isoformat() + "Z"


# --- rows -------------------------------------------------------------------------------


def rows(dm: DataMap) -> Iterator[dict[str, Any]]:
    """One row per field of each container (see the module docstring), streamed."""
    for g in groups(dm, ("source", "store", "container", "field")):
        source, store, container, fld = g.key
        yield {
            "store": store, "source": source, "container": container, "item": "", "field": fld,
            "kinds": g.kind_names, "subkinds": g.subkind_names, "categories": g.categories,
            "findings": g.findings, "records": g.records, "subjects": g.subjects, "test_data": g.test_data,
            "last_scan": _iso(g.last_scan),
            "by_kind": [dict(k, category=c.key) for k in g.kinds for c in categories_of([(k["kind"], k["subkind"])])],
        }


# --- output -----------------------------------------------------------------------------


@contextmanager
def open_output(output: str | None, *, binary: bool = False) -> Iterator[IO[Any]]:
    """The file to write (``None``: standard output), text in UTF-8 with ``\\n`` line ends, or bytes."""
    if output is None:
        sys.stdout.flush()
        if binary:
            yield sys.stdout.buffer
            sys.stdout.buffer.flush()
        else:  # UTF-8 whatever the locale; a name with undecodable bytes is escaped, not an error
            w = io.TextIOWrapper(sys.stdout.buffer, encoding="utf-8", errors="backslashreplace", newline="")
            try:
                yield w
            finally:
                w.flush()
                w.detach()
        return
    if binary:
        with open(output, "wb") as fh:
            yield fh
    else:
        with open(output, "w", encoding="utf-8", errors="backslashreplace", newline="") as fh:
            yield fh


def now_utc() -> str:
    return datetime.now(UTC).replace(microsecond=0, tzinfo=None).isoformat() + "Z"


def run(cfg: Config, *, fmt: str, output: str | None) -> int:
    """Write the data map report in ``fmt`` to ``output`` (default standard output); returns the exit code (0)."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r} (choose from {', '.join(FORMATS)})")
    dm = DataMap(cfg.datamap_url)
    try:
        n = write(dm, cfg, fmt, output)
    finally:
        dm.close()
    sys.stderr.write(f"data map report: {n} field row(s) written{' to ' + output if output else ''}\n")
    return 0


def write(dm: DataMap, cfg: Config | None, fmt: str, output: str | None) -> int:
    """Write the report; returns the number of field rows."""
    if fmt == "parquet":
        with open_output(output, binary=True) as fh:
            return _write_parquet(dm, fh)
    with open_output(output) as fh:
        if fmt == "csv":
            return _write_csv(dm, fh)
        if fmt == "json":
            return _write_json(dm, cfg, fh)
        return _write_html(dm, cfg, fh)


def _flat(row: dict[str, Any]) -> dict[str, Any]:
    out = {k: row[k] for k in ROW_COLUMNS}
    for k in _LIST_COLUMNS:
        out[k] = ";".join(row[k])
    out["last_scan"] = row["last_scan"] or ""
    return out


def _write_csv(dm: DataMap, fh: IO[str]) -> int:
    w = csv.DictWriter(fh, fieldnames=ROW_COLUMNS, lineterminator="\n")
    w.writeheader()
    n = 0
    for row in rows(dm):
        w.writerow(_flat(row))
        n += 1
    return n


def _write_parquet(dm: DataMap, fh: IO[bytes]) -> int:
    import pyarrow as pa

    from pii_scan.export import write_parquet

    def typ(c: str) -> pa.DataType:
        if c in _LIST_COLUMNS:
            return pa.list_(pa.string())
        if c in _INT_COLUMNS:
            return pa.int64()
        return pa.string()

    return write_parquet(fh, pa.schema([(c, typ(c)) for c in ROW_COLUMNS]), rows(dm))


def _write_json(dm: DataMap, cfg: Config | None, fh: IO[str]) -> int:
    def dump(v: Any) -> str:
        return json.dumps(v, ensure_ascii=False, sort_keys=True)

    fh.write("{\n")
    fh.write(f'"generated_at": {dump(now_utc())},\n')
    fh.write(f'"totals": {dump(map_totals(dm))},\n')
    fh.write('"sources": [')
    per_source = source_totals(dm)
    empty = {"containers": 0, "findings": 0, "records": 0, "subjects": 0, "test_data": 0}
    for i, s in enumerate(coverage(dm, cfg)):
        s = dict(s, **per_source.get(s["source"], empty))
        fh.write(("," if i else "") + "\n  " + dump(s))
    fh.write('\n],\n"failed_units": [')
    for i, f in enumerate(failed_units(dm)):
        fh.write(("," if i else "") + "\n  " + dump(f))
    fh.write('\n],\n"rows": [')
    n = 0
    for row in rows(dm):
        fh.write(("," if n else "") + "\n  " + dump(row))
        n += 1
    fh.write("\n]\n}\n")
    return n


# --- HTML -------------------------------------------------------------------------------


def _asset(name: str) -> str:
    return resources.files("reports").joinpath("templates", name).read_text("utf-8")


def _e(v: Any) -> str:
    return html.escape("" if v is None else str(v), quote=True)


def _csp_hash(text: str) -> str:
    import base64

    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode("ascii") + "'"


def _kinds_html(kinds: list[dict[str, Any]]) -> str:
    out = []
    for k in kinds:
        cat = categories_of([(k["kind"], k["subkind"])])[0]
        title = f"{kind_label(k['kind'], k['subkind'])} - {cat.key} ({k['findings']} finding(s))"
        out.append(
            f'<span class="kind {_e(k["kind"])}" title="{_e(title)}">{_e(k["kind"])}'
            f'{"/" + _e(k["subkind"]) if k["subkind"] != k["kind"] else ""}</span>'
        )
    return "".join(out)


def _write_html(dm: DataMap, cfg: Config | None, fh: IO[str]) -> int:
    css, js = _asset("datamap.css"), _asset("datamap.js")
    csp = (f"default-src 'none'; style-src {_csp_hash(css)}; script-src {_csp_hash(js)}; img-src 'none'; "
           "font-src 'none'; connect-src 'none'; base-uri 'none'; form-action 'none'")
    totals = map_totals(dm)
    cov = coverage(dm, cfg)
    per_source = source_totals(dm)
    kinds = _distinct_kinds(dm)
    w = fh.write
    w("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n")
    w(f'<meta http-equiv="Content-Security-Policy" content="{csp}">\n')  # our constants only
    w('<meta name="referrer" content="no-referrer">\n')
    w("<title>pii-scan data map</title>\n")
    w(f"<style>{css}</style>\n</head>\n<body>\n")
    w("<h1>Data map</h1>\n")
    w(f'<p class="meta">Generated {_e(now_utc())} by pii-scan from the data map; last scan '
      f'{_e(totals["last_scan"] or "never")} ({_e(totals["last_scan_status"] or "none")}). '
      f'{totals["findings"]} finding(s) in {totals["records"]} record(s), {totals["subjects"]} distinct data '
      f'subject(s), {totals["failed_units"]} failed unit(s) of {totals["units"]}. Identifiers in names are masked; '
      "the map holds no plaintext identifiers.</p>\n")
    # filters
    w('<div class="filters">\n<label for="filter-kind">Kind<select id="filter-kind">\n<option value="">all kinds</option>\n')
    for k in kinds:
        w(f'<option value="{_e(k)}">{_e(k)} - {_e(kind_label(k))}</option>\n')
    w('</select></label>\n<label for="filter-system">System<select id="filter-system">\n'
      '<option value="">all systems</option>\n')
    for name in sorted(per_source):
        w(f'<option value="{_e(name)}">{_e(name)}</option>\n')
    w('</select></label>\n<span id="shown" role="status"></span>\n</div>\n')
    # systems
    w('<h2>Systems</h2>\n<div id="systems">\n')
    n = 0
    current: str | None = None
    cur_container: tuple[str, str] | None = None
    open_table = False
    for row in rows(dm):
        src, cont = row["source"], row["container"]
        if src != current:
            if open_table:
                w("</tbody>\n</table>\n</details>\n")
            t = per_source.get(src, {})
            w(f'<details class="system" open data-system="{_e(src)}">\n<summary>{_e(src)} '
              f'<span class="sub">{_e(row["store"])} - {t.get("containers", 0)} container(s), '
              f'{t.get("findings", 0)} finding(s), {t.get("subjects", 0)} subject(s)</span></summary>\n')
            w('<table>\n<thead><tr><th>Field</th><th>Kinds</th><th>Categories (fideslang)</th>'
              '<th class="n">Findings</th><th class="n">Records</th><th class="n">Subjects</th>'
              '<th>Last scan</th></tr></thead>\n<tbody class="container">\n')
            current, cur_container, open_table = src, (src, cont), True
            _container_head(w, row)
        elif (src, cont) != cur_container:
            w('</tbody>\n<tbody class="container">\n')
            cur_container = (src, cont)
            _container_head(w, row)
        w(f'<tr class="field" data-kinds="{_e(" ".join(row["kinds"]))}"><td class="f">{_e(row["field"])}</td>'
          f'<td>{_kinds_html(row["by_kind"])}</td><td class="cat">{_e(", ".join(row["categories"]))}</td>'
          f'<td class="n">{row["findings"]}</td><td class="n">{row["records"]}</td>'
          f'<td class="n">{row["subjects"]}</td><td class="d">{_e(row["last_scan"] or "")}</td></tr>\n')
        n += 1
    if open_table:
        w("</tbody>\n</table>\n</details>\n")
    else:
        w('<p class="empty">No personal data in the data map (scan first: pii-scan scan --config ...).</p>\n')
    w("</div>\n")
    # coverage
    w('<h2>Scan coverage</h2>\n<table id="coverage">\n<thead><tr><th>System</th><th>Store</th><th class="n">Units</th>'
      '<th class="n">Done</th><th class="n">Skipped (unchanged)</th><th class="n">Failed</th>'
      '<th class="n">Records read</th><th>Last scan</th><th>Note</th></tr></thead>\n<tbody>\n')
    for s in cov:
        note = "" if s["configured"] else "no longer in the config"
        if s["units"] == 0:
            note = "never scanned"
        w(f'<tr><td>{_e(s["source"])}</td><td>{_e(s["store"])}</td><td class="n">{s["units"]}</td>'
          f'<td class="n">{s["done"]}</td><td class="n">{s["skipped"]}</td><td class="n">{s["failed"]}</td>'
          f'<td class="n">{s["records_read"]}</td><td>{_e(s["last_scan"] or "never")}</td><td>{_e(note)}</td></tr>\n')
    w("</tbody>\n</table>\n")
    w('<h2>Failed units</h2>\n<table id="failed" class="failed">\n<thead><tr><th>System</th><th>Unit</th>'
      "<th>Reason</th><th>When</th></tr></thead>\n<tbody>\n")
    nf = 0
    for f in failed_units(dm):
        w(f'<tr><td>{_e(f["source"])}</td><td>{_e(f["unit"])}</td><td class="reason">{_e(f["reason"])}</td>'
          f'<td>{_e(f["scanned_at"] or "")}</td></tr>\n')
        nf += 1
    if not nf:
        w('<tr><td colspan="4" class="empty">No failed units.</td></tr>\n')
    w("</tbody>\n</table>\n")
    w("<footer>Kinds are pii-scan detector kinds; categories are fideslang data categories. Counts: findings are "
      "values found, records the rows, lines or mails holding them, subjects the distinct data subjects (values "
      "linked as one person count once). A <em>reference</em> is a row that points to a person's row by a foreign "
      "key.</footer>\n")
    w(f"<script>{js}</script>\n</body>\n</html>\n")
    return n


def _container_head(w: Any, row: dict[str, Any]) -> None:
    w(f'<tr class="container"><th colspan="7">{_e(row["container"])}</th></tr>\n')


def _distinct_kinds(dm: DataMap) -> list[str]:
    with dm.engine.connect() as c:
        ks = {k for (k,) in c.execute(sa.select(findings_t.c.kind).distinct())}
        if c.execute(sa.select(refs_t.c.id).limit(1)).first() is not None:
            ks.add("reference")
    return sorted(ks)
