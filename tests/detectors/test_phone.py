"""Phone numbers: every vector of the reference (§2.1 forms, §2.3 fiction, §2.4), the traps of §6 (3-6)."""

from __future__ import annotations

import random
from datetime import date

import phonenumbers
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from detectors import find_all, phone
from detectors.base import Context, InvalidComponent, InvalidFormat, InvalidLength, ValidationError

R = date(2026, 11, 24)


def _phones(text: str, **kw: object) -> list[tuple[str, str, str]]:
    """(span as written, value, subkind) of the phone findings in ``text``."""
    found = find_all(text, ref_date=R, kinds=["phone"], **kw)  # type: ignore[arg-type]
    return [(text[f.start : f.end], f.value, f.subkind) for f in found]


# -- §2.4 vectors ------------------------------------------------------------------

VALID = [
    ("070-123 45 67", "+46701234567", "mobile"),
    ("+46 70 123 45 67", "+46701234567", "mobile"),
    ("0046701234567", "+46701234567", "mobile"),
    ("+46 (0)70-123 45 67", "+46701234567", "mobile"),
    ("072-123 45 67", "+46721234567", "mobile"),
    ("073-123 45 67", "+46731234567", "mobile"),
    ("076-123 45 67", "+46761234567", "mobile"),
    ("078-123 45 67", "+46781234567", "mobile"),
    ("079-123 45 67", "+46791234567", "mobile"),
    ("08-123 456 78", "+46812345678", "fixed_line"),
    ("08-123 45 67", "+4681234567", "fixed_line"),
    ("031-123 45 67", "+46311234567", "fixed_line"),
    ("031-12 34 56", "+4631123456", "fixed_line"),
    ("040-12 34 56", "+4640123456", "fixed_line"),
    ("0980-123 45", "+4698012345", "fixed_line"),
    ("020-12 34 56", "+4620123456", "toll_free"),
    ("0771-793 336", "+46771793336", "shared_cost"),
    ("010-123 45 67", "+46101234567", "uan"),
    ("075-123 45 67", "+46751234567", "personal"),
    ("070-174 06 05", "+46701740605", "mobile"),
    ("08-465 004 00", "+46846500400", "fixed_line"),
]

INVALID = [
    ("071-123 45 67", InvalidComponent),
    ("070-12345678", InvalidComponent),  # too long for a mobile number
    ("070-123456", InvalidComponent),  # too short for a mobile number
    ("+46 70 123 45", InvalidComponent),
    ("+4670123456", InvalidComponent),
    ("077-812 34 56", InvalidComponent),  # 0778 is not assigned
    ("0700-123 45 67", InvalidComponent),
    ("0719123456789", InvalidComponent),  # M2M, not supported by libphonenumber
    ("08-1234", InvalidLength),
    ("020-12", InvalidLength),
    ("112", InvalidLength),
    ("+46 99 123 4567", InvalidComponent),
    ("0910-12", InvalidLength),
]


@pytest.mark.parametrize("written,canonical,subkind", VALID)
def test_valid_vectors(written: str, canonical: str, subkind: str) -> None:
    assert phone.validate(written) == canonical
    assert phone.is_valid(written)
    assert phone.subkind(written) == subkind
    text = f"Tel: {written}"
    assert _phones(text) == [(written, canonical, subkind)]
    # written the Swedish way, it is found without any keyword too
    assert _phones(written) == [(written, canonical, subkind)]


@pytest.mark.parametrize("written,error", INVALID)
def test_invalid_vectors(written: str, error: type[ValidationError]) -> None:
    assert not phone.is_valid(written)
    with pytest.raises(error):
        phone.validate(written)
    assert _phones(f"Tel: {written}") == []


# -- §2.1 written forms --------------------------------------------------------------

