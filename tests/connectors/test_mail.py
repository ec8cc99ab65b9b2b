"""The mail connector: mbox, Maildir and .eml files; MIME walking; units; damage; locations."""

from __future__ import annotations

import pickle
from datetime import date, datetime
from pathlib import Path

import pytest

from connectors.base import ConfigError, ConnectorError, Limits, Location, Record
from connectors.formats.core import Problems
from connectors.mail import MailConnector, sniff
from connectors.mime import MessageReader, field_hint
from connectors.registry import build
from tests.conftest import need_service
from tests.connectors.contract import ConnectorContract
from tests.connectors.fileutil import EMAIL, PHONE, PNR, PNR2
from tests.connectors.mailutil import (
    RECIPIENT,
    SENDER,
    as_bytes,
    maildir,
    mbox_bytes,
    message,
    rich_message,
    touch_all,
)

MTIME = datetime(2021, 6, 15, 12, 0).timestamp()


def conn(path: Path | str, **config) -> MailConnector:
    return MailConnector("arkiv", {"type": "mail", "path": str(path), **config})


def read_all(c: MailConnector) -> tuple[list[Record], dict[str, str]]:
    out: list[Record] = []
    errors: dict[str, str] = {}
    for unit in c.units():
        try:
            for r in c.read(unit):
                out.append(r)
        except ConnectorError as exc:
            errors[unit.key] = str(exc)
    return out, errors


def triples(records: list[Record]) -> set[tuple[str, str, str, str]]:
    return {(r.location.container, r.location.item, f, t) for r in records for f, t in r.fields}


def fields_of(records: list[Record], item: str) -> dict[str, str]:
    return {f: t for r in records if r.location.item == item for f, t in r.fields}


def read_one(raw: bytes) -> tuple[list[Record], Problems]:
    problems = Problems()
    reader = MessageReader(Location("mail", "t", "box"), Limits(), problems)
    return list(reader.records(raw, "message 1")), problems


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    root = tmp_path / "mail"
    root.mkdir()
    (root / "arkiv.mbox").write_bytes(mbox_bytes([as_bytes(rich_message(1)), as_bytes(message(2))]))
    maildir(root / "Maildir", [as_bytes(message(3)), as_bytes(message(4))])
    maildir(root / "Maildir", [as_bytes(message(5))], folder=".Sent", seen=True)
    (root / "export").mkdir()
    (root / "export" / "brev.eml").write_bytes(as_bytes(message(6)))
    (root / "export" / "anteckning.txt").write_bytes(b"inte ett mejl\n")
    touch_all(root, MTIME)
    return root


class TestContract(ConnectorContract):
    @pytest.fixture
    def connector(self, tree: Path) -> MailConnector:
        return conn(tree)


# --- finding mail by content --------------------------------------------------------------------


def test_sniff_by_content() -> None:
    assert sniff(b"From x@example.se Wed May  1 08:30:00 2024\nSubject: a\n\nb") == "mbox"
    assert sniff(b"Return-Path: <a@example.se>\nReceived: from x\n\tby y\nSubject: z\n\nbody") == "eml"
    assert sniff(b"Subject: hej\r\nFrom: a@example.se\r\n\r\nbody") == "eml"
    assert sniff(b"namn;personnummer\nAnna;1\n") is None
    assert sniff(b"3 V1714550000 N6 G1\n") is None  # dovecot-uidlist
    assert sniff(b"\x00\x01binary") is None
    assert sniff(b"Foo: bar\nBaz: q\n\nnot mail headers") is None


