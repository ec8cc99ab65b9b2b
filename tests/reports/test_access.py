"""The subject access report (registerutdrag) end to end: data map -> read-back -> JSON/HTML/PDF.

Everything here is fictional: the demo estate (Skatteverket's test
personnummer 19640823-3234 for its customer 1) and made-up rows, objects and
mails holding the same test numbers.
"""

from __future__ import annotations

import io
import json
import mailbox
import os
import re
import shutil
import sqlite3
import textwrap
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from connectors.readback import parse_item, read_back
from pii_scan.cli import main
from pii_scan.config import load
from pii_scan.engine import EXIT_COMPLETE, scan
from reports import access, i18n

GOLDEN = Path(__file__).parent / "golden" / "access"
UPDATE = os.environ.get("PII_SCAN_UPDATE_GOLDEN") == "1"

PNR = "19640823-3234"  # Skatteverket test number (the demo customer)
PNR_OTHER = "199006022397"  # another test number: a third party
MAIL = "erik.jakobsson@example.se"
OTHER_MAIL = "anna.andersson@example.com"

POLICY = textwrap.dedent(
    """
    purpose = "Kundregister och orderhantering"
    legal_basis = "contract"
    subject_categories = ["kunder"]
    retention = "3y"

    [sources.containers."main.invoices"]
    purpose = "Bokföring"
    legal_basis = "legal obligation"
    retention = "7y"
    retention_basis = "bokföringslagen (1999:1078) 7 kap. 2 §"
    """
)


