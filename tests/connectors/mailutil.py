"""Fictional mail made in the tests: messages with attachments, mboxes, Maildirs (no fixtures on disk)."""

from __future__ import annotations

import os
import time
from email.message import EmailMessage
from email.policy import SMTP
from pathlib import Path

from tests.connectors.fileutil import EMAIL, PHONE, PNR, PNR2, pdf_bytes, xlsx_bytes, zip_bytes

SENDER = "asa.oberg@example.se"
RECIPIENT = "bo.berg@example.se"
CSV_TEXT = f"Namn;Personnummer;Telefon\nÅsa Öberg;{PNR};{PHONE}\nBo Berg;{PNR2};\n"


def message(
    n: int = 1,
    *,
    sender: str = SENDER,
    to: str = RECIPIENT,
    subject: str = "Kundlista",
    body: str = f"Hej! Ring mig på {PHONE}.\n",
    html: str | None = None,
    attachments: dict[str, bytes] | None = None,
    message_id: str | None = "auto",
    date: str = "Wed, 01 May 2024 10:30:00 +0200",
    extra: dict[str, str] | None = None,
) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = f"Åsa Öberg <{sender}>"
    msg["To"] = to
    msg["Subject"] = subject
    msg["Date"] = date
    if message_id == "auto":
        message_id = f"<{n}.{20240501 + n}@mail.example.se>"
    if message_id:
        msg["Message-ID"] = message_id
    for k, v in (extra or {}).items():
        msg[k] = v
    msg.set_content(body)
    if html is not None:
        msg.add_alternative(html, subtype="html")
    for name, data in (attachments or {}).items():
        maintype, subtype = ("text", "csv") if name.endswith(".csv") else ("application", "octet-stream")
        msg.add_attachment(data, maintype=maintype, subtype=subtype, filename=name)
    return msg


def as_bytes(msg: EmailMessage) -> bytes:
    return msg.as_bytes(policy=SMTP.clone(linesep="\n"))


def rich_message(n: int = 1) -> EmailMessage:
    """A mail with an HTML alternative and CSV, XLSX, PDF and zip attachments."""
    return message(
        n,
        html=f'<p>Hej!</p><p>Mejla <a href="mailto:{EMAIL}">mig</a> eller <a href="tel:{PHONE}">ring</a>.</p>',
        attachments={
            "kunder.csv": CSV_TEXT.encode("utf-8"),
            "lista.xlsx": xlsx_bytes({"Blad1": [["Namn", "Epost"], ["Anna", EMAIL]]}),
            "avtal.pdf": pdf_bytes([f"Avtal for {PNR}"]),
            "arkiv.zip": zip_bytes({"in/h.jsonl": f'{{"pnr": "{PNR}"}}\n'.encode()}),
        },
    )


def mbox_bytes(messages: list[bytes], envelope: str = SENDER) -> bytes:
    """An mbox (mboxrd quoting of body lines that start with ``From ``)."""
    out = bytearray()
    for i, raw in enumerate(messages):
        if i:
            out += b"\n"
        out += f"From {envelope} Wed May  1 08:30:00 2024\n".encode()
        for line in raw.splitlines(keepends=True):
            stripped = line.lstrip(b">")
            out += (b">" + line) if stripped.startswith(b"From ") else line
        if not raw.endswith(b"\n"):
            out += b"\n"
    return bytes(out)


def maildir(root: Path, messages: list[bytes], folder: str = "", seen: bool = False) -> Path:
    """A Maildir (or a Maildir++ subfolder ``.Sent``) holding the messages, delivered to new/ or cur/."""
    path = root / folder if folder else root
    for sub in ("cur", "new", "tmp"):
        (path / sub).mkdir(parents=True, exist_ok=True)
    for i, raw in enumerate(messages):
        base = f"{1714550000 + i}.M{i}P{os.getpid()}.testhost"
        name = f"cur/{base}:2,S" if seen else f"new/{base}"
        (path / name).write_bytes(raw)
    return path


def touch_all(root: Path, when: float | None = None) -> None:
    t = when if when is not None else time.time() - 3600
    for p in root.rglob("*"):
        os.utime(p, (t, t))