FORMS = [
    ("0701234567", "+46701234567"),
    ("070-1234567", "+46701234567"),
    ("+46 70 123 45 67", "+46701234567"),
    ("+46701234567", "+46701234567"),
    ("+46 (0)70-123 45 67", "+46701234567"),
    ("+46(0)701234567", "+46701234567"),
    ("+46 070 123 45 67", "+46701234567"),  # trunk zero kept by mistake
    ("(+46) 70 123 45 67", "+46701234567"),
    ("0046 70 123 45 67", "+46701234567"),
    ("0046701234567", "+46701234567"),
    ("46701234567", "+46701234567"),  # no plus: needs the keyword
    ("46 70 123 45 67", "+46701234567"),
    ("08-123 456 78", "+46812345678"),
    ("08-12 34 56", "+468123456"),
    ("08/123 456 78", "+46812345678"),
    ("(08) 123 456 78", "+46812345678"),
    ("+46 8 123 456 78", "+46812345678"),
    ("+46-8-123 456 78", "+46812345678"),
    ("031-12 34 56", "+4631123456"),
    ("031-123 45 67", "+46311234567"),
    ("0980-123 45", "+4698012345"),
    ("+44 20 7946 0958", "+442079460958"),
    ("+44 (0)20 7946 0958", "+442079460958"),
    ("+358 40 1234567", "+358401234567"),
    ("+47 412 34 567", "+4741234567"),
    ("0049 30 123456", "+4930123456"),
    ("+49 151 12345678", "+4915112345678"),
]


@pytest.mark.parametrize("written,canonical", FORMS)
def test_written_forms_all_give_one_canonical(written: str, canonical: str) -> None:
    assert phone.validate(written) == canonical
    text = f"Ring mig på tel {written} efter kl 17."
    found = find_all(text, ref_date=R, kinds=["phone"])
    assert [f.value for f in found] == [canonical]
    f = found[0]
    assert text[f.start : f.end] == written
    assert phone.validate(text[f.start : f.end]) == f.value


def test_tel_link_keeps_the_scheme_out_of_the_span() -> None:
    text = '<a href="tel:+46701234567">ring</a>'
    found = find_all(text, ref_date=R, kinds=["phone"])
    assert [(text[f.start : f.end], f.value) for f in found] == [("+46701234567", "+46701234567")]
    assert "context:phone" in found[0].why
    assert phone.validate("tel:+46701234567") == "+46701234567"


def test_parenthesis_not_closed_is_not_in_the_span() -> None:
    assert _phones("(0701234567)") == [("0701234567", "+46701234567", "mobile")]


def test_international_numbers() -> None:
    found = find_all("UK office +44 20 7946 0958, Helsinki +358 40 1234567", ref_date=R)
    assert [(f.value, f.subkind) for f in found] == [("+442079460958", "international"), ("+358401234567", "international")]
    assert phone.format("+442079460958") == "+44 20 7946 0958"
    # a foreign number is only found when written internationally
    assert phone.validate("0049 30 123456") == "+4930123456"


def test_format_and_compact() -> None:
    assert phone.format("+46701234567") == "070-123 45 67"
    assert phone.format("0812345678") == "08-123 456 78"
    assert phone.format("031123456") == "031-12 34 56"
    assert phone.format("098012345") == "0980-123 45"
    assert phone.compact(" +46 (0)70-123 45 67 ") == "+46701234567"
    assert phone.compact("tel:08/123 456 78") == "0812345678"


def test_errors_are_precise_and_never_contain_the_value() -> None:
    with pytest.raises(InvalidFormat):
        phone.validate("070-abc 45 67")
    with pytest.raises(InvalidFormat):
        phone.validate("")
    with pytest.raises(InvalidLength):
        phone.validate("+46 70 123 45 67 89 01 23 45")
    with pytest.raises(InvalidComponent) as e:
        phone.validate("071-123 45 67")
    assert "071" not in str(e.value) and "1234567" not in str(e.value)
    with pytest.raises(InvalidFormat):
        phone.validate("٠٧٠١٢٣٤٥٦٧")  # Arabic-Indic digits are not read
    f = find_all("tel 070-123 45 67", ref_date=R)[0]
    assert "4567" not in repr(f)


# -- §2.3 PTS fiction numbers --------------------------------------------------------

FICTION_BLOCKS = [
    ("070-174 06 ", "+467017406", range(5, 100)),
    ("08-465 004 ", "+468465004", range(0, 100)),
    ("031-390 06 ", "+463139006", range(0, 100)),
    ("040-628 04 ", "+464062804", range(0, 100)),
    ("0980-31 92 ", "+469803192", range(0, 100)),
]


@pytest.mark.parametrize("written_prefix,e164_prefix,last", FICTION_BLOCKS)
def test_pts_fiction_numbers_are_test_data_not_dropped(written_prefix: str, e164_prefix: str, last: range) -> None:
    for k in last:
        written = f"{written_prefix}{k:02d}"
        found = find_all(f"tel {written}", ref_date=R, kinds=["phone"])
        assert [f.value for f in found] == [f"{e164_prefix}{k:02d}"], written
        assert found[0].test_data and "test:pts-fiction" in found[0].why


