"""Sentence segmentation of cleaned Chinese reports: headings and sentences as typed spans.

Headings are found at the start of lines and inline (some reports run headings into the
text on one long line): numbered markers (第一章, 一、, （一）, 1., (1), ①) and unmarked
title lines. The rest splits into sentences on Chinese sentence ends. Chunking packs these
spans; search and the answerers score and quote them.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

_CN_NUM = "一二三四五六七八九十"
# (pattern, level): a heading marker at the start of a heading, outermost level first.
_MARKERS: tuple[tuple[re.Pattern[str], int], ...] = (
    (re.compile(rf"第[{_CN_NUM}百零\d]{{1,3}}[章节篇部](?:分)?"), 1),
    (re.compile(rf"[{_CN_NUM}]{{1,3}}[、．.](?![\d])"), 2),
    (re.compile(rf"[(（][{_CN_NUM}]{{1,3}}[)）]"), 3),
    (re.compile(r"\d{1,2}[.．、](?![\d.])"), 4),
    (re.compile(r"[(（]\d{1,2}[)）]|[①-⑳]"), 5),
)
_UNMARKED = 99  # placeholder level, ranked by _rank_unmarked
_SENT_END = re.compile(r"[。！？!?；;…]+[”’」』）)\]\"']*")
CLAUSE_END = re.compile(r"[，,、：:]")
_HEADING_FINAL = re.compile(
    r"(问题|背景|形势|概况|成效|建议|举措|措施|做法|经验|路径|思路|目标|原则|现状|情况|"
    r"改革|体制|机制|模式|考核|单列|建设|下移|管理|服务|体系|清单|启示|对策|政策|职能|"
    r"问題|背景|經驗|舉措|體制|機制|模式|管理|服務|體系|清單|建設|對策|職能)$"
)
_BODY_START = re.compile(r"(该区|本区|我市|我区|我州|高新区|开发区|園區|园区|随着|当前|近年来|目前|xx|\*\*|\d)")
_INLINE_WINDOW = 48
_SHORT_SENTENCE_HEADING = 26
_LINE_HEADING_MAX = 40


@dataclass(frozen=True)
class Segment:
    """A heading or a sentence: [start, end) in the cleaned text."""

    start: int
    end: int
    level: int = 0
    """0 for sentences; the heading level otherwise."""

    @property
    def is_heading(self) -> bool:
        return self.level > 0


def _marker_at(text: str, pos: int) -> tuple[int, int] | None:
    """(level, end of marker) if a heading marker starts at `pos`."""
    for pattern, level in _MARKERS:
        m = pattern.match(text, pos)
        if m:
            return level, m.end()
    return None


def _next_marker(text: str, start: int, stop: int) -> int | None:
    """Offset of the first heading marker in text[start:stop], if it follows a CJK char."""
    for i in range(start, stop):
        if _marker_at(text, i) and i > start and "\u4e00" <= text[i - 1] <= "\u9fff":
            return i
    return None


def _parallel_clause_end(text: str, body: int, comma: int, limit: int) -> int | None:
    # Headings such as "优化行政管理体制,实行差异化绩效考核" are two balanced clauses:
    # the second is about as long as the first.
    first_len = comma - body
    best: int | None = None
    for end in range(comma + 1 + max(2, first_len - 3), min(limit, comma + 2 + first_len + 4)):
        if _HEADING_FINAL.search(text[body:end]):
            best = end
            if _BODY_START.match(text, end):
                return end
    return best


def _scored_heading_end(text: str, body: int, limit: int) -> int | None:
    """Where an inline heading with no delimiter ends (e.g. `…的普遍问题高新区在…`)."""
    comma = CLAUSE_END.search(text, body, limit)
    if comma and comma.start() - body <= 14 and text[comma.start()] in ",，":
        return _parallel_clause_end(text, body, comma.start(), limit)
    stop = min(limit, comma.start() if comma else limit)
    candidates = [e for e in range(body + 4, stop + 1) if _HEADING_FINAL.search(text[body:e])]
    for end in candidates:
        if _BODY_START.match(text, end):
            return end
    return candidates[-1] if candidates and candidates[-1] - body <= 30 else None


def _inline_heading_end(text: str, body: int, para_end: int) -> int | None:
    """End of a heading whose marker ends at `body`, or None if this is no heading."""
    limit = min(para_end, body + _INLINE_WINDOW)
    rest = text[body:para_end]
    if len(rest) <= _LINE_HEADING_MAX and not _SENT_END.search(rest.rstrip("。")):
        return para_end  # the whole line is the heading
    sent = _SENT_END.search(text, body, limit)
    marker = _next_marker(text, body, sent.start() if sent else limit)
    if marker is not None:
        return marker
    if sent and sent.start() - body <= _SHORT_SENTENCE_HEADING:
        return sent.end()
    return _scored_heading_end(text, body, sent.start() if sent else limit)


def _is_unmarked_heading(line: str, is_first: bool, is_last: bool) -> bool:
    stripped = line.strip()
    if not stripped or len(stripped) > _LINE_HEADING_MAX or is_last:
        return False
    if stripped[-1] in "。；;，,：:！？!?…" or not re.search(r"[\u4e00-\u9fff]", stripped):
        return False
    return not is_first


def _sentences(text: str, start: int, end: int) -> Iterator[Segment]:
    """Sentences of text[start:end], each trimmed of surrounding white space."""
    pos = start
    while pos < end:
        while pos < end and text[pos].isspace():
            pos += 1
        if pos >= end:
            return
        m = _SENT_END.search(text, pos, end)
        stop = m.end() if m else end
        while stop > pos and text[stop - 1].isspace():
            stop -= 1
        yield Segment(pos, stop)
        pos = m.end() if m else end


def _paragraph_segments(text: str, start: int, end: int, *, first: bool, last: bool) -> Iterator[Segment]:
    line = text[start:end]
    if _marker_at(text, start) is None and _is_unmarked_heading(line, first, last):
        yield Segment(start, end, _UNMARKED)
        return
    pos = start
    while pos < end:
        marker = _marker_at(text, pos)
        heading_end = _inline_heading_end(text, marker[1], end) if marker else None
        if marker and heading_end:
            yield Segment(pos, heading_end, marker[0])
            pos = heading_end
            continue
        # One sentence, then look for a marker again (inline headings follow sentence ends).
        sentence = next(_sentences(text, pos, end))
        stop = _SENT_END.search(text, pos, end)
        yield sentence
        pos = stop.end() if stop else end
        while pos < end and text[pos].isspace():
            pos += 1


def segment(text: str) -> list[Segment]:
    """Headings and sentences covering every non-space character of `text`, in order."""
    spans = [(m.start(), m.end()) for m in re.finditer(r"[^\n]+", text) if m.group().strip()]
    out: list[Segment] = []
    for i, (start, end) in enumerate(spans):
        while text[start].isspace():
            start += 1
        while text[end - 1].isspace():
            end -= 1
        out.extend(_paragraph_segments(text, start, end, first=i == 0, last=i == len(spans) - 1))
    return _rank_unmarked(out)


def _rank_unmarked(segs: list[Segment]) -> list[Segment]:
    # A bare title line ("湖南省衡阳市:…") in a report that also numbers its sections
    # ("一、…") sits above them: it names the place or part the numbered sections belong to.
    if not any(s.level == 2 for s in segs if s.is_heading and s.level != _UNMARKED):
        return [Segment(s.start, s.end, 2) if s.level == _UNMARKED else s for s in segs]
    return [Segment(s.start, s.end, 1) if s.level == _UNMARKED else s for s in segs]
