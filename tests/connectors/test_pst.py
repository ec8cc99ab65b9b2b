"""Outlook .pst/.ost archives (connectors.formats.pst).

Two kinds of test:

* The mapping from an archive's items to messages and records, on items
  with **fictional** values: small stand-ins with the methods of libpff-python's
  ``pypff.message``/``pypff.attachment``/record entries (no tool here writes a
  PST, so items with chosen values cannot be made in a real archive).
* The real library on a **real archive** written by Outlook: the ``.ost`` test
  archive of the MIT-licensed npm package pst-extractor 1.12.0 (its authors'
  test mailbox: meeting invitations, mails with text, JPEG and PDF
  attachments, a calendar with 160 holidays). It is fetched from the npm
  registry into a cache once (sha256 checked) and never committed; the tests
  check structure and counts and never print a value from it.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import tarfile
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest

from connectors.base import ConnectorError, Limits, Location
from connectors.formats import pst
from connectors.formats.core import Problems
from detectors.scan import Scanner
from tests.conftest import need_service
from tests.connectors.fileutil import EMAIL, PHONE, PNR

PACKAGE = "pst-extractor@1.12.0"
TGZ = "pst-extractor-1.12.0.tgz"
TGZ_SHA256 = "c4c9eb9e75d09171452a4706df7d0e0e49606c1ca04aa81f30417dd385ad0e30"
OST_MEMBER = "package/example/testdata/pstextractortest@outlook.com.ost"
CONTACT_PHONE = "08-123 456 78"
OTHER_EMAIL = "bo.berg@exempel.se"


# --- stand-ins for libpff-python's objects, with fictional values -----------------------------


class Entry:
    def __init__(self, tag: int, value: Any) -> None:
        self.entry_type = tag
        self.value = value
        if isinstance(value, str):
            self.value_type = 0x001F
        elif isinstance(value, datetime):
            self.value_type = 0x0040
        elif isinstance(value, list):
            self.value_type = 0x101F
        else:
            self.value_type = 0x0003

    def get_data_as_string(self) -> str:
        return self.value

    def get_data_as_datetime(self) -> datetime:
        return self.value

    def get_data_as_integer(self) -> int:
        return self.value

    def get_data(self) -> bytes:  # PT_MV_UNICODE: count, offsets, UTF-16 strings
        encoded = [s.encode("utf-16-le") for s in self.value]
        head = 4 + 4 * len(encoded)
        offsets, at = [], head
        for e in encoded:
            offsets.append(at)
            at += len(e)
        return len(encoded).to_bytes(4, "little") + b"".join(o.to_bytes(4, "little") for o in offsets) + b"".join(encoded)


class RecordSet:
    def __init__(self, props: dict[int, Any]) -> None:
        self.entries = [Entry(t, v) for t, v in props.items()]


class Attachment:
    def __init__(self, props: dict[int, Any], data: bytes = b"", item: Any = None) -> None:
        self.record_sets = [RecordSet(props)]
        self.data = data
        self.item = item
        self.at = 0
        self.reads: list[int] = []

    def get_size(self) -> int:
        return len(self.data)

    def seek_offset(self, n: int) -> None:
        self.at = n

    def read_buffer(self, n: int) -> bytes:
        self.reads.append(n)
        out = self.data[self.at : self.at + n]
        self.at += len(out)
        return out

    def get_number_of_sub_items(self) -> int:
        return 1 if self.item is not None else 0

    def get_sub_item(self, i: int) -> Any:
        return self.item


class Item:
    def __init__(self, ident: int, props: dict[int, Any], plain: bytes | None = None, html: bytes | None = None,
                 rtf: bytes | None = None, recipients: list[dict[int, Any]] | None = None,
                 attachments: list[Attachment] | None = None) -> None:
        self.ident = ident
        self.record_sets = [RecordSet(props)]
        self.plain, self.html, self.rtf = plain, html, rtf
        self.recipients = type("Recipients", (), {"record_sets": [RecordSet(r) for r in recipients or []]})()
        self.atts = attachments or []

    def get_identifier(self) -> int:
        return self.ident

    def get_plain_text_body(self) -> bytes | None:
        return self.plain

    def get_html_body(self) -> bytes | None:
        return self.html

    def get_rtf_body(self) -> bytes | None:
        return self.rtf

    def get_number_of_attachments(self) -> int:
        return len(self.atts)

    def get_attachment(self, i: int) -> Attachment:
        return self.atts[i]


class Folder:
    def __init__(self, ident: int, name: str, messages: list[Any], subs: list[Folder] | None = None) -> None:
        self.ident, self.name, self.messages, self.subs = ident, name, messages, subs or []

    def get_identifier(self) -> int:
        return self.ident

    def get_name(self) -> str:
        return self.name

    def get_number_of_sub_messages(self) -> int:
        return len(self.messages)

    def get_sub_message(self, i: int) -> Any:
        m = self.messages[i]
        if isinstance(m, Exception):
            raise m
        return m

    def get_number_of_sub_folders(self) -> int:
        return len(self.subs)

    def get_sub_folder(self, i: int) -> Folder:
        return self.subs[i]


class Archive:
    def __init__(self, root: Folder) -> None:
        self.root = root

    def get_root_folder(self) -> Folder:
        return self.root


WHEN = datetime(2024, 3, 5, 9, 30, tzinfo=timezone.utc)


def sent_mail(ident: int = 2097380) -> Item:
    """A mail from the Sent Items of an Exchange store: no internet headers, the sender's address an Exchange DN."""
    return Item(
        ident,
        {
            0x001A: "IPM.Note", 0x0037: "Ärende 4711", 0x0039: WHEN,
            0x0042: "Anna Andersson", 0x0065: "/o=ExchangeLabs/ou=Exchange Administrative Group/cn=anna", 0x5D01: EMAIL,
            0x1035: "<abc.123@exempel.se>",
        },
        plain=f"Hej Bo,\r\nmitt personnummer är {PNR}.\r\n".encode(),
        recipients=[{0x3001: "Bo Berg", 0x39FE: OTHER_EMAIL, 0x0C15: 1}, {0x3001: "Kundtjänst", 0x3003: "kundtjanst@exempel.se", 0x0C15: 2}],
        attachments=[Attachment({0x3705: 1, 0x3707: "kunder.csv", 0x370E: "text/csv"}, f"namn;telefon\r\nBo Berg;{PHONE}\r\n".encode())],
    )


