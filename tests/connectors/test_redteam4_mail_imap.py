"""Red team 4, IMAP against a real Dovecot: a message the server cannot FETCH, folders with non-ASCII names."""

from __future__ import annotations

import glob
import os
from pathlib import Path

import pytest

from connectors.base import Record
from tests.conftest import Dovecot
from tests.connectors.fileutil import PNR
from tests.connectors.mailutil import as_bytes, message
from tests.connectors.test_imap import deliver, imap, read_unit


def _pnrs(records: list[Record]) -> set[str]:
    return {r.location.item for r in records for f, t in r.fields if f == "body" and PNR in t}


def test_a_message_the_server_cannot_fetch_is_reported_and_the_others_are_read(
    dovecot: Dovecot, imap_user: tuple[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    deliver(dovecot, imap_user, "INBOX", [as_bytes(message(n, body=f"Pnr {PNR}\n")) for n in range(1, 6)])
    box = os.path.join(dovecot.root, "mail", imap_user[0])
    files = glob.glob(os.path.join(box, "cur", "*")) + glob.glob(os.path.join(box, "new", "*"))
    assert len(files) == 5
    (third,) = [f for f in files if b"<3.20240504@mail.example.se>" in Path(f).read_bytes()]
    os.chmod(third, 0)  # the third message's file cannot be opened by the server (a broken store, a disk error)
    try:
        c = imap(dovecot, imap_user, monkeypatch)
        (unit,) = list(c.units())
        records, error = read_unit(c, unit)
    finally:
        os.chmod(third, 0o600)
    # before: Dovecot's BYE ended the batch and the connection, and the unit failed with nothing read
    assert _pnrs(records) == {f"{n}.{20240501 + n}@mail.example.se" for n in (1, 2, 4, 5)}, error
    assert error is not None and "1 part(s) not read" in error and "UID 3: the server failed to fetch" in error
    assert PNR not in error


def test_folders_with_non_ascii_names_are_listed_read_and_named_as_a_person_reads_them(
    dovecot: Dovecot, imap_user: tuple[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    deliver(dovecot, imap_user, "Ärenden", [as_bytes(message(1, body=f"Pnr {PNR}\n"))])
    c = imap(dovecot, imap_user, monkeypatch)
    units = [u for u in c.units() if u.param("folder") != "INBOX"]
    assert [u.param("folder") for u in units] == ["Ärenden"]  # modified UTF-7 (&AMQ-renden) on the wire
    records, error = read_unit(c, units[0])
    c.close()
    assert error is None
    assert {r.location.container for r in records} == {"Ärenden"}
    assert _pnrs(records) == {"1.20240502@mail.example.se"}


def test_a_message_the_server_leaves_out_of_its_answer_is_reported_unless_it_was_expunged(
    dovecot: Dovecot, imap_user: tuple[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A server that answers OK but leaves a message out (or sends it without its content): before, skipped in silence."""
    from imapclient import IMAPClient

    deliver(dovecot, imap_user, "INBOX", [as_bytes(message(n, body=f"Pnr {PNR}\n")) for n in range(1, 5)])
    real_fetch = IMAPClient.fetch

    def lossy_fetch(self, messages, data, modifiers=None):  # noqa: ANN001, ANN202
        got = real_fetch(self, messages, data, modifiers)
        if any(b"BODY" in (d if isinstance(d, bytes) else str(d).encode()) for d in data):
            got.pop(2, None)  # UID 2 left out of the answer
            if 3 in got:
                got[3] = {k: v for k, v in got[3].items() if not k.startswith(b"BODY")}  # UID 3 without its content
        return got

    monkeypatch.setattr(IMAPClient, "fetch", lossy_fetch)
    c = imap(dovecot, imap_user, monkeypatch)
    (unit,) = list(c.units())
    records, error = read_unit(c, unit)
    c.close()
    assert _pnrs(records) == {f"{n}.{20240501 + n}@mail.example.se" for n in (1, 4)}
    assert error is not None and "2 part(s) not read" in error, error
    assert "UID 2: the server returned no content" in error and "UID 3: the server returned no content" in error
    assert "larger than" not in error  # it is no oversize message
