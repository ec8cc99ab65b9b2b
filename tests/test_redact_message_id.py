"""A Message-ID item stays readable wherever the mail is kept (mail store, a file share, a bucket).

It reads like an e-mail address, but it is what an erasure job needs to find
the message; before, mail kept as files had every address-shaped Message-ID
masked to the same ``k***@example.se`` so that an mbox's messages could not
be told apart. Other identifiers in an item are still masked, and a SQL key
that is an e-mail address is masked as before. Fictional values only.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from detectors import Scanner
from pii_scan.keys import load_keys
from pii_scan.redact import Redactor


@pytest.fixture
def red(tmp_path: Path) -> Redactor:
    return Redactor(Scanner(), load_keys(tmp_path / "k.key"))


@pytest.mark.parametrize("store", ["mail", "files", "s3"])
def test_message_ids_stay_readable(red: Redactor, store: str) -> None:
    for mid in ("kundtjanst.1234@example.se", "20240517.abc@mail.exempel.se"):
        assert red.redact("arkiv/support.mbox", mid, store)[1] == mid


def test_other_items_are_masked(red: Redactor) -> None:
    assert "9874" not in red.redact("main.kunder", "pnr=19811228-9874", "sql")[1]
    assert "anna.berg" not in red.redact("main.kunder", "email=anna.berg@example.se", "sql")[1]
    assert "anna.berg" not in red.redact("main.kunder", "anna.berg@example.se", "sql")[1]
    # a personnummer in a Message-ID is still masked
    assert "9874" not in red.redact("arkiv/a.mbox", "19811228-9874@example.se", "files")[1]
    assert "9874" not in red.redact("export.csv", "811228-9874 x", "files")[1]
