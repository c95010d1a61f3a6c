"""The extractive answerer: the default, offline, and good on its own.

It picks the sentences of the retrieved chunks that answer the question — scored by
weighted term overlap (BM25 idf weights), dense similarity to the question and the
chunk's search rank — de-duplicates them, orders them by report and position, and cites
each one by its exact span. It declines when the question's key terms are not covered.
"""

from __future__ import annotations

import copy
import re
import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from assistant.answer_types import Answer, Citation, ComparisonRow
from assistant.conversation import places_in, short_place
from index.chunking import segment
from index.embedding import Embedder, Vectors
from index.keyword import KeywordIndex, general_rarity, is_dictionary_word, tokenize
from index.search import is_cross_report
from index.textnorm import char_bigrams, normalize
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
# "四个", "两项", "几种": how many, not what about.
_COUNTING = re.compile(r"^[一二三四五六七八九十两几多\d]+[个项种条张类点次批轮级步]?$")
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
    frame: str = ""
    """Normalized title and heading path of its report section: what it is about."""


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
    min_coverage: float = 0.5
    """Share of the question's key-term weight the top passages must contain between them."""
    min_passage_coverage: float = 0.4
    """Share one of them must contain on its own: terms scattered over five unrelated
    passages do not answer a question."""
    w_lexical: float = 0.5
    w_dense: float = 0.35
    w_rank: float = 0.15
    per_place: int = 2
    coverage_hits: int = 5
    """How many of the best passages the coverage test reads."""
    dense_candidates: int = 10
    """Only this many best lexical candidates are embedded (a CPU budget)."""


def sentences_of(hits: Sequence[Hit]) -> list[Sentence]:
    out: list[Sentence] = []
    for rank, hit in enumerate(hits):
        c = hit.chunk
        frame = _frame(hit)
        for seg in segment(c.text):
            text = c.text[seg.start : seg.end]
            if len(text.strip()) < 4:
                continue
            norm = c.norm[seg.start : seg.end]
            out.append(Sentence(hit, rank, text, norm, c.start + seg.start, c.start + seg.end, seg.is_heading, frame))
    return out


def _frame(hit: Hit) -> str:
    return _frame_text(hit.record.title, hit.chunk.section)


@lru_cache(maxsize=4096)
def _frame_text(title: str, section: tuple[str, ...]) -> str:
    """Normalized once: the same titles and heading paths come back in every answer."""
    return normalize(" ".join((title, *section)))


