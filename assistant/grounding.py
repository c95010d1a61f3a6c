"""Grounding shared by the extractive and the LLM answerers.

Everything that decides whether a sentence of a report may be cited as the answer to a
`Question`, in one place: the question's term weights (BM25 idf from the keyword index,
general-Chinese specificity for declining), candidate sentences with their report frame,
sentence scoring, the decision to decline, the place / year check, and citation building.
Every tunable number sits in `AnswerConfig` with the reason for its value.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from itertools import pairwise
from typing import Protocol

from assistant.answer_types import Answer, AnswerBlock, Citation
from assistant.conversation import short_place
from assistant.question import Question
from index.embedders import Embedder
from index.keyword import KeywordIndex, general_rarity, is_dictionary_word, tokenize
from index.segmentation import segment
from index.statedb import DocRow
from index.textnorm import char_bigrams, normalize, word_chars
from index.types import Hit


@dataclass(frozen=True)
class AnswerConfig:
    """Every tunable number of the answerers, each with why it has its value."""

    max_sentences: int = 3
    """A plain answer is one to three sentences: more dilute the direct one."""
    keep_ratio: float = 0.8
    """Further sentences must score this share of the best: only near-equals join it."""
    min_coverage: float = 0.5
    """Share of the question's specific term weight the best passages must hold together."""
    min_passage_coverage: float = 0.4
    """Share one passage must hold alone: terms scattered over unrelated passages answer nothing."""
    w_lexical: float = 0.5
    """Term overlap is the strongest single signal of the answering sentence."""
    w_dense: float = 0.35
    """Dense similarity catches paraphrases the terms miss."""
    w_rank: float = 0.15
    """The search rank breaks ties toward the passage retrieval trusted most."""
    rank_decay: float = 0.35
    """How fast the rank prior falls with the hit's position (rank 3 keeps half)."""
    heading_penalty: float = 0.6
    """A heading or a restated question names the topic but answers nothing."""
    shape_bonus: float = 0.1
    """A sentence of the asked shape (a number for 多少, a date for 何时, 是指 for 是什么)."""
    per_place: int = 2
    """Sentences per place in a comparison: enough for what it did, short enough to compare."""
    short_item: int = 30
    """An enumerated item this short is a head (一是围绕主特产业招商。): the next sentence says what."""
    max_places: int = 6
    """Place blocks in a comparison (the seed library covers six places)."""
    coverage_hits: int = 5
    """How many of the best passages the coverage test reads."""
    dense_candidates: int = 10
    """Only this many best lexical candidates are embedded (a CPU budget per answer)."""
    reworded_candidates: int = 40
    """A comparison place the topic's words miss: this many of its sentences are compared by
    meaning (about what ten passages hold for one place; their vectors are cached)."""
    max_items: int = 10
    """Bullets of a list or summary answer: a section rarely lists more, a long list is unreadable."""
    max_run: int = 6
    """Sentences of one provision run (a procedure in reading order) before it is cut."""
    related_max: int = 3
    """Passages offered as related reading when declining."""
    topic_min: float = 0.45
    """A comparison sentence must itself hold this share of the topic's term weight: a lead
    or background sentence names a word of it (制度, 改革), not the topic (审批制度)."""
    min_sentence_topic: float = 0.25
    """Share of the topic's specific weight the answer sentence (with its headings) must hold."""
    place_min_score: float = 0.6
    """A comparison place must score this share of the best place: search noise is no place."""
    min_claim_support: float = 0.3
    """An LLM claim must share this much of its content (terms or bigrams) with its cited sentence."""
    w_claim_terms: float = 0.4
    """Claim → sentence match: idf-weighted terms…"""
    w_claim_bigrams: float = 0.3
    """…character bigrams (robust to segmentation)…"""
    w_claim_dense: float = 0.3
    """…and dense similarity (paraphrase)."""
    claim_heading_penalty: float = 0.15
    """A heading backs a claim only when no body sentence does."""
    max_claims: int = 64
    """Cited claims checked per LLM reply (each costs an embedding); markers beyond are dropped."""
    max_reply_chars: int = 8000
    """LLM replies are cut here: an answer over a few sources is never longer, a runaway is bounded."""


