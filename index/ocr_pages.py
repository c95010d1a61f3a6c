"""Pages read by OCR: an image (a scanned PDF page, an image file's frame) → `PageLines`.

`OcrRun` is one file's OCR: it holds the engine, the file's page and time budget
(`limits.max_ocr_pages`, `limits.max_ocr_seconds`), feeds the "ocr" progress stage page by
page and says in the file's notes which pages it read and which it skipped, and why.

A page with red ink is read through its seals (`index.red_ink`). The engine's lines become
the page's `PageLine`s in points with a top-left origin (the
contract a PDF text layer gives too, so the layout reader treats both alike):
- lines the engine is unsure of are dropped by their score (`ocr.min_line_score`): a red
  seal's ring text and serial number, specks and ruling read as letters score far below
  printed body text;
- fragments the engine cut from one printed line (it splits at wide spaces) are joined
  when the gap between them is narrower than the line is tall, so a column gutter or a
  table's cell border, which is wider, still separates them;
- `size` is the line's height in points (OCR knows no font size).

PDF pages: `needs_ocr` decides from a page's text layer whether it has one;
`ocr_pdf_page` renders such a page with pypdfium2 and reads it (the hook the PDF reader
calls for a page without a text layer).
"""

from __future__ import annotations

import math
import statistics
import time
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from PIL import Image

from index.ocr import OcrEngine, OcrLine
from index.red_ink import read_page
from index.types import PageLine, PageLines

PageProgress = Callable[[int, int], None]
"""progress(pages done, pages to read) of one file's OCR."""


# -- lines → PageLines ----------------------------------------------------------------------
def _same_row(a: OcrLine, b: OcrLine) -> bool:
    """b sits on a's printed line: they overlap by most of the shorter one's height."""
    overlap = min(a.bottom, b.bottom) - max(a.top, b.top)
    return overlap >= 0.5 * min(a.bottom - a.top, b.bottom - b.top)


def _rows(lines: list[OcrLine]) -> list[list[OcrLine]]:
    """Lines grouped into printed rows, top to bottom, each row left to right."""
    rows: list[list[OcrLine]] = []
    for line in sorted(lines, key=lambda ln: ((ln.top + ln.bottom) / 2, ln.x0)):
        row = next((r for r in reversed(rows[-3:]) if _same_row(r[0], line)), None)
        if row is None:
            rows.append([line])
        else:
            row.append(line)
    return [sorted(row, key=lambda ln: ln.x0) for row in rows]


def _latin(ch: str) -> bool:
    return ch.isascii() and ch.isalnum()


def _join(a: str, b: str) -> str:
    """Chinese joins without a space; two Latin words or numbers keep one between them."""
    return f"{a} {b}" if a and b and _latin(a[-1]) and _latin(b[0]) else a + b


def _merge_fragments(row: list[OcrLine]) -> list[OcrLine]:
    """Join neighbours of one row whose gap is narrower than the row is tall."""
    out = [row[0]]
    for frag in row[1:]:
        last = out[-1]
        height = max(last.bottom - last.top, frag.bottom - frag.top)
        if frag.x0 - last.x1 < height:
            out[-1] = OcrLine(
                _join(last.text, frag.text),
                last.x0,
                min(last.top, frag.top),
                max(last.x1, frag.x1),
                max(last.bottom, frag.bottom),
                min(last.score, frag.score),
            )
        else:
            out.append(frag)
    return out


def ocr_page_lines(
    lines: list[OcrLine], *, number: int, image_size: tuple[int, int], page_size: tuple[float, float], min_score: float
) -> PageLines:
    """The engine's lines of one page image as the page's `PageLines` (points, reading order)."""
    (w_px, h_px), (w_pt, h_pt) = image_size, page_size
    sx, sy = w_pt / w_px, h_pt / h_px
    kept = [ln for ln in lines if ln.score >= min_score and ln.text.strip()]
    out: list[PageLine] = []
    for row in _rows(kept):
        for ln in _merge_fragments(row):
            top, bottom = ln.top * sy, ln.bottom * sy
            out.append(PageLine(ln.text.strip(), ln.x0 * sx, top, ln.x1 * sx, bottom, round(bottom - top, 2)))
    return PageLines(number=number, width=w_pt, height=h_pt, lines=tuple(out), ocr=True)


