"""Values shared by every detector: the finding, the validation errors, masking."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, fields


class ValidationError(ValueError):
    """A value is not a valid identifier of the kind asked for.

    Messages never contain the value itself: they may end up in logs.
    """

    message = "invalid value"

    def __init__(self, message: str | None = None) -> None:
        super().__init__(message or self.message)


class InvalidFormat(ValidationError):
    message = "the value has an invalid format"


class InvalidLength(InvalidFormat):
    message = "the value has an invalid length"


class InvalidChecksum(ValidationError):
    message = "the check digit or checksum does not match"


class InvalidComponent(ValidationError):
    message = "one of the parts of the value is invalid"


@dataclass(frozen=True, slots=True)
class Match:
    """One finding in a text.

    ``start``/``end`` are offsets into the text as given to ``find()``;
    ``value`` is the canonical value that the data map keys on (two written
    forms of one identifier give the same value); ``why`` names the rules and
    context that raised or lowered ``confidence``.
    """

    kind: str
    subkind: str
    start: int
    end: int
    value: str
    confidence: float
    why: tuple[str, ...] = ()
    test_data: bool = False
    personal: bool = True
    inside: str | None = None  # e.g. "vat", "iban", "personkonto": found within another identifier

    # The __init__ dataclass would write (same fields, same defaults), setting each
    # field through its slot's descriptor: the generated one of a frozen dataclass
    # calls object.__setattr__ per field, several times slower, and every finding is
    # built here (_set_match_fields is defined after the class, from its slots).
    def __init__(
        self,
        kind: str,
        subkind: str,
        start: int,
        end: int,
        value: str,
        confidence: float,
        why: tuple[str, ...] = (),
        test_data: bool = False,
        personal: bool = True,
        inside: str | None = None,
    ) -> None:
        _set_match_fields(self, kind, subkind, start, end, value, confidence, why, test_data, personal, inside)

    @property
    def masked(self) -> str:
        return mask(self.kind, self.value)

    def as_dict(self, reveal: bool = False) -> dict[str, object]:
        return {
            "kind": self.kind,
            "subkind": self.subkind,
            "start": self.start,
            "end": self.end,
            "value": self.value if reveal else self.masked,
            "confidence": round(self.confidence, 3),
            "test_data": self.test_data,
            "inside": self.inside,
            "why": list(self.why),
        }

    def __repr__(self) -> str:  # never show the plaintext value in reprs or logs
        return (
            f"Match(kind={self.kind!r}, subkind={self.subkind!r}, start={self.start}, "
            f"end={self.end}, value={self.masked!r}, confidence={self.confidence:.2f})"
        )


def _match_fields_setter() -> Callable[..., None]:
    """A function that sets every field of a Match through the descriptors of its slots."""
    (kind, subkind, start, end, value, confidence, why, test_data, personal, inside) = (
        getattr(Match, f.name).__set__ for f in fields(Match)
    )

    def set_fields(
        m: Match, k: str, s: str, b: int, e: int, v: str, c: float, w: tuple[str, ...], t: bool, p: bool, i: str | None
    ) -> None:
        kind(m, k)
        subkind(m, s)
        start(m, b)
        end(m, e)
        value(m, v)
        confidence(m, c)
        why(m, w)
        test_data(m, t)
        personal(m, p)
        inside(m, i)

    return set_fields


_set_match_fields = _match_fields_setter()


class Context:
    """What a detector knows about where a candidate stands.

    ``before`` is the lower-cased text just before the candidate, ``after``
    the text just after it (both computed on first use: most candidates are
    rejected before anyone asks); ``hints`` are the kinds named by a field
    hint; ``whole`` is true when the candidate is the whole (stripped) value.
    """

    __slots__ = (
        "_t", "_start", "_end", "_floor", "_ceil", "_before", "_after",
        "hints", "hint_words", "whole", "ref_year", "ref_ordinal",
    )
    WIDTH = 48

    def __init__(
        self,
        before: str = "",
        after: str = "",
        hints: frozenset[str] = frozenset(),
        hint_words: frozenset[str] = frozenset(),
        whole: bool = False,
        ref_year: int = 2026,
        ref_ordinal: int = 0,
        *,
        text: str | None = None,
        start: int = 0,
        end: int = 0,
        floor: int = 0,
        ceil: int | None = None,
    ) -> None:
        self._t = text
        self._start = start
        self._end = end
        self._floor = floor  # context never reaches outside the value [floor, ceil)
        self._ceil = ceil
        self._before: str | None = None if text is not None else before
        self._after: str | None = None if text is not None else after
        self.hints = hints
        self.hint_words = hint_words
        self.whole = whole
        self.ref_year = ref_year
        self.ref_ordinal = ref_ordinal

    def with_before(self, before: str) -> "Context":
        """A copy whose ``before`` is ``before`` (for a candidate that starts earlier)."""
        return Context(before, self.after, self.hints, self.hint_words, self.whole, self.ref_year, self.ref_ordinal)

    @property
    def before(self) -> str:
        if self._before is None:
            assert self._t is not None
            self._before = self._t[max(self._floor, self._start - self.WIDTH) : self._start].lower()
        return self._before

    @property
    def after(self) -> str:
        if self._after is None:
            assert self._t is not None
            ceil = self._end + self.WIDTH if self._ceil is None else min(self._ceil, self._end + self.WIDTH)
            self._after = self._t[self._end : ceil].lower()
        return self._after


_new_context = object.__new__


def context_at(
    text: str,
    start: int,
    end: int,
    floor: int,
    ceil: int,
    hints: frozenset[str],
    hint_words: frozenset[str],
    whole: bool,
    ref_year: int,
    ref_ordinal: int,
) -> Context:
    """``Context(text=text, start=start, ...)`` for the scanner's hot path (positional, no defaults)."""
    c: Context = _new_context(Context)
    c._t = text
    c._start = start
    c._end = end
    c._floor = floor
    c._ceil = ceil
    c._before = None
    c._after = None
    c.hints = hints
    c.hint_words = hint_words
    c.whole = whole
    c.ref_year = ref_year
    c.ref_ordinal = ref_ordinal
    return c


def mask(kind: str, value: str) -> str:
    """Mask a canonical value for display: enough to recognise, not to use."""
    if kind == "personnummer":
        return value[:8] + "-****" if len(value) == 12 else "*" * len(value)
    if kind == "email":
        local, _, domain = value.partition("@")
        return (local[:1] + "***@" + domain) if domain else "***"
    if kind == "phone":
        return value[:-4] + "****" if len(value) > 6 else "****"
    if kind == "payment_card":
        digits = value
        return digits[:6] + "*" * max(len(digits) - 10, 0) + digits[-4:]
    if kind == "organisationsnummer":
        return value  # legal persons: not personal data
    if len(value) <= 4:
        return "*" * len(value)
    keep = max(2, len(value) // 5)
    return value[:keep] + "*" * (len(value) - 2 * keep) + value[-keep:]
