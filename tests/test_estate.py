"""The fictional estate generator, and a whole scan of one scored against its ground truth.

The first tests need only the generator. The end-to-end tests build a small
estate (a SQLite CRM and a file share), scan it through the engine with the
in-process scheduler and check the data map against the planted values:
recall per kind, no decoy reported, test-data flags, complete lookups, and
no customers merged by free text that mentions several of them.
"""

from __future__ import annotations

import json
import sqlite3
from collections import Counter
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner

from detectors import bank_account, email, payment_card, personnummer, phone
from detectors.normalize import normalize
from pii_scan import estate
from pii_scan.cli import main

SMALL = 60  # customers in the end-to-end estate


def _validate(kind: str, written: str, ref: date) -> str:
    if kind == "personnummer":
        return personnummer.validate(written, ref_date=ref)
    if kind == "email":
        return email.validate(written)
    if kind == "phone":
        return phone.validate(written)
    if kind == "bank_account":
        return bank_account.validate(written, "iban" if written.startswith("SE") else "account")
    if kind == "payment_card":
        return payment_card.validate(written)
    raise AssertionError(kind)


# -- the generator ---------------------------------------------------------------


@pytest.fixture(scope="module")
def small_estate(tmp_path_factory: pytest.TempPathFactory) -> estate.GroundTruth:
    return estate.build_estate(tmp_path_factory.mktemp("estate"), customers=SMALL, employees=8, seed=3)


def test_same_seed_same_estate(tmp_path: Path) -> None:
    a = estate.build_estate(tmp_path / "a", customers=20, employees=5, seed=11)
    b = estate.build_estate(tmp_path / "b", customers=20, employees=5, seed=11)
    assert (tmp_path / "a/ground_truth.json").read_bytes() == (tmp_path / "b/ground_truth.json").read_bytes()
    dump = ["\n".join(sqlite3.connect(p / "crm.sqlite").iterdump()) for p in (tmp_path / "a", tmp_path / "b")]
    assert dump[0] == dump[1]
    files_a = sorted(p.relative_to(tmp_path / "a") for p in (tmp_path / "a/share").rglob("*") if p.is_file())
    files_b = sorted(p.relative_to(tmp_path / "b") for p in (tmp_path / "b/share").rglob("*") if p.is_file())
    assert files_a == files_b
    c = estate.build_estate(tmp_path / "c", customers=20, employees=5, seed=12)
    assert {p.value for p in c.planted} != {p.value for p in a.planted}
    assert len(a.planted) > 100 and a.decoys


def test_ground_truth_round_trips_and_says_it_is_fictional(small_estate: estate.GroundTruth) -> None:
    path = small_estate.root / "ground_truth.json"
    data = json.loads(path.read_text("utf-8"))
    assert "FICTIONAL" in data["notice"] and "PLAINTEXT" in data["notice"]
    back = estate.GroundTruth.load(path)
    assert back.planted == small_estate.planted and back.decoys == small_estate.decoys
    assert back.subjects.keys() == small_estate.subjects.keys()
    assert back.subjects["customer:1"].direct == small_estate.subjects["customer:1"].direct


def test_planted_values_are_valid_fictional_and_canonical(small_estate: estate.GroundTruth) -> None:
    ref = date(2025, 6, 30)
    tests = personnummer._test_numbers()
    kinds = Counter()
    for p in small_estate.planted:
        kinds[p.kind] += 1
        if p.inside or p.where.field == "path":
            continue  # checked through the containing value / the file name
        written = normalize(p.written).text  # NBSP, en dash, full-width digits (validate() does not normalise)
        if p.kind == "phone" and p.form in ("lost-zero", "number-lost-zero"):
            written = "0" + written
        if p.kind == "personnummer" and p.form == "float":
            written = written[:-2]
        if p.kind == "personnummer" and p.form == "lost-zero":
            written = "0" + written
        if p.form == "wrapped":  # a number broken over two lines of a note
            written = written.replace("\n", " ")
        if p.form == "lower-case":  # an IBAN written in lower case
            written = written.upper()
        assert _validate(p.kind, written, ref) == p.value, (p.kind, p.form, p.where)
        if p.kind == "email":
            assert p.value.rsplit("@", 1)[1] in ("example.se", "example.com", "exempel.se")
        if p.kind == "personnummer":
            assert (p.value in tests) == p.test_data
        if p.kind == "phone":
            assert phone.is_fiction(p.value) == p.test_data
    assert set(kinds) == {"personnummer", "email", "phone", "bank_account", "payment_card"}
    assert small_estate.subjects["customer:1"].query == ("personnummer", "196408233234")


