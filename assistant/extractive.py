"""The extractive answerer: the default, offline, and good on its own.

One question's path: the `Verdict` (assistant.verdict) decides whether the retrieved
passages answer; the candidate sentences that pass the place and year check are scored
(assistant.scoring); the answer is shaped like the question (`Question.kind`):
- fact, number, definition, effect, yes/no (assistant.shape_plain): the sentence that
  answers, or the whole run of consecutive sentences of a provision;
- list and measures, summary (assistant.shape_list): the items of the section that answers,
  one cited bullet each; a summary one bullet per sub-heading;
- comparison (assistant.shape_compare): one block per place, topic sentences only;
- a field of the document itself (文号, signature date, issuing bodies;
  assistant.shape_docfield): the lines that state it.
When none about the asked place answers, it says so for that place and shows the rest as
related, never as citations.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from assistant.answer_types import Answer
from assistant.candidates import Sentence, is_junk, sentences_of
from assistant.citing import declined
from assistant.evidence import ChunksOf, Evidence
from assistant.placecheck import PlaceIndex, RegionPlaces, fits
from assistant.question import Question
from assistant.shape_compare import comparison
from assistant.shape_docfield import doc_field_answer
from assistant.shape_list import listing, summary
from assistant.shape_plain import plain
from assistant.terms import TermWeights
from assistant.verdict import Verdict, judge
from index.embedders import Embedder
from index.keyword import KeywordIndex
from index.settings import AnswerConfig
from index.types import Hit

__all__ = ["ChunksOf", "Evidence", "ExtractiveAnswerer"]


class ExtractiveAnswerer:
    """Builds a cited `Answer` from search hits, or declines."""

    mode = "extractive"

    def __init__(
        self,
        embedder: Embedder,
        keyword: KeywordIndex,
        config: AnswerConfig | None = None,
        *,
        places: PlaceIndex | None = None,
        chunks_of: ChunksOf | None = None,
    ) -> None:
        self.evidence = Evidence(embedder, keyword, places or RegionPlaces([]), config or AnswerConfig(), chunks_of)

    # The parts of the evidence other answerers read (the LLM answerer's claim check).
    @property
    def embedder(self) -> Embedder:
        return self.evidence.embedder

    @property
    def keyword(self) -> KeywordIndex:
        return self.evidence.keyword

    @property
    def config(self) -> AnswerConfig:
        return self.evidence.config

    @property
    def places(self) -> PlaceIndex:
        return self.evidence.places

    def candidates(self, question: Question, hits: Sequence[Hit]) -> tuple[Verdict, list[Sentence], TermWeights]:
        """The verdict on the hits and, when they answer, the candidate sentences that pass the
        place and year check (what the scorer ranks; bench/fit_sentence_model.py fits on them)."""
        ev = self.evidence
        weights = TermWeights(question, ev.keyword, ev.config)
        verdict = judge(question, hits, weights, ev.places, ev.config)
        if verdict.why:
            return verdict, [], weights
        sentences = [s for s in sentences_of(verdict.hits) if fits(s, question, ev.places) and not is_junk(s)]
        return verdict, sentences, weights

    def answer(self, question: Question, hits: Sequence[Hit]) -> Answer:
        ev = self.evidence
        field = doc_field_answer(ev, question, hits)  # 文号, signature date, issuing bodies
        if field is not None:
            return field
        verdict, sentences, weights = self.candidates(question, hits)
        if verdict.why:
            return declined(question, verdict.why, verdict.related, places=ev.places, heading=verdict.related_heading)
        scored = ev.scorer.score(question, sentences, weights)
        debug = dict(zip(("coverage", "passage_coverage"), verdict.coverage, strict=True))
        several = len({s.sentence.hit.chunk.doc_id for s in scored[: 2 * ev.config.max_sentences]}) > 1
        if question.compares and (several or len([p for p in question.places if p.doc_ids]) > 1):
            out = comparison(ev, question, hits, weights)
            if out is not None:
                return _with_debug(out, debug)
        shaped: Answer | None = None
        if question.kind in ("list", "measures"):
            shaped = listing(ev, question, scored, weights)
        elif question.kind == "summary":
            shaped = summary(ev, question, verdict.hits, scored, weights)
        return _with_debug(shaped or plain(ev, question, scored, weights), debug)

    def stream(self, question: Question, hits: Sequence[Hit]) -> list[Answer]:
        """Streaming has nothing to stream here: the final answer at once."""
        return [self.answer(question, hits)]


def _with_debug(answer: Answer, debug: dict[str, float]) -> Answer:
    return replace(answer, debug={**answer.debug, **debug})
