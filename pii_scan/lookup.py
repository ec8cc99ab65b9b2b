"""Subject lookup: every location of one data subject.

The query value is validated and canonicalised by its detector, hashed with
the data map's key, and looked up:

* ``direct``: locations holding that value;
* ``linked``: locations holding other values of the same subject (values that
  occur together with it in structured records: the email in the customer row
  of a personnummer), and the other fields of those records;
* ``related``: rows that only reference one of the subject's rows through a
  foreign key (an invoice's ``customer_id``), and the rows that reference
  those in turn (an order line of the customer's order).
"""

from __future__ import annotations

import re
from contextlib import suppress
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from detectors import bank_account, email, personnummer, phone
from detectors.checksums import iban_numeric, luhn_check_digit, mod97
from pii_scan.datamap import PERSON_KIND, DataMap, findings_t, in_chunks, records_t, refs_t, subjects_t
from pii_scan.keys import Keys
from pii_scan.worker import links_field, list_element, within_element

QUERY_KINDS = ("personnummer", "email", "phone", "bank_account")


class LookupError_(ValueError):
    """The query value is not a valid identifier of its kind (the message never repeats it)."""


def reading_keys(key_file: Path, dm: DataMap) -> Keys:
    """The key to read ``dm`` with (lookups, exports): the one it was written with, never a new one.

    A missing key file would otherwise be created with a fresh key, under
    which no hash matches: every lookup would answer "nothing" and an
    export could not decrypt.
    """
    from pii_scan.keys import from_environment, load_keys

    if not from_environment() and not key_file.exists():
        raise LookupError_(f"no key: {key_file} does not exist and PII_SCAN_KEY is not set; "
                           "give the key the data map was scanned with")
    keys = load_keys(key_file)
    bound = dm.key_id()
    if bound is not None and bound != keys.fingerprint():
        raise LookupError_("this data map was written with another key (PII_SCAN_KEY / key file); use that key")
    return keys


def canonical(kind: str, value: str) -> str:
    """The canonical form that the data map keys on (the first of :func:`canonical_forms`)."""
    return canonical_forms(kind, value)[0]


def canonical_forms(kind: str, value: str) -> list[str]:
    """The canonical forms under which the data map may hold ``value``: one, but for a bank account.

    A bank account is held as clearing + account (``5839-8257466``) or as
    its IBAN (``SE4550000000058398257466``): either written form finds both.
    A bankgiro or plusgiro number is read by its written form (``5402-9681``
    bankgiro, ``410 54 68-5`` plusgiro) or a label before it (``bg``,
    ``bankgiro``, ``pg``, ``plusgiro``).
    """
    try:
        if kind == "personnummer":
            return _person_forms(personnummer.validate(value, ref_date=date.today()))
        if kind == "email":
            if value.strip().lower().startswith("mailto:"):  # a link as copied: mailto:a@b.se?subject=...
                value = value.strip()[len("mailto:"):].split("?", 1)[0]
            return [email.validate(value)]
        if kind == "phone":
            return [phone.validate(value)]
        if kind == "bank_account":
            return _bank_forms(value)
    except ValueError as exc:
        raise LookupError_(f"not a valid {kind}: {exc}") from None
    raise LookupError_(f"unknown kind {kind!r}; use one of {', '.join(QUERY_KINDS)}")


def _person_forms(canon: str) -> list[str]:
    """A personnummer and the same ten digits in the other centuries (1924 and 2024 for ``240426-1238``).

    A number written without its century and without the '+' of a person of
    100 or more (a 10-digit column, an old export) is read with the wrong
    century; the same date and serial a hundred years apart is the same
    person, not another one.
    """
    out = [canon]
    for century in ("18", "19", "20"):
        if century != canon[:2]:
            with suppress(ValueError):  # no such date in that century (29 February 1900), or in the future
                out.append(personnummer.validate(century + canon[2:], ref_date=date.today()))
    return out


