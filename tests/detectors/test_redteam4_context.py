"""Red team 4: negative context words (order, reference, time) are words, not prefixes.

A keyword of another kind before a number lowers it ("Ordernr 0701234567").
Short or common ones were matched as the start of any word, so a first name
or surname that begins with one (Klas, Klara, Lotta, Casey, Logan, Snorre,
Lagerström, Klasson, Tidholm) or a person's role named for one
(Orderansvarig, Fakturakontakt, Referensperson, Produktchef, Lagerchef) before
a phone number or personnummer lowered it below the threshold: 'Klas Berg
070-123 45 67' was not reported. They now count alone, inflected or before a
number word (Ordernummer, Fakturanr, Artikelnummer, Kolli-id, Referensnr,
Loggad, Tidpunkt), as the words themselves always did.
"""

from __future__ import annotations

import pytest

from detectors.context import near_before
from detectors.scan import Scanner

SCANNER = Scanner()

NAMES_AND_ROLES = [
    # first names and surnames that start with a time, order or reference word
    "Klas Berg", "Klara Lind", "Klaus", "Anna Klasson", "Lotta Berg", "Lotten", "Casey Lind", "Logan Berg",
    "Snorre Lind", "Anna Lagerström", "Per Lagerqvist", "Tidemand", "Invar Berg", "Refik Lind", "Bo Tidholm",
    "Kolling",
    # roles and words named for one
    "Orderansvarig", "Fakturakontakt:", "Referensperson", "Produktchef", "Lagerchef", "Kvittoansvarig",
    "Transaktionsansvarig", "Snickare", "Tidningsbud", "Logistikchef", "Kliniken", "Tidigare nummer",
]


@pytest.mark.parametrize("who", NAMES_AND_ROLES)
def test_a_name_or_role_before_a_phone_number_is_no_negative_context(who: str) -> None:
    for number in ("070-123 45 67", "0701234567"):
        text = f"{who} {number}"
        ms = SCANNER.find(text)
        assert [(m.kind, text[m.start : m.end]) for m in ms] == [("phone", number)], text
        assert not any(w.endswith("(-)") for w in ms[0].why), (text, ms[0].why)


@pytest.mark.parametrize("who", ["Klas Berg", "Lotta Berg", "Anna Lagerström", "Casey Lind", "Logan"])
def test_a_name_before_a_compact_personnummer_is_no_negative_context(who: str) -> None:
    text = f"{who} 8112289874"
    ms = SCANNER.find(text)
    assert [(m.kind, m.value) for m in ms] == [("personnummer", "198112289874")]
    assert not any(w.endswith("(-)") for w in ms[0].why)


@pytest.mark.parametrize(
    ("before", "kind"),
    [
        # the words alone, inflected, or before a number word still count
        ("order ", "order"), ("ordern ", "order"), ("ordernr ", "order"), ("ordernummer: ", "order"),
        ("order-id ", "order"), ("order_id=", "order"), ("orderid ", "order"), ("fakturanr ", "order"),
        ("fakturanummer: ", "order"), ("fakturan ", "order"), ("faktura ", "order"), ("invoice no. ", "order"),
        ("inv ", "order"), ("inv# ", "order"), ("artikelnummer ", "order"), ("art.nr ", "order"),
        ("produktkod ", "order"), ("produkt-id ", "order"), ("lot ", "order"), ("lotnr ", "order"),
        ("s/n ", "order"), ("sn: ", "order"), ("serienummer ", "order"), ("kollinummer ", "order"),
        ("kolli-id ", "order"), ("spårningsnummer ", "order"), ("tracking number ", "order"),
        ("tracking_id=", "order"), ("ärende ", "order"), ("ärendenummer ", "order"), ("ärendet ", "order"),
        ("case ", "order"), ("case #", "order"), ("ticket ", "order"), ("ticketnr ", "order"),
        ("transaktion ", "order"), ("transaktions-id ", "order"), ("transaction id: ", "order"),
        ("txn ", "order"), ("sku ", "order"), ("ean ", "order"), ("batch ", "order"), ("batchnr ", "order"),
        ("paket ", "order"), ("paketnummer ", "order"), ("kvitto ", "order"), ("kvittonr ", "order"),
        ("beställning ", "order"), ("beställningsnummer ", "order"), ("lager ", "order"), ("lagernummer ", "order"),
        ("sändningsnummer ", "order"), ("shipment ", "order"), ("parcel ", "order"), ("receipt no ", "order"),
        ("ocr ", "reference"), ("ocr-nummer ", "reference"), ("referens ", "reference"), ("referensnr ", "reference"),
        ("ref ", "reference"), ("ref.nr ", "reference"), ("ref: ", "reference"), ("reference ", "reference"),
        ("betalningsreferens ", "reference"), ("meddelande ", "reference"),
        ("tid ", "time"), ("tiden ", "time"), ("tidpunkt ", "time"), ("tidsstämpel ", "time"), ("kl ", "time"),
        ("kl. ", "time"), ("klockan ", "time"), ("log ", "time"), ("loggad ", "time"), ("logged ", "time"),
        ("datum ", "time"), ("date: ", "time"), ("timestamp ", "time"), ("skapad ", "time"), ("backup ", "time"),
    ],
)
def test_the_words_themselves_still_count(before: str, kind: str) -> None:
    assert near_before(before, kind), before


