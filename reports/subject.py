"""One data subject's locations as the DPO's reports need them.

:func:`pii_scan.lookup.lookup` gives the masked locations (safe to print).
Reports that act on a location (the access report reads it back, the erasure
plan deletes it) need the *true* container and item, which the data map keeps
encrypted when they held an identifier, and the record's date for retention.
:func:`subject_locations` adds those, grouped one entry per record.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from pii_scan.config import Config
from pii_scan.datamap import DataMap, in_chunks, records_t
from pii_scan.keys import Keys
from pii_scan.lookup import Location, canonical_forms, lookup_hash, true_names
from pii_scan.policy import Policy, policy_for


@dataclass
class SubjectRecord:
    """One record (row, line, object part, mail) holding the subject's data, or referencing it.

    ``container``/``item`` are the true names (decrypted where the map masked
    them): handle them as personal data. ``masked_container``/``masked_item``
    are what the data map shows. ``fields`` maps field -> kinds found there.
    """

    rkey: str
    store: str
    source: str
    container: str
    item: str
    masked_container: str
    masked_item: str
    reached: str  # direct | linked | related (the closest of its findings)
    record_date: datetime | None
    fields: dict[str, set[str]] = field(default_factory=dict)
    via: str = ""
    locations: list[Location] = field(default_factory=list)
    policy: Policy = field(default_factory=Policy)

    @property
    def kinds(self) -> set[str]:
        return {k for ks in self.fields.values() for k in ks if k != "reference"}

    def as_dict(self, *, reveal_names: bool = False) -> dict[str, Any]:
        """JSON form: ``store``, ``container``, ``item``, ``field`` (the fields joined) like the export."""
        return {
            "store": self.store,
            "source": self.source,
            "container": self.container if reveal_names else self.masked_container,
            "item": self.item if reveal_names else self.masked_item,
            "field": ",".join(sorted(self.fields)),
            "fields": {f: sorted(k) for f, k in sorted(self.fields.items())},
            "reached": self.reached,
            "via": self.via,
            "record_date": self.record_date.isoformat() if self.record_date else None,
        }


_ORDER = {"direct": 0, "linked": 1, "related": 2}


def subject_locations(cfg: Config, dm: DataMap, keys: Keys, kind: str, value: str) -> list[SubjectRecord]:
    """Every record of the subject identified by ``value`` of ``kind``, with true names and dates.

    Raises :class:`pii_scan.lookup.LookupError_` for an invalid value (the message never repeats it).
    """
    h, *also = (keys.hash(kind, v) for v in canonical_forms(kind, value))
    return records_for_hash(cfg, dm, keys, h, also)


def records_for_hash(cfg: Config, dm: DataMap, keys: Keys, h: str, also: Iterable[str] = ()) -> list[SubjectRecord]:
    """The records of ``h``'s subject; ``also``: hashes of other written forms of the same value (a bank
    account's IBAN)."""
    locs = lookup_hash(dm, h, also)
    by_key: dict[str, SubjectRecord] = {}
    for loc in locs:
        rec = by_key.get(loc.rkey)
        if rec is None:
            rec = by_key[loc.rkey] = SubjectRecord(
                rkey=loc.rkey, store=loc.store, source=loc.source, container=loc.container, item=loc.item,
                masked_container=loc.container, masked_item=loc.item, reached=loc.reached, record_date=None,
                via=loc.via,
            )
        elif _ORDER[loc.reached] < _ORDER[rec.reached]:
            rec.reached = loc.reached
        rec.fields.setdefault(loc.field, set()).add(loc.kind)
        rec.locations.append(loc)
    with dm.engine.connect() as c:
        for rkey, (container, item) in true_names(c, keys, by_key).items():
            by_key[rkey].container, by_key[rkey].item = container, item
        # a referencing row without findings has no record, and no date
        for part in in_chunks(by_key):
            for rkey, rdate in c.execute(sa.select(records_t.c.rkey, records_t.c.record_date).where(records_t.c.rkey.in_(part))):
                by_key[rkey].record_date = rdate
    out = list(by_key.values())
    for rec in out:
        rec.policy = policy_for(cfg, rec.source, rec.container, next(iter(sorted(rec.kinds)), None))
    out.sort(key=lambda r: (_ORDER[r.reached], r.store, r.source, r.masked_container, r.masked_item))
    return out