def test_units_for_a_mixed_folder(tree: Path) -> None:
    units = list(conn(tree).units())
    assert [u.key for u in units] == ["mbox:arkiv.mbox", "maildir:Maildir#0", "maildir:Maildir/.Sent#0", "eml:export#0"]
    assert all(u.size > 0 for u in units)
    records, errors = read_all(conn(tree))
    assert not errors
    where = {(r.location.container, r.location.item) for r in records}
    assert where == {
        ("arkiv.mbox", "1.20240502@mail.example.se"), ("arkiv.mbox", "2.20240503@mail.example.se"),
        ("Maildir", "3.20240504@mail.example.se"), ("Maildir", "4.20240505@mail.example.se"),
        ("Maildir/.Sent", "5.20240506@mail.example.se"), ("export/brev.eml", "6.20240507@mail.example.se"),
    }
    assert all(r.location.store == "mail" and r.location.source == "arkiv" for r in records)


def test_single_files_and_root_maildir(tmp_path: Path) -> None:
    mb = tmp_path / "anna"  # an mbox without an extension
    mb.write_bytes(mbox_bytes([as_bytes(message(1))]))
    records, errors = read_all(conn(mb))
    assert not errors and {r.location.container for r in records} == {"anna"}
    eml = tmp_path / "brev.msg.txt"
    eml.write_bytes(as_bytes(message(2)))
    records, errors = read_all(conn(eml))
    assert not errors and {(r.location.container, r.location.item) for r in records} == {("brev.msg.txt", "2.20240503@mail.example.se")}
    md = maildir(tmp_path / "Maildir", [as_bytes(message(3))])
    records, errors = read_all(conn(md))
    assert not errors and {r.location.container for r in records} == {"."}
    other = tmp_path / "x.csv"
    other.write_bytes(b"a;b\n1;2\n")
    with pytest.raises(ConfigError):
        list(conn(other).units())
    with pytest.raises(ConfigError):
        list(conn(tmp_path / "missing").units())


def test_config_errors(tmp_path: Path) -> None:
    with pytest.raises(ConfigError):
        MailConnector("m", {"type": "mail"})
    with pytest.raises(ConfigError):
        conn(tmp_path, split_bytes="many")
    with pytest.raises(ConfigError):
        conn(tmp_path, chunk_messages=0)
    assert isinstance(build("m", {"type": "mail", "path": str(tmp_path)}), MailConnector)


# --- what a message becomes ---------------------------------------------------------------------


def test_rich_message_records_and_locations(tmp_path: Path) -> None:
    (tmp_path / "a.mbox").write_bytes(mbox_bytes([as_bytes(rich_message(1))]))
    records, errors = read_all(conn(tmp_path))
    assert not errors
    item = "1.20240502@mail.example.se"
    got = triples(records)
    box = "a.mbox"
    expected = {
        (box, item, "header:From", f"Åsa Öberg <{SENDER}>"),
        (box, item, "header:To", RECIPIENT),
        (box, item, "header:Subject", "Kundlista"),
        (box, item, "envelope:From", SENDER),
        (box, item, "body", f"Hej! Ring mig på {PHONE}.\n"),
        (box, item, "attachment:kunder.csv", "kunder.csv"),
        (box, item, "attachment:kunder.csv!line 2:Personnummer", PNR),
        (box, item, "attachment:kunder.csv!line 2:Telefon", PHONE),
        (box, item, "attachment:kunder.csv!line 3:Personnummer", PNR2),
        (box, item, "attachment:lista.xlsx!Blad1:2:Epost", EMAIL),
        (box, item, "attachment:avtal.pdf!p1:text", f"Avtal for {PNR}"),
        (box, item, "attachment:arkiv.zip!in/h.jsonl", "in/h.jsonl"),
        (box, item, "attachment:arkiv.zip!in/h.jsonl!line 1:$.pnr", PNR),
    }
    assert expected <= got, expected - got
    html = fields_of(records, item)["body[1.2]"]
    assert f"mailto:{EMAIL}" in html and f"tel:{PHONE}" in html and "<p>" not in html
    # the sender is a structured record, first; everything else (recipients too) is free text
    assert records[0].structured and [f for f, _ in records[0].fields] == ["header:From"]
    assert not any(r.structured for r in records[1:])
    # the Date header (10:30 +0200) is the record date, in UTC
    assert {r.record_date for r in records} == {datetime(2024, 5, 1, 8, 30)}
    assert {r.ref_date for r in records} == {date(2024, 5, 1)}
    assert str(records[0].location) == "mail://arkiv/a.mbox?1.20240502%40mail.example.se"


