"""Changing the key of a data map (``pii-scan key rotate``).

Everything keyed in the map is recomputed under the new key in one
transaction, from what the map itself holds:

* ``findings.value_hash`` = HMAC(kind:value) from the value decrypted out of
  ``enc_value`` with the old key, and ``enc_value`` encrypted anew. A map
  scanned with ``store_values = false`` has no values: it cannot be re-keyed
  (the command refuses and says so); scan into a new map with the new key.
* ``records.rkey`` and ``refs.rkey_from`` = HMAC of (source, container, item),
  from the true names (``location_enc`` decrypted where names were masked);
  ``location_enc`` encrypted anew.
* ``units.unit_id`` = HMAC of (source, unit key). A unit whose key was stored
  masked (its key held an identifier) is recomputed from the true names of
  its records (a file's path is its key), each candidate verified against
  the old id; one that cannot be (a byte range of a file named after a
  person) gets a placeholder id and an empty fingerprint, so the next scan
  forgets it and reads the unit again under its true id.
* ``refs.rkey_to`` (the referenced row) is mapped through the re-keyed records;
  a reference to a row without findings has no record to map through: its
  unit's fingerprint is emptied, so the next scan reads it again.
* ``dependencies`` facts with masked names carry the true fact encrypted
  (``"enc"``): encrypted anew.
* ``subjects`` are linked again (after the commit); ``pii_meta.key_id`` names
  the new key.

The transaction either commits whole or not at all: an interrupted rotation
leaves the map under the old key. Memory: one entry per record and unit
(old key -> new key), about 200 bytes each.
"""

from __future__ import annotations

import base64
import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa

from pii_scan.config import Config
from pii_scan.datamap import DataMap, deps_t, dirty_t, findings_t, meta_t, records_t, refs_t, subjects_t, units_t
from pii_scan.keys import Keys, from_environment, load_keys, next_keys, read_key_file, write_key_file

BATCH = 2000


class RekeyError(RuntimeError):
    """The data map cannot be re-keyed (wrong key, no stored values). Never names a value."""


@dataclass
class RekeySummary:
    records: int = 0
    findings: int = 0
    refs: int = 0
    units: int = 0
    units_to_rescan: int = 0
    subjects: int = 0


def _rkey(keys: Keys, source: str, container: str, item: str) -> str:
    return keys.hash("record", f"{source}\x1f{container}\x1f{item}")[:32]


def _unit_id(keys: Keys, source: str, key: str) -> str:
    return keys.hash("unit", f"{source}\x1f{key}")[:32]


def _placeholder(keys: Keys, what: str, old: str) -> str:
    return keys.hash(what, old)[:32]


def _true_names(old: Keys, container: str, item: str, enc: bytes | None) -> tuple[str, str]:
    if enc is None:
        return container, item
    c, _, i = old.decrypt(bytes(enc)).partition("\x1f")
    return c, i


