"""Subject access report (registerutdrag, GDPR Article 15).

``pii-scan access-report --config F --personnummer 19640823-3234 [--format html|pdf|json] [--lang sv|en]``

1. :func:`reports.subject.subject_locations` gives every record of the subject
   (direct, linked through the subject's other identifiers, and related rows
   that reference them) with the true container and item;
2. :func:`connectors.readback.read_back` reads each record back from its
   source, through the connector that found it (credentials from the
   environment, as for a scan): the row's columns, the CSV line, the cells of
   a spreadsheet row, the page text, the mail's date, subject, parties and the
   parts that held the data. A record that can no longer be read is listed
   with the reason, never dropped;
3. the records are grouped by system (source), with the categories of
   personal data found (labels and fideslang data categories) and, from the
   config (:func:`pii_scan.policy.policy_for`), the purpose, legal basis,
   categories of data subjects and retention per source and container.

Identifiers of *other* people that stand in the values read back (a
colleague's phone number in a support ticket; other rows are not read at all)
are masked, as Article 15(4) requires: a value found by the detectors is shown
only when its keyed hash belongs to the subject (the values the data map links
to them). A record that was found by the subject's identifiers but no longer
holds any of them when read back (lines inserted above a CSV row, a ``row=n``
ordinal or a ``ctid`` that now points elsewhere) is listed as changed and its
values withheld, so that another person's record never reaches this report.

In HTML and PDF, three or more alike records of one container (rows of one
table with the same columns) are shown as one table, one line per record; each
record also says when its retention runs out (its date + the configured
retention).

This is the one output of pii-scan that holds personal data in plaintext: it
is meant for the person it is about. Nothing of it is logged, and errors never
carry a value. Exit code 0 when every record was read, 3 when some could not
be read.
"""

from __future__ import annotations

import html
import json
import logging
import re
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

import sqlalchemy as sa

from connectors.base import safe_name
from pii_scan.config import Config, ConfigError
from pii_scan.policy import Policy, policy_for
from reports import i18n
from reports.categories import categories_of, category, legal_basis_article
from reports.i18n import t

FORMATS = ("html", "pdf", "json")


class AccessReportError(ConfigError):
    """The report cannot be made (wrong key for the data map, no PDF renderer, output not writable)."""
MAIL_META = (("header:Subject", "mail_subject"), ("header:From", "mail_from"), ("header:To", "mail_to"),
             ("header:Cc", "mail_cc"))
_MAIL_TYPES = ("mail", "imap")


@dataclass
class Entry:
    """One record of the subject, with its live values (or the reason they could not be read)."""

    store: str
    source: str
    container: str
    item: str
    fields: dict[str, list[str]]  # field -> kinds found there (data map)
    reached: str
    via: str
    record_date: datetime | None
    policy: Policy
    ok: bool = False
    reason: str = ""
    values: list[tuple[str, str | None]] = field(default_factory=list)
    truncated: bool = False
    masked_others: int = 0

    @property
    def kinds(self) -> list[str]:
        return sorted({k for ks in self.fields.values() for k in ks if k != "reference"})

    def matched(self, name: str) -> bool:
        """Whether the field read back is (or holds) one where the scan found the subject's data:
        a JSON column ``profile`` holds ``profile$.tel``, an array ``tags`` holds ``tags[0]``."""
        return name in self.fields or any(f.startswith((name + "$", name + "[")) for f in self.fields)

    @property
    def retained_until(self) -> datetime | None:
        """When the retention the config sets runs out for this record (its date + the retention), if both are known."""
        if self.policy.retention is None or self.record_date is None:
            return None
        return self.record_date + self.policy.retention

    @property
    def categories(self) -> list[str]:
        """fideslang data categories of what the record holds (``user.unique_id`` for a reference)."""
        return sorted({category(k).key for ks in self.fields.values() for k in ks})


@dataclass
class System:
    source: str
    type: str
    store: str
    policy: Policy
    entries: list[Entry] = field(default_factory=list)

    @property
    def kinds(self) -> list[str]:
        """Kinds found in the system's records, ``reference`` last (rows that only point to the subject)."""
        kinds = sorted({k for e in self.entries for k in e.kinds})
        if any("reference" in ks for e in self.entries for ks in e.fields.values()):
            kinds.append("reference")
        return kinds


