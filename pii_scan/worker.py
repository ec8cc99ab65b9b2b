"""What runs on a worker for one unit: read records, detect, hash. Pure of the data map."""

from __future__ import annotations

import gc
import os
import re
import time
from bisect import bisect_right
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any, TypeVar

from connectors.base import BaseConnector, ConnectorError, Record, Unit, safe_name
from detectors import Match, Scanner
from detectors.bank_account import is_clearing_field, is_split_account_field, join_split_account
from detectors.base import mask
from detectors.context import hint_kinds
from detectors.personnummer import (
    is_birth_date_field,
    is_last_four_field,
    is_test_number,
    is_valid,
    join_birth_date_and_last_four,
)
from pii_scan import gcpolicy
from pii_scan.datamap import FoundValue, PackedBatches, RecordResult, UnitResult, _unit_result, _unpack_records, finding_tuple
from pii_scan.keys import Keys, hash_message
from pii_scan.profiling import ColumnProfiles, column_key
from pii_scan.redact import Redactor, may_hold

MAX_FIELD_CHARS = 1 << 20
_T = TypeVar("_T")
_OVERLAP = 256


@dataclass(frozen=True)
class ScanSettings:
    """Everything a worker needs besides the connector and the unit; picklable."""

    kinds: tuple[str, ...] | None
    min_confidence: float
    store_values: bool
    secret: bytes  # the HMAC/encryption key travels to trusted workers only

    def __repr__(self) -> str:
        return f"ScanSettings(kinds={self.kinds}, min_confidence={self.min_confidence}, store_values={self.store_values})"


def scan_text(scanner: Scanner, text: str, hint: str | None, ref_date: date | None, max_chars: int = MAX_FIELD_CHARS) -> Iterator[Match]:
    """Findings in ``text``; texts longer than ``max_chars`` are scanned in overlapping slices."""
    if len(text) <= max_chars:
        yield from scanner.find(text, hint=hint, ref_date=ref_date)
        return
    step = max_chars - _OVERLAP
    recent: set[tuple[int, int, str]] = set()
    for base in range(0, len(text), step):
        chunk = text[base : base + max_chars]
        last = base + max_chars >= len(text)
        now: set[tuple[int, int, str]] = set()
        for f in scanner.find(chunk, hint=hint, ref_date=ref_date):
            if not last and f.end > len(chunk) - _OVERLAP // 2:
                continue  # the next slice holds it whole
            key = (base + f.start, base + f.end, f.kind)
            if key in recent or key in now:
                continue
            now.add(key)
            yield Match(f.kind, f.subkind, base + f.start, base + f.end, f.value, f.confidence, f.why, f.test_data, f.personal, f.inside)
        recent = now
        if last:
            break


BATCH_RECORDS = 256  # records detected together, field by field (bounded memory)
BATCH_CHARS = 8 << 20  # ... or fewer, when their text adds up to this (slices of a huge line: up to 4 bytes a character)


def scan_unit(connector: BaseConnector, unit: Unit, settings: ScanSettings) -> UnitResult:
    """Read one unit and detect in every field of every record.

    Records are detected in batches: the values of one field across a batch
    of records go through the detectors in one call (``Scanner.find_many``),
    which is much cheaper than a call per value. Records that follow one
    another (``Record.follows``: the lines of a text file) are read as one
    text, within a batch and across its ends, and each finding is reported on
    the record where it starts (:func:`_runs`). A connector error ends the
    unit: what was read before it is still detected and kept, and the unit is
    marked failed with the reason, so the next scan retries it.
    """
    t0 = time.perf_counter()
    keys = Keys(settings.secret)
    scanner = Scanner(settings.kinds, min_confidence=settings.min_confidence)
    field_hints = getattr(connector, "field_hints", None)
    hints: dict[str, str] = field_hints(unit) if callable(field_hints) else {}
    detect = _BatchDetector(scanner, keys, settings, hints).packed
    out = PackedBatches()  # the records as UnitResult.packed holds them, pickled batch by batch (bounded objects)
    rows = 0
    error: str | None = None
    batch: list[Record] = []
    chars = 0
    full = False
    before: Record | None = None  # the record before the batch, which its first record follows
    # The collector runs on our schedule for the whole unit (see _Collections).
    collections = _Collections() if gc.isenabled() else None  # switched off by the caller: stays off
    gc.disable()
    try:
        try:
            for rec in connector.read(unit):
                rows += 1
                if full:
                    # A full batch is detected once the next record is known: where that one
                    # follows the batch's last (Record.follows), the two are read together.
                    after = rec if rec.follows else None
                    out.extend(detect(batch, before, after))
                    before = batch[-1] if after is not None else None
                    batch, chars = [], 0
                    if collections is not None:
                        collections.after_batch(rows - 1)  # the records detected so far
                batch.append(rec)
                for field in rec.fields:
                    chars += len(field[1])
                full = len(batch) >= BATCH_RECORDS or chars >= BATCH_CHARS
        except ConnectorError as exc:
            error = str(exc)
        except Exception as exc:  # noqa: BLE001 - any failure is recorded against its unit
            error = f"{type(exc).__name__} while reading {safe_name(unit.key)}: {_safe_message(exc)}"
        finally:
            connector.close()
        if batch:
            out.extend(detect(batch, before))
            if full and collections is not None:
                collections.after_batch(rows)
    finally:
        if collections is not None:
            gc.enable()
    return _unit_result(unit.source, unit.key, connector.store, unit.fingerprint, out, rows, error,
                        time.perf_counter() - t0, "")


FULL_COLLECTION_RECORDS = 1 << 16  # records read before the first full collection inside a unit


