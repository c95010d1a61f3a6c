"""PDFs the tests draw themselves (fpdf2 with a CJK font from the system), placed to the
point: hard-wrapped paragraphs, running headers and footers, columns, tables.

Every piece of text is put at an exact position (`Page.text`), so a test states the layout
it means and the reader has to recover the text from the geometry alone."""

from __future__ import annotations

import glob
import shutil
import subprocess
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import pytest

_FONT_GLOBS = (
    "/usr/share/fonts/**/NotoSansCJK*-Regular.tt[cf]",
    "/usr/share/fonts/**/NotoSansCJK*.otf",
    "/usr/share/fonts/**/NotoSerifCJK*-Regular.tt[cf]",
    "/usr/local/share/fonts/**/Noto*CJK*.tt[cf]",
)


@lru_cache(maxsize=1)
def cjk_font() -> Path | None:
    """A Noto CJK font file: asked of fontconfig first, then looked for where Debian puts it."""
    if shutil.which("fc-match"):
        found = subprocess.run(
            ["fc-match", "-f", "%{file}", "Noto Sans CJK SC:style=Regular"], capture_output=True, text=True, check=False
        ).stdout.strip()
        if "CJK" in found and Path(found).is_file():
            return Path(found)
    for pattern in _FONT_GLOBS:
        hits = sorted(glob.glob(pattern, recursive=True))
        if hits:
            return Path(hits[0])
    return None


def need_font() -> Path:
    font = cjk_font()
    if font is None:
        pytest.skip("no CJK font to draw test PDFs with: install fonts-noto-cjk (scripts/setup.sh --dev does)")
    return font


@dataclass
class Page:
    """One page: text at (x, baseline y) in points from the top-left, and ruled lines."""

    texts: list[tuple[float, float, float, str]] = field(default_factory=list)
    lines: list[tuple[float, float, float, float]] = field(default_factory=list)

    def text(self, x: float, y: float, s: str, size: float = 12) -> Page:
        self.texts.append((x, y, size, s))
        return self

    def rule(self, x0: float, y0: float, x1: float, y1: float) -> Page:
        self.lines.append((x0, y0, x1, y1))
        return self

    def paragraph(
        self, x: float, y: float, s: str, *, per_line: int, size: float = 12, indent: int = 2, leading: float = 1.6
    ) -> float:
        """Chinese text hard-wrapped every `per_line` characters (one em each), the first line
        indented by `indent` characters. Returns the baseline after the last line."""
        first = per_line - indent
        pieces = [s[:first]] + [s[i : i + per_line] for i in range(first, len(s), per_line)]
        for n, piece in enumerate(p for p in pieces if p):
            self.text(x + (indent * size if n == 0 else 0), y, piece, size)
            y += leading * size
        return y


def draw(pages: list[Page], *, width: float = 595, height: float = 842, title: str = "") -> bytes:
    """The pages as PDF bytes."""
    from fpdf import FPDF

    pdf = FPDF(unit="pt", format=(width, height))
    pdf.set_auto_page_break(False)
    pdf.add_font("cjk", fname=str(need_font()))
    if title:
        pdf.set_title(title)
    for page in pages:
        pdf.add_page()
        pdf.set_line_width(0.5)
        for x0, y0, x1, y1 in page.lines:
            pdf.line(x0, y0, x1, y1)
        for x, y, size, s in page.texts:
            pdf.set_font("cjk", size=size)
            pdf.text(x, y, s)
    return bytes(pdf.output())


def draw_docs(docs: dict[str, list[Page]], *, titles: dict[str, str] | None = None) -> dict[str, bytes]:
    """Several documents drawn at once, then cut apart: loading a CJK font takes seconds,
    so a test module draws all its documents in one go."""
    import io

    from pypdf import PdfReader, PdfWriter

    names = list(docs)
    whole = PdfReader(io.BytesIO(draw([p for n in names for p in docs[n]])))
    out: dict[str, bytes] = {}
    at = 0
    for name in names:
        writer = PdfWriter()
        for i in range(at, at + len(docs[name])):
            writer.add_page(whole.pages[i])
        at += len(docs[name])
        if titles and name in titles:
            writer.add_metadata({"/Title": titles[name]})
        buffer = io.BytesIO()
        writer.write(buffer)
        out[name] = buffer.getvalue()
    return out


def english_lines(s: str, width: float, size: float = 12) -> list[str]:
    """Greedy word wrap of Latin text at `width` points (as a word processor does)."""
    from fpdf import FPDF

    pdf = FPDF(unit="pt")
    pdf.add_font("cjk", fname=str(need_font()))
    pdf.set_font("cjk", size=size)
    lines: list[str] = []
    for word in s.split():
        if lines and pdf.get_string_width(f"{lines[-1]} {word}") <= width:
            lines[-1] += f" {word}"
        else:
            lines.append(word)
    return lines