def test_decoys_are_real_traps(small_estate: estate.GroundTruth) -> None:
    """A decoy with a value validates as that kind: only context tells it apart."""
    traps = Counter(d.trap for d in small_estate.decoys)
    for trap in ("timestamp-YYYYMMDDhhmm", "order-number-is-a-stockholm-number", "ean13", "organisationsnummer",
                 "vat-number", "amount", "masked-personnummer", "uuid-with-pnr-digits", "pnr-reads-as-mobile",
                 "mobile-reads-as-pnr", "timestamp-in-file-name", "ordernr-is-a-personnummer", "ordernr-luhn",
                 "amount-is-a-personnummer", "amount-reads-as-mobile", "opening-hours"):
        assert traps[trap], trap
    for d in small_estate.decoys:
        if d.value is None:
            continue
        if d.kind == "personnummer":
            assert personnummer.is_valid(d.value), d.trap
        elif d.kind == "phone":
            assert phone.is_valid(d.value), d.trap
        elif d.kind == "bank_account":
            assert bank_account.is_valid(d.value), d.trap


def test_files_and_config(small_estate: estate.GroundTruth) -> None:
    from pypdf import PdfReader

    from pii_scan.config import load

    root = small_estate.root
    cfg = load(root / "pii-scan.toml")
    assert [(s.name, s.type) for s in cfg.sources] == [("crm", "sql"), ("share", "files")]
    assert cfg.source("share").options["path"] == str((root / "share").resolve())
    assert cfg.source("crm").options["url"].endswith(str((root / "crm.sqlite").resolve()))
    text = PdfReader(root / "share/fakturor/faktura_2024-0001.pdf").pages[0].extract_text()
    assert "Personnummer: 19640823-3234" in text
    raw = (root / "share/export/kundexport_2024.csv").read_bytes()
    raw.decode("cp1252")
    assert b";" in raw.splitlines()[0]
    assert (root / "share/marknad/nyhetsbrev_prenumeranter.csv").read_bytes().startswith(b"\xef\xbb\xbf")
    assert any(" intyg.txt" in p.name for p in (root / "share/skannat").iterdir())


def test_too_small_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        estate.build_estate(tmp_path, customers=5)


# -- a whole scan ------------------------------------------------------------------


def _need_connectors() -> None:
    from connectors.base import ConfigError
    from connectors.registry import connector_class

    for kind in ("sql", "files"):
        try:
            connector_class(kind)
        except ConfigError as exc:
            pytest.skip(f"the {kind} connector is not available yet: {exc}")


@pytest.fixture(scope="module")
def scanned(small_estate: estate.GroundTruth) -> tuple[estate.GroundTruth, estate.Evaluation, object]:
    _need_connectors()
    from pii_scan.config import load
    from pii_scan.engine import scan

    cfg = load(small_estate.root / "pii-scan.toml")
    summary = scan(cfg, scheduler="sync", full=True, progress=False)
    ev = estate.evaluate(small_estate, cfg, lookups=None)
    return small_estate, ev, summary


def test_scan_is_complete(scanned) -> None:  # noqa: ANN001
    _gt, ev, summary = scanned
    assert summary.status == "complete", summary.failures
    assert not ev.failed_units


def test_recall_per_kind(scanned) -> None:  # noqa: ANN001
    _gt, ev, _ = scanned
    low = {k: round(s.recall, 3) for k, s in ev.by_kind.items() if s.recall < 0.95}
    assert not low, estate.format_evaluation(ev)


def test_no_decoy_is_reported(scanned) -> None:  # noqa: ANN001
    _gt, ev, _ = scanned
    found = [(d.trap, d.kind, d.where, c) for d, c in ev.decoys_found if c >= 0.5]
    assert not found, estate.format_evaluation(ev)