@pytest.mark.parametrize(
    ("text", "written"),
    [
        ("Kontoret 08-123 456 78", "08-123 456 78"),  # an office, not an account ("konto" in kontor)
        ("Kontorist Anna 070-123 45 67", "070-123 45 67"),
        ("Kontorschef 0701234567", "0701234567"),
        ("Anna Ibanez 070-123 45 67", "070-123 45 67"),  # a surname, not "IBAN"
    ],
)
def test_an_office_or_a_name_is_no_account_context(text: str, written: str) -> None:
    ms = SCANNER.find(text)
    assert [(m.kind, text[m.start : m.end]) for m in ms] == [("phone", written)]
    assert not any(w.endswith("(-)") for w in ms[0].why)


@pytest.mark.parametrize("before", ["konto ", "kontot ", "kontonr ", "konto-nr: ", "kontonummer ", "iban ", "iban: ", "iban-nr "])
def test_the_account_words_still_count(before: str) -> None:
    assert near_before(before, "bank_account"), before


@pytest.mark.parametrize(
    "line",
    [
        "ERROR db: deadlock detected pid=26785 tx=8112289874 relation=order",
        "txid 8112289874 committed",
        "trace_id=8112289874 span=12",
        "request 8112289874 took 12 ms",
        "req=8112289874 status=200",
        "job 8112289874 finished",
        "build 8112289874 passed",
        "session=8112289874 expired",
    ],
)
def test_log_ids_and_build_numbers_are_no_personnummer(line: str) -> None:
    # reference §6.2: log IDs and build numbers look like personnummer too
    assert [m for m in SCANNER.find(line) if m.kind == "personnummer"] == []


@pytest.mark.parametrize("text", ["Jobb 070-123 45 67", "Jobbtelefon 0701234567", "Sessionsledare Anna 070-123 45 67"])
def test_work_phone_words_are_no_log_words(text: str) -> None:
    ms = SCANNER.find(text)
    assert [m.kind for m in ms] == ["phone"] and not any(w.endswith("(-)") for w in ms[0].why)


@pytest.mark.parametrize(
    ("text", "kind", "value"),
    [
        # an XML or HTML export: the element or the header cell names the value
        ("<personnummer>811228 9874</personnummer>", "personnummer", "198112289874"),
        ("<td>Personnummer</td><td>811228 9874</td>", "personnummer", "198112289874"),
        ("<ns:PersonalIdentityNumber>811228 9874</ns:PersonalIdentityNumber>", "personnummer", "198112289874"),
        ("<bankgiro>54029681</bankgiro>", "bank_account", "5402-9681"),
        ("<th>Bankgiro</th><td>5402 9681</td>", "bank_account", "5402-9681"),
        ("<kontonummer>5839 825 746 6</kontonummer>", "bank_account", "5839-8257466"),
        ("<Telefon>46701234567</Telefon>", "phone", "+46701234567"),
    ],
)
def test_an_xml_element_or_html_cell_is_a_keyword(text: str, kind: str, value: str) -> None:
    assert (kind, value) in [(m.kind, m.value) for m in SCANNER.find(text)]


