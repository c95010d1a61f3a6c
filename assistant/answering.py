"""The answering engine: resolve the question → analyze it once → retrieve → answer.

It takes narrow dependencies (a retrieve function, the keyword index, the embedder, the
report list and chunks, settings), never the `Assistant` facade, and chooses the answerer
once per index generation, the way txtai's `RAG.load` picks extractive `Questions` or an
`LLM`: the LLM answerer when an endpoint is configured (it falls back to the extractive one
on any failure), else the extractive one. Streamed and final answers share one retrieval path.
"""

from __future__ import annotations

import dataclasses
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from assistant.answer_types import Answer, Turn
from assistant.conversation import resolve
from assistant.extractive import ChunksOf, ExtractiveAnswerer
from assistant.places import Gazetteer, canonical_place, held_regions
from assistant.question import Question, analyze
from assistant.retriever import Search, retrieve
from assistant.terms import TermWeights
from assistant.verdict import topic_share
from index.embedders import Embedder
from index.errors import QueryError
from index.keyword import KeywordIndex
from index.search import SearchFilter
from index.settings import AnswerConfig, Settings
from index.statedb import DocRow
from index.types import Hit


class Answerer(Protocol):
    """What the engine asks of an answerer (extractive or LLM): a final answer, or partial
    answers as they are produced (the last one is final)."""

    mode: str

    def answer(self, question: Question, hits: Sequence[Hit]) -> Answer: ...

    def stream(self, question: Question, hits: Sequence[Hit]) -> Iterable[Answer]: ...


@runtime_checkable
class PerQuestion(Protocol):
    """An answerer with state for one question (the LLM's deadline, shared by its rewrite
    and its answer): `begin` gives that question's copy, its clock started at `started`
    (`time.monotonic()` when the question arrived)."""

    def begin(self, started: float) -> Answerer: ...


@dataclass(frozen=True)
class _Generation:
    """Per-index structures, built once per keyword-index generation."""

    keyword: KeywordIndex
    gazetteer: Gazetteer
    extractive: ExtractiveAnswerer
    llm: Answerer | None
    declared: frozenset[str]
    """Places the reports' region metadata names (canonical): where retrieval narrows by place."""