UNPLACED = "未注明地区的报告"
"""The label of a comparison block from a report whose place is not known (never its title)."""

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
        "举措",
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
        "什么样",
        "什么样的",
        "呀",
        "啥",
        "多久",
        "多长",
        "谁的",
        "是谁",
    ]
)
_COUNTING = re.compile(r"^[一二三四五六七八九十两几多\d]+(?:[个项种条张类点次批轮级步件][\u4e00-\u9fff]?)?$")
_HOW_MANY = re.compile(r"^第?几[个项种条张类点次批轮级步代年岁人家天月号位名盘场届层部本期任件]?[事样]?$")
HAS_NUM = re.compile(
    r"\d|[一二三四五六七八九十百千万亿两半]+[余多]?(个|项|人|家|种|张|年|倍|成|天|日|月|周|万|亿|小时|分钟|%)"
    r"|分之|一半|翻番|翻一番|每[年月周天日季]"
)
"""A quantity (digits, 四十万, 三成, 一半) or a frequency (每年): what answers 多少 / 多久."""
_HAS_TIME = re.compile(r"\d{2,4}年|\d{1,2}月|[上下]半年")
_DEFINES = re.compile(r"(是指|所谓|指的是|即|是一种|是以)")
_YEAR = re.compile(r"(?<!\d)((?:19|20)\d{2})(?!\d)")


def is_question_word(t: str) -> bool:
    return t in QUESTION_WORDS or t.startswith("哪") or bool(_HOW_MANY.match(t))


# -- candidate sentences ----------------------------------------------------------------------
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


def sentences_of(hits: Sequence[Hit]) -> list[Sentence]:
    """The sentences and headings of each hit, in reading order, with their report spans."""
    out: list[Sentence] = []
    for rank, hit in enumerate(hits):
        c = hit.chunk
        frame = frame_of(hit)
        for seg in segment(c.text):
            text = c.text[seg.start : seg.end]
            if len(text.strip()) < 4:
                continue
            norm = c.norm[seg.start : seg.end]
            out.append(Sentence(hit, rank, text, norm, c.start + seg.start, c.start + seg.end, seg.is_heading, frame))
    return out


def frame_of(hit: Hit) -> str:
    return _frame_text(hit.record.title, hit.record.regions, hit.chunk.section)


@lru_cache(maxsize=4096)
def _frame_text(title: str, regions: tuple[str, ...], section: tuple[str, ...]) -> str:
    """Title, regions and heading path: what a passage is about (a report on 河南 may call
    it **市 throughout). Normalized once: the same frames come back in every answer."""
    return normalize(" ".join((title, *regions, *section)))


def context_of(hit: Hit) -> str:
    """A passage with the title and headings that frame it."""
    return f"{frame_of(hit)} {hit.chunk.norm}"


