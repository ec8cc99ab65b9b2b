"""Phone number (telefonnummer), Swedish numbering plan first.

Swedish numbers are assigned by PTS (Post- och telestyrelsen) as a trunk
prefix ``0`` plus a national significant number (NSN) of mostly 9 digits:
https://pts.se/sv/bransch/telefoni/nummer-och-adressering/ . The country code
is +46 and the international prefix ``00``. Numbers of other countries are
found when written internationally (``+44 20 7946 0958``, ``0049 30 123456``).

Validity is decided by ``phonenumbers`` (Google's libphonenumber metadata,
which tracks the PTS plan) with region ``SE`` and ``is_valid_number``: the
number must fall in an assigned range of a known type. The looser "possible
number" test is never used: it accepts personnummer, dates and bankgiro
numbers. A cheap pre-check with the same metadata patterns rejects most digit
runs before the (slower) parser is called.

The canonical value is E.164 (``+46701234567``) for every written form. The
subkind is the number type: ``mobile``, ``fixed_line``, ``toll_free``,
``premium``, ``shared_cost``, ``voip``, ``personal``, ``uan``, ``pager``,
``voicemail``, or ``international`` for numbers of other countries. PTS's
numbers reserved for fiction (070-174 06 05...99 and four landline blocks) are
reported with ``test_data=True``.

Finding rules (see ``match_window``); confidence before context:

* ``+46 70 123 45 67``, ``+46701234567``, ``+46 (0)70-...``, ``+46 (70) 123 45 67``: 0.85 (0.8 abroad);
  ``0046 70 123 45 67``: 0.8, ``0046701234567``: 0.7.
* Grouped the Swedish way, the first group being the trunk zero and the area
  code or mobile prefix (``070-123 45 67``, ``08-123 456 78``, ``(08) 123 456
  78``, ``0980-123 45``): 0.85. Other short first groups (``0701-23 45 67``):
  0.6. A long first group (``070123-4567``, the shape of a personnummer):
  0.3, below the reporting threshold.
* Compact ``0701234567``: 0.6 (mobile), ``0812345678``: 0.55 (other types).
  Decision: reported, since a compact number is the commonest form in
  databases; an order, invoice, reference, OCR, time or personnummer keyword
  before it takes 0.4 off (below the threshold), a phone keyword adds 0.2, a
  phone field hint 0.3. It is also a valid personnummer for 0.6-0.9 % of
  numbers (reference §6.3): then both are reported. The compound label of
  another number right before it (``Kundnummer``, ``Medlemsnr``, ``Kund-id``;
  reference §6.4) takes 0.15 off.
* ``46701234567`` (country code without ``+``, 11 digits, mobile or
  Stockholm only): 0.45, so it needs a keyword or a field hint.
* A lost leading zero (``701234567``, ``701234567.0``): only in a column
  hinted as a phone column (0.35 + 0.3), only a bare digit run that is the
  whole value, and only into a mobile or geographic number (not
  ``20240001`` toll-free, ``900123456`` premium, ``5402-9681``). Seven-digit
  numbers (``8123456`` is a valid Stockholm number) are never repaired.

Not searched (``validate`` accepts them): national toll-free numbers of 7
digits (``020-12 34``) and 13-digit voicemail numbers; 071 M2M numbers are
invalid in phonenumbers and stay unreported. Dates (``08-12-2024``,
``08.12.2024``), times (``08.30-09.15``), opening hours (``0800-1700``) and windows joined to more digits by
a tight ``-``, ``.`` or ``/`` are rejected before any parsing.

>>> validate('070-123 45 67')
'+46701234567'
>>> validate('+46 (0)8-123 456 78')
'+46812345678'
>>> validate('0046 70 123 45 67')
'+46701234567'
>>> format('+46701234567')
'070-123 45 67'
>>> format('+442079460958')
'+44 20 7946 0958'
>>> is_valid('071-123 45 67')
False
>>> subkind('020-12 34 56')
'toll_free'
>>> [(m.value, m.subkind) for m in find('Ring mig på 070-123 45 67!')]
[('+46701234567', 'mobile')]
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date
from functools import lru_cache
from typing import TYPE_CHECKING

import phonenumbers
from phonenumbers import PhoneMetadata
from phonenumbers import NumberParseException, PhoneNumberFormat, PhoneNumberType

from detectors.normalize import normalize
from detectors.base import InvalidComponent, InvalidFormat, InvalidLength, Match
from detectors.context import first_near_before, keyword_line_ok, mentions, near_before

if TYPE_CHECKING:
    from detectors.base import Context
    from detectors.scan import Window

KIND = "phone"
PERSONAL = True
REGION = "SE"

_SUBKINDS = {
    PhoneNumberType.FIXED_LINE: "fixed_line",
    PhoneNumberType.MOBILE: "mobile",
    PhoneNumberType.FIXED_LINE_OR_MOBILE: "fixed_line",
    PhoneNumberType.TOLL_FREE: "toll_free",
    PhoneNumberType.PREMIUM_RATE: "premium",
    PhoneNumberType.SHARED_COST: "shared_cost",
    PhoneNumberType.VOIP: "voip",
    PhoneNumberType.PERSONAL_NUMBER: "personal",
    PhoneNumberType.UAN: "uan",
    PhoneNumberType.PAGER: "pager",
    PhoneNumberType.VOICEMAIL: "voicemail",
}

# PTS numbers for use in books and films (reference §2.3): E.164 prefix, and
# the range of the last two digits.
_FICTION: tuple[tuple[str, int, int], ...] = (
    ("+467017406", 5, 99),  # 070-174 06 05 ... 070-174 06 99
    ("+468465004", 0, 99),  # 08-465 004 00 ... 99
    ("+463139006", 0, 99),  # 031-390 06 00 ... 99
    ("+464062804", 0, 99),  # 040-628 04 00 ... 99
    ("+469803192", 0, 99),  # 0980-31 92 00 ... 99
)
# Ofcom's numbers for drama (the British counterpart, as in Swedish text about a UK
# contact): E.164 prefixes followed by any three digits. phonenumbers calls the mobile
# range invalid, so it is accepted here by name.
_FICTION_UK_MOBILE = "+447700900"  # 07700 900000 ... 900999
_FICTION_ABROAD = (_FICTION_UK_MOBILE, "+442079460")  # and London 020 7946 0000 ... 0999

_FOUR_DIGIT_PREFIX_OK = frozenset({"shared_cost", "premium", "personal", "voicemail"})

_SEPARATORS = re.compile(r"[ ./()\-]")
_BOUNDARY_SEP = " -/.+()"

# Confidence before context (see the module docstring).
_C_PLUS_SE = 0.85
_C_PLUS_OTHER = 0.8
_C_00_SE = (0.7, 0.8)  # (compact, grouped)
_C_00_OTHER = (0.55, 0.75)
_C_46 = (0.45, 0.6)  # "46701234567": no plus, easily an order number
_C_GROUPED = 0.85  # "070-123 45 67": area code, then the subscriber number
_C_GROUPED_ODD = 0.6  # "0701-23 45 67": short first group, unusual split
_C_NOT_PHONE_SHAPE = 0.3  # "070123-4567": the shape of a personnummer
_C_COMPACT_MOBILE = 0.6
_C_COMPACT = 0.55  # "0812345678": as likely an order or customer number
_C_LOST_ZERO = 0.35  # "701234567" in a phone column (+ hint)

_KEYWORD = 0.2
_KEYWORD_AFTER = 0.1
_HINT = 0.3
_NEGATIVE = 0.4
_OTHER_HINT = 0.3

_NEGATIVE_KINDS = ("order", "reference", "time", "personnummer", "bank_account", "bankgiro", "plusgiro")
_OTHER_HINTS = frozenset(
    {"personnummer", "organisationsnummer", "bank_account", "bankgiro", "plusgiro", "payment_card", "not_personal"}
)
# Words that say "number" without saying of what: they decide nothing when a
# phone keyword and a negative keyword both stand before a candidate.
_GENERIC_WORDS = frozenset({"nr", "no", "nummer", "number", "num", "id", "at", "på", "till", "on", "to"})
_WORD = re.compile(r"[a-zåäöéü]+")
# A compound label of some other number right before the candidate: "Kundnummer",
# "Medlemsnr", "Kund-id", "Biljettnummer", "Mätarnummer" (reference §6.4: customer
# and order numbers that start with 0 read as valid phone numbers). Its first part
# is no phone word ("Telefonnummer", "Mobilnr", "Kontaktnummer" are phone labels).
_NUMBER_LABEL = re.compile(
    r"(?<![a-zåäöéü])([a-zåäöéü]{3,}?)(?:-?(?:nummer|numret|nr)|-id|(?<=s|d)id)"
    r"(?:[ \t]+(?:är|blir|is))?[ \t.:#=]*(?:\r?\n[ \t]*)?\Z"
)  # at the end of the line before too ("Kundnummer:\n0701234567"), as a keyword (context._TAIL)
# "id" only after a hyphen, the linking s or a d ("Kund-id", "Medlemsid", "Kundid"):
# not the end of a name (Ingrid, Astrid, David, Sigrid) nor of Android.
_LABEL_ENDS = ("nummer", "numret", "nr", "id", " är", " blir", " is")  # what a _NUMBER_LABEL match ends with
_PHONE_LABEL_WORDS = frozenset({"privat", "jobb", "bostad", "nöd", "kontor"})
_NUMBER_LABEL_PENALTY = 0.15
_PHONE_AFTER = re.compile(r"^[ ,;]*[(\[]?(?:mobil|mob|hem|arb|tel|tfn|växel|direkt|fax|cell|mobile|home|work)\b")


# -- the checking half ---------------------------------------------------------------


def compact(number: str) -> str:
    """Remove separators, a ``tel:`` prefix and an ``(0)`` after the country code.

    >>> compact(' +46 (0)70-123 45 67 ')
    '+46701234567'
    >>> compact('tel:08/123 456 78')
    '0812345678'
    """
    s = number.strip()
    if s[:4].lower() == "tel:":
        s = s[4:].strip()
    if s.startswith(("+", "00", "(+")):
        s = s.replace("(0)", "", 1)
    return _SEPARATORS.sub("", s)


def _candidate(number: str) -> str:
    """The string handed to phonenumbers: ``+digits`` or national digits."""
    s = compact(number)
    digits = s[1:] if s.startswith("+") else s
    if not digits or not (digits.isascii() and digits.isdigit()):
        raise InvalidFormat()
    if not 7 <= len(digits) <= 17:
        raise InvalidLength()
    if s.startswith("+"):
        return s
    if digits.startswith("00"):
        return "+" + digits[2:]
    return digits


@lru_cache(maxsize=1)
def _se_plan() -> tuple[re.Pattern[str], frozenset[int], tuple[tuple[str, re.Pattern[str], frozenset[int]], ...]]:
    """Sweden's numbering plan from phonenumbers' own metadata, compiled once.

    The same descriptions, in the same order, that ``phonenumbers.number_type``
    walks; matching them directly skips the parser's generic machinery, which
    costs ~200 µs a number. Equivalence with ``is_valid_number`` is tested.
    """
    md = PhoneMetadata.metadata_for_region(REGION)
    assert md is not None and md.general_desc is not None

    def lengths(desc) -> frozenset[int]:  # noqa: ANN001
        return frozenset(desc.possible_length or ())

    order = (
        ("premium", md.premium_rate), ("toll_free", md.toll_free), ("shared_cost", md.shared_cost),
        ("voip", md.voip), ("personal", md.personal_number), ("pager", md.pager), ("uan", md.uan),
        ("voicemail", md.voicemail), ("fixed_line", md.fixed_line), ("mobile", md.mobile),
    )
    types = tuple(
        (name, re.compile(desc.national_number_pattern), lengths(desc))
        for name, desc in order
        if desc is not None and desc.national_number_pattern
    )
    return re.compile(md.general_desc.national_number_pattern or ""), lengths(md.general_desc), types


def _se_type(nsn: str) -> str | None:
    """The subkind of a Swedish national significant number, or None if invalid."""
    general, general_lengths, types = _se_plan()
    if general_lengths and len(nsn) not in general_lengths:
        return None
    if not general.fullmatch(nsn):
        return None
    for name, rx, lens in types:
        if lens and len(nsn) not in lens:
            continue
        if rx.fullmatch(nsn):
            return name
    return None


@lru_cache(maxsize=4096)
def _lookup(candidate: str) -> tuple[str, str] | None:
    """(E.164, subkind) of a valid number, or None.

    A pure function of its argument; the cache only saves work for numbers
    that repeat (the same customer in many rows). Swedish numbers in the
    usual forms (``+46…``, ``0…``) are matched against the plan directly.
    """
    if candidate.startswith("+46") or (candidate.startswith("0") and not candidate.startswith("00")):
        nsn = candidate[3:] if candidate.startswith("+") else candidate[1:]
        if nsn.isdigit() and not nsn.startswith("0"):
            kind = _se_type(nsn)
            return ("+46" + nsn, kind) if kind else None
    if candidate.startswith(_FICTION_UK_MOBILE) and len(candidate) == 13 and candidate[1:].isdigit():
        return candidate, "international"  # not valid to phonenumbers: reserved for drama
    try:
        n = phonenumbers.parse(candidate, REGION)
    except NumberParseException:
        return None
    if not phonenumbers.is_valid_number(n):
        return None
    e164 = phonenumbers.format_number(n, PhoneNumberFormat.E164)
    if n.country_code != 46:
        return e164, "international"
    return e164, _SUBKINDS.get(phonenumbers.number_type(n), "fixed_line")


# Two-digit area codes (reference §2.1); 08 has one digit, all others three.
_AREAS_2 = frozenset(
    "11 13 16 18 19 21 23 26 31 33 35 36 40 42 44 46 54 60 63 90".split()
)


def _area_code_length(nsn: str) -> int:
    """Digits of the area code of a Swedish fixed-line NSN: 1 (Stockholm), 2 or 3.

    Equal to phonenumbers' ``length_of_national_destination_code`` for every
    valid fixed-line number (tested), at no parsing cost.
    """
    if nsn[0] == "8":
        return 1
    return 2 if nsn[:2] in _AREAS_2 else 3


def validate(number: str) -> str:
    """Check a phone number and return it in E.164 form.

    National numbers are read as Swedish. As in phonenumbers, a number
    written without its trunk zero (``701234567``) or with the country code
    but no ``+`` (``46701234567``) is read as Swedish too: ``find()`` only
    reports those with a field hint or a keyword.

    >>> validate('08/123 456 78')
    '+46812345678'
    >>> validate('070-12345678')
    Traceback (most recent call last):
    ...
    detectors.base.InvalidComponent: the number is not in an assigned range of the numbering plan
    """
    if isinstance(number, str) and not number.isascii():
        number = normalize(number).text  # NBSP, en dash, full-width digits as find() reads them
    cand = _candidate(number)
    info = _lookup(cand)
    if info is not None:
        return info[0]
    try:
        n = phonenumbers.parse(cand, REGION)
    except NumberParseException:
        raise InvalidFormat() from None
    reason = phonenumbers.is_possible_number_with_reason(n)
    if reason in (
        phonenumbers.ValidationResult.TOO_SHORT,
        phonenumbers.ValidationResult.TOO_LONG,
        phonenumbers.ValidationResult.INVALID_LENGTH,
    ):
        raise InvalidLength()
    if reason == phonenumbers.ValidationResult.INVALID_COUNTRY_CODE:
        raise InvalidComponent("unknown country code")
    raise InvalidComponent("the number is not in an assigned range of the numbering plan")


def is_valid(number: str) -> bool:
    """Whether ``number`` is a valid phone number; never raises."""
    try:
        return bool(validate(number))
    except Exception:  # noqa: BLE001 - is_valid never raises
        return False


def subkind(number: str) -> str:
    """The number type: ``mobile``, ``fixed_line``, ... or ``international``."""
    info = _lookup(_candidate(number))
    if info is None:
        validate(number)  # raises the precise error
        raise InvalidComponent()  # pragma: no cover
    return info[1]


def format(number: str) -> str:  # noqa: A001 - the stdnum name
    """Swedish numbers in the national style (``070-123 45 67``), others internationally."""
    e164 = validate(number)
    n = phonenumbers.parse(e164, None)
    style = PhoneNumberFormat.NATIONAL if n.country_code == 46 else PhoneNumberFormat.INTERNATIONAL
    return phonenumbers.format_number(n, style)


@lru_cache(maxsize=4096)
def is_fiction(e164: str) -> bool:
    """Whether an E.164 number is one PTS reserves for books and films (or Ofcom for drama).

    Cached: a pure function, asked for every phone number found, and numbers recur.

    >>> is_fiction('+46701740605'), is_fiction('+46701740604'), is_fiction('+46846500412')
    (True, False, True)
    >>> is_fiction('+447700900123'), is_fiction('+447700800123')
    (True, False)
    """
    if e164.startswith(_FICTION_ABROAD):
        return len(e164) == 13
    if len(e164) < 11 or not e164.startswith("+46"):
        return False
    for prefix, lo, hi in _FICTION:
        if e164.startswith(prefix) and len(e164) == len(prefix) + 2:
            return lo <= int(e164[-2:]) <= hi
    return False


@lru_cache(maxsize=1)
def _se_nsn_pattern() -> re.Pattern[str]:
    """The union of the SE number-type patterns of the phonenumbers metadata.

    A fullmatch says what ``is_valid_number`` will say for a Swedish NSN,
    at a fraction of the cost of parsing.
    """
    md = phonenumbers.PhoneMetadata.metadata_for_region(REGION)
    assert md is not None  # shipped with phonenumbers
    parts = []
    for desc in (
        md.fixed_line,
        md.mobile,
        md.toll_free,
        md.premium_rate,
        md.shared_cost,
        md.personal_number,
        md.voip,
        md.pager,
        md.uan,
        md.voicemail,
    ):
        if desc is not None and desc.national_number_pattern:
            parts.append("(?:" + desc.national_number_pattern + ")")
    return re.compile("|".join(parts).replace(r"\d", "[0-9]"))


@lru_cache(maxsize=4096)
def _se_nsn_ok(nsn: str) -> bool:
    """Whether ``nsn`` is in an assigned range (cached: the same numbers recur in a mailbox)."""
    return _se_nsn_pattern().fullmatch(nsn) is not None


# -- the finding half ----------------------------------------------------------------


def find(text: str, hint: str | None = None, ref_date: date | None = None) -> list[Match]:
    """Phone numbers in ``text``.

    >>> [m.value for m in find('Tel: 08-123 456 78, fax +46 8 123 456 79')]
    ['+46812345678', '+46812345679']
    """
    from detectors.scan import find_all

    return find_all(text, hint=hint, ref_date=ref_date, kinds=(KIND,))


# Digit counts of the windows match_window can use: the scanner offers no others.
WINDOW_DIGITS = frozenset(range(8, 18))


def window_wanted(nd: int, d0: str, sign: bool, comma: bool, giro: bool) -> bool:
    """Whether ``match_window`` can find anything in such a window (the contract: :class:`detectors.scan.Scanner`)."""
    # "+...", "(+...", trunk or international prefix "0...", "46..." (11 digits);
    # a lost leading zero only in a hinted column
    return sign or d0 == "0" or (d0 == "4" and nd == 11)


def window_shape_wanted(lens: tuple[int, ...], comma: bool) -> bool:
    """Whether ``match_window`` can find anything in a window whose groups have these digit counts
    (the contract: :class:`detectors.scan.Scanner`): phone numbers are grouped every way."""
    return True


def match_window(w: Window, ctx: Context) -> Iterator[Match]:
    """Phone numbers in one window of a digit run (the hot path).

    The digit count, the first digits and the separators reject nearly every
    window before the metadata pre-check; phonenumbers parses only the few
    windows that pass it.
    """
    d = w.digits
    n = len(d)
    if n < 8 or n > 17:
        return
    plus = w.plus or (w.run_start and w.text[:2] == "(+")
    c0 = d[0]
    if plus:
        route = "plus"
    elif c0 == "0":
        if d[1] == "0":
            route = "00"
        elif n <= 10:
            route = "national"
        else:
            return
    elif c0 == "4" and n == 11 and d[1] == "6" and (d[2] == "7" or d[2] == "8"):
        route = "46"
    elif n <= 9 and ctx.whole and len(w.groups) == 1 and "phone" in ctx.hints:
        route = "lost_zero"  # a bare digit run that is the whole value (reference §6.9)
    else:
        return
    penalty = _boundary_penalty(w)
    if penalty is None or not _separators_ok(w):
        return
    if route == "national":
        found = _national(w)
    elif route == "lost_zero":
        found = _lost_zero(w)
    else:
        found = _international(w, route)
    if found is None:
        return
    e164, sub, conf, why = found
    start = w.start
    if w.text[0] == "(" and not (w.seps and w.seps[0][:1] == ")"):
        start += 1  # "(0701234567)": the parenthesis is not part of the number
    yield _finish(start, w.end, e164, sub, conf - penalty, why, ctx)


def match_whole(t: str, start: int, end: int, ctx: Context) -> Iterator[Match]:
    """Repair a whole value of a phone column that went through a float:
    ``701234567.0`` (the trunk zero lost as well) or ``46701234567.0``.

    The span covers the digits without the ``.0``. A lost leading zero
    without ``.0`` is repaired by ``match_window`` (it sees the whole value).
    """
    if "phone" not in ctx.hints:
        return
    s = t[start:end]
    if not s.endswith(".0"):
        return
    s = s[:-2]
    if not (s.isascii() and s.isdigit()) or not 8 <= len(s) <= 11 or s[0] == "0":
        return
    why: tuple[str, ...]
    if len(s) == 11:
        if not s.startswith("46") or not _se_nsn_ok(s[2:]):
            return
        info = _lookup("+" + s)
        why, conf = ("repair:float", "shape:46-no-plus"), _C_46[0]
    elif len(s) <= 9:
        info = _lost_zero_lookup(s)
        why, conf = ("repair:float", "repair:lost-leading-zero"), _C_LOST_ZERO
    else:
        return
    if info is None:
        return
    yield _finish(start, start + len(s), info[0], info[1], conf, why, ctx)


def _list_neighbour(near: str) -> bool:
    """Whether the text beside a tight "/" reads as another whole phone number (5+ of its
    7 nearest characters digits, the nearest one a digit), not an area code ("08/123 456 78"),
    a year or a short suffix."""
    digits = sum(c.isdigit() for c in near)
    return digits >= 5 and (near[-1:].isdigit() or near[:1] in ("0", "+"))


_FOUR_BEFORE = re.compile(r"(?<![0-9])[0-9]{4} \Z")
_FOUR_AFTER = re.compile(r" [0-9]{1,4}(?![0-9])")


def _inside_groups_of_four(w: Window) -> bool:
    """Whether the window is a piece of a longer run printed in groups of four split by
    single spaces (``4758 0900 3242 5446``, ``1234 0701 2345 67``: an OCR, contract or
    card-like reference), its own groups four digits too (the run's last may be shorter)."""
    groups = w.groups
    # (the first group first: it rules out nearly every window)
    if len(groups) < 2 or len(groups[0]) != 4 or any(s != " " for s in w.seps) or any(len(g) != 4 for g in groups[:-1]):
        return False
    if len(groups[-1]) != 4 and not w.run_end:
        return False
    if not w.run_start and _FOUR_BEFORE.search(w.lead) is not None:
        return True
    return not w.run_end and _FOUR_AFTER.match(w.trail) is not None


def _boundary_penalty(w: Window) -> float | None:
    """None when the window is clearly a piece of a longer number, else a penalty.

    ``2024-0701234567`` or ``0701234567-12`` (a tight separator joining the
    window to more digits) are part of something else, and so is a piece of a
    run printed in groups of four (``4758 0900 3242 5446``); a single space before
    or after more digits lowers confidence; a spaced list separator
    (``08-123 456 78 / 070-123 45 67``) does not.
    """
    if not (w.run_start and w.run_end) and _inside_groups_of_four(w):
        return None
    penalty = 0.0
    spaced = " " in w.seps
    if not w.run_start:
        lead = w.lead
        rest = lead.rstrip(_BOUNDARY_SEP)
        sep = lead[len(rest) :]
        if sep == " ":
            # "0701234567 8112289874" is two numbers; "1 070 123 45 67" may be one
            if spaced or len(rest) - len(rest.rstrip("0123456789")) <= 3:
                penalty += 0.1
        elif sep == "/" and w.text[0] in "0+" and _list_neighbour(rest[-7:]):
            # the second of two numbers ("0701234567/0812345678"); the start of the first is
            # out of sight ("1234567/0701234567" may be an order number and a phone)
            penalty += 0.15
        elif sep[:1] != " " or sep[-1:] != " ":
            return None
    if not w.run_end:
        trail = w.trail
        rest = trail.lstrip(_BOUNDARY_SEP)
        sep = trail[: len(trail) - len(rest)]
        if sep == " ":
            if spaced or len(rest) - len(rest.lstrip("0123456789")) <= 3:
                penalty += 0.15
        elif sep == "/" and rest[:1] in ("0", "+") and _list_neighbour(rest[:7]):
            penalty += 0.1  # the first of two numbers: "0701234567/0812345678"
        elif sep[:1] != " " or sep[-1:] != " ":
            if not sep.startswith(")"):
                return None
            penalty += 0.1
    return penalty


def _separators_ok(w: Window) -> bool:
    """Reject separators no phone number uses, and dates and times."""
    seps = w.seps
    if not seps:
        return True
    groups = w.groups
    for k, sep in enumerate(seps):
        if "+" in sep:
            return False  # "811228+9874"
        if "(" in sep:
            # the trunk "(0)" after a country code ("+46 (0)70"), or the area code in
            # parentheses right after it ("+46 (70) 123 45 67", "+46(8)12345678")
            if not (k + 1 < len(seps) and seps[k + 1].startswith(")")):
                return False
            if not (groups[k + 1] == "0" or (k == 0 and (w.plus or groups[0][:2] == "00"))):
                return False
        elif ")" in sep:
            # closes "(08) 123", "+46 (0)70" or "+46 (70)"
            if not ((k == 0 and w.text[0] == "(") or (k > 0 and "(" in seps[k - 1])):
                return False
    if len(groups) == 3:
        s0, s1 = seps[0].strip(), seps[1].strip()
        if s0 == s1 and s0 in ("-", "/", "."):
            lens = (len(groups[0]), len(groups[1]), len(groups[2]))
            if lens in ((2, 2, 4), (2, 2, 2), (4, 2, 2)):
                return False  # "08-12-2024", "08.12.24"
    if ("." in w.text or ":" in w.text) and any(s.strip() in (".", ":") for s in seps) and all(len(g) == 2 for g in groups):
        return False  # "08.30-09.15"
    if len(groups) == 2 and len(groups[0]) == 4 and len(groups[1]) == 4 and seps[0].strip() == "-":
        if _hhmm_range(groups[0], groups[1]):
            return False  # opening hours "0800-1700", "0900 - 1630"
    return True


def _hhmm_range(a: str, b: str) -> bool:
    """Whether ``a-b`` reads as a range of times of day in whole five minutes (``0800-1700``)."""
    ha, ma, hb, mb = int(a[:2]), int(a[2:]), int(b[:2]), int(b[2:])
    return ha <= 23 and hb <= 24 and ma <= 55 and mb <= 55 and ma % 5 == 0 and mb % 5 == 0 and a < b


def _national(w: Window) -> tuple[str, str, float, tuple[str, ...]] | None:
    d = w.digits
    if not _se_nsn_ok(d[1:]):
        return None
    info = _lookup(d)
    if info is None:
        return None
    e164, sub = info
    groups = w.groups
    if len(groups) == 1:
        conf = _C_COMPACT_MOBILE if sub == "mobile" else _C_COMPACT
        return e164, sub, conf, ("shape:compact",)
    if groups[0] == "0":  # "(0)8-123 456 78"
        area, rest = "0" + groups[1], groups[2:]
    else:
        area, rest = groups[0], groups[1:]
    a = len(area)
    rest_ok = all(len(g) >= 2 for g in rest)
    if sub == "fixed_line":
        good_area = a == 1 + _area_code_length(d[1:])  # 08, 031, 0980
    else:
        # 070, 020, 010; 0771-793 336 and 0900-123 456 are written with four
        good_area = a == 3 or (a == 4 and sub in _FOUR_DIGIT_PREFIX_OK)
    if good_area and rest_ok:
        return e164, sub, _C_GROUPED, ("shape:grouped",)
    if a <= 4 and rest_ok:
        return e164, sub, _C_GROUPED_ODD, ("shape:grouped-unusual",)
    return e164, sub, _C_NOT_PHONE_SHAPE, ("shape:not-phone-grouping",)


def _international(w: Window, route: str) -> tuple[str, str, float, tuple[str, ...]] | None:
    groups = w.groups
    body = w.digits
    if route == "00":
        body = body[2:]
    # drop the trunk "(0)" of "+46 (0)70-123 45 67"
    if "(0" in w.text and len(groups) > 2:
        for k in range(1, len(groups) - 1):
            if groups[k] == "0" and "(" in w.seps[k - 1]:
                body = "".join(groups[:k] + groups[k + 1 :])
                if route == "00":
                    body = body[2:]
                break
    if not 8 <= len(body) <= 15 or body[0] == "0":
        return None
    compact_form = len(groups) == 1
    if body.startswith("46"):
        nsn = body[2:]
        if nsn[:1] == "0":  # "+46 070 123 45 67": the trunk zero written by mistake
            nsn = nsn[1:]
        if not _se_nsn_ok(nsn):
            return None
        info = _lookup("+46" + nsn)
    elif route == "46":
        return None
    else:
        info = _lookup("+" + body)
    if info is None:
        return None
    e164, sub = info
    se = sub != "international"
    if route == "plus":
        return e164, sub, _C_PLUS_SE if se else _C_PLUS_OTHER, ("shape:plus",)
    if route == "00":
        c = _C_00_SE if se else _C_00_OTHER
        return e164, sub, c[0] if compact_form else c[1], ("shape:00",)
    # route "46": grouped as "46 70 123 45 67" is more telling than compact digits
    conf = _C_46[0] if compact_form else (_C_46[1] if groups[0] == "46" else _C_46[0] - 0.05)
    return e164, sub, conf, ("shape:46-no-plus",)


# What a lost leading zero is repaired into: a spreadsheet drops the zero of the
# customers' own numbers. A toll-free, premium, shared-cost or other service number
# from a bare 8-9 digit value (20240001, 900123456) is more likely a code or a date.
_LOST_ZERO_SUBKINDS = frozenset({"mobile", "fixed_line"})


def _lost_zero_lookup(d: str) -> tuple[str, str] | None:
    """(E.164, subkind) of ``"0" + d`` if it is a valid mobile or geographic number."""
    if not _se_nsn_ok(d):
        return None
    info = _lookup("0" + d)
    if info is None or info[1] not in _LOST_ZERO_SUBKINDS:
        return None
    return info


def _lost_zero(w: Window) -> tuple[str, str, float, tuple[str, ...]] | None:
    info = _lost_zero_lookup(w.digits)
    if info is None:
        return None
    return info[0], info[1], _C_LOST_ZERO, ("repair:lost-leading-zero",)


def _context_delta(ctx: Context) -> tuple[float, tuple[str, ...]]:
    """Keywords before (and just after) the candidate, and field hints."""
    before = ctx.before
    if not before and not ctx.after:
        return _hint_delta(ctx.hints)  # a whole value: no keyword can stand around it
    delta = 0.0
    why: list[str] = []
    pos = near_before(before, "phone")
    neg = first_near_before(before, _NEGATIVE_KINDS)
    if neg is not None:
        words = _WORD.findall(before[-32:])[-2:]
        if pos:
            # both: the last word that is not a generic "nr"/"nummer" decides
            # ("tel nr:" is a phone number, "order nummer" is not)
            decided = False
            for word in reversed(words):
                if word in _GENERIC_WORDS:
                    continue
                if mentions(" " + word, "phone"):
                    neg = None
                else:
                    pos = False
                decided = True
                break
            if not decided:
                pos, neg = False, None
        elif neg == "time" and words and words[-1] == "at":
            neg = None  # English "call me at 070-..."
    if pos:
        delta += _KEYWORD
        why.append("context:phone")
    elif _PHONE_AFTER.match(ctx.after):
        delta += _KEYWORD_AFTER
        why.append("context:phone-after")
    if neg is not None:
        delta -= _NEGATIVE
        why.append(f"context:{neg}(-)")
    elif not pos and before and before.rstrip(" \t.:#=\r\n").endswith(_LABEL_ENDS):
        label = _NUMBER_LABEL.search(before, max(0, len(before) - 32))
        if (
            label is not None
            and label.group(1) not in _PHONE_LABEL_WORDS
            and not mentions(" " + label.group(1), "phone")
            and keyword_line_ok(before, label.start())
        ):
            delta -= _NUMBER_LABEL_PENALTY
            why.append("context:other-number-label(-)")
    if ctx.hints:
        hint_delta, hint_why = _hint_delta(ctx.hints)
        delta += hint_delta
        why.extend(hint_why)
    return delta, tuple(why)


@lru_cache(maxsize=256)
def _hint_delta(hints: frozenset[str]) -> tuple[float, tuple[str, ...]]:
    """What the field hints add to a phone number's confidence, and why."""
    if "phone" in hints:
        return _HINT, ("hint:phone",)
    if hints & _OTHER_HINTS:
        return -_OTHER_HINT, ("hint:other-kind(-)",)
    return 0.0, ()


def _finish(
    start: int, end: int, e164: str, sub: str, conf: float, why: tuple[str, ...], ctx: Context
) -> Match:
    delta, cwhy = _context_delta(ctx)
    test = is_fiction(e164)
    if test:
        cwhy = (*cwhy, "test:pts-fiction")
    conf = round(min(0.99, max(0.01, conf + delta)), 3)
    return Match(KIND, sub, start, end, e164, conf, (*why, *cwhy), test_data=test)
