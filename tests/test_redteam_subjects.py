"""Red team of the data map's subjects end to end: scan a small fictional estate, look people up.

An access request must find every location of the person; an erasure must
not reach anybody else. Every value is fictional: Skatteverket's test
personnummer, the reference's vectors, PTS's fiction numbers.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from pii_scan.config import load
from pii_scan.datamap import DataMap
from pii_scan.engine import EXIT_COMPLETE, scan
from pii_scan.keys import load_keys
from pii_scan.lookup import Location, lookup
from tests.test_engine import _config, _crm
from tests.test_engine import datamap_url  # noqa: F401 - a fixture

FAR, MOR = "811228-9874", "670919-9530"  # two parents sharing the family's e-mail
CHILD, GUARDIAN = "20121212-1212", "880320-0016"  # one row of a child and a guardian
ANNA, BO = "19640823-3234", "199006022397"


def _scan(cfg: Path) -> None:
    s = scan(load(cfg), scheduler="sync", progress=False)
    assert s.exit_code == EXIT_COMPLETE, s.failures


def _lookup(cfg: Path, kind: str, value: str) -> list[Location]:
    c = load(cfg)
    dm = DataMap(c.datamap_url)
    try:
        return lookup(dm, load_keys(c.key_file), kind, value)
    finally:
        dm.close()


def _where(locs: list[Location]) -> set[tuple[str, str, str, str]]:
    return {(l.container.split(".")[-1], l.item, l.field, l.reached) for l in locs}


@pytest.fixture
def family(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.delenv("PII_SCAN_KEY", raising=False)
    _crm(tmp_path, """
        CREATE TABLE family (id INTEGER PRIMARY KEY, name TEXT, pnr TEXT, email TEXT);
        CREATE TABLE guardians (id INTEGER PRIMARY KEY, child_pnr TEXT, guardian_pnr TEXT, guardian_phone TEXT);
        CREATE TABLE customers (id INTEGER PRIMARY KEY, pnr TEXT, email TEXT, phone TEXT);
        """, {
        "family": [(1, "Far", FAR, "familjen@example.se"), (2, "Mor", MOR, "familjen@example.se")],
        "guardians": [(1, CHILD, GUARDIAN, "070-174 06 40")],
        "customers": [(1, GUARDIAN, "eva.ek@example.se", "070-174 06 41"), (2, ANNA, "anna@example.se", None)],
    })
    cfg = _config(tmp_path)
    _scan(cfg)
    return cfg


def test_a_shared_family_email_does_not_merge_the_parents(family: Path) -> None:
    far = _lookup(family, "personnummer", FAR)
    assert ("family", "id=1", "pnr", "direct") in _where(far)
    assert ("family", "id=1", "email", "linked") in _where(far)  # the shared address in Far's own row
    assert not any(l.item == "id=2" for l in far), _where(far)  # Mor's row is Mor's
    mor = _lookup(family, "personnummer", MOR)
    assert not any(l.item == "id=1" for l in mor), _where(mor)


def test_a_row_of_two_people_does_not_merge_them(family: Path) -> None:
    child = _lookup(family, "personnummer", CHILD)
    assert ("guardians", "id=1", "child_pnr", "direct") in _where(child)
    # the guardian's own customer row is not the child's
    assert not any(l.container.endswith("customers") for l in child), _where(child)
    guardian = _lookup(family, "personnummer", GUARDIAN)
    assert ("customers", "id=1", "email", "linked") in _where(guardian)
    assert ("guardians", "id=1", "guardian_pnr", "direct") in _where(guardian)


def test_a_shared_row_lists_only_the_subjects_own_values(family: Path) -> None:
    """The other values of a record: not another person's personnummer, nor values linked to another person."""
    child = _where(_lookup(family, "personnummer", CHILD))
    # the guardian's phone is the guardian's (a field named for another person links to nobody:
    # tests/test_worker_field_roles.py); the row is listed by the child's personnummer
    assert ("guardians", "id=1", "child_pnr", "direct") in child
    assert not any(f == "guardian_phone" for _c, _i, f, _r in child), child
    assert not any(f == "guardian_pnr" for _c, _i, f, _r in child), child
    # the family's e-mail is nobody's in particular: its rows, not the parents' personnummer
    shared = _where(_lookup(family, "email", "familjen@example.se"))
    assert shared == {("family", "id=1", "email", "direct"), ("family", "id=2", "email", "direct")}