# -- term weights -----------------------------------------------------------------------------
class TermWeights:
    """idf weights of a question's content terms, from the keyword index.

    `weights` score sentences; `specific` (weighted by how rare each term is in general
    Chinese, compounds counted once) decide whether the reports answer at all. Words the
    question analysis calls conversational (`Question.filler`) are in neither: 请问, 一下,
    意思 never make a question unanswerable.
    """

    def __init__(self, question: Question | str, keyword: KeywordIndex) -> None:
        q = question if isinstance(question, Question) else question_of(question)
        filler = [normalize(f) for f in q.filler]
        tokens = list(dict.fromkeys(_unglue(t, keyword) for t in tokenize(_without_zones(q))))
        tokens = [t for t in tokens if not any(t in f for f in filler)]
        # The analysis's words come from another segmentation (潘 + 淑是 where the tokenizer saw 潘淑是):
        # they are unglued the same way.
        tokens += [
            t for t in (_unglue(normalize(x), keyword) for x in q.terms) if t and t not in tokens and len(t) <= 12
        ]
        # "哪三件事", "几个方面": a lone character after a count is the thing counted, not the topic.
        counted = {b for a, b in pairwise(tokens) if len(b) == 1 and _COUNTING.match(a)}
        terms = [t for t in tokens if not is_question_word(t) and not _COUNTING.match(t) and t not in counted]
        # Verbs of the question's frame (实行, 推行, 分为) never decide whether the reports
        # answer, but an answer often repeats them: they help pick its sentence.
        self.frame = {t: 0.3 * keyword.idf(t) for t in tokens if t in QUESTION_WORDS and len(t) > 1}
        # A lone character (两, 区, 新) says little on its own, whatever its rarity as a token.
        self.weights = {t: keyword.idf(t) * (0.4 if len(t) == 1 else 1.0) for t in terms}
        # 天津高新区: the zone word names the place with it. It still tells 高新区 from 经开区
        # a little, but never picks a section (三、xx高新区…的举措) or decides answering.
        self.specific = {
            t: w * _specificity(t) for t, w in self.weights.items() if not any(t != o and t in o for o in self.weights)
        }
        zones = {normalize(z) for z in q.zones} - self.weights.keys()
        self.weights |= {z: 0.2 * keyword.idf(z) for z in zones}
        self.missing = [t for t in terms if keyword.doc_freq(t) == 0]

    def coverage(self, norm: str, *, specific: bool = False) -> float:
        """Share of the question's term weight found in `norm` (a word jieba glued to its
        neighbour counts by the share of its character pairs that occur)."""
        weights = self.specific if specific else self.weights
        total = sum(weights.values())
        if not total:
            return 0.0
        return sum(w * _presence(t, norm) for t, w in weights.items()) / total

    def without(self, drop: Iterable[str]) -> TermWeights:
        """The same weights without some terms (a place, once the place check holds)."""
        gone = [normalize(d) for d in drop if d]
        out = copy.copy(self)
        keep = {t: w for t, w in self.weights.items() if not any(t in g or g in t for g in gone)}
        out.weights = keep or self.weights
        out.specific = {t: w for t, w in self.specific.items() if t in out.weights}
        return out

    def localized(self, norms: Sequence[str]) -> TermWeights:
        """The same terms, down-weighted where most candidates share them (inside one report
        every sentence may say 天津高新区: the term picks the report, not the sentence)."""
        out = copy.copy(self)
        n = len(norms) or 1
        merged = {**self.frame, **self.weights}
        out.weights = {t: w * (1.0 - 0.5 * sum(t in x for x in norms) / n) for t, w in merged.items()}
        return out


def _without_zones(q: Question) -> str:
    """The question with each zone word that follows a place taken out (天津高新区 → 天津)."""
    norm = q.norm
    for p in q.places:
        name = normalize(p.written)
        for z in q.zones:
            norm = norm.replace(name + normalize(z), name)
    return norm


def question_of(text: str) -> Question:
    """A bare Question for text that is not analyzed (an LLM's claim, a test's question)."""
    return Question(text=text, norm=normalize(text), kind="fact")


def _unglue(term: str, keyword: KeywordIndex) -> str:
    """王沈是 → 王沈: jieba glues a copula or particle to a name it does not know."""
    if len(term) >= 2 and term[-1] in "是的了在有" and keyword.doc_freq(term) == 0 and not is_dictionary_word(term):
        return term[:-1]
    return term


def _specificity(term: str) -> float:
    """0.15 for words common in any Chinese text (rarity ≤ 7), rising to 1 for rare words and names."""
    return min(1.0, max(0.15, (general_rarity(term) - 6.0) / 6.0))


def _presence(term: str, norm: str) -> float:
    if term in norm:
        return 1.0
    if len(term) < 3:
        return 0.0
    pairs = [term[i : i + 2] for i in range(len(term) - 1)]
    return sum(p in norm for p in pairs) / len(pairs)


def top_coverage(contexts: Sequence[str], weights: TermWeights) -> tuple[float, float]:
    """Shares of the specific term weight the passages hold together, and the best one alone."""
    union = weights.coverage("\n".join(contexts), specific=True)
    single = max((weights.coverage(c, specific=True) for c in contexts), default=0.0)
    return union, single


# -- places and years -------------------------------------------------------------------------
class PlaceIndex(Protocol):
    """Which places reports, sections and sentences are about (canonical short forms)."""

    def doc_places(self, doc_id: str) -> frozenset[str]: ...

    def section_places(self, doc_id: str, section: tuple[str, ...]) -> frozenset[str]: ...

    def places_named(self, norm: str) -> frozenset[str]: ...


