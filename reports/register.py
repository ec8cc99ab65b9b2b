"""``pii-scan report register``: the Article 30 register feed.

GDPR Art. 30 asks a controller to keep a record of its processing: which
categories of personal data it holds about which categories of data subjects,
for what purpose, on what legal basis, and for how long. This report gives
the part of that record the data map can prove, per system (a configured
source) and container (a table, a file, an object, a mailbox), ready to merge
into a company's register:

=========================  ===================================================
``system``                 the source name
``store``                  sql, files, s3, mail, imap
``container``              table, path, bucket/key or mailbox (identifiers in
                           names masked, as in the data map)
``item``                   always ``""``: a register row is a whole container
``field``                  the fields (columns, JSON paths, headers) holding
                           personal data there, joined with ``,``
``data_categories``        fideslang data-category keys found there
``data_category_labels``   the same in words
``kinds``                  pii-scan kinds found (``reference``: rows that only
                           point to a person's row by a foreign key)
``subject_categories``     the config's labels (``subject_categories``)
``subject_categories_fideslang``  the same as fideslang data-subject keys where known
``subjects``               distinct data subjects (values linked as one person
                           count once)
``records``                rows, lines, mails, ... holding personal data
``findings``               values found
``purpose``, ``legal_basis``  from the config
``legal_basis_gdpr``       fideslang's name and the article, e.g. ``Contract (Art. 6(1)(b))``
``retention``, ``retention_basis``  from the config; a rule for one kind is
                           shown as ``13m (payment_card)``
``last_scan``              when a scan last read the container (UTC); a later
                           scan that found it unchanged keeps that date
=========================  ===================================================

Formats: ``csv`` (UTF-8, lists joined with ``"; "``), ``xlsx`` (one sheet, a
header row, frozen and filterable) and ``json`` (``{"generated_at", "rows"}``,
lists as lists). Aggregated in SQL and streamed, like the data map report;
nothing is decrypted, so a container pattern in the config is matched against
the data map's (masked) container name.
"""

from __future__ import annotations

import csv
import json
import sys
from collections.abc import Iterator
from functools import lru_cache
from typing import IO, Any

import sqlalchemy as sa

from pii_scan.config import Config
from pii_scan.datamap import DataMap
from pii_scan.policy import Policy, policy_for
from reports.categories import categories_of, legal_basis_article, subject_category
from reports.datamap_report import Group, _iso, groups, hits, now_utc, open_output

FORMATS = ("csv", "xlsx", "json")
COLUMNS = (
    "system", "store", "container", "item", "field", "data_categories", "data_category_labels", "kinds",
    "subject_categories", "subject_categories_fideslang", "subjects", "records", "findings",
    "purpose", "legal_basis", "legal_basis_gdpr", "retention", "retention_basis", "last_scan",
)
_LISTS = ("data_categories", "data_category_labels", "kinds", "subject_categories", "subject_categories_fideslang")
#: column widths of the XLSX sheet (characters)
_WIDTHS = {
    "system": 14, "store": 8, "container": 42, "item": 6, "field": 40, "data_categories": 52, "data_category_labels": 44, "kinds": 30,
    "subject_categories": 22, "subject_categories_fideslang": 22, "subjects": 10, "records": 10, "findings": 10,
    "purpose": 34, "legal_basis": 20, "legal_basis_gdpr": 26, "retention": 20, "retention_basis": 36,
    "last_scan": 21,
}


def rows(cfg: Config, dm: DataMap) -> Iterator[dict[str, Any]]:
    """One register row per system and container, streamed in (system, store, container) order."""
    policy = lru_cache(maxsize=4096)(lambda s, c, k: policy_for(cfg, s, c, k))
    h = hits()
    by = (h.c.source, h.c.store, h.c.container)
    q_fields = sa.select(*by, h.c.field).distinct().order_by(*by, h.c.field)
    with dm.engine.connect() as c:
        fields = c.execution_options(stream_results=True, yield_per=5_000).execute(q_fields)
        pending = next(fields, None)
        for g in groups(dm, ("source", "store", "container")):
            names: list[str] = []
            while pending is not None and tuple(pending[:3]) == g.key:
                names.append(pending[3])
                pending = next(fields, None)
            if not names:  # the queries disagree on order: never expected, but never silent
                raise RuntimeError("data map aggregation out of step (collation differs between queries?)")
            row = _row(g, policy)
            # a register row is a container: ``item`` is empty, ``field`` lists the fields holding personal data
            row["field"] = ",".join(n for n in names if n) if len(names) > 1 or names[0] else ""
            yield row


