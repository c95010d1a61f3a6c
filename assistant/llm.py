"""The LLM answerer: numbered, fenced sources → an OpenAI-compatible chat model → cited answer.

Same interface as the extractive answerer, and it leans on it at every uncertain step:

- **Sources** are the search hits, whole, best-ranked first, packed to
  `llm.max_context_tokens` (tiktoken, `chunking.encoding`), numbered and fenced so report
  text is data, never instructions (`assistant.prompts`).
- **Markers** `[n]` are parsed back (also `[1,2]`, `[1-3]`, `[1][2]`, full-width `［1］`,
  `【1】`), bounds-checked against the sources sent, and invented numbers dropped
  (counted in `debug["dropped_markers"]`).
- **Citations**: the text before each marker (its claim) is matched to the sentence of
  the cited source that supports it best (term overlap with idf weights, character
  bigrams, dense similarity). Each distinct supporting sentence becomes one `Citation`
  with the verbatim quote and its span in the cleaned report; the markers are renumbered
  densely in order of first use, so a source backing two claims with two different
  sentences yields two citations.
- **Cannot answer**: when the answer opens with "无法回答" (the prompt's
  `CANNOT_ANSWER` phrase or a paraphrase) or says so and cites nothing, the result is
  `grounded=False`, the marker-free text, and as `related` the passages it cited, or
  else the lead sentences of the top hits.
- **No valid markers** in an answer that does not decline: nothing in it can be checked,
  so it is not shown; the extractive answer is returned with a note saying why.
- **Endpoint failure** (connection, HTTP error, timeout, malformed reply), before or
  during a stream: the extractive answer with a visible note (`NOTE_UNAVAILABLE`).
- **Bounds**: one deadline per question (`llm.timeout`, `begin`) covers the follow-up
  rewrite, the answer (streamed or not) and every retry, however the endpoint behaves
  (`assistant.llm_client`); at the deadline the answer is what is grounded so far, or the
  extractive answer, with a note. A reply is cut at `AnswerConfig.max_reply_chars` (and
  on the wire at `MAX_REPLY_BYTES`) and parsed in linear time.
- **Unsupported claims**: a cited sentence whose best source sentence shares too little
  with it (`min_claim_support`), fails the place/year check of `assistant.grounding`, or has
  a clause its cited sources do not hold (`assistant.claims`: numbers, names, content words)
  is dropped; so is a sentence that cites nothing. The note of a grounded answer says how
  many were left out (and repeats those saying what the sources lack); when nothing
  supported remains the extractive answer is given with a note.
- **Instructions inside reports** (`assistant.injection`) are marked in the prompt and
  support no claim.

`mode="llm"` exactly when the model's text is what the user sees. The API key is only
handed to the client as a `SecretStr`; it is scrubbed from logged error messages, and
credentials in the endpoint URL (`http://user:pass@host`) are redacted wherever it is logged.
"""

from __future__ import annotations

import copy
import dataclasses
import logging
import re
import time
from collections.abc import Iterator, Sequence
from typing import Protocol

import openai
from langchain_core.messages import BaseMessage, HumanMessage, SystemMessage
from langchain_openai import ChatOpenAI

from assistant.answer_types import Answer, AnswerBlock, Turn
from assistant.grounding import AnswerConfig, cite, declined, lead_sentences
from assistant.llm_client import Deadline, DeadlineExceeded, LLMClient
from assistant.llm_grounding import Grounded, Grounder, GroundingParts
from assistant.llm_reply import (
    CLAIM_END,
    DECLINE,
    OPEN_MARKER_TAIL,
    claim_spans,
    claims_of,
    clean_reply,
    comparison_rows,
    declines,
    parse_markers,
    preview,
    strip_markers,
)
from assistant.prompts import (
    CANNOT_ANSWER,
    PackedSource,
    Prompts,
    history_block,
    load_prompts,
    pack_sources,
    sources_block,
)
from assistant.question import Question
from index.chunking import token_counter
from index.errors import ReformQAError
from index.settings import Settings
from index.types import Hit

