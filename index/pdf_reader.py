"""Read a PDF's text layer by position: one `PageLines` per page (pypdfium2).

PDFium gives every character with its box; this module groups them into line fragments
(a run of characters on one baseline with no wide gap and no table rule inside it) and
collects the thin rules tables are drawn with. What the lines mean (paragraphs, headers,
columns, tables) is decided in `index.layout`, which reads OCR output the same way.

Chosen by measurement on real reports (docs/BENCHMARKS.md, "Real files"): PDFium reads the
five test PDFs' 31 pages in 0.2 s, an order of magnitude faster than pdfminer.six, and
reports the hyphen of "（2014-2020 年）" (a U+00AD glyph in that font), which pypdf lost.
PyMuPDF is not used: it is AGPL.
"""

from __future__ import annotations

import bisect
import ctypes
import math
import threading
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pypdfium2 as pdfium
import pypdfium2.raw as raw

from index.encoding import chars_over_limit
from index.errors import LoadError
from index.ocr_pages import needs_ocr
from index.types import PageLine, PageLines, Rule
from index.wrapping import SOFT_HYPHEN, is_wide

__all__ = ["PDFIUM_LOCK", "PageOcr", "PdfPages", "page_list", "pdf_page_count", "read_pdf"]

PDFIUM_LOCK = threading.RLock()
"""Held around every use of PDFium (reentrant: OCR called from inside a read may render the
page with PDFium too)."""

PageOcr = Callable[[int], PageLines | None]
"""OCR of one page: given the 0-based page index, its lines read from the page image, or
None. Called only for pages without a text layer (the OCR stage plugs in here)."""


@dataclass(frozen=True)
class PdfPages:
    """What the text layer of a PDF holds, page by page."""

    pages: tuple[PageLines, ...]
    title: str
    """The document's Title property as written (often empty, a file name or a site name)."""
    notes: tuple[str, ...] = ()


_FRAGMENT_GAP = 1.5
"""A horizontal gap wider than this many font sizes ends a fragment: table cells, the two
sides of a column gutter, a signature block. Letter-spaced text (a 公文 masthead, gaps of
~0.2 em), word spaces and the stretched gaps of justified lines (up to ~1.3 em beside a
figure such as "42.8%；") stay inside one fragment."""
_SEPARATE = 1.0
"""A gap of this many font sizes or more inside a fragment is a space, also beside Chinese."""
_SPACE_GAP = 0.35
"""A gap between the ink of two letters or digits wider than this many font sizes is a word
space (PDFs often position words instead of writing the space). Narrower gaps count as a
space only where the PDF writes one, or where PDFium saw one between two letters from the
fonts' advance widths: the ink of a "1" leaves 0.15 em on either side."""
_SAME_LINE = 0.5
"""Two characters sit on one line when their vertical centres differ by less than this
share of the taller one's height (superscripts and subscripts stay on their line)."""
_AXIS_TOLERANCE = 0.03
"""Radians: a character within this of a multiple of 90° is upright, sideways or upside
down; anything else is drawn at a slant (a watermark) and is left out."""
_UNREADABLE = 0.5
"""A run of characters (50 at least) more than this share punctuation and symbols is a text
layer whose fonts map glyphs to the wrong characters ("& ? : ? D : ;" for a table of
figures): it is left out, and the page is given to OCR. Running text is under 0.2."""
_RULE_THICKNESS = 2.0
"""A path thinner than this (points) in one direction is a drawn line (a table rule)."""

_SPACES = frozenset(" \u00a0\u3000\u2002\u2003\u2009\t")
"""Spaces written in the PDF: they separate words; their width is only layout."""


# -- geometry of quarter turns --------------------------------------------------------------
def _turn(q: int, x: float, y: float) -> tuple[float, float]:
    """Rotate a point by -q·90° so that text drawn at angle q·90° runs left to right."""
    if q == 1:
        return y, -x
    if q == 2:
        return -x, -y
    if q == 3:
        return -y, x
    return x, y


def _turn_box(q: int, box: tuple[float, float, float, float]) -> tuple[float, float, float, float]:
    """(left, bottom, right, top) in PDF space → the same box in the frame turned by q."""
    left, bottom, right, top = box
    (ax, ay), (bx, by) = _turn(q, left, bottom), _turn(q, right, top)
    return min(ax, bx), min(ay, by), max(ax, bx), max(ay, by)


def _unturn_box(q: int, box: tuple[float, float, float, float]) -> tuple[float, float, float, float]:
    return _turn_box((4 - q) % 4, box)


@dataclass
class _Char:
    ch: str
    x0: float
    y0: float
    x1: float
    y1: float
    """Box in the character's own upright frame, y up."""
    space: int = 0
    """A space before this character: 2 written in the PDF, 1 seen there by PDFium (which
    also sees one after the comma of "170,360"), 0 none."""

    @property
    def height(self) -> float:
        return self.y1 - self.y0

    @property
    def mid(self) -> float:
        return (self.y0 + self.y1) / 2


