"""Context words and field hints, Swedish and English.

A keyword just before a candidate (``pnr: 811228-9874``) or in the name of the
field it came from (a column ``personnummer``) raises a detector's confidence;
a keyword of another kind (``ordernr``, ``OCR``) lowers it. Detectors ask this
module; it knows nothing of any detector.
"""

from __future__ import annotations

import re
from functools import lru_cache


def _split_alternatives(words: str) -> list[str]:
    """The top-level ``|`` alternatives of a keyword pattern."""
    out: list[str] = []
    depth = 0
    cur: list[str] = []
    i = 0
    while i < len(words):
        c = words[i]
        if c == "\\":
            cur.append(words[i : i + 2])
            i += 2
            continue
        if c == "(":
            depth += 1
        elif c == ")":
            depth -= 1
        elif c == "|" and depth == 0:
            out.append("".join(cur))
            cur = []
            i += 1
            continue
        cur.append(c)
        i += 1
    out.append("".join(cur))
    return out


# A number word glued to the word of a thing ("Ordernummer", "Artikelnr", "Kolliid",
# "Transaktionsnummer" with the linking s), or the linking s alone ("Transaktions-ID").
_NUMBER_WORD = r"(?:s?(?:nummer|numret|numren|nr|no|number|num|id|kod|code|ref|referens)|s)?"


def _thing(words: str) -> str:
    """Each alternative of ``words`` as a whole word, maybe followed by a number word."""
    return "|".join(f"{w}{_NUMBER_WORD}(?![a-zåäöéü])" for w in _split_alternatives(words))


