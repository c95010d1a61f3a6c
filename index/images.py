"""Image reports (.png, .jpg/.jpeg, .tif/.tiff): every frame is a page, read by OCR.

A multi-page TIFF is one report of several pages. Before any frame is decoded its pixel
count is checked against `limits.max_image_pixels` (a 50 KB PNG can declare 100,000 ×
100,000 pixels and need 30 GB to decode), and the frame count against the page limit of
paged files. EXIF orientation is applied (phone photos), transparency is laid on white.
"""

from __future__ import annotations

import io
import warnings
from collections.abc import Iterator

from PIL import Image, ImageOps

from index.errors import LoadError
from index.ocr_pages import OcrRun
from index.types import PageLines

IMAGE_FORMATS: dict[str, str] = {".png": "png", ".jpg": "jpeg", ".jpeg": "jpeg", ".tif": "tiff", ".tiff": "tiff"}
"""Image suffixes read as reports, and the format name `LoadedText.fmt` gets."""

A4_HEIGHT_PT = 842.0
"""An image that states no resolution is taken as an A4 page: its longer side is this long."""


def _too_large(rel: str, size: tuple[int, int], number: int, max_pixels: int) -> LoadError:
    w, h = size
    return LoadError(
        rel,
        f"has an image (page {number}) of {w:,} × {h:,} = {w * h:,} pixels, over the limit of {max_pixels:,} "
        "(limits.max_image_pixels, REFORMQA_LIMITS__MAX_IMAGE_PIXELS); scale it down (an A4 page at 300 DPI "
        "is 2480 × 3508) or raise the limit",
    )


def _open(data: bytes, rel: str, max_pixels: int) -> Image.Image:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)  # our own limit decides
            return Image.open(io.BytesIO(data))
    except Image.DecompressionBombError as exc:  # past twice Pillow's own limit: never decoded
        raise LoadError(
            rel,
            f"is an image too large to decode ({exc}); scale it down under limits.max_image_pixels = {max_pixels:,}",
        ) from exc


def _frame_count(image: Image.Image, rel: str, max_pages: int) -> int:
    """Frames of the file, counted by seeking (bounded: Pillow's `n_frames` walks them all)."""
    count = 1
    while True:
        try:
            image.seek(count)
        except EOFError:
            break
        count += 1
        if count > max_pages:
            raise LoadError(rel, f"has more than {max_pages:,} pages; split it into smaller files")
    image.seek(0)
    return count


def _frames(image: Image.Image, rel: str, count: int, max_pixels: int) -> Iterator[tuple[Image.Image, object]]:
    """Each frame with its resolution, checked for size before it is decoded, upright, RGB."""
    for number in range(1, count + 1):
        image.seek(number - 1)
        w, h = image.size
        if w * h > max_pixels:
            raise _too_large(rel, image.size, number, max_pixels)
        yield _upright_rgb(image), image.info.get("dpi")


def _upright_rgb(frame: Image.Image) -> Image.Image:
    """The frame as a phone or scanner meant it: EXIF turn applied, transparency on white."""
    frame = ImageOps.exif_transpose(frame.copy())
    if frame.mode in ("I;16", "I;16B", "I;16L", "I"):
        frame = frame.point(lambda v: v / 256).convert("L")
    if frame.mode in ("RGBA", "LA", "PA") or "transparency" in frame.info:
        rgba = frame.convert("RGBA")
        white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(white, rgba).convert("RGB")
    return frame.convert("RGB")


def _page_size(frame: Image.Image, dpi: object) -> tuple[float, float]:
    """The frame's size in points, from its resolution, else as an A4 page."""
    w, h = frame.size
    if isinstance(dpi, tuple) and len(dpi) == 2 and all(isinstance(v, int | float) and v >= 50 for v in dpi):
        return w * 72 / float(dpi[0]), h * 72 / float(dpi[1])
    scale = A4_HEIGHT_PT / max(w, h)
    return w * scale, h * scale


def image_pages(data: bytes, rel: str, run: OcrRun, *, max_pixels: int, max_pages: int) -> tuple[PageLines, ...]:
    """Every frame of an image file read by OCR, one page each (a page the run's budget
    skips is empty)."""
    image = _open(data, rel, max_pixels)
    count = _frame_count(image, rel, max_pages)
    run.plan(count)
    pages: list[PageLines] = []
    for number, (frame, dpi) in enumerate(_frames(image, rel, count, max_pixels), 1):
        width, height = _page_size(frame, dpi)
        page = run.read_image(frame, number, (width, height))
        pages.append(page or PageLines(number=number, width=width, height=height, lines=()))
    return tuple(pages)