_GIRO_LABEL = re.compile(r"(?i)\s*(?:(bankgiro|bg)|(plusgiro|postgiro|pg))(?:nr|nummer)?\s*[:.]?\s*")
_BANKGIRO_FORM = re.compile(r"\s*[0-9]{3,4}-[0-9]{4}\s*")  # 5402-9681, 297-3675
_PLUSGIRO_FORM = re.compile(r"\s*[0-9][0-9 ]*-[0-9]\s*")  # 410 54 68-5, 4-2
_IBAN_LABEL = re.compile(r"(?i)\s*iban\s*[:.]?\s*")
MAX_EQUIVALENT_ACCOUNTS = 1000  # an IBAN without its clearing (Handelsbanken): one account per clearing of the bank


def _bank_forms(value: str) -> list[str]:
    label = _GIRO_LABEL.match(value)
    if label:
        rest = value[label.end():]
        if label.group(1):
            return [bank_account.validate_bankgiro(rest)]
        return [bank_account.validate_plusgiro(rest)]
    if m := _IBAN_LABEL.match(value):
        value = value[m.end():]
    try:
        first = bank_account.validate(value)
    except ValueError:
        # not an account or IBAN: a giro number as written
        if _BANKGIRO_FORM.fullmatch(value):
            return [bank_account.validate_bankgiro(value)]
        if _PLUSGIRO_FORM.fullmatch(value):
            return [bank_account.validate_plusgiro(value)]
        raise
    forms = [first]
    if first.startswith("SE"):
        forms += [a for a in _accounts_of_iban(first) if a not in forms]
    elif not first[:2].isalpha():
        for iban in _ibans_of_account(first):
            if iban not in forms:
                forms.append(iban)
                forms += [a for a in _accounts_of_iban(iban) if a not in forms]
    return forms


def _iban(bban: str) -> str | None:
    """``SE`` + check digits + ``bban`` when the result is a valid IBAN (national check included)."""
    check = 98 - mod97(iban_numeric("SE00" + bban))
    try:
        return bank_account.validate_iban(f"SE{check:02d}{bban}")
    except ValueError:
        return None


def _ibans_of_account(account: str) -> list[str]:
    """The IBAN of a canonical clearing + account number (``CCCC-AAAA``), by the bank's IBAN method."""
    clearing, acct = account.split("-", 1)
    row = bank_account.lookup(clearing)
    if row is None or not row.iban_id:
        return []
    out: list[str] = []
    for method in row.iban_method or "12":
        if method == "1":
            bban = row.iban_id + (clearing + acct).zfill(17)
        elif method == "2":
            bban = row.iban_id + acct.zfill(17)
        else:  # 3: Swedbank's 5-digit clearing (with its check digit) + the account padded to 10
            bban = row.iban_id + (clearing + luhn_check_digit(clearing) + acct.zfill(10)).zfill(17)
        iban = _iban(bban) if len(bban) == 20 else None
        if iban and iban not in out:
            out.append(iban)
    return out


def _accounts_of_iban(iban: str) -> list[str]:
    """The canonical clearing + account numbers that a Swedish IBAN stands for (several when the IBAN
    leaves the clearing out: every clearing of the bank, up to :data:`MAX_EQUIVALENT_ACCOUNTS`)."""
    bban = iban[4:]
    out: list[str] = []
    for row in bank_account.clearing_rows():
        if row.iban_id != bban[:3]:
            continue
        rest = bban[3:]
        for method in row.iban_method or "12":
            cut = 17 - row.digits
            if method == "1":  # the clearing inside, zeros before it
                cands = [f"{rest[cut - 4:cut]}-{rest[cut:]}"] if not rest[:cut - 4].strip("0") else []
            elif method == "2":  # no clearing: zeros before the account
                last = min(row.last, row.first + MAX_EQUIVALENT_ACCOUNTS - 1)
                cands = [f"{c:04d}-{rest[cut:]}" for c in range(row.first, last + 1)] if not rest[:cut].strip("0") else []
            else:  # 3: Swedbank's 5-digit clearing, zeros before it
                cands = [f"{rest[2:7]}-{rest[7:]}"] if rest[:2] == "00" else []
            for cand in cands:
                try:
                    a = bank_account.validate_account(cand)
                except ValueError:
                    continue
                if a not in out and bank_account.lookup(a[:4]) == row:
                    out.append(a)
    return out


