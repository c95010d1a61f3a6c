"""Page numbers from the loaded text to the cleaned text, and from the cleaned text to chunks.

Cleaning is a chain of `str -> str` steps that drop lines and change whitespace, so page
offsets cannot be carried through it. Instead each page's first characters are looked up,
whitespace aside, forward in the cleaned text: where the page's opening line was removed
(a header cleaning recognised), the next characters of the page are tried, and a page
nothing of which survived starts where the next one does.
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence

__all__ = ["chunk_pages", "map_page_starts", "page_at"]

_ANCHOR = 16
"""Characters (spaces aside) looked up to find a page: long enough to be found only once."""
_SHORT_ANCHOR = 6
"""The shortest anchor tried, for a page holding only a few characters."""
_TRIES = 64
"""Anchors tried per page before the page counts as removed (bounds the work)."""


def _compact(text: str) -> tuple[str, list[int]]:
    """The text without whitespace, and the offset in `text` of each remaining character."""
    where = [i for i, ch in enumerate(text) if not ch.isspace()]
    return "".join(text[i] for i in where), where


def _tries(lo: int, hi: int) -> list[int]:
    """Where anchors are taken: each of the first characters (a short dropped header line),
    then every few characters (a longer one), at most `_TRIES` in all."""
    first = list(range(lo, min(hi, lo + _ANCHOR)))
    rest = list(range(lo + _ANCHOR, hi, _ANCHOR // 2))
    return (first + rest)[:_TRIES]


def _find_page(raw: str, lo: int, hi: int, clean: str, start: int, stop: int) -> int | None:
    """Where raw[lo:hi] (compact) begins in clean[start:stop] (compact)."""
    for j in _tries(lo, hi):
        size = min(_ANCHOR, hi - j)
        if size < min(_SHORT_ANCHOR, hi - lo) or size <= 0:
            break
        found = clean.find(raw[j : j + size], start, stop)
        if found < 0:
            continue
        back = 0  # the characters before the anchor that also survived belong to the page
        while found - back - 1 >= start and j - back - 1 >= lo and clean[found - back - 1] == raw[j - back - 1]:
            back += 1
        return found - back
    return None


def map_page_starts(raw: str, cleaned: str, starts: Sequence[int]) -> tuple[int, ...]:
    """The offset in `cleaned` where each page begins, given where each begins in `raw`.

    Offsets never decrease; the first page starts at 0; a page wholly removed by cleaning
    starts where the next page that survived starts (or at the end)."""
    if not starts:
        return ()
    raw_c, raw_at = _compact(raw)
    clean_c, clean_at = _compact(cleaned)
    raw_pos = [bisect.bisect_left(raw_at, s) for s in starts]
    found: list[int | None] = []
    cursor, cursor_raw = 0, 0
    for k, lo in enumerate(raw_pos):
        hi = raw_pos[k + 1] if k + 1 < len(raw_pos) else len(raw_c)
        # Cleaning removes text and hardly adds any: the page cannot start much further on
        # than it does in the raw text, which bounds each search.
        stop = cursor + 2 * (hi - cursor_raw) + 64
        at = _find_page(raw_c, lo, hi, clean_c, cursor, stop)
        found.append(at)
        if at is not None:
            cursor, cursor_raw = at, lo
    out: list[int] = []
    following = len(clean_c)
    for at in reversed(found):
        following = at if at is not None else following
        out.append(following)
    out.reverse()
    out[0] = 0
    return tuple(0 if k == 0 else clean_at[p] if p < len(clean_at) else len(cleaned) for k, p in enumerate(out))


def page_at(starts: Sequence[int], offset: int) -> int | None:
    """The 1-based page holding `offset` (None without pages). Of pages starting at one offset
    (empty pages), the last: it is the one that holds the text."""
    if not starts:
        return None
    return max(1, bisect.bisect_right(starts, offset))


def chunk_pages(starts: Sequence[int], start: int, end: int) -> tuple[tuple[int, int], ...]:
    """(offset, page) of the page in force at `start` and of every page beginning inside
    [start, end): what a chunk keeps to tell the page of any offset in it."""
    first = page_at(starts, start)
    if first is None:
        return ()
    out = [(start, first)]
    for n, s in enumerate(starts, 1):
        if start < s < end and n > out[-1][1]:
            if s == out[-1][0]:  # an empty page before this one: this one holds the text
                out[-1] = (s, n)
            else:
                out.append((s, n))
    return tuple(out)
