"""Payment card numbers: every vector of reference §4 and the test-data trap of §6.6."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from detectors import find_all, payment_card
from detectors.base import InvalidChecksum, InvalidComponent, InvalidFormat, InvalidLength, ValidationError
from detectors.checksums import luhn_check_digit

R = date(2026, 11, 24)


def _cards(text: str, **kw: object) -> list[tuple[str, str, str]]:
    found = find_all(text, ref_date=R, kinds=["payment_card"], **kw)  # type: ignore[arg-type]
    return [(text[f.start : f.end], f.value, f.subkind) for f in found]


# -- §4 vectors ----------------------------------------------------------------------

TEST_PANS = [
    ("4242424242424242", "visa"),
    ("4012888888881881", "visa"),
    ("4000056655665556", "visa"),
    ("5555555555554444", "mastercard"),
    ("2223003122003222", "mastercard"),
    ("5200828282828210", "mastercard"),
    ("5105105105105100", "mastercard"),
    ("378282246310005", "amex"),
    ("371449635398431", "amex"),
    ("6011111111111117", "discover"),
    ("30569309025904", "diners"),
    ("38520000023237", "diners"),
    ("3530111333300000", "jcb"),
    ("3566002020360505", "jcb"),
    ("6200000000000005", "unionpay"),
    ("4111111111111111", "visa"),
]

INVALID = [
    ("4242424242424241", InvalidChecksum),
    ("4111111111111112", InvalidChecksum),
    ("5555555555554440", InvalidChecksum),
    ("378282246310006", InvalidChecksum),
    ("1234567812345678", InvalidChecksum),
    ("0000000000000000", InvalidComponent),  # Luhn passes; all zeros and no IIN
    ("", InvalidFormat),
    ("4111 1111 1111 111x", InvalidFormat),
    ("42424242424", InvalidLength),  # 11 digits
    ("42424242424242424242", InvalidLength),  # 20 digits
    ("900000000000000" + luhn_check_digit("900000000000000"), InvalidComponent),  # no issuer range
    ("55555555555555" + luhn_check_digit("55555555555555"), InvalidLength),  # Mastercard is 16 digits, not 15
    ("4242424242424" + luhn_check_digit("4242424242424"), InvalidLength),  # Visa has no 14-digit numbers
]


def _spaced(d: str) -> str:
    if len(d) in (14, 15) and d[0] == "3":
        return f"{d[:4]} {d[4:10]} {d[10:]}"
    return " ".join(d[i : i + 4] for i in range(0, len(d), 4))


@pytest.mark.parametrize("pan,scheme", TEST_PANS)
def test_known_test_pans_are_valid_and_flagged(pan: str, scheme: str) -> None:
    assert payment_card.validate(pan) == pan
    assert payment_card.is_valid(pan)
    assert payment_card.scheme(pan) == scheme
    assert payment_card.is_test_number(pan)
    for written in (pan, _spaced(pan), _spaced(pan).replace(" ", "-")):
        text = f"Kortnummer: {written}"
        found = find_all(text, ref_date=R, kinds=["payment_card"])
        assert [(text[f.start : f.end], f.value, f.subkind) for f in found] == [(written, pan, scheme)]
        assert found[0].test_data and "test:known-test-pan" in found[0].why
        assert payment_card.validate(text[found[0].start : found[0].end]) == pan


@pytest.mark.parametrize("written,error", INVALID)
def test_invalid_vectors(written: str, error: type[ValidationError]) -> None:
    assert not payment_card.is_valid(written)
    with pytest.raises(error):
        payment_card.validate(written)
    assert _cards(f"Kort: {written}") == []
    assert _cards(f"Kort: {_spaced(written)}") == []


def test_amex_luhn_valid_but_length_wrong_is_invalid() -> None:
    body = "37828224631000"  # 14 digits starting 37
    pan = body[:-1] + luhn_check_digit(body[:-1])
    assert len(pan) == 14
    with pytest.raises(InvalidLength):
        payment_card.validate(pan)


def test_errors_never_contain_the_value() -> None:
    with pytest.raises(InvalidChecksum) as e:
        payment_card.validate("4242424242424241")
    assert "4242" not in str(e.value)
    f = find_all("kort 4242 4242 4242 4242", ref_date=R)[0]
    assert "4242424242424242" not in repr(f)
    assert f.masked == "424242******4242"


def test_format_and_compact() -> None:
    assert payment_card.compact(" 4111-1111 1111-1111 ") == "4111111111111111"
    assert payment_card.format("4111111111111111") == "4111 1111 1111 1111"
    assert payment_card.format("378282246310005") == "3782 822463 10005"
    assert payment_card.format("30569309025904") == "3056 930902 5904"


# -- confidence: shape and context ---------------------------------------------------

# Generated numbers, not on the test list.
VISA16 = "4000000000000002"
VISA13 = "4222222222222"
MAESTRO12 = "501800000009"


def test_generated_vectors_are_valid() -> None:
    for pan, scheme in ((VISA16, "visa"), (VISA13, "visa"), (MAESTRO12, "maestro")):
        assert payment_card.scheme(pan) == scheme
        assert not payment_card.is_test_number(pan)


def test_grouped_is_high_compact_moderate_short_needs_context() -> None:
    grouped = find_all(_spaced(VISA16), ref_date=R, kinds=["payment_card"])[0]
    assert grouped.confidence == pytest.approx(0.85) and not grouped.test_data
    compact = find_all(VISA16, ref_date=R, kinds=["payment_card"])[0]
    assert 0.55 <= compact.confidence <= 0.65
    # 13-digit Visa and 12-digit Maestro: below the threshold without context
    assert _cards(VISA13) == []
    assert _cards(MAESTRO12) == []
    assert _cards(f"Visa {VISA13}") == [(VISA13, VISA13, "visa")]
    assert _cards(f"kortnr {MAESTRO12}") == [(MAESTRO12, MAESTRO12, "maestro")]
    assert _cards(VISA13, hint="kortnummer") == [(VISA13, VISA13, "visa")]


def test_compact_rare_schemes_need_context() -> None:
    # Amex, Diners, JCB, ... are rare in Sweden: compact and alone they are below
    # the threshold (Luhn-valid OCR references look the same), grouped they are found
    for pan in ("378282246310005", "30569309025904", "3530111333300000", "6011111111111117"):
        assert _cards(pan) == [], pan
        assert _cards(_spaced(pan)) == [(_spaced(pan), pan, payment_card.scheme(pan))]
        assert _cards(f"kort {pan}")
    assert _cards("4242424242424242") and _cards("5555555555554444")


def test_ocr_column_hint_lowers_luhn_valid_references() -> None:
    assert _cards(VISA16, hint="ocr") == []
    assert _cards(VISA16, hint="kortnummer")


def test_keyword_hint_and_details_after_raise() -> None:
    plain = find_all(VISA16, ref_date=R, kinds=["payment_card"])[0].confidence
    kw = find_all(f"Card number: {VISA16}", ref_date=R, kinds=["payment_card"])[0]
    assert kw.confidence >= plain + 0.2 and "context:payment_card" in kw.why
    hinted = find_all(VISA16, hint="card_number", ref_date=R, kinds=["payment_card"])[0]
    assert hinted.confidence >= plain + 0.25 and "hint:payment_card" in hinted.why
    after = find_all(f"{VISA16} exp 12/29 cvv 123", ref_date=R, kinds=["payment_card"])[0]
    assert after.confidence > plain and "context:card-details-after" in after.why


def test_negative_context_drops_below_threshold() -> None:
    for text in (f"Order {VISA16}", f"OCR {VISA16}", f"Fakturanr {VISA16}", f"pnr {VISA16}"):
        assert _cards(text) == [], text
        low = find_all(text, ref_date=R, kinds=["payment_card"], min_confidence=0.0)
        assert low and low[0].confidence < 0.5
    assert _cards(VISA16, hint="order_id") == []


# -- traps -------------------------------------------------------------------------

NOT_CARD = [
    "SE45 5000 0000 0583 9825 7466",  # IBAN
    "IBAN SE35 3000 0000 0010 1010 1010",
    "4111 1111 1111 1111 1111",  # 20 digits: one number, not a card
    "4111-1111-1111-1111-1111",
    "00370712345678901234",
    "4111 11** **** 1111",  # masked PAN: not found (see module docstring)
    "************1111",
    "4111111111111111 kr",  # an amount
    "198112289874",
    "811228-9874",
    "7310865004703",  # EAN-13
    "id 4111111111111111abc",
    "0000 0000 0000 0000",
    "4111 1111 1111 1111".replace(" ", "."),  # dots: a card separator only after a card keyword
    "4111 1111-1111 1111",  # mixed separators
    "411111 1111111111",  # not a card grouping
]


@pytest.mark.parametrize("text", NOT_CARD)
def test_traps_are_not_reported_as_cards(text: str) -> None:
    assert _cards(text) == []


def test_part_of_a_longer_run_is_penalised() -> None:
    low = find_all(f"1234 {VISA16}", ref_date=R, kinds=["payment_card"], min_confidence=0.0)
    assert low and "shape:part-of-longer-number" in low[0].why
    assert low[0].confidence < find_all(VISA16, ref_date=R, kinds=["payment_card"])[0].confidence


def test_card_in_a_mixed_record() -> None:
    text = "Kund: Test Testsson, tel 070-174 06 05, kort 5555-5555-5555-4444 (test), exp 12/29"
    found = find_all(text, ref_date=R)
    assert [(f.kind, f.value) for f in found if f.kind == "payment_card"] == [("payment_card", "5555555555554444")]
    assert [f.kind for f in found].count("phone") == 1


# -- properties ------------------------------------------------------------------

# (scheme, prefixes to draw from, lengths)
_GEN = [
    ("visa", ["4"], [13, 16, 19]),
    ("mastercard", ["51", "52", "53", "54", "55", "2221", "2500", "2720"], [16]),
    ("amex", ["34", "37"], [15]),
    ("diners", ["300", "305", "36", "38", "39"], [14, 15, 16]),
    ("discover", ["6011", "644", "649", "65", "622126", "622925"], [16, 17, 18, 19]),
    ("jcb", ["3528", "3589"], [16, 17, 18, 19]),
    ("unionpay", ["62"], [16, 17, 18, 19]),
    ("maestro", ["5018", "5020", "5038", "5893", "6304", "6759", "6761", "6763"], list(range(12, 20))),
    ("mir", ["2200", "2204"], [16, 17, 18, 19]),
]


@st.composite
def pans(draw: st.DrawFn) -> tuple[str, str]:
    scheme, prefixes, lengths = draw(st.sampled_from(_GEN))
    prefix = draw(st.sampled_from(prefixes))
    n = draw(st.sampled_from(lengths))
    body = prefix + draw(st.text(alphabet="0123456789", min_size=n - 1 - len(prefix), max_size=n - 1 - len(prefix)))
    if scheme == "unionpay" and 622126 <= int(body[:6]) <= 622925:
        scheme = "discover"  # co-branded range
    return body + luhn_check_digit(body), scheme


CARD_FORMS = [
    lambda d: d,
    _spaced,
    lambda d: _spaced(d).replace(" ", "-"),
    lambda d: " ".join(d[i : i + 4] for i in range(0, len(d), 4)),  # fours even for Amex
]


@settings(max_examples=400, deadline=None)
@given(pans(), st.sampled_from(range(len(CARD_FORMS))))
def test_property_every_valid_pan_in_any_form_is_found(pan_scheme: tuple[str, str], form: int) -> None:
    pan, scheme = pan_scheme
    assert payment_card.scheme(pan) == scheme
    written = CARD_FORMS[form](pan)
    text = f"Betalning med kort, kortnummer {written}, tack."
    found = find_all(text, ref_date=R, kinds=["payment_card"])
    assert [(f.value, f.subkind) for f in found] == [(pan, scheme)], written
    for f in found:
        assert payment_card.validate(text[f.start : f.end]) == f.value


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=300))
def test_property_find_never_raises(text: str) -> None:
    for f in payment_card.find(text):
        assert 0 <= f.start < f.end <= len(text)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="0123456789 -", min_size=12, max_size=60))
def test_property_every_reported_span_revalidates(text: str) -> None:
    for f in find_all(text, ref_date=R, kinds=["payment_card"], min_confidence=0.0):
        assert payment_card.validate(text[f.start : f.end]) == f.value
