"""Red team 5: a recent ISO date and a four-digit sequence read as a personnummer.

Document, report and backup names number the items of a day after its date:
``Protokoll 2023-05-10-4180``, ``2023-05-10 0465 INFO``, ``backup-2025-09-26-0465.tar``.
Read as a personnummer in the split shape (``1981-12-28-9874``, reference §1.2:
extra dashes, lower confidence), one in ten passes the check digit and was
reported (0.65): 252 of 3,000 random such names of 2023-2026. A recent date
(within TIMESTAMP_RECENT_YEARS of the reference date) in that shape needs a
personnummer keyword or field, as a recent date-and-time stamp does; an older
one, and the personnummer's own forms (``20230510-4180``), are read as before.
"""

from __future__ import annotations

from datetime import date

import pytest

from detectors.scan import Scanner

REF = date(2026, 12, 7)


def _pnr(text: str, hint: str | None = None) -> list[str]:
    return [m.value for m in Scanner().find(text, hint=hint, ref_date=REF) if m.kind == "personnummer"]


@pytest.mark.parametrize(
    "text",
    [
        "Protokoll 2023-05-10-4180",
        "Dokument 2025-09-26-0465 bifogas",
        "backup-2023-05-10-4180.tar",
        "Körning 2023-05-10 4180",
        "2025-09-26 0465 INFO start",
        "2023.05.10-4180",
    ],
)
def test_a_recent_date_and_sequence_is_not_reported(text: str) -> None:
    assert _pnr(text) == []


@pytest.mark.parametrize(
    "text, hint, value",
    [
        ("Personnummer 2023-05-10-4180", None, "202305104180"),
        ("2023-05-10-4180", "personnummer", "202305104180"),
        ("Protokoll 1981-12-28-9874", None, "198112289874"),
        ("Barnets pnr: 2023-05-10 4180", None, "202305104180"),
        ("20230510-4180", None, "202305104180"),
    ],
)
def test_keyword_field_old_date_and_the_dashed_form_stay(text: str, hint: str | None, value: str) -> None:
    assert _pnr(text, hint) == [value]
