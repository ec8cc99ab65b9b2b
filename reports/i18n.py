"""Words of the access report in Swedish (default) and English: legal bases, stores, durations, reasons.

Categories of personal data and the names of kinds come from
:mod:`reports.categories` (the fideslang vocabulary every report shares).
"""

from __future__ import annotations

import re
from typing import Any

LANGS = ("sv", "en")

STORE_LABELS: dict[str, dict[str, str]] = {
    "sv": {"sql": "Databas", "files": "Filresurs", "s3": "Objektlagring (S3)", "mail": "E-post", "imap": "E-post (IMAP)"},
    "en": {"sql": "Database", "files": "File share", "s3": "Object storage (S3)", "mail": "Mail", "imap": "Mail (IMAP)"},
}

REACHED_LABELS: dict[str, dict[str, str]] = {
    "sv": {
        "direct": "Innehåller uppgiften du frågade om",
        "linked": "Innehåller andra uppgifter om dig",
        "related": "Hänvisar till en post om dig",
    },
    "en": {
        "direct": "Holds the identifier you asked about",
        "linked": "Holds other data about you",
        "related": "Refers to a record about you",
    },
}

# legal bases of Art. 6(1) GDPR, as config values may name them
_BASES: tuple[tuple[tuple[str, ...], str, str], ...] = (
    (("consent", "samtycke", "art. 6(1)(a)", "6(1)(a)"), "Samtycke (art. 6.1 a)", "Consent (Art. 6(1)(a))"),
    (("contract", "avtal", "art. 6(1)(b)", "6(1)(b)"), "Avtal (art. 6.1 b)", "Contract (Art. 6(1)(b))"),
    (("legal obligation", "rättslig förpliktelse", "art. 6(1)(c)", "6(1)(c)"),
     "Rättslig förpliktelse (art. 6.1 c)", "Legal obligation (Art. 6(1)(c))"),
    (("vital interests", "vital interest", "grundläggande intressen", "art. 6(1)(d)", "6(1)(d)"),
     "Grundläggande intressen (art. 6.1 d)", "Vital interests (Art. 6(1)(d))"),
    (("public task", "public interest", "allmänt intresse", "myndighetsutövning", "art. 6(1)(e)", "6(1)(e)"),
     "Allmänt intresse eller myndighetsutövning (art. 6.1 e)", "Public task (Art. 6(1)(e))"),
    (("legitimate interest", "legitimate interests", "berättigat intresse", "art. 6(1)(f)", "6(1)(f)"),
     "Berättigat intresse (art. 6.1 f)", "Legitimate interests (Art. 6(1)(f))"),
)