def test_rfc2047_and_broken_headers() -> None:
    raw = (
        b"From: =?utf-8?q?=C3=85sa_=C3=96berg?= <asa@example.se>\n"
        b"To: =?iso-8859-1?b?R/ZyYW4=?= <goran@example.se>, \"Berg, Bo\" <bo@example.se>\n"
        b"Cc: <<<@@@>>>, =?utf-8?q?broken <x@example.se\n"
        b"Reply-To: Kund \xc3\x85sa <kund@example.se>\n"
        b"Bcc: hemlig\xe5@example.se\n"
        b"Subject: =?x-unknown?q?hej_d=E5?= och =?utf-8?b?broken!!?=\n"
        b"Message-ID: <m1@example.se>\n"
        b"Date: not a date at all\n"
        b"\n"
        b"Hej\n"
    )
    records, problems = read_one(raw)
    f = fields_of(records, "m1@example.se")
    assert f["header:From"] == "Åsa Öberg <asa@example.se>"
    assert f["header:To"] == 'Göran <goran@example.se>, "Berg, Bo" <bo@example.se>'
    assert "x@example.se" in f["header:Cc"]
    assert f["header:Reply-To"] == "Kund Åsa <kund@example.se>"  # raw UTF-8 in a header
    assert f["header:Bcc"] == "hemligå@example.se"  # raw latin-1 in a header
    assert f["header:Subject"].startswith("hej då och")
    assert {r.record_date for r in records} == {None}
    assert not problems


def test_transfer_encodings_and_charsets() -> None:
    import base64
    import quopri

    boundary = b"XYZ"

    def part(ctype: bytes, cte: bytes, body: bytes) -> bytes:
        return b"--XYZ\nContent-Type: " + ctype + b"\nContent-Transfer-Encoding: " + cte + b"\n\n" + body + b"\n"

    body = b"".join(
        [
            part(b"text/plain; charset=utf-8", b"base64", base64.encodebytes(f"Göran {PNR}".encode("utf-8"))),
            part(b"text/plain; charset=iso-8859-1", b"quoted-printable", quopri.encodestring("Åsa på 070-174 06 05".encode("latin-1"))),
            part(b"text/plain; charset=iso-8859-1", b"8bit", "Fel deklarerad: Öberg".encode("utf-8")),  # UTF-8 declared latin-1
            part(b"text/plain; charset=x-no-such", b"8bit", "Okänd teckenkodning".encode("utf-8")),
            part(b'text/html; charset="windows-1252"', b"8bit", "<p>Hälsningar<br><a href='mailto:anna@example.se'>Anna</a></p>".encode("cp1252")),
        ]
    )
    raw = b"Message-ID: <enc@example.se>\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=" + boundary + b"\n\n" + body + b"--XYZ--\n"
    records, problems = read_one(raw)
    f = fields_of(records, "enc@example.se")
    assert f["body"] == f"Göran {PNR}"
    assert f["body[2]"] == "Åsa på 070-174 06 05"
    assert f["body[3]"] == "Fel deklarerad: Öberg"
    assert f["body[4]"] == "Okänd teckenkodning"
    assert f["body[5]"] == "Hälsningar\nmailto:anna@example.se Anna"
    assert not problems, problems.messages