_UPRIGHT_SCORE = 0.8
"""Median line score under which a page is read again turned round: printed lines read
upright score ~0.99, a page scanned upside down reads as noise."""


def read_upright(engine: OcrEngine, image: Image.Image) -> list[OcrLine]:
    """The page's lines, from the page turned round when it reads badly as it stands and
    better so (a sheet scanned upside down): the lines then come in reading order too."""
    lines = read_page(engine, image)
    if not lines or statistics.median(ln.score for ln in lines) >= _UPRIGHT_SCORE:
        return lines  # read well, or blank (text upside down is still found, as noise)
    turned = read_page(engine, image.rotate(180))
    return max((lines, turned), key=lambda found: sum(ln.score * len(ln.text) for ln in found))


# -- one file's OCR budget --------------------------------------------------------------------
def _pages(numbers: list[int]) -> str:
    """[3, 4, 5, 9] → "pages 3-5, 9"; [4] → "page 4"."""
    return ("page " if len(numbers) == 1 else "pages ") + _page_list(numbers)


def _page_list(numbers: list[int]) -> str:
    """[3, 4, 5, 9] → "3-5, 9"."""
    spans: list[list[int]] = []
    for n in numbers:
        if spans and n == spans[-1][1] + 1:
            spans[-1][1] = n
        else:
            spans.append([n, n])
    return ", ".join(str(a) if a == b else f"{a}-{b}" for a, b in spans)


@dataclass(frozen=True)
class OcrOptions:
    """How files are read by OCR (from `Settings.ocr`), and who hears about each page."""

    engine: OcrEngine
    dpi: int = 150
    min_score: float = 0.72
    progress: PageProgress | None = None
    clock: Callable[[], float] = time.monotonic

    def run(self, rel: str, *, max_pages: int, max_seconds: float, max_pixels: int) -> OcrRun:
        """A fresh budget for one file."""
        return OcrRun(
            rel,
            self.engine,
            max_pages=max_pages,
            max_seconds=max_seconds,
            min_score=self.min_score,
            dpi=self.dpi,
            max_pixels=max_pixels,
            progress=self.progress or (lambda done, total: None),
            clock=self.clock,
        )


@dataclass
class OcrRun:
    """The OCR of one file: engine, budget, progress and what to say in the notes."""

    rel: str
    engine: OcrEngine
    max_pages: int
    max_seconds: float
    min_score: float = 0.72
    dpi: int = 150
    max_pixels: int = 60_000_000
    progress: PageProgress = lambda done, total: None
    clock: Callable[[], float] = time.monotonic
    read: list[int] = field(default_factory=list)
    """1-based numbers of the pages read by OCR."""
    skipped: dict[str, list[int]] = field(default_factory=dict)
    """Pages not read, by the limit that stopped them (`pages`, `seconds`)."""
    total: int = 0
    _done: int = 0
    _started: float | None = None

    def plan(self, total: int) -> None:
        """How many pages of this file will ask for OCR (for the progress bar)."""
        self.total = total
        self.progress(0, total)

    def _allowed(self, number: int) -> bool:
        if self._started is None:
            self._started = self.clock()
        if len(self.read) >= self.max_pages:
            self.skipped.setdefault("pages", []).append(number)
            return False
        if self.clock() - self._started >= self.max_seconds:
            self.skipped.setdefault("seconds", []).append(number)
            return False
        return True

    def read_image(self, image: Image.Image, number: int, page_size: tuple[float, float]) -> PageLines | None:
        """The page in `image` read by OCR, or None when the budget skips it."""
        lines = read_upright(self.engine, image) if self._allowed(number) else None
        if lines is not None:
            self.read.append(number)
        self._done += 1
        self.progress(self._done, max(self.total, self._done))
        if lines is None:
            return None
        return ocr_page_lines(
            lines, number=number, image_size=image.size, page_size=page_size, min_score=self.min_score
        )

    def finish(self) -> tuple[str, ...]:
        """End the file's OCR: the progress bar ends at what was read (a PDF's pages that need
        OCR are found while it is read, so its total is not known in advance); the notes."""
        if self.total > self._done:  # pages planned but never offered (a limit stopped the file)
            self.progress(self._done, self._done)
        return self.notes()

    def notes(self) -> tuple[str, ...]:
        """ "read 3 pages by OCR" and, per limit, the pages it skipped and how to read them."""
        out = []
        if self.read:
            out.append(
                f"read {len(self.read)} page{'s' if len(self.read) != 1 else ''} by OCR ({_page_list(self.read)})"
            )
        doc = self.rel.rsplit(".", 1)[0]
        again = f"then `reformqa remove {doc}` and `reformqa ingest` to read them"
        if "pages" in self.skipped:
            out.append(
                f"{_pages(self.skipped['pages'])} not read by OCR: over the limit of {self.max_pages} "
                f"OCR pages per file; raise limits.max_ocr_pages (REFORMQA_LIMITS__MAX_OCR_PAGES), {again}"
            )
        if "seconds" in self.skipped:
            out.append(
                f"{_pages(self.skipped['seconds'])} not read by OCR: over the limit of "
                f"{self.max_seconds:g} seconds of OCR per file; raise limits.max_ocr_seconds "
                f"(REFORMQA_LIMITS__MAX_OCR_SECONDS), {again}"
            )
        return tuple(out)