@pytest.mark.parametrize(
    ("before", "kind"),
    [("<personnummer>", "personnummer"), ("<td>pnr</td><td>", "personnummer"), ("<b>telefon:</b> ", "phone"),
     ("<order_id>", "order"), ("personnummer:</b><br/>", "personnummer")],
)
def test_tags_stand_between_a_keyword_and_its_value(before: str, kind: str) -> None:
    assert near_before(before, kind)


@pytest.mark.parametrize("before", ["<td>personnummer</td><td>anna</td><td>", "<personnummer>x</personnummer><telefon>"])
def test_a_keyword_in_another_cell_is_none(before: str) -> None:
    assert not near_before(before, "personnummer")


@pytest.mark.parametrize(
    "who",
    [
        # a person's role named for a thing (the role's word after it, or glued to it)
        "Account manager", "Key Account Manager", "Accountansvarig", "Bankchef Anna", "Clearingansvarig",
        "Utbetalningsansvarig", "Reference person", "OCR-ansvarig", "Snapshotansvarig", "Datumansvarig",
        "Lönekontoret", "Account Owner", "Clearing team",
        # places and words that start with a keyword
        "Bankeryd", "Bicycle shop", "Swiftkey", "Civicbolaget", "Ssnack", "Timebank", "Dumpen", "Dateringsansvarig",
    ],
)
def test_a_role_or_word_starting_with_a_keyword_is_no_negative_context(who: str) -> None:
    for number in ("070-123 45 67", "0701234567"):
        text = f"{who} {number}"
        ms = SCANNER.find(text)
        assert [(m.kind, text[m.start : m.end]) for m in ms] == [("phone", number)], text
        assert not any(w.endswith("(-)") for w in ms[0].why), (text, ms[0].why)


@pytest.mark.parametrize(
    ("before", "kind"),
    [
        ("bank ", "bank_account"), ("bank: ", "bank_account"), ("banken ", "bank_account"), ("bankkonto ", "bank_account"),
        ("bankuppgifter: ", "bank_account"), ("bank account ", "bank_account"), ("bank account no. ", "bank_account"),
        ("account ", "bank_account"), ("account number: ", "bank_account"), ("accountnr ", "bank_account"),
        ("clearing ", "bank_account"), ("clearingnummer: ", "bank_account"), ("utbetalning till ", "bank_account"),
        ("swift/bic: ", "bank_account"), ("bic ", "bank_account"), ("swiftkod ", "bank_account"),
        ("lönekonto: ", "bank_account"), ("lönekontot ", "bank_account"), ("ssn: ", "personnummer"),
        ("ssn_no=", "personnummer"), ("civic ", "personnummer"), ("time: ", "time"), ("date: ", "time"),
        ("datum ", "time"), ("dump ", "time"), ("snapshot ", "time"), ("tel nr: ", "phone"), ("konto nr ", "bank_account"),
    ],
)
def test_the_keywords_themselves_still_count(before: str, kind: str) -> None:
    assert near_before(before, kind), before


@pytest.mark.parametrize(
    "text",
    [
        "Meddelande från +46701234567",
        "Meddelande från 070-123 45 67",
        "Nytt meddelande från 0701234567: Hej",
        "Meddelande till +46 70 123 45 67",
        "Ärende från 070-123 45 67",
        "Ticket från 0701234567",
        "Order från 0701234567",
        "Loggad av 070-123 45 67",
    ],
)
def test_a_party_of_a_thing_is_no_negative_context(text: str) -> None:
    # an SMS export or a ticket: the sender's or recipient's number follows the preposition
    ms = SCANNER.find(text)
    assert [m.kind for m in ms] == ["phone"], text
    assert not any(w.endswith("(-)") for w in ms[0].why), ms[0].why


@pytest.mark.parametrize(
    ("before", "kind", "counts"),
    [("ring till ", "phone", True), ("sms till ", "phone", True), ("mail till ", "email", True),
     ("order nr ", "order", True), ("ordernr: ", "order", True), ("meddelande från ", "reference", False),
     ("ärende från ", "order", False)],
)
def test_prepositions_after_keywords(before: str, kind: str, counts: bool) -> None:
    assert near_before(before, kind) is counts
