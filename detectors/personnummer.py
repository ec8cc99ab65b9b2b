"""Personnummer and samordningsnummer (Swedish personal identity and coordination numbers).

Skatteverket, "Personnumrets olika delar" and "Samordningsnummer":
https://www4.skatteverket.se/rattsligvagledning/edition/2020.9/330245.html

A personnummer is ``YYMMDD-NNNC``: the birth date, a serial 001-999 and a
Luhn check digit over the ten digits. From the year a person turns 100 the
``-`` becomes ``+``. Skatteverket stores twelve digits, with the century.
A samordningsnummer adds 60 to the day; Skatteverket's own test data also has
day 60 (day unknown) and month 00 (month unknown), which this module accepts.
Interim numbers (``YYMMDD-T220``) have a letter that counts as 1 in the check.

The canonical value is twelve digits with no separator (``198112289874``;
interim numbers keep their letter: ``20000101T220``). Ten-digit forms get
their century from a reference date: the latest year not after it that ends in
``YY`` (minus 100 with ``+``). Use the date the record was written where known.

>>> validate("811228-9874", ref_date=date(2026, 11, 24))
'198112289874'
>>> validate("121212+1212", ref_date=date(2026, 11, 24))
'191212121212'
>>> validate("701063-2391")
'197010632391'
>>> is_valid("880320-0018")
False
>>> format("198112289874")
'19811228-9874'
>>> get_birth_date("197010632391")
datetime.date(1970, 10, 3)
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date
from functools import lru_cache
from importlib import resources

from detectors.base import (
    Context,
    InvalidChecksum,
    InvalidComponent,
    InvalidFormat,
    InvalidLength,
    Match,
)
from detectors.checksums import luhn_checksum
from detectors.context import first_near_before, near_before
from detectors.filters import TIMESTAMP_RECENT_YEARS
from detectors.normalize import normalize

KIND = "personnummer"
PERSONAL = True

INTERIM_LETTERS = "TRSUWXJKLMN"

_DAYS = (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)
_WRITTEN = re.compile(
    r"^(?P<date>[0-9]{6}|[0-9]{8}|[0-9]{4}[ .-]?[0-9]{2}[ .-]?[0-9]{2}|[0-9]{2}[ .-]?[0-9]{2}[ .-]?[0-9]{2})"
    r"[ ]?(?P<sep>[-+/.]?)[ ]?(?P<tail>[0-9]{4}|[" + INTERIM_LETTERS + r"][0-9]{3})$"
)
_MIN_YEAR = 1800


def _leap(y: int) -> bool:
    return y % 4 == 0 and (y % 100 != 0 or y % 400 == 0)


def _real_date(y: int, mo: int, d: int) -> bool:
    return 1 <= mo <= 12 and 1 <= d <= (29 if mo == 2 and _leap(y) else _DAYS[mo - 1])


def _full_year(yy: int, ref_year: int) -> int:
    """The year of a 2-digit year: the latest one not after ``ref_year`` (§1.3)."""
    return ref_year - ((ref_year - yy) % 100)


def compact(number: str) -> str:
    """Remove separators and spaces; keeps a ``+`` (it carries the century).

    >>> compact(" 19811228-9874 ")
    '198112289874'
    >>> compact("121212+1212")
    '121212+1212'
    """
    n = number.strip().replace("\u2013", "-").replace("\u2011", "-")
    plus = "+" in n
    digits = re.sub(r"[ \-.:\u00a0\u2009+]", "", n)
    if plus and len(digits) == 10:
        return digits[:6] + "+" + digits[6:]
    return digits


def _parts(number: str) -> tuple[str, str, str]:
    """Split a written number into (date digits, separator, last four)."""
    m = _WRITTEN.match(normalize(number).text.strip())
    if not m:
        raise InvalidFormat()
    dpart = re.sub(r"[ .-]", "", m.group("date"))
    sep = m.group("sep")
    # "811228.9874", "811228/9874": spec-invalid separators the finder reads after a keyword
    return dpart, "" if sep in ("/", ".") else sep, m.group("tail")


def check(date_digits: str, sep: str, tail: str, ref_year: int) -> tuple[str, str, int]:
    """Validate the parts of a number: returns (canonical, subkind, birth ordinal or 0).

    ``date_digits`` is ``YYMMDD`` or ``YYYYMMDD``, ``sep`` is ``-``, ``+`` or
    ``""`` and ``tail`` is ``NNNC`` (or a letter and three digits for interim
    numbers). Raises a :class:`ValidationError` subclass.
    """
    if len(date_digits) == 8:
        century = date_digits[:2]
        if century not in ("18", "19", "20"):
            raise InvalidComponent("the century must be 18, 19 or 20")
        year = int(date_digits[:4])
        short = date_digits[2:]
    elif len(date_digits) == 6:
        short = date_digits
        yy = int(short[:2])
        year = _full_year(yy, ref_year)
        if sep == "+":
            year -= 100
    else:
        raise InvalidLength()
    if year < _MIN_YEAR:
        raise InvalidComponent("the birth year is out of range")
    month = int(short[2:4])
    day = int(short[4:6])
    interim = not tail[0].isdigit()
    if interim:
        if tail[0] not in INTERIM_LETTERS:
            raise InvalidFormat("not an interim letter")
        checked = short + "1" + tail[1:]
    else:
        if tail[:3] == "000":
            raise InvalidComponent("the serial number 000 is not used")
        checked = short + tail
    if luhn_checksum(checked) != 0:
        raise InvalidChecksum()
    subkind = "interim" if interim else "personnummer"
    if day >= 60:
        if interim:
            raise InvalidComponent("interim numbers have a real birth date")
        subkind = "samordningsnummer"
        day -= 60
        # Skatteverket's test data uses day 60 (unknown day) and month 00 (unknown month)
        if not 0 <= month <= 12:
            raise InvalidComponent("the month is out of range")
        if day == 0 or month == 0:
            birth = 0
            if day > 31:
                raise InvalidComponent("the day is out of range")
            if month and day > (29 if month == 2 else _DAYS[month - 1]):
                raise InvalidComponent("the day is out of range")
            return f"{year:04d}{short[2:]}{tail}", subkind, birth
    if not 1 <= month <= 12:
        raise InvalidComponent("the month is out of range")
    if not _real_date(year, month, day):
        raise InvalidComponent("the day is out of range")
    birth = date(year, month, day).toordinal()
    return f"{year:04d}{short[2:]}{tail}", subkind, birth


def validate(number: str, ref_date: date | None = None) -> str:
    """Check a written personnummer/samordningsnummer; return the 12-digit canonical form."""
    if not isinstance(number, str):
        raise InvalidFormat()
    dpart, sep, tail = _parts(number)
    ref = ref_date or date.today()
    return check(dpart, sep, tail, ref.year)[0]


def is_valid(number: str, ref_date: date | None = None) -> bool:
    """Whether ``number`` is a valid personnummer, samordningsnummer or interim number."""
    try:
        return bool(validate(number, ref_date))
    except (ValueError, TypeError):
        return False


def format(number: str, ref_date: date | None = None) -> str:  # noqa: A001 - stdnum naming
    """Write the number in the 12-digit form with a dash: ``19811228-9874``."""
    canonical = validate(number, ref_date)
    return canonical[:8] + "-" + canonical[8:]


def format_short(number: str, ref_date: date | None = None) -> str:
    """The official 10-digit form, with ``+`` from the year the person turns 100."""
    canonical = validate(number, ref_date)
    ref = ref_date or date.today()
    sep = "+" if ref.year - int(canonical[:4]) >= 100 else "-"
    return canonical[2:8] + sep + canonical[8:]


def is_samordningsnummer(number: str, ref_date: date | None = None) -> bool:
    canonical = validate(number, ref_date)
    return int(canonical[6:8]) >= 60


def get_birth_date(number: str, ref_date: date | None = None) -> date | None:
    """The birth date (None where a samordningsnummer leaves day or month unknown)."""
    dpart, sep, tail = _parts(number)
    ref = ref_date or date.today()
    birth = check(dpart, sep, tail, ref.year)[2]
    return date.fromordinal(birth) if birth else None


def get_gender(number: str, ref_date: date | None = None) -> str:
    """``'M'`` or ``'F'`` from the parity of the serial's last digit."""
    canonical = validate(number, ref_date)
    return "M" if int(canonical[10]) % 2 else "F"


