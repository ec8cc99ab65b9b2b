"""Erasure plan and erase, end to end against the real servers.

A small fictional estate holds the subject Anna Andersson (Skatteverket's test
personnummer 19640823-3234) and another customer, Bo Berg, in PostgreSQL
(customers -> invoices -> invoice_lines, tickets; invoices kept seven years),
MariaDB (members -> orders -> order_items), S3 (a CSV export and a profile
object), a files share (a log), a local mbox and Maildir, and Dovecot (IMAP).
scan -> erasure-plan (golden JSON) -> erase (dry run: nothing changes) ->
erase --confirm -> the servers are checked: Anna's rows, lines, objects and
mails are gone, Bo's are there, the retained invoice and what it references
are there, and the check after the erasure says nothing else remains.
"""

from __future__ import annotations

import json
import os
import re
import textwrap
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from pii_scan.cli import main
from pii_scan.config import load
from pii_scan.engine import EXIT_COMPLETE, scan
from tests.conftest import MOTO_REGION

GOLDEN = Path(__file__).parent / "golden" / "erasure"
ENV = "PII_SCAN_TEST_ERASE_IMAP"
KEY = "5e" * 32

PNR_A, EMAIL_A, PHONE_A = "19640823-3234", "anna.andersson@example.se", "070-174 06 05"
PNR_B, EMAIL_B, PHONE_B = "19811228-9874", "bo.berg@example.se", "070-174 06 37"


# --------------------------------------------------------------------------------------- the estate


def _pg(url: str) -> None:
    eng = sa.create_engine(url)
    with eng.begin() as c:
        for stmt in (
            "CREATE TABLE customers (id int PRIMARY KEY, name text, personnummer text, email text, phone text, created_at date, "
            "referred_by int REFERENCES customers(id))",
            "CREATE TABLE invoices (id int PRIMARY KEY, customer_id int NOT NULL REFERENCES customers(id), "
            "invoice_date date NOT NULL, amount numeric(10,2))",
            "CREATE TABLE invoice_lines (id int PRIMARY KEY, invoice_id int NOT NULL REFERENCES invoices(id), "
            "description text, amount numeric(10,2))",
            "CREATE TABLE tickets (id int PRIMARY KEY, customer_id int REFERENCES customers(id), title text NOT NULL, "
            "body text, created_at date)",
            "CREATE TABLE ticket_notes (id int PRIMARY KEY, ticket_id int NOT NULL REFERENCES tickets(id), note text)",
        ):
            c.execute(sa.text(stmt))
        # Bo was referred by Anna: his row points at hers (a self-reference: only the reference goes)
        c.execute(sa.text("INSERT INTO customers VALUES (1, 'Anna Andersson', :p1, :e1, :t1, '2014-01-10', NULL), "
                          "(2, 'Bo Berg', :p2, :e2, :t2, '2016-06-01', 1)"),
                  {"p1": PNR_A, "e1": EMAIL_A, "t1": PHONE_A, "p2": PNR_B, "e2": EMAIL_B, "t2": PHONE_B})
        c.execute(sa.text("INSERT INTO invoices VALUES (10, 1, '2024-03-01', 1200.00), (11, 1, '2015-02-01', 300.00), "
                          "(12, 2, '2024-05-01', 80.00)"))
        c.execute(sa.text("INSERT INTO invoice_lines VALUES (100, 10, 'Soffa', 1000.00), (101, 10, 'Frakt', 200.00), "
                          "(102, 11, 'Lampa', 300.00), (103, 12, 'Kudde', 80.00)"))
        c.execute(sa.text("INSERT INTO tickets VALUES (1000, 1, 'Adressbyte', :own, '2024-04-02'), "
                          "(1001, 2, :title, :body, '2024-04-03')"),
                  {"own": f"Kunden vill byta leveransadress till jobbet och få en bekräftelse till {EMAIL_A} i dag.",
                   "title": f"Fråga om en beställning gjord av grannen {EMAIL_A} i mars",
                   "body": f"Bo Berg ringde och frågade om en beställning som grannen {EMAIL_A} gjorde i mars, "
                           "vi lovade att återkomma."})
        # a note on Anna's ticket goes with it; a note on Bo's ticket (which only mentions Anna) stays
        c.execute(sa.text("INSERT INTO ticket_notes VALUES (1, 1000, 'Adressen ändrad.'), (2, 1001, 'Återkom fredag.')"))
    eng.dispose()


