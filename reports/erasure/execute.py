"""Executing an erasure plan: a dry run by default, the changes with ``confirm=True``, then a check.

Each store is written through a session of its own, opened here and only
here (the scan's connector sessions stay read-only):

* SQL: one engine per source on the source's URL, one transaction per
  database; the first failing statement rolls the whole database back and
  every step of that database is reported failed.
* S3: ``HeadObject`` first (the ETag must still be the planned one), then
  ``DeleteObject``, or a streamed rewrite (``GetObject If-Match``, the
  subject's lines dropped into a spooled temporary file, ``PutObject``). In a
  versioned bucket the older versions of the key are removed too: a delete
  marker alone would keep the data. An old version scanned on its own
  (``versions = "all"``) is deleted by its id (``HeadObject VersionId``: its
  ETag must be the planned one and it must not have become the current
  version; then ``DeleteObject VersionId``); one already removed with its
  object's rewrite or deletion is ``already gone``.
* Files: size and mtime must be the planned ones; a rewrite goes to a
  temporary file in the same folder that replaces the original atomically.
* Mail: an mbox is rewritten in place without the messages (under an
  exclusive ``fcntl`` lock, as delivery agents take it);
  Maildir and ``.eml`` files are unlinked; IMAP: ``SELECT`` (read-write),
  ``UID SEARCH HEADER Message-ID``, the Message-ID confirmed from the fetched
  header, ``\\Deleted`` and ``UID EXPUNGE`` of those UIDs only (plain
  ``EXPUNGE`` when the server lacks UIDPLUS).

Before a SQL row is changed, inside the transaction (``SELECT ... FOR
UPDATE``), it is checked against the database as it is now: a row the
subject owned or mentioned must still hold one of the subject's values
(detected and hashed as the scan does), a dependent row must still reference
the planned parent, and the rows that depend on a row that failed the check
are left alone too (``not theirs``: the data map was older than the
database).

Afterwards the touched sources are rescanned
(:func:`pii_scan.engine.scan`, ``scheduler="sync"``) and the subject is looked
up again: what remains besides the retained locations is reported.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import tempfile
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import sqlalchemy as sa

from connectors.base import ConnectorError, safe_name
from connectors.registry import build
from pii_scan.config import Config
from pii_scan.datamap import DataMap
from pii_scan.keys import Keys
from reports.erasure.plan import (
    DELETE_FILE,
    DELETE_MESSAGE,
    DELETE_OBJECT,
    DELETE_ROW,
    DELETE_VERSION,
    GONE,
    MANUAL,
    REWRITE_FILE,
    REWRITE_OBJECT,
    UPDATE_ROW,
    Action,
    column_types,
    key_value,
    sql_statement,
    unseal,
)
from reports.erasure.rewrite import RewriteError, buffered, drop_lines, drop_mbox_messages, header_message_id

SPOOL_BYTES = 32 << 20

DONE = "done"
ALREADY_GONE = "already gone"
RETAINED = "retained"
BY_HAND = "by hand"
FAILED = "failed"
WOULD = "would"
NOTHING = "nothing to do"


@dataclass
class Outcome:
    step: int
    status: str
    detail: str = ""


@dataclass
class ErasureResult:
    confirmed: bool
    outcomes: list[Outcome] = field(default_factory=list)
    rescanned: list[str] = field(default_factory=list)
    rescan_status: str = ""
    remaining: list[dict[str, Any]] = field(default_factory=list)  # masked locations of the subject left over
    retained: list[dict[str, Any]] = field(default_factory=list)  # masked locations kept by a retention rule

    @property
    def failed(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.status == FAILED]

    @property
    def exit_code(self) -> int:
        if not self.confirmed:
            return 0
        return 3 if self.failed or self.remaining or self.rescan_status not in ("complete", "") else 0


# --------------------------------------------------------------------------------------- SQL


NOT_THEIRS = "not theirs"


@dataclass
class _Subject:
    """What a row is checked against before it is changed: the subject's value hashes, and a scanner."""

    keys: Keys
    hashes: set[str]
    kinds: tuple[str, ...] | None
    min_confidence: float
    _scanner: Any = None

    def holds(self, column: str, value: Any) -> bool:
        from connectors.sql import sniff_bytes, text_value

        if value is None:
            return False
        if isinstance(value, (dict, list)):
            import json

            text = json.dumps(value, ensure_ascii=False, default=str)
        elif isinstance(value, (bytes, bytearray, memoryview)):
            text = sniff_bytes(bytes(value))[0] or ""
        else:
            text = text_value(value) or ""
        if self._scanner is None:
            from detectors import Scanner

            self._scanner = Scanner(self.kinds, min_confidence=self.min_confidence)
        return any(self.keys.hash(m.kind, m.value) in self.hashes for m in self._scanner.find(text, hint=column))


