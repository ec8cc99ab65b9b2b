"""What every format reader shares: the reading context, problems, values as text, field names."""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from connectors.base import ConnectorError, Limits, Location, Record, safe_name

LocFactory = Callable[[str, str], Location]
"""``loc_factory(container, item) -> Location``: the caller decides store, source and how containers map."""

PATH_FIELD = "path"  # field of the record that carries a file's own path
TEXT_FIELD = "text"  # field of free text: a line, a paragraph, a page
MAX_RECORD_FIELDS = 1000  # a record with more fields is emitted in parts (same item)
MAX_PROBLEMS = 20  # problems kept verbatim; the rest are counted


class LimitExceeded(ConnectorError):
    """An archive or a compressed stream expands beyond :class:`Limits`."""


class PartialRead(ConnectorError):
    """Raised after a stream was read as far as possible, when some parts had to be skipped.

    ``problems`` names each skipped part and why (names and reasons, never values).
    """

    def __init__(self, container: str, problems: list[str], count: int) -> None:
        self.problems = list(problems)
        self.count = count
        more = f" (and {count - len(problems)} more)" if count > len(problems) else ""
        super().__init__(f"{safe_name(container)}: {count} part(s) not read: " + "; ".join(problems) + more)


@dataclass
class Problems:
    """Damaged parts skipped within one stream (shared by nested archive entries)."""

    messages: list[str] = field(default_factory=list)
    count: int = 0

    def add(self, message: str) -> None:
        self.count += 1
        if len(self.messages) < MAX_PROBLEMS:
            self.messages.append(message)

    def __bool__(self) -> bool:
        return self.count > 0


@dataclass
class Budget:
    """Bytes an archive (with its nested archives) may still expand to."""

    remaining: int

    def take(self, n: int, what: str) -> None:
        self.remaining -= n
        if self.remaining < 0:
            raise LimitExceeded(f"{what}: expands beyond the limit of the archive (max_expanded_bytes)")


MAX_MESSAGE_BYTES = 100 << 20  # as connectors.mime.DEFAULT_MAX_MESSAGE_BYTES


@dataclass
class Ctx:
    """One stream being read: where its records go and what bounds apply."""

    container: str
    loc_factory: LocFactory
    limits: Limits
    ref_date: dt.date | None = None
    record_date: dt.datetime | None = None
    depth: int = 0  # nesting in archives
    problems: Problems = field(default_factory=Problems)
    budget: Budget | None = None  # set inside an archive
    max_message_bytes: int = MAX_MESSAGE_BYTES  # mail stored as a file: a larger message, only its header is read

    def record(self, item: str, fields: list[tuple[str, str]], structured: bool) -> Record:
        return Record(self.loc_factory(self.container, item), fields, structured, self.ref_date, (), self.record_date)

    def problem(self, what: str) -> None:
        self.problems.add(what)

    def child(self, container: str, when: dt.datetime | None = None) -> Ctx:
        ref, rec = self.ref_date, self.record_date
        if when is not None:
            ref, rec = when.date(), when
        return Ctx(
            container, self.loc_factory, self.limits, ref, rec, self.depth + 1, self.problems, self.budget, self.max_message_bytes
        )

    @property
    def name(self) -> str:
        return safe_name(self.container)


def as_dates(mtime: float | dt.datetime | dt.date | None) -> tuple[dt.date | None, dt.datetime | None]:
    """(ref_date, record_date) from an mtime: epoch seconds are UTC, datetimes are kept naive UTC."""
    if mtime is None:
        return None, None
    if isinstance(mtime, (int, float)):
        when = dt.datetime.fromtimestamp(mtime, dt.timezone.utc).replace(tzinfo=None)
    elif isinstance(mtime, dt.datetime):
        when = mtime.astimezone(dt.timezone.utc).replace(tzinfo=None) if mtime.tzinfo else mtime
    else:
        when = dt.datetime(mtime.year, mtime.month, mtime.day)
    return when.date(), when


# --- values as a person would write them ---------------------------------------------------------


