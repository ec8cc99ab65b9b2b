"""Third red team: context keywords and field hints (detectors/context.py).

Inflected personnummer keywords, more negative ("identifier of a thing") words,
backup/snapshot/dump as time words, ``_id``/``=`` between a keyword and its
number, a keyword at the end of the line before, and amount columns.
"""

from __future__ import annotations

import pytest

from detectors.context import hint_kinds, near_before
from detectors.scan import Scanner

SCANNER = Scanner()


def _found(text: str, hint: str | None = None) -> list[tuple[str, str, float]]:
    return [(m.kind, text[m.start : m.end], round(m.confidence, 3)) for m in SCANNER.find(text, hint=hint)]


@pytest.mark.parametrize(
    "text",
    [
        # the space form needs a keyword (reference §6.13); definite and plural forms are keywords
        "Personnumret 811228 9874",
        "Personnumret är 811228 9874",
        "personnumren: 811228 9874, 620962 9887",
        "Födelsenumret 811228 9874",
        "Id-numret 811228 9874",
    ],
)
def test_inflected_personnummer_keywords(text: str) -> None:
    kinds = [k for k, _, _ in _found(text)]
    assert kinds and set(kinds) == {"personnummer"}


@pytest.mark.parametrize(
    ("word", "kind"),
    [
        ("personnumret ", "personnummer"),
        ("personnumrets ", "personnummer"),
        ("personnumren ", "personnummer"),
        ("samordningsnumret ", "samordningsnummer"),
        ("organisationsnumret ", "organisationsnummer"),
    ],
)
def test_inflected_keywords_are_keywords(word: str, kind: str) -> None:
    assert near_before(word, kind)


@pytest.mark.parametrize(
    "before",
    [
        "bokning ",
        "bokningsnummer: ",
        "bokningsnr ",
        "biljett ",
        "biljettnummer ",
        "avtal ",
        "avtalsnummer: ",
        "objektnummer ",
        "skadenummer ",
        "skada nr ",
        "dhl ",
        "bring: ",
        "schenker ",
        "postnord ",
    ],
)
def test_identifiers_of_things_are_negative_context(before: str) -> None:
    assert near_before(before, "order")


def test_an_insurance_number_is_no_negative_context() -> None:
    # a policy number is the policy holder's: no lower score for what follows (docs/detectors.md)
    assert not near_before("försäkringsnummer ", "order")


def test_a_booking_number_keeps_the_dashed_form_and_drops_the_compact_one() -> None:
    # 'order' lowers a personnummer by 0.25: dashed 0.9 -> 0.65 (a dash after six digits is
    # the personnummer's own form), compact 0.7 -> 0.45, below the threshold
    assert _found("Bokningsnummer 811228-9874") == [("personnummer", "811228-9874", 0.65)]
    assert _found("Bokningsnummer 8112289874") == []
    assert _found("Biljettnummer: 8112289874") == []


@pytest.mark.parametrize("word", ["backup", "Backup", "snapshot", "dump"])
def test_backup_snapshot_dump_are_time_words(word: str) -> None:
    assert near_before(word.lower() + " ", "time")
    # a recent date and hh:mm written with a dash: a time stamp beside a time word
    assert _found(f"{word} 20240517-1345 klar") == []


@pytest.mark.parametrize("word", ["backupnummer", "backuptelefon"])
def test_a_backup_phone_is_no_time_word(word: str) -> None:
    assert not near_before(word + " ", "time")


@pytest.mark.parametrize(
    ("before", "kind"),
    [
        ("order_id=", "order"),
        ("order_no=", "order"),
        ("order_nr: ", "order"),
        ("orderid=", "order"),
        ("ordernr=", "order"),
        ("invoice_id: ", "order"),
        ("pnr_id=", "personnummer"),
        ("customer_phone=", "phone"),
        ("phone_number=", "phone"),
        ("kontakt_telefon_nr=", "phone"),
    ],
)
def test_id_suffixes_and_equals_between_keyword_and_number(before: str, kind: str) -> None:
    assert near_before(before, kind)


@pytest.mark.parametrize(
    ("before", "kind"),
    [
        # a keyword does not reach across unrelated words
        ("order_customer_name_city=", "order"),
        ("order sent to anna lindqvist ", "order"),
        ("pnr_of_the_old_customer=", "personnummer"),
    ],
)
def test_no_reach_across_unrelated_words(before: str, kind: str) -> None:
    assert not near_before(before, kind)


def test_order_id_in_a_log_line_drops_a_compact_personnummer() -> None:
    assert _found("2024-05-17 12:00:01 INFO created order_id=8112289874 status=ok") == []


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("Bankgiro\n3827-5533", "bank_account"),  # subkind bankgiro
        ("Ditt personnummer är\n620962 9887", "personnummer"),
        ("Personnummer:\r\n811228 9874", "personnummer"),
    ],
)
def test_a_keyword_at_the_end_of_the_line_before(text: str, kind: str) -> None:
    assert [k for k, _, _ in _found(text)] == [kind]


@pytest.mark.parametrize(
    "text",
    [
        "Personnummer:\n\n811228 9874",  # a blank line between
        "Bankgiro\n\n3827-5533",
    ],
)
def test_a_blank_line_ends_a_keyword(text: str) -> None:
    assert _found(text) == []


@pytest.mark.parametrize(
    "before",
    [
        # a CSV header line: its last column name is no keyword for the next line's first value
        "namn,personnummer\n",
        "namn;personnummer\n",
        "namn\tpersonnummer\n",
        "namn|personnummer\n",
    ],
)
def test_a_header_line_is_no_keyword_for_the_next_line(before: str) -> None:
    assert not near_before(before, "personnummer")


@pytest.mark.parametrize(
    "name",
    ["belopp", "Belopp", "amount", "total_amount", "summa", "totalsumma", "sum", "order_sum", "pris",
     "enhetspris", "unit_price", "price", "total", "moms_belopp", "saldo", "balance"],
)
def test_amount_columns_are_not_personal(name: str) -> None:
    assert "not_personal" in hint_kinds(name)


@pytest.mark.parametrize(
    ("name", "kinds"),
    [
        ("summary", set()),
        ("total_pnr", {"personnummer"}),
        ("summering", set()),
        ("prisma", set()),
        ("account_balance", {"bank_account"}),
    ],
)
def test_no_amount_hint_beside_a_personal_kind_or_inside_other_words(name: str, kinds: set[str]) -> None:
    assert set(hint_kinds(name)) == kinds


def test_a_ticket_number_is_an_order_number_for_phone_numbers_too() -> None:
    text = "Biljettnummer 0701 2345 67"
    assert SCANNER.find(text) == []
    low = Scanner(min_confidence=0.0).find(text)
    assert [m.kind for m in low] == ["phone"] and "context:order(-)" in low[0].why
