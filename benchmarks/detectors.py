"""Throughput and recall benchmark for the detectors, on one core.

Generates a deterministic corpus of fictional Swedish business text in three
parts (``mail``: free text; ``csv``: exports; ``logs``: application logs),
caches it in ``benchmarks/out/``, and measures on one core:

* MB/s of all detectors together and of each kind alone
  (``detectors.scan.Scanner``), over realistic record sizes;
* MB/s of a bare single-regex pass (``[0-9]{6,}|@``, matches only counted),
  the ceiling for anything that reads the text once in Python;
* MB/s and recall of presidio-analyzer's pattern recognizers (e-mail, phone
  with region SE, credit card, IBAN, Swedish personnummer) on a sample of
  each corpus, against ours on the same sample;
* recall on the planted identifiers, and a precision proxy: findings that do
  not overlap any planted identifier, per MB (the generator plants no other
  personal data than names).

Every planted identifier is fictional and valid: personnummer from random dates
and serials with a Luhn check digit, phone numbers from PTS's fiction ranges or
random valid mobile numbers, e-mail addresses at example.se/example.com,
accounts and IBANs with valid national and mod-97 checks, Luhn-valid card
numbers.

Usage::

    .venv/bin/python benchmarks/detectors.py            # 300 MB, about 10 minutes
    .venv/bin/python benchmarks/detectors.py --mb 60
    .venv/bin/python benchmarks/detectors.py --quick    # 6 MB smoke run

No timing assertion is made anywhere; the PASS/MISS lines at the end compare
the figures with the targets of the project.
"""

from __future__ import annotations

import argparse
import gc
import json
import math
import os
import platform
import re
import sys
import time
from bisect import bisect_left
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from random import Random
from typing import TypeVar

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))  # run from a checkout without installing

from detectors.checksums import iban_numeric, luhn_check_digit, mod11_is_valid, mod97  # noqa: E402

T = TypeVar("T")

GENERATOR_VERSION = 4
CORPORA = ("mail", "csv", "logs")
KINDS_ALONE = ("personnummer", "email", "phone", "bank_account", "payment_card")
BARE_REGEX = r"[0-9]{6,}|@"
TARGET_MBPS = 30.0
TARGET_RATIO = 10.0

CSV_LINES_PER_CHUNK = 200
LOG_CHUNK_CHARS = 64 * 1024


# =============================================================================
# Vocabulary (fictional)
# =============================================================================

FIRST = (
    "Anna Erik Lars Karin Maria Johan Eva Anders Sara Per Lena Mikael Emma Fredrik Elin Jonas Ida "
    "Magnus Linnea Henrik Sofia Oskar Maja Gustav Kristina Björn Åsa Mats Ulrika Nils Ingrid Olof "
    "Helena Daniel Camilla Patrik Jenny Stefan Malin Thomas Frida Viktor Hanna Axel Ebba Märta "
    "Göran Ylva Sven Agneta Kent Tove Jörgen Signe"
).split()
LAST = (
    "Andersson Johansson Karlsson Nilsson Eriksson Larsson Olsson Persson Svensson Gustafsson "
    "Pettersson Jonsson Jansson Hansson Bengtsson Jönsson Lindberg Jakobsson Magnusson Olofsson "
    "Lindström Lindqvist Lindgren Berg Axelsson Bergström Lundberg Lind Lundgren Mattsson Berglund "
    "Fredriksson Sandberg Henriksson Forsberg Sjöberg Wallin Engström Eklund Danielsson Håkansson "
    "Lundin Björk Bergman Gunnarsson Holm Wikström Samuelsson Isaksson Fransson Åberg Öberg"
).split()
COMPANIES = (
    "Norrsken Handel AB",
    "Fjällvind Logistik AB",
    "Solkatt Konsult AB",
    "Björkdalens Trävaror AB",
    "Havsbris Design AB",
    "Kvarnbacken Bygg AB",
    "Lingonkvist & Co AB",
    "Granlunds El i Mälardalen AB",
    "Stenbrottet Fastigheter AB",
    "Exempelbolaget i Sverige AB",
    "Blåklint Redovisning AB",
    "Älvdalens Maskinservice AB",
)
TITLES = (
    "Inköpare",
    "Kundtjänst",
    "Ekonomiansvarig",
    "Projektledare",
    "Säljare",
    "VD",
    "Lagerchef",
    "Löneadministratör",
    "Redovisningskonsult",
    "Teknisk support",
)
CITIES = (
    "Stockholm Göteborg Malmö Uppsala Västerås Örebro Linköping Helsingborg Jönköping Norrköping "
    "Lund Umeå Gävle Borås Sundsvall Karlstad Växjö Luleå Kiruna Östersund"
).split()
STREETS = (
    "Storgatan",
    "Drottninggatan",
    "Kungsgatan",
    "Sveavägen",
    "Västra Hamngatan",
    "Järnvägsgatan",
    "Skolgatan",
    "Kyrkogatan",
    "Parkvägen",
    "Björkvägen",
    "Industrivägen",
    "Hamngatan",
    "Åsögatan",
    "Östra Långgatan",
)
PRODUCTS = (
    "kontorsstolar",
    "höj- och sänkbara skrivbord",
    "bildskärmar",
    "tonerkassetter",
    "arbetskläder",
    "pallar med klinker",
    "reservdelar till truckarna",
    "licenser för ekonomisystemet",
    "konsulttimmar",
    "städtjänster",
    "kaffemaskiner",
    "armaturer",
    "golvvärmekablar",
    "gipsskivor",
    "skyddshandskar",
    "servrar",
)
WEEKDAYS = ("måndag", "tisdag", "onsdag", "torsdag", "fredag")
WEEKDAYS_SHORT = ("mån", "tis", "ons", "tor", "fre", "lör", "sön")
MONTHS = ("januari februari mars april maj juni juli augusti september oktober november december").split()
STATUSES = ("levererad", "skickad", "behandlas", "makulerad", "betald", "reklamerad", "väntar på betalning")
SUBJECTS = (
    "Order {order}",
    "Sv: Order {order} - leveransen",
    "Faktura {invoice}",
    "Leveransförsening",
    "Offertförfrågan: {product}",
    "Reklamation order {order}",
    "Mötesbokning {date}",
    "Uppdaterade kontaktuppgifter",
    "Ny leverantör - registrering",
    "Lönespecifikation {month}",
    "Återbetalning",
    "Påminnelse: obetald faktura {invoice}",
    "VB: Frågor om avtalet",
    "Sv: Sv: Inventering vecka {week}",
)
GREETINGS = ("Hej {first}!", "Hej {first},", "Hej,", "Hejsan!", "God morgon {first},", "Hej alla,", "Tjena {first}!")
CLOSINGS = ("Med vänliga hälsningar", "Vänliga hälsningar", "Mvh", "Hälsningar", "Tack på förhand!", "Ha en bra dag!")