def as_text(value: Any) -> str:
    """A cell or JSON value as text: ints as digits, floats without losing digits, dates ISO.

    >>> as_text(198112289874.0), as_text(7), as_text(Decimal("1.50")), as_text(True)
    ('198112289874.0', '7', '1.50', 'true')
    >>> as_text(dt.datetime(2024, 5, 1)), as_text(dt.datetime(2024, 5, 1, 8, 30))
    ('2024-05-01', '2024-05-01T08:30:00')
    >>> as_text(None), as_text(b"abc")
    ('', 'abc')
    """
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, Decimal)):
        return str(value)
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, dt.datetime):
        if value.tzinfo is None and value.hour == value.minute == value.second == value.microsecond == 0:
            return value.date().isoformat()
        return value.isoformat()
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, (bytes, bytearray, memoryview)):
        raw = bytes(value)
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError:
            return ""  # binary blobs are not text
    return str(value)


# --- JSON-like paths ----------------------------------------------------------------------------

_PLAIN_KEY = re.compile(r"[^\W\d][\w\-]{0,63}")


def plain_key(key: str) -> bool:
    """A key that names a field (``email``, ``kund_id``) rather than holding data.

    Keys with more than four digits, ``@`` or other characters than a label's
    (see :func:`key_segment`) may be data (``"19640823-3234": {...}``,
    ``"anna@example.se": ...``): they are scanned as fields of their own and never
    written into a path.
    """
    return bool(_PLAIN_KEY.fullmatch(key)) and sum(ch.isdigit() for ch in key) <= 4


# A key that labels its value as a spreadsheet or BI export writes it ("Telefon nr",
# "Kontonummer (clearing + konto)", "E-post adress"): words with spaces and a little
# punctuation, no "@", at most four digits (checked apart). Its name is the field's
# hint (a lost leading zero is repaired only in a phone or personnummer field), so it
# is written into the path in brackets, as the SQL connector writes JSON keys.
_LABEL_KEY = re.compile(r"[^\W\d][\w .\-/()#:%&+',]{0,63}")


# A key written as a person's name: two to four capitalised words, maybe a particle
# ("Anna Berg", "Anna-Karin af Klint"); with no word that names a column, it is data.
_NAME_KEY = re.compile(r"[A-ZÅÄÖÉÜ][a-zåäöéü]+(?:-[A-ZÅÄÖÉÜ][a-zåäöéü]+)?"
                       r"(?: (?:(?:af|von|van|de|del|da|di|le|la) )?[A-ZÅÄÖÉÜ][a-zåäöéü]+(?:-[A-ZÅÄÖÉÜ][a-zåäöéü]+)?){1,3}")


def person_name_key(key: str) -> bool:
    """Whether a JSON key is written as a person's name (``"Anna Berg": {...}``) and no column word
    (``"Telefon Hem"``): data, never to be written into a field path.

    >>> person_name_key("Anna Berg"), person_name_key("Anna-Karin af Klint"), person_name_key("Telefon Hem")
    (True, True, False)
    """
    return _NAME_KEY.fullmatch(key) is not None and not _label_words(key)


def key_segment(key: str, ordinal: int) -> str:
    """``.email`` for a plain key, ``["Telefon nr"]`` for a label with spaces or punctuation;
    ``{#3}`` (the 4th key of its object) for a key that may be data: an identifier, or a
    person's name (``"Anna Berg": {...}``), which would otherwise be written into every
    path below it (personal data as field names in the data map).

    >>> key_segment("email", 0), key_segment("Telefon nr", 1), key_segment("19640823-3234", 2)
    ('.email', '["Telefon nr"]', '{#2}')
    >>> key_segment("Anna Berg", 3), key_segment("Telefon Hem", 4)
    ('{#3}', '["Telefon Hem"]')
    """
    if plain_key(key):
        return "." + key
    if _LABEL_KEY.fullmatch(key) and sum(ch.isdigit() for ch in key) <= 4:
        if person_name_key(key):
            return "{#%d}" % ordinal
        return "[" + json.dumps(key, ensure_ascii=False) + "]"
    return "{#%d}" % ordinal


def key_field(member_path: str) -> str:
    """The field that carries a data-like key itself: ``$.people{#0}{key}``."""
    return member_path + "{key}"


