"""Swedish bank accounts: clearing + account number, IBAN, Bankgiro and Plusgiro.

Authorities: Bankgirot, *Bankernas kontonummeruppbyggnad* (2024-02-22,
https://www.bankgirot.se/globalassets/dokument/anvandarmanualer/bankernaskontonummeruppbyggnad_anvandarmanual_sv.pdf)
for clearing ranges, account types and check digits; BSAB (Bankinfrastruktur
i Sverige), *IBAN-ID och BIC-adress för banker* (2024-11-04) for IBAN-IDs and
IBAN methods; ISO 13616 / the SWIFT IBAN registry for IBANs. The clearing
table is data: ``detectors/data/clearing.psv``.

One kind, ``bank_account``, with four subkinds:

``account`` (clearing + account number)
    Type 1 (11 digits, mod 11 over 10 or 11 digits including the clearing),
    type 2 (the clearing is not checked: Luhn over 10 digits, Handelsbanken's
    mod 11 over 9 digits, Swedbank 8xxx's Luhn). Swedbank and the savings
    banks with clearing 8xxx write a fifth clearing digit, a Luhn check digit
    over the first four (``8327-9``); it is checked and then dropped.
    Unknown clearings fall back (as BankData does) to type 1 comment 1, then
    comment 2; the finder gives them low confidence. The same fallback is
    used for clearings whose comment is not published (Juni Technology
    2110-2119, Steven 2120-2129, MedMera 9650-9659).
    **Canonical value**: ``CCCC-A…`` = the 4-digit clearing, ``-``, and the
    account left-padded with zeros to the bank's length: 7 digits for type 1,
    9 for Handelsbanken, 10 for type 2 comments 1 and 3 (Nordea personkonto,
    Danske 9180, Swedbank 8xxx and 9300, Sparbanken Syd, Plusgirot,
    Riksgälden 9890). Handelsbanken accounts keep the clearing as written,
    although their numbers are unique across 6000-6999.
``iban``
    **Canonical value**: compact, upper case, ``SE4550000000058398257466``.
    Swedish IBANs are checked with mod 97 *and* the national check digit of
    the account inside (IBAN-ID → clearing range, BSAB methods 1, 2, 3), which
    python-stdnum and schwifty do not do. Other countries: length and BBAN
    pattern from the IBAN registry (European countries only) and mod 97.
    A Swedish IBAN-ID missing from the table (a bank newer than the table)
    passes on mod 97 alone; the finder gives it 0.75 instead of 0.95.
    Where BSAB publishes no IBAN method (Danske 9180, personkonto 3782),
    methods 1 and 2 are both tried.
    The finder reads upper-case IBANs only (``se45 5000 …`` is not found;
    ``validate()`` upper-cases its input).
``bankgiro``
    7 or 8 digits, Luhn. **Canonical value**: ``NNN-NNNN`` / ``NNNN-NNNN``.
``plusgiro``
    2 to 8 digits, Luhn. **Canonical value**: the digits with a hyphen before
    the check digit, ``286543-4``; ``format()`` gives the printed form with
    pairs from the right, ``28 65 43-4``.

90-konton (fundraising accounts of organisations, bankgiro 900-0000 to
904-9999, plusgiro 90 xx xx-x) are reported with ``personal=False``.

A Nordea personkonto (clearing 3300, or the legacy 3782) has the owner's
personnummer as account number; so does an IBAN with IBAN-ID 300 by method 2
(``SEkk 3000 0000 0 + pnr``). The finder then also reports the personnummer,
``inside="personkonto"`` or ``inside="iban"`` (kind ``personnummer``, so
``find_all(kinds=("bank_account", "personnummer"))`` returns it; this
module's ``find()`` keeps only its own kind).

What the finder reads, and what it misses:

* ``CCCC-AAAAAAA``, ``CCCC AA AAA AC``, ``CCCC-AA-AAAAC`` (Swedbank 7xxx),
  ``8327-9 014 725 892-5``, ``83279-0147258925``, ``6114 517 182 351``.
  Mod 11 passes 1 in 11 random numbers, so without a keyword only a
  distinct shape (clearing set apart by ``-`` or ``, ``) reaches 0.55;
  spaced forms stay under 0.5 until a keyword or a hint raises them.
* ``CCCC, AAAAAAA``: the comma ends the prefilter's digit run, so the account
  run is the window and the clearing is read back from the text before it.
  The account run must then have 7 digits or a field hint must be given
  (``9570, 12344`` is missed in free text); ``1274,0235305`` without a space
  is read as a CSV pair, with low confidence.
* Compact 11-15 digits (``58398257466``) only with a keyword or hint;
  shorter compact forms (``957012344``) are missed.
* Clearing and account each after its own label, in one value, also on two
  lines: ``Clearingnummer: 8327-9, kontonummer: 014 725 892-5``,
  ``clearing 3473 konto 17 01473`` (:data:`LABELLED_ACCOUNT`).
  Up to three short words or a parenthesis may stand between them
  (``clearing 3473 till mitt konto 17 01473``, ``konto 014 725 892-5 (clearing 8327-9)``).
* Missed: clearing and account in separate fields of a record, or with
  more words between them, Swedbank 8xxx
  written with 4 clearing digits (except our own canonical form, read with
  low confidence), the 16-digit payroll form,
  lower-case IBANs of other countries (a Swedish one led by ``se`` is read anywhere),
  bankgiro and plusgiro numbers without a keyword or hint (Luhn is
  1 in 10), and plusgiro numbers under 7 digits in free text (the scanner
  offers windows under 7 digits only with a field hint: ``PG 4-2``).
* A personkonto written without a keyword (``3300 101010-1010``) stands at 0.9,
  as the personnummer detector's own finding of its second half does, and
  wins (it is longer); the personnummer is reported inside it.

>>> validate("5839-8257466")
'5839-8257466'
>>> validate("8327-9, 014 725 892-5")
'8327-0147258925'
>>> validate("6114, 10000003")
'6114-010000003'
>>> validate("SE45 5000 0000 0583 9825 7466")
'SE4550000000058398257466'
>>> validate("SE1850000000058398257467")  # mod 97 passes, SEB mod 11 does not
Traceback (most recent call last):
    ...
detectors.base.InvalidChecksum: the account inside the IBAN fails its national check digit
>>> validate("5402 9681", subkind="bankgiro")
'5402-9681'
>>> validate("28 65 43-4", subkind="plusgiro")
'286543-4'
>>> format("SE4550000000058398257466")
'SE45 5000 0000 0583 9825 7466'
>>> format("2865434", subkind="plusgiro")
'28 65 43-4'
>>> bank("8327-9, 014 725 892-5")
'Swedbank'
"""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import replace
from collections.abc import Iterator, Mapping
from datetime import date
from functools import lru_cache
from types import MappingProxyType
from typing import TYPE_CHECKING, NamedTuple