# Neutral sentences: numbers that are not personal data (orders, amounts, dates).
NEUTRAL = (
    "Tack för ditt mejl, vi har tagit emot din beställning.",
    "Ordern {order} skickades från vårt lager i {city} den {date}.",
    "Leveransen beräknas komma fram inom {n} arbetsdagar.",
    "Fakturan på {amount} kr förfaller till betalning den {date}.",
    "Vi har krediterat {amount} kr på fakturanummer {invoice}.",
    "Kan du bekräfta att {qty} st {product} fortfarande stämmer?",
    "Enligt avtalet gäller priset {amount} kr exkl. moms per månad.",
    "Mötet flyttas till {weekday} kl. {time} i konferensrum {room}.",
    "Bifogar offerten för {product}, giltig till och med {date}.",
    "Spårningsnumret är {tracking} och paketet kan hämtas hos ombudet.",
    "Ange OCR-nummer {ocr} när du betalar.",
    "Vi har noterat reklamationen och återkommer senast {date}.",
    "Priset har justerats med {pct} % från och med {date}.",
    "Artikelnummer {artnr} är tyvärr slut i lager till vecka {week}.",
    "Hör av dig om något är oklart.",
    "Jag är på semester till och med {date} men läser mejl sporadiskt.",
    "Vår nya adress är {street} {num}, {postal} {city}.",
    "För registreringen behöver vi också ert organisationsnummer {orgnr}.",
    "Kvitto nr {receipt} bifogas som PDF.",
    "Totalt blir det {amount} kr inklusive frakt på {freight} kr.",
    "Ert kundnummer hos oss är {custno}.",
    "Version {version} av kassasystemet installeras under helgen.",
    "Vi levererar {qty} st {product} till {street} {num} i {city}.",
    "Kollinummer {sscc} saknas i leveransen.",
    "Enligt vår kontroll är order {order} redan betald, {amount} kr den {date}.",
    "Kan vi ses {weekday} den {day} {monthname} kl. {time}?",
    "Jag har bifogat underlaget för {monthname} med totalt {qty} timmar.",
    "Tyvärr har det blivit fel i leveransen, vi skickar ersättning omgående.",
    "Lagret i {city} har inventering vecka {week}, så leveranser skjuts fram en dag.",
    "Avtalet löper till {date} med {n} månaders uppsägningstid.",
    "Momsen på {amount} kr är inte med i summan ovan.",
    "Ni hittar villkoren på www.example.se/villkor under punkt {n}.",
    "Ärendet har nummer {ticket} hos vår support.",
    "Betalningen på {amount} kr till bankgiro {bg} är registrerad.",
    "Vi har fått in {qty} av {qty} pallar, resten kommer {weekday}.",
    "Det gäller artikel {ean} i er senaste prislista.",
    "Temperaturen i lagret låg på {n} grader under helgen.",
)

# Sentences that carry a planted identifier (with and without keywords).
WITH_ID = (
    ("pnr", "Mitt personnummer är {pnr}."),
    ("pnr", "Personnummer: {pnr}"),
    ("pnr", "Det gäller {name}, personnr {pnr}, som har flyttat."),
    ("pnr", "Kunden har pnr {pnr} och vill ha ett registerutdrag."),
    ("pnr", "Avser {name}, {pnr}."),
    ("pnr", "Kan ni uppdatera adressen för {pnr} till {street} {num}?"),
    ("phone", "Ring mig gärna på {phone}."),
    ("phone", "Du når mig på {phone} efter kl. {time}."),
    ("phone", "Nytt mobilnummer: {phone}"),
    ("phone", "{name} har nummer {phone} om du vill prata direkt med henne."),
    ("phone", "Chauffören ringer {phone} en halvtimme innan leverans."),
    ("email", "Skicka underlaget till {email} så tar jag det vidare."),
    ("email", "Kontakta {name} på {email}."),
    ("email", "Fakturan ska mejlas till {email} i fortsättningen."),
    ("account", "Lönen ska sättas in på mitt lönekonto {account} från och med {monthname}."),
    ("account", "Återbetalningen görs till kontonummer {account}."),
    ("iban", "Vårt IBAN är {iban}, BIC ESSESESS."),
    ("iban", "Betala till IBAN {iban} och ange fakturanummer {invoice}."),
    ("card", "Beloppet drogs från kort {card} den {date}."),
    ("card", "Kortnummer {card}, giltigt till {mmyy}."),
    ("card", "Jag betalade med {card} men har inte fått någon bekräftelse."),
)


# =============================================================================
# Generation
# =============================================================================


@dataclass(frozen=True, slots=True)
class Plant:
    """A planted identifier: kind as the detectors name it, a finer subkind, canonical value."""

    kind: str
    sub: str
    canon: str
    written: str


class Doc:
    """Text under construction, written to a file in pieces, with planted spans."""

    __slots__ = ("parts", "pos", "truth", "size", "fh")

    def __init__(self, fh) -> None:  # noqa: ANN001 - text file
        self.parts: list[str] = []
        self.pos = 0
        self.truth: list[tuple[str, str, str, int, int]] = []
        self.size = 0
        self.fh = fh

    def t(self, s: str) -> None:
        self.parts.append(s)
        self.pos += len(s)

    def p(self, v: Plant) -> None:
        self.truth.append((v.kind, v.sub, v.canon, self.pos, self.pos + len(v.written)))
        self.parts.append(v.written)
        self.pos += len(v.written)

    def put(self, v: str | Plant) -> None:
        if isinstance(v, Plant):
            self.p(v)
        else:
            self.t(v)

    def flush(self) -> None:
        if self.parts:
            self.fh.write("".join(self.parts))
            self.parts = []


_SLOT = re.compile(r"\{(\w+)\}")


def _split_template(tpl: str) -> tuple[tuple[str, str | None], ...]:
    """'a {x} b' -> (('a ', 'x'), (' b', None))."""
    out: list[tuple[str, str | None]] = []
    last = 0
    for m in _SLOT.finditer(tpl):
        out.append((tpl[last : m.start()], m.group(1)))
        last = m.end()
    out.append((tpl[last:], None))
    return tuple(out)


_NEUTRAL_T = tuple(_split_template(s) for s in NEUTRAL)
_WITH_ID_T = tuple((k, _split_template(s)) for k, s in WITH_ID)
_SUBJECT_T = tuple(_split_template(s) for s in SUBJECTS)

