"""Second red team: e-mail addresses in prose (written-out dots in the local part, display names)."""

from __future__ import annotations

import pytest

from detectors.scan import Scanner

SCANNER = Scanner()


@pytest.mark.parametrize(
    ("text", "written", "value"),
    [
        # before: only the last word of the local part was read ("berg@example.com")
        ("mail anna dot berg at example dot com please", "anna dot berg at example dot com", "anna.berg@example.com"),
        ("Skriv till anna punkt berg at foretaget punkt se", "anna punkt berg at foretaget punkt se", "anna.berg@foretaget.se"),
        ("anna dot berg [at] example [dot] se", "anna dot berg [at] example [dot] se", "anna.berg@example.se"),
        # unchanged
        ("Write to anna at example dot se", "anna at example dot se", "anna@example.se"),
    ],
)
def test_written_out_dot_in_the_local_part(text: str, written: str, value: str) -> None:
    ms = [m for m in SCANNER.find(text) if m.kind == "email"]
    assert [(text[m.start : m.end], m.value, m.subkind) for m in ms] == [(written, value, "obfuscated")]


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("Anna Berg <anna.berg@example.se> skrev:", "anna.berg@example.se"),
        ('From: "Berg, Anna" <anna.berg@example.se>', "anna.berg@example.se"),
        ("Från: Anna Berg [mailto:anna.berg@example.se]", "anna.berg@example.se"),
    ],
)
def test_address_after_a_display_name(text: str, value: str) -> None:
    assert [(m.kind, m.value) for m in SCANNER.find(text)] == [("email", value)]


def test_prose_with_dot_and_at_stays_unread() -> None:
    assert SCANNER.find("look at this dot com") == []
