"""The combined prefilter: one pass over the text for every detector.

One compiled regex finds three kinds of candidate in a single pass over the
NFKC-normalised text:

* ``num``: a run of digit groups joined by single separators (space, ``-``,
  ``+``, ``.``, ``/``, parentheses), optionally led by ``+``. Every window of
  consecutive groups in the run is offered to the numeric detectors whose
  digit counts fit, so ``0701234567 811228-9874`` yields both numbers.
* ``alnum``: two capital letters and two digits (IBAN, ``SE`` VAT numbers;
  a Swedish one led by a lower-case ``se`` too) or digits followed by one
  letter and three digits (interim numbers).
* ``at``: ``@`` and its disguises (``%40``, HTML entities, ``[at]``), offered to
  the e-mail detector, which expands around it.

A number that a line wrap broke at one of its separators (``811228-`` /
``9874`` on two lines) is read across the break by a second, local pass.

Candidates are then checked by the detectors, passed through the false-
positive filters (:mod:`detectors.filters`), and overlapping findings are
resolved: the most confident wins, while an identifier found inside another
(a personnummer inside a VAT number or an IBAN) is kept beside its parent.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from itertools import accumulate, chain, islice
from datetime import date
from types import ModuleType
from typing import NamedTuple

from detectors import filters
from detectors.base import Context, Match, context_at
from detectors.context import hint_kinds
from detectors.email import AT_OBFUSCATED, AT_PLAIN, OBFUSCATION_MARKERS
from detectors.checksums import luhn_is_valid
from detectors.normalize import normalize, unchanged
from detectors.bank_account import LABELLED_ACCOUNT, LABELLED_ACCOUNT_REVERSED, LABELLED_MARKERS
from detectors.personnummer import (
    NUMBERS_FROM_PNR,
    RESERV_MARKERS,
    REFERENCE_FROM_PNR,
    is_number_from_pnr,
    is_reference_with_pnr,
)

# Separators allowed between digit groups of one candidate.
_SEP = r"(?:[ ]?[-/.+][ ]?|[ ]|[ ]?\([ ]?|[ ]?\)[ ]?)"
# Every alternative starts with a digit, "+", "(", "@", "%" or "&". IBAN and
# VAT letter prefixes are read back from a digit run's lead; obfuscated e-mail
# forms ("namn [at] domän punkt se") are looked for only in texts that have one
# of their markers.
#
# Written plainly (the reference, _PREFILTER_PLAIN), the pass starts with a
# lookahead for that first character, and re's compiler then tries the whole
# pattern at every position (~50 MB/s on prose). The pass used consumes the
# first character as a character class, which re turns into a scan in C for
# the next such character (~5x faster on prose): each alternative goes on from
# its second character after a lookbehind that says which character the class
# took, and an empty group at the end of each alternative names it
# (``m.lastgroup``). The match spans and names are those of the plain pattern
# (a suffix of each alternative, with the same backtracking), tested in
# tests/detectors/test_scan_fastpaths.py; ``m.group(name)`` is empty: use
# ``m.span()``.
_INTERIM = r"(?P<interim>[0-9]{6}(?:[0-9]{2})?[-+]?[TRSUWXJKLMN][0-9]{3}(?![0-9A-Za-z]))"
_NUM = r"(?P<num>(?:\+[ ]?|\(\+?)?[0-9]+(?:" + _SEP + r"[0-9]+)*)"
_PREFILTER_PLAIN = re.compile(r"(?=[0-9+(@%&])(?:" + _INTERIM + "|" + _NUM + r"|(?P<at>" + AT_PLAIN + "))")
# The same pass without the digit runs of fewer than 7 characters that no capital
# letter (maybe and a space) stands right before. Such a run is read only near a
# giro keyword or in a field hinted for short numbers (see _find_general); where
# neither can be, this pass leaves them to the regex engine instead of the loop
# (most runs in logs and CSV are times, amounts, ids: "12:33:10", "3 544").
# The lookahead holds for every run of 7 or more characters (all of them are
# run characters); where it and the lead fail at a run's start, they fail at
# every position inside the run too (a suffix is shorter; the character before
# an inner position is a run character), and no interim number or "@" starts
# inside a short run: the matches are those of _PREFILTER less those runs
# (tested in tests/detectors/test_scan_fastpaths.py).
_LONG_LEAD = r"(?=[-0-9+(). /]{7}|(?<=[A-Z])|(?<=[A-Z] ))"
_PREFILTER_LONG_PLAIN = re.compile(
    r"(?=[0-9+(@%&])(?:" + _INTERIM + r"|" + _LONG_LEAD + _NUM + r"|(?P<at>" + AT_PLAIN + "))"
)


def _first_char_taken(long: bool) -> re.Pattern[str]:
    """_PREFILTER_PLAIN (``long``: _PREFILTER_LONG_PLAIN) with its first character taken by a class (see above)."""
    runs = r"(?:" + _SEP + r"[0-9]+)*"
    # the lead test of the long pass, one character later: six more run characters, or the capital
    # (and space) before the character the class took
    lead = r"(?:(?=[-0-9+(). /]{6})|(?<=[A-Z].)|(?<=[A-Z] .))" if long else ""
    assert AT_PLAIN == r"@|%40|&\#0*64;|&\#[xX]0*40;|&commat;", "rewrite the 'at' alternative below with AT_PLAIN"
    return re.compile(
        r"[0-9+(@%&](?:"
        r"(?<=[0-9])[0-9]{5}(?:[0-9]{2})?[-+]?[TRSUWXJKLMN][0-9]{3}(?![0-9A-Za-z])(?P<interim>)"
        r"|" + lead + r"(?:(?<=[0-9])[0-9]*" + runs + r"|(?<=\+)[ ]?[0-9]+" + runs + r"|(?<=\()\+?[0-9]+" + runs + r")(?P<num>)"
        r"|(?:(?<=@)|(?<=%)40|(?<=&)(?:\#0*64;|\#[xX]0*40;|commat;))(?P<at>)"
        r")"
    )


_PREFILTER = _first_char_taken(False)
_PREFILTER_LONG = _first_char_taken(True)
_OBFUSCATED = re.compile(AT_OBFUSCATED)
# two capital letters (not preceded by a letter) and an optional space before a digit run
_ALNUM_LEAD = re.compile(r"(?<![A-Za-z])[A-Z]{2}[ ]?\Z")
# "se" or "Se" (not preceded by a letter) and an optional space before a digit run
_SE_LOWER_LEAD = re.compile(r"(?<![A-Za-z])[Ss]e[ ]?\Z")

# Where a line wrap may have split a number at a separator (Scanner._wrapped): a
# newline before a digit, after
# * a "-" that follows a digit ("811228-"),
# * a group of 1-4 digits set apart by a space from a digit before it ("070-123 45",
#   "+46 70"), or of 3-4 digits after a "-" ("070-123"; not the day of a date,
#   "2024-05-10"),
# * a first group that starts a phone number after a space or "(": a trunk-0 area
#   code ("072", "08", "0046") or "+46",
# * the first 4 digits of a card (2-6 first) after a space, the next line going on
#   in groups of four ("4052\n3135 2103 ..."),
# * an IBAN lead ("IBAN SE48\n5000 ...", a Swedish one in lower case "se48\n5000 ...").
# The next line may start with the quote marker of a reply ("> ", ">> ", "> > ") where the
# line of the break has the same one (see Scanner._wrapped).
# Lookbehinds of fixed width, so that re does the search in C.
_WRAP_POINT = re.compile(
    r"\n(?=(?:>+[ ]?)*[0-9])(?:"
    r"(?<=[0-9]-\n)|(?<=[0-9] [0-9]\n)|(?<=[0-9] [0-9]{2}\n)|(?<=[0-9][ -][0-9]{3}\n)|(?<=[0-9][ -][0-9]{4}\n)"
    r"|(?<=[ (]0[0-9]\n)|(?<=[ (]0[0-9]{2}\n)|(?<=[ (]0[0-9]{3}\n)|(?<=[ (]\+46\n)"
    r"|(?<=[ :][2-6][0-9]{3}\n)(?=[0-9]{4}[ -][0-9]{4})"
    r"|(?<=[ :(][A-Z]{2}[0-9]{2}\n)|(?<=[ :(][Ss]e[0-9]{2}\n)"
    r")"
)
WRAP_PENALTY = 0.1  # a number read across a line break
_QUOTE_MARKER = re.compile(r"(?:>+[ ]?)*")


def _no_giro(p: int) -> bool:
    return False


MAX_GROUPS = 8  # groups in one window (+46 (0)70-123 45 67 has 6)
MAX_DIGITS = 20  # digits in one window (IBANs take the alnum path)
CONTEXT_CHARS = 48

MIN_CONFIDENCE = 0.5  # default reporting threshold


class _Segment(NamedTuple):
    """One value of a batch: its span in the joined text, its stripped span, its reference date.

    (A named tuple: one is built per value, and a frozen dataclass costs several times more to build.)
    """

    start: int
    end: int
    whole: tuple[int, int]
    ref: date


@dataclass(slots=True, eq=False)
class Window:
    """Consecutive digit groups of one candidate run, as offered to detectors."""

    text: str  # the window as written (normalised), e.g. "070-123 45 67"
    digits: str  # ASCII digits only, e.g. "0701234567"
    groups: tuple[str, ...]
    seps: tuple[str, ...]  # separators between groups, len(groups) - 1
    start: int  # offsets in the normalised text
    end: int
    plus: bool  # led by "+"
    lead: str  # up to 8 characters before the window, as written
    trail: str  # up to 8 characters after the window, as written
    run_start: bool  # the window starts where the digit run starts
    run_end: bool  # the window ends where the digit run ends


WindowMatcher = Callable[[Window, Context], Iterable[Match]]


def _modules() -> dict[str, ModuleType]:
    from detectors import bank_account, email, organisationsnummer, payment_card, personnummer, phone

    return {
        "personnummer": personnummer,
        "organisationsnummer": organisationsnummer,
        "email": email,
        "phone": phone,
        "bank_account": bank_account,
        "payment_card": payment_card,
    }


KINDS: tuple[str, ...] = (
    "personnummer",
    "organisationsnummer",
    "email",
    "phone",
    "bank_account",
    "payment_card",
)

_DIGIT_SPLIT = re.compile(r"([0-9]+)")
_NO_DIGITS = str.maketrans("", "", "0123456789")
# "pg"/"bg" as a word, maybe with "nr", and glued to the number they label ("BG5402-9681", "bgnr5402-9681")
_GIRO_ANY = re.compile(r"(?i)giro|\b[pb]g(?:-?nr)?(?![^\W\d_])")
_SHORT_HINTS = frozenset({"bankgiro", "plusgiro", "bank_account"})
_GIRO_BEFORE = re.compile(r"(?i)(?:giro|\bpg|\bbg)[^0-9]{0,12}\Z")
# Every place where "giro", "pg" or "bg" could start, in any case (what re's
# IGNORECASE matches, dotless and dotted i included); a superset of the starts of
# _GIRO_ANY and _GIRO_BEFORE matches and of the bank detector's giro keywords.
# Written without IGNORECASE so that the engine skips to [gGpPbB] in C.
_GIRO_KEYS = re.compile(r"[gGpPbB](?=[iIıİ][rR][oO]|[gG])")
_GIRO_WORDS = ("giro", "pg", "bg")


def _giro_key_starts(t: str) -> list[int]:
    """Where "giro", "pg" or "bg" starts in ``t``, in any case (what re's IGNORECASE matches),
    in order: a superset of the starts of _GIRO_ANY and _GIRO_BEFORE matches and of the
    bank detector's giro keywords.

    ``str.lower`` keeps every offset of a text without "İ" (the one character it
    lowers into two), and its "giro" is IGNORECASE's but for a dotless "ı": a text with
    either is read with _GIRO_KEYS (a wider superset). Three ``find`` loops over the
    lower-cased text cost less than that regex, which stops at every g, p and b.
    """
    if "İ" in t or "ı" in t:
        return [g.start() for g in _GIRO_KEYS.finditer(t)]
    low = t.lower()
    out: list[int] = []
    for word in _GIRO_WORDS:
        p = low.find(word)
        while p >= 0:
            out.append(p)
            p = low.find(word, p + 1)
    out.sort()
    return out


class _Tables:
    """What a scanner routes windows by, for one set of active detector modules (see Scanner.__init__)."""

    def __init__(self, active: list[ModuleType]) -> None:
        self.numeric = tuple(m for m in active if hasattr(m, "match_window"))
        self.alnum = tuple(m for m in active if hasattr(m, "match_alnum"))
        self.whole = tuple(m.match_whole for m in self.numeric if hasattr(m, "match_whole"))
        # For each digit count, the window matchers that take it (None: no numeric detector).
        self.by_nd: tuple[tuple[WindowMatcher, ...], ...] | None = (
            tuple(
                tuple(m.match_window for m in self.numeric if nd in m.WINDOW_DIGITS) for nd in range(MAX_DIGITS + 1)
            )
            if self.numeric
            else None
        )
        # The window matchers as bit masks (bit k: self.numeric[k]): a mask -> its
        # matchers, in the order of self.numeric; for each digit count, the mask of
        # those that take it.
        self.fns_of: tuple[tuple[WindowMatcher, ...], ...] = tuple(
            tuple(m.match_window for k, m in enumerate(self.numeric) if mask >> k & 1)
            for mask in range(1 << len(self.numeric))
        )
        self.nd_mask = tuple(_mask(m.WINDOW_DIGITS.__contains__(nd) for m in self.numeric) for nd in range(MAX_DIGITS + 1))
        # Without a field hint: (digits, first digit, led by "+"/"(", comma-separated
        # clearing before it, giro keyword before it) -> the mask of the window matchers
        # that can find anything in such a window. Each numeric detector module declares
        # ``WINDOW_DIGITS`` (the digit counts it takes) and
        # ``window_wanted(nd, d0, sign, comma, giro)``, asked once per combination here:
        # ``nd`` digits, first digit ``d0``; ``sign``: the window starts with the ``+``
        # or ``(`` leading its run; ``comma``: it starts a run with a ``,`` at most
        # three characters before it; ``giro``: "giro", "bg" or "pg" (any case) starts
        # in the text before it that ``Context.before`` holds. It must be True wherever
        # ``match_window`` could yield (False only where it surely yields nothing).
        # None: every window goes to every matcher that takes its digit count.
        self.route: dict[tuple[int, str, bool, bool, bool], int] = {
            (nd, d0, sign, comma, giro): _mask(
                nd in m.WINDOW_DIGITS and m.window_wanted(nd, d0, sign, comma, giro) for m in self.numeric
            )
            for nd in range(MAX_DIGITS + 1)
            for d0 in "0123456789"
            for sign in (False, True)
            for comma in (False, True)
            for giro in (False, True)
        }
        # With routing, hinted or not, a window goes only to the matchers whose
        # ``window_shape_wanted(lens, comma)`` holds for the digit counts of its groups
        # (``comma`` as above): True wherever ``match_window`` could yield. Asked once
        # per shape of run (see _plan).
        self.plans: dict[tuple[tuple[int, ...], int, bool], tuple[tuple[int, int, int, bool, int, int], ...]] = {}
        # Whether, with no giro keyword before it and no comma, a window of 8 digits
        # or fewer reaches a reader only when it has 8 digits led by 0 or by the "+"
        # or "(" of its run (what _find_general relies on to skip such runs without
        # a giro keyword near them; True for the detectors of this package).
        self.short_quiet = all(
            not mask
            for (nd, d0, sign, comma, giro), mask in self.route.items()
            if nd <= 8 and not comma and not giro and not (nd == 8 and (d0 == "0" or sign))
        )


_TABLES: dict[tuple[str, ...], _Tables] = {}


class Scanner:
    """Runs the chosen detectors over texts. Immutable once built; cheap to pickle."""

    def __init__(
        self,
        kinds: Iterable[str] | None = None,
        *,
        min_confidence: float = MIN_CONFIDENCE,
        include_non_personal: bool = False,
    ) -> None:
        wanted = tuple(kinds) if kinds is not None else KINDS
        unknown = set(wanted) - set(KINDS)
        if unknown:
            raise ValueError(f"unknown detector kind(s): {', '.join(sorted(unknown))}")
        self.kinds = wanted
        self.min_confidence = min_confidence
        self.include_non_personal = include_non_personal
        mods = _modules()
        # The orgnr detector always runs: it claims organisation numbers so that
        # no other detector reports them as personal data.
        active = tuple(dict.fromkeys((*wanted, "organisationsnummer")))
        # The routing tables depend on the active detectors only: built once per set of them
        # and shared (building them asks every numeric detector about ~1,700 window kinds,
        # 6 ms, which every unit of a scan paid when each built its own scanner).
        t = _TABLES.get(active)
        if t is None:
            t = _TABLES[active] = _Tables([mods[k] for k in active])
        self._numeric = t.numeric
        self._alnum = t.alnum
        self._whole = t.whole
        self._by_nd = t.by_nd
        self._fns_of = t.fns_of
        self._nd_mask = t.nd_mask
        self._route: dict[tuple[int, str, bool, bool, bool], int] | None = t.route
        self._plans = t.plans  # a cache of window plans by run shape, shared too (see _plan)
        self._short_quiet = t.short_quiet
        self._email = mods["email"] if "email" in wanted else None
        self._pnr = mods["personnummer"] if "personnummer" in wanted else None
        self._phone = mods["phone"] if "phone" in wanted else None
        self._bank = mods["bank_account"] if "bank_account" in wanted else None
        # hints -> the per-value fast path for a field so hinted (see _find)
        self._fast_paths: dict[frozenset[str], Callable[..., list[Match] | None] | None] = {}

    def __reduce__(self):  # pickles as its settings
        return (
            _rebuild,
            (self.kinds, self.min_confidence, self.include_non_personal),
        )

    def find(
        self,
        text: str,
        hint: str | None = None,
        ref_date: date | None = None,
    ) -> list[Match]:
        """All findings in ``text``, sorted by position; offsets index ``text``."""
        if not text:
            return []
        hints = hint_kinds(hint)
        if not hints and text.isascii() and _PREFILTER.search(text) is None and not _may_be_obfuscated(text):
            return []  # the common case for most fields: nothing that could be an identifier
        return self._find([text], hint, hints, [ref_date])[0]

    def find_many(
        self,
        texts: Sequence[str],
        hint: str | None = None,
        ref_dates: Sequence[date | None] | None = None,
    ) -> list[list[Match]]:
        """Findings for each of ``texts`` (one field of many records), in one pass.

        The values are joined with newlines and scanned together, which costs
        far less than one call per value; each value is still its own world:
        context words do not reach across values, a hint's whole-value repairs
        apply to each value, and offsets index each value.

        The one thing read from the values together is what a payment-reference
        field (``ocr``, ``referens``) holds: any Luhn-valid digit string is a
        valid OCR number, so a date-shaped one alone is not reported as a
        personnummer; but where most of the field's references hold one (see
        :func:`_references_from_pnr`), the company builds them from its
        customers' personnummer, and they are reported. The same for a field
        named for a business number (order, invoice, customer number: the
        ``not_personal`` hint), where a compact personnummer shape alone is not
        reported unless most of the field's numbers are one (see
        :func:`_numbers_from_pnr`): the customer number that is the customer's
        personnummer.
        """
        refs = list(ref_dates) if ref_dates is not None else [None] * len(texts)
        hints = self.batch_hints(texts, hint, refs)
        if not hints:
            joined = "\n".join(texts)
            if _PREFILTER.search(joined) is None and not _may_be_obfuscated(joined) and _unchanged_by_normalize(joined):
                return [[] for _ in texts]
        return self._find(texts, hint, hints, refs)

    def batch_hints(self, texts: Sequence[str], hint: str | None, refs: Sequence[date | None]) -> frozenset[str]:
        """The hints of ``hint`` for these values of one field: its kinds, and what the values
        say together (:data:`REFERENCE_FROM_PNR`, :data:`NUMBERS_FROM_PNR`; see :meth:`find_many`)."""
        hints = hint_kinds(hint)
        if self._pnr is not None:
            if "payment_reference" in hints and _references_from_pnr(texts, refs):
                hints = hints | {REFERENCE_FROM_PNR}
            if "not_personal" in hints and _numbers_from_pnr(texts, refs):
                hints = hints | {NUMBERS_FROM_PNR}
        return hints

    def _find(
        self, texts: Sequence[str], hint: str | None, hints: frozenset[str], refs: Sequence[date | None]
    ) -> list[list[Match]]:
        """Findings for each value: the fast path of the field's hint where a value takes it, else the general path."""
        try:
            fast = self._fast_paths[hints]
        except KeyError:
            fast = self._fast_paths[hints] = self._fast_path_for(hints)
        if fast is None:
            return self._find_general(texts, hint, hints, refs)
        if fast is _fast_nothing and _only_short_runs(texts):
            return [[] for _ in texts]
        hint_words = frozenset(re.findall(r"[a-zåäö]+", hint.lower())) if hint else frozenset()
        today = date.today()
        out: list[list[Match]] = []
        rest: list[int] = []
        for k, (x, r) in enumerate(zip(texts, refs)):
            ms = fast(x, hints, hint_words, r or today)
            if ms is None:
                rest.append(k)
                out.append([])
            else:
                out.append(ms)
        if rest:
            if len(rest) == len(texts):
                return self._find_general(texts, hint, hints, refs)
            for k, ms in zip(rest, self._find_general([texts[k] for k in rest], hint, hints, [refs[k] for k in rest])):
                out[k] = ms
        return out

    def _find_general(
        self, texts: Sequence[str], hint: str | None, hints: frozenset[str], refs: Sequence[date | None]
    ) -> list[list[Match]]:
        """The general path: every detector over the values joined into one text."""
        alnum, emailer, pnr = self._alnum, self._email, self._pnr
        by_nd = self._by_nd
        today = date.today()
        hint_words = frozenset(re.findall(r"[a-zåäö]+", hint.lower())) if hint else frozenset()
        norms = [normalize(x, url_escapes=True, html_entities=True) for x in texts]
        segs: list[_Segment] = []
        pos = 0
        for n, r in zip(norms, refs):
            lo, hi = _stripped_span(n.text)
            segs.append(_Segment(pos, pos + len(n.text), (pos + lo, pos + hi) if hi > lo else (0, 0), r or today))
            pos += len(n.text) + 1
        t = norms[0].text if len(norms) == 1 else "\n".join(n.text for n in norms)
        starts = [sg.start for sg in segs]
        single = segs[0] if len(segs) == 1 else None

        short_ok = bool(hints & _SHORT_HINTS)
        # Where a giro keyword could start (every start of "giro", "pg", "bg" in any case).
        giro_starts = _giro_key_starts(t)
        # short runs matter only near a giro keyword
        giro_words = any(_GIRO_ANY.match(t, p) for p in giro_starts) if giro_starts else False

        def giro_near(p: int) -> bool:
            """``_GIRO_BEFORE.search(t, max(0, p - 24), p)``, after a cheap look for its keywords."""
            lo = max(0, p - 24)
            k = bisect_left(giro_starts, lo)
            if k == len(giro_starts) or giro_starts[k] >= p:
                return False
            return _GIRO_BEFORE.search(t, lo, p) is not None

        found: list[Match] = []
        num_candidates = self._num_candidates
        gk, n_keys = 0, len(giro_starts)
        match_at = emailer.match_at if emailer is not None else None
        plain = not hints and not giro_words
        short_quiet = self._short_quiet
        # short runs are skipped in the loop unless a short-number hint can make them
        # count: then they need not reach it (those near giro words are read after it)
        prefilter = _PREFILTER if short_ok else _PREFILTER_LONG
        for m in prefilter.finditer(t):
            kind = m.lastgroup
            ms, me = m.span()
            if kind == "num":
                if alnum and ms >= 2:
                    lc = t[ms - 1 if t[ms - 1] != " " else ms - 2]
                    if "A" <= lc <= "Z" or lc == "e":
                        self._alnum_led(t, ms, lc, hints, hint_words, single or segs[bisect_right(starts, ms) - 1], found)
                # fewer than 7 characters cannot hold 7 digits: only giro numbers are
                # that short, and only after their keyword (checked in _num_candidates)
                if me - ms < 7 and not short_ok:
                    if not giro_words:
                        continue
                    # giro_near(ms), with the keyword look-up done by a pointer (ms only grows)
                    lo = ms - 24 if ms > 24 else 0
                    while gk < n_keys and giro_starts[gk] < lo:
                        gk += 1
                    if gk == n_keys or giro_starts[gk] >= ms or _GIRO_BEFORE.search(t, lo, ms) is None:
                        continue
                if by_nd is not None:
                    seg = single or segs[bisect_right(starts, ms) - 1]
                    if not hints and me - ms <= 16 and (plain or short_quiet):
                        # No hint: a run of 8 digits or fewer offers no window unless it is
                        # 8 digits led by 0 (or, in a text with giro words, by the run's "+"
                        # or "(") or follows a comma (see _num_candidates, Scanner._short_quiet),
                        # or, in a text with giro words, has a giro keyword in the
                        # CONTEXT_CHARS before it: order numbers, dates, times and amounts end here.
                        # (a run of fewer than 8 characters has fewer than 8 digits: no count needed)
                        run = t[ms:me]
                        if (
                            (
                                me - ms < 8
                                or (nd := len(run) - len(run.translate(_NO_DIGITS))) < 8
                                or (nd == 8 and run.lstrip("+( ")[:1] != "0" and (plain or run[0] not in "+("))
                            )
                            and "," not in t[max(seg.start, ms - 3) : ms]
                        ):
                            if plain:
                                continue
                            k = bisect_left(giro_starts, max(seg.start, ms - CONTEXT_CHARS))
                            if k == n_keys or giro_starts[k] >= ms:
                                continue
                    num_candidates(t, ms, me, hints, hint_words, seg, giro_words, giro_near, giro_starts, found)
            elif kind == "at":
                if match_at is not None:
                    seg = single or segs[bisect_right(starts, ms) - 1]
                    ctx = context_at(
                        t, ms, me, seg.start, seg.end, hints, hint_words, (ms, me) == seg.whole, seg.ref.year, seg.ref.toordinal()
                    )
                    found.extend(match_at(t, ms, me, ctx))
            elif kind == "interim":
                if pnr is not None:
                    seg = single or segs[bisect_right(starts, ms) - 1]
                    found.extend(pnr.match_interim(t, ms, me, self._context(t, ms, me, hints, hint_words, seg)))
        # The short runs the long pass left to the regex engine that a giro keyword stands
        # before ("pg 4-2", "bankgiro: 5402"). Read after the others: a finding of one
        # overlaps no finding of another run (its span is its own), so the resolution
        # of overlaps and the order of the findings come out the same.
        if prefilter is _PREFILTER_LONG and giro_words and by_nd is not None:
            for ms, me in _short_runs_after(t, giro_starts):
                if giro_near(ms):
                    seg = single or segs[bisect_right(starts, ms) - 1]
                    num_candidates(t, ms, me, hints, hint_words, seg, giro_words, giro_near, giro_starts, found)
        # A number broken by a line wrap at one of its separators ("811228-\n9874",
        # "070-123\n45 67"): neither line's run is the identifier on its own.
        if by_nd is not None and "\n" in t:
            self._wrapped(t, segs, starts, single, hints, hint_words, found)
        if emailer is not None and _may_be_obfuscated(t):
            for m in _OBFUSCATED.finditer(t):
                ms, me = m.start(), m.end()
                seg = single or segs[bisect_right(starts, ms) - 1]
                found.extend(emailer.match_at(t, ms, me, self._context(t, ms, me, hints, hint_words, seg)))
        # Clearing and account after their own labels ("clearingnr 5839, kontonr 8257466"):
        # the prefilter sees two runs, neither an account on its own.
        if self._bank is not None and any(mk in t for mk in LABELLED_MARKERS):
            for m in chain(LABELLED_ACCOUNT.finditer(t), LABELLED_ACCOUNT_REVERSED.finditer(t)):
                ms, me = m.span()
                seg = single or segs[bisect_right(starts, ms) - 1]
                if me <= seg.end:  # the label stands before the clearing: the context starts there
                    cs = self._bank.labelled_start(m)
                    found.extend(self._bank.match_labelled(m, self._context(t, cs, me, hints, hint_words, seg)))
        # Reserve numbers of health care (reference §1.7): no check digit, so only after
        # their keyword, in a field named for them, or (the forms with a letter) in a
        # personnummer field.
        if pnr is not None:
            reserv_field = pnr.is_reserv_field(hint)
            if reserv_field or "personnummer" in hints or any(mk in t for mk in RESERV_MARKERS):
                for m in pnr.RESERVNUMMER.finditer(t):
                    ms, me = m.span()
                    seg = single or segs[bisect_right(starts, ms) - 1]
                    if me <= seg.end:
                        found.extend(pnr.match_reserv(m, self._context(t, ms, me, hints, hint_words, seg), reserv_field))
        # Hinted whole values that the prefilter cannot see as one candidate
        # (spreadsheet damage such as "198112289874.0" or a lost leading zero).
        if hints and self._whole:
            for sg in segs:
                ws, we = sg.whole
                if we > ws:
                    ctx = self._context(t, ws, we, hints, hint_words, sg)
                    for repair in self._whole:
                        found.extend(repair(t, ws, we, ctx))

        out: list[list[Match]] = [[] for _ in texts]
        if not found:
            return out
        if single is not None:
            ref_year = single.ref.year

            def ref_year_at(p: int) -> int:
                return ref_year

        else:

            def ref_year_at(p: int) -> int:
                return segs[bisect_right(starts, p) - 1].ref.year

        for f in _resolve(filters.apply(t, found, hints, ref_year_at)):
            if f.kind not in self.kinds and not (self.include_non_personal and f.kind == "organisationsnummer"):
                continue
            if f.confidence < self.min_confidence:
                continue
            if not f.personal and not self.include_non_personal:
                continue
            k = bisect_right(starts, f.start) - 1
            base = segs[k].start
            norm = norms[k]
            s0, e0 = f.start - base, f.end - base
            if norm._n_starts:
                s0, e0 = norm.to_original(s0), norm.to_original(e0, end=True)
            out[k].append(_replace_span(f, s0, e0) if (s0, e0) != (f.start, f.end) else f)
        for lst in out:
            lst.sort(key=lambda f: (f.start, f.end, f.kind))
        return out

    # -- fast paths ------------------------------------------------------------
    #
    # A value that is exactly one plainly written identifier in a field hinted
    # for its kind, or exactly a date, a timestamp or a short digit run in a
    # field hinted for no identifier, gets the findings the general path
    # (``_find_general``) gives it, without the general machinery: only the
    # detector that can find something in it runs. Each fast path takes only
    # shapes in which every other detector provably finds nothing (the reason
    # stands next to each test) and returns None for any other value, which
    # then goes the general way. tests/detectors/test_fastpaths.py compares the
    # two paths on generated values of every written form, found or not.
    #
    # What makes a value alone equal to the value in a batch: the general path
    # keeps each value its own world (context, whole-value repairs and filters
    # stop at the newline between values), and the only batch-wide inputs (the
    # giro keywords of other values) matter for digit runs of fewer than seven
    # digits in a field without giro or account hints, where they let only the
    # giro and comma-account readers look, and those need "bg", "pg", "giro" or
    # a comma inside the value: a fast path either has no such run or checks.

    def _fast_path_for(self, hints: frozenset[str]) -> Callable[..., list[Match] | None] | None:
        if hints <= _NOT_PERSONAL:
            return _fast_nothing
        if hints == _PNR_HINTS and self._pnr is not None:
            return self._fast_pnr
        if hints == _EMAIL_HINTS and self._email is not None:
            return self._fast_email
        if hints == _PHONE_HINTS and self._phone is not None:
            return self._fast_phone
        return None

    def _reported(self, t: str, found: list[Match], hints: frozenset[str], ref_year: int) -> list[Match]:
        """The filters, the overlap resolution and the reporting rules of the general path, for one value."""
        if not found:
            return found
        out = [
            f
            for f in _resolve(filters.apply(t, found, hints, lambda p: ref_year))
            if (f.kind in self.kinds or (self.include_non_personal and f.kind == "organisationsnummer"))
            and f.confidence >= self.min_confidence
            and (f.personal or self.include_non_personal)
        ]
        if len(out) > 1:
            out.sort(key=lambda f: (f.start, f.end, f.kind))
        return out

    def _fast_pnr(self, x: str, hints: frozenset[str], hint_words: frozenset[str], ref: date) -> list[Match] | None:
        """``19640823-3234``, ``196408233234``, ``640823-3234``, ``6408233234`` in a personnummer field.

        The run is one window of 10 or 12 digits (the 6-, 8- and 4-digit groups of a
        dashed form are windows too, but the giro reader, the only one that takes
        them besides the phone reader, needs a keyword, and the phone reader needs a
        leading 0, + or 46). Twelve digits start 18, 19 or 20: no orgnr (16), no
        phone; the account reader wants a 4-digit clearing group, or an account hint
        for a compact run; the card reader a card grouping or, compact, a Luhn-valid
        12 digits (20... passing Luhn goes the general way). Ten digits: no leading 0
        (a phone number's shape: general way); a valid date has a month digit below
        2, which no orgnr has; no account (6-digit first group or only 10 digits).
        The hint's whole-value repair finds the same number at a lower base
        confidence and loses to it, so the general path keeps this one.
        """
        m = _PNR_SHAPE.fullmatch(x)
        if m is None:
            return None
        dpart, sep, tail = m.groups()
        digits = dpart + tail
        if len(dpart) == 8:
            if dpart[:2] not in ("18", "19", "20"):
                return None
            if not sep and dpart[0] == "2" and luhn_is_valid(digits):
                return None
        elif dpart[0] == "0":
            return None
        n = len(x)
        w = Window(x, digits, (dpart, tail) if sep else (digits,), (sep,) if sep else (), 0, n, False, "", "", True, True)
        ctx = context_at(x, 0, n, 0, n, hints, hint_words, True, ref.year, ref.toordinal())
        found = list(self._pnr.match_window(w, ctx))  # type: ignore[union-attr]
        if not found:
            return None  # not a valid number: the general way (other readers may take it)
        return self._reported(x, found, hints, ref.year)

    def _fast_email(self, x: str, hints: frozenset[str], hint_words: frozenset[str], ref: date) -> list[Match] | None:
        """A plain address (``anna.berg12@example.se``) in an e-mail field.

        ASCII letters, digits and ``._+-`` around one ``@``: no other form of
        ``@``, no space or bracket (so no obfuscated form), no comma. The digit
        runs the prefilter sees in it are digits joined by ``.+-``; with no 7 such
        characters in a row none reaches 7 characters, and with no 6 digits in a
        row no interim number starts; such short runs give no reader a window
        unless a giro keyword stands in the value (with digits: the general way),
        nor after two capitals (an IBAN or VAT lead: the general way).
        """
        if _EMAIL_SHAPE.fullmatch(x) is None or _EMAIL_ODD.search(x) is not None:
            return None
        if _GIRO_KEYS.search(x) is not None and _ANY_DIGIT.search(x) is not None:
            return None
        at = x.index("@")
        n = len(x)
        ctx = context_at(x, at, at + 1, 0, n, hints, hint_words, False, ref.year, ref.toordinal())
        return self._reported(x, list(self._email.match_at(x, at, at + 1, ctx)), hints, ref.year)  # type: ignore[union-attr]

    def _fast_phone(self, x: str, hints: frozenset[str], hint_words: frozenset[str], ref: date) -> list[Match] | None:
        """A number of digit groups joined by single spaces or hyphens, or compact, maybe led by +, in a phone field
        (``070-123 45 67``, ``+46 70 123 45 67``, ``0701234567``, ``+46701234567``).

        The run is the whole value; its windows are those of the general path.
        Only the phone reader runs; a window that another reader could take sends
        the value the general way. Personnummer and orgnr readers take 10 and 12
        digits: as one group, 10 digits must pass Luhn for either (then the general
        way) and 12 digits start 16-20 (a 1 or 2 first: the general way); as
        groups, their last group has 4 digits (else neither reads it). Cards take
        12-19 digits starting 2-6, never after the run's +. Accounts take 9-15
        digits that do not start with 0 nor after the +: as groups only after a
        clearing group (4 digits, 5 starting with 8), compact only with an account
        hint; giro numbers need a keyword, a comma clearing a comma. The phone
        reader reads only a window led by the run's +, one starting with 0, 11
        digits starting with 4, or the whole run (a lost leading zero); its
        findings go through the same filters and overlap resolution.
        """
        if _PHONE_SHAPE.fullmatch(x) is None:
            return None
        plus = x[0] == "+"
        if x.isdigit() or (plus and x[1:].isdigit()):
            groups: list[str] = [x[1:] if plus else x]
            seps: list[str] = []
            starts = [1 if plus else 0]
        else:
            parts = _DIGIT_SPLIT.split(x)  # lead, group, sep, group, ..., group, ""
            groups = parts[1::2]
            seps = parts[2:-1:2]
            starts = list(islice(accumulate(map(len, parts)), 0, None, 2))
        lens = tuple(map(len, groups))
        key = (lens, 7, True)
        plan = _PLANS.get(key)
        if plan is None:
            plan = _PLANS[key] = _window_plan(lens, 7, True)
            if len(_PLANS) > 4096:
                _PLANS.clear()
        n = len(x)
        last = len(groups) - 1
        phone = self._phone.match_window  # type: ignore[union-attr]
        ref_year, ref_ordinal = ref.year, ref.toordinal()
        found: list[Match] = []
        for i, j, ndig, _ in plan:
            d0 = groups[i][0]
            first = i == 0
            lead_plus = first and plus
            if ndig == 10 or ndig == 12:
                if i == j:
                    if (ndig == 10 and luhn_is_valid(groups[i])) or (ndig == 12 and d0 in "12"):
                        return None
                elif lens[j] == 4:
                    return None
            if ndig >= 12 and d0 in "23456" and not lead_plus:
                return None
            if ndig >= 9 and i != j and d0 != "0" and not lead_plus and (lens[i] == 4 or (lens[i] == 5 and d0 == "8")):
                return None
            if 8 <= ndig <= 17 and (lead_plus or d0 == "0" or (d0 == "4" and ndig == 11) or (first and j == last and ndig <= 9)):
                ws = 0 if first else starts[i]
                we = starts[j] + lens[j]
                w = Window(
                    x[ws:we],
                    groups[i] if i == j else "".join(groups[i : j + 1]),
                    tuple(groups[i : j + 1]),
                    tuple(seps[i:j]),
                    ws,
                    we,
                    lead_plus,
                    x[max(0, ws - 8) : ws],
                    x[we : we + 8],
                    first,
                    j == last,
                )
                ctx = context_at(x, ws, we, 0, n, hints, hint_words, ws == 0 and we == n, ref_year, ref_ordinal)
                found.extend(phone(w, ctx))
        return self._reported(x, found, hints, ref_year)

    # -- internals -------------------------------------------------------------

    def _wrapped(
        self,
        t: str,
        segs: list[_Segment],
        starts: list[int],
        single: _Segment | None,
        hints: frozenset[str],
        hint_words: frozenset[str],
        found: list[Match],
    ) -> None:
        """Numbers a line wrap split at a separator: at each break point of :data:`_WRAP_POINT`
        (a line ending in ``811228-``, in a short group of a grouped number ``070-123``,
        ``4111 1111``, in a phone number's first group ``072`` or an IBAN lead ``SE45``),
        the next line starting with a digit.

        The two lines are read joined by a space (a local copy of the same length, so
        offsets hold); only findings that cross the line break are kept, with a
        penalty, and a piece of one on one line that reads as a shorter number of the
        same kind gives way to it. A break between two values of a batch is no wrap.
        """
        for m in _WRAP_POINT.finditer(t):
            p = m.start()
            seg = single or segs[bisect_right(starts, p) - 1]
            if p >= seg.end:
                continue  # the newline between two values
            q = p + 1  # where the next line's text starts: past a reply's quote marker
            if t[q] == ">":
                q = _QUOTE_MARKER.match(t, q).end()  # type: ignore[union-attr]  # _WRAP_POINT saw one
                marker = t[p + 1 : q]
                line = max(seg.start, t.rfind("\n", seg.start, p) + 1)
                if not t.startswith(marker, line) or t[line + len(marker) : line + len(marker) + 1] in (">", " "):
                    continue  # the line of the break is not quoted so: another message, no wrap
            lo = max(seg.start, p - 64)
            t2 = t[lo:p] + " " + t[q : min(seg.end, q + 40)]
            k = p - lo
            shift = q - p - 1  # offsets in t2 after the joint lie this much further on in t
            for r in _PREFILTER.finditer(t2):
                rs, re_ = r.span()
                if rs > k:
                    break
                if re_ <= k or r.lastgroup != "num":
                    continue
                local: list[Match] = []
                seg2 = _Segment(0, len(t2), (0, 0), seg.ref)
                if self._alnum and rs >= 2:
                    lc = t2[rs - 1 if t2[rs - 1] != " " else rs - 2]
                    if "A" <= lc <= "Z" or lc == "e":
                        self._alnum_led(t2, rs, lc, hints, hint_words, seg2, local)
                self._num_candidates(t2, rs, re_, hints, hint_words, seg2, False, _no_giro, [], local)
                for f in local:
                    if f.start < k < f.end:
                        gs, ge = f.start + lo, f.end + lo + shift
                        # a piece of it on one line that reads as a shorter number of the
                        # same kind ("08-465 004" of "08-465 004\n22") gives way to it
                        found[:] = [
                            g for g in found
                            if not (g.kind == f.kind and g.inside is None and gs <= g.start and g.end <= ge and (g.end <= p or g.start > p))
                        ]
                        found.append(
                            Match(f.kind, f.subkind, gs, ge, f.value,
                                  round(max(0.01, f.confidence - WRAP_PENALTY), 3), (*f.why, "shape:line-wrap"),
                                  f.test_data, f.personal, f.inside)
                        )
                break

    def _alnum_led(
        self, t: str, ms: int, lc: str, hints: frozenset[str], hint_words: frozenset[str], seg: _Segment, found: list[Match]
    ) -> None:
        """An IBAN or VAT number whose letters lead the digit run at ``ms`` (``SE45 5000 ...``):
        ``lc`` is the character before the run (past one space), a capital or an ``e``."""
        if lc == "e":
            self._lower_se(t, ms, hints, hint_words, seg, found)
            return
        lead = _ALNUM_LEAD.search(t, max(0, ms - 3), ms)
        if lead is not None and lead.start() >= seg.start:
            ctx = self._context(t, lead.start(), ms, hints, hint_words, seg)
            for mod in self._alnum:
                found.extend(mod.match_alnum(t, lead.start(), ctx))

    def _lower_se(
        self, t: str, ms: int, hints: frozenset[str], hint_words: frozenset[str], seg: _Segment, found: list[Match]
    ) -> None:
        """A Swedish IBAN or VAT number led by a lower-case ``se`` (``se45 5000 0000 0583 9825 7466``).

        The alphanumeric readers take capitals only; they read a copy with the lead in
        capitals (mod 97 and the length still decide), and the spans are moved back.
        """
        lead = _SE_LOWER_LEAD.search(t, max(0, ms - 3), ms)
        if lead is None or lead.start() < seg.start:
            return
        ls = lead.start()
        up = "SE" + t[ls + 2 : min(seg.end, ls + 48)]
        ctx = self._context(t, ls, ms, hints, hint_words, seg)
        for mod in self._alnum:
            for f in mod.match_alnum(up, 0, ctx):
                found.append(
                    Match(f.kind, f.subkind, f.start + ls, f.end + ls, f.value, f.confidence, (*f.why, "shape:lower-case"),
                          f.test_data, f.personal, f.inside)
                )

    @staticmethod
    def _context(t: str, start: int, end: int, hints: frozenset[str], hint_words: frozenset[str], seg: _Segment) -> Context:
        return context_at(
            t, start, end, seg.start, seg.end, hints, hint_words, (start, end) == seg.whole, seg.ref.year, seg.ref.toordinal()
        )

    def _num_candidates(
        self,
        t: str,
        start: int,
        end: int,
        hints: frozenset[str],
        hint_words: frozenset[str],
        seg: _Segment,
        giro: bool,
        giro_near: Callable[[int], bool],
        giro_starts: list[int],
        found: list[Match],
    ) -> None:
        """Offer every window of the digit run ``t[start:end]`` to the detectors that can use it."""
        run = t[start:end]
        if run.isdigit():  # one compact group: the common case
            n = 1
            starts: list[int] = [start]
            groups: list[str] = [run]
            seps: list[str] = []
            total_digits = end - start
        else:
            parts = _DIGIT_SPLIT.split(run)  # lead, group, sep, group, ..., group, ""
            groups = parts[1::2]
            seps = parts[2:-1:2]
            n = len(groups)
            starts = [start + o for o in islice(accumulate(map(len, parts)), 0, None, 2)]
            total_digits = sum(map(len, groups))
        # Short numbers (plusgiro "4-2", a Sparbanken Syd account) only in a field
        # hinted for them or right after a giro keyword; everything else has 7+ digits.
        min_digits = 7
        if hints & _SHORT_HINTS or (total_digits < 7 and giro_near(start)):
            min_digits = 2
        if total_digits < min_digits:
            return
        floor, ceil = seg.start, seg.end
        plus_run = run[0] == "+"
        lead_sign = plus_run or run[0] == "("
        comma_run = "," in t[max(floor, start - 3) : start]
        # Without a hint, a window of 8 digits or fewer is only ever a giro number
        # (after its keyword) or an account after a comma-separated clearing:
        # dates, times and IP addresses stop here, before any detector is asked.
        short_windows = bool(hints) or giro or comma_run
        lens = (total_digits,) if n == 1 else tuple(map(len, groups))
        key = (lens, min_digits, short_windows)
        plan = self._plans.get(key)
        if plan is None:
            plan = self._plans[key] = self._plan(lens, min_digits, short_windows)
            if len(self._plans) > 4096:
                self._plans.clear()
        if not plan:
            return
        # Without a hint, each window goes only to the detectors that can use it
        # (see Scanner._route); with one, to all that take its digit count; either
        # way only to those that can use the digit counts of its groups (the shape
        # masks of the plan). Without routing (_route None), to all that take its
        # digit count.
        routed = self._route is not None
        route = None if hints else self._route
        by_nd, nd_mask, fns_of = self._by_nd, self._nd_mask, self._fns_of
        whole = seg.whole
        ref_year, ref_ordinal = seg.ref.year, seg.ref.toordinal()
        extend = found.extend
        near_giro: bool | None = None
        last_i = -1
        for i, j, ndig, need_zero, shape, comma_shape in plan:
            d0 = groups[i][0]
            if need_zero and d0 != "0":
                continue
            first = i == 0
            # a window may start with the "+" or "(" that leads the run
            wstart = start if first else starts[i]
            if not routed:
                fns = by_nd[ndig]  # type: ignore[index]
            else:
                if route is None:
                    mask = nd_mask[ndig]
                elif ndig <= 8:
                    if i != last_i:
                        # a giro keyword in the text the detectors read before the window
                        k = bisect_left(giro_starts, max(floor, wstart - CONTEXT_CHARS))
                        near_giro = k < len(giro_starts) and giro_starts[k] < wstart
                        last_i = i
                    mask = route[ndig, d0, first and lead_sign, first and comma_run, near_giro]  # type: ignore[index]
                else:
                    mask = route[ndig, d0, first and lead_sign, first and comma_run, False]
                fns = fns_of[mask & (comma_shape if first and comma_run else shape)]
            if not fns:
                continue
            we = starts[j] + lens[j]
            ctx = context_at(t, wstart, we, floor, ceil, hints, hint_words, (wstart, we) == whole, ref_year, ref_ordinal)
            w = Window(
                t[wstart:we],
                groups[i] if i == j else "".join(groups[i : j + 1]),
                tuple(groups[i : j + 1]),
                tuple(seps[i:j]),
                wstart,
                we,
                plus_run and first,
                t[max(floor, wstart - 8) : wstart],
                t[we : min(ceil, we + 8)],
                first,
                j == n - 1,
            )
            for fn in fns:
                extend(fn(w, ctx))

    def _plan(
        self, lens: tuple[int, ...], min_digits: int, short_windows: bool
    ) -> tuple[tuple[int, int, int, bool, int, int], ...]:
        """The windows of :func:`_window_plan`, each with the masks of the matchers that can
        use the digit counts of its groups: (..., shape mask, shape mask after a comma)."""
        out = []
        for i, j, ndig, need_zero in _window_plan(lens, min_digits, short_windows):
            wl = lens[i : j + 1]
            out.append((
                i, j, ndig, need_zero,
                _mask(m.window_shape_wanted(wl, False) for m in self._numeric),
                _mask(m.window_shape_wanted(wl, True) for m in self._numeric),
            ))
        return tuple(out)


