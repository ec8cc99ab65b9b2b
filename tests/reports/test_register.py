"""``pii-scan report register``: the Article 30 register feed, against golden files."""

from __future__ import annotations

import csv
import io
import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from pii_scan.cli import main
from pii_scan.config import load
from reports import register
from reports.categories import (
    CATEGORIES, REFERENCE, SUBJECT_CATEGORIES, UNKNOWN, category, kind_label, legal_basis_article, subject_category,
)
from tests.reports import _golden as golden
from tests.reports._mapbuild import HOSTILE_TABLE, BuiltMap, build, normalise, plaintext_identifiers


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> BuiltMap:
    return build(tmp_path_factory.mktemp("register") / "demo")


@pytest.fixture(scope="module")
def outputs(built: BuiltMap) -> dict[str, Path]:
    cfg = load(built.config)
    out = {}
    for fmt in register.FORMATS:
        out[fmt] = built.directory / f"register.{fmt}"
        assert register.run(cfg, fmt=fmt, output=str(out[fmt])) == 0
    return out


def test_csv_golden(outputs: dict[str, Path]) -> None:
    golden.check("register/register.csv", normalise(outputs["csv"].read_text("utf-8")))


def test_json_golden(outputs: dict[str, Path]) -> None:
    golden.check("register/register.json", normalise(outputs["json"].read_text("utf-8")))


def _csv_rows(path: Path) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(path.read_text("utf-8"))))


def test_content(outputs: dict[str, Path]) -> None:
    rows = {(r["system"], r["container"]): r for r in json.loads(outputs["json"].read_text("utf-8"))["rows"]}
    cust = rows[("crm", "main.customers")]
    assert cust["data_categories"] == [
        "user.contact.email", "user.contact.phone_number", "user.financial.bank_account",
        "user.government_id.national_identification_number",
    ]
    assert cust["subject_categories"] == ["customers"] and cust["subject_categories_fideslang"] == ["customer"]
    assert cust["subjects"] == 40 and cust["records"] == 40
    assert (cust["purpose"], cust["legal_basis"], cust["legal_basis_gdpr"], cust["retention"]) == (
        "Customer relationship management", "contract", "Contract (Art. 6(1)(b))", "3y")
    # a container pattern overrides the source
    emp = rows[("crm", "main.employees")]
    assert emp["subject_categories"] == ["employees"] and emp["legal_basis_gdpr"] == "Legal obligations (Art. 6(1)(c))"
    assert emp["retention"] == "2y" and emp["retention_basis"] == "Lag (1982:80) om anställningsskydd"
    # rows that only reference customers: a unique id, the referenced customers counted
    inv = rows[("crm", "main.invoices")]
    assert inv["kinds"] == ["reference"] and inv["data_categories"] == [REFERENCE.key]
    assert inv["retention"] == "7y" and inv["subjects"] == 30 and inv["records"] == 57
    # a retention rule for one kind shows next to the container's
    ev = rows[("share", "events/2024-05.jsonl")]
    assert ev["retention"] == "18m; 13m (payment_card)" and ev["retention_basis"] == "PCI DSS 3.2.1"
    assert "user.financial.credit_card" in ev["data_categories"]
    # Swedish labels in the config map to fideslang subjects; an article works as a legal basis
    share = rows[("share", "kundlista.xlsx")]
    assert share["subject_categories"] == ["kunder", "anställda"]
    assert share["subject_categories_fideslang"] == ["customer", "employee"]
    assert share["legal_basis_gdpr"] == "Legitimate interests (Art. 6(1)(f))"
    # a masked file name stays masked; the hostile table is a plain value
    assert ("share", "skannat/20070511-**** intyg.txt") in rows
    assert ("crm", f'main."{HOSTILE_TABLE}"') in rows
    assert all(r["last_scan"].endswith("Z") for r in rows.values())
    # the failed unit holds nothing, so it is not a register row; the never-scanned source neither
    assert not any(c.endswith("trasig.xlsx") for _, c in rows) and not any(s == "archive" for s, _ in rows)


def test_formats_agree(outputs: dict[str, Path]) -> None:
    from openpyxl import load_workbook

    from_csv = _csv_rows(outputs["csv"])
    from_json = json.loads(outputs["json"].read_text("utf-8"))
    assert from_json["columns"] == list(register.COLUMNS)
    assert len(from_csv) == len(from_json["rows"]) == 22
    for c, j in zip(from_csv, from_json["rows"], strict=True):
        assert c == {k: "; ".join(v) if isinstance(v, list) else str(v) for k, v in j.items()}

    wb = load_workbook(outputs["xlsx"])
    assert wb.sheetnames == ["Register"]
    ws = wb["Register"]
    values = list(ws.iter_rows(values_only=True))
    assert list(values[0]) == list(register.COLUMNS)
    assert ws["A1"].font.bold and ws.freeze_panes == "A2" and ws.auto_filter.ref == f"A1:S{len(from_csv) + 1}"
    for i, col in enumerate(register.COLUMNS):
        letter = ws.cell(row=1, column=i + 1).column_letter
        assert ws.column_dimensions[letter].width == register._WIDTHS[col]
    assert len(values) == len(from_csv) + 1
    for got, want in zip(values[1:], from_csv, strict=True):
        assert {k: "" if v is None else str(v) for k, v in zip(register.COLUMNS, got, strict=True)} == {
            k: register._xlsx_text(v) for k, v in want.items()}
    containers = [r[2] for r in values[1:]]
    assert "flik\toch\\x01styrtecken.csv" in containers  # a control character XML cannot hold, escaped
    assert isinstance(values[1][register.COLUMNS.index("subjects")], int)


