"""The words of a question and their roles: content terms, form and conversational words,
places, zone words, quotes and numbers (see assistant.question's docstring for the rule).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from assistant.grammar import (
    CN_DIGITS,
    COUNTED,
    DEICTIC,
    FRAME,
    FUNCTION_POS,
    KIND_WORDS,
    NUMBER_TOKEN,
    PARTICLES,
    QUOTED,
    REQUEST_LEAD,
    WH,
    YEAR_SPAN,
)
from assistant.places import ZONE_WORDS, Gazetteer, PlaceSpan, pos_words
from index.keyword import STOPWORDS, general_rarity, is_dictionary_word

_SPECIFIC_RARITY = 12.0
"""jieba rarity (-log frequency share) from which an unused verb is specific enough to count:
提到 10.1, 告诉 8.6, 提及 11.7, 归纳 11.5 are general; 退税 13.7, 办结 16.3, 竞聘 14.7 are not."""


Role = Literal["term", "form", "place", "zone", "quote", "number", "stop"]


@dataclass(frozen=True)
class Word:
    """One jieba word of a question with its span in the normalized text and its role."""

    start: int
    end: int
    text: str
    flag: str
    """jieba's part of speech."""
    role: Role


def parse(norm: str, gazetteer: Gazetteer) -> list[Word]:
    """The words of a normalized question with their roles (for follow-up resolution)."""
    spans = gazetteer.find(norm)
    roles = classify(norm, spans, gazetteer)
    out: list[Word] = []
    pos = 0
    for (word, flag), (_, role) in zip(pos_words(norm), roles, strict=True):
        out.append(Word(pos, pos + len(word), word, flag, role))
        pos += len(word)
    return out


def classify(norm: str, spans: list[PlaceSpan], gazetteer: Gazetteer) -> list[tuple[str, Role]]:
    """Each jieba word of the question with its role (see the module docstring)."""
    frame = [(m.start(), m.end()) for m in FRAME.finditer(norm)]
    quotes = [(m.start(), m.end()) for m in QUOTED.finditer(norm)]
    numbers = [(m.start(), m.end()) for m in NUMBER_TOKEN.finditer(norm)]
    numbers += [(m.start(), m.end()) for m in YEAR_SPAN.finditer(norm)]
    placed = [(s.start, s.end) for s in spans]
    pairs = pos_words(norm)
    out: list[tuple[str, Role]] = []
    pos = 0
    after_place = False
    for i, (word, flag) in enumerate(pairs):
        start, end = pos, pos + len(word)
        pos = end
        role: Role
        if not word.strip() or not re.search(r"\w", word):
            role = "stop"
        elif _overlaps(start, end, placed):
            role = "place"
        elif after_place and word in ZONE_WORDS:
            role = "zone"  # 天津高新区: part of naming the place, not the topic
        elif inside(start, end, quotes):
            role = "quote"
        elif _overlaps(start, end, numbers) or _is_numeral(word, flag):
            role = "number" if any(ch.isdigit() for ch in word) else "form"
        elif _overlaps(start, end, frame) or KIND_WORDS.match(word):
            role = "form"
        elif len(word) == 1 and i > 0 and (COUNTED.search(pairs[i - 1][0]) or pairs[i - 1][0] in DEICTIC):
            role = "form"  # 多少项, 几个, 这个市: a counter or a pointer, not a topic
        elif _is_form_word(word, flag, pairs, i, gazetteer) or WH.search(word):
            role = "form"  # also 干什么, 为什么, 哪里: question words glued to a verb
        elif word in STOPWORDS or WH.fullmatch(word):
            role = "stop"
        else:
            role = "term"
        after_place = role in ("place", "zone")
        out.append((word, role))
    return _modifiers_of_form(_opening_clause(_request_wrapper(out), gazetteer), pairs)


def inside(start: int, end: int, spans: list[tuple[int, int]]) -> bool:
    return any(a <= start and end <= b for a, b in spans)


def _overlaps(start: int, end: int, spans: list[tuple[int, int]]) -> bool:
    return any(start < b and a < end for a, b in spans)


def _is_numeral(word: str, flag: str) -> bool:
    return flag == "m" and all(ch in CN_DIGITS + "百千万亿几多半个第" for ch in word)


