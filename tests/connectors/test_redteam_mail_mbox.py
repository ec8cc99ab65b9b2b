"""Red-team: an mbox whose writer did not quote body lines starting with 'From ' (mboxo) (each failed before its fix)."""

from __future__ import annotations

from pathlib import Path

import pytest

import connectors.mail as mail
from connectors.base import ConnectorError, Record
from connectors.mail import MailConnector
from tests.connectors.fileutil import PNR

FROM_ = b"From asa@example.se Wed May  1 08:30:00 2024\n"


def mbox(n: int = 4) -> bytes:
    out = b""
    for i in range(1, n + 1):
        out += (FROM_ if i % 2 else b"From -\n") + (  # a From_ line without a date, before a header, still starts a message
            f"From: asa@example.se\nMessage-ID: <m{i}@example.se>\nSubject: s{i}\n\nHej {i}\n\n"
            f"From the desk of Asa: {PNR}\nmore {i}\n\n"
        ).encode()
    return out


def read(path: Path, **config: object) -> tuple[list[Record], list[str]]:
    c = MailConnector("arkiv", {"type": "mail", "path": str(path), **config})
    out: list[Record] = []
    errors: list[str] = []
    for unit in c.units():
        try:
            out.extend(c.read(unit))
        except ConnectorError as exc:
            errors.append(str(exc))
    return out, errors


def bodies(records: list[Record]) -> dict[str, str]:
    return {r.location.item: t for r in records for f, t in r.fields if f == "body"}


EXPECTED = {f"m{i}@example.se": f"Hej {i}\n\nFrom the desk of Asa: {PNR}\nmore {i}\n" for i in range(1, 5)}


def test_an_unquoted_from_line_in_a_body_does_not_start_a_message(tmp_path: Path) -> None:
    (tmp_path / "a.mbox").write_bytes(mbox())
    records, errors = read(tmp_path / "a.mbox")
    assert not errors  # before: 'no header: not a mail message', and the line's personnummer was lost
    assert bodies(records) == EXPECTED
    assert {r.location.item for r in records} == set(EXPECTED)


@pytest.mark.parametrize("block", [7, 16, 33, 64, 101, 128])
def test_the_from_line_check_across_block_boundaries(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, block: int) -> None:
    monkeypatch.setattr(mail, "BLOCK", block)
    (tmp_path / "a.mbox").write_bytes(mbox())
    records, errors = read(tmp_path / "a.mbox")
    assert not errors and bodies(records) == EXPECTED


def test_split_points_are_not_put_at_an_unquoted_from_line(tmp_path: Path) -> None:
    (tmp_path / "a.mbox").write_bytes(mbox(12))
    records, errors = read(tmp_path / "a.mbox", split_bytes=60)
    assert not errors
    got = bodies(records)
    assert len(got) == 12 and all("From the desk of Asa" in t for t in got.values())


def test_an_oversize_message_with_an_unquoted_from_line_is_skipped_whole(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(mail, "BLOCK", 16)
    (tmp_path / "a.mbox").write_bytes(mbox())
    records, errors = read(tmp_path / "a.mbox", max_message_bytes=100)
    assert len(errors) == 1 and "4 part(s) not read" in errors[0]  # each message once, none cut in two
    assert {r.location.item for r in records} == set(EXPECTED)


@pytest.mark.parametrize("block", [5, 7, 13, 29])
def test_a_message_just_under_the_cap_is_not_oversize_while_the_next_from_line_is_checked(
    monkeypatch: pytest.MonkeyPatch, block: int
) -> None:
    import io

    monkeypatch.setattr(mail, "BLOCK", block)
    one = FROM_ + b"From: a@example.se\nMessage-ID: <u@example.se>\n\nHej\n"
    data = one + b"\n" + one + b"\n" + one
    got = list(mail.mbox_messages(io.BytesIO(data), 0, len(data), len(one) + 3))
    assert [(size, oversize) for _, _, size, oversize, _ in got] == [(len(one) + 1, False)] * 2 + [(len(one), False)]