def contact(ident: int = 2100000) -> Item:
    return Item(ident, {
        0x001A: "IPM.Contact", 0x3001: "Bo Berg", 0x3A06: "Bo", 0x3A11: "Berg", 0x3A1C: PHONE, 0x3A09: CONTACT_PHONE,
        0x8083: OTHER_EMAIL, 0x3A16: "Exempel AB", 0x3FFA: "Anna Andersson",
    })


def read(items: list[Any], *, max_message: int = 10 << 20) -> tuple[list[Any], Problems]:
    inbox = Folder(8578, "Inbox", items)
    arch = Archive(Folder(1, "", [], [Folder(2, "Top of Personal Folders", [], [inbox])]))
    problems = Problems()
    recs = list(pst.records(arch, "arkiv.pst", "mail/arkiv.pst", 8578, 0, len(items) - 1,
                            lambda c, i: Location("mail", "arkiv", c, i, ""), Limits(), max_message, problems))
    return recs, problems


def fields(recs: list[Any]) -> dict[str, str]:
    return {k: v for r in recs for k, v in r.fields}


def test_folders_are_listed_with_their_paths_and_counts() -> None:
    sub = Folder(9000, "Kunder/2024", [contact()])
    inbox = Folder(8578, "Inbox", [sent_mail(), sent_mail(2)], [sub])
    arch = Archive(Folder(1, "", [], [Folder(2, "Top of Personal Folders", [], [inbox, Folder(3, "Tom", [])])]))
    got = pst.folders(arch, "arkiv.pst")
    assert [(f.path, f.identifier, f.items) for f in got] == [
        ("Top of Personal Folders/Inbox", 8578, 2),
        ("Top of Personal Folders/Inbox/Kunder\u22152024", 9000, 1),  # a "/" in a name cannot pass for a level
    ]
    assert pst.find_folder(arch, "arkiv.pst", 9000)[1] == "Top of Personal Folders/Inbox/Kunder\u22152024"
    assert pst.find_folder(arch, "arkiv.pst", 4711) is None