def _row(g: Group, policy: Any) -> dict[str, Any]:
    source, store, container = g.key
    base: Policy = policy(source, container, None)
    cats = categories_of((k["kind"], k["subkind"]) for k in g.kinds)
    name, art = legal_basis_article(base.legal_basis)
    # retention rules may name a kind: show the ones that differ from the container's
    extra = []
    for kind in g.kind_names:
        p = policy(source, container, kind)
        if p.retention_text != base.retention_text and p.retention_text:
            extra.append(f"{p.retention_text} ({kind})")
    retention = "; ".join(([base.retention_text] if base.retention_text else []) + extra)
    bases = [base.retention_basis] + [policy(source, container, k).retention_basis for k in g.kind_names]
    return {
        "system": source,
        "store": store,
        "container": container,
        "item": "",
        "field": "",
        "data_categories": [c.key for c in cats],
        "data_category_labels": [c.en for c in cats],
        "kinds": g.kind_names,
        "subject_categories": list(base.subject_categories),
        "subject_categories_fideslang": sorted({k for k in map(subject_category, base.subject_categories) if k}),
        "subjects": g.subjects,
        "records": g.records,
        "findings": g.findings,
        "purpose": base.purpose,
        "legal_basis": base.legal_basis,
        "legal_basis_gdpr": f"{name} ({art})" if name else "",
        "retention": retention,
        "retention_basis": "; ".join(dict.fromkeys(b for b in bases if b)),
        "last_scan": _iso(g.last_scan) or "",
    }


def run(cfg: Config, *, fmt: str, output: str | None) -> int:
    """Write the register feed in ``fmt`` to ``output`` (default standard output); returns the exit code (0)."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r} (choose from {', '.join(FORMATS)})")
    dm = DataMap(cfg.datamap_url)
    try:
        if fmt == "xlsx":
            with open_output(output, binary=True) as fh:
                n = write_xlsx(rows(cfg, dm), fh)
        else:
            with open_output(output) as fh:
                n = (write_csv if fmt == "csv" else write_json)(rows(cfg, dm), fh)
    finally:
        dm.close()
    sys.stderr.write(f"register: {n} row(s) written{' to ' + output if output else ''}\n")
    return 0


def _flat(row: dict[str, Any]) -> dict[str, Any]:
    return {k: "; ".join(row[k]) if k in _LISTS else row[k] for k in COLUMNS}


def write_csv(it: Iterator[dict[str, Any]], fh: IO[str]) -> int:
    w = csv.DictWriter(fh, fieldnames=COLUMNS, lineterminator="\n")
    w.writeheader()
    n = 0
    for row in it:
        w.writerow(_flat(row))
        n += 1
    return n


def write_json(it: Iterator[dict[str, Any]], fh: IO[str]) -> int:
    fh.write('{\n"generated_at": ' + json.dumps(now_utc()) + ',\n"columns": ' + json.dumps(list(COLUMNS)))
    fh.write(',\n"rows": [')
    n = 0
    for row in it:
        fh.write(("," if n else "") + "\n  " + json.dumps(row, ensure_ascii=False))
        n += 1
    fh.write("\n]\n}\n")
    return n


def write_xlsx(it: Iterator[dict[str, Any]], fh: IO[bytes]) -> int:
    """One sheet ``Register``: a bold, frozen header row with an auto-filter, fixed column widths."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    wb = Workbook(write_only=True)
    ws = wb.create_sheet("Register")
    for i, col in enumerate(COLUMNS, 1):
        ws.column_dimensions[get_column_letter(i)].width = _WIDTHS[col]
    ws.freeze_panes = "A2"
    bold, fill = Font(bold=True), PatternFill("solid", fgColor="DDE4EE")
    header = []
    for col in COLUMNS:
        c = WriteOnlyCell(ws, value=col)
        c.font, c.fill = bold, fill
        header.append(c)
    ws.append(header)
    wrap = Alignment(wrap_text=True, vertical="top")
    n = 0
    for row in it:
        cells = []
        for k, v in _flat(row).items():
            c = WriteOnlyCell(ws, value=_xlsx_text(v))
            if isinstance(v, str) and v.startswith("="):
                c.data_type = "s"  # a name that looks like a formula stays text, never runs
            c.alignment = wrap
            cells.append(c)
        ws.append(cells)
        n += 1
    ws.auto_filter.ref = f"A1:{get_column_letter(len(COLUMNS))}{n + 1}"
    wb.save(fh)
    return n


def _xlsx_text(v: Any) -> Any:
    """XML cannot hold control characters or lone surrogates: show them as ``\\x01`` escapes."""
    if not isinstance(v, str):
        return v
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    v = ILLEGAL_CHARACTERS_RE.sub(lambda m: f"\\x{ord(m.group()):02x}", v)
    return v.encode("utf-8", "backslashreplace").decode("utf-8")