class TermWeights:
    """idf weights of a question's content terms, from the keyword index."""

    def __init__(self, question: str, keyword: KeywordIndex) -> None:
        tokens = list(dict.fromkeys(_unglue(t, keyword) for t in tokenize(normalize(question))))
        terms = [t for t in tokens if not _is_question_word(t) and not _COUNTING.match(t)]
        # Verbs of the question's frame (实行, 推行, 分为) never decide whether the reports
        # answer, but an answer often repeats them: they help pick its sentence.
        self.frame = {t: 0.3 * keyword.idf(t) for t in tokens if t in QUESTION_WORDS and len(t) > 1}
        # A lone character (两, 区, 新) says little on its own, whatever its rarity as a token.
        self.weights = {t: keyword.idf(t) * (0.4 if len(t) == 1 else 1.0) for t in terms}
        # For deciding whether the reports answer at all, what matters is the specific terms:
        # a missing 看到 or 如果 (common in any Chinese) says little, a missing name a lot.
        # jieba's search mode also yields the parts of a compound (管委, 委会 of 管委会): for
        # this decision the compound counts once (a part present still earns a share of it).
        self.specific = {
            t: w * _specificity(t) for t, w in self.weights.items() if not any(t != o and t in o for o in self.weights)
        }
        self.missing = [t for t in terms if keyword.doc_freq(t) == 0]

    def coverage(self, norm: str, *, specific: bool = False) -> float:
        """Share of the question's term weight found in `norm` (`specific`: weighted by
        how specific each term is in general Chinese as well).

        A word jieba glued to its neighbour (尚恩有, 白岳峰现: a name it does not know) counts
        by the share of its character pairs that occur.
        """
        weights = self.specific if specific else self.weights
        total = sum(weights.values())
        if not total:
            return 0.0
        return sum(w * _presence(t, norm) for t, w in weights.items()) / total

    def localized(self, norms: Sequence[str]) -> TermWeights:
        """The same terms, down-weighted where most candidates share them.

        Inside one report every sentence may say 天津高新区: the term decides which
        report answers, not which of its sentences does.
        """
        out = copy.copy(self)
        n = len(norms) or 1
        merged = {**self.frame, **self.weights}
        out.weights = {t: w * (1.0 - 0.5 * sum(t in x for x in norms) / n) for t, w in merged.items()}
        return out


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
        cfg = self.config
        local = weights.localized([s.norm for s in sentences])
        qnorm = normalize(question)
        qgrams, qall = char_bigrams(_content(qnorm)), char_bigrams(qnorm)
        lexical = [_lexical(s, local, qgrams) for s in sentences]
        lexical = _carry_to_continuations(sentences, lexical, qall)
        numeric, timely = _NUMERIC_Q.search(question), _TIME_Q.search(question)
        base = []
        for s, lex in zip(sentences, lexical, strict=True):
            bonus = 0.1 if (numeric and _HAS_NUM.search(s.text)) or (timely and _HAS_TIME.search(s.text)) else 0.0
            penalty = 0.6 if s.is_heading or _is_echo(s.norm, qall) else 0.0
            rank = 1.0 / (1.0 + 0.35 * s.hit_rank)
            base.append(cfg.w_lexical * lex + cfg.w_rank * rank + bonus - penalty)
        dense = self._dense(question, sentences, base)
        out = [
            Scored(s, b + cfg.w_dense * d, lex) for s, b, d, lex in zip(sentences, base, dense, lexical, strict=True)
        ]
        return sorted(out, key=lambda x: -x.score)

    def _dense(self, question: str, sentences: Sequence[Sentence], base: Sequence[float]) -> list[float]:
        """Min-max scaled similarity to the question, for the best few candidates only.

        Embedding every sentence of every hit costs far more than the search itself on a
        CPU; the lexical and rank signals already separate the plausible few.
        """
        top = sorted(range(len(sentences)), key=lambda i: -base[i])[: self.config.dense_candidates]
        out = [0.0] * len(sentences)
        if len(top) < 2:
            return [1.0 if i in top else 0.0 for i in range(len(sentences))]
        q = self.embedder.embed_query(_focus(question, sentences))
        vecs = _cached_embeddings(self.embedder, [sentences[i].norm for i in top])
        sims = vecs @ q
        lo, hi = float(sims.min()), float(sims.max())
        for i, sim in zip(top, sims, strict=True):
            out[i] = (float(sim) - lo) / (hi - lo) if hi > lo else 1.0
        return out

    # -- answering ------------------------------------------------------------------------
    def answer(self, question: str, resolved: str, hits: Sequence[Hit]) -> Answer:
        weights = TermWeights(resolved, self.keyword)
        contexts = [_context(h) for h in hits[: self.config.coverage_hits]]
        decline = self.declines(resolved, hits, weights, contexts)
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
            debug=dict(zip(("coverage", "passage_coverage"), top_coverage(contexts, weights), strict=True)),
        )

    def declines(self, resolved: str, hits: Sequence[Hit], weights: TermWeights, contexts: Sequence[str]) -> str | None:
        """Why the reports do not answer, or None if they do (`contexts`: `_context` of
        the best passages)."""
        if not hits:
            return "没有检索到相关段落"
        context = "\n".join(contexts)
        absent_places = [
            p
            for p in places_in(resolved, [])
            if normalize(p) not in context
            and (
                p in weights.missing or all(self.keyword.doc_freq(t) == 0 for t in tokenize(normalize(short_place(p))))
            )
        ]
        if absent_places:
            return f"报告中没有提到“{'、'.join(absent_places)}”"
        if not weights.weights:
            return "问题中没有可检索的关键词"
        union, single = top_coverage(contexts, weights)
        if union < self.config.min_coverage or single < self.config.min_passage_coverage:
            missing = [t for t in weights.weights if t not in context]
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
        """The best sentence first (the direct answer); the others by report, in text order."""
        if not chosen:
            return []
        first_seen: dict[str, int] = {}
        for i, s in enumerate(chosen):
            first_seen.setdefault(s.sentence.hit.chunk.doc_id, i)
        rest = sorted(chosen[1:], key=lambda s: (first_seen[s.sentence.hit.chunk.doc_id], s.sentence.start))
        return [chosen[0].sentence, *(s.sentence for s in rest)]

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


_EMBED_CACHE: OrderedDict[tuple[str, str], Vectors] = OrderedDict()
_EMBED_CACHE_SIZE = 4096
_EMBED_LOCK = threading.Lock()


def _is_question_word(t: str) -> bool:
    return t in QUESTION_WORDS or t in _MORE_QUESTION_WORDS or t.startswith("哪") or bool(_HOW_MANY.match(t))


# 第几代, 几盘, 几届: "how many / which" with a counter (not 几乎, 几何).
_HOW_MANY = re.compile(r"^第?几[个项种条张类点次批轮级步代年岁人家天月号位名盘场届层部本期任]?$")


_MORE_QUESTION_WORDS = frozenset(["什么样", "什么样的", "呀", "啥", "多久", "多长", "谁的", "是谁"])


