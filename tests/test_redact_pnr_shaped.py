"""Names keep no valid personnummer in plaintext even where the detectors' filters pass it over: a file or object
called ``lonespec_199108210023.csv`` (the last four read as a time) was neither found nor masked, and an S3 failure
reason printed it on stdout, stderr and in the units table (H3's red team). Fictional values only."""
from __future__ import annotations

from detectors import Scanner
from pii_scan.keys import Keys
from pii_scan.redact import Redactor


def red() -> Redactor:
    return Redactor(Scanner(None), Keys(b"k" * 32))


def test_a_valid_personnummer_in_a_name_is_masked_whatever_the_filters_say() -> None:
    r = red()
    assert r.mask("lonespec_199108210023.csv") == "lonespec_19910821-****.csv"
    assert r.mask("s3 arkiv/lonespec_199108210023.csv: object in Glacier") == "s3 arkiv/lonespec_19910821-****.csv: object in Glacier"
    c, i, enc = r.redact("export/9108210023.pdf", "")
    assert c == "export/19910821-****.pdf" and enc is not None


def test_numbers_that_are_no_personnummer_stay() -> None:
    r = red()
    for name in ("order_1234567890.csv", "faktura-2024-000123.pdf", "IMG_20230115_1234.jpg", "kund_5566778899.csv"):
        assert r.mask(name) == name, name
