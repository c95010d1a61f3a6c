"""The extractive answerer: the default, offline, and good on its own.

It picks the sentences of the retrieved chunks that answer the question — scored by
weighted term overlap (BM25 idf weights), dense similarity to the question and the
chunk's search rank — de-duplicates them, orders them by report and position, and cites
each one by its exact span. It declines when the question's key terms are not covered.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from assistant.answer_types import Answer, Citation, ComparisonRow
from assistant.conversation import places_in, short_place
from index.chunking import segment
from index.embedding import Embedder
from index.keyword import KeywordIndex, tokenize
from index.search import is_cross_report
from index.textnorm import normalize
from index.types import Hit

# Words of the question's form, not its topic: they never decide coverage.
QUESTION_WORDS = frozenset(
    [
        "哪些",
        "哪个",
        "哪几",
        "哪两",
        "哪四",
        "哪",
        "什么",
        "怎么",
        "怎样",
        "如何",
        "多少",
        "是否",
        "有何",
        "有哪些",
        "为何",
        "为什么",
        "何时",
        "什么时候",
        "几",
        "几个",
        "几种",
        "哪几种",
        "分为",
        "方面",
        "主要",
        "具体",
        "意义",
        "各地",
        "地方",
        "情况",
        "做法",
        "措施",
        "是",
        "有",
        "由",
        "对",
        "在",
        "了",
        "的",
        "呢",
        "吗",
        "指",
        "方式",
        "推行",
        "实行",
        "通过",
        "进行",
        "开展",
        "作用",
        "重要",
    ]
)
_NUMERIC_Q = re.compile(r"(多少|几[个项人家种张年]|比例|数量|多大|增速|规模)")
_TIME_Q = re.compile(r"(什么时候|何时|哪一年|哪年|时间)")
_HAS_NUM = re.compile(r"\d|[一二三四五六七八九十百千万亿]+[个项人家种张年%]")
_HAS_TIME = re.compile(r"\d{2,4}年|\d{1,2}月|[上下]半年")


@dataclass(frozen=True)
class Sentence:
    """A candidate answer sentence, located in its report."""

    hit: Hit
    hit_rank: int
    text: str
    norm: str
    start: int
    end: int
    is_heading: bool


@dataclass(frozen=True)
class Scored:
    sentence: Sentence
    score: float
    lexical: float


@dataclass(frozen=True)
class ExtractiveConfig:
    max_sentences: int = 3
    keep_ratio: float = 0.8
    """Further sentences must score at least this share of the best one."""
    min_coverage: float = 0.55
    """Share of the question's key-term weight the top passages must contain to answer."""
    w_lexical: float = 0.5
    w_dense: float = 0.35
    w_rank: float = 0.15
    per_place: int = 2


def sentences_of(hits: Sequence[Hit]) -> list[Sentence]:
    out: list[Sentence] = []
    for rank, hit in enumerate(hits):
        c = hit.chunk
        for seg in segment(c.text):
            text = c.text[seg.start : seg.end]
            if len(text.strip()) < 4:
                continue
            out.append(
                Sentence(
                    hit, rank, text, c.norm[seg.start : seg.end], c.start + seg.start, c.start + seg.end, seg.is_heading
                )
            )
    return out


class TermWeights:
    """idf weights of a question's content terms, from the keyword index."""

    def __init__(self, question: str, keyword: KeywordIndex) -> None:
        terms = [t for t in dict.fromkeys(tokenize(normalize(question))) if t not in QUESTION_WORDS]
        self.weights = {t: keyword.idf(t) for t in terms}
        self.missing = [t for t in terms if keyword.doc_freq(t) == 0]

    @property
    def total(self) -> float:
        return sum(self.weights.values())

    def coverage(self, norm: str) -> float:
        """Share of the question's term weight found in `norm`."""
        if not self.total:
            return 0.0
        return sum(w for t, w in self.weights.items() if t in norm) / self.total