def _unglue(term: str, keyword: KeywordIndex) -> str:
    """王沈是 → 王沈: jieba glues a copula or particle to a name it does not know; the
    glued word is in no report, the name may be."""
    if len(term) >= 2 and term[-1] in "是的了在" and keyword.doc_freq(term) == 0 and not is_dictionary_word(term):
        return term[:-1]
    return term


def _specificity(term: str) -> float:
    """0.15 for words common in any Chinese text (rarity ≤ 7: 不是, 起来), rising to 1 for
    rare words and names (rarity ≥ 12: 管委会, or a word jieba's dictionary lacks)."""
    return min(1.0, max(0.15, (general_rarity(term) - 6.0) / 6.0))


def _presence(term: str, norm: str) -> float:
    if term in norm:
        return 1.0
    if len(term) < 3:
        return 0.0
    pairs = [term[i : i + 2] for i in range(len(term) - 1)]
    return sum(p in norm for p in pairs) / len(pairs)


def _context(hit: Hit) -> str:
    """A passage with the title and headings that frame it."""
    return f"{_frame(hit)} {hit.chunk.norm}"


def top_coverage(contexts: Sequence[str], weights: TermWeights) -> tuple[float, float]:
    """Shares of the question's specific term weight that the best passages (`_context`
    of each) contain between them, and that the best one of them contains alone."""
    union = weights.coverage("\n".join(contexts), specific=True)
    single = max((weights.coverage(c, specific=True) for c in contexts), default=0.0)
    return union, single


def _content(norm: str) -> str:
    """The question without its question words, as space-separated terms."""
    return " ".join(t for t in tokenize(norm) if t not in QUESTION_WORDS and len(t) > 1)


def _lexical(s: Sentence, weights: TermWeights, qgrams: set[str]) -> float:
    """Term coverage, softened by character-bigram coverage (robust to word segmentation).

    Terms of the title and headings count as present in every sentence under them: in a
    report on 天津高新区 (or an article on 邹游) the sentence that answers rarely repeats
    the name, and the ones that do are not better answers for it.
    """
    grams = sum(g in s.norm for g in qgrams) / len(qgrams) if qgrams else 0.0
    return 0.7 * weights.coverage(f"{s.frame} {s.norm}") + 0.3 * grams


def _focus(question: str, sentences: Sequence[Sentence]) -> str:
    """The question without the terms most candidates share, if enough of it remains.

    Asked "天津高新区干部工资分为哪两部分?" over passages that all say 天津高新区, the
    embedding of the full question prefers sentences naming the zone over the one that
    answers: the shared terms picked the passages, the rest of the question picks the
    sentence. When little would remain (the shared terms are the topic itself), the
    question stays whole.
    """
    norm = normalize(question)
    chunks = {s.hit.chunk.id: s.hit.chunk.norm for s in sentences}
    shared = [
        t
        for t in sorted(set(tokenize(norm)) - QUESTION_WORDS, key=len, reverse=True)
        if len(t) > 1 and sum(t in c for c in chunks.values()) >= 0.6 * len(chunks)
    ]
    focused = norm
    for t in shared:
        focused = focused.replace(t, "")
    return focused if len(_content(focused).split()) >= 2 else norm


def _is_echo(norm: str, qgrams: set[str]) -> bool:
    """A sentence that only restates the question (often an inline heading) answers nothing."""
    own = char_bigrams(norm)
    return bool(own) and len(own & qgrams) / len(own) >= 0.6


def _carry_to_continuations(sentences: Sequence[Sentence], lexical: list[float], qgrams: set[str]) -> list[float]:
    """What follows a heading or a restated question is usually its answer: it inherits the match."""
    out = list(lexical)
    for i in range(len(sentences) - 1):
        cur, nxt = sentences[i], sentences[i + 1]
        if nxt.hit is cur.hit and (cur.is_heading or _is_echo(cur.norm, qgrams)):
            out[i + 1] = max(out[i + 1], 0.9 * lexical[i])
    return out


def _cached_embeddings(embedder: Embedder, texts: Sequence[str]) -> Vectors:
    """Passage vectors of sentences; the same passages come back question after question."""
    with _EMBED_LOCK:
        found = {t: v for t in texts if (v := _EMBED_CACHE.get((embedder.name, t))) is not None}
    missing = [t for t in dict.fromkeys(texts) if t not in found]
    if missing:
        fresh = dict(zip(missing, embedder.embed_documents(missing), strict=True))
        found.update(fresh)
        with _EMBED_LOCK:
            _EMBED_CACHE.update({(embedder.name, t): v for t, v in fresh.items()})
            while len(_EMBED_CACHE) > _EMBED_CACHE_SIZE:
                _EMBED_CACHE.popitem(last=False)
    return np.stack([found[t] for t in texts])


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
