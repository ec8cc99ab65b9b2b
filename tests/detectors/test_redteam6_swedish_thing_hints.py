"""Red team 6: a field named in Swedish for a transaction, an order or a ticket is a
business-number field, as its English name is.

``transaction_id`` hinted "not_personal" (a date-shaped, Luhn-valid id is no
personnummer there), while ``transaktionsid`` hinted nothing and its value was
reported as a personnummer at 0.7. The Swedish words of the English ones in that
hint (transaktion, beställning/bestnr, biljett) now hint the same, in every
written form of a column name (glued number word, linking s, camel case, dash).
A personnummer or phone column named for one of them keeps its own hint.
"""

from __future__ import annotations

import pytest

from detectors.context import hint_kinds
from detectors.scan import Scanner

VALUES = ["8112289874", "811228-9874", "070-123 45 67", "anna.lind@exempel.se"]


def _seen(hint: str) -> list[list[tuple[str, str, float]]]:
    return [[(m.kind, m.value, round(m.confidence, 6)) for m in ms] for ms in Scanner(None).find_many(VALUES, hint)]


@pytest.mark.parametrize(
    "swedish, english",
    [
        ("transaktionsid", "transaction_id"),
        ("Transaktions-ID", "Transaction-ID"),
        ("transaktionsnr", "transaction_nr"),
        ("TransaktionsNummer", "TransactionNumber"),
        ("transaktion", "transaction"),
        ("kund_transaktion_id", "customer_transaction_id"),
        ("beställningsnummer", "order_number"),
        ("Beställning", "Order"),
        ("bestnr", "ordernr"),
        ("biljettnr", "ticket_no"),
        ("biljett_id", "ticket_id"),
    ],
)
def test_swedish_name_hints_as_the_english_one(swedish: str, english: str) -> None:
    assert "not_personal" in hint_kinds(english)
    assert hint_kinds(swedish) == hint_kinds(english)
    assert _seen(swedish) == _seen(english)
    assert _seen(swedish)[0] == []  # the undashed, date-shaped id (a dashed one stays reported)


def test_the_repro() -> None:
    assert Scanner(None).find_many(["8112289874"], "transaktionsid") == [[]]


@pytest.mark.parametrize(
    "hint, kind",
    [("transaktion_personnr", "personnummer"), ("beställare_personnummer", "personnummer"),
     ("biljett_innehavare_telefon", "phone")],
)
def test_a_personal_column_named_for_one_keeps_its_hint(hint: str, kind: str) -> None:
    assert kind in hint_kinds(hint)
    found = {m.kind for ms in Scanner(None).find_many(VALUES, hint) for m in ms}
    assert kind in found


@pytest.mark.parametrize("hint", ["beställare", "bestyrelse", "transport", "transfer_konto", "biljardklubb"])
def test_other_words_are_not(hint: str) -> None:
    assert "not_personal" not in hint_kinds(hint)