@dataclass(frozen=True)
class Location:
    store: str
    source: str
    container: str
    item: str
    field: str
    kind: str
    subkind: str
    masked: str
    confidence: float
    reached: str  # direct | linked | related
    via: str = ""
    rkey: str = ""  # the record's keyed hash (for a related row: the referencing row)
    subject: str = ""  # the value's subject as ``export`` names it (16 hex digits); "" for a related row
    test_data: bool = False  # the value is published test data (Skatteverket's test personnummer, PTS fiction numbers)

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def lookup(dm: DataMap, keys: Keys, kind: str, value: str) -> list[Location]:
    """All locations of the subject identified by ``value`` of ``kind``."""
    first, *also = (keys.hash(kind, v) for v in canonical_forms(kind, value))
    return lookup_hash(dm, first, also)


def lookup_hash(dm: DataMap, h: str, also: Iterable[str] = ()) -> list[Location]:
    """The locations of ``h``'s subject; ``also``: hashes of other forms of the same value (direct too)."""
    direct = {h, *also}
    with dm.engine.connect() as c:
        subjs = {x for (x,) in c.execute(sa.select(subjects_t.c.subject).where(subjects_t.c.value_hash.in_(_chunk(direct))))}
        hashes = set(direct)
        if subjs:
            hashes |= {row[0] for row in c.execute(sa.select(subjects_t.c.value_hash).where(subjects_t.c.subject.in_(_chunk(subjs))))}
        if len(subjs) > 1:  # forms of one value in several subjects: what they share is the subject's too
            hashes |= _shared_by_forms(c, direct, hashes)
        cols = (
            records_t.c.rkey, records_t.c.store, records_t.c.source, records_t.c.container, records_t.c.item,
            records_t.c.structured, findings_t.c.linkable, findings_t.c.field, findings_t.c.kind, findings_t.c.subkind,
            findings_t.c.masked, findings_t.c.confidence, findings_t.c.value_hash, findings_t.c.test_data,
            findings_t.c.entry,
        )
        rows = list(
            c.execute(sa.select(*cols).join(records_t, records_t.c.rkey == findings_t.c.rkey).where(findings_t.c.value_hash.in_(_chunk(hashes))))
        )
        # other findings in the subject's structured records (linked)
        structured_keys = {r.rkey for r in rows if r.structured and r.linkable}
        extra = []
        if structured_keys:
            extra = list(
                c.execute(
                    sa.select(*cols).join(records_t, records_t.c.rkey == findings_t.c.rkey)
                    .where(
                        findings_t.c.rkey.in_(_chunk(structured_keys)),
                        findings_t.c.value_hash.not_in(_chunk(hashes)),
                        findings_t.c.linkable.is_(True),
                    )
                )
            )
        if extra:
            # another person's entry of a list within the subject's row (worker.person_entries: a household
            # member with a personnummer or a name): not the subject's, whatever the links say
            own_entries: dict[str, set[int | None]] = {}
            for r in rows:
                own_entries.setdefault(r.rkey, set()).add(r.entry)
            extra = [r for r in extra if r.entry is None or r.entry in own_entries.get(r.rkey, ())]
        others = _others(c, extra) if extra else set()
        if _held_by_others(rows, extra, others, direct):
            # the queried value stands as data on rows of other identified people (a family's e-mail, a
            # switchboard number): it identifies nobody, so only the rows that hold it are listed; their
            # other values and the rows referencing them are those people's
            extra, structured_keys = [], set()
        extra, mentioned = _in_scope(rows, extra, others)
        extra = [r for r in extra if r.value_hash not in others]
        # foreign keys are followed from the rows that are the subject's: where its value links (not a
        # next of kin's phone or a clerk's address on a customer row, not a mention in a note, not an
        # element of a list of people on somebody else's row)
        all_keys = structured_keys - mentioned
        related, related_held = _related(c, all_keys, hashes, cols)
        subject_of = dict(c.execute(sa.select(subjects_t.c.value_hash, subjects_t.c.subject).where(
            subjects_t.c.value_hash.in_(_chunk({r.value_hash for r in (*rows, *extra, *related_held)})))).all())

    def sid(vh: str) -> str:  # as the export names it
        return (subject_of.get(vh) or vh)[:16]

    out: list[Location] = []
    seen: set[tuple[str, ...]] = set()
    for r in rows:
        reached = "direct" if r.value_hash in direct else "linked"
        key = (r.source, r.container, r.item, r.field, r.kind, r.masked)
        if key in seen:
            continue
        seen.add(key)
        out.append(Location(r.store, r.source, r.container, r.item, r.field, r.kind, r.subkind, r.masked, r.confidence, reached,
                            rkey=r.rkey, subject=sid(r.value_hash), test_data=bool(r.test_data)))
    for r in extra:
        key = (r.source, r.container, r.item, r.field, r.kind, r.masked)
        if key in seen:
            continue
        seen.add(key)
        out.append(Location(r.store, r.source, r.container, r.item, r.field, r.kind, r.subkind, r.masked, r.confidence, "linked",
                            rkey=r.rkey, subject=sid(r.value_hash), test_data=bool(r.test_data)))
    via_of = {r.rkey_from: r.via for r in related}
    for r in related_held:  # the values in rows that belong to the subject through a foreign key
        key = (r.source, r.container, r.item, r.field, r.kind, r.masked)
        if key in seen:
            continue
        seen.add(key)
        out.append(Location(r.store, r.source, r.container, r.item, r.field, r.kind, r.subkind, r.masked, r.confidence,
                            "related", via=via_of.get(r.rkey, ""), rkey=r.rkey, subject=sid(r.value_hash),
                            test_data=bool(r.test_data)))
    for r in related:
        ref_key = (r.source, r.container, r.item, r.via, "related", "")
        if ref_key in seen:
            continue
        seen.add(ref_key)
        out.append(Location(r.store, r.source, r.container, r.item, r.via, "reference", "foreign_key", "", 1.0, "related",
                            via=r.via, rkey=r.rkey_from))
    order = {"direct": 0, "linked": 1, "related": 2}
    out.sort(key=lambda l: (order[l.reached], l.store, l.source, l.container, l.item, l.field, l.kind, l.masked))
    return out