def _mask(bits: Iterable[bool]) -> int:
    """The bit mask of ``bits`` (bit k set where the k-th is true)."""
    return sum(1 << k for k, b in enumerate(bits) if b)


# (group lengths, minimum digits, short windows allowed) -> the windows worth building.
_PLANS: dict[tuple[tuple[int, ...], int, bool], tuple[tuple[int, int, int, bool], ...]] = {}


def _short_runs_after(t: str, giro_starts: list[int]) -> list[tuple[int, int]]:
    """The spans of the digit runs of ``t`` that _PREFILTER finds and _PREFILTER_LONG does not
    (short runs: see _PREFILTER_LONG) starting at most 24 characters after a giro keyword
    start (the reach of _GIRO_BEFORE), in order.

    A giro keyword starts with a letter, never inside a match of _PREFILTER, and each
    match ends where the full pass would search on: the passes from these places
    find what the full pass finds there.
    """
    out: list[tuple[int, int]] = []
    pos = 0
    for g in giro_starts:
        for m in _PREFILTER.finditer(t, max(g, pos)):
            ms, me = m.span()
            if ms > g + 24:
                break
            pos = me
            if m.lastgroup == "num" and me - ms < 7 and _PREFILTER_LONG.match(t, ms) is None:
                out.append((ms, me))
    return out


