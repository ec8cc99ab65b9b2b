"""False-positive filters, kept apart from the detectors (as in detect-secrets).

A detector says "this is a valid personnummer"; a filter says "but it stands
where personnummer do not": inside a UUID or a hash, as a timestamp in a file
name, as an amount of money, as the visible half of a masked number, as an
EAN-13 product code. Filters drop findings; they never add any.

Each filter is a plain function ``(text, finding) -> reason | None`` with the
kinds it applies to. A field hint for the finding's kind switches the
context-only filters off: in a column named ``personnummer`` a 12-digit value
is a personnummer even when its last four digits read as a time of day.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

from detectors.base import Match
from detectors.checksums import ean13_is_valid, luhn_is_valid
from detectors.context import is_keyword, near_before

_NUMERIC_KINDS = frozenset({"personnummer", "organisationsnummer", "phone", "bank_account", "payment_card"})

_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
_HEX_RUN = re.compile(r"[0-9a-fA-F]{16,}")
_AMOUNT_AFTER = re.compile(r"^(?:,[0-9]{1,2}(?![0-9])|[.][0-9]{2}(?![0-9])|[ ]?(?:kr\b|sek\b|kronor|:-|€|\$|eur\b|usd\b|öre))", re.I)
# Decimals (",45", ".50") make an amount of a number written as one: its digits, maybe
# in groups of three ("811 228 987,40"); not of a number with a dash or another
# grouping ("811228-9874,45", "070-123 45 67,5"), nor of a field of a comma-separated
# row ("Anna,0701234567,12,Stockholm": the comma before it splits fields).
_DECIMALS_AFTER = re.compile(r"[,.][0-9]")
_AMOUNT_DIGITS = re.compile(r"[0-9]{1,3}(?:[ \u00a0][0-9]{3})+|[0-9]+")
# a currency code as a word ("Chauffeur 070-..." is none), the amount words also as the end of one (Inköpspris)
_AMOUNT_BEFORE = re.compile(
    r"(?:(?<![a-zåäöéü])(?:sek|kr|eur|usd)|€|\$|belopp|summa|amount|total|pris|price)[ :.]*\Z", re.I
)
_MASK_AFTER = re.compile(r"^-?[xX*•#]{2,}")
_MASK_BEFORE = re.compile(r"[xX*•#]{2,}[ -]?\Z")
_TIME_AFTER = re.compile(r"^(?:[0-9]{2}|[:.][0-9]{2}|[_-]?[0-9]{2}(?:[0-9]{3})?(?![0-9]))")
# a percent-escaped separator of a URL or form value ("%3D" "=", "%2F" "/", "%3A" ":", "%20" " "), ending right
# where the number starts: its letter is no word around the number
_PERCENT_ESCAPE = re.compile(r"%(?:2[0-9A-Fa-f]|3[A-Fa-f]|5[BDbd]|7[BDbd])\Z")
_WORD_CHAR = re.compile(r"[A-Za-z]")  # "_" separates words in file names: 811228-9874_lönespec.pdf
# a version's "v" starts its word: not the last letter of "av" (Swedish "by", "of") or "lev"
_VERSION = re.compile(r"(?:^|[^0-9a-zåäöéü])v(?:er(?:sion)?)?[ .]?\Z", re.I)
_OCTET = r"(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])"
_IP_LIKE = re.compile(r"^" + _OCTET + r"(?:\." + _OCTET + r"){3}\Z")


def _keyword_context(f: Match) -> bool:
    """A keyword of the finding's own kind stood before it (negative contexts end in "(-)")."""
    return any(w.startswith("context:") and not w.endswith("(-)") for w in f.why)


