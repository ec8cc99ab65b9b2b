"""Scanned PDF pages (a picture, no text layer) are read by OCR, or reported where OCR is not installed.

A scanned contract or consent form in a share is a PDF of pictures: pypdf
finds no text, and the page was passed over in silence. Now Tesseract reads it
(record ``p<N> ocr``). The page is made here: fictional text drawn with Pillow
in a TrueType font and saved as an image-only PDF.
"""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from PIL import Image, ImageDraw, ImageFont

from connectors.base import ConnectorError, Location
from connectors.formats import ocr, read_stream
from tests.conftest import need_service
from tests.connectors.fileutil import NonSeekable, pdf_bytes
from tests.connectors.test_files import conn as files_conn
from tests.connectors.test_files import read_all as files_read_all

FONTS = ("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf", "/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf")
LINES = ["Anställningsavtal", "Namn: Anna Andersson", "Personnummer: 811228-9874", "E-post: anna.andersson@example.se"]


def _font() -> ImageFont.FreeTypeFont:
    for path in FONTS:
        if Path(path).exists():
            return ImageFont.truetype(path, 36)
    pytest.skip("no TrueType font to draw the scanned page with (Debian: fonts-dejavu-core)")


def scanned_pdf(pages: int = 1) -> bytes:
    font = _font()
    imgs = []
    for _ in range(pages):
        img = Image.new("L", (1240, 1754), 255)  # A4 at 150 dpi
        draw = ImageDraw.Draw(img)
        for k, line in enumerate(LINES):
            draw.text((120, 200 + 80 * k), line, fill=0, font=font)
        imgs.append(img)
    buf = io.BytesIO()
    imgs[0].save(buf, "PDF", resolution=150, save_all=True, append_images=imgs[1:])
    return buf.getvalue()


def _need_ocr() -> None:
    if ocr.languages() is None:
        need_service("OCR (tesseract, pdftoppm)", "apt-get install tesseract-ocr tesseract-ocr-swe poppler-utils")


def _loc(c: str, i: str) -> Location:
    return Location("files", "share", c, i)


@pytest.mark.parametrize("seekable", [True, False])
def test_a_scanned_page_is_read_by_ocr(seekable: bool) -> None:
    _need_ocr()
    data = scanned_pdf()
    body = io.BytesIO(data) if seekable else NonSeekable(data)
    recs = list(read_stream(body, "avtal.pdf", container="avtal.pdf", loc_factory=_loc))
    pages = {r.location.item: dict(r.fields)["text"] for r in recs if r.location.item.startswith("p")}
    assert list(pages) == ["p1 ocr"]
    from detectors import Scanner

    found = {(m.kind, m.value) for m in Scanner().find(pages["p1 ocr"])}
    assert ("personnummer", "198112289874") in found and ("email", "anna.andersson@example.se") in found


def test_a_share_scan_finds_it_and_a_text_pdf_is_not_ocred(tmp_path: Path) -> None:
    _need_ocr()
    share = tmp_path / "share"
    share.mkdir()
    (share / "skannat.pdf").write_bytes(scanned_pdf(2))
    (share / "text.pdf").write_bytes(pdf_bytes(["Personnummer 811228-9874"]))
    recs, errors = files_read_all(files_conn(share))
    assert errors == {}
    items = sorted((r.location.container, r.location.item) for r in recs if r.location.item)
    assert items == [("skannat.pdf", "p1 ocr"), ("skannat.pdf", "p2 ocr"), ("text.pdf", "p1")]


def test_without_ocr_a_scanned_page_is_reported(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ocr, "languages", lambda: None)
    with pytest.raises(ConnectorError, match="1 scanned page.*not read: OCR is not installed"):
        list(read_stream(io.BytesIO(scanned_pdf()), "avtal.pdf", container="avtal.pdf", loc_factory=_loc))


def _page_image() -> Image.Image:
    img = Image.new("L", (1240, 1754), 255)
    draw = ImageDraw.Draw(img)
    for k, line in enumerate(LINES):
        draw.text((120, 200 + 80 * k), line, fill=0, font=_font())
    return img


def test_a_multi_page_tiff_scan_is_read_page_by_page(tmp_path: Path) -> None:
    _need_ocr()
    share = tmp_path / "share"
    share.mkdir()
    img = _page_image()
    img.save(share / "skanning.tif", save_all=True, append_images=[img.copy()], compression="tiff_lzw")
    recs, errors = files_read_all(files_conn(share))
    assert errors == {}
    pages = {r.location.item: dict(r.fields)["text"] for r in recs if r.location.item}
    assert list(pages) == ["p1 ocr", "p2 ocr"]
    from detectors import Scanner

    assert ("personnummer", "198112289874") in {(m.kind, m.value) for m in Scanner().find(pages["p2 ocr"])}


def test_pictures_only_when_the_source_asks(tmp_path: Path) -> None:
    _need_ocr()
    share = tmp_path / "share"
    share.mkdir()
    _page_image().save(share / "foto.png")
    _page_image().convert("RGB").save(share / "foto.jpg", quality=90)
    recs, _ = files_read_all(files_conn(share))
    assert [r for r in recs if r.location.item] == []  # photos are many: not read by default
    recs, errors = files_read_all(files_conn(share, limits={"ocr_images": True}))
    assert errors == {}
    assert sorted((r.location.container, r.location.item) for r in recs if r.location.item) == [
        ("foto.jpg", "p1 ocr"), ("foto.png", "p1 ocr")]


def test_without_ocr_a_tiff_is_reported(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ocr, "languages", lambda: None)
    share = tmp_path / "share"
    share.mkdir()
    _page_image().save(share / "skanning.tif")
    _, errors = files_read_all(files_conn(share))
    assert list(errors) == ["skanning.tif"] and "OCR is not installed" in errors["skanning.tif"]


def test_a_page_declaring_a_huge_size_is_rendered_within_bounds(monkeypatch: pytest.MonkeyPatch) -> None:
    """A PDF may declare any page size: the page is rendered at a resolution that keeps it within
    ocr.MAX_LONG_SIDE pixels (a 1754-inch page at 200 dpi would be 350,800 pixels long)."""
    _need_ocr()
    img = _page_image()
    buf = io.BytesIO()
    img.save(buf, "PDF", resolution=1)  # 1240 x 1754 inches
    calls: list[list[str]] = []
    real = ocr.subprocess.run

    def run(cmd, *a, **k):  # noqa: ANN001, ANN002, ANN003, ANN202
        calls.append(list(cmd))
        return real(cmd, *a, **k)

    monkeypatch.setattr(ocr.subprocess, "run", run)
    list(read_stream(io.BytesIO(buf.getvalue()), "stor.pdf", container="stor.pdf", loc_factory=_loc))
    render = next(c for c in calls if c[0] == "pdftoppm")
    dpi = int(render[render.index("-r") + 1])
    assert 0 < dpi and 1754 * dpi <= ocr.MAX_LONG_SIDE, dpi


def test_an_image_too_large_is_reported_not_read(tmp_path: Path) -> None:
    _need_ocr()
    share = tmp_path / "share"
    share.mkdir()
    Image.new("L", (9000, 9000), 255).save(share / "enorm.tif", compression="tiff_lzw")  # 81 megapixels
    _, errors = files_read_all(files_conn(share))
    assert list(errors) == ["enorm.tif"] and "9000x9000 pixels" in errors["enorm.tif"]
