"""The answer chain: resolve the question → retrieve → answer, as a LangChain runnable.

Both modes run the same chain; only the answerer step differs (extractive, or an LLM
behind an OpenAI-compatible endpoint, which falls back to extractive on any failure).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any

from langchain_core.runnables import Runnable, RunnableLambda, RunnablePassthrough

from assistant.answer_types import Answer, Turn
from assistant.conversation import resolve
from assistant.extractive import ExtractiveAnswerer
from assistant.retriever import ReformRetriever, document_to_hit
from index.errors import QueryError
from index.search import SearchFilter, is_cross_report
from index.types import Hit

if TYPE_CHECKING:
    from assistant.facade import Assistant
    from assistant.llm import LLMAnswerer

_RETRIEVE_K = 6
_CROSS_K = 10


class AnswerEngine:
    """Owns the answerers and builds the chain for each question."""

    def __init__(self, assistant: Assistant) -> None:
        self.assistant = assistant
        self._llm: LLMAnswerer | None = None

    @property
    def extractive(self) -> ExtractiveAnswerer:
        keyword = self.assistant.searcher.store.keyword().index
        return ExtractiveAnswerer(self.assistant.embedder, keyword)

    @property
    def llm_configured(self) -> bool:
        cfg = self.assistant.settings.llm
        return bool(cfg.base_url and cfg.model)

    def llm(self) -> LLMAnswerer:
        if self._llm is None:
            from assistant.llm import LLMAnswerer

            self._llm = LLMAnswerer(self.assistant.settings)
        return self._llm

    def known_places(self) -> list[str]:
        return sorted({r for d in self.assistant.docs() for r in d.meta.regions})

    # -- the chain ------------------------------------------------------------------------
    def resolve_question(self, question: str, history: Sequence[Turn], use_llm: bool) -> str:
        if use_llm and history:
            try:
                return self.llm().rewrite(question, history)
            except Exception:  # noqa: BLE001 - the rule-based resolver is the fallback
                pass
        return resolve(question, history, self.known_places())

    def chain(self, history: Sequence[Turn], use_llm: bool, flt: SearchFilter | None) -> Runnable[Any, Any]:
        def retriever_for(x: dict[str, Any]) -> list[Hit]:
            cross = is_cross_report(x["resolved"])
            r = ReformRetriever(assistant=self.assistant, k=_CROSS_K if cross else _RETRIEVE_K, search_filter=flt)
            return [document_to_hit(d) for d in r.invoke(x["resolved"])]

        def answer(x: dict[str, Any]) -> Answer:
            if use_llm:
                return self.llm().answer(x["question"], x["resolved"], x["hits"], self.extractive)
            return self.extractive.answer(x["question"], x["resolved"], x["hits"])

        return (
            RunnablePassthrough.assign(
                resolved=RunnableLambda(lambda x: self.resolve_question(x["question"], history, use_llm))
            )
            | RunnablePassthrough.assign(hits=RunnableLambda(retriever_for))
            | RunnableLambda(answer)
        )

    def _use_llm(self, use_llm: bool | None) -> bool:
        if use_llm is None:
            return self.llm_configured
        if use_llm and not self.llm_configured:
            raise QueryError(
                "no LLM endpoint is configured: set REFORMQA_LLM__BASE_URL and REFORMQA_LLM__MODEL "
                "(any OpenAI-compatible server: vLLM, Ollama, llama.cpp), or ask without --llm"
            )
        return use_llm

    def _check(self, question: str) -> str:
        q = self.assistant.searcher.check_query(question)
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
        q = self._check(question)
        result: Answer = self.chain(history, self._use_llm(use_llm), flt).invoke({"question": q})
        return result

    def ask_stream(
        self,
        question: str,
        history: Sequence[Turn] = (),
        *,
        use_llm: bool | None = None,
        flt: SearchFilter | None = None,
    ) -> Iterator[Answer]:
        q = self._check(question)
        llm = self._use_llm(use_llm)
        if not llm:
            yield self.ask(q, history, use_llm=False, flt=flt)
            return
        prep = RunnablePassthrough.assign(
            resolved=RunnableLambda(lambda x: self.resolve_question(x["question"], history, True))
        ) | RunnablePassthrough.assign(
            hits=RunnableLambda(
                lambda x: self.assistant.search(
                    x["resolved"], _CROSS_K if is_cross_report(x["resolved"]) else _RETRIEVE_K, flt
                )
            )
        )
        x = prep.invoke({"question": q})
        yield from self.llm().stream(x["question"], x["resolved"], x["hits"], self.extractive)
