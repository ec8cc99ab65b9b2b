"""Text normalisation with an offset map back to the original text.

Detectors see NFKC-normalised text in which the odd separators of real
documents are plain: NBSP, thin and narrow spaces become a space; non-breaking
hyphen, en and em dash and minus sign become ``-``; full-width digits become
ASCII digits. Spans found in the normalised text are mapped back so that every
reported ``start``/``end`` points into the text the caller gave.

Only runs of non-ASCII characters are touched, so ASCII text costs nothing.
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_right
from dataclasses import dataclass
from functools import lru_cache

# A run of non-ASCII characters, with the printable ASCII character before it:
# NFKC composes a combining mark with its base letter (decomposed "A\u030a" -> "Å").
_NON_ASCII = re.compile(r"[\x21-\x7e]?[^\x00-\x7f]+")

# Applied after NFKC. NFKC already maps NBSP/thin space/narrow NBSP to ' ' and
# full-width digits to ASCII; dashes are left to us.
_AFTER_NFKC = str.maketrans(
    {
        "\u2010": "-",  # hyphen
        "\u2011": "-",  # non-breaking hyphen
        "\u2012": "-",  # figure dash
        "\u2013": "-",  # en dash
        "\u2014": "-",  # em dash
        "\u2212": "-",  # minus sign
        "\u00ad": "",  # soft hyphen
        "\u200b": "",  # zero-width space
        "\u2060": "",  # word joiner
        "\ufeff": "",  # BOM / zero-width no-break space
    }
)


_DASH_CHARS = tuple(k if isinstance(k, str) else chr(k) for k in _AFTER_NFKC)

# Percent escapes of a URL or form value that stand for a separator or a sign between the parts of a number
# or around it (url_escapes=True): "070%20123%2045%2067", "tel%3A%2B4670...", "pnr%3D811228%2D9874". Not
# "%40" (the e-mail detector reads it as an "@" itself), not "%25" (decoding it would make new escapes).
_URL_ESCAPES = {"%20": " ", "%2B": "+", "%2D": "-", "%2F": "/", "%3A": ":", "%3D": "=", "%26": "&", "%3F": "?",
                "%2C": ",", "%28": "(", "%29": ")", "%3B": ";", "%2E": "."}
_URL_ESCAPES.update({k.lower(): v for k, v in _URL_ESCAPES.items()})
# The JSON and JavaScript escapes of the same separators (and of the dashes and spaces NFKC and
# _AFTER_NFKC unify), decoded with them: a JSON writer with ensure_ascii (Python's json.dumps)
# writes "811228\u20139874", "070\u00a0123\u00a045\u00a067". Not letters, quotes or "@".
_JSON_ESCAPES = {
    **dict.fromkeys(("2010", "2011", "2012", "2013", "2014", "2212", "002d"), "-"),
    **dict.fromkeys(("0020", "00a0", "2007", "2009", "202f"), " "),
    "002b": "+", "002f": "/", "0028": "(", "0029": ")", "00ad": "", "200b": "",
}
_URL_ESCAPES.update({"\\u" + k: v for k, v in _JSON_ESCAPES.items()})
_URL_ESCAPES.update({"\\u" + k.upper(): v for k, v in _JSON_ESCAPES.items()})
_URL_ESCAPE = re.compile("|".join(re.escape(k) for k in sorted(_URL_ESCAPES)))
# HTML character references of the spaces, dashes and signs between the parts of a number
# (html_entities=True): a rich-text editor's "070&nbsp;123&nbsp;45&nbsp;67", "811228&#45;9874",
# kept as written in a database column or a CSV field. Not &amp; &lt; &gt; &quot; (decoding
# them would make new markup or escapes), not "&#64;" and "&#46;" (the e-mail detector reads them).
_HTML_ENTITIES = {
    **dict.fromkeys(("&nbsp;", "&#160;", "&#xa0;", "&ensp;", "&emsp;", "&thinsp;", "&#8201;", "&#x2009;",
                     "&#8239;", "&#x202f;", "&#32;", "&#x20;"), " "),
    **dict.fromkeys(("&ndash;", "&mdash;", "&minus;", "&hyphen;", "&dash;", "&#45;", "&#x2d;", "&#8208;", "&#x2010;",
                     "&#8209;", "&#x2011;", "&#8210;", "&#x2012;", "&#8211;", "&#x2013;", "&#8212;", "&#x2014;",
                     "&#8722;", "&#x2212;"), "-"),
    "&#43;": "+", "&#x2b;": "+", "&plus;": "+", "&#40;": "(", "&#x28;": "(", "&lpar;": "(",
    "&#41;": ")", "&#x29;": ")", "&rpar;": ")", "&#47;": "/", "&#x2f;": "/", "&sol;": "/",
    "&#58;": ":", "&#x3a;": ":", "&colon;": ":", "&shy;": "", "&#173;": "", "&#xad;": "",
}
# "&" first, a literal the engine scans for; the rest in either case ("&#XA0;", "&NBSP;")
_HTML_ENTITY_PATTERN = "&(?i:" + "|".join(k[1:] for k in sorted(_HTML_ENTITIES, key=lambda k: (-len(k), k))) + ")"
_HTML_ENTITY = re.compile(_HTML_ENTITY_PATTERN)
# a non-ASCII run (as _NON_ASCII), or one of those escapes or references (by the decodings asked for)
_CHANGED = {
    (True, False): re.compile(r"(?P<esc>" + _URL_ESCAPE.pattern + r")|" + _NON_ASCII.pattern),
    (False, True): re.compile(r"(?P<ent>" + _HTML_ENTITY_PATTERN + r")|" + _NON_ASCII.pattern),
    (True, True): re.compile(
        r"(?P<esc>" + _URL_ESCAPE.pattern + r")|(?P<ent>" + _HTML_ENTITY_PATTERN + r")|" + _NON_ASCII.pattern
    ),
}


def has_url_escapes(text: str) -> bool:
    """Whether ``normalize(text, url_escapes=True)`` decodes a percent or JSON escape in ``text``."""
    return ("%" in text or "\\u" in text) and _URL_ESCAPE.search(text) is not None


def has_html_entities(text: str) -> bool:
    """Whether ``normalize(text, html_entities=True)`` decodes a character reference in ``text``."""
    return "&" in text and _HTML_ENTITY.search(text) is not None


def has_dashes(text: str) -> bool:
    """Whether ``text`` holds one of the dashes that :func:`normalize` unifies (``_DASH_CHARS``).

    One ``in`` per character: all but the soft hyphen lie above U+00FF, and
    CPython answers ``in`` for a character wider than any in the text without
    reading it (Swedish text is Latin-1); the rest is a memchr. A regex of the
    characters read every character through its character set, ~3 ns each.
    """
    return any(c in text for c in _DASH_CHARS)


def _plain(text: str) -> bool:
    """ASCII, or NFKC with no dash to unify: what :func:`normalize` leaves as it is, escapes and references aside."""
    return text.isascii() or (unicodedata.is_normalized("NFKC", text) and not has_dashes(text))


def unchanged(text: str, url_escapes: bool = False, html_entities: bool = False) -> bool:
    """Whether ``normalize(text, url_escapes, html_entities)`` leaves ``text`` as it is (its shortcut):
    :func:`_plain`, and no escape or character reference asked for to decode."""
    return _plain(text) and not (url_escapes and has_url_escapes(text)) and not (
        html_entities and has_html_entities(text))


@lru_cache(maxsize=4096)
def _norm_run(run: str) -> str:
    return unicodedata.normalize("NFKC", run).translate(_AFTER_NFKC)


@dataclass(frozen=True, slots=True)
class Normalized:
    """Normalised text plus what is needed to map offsets back."""

    text: str
    # Parallel lists for runs whose length changed: start in normalised text,
    # start in original text, length in normalised text, length in original.
    _n_starts: tuple[int, ...] = ()
    _o_starts: tuple[int, ...] = ()
    _n_lens: tuple[int, ...] = ()
    _o_lens: tuple[int, ...] = ()

    def to_original(self, pos: int, *, end: bool = False) -> int:
        """Map an offset in the normalised text to the original text."""
        if not self._n_starts:
            return pos
        k = bisect_right(self._n_starts, pos) - 1
        if k < 0:
            return pos
        ns, os_, nl, ol = self._n_starts[k], self._o_starts[k], self._n_lens[k], self._o_lens[k]
        if pos >= ns + nl:  # after the changed run: constant shift
            return pos - ns - nl + os_ + ol
        if pos == ns:
            return os_
        # inside a run whose length changed: snap to its edges
        return os_ + ol if end else os_


def normalize(text: str, url_escapes: bool = False, html_entities: bool = False) -> Normalized:
    """NFKC-normalise ``text`` and unify separators, keeping an offset map.

    With ``url_escapes``, the percent escapes of separators and signs (``%20``,
    ``%2B``, ``%2D``, ``%3D`` ...: :data:`_URL_ESCAPES`) are decoded too, so that
    a number in a URL-encoded query or form value reads as written
    (``070%20123%2045%2067``), and so are the JSON escapes of spaces, dashes and
    signs (``811228\\u20139874``: :data:`_JSON_ESCAPES`); the scanner asks for it,
    the validators do not.
    With ``html_entities``, the HTML character references of spaces, dashes and
    signs (``&nbsp;``, ``&#45;``, ``&ndash;`` ...: :data:`_HTML_ENTITIES`) are
    decoded the same way (``070&nbsp;123&nbsp;45&nbsp;67``).

    >>> normalize("811228\u20119874").text
    '811228-9874'
    >>> n = normalize("a\u2026 070\u00a0123")
    >>> n.text, n.to_original(n.text.index("070"))
    ('a... 070 123', 3)
    >>> n = normalize("q=070%20123%2045%2067&x=1", url_escapes=True)
    >>> n.text, n.to_original(n.text.index("070")), n.to_original(len(n.text), end=True)
    ('q=070 123 45 67&x=1', 2, 25)
    >>> normalize("<td>811228&#45;9874</td>", html_entities=True).text
    '<td>811228-9874</td>'
    """
    escapes = url_escapes and has_url_escapes(text)
    entities = html_entities and has_html_entities(text)
    if not escapes and not entities and _plain(text):
        return Normalized(text)  # Swedish text in NFC with ordinary å, ä, ö: nothing to do
    out: list[str] = []
    n_starts: list[int] = []
    o_starts: list[int] = []
    n_lens: list[int] = []
    o_lens: list[int] = []
    last = 0
    npos = 0
    for m in (_CHANGED[escapes, entities] if escapes or entities else _NON_ASCII).finditer(text):
        s, e = m.span()
        out.append(text[last:s])
        npos += s - last
        run = m.group()
        if escapes and m.group("esc") is not None:
            norm = _URL_ESCAPES[run]
        elif entities and m.group("ent") is not None:
            norm = _HTML_ENTITIES[run.lower()]
        else:
            norm = _norm_run(run) if len(run) <= 64 else unicodedata.normalize("NFKC", run).translate(_AFTER_NFKC)
        out.append(norm)
        if len(norm) != len(run):
            n_starts.append(npos)
            o_starts.append(s)
            n_lens.append(len(norm))
            o_lens.append(len(run))
        npos += len(norm)
        last = e
    out.append(text[last:])
    return Normalized(
        "".join(out), tuple(n_starts), tuple(o_starts), tuple(n_lens), tuple(o_lens)
    )
