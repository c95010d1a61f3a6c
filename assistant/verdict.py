"""Stage 3 of grounding: the verdict, whether the retrieved passages answer the question.

Decline when nothing was found, when an asked place is in no report, when no passage about
the asked place (and year) survives the place check, or when the best passages do not hold
the question's specific terms (`AnswerConfig.min_coverage` together, `min_passage_coverage`
in one passage). A declined verdict says what is missing, for the asked place and year.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from assistant.candidates import Sentence, context_of, dedupe, is_junk, lead_sentences, sentences_of
from assistant.grammar import NOUNISH
from assistant.placecheck import PlaceIndex, fits
from assistant.places import pos_words
from assistant.question import Question
from assistant.terms import TermWeights, top_coverage
from index.settings import AnswerConfig
from index.textnorm import normalize
from index.types import Hit


@dataclass(frozen=True)
class Verdict:
    """Whether the hits answer the question: the reason to decline (empty: they answer),
    the hits about the asked place and year, and what to offer as related reading."""

    why: str = ""
    hits: tuple[Hit, ...] = ()
    related: tuple[Sentence, ...] = ()
    coverage: tuple[float, float] = (0.0, 0.0)
    related_heading: str = ""
    """How the related reading is labelled: what the place's reports say on the topic, or the
    general practice (a text that speaks for no place), never as the answer."""


def judge(
    question: Question, hits: Sequence[Hit], weights: TermWeights, places: PlaceIndex, cfg: AnswerConfig
) -> Verdict:
    """Decline when nothing was found, when an asked place is in no report, when no passage
    about the asked place (and year) holds the question's specific terms."""
    if not hits:
        return Verdict("没有检索到相关段落")
    contexts = [context_of(h) for h in hits]
    absent = [p.written for p in question.absent_places if normalize(p.written) not in "\n".join(contexts)]
    if absent:
        related, heading = related_reading(question, hits, weights, places, cfg)
        return Verdict(f"报告中没有关于“{'、'.join(absent)}”的材料", related=related, related_heading=heading)
    if not weights.weights:
        return Verdict("问题中没有可检索的关键词")
    fitting = [h for h in hits if any(fits(s, question, places) for s in sentences_of([h]))]
    if not fitting:
        related, heading = related_reading(question, hits, weights, places, cfg)
        # A place the reports only mention (长沙, a stop on a study trip) has no material at all.
        unplaced = [p.written for p in question.places if p.doc_ids and not places.docs_about(p.canonical)]
        why = f"报告中没有关于“{'、'.join(unplaced)}”的材料" if unplaced else lacks(question, weights, "")
        return Verdict(why, related=related, related_heading=heading)
    best = [context_of(h) for h in fitting[: cfg.coverage_hits]]
    # Where reports declare their places, the place check holds for these passages and the
    # rest of the question decides; where nothing is declared, the place name is content
    # like any other (内蒙古 in an encyclopedia article on it).
    asked = [x for p in question.places if p.doc_ids for x in (p.written, p.canonical)]
    declared = any(places.speaks_for(h.chunk.doc_id, h.chunk.section) for h in fitting)
    union, single = top_coverage(best, weights.without(asked) if asked and declared else weights)
    if union < cfg.min_coverage or single < cfg.min_passage_coverage:
        # What the place's own reports say on the topic, shown as related, not as the answer.
        related, heading = related_reading(question, fitting, weights, places, cfg)
        if not related:
            others = [h for h in hits if h not in fitting] if len(fitting) < len(hits) else list(hits)
            related = tuple(lead_sentences(others, cfg.related_max))
        return Verdict(
            lacks(question, weights, "\n".join(best)),
            related=related,
            coverage=(union, single),
            related_heading=heading,
        )
    return Verdict("", tuple(fitting), coverage=(union, single))


