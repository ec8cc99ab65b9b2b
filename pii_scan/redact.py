"""Keeping identifiers out of names: containers, items, unit keys, failure reasons."""

from __future__ import annotations

import re
from typing import Any

from detectors import Scanner
from pii_scan.keys import Keys

_EXT_DOT = re.compile(r"\.(?=[A-Za-z0-9]{1,8}(?:$|[/!#:\\]))")  # the dot of a file extension
_DIGIT_OR_AT = re.compile(r"[0-9@]").search
# An item that is one address-shaped token: a mail's Message-ID (without its angle brackets),
# also where mail is kept as files or objects (connectors.formats.mailfile). No other item of a
# file or an object has that shape (line and row numbers, p1, Sheet:2, paragraph 3, @offset, $.path).
_MESSAGE_ID = re.compile(r"[^\s@<>]+@[^\s@<>]+")
# 10 or 12 digits, maybe with a separator before the last four: masked in a name whenever they are a valid
# personnummer, whatever the detectors' false-positive filters say (a name is only a label: a timestamp masked by
# mistake costs nothing, a personnummer left in plaintext does). ``lonespec_199108210023.csv``: the last four read as
# a time, so the detectors pass it over.
_PNR_SHAPED = re.compile(r"(?<![0-9])((?:[0-9]{2})?[0-9]{6})([-+ ._]?)([0-9]{4})(?![0-9])")


class _Masked:
    """A span of a name to mask that the detectors did not report (see :data:`_PNR_SHAPED`)."""

    __slots__ = ("start", "end", "masked", "kind")

    def __init__(self, start: int, end: int, masked: str) -> None:
        self.start, self.end, self.masked, self.kind = start, end, masked, "personnummer"


def _valid_pnr(digits: str) -> bool:
    from detectors.personnummer import is_valid

    return is_valid(digits) or is_valid(digits[:-4] + "+" + digits[-4:]) if len(digits) == 10 else is_valid(digits)


def may_hold(text: str) -> bool:
    """Whether a name may hold an identifier at all: 7 characters or more, with a digit (of any
    script, ``str.isdigit``) or an ``@``. Line numbers, row ids and short keys cannot."""
    if len(text) < 7:
        return False
    if text.isascii():  # the common case, in C: the ASCII digits are exactly 0-9
        return _DIGIT_OR_AT(text) is not None
    return any(ch.isdigit() or ch == "@" for ch in text)


def printable(text: str) -> str:
    """``text`` as storable UTF-8: undecodable bytes of a file name (``os.fsdecode``'s lone
    surrogates) are shown as ``\\xff`` escapes; the true name is kept encrypted."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    return text


class Redactor:
    """Keeps identifiers out of container and item names stored in the data map.

    A file called ``811228-9874_lönespec.pdf`` or a table keyed by e-mail
    would otherwise put a plaintext identifier into the map. Names are scanned
    with the same detectors; what they find is replaced by its masked form,
    and the original location is kept encrypted for authorised tools.
    Record keys are keyed hashes of the true location, never plain digests.
    """

    def __init__(self, scanner: Scanner, keys: Keys) -> None:
        self.scanner = scanner
        self.keys = keys
        self._h = keys.hasher()
        self._cache: dict[str, str] = {}

    def rkey(self, source: str, container: str, item: str) -> str:
        return self._h("record", f"{source}\x1f{container}\x1f{item}")[:32]

    def _mask_no_email(self, text: str) -> str:
        out = text
        for m in sorted(self.scanner.find(text), key=lambda m: m.start, reverse=True):
            if m.kind != "email":
                out = out[: m.start] + m.masked + out[m.end :]
        return out

    def _find(self, text: str) -> list:  # noqa: ANN401 - detectors.Match
        """Identifiers in a name, also where a file extension hides them (``anna@example.se.csv``).

        The dot before an extension is read as a space (same length, so the
        spans hold): ``example.se.csv`` is not an address, ``example.se csv`` ends one.
        And a valid personnummer of 10 or 12 digits is masked whatever the
        detectors' false-positive filters say (:data:`_PNR_SHAPED`).
        """
        found: list[Any] = list(self.scanner.find(text))
        alt = _EXT_DOT.sub(" ", text)
        if alt != text:
            for m in self.scanner.find(alt):
                if all(m.end <= f.start or m.start >= f.end for f in found):
                    found.append(m)
        for g in _PNR_SHAPED.finditer(text):
            if all(g.end() <= f.start or g.start() >= f.end for f in found) and _valid_pnr(g.group(1) + g.group(3)):
                found.append(_Masked(g.start(), g.end(), g.group(1) + (g.group(2) or "-") + "****"))
        return found

    def _mask(self, text: str) -> str:
        if not may_hold(text):
            return text
        cached = self._cache.get(text)
        if cached is not None:
            return cached
        out = text
        for m in sorted(self._find(text), key=lambda m: m.start, reverse=True):
            out = out[: m.start] + m.masked + out[m.end :]
        if len(self._cache) < 4096:
            self._cache[text] = out
        return out

    def unit_id(self, source: str, key: str) -> str:
        """Keyed id of a unit: unit keys are paths and object keys, which may hold identifiers."""
        return self._h("unit", f"{source}\x1f{key}")[:32]

    def mask(self, text: str | None) -> str | None:
        """``text`` with every identifier in it masked (for unit keys and failure reasons)."""
        return None if text is None else printable(self._mask(text))

    def field(self, name: str) -> str:
        """A field name with identifiers masked: a column or CSV header, an attachment's name can be one."""
        return self._mask(name)

    def redact(self, container: str, item: str, store: str = "") -> tuple[str, str, bytes | None]:
        c = printable(self._mask(container))
        # A mail's item is its Message-ID, which reads like an e-mail address but
        # is what an erasure job needs; identifiers other than addresses are still masked.
        # Mail kept as files or S3 objects has the same items; a SQL key never is one.
        message_id = store == "mail" or (store != "sql" and _MESSAGE_ID.fullmatch(item) is not None)
        i = printable(self._mask_no_email(item) if message_id else self._mask(item))
        if c == container and i == item:
            return container, item, None
        return c, i, self.keys.encrypt(container + "\x1f" + item)