def flatten(path: str, value: Any) -> Iterator[tuple[str, str]]:
    """(path, text) for every scalar in a JSON-like value; non-plain keys as fields of their own.

    >>> list(flatten("$", {"a": {"b": 1}, "items": [{"phone": "x"}], "19640823-3234": "y", "n": None}))
    [('$.a.b', '1'), ('$.items[0].phone', 'x'), ('${#2}{key}', '19640823-3234'), ('${#2}', 'y')]
    """
    stack: list[tuple[str, Any]] = [(path, value)]
    while stack:
        p, v = stack.pop()
        if isinstance(v, dict):
            items = list(v.items())
        elif isinstance(v, (list, tuple)):
            stack.extend(reversed([(f"{p}[{i}]", x) for i, x in enumerate(v)]))
            continue
        else:
            text = as_text(v) if not isinstance(v, bool) else ""
            if text.strip():
                yield p, text
            continue
        pending: list[tuple[str, Any]] = []
        for n, (k, x) in enumerate(items):
            k = str(k)
            seg = key_segment(k, n)
            if seg.startswith("{"):
                pending.append((key_field(p + seg), k))  # the key itself, scanned as text
            pending.append((p + seg, x))
        stack.extend(reversed(pending))


# --- tables -------------------------------------------------------------------------------------

_NAME_LIKE = re.compile(r"[^\W\d][\w .\-/()#:%&+]*")


def _datalike(cell: str) -> bool:
    digits = sum(ch.isdigit() for ch in cell)
    letters = sum(ch.isalpha() for ch in cell)
    return "@" in cell or letters == 0 or digits > letters


# An identifier's shape in a cell: seven or more digits written as one number (a phone
# number, a personnummer, an account: "070-174 06 05", "811228 9874", "5839 8257466"),
# or an e-mail address written out ("anna at example dot se", "anna(at)example.se").
# Not a date or a span of years ("Saldo 2024-05-01", "Försäljning 2023/2024").
_ID_RUN = re.compile(r"[0-9](?:[ \-./]?[0-9]){6,}")
_NOT_ID = re.compile(r"[0-9]{4}[-./][0-9]{1,2}[-./][0-9]{1,2}|(?:19|20)[0-9]{2} ?[-/] ?(?:19|20)[0-9]{2}")
_WRITTEN_AT = re.compile(
    r"[\[({<] ?(?:at|snabel-?a) ?[\])}>]|\b(?:at|snabel-?a)\b.+\b(?:dot|punkt)\b", re.IGNORECASE
)


def holds_identifier(cell: str) -> bool:
    """Whether a cell holds what reads as an identifier, which no column name does.

    >>> holds_identifier("Ring på 070-174 06 05"), holds_identifier("anna at example dot se")
    (True, True)
    >>> holds_identifier("Telefon 2"), holds_identifier("Saldo 2024-05-01")
    (False, False)
    """
    if _WRITTEN_AT.search(cell):
        return True
    return any(not _NOT_ID.fullmatch(m.group(0)) for m in _ID_RUN.finditer(cell))


def _column_votes(cells: list[str], rest: Iterable[list[str]]) -> int:
    """Columns whose values below a name are mostly data-like."""
    rows = [r for r in rest if any(x.strip() for x in r)]
    votes = 0
    for col, name in enumerate(cells):
        if not name:
            continue
        below = [r[col].strip() for r in rows if col < len(r) and r[col].strip()]
        if below and sum(_datalike(v) for v in below) * 2 >= len(below):
            votes += 1
    return votes