def related_reading(
    question: Question, hits: Sequence[Hit], weights: TermWeights, places: PlaceIndex, cfg: AnswerConfig
) -> tuple[tuple[Sentence, ...], str]:
    """The sentences of `hits` that speak to the topic (its specific words, with their own
    heading), best first, and how to label them: for the asked place, what its reports say
    on the topic; from texts that speak for no place, the general practice. Else the first
    sentence of the nearest passages, unlabelled."""
    asked = [x for p in question.places for x in (p.written, p.canonical)]
    topic = weights.without(asked)
    scored = []
    for s in sentences_of(hits):
        if s.is_heading or is_junk(s):
            continue
        section = s.hit.chunk.section
        cov = topic.coverage(f"{normalize(section[-1]) if section else ''} {s.norm}", specific=True)
        if cov > 0:
            scored.append((cov, s))
    # Only sentences that speak of the asked topic (its key word, or most of it), where any do;
    # for a named place, its own reports' first, else the general practice, never another
    # place's as if it were the general one.
    on = [x for x in scored if states_topic(question, weights, "", x[1].norm)]
    scored = sorted(on or scored, key=lambda x: -x[0])
    named = "、".join(p.written for p in question.places)
    # A place with no report (深圳南山区) has no sentences of its own, whatever the place check says.
    reported = any(p.doc_ids for p in question.places)

    def its_own(s: Sentence) -> bool:
        return reported and fits(s, question, places)

    if named and on:
        own = [x for x in scored if its_own(x[1])]
        general = [x for x in scored if places.is_general(x[1].hit.chunk.doc_id, x[1].hit.chunk.section)]
        scored = own or general + [x for x in scored if x not in general]
    chosen = tuple(dedupe([s for _, s in scored]))[: cfg.related_max]
    if not chosen:
        return tuple(lead_sentences(hits, cfg.related_max)), ""
    if named and all(places.is_general(s.hit.chunk.doc_id, s.hit.chunk.section) for s in chosen):
        return chosen, f"报告中的一般做法（不是{named}的做法），仅供参考"
    if named and all(its_own(s) for s in chosen):
        return chosen, f"报告中关于{named}的相关内容（不是对问题的直接回答）"
    if named and not any(its_own(s) for s in chosen):
        return chosen, f"其他报告中的相关做法（不是{named}的做法），仅供参考"
    return chosen, ""


def topic_key(question: Question, weights: TermWeights) -> str:
    """The word the asked topic is about: its most specific noun (工资 of 干部工资, 审批 of 审批
    服务的办理方式, not the verb 办理), else its most specific word; "" without one."""
    topic = weights.without([x for p in question.places for x in (p.written, p.canonical)]).specific
    if not topic:
        return ""
    nouns = [t for t in topic if pos_words(t) and pos_words(t)[0][1].startswith(NOUNISH)]
    return max(nouns or topic, key=lambda t: topic[t])


def states_topic(question: Question, weights: TermWeights, heading: str, text: str, share: float = 0.4) -> bool:
    """Whether a sentence (with its own heading) speaks of what was asked: it holds the topic's
    key word (`topic_key`: a sentence on 干部 alone is not about 干部工资), or at least `share`
    of the topic's specific weight."""
    key = topic_key(question, weights)
    if not key:
        return True
    body = f"{normalize(heading)} {normalize(text)}"
    topic = weights.without([x for p in question.places for x in (p.written, p.canonical)])
    return key in body or topic.coverage(body, specific=True) >= share


def topic_share(question: Question, weights: TermWeights, heading: str, text: str) -> float:
    """How much of the asked topic (the question's specific words, its places left out) a
    sentence states, with its own heading: 0 for a sentence on something else."""
    topic = weights.without([x for p in question.places for x in (p.written, p.canonical)])
    if not topic.specific:
        return 1.0
    return topic.coverage(f"{normalize(heading)} {normalize(text)}", specific=True)


def lacks(question: Question, weights: TermWeights, context: str) -> str:
    """What the reports lack, said for the asked place and year specifically: the question's
    own words from its place on (报告中没有写明衡阳高新区干部工资分为哪两部分), else its attribute."""
    place = "、".join(p.written for p in question.places if p.doc_ids)
    years = "、".join(f"{y}年" for y in question.years)
    if place or years:
        first = min((question.text.find(p.written) for p in question.places if p.doc_ids), default=-1)
        core = question.text[first:].rstrip("?？。!！ ") if first >= 0 else ""
        if core and len(core) <= 40 and not any(ch in core for ch in "?？"):
            return f"报告中没有写明{core}"
    if question.attribute and (place or years):
        return f"报告中没有{place}{years}{question.attribute}的内容"
    missing = [t for t in weights.weights if t not in context]
    shown = "、".join(sorted(missing, key=lambda t: -weights.weights[t])[:3])
    if place or years:
        what = f"关于“{shown}”的" if shown else "直接回答的"
        return f"报告中没有{place}{years}{what}内容"
    return f"报告中没有找到关于“{shown}”的内容" if shown else "报告中没有找到直接回答"