def _maria(url: str) -> None:
    eng = sa.create_engine(url)
    with eng.begin() as c:
        for stmt in (
            "CREATE TABLE members (id int PRIMARY KEY, email varchar(100), personnummer varchar(20)) ENGINE=InnoDB",
            "CREATE TABLE orders (id int PRIMARY KEY, member_id int NOT NULL, created date, "
            "FOREIGN KEY (member_id) REFERENCES members(id)) ENGINE=InnoDB",
            "CREATE TABLE order_items (id int PRIMARY KEY, order_id int NOT NULL, sku varchar(20), "
            "FOREIGN KEY (order_id) REFERENCES orders(id)) ENGINE=InnoDB",
        ):
            c.execute(sa.text(stmt))
        c.execute(sa.text("INSERT INTO members VALUES (1, :e1, :p1), (2, :e2, :p2)"),
                  {"e1": EMAIL_A, "p1": PNR_A, "e2": EMAIL_B, "p2": PNR_B})
        c.execute(sa.text("INSERT INTO orders VALUES (1, 1, '2025-01-05'), (2, 2, '2025-02-06')"))
        c.execute(sa.text("INSERT INTO order_items VALUES (1, 1, 'SKU-1'), (2, 1, 'SKU-2'), (3, 2, 'SKU-3')"))
    eng.dispose()


CSV = f"namn;personnummer;epost\nAnna Andersson;{PNR_A};{EMAIL_A}\nBo Berg;{PNR_B};{EMAIL_B}\n"
PROFILE = json.dumps({"namn": "Anna Andersson", "epost": EMAIL_A, "telefon": PHONE_A})
OTHER = json.dumps({"namn": "Bo Berg", "epost": EMAIL_B}) + "\n"
LOG = (f"2025-05-01 10:00:01 INFO inloggning lyckades för {EMAIL_A} från kundportalen\n"
       f"2025-05-01 10:02:17 INFO inloggning lyckades för {EMAIL_B} från kundportalen\n"
       "2025-05-01 10:05:00 INFO nattjobbet startade\n")


def _s3(endpoint: str) -> Any:
    import boto3

    client = boto3.client("s3", endpoint_url=endpoint, region_name=MOTO_REGION)
    client.create_bucket(Bucket="exports", CreateBucketConfiguration={"LocationConstraint": MOTO_REGION})
    client.put_object(Bucket="exports", Key="crm/kunder.csv", Body=CSV.encode())
    client.put_object(Bucket="exports", Key="crm/profil-anna.json", Body=PROFILE.encode())
    client.put_object(Bucket="exports", Key="crm/bo.jsonl", Body=OTHER.encode())
    return client


def _mail(n: int, sender: str, to: str, body: str) -> bytes:
    from email.message import EmailMessage
    from email.policy import SMTP

    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = to
    msg["Subject"] = "Beställning"
    msg["Date"] = f"Thu, 0{n % 9 + 1} May 2025 10:30:00 +0200"
    msg["Message-ID"] = f"<{n}.20250501@mail.example.se>"
    msg.set_content(body)
    return msg.as_bytes(policy=SMTP.clone(linesep="\n"))