def _row_check(c: sa.Connection, t: dict[str, Any], kt: dict[str, Any], subject: _Subject | None,
               lock: bool) -> str | None:
    """Why the row must not be touched (it no longer holds or references the subject's data), or None.

    The data map may be older than the database: before a row is changed, its key must still hold the
    subject's values (own rows, mentions) or still reference the planned parent row (dependent rows).
    """
    check = t.get("check") or {}
    cols = [col for col, _ in check.get("ref", [])] or list(check.get("holds", []))
    if not cols or subject is None:
        return None
    tbl = sa.table(t["table"], *[sa.column(n) for n in dict.fromkeys(cols + [k for k, _ in t["key"]])], schema=t["schema"])
    q = sa.select(*[tbl.c[n] for n in cols]).where(*[tbl.c[k] == key_value(v, kt.get(k)) for k, v in t["key"]])
    if lock and c.dialect.name != "sqlite":
        q = q.with_for_update()
    row = c.execute(q).first()
    if row is None:
        return None  # gone: the statement will say so
    if "ref" in check:
        from connectors.sql import text_value

        if [text_value(v) for v in row] != [v for _, v in check["ref"]]:
            return "the row no longer references the planned row: not touched (rescan to update the data map)"
        return None
    if any(subject.holds(col, v) for col, v in zip(cols, row)):
        return None
    return "the row no longer holds the subject's data: not touched (rescan to update the data map)"


def _verdicts(c: sa.Connection, actions: list[Action], types: dict[Any, dict[str, Any]], subject: _Subject | None,
              lock: bool) -> dict[int, str]:
    """Steps not to execute, with the reason: rows that are no longer the subject's, and the rows that depend on
    them (checked parents first: the plan lists children first)."""
    out: dict[int, str] = {}
    not_theirs: set[str] = set()
    for a in reversed(actions):
        t = a.target
        parent = (t.get("check") or {}).get("parent")
        if parent and parent in not_theirs:
            out[a.step] = "the row it depends on is no longer the subject's: not touched"
            not_theirs.update(a.rkeys)
            continue
        why = _row_check(c, t, _types(c, t, types), subject, lock)
        if why:
            out[a.step] = why
            not_theirs.update(a.rkeys)
    return out


def _types(c: sa.Connection, t: dict[str, Any], cache: dict[Any, dict[str, Any]]) -> dict[str, Any]:
    k = (t["schema"], t["table"])
    if k not in cache:
        cache[k] = column_types(c, t["schema"], t["table"])
    return cache[k]


def _run_sql(cfg: Config, source: str, actions: list[Action], subject: _Subject | None = None) -> list[Outcome]:
    from connectors.sql import SqlConnector, _cause, engine_for

    conn = build(source, cfg.source(source).options)
    assert isinstance(conn, SqlConnector)
    try:
        engine = engine_for(conn.url())  # a write session of its own: not the scan's read-only one
    except Exception as exc:  # noqa: BLE001 - messages may echo the URL
        return [Outcome(a.step, FAILED, f"cannot open {conn.safe_url()}: {type(exc).__name__}") for a in actions]
    out: list[Outcome] = []
    current = 0
    try:
        with engine.connect() as c:
            types: dict[Any, dict[str, Any]] = {}
            with c.begin():
                skip = _verdicts(c, actions, types, subject, lock=True)
                for a in actions:
                    current = a.step
                    if a.step in skip:
                        out.append(Outcome(a.step, NOT_THEIRS, skip[a.step]))
                        continue
                    t = a.target
                    cols = [k for k, _ in t["key"]]
                    stmt = sql_statement(c.dialect, t["op"], t["container"], cols, t["set_null"], t.get("set_empty", []))
                    kt = _types(c, t, types)
                    params = {f"k{i}": key_value(v, kt.get(col)) for i, (col, v) in enumerate(t["key"])}
                    res = c.execute(sa.text(stmt), params)
                    out.append(Outcome(a.step, DONE if res.rowcount else ALREADY_GONE,
                                       f"{res.rowcount} row(s) {'updated' if t['op'] == 'update' else 'deleted'}"))
    except Exception as exc:  # noqa: BLE001 - any failure rolls the database back (the with-block did)
        cause = _cause(exc) if isinstance(exc, sa.exc.DBAPIError) else type(exc).__name__
        return [Outcome(a.step, FAILED, f"step {current} failed ({cause}); every change to this database "
                                        f"was rolled back") for a in actions]
    finally:
        engine.dispose()
    return out


