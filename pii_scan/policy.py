"""Processing policy from the config: purpose, legal basis, data-subject categories, retention.

Reports (register, access report, erasure plan, retention) need to know, for a
location, why the company holds the data and for how long. The config says so
per source, per container (glob patterns on ``schema.table``, a path, a
``bucket/key`` or a mailbox) and in retention rules that may also match a kind::

    [[sources]]
    name = "erp"
    type = "sql"
    url = "postgresql://..."
    purpose = "Order handling and invoicing"
    legal_basis = "contract"                 # Art. 6(1)(b)
    subject_categories = ["customers"]
    retention = "3y"                         # 3y, 18m, 90d, 2w; "år", "mån", "dagar" too
    date_columns = ["created_at", "updated_at"]   # row dates for retention (else recognised)

    [sources.containers."public.invoices"]   # fnmatch pattern on the container
    purpose = "Bookkeeping"
    legal_basis = "legal obligation"
    retention = "7y"
    retention_basis = "bokföringslagen (1999:1078) 7 kap. 2 §"

    [[retention]]                            # rules across sources; later rules win
    kind = "payment_card"                    # optional: source, container, kind (globs)
    keep = "13m"
    basis = "PCI DSS 3.2.1"

A location is *blocked from erasure* when its retention rule is a legal
obligation (``legal_basis = "legal obligation"`` or ``blocks_erasure = true``)
and its record is younger than the retention period (or of unknown age).
"""

from __future__ import annotations

import fnmatch
import re
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from pii_scan.config import Config, ConfigError

_DURATION = re.compile(
    r"^\s*(\d+(?:\.\d+)?)\s*(y|yr|yrs|year|years|år|m|mo|mon|month|months|mån|månad|månader|"
    r"w|wk|week|weeks|v|vecka|veckor|d|day|days|dag|dagar)\s*$",
    re.IGNORECASE,
)
_DAYS = {"y": 365.25, "m": 30.44, "w": 7.0, "d": 1.0}
_UNIT = {
    "y": "y", "yr": "y", "yrs": "y", "year": "y", "years": "y", "år": "y",
    "m": "m", "mo": "m", "mon": "m", "month": "m", "months": "m", "mån": "m", "månad": "m", "månader": "m",
    "w": "w", "wk": "w", "week": "w", "weeks": "w", "v": "w", "vecka": "w", "veckor": "w",
    "d": "d", "day": "d", "days": "d", "dag": "d", "dagar": "d",
}
LEGAL_OBLIGATION = "legal obligation"


def parse_duration(text: str | int | None, *, where: str = "retention") -> timedelta | None:
    """``"7y"`` -> about seven years; ``None``/``""`` -> no retention set. Integers are days."""
    if text is None or text == "":
        return None
    if isinstance(text, int):
        return timedelta(days=text)
    iso = re.match(r"^P(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)W)?(?:(\d+)D)?$", str(text).strip(), re.IGNORECASE)
    if iso and any(iso.groups()):
        y, m, w, d = (int(g or 0) for g in iso.groups())
        return timedelta(days=y * _DAYS["y"] + m * _DAYS["m"] + w * 7 + d)
    m_ = _DURATION.match(str(text))
    if not m_:
        raise ConfigError(f"{where}: cannot read the duration {text!r} (use e.g. 7y, 18m, 90d, P7Y)")
    return timedelta(days=float(m_.group(1)) * _DAYS[_UNIT[m_.group(2).lower()]])


