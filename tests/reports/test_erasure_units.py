"""The erasure's parts on their own: reading locations back, line and mbox rewrites, S3 versions."""

from __future__ import annotations

import doctest
import json
import io
from typing import Any

import pytest

import reports.erasure.names
import reports.erasure.plan
from reports.erasure.names import NameError_, parse_item, split_container
from reports.erasure.rewrite import RewriteError, drop_lines, drop_mbox_messages
from tests.conftest import MOTO_REGION


@pytest.mark.parametrize("module", [reports.erasure.names, reports.erasure.plan])
def test_doctests(module: Any) -> None:
    failed, attempted = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert attempted and not failed


def test_items_round_trip_with_the_sql_connector() -> None:
    from connectors.sql import _container, render_item

    for cols, vals in ((["id"], [7]), (["a", "b"], [1, 'x,"y"=z']), (["we=ird"], ["  lead"]), (["k"], [b"\x00\xff"])):
        item = render_item(cols, vals)
        assert [c for c, _ in parse_item(item)] == cols
    assert parse_item(render_item(["a", "b"], [1, 'x,"y"=z'])) == [("a", "1"), ("b", 'x,"y"=z')]
    for schema, table in (("public", "customers"), ("my.schema", 'odd"name'), (None, "t")):
        assert split_container(_container(schema, table)) == (schema, table)
    for bad in ("", "id", 'a="x', "a=1;b=2"):
        with pytest.raises(NameError_):
            parse_item(bad)


def _drop(data: bytes, items: list[str], fmt: str, encoding: str = "utf-8", delimiter: str = ",") -> bytes:
    out = io.BytesIO()
    drop_lines(io.BytesIO(data), out, items, fmt, encoding, delimiter)
    return out.getvalue()


def test_drop_lines_keeps_every_other_byte() -> None:
    text = b"a\r\nb\rc\nd\n\nf"
    assert _drop(text, ["2", "6"], "text") == b"a\r\nc\nd\n\n"
    # @offsets as in byte-range units: the line starting at byte 3 ("b\r")
    assert _drop(text, ["@3"], "text") == b"a\r\nc\nd\n\nf"
    # bytes that are not valid in the encoding are carried over unchanged
    assert _drop(b"\x81\xe5 x\nline2\n\xff\n", ["2"], "cp1252") == b"\x81\xe5 x\n\xff\n"
    assert _drop(b"\xef\xbb\xbfh\nx\ny\n", ["@7"], "utf-8-sig") == b"\xef\xbb\xbfh\nx\n"


def test_drop_csv_record_spanning_lines() -> None:
    data = b'namn;note\nAnna;"rad ett\nrad tv\xc3\xa5"\nBo;kort\n'
    assert _drop(data, ["2"], "csv", delimiter=";") == b"namn;note\nBo;kort\n"
    assert _drop(data, ["4"], "csv", delimiter=";") == b'namn;note\nAnna;"rad ett\nrad tv\xc3\xa5"\n'


def test_drop_lines_refuses_changed_content() -> None:
    with pytest.raises(RewriteError, match="1 found"):
        _drop(b"a\nb\n", ["2", "9"], "text")


def _msg(mid: str, body: str = "x") -> bytes:
    return f"From: a@example.se\nMessage-ID: <{mid}>\nSubject: s\n\n{body}\n".encode()


def test_drop_mbox_messages() -> None:
    mbox = (b"From a@example.se Thu May  1 08:30:00 2025\n" + _msg("1@x", "Hej\nFrom here on\n>From quoted") +
            b"\nFrom b@example.se Thu May  1 08:31:00 2025\n" + _msg("2@x") +
            b"\nFrom c@example.se Thu May  1 08:32:00 2025\n" + _msg("3@x"))
    out = io.BytesIO()
    assert drop_mbox_messages(io.BytesIO(mbox), out, {"2@x"}) == ["2@x"]
    assert b"2@x" not in out.getvalue() and out.getvalue().count(b"\n\nFrom ") == 1
    assert out.getvalue().startswith(b"From a@example.se") and b">From quoted" in out.getvalue()
    out = io.BytesIO()
    assert drop_mbox_messages(io.BytesIO(mbox), out, {"1@x", "3@x"}) == ["1@x", "3@x"]
    assert out.getvalue() == b"From b@example.se Thu May  1 08:31:00 2025\n" + _msg("2@x") + b"\n"
    out = io.BytesIO()
    assert drop_mbox_messages(io.BytesIO(mbox), out, {"nope@x"}) == [] and out.getvalue() == mbox