# --------------------------------------------------------------------------------------- S3


def _s3_error(exc: BaseException) -> str:
    from connectors.s3 import describe_error

    return describe_error(exc)


def _s3_code(exc: BaseException) -> str:
    resp = getattr(exc, "response", None) or {}
    return str(resp.get("Error", {}).get("Code", ""))


def _purge_versions(client: Any, bucket: str, key: str, keep: str | None) -> int:
    """Remove every version and delete marker of ``key`` except ``keep``; the number removed."""
    n = 0
    for page in client.get_paginator("list_object_versions").paginate(Bucket=bucket, Prefix=key):
        for v in (page.get("Versions") or []) + (page.get("DeleteMarkers") or []):
            if v.get("Key") == key and v.get("VersionId") != keep:
                client.delete_object(Bucket=bucket, Key=key, VersionId=v["VersionId"])
                n += 1
    return n


MAX_PUT_BYTES = 5 << 30  # S3's limit for one PUT; larger objects go up in parts


_KEPT_HEADERS = ("ContentType", "ContentEncoding", "ContentLanguage", "ContentDisposition", "CacheControl", "Metadata",
                 "ServerSideEncryption", "SSEKMSKeyId", "StorageClass")


def _put(client: Any, bucket: str, key: str, body: Any, size: int, etag: str, head: dict[str, Any]) -> str | None:
    """Write the new version (``If-Match`` the planned ETag where the server supports it), keeping the object's
    content type, metadata, encryption and storage class; its version id."""
    extra = {k: head[k] for k in _KEPT_HEADERS if head.get(k)}
    if extra.get("StorageClass") == "STANDARD":
        del extra["StorageClass"]
    if size > MAX_PUT_BYTES:
        client.upload_fileobj(body, bucket, key, ExtraArgs=extra)
        return client.head_object(Bucket=bucket, Key=key).get("VersionId")
    try:
        return client.put_object(Bucket=bucket, Key=key, Body=body, IfMatch=etag, **extra).get("VersionId")
    except Exception as exc:  # noqa: BLE001
        if _s3_code(exc) not in ("NotImplemented", "InvalidArgument", "InvalidRequest"):
            raise
        body.seek(0)  # a server without conditional writes: the HEAD just before is the check
        return client.put_object(Bucket=bucket, Key=key, Body=body, **extra).get("VersionId")


_GONE_CODES = ("404", "NoSuchKey", "NoSuchVersion", "NotFound")


def _version_check(client: Any, a: Action) -> Outcome | None:
    """Whether the planned old version is still there as planned: ``None`` if so, else why not."""
    t = a.target
    try:
        head = client.head_object(Bucket=t["bucket"], Key=t["key"], VersionId=t["version"])
    except Exception as exc:  # noqa: BLE001
        if _s3_code(exc) in _GONE_CODES:
            return Outcome(a.step, ALREADY_GONE, "the old version no longer exists")
        raise
    if head.get("ETag") != t["etag"]:
        return Outcome(a.step, FAILED, "the old version is not the planned one (ETag differs); rescan and make a new plan")
    try:
        latest = client.head_object(Bucket=t["bucket"], Key=t["key"]).get("VersionId")
    except Exception as exc:  # noqa: BLE001 - a deleted object (a delete marker): the version is an old one
        if _s3_code(exc) not in _GONE_CODES:
            raise
        latest = None
    if latest == t["version"]:
        return Outcome(a.step, FAILED, "the old version is the object's current version now (newer ones were deleted); "
                                       "rescan and make a new plan")
    return None


def _delete_version(client: Any, a: Action) -> Outcome:
    """``DeleteObject VersionId``: one old version removed for good (an old version cannot be rewritten)."""
    t = a.target
    not_now = _version_check(client, a)
    if not_now is not None:
        return not_now
    client.delete_object(Bucket=t["bucket"], Key=t["key"], VersionId=t["version"])
    return Outcome(a.step, DONE, "old version deleted")


