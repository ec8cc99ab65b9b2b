"""Red-team findings for e-mail addresses (obfuscated forms the task brief lists)."""

from __future__ import annotations

import pytest

from detectors.scan import Scanner

SCANNER = Scanner()


@pytest.mark.parametrize(
    ("text", "written", "value"),
    [
        # " snabel-a " before a domain with plain dots: before, only "... punkt se" was read
        ("anna snabel-a example.se", "anna snabel-a example.se", "anna@example.se"),
        ("Skriv till anna.svensson snabel-a foretaget.se idag.", "anna.svensson snabel-a foretaget.se", "anna.svensson@foretaget.se"),
        ("bo snabel-a ex.com.", "bo snabel-a ex.com", "bo@ex.com"),
    ],
)
def test_snabel_a_with_plain_dots(text: str, written: str, value: str) -> None:
    ms = [m for m in SCANNER.find(text) if m.kind == "email"]
    assert [(text[m.start : m.end], m.value, m.subkind) for m in ms] == [(written, value, "obfuscated")]


@pytest.mark.parametrize(
    "text",
    [
        "vi ses at www.example.se",  # English "at" stays unread without written-out dots
        "snabel-a är tecknet @",  # no domain after it
        "anna snabel-a example",  # no dot in the domain
    ],
)
def test_snabel_a_not_over_read(text: str) -> None:
    assert [m for m in SCANNER.find(text) if m.kind == "email" and m.subkind == "obfuscated"] == []


@pytest.mark.parametrize(
    ("text", "value"),
    [
        # a "defanged" dot in brackets, as written beside "[at]": before, the address was not read
        ("anna[at]example[.]se", "anna@example.se"),
        ("anna@example[.]se", "anna@example.se"),
        ("anna [at] example [.] se", "anna@example.se"),
        ("anna[.]berg(at)example(.)se", "anna.berg@example.se"),
    ],
)
def test_bracketed_dot(text: str, value: str) -> None:
    assert [(m.value, m.subkind) for m in SCANNER.find(text) if m.kind == "email"] == [(value, "obfuscated")]