_TRANSLIT = str.maketrans({"å": "a", "ä": "a", "ö": "o", "é": "e", "Å": "A", "Ä": "A", "Ö": "O"})
_DAYS_IN = (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


def _ean13(body12: str) -> str:
    s = sum((ord(c) - 48) * (3 if i % 2 else 1) for i, c in enumerate(body12))
    return body12 + str((10 - s % 10) % 10)


@dataclass(frozen=True, slots=True)
class Company:
    """A fictional company with its fixed numbers, as in real mail traffic."""

    name: str
    domain: str
    orgnr: str  # not personal data: noise
    bg: Plant
    switch: Plant
    street: str
    num: str
    postal: str
    city: str


class Gen:
    """Slot values. Identifier slots return a :class:`Plant`; the rest strings."""

    def __init__(self, seed: int) -> None:
        self.rng = Random(seed)
        r = self.rng
        self.ri = r.randint
        self.rc = r.choice
        self.rr = r.random
        # A small pool of companies with fixed numbers, as in real mail traffic.
        self.companies = [
            Company(
                name=name,
                domain=self.rc(("example.se", "example.com")),
                orgnr=self.orgnr(),
                bg=self.bankgiro_plant(),
                switch=self._landline_fiction(),
                street=self.rc(STREETS),
                num=str(self.ri(1, 120)),
                postal=self.postal(),
                city=self.rc(CITIES),
            )
            for name in COMPANIES
        ]

    # -- helpers -----------------------------------------------------------

    def digits(self, n: int, first_nonzero: bool = True) -> str:
        s = str(self.ri(10 ** (n - 1) if first_nonzero else 0, 10**n - 1))
        return s.zfill(n)

    def pick(self, weighted: Sequence[tuple[float, T]]) -> T:
        x = self.rr()
        acc = 0.0
        for w, v in weighted:
            acc += w
            if x < acc:
                return v
        return weighted[-1][1]

    def name(self) -> tuple[str, str]:
        return self.rc(FIRST), self.rc(LAST)

    # -- identifiers (planted) ----------------------------------------------

    def pnr_parts(self) -> tuple[str, str, str, str]:
        """(yyyy, mm, dd as written, serial+check), fictional and valid."""
        y = self.ri(1940, 2005)
        m = self.ri(1, 12)
        dim = _DAYS_IN[m - 1] + (1 if m == 2 and y % 4 == 0 and (y % 100 or y % 400 == 0) else 0)
        d = self.ri(1, dim)
        if self.rr() < 0.05:
            d += 60  # samordningsnummer
        serial = f"{self.ri(1, 999):03d}"
        body = f"{y % 100:02d}{m:02d}{d:02d}{serial}"
        return f"{y:04d}", f"{m:02d}", f"{d:02d}", serial + luhn_check_digit(body)

    def pnr(self, style: str = "mail") -> Plant:
        yyyy, mm, dd, tail = self.pnr_parts()
        canon = yyyy + mm + dd + tail
        sub = "samordningsnummer" if int(dd) > 60 else "personnummer"
        weights = {
            "mail": ((0.55, "s-"), (0.28, "l-"), (0.08, "l"), (0.06, "s"), (0.03, "s ")),
            "csv": ((0.45, "l"), (0.35, "l-"), (0.2, "s-")),
            "logs": ((0.8, "l"), (0.2, "l-")),
        }[style]
        form = self.pick(weights)
        short = yyyy[2:] + mm + dd
        written = {
            "s-": short + "-" + tail,
            "l-": yyyy + mm + dd + "-" + tail,
            "l": yyyy + mm + dd + tail,
            "s": short + tail,
            "s ": short + " " + tail,
        }[form]
        return Plant("personnummer", sub, canon, written)

    def _mobile_nsn(self) -> tuple[str, str]:
        if self.rr() < 0.2:
            return "7017406" + f"{self.ri(5, 99):02d}", "mobile-fiction"
        return "7" + self.rc("0236") + self.digits(7, False), "mobile"

    def _landline_fiction(self) -> Plant:
        nsn = "8465004" + f"{self.ri(0, 99):02d}"
        form = self.pick(((0.6, 0), (0.15, 1), (0.15, 2), (0.1, 3)))
        a = nsn[1:4], nsn[4:7], nsn[7:9]
        written = (
            f"08-{a[0]} {a[1]} {a[2]}",
            "08-" + nsn[1:],
            f"+46 8 {a[0]} {a[1]} {a[2]}",
            f"08 {a[0]} {a[1]} {a[2]}",
        )[form]
        return Plant("phone", "landline-fiction", "+46" + nsn, written)

    def phone(self, style: str = "mail") -> Plant:
        if style == "mail" and self.rr() < 0.15:
            return self._landline_fiction()
        nsn, sub = self._mobile_nsn()
        n = "0" + nsn
        a, b, c, d = n[:3], n[3:6], n[6:8], n[8:10]
        if style == "mail":
            form = self.pick(
                (
                    (0.35, f"{a}-{b} {c} {d}"),
                    (0.15, f"{a} {b} {c} {d}"),
                    (0.10, n),
                    (0.10, f"{a}-{b}{c}{d}"),
                    (0.13, f"+46 {a[1:]} {b} {c} {d}"),
                    (0.07, "+46" + nsn),
                    (0.04, f"+46 (0){a[1:]}-{b} {c} {d}"),
                    (0.03, f"0046 {a[1:]} {b} {c} {d}"),
                    (0.03, f"{a}-{b}\u00a0{c}\u00a0{d}"),  # NBSP from a mail client
                )
            )
        elif style == "csv":
            form = self.pick(((0.4, n), (0.3, f"{a}-{b}{c}{d}"), (0.3, "+46" + nsn)))
        else:
            form = self.pick(((0.8, "+46" + nsn), (0.2, n)))
        return Plant("phone", sub, "+46" + nsn, form)

    def email(self, first: str | None = None, last: str | None = None, domain: str | None = None) -> Plant:
        if first is None or last is None:
            first, last = self.name()
        f, l_ = first.translate(_TRANSLIT).lower(), last.translate(_TRANSLIT).lower()
        dom = domain or self.rc(("example.se", "example.com", "example.se", "kund.example.se"))
        x = self.rr()
        if x < 0.6:
            local = f"{f}.{l_}"
        elif x < 0.7:
            local = f"{first.translate(_TRANSLIT)}.{last.translate(_TRANSLIT)}"
        elif x < 0.85:
            local = f[0] + l_
        elif x < 0.95:
            local = f"{f}.{l_}{self.ri(50, 99)}"
        else:
            local = self.rc(("info", "faktura", "kundtjanst", "order", "ekonomi"))
        written = f"{local}@{dom}"
        return Plant("email", "email", written.lower(), written)

    def _seb_account(self) -> tuple[str, str]:
        while True:
            clr = str(self.ri(5000, 5999))
            acct6 = self.digits(6, False)
            for c in "0123456789":
                if mod11_is_valid(clr[1:] + acct6 + c):
                    if acct6 + c != "0000000":
                        return clr, acct6 + c
                    break

    def _shb_account(self) -> tuple[str, str]:
        while True:
            clr = str(self.ri(6000, 6999))
            acct8 = self.digits(8, False)
            for c in "0123456789":
                if mod11_is_valid(acct8 + c):
                    return clr, acct8 + c

    def account(self) -> Plant:
        if self.rr() < 0.7:
            clr, acct = self._seb_account()
            written = self.pick(((0.5, f"{clr}-{acct}"), (0.3, f"{clr} {acct[:2]} {acct[2:5]} {acct[5:]}"), (0.2, clr + acct)))
        else:
            clr, acct = self._shb_account()
            written = self.pick(((0.6, f"{clr}-{acct[:3]} {acct[3:6]} {acct[6:]}"), (0.4, f"{clr}-{acct}")))
        return Plant("bank_account", "account", f"{clr}-{acct}", written)

    def iban(self) -> Plant:
        clr, acct = self._seb_account()
        bban = "500" + "000000" + clr + acct
        check = 98 - mod97(iban_numeric("SE00" + bban))
        compact = f"SE{check:02d}{bban}"
        if self.rr() < 0.75:
            written = " ".join(compact[i : i + 4] for i in range(0, 24, 4))
        else:
            written = compact
        return Plant("bank_account", "iban", compact, written)

    def bankgiro_plant(self) -> Plant:
        body = "90"
        while body.startswith("90"):  # 900-0000 .. 904-9999 are fundraising "90-konton"
            body = self.digits(self.rc((6, 7)))
        bg = body + luhn_check_digit(body)
        written = bg[:-4] + "-" + bg[-4:]
        return Plant("bank_account", "bankgiro", bg, written)

    def card(self) -> Plant:
        if self.rr() < 0.7:
            body = "4" + self.digits(14, False)
        else:
            body = "5" + str(self.ri(1, 5)) + self.digits(13, False)
        pan = body + luhn_check_digit(body)
        g = " ".join(pan[i : i + 4] for i in range(0, 16, 4))
        written = self.pick(((0.6, g), (0.3, pan), (0.1, g.replace(" ", "-"))))
        return Plant("payment_card", "card", pan, written)

    # -- noise (not personal data) ----------------------------------------------

    def orgnr(self) -> str:
        body = "5" + str(self.ri(5, 9)) + str(self.ri(2, 9)) + self.digits(6, False)
        n = body + luhn_check_digit(body)
        return n[:6] + "-" + n[6:]

    def postal(self) -> str:
        return f"{self.ri(100, 989)} {self.ri(0, 99):02d}"

    def amount(self) -> str:
        x = self.rr()
        if x < 0.5:
            v = self.ri(50, 9999)
        elif x < 0.9:
            v = self.ri(10000, 999999)
        else:
            v = self.ri(1000000, 9999999)
        s = f"{v:,}".replace(",", " ")
        return s + ("," + f"{self.ri(0, 99):02d}" if self.rr() < 0.6 else "")

    def day(self, base: date | None = None) -> date:
        return date(2023, 1, 1) + timedelta(days=self.ri(0, 900))

    def date_s(self) -> str:
        d = self.day()
        x = self.rr()
        if x < 0.6:
            return d.isoformat()
        if x < 0.85:
            return f"{d.day} {MONTHS[d.month - 1]} {d.year}"
        return f"{d.day}/{d.month}"

    def ocr(self) -> str:
        """A Luhn-checked payment reference, mostly 6-12 digits (customer or invoice number + check)."""
        body = self.digits(self.pick(((0.3, 5), (0.3, 7), (0.2, 9), (0.15, 11), (0.05, 14))))
        return body + luhn_check_digit(body)

    def slot(self, name: str) -> str | Plant:  # noqa: C901 - a dispatch table
        r = self
        if name == "pnr":
            return r.pnr("mail")
        if name == "phone":
            return r.phone("mail")
        if name == "email":
            return r.email()
        if name == "account":
            return r.account()
        if name == "iban":
            return r.iban()
        if name == "card":
            return r.card()
        if name == "order":
            return r.digits(self.rc((7, 8)))
        if name == "invoice":
            return self.pick(((0.5, r.digits(6)), (0.5, f"{self.ri(2023, 2025)}-{r.digits(5, False)}")))
        if name == "date":
            return r.date_s()
        if name == "city":
            return self.rc(CITIES)
        if name == "n":
            return str(self.ri(2, 30))
        if name == "amount" or name == "freight":
            return r.amount()
        if name == "qty":
            return str(self.ri(1, 400))
        if name == "product":
            return self.rc(PRODUCTS)
        if name == "weekday":
            return self.rc(WEEKDAYS)
        if name == "time":
            return f"{self.ri(7, 18):02d}{self.rc(':.')}{self.rc(('00', '15', '30', '45'))}"
        if name == "room":
            return self.rc(("Ekan", "Björken", "Tallen", "4B", "Stora salen"))
        if name == "tracking":
            return "UA" + r.digits(9) + "SE"
        if name == "ocr":
            return r.ocr()
        if name == "pct":
            return f"{self.ri(1, 9)},{self.ri(0, 9)}"
        if name == "artnr":
            return f"{r.digits(3)}-{r.digits(3, False)}"
        if name == "week":
            return str(self.ri(1, 52))
        if name == "street":
            return self.rc(STREETS)
        if name == "num":
            return str(self.ri(1, 140))
        if name == "postal":
            return r.postal()
        if name == "orgnr":
            return r.orgnr()
        if name == "receipt":
            return r.digits(self.ri(6, 9))
        if name == "custno":
            return r.digits(6)
        if name == "version":
            return f"{self.ri(1, 12)}.{self.ri(0, 30)}.{self.ri(0, 200)}"
        if name == "sscc":
            return "00" + "373" + r.digits(13, False)
        if name == "day":
            return str(self.ri(1, 28))
        if name == "monthname" or name == "month":
            return self.rc(MONTHS)
        if name == "ticket":
            return f"{self.rc(('CS', 'INC', 'ÄR'))}-{r.digits(6)}"
        if name == "bg":
            return self.rc(self.companies).bg  # a company's bankgiro (planted: detectors cannot tell)
        if name == "ean":
            return _ean13("73" + r.digits(10, False))
        if name == "name":
            f, l_ = r.name()
            return f"{f} {l_}"
        if name == "mmyy":
            return f"{self.ri(1, 12):02d}/{self.ri(25, 30)}"
        if name == "first":
            return self.rc(FIRST)
        raise KeyError(name)

    def fill(self, doc: Doc, tpl: tuple[tuple[str, str | None], ...]) -> None:
        for lit, slot in tpl:
            if lit:
                doc.t(lit)
            if slot is not None:
                doc.put(self.slot(slot))


# -- mail ----------------------------------------------------------------------


def _mail_header_date(g: Gen, d: datetime) -> str:
    return f"{WEEKDAYS_SHORT[d.weekday()]}, {d.day} {MONTHS[d.month - 1][:3]} {d.year} {d:%H:%M:%S} +0200"


def _mail_body(g: Gen, doc: Doc, prefix: str, sender: tuple[str, str], company: Company, to_first: str) -> None:
    nl = "\n" + prefix
    doc.t(prefix + g.rc(GREETINGS).replace("{first}", to_first) + nl + nl)
    for _ in range(g.ri(2, 5)):  # paragraphs
        for k in range(g.ri(2, 6)):
            if k:
                doc.t(" ")
            if g.rr() < 0.11:
                _kind, tpl = g.rc(_WITH_ID_T)
                g.fill(doc, tpl)
            else:
                g.fill(doc, g.rc(_NEUTRAL_T))
        doc.t(nl + nl)
    # signature
    first, last = sender
    doc.t(g.rc(CLOSINGS) + nl + f"{first} {last}" + nl + f"{g.rc(TITLES)}, {company.name}" + nl)
    if g.rr() < 0.6:
        doc.t(g.rc(("Tel: ", "Tel. ", "Telefon: ", "Växel: ")))
        doc.p(company.switch)
        doc.t(nl)
    if g.rr() < 0.7:
        doc.t(g.rc(("Mobil: ", "Mob: ", "Mobil ", "Direkt: ")))
        doc.p(g.phone("mail"))
        doc.t(nl)
    if g.rr() < 0.5:
        doc.p(g.email(first, last, company.domain))
        doc.t(nl)
    doc.t(f"{company.street} {company.num}, {company.postal} {company.city}" + nl)
    if g.rr() < 0.5:
        doc.t(f"Org.nr {company.orgnr}")
        if g.rr() < 0.5:
            doc.t(" | Bankgiro ")
            doc.p(company.bg)
        doc.t(nl)
    doc.t(f"www.{company.domain}\n")


def gen_mail(g: Gen, doc: Doc, target_chars: int, chunks: list[int]) -> None:
    t = datetime(2024, 1, 8, 7, 0, 0)
    while doc.pos < target_chars:
        chunks.append(doc.pos)
        t += timedelta(seconds=g.ri(20, 1800))
        sender = g.name()
        rcpt = g.name()
        sc, rcomp = g.rc(g.companies), g.rc(g.companies)
        doc.t(f"From MAILER-DAEMON {t:%a %b %d %H:%M:%S %Y}\nFrån: {sender[0]} {sender[1]} <")
        doc.p(g.email(sender[0], sender[1], sc.domain))
        doc.t(f">\nTill: {rcpt[0]} {rcpt[1]} <")
        doc.p(g.email(rcpt[0], rcpt[1], rcomp.domain))
        doc.t(">\n")
        if g.rr() < 0.3:
            cc = g.name()
            doc.t(f"Kopia: {cc[0]} {cc[1]} <")
            doc.p(g.email(cc[0], cc[1]))
            doc.t(">\n")
        doc.t(f"Datum: {_mail_header_date(g, t)}\nÄmne: ")
        g.fill(doc, g.rc(_SUBJECT_T))
        doc.t("\n\n")
        _mail_body(g, doc, "", sender, sc, rcpt[0])
        # quoted earlier messages of the thread
        prev_sender, prev_comp = rcpt, rcomp
        for _ in range(g.pick(((0.25, 0), (0.3, 1), (0.25, 2), (0.2, 3)))):
            pt = t - timedelta(hours=g.ri(1, 72))
            doc.t(f"\n-----Ursprungligt meddelande-----\nFrån: {prev_sender[0]} {prev_sender[1]} <")
            doc.p(g.email(prev_sender[0], prev_sender[1], prev_comp.domain))
            doc.t(f">\nSkickat: den {pt.day} {MONTHS[pt.month - 1]} {pt.year} {pt:%H:%M}\nTill: {sender[0]} {sender[1]}\n\n")
            _mail_body(g, doc, "> ", prev_sender, prev_comp, sender[0])
        doc.t("\n")
        if len(doc.parts) > 4096:
            doc.flush()


# -- csv -----------------------------------------------------------------------


def gen_csv(g: Gen, doc: Doc, target_chars: int, chunks: list[int]) -> None:
    ri, rr, rc = g.ri, g.rr, g.rc
    stamp = datetime(2024, 1, 2, 6, 0, 0)
    lines = 0
    while doc.pos < target_chars:
        table = g.pick(((0.35, "orders"), (0.25, "customers"), (0.2, "payments"), (0.2, "stock")))
        n_rows = ri(500, 4000)
        if table == "orders":
            header = "order_id;orderdatum;kundnr;kund;personnummer;telefon;epost;belopp;valuta;status"
        elif table == "customers":
            header = "kundnr;fornamn;efternamn;gatuadress;postnr;ort;mobil;e-post;bankkonto;skapad;uppdaterad"
        elif table == "payments":
            header = "betalning_id;datum;tid;belopp;kund;iban;kortnummer;ocr;referens;status"
        else:
            header = "artikelnr;ean;benamning;antal;a_pris;lagerplats;senast_inventerad"
        for i in range(n_rows + 1):
            if lines % CSV_LINES_PER_CHUNK == 0:
                chunks.append(doc.pos)
            lines += 1
            if i == 0:
                doc.t(header + "\n")
                continue
            stamp += timedelta(seconds=ri(1, 400))
            if table == "orders":
                f, l_ = g.name()
                doc.t(f"{ri(10000000, 99999999)};{stamp:%Y-%m-%d};K-{ri(100000, 999999)};{f} {l_};")
                if rr() < 0.8:
                    doc.p(g.pnr("csv"))
                doc.t(";")
                if rr() < 0.85:
                    doc.p(g.phone("csv"))
                doc.t(";")
                if rr() < 0.85:
                    doc.p(g.email(f, l_))
                doc.t(f";{g.amount()};SEK;{rc(STATUSES)}\n")
            elif table == "customers":
                f, l_ = g.name()
                doc.t(f"{ri(100000, 999999)};{f};{l_};{rc(STREETS)} {ri(1, 140)};{g.postal()};{rc(CITIES)};")
                if rr() < 0.9:
                    doc.p(g.phone("csv"))
                doc.t(";")
                if rr() < 0.9:
                    doc.p(g.email(f, l_))
                doc.t(";")
                if rr() < 0.4:
                    doc.p(g.account())
                created = stamp - timedelta(days=ri(0, 1500), seconds=ri(0, 86399))
                doc.t(f";{created:%Y-%m-%dT%H:%M:%S};{stamp:%Y-%m-%d %H:%M:%S}\n")
            elif table == "payments":
                f, l_ = g.name()
                doc.t(f"{ri(1000000, 9999999)};{stamp:%Y-%m-%d};{stamp:%H:%M:%S};{g.amount()};{f} {l_};")
                if rr() < 0.3:
                    doc.p(g.iban())
                doc.t(";")
                x = rr()
                if x < 0.1:
                    doc.p(g.card())
                elif x < 0.7:  # masked PAN: not personal data on its own
                    pan = g.card().canon
                    doc.t(pan[:6] + "******" + pan[-4:])
                doc.t(f";{g.ocr()};{rc(('Faktura', 'Order', 'Abonnemang', 'Retur'))} {ri(100000, 9999999)};{rc(STATUSES)}\n")
            else:
                doc.t(
                    f"{ri(100, 999)}-{ri(100, 999)};{_ean13('73' + g.digits(10, False))};{rc(PRODUCTS)};"
                    f"{ri(0, 5000)};{g.amount()};{rc('ABCDEFGH')}{ri(1, 40):02d}-{ri(1, 9)};{stamp:%Y-%m-%d}\n"
                )
            if len(doc.parts) > 8192:
                doc.flush()
            if doc.pos >= target_chars:
                break


# -- logs ----------------------------------------------------------------------

_LOG_PATHS = ("/api/v2/orders/{id}", "/api/v2/customers/{id}/invoices", "/api/v1/products/{id}", "/health", "/login", "/api/v2/cart/{id}/items")


def gen_logs(g: Gen, doc: Doc, target_chars: int, chunks: list[int]) -> None:
    ri, rr, rc = g.ri, g.rr, g.rc
    rng = g.rng
    t = datetime(2024, 5, 17, 0, 0, 0)
    last_chunk = -LOG_CHUNK_CHARS
    while doc.pos < target_chars:
        if doc.pos - last_chunk >= LOG_CHUNK_CHARS:
            chunks.append(doc.pos)
            last_chunk = doc.pos
        t += timedelta(milliseconds=ri(1, 900))
        ts = f"{t:%Y-%m-%dT%H:%M:%S}.{t.microsecond // 1000:03d}Z" if rr() < 0.7 else f"{t:%Y-%m-%dT%H:%M:%S}Z"
        x = rr()
        if x < 0.40:
            path = rc(_LOG_PATHS).replace("{id}", str(ri(1000000, 99999999)))
            doc.t(
                f"{ts} INFO  api-gw[{ri(1000, 65000)}]: req={rng.getrandbits(64):016x} "
                f"method={rc(('GET', 'GET', 'POST', 'PUT'))} path={path} status={rc((200, 200, 200, 201, 304, 404, 500))} "
                f"dur={ri(1, 2500)}ms bytes={ri(200, 9000000)} ip=10.{ri(0, 255)}.{ri(0, 255)}.{ri(1, 254)}\n"
            )
        elif x < 0.55:
            u = rng.getrandbits(128)
            us = f"{u:032x}"
            doc.t(
                f"{ts} WARN  payments: retry {ri(1, 5)}/5 for txn {us[:8]}-{us[8:12]}-4{us[13:16]}-a{us[17:20]}-{us[20:]} "
                f"(amount={ri(10, 99999)}.{ri(0, 99):02d} SEK, ocr={g.ocr()})\n"
            )
        elif x < 0.63:
            stamp = f"{t:%Y%m%d%H%M}"
            doc.t(
                rc(
                    (
                        f"{ts} INFO  export: wrote /var/exports/orders_{stamp}.csv rows={ri(100, 99999)} bytes={ri(10000, 90000000)}\n",
                        f"{stamp} cron[{ri(100, 9999)}]: batch {stamp} done in {ri(1, 999)}.{ri(0, 999):03d}s\n",
                        f"{ts} INFO  backup: db-{stamp}.sql.gz uploaded, batch_id={stamp}\n",
                    )
                )
            )
        elif x < 0.72:
            doc.t(
                f"{t:%Y-%m-%d %H:%M:%S},{t.microsecond // 1000:03d} DEBUG worker.py:{ri(10, 900)} "
                f"job {ri(100000, 9999999)} done in {ri(0, 9)}.{ri(0, 999):03d}s queue={rc(('default', 'mail', 'reports'))} "
                f"v{ri(1, 4)}.{ri(0, 20)}.{ri(0, 99)}\n"
            )
        elif x < 0.80:
            doc.t(
                f"{ts} INFO  stock: sku={ri(100, 999)}-{ri(100, 999)} ean={_ean13('73' + g.digits(10, False))} "
                f"qty={ri(0, 9000)} price={ri(10, 99999)}.{ri(0, 99):02d} warehouse={rc(CITIES)}\n"
            )
        elif x < 0.88:
            f, l_ = g.name()
            doc.t(f"{ts} INFO  auth: login ok user=")
            doc.p(g.email(f, l_))
            doc.t(f" session={rng.getrandbits(96):024x} ip=192.168.{ri(0, 255)}.{ri(1, 254)}\n")
        elif x < 0.93:
            doc.t(f"{ts} INFO  sms: sent to=")
            doc.p(g.phone("logs"))
            doc.t(f" template={rc(('order_shipped', 'otp', 'reminder'))} id={rng.getrandbits(48):012x}\n")
        elif x < 0.97:
            if rr() < 0.5:
                doc.t(f'{{"ts":"{ts}","level":"info","svc":"bankid","msg":"collect complete","personalNumber":"')
                doc.p(g.pnr("logs"))
                ref = f"{rng.getrandbits(128):032x}"
                doc.t(f'","orderRef":"{ref[:8]}-{ref[8:12]}-{ref[12:16]}-{ref[16:20]}-{ref[20:]}"}}\n')
            else:
                doc.t(f"{ts} INFO  kyc: verified pnr=")
                doc.p(g.pnr("logs"))
                doc.t(f" score={ri(0, 100)} case={ri(100000, 999999)}\n")
        else:
            doc.t(
                f"{ts} ERROR db: deadlock detected pid={ri(1000, 65000)} tx={ri(10**9, 10**10)} "
                f"relation=orders lsn={ri(0, 255):X}/{rng.getrandbits(32):08X}\n"
            )
        if len(doc.parts) > 8192:
            doc.flush()


GENERATORS: dict[str, Callable[[Gen, Doc, int, list[int]], None]] = {"mail": gen_mail, "csv": gen_csv, "logs": gen_logs}


@dataclass
class Corpus:
    name: str
    text: str
    chunks: list[tuple[int, int]]  # (start, end) offsets of each record block
    truth: list[tuple[str, str, str, int, int]]
    mb: float  # UTF-8 megabytes (10**6 bytes)


def _paths(out: Path, name: str, mb_each: float, seed: int) -> tuple[Path, Path, Path]:
    stem = f"{name}-v{GENERATOR_VERSION}-s{seed}-{mb_each:g}MB"
    return out / f"{stem}.txt", out / f"{stem}.truth.tsv", out / f"{stem}.chunks.json"


def generate(out: Path, name: str, mb_each: float, seed: int) -> None:
    txt, truth_p, chunks_p = _paths(out, name, mb_each, seed)
    out.mkdir(parents=True, exist_ok=True)
    g = Gen(seed * 1000 + CORPORA.index(name))
    chunks: list[int] = []
    tmp = txt.with_suffix(".tmp")
    with open(tmp, "w", encoding="utf-8", newline="") as fh:
        doc = Doc(fh)
        # Swedish text is about 1 % non-ASCII (2 bytes each): aim a little low in characters.
        GENERATORS[name](g, doc, int(mb_each * 1e6 * 0.99), chunks)
        doc.flush()
    with open(truth_p, "w", encoding="utf-8", newline="") as fh:
        for kind, sub, canon, s, e in doc.truth:
            fh.write(f"{kind}\t{sub}\t{canon}\t{s}\t{e}\n")
    chunks_p.write_text(json.dumps(chunks + [doc.pos]))
    tmp.replace(txt)


def load(out: Path, name: str, mb_each: float, seed: int, regenerate: bool) -> Corpus:
    txt, truth_p, chunks_p = _paths(out, name, mb_each, seed)
    if regenerate or not (txt.exists() and truth_p.exists() and chunks_p.exists()):
        t0 = time.perf_counter()
        print(f"generating {name} corpus ({mb_each:g} MB) in {txt.parent} ...", end=" ", flush=True)
        generate(out, name, mb_each, seed)
        print(f"{time.perf_counter() - t0:.1f} s", flush=True)
    text = txt.read_text(encoding="utf-8")
    bounds = json.loads(chunks_p.read_text())
    chunks = [(bounds[i], bounds[i + 1]) for i in range(len(bounds) - 1) if bounds[i + 1] > bounds[i]]
    truth = []
    with open(truth_p, encoding="utf-8") as fh:
        for line in fh:
            kind, sub, canon, s, e = line.rstrip("\n").split("\t")
            truth.append((kind, sub, canon, int(s), int(e)))
    return Corpus(name, text, chunks, truth, txt.stat().st_size / 1e6)


# =============================================================================
# Measurement
# =============================================================================


@dataclass
class Finding:
    kind: str
    start: int  # offsets in the corpus
    end: int
    value: str = ""


@dataclass(frozen=True)
class Timing:
    """Wall-clock seconds (time.perf_counter) and CPU seconds of this process (time.process_time)."""

    wall: float
    cpu: float

    def __add__(self, other: Timing) -> Timing:
        return Timing(self.wall + other.wall, self.cpu + other.cpu)


def _best_of(repeat: int, fn: Callable[[], object]) -> tuple[Timing, object]:
    """Run ``fn`` ``repeat`` times; the timing of the fastest run (wall clock) and its result."""
    best = Timing(float("inf"), float("inf"))
    result: object = None
    for _ in range(max(1, repeat)):
        gc.collect()
        c0 = time.process_time()
        t0 = time.perf_counter()
        result = fn()
        dt = time.perf_counter() - t0
        dc = time.process_time() - c0
        if dt < best.wall:
            best = Timing(dt, dc)
    return best, result


def run_bare(texts: list[str], repeat: int) -> Timing:
    rx = re.compile(BARE_REGEX)

    def go() -> int:
        n = 0
        for c in texts:
            for _ in rx.finditer(c):
                n += 1
        return n

    return _best_of(repeat, go)[0]


def run_ours(
    texts: list[str], starts: list[int], kinds: Sequence[str] | None, repeat: int, keep: bool
) -> tuple[Timing, list[Finding]]:
    from detectors.scan import Scanner

    sc = Scanner(kinds)
    sc.find("warm up 811228-9874 070-123 45 67 a@example.se SE45 5000 0000 0583 9825 7466")

    def go() -> list[list]:
        find = sc.find
        return [find(c) for c in texts]

    secs, res = _best_of(repeat, go)
    out: list[Finding] = []
    if keep:
        for base, ms in zip(starts, res):  # type: ignore[call-overload]
            for m in ms:
                out.append(Finding(m.kind, base + m.start, base + m.end, m.value))
    return secs, out


# -- presidio --------------------------------------------------------------------

PRESIDIO_KIND = {
    "EMAIL_ADDRESS": "email",
    "PHONE_NUMBER": "phone",
    "CREDIT_CARD": "payment_card",
    "IBAN_CODE": "bank_account",
    "SE_PERSONNUMMER": "personnummer",
}
# Planted (kind, subkind) groups that presidio has a recognizer for.
PRESIDIO_COVERS = {"personnummer", "email", "phone", "payment_card", ("bank_account", "iban")}


def presidio_recognizers() -> tuple[list[tuple[str, object]], str]:
    """presidio-analyzer's pattern recognizers, built directly (no spaCy model, no AnalyzerEngine)."""
    import presidio_analyzer
    import tldextract
    from presidio_analyzer.predefined_recognizers import (
        CreditCardRecognizer,
        EmailRecognizer,
        IbanRecognizer,
        PhoneRecognizer,
    )

    # EmailRecognizer calls tldextract.extract, which fetches the public suffix
    # list over the network on first use: use the snapshot bundled with tldextract.
    tldextract.extract = tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None)  # type: ignore[assignment]
    recs: list[tuple[str, object]] = [
        ("EMAIL_ADDRESS", EmailRecognizer()),
        ("PHONE_NUMBER", PhoneRecognizer(supported_regions=("SE",))),
        ("CREDIT_CARD", CreditCardRecognizer()),
        ("IBAN_CODE", IbanRecognizer()),
    ]
    try:
        from presidio_analyzer.predefined_recognizers import SePersonnummerRecognizer

        recs.append(("SE_PERSONNUMMER", SePersonnummerRecognizer()))
    except ImportError:
        pass
    return recs, getattr(presidio_analyzer, "__version__", "") or _dist_version("presidio-analyzer")