from detectors.normalize import normalize
from detectors.base import (
    Context,
    InvalidChecksum,
    InvalidComponent,
    InvalidFormat,
    InvalidLength,
    Match,
    ValidationError,
)
from detectors.checksums import luhn_check_digit, luhn_is_valid, mod11_is_valid, mod97_is_valid
from detectors.context import first_near_before, hint_kinds, near_before

if TYPE_CHECKING:
    from detectors.scan import Window

KIND = "bank_account"
PERSONAL = True
SUBKINDS = ("account", "iban", "bankgiro", "plusgiro")

# --------------------------------------------------------------------------
# The clearing table (package data, loaded once)
# --------------------------------------------------------------------------


class ClearingRow(NamedTuple):
    """One row of ``data/clearing.psv``."""

    first: int
    last: int
    bank: str
    type: int  # 1 or 2
    comment: str  # "1", "2", "3" or "?" (not published)
    min_digits: int
    digits: int  # canonical account length (left-padded)
    iban_id: str  # "" if none
    iban_method: str  # "1", "2", "3" or "" (not published)
    source: str


class _Table(NamedTuple):
    rows: tuple[ClearingRow, ...]
    firsts: tuple[int, ...]
    by_iban_id: Mapping[str, tuple[ClearingRow, ...]]


@lru_cache(maxsize=1)
def _table() -> _Table:
    from importlib.resources import files

    text = files("detectors").joinpath("data").joinpath("clearing.psv").read_text(encoding="utf-8")
    rows: list[ClearingRow] = []
    header = True
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if header:  # the column names
            header = False
            continue
        f = line.split("|")
        rows.append(
            ClearingRow(int(f[0]), int(f[1]), f[2], int(f[3]), f[4], int(f[5]), int(f[6]), f[7], f[8], f[9])
        )
    rows.sort()
    by_id: dict[str, list[ClearingRow]] = {}
    for r in rows:
        if r.iban_id:
            by_id.setdefault(r.iban_id, []).append(r)
    return _Table(
        tuple(rows),
        tuple(r.first for r in rows),
        MappingProxyType({k: tuple(v) for k, v in by_id.items()}),
    )


def clearing_rows() -> tuple[ClearingRow, ...]:
    """Every row of the clearing table, sorted by range."""
    return _table().rows


def lookup(clearing: str | int) -> ClearingRow | None:
    """The table row for a 4-digit clearing number, or None if it is not assigned.

    >>> lookup("3300").bank
    'Nordea personkonto'
    >>> lookup(2200) is None
    True
    """
    c = int(clearing)
    tab = _table()
    k = bisect_right(tab.firsts, c) - 1
    if k >= 0 and tab.rows[k].last >= c:
        return tab.rows[k]
    return None


# --------------------------------------------------------------------------
# Clearing + account
# --------------------------------------------------------------------------

# One separator between digit groups: spaces around one of - , . : /, or spaces.
# (Unambiguous, so a failing fullmatch cannot backtrack exponentially.)
_ACCOUNT_CHARS = re.compile(r"[0-9]+(?:(?:[ ]*[-,.:/][ ]*|[ ]+)[0-9]+)*")
_DIGIT_RUN = re.compile(r"[0-9]+")
_SWEDBANK_CANONICAL = re.compile(r"8[0-9]{3}-[0-9]{10}")


class _Account(NamedTuple):
    value: str  # canonical CCCC-AAAA…
    row: ClearingRow | None  # None: unknown clearing
    clearing5: bool  # a Swedbank 5-digit clearing (with its check digit) was given
    comment: str  # the comment actually used to check


def _check_account(clearing: str, account: str, swedbank4: bool = False) -> _Account | ValidationError:
    """Check digits of a clearing (4 or 5 digits) and account; never raises."""
    clearing5 = False
    if len(clearing) == 5:
        if clearing[0] != "8":
            return InvalidComponent("a 5-digit clearing number must be a Swedbank 8xxx clearing")
        if not luhn_is_valid(clearing):
            return InvalidChecksum("the check digit of the 5-digit clearing number does not match")
        clearing = clearing[:4]
        clearing5 = True
    elif len(clearing) != 4:
        return InvalidComponent("the clearing number must have 4 digits (5 for Swedbank 8xxx)")
    elif clearing[0] == "8" and not swedbank4:
        return InvalidComponent("a Swedbank 8xxx clearing number must be written with its fifth (check) digit")
    if clearing[0] == "0":
        return InvalidComponent("clearing numbers start at 1000")
    if not account or account.strip("0") == "":
        return InvalidChecksum("the account number is all zeros")
    row = lookup(clearing)
    if row is None or row.comment == "?":
        # Unknown clearing (or comment not published): type 1, comment 1 then 2.
        if len(account) != 7:
            return InvalidLength("the account number must have 7 digits")
        if mod11_is_valid(clearing[1:] + account):
            return _Account(f"{clearing}-{account}", row, clearing5, "1")
        if mod11_is_valid(clearing + account):
            return _Account(f"{clearing}-{account}", row, clearing5, "2")
        return InvalidChecksum()
    if len(account) < row.min_digits or len(account) > row.digits:
        if row.min_digits == row.digits:
            return InvalidLength(f"the account number must have {row.digits} digits for this clearing")
        return InvalidLength(f"the account number must have {row.min_digits} to {row.digits} digits for this clearing")
    padded = account.zfill(row.digits)
    if row.type == 1:
        ok = mod11_is_valid((clearing[1:] if row.comment == "1" else clearing) + padded)
    elif row.comment == "2":  # Handelsbanken: mod 11 over the 9-digit account
        ok = mod11_is_valid(padded)
    else:  # type 2 comments 1 and 3: Luhn over the account
        ok = luhn_is_valid(padded)
    if not ok:
        return InvalidChecksum()
    return _Account(f"{clearing}-{padded}", row, clearing5, row.comment)


def _split_account(number: str) -> tuple[str, str, bool] | ValidationError:
    """(clearing, account, swedbank4) from a written clearing + account number."""
    s = number.strip()
    if not _ACCOUNT_CHARS.fullmatch(s):
        return InvalidFormat("an account number is digits with separators")
    groups = _DIGIT_RUN.findall(s)
    g0 = groups[0]
    if len(groups) >= 2:
        if len(g0) == 4 and g0[0] == "8" and len(groups[1]) == 1 and len(groups) >= 3:
            return g0 + groups[1], "".join(groups[2:]), False  # 8327-9, 014 725 892-5
        if len(g0) == 4 or (len(g0) == 5 and g0[0] == "8"):
            return g0, "".join(groups[1:]), _SWEDBANK_CANONICAL.fullmatch(s) is not None
        if len(g0) == 5:
            return InvalidComponent("a 5-digit clearing number must be a Swedbank 8xxx clearing")
    digits = "".join(groups)
    if len(digits) < 6:  # 4 clearing digits + a 2-digit plusgiro account
        return InvalidLength("too short for a clearing and an account number")
    if digits[0] == "8":
        return digits[:5], digits[5:], False
    return digits[:4], digits[4:], False