@dataclass
class AccessReport:
    kind: str
    value: str  # canonical form of the query: this report is for the subject
    generated: datetime
    lang: str
    systems: list[System]
    controller: str = ""
    contact: str = ""

    @property
    def entries(self) -> list[Entry]:
        return [e for s in self.systems for e in s.entries]

    @property
    def unreadable(self) -> int:
        return sum(1 for e in self.entries if not e.ok)


# --------------------------------------------------------------------------- building


def _natural(text: str) -> list[Any]:
    return [(0, int(p), "") if p.isdigit() else (1, 0, p) for p in re.split(r"(\d+)", text) if p]


def _subject_hashes(dm: Any, h: str) -> set[str]:
    from pii_scan.datamap import subjects_t

    with dm.engine.connect() as c:
        subj = c.execute(sa.select(subjects_t.c.subject).where(subjects_t.c.value_hash == h)).scalar()
        if subj is None:
            return {h}
        return {r[0] for r in c.execute(sa.select(subjects_t.c.value_hash).where(subjects_t.c.subject == subj))} | {h}


class _Masker:
    """Masks identifiers in values read back that are not the subject's own (Art. 15(4)), and counts the own.

    Candidates are found with no confidence threshold, so that the subject's own
    value is recognised even where the scan had a hint (a column comment) that
    the read-back lacks; only candidates at the scan's threshold are masked.
    """

    def __init__(self, keys: Any, own: set[str]) -> None:
        from detectors import Scanner
        from detectors.scan import MIN_CONFIDENCE

        self.scanner = Scanner(min_confidence=0.0)
        self.threshold = MIN_CONFIDENCE
        self.h = keys.hasher()
        self.own = own

    def __call__(self, text: str, hint: str, when: datetime | None, before: str = "",
                 after: str = "") -> tuple[str, int, int]:
        """``(text with others' identifiers masked, how many masked, how many of the subject's own found)``.

        ``before``/``after``: the lines a line of free text runs on from and
        into, which the scan read with it (:class:`connectors.readback.ReadBack`).
        The line is then also read with them, as the scan did: an identifier
        that starts on the line counts there (a number wrapped onto the next
        line, a personnummer after a keyword at the end of the line before).
        The subject's own identifier that goes on into the next line is shown
        whole: the line is followed by a line break and the rest of it, and
        nothing more of the next line. Another person's identifier is masked
        where either reading finds it, the part of one that runs over the
        line's ends hidden character by character (its mask would show
        digits of the line next to it).
        """
        if not before and not after:
            return self._one(text, hint, when)
        ref = when.date() if when else None
        base = len(before) + 1 if before else 0
        full = (before + "\n" if before else "") + text + ("\n" + after if after else "")
        n = len(text)
        spans = [(m.start, m.end, m) for m in self.scanner.find(text, hint=hint, ref_date=ref)]
        spans += [(m.start - base, m.end - base, m) for m in self.scanner.find(full, hint=hint, ref_date=ref)]
        own_found: set[tuple[int, int, str]] = set()
        others: list[tuple[int, int, Any]] = []
        shown_end = n
        for start, end, m in spans:
            if end <= 0 or start >= n:
                continue  # wholly on the lines around
            if self.h(m.kind, m.value) in self.own:
                if start >= 0:
                    own_found.add((start, end, m.kind))
                    shown_end = max(shown_end, end)  # the rest of the subject's own identifier from the next line
            elif m.confidence >= self.threshold:
                others.append((start, end, m))
        out = full[base : base + shown_end]
        masked = 0
        limit = len(full) + 1
        for start, end, m in sorted(others, key=lambda x: (x[0], -x[1]), reverse=True):
            if end > limit:
                continue  # inside a span already masked
            if start >= 0 and end <= n:
                out = out[:start] + m.masked + out[end:]
            else:  # runs over the line's start or end: hide what of it stands here
                lo, hi = max(start, 0), min(end, len(out))
                out = out[:lo] + "".join("*" if ch.isalnum() else ch for ch in out[lo:hi]) + out[hi:]
            limit = max(start, 0)
            masked += 1
        return out, masked, len(own_found)

    def _one(self, text: str, hint: str, when: datetime | None) -> tuple[str, int, int]:
        if len(text) < 5 or not any(ch.isdigit() or ch == "@" for ch in text):
            return text, 0, 0
        out, masked, own = text, 0, 0
        matches = self.scanner.find(text, hint=hint, ref_date=when.date() if when else None)
        limit = len(text) + 1
        for m in sorted(matches, key=lambda m: (m.start, -m.end), reverse=True):
            if self.h(m.kind, m.value) in self.own:
                own += 1
                continue
            if m.end > limit or m.confidence < self.threshold:
                continue  # inside a span already masked, or too unlikely to be an identifier
            out = out[: m.start] + m.masked + out[m.end :]
            limit = m.start
            masked += 1
        return out, masked, own


