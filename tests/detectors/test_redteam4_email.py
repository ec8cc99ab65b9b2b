"""Red team 4: an e-mail address with a quoted local part (RFC 5322 §3.4.1 quoted-string).

'"anna berg"@example.se' was not read at all (documented as unsupported). The
quoted local part is read when the quotes hold printable characters on one line
(no quote, backslash or "@" inside) and the domain is one as for any address;
the canonical value keeps the quotes (its characters are the address).
"""

from __future__ import annotations

import pytest

from detectors import email
from detectors.scan import Scanner

SCANNER = Scanner()
VALUE = '"anna berg"@example.se'


@pytest.mark.parametrize(
    "text",
    [
        '"anna berg"@example.se',
        'E-post: "anna berg"@example.se',
        'Skicka till "anna berg"@example.se.',
        'Anna Berg <"anna berg"@example.se>',
        'Kontakt: "Anna Berg"@Example.se, 070-123 45 67',
        'mailto:"anna berg"@example.se',
        'email="anna berg"@example.se&x=1',
        "'\"anna berg\"@example.se'",
    ],
)
def test_a_quoted_local_part_is_read(text: str) -> None:
    ms = [m for m in SCANNER.find(text) if m.kind == "email"]
    assert [m.value for m in ms] == [VALUE]
    assert text[ms[0].start : ms[0].end].lower() == VALUE


def test_validate_reads_a_quoted_local_part() -> None:
    assert email.validate('"Anna Berg"@example.se') == VALUE


@pytest.mark.parametrize(
    "text",
    ['""@example.se', '"anna\nberg"@example.se', '"anna"berg"@example.se', '"a@b"@example.se'],
)
def test_not_a_quoted_local_part(text: str) -> None:
    assert [m.value for m in SCANNER.find(text) if m.kind == "email" and m.value.startswith('"')] == []