def validate_account(number: str) -> str:
    """Check a clearing + account number; return ``CCCC-AAAA…``.

    The clearing is the first group of 4 digits (5 for Swedbank 8xxx, also
    written ``8327-9``); without separators the first 4 digits (5 if the
    number starts with 8). Our own canonical form ``8327-0147258925`` (4-digit
    8xxx clearing, hyphen, 10 digits) is accepted too, so that
    ``validate(validate(x)) == validate(x)``.

    >>> validate_account("3300, 101010-1010")
    '3300-1010101010'
    >>> validate_account("8327, 123456782")
    Traceback (most recent call last):
        ...
    detectors.base.InvalidComponent: a Swedbank 8xxx clearing number must be written with its fifth (check) digit
    """
    split = _split_account(number)
    if isinstance(split, ValidationError):
        raise split
    res = _check_account(*split)
    if isinstance(res, ValidationError):
        raise res
    return res.value


# --------------------------------------------------------------------------
# IBAN
# --------------------------------------------------------------------------

# BBAN structure from the SWIFT IBAN registry (n = digits, a = upper-case
# letters, c = either), European countries. Length = 4 + BBAN length.
_IBAN_BBAN: Mapping[str, str] = MappingProxyType(
    {
        "AT": "5!n11!n", "BE": "3!n7!n2!n", "BG": "4!a4!n2!n8!c", "CH": "5!n12!c",
        "CY": "3!n5!n16!c", "CZ": "4!n6!n10!n", "DE": "8!n10!n", "DK": "4!n9!n1!n",
        "EE": "2!n2!n11!n1!n", "ES": "4!n4!n1!n1!n10!n", "FI": "6!n7!n1!n",
        "FO": "4!n9!n1!n", "FR": "5!n5!n11!c2!n", "GB": "4!a6!n8!n", "GI": "4!a15!c",
        "GL": "4!n9!n1!n", "GR": "3!n4!n16!c", "HR": "7!n10!n", "HU": "3!n4!n1!n15!n1!n",
        "IE": "4!a6!n8!n", "IS": "4!n2!n6!n10!n", "IT": "1!a5!n5!n12!c", "LI": "5!n12!c",
        "LT": "5!n11!n", "LU": "3!n13!c", "LV": "4!a13!c", "MC": "5!n5!n11!c2!n",
        "MT": "4!a5!n18!c", "NL": "4!a10!n", "NO": "4!n6!n1!n", "PL": "8!n16!n",
        "PT": "4!n4!n11!n2!n", "RO": "4!a16!c", "SE": "3!n16!n1!n", "SI": "5!n8!n2!n",
        "SK": "4!n6!n10!n", "SM": "1!a5!n5!n12!c",
    }
)
_BBAN_PART = re.compile(r"([0-9]+)!([nac])")
_BBAN_CLASS: Mapping[str, str] = MappingProxyType({"n": "[0-9]", "a": "[A-Z]", "c": "[0-9A-Z]"})


@lru_cache(maxsize=64)
def _iban_spec(country: str) -> tuple[int, re.Pattern[str]] | None:
    """(total length, compiled BBAN pattern) for a country code, or None."""
    fmt = _IBAN_BBAN.get(country)
    if fmt is None:
        return None
    parts = _BBAN_PART.findall(fmt)
    length = 4 + sum(int(n) for n, _ in parts)
    return length, re.compile("".join(f"{_BBAN_CLASS[c]}{{{n}}}" for n, c in parts))


def iban_length(country: str) -> int | None:
    """Length of an IBAN of ``country`` (``'SE'`` → 24), None if not in the table."""
    spec = _iban_spec(country)
    return spec[0] if spec else None


class _SeIban(NamedTuple):
    row: ClearingRow | None  # None: IBAN-ID not in the table (not checkable)
    account: str  # account digits as decoded (padded to row.digits), "" if unknown


def _se_national(bban: str) -> _SeIban | None:
    """Decode and check the account in a Swedish BBAN; None if the check fails."""
    rows = _table().by_iban_id.get(bban[:3])
    if not rows:
        return _SeIban(None, "")
    rest = bban[3:]  # 17 digits
    for row in rows:
        methods = row.iban_method or "12"  # not published: try 1 and 2
        for method in methods:
            if method == "1":  # clearing + account, left-padded to 17
                cut = 17 - row.digits
                clr = rest[cut - 4 : cut]
                if rest[: cut - 4].strip("0") or not row.first <= int(clr) <= row.last:
                    continue
                res = _check_account(clr, rest[cut:], swedbank4=True)
            elif method == "2":  # clearing omitted, account left-padded
                cut = 17 - row.digits
                if rest[:cut].strip("0"):
                    continue
                res = _check_account(f"{row.first:04d}", rest[cut:], swedbank4=True)
            else:  # 3: Swedbank 5-digit clearing + 10-digit account, left-padded
                clr5 = rest[2:7]
                if rest[:2] != "00" or not row.first <= int(clr5[:4]) <= row.last:
                    continue
                res = _check_account(clr5, rest[7:])
            if not isinstance(res, ValidationError):
                return _SeIban(row, rest[17 - row.digits :])
    return None


def _check_iban(iban: str) -> _SeIban | ValidationError:
    """Check a compact upper-case IBAN; never raises."""
    spec = _iban_spec(iban[:2])
    if spec is None:
        return InvalidComponent("unknown or unsupported IBAN country code")
    length, bban_rx = spec
    if len(iban) != length:
        return InvalidLength("the IBAN has the wrong length for its country")
    if not (iban[2:4].isdigit() and iban[2:4].isascii()) or not bban_rx.fullmatch(iban[4:]):
        return InvalidFormat("the IBAN does not have its country's structure")
    if not mod97_is_valid(iban):
        return InvalidChecksum("the IBAN check digits do not match")
    if iban[:2] != "SE":
        return _SeIban(None, "")
    se = _se_national(iban[4:])
    if se is None:
        return InvalidChecksum("the account inside the IBAN fails its national check digit")
    return se


def compact_iban(number: str) -> str:
    return "".join(number.split()).replace("-", "").upper()


def validate_iban(number: str) -> str:
    """Check an IBAN (with the Swedish national check digit); return it compact.

    >>> validate_iban("SE95 3000 0000 0010 1010 1010")
    'SE9530000000001010101010'
    >>> validate_iban("NO93 8601 1117 947")
    'NO9386011117947'
    """
    iban = compact_iban(number)
    if not iban.isascii() or not iban.isalnum():
        raise InvalidFormat("an IBAN is letters and digits")
    res = _check_iban(iban)
    if isinstance(res, ValidationError):
        raise res
    return iban


def format_iban(number: str) -> str:
    iban = compact_iban(number)
    return " ".join(iban[i : i + 4] for i in range(0, len(iban), 4))