class ExtractiveAnswerer:
    """Builds a cited `Answer` from search hits, or declines."""

    def __init__(self, embedder: Embedder, keyword: KeywordIndex, config: ExtractiveConfig | None = None) -> None:
        self.embedder = embedder
        self.keyword = keyword
        self.config = config or ExtractiveConfig()

    # -- scoring --------------------------------------------------------------------------
    def score(self, question: str, sentences: Sequence[Sentence], weights: TermWeights) -> list[Scored]:
        if not sentences:
            return []
        q = self.embedder.embed_query(question)
        vecs = self.embedder.embed_documents([s.text for s in sentences])
        dense = vecs @ q
        lo, hi = float(dense.min()), float(dense.max())
        dense_rel = (dense - lo) / (hi - lo) if hi > lo else np.ones_like(dense)
        cfg = self.config
        numeric, timely = _NUMERIC_Q.search(question), _TIME_Q.search(question)
        out: list[Scored] = []
        for s, d in zip(sentences, dense_rel, strict=True):
            lex = weights.coverage(s.norm)
            bonus = 0.1 if (numeric and _HAS_NUM.search(s.text)) or (timely and _HAS_TIME.search(s.text)) else 0.0
            penalty = 0.15 if s.is_heading else 0.0
            rank = 1.0 / (1.0 + 0.35 * s.hit_rank)
            total = cfg.w_lexical * lex + cfg.w_dense * float(d) + cfg.w_rank * rank + bonus - penalty
            out.append(Scored(s, total, lex))
        return sorted(out, key=lambda x: -x.score)

    # -- answering ------------------------------------------------------------------------
    def answer(self, question: str, resolved: str, hits: Sequence[Hit]) -> Answer:
        weights = TermWeights(resolved, self.keyword)
        decline = self.declines(resolved, hits, weights)
        if decline is not None:
            return self.refusal(question, resolved, hits, decline)
        scored = self.score(resolved, sentences_of(hits), weights)
        if is_cross_report(resolved) and len({s.sentence.hit.chunk.doc_id for s in scored}) > 1:
            return self.comparison(question, resolved, scored)
        chosen = self.select(scored)
        citations = tuple(_citation(i, s) for i, s in enumerate(self.reading_order(chosen), 1))
        return Answer(
            question,
            resolved,
            compose(citations),
            True,
            "extractive",
            citations,
            debug={"coverage": self.top_coverage(hits, weights)},
        )

    def top_coverage(self, hits: Sequence[Hit], weights: TermWeights) -> float:
        joined = "\n".join(h.chunk.norm + " " + normalize(" ".join(h.chunk.section)) for h in hits[:3])
        return weights.coverage(joined)

    def declines(self, resolved: str, hits: Sequence[Hit], weights: TermWeights) -> str | None:
        """Why the reports do not answer, or None if they do."""
        if not hits:
            return "没有检索到相关段落"
        absent_places = [
            p
            for p in places_in(resolved, [])
            if p in weights.missing or all(self.keyword.doc_freq(t) == 0 for t in tokenize(normalize(short_place(p))))
        ]
        if absent_places:
            return f"报告中没有提到“{'、'.join(absent_places)}”"
        if not weights.weights:
            return "问题中没有可检索的关键词"
        coverage = self.top_coverage(hits, weights)
        if coverage < self.config.min_coverage:
            missing = [t for t in weights.weights if not any(t in h.chunk.norm for h in hits[:3])]
            shown = "、".join(sorted(missing, key=lambda t: -weights.weights[t])[:3])
            return f"报告中没有找到关于“{shown}”的内容" if shown else "报告中没有找到直接回答"
        return None

    def select(self, scored: Sequence[Scored]) -> list[Scored]:
        if not scored:
            return []
        best = scored[0]
        chosen = [best]
        for s in scored[1:]:
            if len(chosen) >= self.config.max_sentences or s.score < self.config.keep_ratio * best.score:
                break
            if s.lexical > 0 and not any(_similar(s.sentence.norm, c.sentence.norm) for c in chosen):
                chosen.append(s)
        return chosen

    @staticmethod
    def reading_order(chosen: Sequence[Scored]) -> list[Sentence]:
        """Best report first; within a report, the order of the text."""
        first_seen: dict[str, int] = {}
        for i, s in enumerate(chosen):
            first_seen.setdefault(s.sentence.hit.chunk.doc_id, i)
        return [
            s.sentence
            for s in sorted(chosen, key=lambda s: (first_seen[s.sentence.hit.chunk.doc_id], s.sentence.start))
        ]

    def comparison(self, question: str, resolved: str, scored: Sequence[Scored]) -> Answer:
        groups: dict[str, list[Scored]] = {}
        for s in scored:
            if s.lexical <= 0:
                continue
            group = groups.setdefault(place_of(s.sentence), [])
            if len(group) < self.config.per_place and not any(
                _similar(s.sentence.norm, g.sentence.norm) for g in group
            ):
                group.append(s)
        best = scored[0].score if scored else 0.0
        rows_in = [(p, g) for p, g in groups.items() if g and g[0].score >= 0.6 * best][:6]
        citations: list[Citation] = []
        rows: list[ComparisonRow] = []
        for place, group in rows_in:
            ns = []
            parts = []
            for s in sorted(group, key=lambda s: s.sentence.start):
                cit = _citation(len(citations) + 1, s.sentence)
                citations.append(cit)
                ns.append(cit.n)
                parts.append(f"{cit.quote}[{cit.n}]")
            rows.append(ComparisonRow(place, "".join(parts), tuple(ns)))
        text = "各报告的相关做法：\n" + "\n".join(f"- {r.place}：{r.text}" for r in rows)
        return Answer(question, resolved, text, True, "extractive", tuple(citations), tuple(rows))

    def refusal(self, question: str, resolved: str, hits: Sequence[Hit], why: str) -> Answer:
        related = tuple(_citation(i, s) for i, s in enumerate(_lead_sentences(hits[:3]), 1))
        text = f"{why}，现有报告无法回答这个问题。" + ("以下是最接近的段落，仅供参考。" if related else "")
        return Answer(question, resolved, text, False, "extractive", (), (), related)