def test_numbers_next_to_the_fiction_blocks_are_not_test_data() -> None:
    for written in ("070-174 06 04", "070-174 07 00", "08-465 005 00", "031-390 07 00"):
        found = find_all(f"tel {written}", ref_date=R, kinds=["phone"])
        assert found and not found[0].test_data, written
    assert not phone.is_fiction("+46701740604")


# -- §6 traps ------------------------------------------------------------------------

NOT_PHONE = [
    "811228-9874",  # personnummer
    "198112289874",
    "19811228-9874",
    "556036-0793",  # orgnr
    "2024-05-17",  # dates
    "17/05/2024",
    "20240517",
    "08.12.2024",
    "08-12-2024",
    "08/12/24",
    "202301150013",  # timestamps
    "2023-01-15 00:13",
    "IMG_20230115_0013.jpg",
    "öppet 08.30-17.00",
    "5402-9681",  # bankgiro
    "28 65 43-4",  # plusgiro
    "Order 0812345678",
    "Ordernr: 0812345678",
    "Order nummer 0812345678",
    "Fakturanr 0701234567",
    "OCR 0812345678",
    "Spårningsnummer 00370712345678901234",
    "1 234 567 kr",
    "0812345678 kr",
    "Belopp: 0812345678",
    "811228+9874",
    "2024-0701234567",  # a tight dash joins it to something else
    "0701234567-12",
    "v070.123.45.67",
    "pnr 0701740607",
    "4111 1111 1111 1111",  # card
    "SE45 5000 0000 0583 9825 7466",  # IBAN
    "8123456",  # 7 digits read as Stockholm by phonenumbers (§6.4)
]


@pytest.mark.parametrize("text", NOT_PHONE)
def test_traps_are_not_reported_as_phone(text: str) -> None:
    assert _phones(text) == []


def test_trap_personnummer_shape_is_low() -> None:
    # §6.3: 070123-4567 is written like a personnummer
    low = find_all("070123-4567", ref_date=R, kinds=["phone"], min_confidence=0.0)
    assert low and low[0].confidence < 0.5 and "shape:not-phone-grouping" in low[0].why
    # while the phone grouping of the same digits is high
    high = find_all("070-123 45 67", ref_date=R, kinds=["phone"])
    assert high[0].confidence >= 0.8


def test_trap_compact_number_is_moderate_and_context_decides() -> None:
    # Decision: a compact 10-digit "0..." number with no grouping and no context
    # is reported, with moderate confidence (0.55 geographic, 0.6 mobile):
    # order numbers are excluded by their keywords, phone keywords raise it.
    alone = find_all("0812345678", ref_date=R, kinds=["phone"])
    assert len(alone) == 1 and 0.5 <= alone[0].confidence <= 0.6
    mobile = find_all("0701234567", ref_date=R, kinds=["phone"])[0]
    assert alone[0].confidence < mobile.confidence <= 0.65
    with_kw = find_all("ring 0812345678", ref_date=R, kinds=["phone"])[0]
    assert with_kw.confidence >= alone[0].confidence + 0.15 and "context:phone" in with_kw.why
    order = find_all("Order 0812345678", ref_date=R, kinds=["phone"], min_confidence=0.0)[0]
    assert order.confidence < 0.5 and "context:order(-)" in order.why
    # "tel nr" is a phone keyword even though "nr" is also an order word
    assert find_all("Tel nr: 0812345678", ref_date=R, kinds=["phone"])[0].confidence > 0.7
    # English "at" is not a time keyword here
    assert _phones("call me at 070-123 45 67") == [("070-123 45 67", "+46701234567", "mobile")]


def test_trap_46_without_plus_needs_context() -> None:
    # §6.4: 46701234567 parses as +46701234567
    assert _phones("46701234567") == []
    assert _phones("Mobil: 46701234567") == [("46701234567", "+46701234567", "mobile")]
    assert _phones("46701234567", hint="telefon") == [("46701234567", "+46701234567", "mobile")]
    # other 11-digit numbers starting with 46 are never read this way
    assert _phones("tel 46123456789") == []