def _add_policy(cfg_path: Path) -> None:
    """Purpose, legal basis and retention for the demo's CRM, and a controller for the header."""
    text = cfg_path.read_text("utf-8")
    anchor = 'url = "sqlite:///crm.sqlite"\n'
    assert anchor in text
    text = text.replace(anchor, anchor + POLICY, 1)
    text = text.replace('name = "share"\ntype = "files"\npath = "share"\n',
                        'name = "share"\ntype = "files"\npath = "share"\npurpose = "Kundservice"\nlegal_basis = "legitimate interest"\n'
                        'retention = "18m"\n', 1)
    text += '\n[report]\ncontroller = "Exempelbolaget AB"\ncontact = "dataskydd@example.se"\n'
    cfg_path.write_text(text, "utf-8")


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo estate, scanned once for the module (about 4 s), with a policy added to its config."""
    from pii_scan.demo import run_demo

    old = os.environ.pop("PII_SCAN_KEY", None)
    try:
        d = tmp_path_factory.mktemp("demo") / "estate"
        report = run_demo(d, scheduler="sync", progress=False)
        assert report.summary["status"] == "complete", report.failures
    finally:
        if old is not None:
            os.environ["PII_SCAN_KEY"] = old
    _add_policy(d / "pii-scan.toml")
    return d


@pytest.fixture
def demo_copy(demo: Path, tmp_path: Path) -> Path:
    """A private copy of the scanned demo estate that a test may damage."""
    dst = tmp_path / "estate"
    shutil.copytree(demo, dst)
    return dst


def _cli(args: list[str]) -> Any:
    return CliRunner().invoke(main, args, catch_exceptions=False)


def _json(cfg: Path, *query: str, code: int = 0) -> dict[str, Any]:
    r = _cli(["access-report", "--config", str(cfg), *query, "--format", "json"])
    assert r.exit_code == code, r.output
    return json.loads(r.stdout)


def _normalised(doc: dict[str, Any]) -> dict[str, Any]:
    doc = json.loads(json.dumps(doc))
    doc["generated"] = "<generated>"
    return doc


def _golden(name: str, doc: dict[str, Any]) -> None:
    path = GOLDEN / name
    text = json.dumps(_normalised(doc), ensure_ascii=False, indent=2, sort_keys=True) + "\n"
    if UPDATE or not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, "utf-8")
        if not UPDATE:
            pytest.fail(f"golden file {path.name} was missing and has been written; check it and run again")
    assert text == path.read_text("utf-8"), f"differs from {path} (PII_SCAN_UPDATE_GOLDEN=1 rewrites it)"


def _loc(doc: dict[str, Any], container: str, item: str) -> dict[str, Any]:
    hits = [l for l in doc["locations"] if l["container"] == container and l["item"] == item]
    assert len(hits) == 1, (container, item, [(l["container"], l["item"]) for l in doc["locations"]])
    return hits[0]


def _values(loc: dict[str, Any]) -> dict[str, Any]:
    return {v["field"]: v["value"] for v in loc["values"]}


# --------------------------------------------------------------------------- unit level


def test_parse_item_inverts_render_item() -> None:
    from connectors.sql import render_item

    for cols, vals in ((["id"], [7]), (["a", "b"], [1, "x,y"]), (["k"], ['q"u=o\\te']), (["n"], [" pad "]),
                       (["d"], ["2024-05-01"]), (["b"], [b"\x00\xff"])):
        item = render_item(cols, vals)
        expected = [(c, "0x" + v.hex() if isinstance(v, bytes) else str(v)) for c, v in zip(cols, vals)]
        assert parse_item(item) == expected, item
    with pytest.raises(ValueError):
        parse_item("novalue")


def test_labels() -> None:
    assert i18n.duration_label("7y", "sv") == "7 år" and i18n.duration_label("18m", "en") == "18 months"
    assert i18n.duration_label("1y", "en") == "1 year" and i18n.duration_label("P1Y6M", "sv") == "1 år 6 månader"
    assert i18n.duration_label("tills vidare", "sv") == "tills vidare"
    assert i18n.legal_basis_label("legal obligation", "sv") == "Rättslig förpliktelse (art. 6.1 c)"
    assert i18n.legal_basis_label("Samtycke", "en") == "Consent (Art. 6(1)(a))"
    assert i18n.legal_basis_label("något annat", "sv") == "något annat"
    assert i18n.reason("the row no longer exists", "sv") == "raden finns inte längre"


# --------------------------------------------------------------------------- the demo estate


def test_demo_json_golden(demo: Path) -> None:
    doc = _json(demo / "pii-scan.toml", "--personnummer", PNR)
    _golden("demo_personnummer.json", doc)
    assert doc["summary"] == {"systems": 2, "locations": 16, "read": 16, "unreadable": 0}
    for loc in doc["locations"]:
        assert {"store", "container", "item", "field", "values"} <= set(loc)
        assert loc["status"] == "read" and loc["values"]
    customer = _loc(doc, "main.customers", "id=1")
    v = _values(customer)
    assert v["personnummer"] == PNR and v["email"] == MAIL and v["name"] == "Erik Jakobsson"
    assert customer["purpose"] == "Kundregister och orderhantering" and customer["legal_basis"] == "contract"
    assert "user.government_id.national_identification_number" in customer["categories"]
    invoice = _loc(doc, "main.invoices", "id=1")
    assert invoice["reached"] == "related" and invoice["retention"] == "7y" and invoice["legal_basis"] == "legal obligation"
    assert customer["retained_until"] == "2023-09-19" and invoice["retained_until"] == "2030-07-18"  # date + retention
    # the CSV row, the XLSX row, the PDF page, the log line: read back from the share
    assert _values(_loc(doc, "export/kundexport_2024.csv", "2"))["Personnummer"] == "640823-3234"
    assert _values(_loc(doc, "kundlista.xlsx", "Kunder:2"))["E-post"] == MAIL
    assert "Personnummer: 19640823-3234" in _values(_loc(doc, "fakturor/faktura_2024-0001.pdf", "p1"))["text"]
    # other people in a free-text ticket are masked (Art. 15(4)); the subject's own e-mail is not
    body = _values(_loc(doc, "main.support_tickets", "id=1"))["body"]
    assert MAIL in body and "mikael.berg@example.se" not in body and "m***@example.se" in body
    assert _loc(doc, "main.support_tickets", "id=1")["masked_others"] == 2


def test_library_call(demo: Path) -> None:
    from datetime import datetime

    when = datetime(2026, 1, 31, 12, 0)
    r = access.build_report(load(demo / "pii-scan.toml"), "phone", "+46 70 435 71 41", lang="en", now=when)
    assert r.unreadable == 0 and [s.source for s in r.systems] == ["crm", "share"]
    doc = access.as_json(r)
    assert doc["generated"] == "2026-01-31T12:00:00" and doc["query"] == {"kind": "phone", "value": "+46704357141"}
    by_pnr = _json(demo / "pii-scan.toml", "--personnummer", PNR)
    assert [(l["container"], l["item"]) for l in doc["locations"]] == [(l["container"], l["item"]) for l in by_pnr["locations"]]
    assert "2026-01-31 12:00 UTC" in access.as_html(r)
    with pytest.raises(ValueError):
        access.render(r, "xml")


def test_same_subject_by_email(demo: Path) -> None:
    by_pnr = _json(demo / "pii-scan.toml", "--personnummer", PNR)
    by_mail = _json(demo / "pii-scan.toml", "--email", MAIL.upper())
    key = lambda d: sorted((l["container"], l["item"]) for l in d["locations"])  # noqa: E731
    assert key(by_mail) == key(by_pnr)


def test_demo_html_swedish_and_english(demo: Path) -> None:
    cfg = str(demo / "pii-scan.toml")
    sv = _cli(["access-report", "--config", cfg, "--personnummer", PNR])
    assert sv.exit_code == 0
    page = sv.stdout
    assert page.startswith("<!DOCTYPE html>") and '<html lang="sv">' in page
    for words in ("Registerutdrag", "Ändamål", "Rättslig grund", "Lagringstid", "Kategorier av personuppgifter",
                  "Personuppgiftsansvarig", "Exempelbolaget AB", "personnummer 19640823-3234", "16 poster i 2 system.",
                  "Avtal (art. 6.1 b)", "Rättslig förpliktelse (art. 6.1 c)", "7 år", "3 år", "18 månader",
                  "Berättigat intresse (art. 6.1 f)", "bokföringslagen (1999:1078) 7 kap. 2 §", "Databas", "Filresurs",
                  "user.contact.email", "Hänvisar till en post om dig", MAIL, "Erik Jakobsson",
                  "Uppgifter som inte kan knytas till dig är maskerade", "kundlista.xlsx — blad Kunder, rad 2",
                  "fakturor/faktura_2024-0001.pdf — sida 1", "Lagringstiden löper ut 2023-09-19", "logs/app.log — rad 157", "main.orders — 4 poster", "main.invoices — id=2"):
        assert words in page, words
    assert "<script" not in page.lower() and "http://" not in page and "https://" not in page
    en = _cli(["access-report", "--config", cfg, "--personnummer", PNR, "--lang", "en"]).stdout
    assert '<html lang="en">' in en
    # alike rows of one table are one table: the four orders, one line each, the customer_id highlighted
    orders = re.search(r"<h3>main\.orders — 4 records</h3>.*?</table>", en, re.S)
    assert orders is not None and orders.group(0).count("<tr>") == 5 and orders.group(0).count('class="hit"') == 4
    for words in ("Subject access report", "Purpose", "Legal basis", "Retention period", "Contract (Art. 6(1)(b))",
                  "Legal obligation (Art. 6(1)(c))", "7 years", "18 months", "16 records in 2 systems.", "File share",
                  "Refers to a record about you", MAIL, "kundlista.xlsx — sheet Kunder, row 2",
                  "brev/brev_kund_1001.docx — paragraph 3"):
        assert words in en, words
    assert "Ändamål" not in en and "Registerutdrag" not in en


def test_demo_pdf(demo: Path, tmp_path: Path) -> None:
    from pypdf import PdfReader

    out = tmp_path / "utdrag.pdf"
    r = _cli(["access-report", "--config", str(demo / "pii-scan.toml"), "--personnummer", PNR, "--format", "pdf",
              "--output", str(out)])
    assert r.exit_code == 0 and r.stdout == ""
    data = out.read_bytes()
    assert data.startswith(b"%PDF")
    pdf = PdfReader(io.BytesIO(data))
    assert len(pdf.pages) >= 2
    text = "\n".join(p.extract_text() for p in pdf.pages)
    assert "Registerutdrag" in text and "Rättslig grund" in text and MAIL in text


def test_nothing_of_the_subject_is_logged(demo_copy: Path, caplog: pytest.LogCaptureFixture, tmp_path: Path) -> None:
    import logging

    caplog.set_level(logging.DEBUG)
    (demo_copy / "share" / "export" / "kundexport_2024.csv").unlink()  # an unreadable location too
    for fmt in ("html", "json"):
        r = CliRunner().invoke(main, ["access-report", "--config", str(demo_copy / "pii-scan.toml"), "--personnummer", PNR,
                                      "--format", fmt, "-o", str(tmp_path / f"r.{fmt}")])
        assert r.exit_code == 3 and r.output == ""
    for secret in ("3234", "jakobsson", "435 71 41", "4357141"):
        assert secret not in caplog.text.lower()


def test_deleted_row_and_removed_file_are_listed_with_reason(demo_copy: Path) -> None:
    con = sqlite3.connect(demo_copy / "crm.sqlite")
    con.execute("DELETE FROM orders WHERE id = 4")
    con.commit()
    con.close()
    (demo_copy / "share" / "export" / "kundexport_2024.csv").unlink()
    cfg = demo_copy / "pii-scan.toml"
    doc = _json(cfg, "--personnummer", PNR, code=3)
    assert doc["summary"] == {"systems": 2, "locations": 16, "read": 14, "unreadable": 2}
    gone_row = _loc(doc, "main.orders", "id=4")
    assert gone_row["status"] == "unreadable" and gone_row["reason"] == "the row no longer exists" and gone_row["values"] == []
    gone_file = _loc(doc, "export/kundexport_2024.csv", "2")
    assert gone_file["status"] == "unreadable" and gone_file["reason"] == "the file no longer exists"
    assert _loc(doc, "main.orders", "id=3")["status"] == "read"
    page = _cli(["access-report", "--config", str(cfg), "--personnummer", PNR]).stdout
    assert "Kunde inte läsas" in page and "raden finns inte längre" in page and "filen finns inte längre" in page
    assert "2 av dem kunde inte läsas" in page


def test_changed_file_line_is_unreadable(demo_copy: Path) -> None:
    # the log line moved: line 157 no longer holds that record; a file rewritten shorter says so
    log = demo_copy / "share" / "logs" / "app.log"
    log.write_text("en rad\n", "utf-8")
    doc = _json(demo_copy / "pii-scan.toml", "--personnummer", PNR, code=3)
    loc = _loc(doc, "logs/app.log", "157")
    assert loc["status"] == "unreadable" and "file changed" in loc["reason"]


def test_shifted_lines_never_show_someone_else(demo_copy: Path) -> None:
    # a line inserted at the top of the CSV export: line 2 is now another customer's row
    export = demo_copy / "share" / "export" / "kundexport_2024.csv"
    lines = export.read_text("cp1252").splitlines(keepends=True)
    other = lines[2]
    export.write_text(lines[0] + other + "".join(lines[1:]), "cp1252")
    doc = _json(demo_copy / "pii-scan.toml", "--personnummer", PNR, code=3)
    moved = _loc(doc, "export/kundexport_2024.csv", "2")
    assert moved["status"] == "unreadable" and moved["values"] == [] and "source changed" in moved["reason"]
    assert other.split(";")[1] not in json.dumps(doc, ensure_ascii=False)  # the other customer's name
    page = _cli(["access-report", "--config", str(demo_copy / "pii-scan.toml"), "--personnummer", PNR]).stdout
    assert "posten innehåller inte längre dina uppgifter" in page


def test_unknown_subject_and_bad_value(demo: Path) -> None:
    doc = _json(demo / "pii-scan.toml", "--personnummer", PNR_OTHER)
    assert doc["summary"]["locations"] == 0 and doc["locations"] == []
    page = _cli(["access-report", "--config", str(demo / "pii-scan.toml"), "--personnummer", PNR_OTHER]).stdout
    assert "Inga personuppgifter om dig hittades" in page
    bad = CliRunner().invoke(main, ["access-report", "--config", str(demo / "pii-scan.toml"), "--personnummer", "19640823-3235"])
    assert bad.exit_code != 0 and "3235" not in bad.output


def test_source_gone_wrong_key_and_unwritable_output(demo_copy: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cfg = demo_copy / "pii-scan.toml"
    text = cfg.read_text("utf-8")
    share = text.index('[[sources]]\nname = "share"')
    end = text.index("[report]")
    cfg.write_text(text[:share] + text[end:], "utf-8")
    doc = _json(cfg, "--personnummer", PNR, code=3)
    files = [l for l in doc["locations"] if l["store"] == "files"]
    assert len(files) == 8 and all(l["reason"] == "the source is no longer in the configuration" for l in files)
    assert all(l["status"] == "read" for l in doc["locations"] if l["store"] == "sql")
    r = CliRunner().invoke(main, ["access-report", "--config", str(cfg), "--personnummer", PNR, "-o",
                                  str(demo_copy / "no" / "such" / "dir.html")])
    assert r.exit_code == 1 and "cannot write" in r.output
    monkeypatch.setenv("PII_SCAN_KEY", "ab" * 32)
    r = CliRunner().invoke(main, ["access-report", "--config", str(cfg), "--personnummer", PNR])
    assert r.exit_code == 1 and "another key" in r.output and "3234" not in r.output


# --------------------------------------------------------------------------- hostile names, files source


def _config(tmp: Path, body: str) -> Path:
    cfg = tmp / "pii-scan.toml"
    cfg.write_text('[datamap]\nurl = "sqlite:///datamap.sqlite"\n' + textwrap.dedent(body), "utf-8")
    return cfg


def _scan(cfg_path: Path) -> None:
    s = scan(load(cfg_path), scheduler="sync", progress=False)
    assert s.exit_code == EXIT_COMPLETE, s.failures


@pytest.fixture
def no_env_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PII_SCAN_KEY", raising=False)


def test_hostile_names_are_text(tmp_path: Path, no_env_key: None) -> None:
    share = tmp_path / "share"
    share.mkdir()
    hostile = '<img src=x onerror=alert(1)>"&.csv'
    (share / hostile).write_text(f"namn;personnummer;epost\n<b>Erik</b>;{PNR};{MAIL}\n", "utf-8")
    (share / "anteckning.txt").write_text(f"Anteckning: <script>alert('x')</script> pnr {PNR}\n", "utf-8")
    cfg = _config(tmp_path, """
        [[sources]]
        name = "<i>share</i>"
        type = "files"
        path = "share"
        purpose = "<script>evil()</script>"
        """)
    _scan(cfg)
    page = _cli(["access-report", "--config", str(cfg), "--personnummer", PNR]).stdout
    assert "<img" not in page and "<script>" not in page and "<b>Erik" not in page and "<i>share" not in page
    assert "&lt;img src=x onerror=alert(1)&gt;&quot;&amp;.csv" in page
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in page and "&lt;i&gt;share&lt;/i&gt;" in page
    doc = _json(cfg, "--personnummer", PNR)
    assert _values(_loc(doc, hostile, "2"))["personnummer"] == PNR
    html = tmp_path / "utdrag.html"
    html.write_text(page, "utf-8")
    _in_browser(html, hostile)


def _in_browser(html: Path, hostile: str) -> None:
    """The page in Debian's headless Chromium: no console error, no request but the page, names shown as text."""
    import tempfile

    from tests.conftest import need_service

    chromium, driver_path = "/usr/bin/chromium", "/usr/bin/chromedriver"
    if not (os.access(chromium, os.X_OK) and os.access(driver_path, os.X_OK)):
        need_service("Chromium", "apt-get install chromium chromium-driver")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    os.environ.setdefault("SE_OFFLINE", "true")  # never let Selenium Manager fetch anything
    profile = tempfile.mkdtemp(prefix="pii-scan-chromium-")
    opts = webdriver.ChromeOptions()
    opts.binary_location = chromium
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
                 "--disable-background-networking", "--disable-extensions", f"--user-data-dir={profile}"):
        opts.add_argument(flag)
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
    driver = webdriver.Chrome(service=Service(executable_path=driver_path), options=opts)
    try:
        driver.get("about:blank")  # away from Chromium's new-tab page and its own requests
        driver.get_log("browser")
        driver.get_log("performance")
        driver.get(html.as_uri())
        assert driver.execute_script("return document.readyState") == "complete"
        assert driver.execute_script("return document.querySelectorAll('script, img, iframe, object').length") == 0
        heads = driver.execute_script("return Array.from(document.querySelectorAll('h3')).map(h => h.textContent)")
        assert f"{hostile} — rad 2" in heads
        assert driver.execute_script("return document.title") == "Registerutdrag"
        assert [e for e in driver.get_log("browser") if e["level"] == "SEVERE"] == []
        urls = [json.loads(e["message"])["message"]["params"]["request"]["url"] for e in driver.get_log("performance")
                if json.loads(e["message"])["message"]["method"] == "Network.requestWillBeSent"]
        assert urls == [html.as_uri()]
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


