"""Erasure plan and execution. Being written (issue 6)."""

from __future__ import annotations

from typing import Any


def plan_command(cfg: Any, kind: str, value: str, *, fmt: str, output: str | None) -> int:
    raise NotImplementedError("erasure-plan")


def erase_command(plan_path: str, *, config_path: str | None, confirm: bool, output: str | None) -> int:
    raise NotImplementedError("erase")