__all__ = [  # the reply's parsing and grounding live in their own modules; named here for callers
    "GroundingParts",
    "LLMAnswerer",
    "LLMError",
    "claim_spans",
    "claims_of",
    "parse_markers",
    "preview",
    "redact",
    "strip_markers",
]

log = logging.getLogger(__name__)

NOTE_UNAVAILABLE = "大模型服务不可用（{reason}），以下为抽取式答案。"
NOTE_UNCITED = "大模型的回答没有标注可核对的来源，以下为抽取式答案。"
NOTE_UNSUPPORTED = "大模型回答中的说法在所引来源中找不到依据，以下为抽取式答案。"
NOTE_LEFT_OUT = "大模型回答中有 {n} 句没有标注来源或所引来源不支持，已略去。"
NOTE_DEADLINE = "大模型在 {seconds:.0f} 秒内没有答完，以下为截至此时已核对的部分。"
NOTE_DEADLINE_FALLBACK = "大模型在 {seconds:.0f} 秒内没有答完（请求超时），以下为抽取式答案。"

_REWRITE_PREFIX = re.compile(r"^(改写后的问题|改写后|完整问题|问题)\s*[:：]\s*")
_URL_CREDENTIALS = re.compile(r"(?<=://)[^/@\s]+@")


class LLMError(ReformQAError):
    """The LLM endpoint failed or replied with something unusable."""


def redact(text: str) -> str:
    """`http://user:pass@host/v1` → `http://***@host/v1`, anywhere in `text`."""
    return _URL_CREDENTIALS.sub("***@", text)


