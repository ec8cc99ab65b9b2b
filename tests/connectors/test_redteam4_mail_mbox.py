"""Red team 4: an mbox whose writer put no empty line before the next message's From_ line."""

from __future__ import annotations

from pathlib import Path

import pytest

import connectors.mail as mail
from tests.connectors.test_redteam_mail_mbox import bodies, read

PNR = "811228-9874"  # fictional, valid check digit


def mbox(n: int, eol: str = "\n") -> bytes:
    out = ""
    for i in range(1, n + 1):
        out += (
            f"From avs{i}@example.se Wed May  1 08:30:0{i % 10} 2024\nFrom: Avs <avs{i}@example.se>\nTo: m@example.se\n"
            f"Subject: m{i}\nMessage-ID: <nb{i}@mail.example.se>\n\nPnr {PNR} nr {i}\n"
            f"From the desk of Avs: ring {i}\n"  # an unquoted body line: no message start (no date, no header after it)
        )
    return out.replace("\n", eol).encode()


EXPECTED = {f"nb{i}@mail.example.se": f"Pnr {PNR} nr {i}\nFrom the desk of Avs: ring {i}" for i in range(1, 7)}


@pytest.mark.parametrize("eol", ["\n", "\r\n"])
@pytest.mark.parametrize("block", [1 << 20, 23, 64])
def test_messages_without_an_empty_line_between_them_are_told_apart(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, eol: str, block: int
) -> None:
    monkeypatch.setattr(mail, "BLOCK", block)
    (tmp_path / "a.mbox").write_bytes(mbox(6, eol))
    records, errors = read(tmp_path / "a.mbox")
    assert not errors
    got = {k: v.replace("\r\n", "\n").rstrip("\n") for k, v in bodies(records).items()}
    assert got == EXPECTED  # before: one message, the other five read as its body under its Message-ID


def test_split_points_may_fall_on_such_a_from_line(tmp_path: Path) -> None:
    (tmp_path / "a.mbox").write_bytes(mbox(6))
    records, errors = read(tmp_path / "a.mbox", split_bytes=150)
    assert not errors
    got = {k: v.rstrip("\n") for k, v in bodies(records).items()}
    assert got == EXPECTED
    assert len([r for r in records if any(f == "body" for f, _ in r.fields)]) == 6  # each message read once
