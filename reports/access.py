"""Subject access report (registerutdrag). Being written (issue 6)."""

from __future__ import annotations

from typing import Any


def run(cfg: Any, kind: str, value: str, *, fmt: str, lang: str, output: str | None) -> int:
    raise NotImplementedError("access-report")
