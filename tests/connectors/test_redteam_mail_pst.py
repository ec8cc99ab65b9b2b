"""Red-team: an Outlook .pst archive in a mail source is not passed over in silence (failed before its fix).

Archives are read now (tests/connectors/test_pst.py); one that cannot be
opened (here: a header and nothing else) is still a failed unit with its reason.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from connectors.base import ConnectorError
from connectors.mail import MailConnector
from tests.conftest import need_service
from tests.connectors.mailutil import as_bytes, message

PST_HEAD = b"!BDN" + b"\x00" * 508  # a Personal Folders File header, as far as a sniffer looks


def _libpff() -> None:
    try:
        import pypff  # noqa: F401
    except ImportError:
        need_service("libpff-python", "not installed (pip install 'pii-scan[mail]')")


def test_a_pst_archive_is_a_failed_unit_with_its_reason(tmp_path: Path) -> None:
    _libpff()
    (tmp_path / "inkorg.eml").write_bytes(as_bytes(message(1)))
    (tmp_path / "arkiv").mkdir()
    (tmp_path / "arkiv" / "Outlook 2019.pst").write_bytes(PST_HEAD)
    c = MailConnector("arkiv", {"type": "mail", "path": str(tmp_path)})
    units = {u.key: u for u in c.units()}
    assert set(units) == {"eml:.#0", "pst:arkiv/Outlook 2019.pst"}
    assert list(c.read(units["eml:.#0"]))
    with pytest.raises(ConnectorError, match="not readable as an Outlook archive"):
        list(c.read(units["pst:arkiv/Outlook 2019.pst"]))


def test_a_pst_given_as_the_path_is_a_failed_unit_not_a_config_error(tmp_path: Path) -> None:
    _libpff()
    (tmp_path / "backup.ost").write_bytes(PST_HEAD)
    c = MailConnector("arkiv", {"type": "mail", "path": str(tmp_path / "backup.ost")})
    (unit,) = list(c.units())
    with pytest.raises(ConnectorError, match="not readable as an Outlook archive"):
        list(c.read(unit))
