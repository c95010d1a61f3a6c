"""Running headers, footers and page numbers: found by repetition and place, not by words.

A line near the top or bottom edge of a page whose shape (its text with digits as #, so
"— 3 —" and "— 4 —" look alike) sits at the same height on many pages is running text; so
is a lone page number ("3", "- 3 -", "第 3 页", "2/13", "iv") at the edge of a single page.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from index.columns import mid, rows_of
from index.types import PageLine, PageLines

__all__ = ["running_lines"]

_EDGE = 0.15
"""Share of the page height at the top and bottom where running headers and footers sit."""
_EDGE_ROWS = 2
"""Only this many rows at the top and at the bottom of a page can be running text."""
_SAME_HEIGHT = 0.02
"""Share of the page height within which two pages' edge lines count as the same place."""
_REPEATED = 0.4
"""An edge line is running text when its shape sits at that place on this share of the
pages (and on two at least)."""
_PAGE_NUMBER = re.compile(
    r"[-—–－~_·•.()（）\[\]<>〈〉]*(?:#|第#页(?:共#页)?|共#页第#页|#/#|page#(?:of#)?)[-—–－~_·•.()（）\[\]<>〈〉]*",
    re.I,
)
_ROMAN = re.compile(r"(?<![A-Za-z])[ivxlcIVXLC]{1,6}(?![A-Za-z])")


def _shape(text: str) -> str:
    """The text with digits (and a lone roman numeral) as #: page 3 and page 4 look alike."""
    compact = re.sub(r"\s+", "", text)
    compact = re.sub(r"\d+", "#", compact)
    return _ROMAN.sub("#", compact) if _PAGE_NUMBER.fullmatch(_ROMAN.sub("#", compact)) else compact


def _edge_lines(page: PageLines) -> list[PageLine]:
    rows = rows_of(page.lines)
    chosen = rows[:_EDGE_ROWS] + rows[-_EDGE_ROWS:] if len(rows) > 2 * _EDGE_ROWS else rows
    return [
        ln for row in chosen for ln in row if ln.bottom <= _EDGE * page.height or ln.top >= (1 - _EDGE) * page.height
    ]


def running_lines(pages: Sequence[PageLines]) -> set[tuple[int, PageLine]]:
    """(page number, line) of every running header, footer and page number."""
    edges = {p.number: [(ln, _shape(ln.text), mid(ln) / max(p.height, 1)) for ln in _edge_lines(p)] for p in pages}
    with_text = sum(1 for p in pages if p.lines)
    need = max(2, round(_REPEATED * with_text))
    out: set[tuple[int, PageLine]] = set()
    # A page's only line is its content (a scan's one paragraph), unless it is a page number.
    lone = {p.number for p in pages if len(p.lines) == 1}
    for number, lines in edges.items():
        for ln, shape, where in lines:
            if _PAGE_NUMBER.fullmatch(shape):
                out.add((number, ln))
                continue
            if number in lone:
                continue
            seen = sum(
                1 for other in edges.values() if any(s == shape and abs(w - where) <= _SAME_HEIGHT for _, s, w in other)
            )
            if seen >= need:
                out.add((number, ln))
    return out
