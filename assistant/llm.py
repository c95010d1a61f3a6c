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
- **Bounds**: a reply is cut at `AnswerConfig.max_reply_chars` and parsed in linear time;
  a stream ends at `AnswerConfig.stream_deadline` seconds in total, however steadily it
  trickles, with what is grounded so far (or the extractive answer) and a note.
- **Unsupported claims**: a cited sentence whose source sentence shares too little with it
  (`min_claim_support`), or fails the place/year check of `assistant.grounding`, is dropped;
  when nothing supported remains the extractive answer is given with a note.

`mode="llm"` exactly when the model's text is what the user sees. The API key is only
handed to the client as a `SecretStr`; it is scrubbed from logged error messages, and
credentials in the endpoint URL (`http://user:pass@host`) are redacted wherever it is logged.
"""

from __future__ import annotations

import dataclasses
import logging
import queue
import re
import threading
import time
import unicodedata
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np
import openai
from langchain_core.messages import BaseMessage, HumanMessage, SystemMessage
from langchain_openai import ChatOpenAI
from pydantic import SecretStr

from assistant.answer_types import Answer, AnswerBlock, Citation, ComparisonRow, Turn
from assistant.extractive import ExtractiveAnswerer
from assistant.grammar import asks_across
from assistant.grounding import (
    AnswerConfig,
    PlaceIndex,
    Sentence,
    TermWeights,
    cite,
    declined,
    fits,
    lead_sentences,
    sentences_of,
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
from index.textnorm import char_bigrams, normalize
from index.types import Hit

log = logging.getLogger(__name__)

NOTE_UNAVAILABLE = "大模型服务不可用（{reason}），以下为抽取式答案。"
NOTE_UNCITED = "大模型的回答没有标注可核对的来源，以下为抽取式答案。"
NOTE_UNSUPPORTED = "大模型回答中的说法在所引来源中找不到依据，以下为抽取式答案。"
NOTE_DEADLINE = "大模型在 {seconds:.0f} 秒内没有答完，以下为截至此时已核对的部分。"
NOTE_DEADLINE_FALLBACK = "大模型在 {seconds:.0f} 秒内没有答完，以下为抽取式答案。"

_NUM = r"[0-9０-９]{1,3}"
_MARKER = re.compile(rf"[\[［【]\s*(?:来源\s*)?({_NUM}(?:\s*(?:[,，、;；]|[-–—~～])\s*(?:来源\s*)?{_NUM})*)\s*[\]］】]")
_MARKER_RUN = re.compile(rf"(?:{_MARKER.pattern}\s*)*{_MARKER.pattern}")
_CLAIM_END = re.compile(r"[。！？!?；;]+[”’」』）)]*|\n")
_THINK = re.compile(r"<think>.*?(?:</think>|\Z)", re.S)
_OPEN_MARKER_TAIL = re.compile(r"[\[［【][^\]］】\n]{0,12}\Z")
_DECLINE = re.compile(r"(无法|不能|未能|没法)(根据|依据|从)?[^。！？\n]{0,10}回答")
_ROW = re.compile(r"^\s*(?:[-*•·]|\d+[.、．])\s*\**([^：:\n*]{1,24}?)\**\s*[：:]\s*(.+?)\s*$", re.M)
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


# -- markers and claims -----------------------------------------------------------------------
@dataclass(frozen=True)
class MarkerRun:
    """Adjacent citation markers (`[1][2]`, `[1,2]`), as one group: text[start:end]."""

    start: int
    end: int
    numbers: tuple[int, ...]
    """As written, in order, without repeats (not yet bounds-checked)."""


def _numbers(inner: str) -> list[int]:
    out: list[int] = []
    for part in re.split(r"[,，、;；]", unicodedata.normalize("NFKC", inner).replace("来源", "")):
        ends = [int(x) for x in re.findall(r"\d+", part)]
        if len(ends) == 2 and 0 < ends[1] - ends[0] < 20:
            out.extend(range(ends[0], ends[1] + 1))
        else:
            out.extend(ends)
    return out


def parse_markers(text: str) -> list[MarkerRun]:
    """Every run of citation markers in `text`, in order (one pass: linear in `text`)."""
    runs = []
    for m in _MARKER_RUN.finditer(text):
        nums: dict[int, None] = {}
        for inner in _MARKER.findall(m.group()):
            nums.update(dict.fromkeys(_numbers(inner)))
        runs.append(MarkerRun(m.start(), m.end(), tuple(nums)))
    return runs


def strip_markers(text: str) -> str:
    return _MARKER_RUN.sub("", text)


def claim_spans(text: str) -> list[tuple[int, int]]:
    """Sentences of an answer; markers right after a sentence end belong to that sentence."""
    spans: list[tuple[int, int]] = []
    start = pos = 0
    while (m := _CLAIM_END.search(text, pos)) is not None:
        end = m.end()
        if (after := _MARKER_RUN.match(text, end)) is not None:
            end = after.end()
        if text[start:end].strip():
            spans.append((start, end))
        start = pos = end
    if text[start:].strip():
        spans.append((start, len(text)))
    return spans


def claims_of(text: str, runs: Sequence[MarkerRun], spans: Sequence[tuple[int, int]] | None = None) -> list[str]:
    """For each marker run, the words it stands behind: the text since the previous run
    in its sentence, or the whole sentence when that is too short (`A[1][2]`, `A。[1]`).

    Runs and spans are both in text order, so one walk pairs them; each sentence's
    marker-free text is computed once: linear in the text however many markers it holds.
    """
    spans = claim_spans(text) if spans is None else spans
    out: list[str] = []
    prev_end, at = 0, 0
    whole: dict[int, str] = {}
    for run in runs:
        while at < len(spans) and spans[at][1] <= run.start:
            at += 1
        span = spans[at] if at < len(spans) else (0, len(text))
        own = strip_markers(text[max(span[0], prev_end) : run.start]).strip()
        if len(own) < 4:
            if at not in whole:
                whole[at] = strip_markers(text[span[0] : span[1]]).strip()
            own = whole[at]
        out.append(own)
        prev_end = run.end
    return out


def clean_reply(raw: str) -> str:
    """The model's text without reasoning blocks (`<think>…</think>`) and outer space."""
    return _THINK.sub("", raw).strip()