def test_undecodable_body_and_bad_base64_are_reported_and_read() -> None:
    raw = (
        b"Message-ID: <bad@example.se>\nContent-Type: multipart/mixed; boundary=B\n\n"
        b"--B\nContent-Type: text/plain; charset=utf-8\n\nTrasig \xe5\xe4\xf6 text 070-174 06 05\n"
        b"--B\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: base64\n\nSGVqIEFubmEh*\n"
        b"--B--\n"
    )
    records, problems = read_one(raw)
    f = fields_of(records, "bad@example.se")
    assert f["body"] == "Trasig åäö text 070-174 06 05"  # read as cp1252, not lost
    assert f["body[2]"].startswith("Hej Anna")
    assert problems.count == 1  # a wrong charset label loses nothing: only the bad base64 is damage
    assert any("part 2" in m and "base64" in m for m in problems.messages)
    assert not any("070" in m or "Anna" in m for m in problems.messages)


def test_forwarded_message_is_read_recursively() -> None:
    inner = message(9, sender="goran@example.se", to="kund@example.se", subject="Original", body=f"Mitt personnummer är {PNR}\n")
    outer = message(8, subject="Fwd: Original", body="Se nedan.\n")
    outer.add_attachment(inner)  # message/rfc822
    records, problems = read_one(as_bytes(outer))
    f = fields_of(records, "8.20240509@mail.example.se")
    assert f["body"] == "Se nedan.\n"
    assert f["header[2]:From"] == "Åsa Öberg <goran@example.se>"
    assert f["header[2]:Subject"] == "Original"
    assert f["body[2.1]"] == f"Mitt personnummer är {PNR}\n"
    # the forwarded mail's parties are not this mail's parties
    assert records[0].structured and "header[2]:From" not in dict(records[0].fields)
    assert not problems


def test_attached_eml_file_is_a_message_too() -> None:
    inner = as_bytes(message(7, body=f"Ring {PHONE}\n"))
    outer = message(6, attachments={"gammalt.eml": inner})
    records, _ = read_one(as_bytes(outer))
    f = fields_of(records, "6.20240507@mail.example.se")
    assert f["attachment:gammalt.eml"] == "gammalt.eml"
    assert f["header[2]:Subject"] == "Kundlista" and f["body[2.1]"] == f"Ring {PHONE}\n"


def test_nameless_and_duplicate_attachments() -> None:
    msg = message(5, attachments={"a.csv": b"Telefon\n070-174 06 05\n"})
    msg.add_attachment(b"Telefon\n08-123 456\n", maintype="text", subtype="csv", filename="a.csv")
    msg.add_attachment(b"Epost\nanna@example.se\n", maintype="text", subtype="csv", disposition="attachment")
    records, problems = read_one(as_bytes(msg))
    f = fields_of(records, "5.20240506@mail.example.se")
    assert f["attachment:a.csv!line 2:Telefon"] == PHONE
    assert f["attachment:a.csv[3]!line 2:Telefon"] == "08-123 456"
    assert f["attachment:part 4!line 2:Epost"] == "anna@example.se"
    assert not problems


def test_missing_message_id_gets_a_stable_hash(tmp_path: Path) -> None:
    raw = as_bytes(message(1, message_id=None))
    (tmp_path / "a.mbox").write_bytes(mbox_bytes([raw]))
    maildir(tmp_path / "Maildir", [raw])
    records, _ = read_all(conn(tmp_path))
    items = {r.location.item for r in records}
    assert len(items) == 1
    item = items.pop()
    assert item.startswith("sha256:") and len(item) == 7 + 32
    assert SENDER not in item


def test_dates_fall_back_to_envelope_or_mtime(tmp_path: Path) -> None:
    raw = b"From: a@example.se\nMessage-ID: <nodate@example.se>\n\nHej\n"
    (tmp_path / "a.mbox").write_bytes(b"From a@example.se Sat Mar  2 09:15:00 2019\n" + raw)
    maildir(tmp_path / "Maildir", [raw])
    touch_all(tmp_path / "Maildir", MTIME)
    records, _ = read_all(conn(tmp_path))
    by_box = {r.location.container: r.record_date for r in records}
    assert by_box["a.mbox"] == datetime(2019, 3, 2, 9, 15)
    assert by_box["Maildir"] == datetime(2021, 6, 15, 10, 0) or by_box["Maildir"].date() == date(2021, 6, 15)