class _Collections:
    """When the cyclic collector runs while a unit is scanned (it is switched off meanwhile).

    Left to itself, the collector kept walking the unit's results: they pile
    up in a list until the unit ends, so they were promoted to the oldest
    generation, and each promotion of that size sets off a full collection,
    which walks the whole heap (in a Dask worker 100k+ objects of its own).
    ``benchmarks/worker_split.py --worker-heap``: 24 full collections for
    200k rows, 17 µs a row in the collector. Instead, after each batch, one
    collection of the two young generations frees what reading and detecting
    left in cycles and moves the batch's results out of the way at one look
    each; a full collection (cycles that outlived a batch, e.g. a
    connector's state) runs after 65,536 records and then whenever the unit
    has doubled since the last one, so garbage stays within a constant
    factor of the results while the cost stays linear in the records.
    """

    __slots__ = ("_next_full",)

    def __init__(self) -> None:
        self._next_full = FULL_COLLECTION_RECORDS

    def after_batch(self, rows: int) -> None:
        if rows >= self._next_full:
            gc.collect()
            self._next_full = max(2 * rows, rows + FULL_COLLECTION_RECORDS)
        else:
            gc.collect(1)


_NAME_WORDS = re.compile(r"(?i)clearing|cl_?nr|bank|konto|account|acct|nummer|number|nr|no")


def _name_rest(name: str) -> str:
    """A field name without its clearing/account words: ``clearing_old`` and ``konto_old`` -> ``_old``."""
    return _NAME_WORDS.sub("", name.lower()).strip("_ -")


def split_account_pairs(fields: tuple[str, ...], hints: dict[str, str]) -> list[tuple[str, str]]:
    """(clearing field, account field) pairs among a record's fields (see :func:`_join_split_accounts`).

    Each clearing field goes with the account fields named alike (``clearing_old``
    + ``konto_old``, ``$.staff[0].clearing`` + ``$.staff[0].kontonr``); one clearing
    field with no such account field goes with every account field (``clearingnr``
    + ``kontonummer``). ``hints``: the connector's hint for a field, where it has one.
    """
    clearing = [f for f in fields if is_clearing_field(hints.get(f, f))]
    if not clearing:
        return []
    accounts = [f for f in fields if is_split_account_field(hints.get(f, f))]
    got = [(c, a) for c in clearing for a in accounts if _name_rest(hints.get(c, c)) == _name_rest(hints.get(a, a))]
    if not got and len(clearing) == 1:
        got = [(clearing[0], a) for a in accounts]
    return got


_CLEARING_SHAPE = re.compile(r"[1-9][0-9]{3}(?:-?[0-9])?")  # 5839, 8327-9
_ACCOUNT_SHAPE = re.compile(r"[0-9][0-9 -]{4,14}[0-9]")
VALUE_PAIR_MIN = 3  # records whose two values make an account, at least
VALUE_PAIR_SHARE = 0.6  # ... and this share of the records holding both (random digits: about 1 in 11 per record)


def value_account_pairs(by_field: Mapping[str, tuple[Sequence[int], Sequence[str]]],
                        hints: Mapping[str, str]) -> list[tuple[str, str]]:
    """(clearing field, account field) pairs told by the values, for fields that name no kind.

    A clearing number alone is four digits (five with Swedbank's check digit) and
    an account alone is a run of digits: neither is an account, and without the
    columns' names the worker could not pair them (:func:`split_account_pairs`).
    Two fields pair when, of the batch's records holding both, at least
    :data:`VALUE_PAIR_MIN` and :data:`VALUE_PAIR_SHARE` make a valid account
    together (clearing range, account length, the bank's check digits): a chance
    pairing of other numbers passes the check for about one record in eleven.

    >>> value_account_pairs({"c1": ([0, 1, 2], ["5839", "8327-9", "6114"]),
    ...                      "c2": ([0, 1, 2], ["8257466", "014 725 892-5", "517182351"])}, {})
    [('c1', 'c2')]
    """
    free = [f for f in by_field if not hint_kinds(hints.get(f, f)) - {"bank_account"}]

    def mostly(f: str, rx: re.Pattern[str]) -> bool:
        texts = by_field[f][1]
        return len(texts) >= VALUE_PAIR_MIN and sum(rx.fullmatch(t.strip()) is not None for t in texts) >= VALUE_PAIR_SHARE * len(texts)

    clearing = [f for f in free if mostly(f, _CLEARING_SHAPE)]
    if not clearing:
        return []
    accounts = [f for f in free if f not in clearing and mostly(f, _ACCOUNT_SHAPE)]
    out: list[tuple[str, str]] = []
    for c in clearing:
        cv = dict(zip(*by_field[c]))
        for a in accounts:
            both = [(cv[i], t) for i, t in zip(*by_field[a]) if i in cv]
            ok = sum(join_split_account(x.strip(), t) is not None for x, t in both)
            if ok >= VALUE_PAIR_MIN and ok >= VALUE_PAIR_SHARE * len(both):
                out.append((c, a))
    return out


def birth_last_four_pairs(fields: tuple[str, ...], hints: Mapping[str, str]) -> list[tuple[str, str]]:
    """(birth-date field, last-four field) pairs among a record's fields (``fodelsedatum`` + ``pnr_sista4``;
    see :func:`detectors.personnummer.join_birth_date_and_last_four`): one birth-date field goes with each
    last-four field; with several, those named alike. ``hints``: the connector's hint for a field."""
    fours = [f for f in fields if is_last_four_field(hints.get(f, f)) or is_last_four_field(f)]
    births = [f for f in fields if f not in fours and _named_birth_date(f, hints)]
    out = []
    for four in fours:
        birth = births[0] if len(births) == 1 else next((b for b in births if _name_rest(b) == _name_rest(four)), None)
        if birth is not None:
            out.append((birth, four))
    return out


