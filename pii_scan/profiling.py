"""Column profiling: a hint for a field whose name says nothing, from the values it holds.

A column named ``personnummer`` or ``mobil`` lets the detectors read a bare
number that alone they rightly ignore or doubt: a personnummer or a mobile
number that lost its leading zero in a spreadsheet (``501011233``,
``701234567``), a mobile number with its country code but no ``+``
(``46701234567``), a personnummer with a space (``811228 9874``). A headerless
CSV (``column 3``), a sheet without a header row (cells ``Kunder!C5``), SQL
columns ``c1`` or ``value`` and Parquet columns ``f0`` name nothing, and those
values went unread.

:class:`ColumnProfiles` weighs, for each such field, the values of a unit's
batches read so far (a sheet's cells by their column: ``Kunder!C5`` and
``Kunder!C6`` are column ``Kunder!C``), and when a clear majority of them are
one kind in a strict form, gives the field that kind's hint
(``column 3 (personnummer)``) for the detectors; never from one value alone
(:data:`MIN_EVIDENCE`). Values without a digit are not weighed (a name, a
placeholder ``-``); any other value counts against (an amount, a short id, a
free-text note).

The traps (reference §6), each a guard:

* Random numbers pass the Luhn check one time in ten, and a compact
  personnummer is a date and a Luhn check: a column of order or customer ids
  has far fewer than half valid ones (:data:`SHARE`).
* A column of organisationsnummer (digits 3-4 >= 20) is not a personnummer
  column, even where some of its values are sole traders' personnummer: where a
  tenth of the weighed values are organisationsnummer, no personnummer hint.
  Nor is a column that mixes personnummer and phone numbers either's: a
  personnummer hint drops a compact ``0701740605`` the column's name alone lets
  through, and a phone hint reads a personnummer without its zero as a number
  (a tenth of the other kind, and no hint).
* Numbers built from a date and a serial with a check digit (an invoice or OCR
  number ``2411240017``, a member number of the join date) and timestamps
  ``YYYYMMDDhhmm`` pass as personnummer of people born on the days they were
  made: the values' birth dates must be mostly distinct (a set of people, not a
  day's serials) and mostly not within :data:`RECENT_YEARS` of the record's
  date (a company's numbers are recent, most people's births are not; a column
  of children only is left to what its values show alone).
* Nine-digit ids from a ``7xxxxxxxx`` series read as mobile numbers without
  their zero: a series is dense (:data:`MIN_PHONE_GAP`), and a random one holds
  ``71``, ``74``, ``75``, ``77`` numbers, which no mobile number has.
* Seven- and eight-digit ids read as Stockholm numbers without their zero:
  a landline without its zero is no evidence alone; a third of the weighed
  values must be mobile or written as phone numbers.

A column can also be shown to hold no one's numbers: where at least
:data:`MIN_IDS` of its values, and :data:`IDS_SHARE` of those weighed, are bare
numbers of a personnummer's length (ten digits, twelve from 18/19/20) and fewer
than :data:`IDS_VALID_SHARE` of those are a valid personnummer, organisationsnummer
or phone number, it is a series of ids (transaction ids, external references,
random codes: one random ten-digit number in about 130 passes as a personnummer),
and gets the hint ``(serienummer)``, which the detectors read as not personal data.
A column of people's numbers passes nearly always; one of organisationsnummer or
OCR numbers (Luhn-valid) is not taken for ids.

Bank accounts, Bankgiro and Plusgiro numbers (reference §3) are read by the
detectors only in a field named for them where their form is not distinct
alone (``5839 8257466``, ``58398257466``, ``6114 517 182 351``; every Bankgiro
``5402-9681`` and Plusgiro ``28 65 43-4`` number): a column of them gets the
hint of its kind (``column 4 (kontonummer)``, ``(bankgiro)``, ``(plusgiro)``)
by the same share, with guards of their own:

* Luhn and mod 11 pass one random number in ten or eleven, so only a clear
  majority counts (:data:`SHARE`), and ids of a series with a check digit
  (member numbers ``1234-5674``, account-shaped ids) are dense
  (:data:`MIN_SERIES_GAP`).
* A Bankgiro number is weighed only written ``NNN-NNNN`` or ``NNNN-NNNN``
  and a Plusgiro number only as Plusgirot prints it, in pairs from the right
  with a hyphen before its check digit (``28 65 43-4``, ``410 54 68-5``):
  compact, or as ``4105468-5``, both are any number with a Luhn check digit
  (customer numbers and invoice numbers are made so, and written so).
* Compact 11-15 digit accounts must spread over several clearing numbers
  (:data:`COMPACT_CLEARINGS_SHARE`) and banks (no bank more than
  :data:`COMPACT_ONE_BANK_SHARE` of them): an id series shares its first
  digits, and ids of 11 digits with a mod-11 check digit starting with 4
  are all valid accounts of Nordea's clearings 4000-4999.
* Organisation numbers are not personal data and e-mail addresses are found
  without a hint, so neither kind is profiled.

Detectors and connectors know nothing of each other; this module, of the
engine, knows both the detectors' validation and the connectors' field names.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import NamedTuple

from detectors import bank_account, organisationsnummer, personnummer, phone
from detectors.checksums import luhn_is_valid
from detectors.context import hint_kinds
from detectors.filters import TIMESTAMP_RECENT_YEARS

MIN_EVIDENCE = 3  # values of the kind before a column is hinted (never one value alone)
SHARE = 0.6  # ... and at least this share of the weighed values
OTHER_KIND_SHARE = 0.1  # a column with this share of organisationsnummer (or of the other kind) is not one kind's
RECENT_YEARS = TIMESTAMP_RECENT_YEARS  # birth dates this close before the record's date (or after it)...
RECENT_SHARE = 0.5  # ... for this share of the personnummer: date-stamped numbers
DISTINCT_DATES_SHARE = 0.5  # distinct birth dates per distinct number: people, not a day's serials
MOBILE_SHARE = 1 / 3  # of the weighed values, mobile or written as phone numbers
NOT_MOBILE_SHARE = 0.1  # 9-digit 7-led values that no mobile number has (71, 74, 75, 77)
MIN_PHONE_GAP = 1000  # median gap between sorted 9-digit values below this: a series of ids
MIN_SERIES_GAP = 1000  # median gap between sorted giro or account numbers below this: ids of a series
COMPACT_CLEARINGS_SHARE = 0.5  # distinct clearings per distinct compact account (a column mostly compact)
COMPACT_ONE_BANK_SHARE = 0.8  # ... and at most this share of them at one bank
MIN_IDS = 50  # bare numbers weighed before a column is called a series of ids
IDS_SHARE = 0.8  # ... at least this share of the weighed values bare numbers of a personnummer's length
IDS_VALID_SHARE = 0.25  # ... and fewer than this share of those a valid personnummer, orgnr or phone number
MAX_WEIGHED = 512  # values weighed per column; the hint is settled after them
MAX_KEPT = 256  # distinct values kept for the guards

# A whole value written as one number: digits with the separators a person or a
# spreadsheet writes (a float's ".0", scientific notation, spaces, dashes, a "+").
_NUMBERISH = re.compile(r"\+?[0-9][0-9 .\-+()/eE]*")
_DIGIT = re.compile(r"[0-9]")
_FLOAT = re.compile(r"([0-9]{9,12})\.0+")
_SCIENTIFIC = re.compile(r"([1-9])\.([0-9]{8,11})[eE]\+?0?([0-9]{1,2})")  # only with every digit kept
_PNR_WRITTEN = re.compile(r"([0-9]{6}|[0-9]{8})([-+ ])([0-9]{4})")
_PHONE_WRITTEN = re.compile(r"(?:\+46|0046|0)[0-9 \-()/]{6,16}")
_ORGNR_WRITTEN = re.compile(r"[0-9]{6}-[0-9]{4}")
_CELL_REF = re.compile(r"(.+![A-Z]{1,3})[1-9][0-9]*")
# written forms only (see the module docstring): a hyphen before the last four digits
# (Bankgiro); pairs from the right and a hyphen before the check digit (Plusgiro)
_BANKGIRO_WRITTEN = re.compile(r"[1-9][0-9]{2,3}-[0-9]{4}")
_PLUSGIRO_WRITTEN = re.compile(r"[1-9][0-9]{0,2}(?: [0-9]{2}){2,3}-[0-9]")
# a clearing and an account number with separators: "8327-9, 014 725 892-5", "5839 8257466", "3300 000620-5124"
_ACCOUNT_WRITTEN = re.compile(r"[1-9][0-9]{3,4}(?:(?:[ ]?[-,.:/][ ]?|[ ])[0-9]+)+")
_IBAN_SE = re.compile(r"SE[0-9]{2}(?: ?[0-9]{4}){5}")
_MOBILE_SECOND = frozenset("023689")  # 07X of a mobile number (phonenumbers: 7[023689]\d{7})

PNR = "personnummer"
PHONE = "phone"
ACCOUNT = "bank_account"
BANKGIRO = "bankgiro"
PLUSGIRO = "plusgiro"
IDS = "ids"  # a series of ids: no one's numbers
_HINT_WORDS = {PNR: "personnummer", PHONE: "telefon", ACCOUNT: "kontonummer", BANKGIRO: "bankgiro", PLUSGIRO: "plusgiro",
               IDS: "serienummer"}
# the detectors' kinds each hint word names (detectors.context.hint_kinds)
_HINT_KINDS = {PNR: {PNR}, PHONE: {PHONE}, ACCOUNT: {ACCOUNT}, BANKGIRO: {BANKGIRO, ACCOUNT}, PLUSGIRO: {PLUSGIRO, ACCOUNT},
               IDS: {"not_personal"}}


# the row of a record read inside another (a mail's CSV attachment: attachment:kunder.csv!line 12:telefon; a sheet's
# row: attachment:lista.xlsx!Kunder:5:E-post; a byte offset: !@1024:): the field's column is the same without it
_ROW_IN_FIELD = re.compile(r"!(?:line [0-9]+|@[0-9]+|[0-9]+):")
_SHEET_ROW_IN_FIELD = re.compile(r"(![^!:]{1,64}):[0-9]+(?=:)")


def column_key(name: str) -> str:
    """The column a field belongs to: a sheet's cell reference names it by its letters, and a field of a record
    read inside another (a mail attachment's rows) by its name without the row.

    >>> column_key("Kunder!C5"), column_key("column 3"), column_key("f0")
    ('Kunder!C', 'column 3', 'f0')
    >>> column_key("attachment:kunder.csv!line 12:telefon"), column_key("attachment:lista.xlsx!Kunder:5:E-post")
    ('attachment:kunder.csv!telefon', 'attachment:lista.xlsx!Kunder:E-post')
    """
    m = _CELL_REF.fullmatch(name)
    if m is not None:
        return m.group(1)
    if "!" in name:
        return _SHEET_ROW_IN_FIELD.sub(r"\1", _ROW_IN_FIELD.sub("!", name))
    return name


def _digits(v: str) -> str | None:
    """The digits of a whole number a spreadsheet may have damaged (``198112289874.0``,
    ``1.98112289874E+11`` with every digit kept), or None."""
    if v.isdigit():
        return v
    m = _FLOAT.fullmatch(v)
    if m is not None:
        return m.group(1)
    m = _SCIENTIFIC.fullmatch(v)
    if m is not None and len(m.group(2)) == int(m.group(3)):
        return m.group(1) + m.group(2)
    return None


def _pnr(date_digits: str, sep: str, tail: str, ref_year: int) -> tuple[str, int] | None:
    """(canonical, birth ordinal or 0) of a valid personnummer or samordningsnummer, else None."""
    if date_digits[-4:-2] > "12":
        return None  # no month (the common case for other numbers: no exception raised)
    try:
        canonical, _, birth = personnummer.check(date_digits, sep, tail, ref_year)
    except ValueError:
        return None
    return canonical, birth


class Verdict(NamedTuple):
    """What one value is, in a strict form: its kind (or ``other``) and what the guards need."""

    kind: str  # PNR, PHONE, ACCOUNT, BANKGIRO, PLUSGIRO, "phone_landline", "organisationsnummer", "other"
    canonical: str = ""  # personnummer: 12 digits; phone: the number's digits (9-digit 7-led); giro, account: digits
    birth: int = 0  # personnummer: the birth date's ordinal (0: unknown day)
    not_mobile_7: bool = False  # a 9-digit 7-led number no mobile number has
    clearing: str = ""  # a compact account's clearing number
    bare: bool = False  # a number of digits only (or a spreadsheet's float of one) of a personnummer's length


_OTHER = Verdict("other")


def judge(value: str, ref: date) -> Verdict | None:
    """What a value is, if it is weighed (None: no digit in it).

    >>> r = date(2026, 11, 24)
    >>> judge("501011233", r).kind, judge("811228 9874", r).kind, judge("198112289874.0", r).kind
    ('personnummer', 'personnummer', 'personnummer')
    >>> judge("701234567", r).kind, judge("46701234567.0", r).kind, judge("070-123 45 67", r).kind
    ('phone', 'phone', 'phone')
    >>> judge("5560360793", r).kind, judge("12345", r).kind, judge("Anna", r) is None
    ('organisationsnummer', 'other', True)
    >>> judge("8327-9, 014 725 892-5", r).kind, judge("5402-9681", r).kind, judge("410 54 68-5", r).kind
    ('bank_account', 'bankgiro', 'plusgiro')
    """
    v = value.strip()
    if len(v) > 24 or not _NUMBERISH.fullmatch(v):
        if v[:2] == "SE" and _IBAN_SE.fullmatch(v) and bank_account.is_valid(v, "iban"):
            return Verdict(ACCOUNT)  # found without a hint; evidence all the same
        if "," in v and len(v) <= 32 and _ACCOUNT_WRITTEN.fullmatch(v):
            return _account(v)
        return _OTHER if _DIGIT.search(v) else None
    ref_year = ref.year
    d = _digits(v)
    if d is not None:
        verdict = _judge_digits(d, ref_year)
        if len(d) == 10 or (len(d) == 12 and d[:2] in ("18", "19", "20")):
            return verdict._replace(bare=True)
        return verdict
    return _judge_written(v, ref_year)


def _judge_digits(d: str, ref_year: int) -> Verdict:
    """:func:`judge` of a whole number of digits."""
    n = len(d)
    if n == 12 and d[:2] in ("18", "19", "20"):
        got = _pnr(d[:8], "", d[8:], ref_year)
    elif n == 10:
        got = _pnr(d[:6], "", d[6:], ref_year)
    elif n == 9:  # a lost leading zero ("0501011233")
        got = _pnr("0" + d[:5], "", d[5:], ref_year)
    else:
        got = None
    if got is not None:
        return Verdict(PNR, got[0], got[1])
    if n in (10, 12) and organisationsnummer.is_valid(d):
        return Verdict("organisationsnummer")
    got_phone = _phone_digits(d)
    if got_phone.kind == "other" and 11 <= n <= 15 and not got_phone.not_mobile_7:
        return _account(d, compact=True)
    return got_phone


def _judge_written(v: str, ref_year: int) -> Verdict:
    """:func:`judge` of a number written with separators."""
    m = _PNR_WRITTEN.fullmatch(v)
    if m is not None:
        got = _pnr(m.group(1), "" if m.group(2) == " " else m.group(2), m.group(3), ref_year)
        if got is not None:
            return Verdict(PNR, got[0], got[1])
    if _ORGNR_WRITTEN.fullmatch(v) and organisationsnummer.is_valid(v):
        return Verdict("organisationsnummer")
    if _PHONE_WRITTEN.fullmatch(v) and phone.is_valid(v):
        return Verdict(PHONE)
    if _BANKGIRO_WRITTEN.fullmatch(v):
        d = v.replace("-", "")
        return Verdict(BANKGIRO, d) if luhn_is_valid(d) else _OTHER
    if _PLUSGIRO_WRITTEN.fullmatch(v):
        d = v.replace(" ", "").replace("-", "")
        return Verdict(PLUSGIRO, d) if luhn_is_valid(d) else _OTHER
    if _ACCOUNT_WRITTEN.fullmatch(v):
        return _account(v)
    return _OTHER


def _account(v: str, compact: bool = False) -> Verdict:
    """A clearing and account number (``canonical``: its digits; ``clearing``: its clearing, if compact)."""
    if sum(ch.isdigit() for ch in v) < 9:  # shorter than any account with its clearing ("9570, 12344")
        return _OTHER
    try:
        canonical = bank_account.validate(v, "account")
    except ValueError:
        return _OTHER
    digits = canonical.replace("-", "")
    return Verdict(ACCOUNT, digits, clearing=canonical[:4] if compact else "")


def _phone_digits(d: str) -> Verdict:
    """A number of digits only, as a phone number that lost its zero or its ``+``."""
    n = len(d)
    if n == 9 and d[0] == "7":
        if d[1] in _MOBILE_SECOND:  # the whole mobile range 07[023689] + 7 digits (reference §2.1)
            return Verdict(PHONE, d)
        return Verdict("other", not_mobile_7=True)
    if n == 11 and d.startswith("467") and d[3] in _MOBILE_SECOND and phone.is_valid("+" + d):
        return Verdict(PHONE, d[2:])
    if d[0] == "0" and 8 <= n <= 10 and phone.is_valid(d):
        return Verdict(PHONE)  # written with its zero (found without a hint; evidence all the same)
    if 7 <= n <= 9 and d[0] != "0" and phone.is_valid("0" + d):
        return Verdict("phone_landline")
    return _OTHER


@dataclass
class Tally:
    """What a column's weighed values were, so far."""

    weighed: int = 0
    pnr: int = 0
    orgnr: int = 0
    phone: int = 0
    landline: int = 0
    not_mobile_7: int = 0
    mobile_7: int = 0
    recent: int = 0  # personnummer born within RECENT_YEARS of the record's date (or after it)
    pnrs: dict[str, int] = field(default_factory=dict)  # distinct personnummer -> birth (MAX_KEPT)
    mobiles: set[int] = field(default_factory=set)  # distinct 9-digit mobile numbers (MAX_KEPT)
    bare: int = 0  # bare numbers of a personnummer's length (Verdict.bare) ...
    bare_valid: int = 0  # ... of them a valid personnummer, organisationsnummer or phone number
    account: int = 0
    bankgiro: int = 0
    plusgiro: int = 0
    compact: int = 0  # accounts written as digits only
    numbers: dict[str, set[int]] = field(default_factory=dict)  # ACCOUNT/BANKGIRO/PLUSGIRO -> distinct numbers (MAX_KEPT)
    clearings: set[str] = field(default_factory=set)  # clearing numbers of compact accounts (MAX_KEPT)
    banks: dict[str, int] = field(default_factory=dict)  # compact accounts per bank

    def add(self, verdict: Verdict, ref: date) -> None:
        self.weighed += 1
        kind = verdict.kind
        if verdict.bare:
            self.bare += 1
            if kind in (PNR, PHONE, "organisationsnummer"):
                self.bare_valid += 1
        if kind == PNR:
            self.pnr += 1
            birth = verdict.birth
            if int(verdict.canonical[:4]) > ref.year - RECENT_YEARS:
                self.recent += 1
            if len(self.pnrs) < MAX_KEPT:
                self.pnrs[verdict.canonical] = birth
        elif kind == PHONE:
            self.phone += 1
            if verdict.canonical:
                self.mobile_7 += 1
                if len(self.mobiles) < MAX_KEPT:
                    self.mobiles.add(int(verdict.canonical))
        elif kind == "phone_landline":
            self.landline += 1
        elif kind == "organisationsnummer":
            self.orgnr += 1
        elif kind in (ACCOUNT, BANKGIRO, PLUSGIRO):
            if kind == ACCOUNT:
                self.account += 1
            elif kind == BANKGIRO:
                self.bankgiro += 1
            else:
                self.plusgiro += 1
            kept = self.numbers.setdefault(kind, set())
            if verdict.canonical and len(kept) < MAX_KEPT:
                kept.add(int(verdict.canonical))
            if verdict.clearing:
                self.compact += 1
                if len(self.clearings) < MAX_KEPT:
                    self.clearings.add(verdict.clearing)
                row = bank_account.lookup(verdict.clearing)
                bank = row.bank if row is not None else ""
                self.banks[bank] = self.banks.get(bank, 0) + 1
        if verdict.not_mobile_7:
            self.not_mobile_7 += 1

    def kind(self) -> str | None:
        """The kind the column's values show, if they show one clearly (see the module docstring)."""
        mixed = OTHER_KIND_SHARE * self.weighed
        if self.pnr >= MIN_EVIDENCE and self.pnr >= SHARE * self.weighed and self.phone < mixed and self._people():
            return PNR
        if (
            self.pnr < mixed
            and self.phone >= MIN_EVIDENCE
            and self.phone >= MOBILE_SHARE * self.weighed
            and self.phone + self.landline >= SHARE * self.weighed
            and self._not_a_series()
        ):
            return PHONE
        for kind, count in ((ACCOUNT, self.account), (BANKGIRO, self.bankgiro), (PLUSGIRO, self.plusgiro)):
            if count >= MIN_EVIDENCE and count >= SHARE * self.weighed and self._spread(kind):
                return kind
        if self.bare >= MIN_IDS and self.bare >= IDS_SHARE * self.weighed and self.bare_valid < IDS_VALID_SHARE * self.bare:
            return IDS
        return None

    def _spread(self, kind: str) -> bool:
        """Account or giro numbers of many holders: distinct, not a dense series, compact accounts of many clearings."""
        numbers = self.numbers.get(kind, set())
        if len(numbers) < MIN_EVIDENCE:
            return False
        ordered = sorted(numbers)
        gaps = sorted(b - a for a, b in zip(ordered, ordered[1:]))
        if gaps[len(gaps) // 2] < MIN_SERIES_GAP:
            return False
        if kind == ACCOUNT and self.compact * 2 > self.account:
            return (len(self.clearings) >= COMPACT_CLEARINGS_SHARE * min(len(numbers), MAX_KEPT)
                    and max(self.banks.values()) <= COMPACT_ONE_BANK_SHARE * self.compact)
        return True

    def _people(self) -> bool:
        """The personnummer are people's: no orgnr column, not a few days' serials, not recent stamps."""
        if self.orgnr >= OTHER_KIND_SHARE * self.weighed or self.recent >= RECENT_SHARE * self.pnr:
            return False
        # distinct numbers, by date (a samordningsnummer of unknown day counts as its own date)
        dates = {birth or number for number, birth in self.pnrs.items()}
        return len(dates) >= DISTINCT_DATES_SHARE * len(self.pnrs)

    def _not_a_series(self) -> bool:
        """Nine-digit 7-led numbers that are mobile numbers, not ids of a series."""
        sevens = self.mobile_7 + self.not_mobile_7
        if sevens and self.not_mobile_7 > NOT_MOBILE_SHARE * sevens:
            return False
        if len(self.mobiles) >= MIN_EVIDENCE:
            ordered = sorted(self.mobiles)
            gaps = sorted(b - a for a, b in zip(ordered, ordered[1:]))
            if gaps[len(gaps) // 2] < MIN_PHONE_GAP:
                return False
        return True


def profiled_hint(hint: str, kind: str | None) -> str:
    """``hint`` with the word of ``kind`` added, so that the detectors read it as that kind's field.

    >>> profiled_hint("column 3", "personnummer"), profiled_hint("f0", None), profiled_hint("c4", "bank_account")
    ('column 3 (personnummer)', 'f0', 'c4 (kontonummer)')
    """
    if kind is None:
        return hint
    return f"{hint} ({_HINT_WORDS[kind]})"


class ColumnProfiles:
    """The profiles of one unit's columns, batch after batch (the worker keeps one per unit).

    Only fields whose hint names no kind are profiled: a named column keeps its
    name's hint, and a column profiled as one kind gives the detectors that
    kind's hint from the batch on where its values first show it.
    """

    def __init__(self) -> None:
        self._tallies: dict[str, Tally] = {}  # columns still being weighed
        self._settled: dict[str, str | None] = {}  # columns weighed MAX_WEIGHED times -> their kind

    def hints(
        self,
        by_field: Mapping[str, tuple[Sequence[int], Sequence[str]]],
        hints: Mapping[str, str],
        refs: Sequence[date | None],
    ) -> dict[str, str]:
        """``{field: hint}`` for a batch's fields: the connector's hint (``hints.get(field, field)``),
        with the kind its column's values show where the hint names none.

        ``by_field``: each field's record indexes in the batch and values (as the
        worker groups them); ``refs``: the records' reference dates.
        """
        out: dict[str, str] = {}
        columns: dict[str, list[str]] = {}
        for name in by_field:
            hint = hints.get(name, name)
            out[name] = hint
            if not hint_kinds(hint):
                columns.setdefault(column_key(name), []).append(name)
        if not columns:
            return out
        today = date.today()
        for key, names in columns.items():
            if key in self._settled:
                kind = self._settled[key]
            else:
                kind = self._weigh(key, names, by_field, refs, today)
            if kind is not None:
                for name in names:
                    hinted = profiled_hint(out[name], kind)
                    if hint_kinds(hinted) == _HINT_KINDS[kind]:
                        out[name] = hinted
        return out

    def _weigh(
        self,
        key: str,
        names: list[str],
        by_field: Mapping[str, tuple[Sequence[int], Sequence[str]]],
        refs: Sequence[date | None],
        today: date,
    ) -> str | None:
        """Weigh a batch's values of column ``key`` and return the kind they show so far; settle it after MAX_WEIGHED."""
        tally = self._tallies.get(key)
        if tally is None:
            tally = self._tallies[key] = Tally()
        for name in names:
            if tally.weighed >= MAX_WEIGHED:
                break
            idxs, texts = by_field[name]
            for i, text in zip(idxs, texts):
                ref = refs[i] or today
                verdict = judge(text, ref)
                if verdict is not None:
                    tally.add(verdict, ref)
                    if tally.weighed >= MAX_WEIGHED:
                        break
        kind = tally.kind()
        if tally.weighed >= MAX_WEIGHED:  # the hint is settled: no tally, sort or set is made again for it
            self._settled[key] = kind
            del self._tallies[key]
        return kind