# Words columns are named by, Swedish and English (lower case, as whole words of a cell).
# Not a first name, surname or place that is one of them (Dag, Vara, Lang, Page are left out).
_HEADER_WORDS = frozenset(
    """
    namn förnamn efternamn tilltalsnamn mellannamn fullständigt kundnr kundnummer kundid
    medlemsnr medlemsnummer personnummer personnr pnr samordningsnummer födelsedatum
    född ålder kön adress adresser gata gatunamn gatuadress postadress utdelningsadress besöksadress co postnummer
    postnr ort
    postort hemort bostadsort födelseort stad kommun län land region område telefon telefonnummer tel tfn mobil
    mobilnummer mobiltelefon hemtelefon arbetstelefon växel fax epost mejl mail email kontakt kontaktperson kontaktuppgifter kommentar
    kommentarer anteckning anteckningar notering noteringar beskrivning meddelande text status typ kategori titel
    befattning roll yrke avdelning enhet företag företagsnamn bolag organisation organisationsnummer orgnr
    arbetsgivare datum skapad ändrad uppdaterad registrerad belopp pris summa totalt
    antal saldo valuta konto kontonummer kontonr clearing clearingnummer clearingnr bank bankgiro plusgiro iban bic
    ocr faktura fakturanr order ordernr artikel produkt grupp källa användarnamn
    inloggning språk nationalitet medborgarskap relation klass
    skola diagnos journal anställningsnummer lön personal nummer nr id
    ref referens kod nyckel värde period månad år vecka tid start slut från till sedan hem arbete privat övrigt
    övriga info information uppgift uppgifter detaljer
    name names first last firstname lastname surname given middle full fullname
    contact contacts address street city town zip zipcode postal postcode country state county area phone
    telephone mobile cell email comment comments note notes remark remarks description message type category title
    role position job department dept unit company organization organisation employer date created
    updated modified registered amount total sum quantity qty count balance currency account invoice item product
    group source username login language nationality gender sex age birth birthday dob ssn
    school salary number no code key value
    month year week time end from to since home work private other details
    mob sms swish kort kortnummer cvv vat moms momsnr idnr telnr mobilnr personkonto lönekonto bg pg
    """.split()
)
# The end of a compound that names a column (Kundnamn, Hemadress, Postort, Kontotyp, Username).
_HEADER_ENDINGS = ("namn", "adress", "nummer", "nr", "datum", "telefon", "mobil", "post", "kommentar", "anteckning",
                   "anteckningar", "beskrivning", "status", "typ", "kod", "belopp", "summa", "konto", "person",
                   "ansvarig", "uppgift", "uppgifter", "kategori", "name", "number", "date", "phone",
                   "address", "code", "type")
# Kinds of people and their roles name a column of names, but are also the values of a
# column of types or roles ("Kund", "Lärare"): weak words, never the only sign of a header.
_WEAK_WORDS = frozenset(
    """
    kund kunder medlem medlemmar person personer elev elever patient anställd deltagare gäst chef lärare säljare
    handläggare ansvarig förälder barn vårdnadshavare anhörig anhöriga ägare användare leverantör mottagare
    customer customers client member people person student teacher employee staff participant guest manager owner
    user vendor supplier parent child guardian
    """.split()
)
_FILLER_WORDS = frozenset("på av för och i per en ett e of for the and in a an at by".split())
# What stands in a cell for a missing value: a first row holding it is data.
_PLACEHOLDERS = frozenset(
    ["saknas", "okänd", "okänt", "unknown", "n/a", "na", "n.a.", "null", "none", "nil", "ingen", "inget", "inga", "tom",
     "empty", "ej", "nej", "ej angivet", "ej angiven", "uppgift saknas", "ingen uppgift", "hemlig", "hemligt", "skyddad",
     "skyddade personuppgifter", "sekretess", "missing", "not available", "-", "–", "?"]
)
_CAMEL = re.compile(r"[a-zåäöéü]+[A-ZÅÄÖÉÜ]")
_WORD = re.compile(r"[^\W\d_]+")


def _label_words(cell: str) -> int:
    """How surely a cell reads as a column's name by its words: 2 (a label's colon, or all its words
    name columns: ``Förnamn``, ``Telefon hem``, ``first_name``, ``Kund:``), 1 (a word of it does,
    or it names a kind of person: ``Kund``, ``Lärare``), 0 (``Anna Berg``, ``anna_berg``)."""
    c = cell.strip()
    if c.endswith(":"):
        return 2
    low = re.sub(r"(?<=[a-zåäöéü])(?=[A-ZÅÄÖÉÜ])", " ", c).lower().replace("e-post", "epost").replace("e-mail", "email")
    words = _WORD.findall(low.replace("c/o", "co"))
    named = [w in _HEADER_WORDS or any(w.endswith(e) and len(w) >= len(e) + 2 for e in _HEADER_ENDINGS) for w in words]
    if not any(named):
        return 1 if any(w in _WEAK_WORDS for w in words) else 0
    if " " not in c and ("_" in c or _CAMEL.match(c)):
        return 2  # an identifier's form with a column word in it (first_name, kundId; not anna_berg)
    return 2 if all(n or w in _FILLER_WORDS or w in _WEAK_WORDS for n, w in zip(named, words)) else 1