def _lead_sentences(hits: Sequence[Hit]) -> list[Sentence]:
    out: list[Sentence] = []
    for h in hits:
        sents = [s for s in sentences_of([h]) if not s.is_heading]
        if sents:
            out.append(sents[0])
    return out


def place_of(s: Sentence) -> str:
    """The place a sentence speaks for: a place in its heading path, else its report's region."""
    for heading in s.hit.chunk.section:
        found = places_in(heading, s.hit.record.regions)
        if found:
            return found[0]
    if s.hit.record.regions:
        return short_place(s.hit.record.regions[0])
    return s.hit.record.title


def _similar(a: str, b: str) -> bool:
    sa = {a[i : i + 2] for i in range(len(a) - 1)}
    sb = {b[i : i + 2] for i in range(len(b) - 1)}
    return bool(sa and sb) and len(sa & sb) / min(len(sa), len(sb)) > 0.7


def _citation(n: int, s: Sentence) -> Citation:
    r = s.hit.record
    return Citation(n, r.chunk.doc_id, r.title, r.rel, r.chunk.section_path, s.text, s.start, s.end, r.regions)


def compose(citations: Sequence[Citation]) -> str:
    """One sentence per citation, each with its marker; reports separated by a line break."""
    lines: list[str] = []
    last_doc = None
    for c in citations:
        piece = f"{c.quote}[{c.n}]"
        if c.doc_id == last_doc:
            lines[-1] += piece
        else:
            lines.append(piece)
        last_doc = c.doc_id
    return "\n".join(lines)