# -- grounding --------------------------------------------------------------------------------
@dataclass(frozen=True)
class Grounded:
    """An answer text with its markers checked, renumbered and turned into citations."""

    text: str
    citations: tuple[Citation, ...]
    dropped: int
    """Markers dropped: out of range, or standing behind a claim the source does not support."""
    unsupported: int = 0
    """Sentences dropped because their cited source does not support them."""


@dataclass(frozen=True)
class _Support:
    sentence: Sentence
    share: float
    """How much of the claim's content the sentence holds (0–1)."""


class Grounder:
    """Maps each cited claim to the best-supporting sentence of its source, and drops the
    claims no cited sentence supports (or that fail the place/year check)."""

    def __init__(
        self,
        extractive: ExtractiveAnswerer,
        sources: Sequence[PackedSource],
        question: Question | None = None,
        places: PlaceIndex | None = None,
    ) -> None:
        self.extractive = extractive
        self.sources = sources
        self.config = extractive.config
        self.question = question
        self.places = places or extractive.places

    def _sentences(self, hit: Hit) -> list[Sentence]:
        found = sentences_of([hit])
        if found:
            return found
        c = hit.chunk  # a chunk too short to split: cite it whole
        lead = len(c.text) - len(c.text.lstrip())
        body = c.text.strip()
        return [
            Sentence(hit, 0, body, c.norm[lead : lead + len(body)], c.start + lead, c.start + lead + len(body), False)
        ]

    def support(self, refs: Sequence[tuple[str, int]]) -> list[_Support]:
        """For each (claim, source number), the source's sentence that backs the claim best."""
        if not refs:
            return []
        cfg = self.config
        cands = {n: self._sentences(self.sources[n - 1].hit) for n in sorted({n for _, n in refs})}
        embedder = self.extractive.embedder
        flat = embedder.embed_documents([s.text for n in cands for s in cands[n]])
        vecs, at = {}, 0
        for n, sents in cands.items():
            vecs[n], at = flat[at : at + len(sents)], at + len(sents)
        claims = list(dict.fromkeys(c for c, _ in refs))
        qvecs = dict(zip(claims, embedder.embed_queries(claims), strict=True))
        out = []
        for claim, n in refs:
            weights, grams = TermWeights(claim, self.extractive.keyword), char_bigrams(normalize(claim))
            dense = vecs[n] @ qvecs[claim]
            scores = []
            for s, d in zip(cands[n], dense, strict=True):
                terms = weights.coverage(s.norm)
                share = len(grams & char_bigrams(s.norm)) / len(grams) if grams else 0.0
                scores.append(
                    cfg.w_claim_terms * terms
                    + cfg.w_claim_bigrams * share
                    + cfg.w_claim_dense * float(d)
                    - (cfg.claim_heading_penalty if s.is_heading else 0.0)
                )
            best = int(np.argmax(scores))
            s = cands[n][best]
            grams_s = char_bigrams(s.norm)
            share = max(weights.coverage(s.norm), len(grams & grams_s) / len(grams) if grams else 0.0)
            out.append(_Support(s, share))
        return out

    def _ok(self, sup: _Support) -> bool:
        if sup.share < self.config.min_claim_support:
            return False
        return self.question is None or fits(sup.sentence, self.question, self.places)

    def ground(self, text: str) -> Grounded:
        """Check, renumber and cite every marker run of `text`; drop the sentences whose
        cited sources do not support them."""
        runs = parse_markers(text)
        spans = claim_spans(text)
        valid = [[n for n in run.numbers if 1 <= n <= len(self.sources)] for run in runs]
        capped, budget = [], self.config.max_claims
        for ok in valid:  # a bounded number of claims is checked; markers beyond it are dropped
            capped.append(ok[: max(0, budget)])
            budget -= len(capped[-1])
        refs = [(claim, n) for claim, ok in zip(claims_of(text, runs, spans), capped, strict=True) for n in ok]
        supports = iter(self.support(refs))
        kept = [[sup for sup in (next(supports) for _ in ok) if self._ok(sup)] for ok in capped]
        where = _span_of_runs(spans, runs)
        citing = {where[i] for i, ok in enumerate(capped) if ok}
        backed = {where[i] for i, k in enumerate(kept) if k}
        drop = citing - backed
        numbering: dict[tuple[str, int, int], Citation] = {}
        out, last, ri = [], 0, 0
        for si, (a, b) in enumerate(spans):
            piece, pos = [], a
            while ri < len(runs) and where[ri] == si:
                run = runs[ri]
                new = [] if si in drop else [self._number(numbering, sup.sentence) for sup in kept[ri]]
                piece += [text[pos : run.start], "".join(f"[{k}]" for k in dict.fromkeys(new))]
                pos, ri = run.end, ri + 1
            piece.append(text[pos:b])
            out.append(text[last:a])
            if si not in drop:
                out.append("".join(piece))
            last = b
        used = sum(len(k) for i, k in enumerate(kept) if where[i] not in drop)
        dropped = sum(len(run.numbers) for run in runs) - used
        return Grounded("".join(out).strip(), tuple(numbering.values()), dropped, len(drop))

    @staticmethod
    def _number(numbering: dict[tuple[str, int, int], Citation], s: Sentence) -> int:
        return numbering.setdefault((s.hit.chunk.doc_id, s.start, s.end), cite(len(numbering) + 1, s)).n