def _is_form_word(word: str, flag: str, pairs: list[tuple[str, str]], i: int, gazetteer: Gazetteer) -> bool:
    if word in PARTICLES or (flag.startswith(FUNCTION_POS) and flag != "eng"):
        return True
    if len(word) == 1 and flag.startswith("v"):
        return True  # 做, 有, 到, 搞: one-character verbs carry no topic
    if flag.startswith(("n", "vn", "eng", "i", "l", "j", "b", "nz", "nr", "ns", "nt")):
        return False  # nouns and names are content, present in the reports or not
    if not is_dictionary_word(word):
        return False  # a name or a term jieba does not know: content
    if flag.startswith(("v", "a", "m", "t")):
        nxt = pairs[i + 1][0] if i + 1 < len(pairs) else ""
        # 说说, 讲讲; 介绍一下, 告诉我: a verb of the request, not of the topic.
        if nxt == word or nxt in ("一下", "下", "我", "一些", "给我"):
            return True
        # A verb or adjective the reports never use: form when it is general Chinese (提到,
        # 告诉, 提及), content when it is specific (退税, 办结): jieba's word frequency decides.
        return not gazetteer.attested(word) and general_rarity(word) < _SPECIFIC_RARITY
    return False


def _request_wrapper(words: list[tuple[str, Role]]) -> list[tuple[str, Role]]:
    """The request around a question (请总结一下…, 能不能告诉我…, 我想知道…, 麻烦问下, …):
    a leading run that starts with a request word, up to the first place, quote, number or
    noun, is form however common its verbs are in the reports."""
    out = list(words)
    if not out or not REQUEST_LEAD.match(out[0][0]):
        return out
    for j, (word, role) in enumerate(out):
        if role in ("place", "zone", "quote", "number"):
            break
        if role == "term" and len(word) > 1 and not _is_wrapper_verb(word) and not REQUEST_LEAD.match(word):
            break
        if role == "term":
            out[j] = (word, "form")
    return out


def _opening_clause(words: list[tuple[str, Role]], gazetteer: Gazetteer) -> list[tuple[str, Role]]:
    """A greeting or aside before the first comma (你好, / 嗯, / 麻烦问下,) is form when it
    holds no place, quote, number or word the reports use."""
    out = list(words)
    comma = next((j for j, (w, _) in enumerate(out[:6]) if w in (",", "，", "、", ":", "：")), None)
    if comma is None or comma == 0:
        return out
    head = out[:comma]
    if any(r in ("place", "zone", "quote", "number") or (r == "term" and gazetteer.attested(w)) for w, r in head):
        return out
    return [(w, "form" if r == "term" else r) for w, r in head] + out[comma:]


def _modifiers_of_form(words: list[tuple[str, Role]], pairs: list[tuple[str, str]]) -> list[tuple[str, Role]]:
    """An adverb or adjective right before a form word modifies the request or the kind, not
    the topic: 简要总结, 简单说说, 大致介绍, 主要举措, 具体做法."""
    out = list(words)
    for j in range(len(out) - 2, -1, -1):
        word, role = out[j]
        modifier = role == "term" and pairs[j][1].startswith(("a", "ad", "d", "b"))
        nxt_word, nxt_role = out[j + 1]
        if modifier and nxt_role == "form" and pairs[j + 1][1].startswith(("v", "n")) and len(nxt_word) > 1:
            out[j] = (word, "form")
    return out


def _is_wrapper_verb(word: str) -> bool:
    """Verbs and adverbs inside a request run (知道, 了解, 总结, 简单): not nouns jieba knows."""
    tags = [f for w, f in pos_words(word)]
    return bool(tags) and all(not f.startswith(("n", "vn", "eng", "nz")) for f in tags)


def attribute_of(words: list[tuple[str, Role]], text: str) -> str:
    """The content words in order, as written in `text` (的 kept between two of them); years
    and numbers are conditions of the question, not what it asks about."""
    parts: list[str] = []
    pos = 0
    for k, (word, role) in enumerate(words):
        written = text[pos : pos + len(word)]
        pos += len(word)
        if role in ("term", "quote") or (
            word == "的" and parts and k + 1 < len(words) and words[k + 1][1] in ("term", "quote")
        ):
            parts.append(written)
    return "".join(parts).strip("的")
