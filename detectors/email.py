"""E-mail address (RFC 5322 addr-spec, with RFC 6531 internationalised addresses).

RFC 5322 §3.4.1 "Addr-Spec Specification":
https://www.rfc-editor.org/rfc/rfc5322#section-3.4.1 ; RFC 6531 (SMTPUTF8):
https://www.rfc-editor.org/rfc/rfc6531 ; IDNA and Punycode: RFC 5890, RFC 3492.

An address is ``local-part@domain``. The local part is a dot-atom of at most
64 characters: letters (any script, as RFC 6531 allows), digits and
``!#$%&'*+/=?^_`{|}~-``, separated by single dots. The domain has at least two
labels of letters, digits and hyphens (at most 63 characters each, 253 in
all, measured in the ASCII/Punycode form); its last label, the TLD, is letters
only (or an ``xn--`` label). A quoted local part (``"anna berg"@example.se``)
is read when it holds printable characters on one line (no quote, backslash or
``@``); IP literals (``anna@[192.0.2.1]``) are not supported.

The canonical value is the whole address lower-cased, with the domain decoded
from IDNA to Unicode (``xn--bcher-kva.se`` becomes ``bücher.se``) and no
``mailto:``. The local part is lower-cased too, although RFC 5321 lets a
server tell ``Anna`` from ``anna``: no real mail system does, and a data map
must key one person's address once. Plus addressing is kept as written
(``anna+news@example.se`` stays distinct from ``anna@example.se``): the tag
is part of the address the data holder stored, and stripping it is a
provider-specific rule (Gmail also ignores dots) that would merge addresses
of other providers wrongly.

Written forms found in text: plain; ``mailto:`` links; percent-encoded
(``anna%40example.se``, also ``%2E`` for dots); HTML entities (``&#64;``,
``&#x40;``, ``&commat;``, and any character entity inside the address); and
obfuscated ones (``anna [at] example [dot] se``, ``namn (at) example (punkt)
se``, ``anna snabel-a example punkt se``, ``anna at example punkt se``, and the
tight ``anna(a)example.se`` of Swedish and Finnish web pages), which get the
subkind ``obfuscated`` and a lower confidence.

Decisions: the userinfo of a URL (``https://user:pass@host.com/``,
``ftp://anna@host.se``) is a login, not an e-mail address, and is not
reported; neither is an SCP-style SSH remote (``git@github.com:org/repo``,
``anna@host.se:repo.git``). Addresses on RFC 2606/6761 reserved domains
(``example.com``, ``.test``, ``.invalid`` ...) are reported as test data.

>>> validate("Anna+News@Example.SE")
'anna+news@example.se'
>>> validate("mailto:anna@xn--bcher-kva.se")
'anna@bücher.se'
>>> validate("namn [at] domän punkt se")
'namn@domän.se'
>>> is_valid("logo@2x.png"), is_valid("a@b"), is_valid("@handle.se")
(False, False, False)
>>> [(m.value, m.subkind) for m in find('From: "Anna Svensson" <Anna.Svensson@Foretag.se>')]
[('anna.svensson@foretag.se', 'email')]
>>> [(m.value, m.subkind) for m in find("Mejla namn (at) example (dot) com!")]
[('namn@example.com', 'obfuscated')]
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterator
from datetime import date
from functools import lru_cache
from html import unescape
from typing import NamedTuple

from detectors.base import Context, InvalidComponent, InvalidFormat, InvalidLength, Match, ValidationError
from detectors.context import near_before
from detectors.normalize import normalize

KIND = "email"
PERSONAL = True

MAX_LOCAL = 64
MAX_DOMAIN = 253
MAX_LABEL = 63

# The e-mail branch of the prefilter in detectors.scan (kept identical; a test checks it).
# The '@' and its disguises; the combined prefilter (detectors.scan) builds its
# e-mail branch from this pattern.
AT_PLAIN = r"@|%40|&\#0*64;|&\#[xX]0*40;|&commat;"
AT_OBFUSCATED = (
    r"[ ]?[\[({<][ ]?(?:at|AT|snabel-?a)[ ]?[\])}>][ ]?"
    r"|[ ](?:at|AT|snabel-?a)[ ](?=[\w-]+[ ](?:punkt|dot|PUNKT|DOT)[ ])"
    # "snabel-a" is never prose, so it may stand before a domain with plain dots too
    # ("anna snabel-a example.se"); " at " there is too often English ("at www.x.se").
    r"|[ ]snabel-?a[ ](?=[^\W_][\w-]*\.[^\W_])"
    # "namn(a)domän.se", the "(a)" of Swedish and Finnish web pages: only tight, between a
    # letter or digit and a domain; with a space on either side "(a)" numbers a list item.
    r"|(?<=[^\W_])\([aA]\)(?=[^\W_])"
)
AT_PATTERN = AT_PLAIN + "|" + AT_OBFUSCATED
# Substrings without which no obfuscated form can occur: the scanner looks for
# the obfuscated forms only in texts that contain one of them.
# (The bracketed forms may have a space before the closing bracket: "[ at ]".)
OBFUSCATION_MARKERS = (
    "at]", "at)", "at}", "at>", "AT]", "AT)", "AT}", "AT>",
    "at ]", "at )", "at }", "at >", "AT ]", "AT )", "AT }", "AT >",
    "snabel", "(a)", "(A)", " punkt ", " dot ", " PUNKT ", " DOT ",
)
_TRIGGER = re.compile(AT_PATTERN)

# -- characters ------------------------------------------------------------------

# In running text the local part is read with a practical subset of RFC 5322
# atext: '%', '&', '/', '=', '?', '`', '{', '|', '}' end it, because they are
# far more often URL, query-string, HTML or template syntax right before an
# address (``?to=anna@...``, ``&lt;anna@...``) than part of one. validate()
# accepts the full set.
_LOCAL_SPECIALS = "_.!#$*+'^~-"
# Combining diacritics (U+0300-U+036F) are read too: text written in NFD
# (macOS file names, some exports) has "a" + U+030A for "å". The canonical
# value is NFC.
_LOCAL_RUN = re.compile(r"[\w\u0300-\u036f.!#$*+'^~-]+\Z")
_LOCAL_RUN_RFC = re.compile(r"[\w\u0300-\u036f.!#$%&'*+/=?^`{|}~-]+\Z")
_DOMAIN_RUN = re.compile(r"(?:[^\W_]|[\u0300-\u036f.-])+")
# The same character sets without the anchor, matched against the text before the
# "@" reversed: the length of the run of local-part characters that ends at the
# "@" (see _left_plain).
_LOCAL_REV = re.compile(_LOCAL_RUN.pattern.removesuffix(r"\Z"))
_LOCAL_REV_RFC = re.compile(_LOCAL_RUN_RFC.pattern.removesuffix(r"\Z"))

# An escape sequence the local-part run starts with in the plain form:
# ``%3Canna@``, quoted-printable ``=3Canna@``, JSON/log ``\u003canna@`` / ``\nanna@``.
_ESCAPED = re.compile(
    r"(?<=%)[0-9A-Fa-f]{2}"
    r"|(?<==)(?=[A-F]?[0-9])[0-9A-F]{2}"
    r"|(?<=\\)(?:u[0-9A-Fa-f]{4}|x[0-9A-Fa-f]{2}|[ntr])"
)

# Tokens of the encoded and obfuscated forms: an escape that stands for one
# character, or one character as written.
_TOK_PERCENT = re.compile(r"%[C-Fc-f][0-9A-Fa-f](?:%[89ABab][0-9A-Fa-f]){1,3}|%[0-9A-Fa-f]{2}|.", re.S)
_TOK_ENTITY = re.compile(r"&(?:\#[0-9]{1,7}|\#[xX][0-9A-Fa-f]{1,6}|[A-Za-z][A-Za-z0-9]{1,15});|.", re.S)
_DOT_BRACKETED = r"[ ]?[\[({<][ ]?(?i:dot|punkt|\.)[ ]?[\])}>][ ]?"  # "[.]": a defanged dot
_DOT_BEFORE = re.compile(_DOT_BRACKETED + r"\Z")
# " dot " / " punkt " between two words of an obfuscated local part ("anna dot berg at ...")
_DOT_WORD_BEFORE = re.compile(r"(?<=[^\W_])[ ](?i:dot|punkt)[ ]\Z")
_TOK_OBF_DOMAIN = re.compile(_DOT_BRACKETED + r"|[ ](?i:dot|punkt)[ ](?=[^\W_])|.", re.S)
_MAX_TOKEN = 18  # longest escape token, bounds the raw windows

# Last labels that are file extensions, not TLDs (``logo@2x.png``, ``app@1.2.min.js``).
_FILE_EXTENSIONS = frozenset(
    "png jpg jpeg gif svg webp avif heic bmp ico tif tiff css scss js mjs cjs jsx tsx map "
    "json xml yml yaml html htm php pdf txt log csv woff ttf otf eot".split()
)
# RFC 2606 / RFC 6761 reserved names: addresses on them are examples, not people.
_RESERVED_DOMAINS = frozenset({"example.com", "example.net", "example.org"})
_RESERVED_TLDS = frozenset({"example", "test", "invalid", "localhost"})
# TLDs common enough in Swedish data that ``anna at example punkt se`` is believable.
_COMMON_TLDS = frozenset(
    "se nu com net org eu info biz io me fi no dk is de uk fr es it nl be ch at pl ee lv lt "
    "ax gl fo co app dev tech online shop email".split()
)
# Words that make "look at this dot com" prose rather than an address.
_PROSE_WORDS = frozenset(
    "a an the this that these those my our your their his her its one some any every all "
    "en ett den det de min din sin vår er".split()
)
_CONF_WORD_PROSE = 0.3
# SSH service accounts of SCP-style remotes: ``git@github.com:org/repo``.
_SSH_USERS = frozenset({"git", "hg", "svn", "aur", "gitea", "gitlab", "forgejo"})
_SCP_GIT = re.compile(r":[\w~./-]*\.git(?![\w-])")
_AUTHORITY = re.compile(r"[^\s/?#@<>\"'\[\]]*")
_ID_HEADER = re.compile(
    r"[ \t]*(?:message-id|in-reply-to|references|content-id|resent-message-id|x-[\w-]*-id|msgid)[ \t]*:", re.I
)

# Base confidence by written form.
_CONF = {
    "plain": 0.9,
    "percent": 0.85,
    "entity": 0.85,
    "plain-dots": 0.75,  # anna@example punkt se
    "bracket": 0.75,  # anna [at] example [dot] se
    "snabel-a": 0.75,  # anna snabel-a example punkt se
    "word": 0.6,  # anna at example punkt se
}
_CONF_WORD_RARE_TLD = 0.4  # "look at this dot product": needs a keyword to be reported
_WHY_FORM = {
    "plain": "form:plain",
    "percent": "form:percent-encoded",
    "entity": "form:html-entity",
    "plain-dots": "form:obfuscated-dots",
    "bracket": "form:obfuscated-brackets",
    "snabel-a": "form:obfuscated-snabel-a",
    "word": "form:obfuscated-words",
}


# -- checking --------------------------------------------------------------------


def compact(number: str) -> str:
    """Normalise (NFKC, zero-width characters dropped, the percent escapes of separators decoded,
    as the scanner reads text) and strip ``mailto:`` and ``<>``.

    >>> compact(" mailto:Anna@Example.se ")
    'Anna@Example.se'
    >>> compact("<anna＠example.se>")
    'anna@example.se'
    """
    s = normalize(unicodedata.normalize("NFKC", number), url_escapes=True).text.strip()
    if s[:7].lower() == "mailto:":
        s = s[7:].lstrip()
    if len(s) > 1 and s[0] == "<" and s[-1] == ">":
        s = s[1:-1].strip()
    if s[:7].lower() == "mailto:":
        s = s[7:].lstrip()
    return s


def validate(number: str) -> str:
    """Check one written address (any form :func:`find` reads); return the canonical value.

    >>> validate("Anna.Svensson@FÖRETAG.se")
    'anna.svensson@företag.se'
    >>> validate("anna%40example%2Ese")
    'anna@example.se'
    >>> validate("anna..svensson@example.se")
    Traceback (most recent call last):
      ...
    detectors.base.InvalidFormat: the value has an invalid format
    """
    if not isinstance(number, str):
        raise InvalidFormat()
    s = compact(number)
    if not s:
        raise InvalidFormat()
    if len(s) > (MAX_LOCAL + MAX_DOMAIN) * _MAX_TOKEN:
        raise InvalidLength()
    first_error: type[ValidationError] | None = None
    for m in _TRIGGER.finditer(s):
        r = _parse(s, m.start(), m.end(), whole=True)
        if isinstance(r, _Parsed):
            if r.start == 0 and r.end == len(s):
                return r.value
            r = InvalidFormat
        first_error = first_error or r
    raise (first_error or InvalidFormat)()


def is_valid(number: str) -> bool:
    """Whether ``number`` is one e-mail address (never raises)."""
    try:
        return bool(validate(number))
    except (ValueError, TypeError):
        return False


def format(number: str) -> str:  # noqa: A001 - stdnum naming
    """The canonical presentation: lower case, Unicode domain.

    >>> format("Anna@XN--BCHER-KVA.SE")
    'anna@bücher.se'
    """
    return validate(number)


def to_ascii(number: str) -> str:
    """The address with its domain in IDNA/Punycode form, as SMTP without SMTPUTF8 needs.

    >>> to_ascii("anna@bücher.se")
    'anna@xn--bcher-kva.se'
    """
    local, _, domain = validate(number).rpartition("@")
    labels = (lab if lab.isascii() else "xn--" + lab.encode("punycode").decode("ascii") for lab in domain.split("."))
    return local + "@" + ".".join(labels)


# -- parsing around a trigger ----------------------------------------------------


class _Parsed(NamedTuple):
    start: int  # span of the address as written
    end: int
    local: str  # decoded, as written (case kept)
    value: str  # canonical address
    form: str  # key of _CONF
    punycode: bool  # the domain had xn-- labels


def _local_char(c: str | None) -> bool:
    return c is not None and len(c) == 1 and (c.isalnum() or c in _LOCAL_SPECIALS or "\u0300" <= c <= "\u036f")


def _domain_char(c: str | None) -> bool:
    return c is not None and len(c) == 1 and (c.isalnum() or c == "." or c == "-" or "\u0300" <= c <= "\u036f")


def _trim_local(local: str) -> int | type[ValidationError]:
    """Where the address starts in a run of local-part characters read leftwards.

    After an ellipsis or doubled dot (``Hej...anna@``), and after leading
    punctuation (``'anna@``, ``*anna@``): a local part in running text starts
    with a letter, digit or underscore.
    """
    if not local or local[-1] == ".":
        return InvalidFormat
    i = local.rfind("..")
    if i > 0 and local[i - 1] != ".":
        return InvalidFormat  # anna..svensson@: a typo, not an ellipsis before the address
    i = i + 2 if i >= 0 else 0
    n = len(local)
    while i < n and not (local[i].isalnum() or local[i] == "_"):
        i += 1
    if i == n:
        return InvalidFormat
    if n - i > MAX_LOCAL:
        return InvalidLength
    return i


# What may stand before the opening quote of a quoted local part: the start of the
# text, a space, a bracket, a list separator, '=' or a single quote ('E-post: "anna berg"@example.se').
_BEFORE_QUOTED = frozenset(" \t\r\n<([:;,='")


def _left_quoted(t: str, start: int) -> int | type[ValidationError]:
    """Where a quoted local part (``"anna berg"@``) that ends right before ``t[start]`` begins.

    RFC 5322 §3.4.1 quoted-string, as it is seen in data: printable characters on
    one line, at least one not a space, no quote, backslash or "@" inside.
    """
    k = t.rfind('"', max(0, start - MAX_LOCAL - 1), start - 1)
    if k < 0 or (k > 0 and t[k - 1] not in _BEFORE_QUOTED and t[max(0, k - 7) : k].lower() != "mailto:"):
        return InvalidFormat
    inner = t[k + 1 : start - 1]
    if not inner.strip() or any(c in '\\@' or not c.isprintable() for c in inner):
        return InvalidFormat
    return k


def _left_plain(t: str, start: int, whole: bool) -> int | type[ValidationError]:
    if start == 0 or t[start - 1] in " \t\r\n<>()[]\",;:@":
        return InvalidFormat  # "@handle", "a @b": nothing written before the "@"
    lo = max(0, start - MAX_LOCAL - 1)
    # ``(_LOCAL_RUN_RFC if whole else _LOCAL_RUN).search(t, lo, start).start()``: the
    # leftmost start of a run that reaches the "@" is where the longest such run
    # starts. Read from the "@" leftwards (one match over the reversed window)
    # instead of trying every start from ``lo`` (~0.7 instead of ~3.3 us).
    m = (_LOCAL_REV_RFC if whole else _LOCAL_REV).match(t[lo:start][::-1])
    if m is None:
        return InvalidFormat
    ls = start - m.end()
    if whole:
        local = t[ls:start]
        if local[0] == "." or local[-1] == "." or ".." in local:
            return InvalidFormat
        return InvalidLength if len(local) > MAX_LOCAL else ls
    esc = _ESCAPED.match(t, ls, start)
    if esc is not None:
        ls = esc.end()
    i = _trim_local(t[ls:start])
    return i if isinstance(i, type) else ls + i


def _prev_percent(t: str, p: int) -> tuple[int, str | None]:
    """The token that ends at ``p`` in percent-encoded text, read backwards."""
    if p >= 3 and t[p - 3] == "%":
        for n in (4, 3, 2):  # a UTF-8 sequence: %C3%A5
            s = p - 3 * n
            if s >= 0 and t[s] == "%" and _TOK_PERCENT.fullmatch(t, s, p):
                c = _decode_percent(t[s:p])
                if c is not None:
                    return s, c
        if _TOK_PERCENT.fullmatch(t, p - 3, p):
            return p - 3, _decode_percent(t[p - 3 : p])
    return p - 1, t[p - 1]


def _prev_entity(t: str, p: int) -> tuple[int, str | None]:
    """The token that ends at ``p`` in text with HTML character references, read backwards."""
    if t[p - 1] == ";":
        amp = t.rfind("&", max(0, p - _MAX_TOKEN), p - 1)
        if amp >= 0 and _TOK_ENTITY.fullmatch(t, amp, p):
            return amp, _decode_entity(t[amp:p])
    return p - 1, t[p - 1]


def _prev_obfuscated(t: str, p: int) -> tuple[int, str | None]:
    """The token that ends at ``p`` in an obfuscated local part (``anna [dot] svensson``)."""
    if t[p - 1] in " ])}>":
        m = _DOT_BEFORE.search(t, max(0, p - 14), p)
        if m is None and t[p - 1] == " ":
            m = _DOT_WORD_BEFORE.search(t, max(0, p - 8), p)
        if m is not None:
            return m.start(), "."
    return p - 1, t[p - 1]


def _left_tokens(
    t: str, start: int, prev: Callable[[str, int], tuple[int, str | None]]
) -> tuple[int, str] | type[ValidationError]:
    """Read the local part leftwards token by token, up to the first character it cannot hold."""
    starts: list[int] = []
    chars: list[str] = []
    p = start
    while p > 0 and len(chars) <= MAX_LOCAL:
        s, c = prev(t, p)
        if not _local_char(c):
            break
        starts.append(s)
        chars.append(c)  # type: ignore[arg-type]
        p = s
    starts.reverse()
    chars.reverse()
    local = "".join(chars)
    i = _trim_local(local)
    if isinstance(i, type):
        return i
    return starts[i], local[i:]


def _right_plain(t: str, end: int) -> tuple[int, str] | type[ValidationError]:
    m = _DOMAIN_RUN.match(t, end, end + MAX_DOMAIN + 1)
    if m is None:
        return InvalidFormat
    raw = m.group()
    cut = raw.find("..")
    if cut >= 0:
        raw = raw[:cut]
    raw = raw.rstrip(".-")  # end of sentence, a dash after the address
    if len(raw) > MAX_DOMAIN:
        return InvalidLength
    if not raw or not raw[0].isalnum():
        return InvalidFormat
    return end + len(raw), raw


def _right_tokens(
    t: str, end: int, tok: re.Pattern[str], decode: Callable[[str], str | None]
) -> tuple[int, str] | type[ValidationError]:
    limit = min(len(t), end + (MAX_DOMAIN + 1) * _MAX_TOKEN)
    chars: list[str] = []
    ends: list[int] = []
    pos = end
    while pos < limit and len(chars) <= MAX_DOMAIN:
        m = tok.match(t, pos, limit)
        if m is None:
            break
        c = decode(m.group())
        if not _domain_char(c):
            break
        chars.append(c)  # type: ignore[arg-type]
        pos = m.end()
        ends.append(pos)
    raw = "".join(chars)
    cut = raw.find("..")
    if cut >= 0:
        raw = raw[:cut]
    raw = raw.rstrip(".-")
    if len(raw) > MAX_DOMAIN:
        return InvalidLength
    if not raw or not raw[0].isalnum():
        return InvalidFormat
    return ends[len(raw) - 1], raw


@lru_cache(maxsize=2048)
def _domain(raw: str) -> tuple[str, bool] | type[ValidationError]:
    """Check a domain as written; return (canonical Unicode domain, had punycode).

    Cached: a pure function, and the same few domains fill most mailboxes.
    """
    if not raw.isascii():
        raw = unicodedata.normalize("NFC", raw)
    labels = raw.split(".")
    if len(labels) < 2:
        return InvalidFormat  # a@b: no dot, not a deliverable address in data
    out: list[str] = []
    total = len(labels) - 1
    puny = False
    for lab in labels:
        if not lab or lab[0] == "-" or lab[-1] == "-":
            return InvalidFormat
        low = lab.lower()
        if low.startswith("xn--"):
            if not low.isascii():
                return InvalidComponent
            try:
                uni = low[4:].encode("ascii").decode("punycode")
            except (UnicodeError, ValueError):
                return InvalidComponent
            uni = unicodedata.normalize("NFKC", uni).lower()
            if not uni or uni.isascii() or not all(c.isalnum() or c == "-" for c in uni):
                return InvalidComponent
            size = len(low)
            low = uni
            puny = True
        elif low.isascii():
            size = len(low)
        else:
            if not all(c.isalnum() or c == "-" for c in low):
                return InvalidFormat  # a combining mark that composes with nothing
            size = 4 + len(low.encode("punycode"))
        if size > MAX_LABEL:
            return InvalidLength
        total += size
        out.append(low)
    if total > MAX_DOMAIN:
        return InvalidLength
    tld = labels[-1].lower()
    if not tld.startswith("xn--") and not (tld.isalpha() and len(tld) >= 2):
        return InvalidComponent  # digits in the TLD: a version number, an IP address
    if tld in _FILE_EXTENSIONS:
        return InvalidComponent
    return ".".join(out), puny


def _decode_percent(tok: str) -> str | None:
    if tok[0] != "%" or len(tok) == 1:
        return tok
    try:
        return bytes.fromhex(tok.replace("%", "")).decode("utf-8")
    except ValueError:
        return None


def _decode_entity(tok: str) -> str | None:
    if tok[0] != "&" or len(tok) == 1:
        return tok
    c = unescape(tok)
    return None if c == tok else c


def _decode_obfuscated(tok: str) -> str:
    return tok if len(tok) == 1 else "."


def _form(trigger: str) -> str:
    c = trigger[0]
    if c == "@":
        return "plain"
    if c == "%":
        return "percent"
    if c == "&":
        return "entity"
    if any(b in trigger for b in "[({<"):
        return "bracket"
    return "snabel-a" if "snabel" in trigger else "word"


def _parse(t: str, start: int, end: int, whole: bool = False) -> _Parsed | type[ValidationError]:
    """Read the address around the trigger ``t[start:end]``; ``whole`` is validate() mode."""
    form = _form(t[start:end])
    local: str
    if form == "plain":
        ls = _left_quoted(t, start) if start >= 3 and t[start - 1] == '"' else _left_plain(t, start, whole)
        if isinstance(ls, type):
            return ls
        local = t[ls:start]
        right = _right_plain(t, end)
        if isinstance(right, type) or "." not in right[1]:
            # dots written out after a real "@": anna@example punkt se, anna@example[dot]se
            stop = end if isinstance(right, type) else right[0]
            if t[stop : stop + 1] in (" ", "[", "(", "{", "<"):
                alt = _right_tokens(t, end, _TOK_OBF_DOMAIN, _decode_obfuscated)
                if not isinstance(alt, type) and "." in alt[1]:
                    right, form = alt, "plain-dots"
    else:
        prev: Callable[[str, int], tuple[int, str | None]]
        decode: Callable[[str], str | None]
        if form == "percent":
            prev, tok, decode = _prev_percent, _TOK_PERCENT, _decode_percent
        elif form == "entity":
            prev, tok, decode = _prev_entity, _TOK_ENTITY, _decode_entity
        else:
            prev, tok, decode = _prev_obfuscated, _TOK_OBF_DOMAIN, _decode_obfuscated
        left = _left_tokens(t, start, prev)
        if isinstance(left, type):
            return left
        ls, local = left
        right = _right_tokens(t, end, tok, decode)
    if isinstance(right, type):
        return right
    de, raw_domain = right
    if form == "plain" and not whole:
        # "anna@example.se.Tack": a sentence glued on after the full stop
        rest, _, last = raw_domain.rpartition(".")
        if "." in rest and len(last) > 2 and last.istitle() and rest.islower() and last.lower() not in _COMMON_TLDS:
            raw_domain, de = rest, de - len(last) - 1
    dom = _domain(raw_domain)
    if isinstance(dom, type):
        return dom
    domain, puny = dom
    if not local.isascii():
        local = unicodedata.normalize("NFC", local)
    return _Parsed(ls, de, local, local.lower() + "@" + domain, form, puny)


# -- finding ---------------------------------------------------------------------


def _userinfo(t: str, ls: int) -> bool:
    """Whether the local part starts inside the authority of a URL (``scheme://user:pw@``)."""
    k = t.rfind("://", max(0, ls - 256), ls)
    if k <= 0 or not t[k - 1].isalpha() or t[max(0, k - 6) : k].lower() == "mailto":
        return False
    return _AUTHORITY.fullmatch(t, k + 3, ls) is not None


def _scp_remote(t: str, r: _Parsed) -> bool:
    """``git@github.com:org/repo`` or ``anna@host.se:repo.git``: an SSH remote, not mail."""
    if t[r.end : r.end + 1] != ":":
        return False
    return r.local.lower() in _SSH_USERS or _SCP_GIT.match(t, r.end) is not None


def _in_id_header(t: str, ls: int) -> bool:
    """Whether the address stands on a Message-ID / References / Content-ID header line."""
    if t[max(0, ls - 4) : ls].lower() == "cid:":
        return True
    lo = max(0, ls - 200)
    k = t.rfind("\n", lo, ls)
    if k < 0 and lo > 0:
        return False
    return _ID_HEADER.match(t, k + 1, ls) is not None


def match_at(t: str, start: int, end: int, ctx: Context) -> Iterator[Match]:
    """The address around an ``@``-like trigger at ``t[start:end]`` (see :mod:`detectors.scan`)."""
    r = _parse(t, start, end)
    if not isinstance(r, _Parsed):
        return
    if _userinfo(t, r.start) or _scp_remote(t, r):
        return
    form = r.form
    conf = _CONF[form]
    domain = r.value.rpartition("@")[2]
    tld = domain.rpartition(".")[2]
    why = [_WHY_FORM[form], "rule:dot-atom+domain"]
    if form == "word":
        if r.local.lower() in _PROSE_WORDS or domain.partition(".")[0] in _PROSE_WORDS:
            conf = _CONF_WORD_PROSE
            why.append("shape:prose(-)")
        elif tld not in _COMMON_TLDS:
            conf = _CONF_WORD_RARE_TLD
            why.append("shape:rare-tld(-)")
    if r.punycode:
        why.append("idn:punycode")
    plain = form in ("plain", "percent", "entity")
    boost = 0.05 if plain else 0.2
    if t[max(0, r.start - 7) : r.start].lower() == "mailto:":
        conf += boost
        why.append("context:mailto")
    elif near_before(t[max(0, r.start - 48) : r.start].lower(), "email"):
        conf += boost
        why.append("context:email")
    if "email" in ctx.hints:
        conf += boost
        why.append("hint:email")
    if _in_id_header(t, r.start):
        conf -= 0.6
        why.append("context:message-id(-)")
    test = domain in _RESERVED_DOMAINS or tld in _RESERVED_TLDS or domain.endswith((".example.com", ".example.net", ".example.org"))
    if test:
        why.append("test:reserved-domain")
    subkind = "email" if plain else "obfuscated"
    yield Match(KIND, subkind, r.start, r.end, r.value, max(0.0, min(conf, 0.99)), tuple(why), test, True)


def find(text: str, hint: str | None = None, ref_date: date | None = None) -> list[Match]:
    """E-mail addresses in ``text``, in every written form this module reads.

    >>> [(m.start, m.end, m.value) for m in find("Skriv till mailto:anna%40example.se.")]
    [(18, 35, 'anna@example.se')]
    """
    from detectors.scan import find_all

    return find_all(text, hint=hint, ref_date=ref_date, kinds=(KIND,))
