"""Known fictional identifiers, planted in every store and in every written form.

Every value here is fictional: Skatteverket's test personnummer, PTS's
fiction numbers, made-up addresses, account and card numbers generated with
valid checksums. :data:`IDENTIFIERS` lists each value with its canonical form
and every written form it is planted in; :func:`needles` gives every byte
string that must never appear in anything pii-scan writes.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote, quote_plus


def _luhn_complete(prefix: str) -> str:
    digits = [int(d) for d in prefix + "0"]
    total = 0
    for i, d in enumerate(reversed(digits)):
        if i % 2 == 1:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return prefix + str((10 - total % 10) % 10)


@dataclass(frozen=True)
class Ident:
    kind: str
    canonical: str
    forms: tuple[str, ...]  # as written in the stores


CARD = _luhn_complete("457101234567890")
PNR = Ident("personnummer", "196408233234", ("19640823-3234", "196408233234", "640823-3234", "6408233234"))
SAMORD = Ident("personnummer", "196801642395", ("19680164-2395", "196801642395", "680164-2395", "6801642395"))
EMAIL = Ident("email", "anna.andersson@example.se", ("anna.andersson@example.se", "Anna.Andersson@Example.se"))
EMAIL2 = Ident("email", "bo.berg@example.se", ("bo.berg@example.se",))
PHONE = Ident("phone", "+46701740605", ("070-174 06 05", "0701740605", "+46701740605", "+46 70 174 06 05", "070-1740605", "0046701740605"))
IBAN = Ident("bank_account", "SE3550000000054910000003", ("SE35 5000 0000 0549 1000 0003", "SE3550000000054910000003"))
ACCOUNT = Ident("bank_account", "6000-123456789", ("6000-123456789",))
CARD_ID = Ident("payment_card", CARD, (" ".join(CARD[i : i + 4] for i in range(0, 16, 4)), CARD))
IDENTIFIERS = (PNR, SAMORD, EMAIL, EMAIL2, PHONE, IBAN, ACCOUNT, CARD_ID)

# identifiers planted in names: a table, a column, a file, a folder, an S3 key, an attachment
TABLE_NAMED = "kund_6408233234"
COLUMN_NAMED = "bo.berg@example.se"
FILE_NAMED = "19640823-3234_lonespec.txt"
FOLDER_NAMED = "anna.andersson@example.se"
S3_KEY_NAMED = "hr/680164-2395/lon.csv"
ATTACHMENT_NAMED = "0701740605.csv"


def needles() -> dict[bytes, str]:
    """Every byte string that must not appear in the outputs -> what it is (for the failure message).

    Written forms, canonical forms and their digit-only forms (case-folded:
    compare against lower-cased haystacks), plus unsalted MD5/SHA-1/SHA-256
    hex digests of the canonical and written forms and of ``kind:canonical``.
    """
    out: dict[bytes, str] = {}
    for ident in IDENTIFIERS:
        texts = {ident.canonical, *ident.forms}
        for t in list(texts):
            digits = "".join(ch for ch in t if ch.isdigit())
            if len(digits) >= 9 and ident.kind != "email":
                texts.add(digits)
        # canonical last: when two forms differ only in case, the message names the canonical one
        for t in sorted(texts, key=lambda x: (x == ident.canonical, x)):
            out[t.lower().encode()] = f"{ident.kind} written as {t!r}"
            for enc in (quote(t), quote(t, safe=""), quote_plus(t), json.dumps(t)[1:-1]):
                if enc != t:
                    out[enc.lower().encode()] = f"{ident.kind} written as {t!r}, encoded as {enc!r}"
        for t in texts | {f"{ident.kind}:{ident.canonical}"}:
            for algo in ("md5", "sha1", "sha256"):
                out[hashlib.new(algo, t.encode()).hexdigest().encode()] = f"unsalted {algo} of {t!r}"
    return out


def binary_digests() -> dict[bytes, str]:
    """Raw (binary) unsalted digests, for binary files such as the SQLite data map."""
    out: dict[bytes, str] = {}
    for ident in IDENTIFIERS:
        for t in {ident.canonical, *ident.forms, f"{ident.kind}:{ident.canonical}"}:
            for algo in ("sha1", "sha256"):
                out[hashlib.new(algo, t.encode()).digest()] = f"raw {algo} of {t!r}"
    return out


def leaks(haystack: bytes, where: str, binary: bool = False) -> list[str]:
    low = haystack.lower()
    found = [f"{where}: {what}" for n, what in needles().items() if n in low]
    if binary:
        found += [f"{where}: {what}" for n, what in binary_digests().items() if n in haystack]
    return found


# --- the stores --------------------------------------------------------------------------------------

ROWS = [
    # personnummer, email, phone, iban, card, account, note
    (PNR.forms[0], EMAIL.forms[0], PHONE.forms[0], IBAN.forms[0], CARD_ID.forms[0], ACCOUNT.forms[0], f"Ring {PHONE.forms[3]}"),
    (PNR.forms[1], EMAIL.forms[1], PHONE.forms[1], IBAN.forms[1], CARD_ID.forms[1], None, f"pnr {PNR.forms[2]}, mobil {PHONE.forms[4]}"),
    (SAMORD.forms[0], EMAIL2.forms[0], PHONE.forms[2], None, None, None, f"samordningsnummer {SAMORD.forms[2]} tel {PHONE.forms[5]}"),
    (SAMORD.forms[1], None, None, None, None, None, f"{PNR.forms[3]} och {SAMORD.forms[3]}"),
]
COLUMNS = ("personnummer", "email", "telefon", "iban", "kort", "kontonummer", "anteckning")


def sql_statements(dialect: str) -> list[str]:
    """DDL and inserts for the planted tables (``kunder``, a table and a column named after identifiers)."""
    q = '"' if dialect != "mysql" else "`"

    def lit(v: Any) -> str:
        return "NULL" if v is None else "'" + str(v).replace("'", "''") + "'"

    cols = ", ".join(f"{c} VARCHAR(200)" for c in COLUMNS)
    out = [f"CREATE TABLE kunder (id INTEGER PRIMARY KEY, {cols})"]
    for i, row in enumerate(ROWS, start=1):
        out.append(f"INSERT INTO kunder VALUES ({i}, {', '.join(lit(v) for v in row)})")
    out.append(
        f"CREATE TABLE {q}{TABLE_NAMED}{q} (id INTEGER PRIMARY KEY, {q}{COLUMN_NAMED}{q} VARCHAR(200), "
        f"kommentar VARCHAR(200), kund_id INTEGER REFERENCES kunder(id))"
    )  # named after a person, with a foreign key: the schema facts the map keeps name it too
    out.append(f"INSERT INTO {q}{TABLE_NAMED}{q} VALUES (1, {lit(EMAIL2.forms[0])}, {lit('kund ' + PNR.forms[0])}, 1)")
    # a primary key that is an identifier: the row's item would name it
    out.append("CREATE TABLE epostlista (epost VARCHAR(200) PRIMARY KEY, telefon VARCHAR(40))")
    out.append(f"INSERT INTO epostlista VALUES ({lit(EMAIL.forms[0])}, {lit(PHONE.forms[0])})")
    out.append(f"INSERT INTO epostlista VALUES ({lit(PNR.forms[0])}, {lit(SAMORD.forms[0])})")
    return out


def make_sqlite(path: Path) -> None:
    con = sqlite3.connect(path)
    for stmt in sql_statements("sqlite"):
        con.execute(stmt)
    con.commit()
    con.close()


def csv_text() -> str:
    lines = [";".join(COLUMNS)]
    for row in ROWS:
        lines.append(";".join("" if v is None else str(v) for v in row))
    return "\n".join(lines) + "\n"


def make_files(root: Path) -> None:
    (root / "export").mkdir(parents=True)
    (root / "export" / "kunder.csv").write_text(csv_text(), "utf-8")
    (root / "export" / "kunder.json").write_text(
        json.dumps([dict(zip(COLUMNS, r)) for r in ROWS] + [{PNR.forms[0]: {"tel": PHONE.forms[0]}}], ensure_ascii=False), "utf-8"
    )
    (root / "export" / "logg.txt").write_text(
        "\n".join(f"2024-05-01 INFO kund {r[0]} uppdaterad, {r[6]}" for r in ROWS) + "\n", "utf-8"
    )
    (root / FILE_NAMED).write_text("Lönespecifikation\n", "utf-8")
    (root / FOLDER_NAMED).mkdir()
    (root / FOLDER_NAMED / "brev.txt").write_text(f"Hej! Kontonummer {ACCOUNT.forms[0]}, IBAN {IBAN.forms[0]}.\n", "utf-8")


def s3_objects() -> dict[str, bytes]:
    return {
        "exports/kunder.csv": csv_text().encode(),
        S3_KEY_NAMED: f"lön;{CARD_ID.forms[0]}\n".encode(),
        f"logs/{EMAIL.forms[0]}.log": f"login {EMAIL.forms[0]} från {PHONE.forms[3]}\n".encode(),
    }


def mbox_bytes() -> bytes:
    from tests.connectors.mailutil import as_bytes, mbox_bytes as pack, message

    m1 = message(
        1, sender=EMAIL.forms[0], to=EMAIL2.forms[0], subject=f"Ang. {PNR.forms[0]}",
        body=f"Hej! Mitt personnummer är {PNR.forms[2]} och kortet {CARD_ID.forms[0]}. Ring {PHONE.forms[0]}.\n",
        attachments={ATTACHMENT_NAMED: csv_text().encode()},
    )
    m2 = message(2, sender=EMAIL2.forms[0], to=EMAIL.forms[0], subject="Svar", body=f"IBAN {IBAN.forms[0]}, samordningsnummer {SAMORD.forms[0]}\n")
    return pack([as_bytes(m1), as_bytes(m2)], envelope=EMAIL.forms[0])