TEXT: dict[str, dict[str, Any]] = {  # a language's strings; "kinds" maps kind -> label
    "sv": {
        "title": "Registerutdrag",
        "subtitle": "Utdrag enligt artikel 15 i dataskyddsförordningen (GDPR)",
        "controller": "Personuppgiftsansvarig",
        "contact": "Kontakt",
        "subject": "Avser",
        "generated": "Upprättat",
        "summary": "{n} {records} i {m} system.",
        "record_one": "post",
        "record_many": "poster",
        "system_one": "system",
        "system_many": "system",
        "summary_unreadable": "{k} av dem kunde inte läsas; de redovisas med orsaken.",
        "none_found": "Inga personuppgifter om dig hittades i de system som har genomsökts.",
        "system": "System",
        "kind_of_system": "Typ av system",
        "purpose": "Ändamål",
        "legal_basis": "Rättslig grund",
        "retention": "Lagringstid",
        "retention_basis": "Grund för lagringstiden",
        "subject_categories": "Kategorier av registrerade",
        "categories": "Kategorier av personuppgifter",
        "not_stated": "Ej angivet",
        "location": "Plats",
        "count": "Antal poster",
        "record": "Post",
        "records_word": "poster",
        "found": "Hittad",
        "date": "Datum",
        "kept_until": "Lagringstiden löper ut",
        "field": "Fält",
        "value": "Uppgift",
        "unreadable": "Kunde inte läsas",
        "reason": "Orsak",
        "empty": "(tom)",
        "truncated": "Värdet är förkortat i utdraget.",
        "others_masked": ("Uppgifter som inte kan knytas till dig är maskerade för att skydda andra personer "
                          "(artikel 15.4)."),
        "mail_body": "Meddelandetext",
        "mail_date": "Datum",
        "mail_subject": "Ämne",
        "mail_from": "Från",
        "mail_to": "Till",
        "mail_cc": "Kopia",
        "this_place": "Gäller denna plats",
        "intro": (
            "Detta utdrag visar de personuppgifter om dig som finns i våra system, var de finns, "
            "varför vi behandlar dem, med vilken rättslig grund och hur länge de sparas. Uppgifterna har "
            "lästs direkt ur systemen när utdraget upprättades."
        ),
        "rights": (
            "Du har rätt att begära rättelse eller radering av dina uppgifter, att begära begränsning av "
            "behandlingen, att invända mot behandlingen och att få dina uppgifter överförda (artiklarna 16–21). "
            "Du kan lämna klagomål till Integritetsskyddsmyndigheten (IMY)."
        ),
        "kinds": {"personnummer": "personnummer", "email": "e-postadress", "phone": "telefonnummer",
                  "bank_account": "bankkontonummer"},
    },
    "en": {
        "title": "Subject access report",
        "subtitle": "Copy of personal data under Article 15 of the General Data Protection Regulation (GDPR)",
        "controller": "Controller",
        "contact": "Contact",
        "subject": "Concerning",
        "generated": "Generated",
        "summary": "{n} {records} in {m} {systems}.",
        "record_one": "record",
        "record_many": "records",
        "system_one": "system",
        "system_many": "systems",
        "summary_unreadable": "{k} of them could not be read; they are listed with the reason.",
        "none_found": "No personal data about you was found in the systems searched.",
        "system": "System",
        "kind_of_system": "Kind of system",
        "purpose": "Purpose",
        "legal_basis": "Legal basis",
        "retention": "Retention period",
        "retention_basis": "Basis of the retention period",
        "subject_categories": "Categories of data subjects",
        "categories": "Categories of personal data",
        "not_stated": "Not stated",
        "location": "Location",
        "count": "Records",
        "record": "Record",
        "records_word": "records",
        "found": "Found",
        "date": "Date",
        "kept_until": "Retention ends",
        "field": "Field",
        "value": "Data",
        "unreadable": "Could not be read",
        "reason": "Reason",
        "empty": "(empty)",
        "truncated": "The value is shortened in this report.",
        "others_masked": "Identifiers that cannot be attributed to you are masked to protect other people (Article 15(4)).",
        "mail_body": "Message text",
        "mail_date": "Date",
        "mail_subject": "Subject",
        "mail_from": "From",
        "mail_to": "To",
        "mail_cc": "Cc",
        "this_place": "For this location",
        "intro": (
            "This report shows the personal data about you held in our systems, where it is held, why we "
            "process it, on which legal basis and for how long it is kept. The data was read directly from "
            "the systems when this report was generated."
        ),
        "rights": (
            "You have the right to ask for your data to be corrected or erased, to ask for its processing to be "
            "restricted, to object to the processing and to receive your data in a portable form (Articles 16-21). "
            "You may lodge a complaint with the Swedish Authority for Privacy Protection (IMY)."
        ),
        "kinds": {"personnummer": "personal identity number", "email": "e-mail address", "phone": "telephone number",
                  "bank_account": "bank account number"},
    },
}

