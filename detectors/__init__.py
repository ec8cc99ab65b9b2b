"""Detectors for personal data in text, Swedish identifiers first.

Each kind lives in its own module with a python-stdnum-like checking API
(``compact``, ``validate``, ``is_valid``, ``format``) plus ``find()``.
All finders run through one combined prefilter (:mod:`detectors.scan`), so
scanning for every kind costs close to one pass over the text.

This package has no I/O and no module-level mutable state: it runs the same
in a thread, a process or a Dask worker.
"""

from __future__ import annotations

from detectors.base import (
    InvalidChecksum,
    InvalidComponent,
    InvalidFormat,
    InvalidLength,
    Match,
    ValidationError,
)
from detectors.scan import KINDS, Scanner, find_all

__all__ = [
    "KINDS",
    "InvalidChecksum",
    "InvalidComponent",
    "InvalidFormat",
    "InvalidLength",
    "Match",
    "Scanner",
    "ValidationError",
    "find_all",
]

__version__ = "0.1.0"