def test_versioned_bucket_loses_every_version(moto_s3: str, tmp_path: Any) -> None:
    """A delete marker alone keeps the data: the older versions of the key go too."""
    import boto3

    from pii_scan.config import from_dict
    from reports.erasure.execute import _run_s3
    from reports.erasure.plan import Action

    s3 = boto3.client("s3", endpoint_url=moto_s3, region_name=MOTO_REGION)
    s3.create_bucket(Bucket="vers", CreateBucketConfiguration={"LocationConstraint": MOTO_REGION})
    s3.put_bucket_versioning(Bucket="vers", VersioningConfiguration={"Status": "Enabled"})
    s3.put_object(Bucket="vers", Key="a.csv", Body=b"h\nold\n")
    s3.put_object(Bucket="vers", Key="a.csv", Body=b"h\nsecret\nother\n", ContentType="text/csv",
                  Metadata={"owner": "crm-export"})
    s3.put_object(Bucket="vers", Key="a.csvx", Body=b"unrelated\n")
    s3.put_object(Bucket="vers", Key="b.txt", Body=b"gone\n")
    cfg = from_dict({"sources": [{"name": "lake", "type": "s3", "endpoint_url": moto_s3, "region": MOTO_REGION}]}, base=tmp_path)
    etag = s3.head_object(Bucket="vers", Key="a.csv")["ETag"]
    rewrite = Action("s3", "lake", "vers/a.csv", "2", "x", "rewrite_object", "", "", step=1,
                     target={"bucket": "vers", "key": "a.csv", "etag": etag, "items": ["2"], "format": "text",
                             "encoding": "utf-8"})
    delete = Action("s3", "lake", "vers/b.txt", "", "x", "delete_object", "", "", step=2,
                    target={"bucket": "vers", "key": "b.txt", "etag": s3.head_object(Bucket="vers", Key="b.txt")["ETag"]})
    got = _run_s3(cfg, "lake", [rewrite, delete])
    assert [o.status for o in got] == ["done", "done"], got
    versions = s3.list_object_versions(Bucket="vers")
    left = sorted((v["Key"]) for v in versions.get("Versions", []))
    assert left == ["a.csv", "a.csvx"] and not versions.get("DeleteMarkers")
    got_obj = s3.get_object(Bucket="vers", Key="a.csv")
    assert got_obj["Body"].read() == b"h\nother\n"
    assert got_obj["ContentType"] == "text/csv" and got_obj["Metadata"] == {"owner": "crm-export"}


def _mail(n: int, sender: str, to: str, body: str) -> bytes:
    from email.message import EmailMessage
    from email.policy import SMTP

    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = sender, to, "Ärende"
    msg["Date"] = "Thu, 01 May 2025 10:30:00 +0200"
    msg["Message-ID"] = f"<{n}.20250501@mail.example.se>"
    msg.set_content(body)
    return msg.as_bytes(policy=SMTP.clone(linesep="\n"))