def test_split_file_archive_entry_and_file_name(tmp_path: Path, no_env_key: None) -> None:
    import zipfile

    share = tmp_path / "share"
    share.mkdir()
    lines = [f"{i};Person {i};070-000 00 {i:02d}\n" for i in range(1, 30)]
    lines.insert(17, f"99;Erik Jakobsson;{PNR}\n")
    (share / "stor.csv").write_text("id;namn;nummer\n" + "".join(lines), "utf-8")
    with zipfile.ZipFile(share / "arkiv.zip", "w") as z:
        z.writestr("inre/kunder.csv", f"namn,personnummer\nAnna,{PNR_OTHER}\nErik,{PNR}\n")
    (share / f"{PNR}_lönespec.txt").write_text("Lön: 30 000 kr\n", "utf-8")
    cfg = _config(tmp_path, """
        [[sources]]
        name = "share"
        type = "files"
        path = "share"
        split_bytes = 200
        """)
    _scan(cfg)
    doc = _json(cfg, "--personnummer", PNR)
    offset = len(("id;namn;nummer\n" + "".join(lines[:17])).encode())
    big = _loc(doc, "stor.csv", f"@{offset}")  # a byte range unit: items are line offsets
    assert _values(big) == {"id": "99", "namn": "Erik Jakobsson", "nummer": PNR}
    assert _values(_loc(doc, "arkiv.zip!inre/kunder.csv", "3")) == {"namn": "Erik", "personnummer": PNR}
    name = _loc(doc, f"{PNR}_lönespec.txt", "")
    assert _values(name) == {"path": f"{PNR}_lönespec.txt"} and name["field"] == "path"
    assert doc["summary"]["unreadable"] == 0
    # the big file rewritten: the line at that offset is another one now
    (share / "stor.csv").write_text("id;namn;nummer\n" + "".join(reversed(lines)), "utf-8")
    doc = _json(cfg, "--personnummer", PNR, code=3)
    assert _loc(doc, "stor.csv", f"@{offset}")["reason"] == "the line is no longer at that offset (the file changed)"