@dataclass(frozen=True)
class Policy:
    """What the config says about one location (empty strings where it says nothing)."""

    purpose: str = ""
    legal_basis: str = ""
    subject_categories: tuple[str, ...] = ()
    retention: timedelta | None = None
    retention_text: str = ""
    retention_basis: str = ""
    blocks_erasure: bool = False
    date_columns: tuple[str, ...] = ()

    def expired(self, record_date: datetime | None, now: datetime | None = None) -> bool | None:
        """True when the record is older than the retention; None when either is unknown."""
        if self.retention is None or record_date is None:
            return None
        now = now or datetime.now()
        rd = record_date.replace(tzinfo=None) if record_date.tzinfo else record_date
        return now - rd > self.retention

    def erasure_block(self, record_date: datetime | None, now: datetime | None = None) -> str:
        """Why the location must be kept (``"retain: legal obligation (...)"``), or ``""``."""
        if not self.blocks_erasure or self.retention is None:
            return ""
        if self.expired(record_date, now) is True:
            return ""
        until = ""
        if record_date is not None:
            rd = record_date.replace(tzinfo=None) if record_date.tzinfo else record_date
            until = f" until {(rd + self.retention).date().isoformat()}"
        basis = f", {self.retention_basis}" if self.retention_basis else ""
        return f"retain: {LEGAL_OBLIGATION}{basis} ({self.retention_text}{until})"


def _apply(p: Policy, table: dict[str, Any], where: str) -> Policy:
    kw: dict[str, Any] = {}
    for key in ("purpose", "legal_basis", "retention_basis"):
        if key in table:
            kw[key] = str(table[key])
    if "basis" in table:
        kw["retention_basis"] = str(table["basis"])
    if "subject_categories" in table:
        v = table["subject_categories"]
        kw["subject_categories"] = (v,) if isinstance(v, str) else tuple(str(x) for x in v)
    for key in ("retention", "keep"):
        if key in table:
            kw["retention"] = parse_duration(table[key], where=where)
            kw["retention_text"] = str(table[key])
    if "date_columns" in table or "date_column" in table:
        v = table["date_columns"] if "date_columns" in table else table["date_column"]
        kw["date_columns"] = (v,) if isinstance(v, str) else tuple(str(x) for x in v)
    out = replace(p, **kw)
    legal = out.legal_basis.strip().lower() in (LEGAL_OBLIGATION, "rättslig förpliktelse", "art. 6(1)(c)", "6(1)(c)")
    blocks = table.get("blocks_erasure")
    if blocks is not None:
        out = replace(out, blocks_erasure=bool(blocks))
    elif "legal_basis" in table or "retention" in table or "keep" in table:
        out = replace(out, blocks_erasure=legal and out.retention is not None)
    return out


def _match(pattern: str | None, value: str) -> bool:
    return pattern is None or fnmatch.fnmatchcase(value, str(pattern))


def policy_for(cfg: Config, source: str, container: str = "", kind: str | None = None) -> Policy:
    """The policy of a location: source keys, then matching ``containers`` patterns (longest last),
    then matching ``[[retention]]`` rules in order."""
    p = Policy()
    try:
        src = cfg.source(source)
    except ConfigError:
        src = None
    if src is not None:
        p = _apply(p, src.options, f"source {source!r}")
        containers = src.options.get("containers") or {}
        if not isinstance(containers, dict):
            raise ConfigError(f"source {source!r}: containers must be a table of patterns")
        for pat in sorted(containers, key=len):
            if fnmatch.fnmatchcase(container, pat):
                p = _apply(p, containers[pat], f"source {source!r} container {pat!r}")
    for i, rule in enumerate(cfg.raw.get("retention", []) or []):
        if not isinstance(rule, dict):
            raise ConfigError(f"retention[{i}] must be a table")
        if _match(rule.get("source"), source) and _match(rule.get("container"), container) and (
            rule.get("kind") is None or (kind is not None and _match(rule.get("kind"), kind))
        ):
            p = _apply(p, rule, f"retention[{i}]")
    return p


def check(cfg: Config) -> None:
    """Raise :class:`ConfigError` early on unreadable policy keys (durations, tables)."""
    for s in cfg.sources:
        policy_for(cfg, s.name, "")
        for pat in (s.options.get("containers") or {}):
            policy_for(cfg, s.name, pat)