def _inside_uuid_or_hash(t: str, f: Match) -> str | None:
    if f.subkind == "iban" or f.inside == "iban":
        return None  # a compact IBAN reads as a hex run; its mod 97 check has spoken
    lo, hi = max(0, f.start - 40), min(len(t), f.end + 40)
    window = t[lo:hi]
    for rx in (_UUID, _HEX_RUN):
        for m in rx.finditer(window):
            run, start = m.group(), m.start() + lo
            if rx is _HEX_RUN and start >= 1 and t[start - 1] == "%" and _PERCENT_ESCAPE.match(t, start - 1, start + 2):
                run, start = run[2:], start + 2  # "%3D4111...": the escape's two hex digits are no part of the run
                if len(run) < 16:
                    continue
            if start <= f.start and f.end <= m.end() + lo and re.search(r"[a-fA-F]", run):
                return "inside a UUID or hex hash"
    return None


# the letters of a word that ends where a number starts (ASCII and Swedish, as keywords are written)
_WORD_BEFORE = re.compile(r"(?<![A-Za-zÅÄÖÉÜåäöéü0-9])[A-Za-zÅÄÖÉÜåäöéü]{1,16}\Z")


def _glued_keyword(t: str, f: Match) -> bool:
    """The word glued right before the finding is, as a whole, a keyword of its own kind:
    the number's label written without a space ("BG5402-9681", "Bankgiro5402-9681"), not a code.
    Not for a number of fewer than 5 characters: a short one glued to letters is a code
    (a film rating "PG18", a plusgiro "1-8" after its keyword "PG" written apart)."""
    if f.end - f.start < 5:
        return False
    m = _WORD_BEFORE.search(t, max(0, f.start - 17), f.start)
    if m is None:
        return False
    word = m.group().lower()
    return is_keyword(word, f.kind) or (f.subkind != f.kind and is_keyword(word, f.subkind))


def _embedded_in_word(t: str, f: Match) -> str | None:
    if f.inside is not None:
        return None  # the detector placed it inside a known identifier on purpose
    before = t[f.start - 1 : f.start] if f.start else ""
    if before and _PERCENT_ESCAPE.match(t, max(0, f.start - 3), f.start):
        before = ""  # "pnr%3D198112289874": an escaped "=" or "/" of a URL, no word
    if before and _WORD_CHAR.match(before) and _glued_keyword(t, f):
        before = ""  # "BG5402-9681": its own keyword, written without a space
    after = t[f.end : f.end + 1]
    if (before and _WORD_CHAR.match(before)) or (after and _WORD_CHAR.match(after)):
        # "tel:" and "mailto:" style prefixes end with ':' and are not word chars
        return "digits are part of a longer word or code (file name, identifier)"
    return None


# A code of letters glued to the number by a hyphen: "ORD-8112289874", "INV-811228-9874".
_CODE_PREFIX = re.compile(r"(?<![A-Za-z0-9])([A-Za-z]{2,5})-\Z")


def _code_prefix(t: str, f: Match) -> str | None:
    """A personnummer-shaped number behind a letter code and a hyphen is a system's identifier.

    Order, invoice, customer and case numbers are written so (``ORD-8112289874``);
    about 1 random 10-digit number in 150 is a valid personnummer or
    samordningsnummer. Not when the code is a personnummer keyword (``PNR-``),
    nor when one stood before it.
    """
    if f.inside is not None or _keyword_context(f):
        return None
    m = _CODE_PREFIX.search(t, max(0, f.start - 7), f.start)
    if m is None or near_before(m.group(0).lower(), "personnummer"):
        return None
    return "behind a letter code and a hyphen (an order or case number)"


# The mirror: a hyphen and a short code of letters and digits, the first a letter, glued after
# the number ("811228-9874-B", "8112289874-AB2"): an article, order or case number.
_CODE_SUFFIX = re.compile(r"-[A-Za-z][A-Za-z0-9]{0,2}(?![A-Za-z0-9])")


def _code_suffix(t: str, f: Match) -> str | None:
    """A personnummer-shaped number with a hyphen and a letter code after it is a system's
    identifier (see :func:`_code_prefix`); not when a personnummer keyword stood before it."""
    if f.inside is not None or _keyword_context(f) or _CODE_SUFFIX.match(t, f.end) is None:
        return None
    return "before a hyphen and a letter code (an article, order or case number)"