def _join_birth_date(batch: list[Record]) -> Callable[[str, str, str, int], Match | None]:
    """The join of a birth date and a last-four value of one record (reference date: the record's)."""
    def join(birth_field: str, birth: str, four: str, i: int) -> Match | None:
        m = join_birth_date_and_last_four(birth, four, batch[i].ref_date)
        if m is None:
            return None
        return Match(m.kind, m.subkind, m.start, m.end, m.value, m.confidence, (*m.why, f"with:{birth_field}"), m.test_data)

    return join


def _record_centuries(batch: list[Record], found: list[list[tuple[str, str, list[Match]]]]) -> None:
    """A 10-digit personnummer takes the century that another field of its record writes out for the same number.

    Ten digits carry no century (a ``+`` aside): it is inferred from the record's
    date (reference §1.3), and a centenarian's number read without its ``+``
    (a Nordea personkonto ``3300 231202-7804``, a compact column) becomes a
    child's. Where the same structured record writes the number with twelve
    digits (``19231202-7804`` in its personnummer column), that is the person's
    century; read otherwise, the row would hold two personnummer (two people)
    and none of its values would link to its subject. Only a reading that is
    the record's single twelve-digit form of those ten digits is taken.
    """
    for rec, per_field in zip(batch, found):
        if not rec.structured:
            continue
        pnrs = [(text, ms, j) for _, text, ms in per_field for j, m in enumerate(ms)
                if m.kind == "personnummer" and len(m.value) == 12]
        if len(pnrs) < 2:  # most records: nothing to reconcile
            continue
        written: dict[str, set[str]] = {}  # last ten digits -> values written with twelve digits
        short: list[tuple[list[Match], int]] = []
        for text, ms, j in pnrs:
            m = ms[j]
            span = text[m.start:m.end]
            digits = sum(ch.isdigit() for ch in span)
            if digits == 12:
                written.setdefault(m.value[2:], set()).add(m.value)
            elif digits == 10 and "+" not in span:
                short.append((ms, j))
        for ms, j in short:
            m = ms[j]
            full = written.get(m.value[2:])
            if full and len(full) == 1 and m.value not in full:
                ms[j] = _with_century(m, next(iter(full)), rec.ref_date)


_BIRTH_DATE_VALUE = re.compile(r"\s*((?:18|19|20)[0-9]{2})-?([01][0-9])-?([0-3][0-9])(?:[ T][0-9:.]+)?\s*")


def birth_date_fields(fields: tuple[str, ...], hints: Mapping[str, str]) -> list[str]:
    """The fields of a record shape named for a birth date (``fodd``, ``fodelsedatum``, ``birth_date``)."""
    return [f for f in fields if not is_last_four_field(f) and _named_birth_date(f, hints)]


def _named_birth_date(field: str, hints: Mapping[str, str]) -> bool:
    """Whether a field, or the connector's hint for it, is named for a birth date."""
    return is_birth_date_field(hints.get(field, field)) or is_birth_date_field(field)


def _birth_centuries(batch: list[Record], found: list[list[tuple[str, str, list[Match]]]], births: list[str]) -> None:
    """A 10-digit personnummer takes the century of a birth date its record writes with a four-digit year.

    Ten digits without ``+`` get the century inferred from the record's date (reference
    §1.3), which makes a person of 100 or more a child (``2112251018`` read in 2023 is
    2021). A register that keeps the birth date beside the number (``fodd 1921-12-25``)
    says which: where the record's birth-date fields write the number's own date (a
    samordningsnummer's day less 60) with one century, the number takes it. Another date,
    or a date without its century, changes nothing.
    """
    wanted = set(births)
    for rec, per_field in zip(batch, found):
        if not rec.structured or not per_field:
            continue
        dates: set[str] = set()  # YYYYMMDD written in the record's birth-date fields
        for fname, text in rec.fields:
            if fname in wanted and text:
                b = _BIRTH_DATE_VALUE.fullmatch(text)
                if b is not None:
                    dates.add(b.group(1) + b.group(2) + b.group(3))
        if not dates:
            continue
        for _, text, ms in per_field:
            for j, m in enumerate(ms):
                if m.kind != "personnummer" or len(m.value) != 12 or not m.value.isdigit():
                    continue
                span = text[m.start:m.end]
                if "+" in span or sum(ch.isdigit() for ch in span) != 10:
                    continue
                day = int(m.value[6:8])
                own = m.value[2:6] + (f"{day - 60:02d}" if day > 60 else m.value[6:8])
                centuries = {d[:2] for d in dates if d[2:] == own}
                if len(centuries) == 1 and (c := next(iter(centuries))) != m.value[:2] and is_valid(c + m.value[2:], rec.ref_date):
                    ms[j] = _with_century(m, c + m.value[2:], rec.ref_date)


def _with_century(m: Match, value: str, ref: date | None) -> Match:
    return replace(m, value=value, why=(*m.why, "century:from-record"), test_data=is_test_number(value, ref))


def _join_split_accounts(
    pairs: list[tuple[str, str]],
    by_field: dict[str, tuple[list[int], list[str]]],
    found: list[list[tuple[str, str, list[Match]]]],
    min_confidence: float,
) -> int:
    """Clearing and account numbers held in two fields of one record (``clearingnr`` + ``kontonr``).

    Neither value alone is an account (the detectors saw each on its own); the
    pair is checked together (:func:`detectors.bank_account.join_split_account`)
    and the account is reported on the account field, unless a detector already
    found an account there. Returns the number of findings added.
    """
    return _join_fields(pairs, by_field, found, "bank_account", lambda _, c, text, i: join_split_account(c, text),
                        min_confidence)


