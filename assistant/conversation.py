"""Follow-up questions resolved against the conversation, without an LLM.

A follow-up changes one slot of the previous question and keeps the rest:
- the place: "那衡阳呢?" after "天津高新区干部工资分为哪两部分?" → "衡阳高新区干部工资分为哪两部分?";
- the attribute: "固定资产投资呢?" after "衡阳园区2022年技工贸总收入是多少?" →
  "衡阳园区2022年固定资产投资是多少?"; a question without a subject ("为企业和群众办理了多少件?")
  gets the previous place;
- a condition: "满两年的呢?" after "试用期满一年的干部怎么考核?" → "试用期满两年的干部怎么考核?";
- a reference back: "效果怎么样?", "这些做法有什么效果?" name the previous subject
  ("衡阳审批改革的效果怎么样?"); "它们/两地/这两个地方" name the previous places.
The previous turn's places come from its resolved question, else from what its answer cited.
Only the last `MAX_TURNS` turns are read, each cut to `MAX_TURN_CHARS`: resolving costs
the same however long the history is. With an LLM configured, the question-rewrite
prompt does this instead (see assistant.llm).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from assistant.answer_types import Turn
from assistant.followup import (
    Previous,
    add_subject,
    continues_place_topic,
    has_noun,
    is_condition,
    is_elliptical,
    join_places,
    moved,
    name_the_places,
    point_back,
    points_at_place,
    replace_attribute,
    replace_condition,
    same_kind_word,
    without_places,
)
from assistant.grammar import (
    BACK_REF,
    CONDITION,
    DEIXIS,
    DEMONSTRATIVE,
    FOLLOW_LEAD,
    FOLLOW_TAIL,
    NOUNISH,
    PLURAL_REF,
    QUOTED,
    QUOTED_SPAN,
    REFERENCE,
)
from assistant.places import Gazetteer, canonical_place
from assistant.question import analyze
from assistant.question_words import parse
from index.textnorm import normalize

MAX_TURNS = 6
"""How many of the latest turns are read (older ones cannot change the resolution)."""
MAX_TURN_CHARS = 2000
"""Each history question is read up to this many characters (the question limit)."""
_MAX_CITATIONS = 10


def _gazetteer(places: Gazetteer | Iterable[str]) -> Gazetteer:
    return places if isinstance(places, Gazetteer) else Gazetteer.from_regions(places)


def places_in(text: str, known: Gazetteer | Iterable[str]) -> list[str]:
    """Places named in `text`, in order, as written (may be Traditional): known names in any
    form and words tagged as place names where a place stands. Adjacent names are one place
    (湖南省衡阳市); generic words (各地开发区, 近年来高新区) are not places."""
    norm = normalize(text)
    return list(dict.fromkeys(text[s.start : s.end] for s in _gazetteer(known).find(norm)))


def is_follow_up(question: str) -> bool:
    """Whether the question's surface says it leans on the previous turn (那…呢, 它们, 这些…)."""
    q = normalize(question.strip())
    core = FOLLOW_TAIL.sub("", q)
    return bool(
        FOLLOW_LEAD.match(q)
        or PLURAL_REF.search(q)
        or REFERENCE.match(q)
        or (len(q) <= 12 and re.search(r"呢[?？]?$", q))
        or (core and len(core) <= 2)
    )