CHANGED = "the record no longer holds the subject's data (the source changed since the scan)"


def build_report(cfg: Config, kind: str, value: str, *, lang: str = "sv", now: datetime | None = None,
                 progress: bool | None = None) -> AccessReport:
    """Find the subject's records, read them back and group them by system (see the module docstring)."""
    from connectors.readback import read_back
    from pii_scan.datamap import DataMap, meta_t
    from pii_scan.keys import KeyError_, load_keys
    from pii_scan.lookup import canonical, canonical_forms
    from reports.subject import subject_locations

    if lang not in i18n.LANGS:
        raise ValueError(f"unknown language {lang!r}; use one of {', '.join(i18n.LANGS)}")
    try:
        keys = load_keys(cfg.key_file)
    except KeyError_ as exc:
        raise AccessReportError(str(exc)) from None
    canon = canonical(kind, value)
    dm = DataMap(cfg.datamap_url)
    try:
        with dm.engine.connect() as c:
            bound = c.execute(sa.select(meta_t.c.value).where(meta_t.c.key == "key_id")).scalar()
        if bound is not None and bound != keys.fingerprint():
            raise AccessReportError("this data map was written with another key (PII_SCAN_KEY / key file); use that key")
        records = subject_locations(cfg, dm, keys, kind, value)
        # every written form of the value is the subject's (a bank account's IBAN and vice versa)
        own = set().union(*(_subject_hashes(dm, keys.hash(kind, v)) for v in canonical_forms(kind, value)))
    finally:
        dm.close()
    masker = _Masker(keys, own)
    systems: dict[str, System] = {}
    for rec in records:
        sys_ = systems.get(rec.source)
        if sys_ is None:
            try:
                stype = cfg.source(rec.source).type
            except ConfigError:  # a source removed from the config since the scan
                stype = rec.store
            sys_ = systems[rec.source] = System(rec.source, stype, rec.store, policy_for(cfg, rec.source, ""))
        sys_.entries.append(Entry(
            store=rec.store, source=rec.source, container=rec.container, item=rec.item,
            fields={f: sorted(k) for f, k in sorted(rec.fields.items())}, reached=rec.reached, via=rec.via,
            record_date=rec.record_date, policy=rec.policy,
        ))
    tell = progress if progress is not None else sys.stderr.isatty()
    for sys_ in systems.values():
        if tell:  # names of sources and counts only: never a value
            print(f"reading back {len(sys_.entries)} records from {safe_name(sys_.source)} ...", file=sys.stderr, flush=True)
        sys_.entries.sort(key=lambda e: (_natural(e.container), _natural(e.item)))
        try:
            src = cfg.source(sys_.source)
        except ConfigError:
            for e in sys_.entries:
                e.reason = "the source is no longer in the configuration"
            continue
        pairs = [(e.container, e.item) for e in sys_.entries]
        wanted_fields = {(e.container, e.item): set(e.fields) for e in sys_.entries}
        got = read_back(src.name, {**src.options, "type": src.type}, pairs, fields=wanted_fields)
        for e in sys_.entries:
            rb = got[(e.container, e.item)]
            e.ok, e.reason, e.truncated = rb.ok, rb.reason, rb.truncated
            if rb.record_date is not None and (e.record_date is None or sys_.type in _MAIL_TYPES):
                e.record_date = rb.record_date
            own_n = 0
            # a line of free text is read with the lines the scan read it with (connectors.readback)
            around = (rb.before, rb.after) if len(rb.fields) == 1 else ("", "")
            for fname, text in rb.fields:
                if text is not None:
                    text, n, mine = masker(text, fname, e.record_date, *around)
                    e.masked_others += n
                    own_n += mine
                e.values.append((fname, text))
            if e.ok and own_n == 0 and e.reached != "related":
                # lines moved, a row's ordinal or ctid now points elsewhere: never show what may be
                # another person's record in this one's report
                e.ok, e.reason, e.values, e.masked_others, e.truncated = False, CHANGED, [], 0, False
    ordered = sorted(systems.values(), key=lambda s: s.source)
    raw = cfg.raw.get("report")
    opts: dict[str, Any] = raw if isinstance(raw, dict) else {}
    return AccessReport(
        kind=kind, value=canon, generated=now or datetime.now(timezone.utc).replace(microsecond=0), lang=lang,
        systems=ordered, controller=str(opts.get("controller", "")), contact=str(opts.get("contact", "")),
    )


