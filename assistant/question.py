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

import re
from dataclasses import dataclass
from typing import Literal

from assistant.places import ZONE_WORDS, Gazetteer, PlaceSpan, canonical_place, pos_words
from index.keyword import STOPWORDS, general_rarity, is_dictionary_word
from index.textnorm import normalize

__all__ = ["Gazetteer", "Place", "Question", "QuestionKind", "analyze", "build_gazetteer", "canonical_place"]

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
    filler: tuple[str, ...] = ()
    """Conversational and form words found (请问, 一下, 呀, 意思, 提到 …): never decide declining."""
    count: int | None = None
    """How many items a list question asks for (哪五个方面 → 5)."""
    cross_place: bool = False
    """Asks across places without naming them (各地, 哪些地方, 哪些报告): spread over reports."""
    zones: tuple[str, ...] = ()
    """Zone words that name a place with it (天津高新区 → 高新区): part of the place, not the topic."""

    @property
    def place_doc_ids(self) -> frozenset[str]:
        return frozenset(d for p in self.places for d in p.doc_ids)

    @property
    def absent_places(self) -> tuple[Place, ...]:
        return tuple(p for p in self.places if not p.doc_ids)


def build_gazetteer(docs: object, chunks: object = (), vocabulary: object = None) -> Gazetteer:
    """`Gazetteer.build` (kept as a function for callers that cache per index generation)."""
    return Gazetteer.build(docs, chunks, vocabulary)  # type: ignore[arg-type]