def _span_of_runs(spans: Sequence[tuple[int, int]], runs: Sequence[MarkerRun]) -> list[int]:
    """The index of the sentence each marker run belongs to (one walk: both are in order)."""
    out, at = [], 0
    for run in runs:
        while at < len(spans) - 1 and spans[at][1] <= run.start:
            at += 1
        out.append(at)
    return out


def preview(raw: str, n_sources: int) -> str:
    """A partial answer for display: unfinished markers held back, invalid ones dropped,
    valid ones numbered by first use (the final answer may split a source in two)."""
    text = _OPEN_MARKER_TAIL.sub("", clean_reply(raw))
    order: dict[int, int] = {}

    def renumber(m: re.Match[str]) -> str:
        run = parse_markers(m.group())[0]
        ok = [order.setdefault(n, len(order) + 1) for n in run.numbers if 1 <= n <= n_sources]
        return "".join(f"[{k}]" for k in dict.fromkeys(ok))

    return _MARKER_RUN.sub(renumber, text)


def comparison_rows(text: str) -> tuple[ComparisonRow, ...]:
    """`- 地方：做法[n]` lines of a comparison answer that cite something."""
    rows = []
    for m in _ROW.finditer(text):
        nums = tuple(dict.fromkeys(n for r in parse_markers(m.group(2)) for n in r.numbers))
        if nums:
            rows.append(ComparisonRow(m.group(1).strip(), m.group(2), nums))
    return tuple(rows)