def _join_fields(
    pairs: list[tuple[str, str]],
    by_field: dict[str, tuple[list[int], list[str]]],
    found: list[list[tuple[str, str, list[Match]]]],
    kind: str,
    join: Callable[[str, str, str, int], Match | None],
    min_confidence: float,
) -> int:
    """For each (first field, second field) pair, the finding that the two values of one record make together
    (``join(first field, first value, second value, record index)``), reported on the second field unless a
    finding of ``kind`` is there already. Returns the number of findings added."""
    added = 0
    for first, second in pairs:
        firsts = dict(zip(*by_field[first]))
        idxs, texts = by_field[second]
        for i, text in zip(idxs, texts):
            v = firsts.get(i)
            if v is None:
                continue
            entry = next((e for e in found[i] if e[0] == second), None)
            if entry is not None and any(m.kind == kind for m in entry[2]):
                continue
            m = join(first, v, text, i)
            if m is None or m.confidence < min_confidence:
                continue
            if entry is None:
                found[i].append((second, text, [m]))
            else:
                entry[2].append(m)
            added += 1
    return added


def _cached(cache: dict[tuple[str, ...], _T], key: tuple[str, ...], compute: Callable[[], _T]) -> _T:
    """``cache[key]``, computed once (the cache of a unit's record shapes stops growing at 1,024)."""
    got = cache.get(key)
    if got is None:
        got = compute()
        if len(cache) < 1024:
            cache[key] = got
    return got