# --------------------------------------------------------------------------
# Bankgiro and Plusgiro
# --------------------------------------------------------------------------

_GIRO_CHARS = re.compile(r"[0-9]+(?:(?:[ ]?-[ ]?|[ ])[0-9]+)*")


def _giro_digits(number: str) -> str:
    s = number.strip()
    if not _GIRO_CHARS.fullmatch(s):
        raise InvalidFormat("a giro number is digits with spaces or hyphens")
    return s.replace(" ", "").replace("-", "")


def validate_bankgiro(number: str) -> str:
    """Check a Bankgiro number; return ``NNN-NNNN`` or ``NNNN-NNNN``.

    >>> validate_bankgiro("297-3675")
    '297-3675'
    """
    d = _giro_digits(number)
    if len(d) not in (7, 8):
        raise InvalidLength("a bankgiro number has 7 or 8 digits")
    if d.strip("0") == "":
        raise InvalidChecksum("the bankgiro number is all zeros")
    if not luhn_is_valid(d):
        raise InvalidChecksum()
    return f"{d[:-4]}-{d[-4:]}"


def validate_plusgiro(number: str) -> str:
    """Check a Plusgiro number; return the digits with a hyphen before the check digit.

    >>> validate_plusgiro("410 54 68-5")
    '4105468-5'
    """
    d = _giro_digits(number)
    if not 2 <= len(d) <= 8:
        raise InvalidLength("a plusgiro number has 2 to 8 digits")
    if d.strip("0") == "":
        raise InvalidChecksum("the plusgiro number is all zeros")
    if not luhn_is_valid(d):
        raise InvalidChecksum()
    return f"{d[:-1]}-{d[-1]}"


def format_plusgiro(number: str) -> str:
    d = validate_plusgiro(number).replace("-", "")
    body, check = d[:-1], d[-1]
    pairs: list[str] = []
    while len(body) > 2:
        pairs.insert(0, body[-2:])
        body = body[:-2]
    if body:
        pairs.insert(0, body)
    return " ".join(pairs) + "-" + check


def is_90_konto(value: str, subkind: str) -> bool:
    """A fundraising 90-konto (of an organisation, not a person)?"""
    d = value.replace("-", "")
    if subkind == "bankgiro":
        return len(d) == 7 and "9000000" <= d <= "9049999"
    if subkind == "plusgiro":
        return len(d) == 7 and d.startswith("90")
    return False


# --------------------------------------------------------------------------
# The stdnum-like API over all subkinds
# --------------------------------------------------------------------------


def _guess_subkind(number: str) -> str:
    s = number.lstrip()
    return "iban" if len(s) >= 2 and s[:2].isascii() and s[:2].isalpha() else "account"


def compact(number: str, subkind: str | None = None) -> str:
    """Digits (and, for an IBAN, upper-case letters) only.

    ``validate()`` reads the separators of the written form to tell the
    clearing from the account; the compact form of an account is still
    understood (the clearing is then the first 4 digits, 5 if it starts with 8).

    >>> compact("8327-9, 014 725 892-5")
    '832790147258925'
    """
    sub = subkind or _guess_subkind(number)
    if sub == "iban":
        return compact_iban(number)
    return "".join(ch for ch in number if "0" <= ch <= "9")


def validate(number: str, subkind: str | None = None) -> str:
    """Check ``number`` and return its canonical value.

    ``subkind`` is one of ``account``, ``iban``, ``bankgiro``, ``plusgiro``;
    by default a value that starts with two letters is an IBAN and anything
    else a clearing + account number (a bankgiro or plusgiro number must be
    asked for by name: they are not distinguishable by shape).
    """
    if not isinstance(number, str):
        raise InvalidFormat("the value is not text")
    if len(number) > 80:
        raise InvalidLength("far too long for a bank account number")
    if not number.isascii():
        number = normalize(number).text  # NBSP, en dash, full-width digits as find() reads them
    sub = subkind or _guess_subkind(number)
    if sub == "iban":
        return validate_iban(number)
    if sub == "account":
        return validate_account(number)
    if sub == "bankgiro":
        return validate_bankgiro(number)
    if sub == "plusgiro":
        return validate_plusgiro(number)
    raise ValueError(f"unknown subkind {sub!r}")


def is_valid(number: str, subkind: str | None = None) -> bool:
    """Like ``validate()`` but returns a bool and never raises."""
    try:
        validate(number, subkind)
    except (ValidationError, ValueError):
        return False
    return True


def format(number: str, subkind: str | None = None) -> str:  # noqa: A001 (stdnum name)
    """The printed form: IBAN in groups of 4, ``28 65 43-4`` for plusgiro,
    ``CCCC-AAAA…`` for accounts (``83279-0147258925`` for Swedbank 8xxx,
    keeping the clearing check digit)."""
    sub = subkind or _guess_subkind(number)
    if sub == "iban":
        return format_iban(validate_iban(number))
    if sub == "plusgiro":
        return format_plusgiro(number)
    value = validate(number, sub)
    if sub == "account" and value[0] == "8":
        return value[:4] + luhn_check_digit(value[:4]) + value[4:]
    return value


def bank(number: str) -> str | None:
    """The bank of a clearing + account number or Swedish IBAN (None if unknown)."""
    sub = _guess_subkind(number)
    if sub == "iban":
        iban = validate_iban(number)
        se = _check_iban(iban)
        if iban[:2] != "SE" or isinstance(se, ValidationError) or se.row is None:
            return None
        return se.row.bank
    value = validate_account(number)
    row = lookup(value[:4])
    return row.bank if row else None


def find(text: str, hint: str | None = None, ref_date: date | None = None) -> list[Match]:
    """Bank accounts, IBANs, bankgiro and plusgiro numbers in ``text``.

    >>> [(m.subkind, m.value) for m in find("Kontonr: 5839-825 74 66")]
    [('account', '5839-8257466')]
    >>> [(m.subkind, m.value) for m in find("IBAN SE45 5000 0000 0583 9825 7466")]
    [('iban', 'SE4550000000058398257466')]
    >>> [(m.subkind, m.value) for m in find("Betala till bankgiro 5402-9681")]
    [('bankgiro', '5402-9681')]
    """
    from detectors.scan import find_all

    return find_all(text, hint=hint, ref_date=ref_date, kinds=(KIND,))


