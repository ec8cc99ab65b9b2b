"""Payment card number (PAN, kortnummer).

A primary account number is 12 to 19 digits: an issuer identification
number (IIN/BIN, the first 6 to 8 digits) that names the card scheme, the
account number, and a Luhn check digit (ISO/IEC 7812-1:
https://www.iso.org/standard/70484.html). The scheme fixes the allowed
lengths: Visa 13/16/19, Mastercard 16, American Express 15, and so on (the
table below follows reference §4).

The canonical value is the digits only. Known public test PANs (Stripe and
the classic ``4111 1111 1111 1111``) are reported with ``test_data=True``.
Under PCI DSS the full PAN is cardholder data; masked PANs
(``4111 11** **** 1111``) are not found by this module (the digit-run
prefilter does not see the masked digits, and the masked-number filter drops
the visible halves).

Finding: Luhn passes one random digit string in ten, so the shape matters.
Groups of four (``4242 4242 4242 4242``) or the Amex 4-6-5 grouping with a
valid IIN and length give high confidence (0.85); a compact 16-digit Visa or
Mastercard number without context is moderately confident (0.6); compact
numbers of the schemes rare in Sweden (Amex, Diners, JCB, ...) and shorter
compact numbers (13-digit Visa, 12-digit Maestro) need a keyword or a field
hint. OCR payment references are Luhn-valid by construction: in a column
named ``ocr`` the field hint lowers them below the threshold.

>>> validate('4111 1111 1111 1111')
'4111111111111111'
>>> scheme('3782-822463-10005')
'amex'
>>> is_valid('4242424242424241')
False
>>> format('378282246310005')
'3782 822463 10005'
>>> [(m.subkind, m.value, m.test_data) for m in find('Kort: 5555 5555 5555 4444')]
[('mastercard', '5555555555554444', True)]
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date
from typing import TYPE_CHECKING

from detectors.base import InvalidChecksum, InvalidComponent, InvalidFormat, InvalidLength, Match
from detectors.checksums import luhn_is_valid
from detectors.context import first_near_before, mentions, near_before

if TYPE_CHECKING:
    from detectors.base import Context
    from detectors.scan import Window

KIND = "payment_card"
PERSONAL = True

_R16_19 = frozenset(range(16, 20))

# (scheme, prefix length, low, high, lengths), most specific first: the first
# row whose prefix range holds the number decides the scheme [reference §4].
_SCHEMES: tuple[tuple[str, int, int, int, frozenset[int]], ...] = (
    ("mir", 4, 2200, 2204, _R16_19),
    ("mastercard", 4, 2221, 2720, frozenset({16})),
    ("maestro", 4, 5018, 5018, frozenset(range(12, 20))),
    ("maestro", 4, 5020, 5020, frozenset(range(12, 20))),
    ("maestro", 4, 5038, 5038, frozenset(range(12, 20))),
    ("mastercard", 2, 51, 55, frozenset({16})),
    ("maestro", 4, 5893, 5893, frozenset(range(12, 20))),
    ("diners", 3, 300, 305, frozenset({14, 15, 16})),
    ("amex", 2, 34, 34, frozenset({15})),
    ("jcb", 4, 3528, 3589, _R16_19),
    ("diners", 2, 36, 36, frozenset({14, 15, 16})),
    ("amex", 2, 37, 37, frozenset({15})),
    ("diners", 2, 38, 39, frozenset({14, 15, 16})),
    ("visa", 1, 4, 4, frozenset({13, 16, 19})),
    ("discover", 4, 6011, 6011, _R16_19),
    ("discover", 6, 622126, 622925, _R16_19),
    ("unionpay", 2, 62, 62, _R16_19),
    ("maestro", 4, 6304, 6304, frozenset(range(12, 20))),
    ("discover", 3, 644, 649, _R16_19),
    ("discover", 2, 65, 65, _R16_19),
    ("maestro", 4, 6759, 6759, frozenset(range(12, 20))),
    ("maestro", 4, 6761, 6763, frozenset(range(12, 20))),
)

# Public test PANs (reference §4: Stripe's list and the classic Visa test number).
TEST_PANS = frozenset(
    {
        "4242424242424242",
        "4012888888881881",
        "4000056655665556",
        "5555555555554444",
        "2223003122003222",
        "5200828282828210",
        "5105105105105100",
        "378282246310005",
        "371449635398431",
        "6011111111111117",
        "30569309025904",
        "38520000023237",
        "3530111333300000",
        "3566002020360505",
        "6200000000000005",
        "4111111111111111",
    }
)

# Confidence before context.
_C_GROUPED = 0.85  # 4-4-4-4, Amex 4-6-5, Diners 4-6-4
_C_GROUPED_LONG = 0.8  # 4-4-4-4-3 (19 digits)
_C_GROUPED_OTHER = 0.6  # fours with a short last group: 4-4-4-1, 4-4-4-3
# 4-4-4-4 and 4-4-4-4-3 with dots (4571.7954.2205.8798): some forms write them so, but dotted
# digit groups are also versions, amounts and other ids; only a card keyword or a card field
# brings it over the reporting threshold
_C_DOTTED = 0.4
_C_COMPACT = {12: 0.3, 13: 0.4, 14: 0.5, 15: 0.55, 16: 0.6, 17: 0.45, 18: 0.45, 19: 0.5}
# Swedish cards are overwhelmingly Visa and Mastercard: a compact number of
# another scheme with no context is more likely a Luhn-valid OCR reference.
_C_COMPACT_RARE_SCHEME = 0.45
_COMMON_SCHEMES = frozenset({"visa", "mastercard"})
_PART_OF_LONGER = 0.2
_KEYWORD = 0.25
_KEYWORD_AFTER = 0.1
_HINT = 0.3
_NEGATIVE = 0.4
_OTHER_HINT = 0.3

_NEGATIVE_KINDS = ("order", "reference", "time", "personnummer")
_OTHER_HINTS = frozenset(
    {"personnummer", "organisationsnummer", "phone", "bank_account", "bankgiro", "plusgiro", "not_personal"}
)
_GENERIC_WORDS = frozenset({"nr", "no", "nummer", "number", "num", "id", "at", "på"})
_WORD = re.compile(r"[a-zåäöéü]+")
_CARD_AFTER = re.compile(r"^[ ,;]*[(\[]?(?:cvv|cvc|cvv2|exp|expiry|expires|giltig|valid|utg)")
# "SE45 5000 0000 ..." before the window: the digits belong to an IBAN.
_IBAN_BEFORE = re.compile(r"(?:^|[^a-z0-9])[a-z]{2}[0-9]{2}(?:[ ]?[0-9]{4})*[ ]?\Z")
_SEPARATORS = re.compile(r"[ .\-]")


# -- the checking half ---------------------------------------------------------------


def compact(number: str) -> str:
    """Remove spaces, dashes and dots.

    >>> compact(' 4111-1111 1111-1111 ')
    '4111111111111111'
    >>> compact('4111.1111.1111.1111')
    '4111111111111111'
    """
    return _SEPARATORS.sub("", number.strip())


def _scheme_row(digits: str) -> tuple[str, frozenset[int]] | None:
    for name, plen, lo, hi, lengths in _SCHEMES:
        if lo <= int(digits[:plen]) <= hi:
            return name, lengths
    return None


def validate(number: str) -> str:
    """Check a card number: digits, length, Luhn, issuer range and scheme length.

    >>> validate('1234567812345678')
    Traceback (most recent call last):
    ...
    detectors.base.InvalidChecksum: the check digit or checksum does not match
    """
    d = compact(number)
    if not d or not (d.isascii() and d.isdigit()):
        raise InvalidFormat()
    if not 12 <= len(d) <= 19:
        raise InvalidLength()
    if d.count("0") == len(d):
        raise InvalidComponent("an all-zero number is not a card number")
    if not luhn_is_valid(d):
        raise InvalidChecksum()
    row = _scheme_row(d)
    if row is None:
        raise InvalidComponent("the number is in no known card issuer range")
    if len(d) not in row[1]:
        raise InvalidLength("the length does not fit the card scheme")
    return d


def is_valid(number: str) -> bool:
    """Whether ``number`` is a valid card number; never raises."""
    try:
        return bool(validate(number))
    except Exception:  # noqa: BLE001 - is_valid never raises
        return False


def scheme(number: str) -> str:
    """The card scheme: ``visa``, ``mastercard``, ``amex``, ... (validates first)."""
    row = _scheme_row(validate(number))
    assert row is not None
    return row[0]


def is_test_number(number: str) -> bool:
    """Whether a valid card number is a well-known public test PAN.

    >>> is_test_number('4242 4242 4242 4242'), is_test_number('4000 0000 0000 0002')
    (True, False)
    """
    return compact(number) in TEST_PANS


def format(number: str) -> str:  # noqa: A001 - the stdnum name
    """Groups of four; Amex and 14-digit Diners as 4-6-5 / 4-6-4."""
    d = validate(number)
    if len(d) in (14, 15) and d[0] == "3":
        return f"{d[:4]} {d[4:10]} {d[10:]}"
    return " ".join(d[i : i + 4] for i in range(0, len(d), 4))


# -- the finding half ----------------------------------------------------------------


def find(text: str, hint: str | None = None, ref_date: date | None = None) -> list[Match]:
    """Card numbers in ``text``.

    >>> [m.value for m in find('Visa 4012 8888 8888 1881, exp 12/29')]
    ['4012888888881881']
    """
    from detectors.scan import find_all

    return find_all(text, hint=hint, ref_date=ref_date, kinds=(KIND,))


# Digit counts of the windows match_window can use: the scanner offers no others.
WINDOW_DIGITS = frozenset(range(12, 20))


def window_wanted(nd: int, d0: str, sign: bool, comma: bool, giro: bool) -> bool:
    """Whether ``match_window`` can find anything in such a window (the contract: :class:`detectors.scan.Scanner`)."""
    return d0 in "23456"  # no issuer range starts otherwise


def window_shape_wanted(lens: tuple[int, ...], comma: bool) -> bool:
    """Whether ``match_window`` can find anything in a window whose groups have these digit counts
    (the contract: :class:`detectors.scan.Scanner`): compact, 4-6-5 or 4-6-4, or fours (the last maybe shorter)."""
    return len(lens) == 1 or lens in _AMEX_DINERS or all(x == 4 for x in lens[:-1])


_AMEX_DINERS = ((4, 6, 5), (4, 6, 4))


def match_window(w: Window, ctx: Context) -> Iterator[Match]:
    """Card numbers in one window of a digit run (the hot path).

    The digit count and the first digit reject nearly every window; then
    the grouping, the Luhn check and the issuer range.
    """
    d = w.digits
    n = len(d)
    if n < 12 or n > 19 or d[0] not in "23456" or w.plus:
        return
    groups = w.groups
    if len(groups) == 1:
        shape_conf = _C_COMPACT[n]
        shape = "shape:compact"
    else:
        seps = w.seps
        sep = seps[0]
        if sep != " " and sep != "-" and sep != ".":
            return
        for s in seps:
            if s != sep:
                return
        lens = tuple(len(g) for g in groups)
        if sep == ".":
            if lens != (4, 4, 4, 4) and lens != (4, 4, 4, 4, 3):
                return
            shape_conf = _C_DOTTED
        elif lens == (4, 4, 4, 4) or lens in _AMEX_DINERS:
            shape_conf = _C_GROUPED
        elif lens == (4, 4, 4, 4, 3):
            shape_conf = _C_GROUPED_LONG
        elif all(x == 4 for x in lens[:-1]):
            shape_conf = _C_GROUPED_OTHER
        else:
            return
        shape = "shape:dotted" if sep == "." else "shape:grouped"
    if not luhn_is_valid(d):
        return
    row = _scheme_row(d)
    if row is None or n not in row[1]:
        return
    # "(4111 1111 1111 1111)": a "(" that leads the run is not part of the number
    lead_paren = w.text[0] == "("
    if lead_paren and not w.text[1:2].isdigit():
        return
    why = ["rule:luhn", "rule:iin", shape]
    conf = shape_conf
    if len(groups) == 1 and row[0] not in _COMMON_SCHEMES:
        conf = min(conf, _C_COMPACT_RARE_SCHEME)
    if not (w.run_start and w.run_end):
        inner = w.seps[0] if w.seps else ""
        if not w.run_start:
            lead = w.lead
            left = lead[len(lead.rstrip(" -/.+()")) :]
            if left == inner or left == "-" or left == ".":
                return  # one more group of the same number
        if not w.run_end:
            trail = w.trail
            right = trail[: len(trail) - len(trail.lstrip(" -/.+()"))]
            if right == inner or right == "-" or right == ".":
                return
        conf -= _PART_OF_LONGER
        why.append("shape:part-of-longer-number")
    if _IBAN_BEFORE.search(ctx.before):
        return  # the middle of an IBAN
    delta, cwhy = _context_delta(ctx)
    why.extend(cwhy)
    test = d in TEST_PANS
    if test:
        why.append("test:known-test-pan")
    conf = round(min(0.99, max(0.01, conf + delta)), 3)
    start = w.start + 1 if lead_paren else w.start
    yield Match(KIND, row[0], start, w.end, d, conf, tuple(why), test_data=test)


def _context_delta(ctx: Context) -> tuple[float, tuple[str, ...]]:
    before = ctx.before
    delta = 0.0
    why: list[str] = []
    pos = near_before(before, "payment_card")
    neg = first_near_before(before, _NEGATIVE_KINDS)
    if neg is not None and pos:
        # both ("card no:"): the last word that is not a generic "nr"/"no" decides
        decided = False
        for word in reversed(_WORD.findall(before[-32:])[-2:]):
            if word in _GENERIC_WORDS:
                continue
            if mentions(" " + word, "payment_card"):
                neg = None
            else:
                pos = False
            decided = True
            break
        if not decided:
            pos, neg = False, None
    if pos:
        delta += _KEYWORD
        why.append("context:payment_card")
    elif _CARD_AFTER.match(ctx.after):
        delta += _KEYWORD_AFTER
        why.append("context:card-details-after")
    if neg is not None:
        delta -= _NEGATIVE
        why.append(f"context:{neg}(-)")
    if ctx.hints:
        if "payment_card" in ctx.hints:
            delta += _HINT
            why.append("hint:payment_card")
        elif ctx.hints & _OTHER_HINTS:
            delta -= _OTHER_HINT
            why.append("hint:other-kind(-)")
    return delta, tuple(why)