class _BatchDetector:
    """Detects, hashes and packs a batch of records: as the tuples of :attr:`UnitResult.packed` (:meth:`packed`,
    what :func:`scan_unit` keeps and a worker sends) or as :class:`RecordResult` objects (calling it)."""

    def __init__(self, scanner: Scanner, keys: Keys, settings: ScanSettings, hints: dict[str, str]) -> None:
        self.scanner = scanner
        self.keys = keys
        self._hmac = keys.hmac_state()  # copied per value: Keys.hash, inlined in _detect
        self.store_values = settings.store_values
        self._seal = _sealer(keys) if settings.store_values else None  # Keys.encrypt's cipher, inlined in _detect
        self._rounded: dict[float, float] = {}  # confidence -> round(confidence, 3)
        self.hints = hints
        self.profiles = ColumnProfiles()  # the unit's columns, profiled where their names say nothing
        self.names = Redactor(scanner, keys)
        self._stored_names: dict[str, str] = {}  # field name -> as stored (identifiers masked)
        self._pairs: dict[tuple[str, ...], list[tuple[str, str]]] = {}  # record shape -> split account fields
        self._value_pairs: dict[tuple[str, ...], list[tuple[str, str]]] = {}  # ... found by their values
        self._birth_pairs: dict[tuple[str, ...], list[tuple[str, str]]] = {}  # record shape -> birth + last four
        self._birth_fields: dict[tuple[str, ...], list[str]] = {}  # record shape -> birth-date fields
        self._links: dict[str, bool] = {}  # field name -> links_field(name)

    def __call__(self, batch: list[Record], before: Record | None = None, after: Record | None = None) -> list[RecordResult]:
        """The results of ``batch`` as objects (see :meth:`packed`)."""
        return _unpack_records(self.packed(batch, before, after))

    def packed(self, batch: list[Record], before: Record | None = None, after: Record | None = None) -> list[tuple[Any, ...]]:
        """The results of ``batch`` packed (:attr:`UnitResult.packed`); ``before``/``after``: the records read
        just before and after it, where the batch's first record follows ``before`` and ``after`` follows its last
        (:class:`Record` ``follows``): read with them, never reported."""
        # The cyclic garbage collector is held off while a batch is detected: the
        # batch allocates many small acyclic objects (matches, contexts, results)
        # and the collections they set off kept walking every record and result
        # of the unit alive so far (about 15 % of a row's CPU time). Reference
        # counting still frees everything; what survives is looked at once when
        # the collector runs again. It is switched back on only if it was on.
        with gcpolicy.paused():
            return self._detect(batch, before, after)

    def _detect(self, batch: list[Record], before: Record | None = None, after: Record | None = None) -> list[tuple[Any, ...]]:
        names = self.names
        # Lines that follow one another (Record.follows) are one value: their texts joined.
        runs: dict[int, _Run] = {}
        if before is not None or after is not None or any(rec.follows for rec in batch):
            runs = _runs(batch, before, after)
        # group the values of each field across the batch: (record indexes, values)
        by_field: dict[str, tuple[list[int], list[str]]] = {}
        member = -1  # records up to this index are read in a run
        for i, rec in enumerate(batch):
            if runs:
                if i <= member:
                    continue
                run = runs.get(i)
                if run is not None:
                    member = run.last
                    group = by_field.get(run.field)
                    if group is None:
                        group = by_field[run.field] = ([], [])
                    group[0].append(i)
                    group[1].append(run.text)
                    continue
            for fname, text in rec.fields:
                if text:
                    group = by_field.get(fname)
                    if group is None:
                        group = by_field[fname] = ([], [])
                    group[0].append(i)
                    group[1].append(text)
        found: list[list[tuple[str, str, list[Match]]]] = [[] for _ in batch]
        refs = [rec.ref_date for rec in batch]
        hints = self.profiles.hints(by_field, self.hints, refs)
        find_many = self.scanner.find_many
        n_found = 0  # findings in the batch: one nonce each
        together = self._detect_row_columns(by_field, hints, refs, found)
        n_found += together[0]
        for fname, (idxs, texts) in by_field.items():
            if fname in together[1]:
                continue
            hint = hints[fname]
            if max(map(len, texts)) <= MAX_FIELD_CHARS:  # no value to slice: the common case
                for i, x, ms in zip(idxs, texts, find_many(texts, hint, [refs[i] for i in idxs])):
                    if ms:
                        found[i].append((fname, x, ms))
                        n_found += len(ms)
                continue
            items = list(zip(idxs, texts))
            short = [(i, x) for i, x in items if len(x) <= MAX_FIELD_CHARS]
            if short:
                results = self.scanner.find_many([x for _, x in short], hint, [batch[i].ref_date for i, _ in short])
                for (i, x), ms in zip(short, results):
                    if ms:
                        found[i].append((fname, x, ms))
                        n_found += len(ms)
            for i, x in items:
                if len(x) > MAX_FIELD_CHARS:
                    ms = list(scan_text(self.scanner, x, hint, batch[i].ref_date))
                    if ms:
                        found[i].append((fname, x, ms))
                        n_found += len(ms)
        if runs:
            n_found -= _split_runs(runs, batch, found)
        kinds, shape = self.scanner.kinds, tuple(by_field)
        if "personnummer" in kinds:
            births = _cached(self._birth_pairs, shape, lambda: birth_last_four_pairs(shape, self.hints))
            if births:
                n_found += _join_fields(births, by_field, found, "personnummer", _join_birth_date(batch),
                                        self.scanner.min_confidence)
        _record_centuries(batch, found)
        if "personnummer" in kinds:
            born = _cached(self._birth_fields, shape, lambda: birth_date_fields(shape, self.hints))
            if born:
                _birth_centuries(batch, found, born)
        if "bank_account" in kinds:
            # by the fields' names, else (decided on the first batch of a shape) by their values
            pairs = _cached(self._pairs, shape, lambda: split_account_pairs(shape, self.hints)) or _cached(
                self._value_pairs, shape, lambda: value_account_pairs(by_field, hints))
            if pairs:
                n_found += _join_split_accounts(pairs, by_field, found, self.scanner.min_confidence)
        keep = [(rec, per_field) for rec, per_field in zip(batch, found) if per_field or rec.references]
        out: list[tuple[Any, ...]] = []
        if not keep:
            return out
        rkey = names.rkey
        stored_names, rounded = self._stored_names, self._rounded
        # Inlined per finding (the worker's packing cost, benchmarks/worker_split.py):
        # Keys.hash on a copy of the HMAC state; Keys.encrypt with its cipher built once
        # and the batch's nonces drawn from os.urandom in one call instead of one each.
        hcopy = self._hmac.copy
        seal = self._seal
        nonces = os.urandom(12 * n_found) if seal is not None else b""
        at = 0
        enc_value: bytes | None = None
        for (rec, per_field), (container, item, enc) in zip(keep, self._names(keep)):
            loc = rec.location
            structured = rec.structured
            fs: list[tuple[Any, ...]] = []  # FoundValue's fields in order (UnitResult.packed)
            add = fs.append
            elements: dict[int, str] | None = None  # finding index -> list entry, for linkable ones in lists
            for fname, text, ms in per_field:
                stored_name = stored_names.get(fname)
                if stored_name is None:
                    stored_name = names.field(fname)
                    if len(stored_names) < 4096:
                        stored_names[fname] = stored_name
                links = self._links.get(fname)
                if links is None:
                    links = links_field(fname)
                    if len(self._links) < 4096:
                        self._links[fname] = links
                links = links and structured
                element = list_element(fname) if links and ("[" in fname or "{" in fname) else ""
                if element:
                    if elements is None:
                        elements = {}
                    elements.update((len(fs) + j, element) for j in range(len(ms)))
                for m in ms:
                    value, kind = m.value, m.kind
                    hm = hcopy()
                    hm.update(hash_message(kind, value))
                    if seal is not None:
                        nonce = nonces[at:at + 12]
                        at += 12
                        enc_value = nonce + seal(nonce, value.encode("utf-8", "surrogateescape"), None)
                    c = m.confidence
                    conf = rounded.get(c) if type(c) is float else None  # 1 == 1.0, Decimal: no cache
                    if conf is None:
                        conf = round(c, 3)
                        if type(c) is float and c > 0.0 and len(rounded) < 4096:  # not -0.0 or NaN
                            rounded[c] = conf
                    add((stored_name, kind, m.subkind, hm.hexdigest(), mask(kind, value), conf, m.test_data,
                         m.inside, enc_value, links and _holds_as_data(text, m, ms), None))
            if elements is None and structured and len(fs) > 2:
                fs = _prefix_entries(fs, per_field)
            if elements is not None:
                named = {list_element(f) for f, t in rec.fields if t and ("[" in f or "{" in f) and _NAME_LEAF.search(f)}
                values = [FoundValue(*f) for f in fs]
                person_entries(values, elements, named)
                fs = [finding_tuple(f) for f in values]
            to = [(rkey(loc.source, r.container, r.item), r.via) for r in rec.references] if rec.references else []
            out.append((rkey(loc.source, loc.container, loc.item), loc.store, loc.source, container, item, structured,
                        _as_dt(rec.record_date or rec.ref_date), enc, to, fs))
        return out

    def _detect_row_columns(
        self,
        by_field: dict[str, tuple[list[int], list[str]]],
        hints: dict[str, str],
        refs: list[date | None],
        found: list[list[tuple[str, str, list[Match]]]],
    ) -> tuple[int, set[str]]:
        """Detect together the fields that are one column's rows read inside another record (a mail's CSV
        attachment: ``attachment:kunder.csv!line 12:telefon``, one field a row): one ``find_many`` per column,
        hinted by the column (:func:`column_key` of the hint), as a table's column is, instead of one call per
        value. Returns the findings added to ``found`` and the fields so detected."""
        columns: dict[str, list[str]] = {}
        for fname in by_field:
            if "!" in fname:
                key = column_key(fname)
                if key != fname:
                    columns.setdefault(key, []).append(fname)
        n = 0
        done: set[str] = set()
        for names in columns.values():
            if len(names) < 2 or any(len(x) > MAX_FIELD_CHARS for f in names for x in by_field[f][1]):
                continue  # one row, or a value to slice: field by field, as before
            hint = column_key(hints[names[0]])
            if any(column_key(hints[f]) != hint for f in names):
                continue  # rows hinted apart (a profiled hint on some): field by field
            where = [(f, i, x) for f in names for i, x in zip(*by_field[f])]
            for (f, i, x), ms in zip(where, self.scanner.find_many([x for _, _, x in where], hint, [refs[i] for _, i, _ in where])):
                if ms:
                    found[i].append((f, x, ms))
                    n += len(ms)
            done.update(names)
        return n, done

    def _names(self, keep: list[tuple[Record, Any]]) -> list[tuple[str, str, bytes | None]]:
        """(container, item, encrypted original) of each record, identifiers masked (:meth:`Redactor.redact`).

        Most items are row keys like ``id=4711``: they are checked together in
        one ``find_many`` call, and only the items in which it finds something
        (and items with a dot, where the redactor also reads a file
        extension's dot as a space) go through the redactor one by one. The
        redactor's own rule decides which items need a look at all: 7
        characters or more, with a digit or an ``@``.
        """
        names = self.names
        items = {rec.location.item for rec, _ in keep}
        batchable = [x for x in items if "." not in x and may_hold(x)]
        clean: set[str] = set()
        if batchable:
            clean = {x for x, ms in zip(batchable, self.scanner.find_many(batchable)) if not ms}
        masked_containers: dict[str, str | None] = {}
        out: list[tuple[str, str, bytes | None]] = []
        for rec, _ in keep:
            loc = rec.location
            c, i = loc.container, loc.item
            mc = masked_containers.get(c)
            if mc is None:
                mc = masked_containers[c] = names.mask(c)
            if mc == c and (i in clean or not may_hold(i)):
                out.append((c, i, None))
            else:
                out.append(names.redact(c, i, loc.store))
        return out


