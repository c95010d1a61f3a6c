"""Answer shapes: a list or measures question gets the items (一是…二是…, numbered
sub-headings) of the section that answers, one cited bullet each; a summary one bullet per
sub-heading of the matching section, with its key sentence.
"""

from __future__ import annotations

from collections.abc import Sequence

from assistant.answer_types import Answer, AnswerBlock, Citation
from assistant.candidates import Sentence, is_junk
from assistant.citing import answer_of, cite, marked
from assistant.evidence import Evidence
from assistant.grammar import ENUM, INLINE_LIST, NUMBERING
from assistant.question import Question
from assistant.scoring import Scored, is_echo
from assistant.shape_plain import plain
from assistant.shape_summary import summarize
from assistant.terms import TermWeights
from index.textnorm import char_bigrams, normalize
from index.types import Hit


def listing(ev: Evidence, question: Question, scored: Sequence[Scored], weights: TermWeights) -> Answer | None:
    """The items of the section that answers: its enumerated sentences, or else its
    sub-headings, one bullet each (as many as asked when the section has them)."""
    best = next((s for s in scored if not s.sentence.is_heading), scored[0] if scored else None)
    if best is None:
        return None
    hit = best.sentence.hit
    section = hit.chunk.section
    topic = weights.without([x for p in question.places for x in (p.written, p.canonical)])
    top = [s for s in scored if not s.sentence.is_heading][:3]
    most = max(s.lexical for s in top)
    inside = _item_named(ev, question, best.sentence)
    if inside:
        # The question names one item (審批服務模塊裡…怎麼處理?): its answer is inside that item.
        within = {(s.hit.chunk.doc_id, s.start) for s in inside}
        return plain(
            ev, question, [s for s in scored if (s.sentence.hit.chunk.doc_id, s.sentence.start) in within], weights
        )
    named = _section_named(ev, question, scored)
    if named is not None:
        # The question names a section (有哪些总体要求 → 一、总体要求): the answer is that
        # section's items or text, never the list of it and its siblings one level up.
        return _within(ev, question, scored, weights, *named)
    inline = next((s for s in top if s.lexical >= most and INLINE_LIST.search(s.sentence.norm)), None)
    if inline is not None:
        # The sentence that matches the question best lists the items itself (包括甲、乙、丙).
        return plain(ev, question, [inline, *(s for s in scored if s is not inline)], weights)
    for depth in range(len(section), 0, -1):
        items = _items(ev, question, hit, section[:depth])
        # A section's items are the answer when its heading names the topic, or when the
        # best sentence is one of them or leads into them (a report's "经验" is no answer
        # to 工资分为哪两部分, nor 004's 效能化运行 list to 干部晋升通道窄).
        heads = depth == len(section) and _leads_into(best.sentence, items)
        if not heads and topic.coverage(normalize(section[depth - 1])) < ev.config.section_topic_min:
            continue
        if len(items) >= 2:
            return _one_each(ev, question, items)
    return None


def _one_each(ev: Evidence, question: Question, items: Sequence[Sentence]) -> Answer:
    """One bullet per item, as many as asked (哪两件事) when the section has more."""
    return bullets(ev, question, [[s] for s in items[: question.count or None]])


def _section_named(ev: Evidence, question: Question, scored: Sequence[Scored]) -> tuple[Hit, int] | None:
    """The section of a best passage whose heading the question restates (`is_echo`), as
    (hit, depth); not the report's title, which names the whole report."""
    qgrams = char_bigrams(question.norm)
    seen: set[str] = set()
    for s in scored[: ev.config.coverage_hits]:
        hit = s.sentence.hit
        if hit.chunk.id in seen:
            continue
        seen.add(hit.chunk.id)
        title = normalize(hit.record.title)
        for depth in range(len(hit.chunk.section), 0, -1):
            head = normalize(NUMBERING.sub("", hit.chunk.section[depth - 1]))
            if head and head != title and is_echo(head, qgrams, ev.config.echo_share):
                return hit, depth
    return None