# --------------------------------------------------------------------------- JSON


def _policy_dict(p: Policy) -> dict[str, Any]:
    name, article = legal_basis_article(p.legal_basis)
    return {
        "purpose": p.purpose or None,
        "legal_basis": p.legal_basis or None,
        "legal_basis_article": article or None,  # GDPR Art. 6(1), as fideslang names the bases
        "legal_basis_fideslang": name or None,
        "subject_categories": list(p.subject_categories),
        "retention": p.retention_text or None,
        "retention_basis": p.retention_basis or None,
    }


def _mail_meta(e: Entry) -> dict[str, Any]:
    vals = dict((f, v) for f, v in e.values)
    return {
        "date": e.record_date.isoformat() if e.record_date else None,
        "subject": vals.get("header:Subject"),
        "from": vals.get("header:From"),
        "to": vals.get("header:To"),
        "cc": vals.get("header:Cc"),
    }


def as_json(r: AccessReport) -> dict[str, Any]:
    """The report as JSON: ``locations`` each with ``store``, ``container``, ``item``, ``field`` and the values read."""
    locs = []
    for s in r.systems:
        for e in s.entries:
            d: dict[str, Any] = {
                "store": e.store,
                "source": e.source,
                "container": e.container,
                "item": e.item,
                "field": ",".join(e.fields),
                "fields": e.fields,
                "kinds": e.kinds,
                "categories": e.categories,
                "reached": e.reached,
                "via": e.via or None,
                "record_date": e.record_date.isoformat() if e.record_date else None,
                **_policy_dict(e.policy),
                "retained_until": e.retained_until.date().isoformat() if e.retained_until else None,
                "status": "read" if e.ok else "unreadable",
                "reason": e.reason or None,
                "values": [{"field": f, "value": v, "matched": e.matched(f)} for f, v in e.values],
                "truncated": e.truncated,
                "masked_others": e.masked_others,
            }
            if s.type in _MAIL_TYPES:
                d["mail"] = _mail_meta(e)
            locs.append(d)
    return {
        "report": "access",
        "version": 1,
        "generated": r.generated.isoformat(),
        "lang": r.lang,
        "query": {"kind": r.kind, "value": r.value},
        "controller": r.controller or None,
        "summary": {"systems": len(r.systems), "locations": len(locs), "read": len(locs) - r.unreadable,
                    "unreadable": r.unreadable},
        "systems": [
            {
                "source": s.source, "type": s.type, "store": s.store, **_policy_dict(s.policy),
                "kinds": s.kinds,
                "categories": [c.key for c in categories_of(s.kinds)],
                "locations": len(s.entries),
            }
            for s in r.systems
        ],
        "locations": locs,
    }


# --------------------------------------------------------------------------- HTML