class RegionPlaces:
    """A `PlaceIndex` from the reports' region metadata: a place is named in any form
    (湖南省衡阳市, 衡阳市, 衡阳) and a section is about the places its headings name."""

    def __init__(self, docs: Sequence[DocRow]) -> None:
        self._docs: dict[str, frozenset[str]] = {}
        forms: dict[str, str] = {}
        for d in docs:
            canon = set()
            for region in d.meta.regions:
                full = normalize(region)
                short = short_place(full)
                canon.add(short)
                forms[full] = forms[short] = short
            self._docs[d.doc_id] = frozenset(canon)
        self._forms = sorted(forms.items(), key=lambda kv: -len(kv[0]))

    def doc_places(self, doc_id: str) -> frozenset[str]:
        return self._docs.get(doc_id, frozenset())

    def docs_about(self, place: str) -> tuple[str, ...]:
        return tuple(d for d, ps in self._docs.items() if place in ps)

    def section_places(self, doc_id: str, section: tuple[str, ...]) -> frozenset[str]:
        return self.places_named(normalize(" ".join(section)))

    def places_named(self, norm: str) -> frozenset[str]:
        return frozenset(canon for form, canon in self._forms if form in norm)


def about_place(s: Sentence, place: str, places: PlaceIndex) -> bool:
    """Whether `s` may answer for `place`: the sentence names it; or it names no other place
    and its section (if its headings name places) or else its report's declared regions are
    about it. A passage whose report declares no region and whose headings name no place (an
    encyclopedia article, a general essay) is not held to a place."""
    c = s.hit.chunk
    named = places.places_named(s.norm)
    if place in named:
        return True
    section = places.section_places(c.doc_id, c.section)
    if not section and not s.hit.record.regions:
        return True  # nothing declares what this passage is about: the search chose it
    home = section or places.doc_places(c.doc_id)
    if named - home - {place}:
        return False  # it speaks of another place, even inside a report about several
    return place in home


def place_of(s: Sentence, places: PlaceIndex) -> str:
    """The place a sentence speaks for: its section's place; else a region of its report
    that its title or the sentence names (天津, not 滨海 of 天津市/滨海新区); else its first
    region. Never a report title."""
    c = s.hit.chunk
    for heading in reversed(c.section):
        named = places.places_named(normalize(heading))
        if named:
            return _most_specific(named, c.section)
    regions = [short_place(normalize(r)) for r in s.hit.record.regions]
    regions = regions or sorted(places.doc_places(c.doc_id))  # 004 names no region; its byline does
    said = f"{normalize(s.hit.record.title)} {s.norm}"
    return next((r for r in regions if r in said), regions[0] if regions else "")


def _most_specific(named: frozenset[str], section: tuple[str, ...]) -> str:
    """湖南省衡阳市 names 湖南 and 衡阳: the later (narrower) one labels the block."""
    text = normalize(" ".join(section))
    return max(named, key=lambda p: text.rfind(p))


def years_in(norm: str) -> set[int]:
    return {int(y) for y in _YEAR.findall(norm)}


def fits_years(s: Sentence, years: Sequence[int]) -> bool:
    """An asked year must be the sentence's year: named in it, or (when it names none) the
    year of the text before it in its passage or its headings, if that names one. A 2017
    sentence never answers 2022."""
    if not years:
        return True
    own = years_in(s.norm)
    if own:
        return bool(own & set(years))
    c = s.hit.chunk
    before = c.norm[: max(0, s.start - c.start)]
    context = years_in(before[-200:]) | years_in(s.frame)
    return not context or bool(context & set(years))  # undated text is not another year's


def fits(s: Sentence, question: Question, places: PlaceIndex) -> bool:
    """The place and year check every cited sentence passes."""
    wanted = [p.canonical for p in question.places if p.doc_ids]
    if wanted and not any(about_place(s, p, places) for p in wanted):
        return False
    return fits_years(s, question.years)


