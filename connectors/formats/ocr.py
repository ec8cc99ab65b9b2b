"""Scanned pages: PDF pages with no text layer, read by OCR (Tesseract) where it is installed.

A scanned contract, a signed consent form, a copy of an ID document: a PDF
page that is one picture has no text for pypdf to extract, and was passed over
in silence. Such a page (no extractable text, at least one image) is rendered
at :data:`DPI` dpi in grey by ``pdftoppm`` (poppler-utils) and read by
``tesseract`` (tesseract-ocr, with the Swedish model tesseract-ocr-swe where
installed: ``swe+eng``), both run as programs with the page's PNG in a
temporary folder that is removed after. The text becomes the record
``p<N> ocr`` (field ``text``, not structured), so a reader of the data map
sees that it was read from a picture (OCR can misread a digit).

At most ``Limits.max_ocr_pages`` pages of one document are read so (each costs
about a second); the rest are reported. A TIFF file (what document scanners
write, one page or many) is read the same way, item ``p<N> ocr``; JPEG and PNG
pictures only where the source sets ``limits.ocr_images`` (photos are many, and
slow to read). Without the programs each scanned page is
reported as not read (install ``tesseract-ocr tesseract-ocr-swe
poppler-utils``), so the scan ends partial rather than passing over it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import warnings
from collections.abc import Iterator
from functools import lru_cache
from typing import Any

DPI = 200
MAX_LONG_SIDE = 6000  # pixels: a page larger than this at DPI is rendered at a lower resolution (an A4 page: 2339)
MAX_PIXELS = 60_000_000  # a scanned image larger than this is not read (a decompression bomb)
MEMORY = 2 << 30  # address space allowed to pdftoppm and tesseract


def _limit_memory() -> None:  # pragma: no cover - runs in the child before exec
    import resource

    resource.setrlimit(resource.RLIMIT_AS, (MEMORY, MEMORY))
TIMEOUT = 120  # seconds for one page (render or recognise)


@lru_cache(maxsize=1)
def languages() -> str | None:
    """The ``-l`` argument for tesseract (``swe+eng``, else what is installed of them), or None without OCR."""
    if shutil.which("pdftoppm") is None or shutil.which("tesseract") is None:
        return None
    try:
        out = subprocess.run(["tesseract", "--list-langs"], capture_output=True, text=True, timeout=30).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    have = {line.strip() for line in out.splitlines()[1:]}
    langs = [lang for lang in ("swe", "eng") if lang in have]
    return "+".join(langs) if langs else None


class OcrError(Exception):
    """A page could not be rendered or recognised (the reason names no content)."""


def page_text(pdf_path: str, page: int, long_side_pt: float | None = None) -> str:
    """The text Tesseract reads on one page (1-based) of the PDF at ``pdf_path``; ``long_side_pt``: the page's
    longer side in points, where known (a page so large that DPI would make it over MAX_LONG_SIDE pixels is
    rendered at a lower resolution: a PDF may declare any page size)."""
    dpi = DPI
    if long_side_pt and long_side_pt / 72 * DPI > MAX_LONG_SIDE:
        dpi = max(1, int(MAX_LONG_SIDE * 72 / long_side_pt))
    langs = _langs()
    with tempfile.TemporaryDirectory(prefix="pii-scan-ocr-") as tmp:
        prefix = os.path.join(tmp, "page")
        _run(["pdftoppm", "-f", str(page), "-l", str(page), "-r", str(dpi), "-gray", "-png", "-singlefile", pdf_path,
              prefix], TIMEOUT)
        return _run(["tesseract", prefix + ".png", "stdout", "-l", langs, "--psm", "3"], TIMEOUT)


def _langs() -> str:
    langs = languages()
    if langs is None:
        raise OcrError("OCR is not installed")
    return langs


def _run(cmd: list[str], timeout: float) -> str:
    """Run one of the OCR programs (memory bounded, with a timeout); its standard output as text."""
    try:
        run = subprocess.run(cmd, capture_output=True, timeout=timeout, check=True, preexec_fn=_limit_memory)
    except subprocess.TimeoutExpired:
        raise OcrError(f"OCR took longer than {timeout:.0f} s") from None
    except (OSError, subprocess.CalledProcessError) as exc:
        raise OcrError(f"OCR failed ({type(exc).__name__})") from None
    return run.stdout.decode("utf-8", "replace")


def image_pages(path: str, max_pages: int) -> list[str]:
    """The text Tesseract reads on each page of an image file (a multi-page TIFF: every page, up to ``max_pages``)."""
    langs = _langs()
    too_big = _pixels(path)
    if too_big:
        raise OcrError(too_big)
    out = _run(["tesseract", path, "stdout", "-l", langs, "--psm", "3"], TIMEOUT * max(1, min(max_pages, 20)))
    pages = out.split("\f")  # tesseract ends each page with a form feed
    if pages and not pages[-1].strip():
        pages.pop()
    return pages[:max_pages]


# Pillow warns on stderr for each damaged TIFF header it reads (no content in the message, but one line per
# file of a scan); the damage is reported by tesseract's failure instead
warnings.filterwarnings("ignore", message=r"(?:Corrupt EXIF data|Truncated File Read|Possibly corrupt EXIF)",
                        category=UserWarning)


def _pixels(path: str) -> str:
    """Why an image is too large to read (its first frame's size, read from its header), or ``""``."""
    try:
        from PIL import Image
    except ImportError:  # pragma: no cover - Pillow comes with weasyprint
        return ""
    try:
        with Image.open(path) as img:  # the header only: no pixels decoded
            w, h = img.size
    except Image.DecompressionBombError:  # Pillow's own bound (twice its MAX_IMAGE_PIXELS)
        return "an image too large to read"
    except Exception:  # noqa: BLE001 - Pillow cannot tell: tesseract will (within its memory limit)
        return ""
    return f"an image of {w}x{h} pixels, over the {MAX_PIXELS:,} read" if w * h > MAX_PIXELS else ""


def image_records(ctx: Any, src: Any, fmt: str) -> Iterator[Any]:
    """The pages of a TIFF scan (or, with ``limits.ocr_images``, a JPEG or PNG picture) read by OCR:
    records ``p<N> ocr``, field ``text``, not structured. Without OCR the file is reported as not read."""
    from connectors.base import ConnectorError
    from connectors.formats.core import TEXT_FIELD
    from connectors.formats.streams import local_file

    if languages() is None:
        raise ConnectorError(f"{ctx.name}: a scanned image ({fmt}) not read: OCR is not installed "
                             "(Debian: tesseract-ocr tesseract-ocr-swe)")
    # spooled within max_expanded_bytes when it is no local file, then copied for tesseract
    with local_file(src.seekable_file(), "." + ("tif" if fmt == "tiff" else fmt)) as path:
        try:
            pages = image_pages(path, ctx.limits.max_ocr_pages)
        except OcrError as exc:
            raise ConnectorError(f"{ctx.name}: scanned image not read ({exc})") from None
    for n, text in enumerate(pages, start=1):
        if text.strip():
            yield ctx.record(f"p{n} ocr", [(TEXT_FIELD, text)], False)