# -- PDF pages --------------------------------------------------------------------------------
MIN_TEXT_CHARS = 10
"""A text layer with fewer letters and digits than this is no text layer: a scan stamped
with a page number or a date ("第 3 页", "2025-11-25") still needs OCR, while the shortest
real text page (a chapter title page) has more."""


def text_chars(text: str) -> int:
    """Letters and digits of a text layer, not counting private-use glyphs, U+FFFD and
    unmapped `(cid:N)` codes that a font without a Unicode map gives."""
    text = text.replace("(cid:", "(")
    return sum(
        1 for ch in text if unicodedata.category(ch)[0] in "LN" and ch != "\ufffd" and unicodedata.category(ch) != "Co"
    )


def needs_ocr(text_layer: str) -> bool:
    """True when a page's text layer is empty, only whitespace, or garbage (see MIN_TEXT_CHARS)."""
    return text_chars(text_layer) < MIN_TEXT_CHARS


def _has_drawing(page: Any) -> bool:
    """Anything drawn (an image, paths that could be outlined text) besides text: a blank page
    is not worth a render."""
    import pypdfium2.raw as pdfium_c

    kinds = {pdfium_c.FPDF_PAGEOBJ_IMAGE, pdfium_c.FPDF_PAGEOBJ_PATH, pdfium_c.FPDF_PAGEOBJ_SHADING}
    return any(obj.type in kinds for obj in page.get_objects(max_depth=3))


def render_scale(width_pt: float, height_pt: float, dpi: int, max_pixels: int) -> float:
    """Pixels per point for `dpi`, lowered so the rendered page stays under `max_pixels`
    (a page can declare any size: a hostile 200-inch page would need gigabytes)."""
    scale = dpi / 72
    area = max(width_pt * height_pt, 1.0)
    return min(scale, math.sqrt(max_pixels / area))


def ocr_pdf_page(pdf: Any, index: int, run: OcrRun) -> PageLines | None:
    """Render page `index` (0-based) of `pdf` (PDF bytes or an open pypdfium2 document) at
    `run.dpi` and read it by OCR; None when the run's budget skips it. A page with nothing
    drawn on it gives an empty `PageLines` without OCR."""
    import pypdfium2 as pdfium

    own = not isinstance(pdf, pdfium.PdfDocument)
    document = pdfium.PdfDocument(pdf) if own else pdf
    page = document[index]
    try:
        width, height = page.get_size()
        if not _has_drawing(page):
            return PageLines(number=index + 1, width=width, height=height, lines=(), ocr=False)
        # In colour: the engine tells a red seal from the black text under it better than a
        # grey rendering does.
        image = page.render(scale=render_scale(width, height, run.dpi, run.max_pixels)).to_pil()
        return run.read_image(image, index + 1, (width, height))
    finally:
        page.close()
        if own:
            document.close()