def _mailboxes(root: Path) -> None:
    arkiv = root / "arkiv"
    (arkiv / "inkorg").mkdir(parents=True)
    mails = [_mail(1, EMAIL_A, "kundtjanst@example.se", "Hej, jag vill ändra min beställning.\n"),
             _mail(2, EMAIL_B, "kundtjanst@example.se", "Hej, när kommer min kudde?\n")]
    mbox = b""
    for i, raw in enumerate(mails):
        mbox += (b"\n" if i else b"") + f"From x@example.se Thu May  1 08:30:00 2025\n".encode() + raw
    (arkiv / "2025.mbox").write_bytes(mbox)
    for sub in ("cur", "new", "tmp"):
        (arkiv / "inkorg" / sub).mkdir()
    (arkiv / "inkorg" / "new" / "1714550000.M1P1.host").write_bytes(_mail(3, EMAIL_A, "kundtjanst@example.se", "Tack!\n"))
    (arkiv / "inkorg" / "new" / "1714550001.M2P1.host").write_bytes(_mail(4, EMAIL_B, "kundtjanst@example.se", "Tack!\n"))


def _imap(dovecot: Any, user: tuple[str, str]) -> None:
    c = dovecot.client(*user)
    try:
        for raw in (_mail(5, "kundtjanst@example.se", f"Anna Andersson <{EMAIL_A}>", "Din order är skickad.\n"),
                    _mail(6, "kundtjanst@example.se", f"Bo Berg <{EMAIL_B}>", "Din order är skickad.\n"),
                    # its Message-ID contains Anna's (5.2025...): IMAP SEARCH HEADER matches substrings
                    _mail(15, "kundtjanst@example.se", f"Bo Berg <{EMAIL_B}>", "Kudden är skickad.\n")):
            c.append("INBOX", raw.replace(b"\n", b"\r\n"))
    finally:
        c.logout()