_CSS = """
@page { size: A4; margin: 18mm 16mm; @bottom-right { content: counter(page) " / " counter(pages); font-size: 8pt; color: #666; } }
body { font-family: "DejaVu Sans", "Liberation Sans", Arial, sans-serif; font-size: 10pt; color: #1a1a1a; line-height: 1.4;
       max-width: 60rem; margin: 1.5rem auto; padding: 0 1rem; }
h1 { font-size: 20pt; margin: 0 0 .2rem; }
h2 { font-size: 14pt; margin: 1.6rem 0 .4rem; border-bottom: 2px solid #2b5d8a; padding-bottom: .2rem; page-break-after: avoid; }
h3 { font-size: 10.5pt; margin: 0 0 .3rem; word-break: break-all; }
.subtitle { color: #555; margin: 0 0 1rem; }
dl.meta { display: grid; grid-template-columns: max-content 1fr; gap: .15rem 1rem; margin: .5rem 0; }
dl.meta dt { font-weight: bold; } dl.meta dd { margin: 0; }
table.meta { border-collapse: collapse; margin: .4rem 0; }
table.meta th { text-align: left; padding: .1rem 1rem .1rem 0; vertical-align: top; white-space: nowrap; }
table.meta td { padding: .1rem 0; }
.entry { border: 1px solid #cfd8e0; border-radius: 4px; padding: .5rem .7rem; margin: .6rem 0; page-break-inside: avoid; }
.entry.unreadable { border-color: #c0392b; background: #fdf2f0; }
.how { color: #555; font-size: 9pt; margin-bottom: .3rem; }
table.values { border-collapse: collapse; width: 100%; font-size: 9pt; }
table.values th, table.values td { border-top: 1px solid #e3e8ec; padding: .15rem .4rem; text-align: left; vertical-align: top; }
table.values th { width: 28%; font-weight: normal; color: #333; word-break: break-all; }
table.values td { white-space: pre-wrap; word-break: break-word; }
tr.hit th, tr.hit td { background: #fff6d6; font-weight: bold; }
.entry.group { page-break-inside: auto; }
table.rows { border-collapse: collapse; width: 100%; font-size: 8pt; table-layout: fixed; }
table.rows th, table.rows td { border-top: 1px solid #e3e8ec; padding: .1rem .3rem; text-align: left; vertical-align: top;
                               word-break: break-word; }
table.rows thead th { border-bottom: 1px solid #9fb3c4; }
table.rows td.hit { background: #fff6d6; font-weight: bold; }
.reason { color: #a93226; font-weight: bold; }
.note { color: #555; font-size: 8.5pt; }
.cats { margin: .2rem 0 .6rem; } .cats span { display: inline-block; background: #eef3f7; border-radius: 3px; padding: 0 .35rem; margin: 0 .3rem .2rem 0; }
code { font-size: 8.5pt; color: #555; }
footer { margin-top: 2rem; font-size: 9pt; color: #444; border-top: 1px solid #ccc; padding-top: .5rem; }
"""


def _e(text: Any) -> str:
    return html.escape("" if text is None else str(text), quote=True)


def _policy_rows(p: Policy, lang: str) -> list[tuple[str, str]]:
    ns = t(lang, "not_stated")
    rows = [
        (t(lang, "purpose"), p.purpose or ns),
        (t(lang, "legal_basis"), i18n.legal_basis_label(p.legal_basis, lang) if p.legal_basis else ns),
        (t(lang, "retention"), i18n.duration_label(p.retention_text, lang) if p.retention_text else ns),
    ]
    if p.retention_basis:
        rows.append((t(lang, "retention_basis"), p.retention_basis))
    if p.subject_categories:
        rows.append((t(lang, "subject_categories"), ", ".join(p.subject_categories)))
    return rows


def _policy_table(p: Policy, lang: str, first: list[tuple[str, str]] | None = None) -> str:
    rows = "".join(f"<tr><th>{_e(k)}</th><td>{_e(v)}</td></tr>" for k, v in (first or []) + _policy_rows(p, lang))
    return f'<table class="meta">{rows}</table>'


def _categories(kinds: Iterable[str], lang: str) -> str:
    spans = [f"<span>{_e(c.label(lang))} <code>{_e(c.key)}</code></span>" for c in categories_of(kinds)]
    return '<div class="cats">' + "".join(spans) + "</div>"


