"""Clause by clause: is every part of an LLM sentence in the sources it cites?

The best-supporting sentence of a cited source (`assistant.llm_grounding.Grounder`) shows that the
sentence is *about* what the source says; it does not show that all of it is there.
"…评价收入，另外每位干部年薪一千万元并配发私人飞机[1]" shares half its words with its source.
So each cited sentence is cut into clauses, at ，；、： and at conjunctions (另外, 并且,
同时, 并…: jieba words, so 合并 stays whole), and each clause must be in the text of the
sources its sentence cites (their passage, report title, regions and headings):

- every **number** in it, by value (1000万 = 一千万, 3 = 三; a lone 一/两 is not a number);
- every **name** in it (places the library knows, jieba's place and organization words);
- its **content words** (nouns, verbs, adjectives; not particles, pronouns or
  conjunctions): their share, weighted by the corpus idf of each word (a word the library
  never uses weighs most), at least `min_support`. Words of three or more characters count
  by the share of their character pairs found (jieba glues words differently in the two texts).

A clause without content (也就是说) needs nothing. Text of a source that addresses an AI
(`assistant.injection`) supports nothing: an answer that repeats an injected instruction
is never grounded by it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from assistant.grounding import PlaceIndex, frame_of
from assistant.injection import blank_instructions
from assistant.places import pos_words
from assistant.terms import presence
from index.keyword import STOPWORDS, KeywordIndex
from index.textnorm import normalize
from index.types import Hit

MIN_CLAUSE_SUPPORT = 0.6
"""Share of a clause's content-word weight its cited sources must hold (`bench/claims.py`:
every invented clause of the bench is under it, most faithful rewordings over it)."""

_PUNCT = frozenset("，,；;、：:（）()“”\"'‘’「」『』—…!！?？")
_CONJUNCTIONS = frozenset(
    [
        "另外",
        "此外",
        "并且",
        "而且",
        "同时",
        "以及",
        "并",
        "还",
        "且",
        "又",
        "再",
        "而",
        "但",
        "但是",
        "然而",
        "此后",
        "随后",
        "还有",
        "另",
        "其次",
        "再者",
        "加之",
        "甚至",
        "乃至",
        "其中",
    ]
)
_FUNCTION_FLAGS = ("p", "c", "u", "r", "d", "m", "q", "x", "y", "e", "o", "w", "f", "z", "l")
"""jieba tags that carry no claim of their own: prepositions, conjunctions, particles,
pronouns, adverbs, numerals (checked as numbers), classifiers, punctuation, interjections,
localizers (上/中), descriptive words, set phrases (也就是说, 总的来说)."""
_NAME_FLAGS = ("ns", "nt")
_ARABIC = re.compile(r"\d+(?:[.,]\d+)*\s*[万亿]?")
_CN_NUMERAL = re.compile(r"[零〇一二两三四五六七八九十百千万亿]+")
_CN_DIGITS = {
    "零": 0,
    "〇": 0,
    "一": 1,
    "二": 2,
    "两": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
}
_CN_UNITS = {"十": 10, "百": 100, "千": 1000}
_CN_BIG = {"万": 10_000, "亿": 100_000_000}


def cn_value(text: str) -> float | None:
    """一千万 → 10000000, 二〇二三 → 2023, 三十五 → 35; None when it is not a numeral."""
    if not text or any(ch not in _CN_DIGITS and ch not in _CN_UNITS and ch not in _CN_BIG for ch in text):
        return None
    if all(ch in _CN_DIGITS for ch in text):
        return float("".join(str(_CN_DIGITS[ch]) for ch in text))
    total, section, digit = 0.0, 0.0, None
    for ch in text:
        if ch in _CN_DIGITS:
            digit = _CN_DIGITS[ch]
        elif ch in _CN_UNITS:
            section += (digit if digit is not None else 1) * _CN_UNITS[ch]
            digit = None
        else:
            section += digit or 0
            total = (total + section) * _CN_BIG[ch]
            section, digit = 0.0, None
    return total + section + (digit or 0)


def _arabic_value(text: str) -> float | None:
    body = text.rstrip("万亿 ")
    try:
        value = float(body.replace(",", ""))
    except ValueError:
        return None
    return value * _CN_BIG.get(text.strip()[-1], 1)


def numbers_in(norm: str, *, strict: bool) -> set[float]:
    """The numbers of a text by value. `strict` (a claim) skips a lone 一 (统一, 一是, 进一步
    hold no quantity); a source keeps it. A 万/亿 alone is a unit, not a number."""
    out = {v for m in _ARABIC.finditer(norm) if (v := _arabic_value(m.group())) is not None}
    for m in _CN_NUMERAL.finditer(norm):
        run = m.group()
        if (strict and run == "一") or all(ch in _CN_BIG for ch in run):
            continue
        value = cn_value(run)
        if value is not None:
            out.add(value)
    return out


@dataclass(frozen=True)
class Clause:
    text: str
    words: tuple[str, ...]
    names: tuple[str, ...]
    numbers: frozenset[float]


def clauses(sentence: str) -> list[Clause]:
    """The clauses of a sentence (normalized), each with its content words, names and numbers."""
    out: list[Clause] = []
    parts: list[list[tuple[str, str]]] = [[]]
    for word, flag in pos_words(normalize(sentence)):
        if word.strip() == "" or all(ch in _PUNCT for ch in word) or word in _CONJUNCTIONS:
            parts.append([])
        else:
            parts[-1].append((word, flag))
    for part in parts:
        if not part:
            continue
        text = "".join(w for w, _ in part)
        words = tuple(
            dict.fromkeys(
                w for w, f in part if len(w) >= 2 and not f.startswith(_FUNCTION_FLAGS) and w not in STOPWORDS
            )
        )
        names = tuple(dict.fromkeys(w for w, f in part if f in _NAME_FLAGS and len(w) >= 2))
        out.append(Clause(text, words, names, frozenset(numbers_in(text, strict=True))))
    return out


@dataclass(frozen=True)
class Evidence:
    """What the cited sources say, as a clause is checked against it."""

    norm: str
    """Passages, titles, regions and headings, normalized; instructions to an AI blanked."""
    numbers: frozenset[float]
    places: frozenset[str]


def evidence(hits: Sequence[Hit], places: PlaceIndex | None = None) -> Evidence:
    norm = "\n".join(f"{frame_of(h)}\n{blank_instructions(h.chunk.norm)}" for h in hits)
    named: set[str] = set()
    if places is not None:
        named |= places.places_named(norm)
        for h in hits:
            named |= places.doc_places(h.chunk.doc_id)
    return Evidence(norm, frozenset(numbers_in(norm, strict=False)), frozenset(named))


class ClauseChecker:
    """Checks the clauses of cited sentences against their sources (see the module docstring)."""

    def __init__(
        self,
        keyword: KeywordIndex | None = None,
        places: PlaceIndex | None = None,
        min_support: float = MIN_CLAUSE_SUPPORT,
    ) -> None:
        self.keyword = keyword
        self.places = places
        self.min_support = min_support

    def _weight(self, word: str) -> float:
        return self.keyword.idf(word) if self.keyword is not None else 1.0

    def unsupported(self, sentence: str, hits: Sequence[Hit]) -> str:
        """Why a clause of `sentence` is not in `hits` ("" when every clause is)."""
        ev = evidence(hits, self.places)
        for c in clauses(sentence):
            why = self.clause_gap(c, ev)
            if why:
                return why
        return ""

    def clause_gap(self, c: Clause, ev: Evidence) -> str:
        missing = sorted(n for n in c.numbers if n not in ev.numbers)
        if missing:
            return f"number {missing[0]:g} of '{c.text}' is not in the source"
        named = self.places.places_named(c.text) if self.places is not None else frozenset()
        for place in named:
            if place not in ev.places and place not in ev.norm:
                return f"place {place} of '{c.text}' is not in the source"
        for name in c.names:
            if name not in ev.norm and not (self.places is not None and self.places.places_named(name) & ev.places):
                return f"name {name} of '{c.text}' is not in the source"
        if not c.words:
            return ""
        weights = [self._weight(w) for w in c.words]
        total = sum(weights)
        share = sum(w * presence(word, ev.norm) for word, w in zip(c.words, weights, strict=True)) / total
        if share < self.min_support:
            return f"'{c.text}' is {share:.0%} in the source (needs {self.min_support:.0%})"
        return ""