def test_sqlite_rowid_and_unique_keys(tmp_path: Path, no_env_key: None) -> None:
    con = sqlite3.connect(tmp_path / "crm.sqlite")
    con.executescript(
        """
        CREATE TABLE logg (text TEXT);
        CREATE TABLE konton (nr TEXT NOT NULL UNIQUE, agare TEXT);
        """
    )
    con.execute("INSERT INTO logg VALUES ('start'), (?)", (f"inloggning {MAIL}",))
    con.execute("INSERT INTO konton VALUES ('K-1', ?)", (PNR,))
    con.commit()
    con.close()
    cfg = _config(tmp_path, """
        [[sources]]
        name = "crm"
        type = "sql"
        url = "sqlite:///crm.sqlite"
        """)
    _scan(cfg)
    doc = _json(cfg, "--email", MAIL)
    assert _values(_loc(doc, "main.logg", "rowid=2")) == {"text": f"inloggning {MAIL}"}
    doc = _json(cfg, "--personnummer", PNR)
    assert _values(_loc(doc, "main.konton", "nr=K-1")) == {"nr": "K-1", "agare": PNR}


# --------------------------------------------------------------------------- live servers


def test_mariadb_table_without_key(mariadb_url: str, tmp_path: Path, no_env_key: None) -> None:
    eng = sa.create_engine(mariadb_url)
    with eng.begin() as c:
        c.exec_driver_sql("CREATE TABLE kontakter (namn varchar(50), personnummer varchar(20), epost varchar(80))")
        c.execute(sa.text("INSERT INTO kontakter VALUES ('Anna', :p2, :m2), ('Erik', :p, :m)"),
                  {"p": PNR, "m": MAIL, "p2": PNR_OTHER, "m2": OTHER_MAIL})
        c.exec_driver_sql("CREATE TABLE kunder (id int PRIMARY KEY, personnummer varchar(20))")
        c.execute(sa.text("INSERT INTO kunder VALUES (5, :p)"), {"p": PNR})
    cfg = _config(tmp_path, f"""
        [[sources]]
        name = "crm"
        type = "sql"
        url = "{mariadb_url}"
        """)
    _scan(cfg)
    doc = _json(cfg, "--personnummer", PNR)
    db = sa.make_url(mariadb_url).database
    row = _loc(doc, f"{db}.kontakter", "row=2")  # no key: the row's place in the table's scan order
    assert _values(row) == {"namn": "Erik", "personnummer": PNR, "epost": MAIL}
    assert _values(_loc(doc, f"{db}.kunder", "id=5")) == {"id": "5", "personnummer": PNR}
    with eng.begin() as c:
        c.exec_driver_sql("DROP TABLE kunder")
    eng.dispose()
    doc = _json(cfg, "--personnummer", PNR, code=3)
    assert _loc(doc, f"{db}.kunder", "id=5")["reason"] == "the table no longer exists (or is no longer scanned)"