@pytest.fixture
def estate(tmp_path: Path, pg_url: str, mariadb_url: str, moto_s3: str, dovecot: Any, imap_user: tuple[str, str],
           monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    _pg(pg_url)
    _maria(mariadb_url)
    s3 = _s3(moto_s3)
    (tmp_path / "share").mkdir()
    (tmp_path / "share" / "portal.log").write_text(LOG, encoding="utf-8")
    _mailboxes(tmp_path)
    _imap(dovecot, imap_user)
    monkeypatch.setenv(ENV, imap_user[1])
    monkeypatch.setenv("PII_SCAN_KEY", KEY)
    cfg_path = tmp_path / "pii-scan.toml"
    cfg_path.write_text(textwrap.dedent(f"""
        [datamap]
        url = "sqlite:///datamap.sqlite"

        [[sources]]
        name = "erp"
        type = "sql"
        url = "{pg_url}"
        purpose = "Customer relations and orders"
        legal_basis = "contract"

        [sources.containers."public.invoice*"]
        purpose = "Bookkeeping"
        legal_basis = "legal obligation"
        retention = "7y"
        retention_basis = "bokföringslagen (1999:1078) 7 kap. 2 §"

        [[sources]]
        name = "shop"
        type = "sql"
        url = "{mariadb_url}"

        [[sources]]
        name = "lake"
        type = "s3"
        endpoint_url = "{moto_s3}"
        region = "{MOTO_REGION}"
        buckets = ["exports"]

        [[sources]]
        name = "share"
        type = "files"
        path = "share"

        [[sources]]
        name = "arkiv"
        type = "mail"
        path = "arkiv"

        [[sources]]
        name = "support"
        type = "imap"
        host = "{dovecot.host}"
        port = {dovecot.port}
        username = "{imap_user[0]}"
        password_env = "{ENV}"
        tls = "none"
        """))
    cfg = load(cfg_path)
    summary = scan(cfg, scheduler="sync", progress=False)
    assert summary.exit_code == EXIT_COMPLETE, summary.failures
    return {"cfg": cfg, "path": cfg_path, "pg": pg_url, "maria": mariadb_url, "s3": s3, "dovecot": dovecot,
            "imap_user": imap_user, "root": tmp_path}


# --------------------------------------------------------------------------------------- state of the servers


def _ids(url: str, table: str) -> list[int]:
    eng = sa.create_engine(url)
    try:
        with eng.connect() as c:
            return [r[0] for r in c.execute(sa.text(f"SELECT id FROM {table} ORDER BY id"))]
    finally:
        eng.dispose()


def _state(e: dict[str, Any]) -> dict[str, Any]:
    eng = sa.create_engine(e["pg"])
    with eng.connect() as c:
        bodies = {i: (t, b) for i, t, b in c.execute(sa.text("SELECT id, title, body FROM tickets"))}
        referred = dict(c.execute(sa.text("SELECT id, referred_by FROM customers")).all())
    eng.dispose()
    s3 = e["s3"]
    keys = sorted(o["Key"] for o in s3.list_objects_v2(Bucket="exports").get("Contents", []))
    csv = s3.get_object(Bucket="exports", Key="crm/kunder.csv")["Body"].read().decode()
    imap = e["dovecot"].client(*e["imap_user"])
    try:
        imap.select_folder("INBOX", readonly=True)
        uids = imap.search(["ALL"])
        mids = sorted(bytes(d[b"ENVELOPE"].message_id).decode() for d in imap.fetch(uids, ["ENVELOPE"]).values())
    finally:
        imap.logout()
    root = e["root"]
    maildir = sorted(p.name for p in (root / "arkiv" / "inkorg" / "new").iterdir())
    return {
        "customers": _ids(e["pg"], "customers"), "invoices": _ids(e["pg"], "invoices"),
        "invoice_lines": _ids(e["pg"], "invoice_lines"), "tickets": _ids(e["pg"], "tickets"), "ticket_bodies": bodies,
        "ticket_notes": _ids(e["pg"], "ticket_notes"), "referred": referred,
        "members": _ids(e["maria"], "members"), "orders": _ids(e["maria"], "orders"),
        "order_items": _ids(e["maria"], "order_items"),
        "objects": keys, "csv": csv, "log": (root / "share" / "portal.log").read_text(encoding="utf-8"),
        "mbox": (root / "arkiv" / "2025.mbox").read_bytes(), "maildir": maildir, "imap": mids,
    }


# --------------------------------------------------------------------------------------- golden


def normalise(body: dict[str, Any], e: dict[str, Any]) -> dict[str, Any]:
    """The plan without what changes between runs: times, hashes, ciphertext, the generated database names."""
    maria_db = sa.engine.make_url(e["maria"]).database
    out = {k: v for k, v in body.items() if k not in ("created_at", "config", "datamap_key_id", "subject_enc", "plan_hash")}
    acts = []
    for a in body["actions"]:
        a = {k: v for k, v in a.items() if k not in ("target_enc", "rkeys")}
        if a["store"] in ("s3", "files"):
            a["record_date"] = "<mtime>"  # LastModified / mtime of objects made by the test
        acts.append(json.loads(json.dumps(a).replace(maria_db, "<db>")))
    out["actions"] = acts
    out["data_map"] = dict(body["data_map"], last_scan="<time>")
    return out


def check_golden(name: str, data: Any) -> None:
    path = GOLDEN / name
    text = json.dumps(data, ensure_ascii=False, indent=2, sort_keys=True) + "\n"
    if os.environ.get("PII_SCAN_UPDATE_GOLDEN"):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    assert path.exists(), f"golden file {path} is missing (PII_SCAN_UPDATE_GOLDEN=1 writes it)"
    assert text == path.read_text(encoding="utf-8")


# --------------------------------------------------------------------------------------- the test


def test_plan_dry_run_erase_and_check(estate: dict[str, Any]) -> None:
    e = estate
    runner = CliRunner()
    plan_path = e["root"] / "plan.json"
    res = runner.invoke(main, ["erasure-plan", "--config", str(e["path"]), "--personnummer", PNR_A,
                               "--output", str(plan_path)])
    assert res.exit_code == 0, res.output
    raw = plan_path.read_text(encoding="utf-8")
    # no plaintext identifier anywhere in the plan (the true locations are encrypted)
    for secret in (PNR_A, PNR_A.replace("-", ""), EMAIL_A, "anna.andersson", "1740605", "Anna Andersson", PNR_B, EMAIL_B):
        assert secret not in raw, secret
    body = json.loads(raw)
    check_golden("plan_anna.json", normalise(body, e))

    steps = {(a["source"], a["container"].split(".")[-1] if a["store"] == "sql" else a["container"], a["item"]): a
             for a in body["actions"]}
    erp = [a for a in body["actions"] if a["source"] == "erp"]
    # foreign-key order: corrections first, then children before parents
    assert [(a["container"], a["item"]) for a in erp] == [
        ("public.tickets", "id=1001"), ("public.customers", "id=2"), ("public.invoice_lines", "id=100"),
        ("public.invoice_lines", "id=101"), ("public.invoice_lines", "id=102"), ("public.ticket_notes", "id=1"),
        ("public.invoices", "id=10"), ("public.invoices", "id=11"), ("public.tickets", "id=1000"),
        ("public.customers", "id=1")]
    assert steps[("erp", "customers", "id=2")]["statement"] == (
        "UPDATE public.customers SET referred_by = NULL WHERE id = :k0 AND (referred_by IS NOT NULL)")
    assert steps[("erp", "tickets", "id=1001")]["statement"] == (
        "UPDATE public.tickets SET body = NULL, title = '' WHERE id = :k0 AND (body IS NOT NULL OR title <> '')")
    assert steps[("erp", "invoices", "id=10")]["blocked_by"].startswith(
        "retain: legal obligation, bokföringslagen (1999:1078) 7 kap. 2 § (7y until 2031-")
    assert steps[("erp", "invoices", "id=11")]["blocked_by"] == ""  # 2015: the seven years are over
    assert steps[("erp", "customers", "id=1")]["blocked_by"] == "retain: referenced by a retained row of public.invoices"
    assert steps[("erp", "tickets", "id=1000")]["why"] == "references a row of the subject (customer_id) and mentions the subject"
    shop = [a["container"].split(".")[-1] + ":" + a["item"] for a in body["actions"] if a["source"] == "shop"]
    assert shop == ["order_items:id=1", "order_items:id=2", "orders:id=1", "members:id=1"]
    assert steps[("lake", "exports/crm/kunder.csv", "2")]["action"] == "rewrite_object"
    assert steps[("lake", "exports/crm/profil-anna.json", "")]["action"] == "delete_object"
    assert steps[("share", "portal.log", "1")]["action"] == "rewrite_file"
    mail = {(a["source"], a["container"], a["item"]): a["action"] for a in body["actions"] if a["store"] == "mail"}
    assert mail == {("arkiv", "2025.mbox", "1.20250501@mail.example.se"): "delete_message",
                    ("arkiv", "inkorg", "3.20250501@mail.example.se"): "delete_message",
                    ("support", "INBOX", "5.20250501@mail.example.se"): "delete_message"}

    text = runner.invoke(main, ["erasure-plan", "--config", str(e["path"]), "--personnummer", PNR_A, "--format", "text"])
    assert text.exit_code == 0 and "RETAINED" in text.output and PNR_A not in text.output
    assert "blocked: retain: legal obligation, bokföringslagen" in text.output

    # dry run: says what it would do, changes nothing
    before = _state(e)
    dry = runner.invoke(main, ["erase", "--plan", str(plan_path)])
    assert dry.exit_code == 0, dry.output
    assert "DRY RUN" in dry.output and EMAIL_A not in dry.output and PNR_A not in dry.output
    statuses = re.findall(r"^ *\d+\. (would|retained|already gone|would fail) ", dry.output, re.M)
    assert statuses.count("would") == 16 and statuses.count("retained") == 4 and len(statuses) == 20, dry.output
    assert "WHERE id = :k0 AND (body IS NOT NULL OR title <> '')  (1 row(s) to update)" in dry.output
    assert dry.output.count("(1 row(s) to delete)") == 8 and dry.output.count("(1 row(s) to update)") == 2
    assert _state(e) == before

    # the erasure
    out_path = e["root"] / "erase.txt"
    done = runner.invoke(main, ["erase", "--plan", str(plan_path), "--confirm", "--output", str(out_path)])
    report = out_path.read_text(encoding="utf-8")
    assert done.exit_code == 0, report + done.output
    assert "FAILED" not in report and "REMAINS" not in report
    # the retained invoice keeps its lines: they are the subject's too (related through the invoice)
    assert "Nothing of the subject remains except 4 retained location(s)" in report
    assert "sql://erp/public.customers [id=1]" in report and "sql://erp/public.invoices [id=10]" in report
    assert "sql://erp/public.invoice_lines [id=100]" in report and "sql://erp/public.invoice_lines [id=101]" in report
    assert PNR_A not in report and EMAIL_A not in report

    after = _state(e)
    assert after["customers"] == [1, 2]  # Anna's row is referenced by the retained invoice 10
    assert after["invoices"] == [10, 12] and after["invoice_lines"] == [100, 101, 103]
    assert after["referred"] == {1: None, 2: None} and after["ticket_notes"] == [2]
    assert after["tickets"] == [1001] and after["ticket_bodies"] == {1001: ("", None)}
    assert after["members"] == [2] and after["orders"] == [2] and after["order_items"] == [3]
    assert after["objects"] == ["crm/bo.jsonl", "crm/kunder.csv"]
    assert after["csv"] == f"namn;personnummer;epost\nBo Berg;{PNR_B};{EMAIL_B}\n"
    assert after["log"] == LOG.split("\n", 1)[1]
    assert EMAIL_A.encode() not in after["mbox"] and EMAIL_B.encode() in after["mbox"]
    assert after["mbox"].startswith(b"From x@example.se") and after["mbox"].count(b"\nFrom ") == 0
    assert after["maildir"] == ["1714550001.M2P1.host"]
    assert after["imap"] == ["<15.20250501@mail.example.se>", "<6.20250501@mail.example.se>"]

    # running the plan again: what was deleted is already gone; a rewritten object or file is now another
    # version than the planned one and is not touched (a new plan is needed); nothing changes
    again = runner.invoke(main, ["erase", "--plan", str(plan_path), "--confirm"])
    assert again.exit_code == 3, again.output
    statuses = re.findall(r"^ *\d+\. (already gone|failed|retained|done|not theirs) ", again.output, re.M)
    assert statuses.count("failed") == 2 and "done" not in statuses and statuses.count("already gone") == 12
    # the corrected rows no longer hold (or point at) the subject's data: they are not touched again
    assert statuses.count("not theirs") == 2 and statuses.count("retained") == 4 and len(statuses) == 20
    assert "changed since the plan was made" in again.output
    assert _state(e) == after


@pytest.fixture
def shop(tmp_path: Path, mariadb_url: str, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """Only the MariaDB shop, scanned into a fresh data map."""
    _maria(mariadb_url)
    monkeypatch.setenv("PII_SCAN_KEY", KEY)
    cfg_path = tmp_path / "pii-scan.toml"
    cfg_path.write_text(f'[datamap]\nurl = "sqlite:///datamap.sqlite"\n[[sources]]\nname = "shop"\ntype = "sql"\n'
                        f'url = "{mariadb_url}"\n')
    cfg = load(cfg_path)
    assert scan(cfg, scheduler="sync", progress=False).exit_code == EXIT_COMPLETE
    return {"cfg": cfg, "maria": mariadb_url}


def _anna_plan(cfg: Any) -> tuple[dict[str, Any], Any]:
    from pii_scan.datamap import DataMap
    from pii_scan.keys import load_keys
    from reports.erasure import build_plan

    keys = load_keys(cfg.key_file)
    dm = DataMap(cfg.datamap_url)
    try:
        return build_plan(cfg, dm, keys, "email", EMAIL_A), keys
    finally:
        dm.close()


def test_failed_statement_rolls_back_the_database(shop: dict[str, Any]) -> None:
    """A database that refuses one statement keeps all of its rows; the report says so and exits 3."""
    from reports.erasure import execute_plan

    body, keys = _anna_plan(shop["cfg"])
    # a row added after the scan references Anna's order: deleting the order must fail, and nothing of the shop changes
    eng = sa.create_engine(shop["maria"])
    with eng.begin() as c:
        c.execute(sa.text("INSERT INTO order_items VALUES (4, 1, 'SKU-4')"))
    eng.dispose()
    result = execute_plan(body, shop["cfg"], keys, confirm=True)
    assert result.exit_code == 3
    assert {o.status for o in result.outcomes} == {"failed"}
    assert all("rolled back" in o.detail and EMAIL_A not in o.detail for o in result.outcomes)
    assert _ids(shop["maria"], "order_items") == [1, 2, 3, 4] and _ids(shop["maria"], "members") == [1, 2]
    assert any(loc["source"] == "shop" for loc in result.remaining)


def test_rows_that_are_no_longer_the_subjects_are_not_touched(shop: dict[str, Any]) -> None:
    """The data map is older than the database: member 1 now belongs to someone else. Neither that row nor the
    orders and items that hang on it are deleted; the check afterwards finds nothing of Anna."""
    from reports.erasure import execute_plan

    body, keys = _anna_plan(shop["cfg"])
    eng = sa.create_engine(shop["maria"])
    with eng.begin() as c:
        c.execute(sa.text("UPDATE members SET email = 'cecilia.carlsson@example.se', personnummer = NULL WHERE id = 1"))
    eng.dispose()
    dry = execute_plan(body, shop["cfg"], keys, confirm=False)
    assert [o.status for o in dry.outcomes] == ["not theirs"] * 4
    result = execute_plan(body, shop["cfg"], keys, confirm=True)
    assert [o.status for o in result.outcomes] == ["not theirs"] * 4, result.outcomes
    assert "depends on is no longer the subject's" in result.outcomes[0].detail
    assert "no longer holds the subject's data" in result.outcomes[-1].detail
    assert _ids(shop["maria"], "members") == [1, 2] and _ids(shop["maria"], "order_items") == [1, 2, 3]
    assert result.exit_code == 0 and not result.remaining


def test_tampered_plan_is_refused(tmp_path: Path) -> None:
    from reports.erasure.plan import PlanError, load_plan, plan_hash

    body = {"format": "pii-scan/erasure-plan/1", "actions": []}
    body["plan_hash"] = plan_hash(body)
    assert load_plan(json.dumps(body)) == body
    body["actions"] = [{"step": 1}]
    with pytest.raises(PlanError, match="altered"):
        load_plan(json.dumps(body))
    p = tmp_path / "plan.json"
    p.write_text(json.dumps(body))
    res = CliRunner().invoke(main, ["erase", "--plan", str(p)])
    assert res.exit_code == 1 and "altered" in res.output


def test_help_texts() -> None:
    runner = CliRunner()
    for cmd in ("erasure-plan", "erase"):
        res = runner.invoke(main, [cmd, "--help"])
        assert res.exit_code == 0 and "--config" in res.output
    assert re.search(r"dry\s+run", runner.invoke(main, ["erase", "--help"]).output)


def test_plan_dates_the_map_by_its_last_scan_that_read_the_sources(shop: dict[str, Any]) -> None:
    """A failed or interrupted scan row gets a finished_at too (when it stopped, or when a later
    scan found its process gone): the plan must not present that as the map's last look at the data."""
    from datetime import timedelta

    import sqlalchemy as sa

    from pii_scan.datamap import DataMap, scans_t

    cfg = shop["cfg"]
    before, _ = _anna_plan(cfg)
    done = before["data_map"]["last_scan"]
    assert done is not None
    dm = DataMap(cfg.datamap_url)
    try:
        with dm.engine.begin() as c:
            latest = c.execute(sa.select(sa.func.max(scans_t.c.finished_at))).scalar()
            for status in ("failed", "interrupted", "running"):
                c.execute(scans_t.insert().values(started_at=latest, finished_at=latest + timedelta(days=3),
                                                  status=status, settings="{}"))
    finally:
        dm.close()
    after, _ = _anna_plan(cfg)
    assert after["data_map"]["last_scan"] == done
