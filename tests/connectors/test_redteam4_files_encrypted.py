"""Red-team round 4: a password-protected XLSX/DOCX fails its unit with the reason, as an encrypted PDF does.

Office encrypts such a document into an OLE2 container (EncryptionInfo + EncryptedPackage);
before, its printable strings were "read" (noise), nothing was found and the unit counted
as scanned. Fictional values only.
"""

from __future__ import annotations

import io
import sys

import pytest

from connectors.base import ConnectorError, Location
from connectors.formats import read_stream
from tests.connectors.fileutil import NonSeekable

msoffcrypto = pytest.importorskip("msoffcrypto")


def _encrypted_xlsx() -> bytes:
    import openpyxl
    from msoffcrypto.format.ooxml import OOXMLFile

    wb = openpyxl.Workbook()
    wb.active.append(["Namn", "Personnummer"])
    wb.active.append(["Anna Berg", "811228-9874"])
    plain = io.BytesIO()
    wb.save(plain)
    plain.seek(0)
    out = io.BytesIO()
    OOXMLFile(plain).encrypt("hemligt", out)
    return out.getvalue()


def _read(body: object, name: str) -> list[object]:
    loc = lambda c, i: Location("files", "t", c, i)  # noqa: E731
    return list(read_stream(body, name, container=name, loc_factory=loc))


@pytest.mark.parametrize("olefile", ["installed", "missing"])
@pytest.mark.parametrize("seekable", [True, False])
def test_a_password_protected_workbook_fails_with_the_reason(olefile: str, seekable: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    if olefile == "missing":
        monkeypatch.setitem(sys.modules, "olefile", None)
    data = _encrypted_xlsx()
    with pytest.raises(ConnectorError, match="encrypted Office document, a password is needed"):
        _read(io.BytesIO(data) if seekable else NonSeekable(data), "lonelista.xlsx")


def test_an_encrypted_workbook_in_a_zip_is_a_reported_entry() -> None:
    import zipfile

    from connectors.formats import PartialRead

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("lon/lonelista.xlsx", _encrypted_xlsx())
        zf.writestr("lon/info.txt", "tel 070-174 06 05")
    with pytest.raises(PartialRead, match="encrypted Office document"):
        _read(io.BytesIO(buf.getvalue()), "lon.zip")


@pytest.mark.parametrize("magic", [b"7z\xbc\xaf\x27\x1c\x00\x04", b"Rar!\x1a\x07\x01\x00"])
def test_an_archive_that_cannot_be_opened_is_reported_not_skipped(magic: bytes) -> None:
    # a 7z or rar archive of exports: before, read as an unknown binary file (nothing, no problem)
    with pytest.raises(ConnectorError, match="archive, which pii-scan cannot open"):
        _read(io.BytesIO(magic + bytes(range(256)) * 8), "kunder_export.bin")
