"""Detect personal data in a stream of text, line by line, in bounded memory."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date
from typing import IO

from detectors import Match, Scanner
from pii_scan.worker import scan_text


@dataclass(frozen=True, slots=True)
class DetectedLine:
    number: int  # 1-based line number
    offset: int  # character offset of the line in the whole input
    findings: tuple[Match, ...]


def decode_line(raw: bytes) -> str:
    """UTF-8 (with or without BOM), else Windows-1252: what Swedish exports are written in."""
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return raw.decode("cp1252", errors="replace")


def detect_lines(
    stream: IO[bytes] | Iterable[bytes],
    *,
    hint: str | None = None,
    ref_date: date | None = None,
    kinds: Iterable[str] | None = None,
    min_confidence: float = 0.5,
    max_line: int = 1 << 20,
) -> Iterator[DetectedLine]:
    """Yield the findings of each line that has any. Lines longer than
    ``max_line`` characters are scanned in overlapping slices, so one huge
    line never needs more than a bounded amount of memory per step."""
    scanner = Scanner(kinds, min_confidence=min_confidence)
    offset = 0
    for number, raw in enumerate(stream, start=1):
        text = decode_line(raw)
        found = tuple(scan_text(scanner, text, hint, ref_date, max_line))
        if found:
            yield DetectedLine(number, offset, found)
        offset += len(text)