def test_a_sent_mail_without_internet_headers_gets_them_from_its_properties() -> None:
    recs, problems = read([sent_mail()])
    assert not problems
    f = fields(recs)
    assert EMAIL in f["header:From"] and "ExchangeLabs" not in f["header:From"]  # the SMTP address, not the DN
    assert OTHER_EMAIL in f["header:To"] and "kundtjanst@exempel.se" in f["header:Cc"]
    assert f["header:Subject"] == "Ärende 4711"
    assert PNR in f["body"]
    assert PHONE in " ".join(v for k, v in f.items() if k.startswith("attachment:kunder.csv"))
    locs = {r.location for r in recs}
    assert {(l.container, l.item) for l in locs} == {("mail/arkiv.pst!Top of Personal Folders/Inbox", "abc.123@exempel.se")}
    assert all(r.ref_date == WHEN.date() for r in recs)
    found = {m.kind for r in recs for _, v in r.fields for m in Scanner(None).find(v)}
    assert {"personnummer", "email", "phone"} <= found


def test_internet_headers_outlook_kept_are_used_and_the_body_rebuilt() -> None:
    headers = ("Received: from mx.exempel.se\r\nFrom: Bo Berg <bo.berg@exempel.se>\r\nTo: anna.andersson@example.se\r\n"
               "Subject: =?utf-8?q?Fr=C3=A5ga?=\r\nMessage-ID: <x1@exempel.se>\r\nMIME-Version: 1.0\r\n"
               "Content-Type: multipart/alternative; boundary=\"orig\"\r\n")
    item = Item(5, {0x001A: "IPM.Note", 0x007D: headers, 0x3FDE: 28591}, html=f"<p>Ring {PHONE}</p>".encode("latin-1"))
    recs, _ = read([item])
    f = fields(recs)
    assert f["header:From"].endswith("<bo.berg@exempel.se>") and f["header:Subject"] == "Fråga"
    assert PHONE in f["body"]
    assert {r.location.item for r in recs} == {"x1@exempel.se"}


def test_an_item_without_message_id_is_named_by_its_entry_in_the_archive() -> None:
    item = Item(2104548, {0x001A: "IPM.Note", 0x0037: "Utkast"}, plain=f"ring {PHONE}".encode())
    recs, _ = read([item])
    assert {r.location.item for r in recs} == {"pst-entry:2104548"}


def test_a_contact_is_one_structured_record_of_its_properties() -> None:
    recs, _ = read([contact()])
    props = [r for r in recs if r.structured and "MobileTelephoneNumber" in dict(r.fields)]
    assert len(props) == 1
    f = dict(props[0].fields)
    assert f["MobileTelephoneNumber"] == PHONE and f["HomeTelephoneNumber"] == CONTACT_PHONE
    assert f["named:0x8083"] == OTHER_EMAIL  # a named property: its tag in that archive, its value read
    assert "Anna Andersson" not in f.values()  # the last modifier (the archive's owner) is not the contact
    assert props[0].location.item == "pst-entry:2100000"


def test_multi_valued_text_properties_are_read() -> None:
    item = Item(7, {0x001A: "IPM.Contact", 0x3A4A: [EMAIL, OTHER_EMAIL]})
    recs, _ = read([item])
    assert fields(recs)["ContactEmailAddresses"] == f"{EMAIL}, {OTHER_EMAIL}"


def test_rtf_only_body_is_read_as_text() -> None:
    rtf = rb"{\rtf1\ansi{\fonttbl{\f0 Arial;}}\f0 Personnummer " + PNR.encode() + rb"\par}"
    recs, _ = read([Item(8, {0x001A: "IPM.Appointment", 0x0037: "M\u00f6te"}, rtf=rtf)])
    assert PNR in fields(recs)["body"]


