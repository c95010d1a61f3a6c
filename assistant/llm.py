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
import unicodedata
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np
import openai
from langchain_core.messages import BaseMessage, HumanMessage, SystemMessage
from langchain_openai import ChatOpenAI

from assistant.answer_types import Answer, AnswerBlock, Citation, ComparisonRow, Turn
from assistant.claims import ClauseChecker
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
from assistant.llm_client import Deadline, DeadlineExceeded, LLMClient
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
from index.embedders import Embedder
from index.errors import ReformQAError
from index.keyword import KeywordIndex
from index.settings import Settings
from index.textnorm import char_bigrams, normalize
from index.types import Hit

log = logging.getLogger(__name__)

NOTE_UNAVAILABLE = "大模型服务不可用（{reason}），以下为抽取式答案。"
NOTE_UNCITED = "大模型的回答没有标注可核对的来源，以下为抽取式答案。"
NOTE_UNSUPPORTED = "大模型回答中的说法在所引来源中找不到依据，以下为抽取式答案。"
NOTE_LEFT_OUT = "大模型回答中有 {n} 句没有标注来源或所引来源不支持，已略去。"
NOTE_DEADLINE = "大模型在 {seconds:.0f} 秒内没有答完，以下为截至此时已核对的部分。"
NOTE_DEADLINE_FALLBACK = "大模型在 {seconds:.0f} 秒内没有答完（请求超时），以下为抽取式答案。"

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
    """Sentences dropped because their cited sources do not support every clause of them."""
    uncited: int = 0
    """Sentences dropped because they cite no source."""
    sentences: tuple[tuple[str, str], ...] = ()
    """Every sentence of the reply without markers, with what became of it: "kept",
    "unsupported" or "uncited"."""
    offered: tuple[Citation, ...] = ()
    """The source sentences that best match the cited sentences, kept or not (what a
    declining answer offers to read)."""

    def asides(self) -> list[str]:
        """Uncited sentences that say what the sources lack: shown apart, never as the answer."""
        return [t for t, st in self.sentences if st == "uncited" and _DECLINE.search(t)]


@dataclass(frozen=True)
class _Support:
    sentence: Sentence
    share: float
    """How much of the claim's content the sentence holds (0–1)."""


@dataclass(frozen=True)
class GroundingParts:
    """What checking a model's citations needs of the index: the embedder (claim ↔ sentence
    similarity), the keyword index (term weights) and the places of the reports."""

    embedder: Embedder
    keyword: KeywordIndex
    places: PlaceIndex


class Fallback(Protocol):
    """The answerer that answers whenever the model cannot (the extractive one)."""

    def answer(self, question: Question, hits: Sequence[Hit]) -> Answer: ...


class Grounder:
    """Maps each cited claim to the best-supporting sentence of its source, and drops the
    claims no cited sentence supports (or that fail the place/year check)."""

    def __init__(
        self,
        parts: GroundingParts,
        config: AnswerConfig,
        sources: Sequence[PackedSource],
        question: Question | None = None,
    ) -> None:
        self.parts = parts
        self.sources = sources
        self.config = config
        self.question = question
        self.places = parts.places
        self.clauses = ClauseChecker(parts.keyword, self.places)

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
        embedder = self.parts.embedder
        flat = embedder.embed_documents([s.text for n in cands for s in cands[n]])
        vecs, at = {}, 0
        for n, sents in cands.items():
            vecs[n], at = flat[at : at + len(sents)], at + len(sents)
        claims = list(dict.fromkeys(c for c, _ in refs))
        qvecs = dict(zip(claims, embedder.embed_queries(claims), strict=True))
        out = []
        for claim, n in refs:
            weights, grams = TermWeights(claim, self.parts.keyword), char_bigrams(normalize(claim))
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
        """Check, renumber and cite every marker run of `text`. A sentence is kept only when
        it cites a source and every clause of it is in the sources it cites (`assistant.claims`);
        uncited sentences are left out too (those saying what the sources lack become asides)."""
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
        backed: dict[int, list[Hit]] = {}
        for i, k in enumerate(kept):
            if k:
                backed.setdefault(where[i], []).extend(sup.sentence.hit for sup in k)
        drop = citing - {si for si, hits in backed.items() if not self._gap(text, spans[si], hits)}
        uncited = {si for si in range(len(spans)) if si not in citing}
        gone = drop | uncited
        status = ["unsupported" if si in drop else "uncited" if si in uncited else "kept" for si in range(len(spans))]
        sentences = tuple((strip_markers(text[a:b]).strip(), st) for (a, b), st in zip(spans, status, strict=True))
        offered: dict[tuple[str, int, int], Citation] = {}
        for sup in (sup for k in kept for sup in k):
            self._number(offered, sup.sentence)
        numbering: dict[tuple[str, int, int], Citation] = {}
        out, last, ri = [], 0, 0
        for si, (a, b) in enumerate(spans):
            piece, pos = [], a
            while ri < len(runs) and where[ri] == si:
                run = runs[ri]
                new = [] if si in gone else [self._number(numbering, sup.sentence) for sup in kept[ri]]
                piece += [text[pos : run.start], "".join(f"[{k}]" for k in dict.fromkeys(new))]
                pos, ri = run.end, ri + 1
            piece.append(text[pos:b])
            out.append(text[last:a])
            if si not in gone:
                out.append("".join(piece))
            last = b
        used = sum(len(k) for i, k in enumerate(kept) if where[i] not in gone)
        dropped = sum(len(run.numbers) for run in runs) - used
        body = re.sub(r"\n{3,}", "\n\n", "".join(out)).strip()
        return Grounded(
            body, tuple(numbering.values()), dropped, len(drop), len(uncited), sentences, tuple(offered.values())
        )

    def _gap(self, text: str, span: tuple[int, int], hits: Sequence[Hit]) -> str:
        """Why a clause of the sentence at `span` is not in `hits` ("" when all are)."""
        sentence = strip_markers(text[span[0] : span[1]])
        why = self.clauses.unsupported(sentence, list({h.chunk.id: h for h in hits}.values()))
        if why:
            log.info("LLM sentence dropped: %s", why)
        return why

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
        if spans and not _CLAIM_END.search(done[spans[-1][0] : spans[-1][1]]):
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
        text = clean_reply(_OPEN_MARKER_TAIL.sub("", reply[: self.config.max_reply_chars]))  # a cut "[1" goes
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
            shown = "".join(t for t, st in g.sentences if st != "unsupported" or _DECLINE.search(t)).strip()
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