NEIGHBOUR_CHARS = 256  # of the line before / after a batch that its first / last line is read with


@dataclass(frozen=True, slots=True)
class _Run:
    """Records of a batch read as one text: each follows the one before (:class:`Record` ``follows``).

    ``text`` joins their texts with line breaks, after the end of the record
    before the batch and before the start of the record after it, where the
    run begins or ends the batch and those follow on; ``starts`` are where the
    records' texts start in it and ``end`` where the last one ends.
    """

    last: int  # the index of its last record (the first is its key in :func:`_runs`)
    field: str
    text: str
    starts: tuple[int, ...]
    end: int


def _joinable(rec: Record) -> bool:
    return not rec.structured and len(rec.fields) == 1 and bool(rec.fields[0][1])


def _goes_on(prev: Record, rec: Record) -> bool:
    """Whether ``rec`` is read with ``prev``: it follows it, both are one line of free text, in one container.

    Their field names may differ (a mail attachment's lines are ``attachment:a.txt!line 2:text``): the
    reader's ``follows`` says the text goes on; each finding keeps its own record's field."""
    if not (rec.follows and _joinable(rec) and _joinable(prev)):
        return False
    a, b = prev.location, rec.location
    return a.container == b.container and a.source == b.source and a.store == b.store and prev.ref_date == rec.ref_date


def _runs(batch: list[Record], before: Record | None, after: Record | None) -> dict[int, _Run]:
    """The runs of ``batch`` by their first index: two records or more, or one read with ``before``/``after``."""
    out: dict[int, _Run] = {}
    n = len(batch)
    i = 0
    while i < n:
        j = i
        while j + 1 < n and _goes_on(batch[j], batch[j + 1]):
            j += 1
        head = before is not None and i == 0 and _goes_on(before, batch[0])
        tail = after is not None and j == n - 1 and _goes_on(batch[j], after)
        if j > i or head or tail:
            parts = [before.fields[0][1][-NEIGHBOUR_CHARS:]] if head and before is not None else []
            starts: list[int] = []
            pos = len(parts[0]) + 1 if parts else 0
            for k in range(i, j + 1):
                text = batch[k].fields[0][1]
                starts.append(pos)
                parts.append(text)
                pos += len(text) + 1
            if tail and after is not None:
                parts.append(after.fields[0][1][:NEIGHBOUR_CHARS])
            out[i] = _Run(j, batch[i].fields[0][0], "\n".join(parts), tuple(starts), pos - 1)
        i = j + 1
    return out


def _split_runs(runs: dict[int, _Run], batch: list[Record], found: list[list[tuple[str, str, list[Match]]]]) -> int:
    """Hands each finding in a run's text to the record where it starts, its span in that record's text
    (its end past it when it goes on into the next line). Findings that start in the text
    before or after the batch are dropped: they are the other batch's. Returns how many were dropped."""
    dropped = 0
    for i, run in runs.items():
        if not found[i]:
            continue
        (_fname, _text, ms), = found[i]
        found[i] = []
        per: dict[int, list[Match]] = {}
        for m in ms:
            if m.start < run.starts[0] or m.start >= run.end:
                dropped += 1
                continue
            k = bisect_right(run.starts, m.start) - 1
            base = run.starts[k]
            per.setdefault(k, []).append(
                Match(m.kind, m.subkind, m.start - base, m.end - base, m.value, m.confidence, m.why, m.test_data,
                      m.personal, m.inside) if base else m
            )
        for k, got in per.items():
            fname, text = batch[i + k].fields[0]
            found[i + k].append((fname, text, got))
    return dropped