# --------------------------------------------------------------------------
# Finding: the hot path
# --------------------------------------------------------------------------
#
# Confidence for clearing + account (decided here, see the tests):
#   0.25 checksum passes for an assigned clearing
#   +0.30 the clearing stands apart with "-" or ", " ("5839-8257466", "1274, 0235 305")
#   +0.10 comma without a space ("1274,0235305": as often two CSV fields)
#   +0.20 space, account grouped ("1274 02 353 05"), +0.10 space, one group
#    0    compact ("58398257466"): only offered with a keyword or hint
#   +0.10 Swedbank's 5-digit clearing (two independent Luhn checks)
#   +0.30 personkonto whose account is a valid personnummer, -0.15 if it is not
#   -0.30 unknown clearing, -0.10 comment not published, -0.10 account < 7 digits
#   -0.25 Swedbank 8xxx written with 4 clearing digits (our canonical form)
#   -0.15 window is part of a longer digit run
#   +0.30 account keyword before it, +0.35 account field hint
#   -0.35 order/reference/time keyword before it (when no account keyword)
# So an account stands alone at 0.55 only when written in a distinct shape
# ("5839-8257466"), since mod 11 passes 1 in 11 random numbers.

_SEP_STRONG = frozenset({"-", ",", " - ", "- ", " -"})
_ACCT_SEPS = frozenset({" ", "-"})
_COMMA_CLEARING = re.compile(r"(?:^|[^0-9./+-])(8[0-9]{3}-[0-9]|[0-9]{4,5})[ ]?,[ ]?\Z")
_NEG_KINDS = ("order", "reference", "time")


def _ref_date(ctx: Context) -> date:
    return date.fromordinal(ctx.ref_ordinal) if ctx.ref_ordinal else date.today()


def _context_score(ctx: Context, kind: str, kw_bonus: float, hint_bonus: float, why: list[str]) -> float:
    score = 0.0
    keyword = near_before(ctx.before, kind)
    if keyword:
        score += kw_bonus
        why.append(f"context:{kind}")
    if kind in ctx.hints:
        score += hint_bonus
        why.append(f"hint:{kind}")
    if not keyword and kind not in ctx.hints:
        neg = first_near_before(ctx.before, _NEG_KINDS)
        if neg is not None:
            score -= 0.35
            why.append(f"context:{neg}(-)")
    return score


# The name of a bank (lower case, as Context.before is) -> the first words of the names
# in the clearing table (reference §3.3) it may stand for: right before a clearing and account number of
# that bank it counts as an account keyword ("Handelsbanken 6114 517 182 351"). Names
# that are also first names or common words (Erik, Steven, Svea, Juni, Lån, Resurs,
# Lunar, Forex, JAK) are left out.
_BANK_NAMES: Mapping[str, tuple[str, ...]] = MappingProxyType({
    "handelsbanken": ("handelsbanken",), "shb": ("handelsbanken",), "swedbank": ("swedbank",),
    # Swedbank and the savings banks share 8xxx; Sparbanken Syd has 9570
    "sparbanken": ("swedbank", "sparbanken"), "sparbank": ("swedbank", "sparbanken"),
    "nordea": ("nordea",), "plusgirot": ("nordea",), "seb": ("seb",), "danske": ("danske",),
    "länsförsäkringar": ("länsförsäkringar",), "lf": ("länsförsäkringar",), "ica": ("ica",),
    "skandia": ("skandiabanken",), "skandiabanken": ("skandiabanken",), "avanza": ("avanza",),
    "nordnet": ("nordnet",), "klarna": ("klarna",), "sbab": ("sbab",), "dnb": ("dnb",), "citibank": ("citibank",),
    "ikano": ("ikano",), "marginalen": ("marginalen",), "santander": ("santander",), "ålandsbanken": ("ålandsbanken",),
    "landshypotek": ("landshypotek",), "multitude": ("multitude",), "noba": ("noba",), "northmill": ("northmill",),
    "medmera": ("medmera",), "ekobanken": ("ekobanken",), "bluestep": ("bluestep",), "enity": ("bluestep",),
    "aion": ("aion",), "riksgälden": ("riksgälden",),
})
# A bank's name, maybe a second word ("Sparbanken Syd", "ICA Banken", "Danske Bank") and
# an account word or a few separators, at the end of the text before the number.
_BANK_NAME_BEFORE = re.compile(
    r"(?<![a-zåäöéü0-9])(" + "|".join(sorted(_BANK_NAMES, key=len, reverse=True)) + r")(?![a-zåäöéü0-9])"
    r"(?:[ ]?[a-zåäöéü]{1,8}+)?[ \t.:,()/-]{0,6}+"
    r"(?:(?:kontonummer|kontonr|konto|account|clearing)[ \t.:,()-]{0,6}+)?\Z"
)


def _first_word(bank: str) -> str:
    return bank.split()[0].lower()


def _bank_named_before(ctx: Context, bank: str) -> bool:
    """Whether the text right before the number names ``bank`` (a clearing table name)."""
    before = ctx.before
    if not before:
        return False
    m = _BANK_NAME_BEFORE.search(before, max(0, len(before) - 40))
    return m is not None and _first_word(bank) in _BANK_NAMES[m.group(1)]


def _has_keyword_or_hint(ctx: Context, kind: str) -> bool:
    return kind in ctx.hints or near_before(ctx.before, kind)


def _pnr_value(account10: str, ctx: Context) -> tuple[str, str, bool] | None:
    """(12-digit value, subkind, is a test number) of a personnummer used as an account number."""
    try:
        from detectors import personnummer
    except ImportError:  # pragma: no cover - the personnummer module is part of the package
        return None
    ref = _ref_date(ctx)
    try:
        value = personnummer.validate(account10, ref_date=ref)
        day = int(value[6:8])
        if (int(value[:4]), int(value[4:6]), day - 60 if day > 60 else day) > (ref.year, ref.month, ref.day):
            # the account's ten digits carry no '+': a holder born after the record was written (a
            # centenarian's account read as a newborn's to be) is of the century before (reference §1.3)
            value = personnummer.validate(f"{account10[:6]}+{account10[6:]}", ref_date=ref)
    except (ValidationError, ValueError):
        return None
    sub = "samordningsnummer" if int(value[6:8]) >= 60 else "personnummer"
    is_test = getattr(personnummer, "is_test_number", None)
    return value, sub, bool(is_test and is_test(value, ref))


