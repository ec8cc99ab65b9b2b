"""Golden-file comparison for the report tests.

``PII_SCAN_UPDATE_GOLDEN=1 python -m pytest tests/reports`` rewrites the golden
files from the current output; review the diff before committing it.
"""

from __future__ import annotations

import difflib
import os
from pathlib import Path

GOLDEN = Path(__file__).parent / "golden"


def check(name: str, text: str) -> None:
    path = GOLDEN / name
    if os.environ.get("PII_SCAN_UPDATE_GOLDEN") == "1":
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, "utf-8", newline="")
        return
    assert path.exists(), f"golden file {path} is missing (PII_SCAN_UPDATE_GOLDEN=1 writes it)"
    want = path.read_text("utf-8")
    if text != want:
        diff = "".join(difflib.unified_diff(want.splitlines(True), text.splitlines(True), "golden", "now", n=1))
        raise AssertionError(f"{name} differs from its golden file:\n{diff[:6000]}")
