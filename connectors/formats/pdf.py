"""PDF (pypdf): one record per page, ``item`` = ``p<N>`` (1-based), field ``text``, not structured.

Document information becomes the record ``item`` = ``meta`` with fields named
by their PDF key (``meta:/Author``, ``meta:/Title``, ``meta:/Subject``, ...;
dates left out), and the XMP metadata's values not already there
(``meta:xmp:creator``, ``meta:xmp:title``, ``meta:xmp:description``, ...); filled-in form fields the record ``item`` = ``form`` with
fields ``form:<field name>``. Page annotations (sticky notes, free-text
boxes, ``mailto:``/``tel:`` links) are records ``item`` = ``p<N> annotation K``
(fields ``text``, ``link``, ``meta:author``); embedded files (attachments) are
read as archive entries, container ``<pdf>!<name>`` (bounded by
``max_expanded_bytes`` and ``max_depth``). An encrypted PDF is tried with the empty user
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
from contextlib import ExitStack
from typing import Any

from connectors.base import ConnectorError, Record, safe_name
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


MAX_XMP_BYTES = 4 << 20
_XMP = (("dc_creator", "meta:xmp:creator"), ("dc_title", "meta:xmp:title"), ("dc_description", "meta:xmp:description"),
        ("dc_subject", "meta:xmp:subject"), ("dc_contributor", "meta:xmp:contributor"), ("dc_publisher", "meta:xmp:publisher"),
        ("dc_rights", "meta:xmp:rights"), ("pdf_keywords", "meta:xmp:keywords"))


def _xmp_fields(reader: Any) -> Iterator[tuple[str, str]]:
    """The document's XMP metadata (Dublin Core creator, title, description, ...): tools write it alone, without an Info entry."""
    meta = reader.trailer["/Root"].get_object().get("/Metadata")
    if meta is None:
        return
    raw = meta.get_object().get_data()[:MAX_XMP_BYTES + 1]
    if len(raw) > MAX_XMP_BYTES or b"<!DOCTYPE" in raw or b"<!ENTITY" in raw:
        raise ConnectorError("XMP metadata too large or declaring entities, not read")
    xmp = reader.xmp_metadata
    if xmp is None:
        return
    for attr, name in _XMP:
        value = getattr(xmp, attr, None)
        values = value.values() if isinstance(value, dict) else value if isinstance(value, list) else [value]
        for v in values:
            if isinstance(v, str) and v.strip():
                yield name, v.strip()


def _annotation_fields(annot: Any) -> list[tuple[str, str]]:
    """A page annotation's text (a sticky note, a free-text box, a mailto link) and author; form widgets are the form's."""
    obj = annot.get_object()
    if not hasattr(obj, "get") or obj.get("/Subtype") in ("/Widget", "/Popup"):
        return []
    fields: list[tuple[str, str]] = []
    contents = obj.get("/Contents")
    if isinstance(contents, str) and contents.strip():
        fields.append((TEXT_FIELD, contents.strip()))
    action: Any = obj.get("/A")
    action = action.get_object() if action is not None else None
    uri = action.get("/URI") if action is not None and hasattr(action, "get") else None
    if isinstance(uri, (str, bytes)):
        uri = uri.decode("latin-1") if isinstance(uri, bytes) else uri
        if uri.lower().startswith(("mailto:", "tel:")):
            fields.append(("link", uri))
    author = obj.get("/T")
    if fields and isinstance(author, str) and author.strip():
        fields.append(("meta:author", author.strip()))
    return fields


def pdf_records(ctx: Ctx, src: Source, read: Any = None) -> Iterator[Record]:
    """Records of a PDF; ``read`` (:func:`connectors.formats.read_in`) reads its attachments, when given."""
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
    try:
        seen = {v for _, v in fields}
        fields.extend((k, v) for k, v in _xmp_fields(reader) if v not in seen)
    except Exception as exc:  # noqa: BLE001
        ctx.problem(f"{ctx.name} XMP metadata: {describe(exc)}")
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

    scans = _Scans(f)
    try:
        for i in range(count):
            try:
                text = pages[i].extract_text() or ""
            except Exception as exc:  # noqa: BLE001 - one bad page does not end the document
                ctx.problem(f"{ctx.name} page {i + 1}: text not extractable ({describe(exc)})")
                text = ""
            if text.strip():
                yield ctx.record(f"p{i + 1}", [(TEXT_FIELD, text)], False)
            elif _has_image(pages[i]):  # a scan: no text, a picture
                yield from scans.read(ctx, i + 1, _long_side(pages[i]))
            yield from _annotations(ctx, pages[i], i + 1)
        scans.report(ctx)
    finally:
        scans.close()
    yield from _attachments(ctx, reader, read)