def _emit_account(
    end: int,
    ctx: Context,
    clearing: str,
    account: str,
    swedbank4: bool,
    start: int,
    acct_start: int,
    shape: float,
    why: list[str],
    in_run: bool,
) -> Iterator[Match]:
    res = _check_account(clearing, account, swedbank4)
    if isinstance(res, ValidationError):
        return
    row = res.row
    conf = 0.25 + shape
    why.append("rule:luhn" if row is not None and row.type == 2 and row.comment != "2" else "rule:mod11")
    if res.clearing5:
        conf += 0.1
        why.append("rule:luhn-clearing")
    if swedbank4:
        conf -= 0.25
        why.append("shape:no-clearing-check")
    pnr: tuple[str, str, bool] | None = None
    if row is None:
        conf -= 0.3
        why.append("clearing:unknown")
    else:
        why.append(f"bank:{row.bank}")
        if row.comment == "?":
            conf -= 0.1
            why.append("clearing:comment-unknown")
        if len(account) < 7:
            conf -= 0.1
            why.append("shape:short-account")
        if row.first in (3300, 3782):  # personkonto: the account is a personnummer
            pnr = _pnr_value(res.value[5:], ctx)
            if pnr is not None:
                conf += 0.3
                why.append("rule:personnummer")
            else:
                conf -= 0.15
                why.append("rule:not-personnummer")
    if in_run:
        conf -= 0.15
        why.append("shape:in-longer-run")
    if row is not None and not _has_keyword_or_hint(ctx, KIND) and _bank_named_before(ctx, row.bank):
        # "Handelsbanken 6114 517 182 351": the name of the clearing number's own bank
        conf += 0.3
        why.append("context:bank-name")
    else:
        conf += _context_score(ctx, KIND, 0.3, 0.35, why)
    if (
        pnr is None and row is not None and row.type == 2 and row.comment != "2" and len(account) == 10
        and conf < _C_TEN_DIGIT_KEYWORD and "context:bank_account" in why
    ):
        # "kontonummer 9180 1111111116": a 10-digit Luhn account (Danske 9180, Swedbank 9300,
        # Plusgirot 9500, Sparbanken Syd 9570, Riksgälden 9890) after an account keyword;
        # a date-shaped one also passes as a compact personnummer (0.7), which took it
        conf = _C_TEN_DIGIT_KEYWORD
        why.append("shape:ten-digit-account-after-keyword")
    if pnr is not None and conf < _C_PERSONKONTO and not any(w.endswith("(-)") for w in why):
        # clearing 3300/3782 and a valid personnummer: the account explains the personnummer
        # detector's finding of its second half ("3300 811228-9874", 0.9), and stands beside it
        conf = _C_PERSONKONTO
        why.append("shape:personkonto")
    conf = min(max(conf, 0.05), 0.97)
    test = pnr is not None and pnr[2]
    yield Match(KIND, "account", start, end, res.value, conf, tuple(why), test_data=test)
    if pnr is not None:
        yield Match(
            "personnummer", pnr[1], acct_start, end, pnr[0], conf,
            why=("rule:luhn+date", "inside:personkonto"), test_data=test, inside="personkonto",
        )


_C_TEN_DIGIT_KEYWORD = 0.75
_C_PERSONKONTO = 0.9  # the most a free personnummer of ten digits is (dashed), without a keyword


def _accounts(w: Window, ctx: Context) -> Iterator[Match]:
    groups = w.groups
    g0 = groups[0]
    n = len(groups)
    if n > 1 and len(g0) != 4 and not (len(g0) == 5 and g0[0] == "8"):
        return  # the first group is no clearing number (checked again below, as it always was)
    if n == 1 and not 11 <= len(g0) <= 15:
        return
    lead = w.text.index(g0)  # a "(" that leads the run
    start = w.start + lead
    in_run = not (w.run_start and w.run_end)
    if n == 1:
        # compact 11-15 digits: only with an account keyword or hint
        d = w.digits
        if not 11 <= len(d) <= 15 or not _has_keyword_or_hint(ctx, KIND):
            return
        c = 5 if d[0] == "8" else 4
        yield from _emit_account(w.end, ctx, d[:c], d[c:], False, start, start + c, 0.0, ["shape:compact"], in_run)
        return
    seps = w.seps
    swedbank4 = False
    if len(g0) == 4 and g0[0] == "8":
        if len(groups[1]) == 1 and n >= 3:  # 8327-9 014 725 892-5
            clearing, first_acct = g0 + groups[1], 2
        elif n == 2 and len(groups[1]) == 10 and seps[0] == "-":  # 8327-0147258925
            clearing, first_acct, swedbank4 = g0, 1, True
        else:
            return
    elif len(g0) == 4 or (len(g0) == 5 and g0[0] == "8"):
        clearing, first_acct = g0, 1
    else:
        return
    sep = seps[first_acct - 1]
    if not _ACCT_SEPS.issuperset(seps[first_acct:]):
        return  # account digits are grouped by spaces and hyphens only
    acct_groups = groups[first_acct:]
    if sep in _SEP_STRONG:
        shape, why = 0.3, ["shape:clearing-separated"]
    elif sep == " ":
        shape, why = (0.2, ["shape:grouped"]) if len(acct_groups) > 1 else (0.1, ["shape:spaced"])
    else:
        return  # "/", ".", "(": not how accounts are written
    acct_start = start + len(g0) + len(seps[0])
    if first_acct == 2:
        acct_start += len(groups[1]) + len(seps[1])
    yield from _emit_account(
        w.end, ctx, clearing, "".join(acct_groups), swedbank4, start, acct_start, shape, why, in_run
    )


def _comma_account(w: Window, ctx: Context) -> Iterator[Match]:
    """``1274, 0235 305``: a comma ends the prefilter run; the clearing is in ``ctx.before``."""
    if not _ACCT_SEPS.issuperset(w.seps):
        return
    m = _COMMA_CLEARING.search(ctx.before)
    if m is None:
        return
    clearing = m.group(1).replace("-", "")
    if len(clearing) == 4 and clearing[0] == "8":
        return  # Swedbank 8xxx needs its check digit here
    start = w.start - (len(ctx.before) - m.start(1))
    # "1274, 0235 305" is how banks print it; "2019,1234567" is more often two CSV fields.
    shape, why = (0.3, ["shape:clearing-separated"]) if ctx.before.endswith(" ") else (0.1, ["shape:csv-pair"])
    ctx = ctx.with_before(ctx.before[: m.start(1)])  # keywords stand before the clearing
    yield from _emit_account(w.end, ctx, clearing, w.digits, False, start, w.start, shape, why, not w.run_end)


# "Clearingnummer: 8327-9, kontonummer: 014 725 892-5", "clearing 5839 konto 8257466":
# clearing and account each after its own label (forms, refund requests, payroll
# mails), in one value; the two may stand on consecutive lines. The scanner runs
# this over texts that hold "clearing" (LABELLED_MARKERS) and keeps each match
# inside one value.
# a key of JSON or a query may be quoted, and name its number after "_" ("clearing_nr": "5839")
_LABEL_TAIL = r"(?:[ _-]?(?:nummer|nr\.?|no\.?|number))?[\"']?[ \t]*(?:[:.=]|är(?![a-zåäö])|is(?![a-z]))?[ \t]*[\"']?"
_LABELLED_CLEARING = r"8[0-9]{3}[ ]?-[ ]?[0-9](?![0-9])|[0-9]{4,5}(?![0-9])"
_LABELLED_NUMBER = r"[0-9](?:[0-9]|[ -](?=[0-9])){1,17}(?![0-9])"
# between the two: a comma, a line break, up to three short words ("och", "hos SEB,",
# "till mitt"), an opening parenthesis ("konto 014 725 892-5 (clearing 8327-9)")
# (in JSON or a query: the value's closing quote, a comma or "&", the next key's opening quote)
_LABELLED_JOIN = r"[\"']?[ \t]*[,;/&]?[ \t]*(?:\r?\n[ \t]*)?(?:[a-zåäö]{1,12}[ \t]*[,;]?[ \t]+){0,3}\(?[ \t]*[\"']?"
LABELLED_ACCOUNT = re.compile(
    r"(?i)(?<![a-zåäö])clearing" + _LABEL_TAIL + r"(?P<clearing>" + _LABELLED_CLEARING + ")"
    + _LABELLED_JOIN + r"(?:bank)?(?:konto|account)" + _LABEL_TAIL + r"(?P<account>" + _LABELLED_NUMBER + ")"
)
# The other order: "Kontonummer: 8257466, clearingnummer: 5839" (a second pass, so that
# "konto 1234567 clearing 5839 konto 8257466" still gives the forward match).
LABELLED_ACCOUNT_REVERSED = re.compile(
    r"(?i)(?<![a-zåäö])(?:bank)?(?:konto|account)" + _LABEL_TAIL + r"(?P<account2>" + _LABELLED_NUMBER + ")"
    + _LABELLED_JOIN + r"clearing" + _LABEL_TAIL + r"(?P<clearing2>" + _LABELLED_CLEARING + ")"
)
LABELLED_MARKERS = ("learing", "LEARING")