def test_attached_outlook_item_is_read_as_a_forwarded_message() -> None:
    inner = sent_mail(99)
    outer = Item(10, {0x001A: "IPM.Note", 0x0037: "VB: Ärende", 0x1035: "<outer@exempel.se>"}, plain=b"Se nedan.",
                 attachments=[Attachment({0x3705: 5}, item=inner)])
    recs, problems = read([outer])
    assert not problems
    f = fields(recs)
    assert any(PNR in v for k, v in f.items() if k != "body" and "body" in k)
    assert any(EMAIL in v for k, v in f.items() if k.startswith("header[") and k.endswith(":From"))


def test_large_attachment_is_streamed_in_pieces_not_held() -> None:
    data = (f"{PHONE}\n" * 300_000).encode()  # ~4.2 MB
    att = Attachment({0x3705: 1, 0x3707: "stor.txt"}, data)
    item = Item(11, {0x001A: "IPM.Note", 0x1035: "<big@exempel.se>"}, plain=b"bifogat", attachments=[att])
    built = pst.build_item(item, 0, 100 << 20, lambda what: None)
    assert not isinstance(built.message, bytes)  # larger than the spool: a file, read as it is parsed
    assert max(att.reads) <= pst.PIECE and len(att.reads) >= 4
    built.message.close()  # type: ignore[union-attr]


def test_oversized_item_has_only_its_header_read_and_reported() -> None:
    item = Item(12, {0x001A: "IPM.Note", 0x0037: "Stor", 0x5D01: EMAIL}, plain=b"x" * 50_000)
    recs, problems = read([item], max_message=10_000)
    assert "larger than max_message_bytes" in str(problems)
    f = fields(recs)
    assert EMAIL in f["header:From"] and "body" not in f


def test_a_damaged_item_is_reported_and_the_rest_read() -> None:
    recs, problems = read([OSError("libpff: unable to read item"), sent_mail()])
    assert "item 1: cannot be read (OSError)" in str(problems)
    assert PNR in fields(recs)["body"]


# --- the real library on a real archive --------------------------------------------------------


