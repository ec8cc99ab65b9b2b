"""Mail in a bucket is read by the same code as mail on a file share (connectors.formats.mailfile).

Before, the S3 connector had its own mail path for keys without a suffix or
with a mail suffix: a damaged Outlook .msg failed its unit (on a share: it is
reported and its printable strings are read), and an object starting with a
'From ' line that starts no message was read as an mbox (on a share: as text).
Against the moto server of tests/conftest.py. All data is fictional.
"""

from __future__ import annotations

from pathlib import Path

import pytest

pytest.importorskip("boto3")

from connectors.base import Record  # noqa: E402
from tests.connectors.fileutil import EMAIL, PNR  # noqa: E402
from tests.connectors.test_files import conn as files_conn  # noqa: E402
from tests.connectors.test_files import read_all as files_read_all  # noqa: E402
from tests.connectors.test_redteam_s3_mail import SES_MAIL  # noqa: E402
from tests.connectors.test_s3 import conn, make_bucket, read_all, s3_client  # noqa: E402

DAMAGED_MSG = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600 + f"Kontakt {EMAIL} ".encode("utf-16-le") + b"\x00" * 64
DESK_NOTE = f"From the desk of Åsa Öberg\nmitt personnummer är {PNR}\n\nHälsningar\n".encode()

OBJECTS = {
    "ses-mail": SES_MAIL,  # SES: no suffix
    "notes": DESK_NOTE,  # no suffix, 'From ' but no mbox
    "brev.mbox": DESK_NOTE,  # mail suffix, 'From ' but no mbox
    "trasig.msg": DAMAGED_MSG,
}


def _fields(records: list[Record], prefix: str) -> set[tuple[str, str, str, str]]:
    return {(r.location.container.removeprefix(prefix), r.location.item, f, t) for r in records for f, t in r.fields if f != "path"}


@pytest.mark.parametrize("key", sorted(OBJECTS))
def test_mail_in_a_bucket_reads_as_mail_on_a_share(moto_s3: str, tmp_path: Path, key: str) -> None:
    if key.endswith(".msg"):
        pytest.importorskip("extract_msg")
    share = tmp_path / "share"
    share.mkdir()
    (share / key).write_bytes(OBJECTS[key])
    make_bucket(s3_client(moto_s3), "post", {key: OBJECTS[key]})

    s3_records, s3_errors = read_all(conn(moto_s3, buckets=["post"]))
    file_records, file_errors = files_read_all(files_conn(share))

    assert _fields(s3_records, "post/") == _fields(file_records, "")
    assert {k.removeprefix("post/"): v.replace("post/", "") for k, v in s3_errors.items()} == file_errors
    assert all(PNR not in v and EMAIL not in v for v in s3_errors.values())


def test_a_damaged_outlook_msg_object_is_reported_and_its_strings_read(moto_s3: str) -> None:
    pytest.importorskip("extract_msg")
    make_bucket(s3_client(moto_s3), "outlook", {"export/trasig.msg": DAMAGED_MSG})
    records, errors = read_all(conn(moto_s3, buckets=["outlook"]))
    err = errors["outlook/export/trasig.msg"]
    assert "trasig.msg" in err and "Outlook" in err and "example" not in err
    assert any(EMAIL in t for r in records for _, t in r.fields)


def test_a_from_line_that_starts_no_message_is_text(moto_s3: str) -> None:
    make_bucket(s3_client(moto_s3), "noter", {"arkiv.mbox": DESK_NOTE, "anteckning": DESK_NOTE})
    records, errors = read_all(conn(moto_s3, buckets=["noter"]))
    assert not errors
    for container in ("noter/arkiv.mbox", "noter/anteckning"):
        got = {(r.location.item, f): t for r in records if r.location.container == container for f, t in r.fields}
        assert got[("2", "text")] == f"mitt personnummer är {PNR}"


def test_max_message_bytes_still_bounds_a_mail_object(moto_s3: str) -> None:
    make_bucket(s3_client(moto_s3), "stor", {"inkorg/ses-mail": SES_MAIL})
    records, errors = read_all(conn(moto_s3, buckets=["stor"], max_message_bytes=200))
    assert "larger than max_message_bytes" in errors["stor/inkorg/ses-mail"]
    assert any(f == "header:From" and t == "Åsa Öberg <asa@example.se>" for r in records for f, t in r.fields)
    assert not any(f == "body" for r in records for f, _ in r.fields)  # only the header was read

