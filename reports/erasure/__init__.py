"""Erasure and correction of one data subject: a plan (``pii-scan erasure-plan``) and its execution (``pii-scan erase``).

The plan
--------
Built from the data map (:mod:`reports.erasure.plan`), one step per location:

* **SQL rows** (by primary key, or the unique key the scan used):

  - a row that holds one of the subject's identifiers *as data* (a column
    ``email`` whose value is the subject's address: the data map's
    ``linkable`` findings) is the subject's row: ``DELETE``;
  - a row that references a row being deleted through a foreign key (the
    customer's invoices, tickets, orders; their lines, transitively, from the
    data map's ``refs``) belongs with it: ``DELETE``; except a row of the
    *same* table (a customer the subject referred, an employee the subject
    manages): that is another party pointing at the subject, and only the
    reference is cleared (``UPDATE ... SET <fk> = NULL``). A row that only
    references a row that is corrected (not deleted) is left alone. A foreign
    key between two tables is taken as ownership: a table whose rows merely
    point at a person (``suppliers.account_manager_id``) would have those
    rows deleted with the person; review such steps in the plan;
  - a row that only *mentions* the subject in free text (a ticket of another
    customer naming the subject in its body) and references none of the
    subject's rows belongs to someone else: it is
    corrected, not deleted: ``UPDATE ... SET <column> = NULL`` for the
    columns where the subject was found (a JSON or array column as a whole;
    a NOT NULL text column is set to ``''``, another NOT NULL column is left
    for correction by hand);
  - deletes run children first: tables are ordered by their depth in the
    foreign-key graph the scan recorded (``dependencies``), deepest first;
    corrections run before the deletes;
  - a row without a key of its own (PostgreSQL ``ctid``, MariaDB ``row=n``)
    is listed for erasure by hand.

* **Files and S3 objects**: deleted when their name holds the subject's
  identifier or every record the scan read in them is the subject's;
  otherwise a line-based object (CSV/TSV, JSON Lines, text/log in an
  ASCII-compatible encoding) is rewritten without the subject's lines (a CSV
  record spanning lines goes whole); anything else (XLSX, PDF, Parquet, an
  archive entry) that also holds other people's data is listed for editing
  by hand. A file or object that changed since the scan is not acted on
  (rescan first): line numbers would no longer be the scanned ones.

* **Old versions of S3 objects** (scanned with ``versions = "all"``; items
  ``old version <id>: <item>``): an old version cannot be rewritten, so the
  version that holds the subject's data is deleted as a whole
  (``delete_version``: ``DeleteObject VersionId``; the current object and the
  other versions stay), whatever else it holds. A version that cannot be
  read any more is ``gone``; one that has become the object's current
  version (newer ones deleted) is left for a rescan and a new plan.

* **Mail**: a message the subject sent or received (found in a party
  header: From, To, Cc, Reply-To, the mbox envelope ...) is deleted by
  Message-ID (mbox rewritten, Maildir/.eml file unlinked, IMAP
  ``\\Deleted`` + ``UID EXPUNGE``). A mail between others that only
  mentions the subject in its text or an attachment is listed for review by
  hand, as is a message without a Message-ID.

* **Retention**: every step shows what blocks it: the location's policy
  (:meth:`pii_scan.policy.Policy.erasure_block`, e.g. ``retain: legal
  obligation, bokföringslagen (1999:1078) 7 kap. 2 § (7y until 2031-03-01)``).
  A dependent row without a date of its own (an invoice line) takes the date
  of the row it references; a row referenced by a retained row cannot be
  deleted either (``retain: referenced by a retained row of ...``). Blocked
  steps are shown and never executed.

The plan's JSON holds each step's ``store``, ``source``, ``container``,
``item`` and ``field`` masked as in the data map, the ``action``, the
``statement`` with placeholders (``:k0``, ``:bucket``...) and no values,
``why``, ``blocked_by``, the record keys it covers, and ``target_enc``: the
true location (table and key values, bucket/key/ETag and version id,
path/size/mtime, the Message-ID) encrypted with the data map key. The subject's canonical value
is kept the same way (``subject_enc``, with the keyed hashes of all the
subject's values, so the check after the erasure still finds an address
whose link to the personnummer was just deleted). The
plan carries the config path, its creation time, when the data map was last
scanned, warnings for sources with failed units (locations there are
unknown), and a SHA-256 ``plan_hash`` of its content, checked before
anything is executed.

Execution
---------
See :mod:`reports.erasure.execute`: a dry run unless confirmed; one
transaction per database; afterwards the touched sources are rescanned and
the subject looked up again. Exit code 0 when nothing of the subject remains
except retained locations (and on a dry run), 3 when something remains or a
step failed.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from pii_scan.config import ConfigError
from reports.erasure.execute import ErasureResult, execute_plan, render_result
from reports.erasure.plan import PlanError, build_plan, load_plan, render_text

__all__ = ["plan_command", "erase_command", "build_plan", "load_plan", "execute_plan", "render_text", "render_result",
           "ErasureResult", "PlanError"]


def _write(text: str, output: str | None) -> None:
    if output:
        Path(output).write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)


def _open(cfg: Any) -> tuple[Any, Any]:
    from pii_scan.datamap import DataMap
    from pii_scan.keys import KeyError_, load_keys

    try:
        keys = load_keys(cfg.key_file)
    except KeyError_ as exc:
        raise ConfigError(str(exc)) from None
    dm = DataMap(cfg.datamap_url)
    try:
        dm.check_key(keys.fingerprint())
    except RuntimeError as exc:
        dm.close()
        raise ConfigError(str(exc)) from None
    return dm, keys


def plan_command(cfg: Any, kind: str, value: str, *, fmt: str, output: str | None) -> int:
    """``pii-scan erasure-plan``: write the plan as JSON (for ``erase``) or as text (for people). Exit 0."""
    dm, keys = _open(cfg)
    try:
        body = build_plan(cfg, dm, keys, kind, value)
    finally:
        dm.close()
    text = json.dumps(body, ensure_ascii=False, indent=2) + "\n" if fmt == "json" else render_text(body)
    _write(text, output)
    s = body["summary"]
    print(f"{s['actions']} step(s): {s['executable']} to execute, {s['blocked']} retained, {s['manual']} by hand",
          file=sys.stderr)
    return 0


def erase_command(plan_path: str, *, config_path: str | None, confirm: bool, output: str | None) -> int:
    """``pii-scan erase``: a dry run, or with ``confirm`` the erasure and the check after it."""
    from pii_scan.config import load

    try:
        text = Path(plan_path).read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot read the plan: {exc.strerror}") from None
    try:
        body = load_plan(text)
    except PlanError as exc:
        raise ConfigError(str(exc)) from None
    path = config_path or body.get("config")
    if not path:
        raise ConfigError("the plan names no config: give --config")
    cfg = load(path)
    dm, keys = _open(cfg)
    dm.close()
    try:
        result = execute_plan(body, cfg, keys, confirm=confirm, progress=lambda msg: print(msg, file=sys.stderr))
    except PlanError as exc:
        raise ConfigError(str(exc)) from None
    _write(render_result(body, result), output)
    return result.exit_code