def _window_plan(lens: tuple[int, ...], min_digits: int, short_windows: bool) -> tuple[tuple[int, int, int, bool], ...]:
    """The windows (first group, last group, digits, needs a leading 0) of a run with these group lengths.

    A window has at most MAX_GROUPS groups and MAX_DIGITS digits and at least
    ``min_digits``; one of 8 digits or fewer only where short windows are
    allowed, except 8 digits starting with 0 (a phone number: ``needs a leading 0``).
    """
    out = []
    n = len(lens)
    for i in range(n):
        ndig = 0
        for j in range(i, min(n, i + MAX_GROUPS)):
            ndig += lens[j]
            if ndig > MAX_DIGITS:
                break
            if ndig < min_digits:
                continue
            need_zero = ndig <= 8 and not short_windows
            if need_zero and ndig != 8:
                continue
            out.append((i, j, ndig, need_zero))
    return tuple(out)


def _rebuild(kinds: tuple[str, ...], min_confidence: float, include_non_personal: bool) -> Scanner:
    return Scanner(kinds, min_confidence=min_confidence, include_non_personal=include_non_personal)


# A payment-reference field is taken to hold references built from a personnummer
# when at least this many of its values are all-digit references of 10-25 digits
# and at least this share of those hold a valid personnummer (whole, or at their
# start). Random OCR numbers pass as a 10-digit personnummer about 1 time in 15
# (Luhn-valid by construction; a valid date, samordningsnummer days included, about
# 1 in 15) and longer ones with a personnummer start about 1 in 150: a share of
# one half tells the two apart with a wide margin.
REFERENCE_EVIDENCE_MIN = 3
REFERENCE_EVIDENCE_SHARE = 0.5