def _dist_version(dist: str) -> str:
    try:
        from importlib.metadata import version

        return version(dist)
    except Exception:  # noqa: BLE001 - best effort
        return "?"


def run_presidio(
    recs: list[tuple[str, object]], texts: list[str], starts: list[int], repeat: int
) -> tuple[dict[str, Timing], list[Finding]]:
    per: dict[str, Timing] = {}
    found: list[Finding] = []
    for entity, rec in recs:
        rec.analyze("warm up a@example.se 070-123 45 67", entities=[entity], nlp_artifacts=None)  # type: ignore[attr-defined]

        def go(rec=rec, entity=entity) -> list:  # noqa: ANN001
            analyze = rec.analyze
            return [analyze(c, entities=[entity], nlp_artifacts=None) for c in texts]

        secs, res = _best_of(repeat, go)
        per[entity] = secs
        kind = PRESIDIO_KIND[entity]
        for base, rs in zip(starts, res):  # type: ignore[call-overload]
            for r in rs:
                found.append(Finding(kind, base + r.start, base + r.end))
    return per, found


# -- recall and precision proxy ---------------------------------------------------------


def _norm_value(v: str) -> str:
    return re.sub(r"[^0-9a-z@.]", "", v.lower())


@dataclass
class Score:
    planted: Counter = field(default_factory=Counter)  # group -> planted
    found: Counter = field(default_factory=Counter)  # group -> found (kind + overlap [+ value])
    overlap_wrong_value: Counter = field(default_factory=Counter)
    unmatched: Counter = field(default_factory=Counter)  # finding kind -> findings overlapping no planted item
    n_findings: int = 0