class AnswerEngine:
    """Answers questions over the live index (see the module docstring)."""

    def __init__(
        self,
        *,
        settings: Settings,
        search: Search,
        keyword: Callable[[], KeywordIndex],
        embedder: Callable[[], Embedder],
        docs: Callable[[], Sequence[DocRow]],
        chunks_of: ChunksOf,
        check_query: Callable[[str], str] = str.strip,
        config: AnswerConfig | None = None,
    ) -> None:
        self.settings = settings
        self.search = search
        self._keyword = keyword
        self._embedder = embedder
        self._docs = docs
        self._chunks_of = chunks_of
        self._check_query = check_query
        self.config = config or settings.answer
        self._gen: _Generation | None = None
        self._lock = threading.Lock()

    @property
    def llm_configured(self) -> bool:
        cfg = self.settings.llm
        return bool(cfg.base_url and cfg.model)

    def generation(self) -> _Generation:
        """The answerers and place index of the live index (rebuilt when it changes)."""
        kw = self._keyword()
        with self._lock:
            if self._gen is None or self._gen.keyword is not kw:
                docs = list(self._docs())
                chunks = [r for d in docs for r in self._chunks_of(d.doc_id)]
                gaz = Gazetteer.build(docs, chunks, vocabulary=kw)
                embedder = self._embedder()
                extractive = ExtractiveAnswerer(embedder, kw, self.config, places=gaz, chunks_of=self._chunks_of)
                llm: Answerer | None = None
                if self.llm_configured:
                    from assistant.llm import GroundingParts, LLMAnswerer

                    parts = GroundingParts(embedder, kw, gaz)  # the LLM answerer is built from parts
                    llm = LLMAnswerer(self.settings, extractive, parts, self.config)
                declared = frozenset(canonical_place(r) for d in docs for r in held_regions(d.meta))
                self._gen = _Generation(kw, gaz, extractive, llm, declared)
            return self._gen

    def answerer(self, use_llm: bool | None) -> Answerer:
        gen = self.generation()
        if use_llm is None:
            return gen.llm or gen.extractive
        if use_llm and gen.llm is None:
            raise QueryError(
                "no LLM endpoint is configured: set REFORMQA_LLM__BASE_URL and REFORMQA_LLM__MODEL "
                "(any OpenAI-compatible server: vLLM, Ollama, llama.cpp), or ask without --llm"
            )
        return gen.llm if use_llm and gen.llm is not None else gen.extractive

    def section_places(self, doc_id: str, section: Sequence[str]) -> tuple[str, ...]:
        """The places a passage of the report speaks for, as the report's metadata spells
        them: its section's place (003's 衡阳 half: 湖南省, 衡阳市), none for a national
        overview, else the report's regions or its byline's place (for the search filter)."""
        gen = self.generation()
        regions = next((d.meta.regions for d in self._docs() if d.doc_id == doc_id), ())
        return gen.gazetteer.section_regions(doc_id, tuple(section), regions)

    def on_topic(self, answer: Answer) -> bool:
        """Whether an answer's citations speak to what it was asked (a suggested question is
        offered only then): one of them states at least `min_sentence_topic` of the topic."""
        if not answer.grounded or not answer.citations:
            return False
        question = self.analyze(answer.resolved_question)
        weights = TermWeights(question, self.generation().keyword, self.config)
        shares = [topic_share(question, weights, c.section.split(" › ")[-1], c.quote) for c in answer.citations]
        return max(shares) >= self.config.min_sentence_topic

    # -- the steps ------------------------------------------------------------------------
    def resolve_question(self, question: str, history: Sequence[Turn], answerer: Answerer) -> str:
        rewrite = getattr(answerer, "rewrite", None)
        if rewrite is not None and history:
            try:
                return str(rewrite(question, history))
            except Exception:  # noqa: BLE001 - the rule-based resolver is the fallback
                pass
        return resolve(question, history, self.generation().gazetteer)

    def analyze(self, text: str) -> Question:
        """The question analyzed once: retrieval and the answerer both read it."""
        return analyze(text, self.generation().gazetteer)

    def retrieve(self, question: Question, k: int, flt: SearchFilter | None) -> list[Hit]:
        """Place-aware hits (a place's own evidence, every place of a comparison) for places
        that reports declare in their region metadata; the plain search otherwise. An
        encyclopedia's articles name places in titles they are not about (广东 in 广东广播电视台
        珠江频道): narrowing to "the reports about 广东" there loses the answer."""
        gen = self.generation()
        if any(p.canonical in gen.declared for p in question.places if p.doc_ids):
            return retrieve(question, self.search, k, flt, gen.gazetteer)
        return self.search(question.query, k, flt, diverse=question.wide)

    def prepare(
        self, question: str, history: Sequence[Turn], use_llm: bool | None, flt: SearchFilter | None
    ) -> tuple[Answerer, Question, list[Hit]]:
        """The one retrieval path of streamed and final answers."""
        started = time.monotonic()  # the question's time includes opening the index on first use
        q = self._check(question)
        answerer = self.answerer(use_llm)
        if isinstance(answerer, PerQuestion):
            answerer = answerer.begin(started)
        resolved = self.resolve_question(q, history, answerer)
        analyzed = self.analyze(resolved)
        k = self.config.cross_evidence_k if analyzed.wide else self.config.evidence_k
        return answerer, analyzed, self.retrieve(analyzed, k, flt)

    def _check(self, question: str) -> str:
        q = self._check_query(question)
        if not any(ch.isalnum() for ch in q):
            raise QueryError("the question has no words in it (only punctuation or symbols): ask in words")
        return q

    def ask(
        self,
        question: str,
        history: Sequence[Turn] = (),
        *,
        use_llm: bool | None = None,
        flt: SearchFilter | None = None,
    ) -> Answer:
        answerer, analyzed, hits = self.prepare(question, history, use_llm, flt)
        return _as_asked(answerer.answer(analyzed, hits), question, analyzed)

    def ask_stream(
        self,
        question: str,
        history: Sequence[Turn] = (),
        *,
        use_llm: bool | None = None,
        flt: SearchFilter | None = None,
    ) -> Iterator[Answer]:
        answerer, analyzed, hits = self.prepare(question, history, use_llm, flt)
        for partial in answerer.stream(analyzed, hits):
            yield _as_asked(partial, question, analyzed)


def _as_asked(answer: Answer, question: str, analyzed: Question) -> Answer:
    return dataclasses.replace(answer, question=question.strip(), resolved_question=analyzed.text)