# kind (or pseudo-kind) -> keyword alternation. Keywords are matched as word
# prefixes in lower-cased text, so "telefonnummer" matches "telefon".
_KEYWORDS: dict[str, str] = {
    # the definite and plural forms too: personnumret, personnumren, personnumrets
    "personnummer": r"personnummer|personnumr|personnr|pers\.? ?-?nr|pers\.? ?nummer|person[ -]?nr|person nummer|pnr|personal ?id(?:entity)?|person ?id|"
    r"ssn(?![a-zåäöéü])|social security|personal ?number|personal identity|födelsenummer|födelsenumr|"
    r"födelsenr|identitetsnummer|identitetsnumr|civic(?![a-zåäöéü])|national id|id-?nummer|id-?numr|idnr|p[-.]?nr|"
    # combined labels of forms and invoices: Pers/Orgnr, Personnr/Org.nr, Person-/orgnr,
    # Personnummer/samordningsnummer, Person- eller samordningsnummer
    r"pers(?:on)?(?:nr|nummer)?\.?-?[ ]?(?:/|eller |or )[ ]?(?:org|samord|coord)",
    "samordningsnummer": r"samordningsnummer|samordningsnr|samordnings|coordination number|samnr",
    "organisationsnummer": r"organisationsnummer|organisationsnumr|organisationsnr|org\.? ?nr|orgnr|org\.? ?no|"
    r"organisation number|company (?:reg|number)|vat|moms(?:reg)?|företagsnr",
    "sole_trader": r"enskild firma|enskild näringsidkare|sole trader|egenföretagare",
    "phone": r"telefon|tel|tfn|mobil|mobile|phone|cell|mob|sms|fax|ring|nummer|växel|hem|arb|"
    r"direkt|kontakt|contact|call|whatsapp|signal|swish|wa\.me(?![a-zåäöéü])",
    "email": r"e-?post|e-?mail|mail|epost|mejl|email|adress|address|kontakt|contact",
    # not "kontor" (an office), a name (Ibanez) or a place or word that starts with a
    # keyword (Bankeryd, Bankomat, Lönekontoret, Bicycle, Swiftkey)
    "bank_account": r"kontonummer|kontonr|konto(?!r)|kto(?:nr)?(?![a-zåäöéü])|account|acct|clearing|clnr|clearingnr|"
    r"bankkonto|bank(?:en|ens|s)?(?:konto(?:t|n)?|kto|nummer|nr|uppgifter|uppgift|info|details|detaljer|förbindelse|id)?"
    r"(?![a-zåäöéü])|lönekonto(?:t|nummer|nr)?(?![a-zåäöéü])|utbetalning|personkonto|iban(?![a-zåäöéü])|"
    r"bic(?![a-zåäöéü])|swift(?:kod|code|adress|address)?(?![a-zåäöéü])",
    "bankgiro": r"bankgiro|bankgironr|bg-?nr|bg|bankgirot",
    "plusgiro": r"plusgiro|postgiro|plusgironr|pg-?nr|pg|plusgirot",
    "payment_card": r"kort|kortnummer|kortnr|bankkort|kreditkort|kortinnehavare|cvv|cvc|card|credit|kredit|debit|visa|mastercard|"
    r"amex|american express|pan|betalkort|maestro",
    # Negative contexts: identifiers of things, not people. Each word counts alone,
    # inflected, or before a number word (Ordernummer, Fakturanr, Kolli-id, Referensnr;
    # _thing), not as the first part of any word: not a first name or surname that
    # starts with one (Klas, Lotta, Casey, Logan, Snorre, Lagerström, Klasson, Tidholm)
    # nor a person's role named for one (Orderansvarig, Fakturakontakt, Referensperson,
    # Produktchef), before whose phone number or personnummer it stood.
    "reference": _thing(r"ocr|referens(?:en)?|ref|betalningsreferens|reference|meddelande(?:t)?"),
    "order": _thing(
        r"order(?:n|s|na)?|beställning(?:en|ar)?|bestnr|faktur(?:a|an|or|orna)|"
        r"invoice(?:s)?|inv|kvitto(?:t|n)?|receipt(?:s)?|artikel(?:n)?|artnr|art\.? ?nr|sku|ean|gtin|"
        r"produkt(?:en|er)?|product(?:s)?|lager|lagret|batch(?:en|es)?|lot|serie|serial|s/n|sn|"
        r"tracking|spårning(?:en)?|kolli(?:t|n)?|sändning(?:en|ar)?|"
        r"försändelse(?:n|r)?|shipment(?:s)?|parcel(?:s)?|paket(?:et)?|track|ärende(?:t|n)?|"
        r"case(?:s)?|ticket(?:s)?|transaktion(?:en|er)?|transaction(?:s)?|txn|"
        # log IDs and build numbers (reference §6.2)
        r"tx|trace|request|req|job|build|session"
    )
    + "|"
    # bookings, tickets, contracts, property and claims (not försäkring: an insurance
    # policy is its holder's, and some insurers number policies by personnummer);
    # carriers as tracking context. The Swedish words only alone, definite or before a
    # number word: not the person or place of one (Avtalskontakt, Objektansvarig,
    # Skadereglerare, Bokningsansvarig, Biljettkassan), nor avtalad ("agreed").
    r"bokning(?:en|s(?:nummer|numret|nr|id|ref|referens|kod))?(?![a-zåäöéü])|booking|"
    r"biljett(?:en|s?(?:nummer|numret|nr|id))?(?![a-zåäöéü])|avtal(?:et|s(?:nummer|numret|nr|id))?(?![a-zåäöéü])|"
    r"objekt(?:et|s?(?:nummer|numret|nr|id))?(?![a-zåäöéü])|skada(?:n)?(?![a-zåäöéü])|"
    r"skade(?:nummer|numret|nr|id|ärende|ärendet)(?![a-zåäöéü])|dhl|bring(?![a-zåäöéü])|schenker|postnord",
    # backup, snapshot and dump name their time ("backup 20240517-1345"); not a backup
    # phone number or contact. tid, kl and log only as words (not Tidigare, Tidholm,
    # Klas, Klasson, Kliniken, Logan, Logistikchef).
    "time": r"tid(?:en|punkt(?:en)?|s?stämpel(?:n)?)?(?![a-zåäöéü])|time(?:s)?(?![a-zåäöéü])|timestamp|"
    r"datum(?:et)?(?![a-zåäöéü])|date(?:d|s)?(?![a-zåäöéü])|created|updated|"
    r"skapad|ändrad|klockan|kl(?![a-zåäöéü])|log(?:g|gad|gat|gade|gar|gen|ged|s|fil|file)?(?![a-zåäöéü])|"
    r"backup(?!nummer|nr|tel|kontakt|contact|phone|mobil)|snapshot|dump(?:fil|file)?(?![a-zåäöéü])",
}

# A person's role named for a thing: the end of the keyword's word (Accountansvarig,
# Clearingansvarig, Bankchef) or the one word after it (Account manager, Reference
# person, OCR-ansvarig). The keyword then names the person, not the number after it.
_ROLE = (
    r"(?:ansvarig|ansvariga|manager|chef|chefen|handläggare|ägare|ägaren|owner|officer|specialist|"
    r"assistent|assistant|administratör|administrator|koordinator|coordinator|samordnare|arbetare|"
    r"medarbetare|avdelning|avdelningen|department|team|teamet)"
)