def _group(kind: str, sub: str) -> str:
    return f"{kind}/{sub}"


def _within(truth: list[tuple[str, str, str, int, int]], blocks: list[tuple[int, int]]) -> list[tuple[str, str, str, int, int]]:
    """The planted items that lie inside one of ``blocks`` (sorted, non-overlapping)."""
    starts = [b[0] for b in blocks]
    out = []
    for t in truth:
        i = bisect_left(starts, t[3] + 1) - 1
        if i >= 0 and t[4] <= blocks[i][1]:
            out.append(t)
    return out


def score(
    truth: list[tuple[str, str, str, int, int]],
    findings: list[Finding],
    check_value: bool,
    blocks: list[tuple[int, int]] | None = None,
) -> Score:
    """Recall per planted group; findings that overlap no planted identifier, per kind.

    With ``blocks``, only the planted items inside those blocks count (the
    findings are expected to come from those blocks only).
    """
    sc = Score()
    items = truth if blocks is None else _within(truth, blocks)
    by_kind: dict[str, list[Finding]] = defaultdict(list)
    for f in findings:
        by_kind[f.kind].append(f)
    starts_by_kind = {}
    for k, fs in by_kind.items():
        fs.sort(key=lambda f: f.start)
        starts_by_kind[k] = [f.start for f in fs]
    for kind, sub, canon, s, e in items:
        g = _group(kind, sub)
        sc.planted[g] += 1
        cands = by_kind.get(kind)
        if not cands:
            continue
        i = bisect_left(starts_by_kind[kind], e)
        hit = wrong = False
        j = i - 1
        while j >= 0 and j >= i - 6:
            f = cands[j]
            if f.end > s:
                if not check_value or _norm_value(f.value) == _norm_value(canon):
                    hit = True
                    break
                wrong = True
            j -= 1
        if hit:
            sc.found[g] += 1
        elif wrong:
            sc.overlap_wrong_value[g] += 1
    # precision proxy
    spans = sorted((t[3], t[4]) for t in items)
    tstarts = [a for a, _ in spans]
    max_len = max((b - a for a, b in spans), default=0)
    for f in findings:
        sc.n_findings += 1
        i = bisect_left(tstarts, f.end)
        ok = False
        j = i - 1
        while j >= 0 and spans[j][0] >= f.start - max_len - 1:
            if spans[j][1] > f.start:
                ok = True
                break
            j -= 1
        if not ok:
            sc.unmatched[f.kind] += 1
    return sc


