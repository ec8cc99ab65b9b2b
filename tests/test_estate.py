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


def _household_owner(p: estate.Planted) -> str:
    return "customer:" + p.where.item.removeprefix("id=")


def test_the_second_round_traps_are_planted(small_estate: estate.GroundTruth) -> None:
    gt = small_estate
    con = sqlite3.connect(gt.root / "crm.sqlite")
    # a household in a JSON column: members with their own personnummer and e-mail, one with a name and e-mail only
    (owner, text), = con.execute("SELECT id, hushall FROM customers WHERE hushall IS NOT NULL").fetchall()
    members = json.loads(text)
    assert sum(1 for m in members if "personnummer" in m and "epost" in m) >= 2
    assert [m for m in members if set(m) == {"namn", "relation", "epost"}]
    in_list = [p for p in gt.planted if p.where.field.startswith("hushall$[")]
    assert {p.form for p in in_list} >= {"household", "household-email-only"}
    for p in in_list:
        assert p.where.item == f"id={owner}" and p.subject and p.subject.startswith("household:") and not p.links
        st = gt.subjects[p.subject]
        element = p.where.field.split("].")[0]  # the member's lookup: their own element only, no rows related
        assert all(w.field.startswith(element + "].") for w, _k, _m in st.direct + st.linked) and not st.related
    own = gt.subjects[f"customer:{owner}"]  # the owner's lookup: none of the members' values, the row's orders
    assert not [w for w, _k, _m in own.direct + own.linked if w.field.startswith("hushall")]
    assert [p for p in gt.planted if p.form == "household-email-only" and gt.subjects[p.subject].query == ("email", p.value)]
    # a family e-mail on two customers' rows, both with orders; a lookup by it lists those rows only
    fam = gt.subjects["shared:family-email-1"]
    rows = {w.item for w, _k, _m in fam.direct}
    assert rows == {"id=12", "id=13"} and not fam.linked and not fam.related
    for cid in (12, 13):
        assert [r for r in gt.subjects[f"customer:{cid}"].related if r[2] == "main.orders"], cid
    # the switchboard on every employee's row and on some customers' rows: nobody's
    sw = gt.subjects["shared:switchboard"]
    tables = Counter(w.container for w, _k, _m in sw.direct)
    assert tables["main.employees"] == 8 and tables["main.customers"] >= 3 and not sw.linked and not sw.related
    # a note: a keyword at the end of a line, the personnummer (digits and a space) on the next
    lines = (gt.root / "share/anteckningar/samtal.txt").read_text("utf-8").splitlines()
    notes = [p for p in gt.planted if p.form.startswith("keyword-line-before-")]
    assert len(notes) == 2
    for p in notes:
        line = int(p.where.item)
        assert lines[line - 1].startswith(p.written) and "-" not in p.written
        assert lines[line - 2].lower().endswith(("personnummer:", "personnummer"))


def test_the_demo_estate_has_none_of_the_traps(tmp_path: Path) -> None:
    gt = estate.build_estate(tmp_path, customers=24, employees=5, seed=3, traps=False)
    cols = {r[1] for r in sqlite3.connect(tmp_path / "crm.sqlite").execute("PRAGMA table_info(customers)")}
    assert "hushall" not in cols and "arbetstelefon" not in cols and "faktura_epost" in cols
    assert not [s for s in gt.subjects if s.startswith(("household:", "shared:"))]
    assert not [p for p in gt.planted if p.form.startswith(("household", "keyword-line-before"))]


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


def _check(ev: estate.Evaluation, subject: str) -> estate.LookupCheck:
    return next(c for c in ev.lookups if c.subject == subject)


def test_household_members_are_people_of_their_own(scanned) -> None:  # noqa: ANN001
    """Members in a customer's JSON household list (own personnummer and e-mail): their own subject each;
    a member's lookup lists their element only, the owner's lists none of the members' values."""
    gt, ev, _ = scanned
    members = [s for s in gt.subjects if s.startswith("household:") and gt.subjects[s].query[0] == "personnummer"]
    assert len(members) >= 2
    owners = {_household_owner(p) for p in gt.planted if p.form.startswith("household")}
    for s in members:
        c = _check(ev, s)
        assert c.complete and not c.extra_other_subjects and not c.related_of_others, (s, c)
    for s in owners:
        c = _check(ev, s)
        assert c.complete and not c.extra_other_subjects and not c.related_of_others, (s, c)  # none of the members'
    for g in ev.merged:
        assert not g & set(members), g  # no member joins the owner or another member


def test_a_household_member_known_by_e_mail_only_is_a_person_of_their_own(scanned) -> None:  # noqa: ANN001
    """The member of a JSON household list known by name and e-mail only: not the owner's (195d5cb)."""
    gt, ev, _ = scanned
    members = {p.subject: (_household_owner(p), f"{estate._loc_str(p.where)} ")
               for p in gt.planted if p.form == "household-email-only" and p.subject}
    assert members
    for m, (owner, loc) in members.items():
        assert not [x for x in _check(ev, owner).extra_other_subjects if x.startswith(loc)]  # not the owner's
        c = _check(ev, m)
        assert c.complete and not c.extra_other_subjects and not c.related_of_others, c  # their element only
        assert {m, owner} not in ev.merged


def test_lookups_by_a_shared_value_list_only_the_rows_that_hold_it(scanned) -> None:  # noqa: ANN001
    """A family's e-mail (two parents' rows, both with orders) and the switchboard (every employee's row,
    some customers'): a lookup by it lists those rows and nothing of theirs; each parent's and each
    switchboard customer's lookup lists their own row and orders only, and none of them is merged."""
    gt, ev, _ = scanned
    shared = [s for s in gt.subjects if s.startswith("shared:")]
    assert "shared:switchboard" in shared and "shared:family-email-1" in shared
    for s in shared:
        c = _check(ev, s)
        assert c.expected >= 2 and c.complete and not c.extra_other_subjects and not c.related_of_others, (s, c)
    people = {f"customer:{p.where.item.removeprefix('id=')}" for p in gt.planted
              if p.form in ("family-shared", "shared-switchboard") and p.where.container == "main.customers"}
    people |= {s for s in gt.subjects if s.startswith("employee:")}
    for s in people:
        c = _check(ev, s)
        assert c.complete and not c.extra_other_subjects and not c.related_of_others, (s, c)
    assert not [g for g in ev.merged if g & people]


def test_a_personnummer_after_a_keyword_on_the_line_before_is_found(scanned) -> None:  # noqa: ANN001
    gt, ev, _ = scanned
    planted = [p for p in gt.planted if p.form.startswith("keyword-line-before-")]
    assert planted
    assert not [(p.form, p.where.item) for p in ev.missed if p in planted]


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