# -- scoring ----------------------------------------------------------------------------------
_NUMERIC_Q = re.compile(r"(多少|几[个项人家种张年]|比例|数量|多大|增速|规模)")
COUNT_Q = re.compile(r"(多少|几[个项件人家次年倍名张批条成天]|多久|多长时间)")
"""How many / how long: only a quantity answers (多大, 比例 may be answered in words)."""
_TIME_Q = re.compile(r"(什么时候|何时|哪一年|哪年|时间)")


class Scorer:
    """Scores candidate sentences for a question (lexical, dense, rank, shape)."""

    def __init__(self, embedder: Embedder, config: AnswerConfig) -> None:
        self.embedder = embedder
        self.config = config

    def score(self, question: Question, sentences: Sequence[Sentence], weights: TermWeights) -> list[Scored]:
        if not sentences:
            return []
        cfg = self.config
        local = weights.localized([s.norm for s in sentences])
        qnorm = question.norm
        qgrams, qall = char_bigrams(_content(qnorm)), char_bigrams(qnorm)
        lexical = [_lexical(s, local, qgrams) for s in sentences]
        lexical = _carry_to_continuations(sentences, lexical, qall)
        numeric = question.kind == "number" or bool(_NUMERIC_Q.search(qnorm))
        timely = bool(_TIME_Q.search(qnorm))
        defining = question.kind == "definition"
        base = []
        for s, lex in zip(sentences, lexical, strict=True):
            shaped = (
                (numeric and HAS_NUM.search(s.norm))
                or (timely and _HAS_TIME.search(s.text))
                or (defining and _DEFINES.search(s.norm))
            )
            penalty = cfg.heading_penalty if s.is_heading or is_echo(s.norm, qall) else 0.0
            rank = 1.0 / (1.0 + cfg.rank_decay * s.hit_rank)
            base.append(cfg.w_lexical * lex + cfg.w_rank * rank + (cfg.shape_bonus if shaped else 0.0) - penalty)
        dense = self._dense(question, sentences, base)
        out = [
            Scored(s, b + cfg.w_dense * d, lex) for s, b, d, lex in zip(sentences, base, dense, lexical, strict=True)
        ]
        return sorted(out, key=lambda x: -x.score)

    def _dense(self, question: Question, sentences: Sequence[Sentence], base: Sequence[float]) -> list[float]:
        """Min-max scaled similarity to the question, for the best few candidates only."""
        top = sorted(range(len(sentences)), key=lambda i: -base[i])[: self.config.dense_candidates]
        out = [0.0] * len(sentences)
        if len(top) < 2:
            return [1.0 if i in top else 0.0 for i in range(len(sentences))]
        q = self.embedder.embed_query(focus(question))
        # The same passages come back question after question: the engine's embedder
        # (index.embedders.CachingEmbedder) keeps their vectors.
        vecs = self.embedder.embed_documents([sentences[i].norm for i in top])
        sims = vecs @ q
        lo, hi = float(sims.min()), float(sims.max())
        for i, sim in zip(top, sims, strict=True):
            out[i] = (float(sim) - lo) / (hi - lo) if hi > lo else 1.0
        return out


def _content(norm: str) -> str:
    """The question without its question words, as space-separated terms."""
    return " ".join(t for t in tokenize(norm) if t not in QUESTION_WORDS and len(t) > 1)


def _lexical(s: Sentence, weights: TermWeights, qgrams: set[str]) -> float:
    """Term coverage (title and headings count for every sentence under them), softened by
    character-bigram coverage (robust to word segmentation)."""
    grams = sum(g in s.norm for g in qgrams) / len(qgrams) if qgrams else 0.0
    return 0.7 * weights.coverage(f"{s.frame} {s.norm}") + 0.3 * grams


def focus(question: Question) -> str:
    """The question without the places it names, if enough of it remains: the place check
    already keeps only sentences about them, and a place name in the query would make the
    similarity favour sentences that repeat the name over those that answer."""
    focused = question.norm
    for name in sorted(
        {x for p in question.places for x in (normalize(p.written), p.canonical)}, key=len, reverse=True
    ):
        focused = focused.replace(name, "")
    return focused if len(_content(focused).split()) >= 2 else question.norm