def test_field_hints_leave_attachment_names_out(tmp_path: Path) -> None:
    hints = conn(tmp_path).field_hints(None)  # type: ignore[arg-type]
    assert hints.get("attachment:order_2024.csv!line 3:Personnummer", "x") == "Personnummer"
    assert hints.get("header:To", "x") == "To" and hints.get("body[1.2]", "x") == "body"
    assert field_hint("attachment:lista.xlsx!Blad1:2:Epost") == "Epost"
    assert pickle.loads(pickle.dumps(hints)).get("header:Cc") == "Cc"


# --- mbox ranges --------------------------------------------------------------------------------


def _many(n: int, big_every: int = 0) -> list[bytes]:
    out = []
    for i in range(1, n + 1):
        body = f"Meddelande {i}\nFrom the desk of nobody\n" + ("utfyllnad " * 900 if big_every and i % big_every == 0 else "")
        out.append(as_bytes(message(i, body=body)))
    return out


def test_mbox_ranges_cover_every_message_exactly_once(tmp_path: Path) -> None:
    msgs = _many(60, big_every=7)
    path = tmp_path / "stor.mbox"
    path.write_bytes(mbox_bytes(msgs))
    c = conn(path, split_bytes=4096)
    units = list(c.units())
    assert len(units) > 5
    data = path.read_bytes()
    starts = [u.param("start") for u in units]
    assert starts[0] == 0 and all(data[s : s + 5] == b"From " and data[s - 2 : s] == b"\n\n" for s in starts[1:])
    assert [u.param("end") for u in units[:-1]] == starts[1:] and units[-1].param("end") == len(data)
    assert all(u.key == f"mbox:stor.mbox#{u.param('start')}-{u.param('end')}" for u in units)
    seen: list[str] = []
    for u in units:
        items = []
        for r in c.read(u):
            if r.location.item not in items:
                items.append(r.location.item)
        seen.extend(items)
    assert sorted(seen) == sorted(f"{i}.{20240501 + i}@mail.example.se" for i in range(1, 61))
    # the "From " body line was unquoted, not taken for a message start
    body = next(t for r in c.read(units[0]) for f, t in r.fields if f == "body")
    assert "\nFrom the desk of nobody\n" in body


def test_appending_to_an_mbox_keeps_earlier_ranges(tmp_path: Path) -> None:
    path = tmp_path / "stor.mbox"
    path.write_bytes(mbox_bytes(_many(30)))
    before = {u.key: u.fingerprint for u in conn(path, split_bytes=4096).units()}
    with open(path, "ab") as fh:
        fh.write(b"\n" + mbox_bytes([as_bytes(message(99))]))
    after = {u.key: u.fingerprint for u in conn(path, split_bytes=4096).units()}
    same = [k for k in before if after.get(k) == before[k]]
    assert len(same) == len(before) - 1  # only the last range changed


def test_oversize_message_reads_its_header_and_is_reported(tmp_path: Path) -> None:
    big = as_bytes(message(2, body="x" * 300_000 + f"\n{PNR}\n"))
    path = tmp_path / "a.mbox"
    path.write_bytes(mbox_bytes([as_bytes(message(1)), big, as_bytes(message(3))]))
    c = conn(path, max_message_bytes=100_000)
    (unit,) = list(c.units())
    records: list[Record] = []
    with pytest.raises(ConnectorError) as err:
        for r in c.read(unit):
            records.append(r)
    f2 = fields_of(records, "2.20240503@mail.example.se")
    assert f2["header:From"] and "body" not in f2
    assert fields_of(records, "3.20240504@mail.example.se")["body"]
    assert "larger than max_message_bytes" in str(err.value) and "offset" in str(err.value)


