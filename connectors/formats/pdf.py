"""PDF (pypdf): one record per page, ``item`` = ``p<N>`` (1-based), field ``text``, not structured.

Document information becomes the record ``item`` = ``meta`` with fields named
by their PDF key (``meta:/Author``, ``meta:/Title``, ``meta:/Subject``, ...;
dates left out); filled-in form fields the record ``item`` = ``form`` with
fields ``form:<field name>``. An encrypted PDF is tried with the empty user
password. A file pypdf cannot open raises :class:`ConnectorError`; a page
whose text cannot be extracted is reported and the other pages are read.

pypdf logs what it finds wrong in a damaged file with the offending bytes
(``NumberObject(b'19640823-3234') invalid``, a font's encoding name):
document content, which may be personal data, in the logs. Its logger
(``pypdf``) is kept at CRITICAL (:func:`quiet_pdf_logs`, on every read, as
the process's logging may be reconfigured); the damage this reader cares
about is reported as problems, naming pages, never values.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator

from connectors.base import ConnectorError, Record
from connectors.formats.core import TEXT_FIELD, Ctx, describe
from connectors.formats.streams import Source

_DATE_KEYS = {"/CreationDate", "/ModDate"}
PDF_LOGGERS = ("pypdf",)


def quiet_pdf_logs() -> None:
    """Keep pypdf's logger at CRITICAL: its warnings and errors quote the bytes of the document."""
    for name in PDF_LOGGERS:
        logger = logging.getLogger(name)
        # its own level, not the effective one: a root logger set to DEBUG or WARNING must not reach it
        if logger.level < logging.CRITICAL:
            logger.setLevel(logging.CRITICAL)


def pdf_records(ctx: Ctx, src: Source) -> Iterator[Record]:
    quiet_pdf_logs()
    from pypdf import PdfReader

    f = src.seekable_file()
    try:
        reader = PdfReader(f, strict=False)
        if reader.is_encrypted:
            try:
                ok = bool(reader.decrypt(""))
            except Exception:  # noqa: BLE001
                ok = False
            if not ok:
                raise ConnectorError(f"{ctx.name}: encrypted PDF, a password is needed")
        pages = reader.pages
        count = len(pages)
    except ConnectorError:
        raise
    except Exception as exc:  # noqa: BLE001 - pypdf raises many kinds on damaged files
        raise ConnectorError(f"{ctx.name}: not a readable PDF ({describe(exc)})") from None

    try:
        info: dict[str, object] = dict(reader.metadata or {})
        fields = [(f"meta:{k}", str(v).strip()) for k, v in info.items() if k not in _DATE_KEYS and isinstance(v, str) and str(v).strip()]
    except Exception as exc:  # noqa: BLE001
        ctx.problem(f"{ctx.name} document information: {describe(exc)}")
        fields = []
    if fields:
        yield ctx.record("meta", fields, False)

    try:
        form = reader.get_fields() or {}
        fields = []
        for name, fld in form.items():
            value = fld.get("/V") if hasattr(fld, "get") else None
            if isinstance(value, str) and value.strip():
                fields.append((f"form:{name}", value.strip()))
    except Exception as exc:  # noqa: BLE001
        ctx.problem(f"{ctx.name} form fields: {describe(exc)}")
        fields = []
    if fields:
        yield ctx.record("form", fields, True)

    for i in range(count):
        try:
            text = pages[i].extract_text() or ""
        except Exception as exc:  # noqa: BLE001 - one bad page does not end the document
            ctx.problem(f"{ctx.name} page {i + 1}: text not extractable ({describe(exc)})")
            continue
        if text.strip():
            yield ctx.record(f"p{i + 1}", [(TEXT_FIELD, text)], False)