def is_echo(norm: str, qgrams: set[str]) -> bool:
    """A sentence that only restates the question (often an inline heading) answers nothing.
    One that restates it and adds a word of its own (…节奏型称为“锣鼓点”, …被旧金山勇士队选中)
    is its answer: at most one character outside the question's character pairs is allowed."""
    own = char_bigrams(norm)
    if not own or len(own & qgrams) / len(own) < 0.6:
        return False
    body = word_chars(_NUMBERING.sub("", norm))
    covered = [False] * len(body)
    for i in range(len(body) - 1):
        if body[i : i + 2] in qgrams:
            covered[i] = covered[i + 1] = True
    return sum(1 for c, hit in zip(body, covered, strict=True) if not hit and c not in _FUNCTION_CHARS) < 2


_FUNCTION_CHARS = frozenset("的了着过是在和与及或之其对于关等情况主要")
"""Padding a restating heading adds (关于…的情况, …的主要…): no word of its own."""
_NUMBERING = re.compile(r"^\s*(?:[(（]?[一二三四五六七八九十\d]{1,3}[)）、.．]|[①-⑳])")
"""A heading's number (2. 技术变革要“快”; （一）; ①) is not a word the heading adds."""


def _carry_to_continuations(sentences: Sequence[Sentence], lexical: list[float], qgrams: set[str]) -> list[float]:
    """What follows a heading or a restated question is usually its answer: it inherits the match."""
    out = list(lexical)
    for i in range(len(sentences) - 1):
        cur, nxt = sentences[i], sentences[i + 1]
        if nxt.hit is cur.hit and (cur.is_heading or is_echo(cur.norm, qgrams)):
            out[i + 1] = max(out[i + 1], 0.9 * lexical[i])
    return out


def similar(a: str, b: str) -> bool:
    """Near-duplicate sentences (overlapping chunks repeat them): bigram overlap > 0.7."""
    sa, sb = char_bigrams(a), char_bigrams(b)
    return bool(sa and sb) and len(sa & sb) / min(len(sa), len(sb)) > 0.7


# -- citations and the answer text ------------------------------------------------------------
def cite(n: int, s: Sentence) -> Citation:
    """The verbatim quote of `s` with its span in the cleaned report."""
    r = s.hit.record
    page = r.chunk.page_at(s.start)
    return Citation(n, r.chunk.doc_id, r.title, r.rel, r.chunk.section_path, s.text, s.start, s.end, r.regions, page)


@lru_cache(maxsize=1)
def _s2t() -> object:
    import opencc

    return opencc.OpenCC("s2t")


def in_script(quote: str, question: Question) -> str:
    """The quote in the question's script (the citation keeps the original)."""
    from index.textnorm import to_simplified

    if _has_traditional(question.text):
        return str(_s2t().convert(quote))  # type: ignore[attr-defined]
    return to_simplified(quote)


def _has_traditional(text: str) -> bool:
    from index.textnorm import to_simplified

    return to_simplified(text) != text


def marked(c: Citation, question: Question) -> str:
    """One cited item of the answer text: the quote (in the question's script) and its marker."""
    return f"{in_script(c.quote, question).strip()}[{c.n}]"


def flatten(blocks: Sequence[AnswerBlock]) -> str:
    """`Answer.text` from the blocks: paragraphs as runs, bullets as lines, places headed."""
    lines: list[str] = []
    for b in blocks:
        if b.kind == "paragraph" or b.kind == "notice":
            lines.append("".join(b.items))
        elif b.kind == "place":
            lines.append(f"- {b.heading}：" + "".join(b.items))
        elif b.kind == "related":
            lines.append((b.heading or "相关段落（不是对问题的回答）") + "：")
            lines.extend(f"  · {x}" for x in b.items)
        else:
            if b.heading:
                lines.append(b.heading)
            lines.extend(f"- {x}" for x in b.items)
    return "\n".join(lines)


def declined(question: Question, why: str, related: Sequence[Sentence], mode: str = "extractive") -> Answer:
    """A declined answer: a notice saying what the reports lack (for the asked place), and
    the nearest passages as related reading, which are not citations."""
    cites = tuple(cite(i, s) for i, s in enumerate(related, 1))
    notice = f"{why}，现有报告无法回答这个问题。"
    blocks = [AnswerBlock("notice", (notice,))]
    if cites:
        heading = "以下段落相关但不是对问题的回答，仅供参考"
        blocks.append(AnswerBlock("related", tuple(marked(c, question) for c in cites), heading))
    text = notice + ("以下是最接近的段落，仅供参考。" if cites else "")
    return Answer(
        question.text,
        question.text,
        text,
        False,
        "llm" if mode == "llm" else "extractive",
        (),
        (),
        tuple(blocks),
        question.kind,
        cites,
    )