def _amount_after(t: str, f: Match) -> bool:
    """Decimals or a currency after the number make it an amount (see _DECIMALS_AFTER)."""
    if _AMOUNT_AFTER.match(t[f.end : f.end + 8]) is None:
        return False
    if _DECIMALS_AFTER.match(t, f.end) is None:
        return True  # a currency
    return _AMOUNT_DIGITS.fullmatch(t, f.start, f.end) is not None and t[f.start - 1 : f.start] != ","


def _amount(t: str, f: Match) -> str | None:
    if _amount_after(t, f) or _AMOUNT_BEFORE.search(t[max(0, f.start - 12) : f.start]):
        return "an amount of money"
    return None


# Markdown emphasis, which is no mask: stars that close a word ("**Personnummer:** 811228-9874",
# "**Mobil** 070-..."; a letter, ":" or ")" right before them, a space after), or the same
# stars right before and right after the value ("**811228-9874**", "Tel: **070-123 45 67**").
_EMPHASIS_CLOSED_BEFORE = re.compile(r"[^\s0-9*xX•#][*]{1,3}[ ]\Z")
_STARS_BEFORE = re.compile(r"(?<![*])[*]{1,3}\Z")


def _emphasis(t: str, f: Match) -> bool:
    """The stars next to the finding are Markdown emphasis (see :data:`_EMPHASIS_CLOSED_BEFORE`)."""
    head = t[max(0, f.start - 5) : f.start]
    if _EMPHASIS_CLOSED_BEFORE.search(head):
        return not _MASK_AFTER.match(t[f.end : f.end + 6])
    m = _STARS_BEFORE.search(head)
    if m is None:
        return False
    stars = m.group()
    return t.startswith(stars, f.end) and t[f.end + len(stars) : f.end + len(stars) + 1] != "*"


def _masked(t: str, f: Match) -> str | None:
    if (_MASK_AFTER.match(t[f.end : f.end + 6]) or _MASK_BEFORE.search(t[max(0, f.start - 6) : f.start])) and (
        not _emphasis(t, f)
    ):
        return "the visible part of a masked number"
    return None


def _ean13(t: str, f: Match) -> str | None:
    raw = t[f.start : f.end]
    if f.kind in ("payment_card", "bank_account", "phone") and raw.isdigit() and len(raw) == 13:
        if ean13_is_valid(raw) and not (f.kind == "payment_card" and luhn_is_valid(raw) and raw.startswith("4")):
            if not _keyword_context(f):
                return "an EAN-13 product code"
    return None


def _version_or_ip(t: str, f: Match) -> str | None:
    raw = t[f.start : f.end]
    if _IP_LIKE.match(raw) or _VERSION.search(t[max(0, f.start - 9) : f.start]):
        return "an IP address or version number"
    return None


# A compact 12-digit number dated this many years or more before the reference
# year is read as a personnummer, not a timestamp, unless its context says time.
TIMESTAMP_RECENT_YEARS = 10
# Joined to an identifier, a path or a file name: "orders_202405171234.csv",
# "db-202405171234", "batch_id=202405171234", "/202405171234/".
_STAMP_JOINED_BEFORE = frozenset("_-=/.:#")
_STAMP_JOINED_AFTER = re.compile(r"[_/-]|\.[A-Za-z]")


def _time_context(t: str, f: Match) -> bool:
    """A time keyword before the number, or the number joined to an identifier or file name."""
    if f.start and t[f.start - 1] in _STAMP_JOINED_BEFORE:
        return True
    if _STAMP_JOINED_AFTER.match(t, f.end):
        return True
    return near_before(t[max(0, f.start - 48) : f.start].lower(), "time")