def rekey(dm: DataMap, old: Keys, new: Keys, progress: Callable[[str], None] | None = None) -> RekeySummary:
    """Re-key the whole map from ``old`` to ``new`` (see the module docstring)."""
    say = progress or (lambda _msg: None)
    out = RekeySummary()
    with dm.engine.begin() as c:
        kid = c.execute(sa.select(meta_t.c.value).where(meta_t.c.key == "key_id")).scalar()
        if kid is None:
            raise RekeyError("the data map is bound to no key yet (never scanned): nothing to re-key")
        if kid == new.fingerprint():
            raise RekeyError("the data map is already bound to the new key")
        if kid != old.fingerprint():
            raise RekeyError("the data map was written with another key than the current one; use that key")
        missing = c.execute(sa.select(sa.func.count()).select_from(findings_t).where(findings_t.c.enc_value.is_(None))).scalar_one()
        if missing:
            raise RekeyError(
                f"{missing} finding(s) have no stored value (store_values = false): their keyed hashes cannot be "
                "recomputed. Scan into a new data map with the new key instead (docs/security.md)."
            )

        # records: old rkey -> new rkey, from the true names (read whole first: the keys change below)
        recs: list[tuple[str, str, str, str, str, bool]] = []  # old rkey, unit, source, container, item, masked
        candidates: dict[str, set[str]] = {}  # unit id -> true containers of its records
        for rkey, uid, source, container, item, enc in c.execute(
            sa.select(records_t.c.rkey, records_t.c.unit_id, records_t.c.source, records_t.c.container,
                      records_t.c.item, records_t.c.location_enc)
        ):
            tc, ti = _true_names(old, container, item, enc)
            recs.append((rkey, uid, source, tc, ti, enc is not None))
            if enc is not None:
                candidates.setdefault(uid, set()).add(tc)

        # units: the id is recomputable when the stored key is the true one, or when the true key
        # is among the true names of its records (a file's path, an archive's path before "!")
        umap: dict[str, str] = {}
        rescan: set[str] = set()
        for uid, source, key in c.execute(sa.select(units_t.c.unit_id, units_t.c.source, units_t.c.key)).all():
            tries = [key]
            for tc in sorted(candidates.get(uid, ())):
                for k in (tc, tc.split("!", 1)[0]):
                    tries += [k, f"mbox:{k}", f"eml:{k}", f"msg:{k}"]
            true_key = next((k for k in tries if _unit_id(old, source, k) == uid), None)
            if true_key is not None:
                umap[uid] = _unit_id(new, source, true_key)
            else:
                umap[uid] = _placeholder(new, "unit-rekeyed", uid)
                rescan.add(uid)
        say(f"units: {len(umap)}")

        rmap: dict[str, str] = {}
        for start in range(0, len(recs), BATCH):
            params = []
            for rkey, uid, source, tc, ti, masked in recs[start : start + BATCH]:
                nk = _rkey(new, source, tc, ti)
                rmap[rkey] = nk
                params.append({"o": rkey, "n": nk, "u": umap.get(uid, uid),
                               "e": new.encrypt(f"{tc}\x1f{ti}") if masked else None})
            c.execute(
                records_t.update().where(records_t.c.rkey == sa.bindparam("o"))
                .values(rkey=sa.bindparam("n"), unit_id=sa.bindparam("u"), location_enc=sa.bindparam("e")),
                params,
            )
            out.records += len(params)
        del recs, candidates
        say(f"records: {out.records}")

        # findings: by id (ids do not change, so paging by id is safe while rows are updated)
        last = 0
        while True:
            frows = c.execute(
                sa.select(findings_t.c.id, findings_t.c.rkey, findings_t.c.unit_id, findings_t.c.kind,
                          findings_t.c.enc_value).where(findings_t.c.id > last).order_by(findings_t.c.id).limit(BATCH)
            ).all()
            if not frows:
                break
            fparams: list[dict[str, object]] = []
            for fid, rkey, uid, kind, enc in frows:
                value = old.decrypt(bytes(enc))
                fparams.append({"i": fid, "r": rmap.get(rkey) or _placeholder(new, "record-rekeyed", rkey),
                               "u": umap.get(uid, uid), "h": new.hash(kind, value), "e": new.encrypt(value)})
            c.execute(
                findings_t.update().where(findings_t.c.id == sa.bindparam("i"))
                .values(rkey=sa.bindparam("r"), unit_id=sa.bindparam("u"), value_hash=sa.bindparam("h"),
                        enc_value=sa.bindparam("e")),
                fparams,
            )
            out.findings += len(fparams)
            last = frows[-1][0]
        say(f"findings: {out.findings}")

        # references: the referencing row from its own names, the referenced one through the records
        last = 0
        while True:
            rrows = c.execute(
                sa.select(refs_t.c.id, refs_t.c.unit_id, refs_t.c.rkey_to, refs_t.c.source, refs_t.c.container,
                          refs_t.c.item, refs_t.c.location_enc).where(refs_t.c.id > last).order_by(refs_t.c.id).limit(BATCH)
            ).all()
            if not rrows:
                break
            rparams: list[dict[str, object]] = []
            for rid, uid, rkey_to, source, container, item, enc in rrows:
                tc, ti = _true_names(old, container, item, enc)
                to = rmap.get(rkey_to)
                if to is None:  # a row without findings: only a rescan can key it again
                    to = _placeholder(new, "record-rekeyed", rkey_to)
                    rescan.add(uid)
                rparams.append({"i": rid, "u": umap.get(uid, uid), "f": _rkey(new, source, tc, ti), "t": to,
                               "e": new.encrypt(f"{tc}\x1f{ti}") if enc is not None else None})
            c.execute(
                refs_t.update().where(refs_t.c.id == sa.bindparam("i"))
                .values(unit_id=sa.bindparam("u"), rkey_from=sa.bindparam("f"), rkey_to=sa.bindparam("t"),
                        location_enc=sa.bindparam("e")),
                rparams,
            )
            out.refs += len(rparams)
            last = rrows[-1][0]
        say(f"references: {out.refs}")

        # units last: their ids are what the rows above pointed to
        keep = [{"o": o, "n": n} for o, n in umap.items() if o not in rescan]
        reset = [{"o": o, "n": n} for o, n in umap.items() if o in rescan]
        if keep:
            c.execute(units_t.update().where(units_t.c.unit_id == sa.bindparam("o")).values(unit_id=sa.bindparam("n")), keep)
        if reset:  # read again by the next scan
            c.execute(units_t.update().where(units_t.c.unit_id == sa.bindparam("o"))
                      .values(unit_id=sa.bindparam("n"), fingerprint=""), reset)
        out.units, out.units_to_rescan = len(umap), len(reset)

        # schema facts whose names were masked keep the true fact encrypted
        for did, data in c.execute(sa.select(deps_t.c.id, deps_t.c.data)).all():
            try:
                d = json.loads(data)
            except ValueError:
                continue
            if isinstance(d, dict) and isinstance(d.get("enc"), str):
                d["enc"] = base64.b64encode(new.encrypt(old.decrypt(base64.b64decode(d["enc"])))).decode("ascii")
                c.execute(deps_t.update().where(deps_t.c.id == did).values(data=json.dumps(d, sort_keys=True)))

        # subjects are keyed by value hashes: drop them, and make the next link a full one
        c.execute(subjects_t.delete())
        c.execute(dirty_t.delete())
        c.execute(meta_t.delete().where(meta_t.c.key.in_(("subjects_linked", "subject_count"))))
        c.execute(meta_t.update().where(meta_t.c.key == "key_id").values(value=new.fingerprint()))
        DataMap._set_stale(c, "1")
    return out


