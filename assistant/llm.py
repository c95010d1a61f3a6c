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

`mode="llm"` exactly when the model's text is what the user sees. The API key is only
handed to the client as a `SecretStr`; it is scrubbed from logged error messages.
"""

from __future__ import annotations

import dataclasses
import logging
import re
import time
import unicodedata
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from itertools import islice

import numpy as np
import openai
from langchain_core.messages import BaseMessage, HumanMessage, SystemMessage
from langchain_openai import ChatOpenAI
from pydantic import SecretStr

from assistant.answer_types import Answer, Citation, ComparisonRow, Turn
from assistant.extractive import ExtractiveAnswerer, Sentence, TermWeights, sentences_of
from assistant.prompts import (
    CANNOT_ANSWER,
    PackedSource,
    Prompts,
    history_block,
    load_prompts,
    pack_sources,
    sources_block,
)
from index.chunking import token_counter
from index.errors import ReformQAError
from index.search import is_cross_report
from index.settings import Settings
from index.textnorm import char_bigrams, normalize
from index.types import Hit

log = logging.getLogger(__name__)

NOTE_UNAVAILABLE = "大模型服务不可用（{reason}），以下为抽取式答案。"
NOTE_UNCITED = "大模型的回答没有标注可核对的来源，以下为抽取式答案。"

_NUM = r"[0-9０-９]{1,3}"
_MARKER = re.compile(rf"[\[［【]\s*(?:来源\s*)?({_NUM}(?:\s*(?:[,，、;；]|[-–—~～])\s*(?:来源\s*)?{_NUM})*)\s*[\]］】]")
_MARKER_RUN = re.compile(rf"(?:{_MARKER.pattern}\s*)*{_MARKER.pattern}")
_CLAIM_END = re.compile(r"[。！？!?；;]+[”’」』）)]*|\n")
_THINK = re.compile(r"<think>.*?(?:</think>|\Z)", re.S)
_OPEN_MARKER_TAIL = re.compile(r"[\[［【][^\]］】\n]{0,12}\Z")
_DECLINE = re.compile(r"(无法|不能|未能|没法)(根据|依据|从)?[^。！？\n]{0,10}回答")
_ROW = re.compile(r"^\s*(?:[-*•·]|\d+[.、．])\s*\**([^：:\n*]{1,24}?)\**\s*[：:]\s*(.+?)\s*$", re.M)
_REWRITE_PREFIX = re.compile(r"^(改写后的问题|改写后|完整问题|问题)\s*[:：]\s*")
# Weights of the claim → sentence match: idf-weighted terms, character bigrams, dense.
_W_TERMS, _W_BIGRAMS, _W_DENSE, _HEADING_PENALTY = 0.4, 0.3, 0.3, 0.15


class LLMError(ReformQAError):
    """The LLM endpoint failed or replied with something unusable."""


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
    """Every run of citation markers in `text`, in order."""
    runs = []
    for m in _MARKER_RUN.finditer(text):
        nums = [n for inner in _MARKER.findall(m.group()) for n in _numbers(inner)]
        runs.append(MarkerRun(m.start(), m.end(), tuple(dict.fromkeys(nums))))
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


def claims_of(text: str, runs: Sequence[MarkerRun]) -> list[str]:
    """For each marker run, the words it stands behind: the text since the previous run
    in its sentence, or the whole sentence when that is too short (`A[1][2]`, `A。[1]`)."""
    spans = claim_spans(text)
    out, prev_end = [], 0
    for run in runs:
        span = next((sp for sp in spans if sp[0] <= run.start < sp[1]), (0, len(text)))
        own = strip_markers(text[max(span[0], prev_end) : run.start]).strip()
        out.append(own if len(own) >= 4 else strip_markers(text[span[0] : span[1]]).strip())
        prev_end = run.end
    return out


def clean_reply(raw: str) -> str:
    """The model's text without reasoning blocks (`<think>…</think>`) and outer space."""
    return _THINK.sub("", raw).strip()


def _cite(n: int, s: Sentence) -> Citation:
    r = s.hit.record
    return Citation(n, r.chunk.doc_id, r.title, r.rel, r.chunk.section_path, s.text, s.start, s.end, r.regions)


# -- grounding --------------------------------------------------------------------------------
@dataclass(frozen=True)
class Grounded:
    """An answer text with its markers checked, renumbered and turned into citations."""

    text: str
    citations: tuple[Citation, ...]
    dropped: int


