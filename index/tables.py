"""Tables drawn with rules: their cells read row by row.

A table's grid (thin horizontal and vertical lines that touch) gives its rows and columns;
each line of text inside it belongs to the cell its centre falls in. A cell written over
several lines is one cell; a row band that holds several visual rows of single-line cells
(inner rules missing) gives one row per visual row. Cells are separated by " | " as the
Word reader does, one row a line. Tables drawn without rules are found in `index.layout`
(rows of separate pieces of text, one under another).
"""

from __future__ import annotations

import bisect
import statistics
from collections.abc import Sequence
from dataclasses import dataclass

from index.types import PageLine, Rule
from index.wrapping import join_lines

__all__ = ["Row", "Table", "find_tables"]

_TOUCH = 2.0
"""Points: rules closer than this touch (a grid is drawn with small overlaps and gaps)."""
_MERGE = 1.5
"""Points: rule positions closer than this are one grid line (a double-drawn border)."""
_ROW_RULE = 0.6
"""A horizontal rule divides two rows when it crosses this share of the table's width."""


@dataclass(frozen=True)
class Row:
    text: str
    top: float
    bottom: float
    size: float


@dataclass(frozen=True)
class Table:
    x0: float
    top: float
    x1: float
    bottom: float
    rows: tuple[Row, ...]


def _touch(a: Rule, b: Rule) -> bool:
    return a.x0 - _TOUCH <= b.x1 and b.x0 - _TOUCH <= a.x1 and a.top - _TOUCH <= b.bottom and b.top - _TOUCH <= a.bottom


def _grids(rules: Sequence[Rule]) -> list[list[Rule]]:
    """Groups of touching rules (union-find), each with two vertical and two horizontal at least."""
    parent = list(range(len(rules)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    order = sorted(range(len(rules)), key=lambda i: rules[i].x0)
    for n, i in enumerate(order):  # sweep by x: only rules that can still touch are compared
        for j in order[n + 1 :]:
            if rules[j].x0 - _TOUCH > rules[i].x1:
                break
            if _touch(rules[i], rules[j]):
                parent[root(i)] = root(j)
    groups: dict[int, list[Rule]] = {}
    for i, r in enumerate(rules):
        groups.setdefault(root(i), []).append(r)
    return [g for g in groups.values() if sum(r.vertical for r in g) >= 2 and sum(not r.vertical for r in g) >= 2]


def _row_lines(grid: Sequence[Rule], width: float) -> list[float]:
    """Heights of the horizontal rules that divide rows: collinear pieces together cover most
    of the table's width (a rule under a merged header cell covers only its columns)."""
    pieces: list[tuple[float, float, float]] = sorted(
        ((r.top + r.bottom) / 2, r.x0, r.x1) for r in grid if not r.vertical
    )
    out: list[float] = []
    group: list[tuple[float, float, float]] = []
    for piece in [*pieces, (float("inf"), 0.0, 0.0)]:
        if group and piece[0] - group[0][0] > _MERGE:
            if _covered([(a, b) for _, a, b in group]) >= _ROW_RULE * width:
                out.append(group[0][0])
            group = []
        group.append(piece)
    return out


def _covered(spans: list[tuple[float, float]]) -> float:
    total, reach = 0.0, float("-inf")
    for a, b in sorted(spans):
        if b > reach:
            total += b - max(a, reach)
            reach = b
    return total


def _mid_y(ln: PageLine) -> float:
    return (ln.top + ln.bottom) / 2


def _column(ln: PageLine, verticals: Sequence[Rule]) -> float:
    """The cell a line belongs to: the nearest vertical rule left of where it starts, among
    those passing its height (a line of a merged cell starts right of that cell's rule)."""
    y = _mid_y(ln)
    return max((r.x0 for r in verticals if r.top - 1 <= y <= r.bottom + 1 and r.x0 <= ln.x0 + 2), default=-1.0)


def _visual_rows(lines: Sequence[PageLine]) -> list[list[PageLine]]:
    rows: list[list[PageLine]] = []
    for ln in sorted(lines, key=lambda x: (x.top, x.x0)):
        if rows and abs(_mid_y(ln) - _mid_y(rows[-1][0])) < 0.5 * (ln.bottom - ln.top):
            rows[-1].append(ln)
        else:
            rows.append([ln])
    return rows


def _row(cells: dict[float, list[PageLine]]) -> Row:
    texts = [join_lines([ln.text for ln in sorted(cells[c], key=lambda x: (x.top, x.x0))]) for c in sorted(cells)]
    lines = [ln for c in cells.values() for ln in c]
    return Row(
        " | ".join(t for t in texts if t),
        min(ln.top for ln in lines),
        max(ln.bottom for ln in lines),
        statistics.median(ln.size for ln in lines),
    )


def _band_rows(lines: list[PageLine], verticals: Sequence[Rule]) -> list[Row]:
    """The rows of one band between two row rules: one row, its cells each written over one
    or more lines; or, when every cell has the same number of lines (a table whose inner
    row rules are not drawn), one row per line."""
    cells: dict[float, list[PageLine]] = {}
    for ln in lines:
        cells.setdefault(_column(ln, verticals), []).append(ln)
    visual = _visual_rows(lines)
    counts = {len(_visual_rows(c)) for c in cells.values()}
    if len(visual) > 1 and len(cells) > 1 and counts == {len(visual)}:
        out = []
        for row in visual:
            per: dict[float, list[PageLine]] = {}
            for ln in row:
                per.setdefault(_column(ln, verticals), []).append(ln)
            out.append(_row(per))
        return out
    return [_row(cells)]


def find_tables(lines: Sequence[PageLine], rules: Sequence[Rule]) -> tuple[list[Table], list[PageLine]]:
    """The ruled tables of a page, and the lines outside them."""
    tables: list[Table] = []
    rest = list(lines)
    for grid in _grids(rules):
        x0, x1 = min(r.x0 for r in grid), max(r.x1 for r in grid)
        top, bottom = min(r.top for r in grid), max(r.bottom for r in grid)
        inside = [ln for ln in rest if x0 - 1 <= (ln.x0 + ln.x1) / 2 <= x1 + 1 and top - 1 <= _mid_y(ln) <= bottom + 1]
        if not inside:
            continue
        ys = _row_lines(grid, x1 - x0)
        verticals = [r for r in grid if r.vertical]
        bands: dict[int, list[PageLine]] = {}
        for ln in inside:
            bands.setdefault(bisect.bisect(ys, _mid_y(ln)), []).append(ln)
        rows = [row for b in sorted(bands) for row in _band_rows(bands[b], verticals) if row.text]
        tables.append(Table(x0, top, x1, bottom, tuple(rows)))
        taken = {id(ln) for ln in inside}
        rest = [ln for ln in rest if id(ln) not in taken]
    return sorted(tables, key=lambda t: t.top), rest