@dataclass
class _Fragment:
    chars: list[_Char]
    text: list[str]

    def box(self) -> tuple[float, float, float, float]:
        return (
            min(c.x0 for c in self.chars),
            min(c.y0 for c in self.chars),
            max(c.x1 for c in self.chars),
            max(c.y1 for c in self.chars),
        )

    def height(self) -> float:
        heights = sorted(c.height for c in self.chars)
        return heights[len(heights) // 2]


# -- characters ---------------------------------------------------------------------------
def _quarter(angle: float) -> int | None:
    """Quarter turns counter-clockwise of a character drawn at `angle` (PDFium measures
    clockwise: text running up the page, as an arXiv stamp does, has 3π/2)."""
    q = round(angle / (math.pi / 2))
    return (4 - q % 4) % 4 if abs(angle - q * math.pi / 2) <= _AXIS_TOLERANCE else None


def _char_size(handle: ctypes.c_void_p, i: int, matrix: raw.FS_MATRIX) -> float:
    """The font size as printed: the size set in the content times the text matrix's vertical
    scale (a PDF may set size 1 and scale the text by 12)."""
    size = raw.FPDFText_GetFontSize(handle, i)
    if raw.FPDFText_GetMatrix(handle, i, ctypes.byref(matrix)):
        size *= math.hypot(matrix.c, matrix.d) or 1.0
    return float(size)


def _chars(textpage: pdfium.PdfTextPage) -> tuple[dict[int, list[_Char]], int]:
    """The page's characters in content order, grouped by their quarter turn; and how many
    were drawn at a slant (left out). Characters PDFium generates (its own spaces and line
    breaks) are skipped: the geometry decides those here.

    A character spans its glyph's ink horizontally (some PDFs declare wrong advance widths,
    so the "loose" box can be an em wide for an "l") and its font size vertically, from its
    baseline (ink heights differ from glyph to glyph: "一" against "国")."""
    handle = textpage.raw
    left, bottom, right, top = (ctypes.c_double() for _ in range(4))
    ox, oy = ctypes.c_double(), ctypes.c_double()
    matrix = raw.FS_MATRIX()
    out: dict[int, list[_Char]] = {}
    slanted = 0
    space = 0
    for i in range(raw.FPDFText_CountChars(handle)):
        code = raw.FPDFText_GetUnicode(handle, i)
        if code == 2:  # PDFium's mark for a hyphen that breaks a word at the end of a line
            code = ord(SOFT_HYPHEN)
        ch = chr(code) if code not in (0, 0xFFFE, 0xFFFF) else ""
        generated = raw.FPDFText_IsGenerated(handle, i)
        if ch and ch in _SPACES:
            space = max(space, 1 if generated else 2)
            continue
        if generated or not ch or unicodedata.category(ch) == "Cc":
            space = 0 if ch and ch in "\r\n" else space
            continue
        q = _quarter(raw.FPDFText_GetCharAngle(handle, i))
        if q is None:
            slanted += 1
            continue
        ok = raw.FPDFText_GetCharBox(handle, i, *(ctypes.byref(v) for v in (left, right, bottom, top)))
        if not ok or not raw.FPDFText_GetCharOrigin(handle, i, ctypes.byref(ox), ctypes.byref(oy)):
            continue
        size = _char_size(handle, i, matrix)
        x0, _, x1, _ = _turn_box(q, (left.value, bottom.value, right.value, top.value))
        base_x, base = _turn(q, ox.value, oy.value)
        if x1 - x0 <= 0:
            x0 = x1 = base_x
        out.setdefault(q, []).append(_Char(ch, x0, base - 0.2 * size, x1, base + 0.8 * size, space))
        space = 0
    return out, slanted


def _same_line(frag: _Fragment, c: _Char) -> bool:
    last = frag.chars[-1]
    tall = max(last.height, c.height, 1e-3)
    return abs(last.mid - c.mid) < _SAME_LINE * tall


def _duplicate(last: _Char, c: _Char) -> bool:
    """Fake bold: the same glyph printed again a hair to the side."""
    return c.ch == last.ch and abs(c.x0 - last.x0) < 0.2 * max(c.x1 - c.x0, 1e-3) and abs(c.mid - last.mid) < 1


def _slack(last: _Char, c: _Char) -> float:
    """Ems of blank a full-width mark carries inside its own box: the ink of "、" sits at the
    left of its em, that of "《" at the right, so "、《" shows a gap of an em and more between
    inks where the marks touch."""
    return sum(0.6 for ch in (last.ch, c.ch) if is_wide(ch) and unicodedata.category(ch)[0] == "P")


def _space(last: _Char, c: _Char, gap: float) -> bool:
    """Is there a space between two characters of one fragment (gap in font sizes)?

    A gap of an em or more always is one: two items set apart on a line ("GB/T 2965—2007
    钛及钛合金棒材"). Below that, between two Chinese characters never (letter-spacing). A space the PDF
    writes stays, also beside a Chinese character ("表1 主要数据"); otherwise a space is seen
    only between Latin letters or digits: where PDFium saw one before a letter, or where
    the ink is far apart (the ink of a comma or point sits at the left of its box, so
    "170,360" shows a gap that is none)."""
    if gap > _SEPARATE + _slack(last, c):
        return True
    wide = is_wide(last.ch), is_wide(c.ch)
    if all(wide):
        return False
    if c.space == 2:
        return True
    if any(wide):
        return False
    if c.space == 1 and c.ch.isalpha() and (last.ch.isalpha() or unicodedata.category(last.ch)[0] == "P"):
        return True
    return gap > _SPACE_GAP + 0.2 * (unicodedata.category(last.ch)[0] == "P")


def _fragments(chars: list[_Char], cuts: list[tuple[float, float, float]]) -> Iterator[_Fragment]:
    """Line fragments in content order; a fragment also ends at a vertical rule (`cuts`:
    x, bottom, top) that passes between two of its characters."""
    cuts = sorted(cuts)
    xs = [x for x, _, _ in cuts]

    def ruled(a: float, b: float, y: float) -> bool:
        i = bisect.bisect_left(xs, a - 1)
        while i < len(xs) and xs[i] <= b + 1:
            if cuts[i][1] <= y <= cuts[i][2]:
                return True
            i += 1
        return False

    frag: _Fragment | None = None
    for c in chars:
        if frag is not None and _same_line(frag, c):
            last = frag.chars[-1]
            if _duplicate(last, c):
                continue
            gap = c.x0 - last.x1
            height = max(last.height, c.height)
            if -0.5 * height <= gap <= (_FRAGMENT_GAP + _slack(last, c)) * height and not ruled(last.x1, c.x0, c.mid):
                if _space(last, c, gap / height):
                    frag.text.append(" ")
                frag.chars.append(c)
                frag.text.append(c.ch)
                continue
        if frag is not None:
            yield frag
        frag = _Fragment([c], [c.ch])
    if frag is not None:
        yield frag


def _fragment_text(frag: _Fragment) -> str:
    """The fragment's text; a soft hyphen inside a line is a printed hyphen (the font of
    "2014-2020" maps its hyphen glyph to U+00AD), at the end it stays for `index.layout`."""
    text = "".join(frag.text)
    return text[:-1].replace(SOFT_HYPHEN, "-") + text[-1]


# -- rules ----------------------------------------------------------------------------------
def _rules(page: pdfium.PdfPage) -> list[tuple[float, float, float, float]]:
    """Boxes (PDF space) of the thin paths on the page: the lines tables are drawn with.
    Walked through PDFium's own calls (form objects too): wrapping every object of a page
    that holds thousands costs more than reading its characters."""
    out: list[tuple[float, float, float, float]] = []
    box = [ctypes.c_float() for _ in range(4)]

    def walk(form: Any, depth: int) -> None:
        """The objects of the page (form None) or of a form object."""
        count = raw.FPDFPage_CountObjects(handle) if form is None else raw.FPDFFormObj_CountObjects(form)
        for i in range(count):
            obj = raw.FPDFPage_GetObject(handle, i) if form is None else raw.FPDFFormObj_GetObject(form, i)
            kind = raw.FPDFPageObj_GetType(obj)
            if kind == raw.FPDF_PAGEOBJ_FORM and depth < 3:
                walk(obj, depth + 1)
            elif kind == raw.FPDF_PAGEOBJ_PATH and raw.FPDFPageObj_GetBounds(obj, *(ctypes.byref(v) for v in box)):
                left, bottom, right, top = (v.value for v in box)
                wide, tall = right - left, top - bottom
                if (wide <= _RULE_THICKNESS and tall >= 3) or (tall <= _RULE_THICKNESS and wide >= 3):
                    out.append((left, bottom, right, top))

    handle = page.raw
    walk(None, 0)
    return out


# -- one page -------------------------------------------------------------------------------
def _frame(page: pdfium.PdfPage, q: int) -> tuple[float, float, float, float]:
    """The page box (left, bottom, right, top) seen in the frame turned by q."""
    return _turn_box(q, page.get_bbox())


def _unreadable(chars: list[_Char]) -> bool:
    marks = sum(1 for c in chars if unicodedata.category(c.ch)[0] in "PS")
    return len(chars) >= 50 and marks > _UNREADABLE * len(chars)


def _read_page(page: pdfium.PdfPage, number: int) -> tuple[PageLines, int, bool]:
    """The page's lines, the count of slanted characters left out, and whether some of its
    text layer was unreadable (and left out)."""
    textpage = page.get_textpage()
    try:
        by_turn, slanted = _chars(textpage)
    finally:
        textpage.close()
    unreadable = {q for q, chars in by_turn.items() if _unreadable(chars)}
    by_turn = {q: chars for q, chars in by_turn.items() if q not in unreadable}
    main = max(by_turn, key=lambda q: len(by_turn[q])) if by_turn else 0
    left, bottom, right, top = _frame(page, main)
    rules_pdf = _rules(page) if by_turn else []
    lines: list[PageLine] = []
    for q, chars in by_turn.items():
        turned = (_turn_box(q, r) for r in rules_pdf)
        cuts = [((b[0] + b[2]) / 2, b[1], b[3]) for b in turned if b[2] - b[0] <= _RULE_THICKNESS]
        for frag in _fragments(chars, cuts):
            box = _turn_box(main, _unturn_box(q, frag.box()))
            x0, y0, x1, y1 = box
            lines.append(PageLine(_fragment_text(frag), x0 - left, top - y1, x1 - left, top - y0, frag.height()))
    rules = []
    for r in rules_pdf:
        x0, y0, x1, y1 = _turn_box(main, r)
        rules.append(Rule(x0 - left, top - y1, x1 - left, top - y0))
    return PageLines(number, right - left, top - bottom, tuple(lines), rules=tuple(rules)), slanted, bool(unreadable)


def _open(data: bytes, rel: str) -> pdfium.PdfDocument:
    try:
        return pdfium.PdfDocument(data)
    except pdfium.PdfiumError as exc:
        if exc.err_code == raw.FPDF_ERR_PASSWORD:
            raise LoadError(rel, "is a password-protected PDF; save an unprotected copy and add that instead") from exc
        raise


def read_pdf(data: bytes, rel: str, *, max_pages: int, max_chars: int | None, ocr: PageOcr | None = None) -> PdfPages:
    """Every page's lines. Pages are counted before any is parsed; characters are counted
    page by page. A page without a text layer is given to `ocr` (None: it stays empty)."""
    with PDFIUM_LOCK:  # PDFium is not thread-safe: the web app ingests in a thread
        return _read_pdf(data, rel, max_pages=max_pages, max_chars=max_chars, ocr=ocr)


def _read_pdf(data: bytes, rel: str, *, max_pages: int, max_chars: int | None, ocr: PageOcr | None) -> PdfPages:
    pdf = _open(data, rel)
    try:
        pages = len(pdf)
        if pages > max_pages:
            raise LoadError(rel, f"has {pages:,} pages, over the limit of {max_pages:,}; split it into smaller PDFs")
        if pages == 0:
            raise LoadError(rel, "is a PDF with no readable pages (truncated or corrupt); re-download or re-export it")
        out: list[PageLines] = []
        chars = slanted = 0
        garbled: list[int] = []
        for index in range(pages):
            page = pdf[index]
            try:
                lines, skipped, unreadable = _read_page(page, index + 1)
            finally:
                page.close()
            slanted += skipped
            if (unreadable or needs_ocr("".join(line.text for line in lines.lines))) and ocr is not None:
                lines = ocr(index) or lines
            if unreadable and not lines.ocr:
                garbled.append(index + 1)
            out.append(lines)
            chars += sum(len(line.text) for line in lines.lines)
            if max_chars is not None and chars > max_chars:
                raise chars_over_limit(rel, chars, max_chars, at_least=True)
        title = str(pdf.get_metadata_value("Title") or "").strip()
    finally:
        pdf.close()
    notes = [f"removed {slanted:,} characters drawn at a slant (a watermark)"] if slanted else []
    if garbled:
        notes.append(
            f"removed the unreadable text layer of page{'s' if len(garbled) > 1 else ''} {page_list(garbled)} "
            "(its fonts map glyphs to the wrong characters); OCR can read such pages"
        )
    return PdfPages(tuple(out), title, tuple(notes))


def pdf_page_count(data: bytes) -> int:
    """The number of pages of a PDF (opened without parsing any page)."""
    with PDFIUM_LOCK:
        pdf = pdfium.PdfDocument(data)
        try:
            return len(pdf)
        finally:
            pdf.close()


def page_list(numbers: list[int]) -> str:
    """1, 2, 3, 5 → "1-3, 5"."""
    runs: list[list[int]] = []
    for n in sorted(numbers):
        if runs and n == runs[-1][-1] + 1:
            runs[-1].append(n)
        else:
            runs.append([n])
    return ", ".join(f"{r[0]}-{r[-1]}" if len(r) > 1 else str(r[0]) for r in runs)
