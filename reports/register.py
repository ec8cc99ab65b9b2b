"""Report 'register'. Being written (issue 6)."""

from __future__ import annotations

from typing import Any


def run(cfg: Any, *, fmt: str, output: str | None) -> int:
    raise NotImplementedError("register")
