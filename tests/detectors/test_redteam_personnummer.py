"""Red-team findings for personnummer written forms (reference §1.2, §6.13)."""

from __future__ import annotations

from datetime import date

import pytest

from detectors.scan import Scanner

SCANNER = Scanner()
R = date(2026, 11, 24)


def _pnr(text: str, hint: str | None = None) -> list[tuple[str, str]]:
    return [(text[m.start : m.end], m.value) for m in SCANNER.find(text, hint=hint, ref_date=R) if m.kind == "personnummer"]


@pytest.mark.parametrize(
    ("text", "written", "value"),
    [
        # a dot before the serial: reference §1.2 "space, dots, extra dashes ... accept them
        # with lower confidence"; before, the dotted form was never read
        ("Pnr 811228.9874", "811228.9874", "198112289874"),
        ("personnummer: 19811228.9874", "19811228.9874", "198112289874"),
        ("samordningsnummer 701063.2391", "701063.2391", "197010632391"),
    ],
)
def test_dot_before_serial_with_keyword(text: str, written: str, value: str) -> None:
    assert _pnr(text) == [(written, value)]


def test_dot_before_serial_in_a_personnummer_field() -> None:
    assert [[m.value for m in ms] for ms in SCANNER.find_many(["811228.9874"], "personnummer")] == [["198112289874"]]


@pytest.mark.parametrize(
    "text",
    [
        "811228.9874",  # no keyword: as likely a decimal number (like the space form, §6.13)
        "Belopp 811228.9874 kr",
        "pnr 811228.9875",  # check digit
        "pnr 1981.12.28.9874",  # dots everywhere: a version or a date-like code
    ],
)
def test_dot_before_serial_not_over_read(text: str) -> None:
    assert _pnr(text) == []


@pytest.mark.parametrize(
    ("text", "written"),
    [
        # a sole trader's VAT number: the personnummer inside it ended on the separator before "01"
        ("VAT-nr SE 811228-9874 01", "811228-9874"),
        ("momsregistreringsnummer SE8112289874-01", "8112289874"),
        ("SE811228987401", "8112289874"),
    ],
)
def test_personnummer_inside_vat_spans_its_digits(text: str, written: str) -> None:
    ms = [m for m in SCANNER.find(text, ref_date=R) if m.kind == "personnummer"]
    assert [(text[m.start : m.end], m.value, m.inside) for m in ms] == [(written, "198112289874", "vat")]