def test_trap_compact_personnummer_with_leading_zero_is_ambiguous() -> None:
    # §6.3: 0701740607 is a fiction number and a valid samordningsnummer; both are reported
    found = find_all("0701740607", ref_date=R)
    assert {"phone", "personnummer"} <= {f.kind for f in found}
    ph = next(f for f in found if f.kind == "phone")
    assert ph.test_data


def test_lost_leading_zero_only_in_a_phone_column() -> None:
    # §6.9: 0701234567 -> 701234567 in a spreadsheet
    assert _phones("701234567") == []
    found = find_all("701234567", hint="Mobilnummer", ref_date=R, kinds=["phone"])
    assert [(f.value, f.subkind) for f in found] == [("+46701234567", "mobile")]
    assert "repair:lost-leading-zero" in found[0].why and "hint:phone" in found[0].why
    assert _phones("812345678", hint="telefon") == [("812345678", "+46812345678", "fixed_line")]
    # a float that lost the zero too
    assert _phones("701234567.0", hint="tel") == [("701234567", "+46701234567", "mobile")]
    assert _phones("46701234567.0", hint="tel") == [("46701234567", "+46701234567", "mobile")]
    # seven digits stay out even with the hint (§6.4)
    assert _phones("8123456", hint="telefon") == []


def test_hint_raises_and_other_hints_lower() -> None:
    plain = find_all("0812345678", ref_date=R, kinds=["phone"])[0].confidence
    hinted = find_all("0812345678", hint="telefon", ref_date=R, kinds=["phone"])[0]
    assert hinted.confidence >= plain + 0.25 and "hint:phone" in hinted.why
    assert _phones("0812345678", hint="order_id") == []
    assert _phones("0812345678", hint="personnummer") == []


def test_phone_keyword_after() -> None:
    f = find_all("0812345678 (hem)", ref_date=R, kinds=["phone"])[0]
    assert "context:phone-after" in f.why


def test_two_numbers_in_one_run() -> None:
    text = "Tel 08-123 456 78 / 070-123 45 67"
    assert [v for _, v, _ in _phones(text)] == ["+46812345678", "+46701234567"]
    assert [v for _, v, _ in _phones("0701740605 0812345678")] == ["+46701740605", "+46812345678"]
    # a window that stops before the last group loses to the whole number
    assert _phones("08-123 456 78") == [("08-123 456 78", "+46812345678", "fixed_line")]


def test_non_digit_candidates_never_reach_the_parser(monkeypatch: pytest.MonkeyPatch) -> None:
    """Dates, personnummer, amounts and the like are rejected before phonenumbers."""
    calls: list[str] = []

    def counting(candidate: str) -> None:
        calls.append(candidate)
        return None

    monkeypatch.setattr(phone, "_lookup", counting)
    text = (
        "811228-9874 198112289874 19811228-9874 556036-0793 2024-05-17 17/05/2024 20240517 "
        "202301150013 2023-01-15 00:13 5402-9681 28 65 43-4 1 234 567 kr 4111 1111 1111 1111 "
        "SE45 5000 0000 0583 9825 7466 00370712345678901234 123456789 3300 8112289874 070123+4567"
    )
    find_all(text, ref_date=R, kinds=["phone"], min_confidence=0.0)
    assert calls == []


def test_match_window_returns_nothing_cheaply_for_short_or_long_windows() -> None:
    from detectors.scan import Window

    ctx = Context()
    for digits in ("0701234", "070123456789012345"):
        w = Window(digits, digits, (digits,), (), 0, len(digits), False, "", "", True, True)
        assert list(phone.match_window(w, ctx)) == []


# -- the cheap pre-check agrees with phonenumbers ------------------------------------


def test_precheck_and_area_code_length_agree_with_phonenumbers() -> None:
    """The metadata pre-check says what is_valid_number says, and the area-code
    rule gives phonenumbers' national destination code length (fixed line)."""
    rnd = random.Random(11)
    valid = fixed = 0
    for _ in range(30_000):
        length = rnd.choice([7, 8, 9, 12])
        nsn = str(rnd.randint(1, 9)) + "".join(rnd.choice("0123456789") for _ in range(length - 1))
        n = phonenumbers.parse("0" + nsn, "SE")
        ok = phonenumbers.is_valid_number(n)
        assert phone._se_nsn_ok(nsn) is ok, nsn
        valid += ok
        if ok and phonenumbers.number_type(n) == phonenumbers.PhoneNumberType.FIXED_LINE:
            fixed += 1
            assert phone._area_code_length(nsn) == phonenumbers.length_of_national_destination_code(n), nsn
    assert valid > 5000 and fixed > 5000