def _annotations(ctx: Ctx, page: Any, n: int) -> Iterator[Record]:
    try:
        annots = page.get("/Annots")
        notes = [f for f in (_annotation_fields(a) for a in (annots.get_object() if annots is not None else [])) if f]
    except Exception as exc:  # noqa: BLE001
        ctx.problem(f"{ctx.name} page {n}: annotations not readable ({describe(exc)})")
        notes = []
    for k, fields in enumerate(notes, start=1):
        yield ctx.record(f"p{n} annotation {k}", fields, False)


def _long_side(page: Any) -> float | None:
    """A page's longer side in points (its media box), or None where it cannot be read."""
    try:
        box = page.mediabox
        return float(max(abs(box.width), abs(box.height)))
    except Exception:  # noqa: BLE001
        return None


def _has_image(page: Any) -> bool:
    """Whether a page draws an image of its own (a scanner's page is one), without decoding any."""
    try:
        res = page.get("/Resources")
        xobjects = res.get_object().get("/XObject") if res is not None else None
        if xobjects is None:
            return False
        xobjects = xobjects.get_object()
        return any(xobjects[k].get_object().get("/Subtype") == "/Image" for k in xobjects)
    except Exception:  # noqa: BLE001 - a damaged resource dictionary: no image to read
        return False


class _Scans:
    """The scanned pages of one PDF, read by OCR (:mod:`connectors.formats.ocr`) where it is installed."""

    def __init__(self, f: Any) -> None:
        self.f = f
        self.path: str | None = None
        self.files = ExitStack()  # the copy for pdftoppm, where one was needed
        self.done = 0
        self.missing = 0  # scanned pages left unread: no OCR here
        self.over = 0  # ... or beyond Limits.max_ocr_pages

    def read(self, ctx: Ctx, n: int, long_side_pt: float | None = None) -> Iterator[Record]:
        from connectors.formats import ocr

        if ocr.languages() is None:
            self.missing += 1
            return
        if self.done >= ctx.limits.max_ocr_pages:
            self.over += 1
            return
        try:
            text = ocr.page_text(self._pdf_path(), n, long_side_pt)
        except (ocr.OcrError, OSError) as exc:
            ctx.problem(f"{ctx.name} page {n}: scanned page not read ({exc})")
            return
        self.done += 1
        if text.strip():
            yield ctx.record(f"p{n} ocr", [(TEXT_FIELD, text)], False)

    def _pdf_path(self) -> str:
        if self.path is None:
            from connectors.formats.streams import local_file

            self.path = self.files.enter_context(local_file(self.f, ".pdf"))  # the file, or a private copy
        return self.path

    def report(self, ctx: Ctx) -> None:
        if self.missing:
            ctx.problem(f"{ctx.name}: {self.missing} scanned page(s) (a picture, no text) not read: OCR is not "
                        "installed (Debian: tesseract-ocr tesseract-ocr-swe poppler-utils)")
        if self.over:
            ctx.problem(f"{ctx.name}: {self.over} scanned page(s) after the first {ctx.limits.max_ocr_pages} not read "
                        "by OCR (limits.max_ocr_pages)")

    def close(self) -> None:
        self.files.close()


def _attachments(ctx: Ctx, reader: Any, read: Any) -> Iterator[Record]:
    if read is None:
        return
    try:
        files = [(f.name, f) for f in reader.attachment_list]
    except Exception as exc:  # noqa: BLE001
        ctx.problem(f"{ctx.name} attachments: {describe(exc)}")
        return
    from connectors.formats.archives import embedded_records

    for n, (name, emb) in enumerate(files, start=1):
        label = name if isinstance(name, str) and name.strip() else f"attachment {n}"
        try:
            data = emb.content
        except Exception as exc:  # noqa: BLE001 - a damaged or too large stream: reported, the others read
            ctx.problem(f"{ctx.name}!{safe_name(label)}: attachment not readable ({describe(exc)})")
            continue
        yield from embedded_records(ctx, read, label, bytes(data))

