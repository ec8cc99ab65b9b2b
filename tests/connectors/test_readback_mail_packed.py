"""Reading back mail that the scan found in a Dovecot dbox file or in a mailbox packed in an archive.

The subject access report reads every location back from its source; the mail
connector learned to read dbox files and archives (export.zip, inbox.mbox.gz),
and the read-back has to find those messages again, or the report says the
mailbox is 'no longer a mailbox' for a message that is still there.
"""

from __future__ import annotations

import gzip
import io
import zipfile
from pathlib import Path

from connectors.readback import read_mail
from tests.connectors.test_mail import conn as mail_conn
from tests.connectors.test_mail import read_all as mail_read_all
from tests.connectors.test_redteam4_mail_files import MESSAGE, PNR, _dbox


def _estate(root: Path) -> None:
    (root / "vmail" / "INBOX" / "dbox-Mails").mkdir(parents=True)
    (root / "vmail" / "INBOX" / "dbox-Mails" / "u.1").write_bytes(_dbox([MESSAGE.replace(b"emlx.1@", b"d1@")]))
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("export/1.eml", MESSAGE.replace(b"emlx.1@", b"zip1@"))
    (root / "export-2023.zip").write_bytes(buf.getvalue())
    mbox = b"From asa@example.se Wed May  1 08:30:00 2024\n" + MESSAGE.replace(b"emlx.1@", b"gz1@") + b"\n"
    (root / "inbox.mbox.gz").write_bytes(gzip.compress(mbox))


def test_messages_in_dbox_files_and_archives_are_read_back(tmp_path: Path) -> None:
    root = tmp_path / "arkiv"
    root.mkdir()
    _estate(root)
    records, errors = mail_read_all(mail_conn(root))
    assert not errors, errors
    found = sorted({(r.location.container, r.location.item) for r in records if r.location.item})  # not the entry's name
    assert len(found) == 3, found  # the scan's locations: one message in each
    got = read_mail("arkiv", {"type": "mail", "path": str(root)}, found + [("export-2023.zip!export/1.eml", "gone@example.se")])
    for loc in found:
        rb = got[loc]
        assert rb.ok, (loc, rb.reason)
        assert any(v == f"Mitt personnummer: {PNR}\n" for _f, v in rb.fields), (loc, rb.fields)
    missing = got[("export-2023.zip!export/1.eml", "gone@example.se")]
    assert not missing.ok and "no longer in the mailbox" in missing.reason


def test_a_packed_mailbox_given_as_the_source_path_is_read_back(tmp_path: Path) -> None:
    _estate(tmp_path)
    path = tmp_path / "inbox.mbox.gz"
    records, errors = mail_read_all(mail_conn(path))
    assert not errors, errors
    (loc,) = {(r.location.container, r.location.item) for r in records if r.location.item}
    rb = read_mail("arkiv", {"type": "mail", "path": str(path)}, [loc])[loc]
    assert rb.ok, rb.reason
