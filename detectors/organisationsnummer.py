"""Organisationsnummer and momsregistreringsnummer (Swedish organisation and VAT numbers).

Bolagsverket / Skatteverket; structure as in SKV 709 and the organisationsnummer
register: https://www.bolagsverket.se/

Ten digits ``GXYYNN-NNNC`` with a Luhn check digit over all ten; the third
and fourth digits are 20 or more, so an organisationsnummer is never a valid
date (this is what tells it apart from a personnummer). The twelve-digit form
prefixes ``16``. The VAT number is ``SE`` + the ten digits + ``01``.

Organisation numbers of legal persons are not personal data: this detector
exists so that the scanner recognises them and does *not* report them. A sole
trader (enskild firma) uses the owner's personnummer as organisationsnummer;
a VAT number ``SE<personnummer>01`` is reported as the personnummer inside it.

>>> validate("556036-0793")
'5560360793'
>>> validate("165560160680")
'5560160680'
>>> is_valid("811228-9874")
False
>>> validate_vat("SE 556.383.740.901")
'SE556383740901'
>>> format("5560360793")
'556036-0793'
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date

from detectors.base import Context, InvalidChecksum, InvalidComponent, InvalidFormat, InvalidLength, Match
from detectors.checksums import luhn_is_valid
from detectors.context import near_before

KIND = "organisationsnummer"
PERSONAL = False

GROUPS = {
    "1": "dödsbo",
    "2": "stat, region, kommun, församling",
    "3": "utländskt företag",
    "5": "aktiebolag",
    "6": "enkelt bolag",
    "7": "ekonomisk förening",
    "8": "ideell förening, stiftelse",
    "9": "handelsbolag, kommanditbolag",
}


def compact(number: str) -> str:
    """Digits only (and a leading ``SE`` for VAT numbers is removed with its ``01``)."""
    return re.sub(r"[^0-9]", "", number)


def validate(number: str) -> str:
    """Check an organisationsnummer (10 digits or ``16`` + 10); return the 10 digits."""
    if not isinstance(number, str):
        raise InvalidFormat()
    digits = compact(number)
    if re.search(r"[^0-9 .\-]", number.strip()):
        raise InvalidFormat()
    if len(digits) == 12:
        if not digits.startswith("16"):
            raise InvalidComponent("a 12-digit organisationsnummer starts with 16")
        digits = digits[2:]
    if len(digits) != 10:
        raise InvalidLength()
    if int(digits[2:4]) < 20:
        raise InvalidComponent("digits 3-4 are below 20: this is a personnummer")
    if digits[0] not in GROUPS:
        raise InvalidComponent("unknown group digit")
    if not luhn_is_valid(digits):
        raise InvalidChecksum()
    return digits


def is_valid(number: str) -> bool:
    try:
        return bool(validate(number))
    except (ValueError, TypeError):
        return False


def format(number: str) -> str:  # noqa: A001 - stdnum naming
    d = validate(number)
    return d[:6] + "-" + d[6:]


_VAT = re.compile(r"SE[ ]?([0-9][0-9 .\-]{8,14}[0-9])[ ]?0[ ]?1$")


def validate_vat(number: str, ref_date: date | None = None) -> str:
    """Check a Swedish VAT number; return ``SE`` + 12 digits.

    The ten digits in the middle are an organisationsnummer or, for a sole
    trader, the owner's personnummer.
    """
    n = number.strip().upper()
    m = _VAT.match(n)
    if not m:
        raise InvalidFormat()
    core = compact(m.group(1))
    if len(core) != 10:
        raise InvalidLength()
    if not is_valid(core):
        from detectors import personnummer

        personnummer.validate(core[:6] + "-" + core[6:], ref_date)
    return "SE" + core + "01"


# -- finding ---------------------------------------------------------------------


# Digit counts of the windows match_window can use: the scanner offers no others.
WINDOW_DIGITS = frozenset({10, 12})


def window_wanted(nd: int, d0: str, sign: bool, comma: bool, giro: bool) -> bool:
    """Whether ``match_window`` can find anything in such a window (the contract: :class:`detectors.scan.Scanner`)."""
    return (nd == 10 and d0 in GROUPS) or (nd == 12 and d0 == "1")  # twelve digits: "16" + ten


def window_shape_wanted(lens: tuple[int, ...], comma: bool) -> bool:
    """Whether ``match_window`` can find anything in a window whose groups have these digit counts
    (the contract: :class:`detectors.scan.Scanner`): compact, or six or eight digits and four."""
    return len(lens) == 1 or lens in _GROUPED


_GROUPED = ((6, 4), (8, 4))


def match_window(w, ctx: Context) -> Iterator[Match]:  # noqa: ANN001 - scan.Window
    """Claim organisation numbers so that no other detector reports them."""
    nd = len(w.digits)
    if nd != 10 and nd != 12:
        return
    d = w.digits
    if nd == 12:
        if not d.startswith("16"):
            return
        d = d[2:]
    if d[2] < "2" or d[0] not in GROUPS:
        return
    g = w.groups
    if len(g) == 1:
        conf = 0.85
    elif len(g) == 2 and (len(g[0]), len(g[1])) in _GROUPED and w.seps[0].strip() == "-":
        conf = 0.95
    else:
        return
    if not luhn_is_valid(d):
        return
    why = ["rule:luhn+digits3-4>=20"]
    # A 10-digit type-2 bank account after its clearing ("80002 1020000004") or
    # after a bank keyword is an account, not an organisation.
    if (not w.run_start and len(w.lead.rstrip(" -")) >= 4 and w.lead.rstrip(" -")[-4:].isdigit()) or near_before(
        ctx.before, "bank_account"
    ):
        conf -= 0.3
        why.append("context:bank-account(-)")
    start = w.start + 1 if w.text[0] == "(" else w.start  # not a "(" that leads the run
    yield Match(KIND, "organisationsnummer", start, w.end, d, conf, tuple(why), False, False)


_VAT_AT = re.compile(r"SE[ ]?((?:[0-9][ .\-]?){10})0[ ]?1(?![0-9])")


def match_alnum(t: str, start: int, ctx: Context) -> Iterator[Match]:
    """VAT numbers ``SE5560360793 01``; a sole trader's carries a personnummer."""
    if t[start : start + 2] != "SE":
        return
    m = _VAT_AT.match(t, start)
    if not m:
        return
    core = compact(m.group(1))
    if is_valid(core):
        yield Match(KIND, "vat", m.start(), m.end(), "SE" + core + "01", 0.95, ("rule:vat",), False, False)
        return
    from detectors import personnummer

    try:
        canonical, subkind, birth = personnummer.check(core[:6], "", core[6:], ctx.ref_year)
    except ValueError:
        return
    yield Match(KIND, "vat", m.start(), m.end(), "SE" + core + "01", 0.9, ("rule:vat",), False, False)
    ds = m.start(1)
    de = ds + len(m.group(1).rstrip(" .-"))  # not the separator before "01"
    yield personnummer._score(
        canonical, subkind, birth, 0.85, ["rule:sole-trader-vat", "rule:luhn+date"], ctx, ds, de, inside="vat"
    )


def find(text: str, hint: str | None = None, ref_date: date | None = None) -> list[Match]:
    """Organisation numbers in ``text`` (not personal data: reported only here)."""
    from detectors.scan import Scanner

    return Scanner((KIND,), include_non_personal=True).find(text, hint=hint, ref_date=ref_date)
