"""The answering engine: resolve the question → analyze it once → retrieve → answer.

It takes narrow dependencies (a retrieve function, the keyword index, the embedder, the
report list and chunks, settings), never the `Assistant` facade, and chooses the answerer
once per index generation, the way txtai's `RAG.load` picks extractive `Questions` or an
`LLM`: the LLM answerer when an endpoint is configured (it falls back to the extractive one
on any failure), else the extractive one. Streamed and final answers share one retrieval path.
"""

from __future__ import annotations

import dataclasses
import re
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Protocol

from assistant.answer_types import Answer, Turn
from assistant.conversation import places_in, resolve, short_place
from assistant.extractive import ChunksOf, ExtractiveAnswerer
from assistant.grounding import AnswerConfig, PlaceIndex, RegionPlaces
from assistant.question import Place, Question, QuestionKind
from index.embedding import Embedder
from index.errors import QueryError
from index.keyword import KeywordIndex, is_dictionary_word, tokenize
from index.search import SearchFilter, is_cross_report
from index.settings import Settings
from index.statedb import DocRow
from index.textnorm import normalize
from index.types import Hit

_RETRIEVE_K = 6
_CROSS_K = 10


class Answerer(Protocol):
    """What the engine asks of an answerer (extractive or LLM): a final answer, or partial
    answers as they are produced (the last one is final)."""

    mode: str

    def answer(self, question: Question, hits: Sequence[Hit]) -> Answer: ...

    def stream(self, question: Question, hits: Sequence[Hit]) -> Iterable[Answer]: ...


Retrieve = Callable[[Question, int, SearchFilter | None], list[Hit]]
"""Search hits for an analyzed question (place-aware where the retriever knows how)."""


@dataclass(frozen=True)
class _Generation:
    """Per-index structures, built once per keyword-index generation."""

    keyword: KeywordIndex
    places: PlaceIndex
    extractive: ExtractiveAnswerer
    llm: Answerer | None
    known_places: tuple[str, ...]


class AnswerEngine:
    """Answers questions over the live index (see the module docstring)."""

    def __init__(
        self,
        *,
        settings: Settings,
        retrieve: Retrieve,
        keyword: Callable[[], KeywordIndex],
        embedder: Callable[[], Embedder],
        docs: Callable[[], Sequence[DocRow]],
        chunks_of: ChunksOf,
        check_query: Callable[[str], str] = str.strip,
        config: AnswerConfig | None = None,
    ) -> None:
        self.settings = settings
        self.retrieve = retrieve
        self._keyword = keyword
        self._embedder = embedder
        self._docs = docs
        self._chunks_of = chunks_of
        self._check_query = check_query
        self.config = config or AnswerConfig()
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
                places = RegionPlaces(docs)
                extractive = ExtractiveAnswerer(
                    self._embedder(), kw, self.config, places=places, chunks_of=self._chunks_of
                )
                llm: Answerer | None = None
                if self.llm_configured:
                    from assistant.llm import LLMAnswerer

                    llm = LLMAnswerer(self.settings, extractive, self.config)
                known = tuple(sorted({r for d in docs for r in d.meta.regions}))
                self._gen = _Generation(kw, places, extractive, llm, known)
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

    # -- the steps ------------------------------------------------------------------------
    def resolve_question(self, question: str, history: Sequence[Turn], answerer: Answerer) -> str:
        rewrite = getattr(answerer, "rewrite", None)
        if rewrite is not None and history:
            try:
                return str(rewrite(question, history))
            except Exception:  # noqa: BLE001 - the rule-based resolver is the fallback
                pass
        return resolve(question, history, self.generation().known_places)

    def analyze(self, text: str) -> Question:
        return basic_question(text, self.generation())

    def prepare(
        self, question: str, history: Sequence[Turn], use_llm: bool | None, flt: SearchFilter | None
    ) -> tuple[Answerer, Question, list[Hit]]:
        """The one retrieval path of streamed and final answers."""
        q = self._check(question)
        answerer = self.answerer(use_llm)
        resolved = self.resolve_question(q, history, answerer)
        analyzed = self.analyze(resolved)
        k = _CROSS_K if analyzed.kind == "comparison" or is_cross_report(resolved) else _RETRIEVE_K
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