def _references_from_pnr(texts: Sequence[str], refs: Sequence[date | None]) -> bool:
    """Whether the values of a payment-reference field are mostly built from a personnummer."""
    return _mostly_pnr(texts, refs, 10, lambda x, year: is_reference_with_pnr(x.strip(), year))


def _numbers_from_pnr(texts: Sequence[str], refs: Sequence[date | None]) -> bool:
    """Whether the numbers of a business-number field (``kundnr``, ``ordernr``) are mostly a personnummer.

    The same weighing as :func:`_references_from_pnr`, over the values that are
    numbers of 9-25 digits or dashed personnummer shapes (see
    :func:`detectors.personnummer.is_number_from_pnr`; short ids, dates and text do
    not count). Random numbers with a Luhn check digit pass as a personnummer about
    1 time in 13, without one about 1 in 120: a share of one half tells a customer
    number that is the customer's personnummer from an order number.
    """
    return _mostly_pnr(texts, refs, 9, is_number_from_pnr)


def _mostly_pnr(
    texts: Sequence[str], refs: Sequence[date | None], shortest: int, judge: Callable[[str, int], bool | None]
) -> bool:
    """Whether at least :data:`REFERENCE_EVIDENCE_MIN` values are weighed (``judge`` of the value and
    its reference year is not None; a value shorter than ``shortest`` never is) and at least
    :data:`REFERENCE_EVIDENCE_SHARE` of those hold a personnummer (True)."""
    this_year = date.today().year
    n = hits = 0
    for x, r in zip(texts, refs):
        if len(x) < shortest:
            continue  # (the common case: short ids, amounts)
        got = judge(x, r.year if r is not None else this_year)
        if got is not None:
            n += 1
            hits += got
    return n >= REFERENCE_EVIDENCE_MIN and hits >= REFERENCE_EVIDENCE_SHARE * n