# -- properties ------------------------------------------------------------------


_AREAS_2 = ["11", "13", "16", "18", "19", "21", "23", "26", "31", "33", "35", "36", "40", "42", "44", "46", "54", "60", "63", "90"]
_AREAS_3 = ["980", "911", "120", "141", "150", "171", "220", "240", "470", "480", "520", "560", "620", "660", "910", "920"]


@st.composite
def se_numbers(draw: st.DrawFn) -> str:
    """A valid Swedish NSN of a random type (checked with phonenumbers)."""
    kind = draw(st.sampled_from(["mobile", "stockholm", "area2", "area3", "uan", "personal", "toll_free"]))
    rest = draw(st.text(alphabet="0123456789", min_size=8, max_size=8))
    if kind == "mobile":
        nsn = draw(st.sampled_from(["70", "72", "73", "76", "79"])) + rest[:7]
    elif kind == "stockholm":
        nsn = "8" + rest[: draw(st.integers(5, 8))]
    elif kind == "area2":
        nsn = draw(st.sampled_from(_AREAS_2)) + rest[: draw(st.integers(5, 7))]
    elif kind == "area3":
        nsn = draw(st.sampled_from(_AREAS_3)) + rest[: draw(st.integers(5, 6))]
    elif kind == "uan":
        nsn = "10" + draw(st.sampled_from("12345678")) + rest[:6]
    elif kind == "personal":
        nsn = "75" + draw(st.sampled_from("12345678")) + rest[:6]
    else:
        nsn = "20" + rest[: draw(st.integers(6, 7))]
    n = phonenumbers.parse("0" + nsn, "SE")
    assume(phonenumbers.is_valid_number(n))
    assume(nsn[1] != "0" or kind != "stockholm")  # 08-0x is not assigned
    return nsn


def _national_grouped(nsn: str) -> str:
    return phonenumbers.format_number(phonenumbers.parse("0" + nsn, "SE"), phonenumbers.PhoneNumberFormat.NATIONAL)


PHONE_FORMS = [
    _national_grouped,  # 070-123 45 67
    lambda nsn: "0" + nsn,  # 0701234567
    lambda nsn: _national_grouped(nsn).replace("-", " "),  # 070 123 45 67
    lambda nsn: _national_grouped(nsn).replace("-", "/", 1),  # 08/123 456 78
    lambda nsn: _national_grouped(nsn).split("-")[0] + "-" + _national_grouped(nsn).split("-")[1].replace(" ", ""),
    lambda nsn: "(" + _national_grouped(nsn).replace("-", ") ", 1),  # (08) 123 456 78
    lambda nsn: "+46" + nsn,
    lambda nsn: "+46 " + _national_grouped(nsn)[1:],  # +46 70-123 45 67
    lambda nsn: "+46 (0)" + _national_grouped(nsn)[1:],
    lambda nsn: "0046 " + _national_grouped(nsn)[1:].replace("-", " "),
    lambda nsn: "0046" + nsn,
]


@settings(max_examples=400, deadline=None)
@given(se_numbers(), st.sampled_from(range(len(PHONE_FORMS))))
def test_property_every_valid_number_in_any_form_is_found(nsn: str, form: int) -> None:
    written = PHONE_FORMS[form](nsn)
    canonical = "+46" + nsn
    text = f"Kontakt: Test Testsson, tel {written}, tack."
    found = find_all(text, ref_date=R, kinds=["phone"])
    assert canonical in [f.value for f in found], (written, found)
    for f in found:
        assert phone.validate(text[f.start : f.end]) == f.value


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=300))
def test_property_find_never_raises(text: str) -> None:
    for f in phone.find(text):
        assert 0 <= f.start < f.end <= len(text)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="0123456789 -+./()tel:", max_size=60), st.sampled_from([None, "telefon"]))
def test_property_every_reported_span_revalidates(text: str, hint: str | None) -> None:
    for f in find_all(text, hint=hint, ref_date=R, kinds=["phone"], min_confidence=0.0):
        span = text[f.start : f.end]
        if "repair:float" in f.why:
            continue  # the span is the digits of a float; validate() reads them the same way
        assert phone.validate(span) == f.value, (text, span)
        assert f.value.startswith("+")