def _date(d: datetime | None) -> str:
    if d is None:
        return ""
    return d.date().isoformat() if (d.hour, d.minute, d.second) == (0, 0, 0) else d.strftime("%Y-%m-%d %H:%M")


_ITEM_WORDS = {
    "sv": {"line": "rad {}", "page": "sida {}", "offset": "raden vid byte {}", "sheet": "blad {}, rad {}",
           "paragraph": "stycke {}", "table": "tabell {}, rad {}", "name": "filens namn", "mail": "Message-ID {}",
           "version": "gammal version {}, {}"},
    "en": {"line": "line {}", "page": "page {}", "offset": "the line at byte {}", "sheet": "sheet {}, row {}",
           "paragraph": "paragraph {}", "table": "table {}, row {}", "name": "the file's name", "mail": "Message-ID {}",
           "version": "old version {}, {}"},
}
_ITEM_FORMS = (
    ("line", re.compile(r"(\d+)")), ("page", re.compile(r"p(\d+)")), ("offset", re.compile(r"@(\d+)")),
    ("paragraph", re.compile(r"paragraph (\d+)")), ("table", re.compile(r"table (\d+) row (\d+)")),
    ("sheet", re.compile(r"(.+):(\d+)")),
)


def _item_label(stype: str, item: str, lang: str) -> str:
    """An item as a reader says it: ``rad 7``, ``sida 1``, ``blad Kunder, rad 2`` (SQL keys as they are)."""
    words = _ITEM_WORDS[lang]
    if stype in _MAIL_TYPES:
        return words["mail"].format(item)
    if stype not in ("files", "s3"):
        return item
    if stype == "s3":  # an old version of an object: 'old version <id>: <item>' (connectors.s3.version_item)
        from connectors.s3 import split_version_item

        version, inner = split_version_item(item)
        if version is not None:
            return words["version"].format(version, _item_label(stype, inner, lang))
    if item == "":
        return words["name"]
    for form, rx in _ITEM_FORMS:
        m = rx.fullmatch(item)
        if m:
            return words[form].format(*m.groups())
    return item


def _entry_html(s: System, e: Entry, lang: str) -> str:
    where = e.container + (f" — {_item_label(s.type, e.item, lang)}" if (e.item or s.type in ("files", "s3")) else "")
    how = [i18n.REACHED_LABELS[lang].get(e.reached, e.reached)]
    if e.kinds:
        how.append(", ".join(i18n.kind_label(k, lang) for k in e.kinds))
    if e.record_date and s.type not in _MAIL_TYPES:
        how.append(f"{t(lang, 'date')} {_date(e.record_date)}")
    if e.retained_until:
        how.append(f"{t(lang, 'kept_until')} {e.retained_until.date().isoformat()}")
    out = [f'<div class="entry{"" if e.ok else " unreadable"}">', f"<h3>{_e(where)}</h3>",
           f'<div class="how">{_e(" · ".join(how))}</div>']
    if e.policy != s.policy:
        out.append(f'<div class="note">{_e(t(lang, "this_place"))}:</div>' + _policy_table(e.policy, lang))
    if not e.ok:
        out.append(f'<p><span class="reason">{_e(t(lang, "unreadable"))}.</span> {_e(t(lang, "reason"))}: '
                   f"{_e(i18n.reason(e.reason, lang))}</p></div>")
        return "".join(out)
    rows = []
    shown: set[str] = set()
    if s.type in _MAIL_TYPES:
        meta = _mail_meta(e)
        rows.append(f'<tr><th>{_e(t(lang, "mail_date"))}</th><td>{_e(_date(e.record_date))}</td></tr>')
        for fname, key in MAIL_META:
            val = meta[key.split("_", 1)[1]]
            if val is not None:
                hit = ' class="hit"' if e.matched(fname) else ""
                rows.append(f"<tr{hit}><th>{_e(t(lang, key))}</th><td>{_e(val)}</td></tr>")
            shown.add(fname)
    for fname, val in e.values:
        if fname in shown:
            continue
        hit = ' class="hit"' if e.matched(fname) else ""
        label = t(lang, "mail_body") if (s.type in _MAIL_TYPES and fname == "body") else fname
        shown_val = _e(val) if val not in (None, "") else f'<span class="note">{_e(t(lang, "empty"))}</span>'
        rows.append(f"<tr{hit}><th>{_e(label)}</th><td>{shown_val}</td></tr>")
    out.append(f'<table class="values"><tr><th><b>{_e(t(lang, "field"))}</b></th><td><b>{_e(t(lang, "value"))}</b></td></tr>'
               + "".join(rows) + "</table>")
    notes = []
    if e.truncated:
        notes.append(t(lang, "truncated"))
    if e.masked_others:
        notes.append(t(lang, "others_masked"))
    if notes:
        out.append(f'<p class="note">{_e(" ".join(notes))}</p>')
    out.append("</div>")
    return "".join(out)