def test_xlsx_never_holds_a_formula(tmp_path: Path) -> None:
    from openpyxl import load_workbook

    row = {k: "" for k in register.COLUMNS} | {k: [] for k in register._LISTS}
    row |= {"system": "share", "container": '=HYPERLINK("http://x.invalid","y")', "subjects": 1}
    with open(tmp_path / "x.xlsx", "wb") as fh:
        register.write_xlsx(iter([row]), fh)
    cell = load_workbook(tmp_path / "x.xlsx")["Register"]["C2"]
    assert cell.data_type == "s" and cell.value == row["container"]


def test_no_plaintext_identifier(built: BuiltMap, outputs: dict[str, Path]) -> None:
    texts = {fmt: p.read_text("utf-8") for fmt, p in outputs.items() if fmt != "xlsx"}
    from openpyxl import load_workbook

    ws = load_workbook(outputs["xlsx"])["Register"]
    texts["xlsx"] = "\n".join(str(v) for r in ws.iter_rows(values_only=True) for v in r)
    for value in plaintext_identifiers(built.directory):
        for fmt, text in texts.items():
            assert value not in text, f"a planted identifier appears in the {fmt} register"


def test_distinct_subjects_fall_back_to_value_hashes(built: BuiltMap, tmp_path: Path) -> None:
    """Without linked subjects (a map scanned before linking) each distinct value counts once."""
    import sqlalchemy as sa

    from pii_scan.datamap import DataMap

    shutil.copy(built.directory / "datamap.sqlite", tmp_path / "dm.sqlite")
    dm = DataMap(f"sqlite:///{tmp_path / 'dm.sqlite'}")
    try:
        cfg = load(built.config)
        linked = {(r["system"], r["container"]): r["subjects"] for r in register.rows(cfg, dm)}
        with dm.engine.begin() as c:
            c.execute(sa.text("DELETE FROM subjects"))
            distinct = dict(c.execute(sa.text(
                "SELECT r.container, COUNT(DISTINCT f.value_hash) FROM findings f JOIN records r ON r.rkey = f.rkey "
                "WHERE r.source = 'crm' GROUP BY r.container")).all())
        unlinked = {(r["system"], r["container"]): r["subjects"] for r in register.rows(cfg, dm)}
    finally:
        dm.close()
    assert unlinked[("crm", "main.customers")] == distinct["main.customers"] > linked[("crm", "main.customers")] == 40
    assert all(unlinked[k] >= linked[k] for k in linked)


def test_cli(built: BuiltMap) -> None:
    res = CliRunner().invoke(main, ["report", "register", "--config", str(built.config), "--format", "json"])
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout)
    assert len(data["rows"]) == 22 and data["rows"][0]["system"] == "crm"
    res = CliRunner().invoke(main, ["report", "register", "--help"])
    assert res.exit_code == 0 and "Article 30" in res.output


def test_empty_map(tmp_path: Path) -> None:
    (tmp_path / "c.toml").write_text('[datamap]\nurl = "sqlite:///dm.sqlite"\n', "utf-8")
    out = tmp_path / "r.csv"
    assert register.run(load(tmp_path / "c.toml"), fmt="csv", output=str(out)) == 0
    assert out.read_text("utf-8") == ",".join(register.COLUMNS) + "\n"


# --- the vocabulary ----------------------------------------------------------------------


def test_categories_are_fideslang_keys() -> None:
    from fideslang.default_taxonomy import DEFAULT_TAXONOMY

    keys = {c.fides_key for c in DEFAULT_TAXONOMY.data_category}
    for cat in [*CATEGORIES.values(), UNKNOWN, REFERENCE]:
        assert cat.key in keys, cat.key
    subjects = {s.fides_key for s in DEFAULT_TAXONOMY.data_subject}
    assert set(SUBJECT_CATEGORIES) <= subjects


def test_legal_bases_are_fideslang_names() -> None:
    from fideslang.models import LegalBasisForProcessingEnum

    names = {e.value for e in LegalBasisForProcessingEnum}
    for text in ("consent", "contract", "legal obligation", "Vital interests", "public task", "berättigat intresse"):
        name, art = legal_basis_article(text)
        assert name in names and art.startswith("Art. 6(1)(")
    assert legal_basis_article("6(1)(c)") == ("Legal obligations", "Art. 6(1)(c)")
    assert legal_basis_article("Art. 6.1 a") == ("Consent", "Art. 6(1)(a)")
    assert legal_basis_article("because") == ("", "") and legal_basis_article("") == ("", "")


@pytest.mark.parametrize(("kind", "subkind", "key"), [
    ("personnummer", "personnummer", "user.government_id.national_identification_number"),
    ("personnummer", "samordningsnummer", "user.government_id.national_identification_number"),
    ("email", "obfuscated", "user.contact.email"),
    ("phone", "toll_free", "user.contact.phone_number"),
    ("bank_account", "iban", "user.financial.bank_account"),
    ("payment_card", "visa", "user.financial.credit_card"),
    ("reference", "foreign_key", "user.unique_id"),
    ("something_new", "x", "user"),
])
def test_category_of_each_kind(kind: str, subkind: str, key: str) -> None:
    assert category(kind, subkind).key == key


def test_labels_and_subjects() -> None:
    assert kind_label("personnummer", "samordningsnummer", "sv") == "Samordningsnummer"
    assert kind_label("phone", "mobile") == "Mobile phone number"
    assert kind_label("phone", "toll_free") == "Phone number (toll free)"
    assert kind_label("new_kind") == "new kind"
    assert category("email").label("sv") == "E-postadress"
    assert [subject_category(s) for s in ("Kunder", "employees", "supplier_vendor", "Job applicants", "martians")] == [
        "customer", "employee", "supplier_vendor", "job_applicant", ""]


def test_doctests() -> None:
    import doctest

    import reports.categories

    assert doctest.testmod(reports.categories).failed == 0