# -- the question's form ------------------------------------------------------------------------
_CN_DIGITS = "〇零一二两三四五六七八九十"
_NUM = rf"[\d{_CN_DIGITS}]+"
# Words that ask across places without naming them.
_CROSS = re.compile(
    r"(各地|各个?(地方|地区|城市|省|市|园区|开发区|高新区)|哪些(地方|地区|城市|省份?|市|园区|开发区|高新区)|"
    r"哪几个(地方|地区|城市|园区)|多地|不同(地方|地区|城市)|(哪些|哪几份|哪份|哪篇|哪几篇)(报告|文章|材料|资料|文件|案例))"
)
_COMPARE = re.compile(r"(分别|比较|对比|区别|异同|不同|差异|差别|各自|相比|两地|两者)")
_DEFINE = re.compile(
    r"(是什么意思|什么意思|的意思|的含义|含义是|指的是什么|是指什么|指什么|是指|什么是|何为|何谓|所谓|的定义|"
    r"”(是什么|是啥))"
)
_TELL_ME = re.compile(r"(介绍一?下|介绍介绍|讲讲|说说|谈谈|聊聊|讲一?下|说一?下)")
_SUMMARY = re.compile(r"(总结|概括|归纳|概述|综述|梳理|简述|主要内容|讲了什么|说了什么|要点)")
_EFFECT = re.compile(r"(效果|成效|作用|成果|成绩|效益|带来了?什么|取得了?什么|起到了?什么)")
_MEASURES = re.compile(r"(怎么|如何|怎样|做法|措施|举措|办法|经验|路径|手段|抓手|采取了?哪些|采取了?什么)")
_LIST = re.compile(rf"(哪些|哪几|有哪|哪{_NUM}(个|项|件|条|类|种|点|部分|方面|大|步|家|批)|包括什么|包含什么|分为几)")
_YESNO = re.compile(r"(是否|有没有|是不是|能否|可否|会不会|有无|吗[?？!！。]*$)")
_NUMBER = re.compile(
    rf"(多少|几(?:{_NUM})?[个项件人家次年倍名张批条成]|多大|多高|多长|多久|比例|比重|占比|百分之|增长了?多少|提高了?多少|几成)"
)
_WH = re.compile(r"(什么|哪|谁|多少|几|怎么|如何|怎样|为何|为什么|何时)")
# Spans that are the question's frame (they decide its kind, not its topic).
_FRAME = re.compile(
    r"(是什么意思|什么意思|的意思|的含义|指的是什么|是指什么|指什么|什么是|所谓|是啥|"
    r"什么时候|何时|哪一年|哪年|哪个月|(多大|多少|几|什么)的?(比例|比重|份额|数量|规模)|"
    r"主要内容|有哪些方面|哪些方面|几个方面|主要做法|主要举措|怎么样|如何|怎样|"
    r"分别|比较|对比|区别|异同|有何不同|有什么不同|不同之处|不同|差异|差别|各自|相比|"
    r"(哪些|哪几份|哪份|哪篇|哪几篇|哪个|什么)(报告|文章|材料|资料|文件|文献|报道)(中|里|里面|上)?(有没有|是否|都|还)?"
    r"(提到|提及|说到|讲到|谈到|写到|涉及|介绍|讲|说|写)?(了|过)?|"
    r"(报告|文章|材料|资料|文件|文中|文献|报道)(中|里|里面|上)?(有没有|是否|都|还)?"
    r"(提到|提及|说到|讲到|谈到|写到|涉及|介绍|讲|说|写)(了|过)?)"
)
# Words of a kind's frame that are nouns or verbs in jieba (做法, 举措, 效果): form, not topic.
_KIND_WORDS = re.compile(
    r"^(做法|措施|举措|办法|经验|路径|手段|效果|成效|作用|成果|成绩|总结|概括|归纳|概述|梳理|简述|要点|"
    r"意思|含义|定义|比例|比重|占比|时候|方面|内容|情况)$"
)
# Verbs a request wraps the question in: saying, asking, knowing, explaining.
_REQUEST_LEAD = re.compile(
    r"^(请|请问|我|您|你|麻烦|劳驾|能|能不能|不能|可以|可不可以|可否|能否|想|我想|要|帮|帮忙|帮我)$"
)
_QUOTED = re.compile(r"“([^”]{1,40})”|《([^》]{1,60})》|‘([^’]{1,40})’|\"([^\"]{1,40})\"")
_YEAR_SPAN = re.compile(r"(?:(?:19|20)\d{2}|[〇零一二三四五六七八九]{4})年")
_COUNTED = re.compile(rf"(多少|几|哪{_NUM}|{_NUM})$")
_DEICTIC = frozenset({"这个", "那个", "该", "本", "此", "这", "那"})
_YEAR = re.compile(r"(?<!\d)((?:19|20)\d{2})(?=年|(?!\d))")
_CN_YEAR = re.compile(r"([〇零一二三四五六七八九]{4})年")
_NUMBER_RE = re.compile(r"\d+(?:\.\d+)?%?|百分之[\d〇零一二两三四五六七八九十百点]+")
_COUNT = re.compile(r"哪([一二两三四五六七八九十\d]+)(?:个|项|件|条|类|种|点|部分|方面|大|步|家|批|张)")
_FUNCTION_POS = ("u", "y", "p", "c", "d", "r", "e", "o", "q", "f", "zg", "x", "w")
# Words jieba mis-tags that only total or soften (adverbs in use): a closed list of particles.
_PARTICLES = frozenset({"一共", "总共", "一下", "下", "呀", "吧", "啊", "嘛", "呢", "吗", "哦", "哈", "啦", "么", "咯"})
_SPECIFIC_RARITY = 12.0
"""jieba rarity (-log frequency share) from which an unused verb is specific enough to count:
提到 10.1, 告诉 8.6, 提及 11.7, 归纳 11.5 are general; 退税 13.7, 办结 16.3, 竞聘 14.7 are not."""
_CN_NUM = {"一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9, "十": 10}


def analyze(text: str, gazetteer: Gazetteer) -> Question:
    """What `text` (a standalone question) asks; see the module docstring."""
    norm = normalize(text)
    spans = gazetteer.find(norm)
    places = _places(text, spans, gazetteer)
    quoted = _quoted(norm)
    years = _years(norm)
    in_quotes = [(m.start(), m.end()) for m in _QUOTED.finditer(norm)]
    numbers = tuple(
        m.group(0)
        for m in _NUMBER_RE.finditer(norm)
        if not _is_year_at(norm, m.start(), m.end()) and not _inside(m.start(), m.end(), in_quotes)
    )
    words = _classify(norm, spans, gazetteer)
    terms = [w for w, role in words if role == "term"]
    for extra in (*quoted, *numbers, *(str(y) for y in years)):
        if extra not in terms:
            terms.append(extra)
    cross = bool(_CROSS.search(norm))
    return Question(
        text=text.strip(),
        norm=norm.strip(),
        kind=_kind(norm, places, cross),
        places=places,
        terms=tuple(dict.fromkeys(terms)),
        quoted=quoted,
        years=years,
        numbers=numbers,
        attribute=_attribute(words, text),
        filler=tuple(dict.fromkeys(w for w, role in words if role == "form")),
        count=_count(norm),
        cross_place=cross,
        zones=tuple(dict.fromkeys(w for w, role in words if role == "zone")),
    )


def _places(text: str, spans: list[PlaceSpan], gazetteer: Gazetteer) -> tuple[Place, ...]:
    out: dict[str, Place] = {}
    for s in spans:
        if s.canonical not in out:
            out[s.canonical] = Place(text[s.start : s.end], s.canonical, gazetteer.docs_for(s.canonical))
    return tuple(out.values())


def _kind(norm: str, places: tuple[Place, ...], cross: bool) -> QuestionKind:
    """The answer shape the question asks for, from its form (first rule that applies)."""
    several = len(places) >= 2
    if cross or (
        several and (_COMPARE.search(norm) or re.search(r"(和|与|跟|及|、).{0,30}(都|各|谁|哪个|哪家|更)", norm))
    ):
        return "comparison"
    if _DEFINE.search(norm) or _is_concept_question(norm, places):
        return "definition"
    if _SUMMARY.search(norm) or (_TELL_ME.search(norm) and not _WH.search(norm)):
        return "summary"
    if _EFFECT.search(norm) and not _LIST.search(norm.split("效果")[0] if "效果" in norm else ""):
        return "effect"
    if _LIST.search(norm):
        return "measures" if _MEASURES.search(norm) else "list"
    if any(_starts_a_word(norm, m.start()) for m in _NUMBER.finditer(norm)):
        return "number"  # not 多大 inside 科罗拉多大学
    if _MEASURES.search(norm):
        return "measures"
    if _YESNO.search(norm) and not _WH.search(_YESNO.sub("", norm)):
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
    m = re.search(r"(是什么|是啥)(吗|呢|呀|啊)?[?？!！。]*$", norm)
    if not m:
        return False
    subject = norm[: m.start()]
    return "“" in subject or (not places and "的" not in subject)


def _quoted(norm: str) -> tuple[str, ...]:
    return tuple(dict.fromkeys(next(g for g in m.groups() if g) for m in _QUOTED.finditer(norm)))


def _years(norm: str) -> tuple[int, ...]:
    found = [int(m.group(1)) for m in _YEAR.finditer(norm)]
    digits = {c: str(i) for i, c in enumerate("〇一二三四五六七八九")} | {"零": "0"}
    found += [int("".join(digits[c] for c in m.group(1))) for m in _CN_YEAR.finditer(norm)]
    return tuple(dict.fromkeys(found))


def _is_year_at(norm: str, start: int, end: int) -> bool:
    return bool(_YEAR.fullmatch(norm, start, end) or _YEAR.match(norm, start)) and end - start == 4


def _count(norm: str) -> int | None:
    m = _COUNT.search(norm)
    if not m:
        return None
    n = m.group(1)
    if n.isdigit():
        return int(n)
    if n == "十":
        return 10
    if len(n) == 2 and n[0] == "十":
        return 10 + _CN_NUM.get(n[1], 0)
    if len(n) == 2 and n[1] == "十":
        return 10 * _CN_NUM.get(n[0], 0)
    return _CN_NUM.get(n)


# -- content and form words ---------------------------------------------------------------------
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
    roles = _classify(norm, spans, gazetteer)
    out: list[Word] = []
    pos = 0
    for (word, flag), (_, role) in zip(pos_words(norm), roles, strict=True):
        out.append(Word(pos, pos + len(word), word, flag, role))
        pos += len(word)
    return out


def _classify(norm: str, spans: list[PlaceSpan], gazetteer: Gazetteer) -> list[tuple[str, Role]]:
    """Each jieba word of the question with its role (see the module docstring)."""
    frame = [(m.start(), m.end()) for m in _FRAME.finditer(norm)]
    quotes = [(m.start(), m.end()) for m in _QUOTED.finditer(norm)]
    numbers = [(m.start(), m.end()) for m in _NUMBER_RE.finditer(norm)]
    numbers += [(m.start(), m.end()) for m in _YEAR_SPAN.finditer(norm)]
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
        elif _inside(start, end, quotes):
            role = "quote"
        elif _overlaps(start, end, numbers) or _is_numeral(word, flag):
            role = "number" if any(ch.isdigit() for ch in word) else "form"
        elif _overlaps(start, end, frame) or _KIND_WORDS.match(word):
            role = "form"
        elif len(word) == 1 and i > 0 and (_COUNTED.search(pairs[i - 1][0]) or pairs[i - 1][0] in _DEICTIC):
            role = "form"  # 多少项, 几个, 这个市: a counter or a pointer, not a topic
        elif _is_form_word(word, flag, pairs, i, gazetteer) or _WH.search(word):
            role = "form"  # also 干什么, 为什么, 哪里: question words glued to a verb
        elif word in STOPWORDS or _WH.fullmatch(word):
            role = "stop"
        else:
            role = "term"
        after_place = role in ("place", "zone")
        out.append((word, role))
    return _modifiers_of_form(_opening_clause(_request_wrapper(out), gazetteer), pairs)


def _inside(start: int, end: int, spans: list[tuple[int, int]]) -> bool:
    return any(a <= start and end <= b for a, b in spans)


def _overlaps(start: int, end: int, spans: list[tuple[int, int]]) -> bool:
    return any(start < b and a < end for a, b in spans)


def _is_numeral(word: str, flag: str) -> bool:
    return flag == "m" and all(ch in _CN_DIGITS + "百千万亿几多半个第" for ch in word)


def _is_form_word(word: str, flag: str, pairs: list[tuple[str, str]], i: int, gazetteer: Gazetteer) -> bool:
    if word in _PARTICLES or (flag.startswith(_FUNCTION_POS) and flag != "eng"):
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
    if not out or not _REQUEST_LEAD.match(out[0][0]):
        return out
    for j, (word, role) in enumerate(out):
        if role in ("place", "zone", "quote", "number"):
            break
        if role == "term" and len(word) > 1 and not _is_wrapper_verb(word) and not _REQUEST_LEAD.match(word):
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


def _attribute(words: list[tuple[str, Role]], text: str) -> str:
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
