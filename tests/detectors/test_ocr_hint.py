"""A personnummer-shaped OCR number in an OCR or payment-reference field.

Any Luhn-valid digit string is a valid OCR reference (reference §3.8), so about
one in ten date-shaped 10-digit ones passes as a personnummer. Written compact
in a field named for OCR or payment references, such a number is kept at a low
confidence (not reported at the default threshold) unless a personnummer
keyword stands before it. All numbers are generated (valid check digits,
fictional) or Skatteverket test numbers.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from detectors import Scanner
from detectors.scan import MIN_CONFIDENCE
from detectors.checksums import luhn_check_digit
from detectors.context import hint_kinds

R = date(2026, 11, 24)
OCR_FIELDS = ["ocr", "OCR", "ocrnummer", "OCR-nummer", "ocr_nr", "referens", "Referens", "betalningsreferens",
              "Betalningsreferens", "payment_reference", "faktura_ocr"]
DEFAULT = Scanner()
ALL = Scanner(min_confidence=0.0)


def _pnr(born: date, serial: int) -> str:
    nine = f"{born:%y%m%d}{serial:03d}"
    return nine + luhn_check_digit(nine)


@pytest.mark.parametrize("field", OCR_FIELDS)
def test_payment_reference_fields_are_hinted(field: str) -> None:
    assert "payment_reference" in hint_kinds(field)


@pytest.mark.parametrize("field", ["personnummer", "kundreferens", "preferens", "refund", "order", "telefon", "notes"])
def test_other_fields_are_not(field: str) -> None:
    assert "payment_reference" not in hint_kinds(field)


def _pnrs(found: list) -> list:  # noqa: ANN001 - detectors.Match
    return [m for m in found if m.kind == "personnummer"]


@pytest.mark.parametrize("field", OCR_FIELDS)
def test_compact_personnummer_in_an_ocr_field_is_not_reported(field: str) -> None:
    for value in ("8112289874", "6408233234", "198112289874", "7010632391"):
        assert _pnrs(DEFAULT.find(value, hint=field, ref_date=R)) == [], value
        (low,) = _pnrs(ALL.find(value, hint=field, ref_date=R))
        assert low.confidence < MIN_CONFIDENCE
        assert "hint:payment-reference(-)" in low.why
        # in a batch (the worker's path) too
        assert _pnrs(DEFAULT.find_many([value, "12345", value], hint=field, ref_dates=[R, R, R])[0]) == []


@pytest.mark.parametrize("field", ["ocr", "betalningsreferens", "referens"])
@pytest.mark.parametrize("prefix", ["pnr ", "Personnummer: ", "personnr 8112289874 / ", "samordningsnummer "])
def test_personnummer_context_in_the_text_still_reports_it(field: str, prefix: str) -> None:
    value = "7010632391" if prefix.startswith("samordnings") else "8112289874"
    found = _pnrs(DEFAULT.find(prefix + value, hint=field, ref_date=R))
    assert found and found[-1].confidence >= MIN_CONFIDENCE
    assert "hint:payment-reference(-)" not in found[-1].why


def test_written_as_a_personnummer_it_stays_reported() -> None:
    """A dash (or plus) is how a personnummer is written, never an OCR number."""
    for value in ("811228-9874", "19811228-9874", "121212+1212"):
        assert _pnrs(DEFAULT.find(value, hint="ocr", ref_date=R)), value


def test_the_same_number_elsewhere_is_unchanged() -> None:
    for field in (None, "personnummer", "kundinfo", "notes"):  # kund_id: a business number (test_business_number_fields.py)
        (m,) = _pnrs(DEFAULT.find("8112289874", hint=field, ref_date=R))
        assert m.confidence >= MIN_CONFIDENCE and "hint:payment-reference(-)" not in m.why
    # a field hinted both ways: the personnummer hint wins
    assert _pnrs(DEFAULT.find("8112289874", hint="ocr_personnummer", ref_date=R))


def test_ocr_keyword_in_free_text_is_as_before() -> None:
    """No field hint: the OCR keyword before a number lowers it as it always did."""
    (m,) = _pnrs(ALL.find("OCR 8112289874", ref_date=R))
    assert "hint:payment-reference(-)" not in m.why and "context:order-or-reference(-)" in m.why


@settings(max_examples=200, deadline=None)
@given(
    born=st.dates(date(1927, 1, 1), R - timedelta(days=1)),  # 10 digits: the century from R
    serial=st.integers(1, 999),
    field=st.sampled_from(OCR_FIELDS),
    keyword=st.sampled_from(["", "", "pnr: ", "personnummer ", "Ordernr "]),
)
def test_generated_numbers_both_ways(born: date, serial: int, field: str, keyword: str) -> None:
    value = _pnr(born, serial)
    found = _pnrs(DEFAULT.find(keyword + value, hint=field, ref_date=R))
    if keyword in ("pnr: ", "personnummer "):
        assert [m.value for m in found] == [f"{born:%Y%m%d}{value[6:]}"]
    else:
        assert found == []
    # the same number in a personnummer field is reported either way
    assert _pnrs(DEFAULT.find(value, hint="personnummer", ref_date=R))


# -- a reference field whose references are built from a personnummer (reference §3.8, §6.7) --------------


def _ocr(body: str) -> str:
    """A Luhn-valid OCR reference: ``body`` and its check digit."""
    return body + luhn_check_digit(body)


def _people(n: int, seed: int) -> list[str]:
    from random import Random

    rng = Random(seed)
    return [_pnr(date(1940, 1, 1) + timedelta(days=rng.randrange(365 * 60)), rng.randrange(1, 999)) for _ in range(n)]


@pytest.mark.parametrize("field", ["ocr", "OCR-nummer", "betalningsreferens"])
def test_a_field_of_references_built_from_personnummer_is_reported(field: str) -> None:
    people = _people(12, 1)
    # the personnummer as the whole reference, and with an invoice number and a check digit after it
    values = [p for p in people[:4]] + [_ocr(p + f"{i:04d}") for i, p in enumerate(people[4:], 1)]
    found = DEFAULT.find_many(values, hint=field, ref_dates=[R] * len(values))
    for p, value, ms in zip(people, values, found):
        (m,) = _pnrs(ms)
        assert m.value[2:] == p and (m.start, m.end) == (0, 10), value
        assert "column:references-built-from-personnummer" in m.why
        assert m.confidence >= MIN_CONFIDENCE


def test_a_field_of_random_ocr_numbers_stays_quiet() -> None:
    """Luhn-valid random references: the few date-shaped ones must not make the field read as personnummer."""
    from random import Random

    rng = Random(7)
    for length in (10, 12, 14, 18):
        for _ in range(50):  # fields of 25 references
            values = [_ocr(str(rng.randrange(10 ** (length - 2), 10 ** (length - 1)))) for _ in range(25)]
            assert not any(_pnrs(ms) for ms in DEFAULT.find_many(values, hint="ocr", ref_dates=[R] * 25)), values


def test_too_few_or_too_mixed_references_are_no_evidence() -> None:
    people = _people(4, 2)
    # two references built from a personnummer: fewer than the minimum the field needs
    assert not any(_pnrs(ms) for ms in DEFAULT.find_many(people[:2] + ["abc", ""], hint="ocr", ref_dates=[R] * 4))
    # one in three: below the share
    mixed = [people[0], _ocr("4711000123"), _ocr("4711000456"), people[1], _ocr("4711000789"), _ocr("4711000999")]
    assert not any(_pnrs(ms) for ms in DEFAULT.find_many(mixed, hint="ocr", ref_dates=[R] * len(mixed)))
    # and never for one value alone, nor in a field that is not for references
    assert _pnrs(DEFAULT.find(people[0], hint="ocr", ref_date=R)) == []
    long_refs = [_ocr(p + "0001") for p in people]
    assert not any(_pnrs(ms) for ms in DEFAULT.find_many(long_refs, hint="kundnummer", ref_dates=[R] * 4))