def _display(kind: str, value: str) -> str:
    """The queried identifier as people write it (``19640823-3234``)."""
    if kind == "personnummer" and len(value) == 12 and value.isdigit():
        return f"{value[:8]}-{value[8:]}"
    return value


GROUP_MIN = 3  # rows of one table (or lines of one file) with the same fields become one table from this many


def _entries_html(s: System, lang: str) -> list[str]:
    """The system's records: alike rows of one container as one table (one line per record), the rest one by one.

    A subject with thousands of orders gets one table of orders rather than
    thousands of boxes: easier to read, and a PDF that WeasyPrint renders in
    seconds rather than minutes.
    """
    out: list[str] = []
    groups: dict[tuple[Any, ...], list[Entry]] = {}
    order: list[tuple[Any, ...] | Entry] = []
    for e in s.entries:
        if not e.ok or s.type in _MAIL_TYPES:
            order.append(e)
            continue
        key = (e.container, tuple(f for f, _ in e.values), e.reached, e.policy)
        if key not in groups:
            groups[key] = []
            order.append(key)
        groups[key].append(e)
    for x in order:
        if isinstance(x, Entry):
            out.append(_entry_html(s, x, lang))
        elif len(groups[x]) < GROUP_MIN:
            out.extend(_entry_html(s, e, lang) for e in groups[x])
        else:
            out.append(_group_html(s, groups[x], lang))
    return out


def _group_html(s: System, entries: list[Entry], lang: str) -> str:
    first = entries[0]
    names = [f for f, _ in first.values]
    how = [i18n.REACHED_LABELS[lang].get(first.reached, first.reached)]
    kinds = sorted({k for e in entries for k in e.kinds})
    if kinds:
        how.append(", ".join(i18n.kind_label(k, lang) for k in kinds))
    out = ['<div class="entry group">', f"<h3>{_e(first.container)} — {len(entries)} {_e(t(lang, 'records_word'))}</h3>",
           f'<div class="how">{_e(" · ".join(how))}</div>']
    if first.policy != s.policy:
        out.append(f'<div class="note">{_e(t(lang, "this_place"))}:</div>' + _policy_table(first.policy, lang))
    head = f"<th>{_e(t(lang, 'record'))}</th>" + "".join(f"<th>{_e(n)}</th>" for n in names)
    rows = []
    for e in entries:
        cells = [f"<td>{_e(_item_label(s.type, e.item, lang))}</td>"]
        for fname, val in e.values:
            cls = ' class="hit"' if e.matched(fname) else ""
            cells.append(f"<td{cls}>{_e(val) if val not in (None, '') else ''}</td>")
        rows.append("<tr>" + "".join(cells) + "</tr>")
    out.append(f'<table class="rows"><thead><tr>{head}</tr></thead><tbody>{"".join(rows)}</tbody></table>')
    notes = []
    if any(e.truncated for e in entries):
        notes.append(t(lang, "truncated"))
    if any(e.masked_others for e in entries):
        notes.append(t(lang, "others_masked"))
    if notes:
        out.append(f'<p class="note">{_e(" ".join(notes))}</p>')
    out.append("</div>")
    return "".join(out)