def true_names(c: sa.Connection, keys: Keys, rkeys: Iterable[str]) -> dict[str, tuple[str, str]]:
    """The true (container, item) of the records ``rkeys`` whose names were stored masked.

    A file named by a personnummer or a row keyed by one is stored as
    ``pnr=19811228-****`` with the original encrypted beside it
    (``location_enc``); a related row that holds no finding of its own is known
    by its reference only (``refs.location_enc``).
    """
    enc: dict[str, bytes] = {}
    for part in in_chunks(rkeys):
        enc.update(c.execute(sa.select(records_t.c.rkey, records_t.c.location_enc).where(
            records_t.c.rkey.in_(part), records_t.c.location_enc.is_not(None))).all())
        for rk, e in c.execute(sa.select(refs_t.c.rkey_from, refs_t.c.location_enc).where(
                refs_t.c.rkey_from.in_(part), refs_t.c.location_enc.is_not(None))):
            enc.setdefault(rk, e)
    out: dict[str, tuple[str, str]] = {}
    for rk, e in enc.items():
        container, item = keys.decrypt(e).split("\x1f", 1)
        out[rk] = (container, item)
    return out


def reveal_names(dm: DataMap, keys: Keys, locs: list[Location]) -> list[Location]:
    """``locs`` with the true container and item where they were stored masked (:func:`true_names`).
    Values stay masked."""
    with dm.engine.connect() as c:
        names = true_names(c, keys, {l.rkey for l in locs if l.rkey})
    return [replace(l, container=names[l.rkey][0], item=names[l.rkey][1]) if l.rkey in names else l for l in locs]


