"""Categories of personal data and of data subjects, in fideslang's vocabulary.

Privacy teams describe their Article 30 register with the data categories of
fideslang (https://github.com/ethyca/fideslang), the taxonomy Fides and other
privacy tools share: ``user.contact.email``, ``user.financial.bank_account``,
... This module maps what pii-scan finds (a detector ``kind`` and ``subkind``)
to those keys, with human labels in English and Swedish, so that every report
(register, data map, access report) names categories the same way.

The keys are checked against fideslang's default taxonomy by the tests; the
package itself is not needed at run time.

>>> category("personnummer", "samordningsnummer").key
'user.government_id.national_identification_number'
>>> category("email").label("sv")
'E-postadress'
>>> subject_category("Customers")
'customer'
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

__all__ = [
    "Category", "CATEGORIES", "REFERENCE", "UNKNOWN", "category", "categories_of", "kind_label", "subject_category",
    "SUBJECT_CATEGORIES", "legal_basis_article",
]


@dataclass(frozen=True)
class Category:
    """One fideslang data category: its key and how to say it to people."""

    key: str
    en: str
    sv: str
    special: bool = False  # needs extra care (GDPR Art. 87: national identification numbers)

    def label(self, lang: str = "en") -> str:
        return self.sv if lang == "sv" else self.en


NATIONAL_ID = Category(
    "user.government_id.national_identification_number", "National identification number",
    "Nationellt identitetsnummer (personnummer, samordningsnummer)", special=True,
)
EMAIL = Category("user.contact.email", "E-mail address", "E-postadress")
PHONE = Category("user.contact.phone_number", "Phone number", "Telefonnummer")
BANK_ACCOUNT = Category("user.financial.bank_account", "Bank account information", "Bankkontouppgifter")
CARD = Category("user.financial.credit_card", "Payment card information", "Betalkortsuppgifter")
#: A row that points to a person's row by a foreign key (kind ``reference``): a system-assigned id.
REFERENCE = Category("user.unique_id", "Unique ID (reference to a person's record)",
                     "Unikt id (hänvisning till en persons post)")
#: A kind pii-scan does not (yet) map: the root of fideslang's user data.
UNKNOWN = Category("user", "Personal data (unclassified)", "Personuppgifter (ej klassade)")

#: kind -> category; ``(kind, subkind)`` entries override the kind's.
CATEGORIES: dict[str | tuple[str, str], Category] = {
    "personnummer": NATIONAL_ID,
    ("personnummer", "personnummer"): NATIONAL_ID,
    ("personnummer", "samordningsnummer"): NATIONAL_ID,
    "email": EMAIL,
    "phone": PHONE,
    "bank_account": BANK_ACCOUNT,
    "payment_card": CARD,
    # a sole trader's organisationsnummer/VAT number is the owner's personnummer
    "organisationsnummer": NATIONAL_ID,
    "reference": REFERENCE,
}

_KIND_LABELS: dict[str, tuple[str, str]] = {
    "personnummer": ("Personal identity number", "Personnummer"),
    "email": ("E-mail address", "E-postadress"),
    "phone": ("Phone number", "Telefonnummer"),
    "bank_account": ("Bank account", "Bankkonto"),
    "payment_card": ("Payment card", "Betalkort"),
    "organisationsnummer": ("Organisation number (sole trader)", "Organisationsnummer (enskild firma)"),
    "reference": ("Reference to a person's record", "Hänvisning till en persons post"),
}
_SUBKIND_LABELS: dict[tuple[str, str], tuple[str, str]] = {
    ("personnummer", "personnummer"): ("Personal identity number", "Personnummer"),
    ("personnummer", "samordningsnummer"): ("Coordination number", "Samordningsnummer"),
    ("email", "obfuscated"): ("E-mail address (obfuscated)", "E-postadress (omskriven)"),
    ("phone", "mobile"): ("Mobile phone number", "Mobilnummer"),
    ("phone", "fixed_line"): ("Landline phone number", "Fast telefonnummer"),
    ("bank_account", "account"): ("Bank account number", "Kontonummer"),
    ("bank_account", "iban"): ("IBAN", "IBAN"),
    ("bank_account", "bankgiro"): ("Bankgiro number", "Bankgironummer"),
    ("bank_account", "plusgiro"): ("Plusgiro number", "Plusgironummer"),
    ("reference", "foreign_key"): ("Reference to a person's record (foreign key)", "Hänvisning till en persons post (främmande nyckel)"),
}


def category(kind: str, subkind: str | None = None) -> Category:
    """The fideslang data category of a finding (:data:`UNKNOWN` for a kind not mapped)."""
    if subkind is not None and (kind, subkind) in CATEGORIES:
        return CATEGORIES[(kind, subkind)]
    return CATEGORIES.get(kind, UNKNOWN)


def categories_of(kinds: Iterable[tuple[str, str | None] | str]) -> list[Category]:
    """Distinct categories of some kinds or (kind, subkind) pairs, sorted by key."""
    out: dict[str, Category] = {}
    for k in kinds:
        c = category(k) if isinstance(k, str) else category(*k)
        out[c.key] = c
    return [out[k] for k in sorted(out)]


def kind_label(kind: str, subkind: str | None = None, lang: str = "en") -> str:
    """A human name for a kind (or kind and subkind): ``"Mobile phone number"``, ``"Samordningsnummer"``."""
    i = 1 if lang == "sv" else 0
    if subkind is not None and (kind, subkind) in _SUBKIND_LABELS:
        return _SUBKIND_LABELS[(kind, subkind)][i]
    if kind in _KIND_LABELS:
        base = _KIND_LABELS[kind][i]
        return f"{base} ({subkind.replace('_', ' ')})" if subkind and subkind != kind else base
    return kind.replace("_", " ")


#: fideslang data-subject keys and the words a config may use for them (English and Swedish).
SUBJECT_CATEGORIES: dict[str, tuple[str, ...]] = {
    "customer": ("customer", "customers", "client", "clients", "kund", "kunder"),
    "employee": ("employee", "employees", "staff", "personal", "anställd", "anställda", "medarbetare"),
    "job_applicant": ("job applicant", "job applicants", "applicant", "applicants", "candidate", "candidates",
                      "arbetssökande", "sökande", "kandidater"),
    "prospect": ("prospect", "prospects", "lead", "leads", "potentiella kunder"),
    "supplier_vendor": ("supplier", "suppliers", "vendor", "vendors", "supplier contacts", "leverantör",
                        "leverantörer"),
    "consultant": ("consultant", "consultants", "contractor", "contractors", "konsult", "konsulter"),
    "visitor": ("visitor", "visitors", "besökare"),
    "patient": ("patient", "patients", "patienter"),
    "shareholder": ("shareholder", "shareholders", "aktieägare"),
    "trainee": ("trainee", "trainees", "intern", "interns", "praktikant", "praktikanter"),
    "next_of_kin": ("next of kin", "närstående", "anhöriga"),
    "anonymous_user": ("anonymous user", "anonymous users", "anonyma användare"),
    "citizen_voter": ("citizen", "citizens", "medborgare"),
    "commuter": ("commuter", "commuters", "pendlare"),
    "passenger": ("passenger", "passengers", "passagerare", "resenärer"),
}


def _norm(label: str) -> str:
    return re.sub(r"[\s_-]+", " ", label.strip().lower())


_SUBJECT_WORDS = {_norm(w): key for key, words in SUBJECT_CATEGORIES.items() for w in (key, *words)}


def subject_category(label: str) -> str:
    """The fideslang data-subject key for a config label (``"kunder"`` -> ``"customer"``), or ``""``."""
    return _SUBJECT_WORDS.get(_norm(label), "")


# GDPR Art. 6(1) as fideslang's LegalBasisForProcessingEnum names it, with the words a config may use.
_LEGAL_BASES: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("Consent", "Art. 6(1)(a)", ("consent", "samtycke")),
    ("Contract", "Art. 6(1)(b)", ("contract", "avtal")),
    ("Legal obligations", "Art. 6(1)(c)", ("legal obligation", "legal obligations", "rättslig förpliktelse")),
    ("Vital interests", "Art. 6(1)(d)", ("vital interest", "vital interests", "grundläggande intresse")),
    ("Public interest", "Art. 6(1)(e)", ("public interest", "public task", "allmänt intresse",
                                         "myndighetsutövning")),
    ("Legitimate interests", "Art. 6(1)(f)", ("legitimate interest", "legitimate interests",
                                              "berättigat intresse", "intresseavvägning")),
)


def legal_basis_article(text: str) -> tuple[str, str]:
    """``"contract"`` -> ``("Contract", "Art. 6(1)(b)")``; ``("", "")`` for a basis not recognised.

    Accepts fideslang's names, English and Swedish words and the article itself
    (``"6(1)(b)"``, ``"Art. 6.1 b"``).
    """
    t = re.sub(r"\s+", " ", text.strip().lower())
    if not t:
        return "", ""
    for name, art, words in _LEGAL_BASES:
        if t in words or t == name.lower():
            return name, art
    m = re.search(r"6\s*[(.]?\s*1\s*\)?\s*[(.]?\s*([a-f])\b", t)
    if m:
        for name, art, _ in _LEGAL_BASES:
            if art.endswith(f"({m.group(1)})"):
                return name, art
    return "", ""
