"""Reading an LLM reply: citation markers, the claims they stand behind, and the sentence cuts.

Markers `[n]` are parsed in every form models write them (`[1,2]`, `[1-3]`, `[1][2]`,
full-width `［1］`, `【1】`, `[来源1]`); every function is one pass over the reply, so a
hostile reply of any length is parsed in linear time.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

from assistant.answer_types import ComparisonRow

_NUM = r"[0-9０-９]{1,3}"
_MARKER = re.compile(rf"[\[［【]\s*(?:来源\s*)?({_NUM}(?:\s*(?:[,，、;；]|[-–—~～])\s*(?:来源\s*)?{_NUM})*)\s*[\]］】]")
_MARKER_RUN = re.compile(rf"(?:{_MARKER.pattern}\s*)*{_MARKER.pattern}")
CLAIM_END = re.compile(r"[。！？!?；;]+[”’」』）)]*|\n")
_THINK = re.compile(r"<think>.*?(?:</think>|\Z)", re.S)
OPEN_MARKER_TAIL = re.compile(r"[\[［【][^\]］】\n]{0,12}\Z")
DECLINE = re.compile(r"(无法|不能|未能|没法)(根据|依据|从)?[^。！？\n]{0,10}回答")
_ROW = re.compile(r"^\s*(?:[-*•·]|\d+[.、．])\s*\**([^：:\n*]{1,24}?)\**\s*[：:]\s*(.+?)\s*$", re.M)


@dataclass(frozen=True)
class MarkerRun:
    """Adjacent citation markers (`[1][2]`, `[1,2]`), as one group: text[start:end]."""

    start: int
    end: int
    numbers: tuple[int, ...]
    """As written, in order, without repeats (not yet bounds-checked)."""


def _numbers(inner: str) -> list[int]:
    out: list[int] = []
    for part in re.split(r"[,，、;；]", unicodedata.normalize("NFKC", inner).replace("来源", "")):
        ends = [int(x) for x in re.findall(r"\d+", part)]
        if len(ends) == 2 and 0 < ends[1] - ends[0] < 20:
            out.extend(range(ends[0], ends[1] + 1))
        else:
            out.extend(ends)
    return out


def parse_markers(text: str) -> list[MarkerRun]:
    """Every run of citation markers in `text`, in order (one pass: linear in `text`)."""
    runs = []
    for m in _MARKER_RUN.finditer(text):
        nums: dict[int, None] = {}
        for inner in _MARKER.findall(m.group()):
            nums.update(dict.fromkeys(_numbers(inner)))
        runs.append(MarkerRun(m.start(), m.end(), tuple(nums)))
    return runs


def strip_markers(text: str) -> str:
    return _MARKER_RUN.sub("", text)


def claim_spans(text: str) -> list[tuple[int, int]]:
    """Sentences of an answer; markers right after a sentence end belong to that sentence."""
    spans: list[tuple[int, int]] = []
    start = pos = 0
    while (m := CLAIM_END.search(text, pos)) is not None:
        end = m.end()
        if (after := _MARKER_RUN.match(text, end)) is not None:
            end = after.end()
        if text[start:end].strip():
            spans.append((start, end))
        start = pos = end
    if text[start:].strip():
        spans.append((start, len(text)))
    return spans


def claims_of(text: str, runs: Sequence[MarkerRun], spans: Sequence[tuple[int, int]] | None = None) -> list[str]:
    """For each marker run, the words it stands behind: the text since the previous run
    in its sentence, or the whole sentence when that is too short (`A[1][2]`, `A。[1]`).

    Runs and spans are both in text order, so one walk pairs them; each sentence's
    marker-free text is computed once: linear in the text however many markers it holds.
    """
    spans = claim_spans(text) if spans is None else spans
    out: list[str] = []
    prev_end, at = 0, 0
    whole: dict[int, str] = {}
    for run in runs:
        while at < len(spans) and spans[at][1] <= run.start:
            at += 1
        span = spans[at] if at < len(spans) else (0, len(text))
        own = strip_markers(text[max(span[0], prev_end) : run.start]).strip()
        if len(own) < 4:
            if at not in whole:
                whole[at] = strip_markers(text[span[0] : span[1]]).strip()
            own = whole[at]
        out.append(own)
        prev_end = run.end
    return out


def clean_reply(raw: str) -> str:
    """The model's text without reasoning blocks (`<think>…</think>`) and outer space."""
    return _THINK.sub("", raw).strip()


def span_of_runs(spans: Sequence[tuple[int, int]], runs: Sequence[MarkerRun]) -> list[int]:
    """The index of the sentence each marker run belongs to (one walk: both are in order)."""
    out, at = [], 0
    for run in runs:
        while at < len(spans) - 1 and spans[at][1] <= run.start:
            at += 1
        out.append(at)
    return out


def preview(raw: str, n_sources: int) -> str:
    """A partial answer for display: unfinished markers held back, invalid ones dropped,
    valid ones numbered by first use (the final answer may split a source in two)."""
    text = OPEN_MARKER_TAIL.sub("", clean_reply(raw))
    order: dict[int, int] = {}

    def renumber(m: re.Match[str]) -> str:
        run = parse_markers(m.group())[0]
        ok = [order.setdefault(n, len(order) + 1) for n in run.numbers if 1 <= n <= n_sources]
        return "".join(f"[{k}]" for k in dict.fromkeys(ok))

    return _MARKER_RUN.sub(renumber, text)


def comparison_rows(text: str) -> tuple[ComparisonRow, ...]:
    """`- 地方：做法[n]` lines of a comparison answer that cite something."""
    rows = []
    for m in _ROW.finditer(text):
        nums = tuple(dict.fromkeys(n for r in parse_markers(m.group(2)) for n in r.numbers))
        if nums:
            rows.append(ComparisonRow(m.group(1).strip(), m.group(2), nums))
    return tuple(rows)


def declines(text: str, cited: bool) -> bool:
    """The model says the sources do not answer: in its first sentence, or anywhere if it cites nothing."""
    spans = claim_spans(text)
    first = text[spans[0][0] : spans[0][1]] if spans else ""
    return bool(DECLINE.search(first)) or (not cited and bool(DECLINE.search(text)))