def _shape(cell: str) -> tuple[bool, str, bool]:
    """A cell's written shape: whether it holds a digit, how its first word starts (``U`` a word in
    capitals, ``C`` a capital, ``l`` lower case, ``d`` a digit, ``p`` other) and whether it has more
    than one word. ``Anna Berg`` and ``Bo Ek`` are alike; ``Namn`` and ``Anna Berg``, ``Adress`` and
    ``Storgatan 1`` are not."""
    words = cell.split()
    w = words[0]
    ch = w[0]
    if ch.isdigit():
        start = "d"
    elif sum(x.isalpha() for x in w) > 1 and w.isupper():
        start = "U"
    elif ch.isupper():
        start = "C"
    elif ch.isalpha():
        start = "l"
    else:
        start = "p"
    return any(x.isdigit() for x in cell), start, len(words) > 1


def _header_evidence(cells: list[str], rows: list[list[str]]) -> tuple[int, int, int]:
    """(for a header, of which sure, for a row of data): each first-row cell compared with the column below it.

    Sure signs of a header: a column of data-like values below a name (2); a cell whose
    words name a column (2 or 1, :func:`_label_words`). A weak one: a cell shaped unlike
    every value below it (1: ``Namn`` above ``Anna Berg``, ``Adress`` above ``Storgatan
    1``). For data: a placeholder (``saknas``: 2); a value the column holds again below
    (2); a cell shaped as a third or more of the values below (1: ``Anna Berg`` above
    ``Bo Ek``, ``Malmö`` above ``Lund``).
    """
    header = sure = data = 0
    for col, cell in enumerate(cells):
        if not cell:
            continue
        if cell.lower() in _PLACEHOLDERS:
            data += 2
            continue
        label = _label_words(cell)
        sure += label
        below = [r[col].strip() for r in rows if col < len(r) and r[col].strip()]
        if not below:
            continue
        if sum(_datalike(v) for v in below) * 2 >= len(below):
            sure += 2
            continue
        folded = cell.casefold()
        if any(v.casefold() == folded for v in below):
            data += 2
            continue
        shape = _shape(cell)
        alike = sum(_shape(v) == shape for v in below)
        if alike * 3 >= len(below):
            data += 1
        elif not alike:
            header += 1
    return header + sure, sure, data


def looks_like_header(first: list[str], rest: Iterable[list[str]]) -> bool:
    """Whether the first row of a table names its columns.

    The first row must be mostly non-empty, short and not data-like (no
    ``@``, more letters than digits, no identifier written in text: see
    :func:`holds_identifier`); where no column holds data-like values below
    it, its cells must also be unique and read like names. Then each cell is
    compared with the values below it (:func:`_header_evidence`): the row is
    a header if that speaks more for a header than for a row of data, and
    some of it surely (a column's word, a column of data below it: 2). A
    headerless table whose first row holds names, addresses or notes, whose
    shape the rows below repeat (``Anna Berg;Storgatan 1;Malmö`` above ``Bo
    Ek;Lillgatan 22;Lund``), is no header: its values would name the columns
    (personal data as field names) and go unscanned.

    >>> looks_like_header(["Namn", "Adress", "Ort"], [["Anna Berg", "Storgatan 1", "Malmö"]])
    True
    >>> looks_like_header(["Anna Berg", "Storgatan 1", "Malmö"], [["Bo Ek", "Lillgatan 22", "Lund"]])
    False
    """
    cells = [c.strip() for c in first]
    filled = [c for c in cells if c]
    if not filled or len(filled) * 2 < len(cells):
        return False
    if any(len(c) > 80 or _datalike(c) or holds_identifier(c) for c in filled):
        return False
    rows = [r for r in rest if any(x.strip() for x in r)]
    if not _column_votes(cells, rows):
        if len(set(filled)) != len(filled):
            return False
        if not all(len(c) <= 40 and _NAME_LIKE.fullmatch(c) for c in filled):
            return False
    header, sure, data = _header_evidence(cells, rows)
    return sure >= 2 and header > data


