"""Question analysis, once per question, as a typed object used by retrieval, the
answerers and the UI.

`analyze(text, gazetteer)` finds the places named (normalized against the reports'
places, see assistant.places), the question's kind from its form, quoted terms, years,
numbers, how many items a list asks for, and splits the remaining words into content
terms (which count toward answerability) and form or conversational words (which never do).

The split is a rule, not a word list: a word is form when it is a function word (jieba's
part of speech: particles, adverbs, pronouns, prepositions, conjunctions, measure words),
when it belongs to the question's frame (the words that decide its kind: 是什么意思, 有哪些,
多大比例, 哪些报告提到), when it is part of a request wrapper around the question (请/麻烦/
能不能/我想 + a verb of saying or knowing, 介绍一下, 说说, 告诉我), or when it is a verb or
adjective that is neither a name nor used anywhere in the reports. Nouns, names (words
jieba's dictionary lacks), quoted terms, numbers and years are content even when the
reports lack them: an absent content noun must still be able to decline a question.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Literal

from assistant.grammar import (
    ACROSS,
    ASIDE,
    CN_YEAR,
    COMPARE,
    COMPARE_JOINED,
    CONCEPT,
    COUNT,
    COUNT_Q,
    CROSS,
    DEFINE,
    EFFECT,
    LIST,
    MEASURES,
    NUMBER,
    NUMBER_TOKEN,
    NUMERIC_Q,
    QUOTED,
    SUMMARY,
    TELL_ME,
    TIME_Q,
    WH,
    YEAR,
    YESNO,
    cn_number,
    doc_field,
)
from assistant.places import Gazetteer, PlaceSpan, canonical_place, pos_words
from assistant.question_words import attribute_of, classify, inside
from index.textnorm import normalize

__all__ = [
    "Gazetteer",
    "Place",
    "Question",
    "QuestionKind",
    "analyze",
    "build_gazetteer",
    "canonical_place",
    "question_of",
]

QuestionKind = Literal["fact", "number", "list", "measures", "definition", "effect", "summary", "comparison", "yesno"]


@dataclass(frozen=True)
class Place:
    """A place the question names, matched against the reports."""

    written: str
    """As written in the question (may be Traditional, may carry a suffix: 广西省, 衡阳市)."""
    canonical: str
    """Normalized short form used for matching: 广西, 衡阳, 天津."""
    doc_ids: tuple[str, ...]
    """Reports about this place (region metadata, or sections about it); empty: none."""


@dataclass(frozen=True)
class Question:
    """What a (standalone, already resolved) question asks."""

    text: str
    """The standalone question as shown to the user."""
    norm: str
    """`text` normalized like the reports (Simplified, half-width)."""
    kind: QuestionKind
    places: tuple[Place, ...] = ()
    """Places named, in order; a place no report is about has empty doc_ids."""
    terms: tuple[str, ...] = ()
    """Content terms that count toward answerability (attested in the reports, names, quoted
    terms, numbers, years); never form or conversational words."""
    quoted: tuple[str, ...] = ()
    """Quoted or bracketed terms (“2号章”, 《…》, 三化三制 when quoted)."""
    years: tuple[int, ...] = ()
    numbers: tuple[str, ...] = ()
    attribute: str = ""
    """The asked attribute without place, form and conversational words (干部工资的构成, 审批环节)."""
    doc_field: str = ""
    """A field of the document itself the question asks for (`grammar.doc_field`): doc_number,
    date or issuer; empty for a question about the content."""
    filler: tuple[str, ...] = ()
    """Conversational and form words found (请问, 一下, 呀, 意思, 提到 …): never decide declining."""
    count: int | None = None
    """How many items a list question asks for (哪五个方面 → 5)."""
    cross_place: bool = False
    """Asks across places without naming them (各地, 哪些地方, 哪些报告): spread over reports."""
    zones: tuple[str, ...] = ()
    """Zone words that name a place with it (天津高新区 → 高新区): part of the place, not the topic."""
    aside: str = ""
    """The question without the words around it that are not its content (the report it points
    at, a request: `grammar.ASIDE`), its places kept: what is searched. Empty: `text`."""

    @property
    def query(self) -> str:
        """What retrieval searches for."""
        return self.aside or self.text

    # -- what the question asks, decided here once for retrieval, grounding and the shapes -----
    @cached_property
    def compares(self) -> bool:
        """Sets places side by side (one block per place): a comparison, a question across
        places, or two places of the reports asked about each (分别, 对比, 哪几个…)."""
        known = [p for p in self.places if p.doc_ids]
        return self.kind == "comparison" or self.cross_place or (len(known) >= 2 and bool(ACROSS.search(self.norm)))

    @cached_property
    def spread(self) -> bool:
        """Its hits should come from several reports (the best of each first)."""
        return self.cross_place or self.kind == "comparison"

    @cached_property
    def wide(self) -> bool:
        """Wants breadth over depth: more hits are read (several places, or each place named)."""
        return self.spread or bool(ACROSS.search(self.norm))

    @cached_property
    def numeric(self) -> bool:
        """A sentence with a number fits its shape (多少, 比例, 规模)."""
        return self.kind == "number" or bool(NUMERIC_Q.search(self.norm))

    @cached_property
    def wants_quantity(self) -> bool:
        """Only a quantity answers it (多少, 几个, 多久; 多大 and 比例 may be answered in words)."""
        return bool(COUNT_Q.search(self.norm))

    @cached_property
    def asks_time(self) -> bool:
        """Asks when (什么时候, 哪一年): a dated sentence fits its shape."""
        return bool(TIME_Q.search(self.norm))

    @property
    def place_doc_ids(self) -> frozenset[str]:
        return frozenset(d for p in self.places for d in p.doc_ids)

    @property
    def absent_places(self) -> tuple[Place, ...]:
        return tuple(p for p in self.places if not p.doc_ids)


def build_gazetteer(docs: object, chunks: object = (), vocabulary: object = None) -> Gazetteer:
    """`Gazetteer.build` (kept as a function for callers that cache per index generation)."""
    return Gazetteer.build(docs, chunks, vocabulary)  # type: ignore[arg-type]


def analyze(text: str, gazetteer: Gazetteer) -> Question:
    """What `text` (a standalone question) asks; see the module docstring."""
    norm = normalize(text)
    spans = gazetteer.find(norm)
    places = _places(text, spans, gazetteer)
    quoted = _quoted(norm)
    years = _years(norm)
    in_quotes = [(m.start(), m.end()) for m in QUOTED.finditer(norm)]
    numbers = tuple(
        m.group(0)
        for m in NUMBER_TOKEN.finditer(norm)
        if not _is_year_at(norm, m.start(), m.end()) and not inside(m.start(), m.end(), in_quotes)
    )
    words = classify(norm, spans, gazetteer)
    terms = [w for w, role in words if role == "term"]
    for extra in (*quoted, *numbers, *(str(y) for y in years)):
        if extra not in terms:
            terms.append(extra)
    cross = bool(CROSS.search(norm))
    return Question(
        text=text.strip(),
        norm=norm.strip(),
        kind=_kind(norm, places, cross),
        places=places,
        terms=tuple(dict.fromkeys(terms)),
        quoted=quoted,
        years=years,
        numbers=numbers,
        attribute=attribute_of(words, text),
        doc_field=doc_field(norm),
        filler=tuple(dict.fromkeys(w for w, role in words if role == "form")),
        count=_count(norm),
        cross_place=cross,
        zones=tuple(dict.fromkeys(w for w, role in words if role == "zone")),
        aside=_without_aside(text, places),
    )


def _without_aside(text: str, places: tuple[Place, ...]) -> str:
    """`text` without its aside spans (grammar.ASIDE), the places named in them kept in front."""
    norm = normalize(text)
    spans = [(m.start(), m.end()) for m in ASIDE.finditer(norm)]
    if not spans:
        return ""
    kept = "".join(
        text[a:b] for a, b in zip([0, *(e for _, e in spans)], [*(s for s, _ in spans), len(text)], strict=True)
    )
    lost = [p.written for p in places if p.written not in kept]
    return " ".join([*lost, kept.strip(" ,，")])


def _places(text: str, spans: list[PlaceSpan], gazetteer: Gazetteer) -> tuple[Place, ...]:
    out: dict[str, Place] = {}
    for s in spans:
        if s.canonical not in out:
            out[s.canonical] = Place(text[s.start : s.end], s.canonical, gazetteer.docs_for(s.canonical))
    return tuple(out.values())


def _kind(norm: str, places: tuple[Place, ...], cross: bool) -> QuestionKind:
    """The answer shape the question asks for, from its form (first rule that applies)."""
    several = len(places) >= 2
    if cross or (several and (COMPARE.search(norm) or COMPARE_JOINED.search(norm))):
        return "comparison"
    if DEFINE.search(norm) or _is_concept_question(norm, places):
        return "definition"
    if SUMMARY.search(norm) or (TELL_ME.search(norm) and not WH.search(norm)):
        return "summary"
    if EFFECT.search(norm) and not LIST.search(norm.split("效果")[0] if "效果" in norm else ""):
        return "effect"
    if LIST.search(norm):
        return "measures" if MEASURES.search(norm) else "list"
    if any(_starts_a_word(norm, m.start()) for m in NUMBER.finditer(norm)):
        return "number"  # not 多大 inside 科罗拉多大学
    if MEASURES.search(norm):
        return "measures"
    if YESNO.search(norm) and not WH.search(YESNO.sub("", norm)):
        return "yesno"
    return "fact"


def _starts_a_word(norm: str, pos: int) -> bool:
    """Whether a word of the question's segmentation starts at `pos`."""
    at = 0
    for word, _ in pos_words(norm):
        if at >= pos:
            return at == pos
        at += len(word)
    return False