def test_postgresql_end_to_end(pg_url: str, tmp_path: Path, no_env_key: None) -> None:
    eng = sa.create_engine(pg_url)
    with eng.begin() as c:
        c.exec_driver_sql("CREATE TABLE customers (id integer PRIMARY KEY, name text, personnummer text, email text, "
                          "profile jsonb, created_at timestamp)")
        c.exec_driver_sql("CREATE TABLE orders (shop text, no integer, customer_id integer REFERENCES customers(id), "
                          "amount numeric(10,2), PRIMARY KEY (shop, no))")
        c.exec_driver_sql("CREATE TABLE notes (body text)")  # no key: located by ctid
        c.execute(sa.text("INSERT INTO customers VALUES (1, 'Erik Jakobsson', :p, :m, :j, '2024-05-01 10:00'), "
                          "(2, 'Anna Andersson', :p2, :m2, NULL, NULL)"),
                  {"p": PNR, "m": MAIL, "j": json.dumps({"tel": "070-174 06 05"}), "p2": PNR_OTHER, "m2": OTHER_MAIL})
        c.exec_driver_sql("INSERT INTO orders VALUES ('a,b', 7, 1, 99.50), ('x', 1, 2, 10)")
        c.execute(sa.text("INSERT INTO notes VALUES (:b), ('annat')"), {"b": f"Ring {MAIL} om order 7; kopia {OTHER_MAIL}"})
    eng.dispose()
    cfg = _config(tmp_path, f"""
        [[sources]]
        name = "erp"
        type = "sql"
        url = "{pg_url}"
        purpose = "Orderhantering"
        legal_basis = "contract"
        retention = "3y"
        """)
    _scan(cfg)
    doc = _json(cfg, "--personnummer", PNR)
    cust = _loc(doc, "public.customers", "id=1")
    v = _values(cust)
    assert v["personnummer"] == PNR and v["email"] == MAIL and json.loads(v["profile"]) == {"tel": "070-174 06 05"}
    assert v["created_at"] == "2024-05-01T10:00:00" and cust["purpose"] == "Orderhantering"
    matched = {x["field"] for x in cust["values"] if x["matched"]}
    assert {"personnummer", "email", "profile"} <= matched and "name" not in matched  # profile holds profile$.tel
    order = _loc(doc, "public.orders", 'shop="a,b",no=7')
    assert order["reached"] == "related" and _values(order)["amount"] == "99.50"
    note = [l for l in doc["locations"] if l["container"] == "public.notes"]
    assert len(note) == 1 and note[0]["item"].startswith("ctid=")
    assert _values(note[0])["body"] == f"Ring {MAIL} om order 7; kopia a***@example.com"
    assert not any(l["container"] == "public.customers" and l["item"] == "id=2" for l in doc["locations"])
    # the row disappears: listed with the reason, exit 3
    eng = sa.create_engine(pg_url)
    with eng.begin() as c:
        c.exec_driver_sql("DELETE FROM orders WHERE no = 7")
    eng.dispose()
    doc = _json(cfg, "--personnummer", PNR, code=3)
    gone = _loc(doc, "public.orders", 'shop="a,b",no=7')
    assert gone["status"] == "unreadable" and gone["reason"] == "the row no longer exists"