# --- damage -------------------------------------------------------------------------------------


def test_truncated_mbox_and_corrupt_message_are_reported_nothing_else_lost(tmp_path: Path) -> None:
    garbage = b"\x00\x01\x02 \xff\xfe trasigt 070-174 06 05 \x00\n\x89PNG\n"
    good = [as_bytes(message(i)) for i in (1, 3)]
    last = as_bytes(rich_message(4))
    data = mbox_bytes([good[0], garbage, good[1], last])
    data = data[: len(data) - 1500]  # cut inside the last message's attachments
    path = tmp_path / "a.mbox"
    path.write_bytes(data)
    c = conn(path)
    (unit,) = list(c.units())
    records: list[Record] = []
    with pytest.raises(ConnectorError) as err:
        for r in c.read(unit):
            records.append(r)
    msg = str(err.value)
    assert "no header" in msg and "mid-line" in msg
    assert "070" not in msg
    items = {r.location.item for r in records}
    assert {"1.20240502@mail.example.se", "3.20240504@mail.example.se", "4.20240505@mail.example.se"} <= items
    # the corrupt message is still read as text, under a hash item
    assert any(r.location.item.startswith("sha256:") and "070-174 06 05" in t for r in records for _, t in r.fields)
    # the truncated message: what came before the cut is there
    f4 = fields_of(records, "4.20240505@mail.example.se")
    assert f4["header:From"] and f4["attachment:kunder.csv!line 2:Personnummer"] == PNR


def test_truncated_multipart_is_reported() -> None:
    raw = b"Message-ID: <t@example.se>\nContent-Type: multipart/mixed; boundary=B\n\n--B\nContent-Type: text/plain\n\nHej 070-174 06 05\n"
    records, problems = read_one(raw)
    assert fields_of(records, "t@example.se")["body"].startswith("Hej")
    assert problems.count == 1 and "truncated" in problems.messages[0]


def test_damaged_attachment_is_reported_and_the_rest_read() -> None:
    msg = message(1, attachments={"trasig.zip": b"PK\x03\x04" + b"\x00" * 40, "kunder.csv": b"Telefon\n070-174 06 05\n"})
    records, problems = read_one(as_bytes(msg))
    assert fields_of(records, "1.20240502@mail.example.se")["attachment:kunder.csv!line 2:Telefon"] == PHONE
    assert problems.count == 1 and "trasig.zip" in problems.messages[0]


def test_vanished_maildir_is_a_unit_error(tmp_path: Path) -> None:
    import shutil

    md = maildir(tmp_path / "Maildir", [as_bytes(message(1))])
    c = conn(tmp_path)
    (unit,) = list(c.units())
    shutil.rmtree(md / "new")
    with pytest.raises(ConnectorError, match="cannot list directory"):
        list(c.read(unit))


# --- Maildir chunks -----------------------------------------------------------------------------


def test_maildir_chunks_and_fingerprints(tmp_path: Path) -> None:
    md = maildir(tmp_path / "Maildir", [as_bytes(message(i)) for i in range(1, 6)])
    touch_all(md, MTIME)
    c = conn(tmp_path, chunk_messages=2)
    units = list(c.units())
    assert [u.key for u in units] == ["maildir:Maildir#0", "maildir:Maildir#1", "maildir:Maildir#2"]
    items = [sorted({r.location.item for r in c.read(u)}) for u in units]
    assert [len(i) for i in items] == [2, 2, 1]
    assert sum(items, []) == sorted(f"{i}.{20240501 + i}@mail.example.se" for i in range(1, 6))
    fps = {u.key: u.fingerprint for u in units}
    # reading a mail moves it from new/ to cur/ with flags: same unit, same fingerprint, still read
    first = sorted((md / "new").iterdir())[0]
    first.rename(md / "cur" / (first.name + ":2,S"))
    again = list(c.units())
    assert {u.key: u.fingerprint for u in again} == fps
    assert len({r.location.item for r in c.read(again[0])}) == 2
    # a changed message changes its chunk only
    second = sorted((md / "new").iterdir())[-1]
    second.write_bytes(as_bytes(message(5, body="ändrad\n")))
    changed = {u.key for u in c.units() if fps[u.key] != u.fingerprint}
    assert changed == {"maildir:Maildir#2"}