def _is_concept_question(norm: str, places: tuple[Place, ...]) -> bool:
    """“X是什么/是啥” about a concept: a quoted term, or a bare term with no place and no
    的 before it (法定机构是什么? — but 四川的园区改革目标是什么? asks a fact)."""
    m = CONCEPT.search(norm)
    if not m:
        return False
    subject = norm[: m.start()]
    return "“" in subject or (not places and "的" not in subject)


def _quoted(norm: str) -> tuple[str, ...]:
    return tuple(dict.fromkeys(next(g for g in m.groups() if g) for m in QUOTED.finditer(norm)))


def _years(norm: str) -> tuple[int, ...]:
    found = [int(m.group(1)) for m in YEAR.finditer(norm)]
    digits = {c: str(i) for i, c in enumerate("〇一二三四五六七八九")} | {"零": "0"}
    found += [int("".join(digits[c] for c in m.group(1))) for m in CN_YEAR.finditer(norm)]
    return tuple(dict.fromkeys(found))


def _is_year_at(norm: str, start: int, end: int) -> bool:
    return bool(YEAR.fullmatch(norm, start, end) or YEAR.match(norm, start)) and end - start == 4


def _count(norm: str) -> int | None:
    m = COUNT.search(norm)
    return cn_number(m.group(1)) if m else None


def question_of(text: str) -> Question:
    """A bare Question for text that is not analyzed (an LLM's claim, a test's question)."""
    return Question(text=text, norm=normalize(text), kind="fact")
