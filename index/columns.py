"""Rows and columns of a page: lines side by side, and a gutter between two columns.

A page is read column by column when a vertical strip in its middle half separates running
text on one side from running text or a sidebar on the other (`gutter`). Tables are rows of
cells, not columns: two sides in step, row by row, are not taken for a gutter.
"""

from __future__ import annotations

import bisect
import statistics
from collections.abc import Sequence

from index.types import PageLine

__all__ = ["gutter", "mid", "rows_of"]


def mid(line: PageLine) -> float:
    return (line.top + line.bottom) / 2


def rows_of(lines: Sequence[PageLine]) -> list[list[PageLine]]:
    """Lines grouped into visual rows (vertical centres within half a line), top to bottom,
    each row left to right."""
    rows: list[list[PageLine]] = []
    for line in sorted(lines, key=lambda ln: (ln.top, ln.x0)):
        row = rows[-1] if rows else None
        if row is not None:
            height = max(ln.bottom - ln.top for ln in row)
            if abs(mid(line) - statistics.fmean(mid(ln) for ln in row)) < 0.5 * max(height, line.bottom - line.top):
                row.append(line)
                continue
        rows.append([line])
    return [sorted(r, key=lambda ln: ln.x0) for r in rows]


def gutter(lines: Sequence[PageLine], width: float) -> float | None:
    """The x of a gutter between two columns, if the page has one.

    A gutter is a vertical strip in the middle half of the page, an em wide at least, that
    few lines cross (a heading or a table over both columns may), with five lines at least
    on each side. One side at least must be prose (long lines filling their column); the
    other is prose too, or a sidebar whose lines do not sit on the prose's baselines: two
    sides in step, row by row, are the columns of a table, not of a page."""
    if not lines:
        return None
    area = max(ln.x1 for ln in lines) - min(ln.x0 for ln in lines)
    narrow = [ln for ln in lines if ln.x1 - ln.x0 < 0.7 * area and len(ln.text) >= 2]
    if len(narrow) < 10:
        return None
    allowed = max(1, len(narrow) * 15 // 100)
    step = max(width / 200, 1.0)
    em = statistics.median(ln.bottom - ln.top for ln in narrow)
    runs: list[tuple[float, float]] = []
    x = 0.25 * width
    while x <= 0.75 * width:
        start = x
        while x <= 0.75 * width and sum(ln.x0 < x < ln.x1 for ln in narrow) <= allowed:
            x += step
        if x - start >= 0.8 * em:
            runs.append((start, x))
        x += step
    for start, stop in sorted(runs, key=lambda r: r[0] - r[1]):  # the widest strip that qualifies
        cut = (start + stop) / 2
        left = [ln for ln in narrow if ln.x1 <= cut]
        right = [ln for ln in narrow if ln.x0 >= cut]
        if len(left) < 5 or len(right) < 5:
            continue
        prose = _prose(left), _prose(right)
        if all(prose) or (any(prose) and _in_step(left, right) < 0.5):
            return cut
    return None


def _in_step(left: Sequence[PageLine], right: Sequence[PageLine]) -> float:
    """Share of the right side's lines that sit on a line of the left side."""
    mids = sorted(mid(ln) for ln in left)
    hits = 0
    for ln in right:
        i = bisect.bisect_left(mids, mid(ln))
        near = [abs(mids[j] - mid(ln)) for j in (i - 1, i) if 0 <= j < len(mids)]
        hits += bool(near) and min(near) < 0.3 * (ln.bottom - ln.top)
    return hits / len(right)


def _prose(lines: Sequence[PageLine]) -> bool:
    """Many lines that mostly reach the column's right edge: running text, not cells."""
    long = [ln for ln in lines if len(ln.text) >= 8]
    if len(long) < 5:
        return False
    right = max(ln.x1 for ln in long)
    left = min(ln.x0 for ln in long)
    full = sum(1 for ln in long if ln.x1 >= right - 0.15 * (right - left))
    return full >= 0.5 * len(long)