def resolve(question: str, history: Sequence[Turn], places: Gazetteer | Iterable[str]) -> str:
    """The question with what it leaves to earlier turns spelled out (unchanged if nothing)."""
    q = question.strip()
    turns = list(history[-MAX_TURNS:])
    if not turns:
        return q
    gaz = _gazetteer(places)
    prev = _context(turns, gaz)
    if prev is None:
        return q
    q = name_the_referent(q, prev, turns[-1])
    cur = analyze(q, gaz)
    back = BACK_REF.match(cur.norm)
    if back and not cur.places and prev.places:
        # 上面说的国有公司改革里… → 湘西高新区的国有公司改革里…: what the earlier turn spoke of, there.
        return f"{join_places(list(prev.places))}的{q[back.end() :]}"
    body = FOLLOW_LEAD.sub("", cur.norm)
    if PLURAL_REF.search(body):
        return name_the_places(q, prev)
    new_places = [p for p in cur.places if p.canonical not in ("",)]
    core = FOLLOW_TAIL.sub("", body)
    content = [t for t in cur.terms if t not in {p.canonical for p in cur.places}]
    asks_on = bool(re.search(r"呢[?？]?$", cur.norm) or FOLLOW_LEAD.match(cur.norm))  # 那…, …呢?
    if new_places and not cur.cross_place and (asks_on or points_at_place(cur)):
        # 衡阳呢? / 换成绵阳呢? / 天津那边有什么成效? / 那衡阳的奖金呢?: the previous question,
        # moved to the new place; asked in the new frame if it has one of its own, or about
        # the new attribute if it names one (content words by the analysis's rule, not a list).
        there = moved(prev, cur, gaz)
        if not content and cur.kind in ("fact", prev.question.kind):
            return there.text
        if not content:
            return point_back(there.text, DEIXIS.sub("", without_places(body, cur)), there, gaz)
        return replace_attribute(there, without_places(core, cur), gaz)
    if new_places or cur.cross_place:
        return q  # a question of its own about named places
    if REFERENCE.match(body) or not content:
        # 效果怎么样? / 这些做法有什么效果?: about the previous subject.
        return point_back(q, body, prev, gaz)
    if asks_on:
        cond = CONDITION.match(body)
        if cond and (is_condition(cond.group(1), gaz) or same_kind_word(prev, cond.group(1))):
            return replace_condition(prev, cond.group(1))
        if core and (re.fullmatch(r"(19|20)\d{2}年?", core) or same_kind_word(prev, core)):
            return replace_condition(prev, core)  # 2020年呢? / 薪酬制度呢? after 审批制度
        quoted = QUOTED_SPAN.search(prev.text)
        if quoted and QUOTED_SPAN.fullmatch(core):
            return prev.text[: quoted.start()] + core + prev.text[quoted.end() :]  # 那“管委会+公司”呢?
        return replace_attribute(prev, core, gaz)
    if not has_noun(cur, gaz):
        return point_back(q, body, prev, gaz)  # 取得了什么成效? / 现在整合成了几个?
    if re.match(r"^(和|与|跟|同|比)", body):
        return point_back(q, body, prev, gaz)  # 和园区业绩挂钩吗?: the previous topic is the subject
    if is_elliptical(cur, gaz) and prev.places:
        return add_subject(q, prev)
    if continues_place_topic(cur, prev, gaz):
        lead = add_subject("", prev)
        words = [w for w in parse(cur.norm, gaz) if w.role != "stop"]
        joiner = "的" if words and words[0].flag.startswith(NOUNISH) else ""
        return f"{lead}{joiner}{q}"
    return q


def name_the_referent(q: str, prev: Previous, last: Turn) -> str:
    """这个卡 / 这个制度 → the term the previous turn named: a quoted term of its question that
    is the thing asked about (“创新创业通票”是个什么制度 → “创新创业通票”制度), else a quoted
    term of its answer ending in the same noun (发放“服务绿卡” → “服务绿卡”)."""
    norm = normalize(q)
    m = DEMONSTRATIVE.search(norm)
    if not m:
        return q
    asked = [t for t in _quoted_terms(prev.text)]
    answered = [t for c in last.answer.citations[:_MAX_CITATIONS] for t in _quoted_terms(c.quote)]
    after = norm[m.end() : m.end() + 4]
    for n in range(len(after), 0, -1):
        head = after[:n]
        if not re.fullmatch(r"[\u4e00-\u9fff]+", head):
            continue
        named = next((f"“{t}”{head}" for t in asked if head in normalize(prev.text).split(t, 1)[-1]), None)
        named = named or next((f"“{t}”" for t in (*asked, *answered) if t.endswith(head)), None)
        if named:
            return q[: m.start()] + named + q[m.end() + n :]
    return q


def _quoted_terms(text: str) -> list[str]:
    """The terms a text quotes (“服务绿卡”, 《…》), normalized, each once."""
    return list(dict.fromkeys(next(g for g in m.groups() if g) for m in QUOTED.finditer(normalize(text))))


# -- the previous turn ---------------------------------------------------------------------------
def _context(turns: list[Turn], gaz: Gazetteer) -> Previous | None:
    last = turns[-1]
    text = (last.answer.resolved_question or last.question).strip()[:MAX_TURN_CHARS]
    if not text:
        return None
    question = analyze(text, gaz)
    words = tuple(parse(question.norm, gaz))
    named = [p.written for p in question.places]
    if not named:
        # No place in the question: the places its answer quoted, else an earlier turn's.
        named = _cited_places(last, gaz)
        for turn in reversed(turns[:-1]):
            if named:
                break
            earlier = (turn.answer.resolved_question or turn.question)[:MAX_TURN_CHARS]
            named = [p.written for p in analyze(earlier, gaz).places]
    return Previous(text, question, words, tuple(named))


def _cited_places(turn: Turn, gaz: Gazetteer) -> list[str]:
    """The place each cited passage is about: its section's heading, else its report's region."""
    out: list[str] = []
    for c in turn.answer.citations[:_MAX_CITATIONS]:
        section = tuple(normalize(c.section[:MAX_TURN_CHARS]).split(" › "))
        found = sorted(gaz.section_places(c.doc_id, section)) if c.section else []
        inner = [s.canonical for s in gaz.find(normalize(c.section[:MAX_TURN_CHARS]))]
        found = inner[-1:] or found
        if not found:
            found = [canonical_place(r) for r in c.regions[:1]]  # regions are listed province first
        if not found:
            found = [p for p in (gaz.main_place(c.doc_id),) if p]
        for p in found[:1]:
            if p not in out:
                out.append(p)
    return out
