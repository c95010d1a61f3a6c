"""Follow-up questions resolved against the conversation, without an LLM.

"那衡阳呢?" after "天津高新区干部工资分为哪两部分?" becomes "衡阳高新区干部工资分为哪两部分?";
"它们的审批改革有什么不同?" names the places of the previous turn. With an LLM configured,
the question-rewrite prompt does this instead (see assistant.llm).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from assistant.answer_types import Turn

_PLACE = re.compile(r"[\u4e00-\u9fff]{2,5}?(?:省|市|州|县|盟)|[\u4e00-\u9fff]{2,4}?(?:高新区|开发区|新区|园区)")
_PLACE_SUFFIX = re.compile(r"(省|市|州|县|盟|高新区|开发区|新区|园区|地区)$")
_ANAPHORA = re.compile(r"^(那么?|那|它|它们|他们|其|这些|这两个|两地|两者|该地|上述|以上|前者|后者)")
_PLURAL_REF = re.compile(r"(它们|他们|两地|两者|这两个|这些地方|这几个|各自|上述|以上)")
_TAIL = re.compile(r"(呢|吗|怎么样|如何|怎样)?[?？。!！\s]*$")
_GENERIC_PLACES = frozenset({"开发区", "高新区", "园区", "新区", "各地", "地方"})


def short_place(name: str) -> str:
    """衡阳市 → 衡阳; 天津高新区 → 天津; keeps names that would become too short."""
    stem = _PLACE_SUFFIX.sub("", name)
    return stem if len(stem) >= 2 else name


def places_in(text: str, known: Iterable[str]) -> list[str]:
    """Places named in `text`: known region names (full or short) and X省/X市/X高新区 forms."""
    found: list[str] = []
    for name in sorted(set(known), key=len, reverse=True):
        for form in (name, short_place(name)):
            if form and form in text and not any(form in f for f in found) and form not in _GENERIC_PLACES:
                found.append(form)
                break
    for m in _PLACE.finditer(text):
        p = m.group()
        if p not in _GENERIC_PLACES and not any(p in f or f in p for f in found):
            found.append(p)
    return sorted(found, key=text.find)


def _previous(history: Sequence[Turn]) -> Turn | None:
    return history[-1] if history else None


def _cited_places(turn: Turn) -> list[str]:
    out: list[str] = []
    for c in turn.answer.citations:
        for r in c.regions[:1]:
            if short_place(r) not in out:
                out.append(short_place(r))
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
