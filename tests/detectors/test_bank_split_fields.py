"""A clearing number and an account number in two fields of one record (``clearingnr``, ``kontonr``).

Reference §3.4 vectors (valid and invalid). The worker joins the two per record
(tests/test_worker_split_accounts.py); here the parts it uses.
"""

from __future__ import annotations

import pytest

from detectors.bank_account import is_clearing_field, is_split_account_field, join_split_account, validate_account
from tests.detectors.test_bank_labelled import INVALID, VALID


@pytest.mark.parametrize(("clearing", "account"), VALID)
def test_valid_pairs_join(clearing: str, account: str) -> None:
    m = join_split_account(clearing, account)
    want = validate_account(f"{clearing}, {account}" if len(clearing) == 4 and clearing[0] != "8" else f"{clearing} {account}")
    assert m is not None and m.value == want and (m.start, m.end) == (0, len(account))
    assert m.kind == "bank_account" and m.subkind == "account" and m.confidence >= 0.5


@pytest.mark.parametrize(("clearing", "account"), INVALID)
def test_invalid_pairs_do_not(clearing: str, account: str) -> None:
    assert join_split_account(clearing, account) is None


def test_values_as_numbers_and_spreadsheet_floats() -> None:
    # an integer column drops the account's leading zeros; a spreadsheet writes "5839.0"
    assert join_split_account("83279", "147258925").value == "8327-0147258925"  # type: ignore[union-attr]
    assert join_split_account("5839.0", "8257466.0").value == "5839-8257466"  # type: ignore[union-attr]
    assert join_split_account(" 5839 ", " 8257466 ").start == 1  # type: ignore[union-attr]
    assert join_split_account("5839", "82574 66x") is None
    assert join_split_account("", "8257466") is None


@pytest.mark.parametrize("name", ["clearingnr", "Clearingnummer", "clearing_number", "cl_nr", "CLNR", "bank_clearing"])
def test_clearing_fields(name: str) -> None:
    assert is_clearing_field(name) and not is_split_account_field(name)


@pytest.mark.parametrize("name", ["kontonr", "Kontonummer", "account_number", "bankkonto", "lönekonto"])
def test_account_fields(name: str) -> None:
    assert is_split_account_field(name) and not is_clearing_field(name)


@pytest.mark.parametrize("name", ["iban", "bankgiro", "plusgiro", "cluster", "email", "notes", "declared"])
def test_other_fields(name: str) -> None:
    assert not is_split_account_field(name) and not is_clearing_field(name)
