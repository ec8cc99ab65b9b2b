"""Red-team findings on structured sources: field names as hints (detectors/context.py).

Fictional values only (generated with valid check digits).
"""

from __future__ import annotations

from datetime import date

import pytest

from detectors import Scanner
from detectors.context import hint_kinds

R = date(2026, 11, 24)
SCANNER = Scanner()
CUSTOMER_NUMBER_FIELDS = ["kundnr", "kund_nr", "Kundnummer", "customer_no", "CustomerNumber", "customer_id", "medlemsnr",
                          "Medlemsnummer", "member_id"]


@pytest.mark.parametrize("field", CUSTOMER_NUMBER_FIELDS)
def test_a_customer_number_field_holds_no_phone_number_or_card(field: str) -> None:
    # A customer number that happens to be a valid Stockholm number or a Luhn-valid Visa number
    # (reference §6.4: order and customer numbers) is the company's number for the customer.
    assert "not_personal" in hint_kinds(field)
    for value in ("0812345678", "4532015112830366"):
        found = SCANNER.find_many([value, "100234"], hint=field, ref_dates=[R, R])[0]
        assert [m for m in found if m.kind in ("phone", "payment_card")] == [], (field, value)


@pytest.mark.parametrize("field, kinds", [("kund_personnr", {"personnummer"}), ("kund_telefon", {"phone"}),
                                          ("customer_phone", {"phone"}), ("customer_email", {"email"}),
                                          ("kundnamn", set()), ("customer", set())])
def test_other_customer_fields_keep_their_hints(field: str, kinds: set[str]) -> None:
    assert set(hint_kinds(field)) == kinds


@pytest.mark.parametrize("field, kind", [
    ("personal_number", "personnummer"), ("PersonalNumber", "personnummer"), ("personal_identity_number", "personnummer"),
    ("PersonalIdentityNumber", "personnummer"), ("personal_id_no", "personnummer"), ("pers_no", "personnummer"),
    ("fodelsenummer", "personnummer"), ("foedelsenummer", "personnummer"), ("Fodelsenr", "personnummer"),
    ("contact_number", "phone"), ("ContactNo", "phone"), ("kontakt_nummer", "phone"), ("kontaktnr", "phone"),
    ("direktnummer", "phone"), ("mob", "phone"), ("Mob.", "phone"), ("mob_nr", "phone"), ("clnr", "bank_account"),
])
def test_common_column_names_hint_their_kind(field: str, kind: str) -> None:
    assert kind in hint_kinds(field)


@pytest.mark.parametrize("field", ["personalnummer", "personal_email", "personal_id", "mobbing", "kontaktperson",
                                   "contact_name", "nummerserie", "pers_nomination"])
def test_look_alike_column_names_do_not(field: str) -> None:
    assert not hint_kinds(field) & {"personnummer", "phone"}


@pytest.mark.parametrize("field, value, expected", [
    ("personal_number", "501011233", ("personnummer", "200501011233")),  # lost leading zero
    ("fodelsenummer", "811228 9874", ("personnummer", "198112289874")),  # space: needs the field's word
    ("contact_number", "46701234567", ("phone", "+46701234567")),  # no plus: needs the field's word
    ("mob", "701234567", ("phone", "+46701234567")),
])
def test_values_that_need_the_column_name_are_found(field: str, value: str, expected: tuple[str, str]) -> None:
    found = SCANNER.find_many([value], hint=field, ref_dates=[R])[0]
    assert expected in {(m.kind, m.value) for m in found}


@pytest.mark.parametrize("field", ["barcode", "Streckkod", "produkt_id", "ProductCode", "product_no", "art_nr", "artnr"])
def test_a_product_code_field_holds_no_phone_number_or_card(field: str) -> None:
    assert "not_personal" in hint_kinds(field)
    for value in ("0701234567", "4532015112830366"):
        found = SCANNER.find_many([value], hint=field, ref_dates=[R])[0]
        assert [m for m in found if m.kind in ("phone", "payment_card")] == [], (field, value)


def test_a_phone_field_of_a_product_owner_keeps_its_phone() -> None:
    found = SCANNER.find_many(["070-123 45 67"], hint="product_owner_phone", ref_dates=[R])[0]
    assert ("phone", "+46701234567") in {(m.kind, m.value) for m in found}


@pytest.mark.parametrize("field", ["privat", "Telefon privat", "private_phone", "Privat mobil", "epost_privat",
                                   "reservation_no", "motivation", "georg", "morgon_tel", "moms_belopp"])