# -- deciding whether the reports answer ------------------------------------------------------
_JUNK = re.compile(r"(链接|下载|电话|联系人|邮箱|传真|地址|邮编|作者单位|责任编辑|来源)\s*[:：]")


def is_junk(s: Sentence) -> bool:
    """Link, contact and byline lines (作者单位:…) never answer: they name a place or a
    source and nothing else."""
    return bool(_JUNK.search(s.norm))


@dataclass(frozen=True)
class Verdict:
    """Whether the hits answer the question: the reason to decline (empty: they answer),
    the hits about the asked place and year, and what to offer as related reading."""

    why: str = ""
    hits: tuple[Hit, ...] = ()
    related: tuple[Sentence, ...] = ()
    coverage: tuple[float, float] = (0.0, 0.0)


def judge(
    question: Question, hits: Sequence[Hit], weights: TermWeights, places: PlaceIndex, cfg: AnswerConfig
) -> Verdict:
    """Decline when nothing was found, when an asked place is in no report, when no passage
    about the asked place (and year) holds the question's specific terms."""
    if not hits:
        return Verdict("没有检索到相关段落")
    contexts = [context_of(h) for h in hits]
    absent = [p.written for p in question.absent_places if normalize(p.written) not in "\n".join(contexts)]
    if absent:
        return Verdict(f"报告中没有提到“{'、'.join(absent)}”", related=tuple(lead_sentences(hits, cfg.related_max)))
    if not weights.weights:
        return Verdict("问题中没有可检索的关键词")
    fitting = [h for h in hits if any(fits(s, question, places) for s in sentences_of([h]))]
    if not fitting:
        return Verdict(lacks(question, weights, ""), related=tuple(lead_sentences(hits, cfg.related_max)))
    best = [context_of(h) for h in fitting[: cfg.coverage_hits]]
    # Where reports declare their places, the place check holds for these passages and the
    # rest of the question decides; where nothing is declared, the place name is content
    # like any other (内蒙古 in an encyclopedia article on it).
    asked = [x for p in question.places if p.doc_ids for x in (p.written, p.canonical)]
    declared = any(h.record.regions or places.section_places(h.chunk.doc_id, h.chunk.section) for h in fitting)
    union, single = top_coverage(best, weights.without(asked) if asked and declared else weights)
    if union < cfg.min_coverage or single < cfg.min_passage_coverage:
        others = [h for h in hits if h not in fitting] if len(fitting) < len(hits) else list(hits)
        return Verdict(
            lacks(question, weights, "\n".join(best)),
            related=tuple(lead_sentences(others, cfg.related_max)),
            coverage=(union, single),
        )
    return Verdict("", tuple(fitting), coverage=(union, single))


def lacks(question: Question, weights: TermWeights, context: str) -> str:
    """What the reports lack, said for the asked place and year specifically."""
    place = "、".join(p.written for p in question.places if p.doc_ids)
    years = "、".join(f"{y}年" for y in question.years)
    if question.attribute and (place or years):
        return f"报告中没有{place}{years}{question.attribute}的内容"
    missing = [t for t in weights.weights if t not in context]
    shown = "、".join(sorted(missing, key=lambda t: -weights.weights[t])[:3])
    if place or years:
        what = f"关于“{shown}”的" if shown else "直接回答的"
        return f"报告中没有{place}{years}{what}内容"
    return f"报告中没有找到关于“{shown}”的内容" if shown else "报告中没有找到直接回答"


def lead_sentences(hits: Sequence[Hit], n: int) -> list[Sentence]:
    """The first body sentence of each of the first `n` hits (related reading)."""
    out: list[Sentence] = []
    for h in hits[:n]:
        sents = [s for s in sentences_of([h]) if not s.is_heading and not is_junk(s)]
        if sents:
            out.append(sents[0])
    return out