def test_s3_end_to_end(moto_s3: str, tmp_path: Path, no_env_key: None) -> None:
    import boto3

    from tests.conftest import MOTO_REGION

    s3 = boto3.client("s3", endpoint_url=moto_s3, region_name=MOTO_REGION)
    s3.create_bucket(Bucket="exports", CreateBucketConfiguration={"LocationConstraint": MOTO_REGION})
    s3.put_object(Bucket="exports", Key="crm/kunder.csv",
                  Body=f"Namn;Personnummer;Epost\nErik Jakobsson;{PNR};{MAIL}\nAnna Andersson;{PNR_OTHER};{OTHER_MAIL}\n".encode())
    arkiv = io.BytesIO()
    import zipfile

    with zipfile.ZipFile(arkiv, "w") as z:
        z.writestr("2023/kunder.jsonl", json.dumps({"pnr": PNR, "epost": MAIL}) + "\n")
    s3.put_object(Bucket="exports", Key="crm/arkiv.zip", Body=arkiv.getvalue())
    s3.put_object(Bucket="exports", Key="crm/events.jsonl",
                  Body=(json.dumps({"type": "login", "who": {"email": MAIL}}) + "\n").encode() * 2)
    big = "".join(f"{i},Person {i},person{i}@example.com\n" for i in range(40)) + f"99,Erik,{MAIL}\n"
    s3.put_object(Bucket="exports", Key="stora/logg.csv", Body=("id,namn,epost\n" + big).encode())
    cfg = _config(tmp_path, f"""
        [[sources]]
        name = "lake"
        type = "s3"
        endpoint_url = "{moto_s3}"
        region = "{MOTO_REGION}"
        buckets = ["exports"]
        prefix = "crm/"
        purpose = "Analys"
        legal_basis = "legitimate interest"

        [[sources]]
        name = "lake-big"
        type = "s3"
        endpoint_url = "{moto_s3}"
        region = "{MOTO_REGION}"
        buckets = ["exports"]
        prefix = "stora/"
        split_bytes = 300
        """)
    _scan(cfg)
    r = _cli(["access-report", "--config", str(cfg), "--email", MAIL, "--format", "json"])
    assert r.exit_code == 0, r.output
    doc = json.loads(r.stdout)
    row = _loc(doc, "exports/crm/kunder.csv", "2")
    assert _values(row) == {"Namn": "Erik Jakobsson", "Personnummer": PNR, "Epost": MAIL}
    assert row["store"] == "s3" and row["legal_basis"] == "legitimate interest"
    assert _values(_loc(doc, "exports/crm/events.jsonl", "2"))["$.who.email"] == MAIL
    assert _values(_loc(doc, "exports/crm/arkiv.zip!2023/kunder.jsonl", "1")) == {"$.pnr": PNR, "$.epost": MAIL}
    assert not any(l["item"] == "3" and l["container"] == "exports/crm/kunder.csv" for l in doc["locations"])
    offset = len(("id,namn,epost\n" + big).encode()) - len(f"99,Erik,{MAIL}\n".encode())
    assert _values(_loc(doc, "exports/stora/logg.csv", f"@{offset}")) == {"id": "99", "namn": "Erik", "epost": MAIL}
    s3.delete_object(Bucket="exports", Key="crm/kunder.csv")
    doc = _json(cfg, "--email", MAIL, code=3)
    gone = _loc(doc, "exports/crm/kunder.csv", "2")
    assert gone["status"] == "unreadable" and "HTTP 404" in gone["reason"]
    assert _loc(doc, "exports/crm/events.jsonl", "1")["status"] == "read"