def test_a_switchboard_lookup_lists_no_employee_data(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PII_SCAN_KEY", raising=False)
    pnrs = ["189001019802", "190001019801", "201801012392", "202211272394", "197702842399"]
    _crm(tmp_path, "CREATE TABLE employees (id INTEGER PRIMARY KEY, pnr TEXT, phone TEXT, mobile TEXT, email TEXT);", {
        "employees": [(i, p, "08-465 004 00", f"070-174 06 {20 + i}", f"emp{i}@firma.example") for i, p in enumerate(pnrs)],
    })
    cfg = _config(tmp_path)
    _scan(cfg)
    board = _lookup(cfg, "phone", "08-465 004 00")
    assert {(l.item, l.field, l.reached) for l in board} == {(f"id={i}", "phone", "direct") for i in range(5)}
    one = _where(_lookup(cfg, "personnummer", pnrs[2]))
    assert {(i, f) for _c, i, f, _r in one} == {("id=2", "pnr"), ("id=2", "phone"), ("id=2", "mobile"), ("id=2", "email")}


def test_related_rows_follow_the_foreign_key_chain(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """order_lines -> orders -> customers: the order lines are the customer's; another customer's row that
    references the subject is listed, but what references that row is not."""
    monkeypatch.delenv("PII_SCAN_KEY", raising=False)
    _crm(tmp_path, """
        CREATE TABLE customers (id INTEGER PRIMARY KEY, pnr TEXT, email TEXT, referred_by INTEGER REFERENCES customers(id));
        CREATE TABLE orders (id INTEGER PRIMARY KEY, customer_id INTEGER REFERENCES customers(id), total TEXT);
        CREATE TABLE order_lines (order_id INTEGER REFERENCES orders(id), line_no INTEGER, product TEXT,
                                  PRIMARY KEY (order_id, line_no));
        """, {
        "customers": [(1, ANNA, "anna@example.se", None), (2, BO, "bo@example.se", 1)],
        "orders": [(100, 1, "10 kr"), (101, 2, "20 kr")],
        "order_lines": [(100, 1, "kaffe"), (100, 2, "te"), (101, 1, "mjölk")],
    })
    cfg = _config(tmp_path)
    _scan(cfg)
    anna = _where(_lookup(cfg, "personnummer", ANNA))
    related = {(c, i, f) for c, i, f, r in anna if r == "related"}
    assert related == {("orders", "id=100", "customer_id"), ("order_lines", "order_id=100,line_no=1", "order_id"),
                       ("order_lines", "order_id=100,line_no=2", "order_id"), ("customers", "id=2", "referred_by")}
    bo = _where(_lookup(cfg, "personnummer", BO))
    assert {(c, i) for c, i, _f, r in bo if r == "related"} == {("orders", "id=101"), ("order_lines", "order_id=101,line_no=1")}


def test_a_bank_account_is_found_in_either_written_form(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Clearing + account and the IBAN of the same account are one account; giro numbers by their written form."""
    monkeypatch.delenv("PII_SCAN_KEY", raising=False)
    _crm(tmp_path, """
        CREATE TABLE payouts (id INTEGER PRIMARY KEY, konto TEXT);
        CREATE TABLE sepa (id INTEGER PRIMARY KEY, iban TEXT);
        CREATE TABLE suppliers (id INTEGER PRIMARY KEY, bankgiro TEXT, plusgiro TEXT);
        """, {
        "payouts": [(1, "5839-8257466"), (2, "6114 517 182 351"), (3, "8327-9, 014 725 892-5")],
        "sepa": [(1, "SE45 5000 0000 0583 9825 7466"), (2, "SE58 6000 0000 0005 1718 2351"),
                 (3, "SE55 8000 0832 7901 4725 8925")],
        "suppliers": [(1, "5402-9681", None), (2, None, "410 54 68-5")],
    })
    cfg = _config(tmp_path)
    _scan(cfg)
    for i, forms in enumerate([("5839-8257466", "58398257466", "SE45 5000 0000 0583 9825 7466", "SE4550000000058398257466"),
                               ("6114, 5171 82351", "SE58 6000 0000 0005 1718 2351"),
                               ("8327-9, 014 725 892-5", "SE5580000832790147258925")], start=1):
        for form in forms:
            got = _where(_lookup(cfg, "bank_account", form))
            assert got == {("payouts", f"id={i}", "konto", "direct"), ("sepa", f"id={i}", "iban", "direct")}, form
    for form in ("5402-9681", "bg 5402-9681", "Bankgiro: 5402-9681"):
        assert _where(_lookup(cfg, "bank_account", form)) == {("suppliers", "id=1", "bankgiro", "direct")}, form
    for form in ("410 54 68-5", "pg 4105468-5", "plusgiro 410 54 68-5"):
        assert _where(_lookup(cfg, "bank_account", form)) == {("suppliers", "id=2", "plusgiro", "direct")}, form


def test_the_erasure_plan_of_an_iban_covers_the_account_written_with_its_clearing(tmp_path: Path,
                                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    import json

    from click.testing import CliRunner

    from pii_scan.cli import main

    monkeypatch.delenv("PII_SCAN_KEY", raising=False)
    _crm(tmp_path, """
        CREATE TABLE payouts (id INTEGER PRIMARY KEY, konto TEXT);
        CREATE TABLE sepa (id INTEGER PRIMARY KEY, iban TEXT);
        """, {"payouts": [(1, "5839-8257466")], "sepa": [(1, "SE45 5000 0000 0583 9825 7466")]})
    cfg = _config(tmp_path)
    _scan(cfg)
    out = tmp_path / "plan.json"
    res = CliRunner().invoke(main, ["erasure-plan", "--config", str(cfg), "--bank-account", "SE45 5000 0000 0583 9825 7466",
                                    "-o", str(out)])
    assert res.exit_code == 0, res.output
    plan = json.loads(out.read_text(encoding="utf-8"))
    assert {(a["container"].split(".")[-1], a["item"]) for a in plan["actions"]} == {("payouts", "id=1"), ("sepa", "id=1")}


def test_batch_lookup_answers_every_line_in_order(family: Path, tmp_path: Path) -> None:
    """One answer per input line, in order (a blank or broken line too), each error saying what is wrong."""
    import json

    from click.testing import CliRunner

    from pii_scan.cli import main

    lines = [
        json.dumps({"kind": "personnummer", "value": FAR, "id": "q1"}),
        "",
        "not json",
        json.dumps({"kind": "email"}),
        json.dumps(["personnummer", FAR]),
        json.dumps({"kind": "fax", "value": MOR}),
        json.dumps({"kind": "pnr", "value": int(MOR.replace("-", ""))}),
        json.dumps({"kind": "email", "value": "nobody@example.se"}),
    ]
    batch = tmp_path / "q.jsonl"
    batch.write_bytes(("\n".join(lines) + "\n").encode() + b'\xff{"kind": "email"}\n')
    res = CliRunner().invoke(main, ["lookup", "--config", str(family), "--batch", str(batch), "--format", "jsonl"])
    assert res.exit_code == 0, res.output
    out = [json.loads(x) for x in res.output.splitlines()]
    assert [o["query"]["line"] for o in out] == list(range(1, 10))
    assert out[0]["query"] == {"line": 1, "id": "q1", "kind": "personnummer"} and out[0]["locations"]
    errors = [o.get("error", "") for o in out]
    assert errors[1].startswith("empty line") and errors[2].startswith("not JSON") and "value" in errors[3]
    assert "JSON object" in errors[4] and errors[5].startswith('unknown "kind"') and "670919" not in errors[5]
    assert "error" not in out[6] and {l["item"] for l in out[6]["locations"]} == {"id=2"}  # a number as value
    assert out[7] == {"query": {"line": 8, "kind": "email"}, "locations": []}  # not in the map: empty, no error
    assert errors[8].startswith("not JSON")
    assert all(o["locations"] == [] for o, e in zip(out, errors) if e)


def test_lookup_and_reveal_need_the_maps_own_key(family: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A missing key file is not replaced by a new key (every lookup would answer 'nothing'), a wrong key
    is refused with a clean error, and --reveal never runs without the key."""
    from click.testing import CliRunner

    from pii_scan.cli import main

    key = family.parent / "pii-scan.key"
    saved = key.read_bytes()
    key.unlink()
    r = CliRunner()
    for args in (["lookup", "--personnummer", FAR], ["export", "--format", "jsonl", "--reveal"]):
        res = r.invoke(main, [args[0], "--config", str(family), *args[1:]])
        assert res.exit_code == 1 and "no key" in res.output and res.exception is not None, res.output
        assert not key.exists()
    monkeypatch.setenv("PII_SCAN_KEY", "00" * 32)
    for args in (["lookup", "--personnummer", FAR], ["export", "--format", "jsonl", "--reveal"]):
        res = r.invoke(main, [args[0], "--config", str(family), *args[1:]])
        assert res.exit_code == 1 and "another key" in res.output, res.output
        assert "198112289874" not in res.output
    monkeypatch.delenv("PII_SCAN_KEY")
    key.write_bytes(saved)
    key.chmod(0o600)
    res = r.invoke(main, ["export", "--config", str(family), "--format", "jsonl"])  # masked: no key needed
    assert res.exit_code == 0 and "198112289874" not in res.output
    res = r.invoke(main, ["export", "--config", str(family), "--format", "jsonl", "--reveal"])
    assert res.exit_code == 0 and "198112289874" in res.output


def test_lookup_locations_carry_the_export_subject_and_test_flag(family: Path) -> None:
    """Every location of a lookup names its value's subject as the export does, and the export's rows of
    that subject are exactly the lookup's locations of it."""
    import json

    from click.testing import CliRunner

    from pii_scan.cli import main

    res = CliRunner().invoke(main, ["export", "--config", str(family), "--format", "jsonl"])
    rows = [json.loads(x) for x in res.output.splitlines() if x.startswith("{")]
    by_loc = {(r["container"], r["item"], r["field"], r["kind"]): r for r in rows}
    for value in (GUARDIAN, ANNA, FAR, CHILD):
        locs = [l for l in _lookup(family, "personnummer", value) if l.reached != "related"]
        own = {l.subject for l in locs if l.reached == "direct"}
        assert len(own) == 1 and all(len(s) == 16 for s in own)
        for l in locs:
            r = by_loc[(l.container, l.item, l.field, l.kind)]
            assert l.subject == r["subject"] and l.test_data == r["test_data"]
        exported = {k for k, r in by_loc.items() if r["subject"] in own}
        assert exported == {(l.container, l.item, l.field, l.kind) for l in locs if l.subject in own}
    anna = _lookup(family, "personnummer", ANNA)
    assert any(l.test_data for l in anna if l.kind == "personnummer")  # Skatteverket's test number


@pytest.mark.parametrize("written", ["anna@example.se", "ANNA@Example.SE", "mailto:anna@example.se",
                                     "mailto:Anna@example.se?subject=Registerutdrag", " <anna@example.se> "])
def test_an_email_is_found_in_every_written_form(family: Path, written: str) -> None:
    assert ("customers", "id=2", "email", "direct") in _where(_lookup(family, "email", written))


def test_two_people_chained_by_a_contact_row_stay_two(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """pnr A + a@ (customers), a@ + b@ (a lead whose comment names a colleague), b@ + pnr B (customers):
    the lead bridges two people; each keeps their own address, neither gets the other."""
    monkeypatch.delenv("PII_SCAN_KEY", raising=False)
    _crm(tmp_path, """
        CREATE TABLE customers (id INTEGER PRIMARY KEY, pnr TEXT, email TEXT);
        CREATE TABLE leads (id INTEGER PRIMARY KEY, email TEXT, contact TEXT);
        """, {
        "customers": [(1, ANNA, "anna@example.se"), (2, BO, "bo@example.se")],
        "leads": [(1, "anna@example.se", "bo@example.se")],
    })
    cfg = _config(tmp_path)
    _scan(cfg)
    anna = _where(_lookup(cfg, "personnummer", ANNA))
    assert ("customers", "id=1", "email", "linked") in anna and ("leads", "id=1", "email", "linked") in anna
    assert not any(i == "id=2" for _c, i, _f, _r in anna), anna
    bo = _where(_lookup(cfg, "personnummer", BO))
    assert ("customers", "id=2", "email", "linked") in bo and ("leads", "id=1", "contact", "linked") in bo
    assert not any(c == "customers" and i == "id=1" for c, i, _f, _r in bo), bo


def test_incremental_link_redoes_a_split_component(datamap_url: str) -> None:
    """A bridge between two people removed or added later: the incremental link agrees with the rule."""
    from tests.test_datamap_link import h, subjects
    from tests.test_engine import _reference_subjects, _write_case

    p, e, ph = (lambda i: h("personnummer", i)), (lambda i: h("email", i)), (lambda i: h("phone", i))
    base = [
        ("r1", True, [(p(1), "personnummer", True), (e(1), "email", True)]),
        ("r3", True, [(ph(2), "phone", True), (p(2), "personnummer", True)]),
        ("r4", True, [(e(5), "email", True), (e(1), "email", True)]),  # a second address of person 1
    ]
    bridge = [("r2", True, [(e(1), "email", True), (ph(2), "phone", True)])]
    dm = DataMap(datamap_url)
    try:
        _write_case(dm, base, per_unit=10, tag="a")
        _write_case(dm, bridge, per_unit=10, tag="b")
        dm.link_subjects()
        got = subjects(dm)
        assert got == _reference_subjects(base + bridge, DataMap.HUB_LIMIT)
        assert got[e(1)] == got[e(5)] == got[p(1)] != got[p(2)] == got[ph(2)]
        dm.forget_units(["ub" + "0" * 30])  # the bridge goes: the subjects stay as they are
        dm.link_subjects()
        assert subjects(dm) == _reference_subjects(base, DataMap.HUB_LIMIT)
        _write_case(dm, bridge, per_unit=10, tag="c")  # and comes back
        dm.link_subjects()
        assert subjects(dm) == _reference_subjects(base + bridge, DataMap.HUB_LIMIT)
        assert dm.link_subjects(full=True) and subjects(dm) == _reference_subjects(base + bridge, DataMap.HUB_LIMIT)
    finally:
        dm.close()


def test_values_in_a_related_row_are_the_subjects(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """accounts (composite key) -> customers, payments (no key, composite FK) -> accounts: the account row's
    IBAN is listed for the customer, and the chain goes on through it to the payments."""
    monkeypatch.delenv("PII_SCAN_KEY", raising=False)
    _crm(tmp_path, """
        CREATE TABLE customers (id INTEGER PRIMARY KEY, pnr TEXT, email TEXT);
        CREATE TABLE accounts (cust_id INTEGER REFERENCES customers(id), seq INTEGER, iban TEXT, PRIMARY KEY (cust_id, seq));
        CREATE TABLE payments (cust_id INTEGER, seq INTEGER, amount TEXT,
                               FOREIGN KEY (cust_id, seq) REFERENCES accounts(cust_id, seq));
        """, {
        "customers": [(1, ANNA, "anna@example.se"), (2, BO, "bo@example.se")],
        "accounts": [(1, 1, "SE45 5000 0000 0583 9825 7466"), (2, 1, None)],
        "payments": [(1, 1, "10 kr"), (1, 1, "20 kr"), (2, 1, "5 kr")],
    })
    cfg = _config(tmp_path)
    _scan(cfg)
    anna = _where(_lookup(cfg, "personnummer", ANNA))
    assert ("accounts", "cust_id=1,seq=1", "iban", "related") in anna
    assert {(c, i) for c, i, _f, r in anna if r == "related"} == {
        ("accounts", "cust_id=1,seq=1"), ("payments", "rowid=1"), ("payments", "rowid=2")}
    bo = _where(_lookup(cfg, "personnummer", BO))
    assert {(c, i) for c, i, _f, r in bo if r == "related"} == {("accounts", "cust_id=2,seq=1"), ("payments", "rowid=3")}


def test_a_personkonto_beside_the_personnummer_is_no_second_person(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A centenarian's Nordea personkonto (3300 + the 10-digit personnummer, no century) is read as a
    personnummer of 2023: it must not make the row a row of two people (its e-mail would then link nobody)."""
    monkeypatch.delenv("PII_SCAN_KEY", raising=False)
    old = "19231202-2383"
    _crm(tmp_path, """
        CREATE TABLE customers (id INTEGER PRIMARY KEY, pnr TEXT, email TEXT, konto TEXT);
        CREATE TABLE newsletter (id INTEGER PRIMARY KEY, email TEXT);
        """, {
        "customers": [(1, old, "greta@example.se", "3300-2312022383")],
        "newsletter": [(1, "greta@example.se")],
    })
    cfg = _config(tmp_path)
    _scan(cfg)
    got = _where(_lookup(cfg, "personnummer", old))
    assert ("customers", "id=1", "email", "linked") in got and ("customers", "id=1", "konto", "linked") in got
    assert ("newsletter", "id=1", "email", "linked") in got


def test_a_centenarians_number_without_century_is_found(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """'2404261238' in a 10-digit column reads as 2024 (no '+'): a lookup of 19240426-1238 finds it, and the
    written forms of either century answer alike."""
    monkeypatch.delenv("PII_SCAN_KEY", raising=False)
    _crm(tmp_path, """
        CREATE TABLE customers (id INTEGER PRIMARY KEY, pnr TEXT, email TEXT);
        CREATE TABLE legacy (id INTEGER PRIMARY KEY, personnr TEXT, telefon TEXT);
        """, {"customers": [(1, "19240426-1238", "greta@example.se")], "legacy": [(1, "2404261238", "070-174 06 11")]})
    cfg = _config(tmp_path)
    _scan(cfg)
    want = {("customers", "id=1", "pnr", "direct"), ("customers", "id=1", "email", "linked"),
            ("legacy", "id=1", "personnr", "direct"), ("legacy", "id=1", "telefon", "linked")}
    for written in ("19240426-1238", "240426+1238", "2404261238", "202404261238"):
        assert _where(_lookup(cfg, "personnummer", written)) == want, written


def test_a_value_beside_both_century_readings_is_the_persons(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The e-mail beside 19240426-1238 and beside '2404261238' (read as 2024) links neither (two personnummer),
    but both are forms of the query: its other locations (a log-like table) are the person's."""
    monkeypatch.delenv("PII_SCAN_KEY", raising=False)
    _crm(tmp_path, """
        CREATE TABLE customers (id INTEGER PRIMARY KEY, pnr TEXT, email TEXT);
        CREATE TABLE legacy (id INTEGER PRIMARY KEY, personnr TEXT, email TEXT);
        CREATE TABLE newsletter (id INTEGER PRIMARY KEY, email TEXT);
        """, {"customers": [(1, "19240426-1238", "greta@example.se")], "legacy": [(1, "2404261238", "greta@example.se")],
              "newsletter": [(1, "greta@example.se")]})
    cfg = _config(tmp_path)
    _scan(cfg)
    got = _where(_lookup(cfg, "personnummer", "19240426-1238"))
    assert ("newsletter", "id=1", "email", "linked") in got
    assert ("legacy", "id=1", "personnr", "direct") in got and ("customers", "id=1", "email", "linked") in got
