"""Red team 5: the labels forms and invoices put before a personnummer.

A personnummer written with a space (``811228 9874``) needs a keyword before it
(reference §6.13). Common Swedish labels were not read as one: the combined
``Pers/Orgnr:``, ``Personnr/Org.nr:``, ``Person-/orgnr``,
``Personnummer/samordningsnummer:``, ``Person- eller samordningsnummer``, the
abbreviation ``p.nr``, and any label followed by the format it asks for in
parentheses (``Pnr (ÅÅMMDD-NNNN):``, ``Telefon (dagtid):``).
"""

from __future__ import annotations

from datetime import date

import pytest

from detectors.scan import Scanner

REF = date(2026, 12, 7)


@pytest.mark.parametrize(
    "label",
    [
        "Pers/Orgnr:",
        "Personnr/Org.nr:",
        "Person-/orgnr",
        "Personnummer/samordningsnummer:",
        "Person- eller samordningsnummer",
        "p.nr",
        "Pnr (ÅÅMMDD-NNNN):",
        "Personnummer (12 siffror):",
        "Personnummer (ååååmmdd-xxxx)",
    ],
)
def test_a_space_separated_personnummer_after_the_label_is_found(label: str) -> None:
    text = f"{label} 811228 9874"
    assert [m.value for m in Scanner().find(text, ref_date=REF) if m.kind == "personnummer"] == ["198112289874"]


@pytest.mark.parametrize(
    "text, value",
    [
        ("Telefon (dagtid): 0701234567", 0.8),
        ("Mobil (privat) 0701234567", 0.8),
    ],
)
def test_a_phone_label_with_a_parenthesis_counts(text: str, value: float) -> None:
    (m,) = [m for m in Scanner().find(text, ref_date=REF) if m.kind == "phone"]
    assert m.confidence >= value and any(w.startswith("context:") for w in m.why)


@pytest.mark.parametrize(
    "text",
    [
        "Ordernr (se bilaga): 811228 9874",
        "Personal (12 st) 811228 9874",
        "Orgnr: 811228 9874",
    ],
)
def test_no_personnummer_keyword_no_space_form(text: str) -> None:
    assert [m for m in Scanner().find(text, ref_date=REF) if m.kind == "personnummer"] == []