def _timestamp(t: str, f: Match, ref_year: int | None = None) -> str | None:
    """YYYYMMDDhhmm stamps look like 12-digit personnummer (143 of 1440 minutes do).

    A stamp is dropped when its digits are written as one (or as date and time
    with a separator) or seconds follow, and no personnummer keyword or hint
    stands before it. With ``ref_year`` given, a compact number dated
    ``TIMESTAMP_RECENT_YEARS`` or more before it stands as a personnummer (its
    checksum beats the timestamp shape) unless the context says time: a time
    keyword, or the number joined to an identifier, path or file name. Log and
    export stamps are recent; birth dates mostly are not.
    """
    if f.kind != "personnummer" or f.subkind != "personnummer":
        return None
    raw = t[f.start : f.end]
    digits = re.sub(r"[^0-9]", "", raw)
    if len(digits) != 12 or _keyword_context(f):
        return None
    hh, mm = int(digits[8:10]), int(digits[10:12])
    if hh > 23 or mm > 59:
        return None
    compact = raw.isdigit()
    compact_or_stamp = compact or re.fullmatch(r"[0-9]{8}[ T_.][0-9]{4}", raw) is not None
    followed_by_seconds = _TIME_AFTER.match(t[f.end : f.end + 6]) is not None
    if not (compact_or_stamp or followed_by_seconds):
        # "db_20240517-1345.sql", "skapad 20240517-1345": the personnummer's own dashed form,
        # so only a recent date with a time context makes it a stamp
        if (
            ref_year is not None
            and raw[8:9] == "-"
            and int(digits[:4]) > ref_year - TIMESTAMP_RECENT_YEARS
            and _time_context(t, f)
        ):
            return "looks like a YYYYMMDD-hhmm stamp in a file name or after a time word"
        return None
    if (
        compact
        and not followed_by_seconds
        and ref_year is not None
        and int(digits[:4]) <= ref_year - TIMESTAMP_RECENT_YEARS
        and not _time_context(t, f)
    ):
        return None
    return "looks like a YYYYMMDDhhmm timestamp, with no personnummer context"


Filter = Callable[[str, Match], "str | None"]

# (name, kinds it applies to, function, switched off by a hint for the kind)
FILTERS: tuple[tuple[str, frozenset[str], Filter, bool], ...] = (
    ("uuid_or_hash", _NUMERIC_KINDS, _inside_uuid_or_hash, False),
    ("embedded_in_word", _NUMERIC_KINDS, _embedded_in_word, True),
    ("code_prefix", frozenset({"personnummer"}), _code_prefix, True),
    ("code_suffix", frozenset({"personnummer"}), _code_suffix, True),
    ("timestamp", frozenset({"personnummer"}), _timestamp, True),
    ("amount", _NUMERIC_KINDS, _amount, True),
    ("masked", _NUMERIC_KINDS, _masked, False),
    ("ean13", frozenset({"payment_card", "bank_account", "phone"}), _ean13, True),
    ("version_or_ip", _NUMERIC_KINDS, _version_or_ip, True),
)


def why_dropped(t: str, f: Match, hints: frozenset[str] = frozenset(), ref_year: int | None = None) -> str | None:
    """The reason the first matching filter gives for dropping ``f``, or None.

    ``ref_year`` is the year of the reference date (see :func:`_timestamp`).
    """
    hinted = f.kind in hints or ("personnummer" in hints and f.kind == "personnummer")
    for name, kinds, fn, hint_off in FILTERS:
        if f.kind not in kinds or (hint_off and hinted):
            continue
        reason = _timestamp(t, f, ref_year) if fn is _timestamp else fn(t, f)
        if reason:
            return f"{name}: {reason}"
    return None


def apply_slow(
    t: str, found: Iterable[Match], hints: frozenset[str] = frozenset(), ref_year_at: Callable[[int], int] | None = None
) -> list[Match]:
    """Drop the findings a filter recognises as something else: every filter, in order.

    ``ref_year_at(pos)``: the reference year of the value at ``pos``. The
    reference for :func:`apply`, which gives the same result faster.
    """
    return [f for f in found if why_dropped(t, f, hints, ref_year_at(f.start) if ref_year_at else None) is None]


# -- the hot path ------------------------------------------------------------------
#
# ``apply`` keeps exactly the findings ``why_dropped`` keeps, but tests each
# filter's cheapest necessary condition first (the characters next to the
# finding), so that most findings pass without a regex call or a slice.

