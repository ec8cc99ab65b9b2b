"""A damaged Outlook .msg read from a sequential stream (a tar/gzip entry, an S3 body) has its printable strings read.

Before, the fallback to the strings reader asked the source for its stream
again after the .msg reader had spooled it, and the sequential source refused
('a sequential source is read once': 'msg reader failed (RuntimeError)').
On a seekable file (test_files_mail) it already worked. Fictional data.
"""

from __future__ import annotations

import io
import tarfile
from pathlib import Path

import pytest

from tests.connectors.fileutil import EMAIL
from tests.connectors.test_files import conn, read_all

DAMAGED_MSG = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600 + f"Kontakt {EMAIL} ".encode("utf-16-le") + b"\x00" * 64


def test_a_damaged_outlook_msg_in_a_tar_on_a_share_has_its_strings_read(tmp_path: Path) -> None:
    pytest.importorskip("extract_msg")
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        info = tarfile.TarInfo("export/trasig.msg")
        info.size = len(DAMAGED_MSG)
        tar.addfile(info, io.BytesIO(DAMAGED_MSG))
    share = tmp_path / "share"
    share.mkdir()
    (share / "post.tar.gz").write_bytes(buf.getvalue())
    records, errors = read_all(conn(share))
    assert "Outlook" in errors["post.tar.gz"] and "RuntimeError" not in errors["post.tar.gz"]
    assert any(EMAIL in t for r in records for _, t in r.fields)