# What may stand between a keyword and the candidate: the rest of the word, an
# identifier's number suffix ("order_id=", "pnr_no:"), a few filler characters or
# XML/HTML tags ("<personnummer>", "Personnummer</td><td>", "telefon:</b> "),
# at most one more short word ("tel nr: "), and one line break; not a role (_ROLE) ("Bankgiro\n3827-5533",
# "personnummer är\n..."; not a blank line; see keyword_line_ok).
# The quantifiers are possessive (the next part cannot start with what they took, so
# the matches are the same): a failed try gives up at once instead of backtracking.
def _tail(not_words: str) -> str:
    return (
        r"(?![a-zåäöéü]*?" + _ROLE + r"(?![a-zåäöéü]))"
        r"[a-zåäöéü]*+(?:_(?:id|nr|no|num|number|nummer))?"
        # the format or kind asked for, in parentheses: "Pnr (ÅÅMMDD-NNNN):", "Telefon (dagtid):"
        r"(?:[ ]?\([a-zåäöéü0-9 +/.-]{1,20}+\))?+"
        r"(?:</?[a-z][a-z0-9]{0,10}+/?>|"
        r"[ \t.:#=()\[\]/'\"*<>-]){0,24}+"
        r"(?:(?!(?:" + not_words + r")(?![a-zåäöéü]))[a-zåäöéü]{0,12}+(?:[ \t:=.#]{1,24}+|(?=[ \t]*\r?\n)))?"
        r"(?:[ \t]*\r?\n[ \t]*)?\Z"
    )


_TAIL = _tail(_ROLE + "|person")
# After the word of a thing (an order, a reference, a time), a preposition names a party
# of it, whose number follows: "Meddelande från +46701234567", "Ärende från 070-...",
# "Meddelande till ..." (an SMS export: the sender's or recipient's number).
_THING_KINDS = frozenset({"order", "reference", "time"})
_TAIL_THING = _tail(_ROLE + "|person|från|fran|till|from|to|av|by")
# A keyword right after one of these (maybe with spaces or quotes between) starts a
# cell of a row (a CSV header): its name is no keyword for the first value of the
# next line. A comma earlier in a sentence ("Hej, mitt personnummer är") is none.
_CELL_SEPARATORS = ",;\t|"


def keyword_line_ok(before: str, start: int) -> bool:
    """Whether a keyword at ``start`` of ``before`` counts for the candidate after ``before``:
    on the candidate's line, or on the line before unless it is a cell of a row."""
    if before.find("\n", start) < 0:
        return True
    cell_start = before[before.rfind("\n", 0, start) + 1 : start].rstrip(" \"'")
    return not cell_start or cell_start[-1] not in _CELL_SEPARATORS


def _word_start_alternation(words: str) -> str:
    """``(?:^|[^a-zåäöéü0-9])(?:words)``, rewritten so that re can skip ahead in C.

    The alternatives are grouped by their first letter and the word-start test
    becomes a lookbehind after that letter, so the pattern starts with a set
    of literals: the engine then tries only the positions holding one of them
    instead of the whole alternation at every position. Same matches (tested
    against the plain form).
    """
    by_first: dict[str, list[str]] = {}
    for alt in _split_alternatives(words):
        if not alt or not alt[0].isalpha() or alt[1:2] in ("?", "*", "+", "{"):
            raise ValueError(f"keyword alternative {alt!r} must start with a plain letter")
        by_first.setdefault(alt[0], []).append(alt[1:])
    return "(?:" + "|".join(
        c + r"(?<![a-zåäöéü0-9].)(?:" + "|".join(rests) + ")" for c, rests in by_first.items()
    ) + ")"


@lru_cache(maxsize=None)
def _kw_regex(kind: str, anchored_end: bool) -> re.Pattern[str]:
    words = _KEYWORDS[kind]
    if anchored_end:
        # keyword at a word start, then at most a few filler characters up to the candidate
        return re.compile(_word_start_alternation(words) + (_TAIL_THING if kind in _THING_KINDS else _TAIL))
    return re.compile(r"(?:^|[^a-zåäöéü])(?:" + words + r")")


@lru_cache(maxsize=4096)
def near_before(before: str, kind: str) -> bool:
    """True if ``before`` (lower-cased text ending at the candidate) ends in a keyword of ``kind``,
    maybe at the end of the line before (not a header cell: see :func:`keyword_line_ok`).

    Cached: several detectors ask about the text before one candidate.
    """
    m = _kw_regex(kind, True).search(before)
    return m is not None and _keyword_ok(before, m.start())


