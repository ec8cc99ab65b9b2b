"""Bank accounts, IBAN, Bankgiro, Plusgiro: every vector of reference §3.1-3.7, traps §6.1/7/10/11."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from detectors import bank_account as ba
from detectors import find_all, organisationsnummer
from detectors.base import InvalidChecksum, InvalidComponent, InvalidFormat, InvalidLength, ValidationError
from detectors.checksums import iban_numeric, luhn_check_digit, luhn_is_valid, mod11_sum, mod97, MOD11_WEIGHTS

R = date(2026, 11, 24)


def _find(text: str, hint: str | None = None, min_confidence: float = 0.5):
    return find_all(text, hint=hint, ref_date=R, kinds=("bank_account", "personnummer"), min_confidence=min_confidence)


def _accounts(found, subkind: str = "account"):
    return [(f.value, round(f.confidence, 2)) for f in found if f.kind == "bank_account" and f.subkind == subkind]


# -- §3.1 clearing numbers ---------------------------------------------------------------


@pytest.mark.parametrize("clearing", ["8327-9", "8424-4", "8129-9", "8351-9", "81034"])
def test_swedbank_five_digit_clearing_is_luhn(clearing: str) -> None:
    assert luhn_is_valid(clearing.replace("-", ""))


@pytest.mark.parametrize("number", ["8424-1, 983 189 224-6", "83270, 0147258925"])
def test_swedbank_clearing_check_digit_must_match(number: str) -> None:
    with pytest.raises(InvalidChecksum):
        ba.validate(number)


# -- §3.3 the clearing table -------------------------------------------------------------


def test_table_has_every_reference_row_and_no_overlaps() -> None:
    rows = ba.clearing_rows()
    assert len(rows) == 58  # the 56 lines of reference §3.3, two of which hold two ranges
    for a, b in zip(rows, rows[1:]):
        assert a.last < b.first, (a, b)
    for r in rows:
        assert 1000 <= r.first <= r.last <= 9999
        assert r.type in (1, 2) and r.comment in ("1", "2", "3", "?")
        assert r.min_digits <= r.digits and r.digits in (7, 9, 10)
        assert r.iban_method in ("", "1", "2", "3")


@pytest.mark.parametrize(
    "clearing,bank,type_,comment,iban_id",
    [
        ("1100", "Nordea", 1, "1", "300"),
        ("1399", "Danske Bank", 1, "1", "120"),
        ("2099", "Nordea", 1, "1", "300"),
        ("2115", "Juni Technology", 1, "?", "211"),
        ("2125", "Steven", 1, "?", "212"),
        ("2300", "Ålandsbanken", 1, "2", "230"),
        ("3300", "Nordea personkonto", 2, "1", "300"),
        ("3409", "Länsförsäkringar Bank", 1, "1", "902"),
        ("3410", "Nordea", 1, "1", "300"),  # Bankgirot's split, not kontonummer's 3400-3499 LF
        ("3782", "Nordea personkonto", 2, "1", "300"),
        ("4999", "Nordea", 1, "2", "300"),
        ("5000", "SEB", 1, "1", "500"),
        ("6999", "Handelsbanken", 2, "2", "600"),
        ("7999", "Swedbank", 1, "1", "800"),
        ("8000", "Swedbank", 2, "3", "800"),
        ("9180", "Danske Bank", 2, "1", "120"),
        ("9300", "Swedbank (fd Sparbanken Öresund)", 2, "1", "930"),
        ("9400", "Forex Bank", 1, "1", "940"),
        ("9500", "Nordea (Plusgirot)", 2, "3", "950"),
        ("9570", "Sparbanken Syd", 2, "1", "957"),
        ("9580", "Aion Bank", 1, "1", "958"),
        ("9650", "MedMera Bank", 1, "?", "965"),
        ("9710", "Lunar Bank", 1, "2", "971"),
        ("9789", "Klarna Bank", 1, "2", "978"),
        ("9880", "Riksgälden", 1, "2", ""),
        ("9890", "Riksgälden", 2, "1", ""),
        ("9969", "Nordea (Plusgirot)", 2, "3", "950"),
    ],
)
def test_table_rows(clearing: str, bank: str, type_: int, comment: str, iban_id: str) -> None:
    row = ba.lookup(clearing)
    assert row is not None
    assert (row.bank, row.type, row.comment, row.iban_id) == (bank, type_, comment, iban_id)


@pytest.mark.parametrize("clearing", ["0999", "1000", "1099", "2100", "2130", "2299", "2500", "2999", "9000", "9019",
                                      "9080", "9600", "9790", "9999"])
def test_unassigned_clearings(clearing: str) -> None:
    assert ba.lookup(clearing) is None


# -- §3.4 account vectors -----------------------------------------------------------------

VALID_ACCOUNTS = [
    ("1274, 0235 305", "1274-0235305", "Danske Bank"),
    ("3300, 101010-1010", "3300-1010101010", "Nordea personkonto"),
    ("6114, 5171 82351", "6114-517182351", "Handelsbanken"),
    ("81034, 978 3242", "8103-0009783242", "Swedbank"),
    ("8327-9, 014 725 892-5", "8327-0147258925", "Swedbank"),
    ("9022, 11 14884", "9022-1114884", "Länsförsäkringar Bank"),
    ("9570, 12344", "9570-0000012344", "Sparbanken Syd"),
    ("9570, 525 004 176 0", "9570-5250041760", "Sparbanken Syd"),
    ("5140, 0010004", "5140-0010004", "SEB"),
    ("9180, 1111111116", "9180-1111111116", "Danske Bank"),
    ("9190, 6543218", "9190-6543218", "DNB Bank"),
    ("9500, 1111111116", "9500-1111111116", "Nordea (Plusgirot)"),
    ("3473, 17 01473", "3473-1701473", "Nordea"),
    ("5839, 8257466", "5839-8257466", "SEB"),
    ("9040, 1106944", "9040-1106944", "Citibank"),
    ("1294, 01 45237", "1294-0145237", "Danske Bank"),
    ("9071, 417 23 83", "9071-4172383", "Multitude Bank"),
    ("6789, 123456789", "6789-123456789", "Handelsbanken"),
    ("8424-4, 983 189 224-6", "8424-9831892246", "Swedbank"),
    ("8351-9, 392 242 224-5", "8351-3922422245", "Swedbank"),
    ("8129-9, 043 386 711-6", "8129-0433867116", "Swedbank"),
    ("3300, 000620-5124", "3300-0006205124", "Nordea personkonto"),
    ("9789, 1111113", "9789-1111113", "Klarna Bank"),
    ("9029, 5735211", "9029-5735211", "Länsförsäkringar Bank"),
    # Handelsbanken: 8 digits are left-padded to 9 (bankkonto 1.0.1 wrongly rejects this one)
    ("6114, 10000003", "6114-010000003", "Handelsbanken"),
]


@pytest.mark.parametrize("written,canonical,bank", VALID_ACCOUNTS)
def test_valid_accounts(written: str, canonical: str, bank: str) -> None:
    assert ba.validate(written) == canonical
    assert ba.validate_account(written) == canonical
    assert ba.is_valid(written)
    assert ba.bank(written) == bank
    # every written form of one account has one canonical value
    assert ba.validate(ba.compact(written)) == canonical
    assert ba.validate(canonical) == canonical
    assert ba.validate(ba.format(written)) == canonical


INVALID_ACCOUNTS = [
    ("9272, 1829751", InvalidChecksum),
    ("9272, 18297523", InvalidLength),
    ("1234, 3456789", InvalidChecksum),
    ("6789, 123456788", InvalidChecksum),
    ("8424-1, 014 725 892-6", InvalidChecksum),  # clearing check digit
    ("83270, 123456782", InvalidChecksum),  # clearing check digit
    ("8327, 123456782", InvalidComponent),  # 8xxx needs its 5-digit clearing
    ("9022, 8456424", InvalidChecksum),
    ("9680, 1234567", InvalidChecksum),
    ("3300, 8012346589", InvalidChecksum),  # personkonto Luhn
    ("6001, 801230658", InvalidChecksum),
    ("0123, 1234567", InvalidComponent),  # clearing < 1000
    ("1000, 0000000", InvalidChecksum),  # all zeros: plain mod 11 passes
    ("9999, 1234567", InvalidChecksum),  # unknown clearing, fails both type-1 comments
    ("3300, 12344", InvalidLength),  # personkonto is 10 digits
    # zero-sum traps of §3.2
    ("3000, 0000000", InvalidChecksum),
    ("5000, 0000000", InvalidChecksum),
    ("7000, 0000000", InvalidChecksum),
    ("9000, 0000000", InvalidChecksum),
    ("6114, 000000000", InvalidChecksum),
    # shapes
    ("1234", InvalidLength),
    ("12345, 1234567", InvalidComponent),  # a 5-digit clearing that is not 8xxx
    ("5839-825746X", InvalidFormat),
    ("SEB 5839-8257466", InvalidLength),  # starts with two letters: read as an IBAN
    ("6114, 1000003", InvalidLength),  # Handelsbanken: 8-9 digits
    ("5839, 825746", InvalidLength),  # type 1 is 7 digits
]


@pytest.mark.parametrize("written,error", INVALID_ACCOUNTS)
def test_invalid_accounts(written: str, error: type[ValidationError]) -> None:
    with pytest.raises(error):
        ba.validate(written)
    assert not ba.is_valid(written)


def test_unknown_clearing_falls_back_to_type_1() -> None:
    # 2200 is unassigned; BankData tries comment 1, then comment 2
    acct = _type1_account("2200", "1", "123456")
    assert ba.validate(f"2200-{acct}") == f"2200-{acct}"
    acct2 = _type1_account("2200", "2", "654321")
    assert ba.validate(f"2200-{acct2}") == f"2200-{acct2}"


def test_swedbank_canonical_form_is_accepted_back() -> None:
    assert ba.validate("8327-0147258925") == "8327-0147258925"
    assert ba.format("8327-0147258925") == "83279-0147258925"


def test_error_messages_never_contain_the_value() -> None:
    for written, _ in INVALID_ACCOUNTS:
        try:
            ba.validate(written)
        except ValidationError as e:
            assert written not in str(e)
            for part in written.replace(",", " ").replace("-", " ").split():
                if len(part) >= 4:
                    assert part not in str(e)


# -- §3.5 Bankgiro --------------------------------------------------------------------------

BANKGIRO_VALID = [
    ("5402-9681", "5402-9681"), ("297-3675", "297-3675"), ("640-5070", "640-5070"), ("902-0033", "902-0033"),
    ("900-0001", "900-0001"), ("5050-1501", "5050-1501"), ("160-9908", "160-9908"),
    ("123-4566", "123-4566"), ("987-6541", "987-6541"), ("555-5552", "555-5552"), ("1234-5674", "1234-5674"),
    ("9876-5431", "9876-5431"), ("5000-0009", "5000-0009"), ("901-0000", "901-0000"),
    ("54029681", "5402-9681"), ("2973675", "297-3675"), ("5402 9681", "5402-9681"),
]
BANKGIRO_INVALID = [
    ("5402-9682", InvalidChecksum), ("902-0034", InvalidChecksum), ("900-0002", InvalidChecksum),
    ("54-0296", InvalidLength), ("5402-96810", InvalidLength), ("123-4567", InvalidChecksum),
    ("000-0000", InvalidChecksum), ("5402-968X", InvalidFormat),
]


@pytest.mark.parametrize("written,canonical", BANKGIRO_VALID)
def test_bankgiro_valid(written: str, canonical: str) -> None:
    assert ba.validate(written, subkind="bankgiro") == canonical
    assert ba.format(written, subkind="bankgiro") == canonical


@pytest.mark.parametrize("written,error", BANKGIRO_INVALID)
def test_bankgiro_invalid(written: str, error: type[ValidationError]) -> None:
    with pytest.raises(error):
        ba.validate(written, subkind="bankgiro")
    assert not ba.is_valid(written, subkind="bankgiro")


@pytest.mark.parametrize("value,ninety", [("902-0033", True), ("900-0001", True), ("901-0000", True),
                                          ("905-0006", False), ("5402-9681", False)])
def test_bankgiro_90_konton(value: str, ninety: bool) -> None:
    assert ba.is_90_konto(value, "bankgiro") is ninety


# -- §3.6 Plusgiro --------------------------------------------------------------------------

PLUSGIRO_VALID = [
    ("28 65 43-4", "286543-4", "28 65 43-4"), ("410 54 68-5", "4105468-5", "4 10 54 68-5"),
    ("4-2", "4-2", "4-2"), ("90 20 03-3", "902003-3", "90 20 03-3"),
    ("18", "1-8", "1-8"), ("125", "12-5", "12-5"), ("1230", "123-0", "1 23-0"), ("12344", "1234-4", "12 34-4"),
    ("123455", "12345-5", "1 23 45-5"), ("1234566", "123456-6", "12 34 56-6"),
    ("123 45 67-4", "1234567-4", "1 23 45 67-4"), ("901231", "90123-1", "9 01 23-1"), ("41053", "4105-3", "41 05-3"),
    ("28654", "2865-4", "28 65-4"), ("2865434", "286543-4", "28 65 43-4"),
]
PLUSGIRO_INVALID = [
    ("410 54 68-6", InvalidChecksum), ("90 20 03-4", InvalidChecksum), ("1", InvalidLength),
    ("410 54-51 21", InvalidLength), ("4-3", InvalidChecksum), ("410 54 68-5X", InvalidFormat),
    ("12345", InvalidChecksum), ("1234567", InvalidChecksum), ("0-0", InvalidChecksum),
]


@pytest.mark.parametrize("written,canonical,printed", PLUSGIRO_VALID)
def test_plusgiro_valid(written: str, canonical: str, printed: str) -> None:
    assert ba.validate(written, subkind="plusgiro") == canonical
    assert ba.format(written, subkind="plusgiro") == printed
    assert ba.validate(printed, subkind="plusgiro") == canonical


@pytest.mark.parametrize("written,error", PLUSGIRO_INVALID)
def test_plusgiro_invalid(written: str, error: type[ValidationError]) -> None:
    with pytest.raises(error):
        ba.validate(written, subkind="plusgiro")
    assert not ba.is_valid(written, subkind="plusgiro")


# -- §3.7 IBAN ------------------------------------------------------------------------------

SE_IBANS = [
    ("SE45 5000 0000 0583 9825 7466", "SEB"),
    ("SE41 1200 0000 0127 4023 5305", "Danske Bank"),
    ("SE58 6000 0000 0005 1718 2351", "Handelsbanken"),
    ("SE55 8000 0832 7901 4725 8925", "Swedbank"),
    ("SE78 1200 0000 0129 4014 5237", "Danske Bank"),
    ("SE95 3000 0000 0010 1010 1010", "Nordea personkonto"),
    ("SE81 3000 0000 0347 3170 1473", "Nordea"),
    ("SE35 5000 0000 0549 1000 0003", "SEB"),
    ("SE83 5000 0000 0514 0001 0004", "SEB"),
    ("SE72 8000 0810 3400 0978 3242", "Swedbank"),
    ("SE53 9020 0000 0902 2111 4884", "Länsförsäkringar Bank"),
    ("SE69 9040 0000 0904 0110 6944", "Citibank"),
    ("SE18 9190 0000 0919 0654 3218", "DNB Bank"),
    ("SE37 9570 0000 0052 5004 1760", "Sparbanken Syd"),
]


@pytest.mark.parametrize("written,bank", SE_IBANS)
def test_swedish_ibans_valid(written: str, bank: str) -> None:
    compact = written.replace(" ", "")
    assert ba.validate(written) == compact
    assert ba.validate(compact, subkind="iban") == compact
    assert ba.format(compact) == written
    assert ba.bank(written) == bank


@pytest.mark.parametrize(
    "written,error",
    [
        ("SE46 5000 0000 0583 9825 7466", InvalidChecksum),  # check digits
        ("SE45 5000 0000 0583 9825 7467", InvalidChecksum),  # mod 97
        ("SE45 5000 0000 0583 9825 746", InvalidLength),  # 23 characters
        ("SE4550000000058398257466X", InvalidLength),
        # mod 97 and length pass; SEB 5839-8257467 fails mod 11 (schwifty and stdnum accept it)
        ("SE1850000000058398257467", InvalidChecksum),
        ("XX4550000000058398257466", InvalidComponent),
        ("SE45 5000 0000 0583 9825 74+6", InvalidFormat),
    ],
)
def test_swedish_ibans_invalid(written: str, error: type[ValidationError]) -> None:
    with pytest.raises(error):
        ba.validate(written)
    assert not ba.is_valid(written)


@pytest.mark.parametrize(
    "iban",
    [
        "NO9386011117947", "DK5000400440116243", "FI2112345600000785", "DE89370400440532013000",
        "GB29NWBK60161331926819", "NL91ABNA0417164300", "FR1420041010050500013M02606",
        "ES9121000418450200051332", "IT60X0542811101000000123456", "PL61109010140000071219812874",
        "EE382200221020145685", "LT121000011101001000", "LV80BANK0000435195001", "IS140159260076545510730339",
        "CH9300762011623852957", "AT611904300234573201", "BE68539007547034", "IE29AIBK93115212345678",
        "LU280019400644750000", "PT50000201231234567890154",
    ],
)
def test_foreign_ibans_valid(iban: str) -> None:
    assert ba.validate(iban) == iban
    assert len(iban) == ba.iban_length(iban[:2])
    assert ba.bank(iban) is None


@pytest.mark.parametrize(
    "country,length",
    [("NO", 15), ("DK", 18), ("FI", 18), ("DE", 22), ("GB", 22), ("NL", 18), ("FR", 27), ("ES", 24), ("IT", 27),
     ("PL", 28), ("EE", 20), ("LT", 20), ("LV", 21), ("IS", 26), ("CH", 21), ("AT", 20), ("BE", 16), ("IE", 22),
     ("LU", 20), ("PT", 25), ("SE", 24)],
)
def test_iban_lengths(country: str, length: int) -> None:
    assert ba.iban_length(country) == length


def test_foreign_iban_wrong_structure() -> None:
    with pytest.raises(InvalidFormat):
        ba.validate("GB2912345601613319268190"[:22])  # GB needs 4 letters of bank code
    with pytest.raises(InvalidLength):
        ba.validate("DE8937040044053201300")


# -- finding: accounts (§6.10) --------------------------------------------------------------


@pytest.mark.parametrize(
    "text,value",
    [
        ("Kontonr: 1274, 0235 305", "1274-0235305"),
        ("Kontonr: 5839-8257466", "5839-8257466"),
        ("konto 5839 82 574 66", "5839-8257466"),
        ("Kontonummer 58398257466", "5839-8257466"),  # compact: needs the keyword
        ("Clearing 3473 kontonr 17 01473", "3473-1701473"),  # clearing and account after their labels: joined
        ("Konto 8327-9 014 725 892-5", "8327-0147258925"),
        ("Konto 8327-9, 014 725 892-5", "8327-0147258925"),
        ("Konto 83279-0147258925", "8327-0147258925"),
        ("Konto: 832790147258925", "8327-0147258925"),
        ("Konto: 81034, 978 3242", "8103-0009783242"),
        ("Kontonr 6114-517182351", "6114-517182351"),
        ("Kontonr 6114 517 182 351", "6114-517182351"),
        ("lönekonto 9570, 525 004 176 0", "9570-5250041760"),
        ("konto 9180-1111111116", "9180-1111111116"),
        ("account 9789-1111113.", "9789-1111113"),
        ("Kontonr: 8327-0147258925", "8327-0147258925"),  # our own canonical form
    ],
)
def test_find_accounts_with_keyword(text: str, value: str | None) -> None:
    found = _accounts(_find(text))
    if value is None:
        assert found == []
    else:
        assert [v for v, _ in found] == [value], found


@pytest.mark.parametrize(
    "text,reported",
    [
        ("5839-8257466", True),  # distinct written shape: 0.55
        ("1274, 0235 305", True),
        ("5839 82 574 66", False),  # spaces only: mod 11 alone is 1 in 11
        ("58398257466", False),  # compact without a keyword: not even offered
        ("1274,0235305", False),  # CSV-like pair
        ("ordernr 5839-8257466", False),  # negative context
        ("8327-9 014 725 892-5", True),  # two Luhn checks
        ("5839-8257467", False),  # checksum fails
        ("2200-1234560", False),  # unknown clearing: low even though mod 11 passes
        ("kontonr 2200-1234560", True),  # ... but a keyword lifts it
        ("0771-1234567", False),  # clearing < 1000 (a phone number)
        ("+46 5839-8257466", False),
    ],
)
def test_account_confidence_without_keyword(text: str, reported: bool) -> None:
    assert bool(_accounts(_find(text))) is reported, _accounts(_find(text, min_confidence=0.0))


def test_account_shapes_that_are_not_accounts() -> None:
    assert _accounts(_find("5839/8257466 5839.8257466 (5839)8257466", min_confidence=0.0)) == []


def test_account_hint_raises_confidence() -> None:
    found = _find("58398257466", hint="kontonummer")
    assert [(f.value, f.subkind) for f in found] == [("5839-8257466", "account")]
    assert "hint:bank_account" in found[0].why


def test_handelsbanken_short_account_in_hinted_column() -> None:
    assert [f.value for f in _find("6114 10000003", hint="konto")] == ["6114-010000003"]


def test_why_explains_the_match() -> None:
    (f,) = _find("Kontonr: 5839-8257466")
    assert {"rule:mod11", "context:bank_account", "bank:SEB", "shape:clearing-separated"} <= set(f.why)


def test_account_span_revalidates() -> None:
    text = "Utbetalning till konto 8327-9, 014 725 892-5 och konto 1274 02 353 05, tack."
    found = [f for f in _find(text) if f.kind == "bank_account"]
    assert len(found) == 2
    for f in found:
        assert ba.validate(text[f.start : f.end], f.subkind) == f.value


# -- finding: personkonto and IBAN with a personnummer inside (§6.7) -----------------------


def test_personkonto_yields_the_personnummer_inside() -> None:
    text = "Konto: 3300, 101010-1010"
    found = _find(text)
    acct = [f for f in found if f.kind == "bank_account"]
    pnr = [f for f in found if f.kind == "personnummer"]
    assert [f.value for f in acct] == ["3300-1010101010"]
    assert [(f.value, f.subkind, f.inside) for f in pnr] == [("201010101010", "personnummer", "personkonto")]
    assert text[pnr[0].start : pnr[0].end] == "101010-1010"


def test_personkonto_compact_with_samordningsnummer() -> None:
    # 701063-2391 is Skatteverket's samordningsnummer example
    found = _find("personkonto 33007010632391")
    assert [(f.kind, f.subkind, f.value) for f in found] == [
        ("bank_account", "account", "3300-7010632391"),
        ("personnummer", "samordningsnummer", "197010632391"),
    ]


def test_personkonto_whose_account_is_no_personnummer() -> None:
    # Luhn passes (a valid account) but 13th month: no personnummer inside, lower confidence
    found = _find("Konto 3300-8813280016", min_confidence=0.0)
    assert [f.kind for f in found] == ["bank_account"]
    assert "rule:not-personnummer" in found[0].why


def test_iban_of_personkonto_yields_the_personnummer_inside() -> None:
    text = "IBAN: SE95 3000 0000 0010 1010 1010"
    found = _find(text)
    assert [(f.kind, f.subkind, f.value, f.inside) for f in found] == [
        ("bank_account", "iban", "SE9530000000001010101010", None),
        ("personnummer", "personnummer", "201010101010", "iban"),
    ]
    assert text[found[1].start : found[1].end] == "10 1010 1010"


def test_nested_personnummer_uses_the_reference_date() -> None:
    # 10-digit form: the latest year <= the reference year ending in 10
    found = find_all("Konto 3300-1010101010", ref_date=date(2009, 1, 1), kinds=("bank_account", "personnummer"))
    assert [f.value for f in found if f.kind == "personnummer"] == ["191010101010"]


# -- finding: IBAN (§6.11) ------------------------------------------------------------------


@pytest.mark.parametrize("written,bank", SE_IBANS)
def test_find_swedish_ibans(written: str, bank: str) -> None:
    for text in (written, f"IBAN: {written}.", f"Betala till {written.replace(' ', '')} senast"):
        found = [f for f in _find(text) if f.kind == "bank_account"]
        assert [(f.subkind, f.value) for f in found] == [("iban", written.replace(" ", ""))], text
        assert found[0].confidence >= 0.9
        assert f"bank:{bank}" in found[0].why


@pytest.mark.parametrize(
    "text",
    [
        "SE46 5000 0000 0583 9825 7466",
        "SE45 5000 0000 0583 9825 7467",
        "SE45 5000 0000 0583 9825 746",
        "SE4550000000058398257466X",
        "SE1850000000058398257467",  # national check digit
        "se46 5000 0000 0583 9825 7466",  # lower case: read since test_redteam2_iban, but checked as well
        "SE45 5000 0000 0583 9825 7466 12",  # the number goes on
        "SE45-5000 0000-0583 9825-7466",  # mixed separators (hyphen-grouped ones are read: test_redteam4_iban)
    ],
)
def test_find_rejects_bad_ibans(text: str) -> None:
    assert _accounts(_find(text, min_confidence=0.0), "iban") == []


@pytest.mark.parametrize(
    "text,value",
    [
        ("NO93 8601 1117 947", "NO9386011117947"),
        ("IBAN FI21 1234 5600 0007 85", "FI2112345600000785"),
        ("GB29 NWBK 6016 1331 9268 19", "GB29NWBK60161331926819"),
        ("DE89 3704 0044 0532 0130 00", "DE89370400440532013000"),
        ("FR14 2004 1010 0505 0001 3M02 606", "FR1420041010050500013M02606"),
    ],
)
def test_find_foreign_ibans(text: str, value: str) -> None:
    assert [v for v, _ in _accounts(_find(text), "iban")] == [value]


@pytest.mark.parametrize("text", ["DE89370400440532013000", "BE68539007547034"])
def test_find_compact_hex_looking_ibans(text: str) -> None:
    assert [v for v, _ in _accounts(_find(text), "iban")] == [text]


def test_compact_iban_of_personkonto_yields_the_personnummer() -> None:
    found = _find("SE9530000000001010101010")
    assert [f.kind for f in found] == ["bank_account", "personnummer"]


# -- finding: Bankgiro and Plusgiro (§6.1) ------------------------------------------------


@pytest.mark.parametrize(
    "text,value",
    [
        ("Bankgiro: 5402-9681", "5402-9681"),
        ("bankgironr 297-3675", "297-3675"),
        ("BG 640-5070", "640-5070"),
        ("Betala till bankgiro 5050 1501", "5050-1501"),
        ("bg: 54029681", "5402-9681"),
    ],
)
def test_find_bankgiro(text: str, value: str) -> None:
    assert [v for v, _ in _accounts(_find(text), "bankgiro")] == [value]


@pytest.mark.parametrize(
    "text",
    ["5402-9681", "tel 297-3675", "Bankgiro: 5402-9682", "bankgiro 000-0000", "bankgiro 54-0296"],
)
def test_bankgiro_needs_keyword_and_checksum(text: str) -> None:
    assert _accounts(_find(text), "bankgiro") == []


def test_bankgiro_in_hinted_column() -> None:
    assert [(f.subkind, f.value) for f in _find("54029681", hint="bankgiro")] == [("bankgiro", "5402-9681")]


def test_bankgiro_90_konto_is_not_personal() -> None:
    found = _find("Bankgiro 902-0033")
    assert found == []
    scanner = __import__("detectors").Scanner(["bank_account"], include_non_personal=True)
    (f,) = scanner.find("Bankgiro 902-0033", ref_date=R)
    assert (f.subkind, f.value, f.personal) == ("bankgiro", "902-0033", False)
    assert "bankgiro:90-konto" in f.why


@pytest.mark.parametrize(
    "text,value",
    [
        ("Plusgiro 28 65 43-4", "286543-4"),
        ("PG: 410 54 68-5", "4105468-5"),
        ("plusgironr 123 45 67-4", "1234567-4"),
        ("postgiro 2865434", "286543-4"),
    ],
)
def test_find_plusgiro(text: str, value: str) -> None:
    assert [v for v, _ in _accounts(_find(text), "plusgiro")] == [value]


@pytest.mark.parametrize("text", ["28 65 43-4", "Plusgiro 410 54 68-6", "plusgiro 410 54-51 21"])
def test_plusgiro_needs_keyword_and_checksum(text: str) -> None:
    assert _accounts(_find(text), "plusgiro") == []


@pytest.mark.parametrize("value,canonical", [("4-2", "4-2"), ("42", "4-2"), ("28 65 43-4", "286543-4")])
def test_short_plusgiro_in_hinted_column(value: str, canonical: str) -> None:
    assert [(f.subkind, f.value) for f in _find(value, hint="plusgiro")] == [("plusgiro", canonical)]


# -- Hypothesis -----------------------------------------------------------------------------


def _type1_account(clearing: str, comment: str, six: str) -> str:
    """Complete six digits to a valid type-1 account (raises ValueError if no digit fits)."""
    prefix = (clearing[1:] if comment == "1" else clearing) + six + "0"
    check = -mod11_sum(prefix, MOD11_WEIGHTS) % 11
    if check == 10:
        raise ValueError("no check digit")
    return six + str(check)


TYPE1_ROWS = [r for r in ba.clearing_rows() if r.type == 1 and r.comment in ("1", "2")]


@st.composite
def type1_accounts(draw):  # noqa: ANN201
    row = draw(st.sampled_from(TYPE1_ROWS))
    clearing = str(draw(st.integers(row.first, row.last)))
    six = draw(st.text("0123456789", min_size=6, max_size=6))
    try:
        acct = _type1_account(clearing, row.comment, six)
    except ValueError:
        assume(False)
    assume(acct.strip("0"))
    return row, clearing, acct


def _written_forms(clearing: str, acct: str) -> list[str]:
    forms = [
        f"{clearing}-{acct}",
        f"{clearing} {acct[:2]} {acct[2:5]} {acct[5:]}",
        f"{clearing}, {acct}",
        f"{clearing}, {acct[:2]} {acct[2:5]} {acct[5:]}",
        f"{clearing}{acct}",
        f"{clearing}-{acct[:3]} {acct[3:]}",
    ]
    if clearing.startswith("7"):
        forms.append(f"{clearing}-{acct[:2]}-{acct[2:]}")  # Swedbank 7xxx
    return forms


@settings(max_examples=300, deadline=None)
@given(type1_accounts())
def test_property_type1_accounts_found_in_every_form(acc) -> None:  # noqa: ANN001
    row, clearing, acct = acc
    canonical = f"{clearing}-{acct}"
    for form in _written_forms(clearing, acct):
        assert ba.validate(form) == canonical
        text = f"Kontonr: {form}"
        found = [f for f in ba.find(text, ref_date=R) if f.subkind == "account"]
        assert [f.value for f in found] == [canonical], (form, found)
        f = found[0]
        assert text[f.start : f.end] == form
        assert ba.validate(text[f.start : f.end], f.subkind) == f.value


@st.composite
def any_valid_account(draw):  # noqa: ANN201
    """(written, canonical) for a random row: every type, comment and bank length."""
    row = draw(st.sampled_from([r for r in ba.clearing_rows() if r.comment != "?"]))
    clearing = str(draw(st.integers(row.first, row.last)))
    n = draw(st.integers(max(row.min_digits, 2), row.digits))
    body = draw(st.text("0123456789", min_size=n - 1, max_size=n - 1))
    if row.type == 1:
        try:
            acct = _type1_account(clearing, row.comment, body)
        except ValueError:
            assume(False)
    elif row.comment == "2":  # Handelsbanken: mod 11 over the 9-digit account
        padded = body.zfill(8) + "0"
        check = -mod11_sum(padded, MOD11_WEIGHTS) % 11
        assume(check != 10)
        acct = body + str(check)
    else:
        acct = body + luhn_check_digit(body)
    assume(acct.strip("0"))
    written_clearing = clearing + luhn_check_digit(clearing) if clearing.startswith("8") else clearing
    sep = draw(st.sampled_from(["-", ", ", " ", ""]))
    return f"{written_clearing}{sep}{acct}", f"{clearing}-{acct.zfill(row.digits)}"


@settings(max_examples=300, deadline=None)
@given(any_valid_account())
def test_property_every_bank_validates_to_its_canonical_value(acc) -> None:  # noqa: ANN001
    written, canonical = acc
    assert ba.validate(written) == canonical
    assert ba.validate(canonical) == canonical
    assert ba.validate(ba.format(canonical)) == canonical


def _iban_for(bban: str) -> str:
    check = 98 - mod97(iban_numeric("SE00" + bban))
    return f"SE{check:02d}{bban}"


@settings(max_examples=200, deadline=None)
@given(type1_accounts(), st.booleans())
def test_property_ibans_built_from_valid_accounts(acc, grouped: bool) -> None:  # noqa: ANN001
    row, clearing, acct = acc
    assume(row.iban_id and row.iban_method == "1")
    iban = _iban_for(row.iban_id + "000000" + clearing + acct)
    assert ba.validate(iban) == iban
    assert ba.bank(iban) == row.bank
    written = " ".join(iban[i : i + 4] for i in range(0, 24, 4)) if grouped else iban
    text = f"IBAN: {written}"
    found = ba.find(text, ref_date=R)
    assert [(f.subkind, f.value) for f in found] == [("iban", iban)]
    assert text[found[0].start : found[0].end] == written
    # breaking the national check digit (and fixing mod 97) is caught
    bad_acct = acct[:-1] + str((int(acct[-1]) + 1) % 10)
    bad = _iban_for(row.iban_id + "000000" + clearing + bad_acct)
    assert not ba.is_valid(bad)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=300), st.sampled_from([None, "konto", "bankgiro", "plusgiro", "iban"]))
def test_property_find_never_raises(text: str, hint: str | None) -> None:
    for f in ba.find(text, hint=hint, ref_date=R):
        assert 0 <= f.start < f.end <= len(text)


_NUMERIC_TEXT = st.text(alphabet="0123456789 -,SE8kontoKonto:bankgiro", max_size=120)


@settings(max_examples=500, deadline=None)
@given(_NUMERIC_TEXT, st.sampled_from([None, "konto", "bankgiro", "plusgiro"]))
def test_property_every_reported_span_revalidates(text: str, hint: str | None) -> None:
    for f in find_all(text, hint=hint, ref_date=R, kinds=("bank_account",), min_confidence=0.0):
        assert ba.validate(text[f.start : f.end], f.subkind) == f.value, (text, f)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=60))
def test_property_validate_raises_only_validation_errors(text: str) -> None:
    for sub in (None, "account", "iban", "bankgiro", "plusgiro"):
        try:
            value = ba.validate(text, sub)
        except ValidationError:
            assert not ba.is_valid(text, sub)
        else:
            assert ba.validate(value, sub) == value


@settings(max_examples=300, deadline=None)
@given(any_valid_account())
def test_property_every_bank_found_with_keyword(acc) -> None:  # noqa: ANN001
    written, canonical = acc
    assume(not canonical.startswith(("3300", "3782")))  # personkonto: see the personkonto tests
    text = f"Kontonr: {written}"
    found = [f for f in ba.find(text, ref_date=R) if f.subkind == "account"]
    if len(written.replace(" ", "").replace(",", "").replace("-", "")) < 9:
        return  # "9500-18": windows under 7 digits are only offered with a hint
    if written.isdigit() and len(written) < 11:
        return  # compact forms are read at 11-15 digits (type 1 and longer)
    if ", " in written and len(written.split(", ")[1]) < 7:
        return  # "9500, 00018": the comma ends the run; a 5-digit run is only offered with a hint
    acct = canonical[5:]
    if not found and " " in written and "," not in written and organisationsnummer.is_valid(acct):
        # "80002 1020000004": the orgnr detector claims the 10-digit part (0.85, a longer run is
        # not penalised there) over the space-separated account (0.75 with a keyword). Reported.
        return
    assert [f.value for f in found] == [canonical], (written, found)


_FRAGMENTS = st.sampled_from(
    [
        "Kontonr: ", "konto ", "bankgiro ", "plusgiro ", "IBAN ", "ordernr ", "5839-8257466", "8327-9, 014 725 892-5",
        "8327-9 014 725 892-5", "1274, 0235 305", "1274,0235305", "SE45 5000 0000 0583 9825 7466",
        "SE4550000000058398257466", "5402-9681", "28 65 43-4", "3300 101010-1010", "3300, 000620-5124",
        "8327-0147258925", "6114 517 182 351", " ", ", ", "-", "(", ")", "/", ".", "7", "12", "+46 ", "0",
        "NO93 8601 1117 947", "kr", "\n",
    ]
)


@settings(max_examples=500, deadline=None)
@given(st.lists(_FRAGMENTS, max_size=12).map("".join), st.sampled_from([None, "konto", "bankgiro", "plusgiro"]))
def test_property_spans_in_assembled_texts_revalidate(text: str, hint: str | None) -> None:
    for f in find_all(text, hint=hint, ref_date=R, kinds=("bank_account", "personnummer"), min_confidence=0.0):
        assert 0 <= f.start < f.end <= len(text)
        if f.kind == "bank_account":
            assert ba.validate(text[f.start : f.end], f.subkind) == f.value, (text, f)
        else:  # a personnummer inside a personkonto or an IBAN: its digits, compacted
            assert f.inside in (None, "personkonto", "iban")


@pytest.mark.parametrize(
    "bban,bank",
    [
        ("930" + "000" + "9300" + "1111111116", "Swedbank (fd Sparbanken Öresund)"),  # method 1, 10-digit account
        ("950" + "0000000" + "1111111116", "Nordea (Plusgirot)"),  # method 2
        ("120" + "0000000" + "1111111116", "Danske Bank"),  # 9180: no method published, 2 tried
        ("300" + "0000000" + "7010632391", "Nordea personkonto"),  # samordningsnummer as account
        ("600" + "00000000" + "010000003", "Handelsbanken"),  # 8-digit SHB account, left-padded
    ],
)
def test_iban_decoding_methods(bban: str, bank: str) -> None:
    iban = _iban_for(bban)
    assert ba.validate(iban) == iban
    assert ba.bank(iban) == bank


def test_iban_with_unknown_bank_id_passes_on_mod97_with_lower_confidence() -> None:
    iban = _iban_for("999" + "00000012345678901")
    assert ba.validate(iban) == iban and ba.bank(iban) is None
    (f,) = _find(f"IBAN {iban}")
    assert f.confidence == pytest.approx(0.77) and "iban:unknown-bank-id" in f.why


def test_iban_method_mismatch_fails() -> None:
    # IBAN-ID 300 with a method-1 body whose clearing is not a Nordea range (5839 is SEB)
    assert not ba.is_valid(_iban_for("300" + "000000" + "5839" + "8257466"))
    # Swedbank method 3 with a bad clearing check digit
    assert not ba.is_valid(_iban_for("800" + "00" + "83270" + "0147258925"))