def header_also_data(header: list[str], rest: Iterable[list[str]]) -> bool:
    """Whether a header row (:func:`looks_like_header`) is read as a row of data too.

    Where no column holds data-like values below it, a header of text columns
    cannot be told from a first row of notes: when one of its cells holds a
    digit, its cells are scanned as values as well (``Växel 08 - 12 34 56``).

    >>> header_also_data(["Namn", "Adress 2"], [["Anna Berg", "Storgatan"]])
    True
    >>> header_also_data(["Namn", "Telefon 2"], [["Anna Berg", "070-174 06 05"]])
    False
    """
    cells = [c.strip() for c in header]
    return any(ch.isdigit() for c in cells for ch in c) and not _column_votes(cells, rest)


def names_columns(cells: list[str]) -> bool:
    """Whether a row of text alone (no rows below it to compare) reads as column names.

    Two or more cells, all filled, unique, short and name-like (as a header of text
    columns must be for :func:`looks_like_header`), half or more of them with a word
    that names a column (:func:`_label_words`): a first row of names and places
    (``["Anna Berg", "Malmö"]``) is a row of data, whose values would otherwise name
    the columns of the rows below.

    >>> names_columns(["Namn", "Personnummer", "Telefon nr"]), names_columns(["Anna Berg", "811228-9874"])
    (True, False)
    >>> names_columns(["Anna Berg", "Storgatan 1", "Malmö"])
    False
    """
    cells = [c.strip() for c in cells]
    return (len(cells) > 1 and all(cells) and len(set(cells)) == len(cells)
            and all(len(c) <= 40 and not _datalike(c) and _NAME_LIKE.fullmatch(c) and not holds_identifier(c) for c in cells)
            and sum(_label_words(c) > 0 for c in cells) * 2 >= len(cells))


def label_pairs(rows: list[list[str]]) -> tuple[list[list[tuple[str, str]]], bool] | None:
    """A form laid out as a table of labels and values (``Personnummer: | 811228-9874``), or None.

    Every row has an even number of cells, alternately a label and its value
    (``Namn | Anna Berg | Telefon | 070-...``): the labels are short and name-like,
    unique, and there are two or more rows. Returns each row's (label, value) pairs
    (trailing ``:`` dropped, empty values left out) and whether the table is one
    form (half or more of its labels end with ``:``), so that its values are one
    record; otherwise each row is a record, its values named by their labels.

    >>> label_pairs([["Namn:", "Anna Berg"], ["Personnummer:", "811228-9874"]])
    ([[('Namn', 'Anna Berg')], [('Personnummer', '811228-9874')]], True)
    >>> label_pairs([["Personnummer", "811228-9874", "Telefon", ""], ["E-post", "anna@example.se", "", ""]])
    ([[('Personnummer', '811228-9874')], [('E-post', 'anna@example.se')]], False)
    >>> label_pairs([["811228-9874", "Anna"], ["640823-3234", "Bo"]]) is None
    True
    >>> label_pairs([["Anna Berg", "Malmö"], ["Bo Ek", "Lund"]]) is None
    True

    A table's header row, if it has one, is for :func:`header_row` to find first.
    """
    if len(rows) < 2 or any(len(r) % 2 for r in rows):
        return None
    labels: list[str] = []
    out: list[list[tuple[str, str]]] = []
    for r in rows:
        pairs = []
        for label, value in zip(r[0::2], r[1::2]):
            label = label.strip()
            if not label:
                if value.strip():
                    return None  # a value without a label: a table of data
                continue
            name = label.rstrip(":").strip()
            if len(label) > 40 or not name or _datalike(name) or not _NAME_LIKE.fullmatch(name) or holds_identifier(name):
                return None
            labels.append(label)
            if value.strip():
                pairs.append((name, value))
        out.append(pairs)
    names = [x.rstrip(":").strip().lower() for x in labels]
    if len(labels) < 2 or len(set(names)) != len(names) or not any(out):
        return None
    if sum(_label_words(x) > 0 for x in labels) * 2 < len(labels):
        return None  # a table of names and places (``Anna Berg | Malmö``), not of labels
    if all(not r[1::2] or not any(v.strip() for v in r[1::2]) for r in rows):
        return None
    form = sum(x.endswith(":") for x in labels) * 2 >= len(labels)
    return out, form