def test_private_and_other_look_alikes_are_no_organisation_number_field(field: str) -> None:
    # "vat" in privat/private/reservation and "org" in georg/morgon hinted an organisation-number
    # field: phones there were lowered, and a lost-zero number was repaired into a sole trader's
    # personnummer
    assert "organisationsnummer" not in hint_kinds(field)


@pytest.mark.parametrize("field", ["orgnr", "Org.nr", "OrgNo", "org", "organisationsnummer", "Organization number",
                                   "vat", "VAT-nr", "vat_number", "VATNo", "momsreg_nr", "Momsregnr", "momsnr",
                                   "company_id", "foretag_orgnr", "kund_org_nr"])
def test_organisation_number_fields_keep_their_hint(field: str) -> None:
    assert "organisationsnummer" in hint_kinds(field)


@pytest.mark.parametrize("field, value, expected", [
    ("Privat", "0701234567", {("phone", "+46701234567")}),
    ("Telefon privat", "501011233", {("phone", "+46501011233")}),  # a lost-zero phone, not a sole trader's pnr
])
def test_a_private_number_column(field: str, value: str, expected: set[tuple[str, str]]) -> None:
    found = SCANNER.find_many([value], hint=field, ref_dates=[R])[0]
    assert {(m.kind, m.value) for m in found} == expected


@pytest.mark.parametrize("field, kind", [
    # a keyword inside another word: ssn in ProcessNumber/BusinessName/ClassName, coord in
    # coordinates/coordinator, social in social_media, e_post in type_post, bg_/pg_ in bg_color,
    # pg_stat, jpg_url, pan in timespan/japan/panel/pant (a deposit)
    ("ProcessNumber", "personnummer"), ("BusinessName", "personnummer"), ("ClassName", "personnummer"),
    ("coordinates", "personnummer"), ("coordinator_id", "personnummer"), ("social_media", "personnummer"),
    ("type_post", "email"), ("bg_color", "bankgiro"), ("pg_stat", "plusgiro"), ("jpg_url", "plusgiro"),
    ("timespan", "payment_card"), ("japan", "payment_card"), ("panel_id", "payment_card"), ("pant", "payment_card"),
])
def test_a_keyword_inside_another_word_is_no_hint(field: str, kind: str) -> None:
    assert kind not in hint_kinds(field)


@pytest.mark.parametrize("field, kind", [
    ("ssn", "personnummer"), ("customer_ssn", "personnummer"), ("CustomerSSN", "personnummer"),
    ("ssn_hash", "personnummer"), ("SocialSecurityNumber", "personnummer"), ("coordination_number", "personnummer"),
    ("e-post", "email"), ("kund_e-post", "email"), ("epostadress", "email"), ("bg", "bankgiro"),
    ("bg_nr", "bankgiro"), ("BG-nr", "bankgiro"), ("leverantor_bg", "bankgiro"), ("pg", "plusgiro"),
    ("pg_nummer", "plusgiro"), ("pan", "payment_card"), ("card_pan", "payment_card"), ("PAN", "payment_card"),
])
def test_the_keyword_as_a_word_still_hints(field: str, kind: str) -> None:
    assert kind in hint_kinds(field)


def test_an_id_in_a_process_number_column_is_not_repaired_into_a_personnummer() -> None:
    assert SCANNER.find_many(["501011233"], hint="ProcessNumber", ref_dates=[R])[0] == []


@pytest.mark.parametrize("field, kind", [
    # a JSON key in brackets, a header with a slash or parentheses: the same hint as the plain name
    ('$["Org nr"]', "organisationsnummer"), ("Kund/Org.nr", "organisationsnummer"), ("kund(org)", "organisationsnummer"),
    ('$["BG"]', "bankgiro"), ("$.pg", "plusgiro"), ('$["PAN"]', "payment_card"), ('$["Kort"]', "payment_card"),
    ('$.kund["SSN"]', "personnummer"), ('$["Mob"]', "phone"),
])
def test_any_separator_separates_words(field: str, kind: str) -> None:
    assert kind in hint_kinds(field)


def test_a_lost_zero_mobile_under_a_bracketed_key_is_found() -> None:
    found = SCANNER.find_many(["701234567"], hint='$.kund["Mob"]', ref_dates=[R])[0]
    assert ("phone", "+46701234567") in {(m.kind, m.value) for m in found}
