"""Red team 5: a clearing and an account number each under its own key in JSON or a query.

A payment API's log line or a form post holds them as
``{"clearingnummer": "5839", "kontonummer": "8257466"}``,
``clearing_nr=5839&konto_nr=8257466``. The labelled-account reader (forms:
``Clearing: 5839 Konto: 8257466``) allowed no quote after the label or before
the number, no underscore in the label, and no ``&`` between the pairs, so the
account was missed. (A JSON document or a table is read as fields and joined by
the worker; this is the same data inside free text.)
"""

from __future__ import annotations

import pytest

from detectors.scan import Scanner


@pytest.mark.parametrize(
    "text, value",
    [
        ('{"clearingnummer": "5839", "kontonummer": "8257466"}', "5839-8257466"),
        ('{"clearing_number":"8327-9","account_number":"014 725 892-5"}', "8327-0147258925"),
        ("POST /utbetalning clearing_nr=5839&konto_nr=8257466&belopp=100", "5839-8257466"),
        ("clearing='5839' konto='8257466'", "5839-8257466"),
        ('{"kontonummer": "8257466", "clearingnummer": "5839"}', "5839-8257466"),
    ],
)
def test_clearing_and_account_under_keys_are_found(text: str, value: str) -> None:
    assert [m.value for m in Scanner().find(text) if m.kind == "bank_account"] == [value]


@pytest.mark.parametrize(
    "text",
    [
        '{"clearingnummer": "5839", "kontonummer": "8257467"}',  # check digit
        '{"clearingnummer": "8327", "kontonummer": "123456782"}',  # Swedbank 8xxx needs its fifth digit
    ],
)
def test_invalid_pairs_are_not(text: str) -> None:
    assert [m for m in Scanner().find(text) if m.kind == "bank_account"] == []