def _mail(n: int, sender: str, to: str, subject: str, body: str, cc: str | None = None) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = to
    if cc:
        msg["Cc"] = cc
    msg["Subject"] = subject
    msg["Date"] = f"Wed, 0{n} May 2024 10:30:00 +0200"
    msg["Message-ID"] = f"<{n}.20240501@mail.example.se>"
    msg.set_content(body)
    return msg


MESSAGES = [
    _mail(1, f"Erik Jakobsson <{MAIL}>", "kundtjanst@example.se", "Fråga om faktura", f"Mitt personnummer är {PNR}.\n"),
    _mail(2, "kundtjanst@example.se", MAIL, "Svar: Fråga om faktura", "Tack, vi återkommer.\n", cc=f"Anna <{OTHER_MAIL}>"),
    _mail(3, f"Anna <{OTHER_MAIL}>", "kundtjanst@example.se", "Annat ärende", f"Mitt nummer {PNR_OTHER}\n"),
]


def _check_mail_report(doc: dict[str, Any], container: str) -> None:
    first = _loc(doc, container, "1.20240501@mail.example.se")
    assert first["store"] == "mail" and first["status"] == "read" and first["reached"] == "direct"
    assert first["mail"]["subject"] == "Fråga om faktura" and first["mail"]["from"] == f"Erik Jakobsson <{MAIL}>"
    # every address not attributed to the subject is masked, the company's own too
    assert first["mail"]["to"] == "k***@example.se" and first["mail"]["date"] == "2024-05-01T08:30:00"
    # the parts shown are the headers and the parts that held the subject's data: here only From (a
    # personnummer in free text is not linked to the sender's address, so the body is not theirs)
    assert set(_values(first)) == {"header:From", "header:To", "header:Subject"} and first["masked_others"] == 1
    second = _loc(doc, container, "2.20240501@mail.example.se")
    assert second["mail"]["to"] == MAIL and second["mail"]["cc"] == "Anna <a***@example.com>"  # a third party
    assert not any(l["item"].startswith("3.") for l in doc["locations"])


def test_mbox_end_to_end(tmp_path: Path, no_env_key: None) -> None:
    (tmp_path / "mail").mkdir()
    box = mailbox.mbox(str(tmp_path / "mail" / "kundtjanst.mbox"))
    for m in MESSAGES:
        box.add(m)
    box.flush()
    box.close()
    cfg = _config(tmp_path, """
        [[sources]]
        name = "arkiv"
        type = "mail"
        path = "mail"
        purpose = "Kundtjänst"
        """)
    _scan(cfg)
    doc = _json(cfg, "--email", MAIL)
    _check_mail_report(doc, "kundtjanst.mbox")
    by_pnr = _loc(_json(cfg, "--personnummer", PNR), "kundtjanst.mbox", "1.20240501@mail.example.se")
    assert _values(by_pnr)["body"] == f"Mitt personnummer är {PNR}.\n"  # reached through the body: shown
    assert by_pnr["mail"]["from"] == "Erik Jakobsson <e***@example.se>"  # not linked to this personnummer
    page = _cli(["access-report", "--config", str(cfg), "--email", MAIL]).stdout
    assert "Ämne" in page and "Fråga om faktura" in page and "Från" in page and "Kopia" in page
    (tmp_path / "mail" / "kundtjanst.mbox").write_text("From x@example.se Mon Jan  1 10:00:00 2024\nSubject: ny\n\nx\n")
    doc = _json(cfg, "--email", MAIL, code=3)
    assert _loc(doc, "kundtjanst.mbox", "1.20240501@mail.example.se")["reason"] == "the message is no longer in the mailbox"


