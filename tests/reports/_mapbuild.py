"""A data map for the report tests: the demo estate, plus hostile names, a broken file and a policy.

Built from :func:`pii_scan.demo.run_demo` (fictional data only), then:

* a CRM table called ``<script>...</script>`` with a column whose name holds
  quotes, and share files named like HTML (``<img src=x onerror=...>.csv``,
  ``"citat" & 'apostrof'.txt``): the reports must show them as text;
* a file name with a tab and a control character (no XML may hold \\x01: the XLSX escapes it);
* a corrupt XLSX: one failed unit with its reason;
* a second (incremental) scan, so the coverage shows unchanged units as skipped;
* ``report.toml``: the same sources with purposes, legal bases, subject
  categories and retention (per source, per container and per kind), and a
  source that was never scanned.
"""

from __future__ import annotations

import re
import sqlite3
from dataclasses import dataclass
from pathlib import Path

HOSTILE_TABLE = "<script>window.__pwned=1;alert(1)</script>"
HOSTILE_COLUMN = 'e"post\'s <b>'
HOSTILE_FILE = "<img src=x onerror=\"window.__pwned=2\">.csv"
QUOTED_FILE = "\"citat\" & 'apostrof'.txt"
CONTROL_FILE = "flik\toch\x01styrtecken.csv"
BROKEN_FILE = "trasig.xlsx"

# Skatteverket test personnummer and example.com addresses: fictional, published for testing.
_PEOPLE = [
    ("19640823-3234", "anna.testsson@example.com"),
    ("19391030-3183", "bo.provsson@example.com"),
    ("19121212-1212", "cecilia.exempel@example.org"),
]

POLICY = '''
[[sources]]
name = "crm"
type = "sql"
url = "sqlite:///crm.sqlite"
purpose = "Customer relationship management"
legal_basis = "contract"
subject_categories = ["customers"]
retention = "3y"

[sources.containers."main.employees"]
purpose = "Personnel administration"
legal_basis = "legal obligation"
subject_categories = ["employees"]
retention = "2y"
retention_basis = "Lag (1982:80) om anställningsskydd"

[sources.containers."main.invoices"]
purpose = "Bookkeeping"
legal_basis = "legal obligation"
retention = "7y"
retention_basis = "bokföringslagen (1999:1078) 7 kap. 2 §"

[sources.containers."main.suppliers"]
purpose = "Purchasing"
legal_basis = "legitimate interests"
subject_categories = ["supplier contacts"]

[[sources]]
name = "share"
type = "files"
path = "share"
purpose = "Shared working files"
legal_basis = "Art. 6(1)(f)"
subject_categories = ["kunder", "anställda"]
retention = "18m"

[[sources]]
name = "archive"
type = "mail"
path = "mail-archive"
purpose = "E-mail archive"
legal_basis = "legitimate interests"
subject_categories = ["customers", "prospects"]
retention = "5y"

[[retention]]
kind = "payment_card"
keep = "13m"
basis = "PCI DSS 3.2.1"
'''


@dataclass
class BuiltMap:
    directory: Path
    config: Path  # report.toml: policy + a never-scanned source
    scan_config: Path  # pii-scan.toml as the demo wrote it


def build(directory: Path) -> BuiltMap:
    from pii_scan.config import load
    from pii_scan.demo import run_demo
    from pii_scan.engine import scan

    run_demo(directory, scheduler="sync", progress=False, customers=40, seed=1)
    with sqlite3.connect(directory / "crm.sqlite") as db:
        q = HOSTILE_TABLE.replace('"', '""')
        c = HOSTILE_COLUMN.replace('"', '""')
        db.execute(f'CREATE TABLE "{q}" (id INTEGER PRIMARY KEY, "{c}" TEXT, personnummer TEXT)')
        db.executemany(f'INSERT INTO "{q}" ("{c}", personnummer) VALUES (?, ?)', [(e, p) for p, e in _PEOPLE])
    share = directory / "share"
    (share / HOSTILE_FILE).write_text("personnummer,epost\n" + "".join(f"{p},{e}\n" for p, e in _PEOPLE), "utf-8")
    (share / CONTROL_FILE).write_text(f"epost\n{_PEOPLE[2][1]}\n", "utf-8")
    (share / QUOTED_FILE).write_text(f"Ring kunden, pnr {_PEOPLE[1][0]}.\n", "utf-8")
    (share / BROKEN_FILE).write_bytes(b"PK\x03\x04 this is not a workbook" * 10)
    scan_cfg = directory / "pii-scan.toml"
    summary = scan(load(scan_cfg), scheduler="sync", progress=False)
    assert summary.units_failed == 1 and summary.units_skipped > 0, summary.as_dict()
    head = scan_cfg.read_text("utf-8").split("[[sources]]", 1)[0]
    report_cfg = directory / "report.toml"
    report_cfg.write_text(head + POLICY, "utf-8")
    return BuiltMap(directory, report_cfg, scan_cfg)


_DATE = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ")


def normalise(text: str, directory: Path | None = None) -> str:
    """Dates of this run -> ``<DATE>``; the temporary folder -> ``<DIR>``."""
    text = _DATE.sub("<DATE>", text)
    if directory is not None:
        text = text.replace(str(directory), "<DIR>")
    return text


def plaintext_identifiers(directory: Path) -> list[str]:
    """Every identifier planted in the estate, in the forms it was written: none may appear in a report."""
    import json

    gt = json.loads((directory / "ground_truth.json").read_text("utf-8"))
    out = set()
    for p in gt["planted"]:
        out.add(p["value"])
        out.add(p["written"])
    for p, e in _PEOPLE:
        out.update((p, p.replace("-", ""), e))
    return sorted(v for v in out if len(v) >= 6)
