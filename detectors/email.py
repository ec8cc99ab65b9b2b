"""Placeholder while the module is being written (replaced in this session)."""
from __future__ import annotations
KIND = "email"
PERSONAL = True
def match_at(t, start, end, ctx):
    return iter(())
