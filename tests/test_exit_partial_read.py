"""Exit codes: a scan whose every unit failed after reading records is partial (3), not failed (1).

One mbox whose last message is cut off fails its unit, but every message
before it was read and written to the data map: the map holds data, so the
scan is partial; 'failed' (1) means nothing could be read. Fictional data.
"""

from __future__ import annotations

from pii_scan.engine import EXIT_FAILED, EXIT_PARTIAL, ScanSummary


def test_all_units_failed_after_reading_records_is_partial() -> None:
    s = ScanSummary(scan_id=1, units_total=1, units_scanned=1, units_failed=1, records=120, findings=40)
    assert s.status == "partial" and s.exit_code == EXIT_PARTIAL


def test_all_units_failed_with_nothing_read_is_failed() -> None:
    s = ScanSummary(scan_id=1, units_total=2, units_scanned=2, units_failed=2, records=0)
    assert s.status == "failed" and s.exit_code == EXIT_FAILED


def test_some_units_failed_is_partial() -> None:
    s = ScanSummary(scan_id=1, units_total=3, units_scanned=3, units_failed=1, records=0)
    assert s.status == "partial"
