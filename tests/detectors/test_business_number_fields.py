"""Personnummer-shaped numbers in fields named for business numbers.

An order, invoice, ticket or customer number is assigned by a system; about one
random 10-digit number in 150 (one in 15 of those with a Luhn check digit) passes
as a personnummer (reference §6.1, §6.4). Written compact (or as a spreadsheet
float) in a field hinted ``not_personal``, such a number is kept below the
reporting threshold unless a personnummer keyword stands before it, or most
numbers of the field's batch are a personnummer (a company that uses the
customer's personnummer as the customer number). Written with its dash it stays
reported. Spreadsheet damage (§6.9) in a personnummer field: scientific notation
that kept every digit is repaired. All numbers are generated (valid check
digits, fictional).
"""

from __future__ import annotations

import random
from datetime import date, timedelta

import pytest

from detectors import Scanner
from detectors.checksums import luhn_check_digit
from detectors.context import hint_kinds
from detectors.personnummer import is_number_from_pnr, is_valid
from detectors.scan import MIN_CONFIDENCE

R = date(2026, 11, 24)
DEFAULT = Scanner()
ALL = Scanner(min_confidence=0.0)
FIELDS = ["ordernr", "fakturanr", "kundnr", "X-Ticket-Number", "customer_id", "medlemsnr", "tracking_number"]


def _pnr(born: date, serial: int) -> str:
    nine = f"{born:%y%m%d}{serial:03d}"
    return nine + luhn_check_digit(nine)


def _pnrs(found: list) -> list:  # noqa: ANN001 - detectors.Match
    return [m for m in found if m.kind == "personnummer"]


def _people(n: int, seed: int) -> list[str]:
    rnd = random.Random(seed)
    return [_pnr(date(1940, 1, 1) + timedelta(days=rnd.randrange(25000)), rnd.randrange(1, 1000)) for _ in range(n)]


@pytest.mark.parametrize("field", FIELDS)
@pytest.mark.parametrize("value", ["8112289874", "197604134721", "8501010071", "198112289874.0", "7010632391"])
def test_a_lone_compact_personnummer_in_a_business_number_field_is_not_reported(field: str, value: str) -> None:
    assert "not_personal" in hint_kinds(field)
    assert _pnrs(DEFAULT.find(value, hint=field, ref_date=R)) == []
    (low,) = _pnrs(ALL.find(value, hint=field, ref_date=R))
    assert low.confidence < MIN_CONFIDENCE and "hint:business-number(-)" in low.why
    # in a small batch (the worker's path) too
    assert _pnrs(DEFAULT.find_many([value, "10023", "order 7"], hint=field, ref_dates=[R] * 3)[0]) == []
    # written as a personnummer (a dash, a plus) or after its keyword, it stays reported
    digits = value.removesuffix(".0")
    for written in (digits[:-4] + "-" + digits[-4:], "pnr " + value, "Personnummer: " + value, "121212+1212"):
        (m,) = _pnrs(DEFAULT.find(written, hint=field, ref_date=R))
        assert m.confidence >= MIN_CONFIDENCE and "hint:business-number(-)" not in m.why, written


def test_a_kundnr_column_of_personnummer_is_reported() -> None:
    values = _people(20, 1)
    values[3] = "19" + values[3]  # one written with the century
    found = DEFAULT.find_many(values, hint="kundnr", ref_dates=[R] * len(values))
    for v, ms in zip(values, found):
        (m,) = _pnrs(ms)
        assert m.confidence >= MIN_CONFIDENCE and "column:numbers-built-from-personnummer" in m.why, v


def test_a_customer_column_with_spreadsheet_damage_is_repaired() -> None:
    born_2005 = _pnr(date(2005, 1, 1), 123)  # 0501011233: the spreadsheet drops the 0
    values = [*_people(6, 2), "19" + _people(1, 3)[0] + ".0", born_2005[1:]]
    found = DEFAULT.find_many(values, hint="customer_id", ref_dates=[R] * len(values))
    assert all(len(_pnrs(ms)) == 1 for ms in found)
    assert _pnrs(found[-1])[0].value == "20" + born_2005


def test_an_ordernr_column_of_random_luhn_numbers_reports_none() -> None:
    rnd = random.Random(7)
    values = []
    while len(values) < 200:
        nine = f"{rnd.randrange(10**8, 10**9):09d}"
        values.append(nine + luhn_check_digit(nine))
    shaped = [v for v in values if is_valid(v, R)]
    assert 3 <= len(shaped) <= 40  # some pass as a personnummer: the test can fail
    found = DEFAULT.find_many(values, hint="ordernr", ref_dates=[R] * len(values))
    assert [ms for ms in found if _pnrs(ms)] == []
    # with a keyword before it, one is still reported
    values[values.index(shaped[0])] = "pnr " + shaped[0]
    found = DEFAULT.find_many(values, hint="ordernr", ref_dates=[R] * len(values))
    assert sum(1 for ms in found if _pnrs(ms)) == 1


def test_organisationsnummer_do_not_count_as_evidence() -> None:
    """Two in three Luhn-valid 10-digit numbers are valid orgnr: they count against."""
    assert is_number_from_pnr("5560360793", 2026) is False
    values = ["5560360793", "5565475489", "2021005489", "8112289874"]
    found = DEFAULT.find_many(values, hint="kundnr", ref_dates=[R] * len(values))
    assert _pnrs(found[-1]) == []


@pytest.mark.parametrize(
    ("value", "expected"),
    [("1.98112289874E+11", "198112289874"), ("8.112289874E+09", "198112289874"), ("8.112289874e9", "198112289874"),
     ("5.01011233E+08", "20" + _pnr(date(2005, 1, 1), 123))],
)
def test_scientific_notation_with_every_digit_is_repaired_in_a_personnummer_field(value: str, expected: str) -> None:
    (m,) = _pnrs(DEFAULT.find(value, hint="personnummer", ref_date=R))
    assert m.value == expected and "repair:spreadsheet-scientific" in m.why
    assert m.start == 0 and m.end == len(value)
    # and in a batch
    assert [f.value for f in DEFAULT.find_many([value, "811228-9874"], hint="personnummer", ref_dates=[R, R])[0]] == [expected]
    # a shape that lost digits ("1.98112E+11", or the last one: "1.9811228987E+11") or was shifted is not read
    mantissa, exp = value.lower().split("e")
    for lost in (mantissa[:-1] + "E+" + exp.lstrip("+"), mantissa[:7] + "E+11", mantissa + "E+" + str(int(exp.lstrip("+")) + 1)):
        assert _pnrs(ALL.find(lost, hint="personnummer", ref_date=R)) == [], lost