def _chunk(values: Iterable[str]) -> list[str]:
    return sorted(values)


def _shared_by_forms(c: sa.Connection, direct: set[str], hashes: set[str]) -> set[str]:
    """Values that link nobody only because they occur with two forms of the queried value.

    The linking keeps a value seen with two personnummer apart from both; when
    those two are one person's number read in two centuries (the forms of
    the query), the value (the person's e-mail beside each) is theirs.
    """
    f, g = findings_t, findings_t.alias("g")
    rkeys = {rk for (rk,) in c.execute(sa.select(f.c.rkey).distinct().where(
        f.c.value_hash.in_(_chunk(direct)), f.c.linkable.is_(True)))}
    if not rkeys:
        return set()
    cands = {x for (x,) in c.execute(sa.select(f.c.value_hash).distinct().where(
        f.c.rkey.in_(_chunk(rkeys)), f.c.linkable.is_(True), f.c.value_hash.not_in(_chunk(hashes))))}
    if not cands:
        return set()
    # the personnummer each candidate occurs with, in any record where it is linkable
    seen_with: dict[str, set[str]] = {}
    for x, p in c.execute(
        sa.select(f.c.value_hash, g.c.value_hash).distinct()
        .join(g, sa.and_(g.c.rkey == f.c.rkey, g.c.linkable.is_(True), g.c.kind == PERSON_KIND))
        .where(f.c.value_hash.in_(_chunk(cands)), f.c.linkable.is_(True))
    ):
        seen_with.setdefault(x, set()).add(p)
    return {x for x, ps in seen_with.items() if ps <= direct}


def _others(c: sa.Connection, rows: list[Any]) -> set[str]:
    """The value hashes among ``rows`` (findings outside the subject) that are another identified person's:
    another personnummer, or a value whose subject holds a personnummer (a guardian's phone linked to the
    guardian). Shared values that are nobody's in particular (a switchboard number, a family's e-mail) are not.
    """
    out = {r.value_hash for r in rows if r.kind == PERSON_KIND}
    rest = {r.value_hash for r in rows} - out
    if not rest:
        return out
    subject_of = dict(c.execute(sa.select(subjects_t.c.value_hash, subjects_t.c.subject)
                                .where(subjects_t.c.value_hash.in_(_chunk(rest)))).all())
    s2 = subjects_t.alias("s2")
    persons = {x for (x,) in c.execute(
        sa.select(s2.c.subject).distinct()
        .join(findings_t, findings_t.c.value_hash == s2.c.value_hash)
        .where(s2.c.subject.in_(_chunk(set(subject_of.values()))), findings_t.c.kind == PERSON_KIND))}
    return out | {h for h in rest if subject_of.get(h) in persons}


def _held_by_others(rows: list[Any], extra: list[Any], others: set[str], direct: set[str]) -> bool:
    """Whether the queried value (not a personnummer) is held as data, at a record's top level, on a row whose own person
    (a personnummer at the top level of the row, linkable) is somebody else.

    Such a value links to nobody (the person rule: a value seen with two personnummer), and a row
    holding it is the other person's row: a lookup by it must not list that row's other values, nor
    follow foreign keys from it (their orders), nor take a row holding no personnummer at all for the
    subject's (a newsletter sign-up with the shared address).
    """
    owned = {r.rkey for r in extra if r.kind == PERSON_KIND and r.value_hash in others and not list_element(r.field)}
    return bool(owned) and any(
        r.rkey in owned and r.value_hash in direct and r.kind != PERSON_KIND and r.structured and r.linkable
        and not list_element(r.field) for r in rows)