def test_mentions_in_others_mail_and_files_are_left_for_review(tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """A mail between colleagues that mentions the subject, and a workbook that also lists others, are not
    deleted: they are listed for review, and after the erasure the report says they remain (exit 3)."""
    import textwrap

    from click.testing import CliRunner

    from pii_scan.cli import main
    from pii_scan.config import load
    from pii_scan.engine import scan

    anna, bo = "anna.andersson@example.se", "bo.berg@example.se"
    box = tmp_path / "arkiv"
    for sub in ("cur", "new", "tmp"):
        (box / sub).mkdir(parents=True)
    (box / "new" / "1.M1.host").write_bytes(_mail(1, anna, "kundtjanst@example.se", "Hej, byt min adress.\n"))
    (box / "new" / "2.M2.host").write_bytes(_mail(2, "kollega@example.se", "chef@example.se",
                                                  f"Kunden {anna} har klagat igen, kan du ringa henne?\n"))
    brev = tmp_path / "brev"
    brev.mkdir()
    (brev / "a.eml").write_bytes(_mail(7, anna, "kundtjanst@example.se", "Se bifogat.\n"))
    (brev / "b.eml").write_bytes(_mail(8, bo, "kundtjanst@example.se", "Se bifogat.\n"))
    share = tmp_path / "share"
    share.mkdir()
    pnr = "19640823-3234"
    (share / "bara-anna.csv").write_text(f"namn,epost,personnummer\nAnna,{anna},{pnr}\n", encoding="utf-8")
    (share / f"lönespec_{pnr}.txt").write_text("Lön maj: 31 200 kr\n", encoding="utf-8")  # named by the subject
    from tests.connectors.fileutil import xlsx_bytes

    (share / "kunder.xlsx").write_bytes(xlsx_bytes({"Kunder": [["Namn", "Epost"], ["Anna", anna], ["Bo", bo]]}))
    (share / "blandat.jsonl").write_text(json.dumps({"epost": anna}) + "\n" + json.dumps({"epost": bo}) + "\n",
                                         encoding="utf-8")
    monkeypatch.setenv("PII_SCAN_KEY", "7a" * 32)
    cfg_path = tmp_path / "pii-scan.toml"
    cfg_path.write_text(textwrap.dedent("""
        [datamap]
        url = "sqlite:///datamap.sqlite"
        [[sources]]
        name = "arkiv"
        type = "mail"
        path = "arkiv"
        [[sources]]
        name = "brev"
        type = "mail"
        path = "brev"
        [[sources]]
        name = "share"
        type = "files"
        path = "share"
        """))
    assert scan(load(cfg_path), scheduler="sync", progress=False).exit_code == 0
    runner = CliRunner()
    plan_path = tmp_path / "plan.json"
    # asked by personnummer: the address is the subject's only through bara-anna.csv, which the erasure deletes;
    # the check afterwards must still find the mail and the workbook that hold the address
    res = runner.invoke(main, ["erasure-plan", "--config", str(cfg_path), "--personnummer", pnr, "-o", str(plan_path)])
    assert res.exit_code == 0, res.output
    raw = plan_path.read_text(encoding="utf-8")
    assert pnr not in raw and pnr.replace("-", "") not in raw and anna not in raw
    body = json.loads(raw)
    got = sorted((a["source"], a["container"], a["item"], a["action"]) for a in body["actions"])
    assert got == [
        ("arkiv", ".", "1.20250501@mail.example.se", "delete_message"),
        ("arkiv", ".", "2.20250501@mail.example.se", "manual"),
        ("brev", "a.eml", "7.20250501@mail.example.se", "delete_message"),
        ("share", "bara-anna.csv", "", "delete_file"),
        ("share", "blandat.jsonl", "1", "rewrite_file"),
        ("share", "kunder.xlsx", "Kunder:2", "manual"),
        ("share", "lönespec_19640823-****.txt", "", "delete_file"),
    ]
    xlsx = next(a for a in body["actions"] if a["container"] == "kunder.xlsx")
    assert xlsx["why"] == "the file (zip (.xlsx)) also holds other records and cannot be rewritten line by line: edit it by hand"
    blandat = next(a for a in body["actions"] if a["container"] == "blandat.jsonl")
    assert blandat["locations"] == [{"container": "blandat.jsonl", "item": "1", "field": "$.epost"}]
    nobody = runner.invoke(main, ["erasure-plan", "--config", str(cfg_path), "--email", "nobody@example.se", "--format", "text"])
    assert nobody.exit_code == 0 and "0 step(s): 0 to execute" in nobody.output
    bad = runner.invoke(main, ["erasure-plan", "--config", str(cfg_path), "--personnummer", "19640823-3235"])
    assert bad.exit_code == 1 and "not a valid personnummer" in bad.output and "3235" not in bad.output
    res = runner.invoke(main, ["erase", "--plan", str(plan_path), "--confirm"])
    assert res.exit_code == 3, res.output
    assert "REMAINS in 2 location(s)" in res.output and "files://share/kunder.xlsx [Kunder:2]" in res.output and "mail://arkiv/. [2.20250501@mail.example.se]" in res.output
    assert anna not in res.output
    assert sorted(p.name for p in (box / "new").iterdir()) == ["2.M2.host"]
    assert sorted(p.name for p in brev.iterdir()) == ["b.eml"]
    assert not (share / "bara-anna.csv").exists() and not (share / f"lönespec_{pnr}.txt").exists()
    assert (share / "blandat.jsonl").read_text(encoding="utf-8") == json.dumps({"epost": bo}) + "\n"


def test_changed_objects_and_files_are_not_touched(moto_s3: str, tmp_path: Any) -> None:
    """An object whose ETag, or a file whose size/mtime, is not the planned one is left alone."""
    import boto3

    from pii_scan.config import from_dict
    from reports.erasure.execute import _run_files, _run_s3
    from reports.erasure.plan import Action

    s3 = boto3.client("s3", endpoint_url=moto_s3, region_name=MOTO_REGION)
    s3.create_bucket(Bucket="exp", CreateBucketConfiguration={"LocationConstraint": MOTO_REGION})
    s3.put_object(Bucket="exp", Key="a.txt", Body=b"one\ntwo\n")
    etag = s3.head_object(Bucket="exp", Key="a.txt")["ETag"]
    s3.put_object(Bucket="exp", Key="a.txt", Body=b"new\none\ntwo\n")
    (tmp_path / "share").mkdir()
    f = tmp_path / "share" / "a.txt"
    f.write_bytes(b"one\ntwo\n")
    st = f.stat()
    cfg = from_dict({"sources": [{"name": "lake", "type": "s3", "endpoint_url": moto_s3, "region": MOTO_REGION},
                                 {"name": "share", "type": "files", "path": "share"}]}, base=tmp_path)
    t = {"items": ["1"], "format": "text", "encoding": "utf-8"}
    got = _run_s3(cfg, "lake", [Action("s3", "lake", "exp/a.txt", "1", "text", "rewrite_object", "", "", step=1,
                                       target={"bucket": "exp", "key": "a.txt", "etag": etag, **t})])
    assert [(o.status, "changed since the plan" in o.detail) for o in got] == [("failed", True)]
    assert s3.get_object(Bucket="exp", Key="a.txt")["Body"].read() == b"new\none\ntwo\n"
    f.write_bytes(b"zero\none\ntwo\n")
    got = _run_files(cfg, "share", [Action("files", "share", "a.txt", "1", "text", "rewrite_file", "", "", step=1,
                                           target={"path": "a.txt", "size": st.st_size, "mtime_ns": st.st_mtime_ns, **t})])
    assert [(o.status, "changed since the plan" in o.detail) for o in got] == [("failed", True)]
    assert f.read_bytes() == b"zero\none\ntwo\n"
    # a path that leaves the source is refused
    got = _run_files(cfg, "share", [Action("files", "share", "../x", "", "", "delete_file", "", "", step=2,
                                           target={"path": "../x", "size": 0, "mtime_ns": 0})])
    assert got[0].status == "failed" and "not a path inside the source" in got[0].detail


def test_fk_graph_reads_the_true_names_of_person_named_tables(tmp_path: Any) -> None:
    """A table named after a person is stored masked; the delete order needs its true name."""
    from detectors import Scanner
    from pii_scan.datamap import DataMap
    from pii_scan.engine import redact_dependency
    from pii_scan.keys import load_keys
    from pii_scan.redact import Redactor

    keys = load_keys(tmp_path / "k.key")
    red = Redactor(Scanner(), keys)
    fact = {"kind": "foreign_key", "container": "main.notes_6408233234", "columns": ["cid"],
            "ref_container": "main.kund_6408233234", "ref_columns": ["id"]}
    stored = redact_dependency(red, fact)
    assert "6408233234" not in json.dumps({k: v for k, v in stored.items() if k != "enc"})
    dm = DataMap(f"sqlite:///{tmp_path / 'dm.sqlite'}")
    try:
        dm.record_dependencies("crm", [stored])
        graph = reports.erasure.plan._fk_graph(dm, "crm", keys)
        assert graph == {"main.notes_6408233234": {"main.kund_6408233234"}}
    finally:
        dm.close()
