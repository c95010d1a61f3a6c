"""Turn the lines of pages (`PageLines`, from a PDF text layer or OCR) into text.

Layout first, then text, in this order:
1. running headers and footers go: text of the same shape (digits aside) at the same height
   on many pages, near the top or bottom edge, and a lone page number at the edge;
2. ruled tables become rows, cells separated by " | ", one row a line;
3. a page with a column gutter is read column by column;
4. lines are joined into paragraphs (Chinese without a space, Latin with one) unless the
   geometry says a paragraph ends: a short last line, an indented first line, a vertical gap
   wider than the line spacing, a change of font size, a heading marker;
5. what remains is one text with the offset where each page starts, and the title candidates
   of the first page (its largest-font lines).

Independent of where the lines came from: nothing here knows a PDF library.
"""

from __future__ import annotations

import itertools
import re
import statistics
from collections.abc import Sequence
from dataclasses import dataclass, replace

from index.columns import gutter, rows_of
from index.running import running_lines
from index.tables import Table, find_tables
from index.types import PageLine, PageLines
from index.wrapping import NUMBER_ONLY, end_hyphen, ends_sentence, join_lines, joint, starts_block

__all__ = ["Layout", "lay_out", "margins", "meaningful_title"]


@dataclass(frozen=True)
class Layout:
    """The text of some pages, read by layout."""

    text: str
    page_starts: tuple[int, ...]
    """Offset in `text` where each page begins, one per page."""
    title_lines: tuple[str, ...]
    """The first page's lines in a larger font than the body, largest first, in reading order."""
    dropped: tuple[str, ...] = ()
    """The running headers, footers and page numbers left out."""


# -- reading order of one page --------------------------------------------------------------
@dataclass(frozen=True)
class Block:
    """One line of reading order: a text line (to be joined into paragraphs) or a table row."""

    line: PageLine
    """The line (a table row: its text and extent)."""
    left: float
    """The left margin of the column the line sits in."""
    right: float
    """The right margin of that column (where full lines end)."""
    page: int
    row: bool = False
    """A table row: always a line of its own."""


