"""Red-team: mail stored as S3 objects (SES receipt rules, exported mboxes) is read as mail (failed before the fix).

Against the moto server of tests/conftest.py, as tests/connectors/test_s3.py.
"""

from __future__ import annotations

import base64

import pytest

pytest.importorskip("boto3")

from tests.connectors.fileutil import PHONE, PNR, PNR2  # noqa: E402
from tests.connectors.mailutil import as_bytes, mbox_bytes, message  # noqa: E402
from tests.connectors.test_s3 import conn, make_bucket, read_all, s3_client  # noqa: E402

SES_MAIL = (
    b"Return-Path: <asa@example.se>\nReceived: from mx by inbound-smtp.eu-west-1.amazonaws.com\n"
    b"From: =?utf-8?Q?=C3=85sa_=C3=96berg?= <asa@example.se>\nTo: support@example.se\nSubject: Ansokan\n"
    b"Message-ID: <ses.1@example.se>\nDate: Wed, 01 May 2024 10:30:00 +0200\nMIME-Version: 1.0\n"
    b"Content-Type: multipart/mixed; boundary=\"B\"\n\n"
    b"--B\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: base64\n\n"
    + base64.encodebytes(f"Mitt personnummer: {PNR}\n".encode())
    + b"--B\nContent-Type: text/csv; name=\"kunder.csv\"\nContent-Disposition: attachment; filename=\"kunder.csv\"\n"
    b"Content-Transfer-Encoding: base64\n\n"
    + base64.encodebytes(f"namn;personnummer\nBo;{PNR2}\n".encode())
    + b"--B--\n"
)


def test_an_ses_mail_object_is_read_as_mail(moto_s3: str) -> None:
    qp = b"From: a@example.se\nMessage-ID: <qp.2@example.se>\nContent-Type: text/plain\nContent-Transfer-Encoding: quoted-printable\n\n"
    qp += f"Ring {PHONE[:6]}=\n{PHONE[6:]}\n".encode()
    make_bucket(s3_client(moto_s3), "inkommande", {
        "mail/0k2vq3b0c7f1example": SES_MAIL,
        "mail/brev.eml": qp,
        "mail/anteckning": f"Bara text, personnummer {PNR}\n".encode(),  # no suffix, not mail: read as text
    })
    records, errors = read_all(conn(moto_s3, buckets=["inkommande"]))
    assert not errors
    got = {(r.location.container, r.location.item, f): t for r in records for f, t in r.fields}
    ses = "inkommande/mail/0k2vq3b0c7f1example"
    assert got[(ses, "ses.1@example.se", "header:From")] == "Åsa Öberg <asa@example.se>"
    assert got[(ses, "ses.1@example.se", "body")] == f"Mitt personnummer: {PNR}\n"
    assert got[(ses, "ses.1@example.se", "attachment:kunder.csv!line 2:personnummer")] == PNR2
    assert got[("inkommande/mail/brev.eml", "qp.2@example.se", "body")] == f"Ring {PHONE}\n"
    assert got[("inkommande/mail/anteckning", "1", "text")] == f"Bara text, personnummer {PNR}"
    assert {r.location.store for r in records} == {"s3"}
    hints = conn(moto_s3).field_hints(None)  # type: ignore[arg-type]
    assert hints.get("header:X-Kundnummer", "header:X-Kundnummer") == "X-Kundnummer"
    assert hints.get("personnummer", "personnummer") == "personnummer"


def test_an_mbox_object_is_one_unit_read_message_by_message(moto_s3: str) -> None:
    msgs = [as_bytes(message(i, body=f"Meddelande {i}\nFrom the desk: {PNR}\n")) for i in range(1, 4)]
    mbox = mbox_bytes(msgs)
    make_bucket(s3_client(moto_s3), "arkiv", {"export/inkorg.mbox": mbox})
    c = conn(moto_s3, buckets=["arkiv"], split_bytes=256)  # far smaller than the mbox: text would be split
    units = list(c.units())
    assert [u.key for u in units] == ["arkiv/export/inkorg.mbox"]
    records, errors = read_all(c)
    assert not errors
    bodies = {r.location.item: t for r in records for f, t in r.fields if f == "body"}
    assert bodies == {f"{i}.{20240501 + i}@mail.example.se": f"Meddelande {i}\nFrom the desk: {PNR}\n" for i in range(1, 4)}
    assert any(f == "envelope:From" for r in records for f, _ in r.fields)


def test_a_suffixless_note_with_header_like_lines_is_not_taken_for_mail(moto_s3: str) -> None:
    note = f"From: Åsa\nDate: 2024-05-01\nPersonnummer: {PNR}\n\nAnteckning\n".encode()
    make_bucket(s3_client(moto_s3), "noter", {"anteckningar/asa": note})
    records, errors = read_all(conn(moto_s3, buckets=["noter"]))
    assert not errors
    assert any(t == f"Personnummer: {PNR}" for r in records for _, t in r.fields)  # read as text, every line


def test_an_outlook_msg_object_is_read_as_mail(moto_s3: str, tmp_path) -> None:  # noqa: ANN001
    from tests.connectors.test_mail import outlook_msg  # an independent .msg writer; skips when it is missing

    data = outlook_msg(tmp_path / "brev.msg").read_bytes()
    make_bucket(s3_client(moto_s3), "outlook", {"export/brev.msg": data})
    records, errors = read_all(conn(moto_s3, buckets=["outlook"]))
    assert not errors
    got = {(r.location.item, f): t for r in records for f, t in r.fields}
    assert got[("outlook.1@mail.example.se", "header:Subject")] == "Lönespecifikation"
    assert got[("outlook.1@mail.example.se", "attachment:kunder.csv!line 2:Personnummer")] == PNR
