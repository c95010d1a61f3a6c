"""Follow-up questions resolved against the conversation, without an LLM.

"那衡阳呢?" after "天津高新区干部工资分为哪两部分?" becomes "衡阳高新区干部工资分为哪两部分?";
"它们的审批改革有什么不同?" names the places of the previous turn. With an LLM configured,
the question-rewrite prompt does this instead (see assistant.llm).
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable, Sequence
from functools import lru_cache
from typing import Any

from assistant.answer_types import Turn
from index.keyword import tokenize
from index.textnorm import normalize

_PLACE_SUFFIX = re.compile(r"(省|市|州|县|盟|高新区|开发区|新区|园区|地区)$")
_ANAPHORA = re.compile(r"^(那么?|那|它|它们|他们|其|这些|这两个|两地|两者|该地|上述|以上|前者|后者)")
_PLURAL_REF = re.compile(r"(它们|他们|两地|两者|这两个|这些地方|这几个|各自|上述|以上)")
_TAIL = re.compile(r"(呢|吗|怎么样|如何|怎样)?[?？。!！\s]*$")
_GENERIC_PLACES = frozenset({"开发区", "高新区", "园区", "新区", "各地", "地方"})
_POS_LOCK = threading.Lock()


@lru_cache(maxsize=1)
def _posseg() -> Any:
    import jieba.posseg

    tokenize("")  # initializes jieba's shared dictionary once, quietly (index.keyword)
    return jieba.posseg


def short_place(name: str) -> str:
    """衡阳市 → 衡阳; 天津高新区 → 天津; keeps names that would become too short."""
    stem = _PLACE_SUFFIX.sub("", name)
    return stem if len(stem) >= 2 else name


def _place_words(norm: str) -> list[tuple[int, int]]:
    """Spans of the words jieba tags as place names (ns): 天津, 衡阳市, 深圳, 南山区."""
    pseg = _posseg()
    with _POS_LOCK:
        pairs = [(w.word, w.flag) for w in pseg.cut(norm)]
    spans: list[tuple[int, int]] = []
    pos = 0
    for word, flag in pairs:
        if flag.startswith("ns") and len(word) >= 2 and word not in _GENERIC_PLACES:
            spans.append((pos, pos + len(word)))
        pos += len(word)
    return spans


def places_in(text: str, known: Iterable[str]) -> list[str]:
    """Places named in `text`, in order: known region names (full or short) and words
    tagged as place names. Adjacent names make one place (湖南省衡阳市); generic words
    (各地开发区, 近年来高新区) are not places. Forms are returned as written in `text`,
    which may be Traditional (matching is done on the normalized form)."""
    norm = normalize(text)
    spans: list[tuple[int, int]] = []

    def free(s: int, e: int) -> bool:
        return all(e <= a or s >= b for a, b in spans)

    for name in sorted({normalize(k) for k in known}, key=len, reverse=True):
        for form in dict.fromkeys((name, short_place(name))):
            if len(form) < 2 or form in _GENERIC_PLACES:
                continue
            start = norm.find(form)
            while start >= 0:
                if free(start, start + len(form)):
                    spans.append((start, start + len(form)))
                start = norm.find(form, start + len(form))
    spans += [(s, e) for s, e in _place_words(norm) if free(s, e)]
    merged: list[tuple[int, int]] = []
    for s, e in sorted(spans):
        if merged and merged[-1][1] == s:
            merged[-1] = (merged[-1][0], e)
        else:
            merged.append((s, e))
    return list(dict.fromkeys(text[s:e] for s, e in merged))


def _previous(history: Sequence[Turn]) -> Turn | None:
    return history[-1] if history else None


def _cited_places(turn: Turn) -> list[str]:
    """The places the previous answer quoted: from each citation's headings, else its report's region."""
    out: list[str] = []
    for c in turn.answer.citations:
        found = places_in(c.section, c.regions) or [short_place(r) for r in c.regions[:1]]
        for p in found[:1]:
            if p not in out:
                out.append(p)
    return out


def is_follow_up(question: str) -> bool:
    q = question.strip()
    return bool(_ANAPHORA.search(q) or _PLURAL_REF.search(q) or (len(q) <= 8 and q.rstrip("?？").endswith("呢")))


def resolve(question: str, history: Sequence[Turn], known_places: Iterable[str]) -> str:
    """The question with references to earlier turns spelled out (unchanged if none)."""
    prev = _previous(history)
    q = question.strip()
    if prev is None or not is_follow_up(q):
        return q
    known = list(known_places)
    before = prev.answer.resolved_question or prev.question
    prev_places = places_in(before, known) or _cited_places(prev)
    if _PLURAL_REF.search(q):
        names = "、".join(prev_places) if prev_places else ""
        return _PLURAL_REF.sub(names, q, count=1) if names else q
    core = _TAIL.sub("", _ANAPHORA.sub("", q)).strip(" ,，的")
    new_places = places_in(core, known)
    if new_places:
        # "那衡阳呢?": same question, another place.
        if prev_places:
            out = before
            for i, old in enumerate(prev_places):
                out = out.replace(old, new_places[min(i, len(new_places) - 1)])
            return out
        return f"{core}{before}"
    # "那薪酬呢?": same places, another topic.
    subject = "、".join(prev_places)
    return f"{subject}的{core}是什么?" if subject else f"{core}?"