class _RedactURLs(logging.Filter):
    """Redacts credentials in URLs of the HTTP clients' own log lines (httpx logs every
    request URL at INFO, with `user:pass@` if the base URL has it)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = redact(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(redact(str(a)) if "@" in str(a) and "://" in str(a) else a for a in record.args)
        return True


_CLIENT_LOGGERS = ("httpx", "httpx2", "httpcore", "openai", "langchain_openai")


def _redact_client_logs() -> None:
    for name in _CLIENT_LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(f, _RedactURLs) for f in logger.filters):
            logger.addFilter(_RedactURLs())


class Fallback(Protocol):
    """The answerer that answers whenever the model cannot (the extractive one)."""

    def answer(self, question: Question, hits: Sequence[Hit]) -> Answer: ...


# -- the answerer -----------------------------------------------------------------------------
class LLMAnswerer:
    """Answers from search hits with an OpenAI-compatible chat model (see the module docstring).

    It is composed of the pipeline's parts: `fallback` answers whenever the model fails (the
    extractive answerer of the same index), and `parts` (embedder, keyword index, places)
    check the model's citations with the shared grounding of `assistant.grounding`.
    """

    mode = "llm"

    def __init__(self, settings: Settings, fallback: Fallback, parts: GroundingParts, config: AnswerConfig) -> None:
        self.settings = settings
        self.fallback = fallback
        self.parts = parts
        self.config = config
        self.prompts: Prompts = load_prompts(settings.prompts_dir)
        self._count = token_counter(settings.chunking.encoding)
        self._client: LLMClient | None = None
        self._deadline: Deadline | None = None

    def __repr__(self) -> str:
        return f"LLMAnswerer(base_url={redact(self.settings.llm.base_url)!r}, model={self.settings.llm.model!r})"

    @property
    def client(self) -> LLMClient:
        """The endpoint's client, built on first use (shared by the per-question copies)."""
        if self._client is None:
            _redact_client_logs()
            self._client = LLMClient(self.settings.llm, self.settings.llm_api_key.get_secret_value())
        return self._client

    @property
    def chat(self) -> ChatOpenAI:
        """The LangChain model behind the client."""
        return self.client.chat

    def begin(self, started: float | None = None) -> LLMAnswerer:
        """This answerer for one question: its rewrite and its answer share one deadline,
        `llm.timeout` seconds from `started` (`time.monotonic()`; now by default), retries
        included."""
        _ = self.client  # built once, on the shared answerer, before the copy
        one = copy.copy(self)
        timeout = self.settings.llm.timeout
        one._deadline = Deadline((time.monotonic() if started is None else started) + timeout, timeout)
        return one

    def deadline(self) -> Deadline:
        """The question's deadline (`begin`), or a fresh one for a direct call."""
        return self._deadline or Deadline.after(self.settings.llm.timeout)

    # -- prompts --------------------------------------------------------------------------
    def messages(self, question: Question, sources: Sequence[PackedSource]) -> list[BaseMessage]:
        cross = question.wide
        template = self.prompts.comparison if cross else self.prompts.answer
        return [
            SystemMessage(self.prompts.system.render(cannot_answer=CANNOT_ANSWER)),
            HumanMessage(template.render(sources=sources_block(sources), question=question.text)),
        ]

    def pack(self, hits: Sequence[Hit]) -> list[PackedSource]:
        return pack_sources(hits, self.settings.llm.max_context_tokens, self._count)

    # -- answers --------------------------------------------------------------------------
    def answer(self, question: Question, hits: Sequence[Hit]) -> Answer:
        """The cited LLM answer, or the extractive one with a note when the LLM fails or
        the question's deadline passes."""
        if not hits:
            return self.fallback.answer(question, hits)
        sources, started, deadline = self.pack(hits), time.perf_counter(), self.deadline()
        try:
            reply = self.client.invoke(self.messages(question, sources), deadline)
        except DeadlineExceeded:
            return self._late(question, hits, sources, "", deadline)
        except Exception as e:  # noqa: BLE001 - any endpoint failure falls back to extractive
            return self._fallback(e, question, hits)
        return self.finish(question, hits, sources, reply, time.perf_counter() - started)

    def stream(self, question: Question, hits: Sequence[Hit]) -> Iterator[Answer]:
        """Partial answers as tokens arrive (no citations yet); the last one is final.

        The question's deadline (`llm.timeout`) bounds the whole answer, however steadily
        the endpoint trickles: then the answer is what is checked so far, or the
        extractive one, with a note.
        """
        if not hits:
            yield self.fallback.answer(question, hits)
            return
        sources, started, deadline = self.pack(hits), time.perf_counter(), self.deadline()
        raw, shown = "", ""
        pieces = self.client.stream(self.messages(question, sources), deadline)
        try:
            for piece in pieces:
                raw += piece
                if len(raw) >= self.config.max_reply_chars:
                    raw = raw[: self.config.max_reply_chars]
                    break
                text = preview(raw, len(sources))
                if text and text != shown:
                    shown = text
                    yield Answer(
                        question.text, question.text, text, True, "llm", kind=question.kind, debug={"partial": 1.0}
                    )
        except DeadlineExceeded:
            yield self._late(question, hits, sources, raw, deadline)
            return
        except Exception as e:  # noqa: BLE001 - any endpoint failure falls back to extractive
            yield self._fallback(e, question, hits)
            return
        finally:
            pieces.close()  # cancels the request when the reply was cut or the reader left
        yield self.finish(question, hits, sources, raw, time.perf_counter() - started)

    def _late(
        self, question: Question, hits: Sequence[Hit], sources: Sequence[PackedSource], raw: str, deadline: Deadline
    ) -> Answer:
        """At the deadline: what the model said so far, if any of it is grounded (the last,
        unfinished sentence left out), else the extractive answer; a note either way."""
        limit = deadline.seconds
        log.warning("LLM endpoint %s passed the %.0f s deadline; answer cut", redact(self.settings.llm.base_url), limit)
        done = clean_reply(raw)
        spans = claim_spans(done)
        if spans and not CLAIM_END.search(done[spans[-1][0] : spans[-1][1]]):
            done = done[: spans[-1][0]]
        if done.strip():
            partial = self.finish(question, hits, sources, done, limit)
            if partial.mode == "llm" and partial.grounded:
                return dataclasses.replace(partial, note=NOTE_DEADLINE.format(seconds=limit) + partial.note)
        answer = self.fallback.answer(question, hits)
        return dataclasses.replace(answer, note=NOTE_DEADLINE_FALLBACK.format(seconds=limit))

    def finish(
        self, question: Question, hits: Sequence[Hit], sources: Sequence[PackedSource], reply: str, seconds: float
    ) -> Answer:
        """Turn the model's complete reply into the final `Answer`."""
        text = clean_reply(OPEN_MARKER_TAIL.sub("", reply[: self.config.max_reply_chars]))  # a cut "[1" goes
        g = Grounder(self.parts, self.config, sources, question).ground(text)
        debug = {
            "sources": float(len(sources)),
            "context_tokens": float(sum(s.tokens for s in sources)),
            "dropped_markers": float(g.dropped),
            "unsupported_claims": float(g.unsupported),
            "uncited_sentences": float(g.uncited),
            "llm_seconds": round(seconds, 3),
        }
        if declines(text, bool(g.citations)):
            # Not grounded, so the model's own words are shown as a notice: its statements of
            # what the sources lack, and the sentences that are not unsupported claims.
            related = g.offered or tuple(cite(i, s) for i, s in enumerate(lead_sentences(hits, 3), 1))
            shown = "".join(t for t, st in g.sentences if st != "unsupported" or DECLINE.search(t)).strip()
            out = declined(question, "", [], "llm")
            return dataclasses.replace(
                out, text=shown, blocks=(AnswerBlock("notice", (shown,)),), related=related, debug=debug
            )
        if not g.citations:
            why = NOTE_UNSUPPORTED if g.unsupported else NOTE_UNCITED
            log.info("LLM reply has no supported citation (%d markers dropped); answering extractively", g.dropped)
            fallback = self.fallback.answer(question, hits)
            return dataclasses.replace(fallback, note=why, debug={**fallback.debug, **debug})
        cross = question.wide
        rows = comparison_rows(g.text) if cross else ()
        blocks = (AnswerBlock("paragraph", (g.text,)),)
        return Answer(
            question.text,
            question.text,
            g.text,
            True,
            "llm",
            g.citations,
            rows,
            blocks,
            question.kind,
            note=_left_out_note(g),
            debug=debug,
        )

    def _fallback(self, error: Exception, question: Question, hits: Sequence[Hit]) -> Answer:
        log.warning(
            "LLM endpoint %s failed (%s: %s); answering extractively",
            redact(self.settings.llm.base_url),
            type(error).__name__,
            self._scrub(str(error)),
        )
        answer = self.fallback.answer(question, hits)
        return dataclasses.replace(answer, note=NOTE_UNAVAILABLE.format(reason=_reason(error)))

    def _scrub(self, text: str) -> str:
        key = self.settings.llm_api_key.get_secret_value()
        return redact(text.replace(key, "***") if key else text)

    # -- follow-ups -----------------------------------------------------------------------
    def rewrite(self, question: str, history: Sequence[Turn]) -> str:
        """A follow-up made standalone from the last few turns; `LLMError` if that fails."""
        if not history:
            return question
        prompt = self.prompts.rewrite.render(history=history_block(history), question=question)
        url = redact(self.settings.llm.base_url)
        try:
            reply = self.client.invoke([HumanMessage(prompt)], self.deadline())
        except Exception as e:  # noqa: BLE001 - translated to the project's error type
            raise LLMError(
                f"LLM endpoint {url} could not rewrite the question ({type(e).__name__}: {self._scrub(str(e))})"
            ) from None
        lines = [ln.strip() for ln in clean_reply(reply[: self.config.max_reply_chars]).splitlines() if ln.strip()]
        out = _REWRITE_PREFIX.sub("", lines[0]).strip(" \"'“”「」") if lines else ""
        if not out or len(out) > self.settings.search.max_query_chars:
            raise LLMError(f"LLM endpoint {url} returned no usable rewrite")
        return out


def _left_out_note(g: Grounded) -> str:
    """What the grounded answer left out of the model's reply, shown beside it."""
    parts = g.asides()
    left = g.unsupported + g.uncited - len(parts)
    if left:
        parts.append(NOTE_LEFT_OUT.format(n=left))
    return "".join(parts)


def _reason(error: Exception) -> str:
    if isinstance(error, openai.APITimeoutError):
        return "请求超时"
    if isinstance(error, openai.APIStatusError):
        return f"HTTP {error.status_code}"
    if isinstance(error, openai.APIConnectionError):
        return "无法连接"
    return type(error).__name__