def _sealer(keys: Keys) -> Callable[[bytes, bytes, bytes | None], bytes]:
    """``AESGCM(key).encrypt`` under :meth:`Keys.encrypt`'s derived key, the cipher built once."""
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    return AESGCM(keys._enc_key).encrypt  # the same derived key and layout as Keys.encrypt/decrypt


LINK_SLACK = 40  # characters besides the value that a data field may hold ("Tel: ", a name)

# Fields whose values do not link to the rest of their record (see links_field).
_SEPARATORS = re.compile(r"[^0-9a-zåäöéü]+")
_OTHER_PERSON = re.compile(
    # another person than the record's subject: next of kin, guardians, family, colleagues,
    # the employee who handles or changed the record
    r"(?:^|_)(?:emergency|n(?:ö|o)dkontakt|ice(?:$|_)|anh(?:ö|o)rig|n(?:ä|a)rmast|next_?of_?kin|guardian|v(?:å|a)rdnadshavare|"
    r"f(?:ö|o)r(?:ä|a)lder|parent|mother|father|mamma|pappa|spouse|sambo|kollega|colleague|"
    r"(?:created|updated|modified|changed|approved|registered|handled)_?by|assigned_?to|handl(?:ä|a)ggare|"
    r"s(?:ä|a)ljare|sales_?rep|account_?manager|ombud|god_?man|f(?:ö|o)rmyndare|kontaktperson|contact_?person|"
    r"referens_?person|reference_?person|"
    # an employee's manager, an approver, the company's staff member responsible for a customer
    r"chef(?:en|ens)?(?:$|_)|(?:line_?)?manager|supervisor|handledare|attest(?:erare|ant)|approver|"
    r"(?:kund)?ansvarig(?:$|_)|"
    # the clerk who wrote or changed the row, in Swedish (skapad_av, ändrad_av)
    r"(?:skapad|skapat|(?:ä|a)ndrad|uppdaterad|registrerad|godk(?:ä|a)nd|attesterad|handlagd|signerad|inlagd)_?av(?:$|_))"
)
_FREE_TEXT = re.compile(
    # prose typed by people, which may mention anyone
    r"(?:^|_)(?:notes?|anteckning(?:ar)?|kommentar(?:er)?|comments?|notering(?:ar)?|beskrivning|description|"
    r"meddelande|message|fritext|free_?text|remarks?|anm(?:ä|a)rkning(?:ar)?|(?:ö|o)vrigt|memo|journal)(?:$|_)"
)


def links_field(name: str) -> bool:
    """Whether the values of field ``name`` may link to the other values of their record.

    A record links the identifiers it holds as one person's (ARCHITECTURE.md:
    subjects). Two kinds of field hold someone else's, or anyone's: a field
    named for another person than the record's subject (``nodkontakt_telefon``,
    ``guardian_email``, ``created_by``, ``kontaktperson_mobil`` on a customer
    row) and a free-text field (``notes``, ``kommentar``, ``beskrivning``),
    where a clerk writes "call her colleague bo@example.se". Their values are
    still found and listed where they stand; they only do not join the
    record's subject.

    >>> links_field("email"), links_field("nodkontakt_telefon"), links_field("Kommentar"), links_field("$.kund.epost")
    (True, False, False, True)
    """
    n = _SEPARATORS.sub("_", name.lower()).strip("_")
    return _OTHER_PERSON.search(n) is None and _FREE_TEXT.search(n) is None


_ELEMENT = re.compile(r"\[\d+\]|\{#?\d+\}")


def list_element(field: str) -> str:
    """The innermost element of a list (or of a map keyed by data) that holds ``field``; "" for none.

    A JSON value's leaves are named by their paths (``profil$.hushall[0].epost`` from a SQL
    column, ``$.people[1].pnr`` from a JSON file); an element of a list of objects, or the
    member of a map keyed by personnummer or e-mail (``{0}``, ``{#0}``, its key ``~``/``{key}``),
    is one entry: often one person. A scalar list's items (``telefoner[1]``) are the
    enclosing entry's.

    >>> list_element("profil$.hushall[0].telefon[1]"), list_element("telefoner[1]"), list_element("p$.by_pnr{0}~")
    ('profil$.hushall[0]', '', 'p$.by_pnr{0}')
    """
    f = field[:-1] if field.endswith("~") else field[:-5] if field.endswith("{key}") else field
    end = 0
    for m in _ELEMENT.finditer(f):
        if m.end() < len(f) or f[m.start()] == "{":
            end = m.end()
    return f[:end]


def within_element(element: str, outer: str) -> bool:
    """Whether ``element`` is ``outer`` or nested in it ("" is the whole record)."""
    return not outer or element == outer or (element.startswith(outer) and element[len(outer):len(outer) + 1] in (".", "[", "{"))


PERSON_ENTRIES_MAX = 999  # entries numbered in one record (findings.entry); more are each their own, unlinked


# a field that names a person: the leaf of a list entry (profil$.hushall[1].namn, $.passengers[0].first_name)
_NAME_LEAF = re.compile(
    r"(?i)[.\]](?:namn|name|f(?:ö|o)rnamn|efternamn|first_?name|last_?name|full_?name|given_?name|family_?name|surname)$")