MAX_PREAMBLE = 6  # title or comment rows above a header (blank rows not counted)
MAX_PREAMBLE_CELLS = 2  # filled cells of a preamble row: a title, a title and a date


def is_preamble_row(row: list[str], header_width: int) -> bool:
    """Whether a row above a header of ``header_width`` names reads as a title or comment row.

    >>> is_preamble_row(["Kundlista", "2024-05-01", ""], 3), is_preamble_row(["Kundlista", "x"], 2)
    (True, False)
    """
    n = _filled(row)
    return n <= MAX_PREAMBLE_CELLS and n < header_width


def header_row(rows: list[list[str]]) -> int:
    """Which of the first rows of a table names its columns: 0, the row below a preamble, or -1.

    The first row if it looks like a header (:func:`looks_like_header`) with more
    names than a title row has; else the first row below up to :data:`MAX_PREAMBLE`
    title rows (:func:`is_preamble_row`: a title, ``Exported 2024-05-01``, a title
    and a date, a blank row) that looks like one with more names than each of them;
    else the first row if it looks like a header (of one or two columns).
    """
    if not rows:
        return -1
    first = looks_like_header(rows[0], rows[1:])
    if first and _filled(rows[0]) > MAX_PREAMBLE_CELLS:
        return 0
    # a first row of one or two cells may be a title above a wider header
    for k in range(1, min(MAX_PREAMBLE, len(rows) - 2) + 1):
        if _filled(rows[k - 1]) > MAX_PREAMBLE_CELLS:
            break
        width = _filled(rows[k])
        if width > 1 and all(is_preamble_row(r, width) for r in rows[:k]) and looks_like_header(rows[k], rows[k + 1 :]):
            return k
    return 0 if first else -1


def _filled(row: list[str]) -> int:
    return sum(1 for c in row if c.strip())


def column_names(header: list[str] | None, width: int, letters: bool = False) -> list[str]:
    """Field names for columns: the header, ``column N`` (or the column letter) where empty; duplicates marked."""
    names: list[str] = []
    seen: set[str] = set()
    for i in range(width):
        label = column_letter(i) if letters else f"column {i + 1}"
        name = header[i].strip() if header and i < len(header) else ""
        if not name:
            name = label
        elif name in seen:
            name = f"{name} ({label})"
        seen.add(name)
        names.append(name)
    return names


def column_letter(index: int) -> str:
    """0 -> ``A``, 27 -> ``AB``."""
    out = ""
    n = index + 1
    while n:
        n, r = divmod(n - 1, 26)
        out = chr(65 + r) + out
    return out


def bounded_fields(pairs: Iterable[tuple[str, str]], max_chars: int) -> Iterator[list[tuple[str, str]]]:
    """Group (field, text) pairs into lists of at most MAX_RECORD_FIELDS fields / ~max_chars characters."""
    batch: list[tuple[str, str]] = []
    size = 0
    for name, text in pairs:
        batch.append((name, text))
        size += len(text)
        if len(batch) >= MAX_RECORD_FIELDS or size >= max_chars:
            yield batch
            batch, size = [], 0
    if batch:
        yield batch


def describe(exc: BaseException) -> str:
    """An exception as a reason without values: its class name, plus errno text for OS errors."""
    if isinstance(exc, OSError) and exc.strerror:
        return f"{type(exc).__name__}: {exc.strerror}"
    if isinstance(exc, ConnectorError):
        return str(exc)
    return type(exc).__name__