def _in_scope(rows: list[Any], extra: list[Any], others: set[str]) -> tuple[list[Any], set[str]]:
    """The subject's other values (``extra``) by the list elements they stand in, and the records in
    which the subject is only mentioned in an element.

    A row may hold a list of people (a household, the passengers of a booking) in a JSON
    column: each element is one person. The subject found outside any element is the row's
    own person: the elements holding another identified person (``others``) are theirs, not
    the subject's. The subject found only inside elements of a row that holds another
    identified person outside them (the owner of the customer row) is that entry's person:
    only its element's values are theirs, and the row (and what references it through
    foreign keys) is somebody else's. A row on which the subject is the only identified
    person (a booking of one passenger) is the subject's: its top-level values and the rows
    referencing it, though not the other entries of the list (a co-passenger known by name
    and e-mail only).
    """
    hits: dict[str, set[str]] = {}
    for r in rows:
        if r.structured and r.linkable:
            hits.setdefault(r.rkey, set()).add(list_element(r.field))
    extra_el = [(r, list_element(r.field)) for r in extra]
    if not any(e for es in hits.values() for e in es) and not any(e for _r, e in extra_el):
        return extra, set()  # no list element anywhere (the usual rows): as is
    by_rkey: dict[str, list[tuple[Any, str]]] = {}
    for r, e in extra_el:
        by_rkey.setdefault(r.rkey, []).append((r, e))
    theirs: set[str] = set()  # rows found by an element that hold nobody else identified: the subject's
    for rk, es in hits.items():
        if "" not in es and not any(r.value_hash in others and not any(within_element(e, s) for s in es)
                                    for r, e in by_rkey.get(rk, ())):
            theirs.add(rk)
    mentioned = {rk for rk, es in hits.items() if "" not in es} - theirs
    kept = []
    for rk, members in by_rkey.items():
        scope = hits.get(rk, {""})
        foreign = {e for r, e in members if e and r.value_hash in others}
        for r, e in members:
            # the subject's elements; on their own row its top level too, never another entry of the list
            if not any(within_element(e, s) for s in scope) and not (rk in theirs and not e):
                continue
            if any(within_element(e, f) and not any(within_element(s, f) for s in scope) for f in foreign):
                continue  # in another person's element
            kept.append(r)
    return kept, mentioned


MAX_RELATED_DEPTH = 5  # foreign-key hops followed from the subject's rows (order_lines -> orders -> customers)


def _related(c: sa.Connection, keys: set[str], hashes: set[str], cols: tuple[Any, ...]) -> tuple[list[Any], list[Any]]:
    """Rows that reference the subject's records through foreign keys, followed down the chain, and the
    values they hold.

    An order references the customer, an order line the order, a payment the
    customer's account row: all are the customer's, and so are the values
    in them (the account's IBAN). A referencing row that holds another
    identified person's values (:func:`_others`; e.g. a customer row that
    names the subject as ``referred_by``) is listed as a reference only: its
    values and the rows that reference it are that person's.

    A row that references the subject through a key named for another role
    (``handled_by``, ``created_by``, ``assigned_to``, ``saljare_id``: the worker's
    :func:`~pii_scan.worker.links_field`) is listed as a reference only too: the
    clerk's id on an order does not make the customer's order, its lines and the
    values in them the clerk's.

    Returns (references, findings of the referencing rows).
    """
    out: list[Any] = []
    held: list[Any] = []
    seen = set(keys)
    frontier = set(keys)
    for _ in range(MAX_RELATED_DEPTH):
        if not frontier:
            break
        got = list(c.execute(
            sa.select(refs_t.c.store, refs_t.c.source, refs_t.c.container, refs_t.c.item, refs_t.c.via,
                      refs_t.c.rkey_from)
            .where(refs_t.c.rkey_to.in_(_chunk(frontier)))
        ))
        out.extend(got)
        # a key named for another role than the row's owner (handled_by, created_by, saljare_id): the row
        # holds the subject's reference and is listed, but it is somebody else's (the customer's order)
        new = {r.rkey_from for r in got if links_field(r.via)} - seen
        seen |= new
        if new:
            rows = list(c.execute(sa.select(*cols).join(records_t, records_t.c.rkey == findings_t.c.rkey)
                                  .where(findings_t.c.rkey.in_(_chunk(new)))))
            others = _others(c, rows)
            foreign = {r.rkey for r in rows if r.value_hash in others}
            held.extend(r for r in rows if r.rkey not in foreign)
            new -= foreign
        frontier = new
    return out, held