# --- Outlook .msg (made by aspose-email-foss, an independent MIT writer; read by extract-msg) ----


def outlook_msg(path: Path, *, with_id: bool = True) -> Path:
    from datetime import timezone

    try:
        import extract_msg  # noqa: F401 - the reader
        from aspose.email_foss import msg as amsg  # an independent .msg writer (MIT), for the tests only
    except ImportError as exc:
        need_service("Outlook .msg support", f"{exc.name} is not installed (pip install extract-msg aspose-email-foss)")

    m = amsg.MapiMessage.create("Lönespecifikation", f"Hej! Ring mig på {PHONE}.\nPersonnummer {PNR}\n")
    m.set_property(amsg.PropertyId.SENDER_NAME, "Åsa Öberg")
    m.set_property(amsg.PropertyId.SENDER_EMAIL_ADDRESS, SENDER)
    m.set_property(amsg.PropertyId.MESSAGE_DELIVERY_TIME, datetime(2024, 5, 1, 8, 30, tzinfo=timezone.utc))
    if with_id:
        m.set_property(amsg.PropertyId.INTERNET_MESSAGE_ID, "<outlook.1@mail.example.se>")
    m.add_recipient(RECIPIENT, display_name="Bo Berg")
    m.add_attachment("kunder.csv", f"Namn;Personnummer\nÅsa;{PNR}\n".encode(), mime_type="text/csv")
    m.save(str(path))
    return path


def test_outlook_msg_files(tmp_path: Path) -> None:
    outlook_msg(tmp_path / "brev.msg")
    (tmp_path / "trasig.msg").write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600)
    (tmp_path / "rapport.doc").write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600)  # OLE2, not mail: ignored
    c = conn(tmp_path)
    units = list(c.units())
    assert [u.key for u in units] == ["msg:.#0"]
    records: list[Record] = []
    with pytest.raises(ConnectorError) as err:
        for r in c.read(units[0]):
            records.append(r)
    assert "trasig.msg" in str(err.value) and "Outlook" in str(err.value)
    item = "outlook.1@mail.example.se"
    assert {r.location.container for r in records} == {"brev.msg"} and {r.location.item for r in records} == {item}
    f = fields_of(records, item)
    assert f["header:From"] == f"Åsa Öberg <{SENDER}>"
    assert f["header:To"] == f"Bo Berg <{RECIPIENT}>"
    assert f["header:Subject"] == "Lönespecifikation"
    assert f"Personnummer {PNR}" in f["body"]
    assert f["attachment:kunder.csv!line 2:Personnummer"] == PNR
    assert records[0].structured and records[0].fields[0][0] == "header:From"
    assert {r.record_date for r in records} == {datetime(2024, 5, 1, 8, 30)}


def test_pictures_are_not_read_but_their_names_are() -> None:
    msg = message(1)
    msg.add_attachment(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 300, maintype="image", subtype="png", filename=f"{PNR}.png")
    msg.add_attachment(b"PK\x03\x04" + b"\x00" * 30, maintype="image", subtype="png", filename="inte_en_bild.png")  # a zip in disguise
    records, problems = read_one(as_bytes(msg))
    f = fields_of(records, "1.20240502@mail.example.se")
    assert f[f"attachment:{PNR}.png"] == f"{PNR}.png"
    assert not any(k.startswith(f"attachment:{PNR}.png!") for k in f)
    assert problems.count == 1 and "inte_en_bild.png" in problems.messages[0]  # read as the zip it is (a damaged one)