_HEX_OR_DASH = frozenset("0123456789abcdefABCDEF-")
_HEX_LETTERS = re.compile(r"[a-fA-F]")
# First character of an _AMOUNT_AFTER match (IGNORECASE: also the Kelvin sign and long s).
_AMOUNT_AFTER_FIRST = frozenset(",. kKsS:€$eEuUöÖ\u212a\u017f")
# Last character of an _AMOUNT_BEFORE keyword.
_AMOUNT_BEFORE_LAST = frozenset("kKrR€$dDpPaAtTlLsSeE\u212a\u017f")
_MASK_CHARS = frozenset("xX*•#")
# Last character of a _VERSION word (v, ver, version).
_VERSION_LAST = frozenset("vVrRnN")


def _keep(t: str, f: Match, hinted: bool, ref_year: int | None) -> bool:
    """``why_dropped(t, f, hints) is None`` for a finding of a numeric kind."""
    kind = f.kind
    s, e = f.start, f.end
    n = len(t)
    before = t[s - 1] if s else ""
    after = t[e] if e < n else ""
    # masked (never switched off by a hint)
    if after in ("-", "x", "X", "*", "•", "#") and _masked(t, f):
        return False
    if before:
        b = t[s - 2] if before in (" ", "-") and s >= 2 else before
        if b in _MASK_CHARS and _masked(t, f):
            return False
    # uuid_or_hash (never switched off by a hint): only inside a run of hex
    # characters (or with a hex letter of its own) can a finding be inside one
    if (before in _HEX_OR_DASH or after in _HEX_OR_DASH or _HEX_LETTERS.search(t, s, e)) and _inside_uuid_or_hash(t, f):
        return False
    if hinted:
        return True
    # embedded_in_word (a letter before that ends a percent escape, "%3D", is none)
    if f.inside is None and (
        (
            ("A" <= before <= "Z" or "a" <= before <= "z")
            and not (s >= 3 and t[s - 3] == "%" and _PERCENT_ESCAPE.match(t, s - 3, s))
            and not _glued_keyword(t, f)
        )
        or ("A" <= after <= "Z" or "a" <= after <= "z")
    ):
        return False
    # code_prefix: only right after "-" with a letter before it
    if kind == "personnummer" and before == "-" and s >= 3 and t[s - 2].isascii() and t[s - 2].isalpha() and (
        _code_prefix(t, f)
    ):
        return False
    # code_suffix: only right before "-"
    if kind == "personnummer" and after == "-" and _code_suffix(t, f):
        return False
    # timestamp
    if kind == "personnummer" and e - s >= 12 and _timestamp(t, f, ref_year):
        return False
    # amount
    if after in _AMOUNT_AFTER_FIRST and _amount_after(t, f):
        return False
    if s:
        head = t[max(0, s - 12) : s].rstrip(" :.")
        if head and head[-1] in _AMOUNT_BEFORE_LAST and _AMOUNT_BEFORE.search(t[max(0, s - 12) : s]):
            return False
    # ean13
    if kind != "personnummer" and kind != "organisationsnummer" and e - s == 13 and _ean13(t, f):
        return False
    # version_or_ip
    if t.count(".", s, e) == 3 and _IP_LIKE.match(t[s:e]):
        return False
    if s:
        v = t[s - 2] if before in (" ", ".") and s >= 2 else before
        if v in _VERSION_LAST and _VERSION.search(t[max(0, s - 9) : s]):
            return False
    return True


def apply(
    t: str, found: Iterable[Match], hints: frozenset[str] = frozenset(), ref_year_at: Callable[[int], int] | None = None
) -> list[Match]:
    """Drop the findings a filter recognises as something else (same as ``apply_slow``)."""
    out = []
    for f in found:
        if f.kind not in _NUMERIC_KINDS or _keep(t, f, f.kind in hints, ref_year_at(f.start) if ref_year_at else None):
            out.append(f)
    return out