def _run_s3(cfg: Config, source: str, actions: list[Action]) -> list[Outcome]:
    conn = build(source, cfg.source(source).options)
    out: list[Outcome] = []
    try:
        client = conn.client()  # type: ignore[attr-defined]
        for a in actions:
            t = a.target
            bucket, key, etag = t["bucket"], t["key"], t["etag"]
            try:
                if a.action == DELETE_VERSION:
                    out.append(_delete_version(client, a))
                    continue
                try:
                    head = client.head_object(Bucket=bucket, Key=key)
                except Exception as exc:  # noqa: BLE001
                    if _s3_code(exc) in ("404", "NoSuchKey", "NotFound"):
                        out.append(Outcome(a.step, ALREADY_GONE, "the object no longer exists"))
                        continue
                    raise
                if head.get("ETag") != etag:
                    out.append(Outcome(a.step, FAILED, "the object changed since the plan was made (ETag differs); "
                                                       "rescan and make a new plan"))
                    continue
                versioned = conn._versioned(bucket)  # type: ignore[attr-defined]
                if a.action == DELETE_OBJECT:
                    client.delete_object(Bucket=bucket, Key=key)
                    extra = _purge_versions(client, bucket, key, None) if versioned else 0
                    out.append(Outcome(a.step, DONE, "object deleted" + (f", {extra} older version(s) removed" if extra else "")))
                    continue
                body = client.get_object(Bucket=bucket, Key=key, IfMatch=etag)["Body"]
                with tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES) as spool:
                    try:
                        n = drop_lines(buffered(body), spool, t["items"], t["format"], t["encoding"], t.get("delimiter", ","))
                    finally:
                        body.close()
                    size = spool.tell()
                    spool.seek(0)
                    if client.head_object(Bucket=bucket, Key=key).get("ETag") != etag:
                        out.append(Outcome(a.step, FAILED, "the object changed during the rewrite; nothing was written"))
                        continue
                    version = _put(client, bucket, key, spool, size, etag, head)
                extra = _purge_versions(client, bucket, key, version) if versioned else 0
                out.append(Outcome(a.step, DONE, f"object rewritten without {n} line(s)"
                                                 + (f", {extra} older version(s) removed" if extra else "")))
            except RewriteError as exc:
                out.append(Outcome(a.step, FAILED, str(exc)))
            except Exception as exc:  # noqa: BLE001 - one object's failure does not stop the others
                if _s3_code(exc) == "PreconditionFailed":
                    out.append(Outcome(a.step, FAILED, "the object changed during the rewrite; nothing was written"))
                else:
                    out.append(Outcome(a.step, FAILED, _s3_error(exc)))
    finally:
        conn.close()
    return out


# --------------------------------------------------------------------------------------- files


def _inside(root: str, rel: str) -> str:
    parts = rel.split("/")
    if os.path.isfile(root):
        return root
    if any(p in ("", ".", "..") for p in parts):
        raise ConnectorError(f"{safe_name(rel)}: not a path inside the source")
    return os.path.join(root, *parts)


def _replace_atomically(full: str, write: Any) -> Any:
    """Write a new version of ``full`` with ``write(dst)`` into a temporary file beside it, then replace it."""
    folder = os.path.dirname(full) or "."
    fd, tmp = tempfile.mkstemp(prefix=".pii-scan-erase-", dir=folder)
    try:
        with os.fdopen(fd, "wb") as dst:
            result = write(dst)
            dst.flush()
            os.fsync(dst.fileno())
        st = os.stat(full)
        os.chmod(tmp, st.st_mode & 0o7777)
        try:
            os.chown(tmp, st.st_uid, st.st_gid)
        except PermissionError:
            pass  # not root: the file stays ours, with the original's mode
        os.replace(tmp, full)
        return result
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def _run_files(cfg: Config, source: str, actions: list[Action]) -> list[Outcome]:
    root = os.path.abspath(str(cfg.source(source).options.get("path", "")))
    out: list[Outcome] = []
    for a in actions:
        t = a.target
        try:
            full = _inside(root, t["path"])
            try:
                st = os.stat(full, follow_symlinks=False)
            except FileNotFoundError:
                out.append(Outcome(a.step, ALREADY_GONE, "the file no longer exists"))
                continue
            if (st.st_size, st.st_mtime_ns) != (t["size"], t["mtime_ns"]):
                out.append(Outcome(a.step, FAILED, "the file changed since the plan was made; rescan and make a new plan"))
                continue
            if a.action == DELETE_FILE:
                os.unlink(full)
                out.append(Outcome(a.step, DONE, "file deleted"))
                continue
            with open(full, "rb") as src:
                n = _replace_atomically(full, lambda dst: drop_lines(src, dst, t["items"], t["format"], t["encoding"],
                                                                      t.get("delimiter", ",")))
            out.append(Outcome(a.step, DONE, f"file rewritten without {n} line(s)"))
        except (RewriteError, ConnectorError) as exc:
            out.append(Outcome(a.step, FAILED, str(exc)))
        except OSError as exc:
            out.append(Outcome(a.step, FAILED, f"{exc.strerror or type(exc).__name__}"))
    return out