# reasons written by connectors.readback, in Swedish
_REASONS_SV: dict[str, str] = {
    "the row no longer exists": "raden finns inte längre",
    "the table no longer exists (or is no longer scanned)": "tabellen finns inte längre (eller genomsöks inte längre)",
    "the file no longer exists": "filen finns inte längre",
    "the object no longer exists": "objektet finns inte längre",
    "no longer in the file (the file changed)": "finns inte längre i filen (filen har ändrats)",
    "the line is no longer at that offset (the file changed)": "raden finns inte längre på samma ställe (filen har ändrats)",
    "the message is no longer in the mailbox": "meddelandet finns inte längre i brevlådan",
    "the message is no longer in the folder": "meddelandet finns inte längre i mappen",
    "the mailbox no longer exists": "brevlådan finns inte längre",
    "the source is no longer in the configuration": "källan finns inte längre i konfigurationen",
    "not found": "hittades inte",
    "the record no longer holds the subject's data (the source changed since the scan)":
        "posten innehåller inte längre dina uppgifter (källan har ändrats sedan genomsökningen)",
}
_REASON_PREFIX_SV = (
    ("cannot read the object: ", "objektet kan inte läsas: "),
)


def reason(text: str, lang: str) -> str:
    """A read-back reason in the report's language (connector messages that have no translation stay as written)."""
    if lang != "sv":
        return text
    if text in _REASONS_SV:
        return _REASONS_SV[text]
    for en, sv in _REASON_PREFIX_SV:
        if text.startswith(en):
            return sv + text[len(en):]
    return text


def t(lang: str, key: str) -> str:
    return TEXT[lang][key]  # type: ignore[return-value]


def kind_label(kind: str, lang: str) -> str:
    """``personnummer`` -> ``Personnummer`` / ``Personal identity number`` (:mod:`reports.categories`)."""
    from reports.categories import kind_label as label

    return label(kind, lang=lang)


def store_label(kind: str, lang: str) -> str:
    return STORE_LABELS[lang].get(kind, kind)


def legal_basis_label(text: str, lang: str) -> str:
    """``contract`` -> ``Avtal (art. 6.1 b)``; a basis the list does not know is shown as written."""
    low = text.strip().lower()
    for names, sv, en in _BASES:
        if low in names:
            return sv if lang == "sv" else en
    return text


_DURATION = re.compile(r"^\s*(\d+(?:[.,]\d+)?)\s*([A-Za-zåäöÅÄÖ]+)\s*$")
_ISO = re.compile(r"^P(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)W)?(?:(\d+)D)?$", re.IGNORECASE)
_UNITS = {
    "y": "y", "yr": "y", "yrs": "y", "year": "y", "years": "y", "år": "y",
    "m": "m", "mo": "m", "mon": "m", "month": "m", "months": "m", "mån": "m", "månad": "m", "månader": "m",
    "w": "w", "wk": "w", "week": "w", "weeks": "w", "v": "w", "vecka": "w", "veckor": "w",
    "d": "d", "day": "d", "days": "d", "dag": "d", "dagar": "d",
}
_UNIT_WORDS = {
    "sv": {"y": ("år", "år"), "m": ("månad", "månader"), "w": ("vecka", "veckor"), "d": ("dag", "dagar")},
    "en": {"y": ("year", "years"), "m": ("month", "months"), "w": ("week", "weeks"), "d": ("day", "days")},
}


def duration_label(text: str | int, lang: str) -> str:
    """``7y`` -> ``7 år`` / ``7 years``; ``P1Y6M`` -> ``1 år 6 månader``; anything else as written."""
    words = _UNIT_WORDS[lang]

    def say(n: str, unit: str) -> str:
        one, many = words[unit]
        return f"{n} {one if n in ('1', '1.0') else many}"

    if isinstance(text, int):
        return say(str(text), "d")
    m = _DURATION.match(str(text))
    if m and m.group(2).lower() in _UNITS:
        num = m.group(1).replace(",", ".")
        if lang == "sv":
            num = num.replace(".", ",")
        return say(num, _UNITS[m.group(2).lower()])
    iso = _ISO.match(str(text).strip())
    if iso and any(iso.groups()):
        parts = [say(g, u) for g, u in zip(iso.groups(), "ymwd") if g]
        return " ".join(parts)
    return str(text)