class Grounder:
    """Maps each cited claim to the best-supporting sentence of its source."""

    def __init__(self, extractive: ExtractiveAnswerer, sources: Sequence[PackedSource]) -> None:
        self.extractive = extractive
        self.sources = sources

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

    def support(self, refs: Sequence[tuple[str, int]]) -> list[Sentence]:
        """For each (claim, source number), the source's sentence that backs the claim best."""
        if not refs:
            return []
        cands = {n: self._sentences(self.sources[n - 1].hit) for n in sorted({n for _, n in refs})}
        embedder = self.extractive.embedder
        flat = embedder.embed_documents([s.text for n in cands for s in cands[n]])
        vecs, at = {}, 0
        for n, sents in cands.items():
            vecs[n], at = flat[at : at + len(sents)], at + len(sents)
        out = []
        for (claim, n), q in zip(refs, embedder.embed_queries([c for c, _ in refs]), strict=True):
            weights, grams = TermWeights(claim, self.extractive.keyword), char_bigrams(normalize(claim))
            dense = vecs[n] @ q
            scores = [
                _W_TERMS * weights.coverage(s.norm)
                + _W_BIGRAMS * (len(grams & char_bigrams(s.norm)) / len(grams) if grams else 0.0)
                + _W_DENSE * float(d)
                - (_HEADING_PENALTY if s.is_heading else 0.0)
                for s, d in zip(cands[n], dense, strict=True)
            ]
            out.append(cands[n][int(np.argmax(scores))])
        return out

    def ground(self, text: str) -> Grounded:
        """Check, renumber and cite every marker run of `text`."""
        runs = parse_markers(text)
        valid = [[n for n in run.numbers if 1 <= n <= len(self.sources)] for run in runs]
        refs = [(claim, n) for claim, ok in zip(claims_of(text, runs), valid, strict=True) for n in ok]
        supports = iter(self.support(refs))
        numbering: dict[tuple[str, int, int], Citation] = {}
        pieces, pos = [], 0
        for run, ok in zip(runs, valid, strict=True):
            new = []
            for s in islice(supports, len(ok)):
                new.append(numbering.setdefault((s.hit.chunk.doc_id, s.start, s.end), _cite(len(numbering) + 1, s)).n)
            pieces += [text[pos : run.start], "".join(f"[{k}]" for k in dict.fromkeys(new))]
            pos = run.end
        pieces.append(text[pos:])
        dropped = sum(len(run.numbers) for run in runs) - len(refs)
        return Grounded("".join(pieces).strip(), tuple(numbering.values()), dropped)


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
    """Answers from search hits with an OpenAI-compatible chat model (see the module docstring)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.prompts: Prompts = load_prompts(settings.prompts_dir)
        self._count = token_counter(settings.chunking.encoding)
        self._chat: ChatOpenAI | None = None

    def __repr__(self) -> str:
        return f"LLMAnswerer(base_url={self.settings.llm.base_url!r}, model={self.settings.llm.model!r})"

    @property
    def chat(self) -> ChatOpenAI:
        """The LangChain client, built on first use."""
        if self._chat is None:
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
    def messages(self, resolved: str, sources: Sequence[PackedSource]) -> list[BaseMessage]:
        template = self.prompts.comparison if is_cross_report(resolved) else self.prompts.answer
        return [
            SystemMessage(self.prompts.system.render(cannot_answer=CANNOT_ANSWER)),
            HumanMessage(template.render(sources=sources_block(sources), question=resolved)),
        ]

    def pack(self, hits: Sequence[Hit]) -> list[PackedSource]:
        return pack_sources(hits, self.settings.llm.max_context_tokens, self._count)

    # -- answers --------------------------------------------------------------------------
    def answer(self, question: str, resolved: str, hits: Sequence[Hit], extractive: ExtractiveAnswerer) -> Answer:
        """The cited LLM answer, or the extractive one with a note when the LLM fails."""
        if not hits:
            return extractive.answer(question, resolved, hits)
        sources, started = self.pack(hits), time.perf_counter()
        try:
            reply = self.chat.invoke(self.messages(resolved, sources)).text
        except Exception as e:  # noqa: BLE001 - any endpoint failure falls back to extractive
            return self._fallback(e, question, resolved, hits, extractive)
        return self.finish(question, resolved, hits, extractive, sources, reply, time.perf_counter() - started)

    def stream(
        self, question: str, resolved: str, hits: Sequence[Hit], extractive: ExtractiveAnswerer
    ) -> Iterator[Answer]:
        """Partial answers as tokens arrive (no citations yet); the last one is final.

        `llm.timeout` bounds the wait for each part of the stream, not its total length.
        """
        if not hits:
            yield extractive.answer(question, resolved, hits)
            return
        sources, started = self.pack(hits), time.perf_counter()
        raw, shown = "", ""
        try:
            chunks = iter(self.chat.stream(self.messages(resolved, sources)))
        except Exception as e:  # noqa: BLE001 - see answer()
            yield self._fallback(e, question, resolved, hits, extractive)
            return
        while True:
            try:
                raw += next(chunks).text
            except StopIteration:
                break
            except Exception as e:  # noqa: BLE001 - a stream cut short is a failed answer
                yield self._fallback(e, question, resolved, hits, extractive)
                return
            text = preview(raw, len(sources))
            if text and text != shown:
                shown = text
                yield Answer(question, resolved, text, True, "llm", debug={"partial": 1.0})
        yield self.finish(question, resolved, hits, extractive, sources, raw, time.perf_counter() - started)

    def finish(
        self,
        question: str,
        resolved: str,
        hits: Sequence[Hit],
        extractive: ExtractiveAnswerer,
        sources: Sequence[PackedSource],
        reply: str,
        seconds: float,
    ) -> Answer:
        """Turn the model's complete reply into the final `Answer`."""
        g = Grounder(extractive, sources).ground(clean_reply(reply))
        debug = {
            "sources": float(len(sources)),
            "context_tokens": float(sum(s.tokens for s in sources)),
            "dropped_markers": float(g.dropped),
            "llm_seconds": round(seconds, 3),
        }
        if declines(g.text, bool(g.citations)):
            related = g.citations or extractive.refusal(question, resolved, hits, "").related
            return Answer(question, resolved, strip_markers(g.text), False, "llm", related=related, debug=debug)
        if not g.citations:
            log.info("LLM reply cites no valid source (%d markers dropped); answering extractively", g.dropped)
            fallback = extractive.answer(question, resolved, hits)
            return dataclasses.replace(fallback, note=NOTE_UNCITED, debug={**fallback.debug, **debug})
        rows = comparison_rows(g.text) if is_cross_report(resolved) else ()
        return Answer(question, resolved, g.text, True, "llm", g.citations, rows, debug=debug)

    def _fallback(
        self, error: Exception, question: str, resolved: str, hits: Sequence[Hit], extractive: ExtractiveAnswerer
    ) -> Answer:
        log.warning(
            "LLM endpoint %s failed (%s: %s); answering extractively",
            self.settings.llm.base_url,
            type(error).__name__,
            self._scrub(str(error)),
        )
        answer = extractive.answer(question, resolved, hits)
        return dataclasses.replace(answer, note=NOTE_UNAVAILABLE.format(reason=_reason(error)))

    def _scrub(self, text: str) -> str:
        key = self.settings.llm_api_key.get_secret_value()
        return text.replace(key, "***") if key else text

    # -- follow-ups -----------------------------------------------------------------------
    def rewrite(self, question: str, history: Sequence[Turn]) -> str:
        """A follow-up made standalone from the last few turns; `LLMError` if that fails."""
        if not history:
            return question
        prompt = self.prompts.rewrite.render(history=history_block(history), question=question)
        try:
            reply = self.chat.invoke([HumanMessage(prompt)]).text
        except Exception as e:  # noqa: BLE001 - translated to the project's error type
            raise LLMError(
                f"LLM endpoint {self.settings.llm.base_url} could not rewrite the question "
                f"({type(e).__name__}: {self._scrub(str(e))})"
            ) from None
        lines = [ln.strip() for ln in clean_reply(reply).splitlines() if ln.strip()]
        out = _REWRITE_PREFIX.sub("", lines[0]).strip(" \"'“”「」") if lines else ""
        if not out or len(out) > self.settings.search.max_query_chars:
            raise LLMError(f"LLM endpoint {self.settings.llm.base_url} returned no usable rewrite")
        return out


def _reason(error: Exception) -> str:
    if isinstance(error, openai.APITimeoutError):
        return "请求超时"
    if isinstance(error, openai.APIStatusError):
        return f"HTTP {error.status_code}"
    if isinstance(error, openai.APIConnectionError):
        return "无法连接"
    return type(error).__name__