def _within(
    ev: Evidence, question: Question, scored: Sequence[Scored], weights: TermWeights, hit: Hit, depth: int
) -> Answer | None:
    """The items of the named section when it has them, else its best sentences."""
    path = hit.chunk.section[:depth]
    items = _items(ev, question, hit, path)
    if len(items) >= 2:
        return _one_each(ev, question, items)
    doc = hit.chunk.doc_id
    inside = [
        s
        for s in scored
        if s.sentence.hit.chunk.doc_id == doc
        and s.sentence.hit.chunk.section[:depth] == path
        and not s.sentence.is_heading
    ]
    return plain(ev, question, inside, weights) if inside else None


def _item_named(ev: Evidence, question: Question, head: Sentence) -> list[Sentence]:
    """The body of the enumerated item `head` leads (up to the next item), when `head` is a short
    item head the question names (most of its character pairs are the question's): the
    question asks inside the item, not for the list of items. Else empty."""
    if not (ENUM.match(head.norm) and len(head.text) <= ev.config.short_item):
        return []
    own = char_bigrams(ENUM.sub("", head.norm))
    if not own or len(own & char_bigrams(question.norm)) / len(own) < ev.config.echo_share:
        return []
    body = ev.section(head.hit, head.hit.chunk.section)
    at = next((i for i, s in enumerate(body) if s.start == head.start), None)
    if at is None:
        return []
    out: list[Sentence] = []
    for s in body[at + 1 :]:
        if s.is_heading or (ENUM.match(s.norm) and len(s.text) <= ev.config.short_item):
            break
        out.append(s)
    return out


def _items(ev: Evidence, question: Question, hit: Hit, path: tuple[str, ...]) -> list[Sentence]:
    body = ev.section(hit, path)
    direct = [s for s in body if s.hit.chunk.section == path and not s.is_heading]
    enumerated = [s for s in direct if ENUM.match(s.norm)]
    if len(enumerated) >= 2:
        return enumerated[: ev.config.max_items]
    return [s for s, _ in _children(body, path)][: ev.config.max_items]


def _children(body: Sequence[Sentence], path: tuple[str, ...]) -> list[tuple[Sentence, Sentence | None]]:
    """(heading, first body sentence) of each direct sub-section of `path`."""
    out: dict[str, tuple[Sentence, Sentence | None]] = {}
    for s in body:
        sec = s.hit.chunk.section
        if len(sec) <= len(path):
            continue
        child = sec[len(path)]
        if child not in out and s.is_heading and normalize(child)[:6] in s.norm:
            out[child] = (s, None)
        elif child in out and out[child][1] is None and not s.is_heading and not is_junk(s):
            out[child] = (out[child][0], s)
    return list(out.values())


def bullets(ev: Evidence, question: Question, items: Sequence[Sequence[Sentence]]) -> Answer:
    citations: list[Citation] = []
    lines = []
    for group in items:
        parts = []
        for s in group:
            c = cite(len(citations) + 1, s, ev.places)
            citations.append(c)
            parts.append(marked(c, question))
        lines.append("".join(parts))
    blocks = (AnswerBlock("bullets", tuple(lines)),)
    return answer_of(question, blocks, tuple(citations))


def summary(
    ev: Evidence, question: Question, hits: Sequence[Hit], scored: Sequence[Scored], weights: TermWeights
) -> Answer | None:
    """The measures of the section the question names (assistant.shape_summary), else a list."""
    return summarize(ev, question, hits) or listing(ev, question, scored, weights)


def _leads_into(best: Sentence, items: Sequence[Sentence]) -> bool:
    """`best` is one of `items`, or the sentence right before the first of them."""
    if not items:
        return False
    if any(i.start == best.start and i.hit.chunk.doc_id == best.hit.chunk.doc_id for i in items):
        return True
    return best.hit.chunk.doc_id == items[0].hit.chunk.doc_id and 0 <= items[0].start - best.end <= 2