def _keyword_ok(before: str, start: int) -> bool:
    """A keyword at ``start`` counts: not in a cell of the line before (:func:`keyword_line_ok`)
    nor the name of a closing tag ("</personnummer><telefon>" names the next element)."""
    return keyword_line_ok(before, start) and before[start - 2 : start] != "</"


@lru_cache(maxsize=None)
def _kw_union(kinds: tuple[str, ...]) -> re.Pattern[str]:
    parts = []
    for tail, group in ((_TAIL_THING, [k for k in kinds if k in _THING_KINDS]), (_TAIL, [k for k in kinds if k not in _THING_KINDS])):
        if group:
            parts.append("(?:" + _word_start_alternation("|".join(_KEYWORDS[k] for k in group)) + tail + ")")
    return re.compile("|".join(parts))


@lru_cache(maxsize=4096)
def first_near_before(before: str, kinds: tuple[str, ...]) -> str | None:
    """The first of ``kinds`` with a keyword at the end of ``before`` (see :func:`near_before`), or None.

    One regex search over all their keywords answers the common case (none).
    """
    m = _kw_union(kinds).search(before)
    if m is None or not _keyword_ok(before, m.start()):
        return None
    for k in kinds:
        if near_before(before, k):
            return k
    return None  # pragma: no cover - the union matched, so one kind does


@lru_cache(maxsize=None)
def _whole_keyword(kind: str) -> re.Pattern[str]:
    return re.compile("(?:" + _KEYWORDS[kind] + ")")


@lru_cache(maxsize=1024)
def is_keyword(word: str, kind: str) -> bool:
    """True if the lower-cased ``word`` is, as a whole, a keyword of ``kind`` ("bg", "bankgiro", "pnr").

    >>> is_keyword("bg", "bankgiro"), is_keyword("abg", "bankgiro")
    (True, False)
    """
    return kind in _KEYWORDS and _whole_keyword(kind).fullmatch(word) is not None


def mentions(text: str, kind: str) -> bool:
    """True if the lower-cased ``text`` mentions a keyword of ``kind`` anywhere."""
    return _kw_regex(kind, False).search(text) is not None