@pytest.fixture(scope="session")
def outlook_ost(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The .ost test archive of pst-extractor 1.12.0 from the npm registry (cached, sha256 checked)."""
    try:
        import pypff  # noqa: F401
    except ImportError:
        need_service("libpff-python", "not installed (pip install 'pii-scan[mail]')")
    cache = Path(os.environ.get("PII_SCAN_TEST_CACHE", Path.home() / ".cache" / "pii-scan-tests"))
    cache.mkdir(parents=True, exist_ok=True)
    tgz = cache / TGZ
    if not tgz.exists() or hashlib.sha256(tgz.read_bytes()).hexdigest() != TGZ_SHA256:
        npm = shutil.which("npm")
        if npm is None:
            need_service("npm", "needed to fetch the Outlook test archive (pst-extractor) from the npm registry")
        try:
            subprocess.run([npm, "pack", PACKAGE, "--pack-destination", str(cache)], check=True, capture_output=True, timeout=300)
        except (subprocess.CalledProcessError, subprocess.TimeoutExpired) as exc:
            need_service("the npm registry", f"npm pack {PACKAGE} failed ({type(exc).__name__})")
    digest = hashlib.sha256(tgz.read_bytes()).hexdigest()
    assert digest == TGZ_SHA256, f"{TGZ} is not the package the tests were written for"
    out = tmp_path_factory.mktemp("ost") / "test.ost"
    with tarfile.open(tgz) as tar:
        member = tar.extractfile(OST_MEMBER)
        assert member is not None
        out.write_bytes(member.read())
    return out


def test_real_archive_folders_and_items(outlook_ost: Path) -> None:
    pf = pst.open_archive(str(outlook_ost), "test.ost")
    got = {f.path.rsplit("/", 1)[-1]: f.items for f in pst.folders(pf, "test.ost")}
    assert got["Inbox"] == 10 and got["Sent Items"] == 2 and got["Calendar"] == 9 and got["United States holidays"] == 160


def test_real_archive_is_read_whole_without_problems(outlook_ost: Path) -> None:
    pf = pst.open_archive(str(outlook_ost), "test.ost")
    problems = Problems()
    recs = []
    for f in pst.folders(pf, "test.ost"):
        recs += list(pst.records(pf, "test.ost", "test.ost", f.identifier, 0, f.items - 1,
                                 lambda c, i: Location("mail", "s", c, i, ""), Limits(), 100 << 20, problems))
    assert not problems, problems
    inbox = [r for r in recs if r.location.container == "test.ost!Root - Mailbox/IPM_SUBTREE/Inbox"]
    assert len({r.location.item for r in inbox}) == 10  # ten mails, each its own item
    names = {k for r in inbox for k, _ in r.fields}
    # the text attachment, the PDF (its text) and the HTML bodies are read
    assert any(k.startswith("attachment:") and k.endswith(".txt") for k in names)
    assert any(k.startswith("attachment:") and ".pdf" in k for k in names)
    assert "body" in names and "header:From" in names
    assert sum(1 for r in recs for k, _ in r.fields if k == "header:From") >= 170  # every item has a sender
    emails = [m for r in inbox for k, v in r.fields if k == "header:From" for m in Scanner(None).find(v) if m.kind == "email"]
    assert len(emails) >= 8


def test_not_an_archive_is_a_clear_error(tmp_path: Path) -> None:
    pytest.importorskip("pypff")
    bad = tmp_path / "trasig.pst"
    bad.write_bytes(pst.PST_MAGIC + b"\x00" * 600)
    with pytest.raises(ConnectorError, match="not readable as an Outlook archive"):
        pst.open_archive(str(bad), "trasig.pst")


# --- the mail connector over a folder holding an archive -------------------------------------------


def test_mail_source_reads_an_archive_folder_by_folder(outlook_ost: Path, tmp_path: Path) -> None:
    from connectors.mail import MailConnector
    from tests.connectors.mailutil import as_bytes, message

    (tmp_path / "arkiv").mkdir()
    shutil.copy(outlook_ost, tmp_path / "arkiv" / "Outlook 2021.ost")
    (tmp_path / "inkorg.eml").write_bytes(as_bytes(message(1)))
    c = MailConnector("post", {"type": "mail", "path": str(tmp_path), "chunk_messages": 100})
    units = {u.key: u for u in c.units()}
    pst_units = sorted(k for k in units if k.startswith("pst:"))
    assert "pst:arkiv/Outlook 2021.ost#Root - Mailbox/IPM_SUBTREE/Inbox#0" in pst_units
    # 160 holidays in chunks of 100 items: two units
    assert [k for k in pst_units if "United States holidays" in k] == [
        "pst:arkiv/Outlook 2021.ost#Root - Mailbox/IPM_SUBTREE/Calendar/United States holidays#0",
        "pst:arkiv/Outlook 2021.ost#Root - Mailbox/IPM_SUBTREE/Calendar/United States holidays#1",
    ]
    assert {u.fingerprint for u in c.units()} == {u.fingerprint for u in units.values()}  # stable
    recs = [r for k in pst_units for r in c.read(units[k])]
    inbox = {r.location.item for r in recs if r.location.container == "arkiv/Outlook 2021.ost!Root - Mailbox/IPM_SUBTREE/Inbox"}
    assert len(inbox) == 10
    holidays = {r.location.item for r in recs if r.location.container.endswith("United States holidays")}
    assert len(holidays) == 160
    assert all(r.location.store == "mail" and r.location.source == "post" for r in recs)


def test_files_source_reads_an_archive_on_a_share(outlook_ost: Path, tmp_path: Path) -> None:
    from connectors.files import FilesConnector

    (tmp_path / "backup").mkdir()
    shutil.copy(outlook_ost, tmp_path / "backup" / "gammal_post.bin")  # by content, whatever the name
    c = FilesConnector("share", {"type": "files", "path": str(tmp_path)})
    recs = [r for u in c.units() for r in c.read(u)]
    boxes = {r.location.container for r in recs}
    assert "backup/gammal_post.bin!Root - Mailbox/IPM_SUBTREE/Inbox" in boxes
    inbox = {r.location.item for r in recs if r.location.container.endswith("IPM_SUBTREE/Inbox")}
    assert len(inbox) == 10 and all(r.location.store == "files" for r in recs)
