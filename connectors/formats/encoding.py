"""Text encodings: detection from the first bytes, and forgiving decoding.

Detection, cheapest first:

1. a byte-order mark (UTF-8, UTF-16, UTF-32);
2. valid UTF-8 (a sequence cut at the end of the sample is allowed);
3. a NUL pattern of UTF-16 without a mark (every other byte zero);
4. single-byte Western encodings: when the sample has bytes 0x80-0x9F, the
   candidates cp1252, cp850 (DOS) and mac_roman are scored by the letters they
   produce inside words (``l”ner`` is cp850's ``löner`` read as cp1252);
   without such bytes cp1252 and latin-1 decode alike and ``cp1252`` is named;
5. charset-normalizer, when installed, if nothing above fits.

Decoding never fails: the error handler ``pii-scan-fallback`` decodes a byte
that is invalid in the detected encoding as cp1252 (latin-1 for the five
bytes cp1252 leaves undefined), so a UTF-8 file with a stray cp1252 ``å`` deep
inside still reads as a person would read it.
"""

from __future__ import annotations

import codecs
import io
from typing import IO

FALLBACK = "pii-scan-fallback"

_BOMS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


def _fallback(exc: UnicodeError) -> tuple[str, int]:
    if not isinstance(exc, UnicodeDecodeError):
        raise exc
    bad = exc.object[exc.start : exc.end]
    out = []
    for b in bad:
        try:
            out.append(bytes([b]).decode("cp1252"))
        except UnicodeDecodeError:
            out.append(chr(b))
    return "".join(out), exc.end


try:  # registering the same function again is harmless: every process gets the same handler
    codecs.lookup_error(FALLBACK)
except LookupError:
    codecs.register_error(FALLBACK, _fallback)


def bom_encoding(head: bytes) -> str | None:
    for bom, name in _BOMS:
        if head.startswith(bom):
            return name
    return None


def _utf16_without_bom(head: bytes) -> str | None:
    sample = head[:4096]
    if len(sample) < 8:
        return None
    even, odd = sample[0::2], sample[1::2]
    zeros_even = even.count(0) / len(even)
    zeros_odd = odd.count(0) / len(odd)
    if zeros_odd > 0.4 and zeros_even < 0.05:
        return "utf-16-le"
    if zeros_even > 0.4 and zeros_odd < 0.05:
        return "utf-16-be"
    return None


def is_utf8(head: bytes, final: bool) -> bool:
    try:
        codecs.getincrementaldecoder("utf-8")("strict").decode(head, final)
    except UnicodeDecodeError:
        return False
    return True


_NORDIC = set("åäöÅÄÖéÉüÜæøÆØ")
_PUNCT = set("–—‘’‚“”„…•€«»°§´·\xa0™")


def _score(text: str) -> float:
    score = 0.0
    n = len(text)
    for i, ch in enumerate(text):
        if ord(ch) < 0x80:
            continue
        prev = text[i - 1] if i else " "
        nxt = text[i + 1] if i + 1 < n else " "
        near_letter = prev.isalpha() or nxt.isalpha()
        inside_word = prev.isalpha() and nxt.isalpha()
        if ch.isalpha():
            score += (3 if ch in _NORDIC else 1) + (1 if near_letter else 0)
        elif inside_word and ch not in "’´":
            score -= 3
        elif ch in _PUNCT:
            score += 0.5
        else:
            score -= 1
    return score


def _single_byte(head: bytes) -> tuple[str, float]:
    if not any(0x80 <= b <= 0x9F for b in head):
        return "cp1252", 1.0  # identical to latin-1 for these bytes
    best, best_score = "cp1252", float("-inf")
    for enc in ("cp1252", "cp850", "mac_roman"):
        s = _score(head.decode(enc, errors=FALLBACK))
        if s > best_score:
            best, best_score = enc, s
    return best, best_score


def detect_encoding(head: bytes, at_eof: bool = False) -> str:
    """The encoding of a text sample (the first bytes of a stream).

    >>> detect_encoding("Göran".encode("utf-8"))
    'utf-8'
    >>> detect_encoding(codecs.BOM_UTF8 + b"x")
    'utf-8-sig'
    >>> detect_encoding("Göran – lön".encode("cp1252"))
    'cp1252'
    >>> detect_encoding("Göran löner".encode("cp850"))
    'cp850'
    """
    enc = bom_encoding(head)
    if enc:
        return enc
    if is_utf8(head, at_eof):
        return "utf-8"
    enc = _utf16_without_bom(head)
    if enc:
        return enc
    enc, score = _single_byte(head)
    if score < 0:
        try:
            from charset_normalizer import from_bytes
        except ImportError:  # pragma: no cover - optional
            return enc
        best = from_bytes(head[:65536]).best()
        if best is not None and best.encoding:
            return best.encoding
    return enc


def text_stream(binary: IO[bytes], encoding: str) -> io.TextIOWrapper:
    """A text view of a binary stream: universal line ends kept as they are, never failing to decode."""
    return io.TextIOWrapper(binary, encoding=encoding, errors=FALLBACK, newline="")  # type: ignore[arg-type]


def decode(data: bytes, encoding: str) -> str:
    return data.decode(encoding, errors=FALLBACK)


def ascii_compatible(encoding: str) -> bool:
    """True if ``\\n`` is the single byte 0x0A and never part of another character."""
    return codecs.lookup(encoding).name not in {"utf-16", "utf-16-le", "utf-16-be", "utf-32", "utf-32-le", "utf-32-be"}


class _Utf8Raw(io.RawIOBase):
    """Raw bytes of a text stream re-encoded as UTF-8 (for byte-oriented parsers such as ijson)."""

    def __init__(self, text: IO[str]) -> None:
        super().__init__()
        self._text = text
        self._pending = b""

    def readable(self) -> bool:
        return True

    def readinto(self, b):  # type: ignore[no-untyped-def]
        view = memoryview(b).cast("B")
        while not self._pending:
            chunk = self._text.read(max(1, len(view) // 2))
            if not chunk:
                return 0
            self._pending = chunk.encode("utf-8", errors="surrogatepass")
        n = min(len(view), len(self._pending))
        view[:n] = self._pending[:n]
        self._pending = self._pending[n:]
        return n


def utf8_stream(binary: IO[bytes], encoding: str) -> io.BufferedReader:
    """The stream decoded from ``encoding`` (forgivingly, BOM dropped) and re-encoded as UTF-8."""
    tf = text_stream(binary, encoding)
    return io.BufferedReader(_Utf8Raw(tf), buffer_size=256 * 1024)