def test_maildir_and_eml(tmp_path: Path, no_env_key: None) -> None:
    from email.policy import SMTP

    root = tmp_path / "mail"
    root.mkdir()
    md = mailbox.Maildir(str(root / "support"), create=True)
    md.add(MESSAGES[0])
    md.add(MESSAGES[2])
    md.close()
    (root / "brev").mkdir()
    (root / "brev" / "svar.eml").write_bytes(MESSAGES[1].as_bytes(policy=SMTP))
    cfg = _config(tmp_path, """
        [[sources]]
        name = "arkiv"
        type = "mail"
        path = "mail"
        """)
    _scan(cfg)
    doc = _json(cfg, "--email", MAIL)
    assert sorted((l["container"], l["item"]) for l in doc["locations"]) == [
        ("brev/svar.eml", "2.20240501@mail.example.se"), ("support", "1.20240501@mail.example.se")]
    first = _loc(doc, "support", "1.20240501@mail.example.se")
    assert first["mail"]["subject"] == "Fråga om faktura" and first["mail"]["from"] == f"Erik Jakobsson <{MAIL}>"
    assert _loc(doc, "brev/svar.eml", "2.20240501@mail.example.se")["mail"]["to"] == MAIL
    (root / "brev" / "svar.eml").unlink()
    doc = _json(cfg, "--email", MAIL, code=3)
    assert _loc(doc, "brev/svar.eml", "2.20240501@mail.example.se")["reason"] == "the mailbox no longer exists"


def test_imap_end_to_end(dovecot: Any, imap_user: tuple[str, str], tmp_path: Path, no_env_key: None,
                         monkeypatch: pytest.MonkeyPatch) -> None:
    from email.policy import SMTP

    no_id = _mail(4, f"Erik <{MAIL}>", "kundtjanst@example.se", "Utan Message-ID", "Hej igen\n")
    del no_id["Message-ID"]
    c = dovecot.client(*imap_user)
    try:
        for m in [*MESSAGES, no_id]:
            c.append("INBOX", m.as_bytes(policy=SMTP))
    finally:
        c.logout()
    monkeypatch.setenv("PII_SCAN_TEST_IMAP_PASSWORD", imap_user[1])
    cfg = _config(tmp_path, f"""
        [[sources]]
        name = "support"
        type = "imap"
        host = "{dovecot.host}"
        port = {dovecot.port}
        username = "{imap_user[0]}"
        password_env = "PII_SCAN_TEST_IMAP_PASSWORD"
        tls = "none"
        """)
    _scan(cfg)
    doc = _json(cfg, "--email", MAIL)
    _check_mail_report(doc, "INBOX")
    # a message without Message-ID: its item is a digest of its header, found by reading the folder
    fallback = [l for l in doc["locations"] if l["item"].startswith("sha256:")]
    assert len(fallback) == 1 and fallback[0]["mail"]["subject"] == "Utan Message-ID" and fallback[0]["status"] == "read"
    c = dovecot.client(*imap_user)
    try:
        c.select_folder("INBOX")
        c.delete_messages(c.search(["HEADER", "Message-ID", "2.20240501@mail.example.se"]))
        c.expunge()
        # the mailbox is read back read-only: no \\Seen flag set by the report
        assert all(b"\\Seen" not in flags for flags in c.get_flags(c.search(["ALL"])).values())
    finally:
        c.logout()
    doc = _json(cfg, "--email", MAIL, code=3)
    assert _loc(doc, "INBOX", "2.20240501@mail.example.se")["reason"] == "the message is no longer in the folder"
    monkeypatch.delenv("PII_SCAN_TEST_IMAP_PASSWORD")
    doc = _json(cfg, "--email", MAIL, code=3)
    assert all(l["status"] == "unreadable" and "PII_SCAN_TEST_IMAP_PASSWORD" in l["reason"] for l in doc["locations"])


def test_read_back_never_drops_a_location(tmp_path: Path) -> None:
    got = read_back("x", {"type": "nosuch"}, [("a", "1"), ("b", "")])
    assert [(k, r.ok, bool(r.reason)) for k, r in got.items()] == [(("a", "1"), False, True), (("b", ""), False, True)]
    got = read_back("db", {"type": "sql", "url": f"sqlite:///{tmp_path}/missing/none.sqlite"}, [("main.t", "id=1")])
    assert not got[("main.t", "id=1")].ok and got[("main.t", "id=1")].reason
    assert re.search(r"\d{6}", got[("main.t", "id=1")].reason) is None