@lru_cache(maxsize=1)
def _test_numbers() -> frozenset[str]:
    out: set[str] = set()
    for name in ("skatteverket_test_personnummer.txt", "skatteverket_test_samordningsnummer.txt"):
        try:
            text = resources.files("detectors").joinpath("data", name).read_text("ascii")
        except FileNotFoundError:
            continue
        out.update(line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#"))
    return frozenset(out)


def is_test_number(number: str, ref_date: date | None = None) -> bool:
    """Whether the number is on Skatteverket's published list of test numbers.

    Test numbers cannot be recognised from their structure; common doc
    examples such as 19121212-1212 are *not* on the list.
    """
    try:
        return validate(number, ref_date) in _test_numbers()
    except ValueError:
        return False


# -- finding ---------------------------------------------------------------------

# Base confidence by how the number is written.
_CONF_DASHED_12 = 0.95
_CONF_DASHED_10 = 0.9
_CONF_COMPACT_12 = 0.8
_CONF_COMPACT_10 = 0.7
_CONF_COMPACT_10_LEADING_ZERO = 0.55  # could be a Swedish phone number (0.6-0.9 % are both)
_CONF_SPLIT = 0.65  # 1981 12 28-9874, 8112-28-9874
_CONF_SPACE = 0.4  # 811228 9874: spec-invalid, common in free text; needs a keyword
_AMBIGUOUS_STAMP = 0.35  # 20240517-1345: also a date and time (0.95 -> 0.6)

_DATE_SHAPES = {(6,), (8,), (2, 2, 2), (4, 2, 2), (4, 2)}
_FOURS_DATE = (4, 4)  # YYYY MMDD before the last four (see _window_parts)
_COMPACT_SHAPES = frozenset({"shape:compact-10", "shape:compact-12"})
_OCR_FIELD_PENALTY = 0.35  # compact 10 digits 0.7 -> 0.35, 12 digits 0.8 -> 0.45: below MIN_CONFIDENCE (0.5)
# A pseudo-kind the scanner adds to the hints of a payment-reference column whose
# values are mostly built from a personnummer (Scanner.find_many weighs the column):
# no OCR penalty, and a personnummer at the start of a longer reference is reported.
REFERENCE_FROM_PNR = "reference_from_personnummer"
_WHY_REFERENCE_FROM_PNR = "column:references-built-from-personnummer"
# A field named for a business number (order, invoice, ticket, customer or member
# number: the "not_personal" hint) holds numbers a system assigns, and about 1
# random 10-digit number in 120 (1 in 13 of those with a Luhn check digit) passes
# as a personnummer (reference §6.1, §6.4). A compact one there is lowered below
# MIN_CONFIDENCE, as after an order keyword, unless a personnummer keyword stands
# before it. Written with its dash it is reported: that is how a personnummer is written.
_BUSINESS_FIELD_PENALTY = 0.35  # 0.7 -> 0.35, 0.8 -> 0.45 (0.25 would leave 12 digits at 0.55)
# The pseudo-kind the scanner adds to the hints of such a field whose values are
# mostly a personnummer (Scanner.find_many weighs the field's batch): many companies
# use the customer's personnummer as the customer number. No penalty, and the
# whole-value spreadsheet repairs run as in a personnummer field.
NUMBERS_FROM_PNR = "numbers_from_personnummer"
_WHY_NUMBERS_FROM_PNR = "column:numbers-built-from-personnummer"
_NEGATIVE_KINDS = ("order", "reference")
# A key of a time value right before a compact ten-digit number: ``"created_at": 1708836232``,
# ``ts=1708836232``, ``<created>1708836232``. Epoch seconds are ten digits, and those of
# November 2023 to April 2024 (17MMDD...) pass as a personnummer or samordningsnummer about
# one time in sixteen. The key is a word of its own (not "birth_date", "fodelsedatum").
_TIME_KEY = re.compile(r"(?<![a-zåäö0-9_])([a-zåäö][a-zåäö0-9_]{0,30})(?:[\"']?[ \t]*[:=][ \t]*[\"']?|>)\Z")
_TIME_KEY_WORDS = frozenset(
    "ts time timestamp epoch unixtime unix_time iat exp nbf created updated modified deleted expires date datetime "
    "tid tidpunkt tidsstämpel tidsstampel datum skapad ändrad createdat updatedat modifiedat deletedat expiresat".split()
)
_TIME_KEY_SUFFIXES = ("_at", "_ts", "_time", "_timestamp", "_epoch", "_date", "_datetime", "_on", "_tid", "_datum")
_BIRTH_KEY = re.compile(r"birth|f(?:ö|o|oe)d|dob")


def _after_time_key(before: str) -> bool:
    """``before`` (lower-cased) ends with the key of a time value (see :data:`_TIME_KEY`)."""
    m = _TIME_KEY.search(before, max(0, len(before) - 40))
    if m is None:
        return False
    key = m.group(1)
    return (key in _TIME_KEY_WORDS or key.endswith(_TIME_KEY_SUFFIXES)) and _BIRTH_KEY.search(key) is None
_NEGATIVE_CONTEXT = 0.25  # after an order or reference word (a compact shape: _BUSINESS_FIELD_PENALTY)
_DATE_SEPS = {" ", "-", ".", "/"}


def _score(
    canonical: str,
    subkind: str,
    birth: int,
    base: float,
    why: list[str],
    ctx: Context,
    start: int,
    end: int,
    inside: str | None = None,
) -> Match:
    conf = base
    before = ctx.before  # "" for a whole value: no keyword, positive or negative, can stand there
    keyword = bool(before) and (
        near_before(before, "personnummer") or (subkind == "samordningsnummer" and near_before(before, "samordningsnummer"))
    )
    if keyword:
        conf += 0.25
        why.append("context:personnummer")
    if "personnummer" in ctx.hints:
        conf += 0.3
        why.append("hint:personnummer")
    elif "organisationsnummer" in ctx.hints:
        conf += 0.2
        why.append("hint:orgnr(sole trader)")
    elif REFERENCE_FROM_PNR in ctx.hints:
        # most values of this reference column hold a personnummer: a company that builds
        # its OCR numbers from the customer's personnummer (reference §3.8, §6.7)
        why.append(_WHY_REFERENCE_FROM_PNR)
    elif "payment_reference" in ctx.hints and not keyword and inside is None and why and why[0] in _COMPACT_SHAPES:
        # An OCR or payment-reference field: any Luhn-valid digit string is a valid OCR,
        # and one in ten date-shaped ones passes as a personnummer. Written compact, as
        # OCR numbers are, it needs a personnummer keyword before it to be reported.
        conf -= _OCR_FIELD_PENALTY
        why.append("hint:payment-reference(-)")
    elif NUMBERS_FROM_PNR in ctx.hints:
        why.append(_WHY_NUMBERS_FROM_PNR)
    elif "not_personal" in ctx.hints and not keyword and inside is None and why and why[0] in _COMPACT_SHAPES:
        # an order, invoice or customer number (the float repair "198112289874.0" is a compact shape too)
        conf -= _BUSINESS_FIELD_PENALTY
        why.append("hint:business-number(-)")
    if before and not any(w.startswith("context:") for w in why) and (
        first_near_before(before, _NEGATIVE_KINDS) is not None
    ):
        # written compact, as a system writes its numbers, it is lowered as in a field named
        # for a business number (unless the field is a personnummer's): by 0.25 the twelve-digit
        # form (0.8) stayed reported, and an order or tracking number made of a date and a
        # sequence passes one time in ten
        compact = why and why[0] in _COMPACT_SHAPES and "personnummer" not in ctx.hints
        conf -= _BUSINESS_FIELD_PENALTY if compact else _NEGATIVE_CONTEXT
        why.append("context:order-or-reference(-)")
    elif (
        before
        and why
        and why[0] == "shape:compact-10"
        and "personnummer" not in ctx.hints
        and not any(w.startswith("context:") for w in why)
        and _after_time_key(before)
    ):
        # epoch seconds after a time key (see _TIME_KEY): lowered as a business number is
        conf -= _BUSINESS_FIELD_PENALTY
        why.append("context:time-key(-)")
    if birth:
        if birth > ctx.ref_ordinal:
            conf -= 0.5
            why.append("implausible:future-birth-date")
        elif ctx.ref_year - date.fromordinal(birth).year > 120:
            conf -= 0.3
            why.append("implausible:age-over-120")
    test = canonical in _test_numbers()
    if test:
        why.append("test:skatteverket")
    return Match(KIND, subkind, start, end, canonical, max(0.0, min(conf, 0.99)), tuple(why), test, True, inside)


def _window_parts(w) -> tuple[str, str, str, float, str] | None:  # noqa: ANN001 - scan.Window
    """Read a digit window as (date digits, separator, tail, base confidence, shape)."""
    groups = w.groups
    n = len(groups)
    if n == 1:
        d = groups[0]
        if len(d) == 12:
            return d[:8], "", d[8:], _CONF_COMPACT_12, "shape:compact-12"
        base = _CONF_COMPACT_10_LEADING_ZERO if d[0] == "0" else _CONF_COMPACT_10
        return d[:6], "", d[6:], base, "shape:compact-10"
    if len(groups[-1]) != 4:
        return None
    date_groups = tuple(len(g) for g in groups[:-1])
    if date_groups == _FOURS_DATE:
        # "1981 1228 9874": twelve digits in fours, as forms print cards and references (and as
        # gift-card and OCR numbers are written): scored as a space, so it needs a keyword or a field
        if w.plus or w.seps[0] != w.seps[1] or w.seps[0].strip() not in ("", "-"):
            return None
        return groups[0] + groups[1], "", groups[2], _CONF_SPACE, "shape:fours"
    if date_groups not in _DATE_SHAPES:
        return None
    last_sep = w.seps[-1].strip() or " "
    if last_sep not in ("-", "+", " ", ".", "/"):
        return None
    if last_sep == "." or last_sep == "/":
        # "811228.9874", "811228/9874": spec-invalid, seen in free text and old registers
        # (reference §1.2: "space, dots, extra dashes ... accept them with lower
        # confidence"): scored as a space, so it needs a keyword or a field hint (a date
        # and a sequence after a slash is also a case or journal number)
        if n > 2 or w.plus:
            return None
        return groups[0], "", groups[1], _CONF_SPACE, "shape:dot-separated" if last_sep == "." else "shape:slash-separated"
    if n > 2:
        if any(s.strip() not in ("", "-", ".", "/") for s in w.seps[:-1]):
            return None
        if w.plus:
            return None
        return "".join(groups[:-1]), last_sep if last_sep != " " else "", groups[-1], _CONF_SPLIT, "shape:split"
    if w.plus:
        return None
    if last_sep == " ":
        return groups[0], "", groups[1], _CONF_SPACE, "shape:space-separated"
    base = _CONF_DASHED_12 if len(groups[0]) == 8 else _CONF_DASHED_10
    return groups[0], last_sep, groups[1], base, "shape:dashed" if last_sep == "-" else "shape:plus"


# Digit counts of the windows match_window can use: the scanner offers no others.
WINDOW_DIGITS = frozenset({10, 12})


def window_wanted(nd: int, d0: str, sign: bool, comma: bool, giro: bool) -> bool:
    """Whether ``match_window`` can find anything in such a window (the contract: :class:`detectors.scan.Scanner`)."""
    return nd == 10 or (nd == 12 and d0 in "12")  # twelve digits: century 18, 19 or 20


def window_shape_wanted(lens: tuple[int, ...], comma: bool) -> bool:
    """Whether ``match_window`` can find anything in a window whose groups have these digit counts
    (the contract: :class:`detectors.scan.Scanner`): compact, or a date and four digits (:func:`_window_parts`)."""
    return len(lens) == 1 or (lens[-1] == 4 and (lens[:-1] in _DATE_SHAPES or lens[:-1] == _FOURS_DATE))


def match_window(w, ctx: Context) -> Iterator[Match]:  # noqa: ANN001 - scan.Window
    """Personnummer in one window of a digit run (see :mod:`detectors.scan`)."""
    nd = len(w.digits)
    if nd != 10 and nd != 12:
        return
    if nd == 12 and w.digits[:2] not in ("18", "19", "20"):
        return
    parts = _window_parts(w)
    if parts is None:
        return
    dpart, sep, tail, base, shape = parts
    try:
        canonical, subkind, birth = check(dpart, sep, tail, ctx.ref_year)
    except ValueError:
        return
    why = [shape, "rule:luhn+date"]
    if subkind == "samordningsnummer":
        why.append("rule:day+60")
    if not w.run_start and w.lead[-1:] in "-/" or not w.run_end and w.trail[:1] in "-/":
        base -= 0.2
        why.append("part-of-longer-code(-)")
    if w.trail.startswith(".0") and not w.trail[2:3].isdigit():
        why.append("repair:spreadsheet-float")
    if (
        nd == 12
        and sep == "-"
        and tail[:2] <= "23"
        and tail[2:] <= "59"
        and int(dpart[:4]) > ctx.ref_year - TIMESTAMP_RECENT_YEARS
    ):
        # "20240517-1345": a recent date and a time of day read as a stamp as well
        # (reference §6.2); the filters drop it beside a time word or in a file name
        base -= _AMBIGUOUS_STAMP
        why.append("ambiguous:date-time-stamp(-)")
    elif shape == "shape:split" and int(canonical[:4]) > ctx.ref_year - TIMESTAMP_RECENT_YEARS:
        # "Protokoll 2023-05-10-4180", "2025-09-26 0465 INFO": documents, reports and backups
        # number the items of a day after its date; with a recent date the split shape needs a
        # personnummer keyword or field, as a recent date-and-time stamp does (reference §6.2)
        base -= _AMBIGUOUS_STAMP
        why.append("ambiguous:recent-date-and-sequence(-)")
    # "(811228-9874)": a "(" that leads the run is not part of the number
    start = w.start + 1 if w.text[0] == "(" else w.start
    yield _score(canonical, subkind, birth, base, why, ctx, start, w.end)


_INTERIM = re.compile(r"([0-9]{6}(?:[0-9]{2})?)([-+]?)([" + INTERIM_LETTERS + r"][0-9]{3})")


def match_interim(t: str, start: int, end: int, ctx: Context) -> Iterator[Match]:
    """Interim numbers (``000101-T220``) found by the prefilter's interim branch."""
    m = _INTERIM.fullmatch(t, start, end)
    if not m:
        return
    dpart = m.group(1)
    if len(dpart) == 8 and dpart[:2] not in ("18", "19", "20"):
        return
    try:
        canonical, subkind, birth = check(dpart, m.group(2), m.group(3), ctx.ref_year)
    except ValueError:
        return
    yield _score(canonical, subkind, birth, 0.75, ["shape:interim", "rule:luhn+date+letter"], ctx, start, end)


# -- reservnummer (reference §1.7) ---------------------------------------------------
#
# Health care gives patients without a personnummer or samordningsnummer a reserve
# number. There is no national format: most are the birth date and four characters
# holding at least one letter and one digit (every §1.7 form has both; "811228-NNNN",
# "19811228-TEST" are placeholders) (national "19811228-AB12", VGR "19811228K071",
# Skåne "811228DA0B", Gävleborg "19811228-12M3", Västernorrland "19811228123R");
# two are digits only: Region Stockholm ``99`` + century + 8 digits, Inera/Halland a
# 12-digit date with day 32-59. None has a check digit, so they are read only after a
# reservnummer keyword or in a field named for them (the letter forms also in a
# personnummer field, where nothing else explains them).
RESERV_MARKERS = ("eserv", "ESERV")
RESERVNUMMER = re.compile(
    r"(?<![0-9A-Za-z])(?:"
    r"(?P<date>(?:18|19|20)[0-9]{6}|[0-9]{6})[-]?(?P<tail>(?=[0-9]{0,3}[A-Za-z])(?=[A-Za-z]{0,3}[0-9])[0-9A-Za-z]{4})"
    r"|(?P<sthlm>99(?:18|19|20)[0-9]{8})"
    r"|(?P<halland>(?:1[7-9]|20)[0-9]{2}(?:0[1-9]|1[0-2])(?:3[2-9]|[45][0-9])[0-9]{4})"
    r")(?![0-9A-Za-z])"
)
_RESERV_WORD = re.compile(r"reserv(?:e)?(?:[ -]?(?:nummer|numret|nr|no|number|id))")  # also English, definite
_RESERV_FIELD = re.compile(r"reserv_?(?:nummer|nr|no|id)")


def is_reserv_field(hint: str | None) -> bool:
    """A field named for reserve numbers (``reservnummer``, ``Reserv-nr``)."""
    return hint is not None and _RESERV_FIELD.search(hint.lower().replace("-", "_").replace(" ", "_")) is not None


def match_reserv(m: re.Match[str], ctx: Context, field: bool) -> Iterator[Match]:
    """A reservnummer (a match of :data:`RESERVNUMMER`) with its keyword before it or in a ``field`` named for it."""
    keyword = _RESERV_WORD.search(ctx.before[-32:]) is not None
    letters = m.group("tail") is not None
    if not (keyword or field or (letters and "personnummer" in ctx.hints)):
        return
    why = ["shape:reservnummer"]
    if letters:
        dpart, tail = m.group("date"), m.group("tail").upper()
        if tail.endswith("XX"):
            return  # a masked personnummer ("811228-XXXX", "811228-98XX"; reference §6), no reserve number
        if len(dpart) == 6:
            dpart = f"{_full_year(int(dpart[:2]), ctx.ref_year):04d}{dpart[2:]}"
        y, mo, d = int(dpart[:4]), int(dpart[4:6]), int(dpart[6:8])
        if not _real_date(y, mo, d) or y < 1800:
            return
        value = dpart + tail
        if tail[1:].isdigit():
            if tail[0] in INTERIM_LETTERS and luhn_checksum(dpart[2:] + "1" + tail[1:]) == 0:
                return  # an interim number: match_interim reports it
            if not (keyword or field):
                return  # an invalid interim number ("20000101E220", reference §1.10) unless named a reservnummer
        why.append("rule:date+letter")
        conf = 0.7
    else:
        value = m.group("sthlm") or m.group("halland")
        if not (keyword or field):
            return
        why.append("rule:stockholm-99" if m.group("sthlm") else "rule:halland-day-32-59")
        conf = 0.6
    if keyword:
        conf += 0.2
        why.append("context:reservnummer")
    if field:
        conf += 0.3
        why.append("hint:reservnummer")
    yield Match(KIND, "reservnummer", m.start(), m.end(), value, min(conf, 0.95), tuple(why))


# A number as a spreadsheet writes it: "198112289874.0"; in the Swedish locale with a decimal
# comma and thousands grouped by a space ("198112289874,00", "8 112 289 874", "198 112 289 874").
_FLOATISH = re.compile(r"([0-9]{9,12}|[0-9]{1,3}(?:[ ][0-9]{3}){2,3})(?:[.,]0+)?")
# Scientific notation as a spreadsheet writes a long number ("1.98112289874E+11",
# "1,98112289874E+11" in the Swedish locale).
# Only a mantissa that kept every digit (as many decimals as the exponent) is read:
# "1.98112E+11" lost six digits, and "1.9811228987E+11" may be 198112289870 or a
# number whose last digit was rounded away.
_SCIENTIFIC = re.compile(r"([1-9])[.,]([0-9]{8,11})[eE]\+?0?([0-9]{1,2})")


def _repaired_digits(t: str, start: int, end: int) -> tuple[str, str] | None:
    """The digits of a whole value of 9-12 digits, maybe a float ("198112289874.0") or in
    scientific notation with all its digits: (digits, the repair's reason or "")."""
    m = _FLOATISH.fullmatch(t, start, end)
    if m is not None:
        digits = m.group(1).replace(" ", "")
        if len(digits) < 9:
            return None
        return digits, "repair:spreadsheet-float" if m.group(0) != digits else ""
    m = _SCIENTIFIC.fullmatch(t, start, end)
    if m is None or len(m.group(2)) != int(m.group(3)):
        return None
    return m.group(1) + m.group(2), "repair:spreadsheet-scientific"


def match_whole(t: str, start: int, end: int, ctx: Context) -> Iterator[Match]:
    """Repairs for a whole value in a column hinted as personnummer or orgnr.

    Spreadsheets store ``198112289874.0`` or ``1.98112289874E+11`` and drop the
    leading zero of ``0501011233`` (born 2005). Only tried when the field name
    says so, or in a business-number column whose values are mostly a
    personnummer (:data:`NUMBERS_FROM_PNR`).
    In a payment-reference column whose references are built from a
    personnummer (:data:`REFERENCE_FROM_PNR`), the personnummer that leads a
    longer reference (``8112289874`` + invoice number + check digits).
    """
    if REFERENCE_FROM_PNR in ctx.hints:
        yield from _reference_prefix(t, start, end, ctx)
        return
    hints = ctx.hints
    if "personnummer" not in hints and "organisationsnummer" not in hints and NUMBERS_FROM_PNR not in hints:
        return
    got = _repaired_digits(t, start, end)
    if got is None:
        return
    d, repair = got
    why = ["hint-repair"]
    if len(d) == 9:
        d = "0" + d
        why.append("repair:lost-leading-zero")
    elif len(d) == 11 and d[0] in "89":  # 19xx/18xx lost? no: 11 digits cannot lose a leading zero
        return
    if repair:
        why.append(repair)
    if len(d) == 12 and d[:2] not in ("18", "19", "20"):
        return
    if len(d) not in (10, 12):
        return
    split = 8 if len(d) == 12 else 6
    try:
        canonical, subkind, birth = check(d[:split], "", d[split:], ctx.ref_year)
    except ValueError:
        return
    yield _score(canonical, subkind, birth, 0.6, why, ctx, start, end)


_BUSINESS_NUMBER = re.compile(r"[0-9]{9,25}")
_DASHED = re.compile(r"([0-9]{6}|[0-9]{8})([-+])([0-9]{4})")


def is_number_from_pnr(value: str, ref_year: int) -> bool | None:
    """For a business-number column's evidence (:data:`NUMBERS_FROM_PNR`): None if ``value``
    is neither an all-digit number of 9-25 digits (spreadsheet damage repaired) nor a
    dashed personnummer shape, else whether it is a personnummer or samordningsnummer.

    An organisationsnummer counts as a number, not as one built from a personnummer
    (so a customer column of mostly companies does not pass, and its persons'
    compact numbers stay lowered): 7 in 10 Luhn-valid 10-digit numbers are valid
    organisationsnummer, so counting them would let any order-number column with
    a Luhn check digit pass.

    >>> is_number_from_pnr("8112289874", 2026), is_number_from_pnr("1.98112289874E+11", 2026)
    (True, True)
    >>> is_number_from_pnr("5560360793", 2026), is_number_from_pnr("10023", 2026)
    (False, None)
    """
    v = value.strip()
    if not 9 <= len(v) <= 30 or not v[:1].isdigit():
        return None
    m = _DASHED.fullmatch(v)
    if m is not None:
        try:
            check(m.group(1), m.group(2), m.group(3), ref_year)
        except ValueError:
            return False
        return True
    got = _repaired_digits(v, 0, len(v))
    if got is None:
        if _BUSINESS_NUMBER.fullmatch(v) is None or not v.isascii():
            return None
        return False
    d = got[0]
    if len(d) == 9:
        d = "0" + d
    if len(d) not in (10, 12):
        return False
    return _compact_start(d, len(d), ref_year) is not None


# A payment reference: 2-25 digits (reference §3.8); one longer than a personnummer may start with one.
_REFERENCE = re.compile(r"[0-9]{11,25}")


def _compact_start(digits: str, n: int, ref_year: int) -> tuple[str, str, int] | None:
    """``check`` of the compact personnummer in the first ``n`` (10 or 12) of ``digits``, or None."""
    if len(digits) < n or (n == 12 and digits[:2] not in ("18", "19", "20")):
        return None
    try:
        return check(digits[: n - 4], "", digits[n - 4 : n], ref_year)
    except ValueError:
        return None


def reference_prefix(digits: str, ref_year: int) -> tuple[int, str, str, int] | None:
    """The personnummer that starts a reference of 11-25 digits: (its digit count, canonical, subkind, birth).

    The 12-digit form is tried first (``19811228987401...``), then the 10-digit one.
    """
    if _REFERENCE.fullmatch(digits) is None:
        return None
    for n in (12, 10):
        got = _compact_start(digits, n, ref_year) if len(digits) > n else None
        if got is not None:  # all digits: never an interim number
            return (n, *got)
    return None


def is_reference_with_pnr(value: str, ref_year: int) -> bool | None:
    """For a column's evidence: None if ``value`` is no all-digit reference of 10-25 digits,
    else whether a personnummer (the whole value, or its start) is in it."""
    if not (10 <= len(value) <= 25) or not value.isdigit() or not value.isascii():
        return None
    if len(value) in (10, 12) and _compact_start(value, len(value), ref_year) is not None:
        return True
    return reference_prefix(value, ref_year) is not None


def _reference_prefix(t: str, start: int, end: int, ctx: Context) -> Iterator[Match]:
    found = reference_prefix(t[start:end], ctx.ref_year)
    if found is None:
        return
    n, canonical, subkind, birth = found
    base = _CONF_COMPACT_12 if n == 12 else _CONF_COMPACT_10
    yield _score(canonical, subkind, birth, base, ["shape:reference-prefix", "rule:luhn+date"], ctx, start, start + n)


def find(text: str, hint: str | None = None, ref_date: date | None = None) -> list[Match]:
    """Personnummer, samordningsnummer and interim numbers in ``text``.

    >>> [(m.value, m.subkind) for m in find("Pnr: 701063-2391", ref_date=date(2026, 1, 1))]
    [('197010632391', 'samordningsnummer')]
    """
    from detectors.scan import find_all

    return find_all(text, hint=hint, ref_date=ref_date, kinds=(KIND,))


# -- a personnummer kept in two fields: the birth date and the last four digits ---------------------
#
# Systems that "do not store the personnummer" often keep it as a birth date and "de fyra sista": the
# two fields of one record give the whole number back (the reference's §1.1 structure: date, serial,
# check digit), and it is personal data as much as the number written out.

_BIRTH_FIELD = re.compile(
    r"(?i)(?:f[öo]d(?:d|else|elsedag|elsedatum|datum|dat)?(?:$|[^a-zåäö])|f[öo]delse|birth|\bdob\b|bdate|f_?dat\b)"
)
_LAST_FOUR_FIELD = re.compile(
    r"(?i)(?:sista[ _-]?(?:4|fyra)|fyra[ _-]?sista|4[ _-]?sista|last[ _-]?(?:4|four)|(?:pnr|ssn|personnr|personnummer)"
    r"[ _-]?(?:4|last|sista|suffix|tail)|kontrollsiffr|personnummersuffix|pnr_?suffix)"
)
_BIRTH_VALUE = re.compile(r"((?:1[89]|20)[0-9]{2})-?([01][0-9])-?([0-3][0-9])(?:[ T][0-9:.]+)?|([0-9]{2})([01][0-9])([0-3][0-9])")
_LAST_FOUR_VALUE = re.compile(r"\s*(?:-\s*)?([0-9]{4})\s*")


_BIRTH_PLACE = re.compile(r"(?i)ort|land|plats|place|country|city|stad|nation|förs|fors")


def is_birth_date_field(name: str) -> bool:
    """A field named for a birth date (``födelsedatum``, ``fodd``, ``birth_date``, ``dob``), not a place."""
    return _BIRTH_FIELD.search(name) is not None and _LAST_FOUR_FIELD.search(name) is None and (
        _BIRTH_PLACE.search(name) is None)


def is_last_four_field(name: str) -> bool:
    """A field named for a personnummer's last four digits (``sista4``, ``fyra_sista``, ``pnr_last4``)."""
    return _LAST_FOUR_FIELD.search(name) is not None


def join_birth_date_and_last_four(birth: str, four: str, ref_date: date | None = None) -> Match | None:
    """The personnummer a birth-date field and a last-four field of one record make together, or None.

    The match spans the four digits (offsets index ``four``); its value is the
    12-digit canonical form, the century from the date's year where it is
    written (else inferred as for a 10-digit number). The check digit must hold.

    >>> m = join_birth_date_and_last_four("1981-12-28", "9874")
    >>> m.value, m.start, m.end
    ('198112289874', 0, 4)
    >>> join_birth_date_and_last_four("1981-12-28", "9875") is None
    True
    """
    b = _BIRTH_VALUE.fullmatch(birth.strip())
    f = _LAST_FOUR_VALUE.fullmatch(four)
    if b is None or f is None:
        return None
    # the date's digits: eight where its year is written whole, else six (the century inferred)
    date_digits = "".join(b.group(1, 2, 3)) if b.group(1) else "".join(b.group(4, 5, 6))
    try:
        value = validate(f"{date_digits}-{f.group(1)}", ref_date)
    except ValueError:
        return None
    if int(value[6:8]) > 31:
        return None  # a birth date field holds the real day: no samordningsnummer
    s, e = f.span(1)
    return Match(KIND, "personnummer", s, e, value, 0.85, ("shape:split-fields", "rule:luhn+date"),
                 is_test_number(value, ref_date))