def as_html(r: AccessReport) -> str:
    """The report as one self-contained HTML page (no scripts, no network requests; every name escaped)."""
    lang = r.lang
    kinds_word = i18n.TEXT[lang]["kinds"]
    assert isinstance(kinds_word, dict)
    n = len(r.entries)
    meta = []
    if r.controller:
        meta.append((t(lang, "controller"), r.controller))
    if r.contact:
        meta.append((t(lang, "contact"), r.contact))
    meta.append((t(lang, "subject"), f"{kinds_word.get(r.kind, r.kind)} {_display(r.kind, r.value)}"))
    meta.append((t(lang, "generated"), r.generated.strftime("%Y-%m-%d %H:%M UTC")))
    parts = [
        "<!DOCTYPE html>",
        f'<html lang="{_e(lang)}"><head><meta charset="utf-8">',
        '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; style-src \'unsafe-inline\'">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{_e(t(lang, 'title'))}</title><style>{_CSS}</style></head><body>",
        f"<header><h1>{_e(t(lang, 'title'))}</h1><p class=\"subtitle\">{_e(t(lang, 'subtitle'))}</p>",
        '<dl class="meta">' + "".join(f"<dt>{_e(k)}</dt><dd>{_e(v)}</dd>" for k, v in meta) + "</dl></header>",
        f"<p>{_e(t(lang, 'intro'))}</p>",
    ]
    if n:
        m = len(r.systems)
        summary = t(lang, "summary").format(n=n, m=m, records=t(lang, "record_one" if n == 1 else "record_many"),
                                            systems=t(lang, "system_one" if m == 1 else "system_many"))
        if r.unreadable:
            summary += " " + t(lang, "summary_unreadable").format(k=r.unreadable)
        parts.append(f"<p><b>{_e(summary)}</b></p>")
    else:
        parts.append(f"<p><b>{_e(t(lang, 'none_found'))}</b></p>")
    for s in r.systems:
        parts.append(f'<section class="system"><h2>{_e(t(lang, "system"))}: {_e(s.source)}</h2>')
        parts.append(_policy_table(s.policy, lang, [(t(lang, "kind_of_system"), i18n.store_label(s.type, lang)),
                                                    (t(lang, "count"), str(len(s.entries)))]))
        if s.kinds:
            parts.append(f"<div><b>{_e(t(lang, 'categories'))}</b></div>" + _categories(s.kinds, lang))
        parts.extend(_entries_html(s, lang))
        parts.append("</section>")
    parts.append(f"<footer><p>{_e(t(lang, 'rights'))}</p></footer></body></html>")
    return "\n".join(parts) + "\n"


def as_pdf(r: AccessReport) -> bytes:
    """The HTML report rendered to PDF by WeasyPrint (A4, page numbers)."""
    try:
        import weasyprint
    except (ImportError, OSError):  # pragma: no cover - a main dependency; OSError: Pango is missing
        raise AccessReportError("the PDF format needs WeasyPrint (pip install weasyprint) and Pango") from None
    for name in ("weasyprint", "fontTools"):
        logging.getLogger(name).setLevel(logging.ERROR)
    return weasyprint.HTML(string=as_html(r)).write_pdf()


# --------------------------------------------------------------------------- command


def render(r: AccessReport, fmt: str) -> bytes:
    if fmt == "json":
        return (json.dumps(as_json(r), ensure_ascii=False, indent=2) + "\n").encode("utf-8")
    if fmt == "html":
        return as_html(r).encode("utf-8")
    if fmt == "pdf":
        return as_pdf(r)
    raise ValueError(f"unknown format {fmt!r}; use one of {', '.join(FORMATS)}")


def run(cfg: Config, kind: str, value: str, *, fmt: str, lang: str, output: str | None) -> int:
    """Build, render and write the report; 0 when every record was read, 3 when some could not be."""
    report = build_report(cfg, kind, value, lang=lang)
    data = render(report, fmt)
    if output:
        try:
            with open(output, "wb") as fh:
                fh.write(data)
        except OSError as exc:
            raise AccessReportError(f"cannot write {safe_name(output)}: {exc.strerror or type(exc).__name__}") from None
    else:
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
    return 3 if report.unreadable else 0