# -- question analysis (a stand-in until assistant.question.analyze is available) ---------------
_REQUEST = re.compile(r"(简要|简单|大致|大概|请|麻烦)?(总结|概括|归纳|介绍|说说|说一说|讲讲)(一下)?")
_ACROSS_FORM = re.compile(r"(分别|对比|比较|异同|各自|有何不同|有什么不同)")
_SUMMARY = re.compile(r"(总结|概括|归纳|概述|综述)")
_LIST = re.compile(r"(哪[一二两三四五六七八九十几]+[个项条种类件方点部]|包括哪些|有哪些方面|分为哪)")
_DEFINE = re.compile(r"(是指|什么意思|是什么意思|指什么|是啥|含义|什么是|是什么模式|模式是)")
_NUMBER = re.compile(r"(多少|几[个项人家种张年]|比例|数量|多大|增速|规模)")
_MEASURES = re.compile(r"(怎么|如何|哪些做法|举措|措施|做法|怎样)")
_EFFECT = re.compile(r"(效果|成效|成果)")
_YEAR_Q = re.compile(r"(?<!\d)((?:19|20)\d{2})(?!\d)")
_COUNT = re.compile(r"哪([两二三四五六七八九十])")
_CN = {"两": 2, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9, "十": 10}


def basic_question(text: str, gen: _Generation) -> Question:
    norm = normalize(text)
    places = []
    for written in places_in(text, gen.known_places):
        canon = short_place(normalize(written))
        docs = gen.places.docs_about(canon) if isinstance(gen.places, RegionPlaces) else ()
        places.append(Place(written, canon, docs))
    kind: QuestionKind = "fact"
    several = len([p for p in places if p.doc_ids]) >= 2
    if _SUMMARY.search(norm):
        kind = "summary"
    elif _LIST.search(norm) and not several and not re.search(r"哪些(地方|地区|城市|省|市|园区|开发区|高新区)", norm):
        kind = "list"
    elif is_cross_report(norm) or (several and re.search(r"(分别|不同|比较|各自)", norm)):
        kind = "comparison"
    elif _DEFINE.search(norm):
        kind = "definition"
    elif _NUMBER.search(norm):
        kind = "number"
    elif _EFFECT.search(norm):
        kind = "effect"
    elif _MEASURES.search(norm):
        kind = "measures"
    count = _CN.get(m.group(1)) if (m := _COUNT.search(norm)) else None
    years = tuple(int(y) for y in _YEAR_Q.findall(norm))
    quoted = tuple(re.findall(r"[“\"]([^”\"]{1,20})[”\"]", norm))
    # The words that make it a request (请简要总结一下) or a comparison (分别, 比较) are its form.
    request = "".join(m.group() for m in (*_REQUEST.finditer(norm), *_ACROSS_FORM.finditer(norm)))
    filler = tuple(t for t in tokenize(norm) if _is_form_word(t, gen.keyword) or (len(t) > 1 and t in request))
    return Question(
        text=text,
        norm=norm,
        kind=kind,
        places=tuple(places),
        terms=quoted,
        quoted=quoted,
        years=years,
        filler=filler,
        count=count,
    )


def _is_form_word(token: str, keyword: KeywordIndex) -> bool:
    """Stand-in rule: a general-Chinese function word (adverb, pronoun, numeral, particle…)
    the reports never use (一下, 一共, 呀) is the question's form; nouns and verbs are content
    even when absent (火星, 退税 must still make a question unanswerable)."""
    if len(token) < 2 or keyword.doc_freq(token) or not is_dictionary_word(token):
        return False
    import jieba.posseg

    flags = {w.flag for w in jieba.posseg.cut(token)}
    return bool(flags) and all(f[:1] in "drmuyeocpq" for f in flags)