def _covered(group: str) -> bool:
    kind, sub = group.split("/")
    return kind in PRESIDIO_COVERS or (kind, sub) in PRESIDIO_COVERS


def _ratio(found: Counter, planted: Counter, groups: list[str]) -> float:
    p = sum(planted[g] for g in groups)
    return sum(found[g] for g in groups) / p if p else float("nan")


# =============================================================================
# Report
# =============================================================================


def _pct(x: float) -> str:
    return "   n/a" if x != x else f"{100 * x:5.1f}%"


def _fmt_unmatched(c: Counter, mb: float) -> str:
    if not c:
        return "none"
    return ", ".join(f"{k} {v / mb:.1f}" for k, v in sorted(c.items(), key=lambda kv: -kv[1]))


def pin_cpu(cpu: int | None) -> str:
    if cpu is None:
        return "single thread, not pinned"
    if not hasattr(os, "sched_setaffinity"):
        return "single thread, not pinned (no sched_setaffinity)"
    os.sched_setaffinity(0, {cpu})
    return f"single thread, pinned to CPU {cpu}"


def main(argv: Sequence[str] | None = None) -> int:  # noqa: C901 - a report
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--mb", type=float, default=300.0, help="total corpus size in MB, split over mail/csv/logs (default 300)")
    ap.add_argument("--quick", action="store_true", help="small smoke run: 6 MB, presidio on 1 MB per corpus")
    ap.add_argument("--presidio-mb", type=float, default=None, help="presidio sample per corpus in MB (default 3; 1 with --quick)")
    ap.add_argument("--no-presidio", action="store_true", help="skip the presidio-analyzer comparison")
    ap.add_argument(
        "--alone-mb", type=float, default=40.0,
        help="run each kind alone on at most this many MB per corpus (1 block in k; default 40)",
    )
    ap.add_argument("--repeat", type=int, default=1, help="report the best of N timed runs (default 1)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--corpora", default=",".join(CORPORA), help="comma-separated subset of mail,csv,logs")
    ap.add_argument("--cpu", type=int, default=None, help="pin the process to this CPU (default: not pinned)")
    ap.add_argument("--out", type=Path, default=HERE / "out", help="cache directory (default benchmarks/out)")
    ap.add_argument("--regenerate", action="store_true", help="regenerate the corpus even if cached")
    args = ap.parse_args(argv)

    total_mb = 6.0 if args.quick else args.mb
    presidio_mb = args.presidio_mb if args.presidio_mb is not None else (1.0 if args.quick else 3.0)
    names = [n for n in args.corpora.split(",") if n]
    for n in names:
        if n not in CORPORA:
            ap.error(f"unknown corpus {n!r}")
    mb_each = round(total_mb / len(CORPORA), 3)

    pinned = pin_cpu(args.cpu)
    import detectors
    from detectors.scan import KINDS

    print("pii-scan detector benchmark")
    print(
        f"python {platform.python_version()} on {platform.machine()} ({os.cpu_count()} CPUs), {pinned}; "
        f"detectors {getattr(detectors, '__version__', '?')}; corpus {total_mb:g} MB ({mb_each:g} MB per corpus), seed {args.seed}, "
        f"best of {args.repeat}; {datetime.now():%Y-%m-%d %H:%M}"
    )
    print(
        "MB = 10^6 bytes of UTF-8 text. MB/s = MB / wall-clock seconds (perf_counter); 'cpu s' = CPU seconds of this "
        "process (process_time): wall > cpu means the machine was busy with something else."
    )
    print(f"'all detectors' = Scanner() with every kind ({', '.join(KINDS)}); 'x bare' = MB/s relative to the bare regex.")

    recs: list[tuple[str, object]] = []
    pres_version = ""
    if not args.no_presidio:
        try:
            recs, pres_version = presidio_recognizers()
        except ImportError as e:
            print(f"presidio-analyzer not installed ({e}); install the benchmark extra: pip install -e '.[bench]'")
    if recs:
        print(
            f"presidio-analyzer {pres_version}: {', '.join(type(r).__name__ for _, r in recs)}, each called as "
            f"analyze(text, entities, nlp_artifacts=None) (no spaCy, no AnalyzerEngine, no context enhancement), "
            f"phone region SE only; on a sample of about {presidio_mb:g} MB of each corpus (every k-th block)."
        )

    results: dict[str, dict] = {}
    busy = Timing(0.0, 0.0)
    for name in names:
        corpus = load(args.out, name, mb_each, args.seed, args.regenerate)
        texts = [corpus.text[s:e] for s, e in corpus.chunks]
        starts = [s for s, _ in corpus.chunks]
        mb = corpus.mb
        avg_kb = mb * 1000 / max(1, len(texts))
        planted = Counter(_group(k, s) for k, s, *_ in corpus.truth)
        record = {"mail": "one mail (with quoted thread)", "csv": f"{CSV_LINES_PER_CHUNK} CSV lines", "logs": "~64 KB of log lines"}[name]
        print()
        print(
            f"== {name}: {mb:.1f} MB in {len(texts):,} blocks of {record} (avg {avg_kb:.1f} KB), "
            f"{sum(planted.values()):,} planted identifiers"
        )
        print(f"   {'configuration':<38} {'MB':>6} {'wall s':>8} {'cpu s':>8} {'MB/s':>8} {'x bare':>7}")

        def row(label: str, mb_: float, tm: Timing, bare_mbps: float, extra: str = "") -> float:
            nonlocal busy
            busy = busy + tm
            mbps = mb_ / tm.wall if tm.wall > 0 else float("inf")
            print(f"   {label:<38} {mb_:6.1f} {tm.wall:8.2f} {tm.cpu:8.2f} {mbps:8.2f} {mbps / bare_mbps:7.3f}{extra}")
            return mbps

        bare_t = run_bare(texts, args.repeat)
        bare_mbps = mb / bare_t.wall
        row(f"bare regex {BARE_REGEX}", mb, bare_t, bare_mbps)
        all_t, all_found = run_ours(texts, starts, None, args.repeat, keep=True)
        all_mbps = row("all detectors", mb, all_t, bare_mbps)
        alone: dict[str, float] = {}
        a_stride = max(1, math.ceil(mb / args.alone_mb)) if args.alone_mb > 0 else 1
        a_texts = texts[::a_stride]
        a_mb = mb if a_stride == 1 else sum(len(tx.encode("utf-8")) for tx in a_texts) / 1e6
        a_note = "" if a_stride == 1 else f" (1 block in {a_stride})"
        for k in KINDS_ALONE:
            tm, _ = run_ours(a_texts, starts[::a_stride], (k,), args.repeat, keep=False)
            alone[k] = row(f"  {k} alone{a_note}", a_mb, tm, bare_mbps)
        full = score(corpus.truth, all_found, check_value=True)
        groups = sorted(full.planted)
        res: dict = {
            "mb": round(mb, 2),
            "blocks": len(texts),
            "bare_mbps": round(bare_mbps, 2),
            "all_mbps": round(all_mbps, 2),
            "all_mbps_cpu": round(mb / all_t.cpu, 2),
            "alone_mbps": {k: round(v, 2) for k, v in alone.items()},
            "recall_full": {g: round(full.found[g] / full.planted[g], 4) for g in groups},
            "unmatched_per_mb_full": round(sum(full.unmatched.values()) / mb, 2),
        }

        # presidio on a sample (every k-th block, spread over the corpus), and ours on the same sample
        stride = max(1, round(mb / presidio_mb)) if presidio_mb > 0 else len(texts) + 1
        sample_blocks = corpus.chunks[::stride]
        sample_texts = texts[::stride]
        sample_starts = [s for s, _ in sample_blocks]
        smb = sum(len(tx.encode("utf-8")) for tx in sample_texts) / 1e6
        ours_t, ours_s_found = run_ours(sample_texts, sample_starts, None, args.repeat, keep=True)
        ours_s = score(corpus.truth, ours_s_found, check_value=True, blocks=sample_blocks)
        print(f"   -- sample: {smb:.2f} MB (1 block in {stride}, {len(sample_texts):,} blocks) --")
        ours_smbps = row("all detectors (sample)", smb, ours_t, bare_mbps)
        pres_s = None
        if recs:
            per, pres_found = run_presidio(recs, sample_texts, sample_starts, args.repeat)
            p_t = Timing(sum(t.wall for t in per.values()), sum(t.cpu for t in per.values()))
            p_mbps = smb / p_t.wall
            ratio = ours_smbps / p_mbps
            ratio_cpu = (smb / ours_t.cpu) / (smb / p_t.cpu)
            row(f"presidio, {len(recs)} pattern recognizers", smb, p_t, bare_mbps, f"   ours/presidio = {ratio:.1f}x (cpu {ratio_cpu:.1f}x)")
            for entity, tm in per.items():
                row(f"  presidio {entity}", smb, tm, bare_mbps)
            pres_s = score(corpus.truth, pres_found, check_value=False, blocks=sample_blocks)
            res["presidio_mbps"] = round(p_mbps, 3)
            res["presidio_per_recognizer_mbps"] = {k: round(smb / v.wall, 3) for k, v in per.items()}
            res["ratio_vs_presidio"] = round(ratio, 2)
            res["ratio_vs_presidio_cpu"] = round(ratio_cpu, 2)
        res["sample_mb"] = round(smb, 2)
        res["sample_all_mbps"] = round(ours_smbps, 2)

        # recall table
        print("   -- recall on planted identifiers (ours: same kind, overlapping span, same canonical value; presidio: same kind, overlapping span) --")
        print(f"   {'planted kind/subkind':<32} {'sample':>8} {'ours':>7} {'presidio':>9}   {'full corpus':>11} {'ours':>7}")
        for g in groups:
            p_s = ours_s.planted[g]
            o = ours_s.found[g] / p_s if p_s else float("nan")
            pr = (pres_s.found[g] / p_s if p_s else float("nan")) if (pres_s and _covered(g)) else float("nan")
            wrong = full.overlap_wrong_value[g]
            note = f"  ({wrong} found with another value)" if wrong else ""
            print(
                f"   {g:<32} {p_s:8,} {_pct(o):>7} {_pct(pr):>9}   {full.planted[g]:11,} {_pct(full.found[g] / full.planted[g]):>7}{note}"
            )
        cov = [g for g in groups if _covered(g)]
        o_cov = _ratio(ours_s.found, ours_s.planted, cov)
        p_cov = _ratio(pres_s.found, pres_s.planted, cov) if pres_s else float("nan")
        print(
            f"   {'kinds presidio covers, together':<32} {sum(ours_s.planted[g] for g in cov):8,} {_pct(o_cov):>7} {_pct(p_cov):>9}"
            f"   {sum(full.planted[g] for g in cov):11,} {_pct(_ratio(full.found, full.planted, cov)):>7}"
        )
        print(
            f"   {'all planted':<32} {sum(ours_s.planted.values()):8,} {_pct(_ratio(ours_s.found, ours_s.planted, groups)):>7} {'':>9}"
            f"   {sum(full.planted.values()):11,} {_pct(_ratio(full.found, full.planted, groups)):>7}"
        )
        print("   -- findings overlapping no planted identifier, per MB (precision proxy; by kind) --")
        print(f"   ours, full corpus: {sum(full.unmatched.values()) / mb:7.2f}/MB  ({_fmt_unmatched(full.unmatched, mb)})")
        print(f"   ours, sample:      {sum(ours_s.unmatched.values()) / smb:7.2f}/MB  ({_fmt_unmatched(ours_s.unmatched, smb)})")
        if pres_s:
            print(f"   presidio, sample:  {sum(pres_s.unmatched.values()) / smb:7.2f}/MB  ({_fmt_unmatched(pres_s.unmatched, smb)})")
            res["presidio_unmatched_per_mb"] = round(sum(pres_s.unmatched.values()) / smb, 2)
            res["presidio_recall_covered"] = round(p_cov, 4)
        res["ours_recall_covered_sample"] = round(o_cov, 4)
        res["ours_unmatched_per_mb_sample"] = round(sum(ours_s.unmatched.values()) / smb, 2)
        results[name] = res
        del corpus, texts, sample_texts, all_found, ours_s_found
        gc.collect()

    # targets
    print()
    print("== targets (one core)")
    if "mail" in results:
        r = results["mail"]
        ok = r["all_mbps"] >= TARGET_MBPS
        print(
            f"{'PASS' if ok else 'MISS'}  all detectors on free text (mail): {r['all_mbps']:.1f} MB/s "
            f"(cpu time: {r['all_mbps_cpu']:.1f} MB/s; target >= {TARGET_MBPS:g})"
        )
        if "ratio_vs_presidio" in r:
            ok = r["ratio_vs_presidio"] >= TARGET_RATIO
            print(
                f"{'PASS' if ok else 'MISS'}  throughput vs presidio-analyzer on free text: {r['ratio_vs_presidio']:.1f}x "
                f"(cpu time: {r['ratio_vs_presidio_cpu']:.1f}x; target >= {TARGET_RATIO:g}x)"
            )
            ok = r["ours_recall_covered_sample"] >= r["presidio_recall_covered"]
            print(
                f"{'PASS' if ok else 'MISS'}  recall vs presidio-analyzer on free text: ours {_pct(r['ours_recall_covered_sample']).strip()}"
                f" vs {_pct(r['presidio_recall_covered']).strip()} (kinds presidio covers)"
            )
    for name, r in results.items():
        if name == "mail":
            continue
        line = f"info  {name}: all detectors {r['all_mbps']:.1f} MB/s"
        if "ratio_vs_presidio" in r:
            line += (
                f", {r['ratio_vs_presidio']:.1f}x presidio, recall ours {_pct(r['ours_recall_covered_sample']).strip()}"
                f" vs presidio {_pct(r['presidio_recall_covered']).strip()}"
            )
        print(line)
    if busy.cpu > 0 and busy.wall / busy.cpu > 1.15:
        print(
            f"note  wall-clock time was {busy.wall / busy.cpu:.2f}x the CPU time: the machine was busy, "
            "so the MB/s figures are pessimistic; rerun on an idle machine or compare the cpu figures."
        )
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "results.json").write_text(
        json.dumps(
            {"total_mb": total_mb, "seed": args.seed, "repeat": args.repeat, "presidio": pres_version, "corpora": results},
            indent=2,
        )
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