def _has_markers(text: str) -> bool:
    return any(mk in text for mk in OBFUSCATION_MARKERS)


# OBFUSCATION_MARKERS split: those that name an obfuscated "@" themselves ("at]",
# "snabel", ...) and the written-out dots (" punkt ", " dot ", ...) of the word form.
_AT_MARKERS = tuple(mk for mk in OBFUSCATION_MARKERS if not mk.startswith(" "))
_DOT_MARKERS = tuple(mk for mk in OBFUSCATION_MARKERS if mk.startswith(" "))
# An "at" or "AT" after a space or an opening bracket and before a space: every
# match of _OBFUSCATED with an at/AT core and no "at]"-style marker holds one.
_OPENING = "[({<"
_CLOSING = "])}>"
_AT_SPACED = tuple(o + a + " " for o in " " + _OPENING for a in ("at", "AT"))


def _may_be_obfuscated(text: str) -> bool:
    """``_has_markers(text)``, narrowed to texts where ``_OBFUSCATED`` can match at all.

    The dot markers are common in prose ("under punkt 15"), and a search for
    _OBFUSCATED tries its pattern at every space. A match of it is
    ``[ ]?O[ ]?core[ ]?C[ ]?`` (O/C an opening/closing bracket) or
    `` core `` (before a word and " punkt "), the core "at", "AT" or "snabel..."
    (or the tight ``(a)``/``(A)``, itself a marker)
    : with the core "snabel" the text holds "snabel"; with "at"/"AT" and a
    closing bracket right after it (or after one space), an "at]"- or
    "at ]"-style marker; otherwise "at "
    or "AT " after a space or an opening bracket (_AT_SPACED). So this is true
    wherever the old gate (_has_markers) is true and a match exists, and only
    where the old gate is true: the findings are the same (tested in
    tests/detectors/test_scan_fastpaths.py).
    """
    # The same tests, cheapest first (this runs over every text): a bracket
    # character, absent from most texts, is one memchr; the three-character
    # markers are looked for only after their bracket, the spaced forms after
    # the two common ones.
    for c in _CLOSING:
        if c in text and ("at" + c in text or "AT" + c in text or "at " + c in text or "AT " + c in text):
            return True  # an _AT_MARKERS bracket marker
    if "snabel" in text or "(a)" in text or "(A)" in text:
        return True
    if not any(mk in text for mk in _DOT_MARKERS):
        return False
    if " at " in text or " AT " in text:
        return True
    return any(o in text and (o + "at " in text or o + "AT " in text) for o in _OPENING)


