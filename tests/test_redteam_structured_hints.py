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