def test_test_data_is_flagged(scanned) -> None:  # noqa: ANN001
    _gt, ev, _ = scanned
    assert not ev.test_flag_mismatches, [(p.kind, p.where) for p in ev.test_flag_mismatches]


def test_lookups_return_every_expected_location(scanned) -> None:  # noqa: ANN001
    gt, ev, _ = scanned
    assert len(ev.lookups) == len(gt.subjects)
    # Known scanner misses, kept in the estate so that the score shows them: the files connector does not
    # find the header of a CSV with both a 'sep=;' line and a title row above it (kampanj_maj_2024.csv:
    # fields read as 'column N'), and reads a text file line by line, so a phone number wrapped over two
    # lines of a note is missed. Lookups miss those locations and nothing else.
    known = tuple(estate._loc_str(p.where) + " " for p in gt.planted
                  if p.form == "wrapped" or p.where.container == "marknad/kampanj_maj_2024.csv")
    incomplete = {c.subject: [m for m in c.missing if not m.startswith(known)][:3] for c in ev.lookups}
    assert not {k: v for k, v in incomplete.items() if v}
    demo = gt.subjects["customer:1"]
    assert demo.direct and demo.linked and demo.related  # the demo customer has all three


def test_free_text_does_not_merge_customers(scanned) -> None:  # noqa: ANN001
    gt, ev, _ = scanned
    mentions = [p for p in gt.planted if p.where.container.endswith("support_tickets") and p.where.field == "body"]
    several = Counter(p.where.item for p in {(p.where.item, p.subject): p for p in mentions}.values())
    assert any(n > 1 for n in several.values()), "the estate must have tickets that name several customers"
    assert not ev.merged, f"{len(ev.merged)} data-map subjects join several customers"
    leaks = {c.subject: c.extra_other_subjects[:3] for c in ev.lookups if c.extra_other_subjects}
    assert not leaks


def test_a_csv_with_a_sep_line_and_a_title_row_is_read_by_its_header(scanned) -> None:  # noqa: ANN001
    _gt, ev, _ = scanned
    assert not [(p.kind, p.where.item) for p in ev.missed if p.where.container == "marknad/kampanj_maj_2024.csv"]


def test_the_known_misses_are_found(scanned) -> None:  # noqa: ANN001
    _gt, ev, _ = scanned
    assert not [(p.kind, p.where.container, p.where.item) for p in ev.missed if p.form == "wrapped"]
    assert not ev.missed


def test_lookups_list_no_rows_related_only_to_other_subjects(scanned) -> None:  # noqa: ANN001
    gt, ev, _ = scanned
    assert any(s.startswith("contact:") for s in gt.subjects)  # a next of kin is looked up
    leaks = {c.subject: c.related_of_others[:2] for c in ev.lookups if c.related_of_others}
    assert not leaks


def test_demo_command(tmp_path: Path) -> None:
    _need_connectors()
    d = tmp_path / "demo"
    res = CliRunner().invoke(main, ["demo", "--dir", str(d), "--customers", "24", "--no-progress"])
    assert res.exit_code == 0, res.output
    assert f"pii-scan lookup --config {d / 'pii-scan.toml'} --personnummer 19640823-3234" in res.output
    assert "19640823-****" in res.output
    gt = estate.GroundTruth.load(d / "ground_truth.json")
    for p in gt.planted:  # values are masked in the output (the demo test number excepted)
        if p.value != "196408233234":
            assert p.value not in res.output and p.written not in res.output, p.kind
    again = CliRunner().invoke(main, ["demo", "--dir", str(d), "--customers", "24", "--no-progress"])
    assert again.exit_code == 0, again.output  # an earlier demo is rebuilt
    other = tmp_path / "other"
    other.mkdir()
    (other / "notes.txt").write_text("mine")
    refused = CliRunner().invoke(main, ["demo", "--dir", str(other)])
    assert refused.exit_code == 1 and "not an earlier pii-scan demo" in refused.output
    assert (other / "notes.txt").read_text() == "mine"
