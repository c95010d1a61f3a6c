"""Answer shape: a comparison gets one block per place, labelled with the place, holding
only sentences that speak to the topic itself (not its lead or background), at most
`AnswerConfig.per_place` each; a place whose report words the topic differently gets its
block by meaning, from its own reports only.
"""

from __future__ import annotations

from collections.abc import Sequence

from assistant.answer_types import Answer, AnswerBlock, Citation, ComparisonRow
from assistant.candidates import Sentence, dedupe, is_junk, sentences_of, similar
from assistant.citing import answer_of, cite, marked
from assistant.evidence import Evidence
from assistant.grammar import ENUM, is_background
from assistant.placecheck import UNPLACED, about_place, fits_years, place_of
from assistant.question import Question
from assistant.scoring import Scored, focus
from assistant.terms import TermWeights
from index.textnorm import normalize
from index.types import Hit


def comparison(ev: Evidence, question: Question, hits: Sequence[Hit], weights: TermWeights) -> Answer | None:
    """One block per place: only sentences that speak to the topic (not the place, not
    the lead of a section), at most `per_place` each, labelled with the place."""
    asked = [p.canonical for p in question.places if p.doc_ids]
    topic = weights.without([*asked, *(p.written for p in question.places)])
    candidates = [
        s for s in sentences_of(hits) if not s.is_heading and not is_junk(s) and fits_years(s, question.years)
    ]
    scored = ev.scorer.score(question, candidates, topic)
    # A sentence of an enumerated item whose head names the topic (二是实行“一枚印章管审批”) is
    # that place's own measure on it: such items lead, whatever a passing mention scores.
    heads = _item_heads(candidates, ev.config.short_item)
    named = {k for k, h in heads.items() if topic.coverage(h, specific=True) >= ev.config.topic_min}
    ordered = sorted(scored, key=lambda x: (_key(x.sentence) not in named, -x.score))
    groups: dict[str, list[Scored]] = {}
    for s in ordered:
        # The sentence with its own heading (一、做好招商引资“加法”: its items say 招商),
        # compounds counted once: how much of the topic this sentence itself speaks to.
        section = s.sentence.hit.chunk.section
        own = topic.coverage(f"{normalize(section[-1]) if section else ''} {s.sentence.norm}", specific=True)
        if own < ev.config.topic_min or is_background(s.sentence.norm):
            continue  # background, lead or boilerplate: names no part of the topic itself
        label = _label(ev, s.sentence, asked)
        if not label:
            continue
        group = groups.setdefault(label, [])
        if len(group) < ev.config.per_place and not any(
            similar(s.sentence.norm, g.sentence.norm, ev.config.near_duplicate) for g in group
        ):
            group.append(s)
    if asked:
        if groups:
            groups |= _in_other_words(ev, question, scored, asked, groups)
        groups = {p: groups[p] for p in asked if p in groups}
    top = max((g[0].score for g in groups.values() if g), default=0.0)
    rows_in = [(p, g) for p, g in groups.items() if g and (asked or g[0].score >= ev.config.place_min_score * top)]
    rows_in = rows_in[: ev.config.max_places]
    if not rows_in:
        return None  # no place speaks to the topic itself: the plain answer says what is there
    citations: list[Citation] = []
    rows: list[ComparisonRow] = []
    blocks: list[AnswerBlock] = []
    for place, group in rows_in:
        ns, parts = [], []
        for sent in _with_details(ev, [g.sentence for g in group]):
            c = cite(len(citations) + 1, sent, ev.places)
            citations.append(c)
            ns.append(c.n)
            parts.append(marked(c, question))
        rows.append(ComparisonRow(place, "".join(parts), tuple(ns)))
        blocks.append(AnswerBlock("place", tuple(parts), place))
    missing = [p.written for p in question.places if p.doc_ids and p.canonical not in dict(rows_in)]
    if missing:
        blocks.append(AnswerBlock("notice", (f"报告中没有{'、'.join(missing)}这方面的内容。",)))
    out = answer_of(question, tuple(blocks), tuple(citations))
    return Answer(
        out.question,
        out.resolved_question,
        out.text,
        True,
        "extractive",
        out.citations,
        tuple(rows),
        out.blocks,
        "comparison",
    )


def _key(s: Sentence) -> tuple[str, int]:
    return s.hit.chunk.doc_id, s.start


def _item_heads(sentences: Sequence[Sentence], short_item: int) -> dict[tuple[str, int], str]:
    """Each sentence's enumerated item head (一是…, a short sentence that names the item), when
    it stands in one: the last head before it in its passage, a heading ending the item."""
    out: dict[tuple[str, int], str] = {}
    head = ""
    last = None
    for s in sentences:
        if s.hit is not last:
            head, last = "", s.hit
        if s.is_heading:
            head = ""
        elif ENUM.match(s.norm) and len(s.text) <= short_item:
            head = s.norm
        if head:
            out[_key(s)] = head
    return out


def _in_other_words(
    ev: Evidence, question: Question, scored: Sequence[Scored], asked: Sequence[str], groups: dict[str, list[Scored]]
) -> dict[str, list[Scored]]:
    """An asked place whose report says the topic in other words (工资 for 薪酬) is not
    left out: its sentence most similar to the topic joins when it is at least as similar
    as a sentence the topic's own words found for another place (a rank within one
    query, not a cosine threshold)."""
    topic = question.attribute or focus(question)
    found = [g[0].sentence for g in groups.values()]
    # Only the place's own reports: a sentence elsewhere that names it (与衡阳相比…) or a
    # report that declares no place is no evidence by meaning alone.
    own = {p.canonical: set(p.doc_ids) for p in question.places}
    pending = {
        p: [
            s for s in scored if s.sentence.hit.chunk.doc_id in own.get(p, ()) and about_place(s.sentence, p, ev.places)
        ][: ev.config.reworded_candidates]
        for p in asked
        if p not in groups
    }
    pending = {p: c for p, c in pending.items() if c}
    if not pending:
        return {}
    q = ev.embedder.embed_query(topic)
    bar = float(min(ev.embedder.embed_documents([s.norm for s in found]) @ q))
    out: dict[str, list[Scored]] = {}
    for place, cands in pending.items():
        sims = ev.embedder.embed_documents([c.sentence.norm for c in cands]) @ q
        best = cands[int(sims.argmax())]
        if float(sims.max()) >= bar and not is_background(best.sentence.norm):
            out[place] = [best]
    return out


def _with_details(ev: Evidence, chosen: Sequence[Sentence]) -> list[Sentence]:
    """In reading order; an enumerated item's short head (一是围绕主特产业招商。) brings the
    sentence after it, which says what was done."""
    out: list[Sentence] = []
    for s in sorted(chosen, key=lambda s: (s.hit.chunk.doc_id, s.start)):
        out.append(s)
        if ENUM.match(s.norm) and len(s.text) <= ev.config.short_item:
            body = [b for b in sentences_of([s.hit]) if not is_junk(b)]
            nxt = next((b for b in body if b.start >= s.end), None)
            if nxt is not None and not nxt.is_heading and not ENUM.match(nxt.norm):
                out.append(nxt)
    return dedupe(out)


def _label(ev: Evidence, s: Sentence, asked: Sequence[str]) -> str:
    if asked:
        return next((p for p in asked if about_place(s, p, ev.places)), "")
    return place_of(s, ev.places) or UNPLACED