# --------------------------------------------------------------------------------------- mail


def _mail_root(cfg: Config, source: str, container: str) -> str:
    root = os.path.abspath(str(cfg.source(source).options.get("path", "")))
    if not os.path.isdir(root):
        return root
    return root if container in ("", ".") else _inside(root, container)


def _read_header(path: str) -> bytes:
    with open(path, "rb") as f:
        head = f.read(MAX_MAIL_HEADER)
    for sep in (b"\r\n\r\n", b"\n\n"):
        i = head.find(sep)
        if i >= 0:
            return head[:i]
    return head


MAX_MAIL_HEADER = 256 << 10


def _rewrite_mbox(path: str, ids: set[str]) -> list[str]:
    """Drop messages from an mbox in place, under an exclusive ``fcntl`` lock (the one mail delivery agents take).

    In place rather than by replacing the file: a delivery agent that opened
    the mbox and waits for the lock must append to this file, not to an
    unlinked old one. The new content is built in a temporary file first.
    """
    with open(path, "r+b") as box:
        try:
            fcntl.lockf(box.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            raise RewriteError("the mbox is locked by another program; try again later") from None
        try:
            with tempfile.TemporaryFile(dir=os.path.dirname(path) or ".") as tmp:
                n = drop_mbox_messages(box, tmp, ids)
                if n:
                    tmp.seek(0)
                    box.seek(0)
                    shutil.copyfileobj(tmp, box, 1 << 20)
                    box.truncate()
                    box.flush()
                    os.fsync(box.fileno())
            return n
        finally:
            fcntl.lockf(box.fileno(), fcntl.LOCK_UN)


def _run_mail_files(cfg: Config, source: str, actions: list[Action]) -> list[Outcome]:
    out: list[Outcome] = []
    by_box: dict[tuple[str, str], list[Action]] = defaultdict(list)
    for a in actions:
        by_box[(a.target["mailbox"], a.target["kind"])].append(a)
    for (box, kind), acts in by_box.items():
        ids = {a.target["message_id"]: a for a in acts}
        try:
            path = _mail_root(cfg, source, box)
            if kind == "maildir":
                found: set[str] = set()
                for sub in ("new", "cur"):
                    folder = os.path.join(path, sub)
                    for name in sorted(os.listdir(folder)):
                        full = os.path.join(folder, name)
                        if name.startswith(".") or not os.path.isfile(full):
                            continue
                        mid = header_message_id(_read_header(full))
                        if mid in ids:
                            os.unlink(full)
                            found.add(mid)
                for mid, a in ids.items():
                    out.append(Outcome(a.step, DONE if mid in found else ALREADY_GONE,
                                       "message file deleted" if mid in found else "no message with that Message-ID"))
            elif kind in ("eml", "msg"):
                for mid, a in ids.items():
                    if not os.path.exists(path):
                        out.append(Outcome(a.step, ALREADY_GONE, "the message file no longer exists"))
                    elif kind == "eml" and header_message_id(_read_header(path)) != mid:
                        out.append(Outcome(a.step, FAILED, "the file now holds another message; rescan and make a new plan"))
                    else:
                        os.unlink(path)
                        out.append(Outcome(a.step, DONE, "message file deleted"))
            elif kind == "mbox":
                gone = _rewrite_mbox(path, set(ids))
                for mid, a in ids.items():
                    n = gone.count(mid)
                    out.append(Outcome(a.step, DONE if n else ALREADY_GONE,
                                       f"{n} message(s) removed from the mbox" if n else "no message with that Message-ID"))
            else:
                for a in acts:
                    out.append(Outcome(a.step, FAILED, f"unknown mailbox kind {kind!r}"))
        except (OSError, ConnectorError, RewriteError) as exc:
            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
            for a in acts:
                out.append(Outcome(a.step, FAILED, f"{reason}"))
    return out


def _run_imap(cfg: Config, source: str, actions: list[Action]) -> list[Outcome]:
    from connectors.imap import ImapConnector

    conn = build(source, cfg.source(source).options)
    assert isinstance(conn, ImapConnector)
    out: list[Outcome] = []
    by_folder: dict[str, list[Action]] = defaultdict(list)
    for a in actions:
        by_folder[a.target["mailbox"]].append(a)
    try:
        client = conn._connect()  # a login of its own; the folder is SELECTed read-write below
        caps = {bytes(c).upper() for c in client.capabilities()}
        for folder, acts in by_folder.items():
            try:
                client.select_folder(folder, readonly=False)
                for a in acts:
                    mid = a.target["message_id"]
                    uids = client.search(["HEADER", "Message-ID", mid])
                    exact = []
                    if uids:
                        fetched = client.fetch(uids, ["BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)]"])
                        for uid, data in fetched.items():
                            raw = next((v for k, v in data.items() if bytes(k).upper().startswith(b"BODY[HEADER")), b"")
                            if header_message_id(bytes(raw).rstrip(b"\r\n")) == mid:
                                exact.append(uid)
                    if not exact:
                        out.append(Outcome(a.step, ALREADY_GONE, "no message with that Message-ID"))
                        continue
                    client.add_flags(exact, [b"\\Deleted"])
                    if b"UIDPLUS" in caps:
                        client.uid_expunge(exact)
                    else:
                        client.expunge()
                    out.append(Outcome(a.step, DONE, f"{len(exact)} message(s) expunged"))
            except Exception as exc:  # noqa: BLE001 - the folder's remaining steps fail with the reason
                from connectors.formats.core import describe

                done = {o.step for o in out}
                out.extend(Outcome(a.step, FAILED, f"IMAP: {describe(exc)}") for a in acts if a.step not in done)
    except ConnectorError as exc:
        done = {o.step for o in out}
        out.extend(Outcome(a.step, FAILED, str(exc)) for a in actions if a.step not in done)
    finally:
        conn.close()
    return out


# --------------------------------------------------------------------------------------- dry run


WOULD_FAIL = "would fail"


def _probe_sql(cfg: Config, source: str, actions: list[Action], subject: _Subject | None = None) -> list[Outcome]:
    """How many rows each step would touch, read through the scan's read-only session."""
    from connectors.sql import SqlConnector

    conn = build(source, cfg.source(source).options)
    assert isinstance(conn, SqlConnector)
    out: list[Outcome] = []
    try:
        with conn.session() as c:
            types: dict[Any, dict[str, Any]] = {}
            skip = _verdicts(c, actions, types, subject, lock=False)
            for a in actions:
                t = a.target
                kt = _types(c, t, types)
                tbl = sa.table(t["table"], *[sa.column(n) for n in dict.fromkeys(k for k, _ in t["key"])],
                               schema=t["schema"])
                q = sa.select(sa.func.count()).select_from(tbl).where(
                    *[tbl.c[k] == key_value(v, kt.get(k)) for k, v in t["key"]])
                n = int(c.execute(q).scalar() or 0)
                if n and a.step in skip:
                    out.append(Outcome(a.step, NOT_THEIRS, skip[a.step]))
                    continue
                verb = "update" if t["op"] == "update" else "delete"
                out.append(Outcome(a.step, WOULD, f"{a.statement}  ({n} row(s) to {verb})") if n else
                           Outcome(a.step, ALREADY_GONE, "no such row any more"))
    except (ConnectorError, sa.exc.SQLAlchemyError) as exc:
        from connectors.sql import _cause

        # never str() of an SQLAlchemy error: it quotes the statement's parameters (key values)
        why = str(exc) if isinstance(exc, ConnectorError) else _cause(exc) if isinstance(exc, sa.exc.DBAPIError) \
            else type(exc).__name__
        done = {o.step for o in out}
        out.extend(Outcome(a.step, WOULD_FAIL, f"cannot read the database: {why}") for a in actions if a.step not in done)
    finally:
        conn.close()
    return out


def _probe_s3(cfg: Config, source: str, actions: list[Action]) -> list[Outcome]:
    conn = build(source, cfg.source(source).options)
    out: list[Outcome] = []
    try:
        client = conn.client()  # type: ignore[attr-defined]
        for a in actions:
            t = a.target
            try:
                if a.action == DELETE_VERSION:
                    o = _version_check(client, a)
                    out.append(Outcome(a.step, WOULD, a.statement) if o is None else
                               Outcome(a.step, WOULD_FAIL, o.detail) if o.status == FAILED else o)
                    continue
                etag = client.head_object(Bucket=t["bucket"], Key=t["key"]).get("ETag")
            except Exception as exc:  # noqa: BLE001
                if _s3_code(exc) in ("404", "NoSuchKey", "NotFound"):
                    out.append(Outcome(a.step, ALREADY_GONE, "the object no longer exists"))
                else:
                    out.append(Outcome(a.step, WOULD_FAIL, _s3_error(exc)))
                continue
            out.append(Outcome(a.step, WOULD, a.statement) if etag == t["etag"] else
                       Outcome(a.step, WOULD_FAIL, "the object changed since the plan was made (ETag differs)"))
    finally:
        conn.close()
    return out


def _probe_files(cfg: Config, source: str, actions: list[Action]) -> list[Outcome]:
    root = os.path.abspath(str(cfg.source(source).options.get("path", "")))
    out: list[Outcome] = []
    for a in actions:
        t = a.target
        try:
            st = os.stat(_inside(root, t["path"]), follow_symlinks=False)
        except FileNotFoundError:
            out.append(Outcome(a.step, ALREADY_GONE, "the file no longer exists"))
            continue
        except (OSError, ConnectorError) as exc:
            out.append(Outcome(a.step, WOULD_FAIL, str(exc)))
            continue
        same = (st.st_size, st.st_mtime_ns) == (t["size"], t["mtime_ns"])
        out.append(Outcome(a.step, WOULD, a.statement) if same else
                   Outcome(a.step, WOULD_FAIL, "the file changed since the plan was made"))
    return out


def _probe_other(cfg: Config, source: str, actions: list[Action]) -> list[Outcome]:
    return [Outcome(a.step, WOULD, a.statement) for a in actions]


# --------------------------------------------------------------------------------------- the run


def execute_plan(body: dict[str, Any], cfg: Config, keys: Keys, *, confirm: bool,
                 progress: Callable[[str], None] | None = None) -> ErasureResult:
    """Run (``confirm=True``) or only describe a plan read by :func:`reports.erasure.plan.load_plan`.

    ``progress`` receives a line per source erased and for the rescan (no values in them).
    """
    say = progress or (lambda _msg: None)
    from pii_scan.engine import scan
    from reports.subject import records_for_hash

    if body.get("datamap_key_id") != keys.fingerprint():
        from reports.erasure.plan import PlanError

        raise PlanError("the plan was made with another key (PII_SCAN_KEY / key file) than this config's")
    actions = [Action.from_dict(d, keys) for d in body["actions"]]
    subject = unseal(keys, body["subject_enc"])
    hashes = {keys.hash(subject["kind"], subject["value"]), *subject.get("hashes", [])}
    checker = _Subject(keys, hashes, cfg.kinds, cfg.min_confidence)
    result = ErasureResult(confirmed=confirm)
    pending: dict[tuple[str, str], list[Action]] = defaultdict(list)
    for a in actions:
        if a.blocked_by:
            result.outcomes.append(Outcome(a.step, RETAINED, a.blocked_by))
        elif a.action == MANUAL:
            result.outcomes.append(Outcome(a.step, BY_HAND, a.why))
        elif a.action == GONE:
            result.outcomes.append(Outcome(a.step, NOTHING, a.why))
        else:
            try:
                src = cfg.source(a.source)
            except Exception:  # noqa: BLE001
                result.outcomes.append(Outcome(a.step, FAILED, "the source is not in this config"))
                continue
            pending[(a.source, src.type)].append(a)
    if not confirm:  # read-only checks of what each step would find
        probes: dict[str, Callable[..., list[Outcome]]] = {
            "sql": partial(_probe_sql, subject=checker), "s3": _probe_s3, "files": _probe_files}
        for (source, typ), acts in pending.items():
            try:
                result.outcomes.extend(probes.get(typ, _probe_other)(cfg, source, acts))
            except Exception as exc:  # noqa: BLE001 - a dry run reports, it never stops
                result.outcomes.extend(Outcome(a.step, WOULD_FAIL, f"cannot check: {type(exc).__name__}") for a in acts)
    if confirm:
        runners: dict[str, Callable[..., list[Outcome]]] = {
            "sql": partial(_run_sql, subject=checker), "s3": _run_s3, "files": _run_files, "mail": _run_mail_files,
            "imap": _run_imap}
        for (source, typ), acts in pending.items():
            runner = runners.get(typ)
            if runner is None:
                result.outcomes.extend(Outcome(a.step, FAILED, f"no erasure support for {typ} sources") for a in acts)
                continue
            wanted = {DELETE_ROW, UPDATE_ROW} if typ == "sql" else {DELETE_OBJECT, REWRITE_OBJECT, DELETE_VERSION} if typ == "s3" else \
                {DELETE_FILE, REWRITE_FILE} if typ == "files" else {DELETE_MESSAGE}
            say(f"erasing: {source} ({len(acts)} step(s))")
            wrong = [a for a in acts if a.action not in wanted]
            result.outcomes.extend(Outcome(a.step, FAILED, f"{a.action} does not apply to a {typ} source") for a in wrong)
            result.outcomes.extend(runner(cfg, source, [a for a in acts if a.action in wanted]))
        result.outcomes.sort(key=lambda o: o.step)
        # sources where something changed, may have changed, or is known to be gone: the rescan updates the map
        status = {o.step: o.status for o in result.outcomes}
        touched = sorted({a.source for a in actions if a.source in {s.name for s in cfg.sources}
                          and status.get(a.step) in (DONE, ALREADY_GONE, FAILED, NOTHING, NOT_THEIRS)})
        result.rescanned = touched
        if touched:
            say(f"rescanning: {', '.join(touched)}")
            try:
                summary = scan(cfg, only_sources=set(touched), scheduler="sync", progress=False)
                result.rescan_status = summary.status
            except Exception as exc:  # noqa: BLE001 - the erasure is done; say that the check could not run
                result.rescan_status = f"failed ({type(exc).__name__}): the check below shows the data map as it was"
        dm = DataMap(cfg.datamap_url)
        try:
            # every value the subject had when the plan was made: once the row that linked a personnummer to an
            # e-mail address is gone, a mail holding only the address is no longer reached from the personnummer
            seen: dict[str, Any] = {}
            for h in sorted(hashes):
                for r in records_for_hash(cfg, dm, keys, h):
                    seen.setdefault(r.rkey, r)
            left = list(seen.values())
        finally:
            dm.close()
        retained = {k for a in actions if a.blocked_by for k in a.rkeys}
        from reports.erasure.plan import _natural

        left.sort(key=lambda r: (r.store, r.source, r.masked_container, _natural(r.masked_item)))
        for r in left:
            loc = {"store": r.store, "source": r.source, "container": r.masked_container, "item": r.masked_item,
                   "field": ",".join(sorted(r.fields))}
            (result.retained if r.rkey in retained else result.remaining).append(loc)
    else:
        result.outcomes.sort(key=lambda o: o.step)
    return result


def render_result(body: dict[str, Any], result: ErasureResult) -> str:
    """The erase report for people (masked locations only)."""
    by_step = {a["step"]: a for a in body["actions"]}
    head = "EXECUTED" if result.confirmed else "DRY RUN: nothing was changed (add --confirm to execute)"
    lines = [
        f"Erasure of the data subject {body['subject']['masked']} ({body['subject']['kind']}), "
        f"plan {body['plan_hash'][:16]} made {body['created_at']}",
        head,
        "",
    ]
    for o in result.outcomes:
        a = by_step[o.step]
        where = f"{a['store']}://{a['source']}/{a['container']}" + (f" [{a['item']}]" if a["item"] else "")
        lines.append(f"{o.step:>3}. {o.status:<13} {a['action']:<15} {where}")
        if o.detail:
            lines.append(f"       {o.detail}")
    if result.confirmed:
        lines.append("")
        if result.rescanned:
            lines.append(f"Rescanned: {', '.join(result.rescanned)} ({result.rescan_status})")
        failed = len(result.failed)
        if failed:
            lines.append(f"{failed} step(s) FAILED (see above)")
        if result.remaining:
            lines.append(f"Something of the subject REMAINS in {len(result.remaining)} location(s):")
            for loc in result.remaining:
                lines.append(f"  {loc['store']}://{loc['source']}/{loc['container']} [{loc['item']}] {loc['field']}")
        else:
            lines.append("Nothing of the subject remains" + (
                f" except {len(result.retained)} retained location(s):" if result.retained else "."))
        if result.retained and result.remaining:
            lines.append(f"Retained by a retention rule: {len(result.retained)} location(s):")
        for loc in result.retained:
            lines.append(f"  {loc['store']}://{loc['source']}/{loc['container']} [{loc['item']}] {loc['field']}")
    return "\n".join(lines) + "\n"
