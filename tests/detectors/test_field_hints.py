"""Which field names hint a personnummer field (detectors.context.hint_kinds).

A personnummer hint raises every personnummer-shaped value of the field and
repairs spreadsheet damage (a lost leading zero on 9 digits), so a field that
only has "person" in its name (a surrogate key ``person_id``, a contact's name
``kontaktperson``, ``personalnummer``: a staff number) must not get it: random
9- and 10-digit ids pass as a personnummer about 1 time in 280.
"""

from __future__ import annotations

import pytest

from detectors import Scanner
from detectors.context import hint_kinds


@pytest.mark.parametrize("name", ["personnummer", "Personnummer", "person_nr", "Person-nummer", "personnr", "persnr",
                                  "pers_nr", "kund_personnr", "pnr", "p_nr", "ssn", "person", "PersonNumber",
                                  "$.kund.personnummer", "samordningsnummer", "födelsenummer"])
def test_personnummer_fields(name: str) -> None:
    assert "personnummer" in hint_kinds(name)


@pytest.mark.parametrize("name", ["person_id", "personid", "kontaktperson", "personalnummer", "personal_email",
                                  "contact_person_phone", "personal_phone"])
def test_fields_that_only_mention_a_person(name: str) -> None:
    assert "personnummer" not in hint_kinds(name)


def test_a_person_id_with_a_lost_leading_zero_shape_is_not_repaired_into_a_personnummer() -> None:
    # 501011233 read as 0501011233 (born 2005) is a personnummer only where the field says so
    sc = Scanner()
    assert [m.value for m in sc.find("501011233", hint="personnummer")] == ["200501011233"]
    assert sc.find("501011233", hint="person_id") == []
    assert sc.find("501011233", hint="personalnummer") == []


@pytest.mark.parametrize(("name", "kind"), [
    ("telefon", "phone"), ("tel", "phone"), ("tel_nr", "phone"), ("Tel.", "phone"), ("hemtel", "phone"),
    ("HomeTel", "phone"), ("TelephoneNumber", "phone"), ("mobiltelefon", "phone"), ("cell", "phone"),
    ("cellphone", "phone"), ("swishnummer", "phone"),
    ("kortnummer", "payment_card"), ("kort", "payment_card"), ("kort_nr", "payment_card"),
    ("kreditkort", "payment_card"), ("card_number", "payment_card"),
])
def test_phone_and_card_fields(name: str, kind: str) -> None:
    assert kind in hint_kinds(name)


@pytest.mark.parametrize(("name", "kind"), [
    # "tel"/"cell" inside other words; Swedish "kort" = "short"
    ("titel", "phone"), ("hotel_id", "phone"), ("intel", "phone"), ("excellent", "phone"), ("cellar", "phone"),
    ("kortnamn", "payment_card"), ("kortbeskrivning", "payment_card"),
])
def test_words_that_only_contain_a_keyword(name: str, kind: str) -> None:
    assert kind not in hint_kinds(name)


def test_an_id_in_a_hotel_column_is_no_phone_number() -> None:
    # a 9-digit id read with a phone hint was repaired into a mobile number (lost leading zero)
    assert Scanner().find("701234567", hint="hotel_id") == []


@pytest.mark.parametrize(("name", "kinds"), [
    ("kontor", set()), ("kontorsadress", set()), ("public_key", set()), ("cubic", set()),  # office; "bic" inside
    ("clean_phone", {"phone"}), ("ocean", set()), ("mean_value", set()),  # "ean" inside
    ("kontonr", {"bank_account"}), ("bic", {"bank_account"}), ("swift", {"bank_account"}),
    ("ean13", {"not_personal"}), ("EAN-kod", {"not_personal"}), ("artikel_ean", {"not_personal"}),
])
def test_account_and_product_code_fields(name: str, kinds: set[str]) -> None:
    assert set(hint_kinds(name)) == kinds