def _unchanged_by_normalize(text: str) -> bool:
    """Whether :func:`normalize`, as the general path calls it (``url_escapes``, ``html_entities``), leaves ``text`` as it is."""
    return unchanged(text, url_escapes=True, html_entities=True)


_NOT_PERSONAL = frozenset({"not_personal"})
_PNR_HINTS = frozenset({"personnummer"})
_EMAIL_HINTS = frozenset({"email"})
_PHONE_HINTS = frozenset({"phone"})
# Values in which no detector finds anything, in a field hinted for no identifier
# (tested against the general path): a digit run of up to 6 digits (ids, postal
# codes), and an ISO date or timestamp. The run the prefilter sees in
# "2019-03-04 12:33:10" is "2019-03-04 12": 8 and 10 digits. No personnummer
# (its last group would be 4 digits), no orgnr (4 groups), no phone (no 0, + or
# 46 first), no card (fewer than 12 digits), no giro number (no keyword); the
# account reader takes clearing 1000-2999 with a 6-digit account, and every such
# clearing wants 7 digits or more (tests/detectors/test_fastpaths.py checks the
# table). Minutes, seconds and up to 4 decimals are runs too short to offer.
_NOTHING = re.compile(
    r"[0-9]{1,6}|[12][0-9]{3}-[0-9]{2}-[0-9]{2}(?:[ T][0-9]{2}:[0-9]{2}(?::[0-9]{2}(?:\.[0-9]{1,4})?)?)?"
)
_NOTHING_MAX = len("2019-03-04 12:33:10.1234")
_PNR_SHAPE = re.compile(r"([0-9]{6}|[0-9]{8})(-?)([0-9]{4})")
_EMAIL_SHAPE = re.compile(r"[A-Za-z0-9_.+-]+@[A-Za-z0-9.-]+")
# In an _EMAIL_SHAPE value: a place where a digit run of 7+ characters, an
# interim number or an alphanumeric (IBAN/VAT) lead could be (see _fast_email).
_EMAIL_ODD = re.compile(r"[0-9.+-]{7}|[0-9]{6}|(?<![A-Za-z])[A-Z]{2}(?=[0-9+])")
_ANY_DIGIT = re.compile(r"[0-9]")
_PHONE_SHAPE = re.compile(r"\+?[0-9]+(?:[ -][0-9]+)*")