@dataclass
class Rotation:
    """What ``pii-scan key rotate`` did."""

    summary: RekeySummary | None  # None when an interrupted rotation was only completed
    key_file: Path | None  # the file that holds the new key; None when keys come from the environment
    resumed: bool = False


def _replace(src: Path, dst: Path) -> None:
    os.replace(src, dst)
    try:
        fd = os.open(dst.parent, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def rotate(cfg: Config, progress: Callable[[str], None] | None = None) -> Rotation:
    """Rotate the key of ``cfg``'s data map (see the module docstring and docs/security.md).

    With a key file: a new random key (or ``PII_SCAN_NEW_KEY``) is written to
    ``<key file>.new`` (0600) first, the map is re-keyed in one transaction,
    then the new file replaces the old one. Killed between the commit and the
    replacement, the next ``rotate`` sees the map bound to the ``.new`` key and
    completes the replacement. With ``PII_SCAN_KEY`` the new key must be given
    in ``PII_SCAN_NEW_KEY``; afterwards ``PII_SCAN_KEY`` must be set to it.
    """
    dm = DataMap(cfg.datamap_url)
    try:
        if from_environment():
            old = load_keys(cfg.key_file)
            new = next_keys()
            out = rekey(dm, old, new, progress)
            out.subjects = dm.link_subjects(full=True)
            return Rotation(out, None)
        key_file = cfg.key_file
        pending = key_file.with_name(key_file.name + ".new")
        if pending.exists():
            staged = read_key_file(pending)
            with dm.engine.connect() as c:
                kid = c.execute(sa.select(meta_t.c.value).where(meta_t.c.key == "key_id")).scalar()
            if kid == staged.fingerprint():  # the map was re-keyed, the file not yet replaced
                _replace(pending, key_file)
                if dm.subjects_stale():
                    dm.link_subjects(full=True)
                return Rotation(None, key_file, resumed=True)
            pending.unlink()  # left by a rotation that did not commit
        try:
            old = read_key_file(key_file)
        except FileNotFoundError:
            raise RekeyError(f"no key file {key_file}: nothing to rotate (a scan creates it)") from None
        new = next_keys()
        write_key_file(pending, new.secret)
        try:
            out = rekey(dm, old, new, progress)
        except BaseException:
            pending.unlink(missing_ok=True)
            raise
        _replace(pending, key_file)
        out.subjects = dm.link_subjects(full=True)
        return Rotation(out, key_file)
    finally:
        dm.close()