def labelled_start(m: re.Match[str]) -> int:
    """Where the first number of a :data:`LABELLED_ACCOUNT` (or ``_REVERSED``) match starts (its context stands before it)."""
    return m.start("account2") if "account2" in m.re.groupindex else m.start("clearing")


def match_labelled(m: re.Match[str], ctx: Context) -> Iterator[Match]:
    """A clearing and an account number each after its label (a match of :data:`LABELLED_ACCOUNT`).

    Scored like ``5839-8257466`` (the clearing stands apart) with the clearing
    keyword before it; the finding spans from the clearing to the end of the account.
    """
    if "account2" in m.re.groupindex:  # the account first (LABELLED_ACCOUNT_REVERSED)
        clearing = m.group("clearing2").replace(" ", "").replace("-", "")
        account = m.group("account2").replace(" ", "").replace("-", "")
        a0, a1 = m.span("account2")
        for f in _emit_account(m.end("clearing2"), ctx, clearing, account, False, a0, a0, 0.3, ["shape:labelled-reversed"], False):
            # a personkonto's personnummer spans the account digits only
            yield replace(f, end=a1) if f.inside is not None else f
        return
    clearing = m.group("clearing").replace(" ", "").replace("-", "")
    account = m.group("account").replace(" ", "").replace("-", "")
    start, acct_start, end = m.start("clearing"), m.start("account"), m.end("account")
    # a Swedbank 8xxx clearing needs its fifth (check) digit here too (reference §3.4: "8327, 123456782")
    yield from _emit_account(end, ctx, clearing, account, False, start, acct_start, 0.3, ["shape:labelled"], False)


# -- clearing and account in two fields of one record ----------------------------------
#
# Payroll and customer tables keep them in two columns (clearingnr, kontonr); each
# value alone is no account. The worker joins them per record (pii_scan.worker).

_CLEARING_FIELD = re.compile(r"(?i)clearing|(?:^|[^a-z])cl_?nr(?:$|[^a-z])")
_CLEARING_VALUE = re.compile(r"[ ]*(8[0-9]{3})[ ]?-?[ ]?([0-9])[ ]*|[ ]*([0-9]{4,5})(?:\.0+)?[ ]*")
_SPLIT_ACCOUNT_VALUE = re.compile(r"[ ]*([0-9](?:[0-9]|[ -](?=[0-9])){1,17})(?:\.0+)?[ ]*")


def is_clearing_field(name: str) -> bool:
    """A field that holds a clearing number on its own (``clearingnr``, ``Clearing-nummer``, ``cl_nr``)."""
    return _CLEARING_FIELD.search(name) is not None


def is_split_account_field(name: str) -> bool:
    """A field that may hold the account number that goes with a clearing field (``kontonr``, ``account_number``)."""
    kinds = hint_kinds(name)
    return "bank_account" in kinds and not is_clearing_field(name) and not kinds & {"bankgiro", "plusgiro"} and (
        "iban" not in name.lower()
    )


def join_split_account(clearing: str, account: str) -> Match | None:
    """The account that a clearing field and an account field of one record make together, or None.

    The match spans the account value (offsets index ``account``); its value is
    the canonical ``CCCC-AAAA…``. A Swedbank 8xxx clearing needs its check digit.
    Both fields are named for what they hold, so the confidence is that of a
    separated clearing with an account hint.
    """
    c = _CLEARING_VALUE.fullmatch(clearing)
    a = _SPLIT_ACCOUNT_VALUE.fullmatch(account)
    if c is None or a is None:
        return None
    clearing_digits = c.group(1) + c.group(2) if c.group(1) else c.group(3)
    digits = a.group(1).replace(" ", "").replace("-", "")
    s, e = a.span(1)
    # scored as the finder scores a separated clearing in a field hinted for accounts
    for m in _emit_account(e, _SPLIT_FIELDS_CONTEXT, clearing_digits, digits, False, s, s, 0.3, ["shape:split-fields"], False):
        return m  # the account (a personkonto's personnummer is the account field's own finding)
    return None


_SPLIT_FIELDS_CONTEXT = Context(hints=frozenset({KIND}))


def _giros(w: Window, ctx: Context) -> Iterator[Match]:
    if not w.run_start:
        lead = w.lead
        if lead[len(lead.rstrip(" -/.+()")) :] in (" ", "-"):
            return  # a piece of a longer number: "90 20 03-4" is no plusgiro "03-4"
    if w.trail[:1].isalpha():
        return  # an alphanumeric code: "410 54 68-5X"
    d = w.digits
    n = len(d)
    groups = w.groups
    before = ctx.before
    hinted = ctx.hints
    # Bankgiro: NNN-NNNN / NNNN-NNNN / compact, with a bankgiro keyword or hint.
    if n in (7, 8) and (len(groups) == 1 or (len(groups) == 2 and len(groups[1]) == 4 and w.seps[0] in ("-", " "))):
        if ("bankgiro" in hinted or "bg" in before or "giro" in before) and luhn_is_valid(d):
            if d.strip("0") and _has_keyword_or_hint(ctx, "bankgiro"):
                value = f"{d[:-4]}-{d[-4:]}"
                why = ["rule:luhn"]
                conf = 0.3 if len(groups) == 2 and w.seps[0] == "-" else 0.15
                why.append("shape:bankgiro" if conf == 0.3 else "shape:compact")
                conf += _context_score(ctx, "bankgiro", 0.45, 0.45, why)
                if "bankgiro" not in hinted and "bank_account" in hinted:
                    conf += 0.1
                    why.append("hint:bank_account")
                ninety = is_90_konto(value, "bankgiro")
                if ninety:
                    why.append("bankgiro:90-konto")
                start = w.start + w.text.index(groups[0])  # not a "(" that leads the run
                yield Match(KIND, "bankgiro", start, w.end, value, min(max(conf, 0.05), 0.95), tuple(why),
                            personal=not ninety)
    # Plusgiro: 2-8 digits, compact or with a hyphen before the check digit.
    if 2 <= n <= 8 and (
        len(groups) == 1 or (len(groups[-1]) == 1 and w.seps[-1] == "-" and _ACCT_SEPS.issuperset(w.seps))
    ):
        if ("plusgiro" in hinted or "pg" in before or "giro" in before) and luhn_is_valid(d):
            if d.strip("0") and _has_keyword_or_hint(ctx, "plusgiro"):
                value = f"{d[:-1]}-{d[-1]}"
                why = ["rule:luhn"]
                conf = 0.3 if len(groups) > 1 else 0.15
                why.append("shape:plusgiro" if len(groups) > 1 else "shape:compact")
                conf += _context_score(ctx, "plusgiro", 0.45, 0.45, why)
                if "plusgiro" not in hinted and "bank_account" in hinted:
                    conf += 0.1
                    why.append("hint:bank_account")
                ninety = is_90_konto(value, "plusgiro")
                if ninety:
                    why.append("plusgiro:90-konto")
                start = w.start + w.text.index(groups[0])
                yield Match(KIND, "plusgiro", start, w.end, value, min(max(conf, 0.05), 0.95), tuple(why),
                            personal=not ninety)