def _fast_nothing(x: str, hints: frozenset[str], hint_words: frozenset[str], ref: date) -> list[Match] | None:
    """``[]`` for a :data:`_NOTHING` value (a field hinted for no identifier), else None (the general way)."""
    return [] if len(x) <= _NOTHING_MAX and _NOTHING.fullmatch(x) is not None else None


# Markers of the passes in _find_general that start from a label, not from the prefilter
_LABEL_PASS_MARKERS = LABELLED_MARKERS + RESERV_MARKERS


def _only_short_runs(texts: Sequence[str]) -> bool:
    """Whether the general path finds nothing in these values of a field hinted for no identifier
    because their only candidates are digit runs shorter than 7 characters ("Ringvägen 91", "4711").

    Such runs are read only near a giro keyword (none in the batch, so none reaches a
    reader) and not after two capitals (an IBAN or VAT lead: the general way); the
    text must read the same after normalisation and hold no obfuscation marker.
    """
    t = "\n".join(texts)
    for m in _PREFILTER.finditer(t):
        ms, me = m.span()
        if m.lastgroup != "num" or me - ms >= 7:
            return False
        if ms >= 2 and "A" <= t[ms - 1 if t[ms - 1] != " " else ms - 2] <= "Z" and _ALNUM_LEAD.search(t, ms - 3 if ms >= 3 else 0, ms):
            return False
    # the general path's giro_words (_giro_key_starts holds every place where _GIRO_ANY can match)
    if any(_GIRO_ANY.match(t, p) for p in _giro_key_starts(t)):
        return False
    # the label-led passes read short runs too: a labelled clearing and account
    # ("clearing 9570 konto 12344"), a reserve number ("reservnummer 811228A071")
    if any(mk in t for mk in _LABEL_PASS_MARKERS):
        return False
    # a short run wrapped onto the next line ("811228-\n9874") is read across the break
    if t.count("\n") >= len(texts) and any(_WRAP_POINT.search(x) is not None for x in texts):
        return False  # (a newline inside a value, not only those that join the values)
    # no obfuscated address: the general path looks for one only where _may_be_obfuscated
    return not _may_be_obfuscated(t) and _unchanged_by_normalize(t)


