"""Personnummer / samordningsnummer: every vector of the reference (§1.10), the traps of §6."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from detectors import find_all, personnummer
from detectors.base import InvalidChecksum, InvalidComponent, InvalidFormat, ValidationError
from detectors.checksums import luhn_check_digit

R = date(2026, 11, 24)  # the reference date the reference's vectors use

VALID = [
    ("811228-9874", "198112289874", "personnummer"),
    ("670919-9530", "196709199530", "personnummer"),
    ("880320-0016", "198803200016", "personnummer"),
    ("8803200016", "198803200016", "personnummer"),
    ("19880320-0016", "198803200016", "personnummer"),
    ("198803200016", "198803200016", "personnummer"),
    ("090527+1474", "190905271474", "personnummer"),
    ("190905271474", "190905271474", "personnummer"),
    ("000229-2399", "200002292399", "personnummer"),
    ("570428-9999", "195704289999", "personnummer"),
    ("460823-9986", "194608239986", "personnummer"),
    ("000405-9937", "200004059937", "personnummer"),
    ("121212-1212", "201212121212", "personnummer"),
    ("121212+1212", "191212121212", "personnummer"),
    ("640823-3234", "196408233234", "personnummer"),
    ("189001019802", "189001019802", "personnummer"),
    ("199006022397", "199006022397", "personnummer"),
    ("201801012392", "201801012392", "personnummer"),
    ("701063-2391", "197010632391", "samordningsnummer"),
    ("730288-9931", "197302889931", "samordningsnummer"),
    ("202107919967", "202107919967", "samordningsnummer"),
    ("680164-2395", "196801642395", "samordningsnummer"),
    ("191711602399", "191711602399", "samordningsnummer"),
    ("191500722390", "191500722390", "samordningsnummer"),
    ("000101-T220", "20000101T220", "interim"),
    ("20000101R220", "20000101R220", "interim"),
    ("000101-X220", "20000101X220", "interim"),
    ("19090527+1474", "190905271474", "personnummer"),
    ("0905271474", "200905271474", "personnummer"),  # no separator: assume '-'
]

INVALID = [
    "880320-0018",
    "700428-9895",
    "600430-9886",
    "420566-9899",
    "721086-9924",
    "8899200425",
    "881328-0016",
    "880332-0012",
    "880230-0015",
    "880431-0012",
    "880300-0010",
    "880392-0019",
    "010229-1234",
    "010289-1231",
    "000229+2399",
    "201509160006",
    "556036-0793",
    "20000101E220",
    "000000-0000",
    "",
    "abc",
    "81122898744",
    "171212121212",  # century 17
]


@pytest.mark.parametrize("written,canonical,subkind", VALID)
def test_valid_vectors(written: str, canonical: str, subkind: str) -> None:
    assert personnummer.validate(written, ref_date=R) == canonical
    assert personnummer.is_valid(written, ref_date=R)
    found = find_all(f"pnr: {written}", ref_date=R, kinds=["personnummer"])
    assert [(f.value, f.subkind) for f in found] == [(canonical, subkind)]
    f = found[0]
    assert f"pnr: {written}"[f.start : f.end] == written


@pytest.mark.parametrize("written", INVALID)
def test_invalid_vectors(written: str) -> None:
    assert not personnummer.is_valid(written, ref_date=R)
    with pytest.raises(ValidationError):
        personnummer.validate(written, ref_date=R)
    assert find_all(f"pnr: {written}", ref_date=R, kinds=["personnummer"]) == []


def test_space_separator_is_spec_invalid_but_found_with_keyword() -> None:
    # §1.10 lists "19090527 1474" as invalid (spec) and §6.13 says: accept in free text
    # with lower confidence, require a keyword.
    assert find_all("19090527 1474", ref_date=R) == []
    found = find_all("personnummer 19090527 1474", ref_date=R)
    assert [f.value for f in found] == ["190905271474"]
    assert found[0].confidence < 0.9


def test_errors_are_precise_and_never_contain_the_value() -> None:
    with pytest.raises(InvalidChecksum) as e1:
        personnummer.validate("880320-0018")
    with pytest.raises(InvalidComponent):
        personnummer.validate("881328-0016")
    with pytest.raises(InvalidFormat):
        personnummer.validate("88-03")
    assert "880320" not in str(e1.value)


def test_century_rule_against_reference_date() -> None:
    assert personnummer.validate("121212-1212", ref_date=date(2012, 12, 12)) == "201212121212"
    assert personnummer.validate("121212-1212", ref_date=date(2011, 1, 1)) == "191212121212"
    # a record written in 2015 about someone born in 1915 would use '+'
    c = luhn_check_digit("150101239")
    assert personnummer.validate(f"150101+239{c}", ref_date=date(2015, 6, 1)) == f"19150101239{c}"
    assert personnummer.validate(f"150101-239{c}", ref_date=date(2015, 6, 1)) == f"20150101239{c}"
    assert personnummer.validate(f"150101-239{c}", ref_date=date(2014, 6, 1)) == f"19150101239{c}"


def test_future_birth_date_is_flagged_and_not_reported_by_default() -> None:
    # 261231-2385 -> 2026-12-31, after the reference date
    assert personnummer.is_valid("261231-2385", ref_date=R)
    assert find_all("261231-2385", ref_date=R) == []
    low = find_all("261231-2385", ref_date=R, min_confidence=0.0)
    assert low and "implausible:future-birth-date" in low[0].why


def test_age_over_120_lowers_confidence() -> None:
    f = find_all("189001019802", ref_date=R, min_confidence=0.0)[0]
    assert "implausible:age-over-120" in f.why


def test_skatteverket_test_numbers_are_flagged_not_dropped() -> None:
    for written in ("640823-3234", "189001019802", "680164-2395", "191711602399"):
        found = find_all(f"pnr {written}", ref_date=R)
        assert found and found[0].test_data, written
    # common doc examples are NOT official test numbers
    assert not find_all("pnr 811228-9874", ref_date=R)[0].test_data
    assert not personnummer.is_test_number("191212121212")
    assert personnummer.is_test_number("196408233234")


def test_test_number_list_is_shipped() -> None:
    assert len(personnummer._test_numbers()) > 20000


@pytest.mark.parametrize(
    "text",
    [
        "Födelsenr 1981 12 28-9874.",
        "ID: 8112-28-9874",
        "19811228–9874",  # en dash
        "19811228\u20119874",  # non-breaking hyphen
        "19811228\u00a0-\u00a09874",  # NBSP around the dash
        "１９８１１２２８－９８７４",  # full-width digits and hyphen
        "pnr:198112289874,",
        "<td>811228-9874</td>",
        '"811228-9874"',
        "811228-9874\n",
    ],
)
def test_written_forms_all_give_one_canonical(text: str) -> None:
    found = find_all(text, ref_date=R, kinds=["personnummer"])
    assert [f.value for f in found] == ["198112289874"]
    f = found[0]
    assert "8" in text[f.start : f.end] or "８" in text[f.start : f.end]


def test_offsets_map_back_through_normalisation() -> None:
    text = "Namn… Test ﬁrma, pnr １９８１１２２８－９８７４ slut"
    f = find_all(text, ref_date=R)[0]
    assert text[f.start : f.end] == "１９８１１２２８－９８７４"


# -- traps of reference §6 -------------------------------------------------------


def test_trap_timestamps_are_not_personnummer() -> None:
    # §6.2: 143 of 1440 minute stamps of 2023-01-15 are valid personnummer
    day = date(2023, 1, 15)
    stamps = [f"{day:%Y%m%d}{h:02d}{m:02d}" for h in range(24) for m in range(60)]
    valid = [s for s in stamps if personnummer.is_valid(s, ref_date=R)]
    assert len(valid) == 143
    for s in valid:
        assert find_all(f"job={s} done", ref_date=R) == [], s
        assert find_all(f"IMG_{s[:8]}_{s[8:]}.jpg", ref_date=R) == []
        assert find_all(f"backup-{s}.tar.gz", ref_date=R) == []
    # but in a column named personnummer it is one
    assert find_all(valid[0], hint="personnummer", ref_date=R)[0].value == valid[0]
    # and a keyword says so too
    assert find_all(f"personnummer {valid[0]}", ref_date=R)


def test_trap_compact_leading_zero_is_ambiguous_with_phone() -> None:
    # §6.3: 0701740607 is a PTS fiction number and a valid samordningsnummer
    assert personnummer.is_valid("0701740607", ref_date=R)
    found = {f.kind for f in find_all("0701740607", ref_date=R)}
    assert "phone" in found
    grouped_phone = find_all("070-174 06 07", ref_date=R)
    assert [f.kind for f in grouped_phone] == ["phone"]
    grouped_pnr = find_all("070174-0607", ref_date=R)
    assert [f.kind for f in grouped_pnr] == ["personnummer"]


def test_trap_orgnr_is_not_personal_data() -> None:
    assert find_all("Saab AB, org.nr 556036-0793", ref_date=R) == []
    assert find_all("212000-0142", ref_date=R) == []
    assert find_all("165560160680", ref_date=R) == []


def test_trap_personnummer_inside_other_identifiers() -> None:
    vat = find_all("Momsreg.nr SE640823323401", ref_date=R)
    assert [(f.kind, f.value, f.inside) for f in vat] == [("personnummer", "196408233234", "vat")]
    assert find_all("Momsreg.nr SE556016068001", ref_date=R) == []
    sole = find_all("640823-3234", hint="orgnr", ref_date=R)
    assert sole[0].value == "196408233234"


def test_trap_spreadsheet_damage() -> None:
    assert find_all("198112289874.0", hint="personnummer", ref_date=R)[0].value == "198112289874"
    f = find_all("501011233", hint="Personnummer", ref_date=R)[0]
    assert f.value == "200501011233" and "repair:lost-leading-zero" in f.why
    # without the hint a 9-digit number is not a personnummer
    assert find_all("501011233", ref_date=R, kinds=["personnummer"]) == []


def test_trap_masked_and_amounts() -> None:
    assert find_all("19811228-XXXX", ref_date=R) == []
    assert find_all("811228-****", ref_date=R) == []
    assert find_all("Summa: 198112289874 kr", ref_date=R) == []


def test_trap_uuid_and_hash() -> None:
    assert find_all("id=123e4567-e89b-12d3-a456-198112289874", ref_date=R) == []
    assert find_all("sha1 a3f198112289874bc9e0", ref_date=R) == []


def test_ocr_context_lowers_but_does_not_hide_a_written_personnummer() -> None:
    # OCR references are often built from a personnummer: still personal data.
    assert find_all("OCR 19811228-9874", ref_date=R)
    assert find_all("ordernr 8112289874", ref_date=R) == []


# -- properties ------------------------------------------------------------------


@st.composite
def numbers(draw: st.DrawFn) -> tuple[str, date, int, bool]:
    born = draw(st.dates(min_value=date(1900, 1, 1), max_value=R - timedelta(days=1)))
    serial = draw(st.integers(1, 999))
    coord = draw(st.booleans())
    return (f"{born:%Y%m%d}", born, serial, coord)


def _canonical(born: date, serial: int, coord: bool) -> str:
    day = born.day + (60 if coord else 0)
    nine = f"{born:%y%m}{day:02d}{serial:03d}"
    return f"{born.year:04d}{nine[2:]}{luhn_check_digit(nine)}"


FORMS = [
    lambda c: c,  # 12 compact
    lambda c: c[:8] + "-" + c[8:],
    lambda c: c[2:8] + "-" + c[8:],
    lambda c: c[:4] + " " + c[4:6] + " " + c[6:8] + "-" + c[8:],
    lambda c: c[2:8] + "\u2013" + c[8:],
]


@settings(max_examples=300, deadline=None)
@given(numbers(), st.sampled_from(range(len(FORMS))))
def test_property_every_valid_number_in_any_form_is_found(n, form: int) -> None:
    _, born, serial, coord = n
    canonical = _canonical(born, serial, coord)
    written = FORMS[form](canonical)
    if form in (2, 4) and R.year - born.year >= 100:
        written = written.replace("-", "+").replace("\u2013", "+")
    text = f"Kund: Test Testsson, personnummer {written}, tack."
    found = find_all(text, ref_date=R, kinds=["personnummer"])
    assert canonical in [f.value for f in found]
    for f in found:
        assert personnummer.validate(text[f.start : f.end], ref_date=R) == f.value


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=300))
def test_property_find_never_raises(text: str) -> None:
    for f in find_all(text, ref_date=R):
        assert 0 <= f.start < f.end <= len(text)


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet="0123456789 -+.:/()T", max_size=80))
def test_property_every_reported_span_revalidates(text: str) -> None:
    for f in find_all(text, ref_date=R, kinds=["personnummer"], min_confidence=0.0):
        if f.inside is None and "hint-repair" not in f.why:
            assert personnummer.validate(text[f.start : f.end], ref_date=R) == f.value


def test_negative_context_does_not_rescue_a_timestamp() -> None:
    assert find_all("cron: batch 202405170107 done", ref_date=R) == []


def test_camel_case_json_key_is_context_and_beats_the_timestamp_shape() -> None:
    # BankID-style JSON: "personalNumber":"197410021120" (last four digits read as 11:20)
    text = '{"status":"complete","personalNumber":"197410021120","orderRef":"x"}'
    found = find_all(text, ref_date=R)
    assert [(f.kind, f.value) for f in found] == [("personnummer", "197410021120")]
    assert "context:personnummer" in found[0].why
    # without the key, joined to a file name, it reads as a YYYYMMDDhhmm stamp
    assert find_all('{"file":"export_197410021120.csv"}', ref_date=R) == []


def test_old_compact_number_beats_the_timestamp_shape_unless_the_context_says_time() -> None:
    # 1977-02-15 01:57 reads as a stamp, but a stamp 49 years old in running text is a birth date
    assert [f.value for f in find_all("Avser Agneta Lundberg, 197702150157.", ref_date=R)] == ["197702150157"]
    assert [f.value for f in find_all("Tove Åberg;197702150157;+46701740605", ref_date=R, kinds=["personnummer"])] == [
        "197702150157"
    ]
    # the context says time: a time keyword, seconds after it, a file name, an identifier
    for text in (
        "skapad 197702150157",
        "197702150157:30",
        "backup-197702150157.tar.gz",
        "orders_197702150157.csv",
        "batch_id=197702150157",
    ):
        assert find_all(text, ref_date=R) == [], text
    # a recent date stays a timestamp (logs and exports are written close to their stamps)
    recent = next(
        s for s in (f"20230115{h:02d}{m:02d}" for h in range(24) for m in range(60)) if personnummer.is_valid(s, ref_date=R)
    )
    assert find_all(f"Avser Agneta Lundberg, {recent}.", ref_date=R) == []
    # the reference date decides what is recent
    assert find_all(f"Avser Agneta Lundberg, {recent}.", ref_date=date(2040, 1, 1))
