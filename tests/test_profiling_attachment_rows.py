"""A mail attachment's rows are fields of their own (attachment:kunder.csv!line 12:column 2): column profiling weighs
them as one column. Before, each row was a column with one value: one tally per row (a 600,000-row CSV attachment
took a worker to 1.3 GB, H3's red team) and never enough evidence for a hint, so a headerless attachment's mobile
numbers without their zero were not read. Fictional values (PTS fiction numbers)."""
from __future__ import annotations

from pii_scan.profiling import ColumnProfiles, column_key


def test_attachment_rows_are_one_column() -> None:
    assert column_key("attachment:kunder.csv!line 12:column 2") == "attachment:kunder.csv!column 2"
    assert column_key("attachment:lista.xlsx!Kunder:5:E-post") == "attachment:lista.xlsx!Kunder:E-post"
    assert column_key("attachment:logg.txt!@1024:text") == "attachment:logg.txt!text"
    assert column_key("Kunder!C5") == "Kunder!C"


def test_a_headerless_attachment_column_is_profiled_with_bounded_tallies() -> None:
    cp = ColumnProfiles()
    n = 400
    # mobile numbers that lost their zero (a spreadsheet's doing), spread as real customers' are
    by_field = {f"attachment:kunder.csv!line {i + 1}:column 2": ([i], ["7" + "0236"[i % 4] + f"{(i * 7_919_113) % 10**7:07d}"])
                for i in range(n)}
    by_field.update({f"attachment:kunder.csv!line {i + 1}:column 1": ([i], [f"Kund {i}"]) for i in range(n)})
    hints = cp.hints(by_field, {}, [None] * n)
    assert len(cp._tallies) + len(cp._settled) <= 2  # one per column, not one per row
    assert all("phone" in h or "mobil" in h or "telefon" in h for f, h in hints.items() if f.endswith(":column 2")), \
        sorted(set(hints.values()))[:5]