def _stripped_span(t: str) -> tuple[int, int]:
    s = len(t) - len(t.lstrip())
    e = len(t.rstrip())
    return (s, e) if e > s else (0, 0)


def _replace_span(f: Match, start: int, end: int) -> Match:
    return Match(f.kind, f.subkind, start, end, f.value, f.confidence, f.why, f.test_data, f.personal, f.inside)


def _overlaps(a: Match, b: Match) -> bool:
    return a.start < b.end and b.start < a.end


AMBIGUITY_MARGIN = 0.15


def _resolve(found: list[Match]) -> list[Match]:
    """Pick non-overlapping findings, most confident (then longest) first.

    A finding that is ``inside`` another identifier is kept when its parent
    is kept. Two findings of different kinds on exactly the same span are
    both kept when their confidences are close (``0701740607`` is both a
    phone number and a samordningsnummer): the reader gets both, each with
    the reason.
    """
    if len(found) <= 1:
        return found
    # Same value at the same span from two windows: keep the best one.
    # (A finding inside another identifier stays apart from a free-standing one on the same
    # span: "SE 811228-9874 01" holds both; the free one loses to the VAT number.)
    best: dict[tuple[str, int, int, str, bool], Match] = {}
    for f in found:
        key = (f.kind, f.start, f.end, f.value, f.inside is None)
        cur = best.get(key)
        if cur is None or f.confidence > cur.confidence:
            best[key] = f
    primary = [f for f in best.values() if f.inside is None]
    nested = [f for f in best.values() if f.inside is not None]
    chosen: list[Match] = []
    # Sweep by position: only findings whose spans chain into each other compete.
    primary.sort(key=lambda f: f.start)
    group: list[Match] = []
    group_end = -1
    for f in primary:
        if group and f.start >= group_end:
            chosen.extend(_resolve_group(group))
            group = []
        group.append(f)
        group_end = max(group_end, f.end) if len(group) > 1 else f.end
    if group:
        chosen.extend(_resolve_group(group))
    for f in nested:
        if any(c.start <= f.start and f.end <= c.end for c in chosen):
            if not any(_overlaps(c, f) and c.kind == f.kind and c.value == f.value for c in chosen):
                chosen.append(f)
    return chosen


def _resolve_group(group: list[Match]) -> list[Match]:
    if len(group) == 1:
        return group
    group.sort(key=lambda f: (-f.confidence, -(f.end - f.start), f.start, f.kind))
    chosen: list[Match] = []
    for f in group:
        clash = [c for c in chosen if _overlaps(c, f)]
        if not clash:
            chosen.append(f)
        elif all(
            c.start == f.start and c.end == f.end and c.kind != f.kind and f.confidence >= c.confidence - AMBIGUITY_MARGIN
            for c in clash
        ):
            chosen.append(f)
    return chosen


def find_all(
    text: str,
    hint: str | None = None,
    ref_date: date | None = None,
    kinds: Iterable[str] | None = None,
    min_confidence: float = MIN_CONFIDENCE,
) -> list[Match]:
    """Find every kind of personal data in ``text``.

    >>> [(f.kind, f.subkind, f.value) for f in find_all("pnr 811228-9874")]
    [('personnummer', 'personnummer', '198112289874')]
    """
    return Scanner(kinds, min_confidence=min_confidence).find(text, hint=hint, ref_date=ref_date)