def declines(text: str, cited: bool) -> bool:
    """The model says the sources do not answer: in its first sentence, or anywhere if it cites nothing."""
    spans = claim_spans(text)
    first = text[spans[0][0] : spans[0][1]] if spans else ""
    return bool(_DECLINE.search(first)) or (not cited and bool(_DECLINE.search(text)))


# -- the answerer -----------------------------------------------------------------------------
class LLMAnswerer:
    """Answers from search hits with an OpenAI-compatible chat model (see the module docstring).

    `fallback` is the extractive answerer of the same index: it answers whenever the model
    fails, and its grounding (term weights, places, checks) backs the model's citations.
    """

    mode = "llm"

    def __init__(self, settings: Settings, fallback: ExtractiveAnswerer, config: AnswerConfig | None = None) -> None:
        self.settings = settings
        self.fallback = fallback
        self.config = config or fallback.config
        self.prompts: Prompts = load_prompts(settings.prompts_dir)
        self._count = token_counter(settings.chunking.encoding)
        self._chat: ChatOpenAI | None = None

    def __repr__(self) -> str:
        return f"LLMAnswerer(base_url={redact(self.settings.llm.base_url)!r}, model={self.settings.llm.model!r})"

    @property
    def chat(self) -> ChatOpenAI:
        """The LangChain client, built on first use."""
        if self._chat is None:
            _redact_client_logs()
            cfg = self.settings.llm
            key = self.settings.llm_api_key.get_secret_value()
            self._chat = ChatOpenAI(
                model=cfg.model,
                base_url=cfg.base_url,
                api_key=SecretStr(key or "not-needed"),  # local servers take any key; the client wants one
                timeout=cfg.timeout,
                max_retries=cfg.max_retries,
                temperature=cfg.temperature,
            )
        return self._chat

    # -- prompts --------------------------------------------------------------------------
    def messages(self, question: Question, sources: Sequence[PackedSource]) -> list[BaseMessage]:
        cross = question.kind == "comparison" or asks_across(question.text)
        template = self.prompts.comparison if cross else self.prompts.answer
        return [
            SystemMessage(self.prompts.system.render(cannot_answer=CANNOT_ANSWER)),
            HumanMessage(template.render(sources=sources_block(sources), question=question.text)),
        ]

    def pack(self, hits: Sequence[Hit]) -> list[PackedSource]:
        return pack_sources(hits, self.settings.llm.max_context_tokens, self._count)

    # -- answers --------------------------------------------------------------------------
    def answer(self, question: Question, hits: Sequence[Hit]) -> Answer:
        """The cited LLM answer, or the extractive one with a note when the LLM fails."""
        if not hits:
            return self.fallback.answer(question, hits)
        sources, started = self.pack(hits), time.perf_counter()
        try:
            reply = self.chat.invoke(self.messages(question, sources)).text
        except Exception as e:  # noqa: BLE001 - any endpoint failure falls back to extractive
            return self._fallback(e, question, hits)
        return self.finish(question, hits, sources, reply, time.perf_counter() - started)

    def stream(self, question: Question, hits: Sequence[Hit]) -> Iterator[Answer]:
        """Partial answers as tokens arrive (no citations yet); the last one is final.

        `llm.timeout` bounds each read; `AnswerConfig.stream_deadline` bounds the whole
        answer: the stream is read on a worker thread and abandoned at the deadline.
        """
        if not hits:
            yield self.fallback.answer(question, hits)
            return
        sources, started = self.pack(hits), time.perf_counter()
        deadline = time.monotonic() + self.config.stream_deadline
        pieces: queue.Queue[tuple[str, object]] = queue.Queue()
        stop = threading.Event()
        threading.Thread(target=self._read, args=(question, sources, pieces, stop), daemon=True).start()
        raw, shown = "", ""
        while True:
            try:
                kind, value = pieces.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                stop.set()
                yield self._late(question, hits, sources, raw, time.perf_counter() - started)
                return
            if kind == "error":
                yield self._fallback(value if isinstance(value, Exception) else LLMError(str(value)), question, hits)
                return
            if kind == "end":
                break
            raw += str(value)
            if len(raw) >= self.config.max_reply_chars:
                stop.set()
                raw = raw[: self.config.max_reply_chars]
                break
            text = preview(raw, len(sources))
            if text and text != shown:
                shown = text
                yield Answer(
                    question.text, question.text, text, True, "llm", kind=question.kind, debug={"partial": 1.0}
                )
        yield self.finish(question, hits, sources, raw, time.perf_counter() - started)

    def _read(
        self,
        question: Question,
        sources: Sequence[PackedSource],
        out: queue.Queue[tuple[str, object]],
        stop: threading.Event,
    ) -> None:
        """Pump the model's stream into `out` until it ends, fails or the reader gives up."""
        try:
            for chunk in self.chat.stream(self.messages(question, sources)):
                if stop.is_set():
                    return
                out.put(("text", chunk.text))
            out.put(("end", None))
        except Exception as e:  # noqa: BLE001 - handed to the reader, which falls back
            out.put(("error", e))

    def _late(
        self, question: Question, hits: Sequence[Hit], sources: Sequence[PackedSource], raw: str, seconds: float
    ) -> Answer:
        """At the deadline: what the model said so far, if any of it is grounded (the last,
        unfinished sentence left out), else the extractive answer; a note either way."""
        limit = self.config.stream_deadline
        log.warning("LLM endpoint %s passed the %.0f s deadline; answer cut", redact(self.settings.llm.base_url), limit)
        done = clean_reply(raw)
        spans = claim_spans(done)
        if spans and not _CLAIM_END.search(done[spans[-1][0] : spans[-1][1]]):
            done = done[: spans[-1][0]]
        if done.strip():
            partial = self.finish(question, hits, sources, done, seconds)
            if partial.mode == "llm" and partial.grounded:
                return dataclasses.replace(partial, note=NOTE_DEADLINE.format(seconds=limit))
        answer = self.fallback.answer(question, hits)
        return dataclasses.replace(answer, note=NOTE_DEADLINE_FALLBACK.format(seconds=limit))

    def finish(
        self, question: Question, hits: Sequence[Hit], sources: Sequence[PackedSource], reply: str, seconds: float
    ) -> Answer:
        """Turn the model's complete reply into the final `Answer`."""
        g = Grounder(self.fallback, sources, question).ground(clean_reply(reply[: self.config.max_reply_chars]))
        debug = {
            "sources": float(len(sources)),
            "context_tokens": float(sum(s.tokens for s in sources)),
            "dropped_markers": float(g.dropped),
            "unsupported_claims": float(g.unsupported),
            "llm_seconds": round(seconds, 3),
        }
        if declines(g.text, bool(g.citations)):
            related = g.citations or tuple(cite(i, s) for i, s in enumerate(lead_sentences(hits, 3), 1))
            out = declined(question, "", [], "llm")
            text = strip_markers(g.text)
            return dataclasses.replace(
                out, text=text, blocks=(AnswerBlock("notice", (text,)),), related=related, debug=debug
            )
        if not g.citations:
            why = NOTE_UNSUPPORTED if g.unsupported else NOTE_UNCITED
            log.info("LLM reply has no supported citation (%d markers dropped); answering extractively", g.dropped)
            fallback = self.fallback.answer(question, hits)
            return dataclasses.replace(fallback, note=why, debug={**fallback.debug, **debug})
        cross = question.kind == "comparison" or asks_across(question.text)
        rows = comparison_rows(g.text) if cross else ()
        blocks = (AnswerBlock("paragraph", (g.text,)),)
        return Answer(
            question.text, question.text, g.text, True, "llm", g.citations, rows, blocks, question.kind, debug=debug
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
            reply = self.chat.invoke([HumanMessage(prompt)]).text
        except Exception as e:  # noqa: BLE001 - translated to the project's error type
            raise LLMError(
                f"LLM endpoint {url} could not rewrite the question ({type(e).__name__}: {self._scrub(str(e))})"
            ) from None
        lines = [ln.strip() for ln in clean_reply(reply[: self.config.max_reply_chars]).splitlines() if ln.strip()]
        out = _REWRITE_PREFIX.sub("", lines[0]).strip(" \"'“”「」") if lines else ""
        if not out or len(out) > self.settings.search.max_query_chars:
            raise LLMError(f"LLM endpoint {url} returned no usable rewrite")
        return out


def _reason(error: Exception) -> str:
    if isinstance(error, openai.APITimeoutError):
        return "请求超时"
    if isinstance(error, openai.APIStatusError):
        return f"HTTP {error.status_code}"
    if isinstance(error, openai.APIConnectionError):
        return "无法连接"
    return type(error).__name__
