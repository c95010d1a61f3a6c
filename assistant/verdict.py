"""Stage 3 of grounding: the verdict, whether the retrieved passages answer the question.

Decline when nothing was found, when an asked place is in no report, when no passage about
the asked place (and year) survives the place check, or when the best passages do not hold
the question's specific terms (`AnswerConfig.min_coverage` together, `min_passage_coverage`
in one passage). A declined verdict says what is missing, for the asked place and year.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from assistant.candidates import Sentence, context_of, lead_sentences, sentences_of
from assistant.placecheck import PlaceIndex, fits
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
        return Verdict(f"报告中没有提到“{'、'.join(absent)}”", related=tuple(lead_sentences(hits, cfg.related_max)))
    if not weights.weights:
        return Verdict("问题中没有可检索的关键词")
    fitting = [h for h in hits if any(fits(s, question, places) for s in sentences_of([h]))]
    if not fitting:
        return Verdict(lacks(question, weights, ""), related=tuple(lead_sentences(hits, cfg.related_max)))
    best = [context_of(h) for h in fitting[: cfg.coverage_hits]]
    # Where reports declare their places, the place check holds for these passages and the
    # rest of the question decides; where nothing is declared, the place name is content
    # like any other (内蒙古 in an encyclopedia article on it).
    asked = [x for p in question.places if p.doc_ids for x in (p.written, p.canonical)]
    declared = any(h.record.regions or places.section_places(h.chunk.doc_id, h.chunk.section) for h in fitting)
    union, single = top_coverage(best, weights.without(asked) if asked and declared else weights)
    if union < cfg.min_coverage or single < cfg.min_passage_coverage:
        others = [h for h in hits if h not in fitting] if len(fitting) < len(hits) else list(hits)
        return Verdict(
            lacks(question, weights, "\n".join(best)),
            related=tuple(lead_sentences(others, cfg.related_max)),
            coverage=(union, single),
        )
    return Verdict("", tuple(fitting), coverage=(union, single))


def lacks(question: Question, weights: TermWeights, context: str) -> str:
    """What the reports lack, said for the asked place and year specifically."""
    place = "、".join(p.written for p in question.places if p.doc_ids)
    years = "、".join(f"{y}年" for y in question.years)
    if question.attribute and (place or years):
        return f"报告中没有{place}{years}{question.attribute}的内容"
    missing = [t for t in weights.weights if t not in context]
    shown = "、".join(sorted(missing, key=lambda t: -weights.weights[t])[:3])
    if place or years:
        what = f"关于“{shown}”的" if shown else "直接回答的"
        return f"报告中没有{place}{years}{what}内容"
    return f"报告中没有找到关于“{shown}”的内容" if shown else "报告中没有找到直接回答"