# Field-name hints: word pieces of a column/field/header name -> kinds.
_HINTS: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(p), kind)
    for p, kind in (
        # "person" only as the whole name or before a number word: person_id (a surrogate key),
        # kontaktperson (a name), personal_email and personalnummer (staff number) are not
        # personnummer fields
        # English "personal (identity) number" is the personnummer (not Swedish personalnummer);
        # födelse also written without the ö (fodelse, foedelse)
        (r"^person$|person_?(?:nummer|nr|no|num|number)|pnr|(?:^|_)ssn|ssn(?:$|_)|social_?sec|civic|f(?:ö|o|oe)delse|identitet|national_?id|"
         r"personal_?(?:id(?:entity)?_?)?(?:number|no)(?:$|_)|pers_?(?:nr|no(?:$|_))|^p_?nr", "personnummer"),
        # not processnumber/businessname (ssn), social_media, coordinates/coordinator (coord)
        (r"samordning|coordination|reserv_?(?:nummer|nr|no|id)", "personnummer"),
        # "org", "vat" and "moms" only as words or before a number word: not privat/private
        # ("Telefon privat"), reservation, motivation, georg, morgon, moms (a VAT amount)
        (r"organi[sz]ation|org_?(?:nr|no|num|nummer)|(?:^|_)org(?:$|_)|(?<!pri)vat_?(?:nr|no|num|reg|id)|(?:^|_)vat(?:$|_)|"
         r"moms_?(?:reg|nr|nummer|no)|company|företag|bolag", "organisationsnummer"),
        # "tel" and "cell" only as a word or before a number word ("titel", "hotel_id", "excellent" are not)
        (r"phone|telefon|(?:^|_|hem|arb|arbets|mob|work|home|direkt|kontakt|office|fast)tel|tfn|mobil|"
         r"(?:^|_)cell(?:$|_|phone|nr|ular)|fax|sms|msisdn|swish|^nummer$|(?:^|_)mob(?:$|_|nr|nummer)|"
         r"(?:contact|kontakt|direkt)_?(?:number|nummer|nr|no)(?:$|_)", "phone"),
        (r"e_?mail|(?:^|_)e_?post|epost|mejl|^mail|_mail|mail_|^to$|^from$|^cc$|^bcc$|reply|sender|recipient", "email"),
        # not "kontor" (an office), "public", "cubic"
        # "kto" (the abbreviation of konto) only as a word, before "nr" or after "bank" (not oktober)
        (r"konto(?!r)|(?:^|_|bank)kto(?:$|_|nr)|account|acct|clearing|(?:^|_)clnr|iban|bank|(?:^|_)bic(?:$|_)|swift",
         "bank_account"),
        # bg_/pg_ only before a number word: not bg_color, pg_stat, jpg_url
        (r"bankgiro|(?:^|_)bg(?:$|_?(?:nr|no|nummer|number))", "bankgiro"),
        (r"plusgiro|postgiro|(?:^|_)pg(?:$|_?(?:nr|no|nummer|number))", "plusgiro"),
        # Swedish "kort" is also "short" (kortnamn, kortbeskrivning): only as a word or before a card word
        # "pan" only as a word (not timespan, japan, panel, pant)
        (r"card|kort(?:$|_|nummer|nr|innehavare|typ)|kreditkort|betalkort|bankkort|(?:^|_)pan(?:$|_)|cc_?num|credit",
         "payment_card"),
        (r"order|invoice|faktura|ocr|tracking|spårning|kolli|artikel|sku|(?:^|_)ean(?:$|_|13|8|kod|code)|gtin|serial|serie|"
         r"ticket|ärende|transaction|txn|uuid|guid|hash|checksum|timestamp|created|updated|"
         # the Swedish words of order, ticket and transaction (transaktionsid, Beställningsnr, bestnr, biljett_id)
         r"transaktion|beställning|(?:^|_)best_?nr(?:$|_)|biljett|"
         # a customer or member number the company assigns (kundnr, CustomerNo, medlemsnummer);
         # not kund_telefon, customer_email, kund_personnr
         r"(?:kund|customer|medlems?|member)_?(?:nr|no|num|nummer|number|id)(?:$|_)|"
         # product codes: a barcode, a product or article number (not product_owner_phone: the phone hint wins)
         r"barcode|streckkod|(?:^|_)(?:produkt|product|art_?nr|artnr)|"
         # a time as epoch seconds (ten digits; those of 2023-11 to 2024-04 pass as a personnummer):
         # created_at, login_time, ts, iat (JWT), unix_time
         r"(?:^|_)(?:ts|iat|nbf|epoch|unix_?time)(?:$|_)|^time$|_at$|_time$|_ts$", "not_personal"),
        # An OCR number or other payment reference: any Luhn-valid digit string is a
        # "valid OCR", so a date-shaped one reads as a personnummer (reference §3.8).
        (r"(?:^|_)(?:ocr(?:_?(?:nr|nummer|number|no|ref|referens))?|referens(?:_?(?:nr|nummer))?|ref(?:_?(?:nr|no))?|"
         r"reference(?:_?(?:number|no|nr))?)(?:$|_)|betalningsref|betalnings_ref|payment_?ref", "payment_reference"),
    )
)


# Amount columns (a sum, price or balance): "not_personal", but only when the name
# hints at no other kind (total_pnr is a personnummer column, account_balance stays
# a bank_account one). Not summary, summering, prisma.
_AMOUNT_HINT = re.compile(
    r"belopp|amount|summa(?!r)|(?:^|_)sum(?:$|_)|pris(?:$|_)|price|(?:^|_)totalt?(?:$|_)|saldo|balance"
)

_SEPARATORS = re.compile(r"[^0-9a-zåäöéü]+")


@lru_cache(maxsize=4096)
def hint_kinds(hint: str | None) -> frozenset[str]:
    """Kinds suggested by a field name: ``'kund_personnr'`` -> ``{'personnummer'}``.

    >>> sorted(hint_kinds("Telefonnummer"))
    ['phone']
    >>> sorted(hint_kinds("orgnr"))
    ['organisationsnummer']
    """
    if not hint:
        return frozenset()
    # every separator is "_": a header "Org nr", a path $.kund.org or $["Org nr"], "Kund/Org.nr"
    h = _SEPARATORS.sub("_", hint.lower()).strip("_")
    kinds = {kind for pat, kind in _HINTS if pat.search(h)}
    if not kinds and _AMOUNT_HINT.search(h):
        kinds.add("not_personal")
    if "bankgiro" in kinds or "plusgiro" in kinds:
        kinds.add("bank_account")
    return frozenset(kinds)