# Digit counts of the windows match_window can use: the scanner offers no others.
WINDOW_DIGITS = frozenset(range(2, 16))


def window_wanted(nd: int, d0: str, sign: bool, comma: bool, giro: bool) -> bool:
    """Whether ``match_window`` can find anything in such a window (the contract: :class:`detectors.scan.Scanner`)."""
    # giro numbers only after their keyword; an account after "CCCC, "; a clearing never starts with 0
    return (nd <= 8 and giro) or (nd >= 5 and comma) or (nd >= 9 and d0 != "0")


def window_shape_wanted(lens: tuple[int, ...], comma: bool) -> bool:
    """Whether ``match_window`` can find anything in a window whose groups have these digit counts
    (the contract: :class:`detectors.scan.Scanner`; ``comma`` as for :func:`window_wanted`)."""
    nd = sum(lens)
    n = len(lens)
    if nd >= 5 and comma:
        return True  # an account after "CCCC, " (_comma_account): grouped any way
    if nd <= 8:
        # a bankgiro number NNN-NNNN or NNNN-NNNN, a plusgiro number with its check digit apart,
        # or either compact (_giros)
        return n == 1 or (nd >= 7 and n == 2 and lens[1] == 4) or lens[-1] == 1
    # after a clearing number of four digits (five: Swedbank 8xxx-x), or 11-15 compact digits (_accounts)
    return (n > 1 and lens[0] in (4, 5)) or (n == 1 and nd <= 15 and nd >= 11)


def match_window(w: Window, ctx: Context) -> Iterator[Match]:
    """Accounts, bankgiro and plusgiro numbers in one window of a digit run."""
    n = len(w.digits)
    if w.plus or n > 15 or n < 2:
        return
    if n <= 8:
        yield from _giros(w, ctx)
    if n >= 5 and w.run_start and ctx.before.endswith((",", ", ")):
        yield from _comma_account(w, ctx)
    if n >= 9 and w.digits[0] != "0":
        yield from _accounts(w, ctx)


_IBAN_CHAR = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")


_LOWER_IBAN = re.compile(r"[A-Za-z]{2}[0-9]{2}[ 0-9A-Za-z]{8,40}")


def match_whole(t: str, start: int, end: int, ctx: Context) -> Iterator[Match]:
    """An IBAN written in lower case (``se45 5000 0000 0583 9825 7466``) as the whole value of an account field.

    The scanner reads IBAN letters only in capitals (two capitals lead every IBAN
    candidate); users type them in lower case in web forms. Read only where the
    field is named for an account: mod 97 and the length still decide.
    """
    if KIND not in ctx.hints or _LOWER_IBAN.fullmatch(t, start, end) is None:
        return
    raw = t[start:end]
    up = raw.upper()
    if up == raw:
        return  # capitals: the scanner's own IBAN path reads it
    for m in match_alnum(up, 0, ctx):
        yield replace(m, start=start + m.start, end=start + m.end, why=(*m.why, "shape:lower-case"))


def match_alnum(t: str, start: int, ctx: Context) -> Iterator[Match]:
    """An IBAN at ``t[start:]``: compact, or grouped in fours by single spaces or hyphens
    (``SE45 5000 ...``, ``SE45-5000-...``), maybe with a space after the country code (``SE 45 5000 ...``)."""
    spec = _iban_spec(t[start : start + 2])
    if spec is None:
        return
    length = spec[0]
    pos: list[int] = []
    i, n = start, len(t)
    grouped = False
    sep = ""  # what splits the groups of four: one space or one hyphen, the same throughout
    while i < n and len(pos) < length:
        ch = t[i]
        if ch in _IBAN_CHAR:
            pos.append(i)
        elif (
            ch in " -" and (not sep or ch == sep) and len(pos) % 4 == 0 and len(pos) >= 4
            and i + 1 < n and t[i + 1] in _IBAN_CHAR
        ):
            grouped, sep = True, ch
        elif ch == " " and len(pos) == 2 and i + 1 < n and t[i + 1].isdigit():
            grouped = True  # "SE 45 5000 ...": the country code set apart
        else:
            break
        i += 1
    if len(pos) != length:
        return
    end = pos[-1] + 1
    nxt = t[end : end + 2]
    if nxt[:1].isalnum() or (grouped and len(nxt) == 2 and nxt[0] in " -" and nxt[1] in "0123456789"):
        return  # the number goes on: not this IBAN
    iban = "".join(t[p] for p in pos)
    res = _check_iban(iban)
    if isinstance(res, ValidationError):
        return
    why = ["rule:mod97", "shape:iban-grouped" if grouped else "shape:iban"]
    if iban[:2] != "SE":
        conf = 0.9
        why.append("rule:bban-structure")
    elif res.row is None:
        conf = 0.75
        why.append("iban:unknown-bank-id")
    else:
        conf = 0.95
        why.append("rule:national-check")
        why.append(f"bank:{res.row.bank}")
    if near_before(ctx.before, KIND):
        conf = min(conf + 0.02, 0.97)
        why.append(f"context:{KIND}")
    pnr = _pnr_value(res.account, ctx) if res.row is not None and res.row.first in (3300, 3782) else None
    test = pnr is not None and pnr[2]
    yield Match(KIND, "iban", start, end, iban, conf, tuple(why), test_data=test)
    if pnr is not None:
        yield Match(
            "personnummer", pnr[1], pos[14], end, pnr[0], conf,
            why=("rule:luhn+date", "inside:iban"), test_data=test, inside="iban",
        )

