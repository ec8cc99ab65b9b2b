"""Red team 4: ``lookup --batch`` files as Windows tools write them.

Notepad and Excel save UTF-8 with a byte-order mark, PowerShell 5's ``>`` and
``Out-File`` write UTF-16 with one, and both end lines with CRLF: every line is
a query and must be answered, the first one too.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from pii_scan.cli import main
from tests.test_redteam_subjects import FAR, MOR, family  # noqa: F401 - a fixture


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-16", "utf-16-be-bom", "utf-8"])
def test_a_batch_file_with_a_byte_order_mark_is_read(family: Path, tmp_path: Path, encoding: str) -> None:  # noqa: F811
    text = "\r\n".join([json.dumps({"kind": "personnummer", "value": FAR}),
                        json.dumps({"kind": "personnummer", "value": MOR, "id": "åäö"})]) + "\r\n"
    data = b"\xfe\xff" + text.encode("utf-16-be") if encoding == "utf-16-be-bom" else text.encode(encoding)
    batch = tmp_path / "q.jsonl"
    batch.write_bytes(data)
    res = CliRunner().invoke(main, ["lookup", "--config", str(family), "--batch", str(batch), "--format", "jsonl"])
    assert res.exit_code == 0, res.output
    out = [json.loads(x) for x in res.output.splitlines()]
    assert [o.get("error") for o in out] == [None, None], out
    assert [o["query"] for o in out] == [{"line": 1, "kind": "personnummer"},
                                         {"line": 2, "id": "åäö", "kind": "personnummer"}]
    assert all(o["locations"] for o in out)