def margins(lines: Sequence[PageLine]) -> tuple[float, float]:
    """(left, right) edges of running text: where most lines start and where full lines end."""
    if not lines:
        return 0.0, 0.0
    xs0 = sorted(ln.x0 for ln in lines)
    xs1 = sorted(ln.x1 for ln in lines)
    return xs0[len(xs0) // 10], xs1[(9 * len(xs1)) // 10]


def _letter_spaced(row: Sequence[PageLine]) -> bool:
    """A spaced-out heading ("目　　录", "附 录 B"): every piece one or two characters."""
    return all(len(ln.text.strip()) <= 2 for ln in row)


def _numbered(row: Sequence[PageLine]) -> bool:
    """A clause number set apart from its text ("3.1.1    钛及钛合金…"): one line, not cells."""
    return len(row) == 2 and bool(NUMBER_ONLY.fullmatch(row[0].text))


def _overlaps_joined(row: list[PageLine]) -> list[PageLine]:
    """Pieces of a text layer's row that overlap are one line, not two cells: a glyph the
    font lacks (the "ffi" of "Office" set as a ligature) splits a line where there is no gap.
    (Not for OCR: its boxes are joined by index.ocr_pages, and a sideways table's overlap.)"""
    out = [row[0]]
    for ln in row[1:]:
        last = out[-1]
        if ln.x0 < last.x1:
            text = last.text.rstrip() + ln.text.lstrip()
            out[-1] = PageLine(
                text, last.x0, min(last.top, ln.top), max(last.x1, ln.x1), max(last.bottom, ln.bottom), last.size
            )
        else:
            out.append(ln)
    return out


def _overlaps_joined_in_order(lines: list[PageLine]) -> list[PageLine]:
    """`_overlaps_joined` on every row, the lines otherwise left in the order they came."""
    replaced: dict[int, PageLine | None] = {}
    for row in rows_of(lines):
        joined = _overlaps_joined(row)
        if len(joined) < len(row):
            for ln in row:
                replaced[id(ln)] = None
            for ln in joined:
                replaced[id(next(piece for piece in row if piece.x0 == ln.x0))] = ln
    if not replaced:
        return lines
    out = [replaced.get(id(ln), ln) for ln in lines]
    return [ln for ln in out if ln is not None]


def _row_text(row: Sequence[PageLine], in_table: bool) -> str:
    pieces = [ln.text.strip() for ln in row]
    if in_table:
        return " | ".join(pieces)
    if _letter_spaced(row) or _numbered(row):
        return join_lines(pieces)
    return " ".join(pieces)  # a lone row of separate items (a signature block, a masthead)


def _column_blocks(lines: Sequence[PageLine], page: int, edges: tuple[float, float] | None = None) -> list[Block]:
    """A column's rows as blocks; rows of separate pieces one under another are a table
    drawn without rules."""
    if not lines:
        return []
    left, right = edges or margins(lines)
    rows = rows_of(lines)
    multi = [len(r) > 1 and not _letter_spaced(r) and not _numbered(r) for r in rows]
    out = []
    for i, row in enumerate(rows):
        in_table = multi[i] and ((i > 0 and multi[i - 1]) or (i + 1 < len(rows) and multi[i + 1]))
        out.append(
            Block(
                PageLine(
                    _row_text(row, in_table),
                    row[0].x0,
                    min(ln.top for ln in row),
                    max(ln.x1 for ln in row),
                    max(ln.bottom for ln in row),
                    statistics.median(ln.size for ln in row),
                ),
                left,
                right,
                page,
                row=in_table,
            )
        )
    return out


def _table_blocks(table: Table, page: int) -> list[Block]:
    return [
        Block(PageLine(r.text, table.x0, r.top, table.x1, r.bottom, r.size), table.x0, table.x1, page, row=True)
        for r in table.rows
    ]


@dataclass(frozen=True)
class _Page:
    """A page's text lines outside tables, its tables, and its column gutter (if any)."""

    number: int
    body: list[PageLine]
    tables: list[Table]
    cut: float | None
    aside: list[PageLine]
    """Lines set sideways in a margin."""


def _upright(ln: PageLine) -> bool:
    """False for a line running up or down the page (a stamp or note in the margin), which
    is read on its own, after the page."""
    return not (ln.bottom - ln.top > 3 * ln.size and ln.x1 - ln.x0 < 2 * ln.size and len(ln.text) > 3)


def _split_page(page: PageLines, running: set[tuple[int, PageLine]]) -> _Page:
    body = [ln for ln in page.lines if ln.text.strip() and (page.number, ln) not in running]
    aside = [ln for ln in body if not _upright(ln)]
    body = [ln for ln in body if _upright(ln)]
    if not page.ocr:
        body = _overlaps_joined_in_order(body)
    tables, body = find_tables(body, page.rules)
    return _Page(page.number, body, tables, gutter(body, page.width), aside)


def _page_blocks(page: _Page, edges: tuple[float, float]) -> list[Block]:
    """The page's lines and table rows in reading order. Pieces that must stay together (a
    table, a band of two columns) are placed by their top. `edges` are the margins of the
    document's single-column text (a sparse page cannot tell its own)."""
    pieces: list[tuple[float, list[Block]]] = [(t.top, _table_blocks(t, page.number)) for t in page.tables]
    body, cut = page.body, page.cut
    if cut is None:
        pieces.extend((b.line.top, [b]) for b in _column_blocks(body, page.number, edges))
    else:
        pieces.extend(_two_columns(body, cut, page.number))
    after = [Block(replace(ln, text=ln.text.strip()), ln.x0, ln.x1, page.number, row=True) for ln in page.aside]
    return [b for _, blocks in sorted(pieces, key=lambda p: p[0]) for b in blocks] + after


def _two_columns(lines: Sequence[PageLine], cut: float, page: int) -> list[tuple[float, list[Block]]]:
    """Bands between full-width lines; in each band the left column, then the right one."""
    out: list[tuple[float, list[Block]]] = []
    band: list[PageLine] = []

    def flush() -> None:
        if band:
            left, left_notes = _footnotes([ln for ln in band if ln.x1 <= cut])
            right, right_notes = _footnotes([ln for ln in band if ln.x1 > cut])
            # The left column's footnotes go after the paragraph they interrupt, which runs on
            # at the head of the right column (and the right one's after it): sentences stay whole.
            rblocks = _column_blocks(right, page)
            at = _paragraph_end(rblocks)
            blocks = [
                *_column_blocks(left, page),
                *rblocks[:at],
                *_column_blocks(left_notes, page),
                *rblocks[at:],
                *_column_blocks(right_notes, page),
            ]
            out.append((min(ln.top for ln in band), blocks))
            band.clear()

    for row in rows_of(lines):
        if any(ln.x0 < cut < ln.x1 for ln in row):
            flush()
            out.append((row[0].top, _column_blocks(row, page)))
        else:
            band.extend(row)
    flush()
    return out


def _paragraph_end(blocks: Sequence[Block]) -> int:
    """How many of a column's blocks come before its first paragraph break: a line that
    ends a sentence followed by an indented line, a row or a heading (or the column's end)."""
    for i, (a, b) in enumerate(itertools.pairwise(blocks)):
        indented = b.line.x0 - b.left > 0.8 * b.line.size
        if ends_sentence(a.line.text) and (indented or b.row or starts_block(b.line.text)):
            return i + 1
    return len(blocks)


_FOOTNOTE_SIZE = 0.85
"""A footnote is set in a font at most this size of the column's text."""


def _footnotes(lines: Sequence[PageLine]) -> tuple[list[PageLine], list[PageLine]]:
    """A column's lines without and with its footnotes: the rows at its foot, below a gap,
    in a smaller font than the text above them, lines of text rather than rows of cells
    (收稿日期, a fund, the authors' addresses)."""
    rows = rows_of(lines)
    if len(rows) < 4:
        return list(lines), []
    sizes = [max(ln.size for ln in row) for row in rows]
    k = len(rows)
    while k > 0 and abs(sizes[k - 1] - sizes[-1]) <= 0.05 * sizes[-1]:
        k -= 1  # the run of rows at the foot in the last row's size
    if k < 3 or sizes[-1] > _FOOTNOTE_SIZE * statistics.median(sizes[:k]):
        return list(lines), []
    if sum(len(row) > 1 for row in rows[k:]) > 0.3 * (len(rows) - k):
        return list(lines), []  # rows of cells: a table set small, which stays where it is
    above, first = rows[k - 1], rows[k]
    gap = min(ln.top for ln in first) - max(ln.bottom for ln in above)
    if gap < 0.5 * statistics.median(ln.bottom - ln.top for ln in above):
        return list(lines), []
    return [ln for row in rows[:k] for ln in row], [ln for row in rows[k:] for ln in row]


# -- paragraphs -----------------------------------------------------------------------------
def _line_gap(blocks: Sequence[Block]) -> dict[int, float]:
    """The usual distance between consecutive text lines, per page."""
    gaps: dict[int, list[float]] = {}
    for a, b in itertools.pairwise(blocks):
        if a.page == b.page and not a.row and not b.row and 0 <= b.line.top - a.line.bottom < 2 * a.line.size:
            gaps.setdefault(a.page, []).append(b.line.top - a.line.bottom)
    return {page: statistics.median(g) for page, g in gaps.items()}


def _first_unit(b: Block) -> float:
    """Width of what the line before would have had to fit to hold the start of this line:
    its first word (Latin letters are about half an em wide), or its first two characters
    (Chinese, an em each: a mark may not start a line, so two move down together)."""
    m = re.match(r"[A-Za-z0-9'’.,-]+", b.line.text)
    return 0.55 * len(m.group()) * b.line.size if m else 2 * b.line.size


def _block_full(a: Block, b: Block, before: Block | None) -> bool:
    """Is `a` a full line of a block narrower than the page's text (an abstract or a quote
    set in from both margins)? Then it ends where a neighbouring line of the block ends (the
    next, or the one before), it is long (twenty characters at least, most of the column),
    and it does not end a sentence. The last line but one of such a block, before its short
    last line, has only the line before it to go by."""

    def same_end(other: Block | None) -> bool:
        return (
            other is not None
            and other.page == a.page
            and abs(other.line.x1 - a.line.x1) < 0.5 * a.line.size
            and abs(other.line.x0 - a.line.x0) < 3 * a.line.size
        )

    return (
        len(a.line.text) >= 20  # a title or a signature line rarely is that long
        and (same_end(b) or same_end(before))
        and a.line.x1 - a.left >= 0.6 * (a.right - a.left)
        and not ends_sentence(a.line.text)
    )


def _breaks(a: Block, b: Block, gap: dict[int, float], before: Block | None = None) -> bool:
    """Does a paragraph end between line `a` and line `b` (`before`: the line before `a`)?"""
    if a.row or b.row or starts_block(b.line.text):
        return True
    if abs(a.line.size - b.line.size) > 0.15 * max(a.line.size, b.line.size):
        return True
    if a.right - a.line.x1 > _first_unit(b) + 0.5 * a.line.size and not _block_full(a, b, before):
        return True  # the next words would have fitted
    if a.line.x0 - a.left > 3 * a.line.size and not _block_full(a, b, before):
        return True  # set right or centred (a signature, a date): it did not wrap from the margin
    if b.line.x0 - b.left > 0.8 * b.line.size and ends_sentence(a.line.text):
        # A first-line indent after a full line that ends a sentence. After a full line that
        # does not, an indented line continues it (a list item's hanging indent).
        return True
    if a.page == b.page and a.line.x0 < b.line.x1 and b.line.x0 < a.line.x1:
        # Space between paragraphs; mid-sentence, a somewhat wider gap is only uneven line
        # spacing, but not one of several lines.
        extra = b.line.top - a.line.bottom - gap.get(a.page, 0.3 * a.line.size)
        return extra > 3 * a.line.size or (ends_sentence(a.line.text) and extra > 0.5 * min(a.line.size, b.line.size))
    return False


# -- titles ---------------------------------------------------------------------------------
_FILE_NAME = re.compile(r"\.(?:docx?|wps|pdf|txt|xlsx?|pptx?|rtf|html?)\s*$", re.I)
_URL = re.compile(r"https?://|www\.|\.(?:com|org|net|cn|gov)\b", re.I)
_PRODUCER = re.compile(r"^\s*microsoft\s+\w+\s*-", re.I)


def meaningful_title(title: str, first_pages: str) -> str:
    """The Title property if it names the document: not empty, not a file or program name,
    not a web address, and mostly made of characters the first pages show."""
    t = title.strip()
    compact = re.sub(r"\s+", "", t)
    if len(compact) < 4 or _FILE_NAME.search(t) or _URL.search(t) or _PRODUCER.match(t):
        return ""
    shown = set(re.sub(r"\s+", "", first_pages))
    return t if sum(ch in shown for ch in compact) >= 0.8 * len(compact) else ""


_TITLE_SIZE = 1.15
"""A title line's font is at least this much larger than the body's."""
_OCR_TITLE_SIZE = 1.3
"""On a page read by OCR a line's "size" is its box's height, which varies by a fifth with
skew and with boxes the OCR merged over a narrow gutter: only a clearly larger line counts."""


def _title_lines(blocks: Sequence[Block], body_size: float, factor: float = _TITLE_SIZE) -> list[str]:
    """Runs of consecutive first-page lines in a larger font than the body, largest first."""
    runs: list[tuple[float, int, list[str]]] = []
    for i, b in enumerate(blocks):
        if b.row or b.line.size < factor * body_size:
            continue
        last = runs[-1] if runs else None
        if last is not None and last[1] == i - 1 and abs(last[0] - b.line.size) <= 0.05 * b.line.size:
            runs[-1] = (last[0], i, [*last[2], b.line.text])
        else:
            runs.append((b.line.size, i, [b.line.text]))
    ranked = sorted(range(len(runs)), key=lambda k: (-runs[k][0], k))
    return [join_lines(runs[k][2]) for k in ranked][:6]


# -- all together ---------------------------------------------------------------------------
def _body_size(blocks: Sequence[Block]) -> float:
    """The font size most of the text is set in (weighted by characters)."""
    sizes = sorted((b.line.size, len(b.line.text)) for b in blocks if not b.row)
    total = sum(n for _, n in sizes)
    seen = 0
    for size, n in sizes:
        seen += n
        if seen >= total / 2:
            return size
    return 0.0


def _assemble(per_page: Sequence[Sequence[Block]], gap: dict[int, float]) -> tuple[str, list[int]]:
    """The blocks joined into paragraphs, and the offset where each page starts."""
    parts: list[str] = []
    length = 0
    starts: list[int] = []
    before: Block | None = None
    prev: Block | None = None
    for page_blocks in per_page:
        start: int | None = None
        for b in page_blocks:
            piece = b.line.text.strip()
            if prev is None:
                sep, drop = "", 0
            elif _breaks(prev, b, gap, before):
                sep, drop = "\n", 0
            else:
                sep, drop = joint(parts[-1], piece)
            if sep == "\n" and parts:
                parts[-1] = end_hyphen(parts[-1])
            elif drop:
                parts[-1] = parts[-1][:-drop]
                length -= drop
            if start is None:
                start = length + len(sep)
            parts[-1:] = [parts[-1] + sep + piece] if parts and sep != "\n" else [*parts[-1:], piece]
            length += len(sep) + len(piece)
            before, prev = prev, b
        starts.append(length if start is None else start)
    text = "\n".join(parts)
    assert len(text) == length, "page offsets must count every character"
    return end_hyphen(text), starts


def lay_out(pages: Sequence[PageLines], doc_title: str = "") -> Layout:
    """The text of `pages` in reading order, with page starts and title candidates."""
    running = running_lines(pages)
    split = [_split_page(p, running) for p in pages]
    edges = margins([ln for p in split if p.cut is None for ln in p.body])
    per_page = [_page_blocks(p, edges) for p in split]
    text, starts = _assemble(per_page, _line_gap([b for page in per_page for b in page]))
    body = _body_size([b for page in per_page for b in page])
    factor = _OCR_TITLE_SIZE if pages and pages[0].ocr else _TITLE_SIZE
    titles = _title_lines(per_page[0], body, factor) if per_page and body else []
    head = meaningful_title(doc_title, text[: starts[2] if len(starts) > 2 else len(text)])
    if head and head not in titles:
        titles.insert(0, head)
    dropped = tuple(ln.text for _, ln in sorted(running, key=lambda r: (r[0], r[1].top)))
    return Layout(text, tuple(starts), tuple(titles), dropped)