def person_entries(found: list[FoundValue], elements: dict[int, str], named: set[str] | frozenset[str] = frozenset()) -> None:
    """Set ``entry`` on the values of a record that stand in a person's entry of a list within it.

    ``elements`` maps the index of each linkable finding in a list entry to its entry
    (:func:`list_element` of its field); ``named`` are the entries that hold a person's name
    (a ``namn`` or ``first_name`` key). A record can hold several people in a JSON list (a
    household's members, a booking's passengers): an entry that holds a personnummer or a
    name is a person, and when the record holds another person besides (a personnummer at
    the top level, or values in another entry) the values of each such entry link within it
    only (the data map links per ``(record, entry)``), not with the record's own values or
    the other entries'. Values in entries without either (the owner's addresses) stay the
    record's. A record with one person's entry and nothing else links as one, as before.
    """
    people = sorted({e for i, e in elements.items() if found[i].kind == "personnummer" and found[i].linkable}
                    | {e for e in set(elements.values()) if e in named})
    if not people:
        return
    top_pnr = any(f.kind == "personnummer" and f.linkable and i not in elements for i, f in enumerate(found))
    if not top_pnr and len(set(elements.values())) < 2:
        return
    number = {e: n for n, e in enumerate(people, 1)}
    for i, e in elements.items():
        owner = max((p for p in people if within_element(e, p)), key=len, default=None)
        if owner is None:
            continue
        if number[owner] > PERSON_ENTRIES_MAX:
            found[i].linkable = False
        else:
            found[i].entry = number[owner]


# words of a column name that say which identifier it holds, not whose it is
_KIND_WORDS = frozenset({
    "pnr", "personnummer", "personnr", "persnr", "pnummer", "ssn", "samordningsnummer", "samordningsnr",
    "email", "epost", "e", "post", "mail", "mejl", "emailadress", "epostadress", "mailadress", "address", "adress",
    "telefon", "telefonnummer", "telefonnr", "tel", "telnr", "phone", "mobil", "mobile", "mobilnr", "mobilnummer",
    "mobiltelefon", "cell", "cellphone", "nr", "nummer", "number", "no", "num", "kontonr", "kontonummer", "konto",
    "account", "bankkonto", "clearing", "clearingnr", "iban", "bankgiro", "plusgiro", "bg", "pg", "personal", "id",
})
_CAMEL = re.compile(r"([a-zåäö0-9])([A-ZÅÄÖ])")


def field_prefix(name: str) -> str:
    """Whose a column is, by its name less the words for the identifier it holds.

    >>> field_prefix("medsokande_epost"), field_prefix("personnummer"), field_prefix("BuyerPhoneNumber")
    ('medsokande', '', 'buyer')
    """
    words = _SEPARATORS.sub(" ", _CAMEL.sub(r"\1 \2", name).lower()).split()
    return "_".join(w for w in words if w not in _KIND_WORDS)


def _prefix_entries(fs: list[tuple[Any, ...]], per_field: list[tuple[str, str, list[Match]]]) -> list[tuple[Any, ...]]:
    """Entries for two or more people in one flat row, told apart by their columns' prefixes.

    A row may hold two people side by side: an applicant and a co-applicant
    (``sokande_pnr``, ``sokande_epost``, ``medsokande_pnr``, ``medsokande_epost``), a buyer
    and a seller (``personnummer``, ``epost``, ``motpart_personnummer``, ``motpart_epost``).
    Where its linkable personnummer stand in columns of different prefixes
    (:func:`field_prefix`; one of them may have none), each prefix is one person's entry:
    the values whose columns share it link with that personnummer only (the data map links
    per record and entry, as for a JSON list of people); values of other columns stay the
    record's. ``fs`` holds the record's findings as packed (:func:`finding_tuple`), in the
    order of ``per_field``'s matches.
    """
    if sum(1 for f in fs if f[1] == "personnummer" and f[9]) < 2:  # most rows: one person
        return fs
    fields = [fname for fname, _text, ms in per_field for _m in ms]
    pnr_prefix: dict[str, set[str]] = {}  # prefix -> values of the personnummer in its columns
    for f, fname in zip(fs, fields):
        if f[1] == "personnummer" and f[9]:
            pnr_prefix.setdefault(field_prefix(fname), set()).add(f[3])
    if len(pnr_prefix) < 2 or any(len(v) > 1 for v in pnr_prefix.values()) or len(
            {v for vs in pnr_prefix.values() for v in vs}) < 2:
        return fs
    number = {p: n for n, p in enumerate(sorted(pnr_prefix), 1)}
    out = []
    for f, fname in zip(fs, fields):
        n = number.get(field_prefix(fname)) if f[9] else None
        out.append(f if n is None else (*f[:10], n))
    return out


def _holds_as_data(text: str, m: Match, found: list[Match]) -> bool:
    """Whether the field holds ``m`` as its value rather than mentioning it in prose."""
    if len(found) > 1 and m.inside is None and sum(1 for f in found if f.kind == m.kind and f.inside is None) > 1:
        return False
    return len(text.strip()) - (m.end - m.start) <= LINK_SLACK


def _as_dt(d: date | datetime | None) -> datetime | None:
    if d is None or isinstance(d, datetime):
        return d
    return datetime(d.year, d.month, d.day)


def _safe_message(exc: BaseException) -> str:
    """An exception's message without values: keep it short and drop digit runs and addresses."""
    msg = str(exc).splitlines()[0] if str(exc) else ""
    msg = re.sub(r"[0-9][0-9 \-+]{5,}[0-9]", "<digits>", msg)
    msg = re.sub(r"\S+@\S+", "<address>", msg)
    return msg[:300]


def unit_params(unit: Unit) -> dict[str, Any]:
    return dict(unit.params)
