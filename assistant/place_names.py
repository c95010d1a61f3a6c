"""Place names: their short forms, and where a text names a place.

`canonical_place` reduces every form of a place (衡阳市, 湖南省衡阳市, 衡陽, 广西壮族自治区,
广西省, 天津高新区) to the one short form reports, sections and questions are matched on;
`PlaceFinder` finds the spans of known forms and of words jieba tags as places standing
where a place stands. jieba is shared and not thread-safe: `pos_words` cuts under a lock.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from index.keyword import tokenize
from index.textnorm import normalize

_ADMIN = ("特别行政区", "自治区", "自治州", "自治县", "自治旗", "地区", "省", "市", "州", "县", "区", "盟", "旗")
# Zone words that follow a place's name (天津高新区): they say which zone, not which place.
ZONE_WORDS = (
    "高新技术产业开发区",
    "经济技术开发区",
    "高新技术开发区",
    "国家级新区",
    "经济开发区",
    "工业园区",
    "产业园区",
    "高新区",
    "经开区",
    "开发区",
    "自贸区",
    "新区",
    "园区",
)
_ZONE_RE = re.compile("|".join(ZONE_WORDS))
# Words jieba tags as places that only set a scope (中国, 全国) or name no particular place.
_GENERIC = frozenset(
    {
        "中国",
        "我国",
        "全国",
        "国内",
        "国外",
        "海外",
        "境外",
        "城市",
        "地方",
        "各地",
        "本地",
        "当地",
        "外地",
        "开发区",
        "高新区",
        "园区",
        "新区",
        "地区",
        "省市",
        "各省",
        "各省市",
        "全省",
        "全市",
        "本市",
        "我州",
        "我市",
    }
)
# What may follow a place's name in running text: a zone or admin word, a particle, a
# conjunction. An ns-tagged word followed by anything else (城市化, 满园之…) is not taken as a place.
_AFTER_PLACE = re.compile(
    r"^(?:高新|经开|开发|自贸|新区|园区|省|市|州|县|区|的|和|与|及|、|,|，|在|呢|有|是|则|也|还|亦|却|等|:|：|这个|那个|\s|$)"
)
_AFTER_STRICT = re.compile(r"^(?:高新|经开|开发|自贸|新区|园区|省|市|州|县|:|：)")
_POS_LOCK = threading.Lock()


@lru_cache(maxsize=1)
def posseg() -> Any:
    """jieba.posseg, with jieba's shared dictionary initialized once (index.keyword)."""
    import jieba.posseg

    tokenize("")
    return jieba.posseg


def pos_words(norm: str) -> list[tuple[str, str]]:
    """(word, part-of-speech flag) pairs of `norm`, in order (jieba is not thread-safe).
    Cached: one question is cut once for its places, its words and its follow-up slots."""
    return list(_pos_words(norm))


@lru_cache(maxsize=512)
def _pos_words(norm: str) -> tuple[tuple[str, str], ...]:
    pseg = posseg()
    with _POS_LOCK:
        return tuple((w.word, w.flag) for w in pseg.cut(norm))


def _dictionary_tag(word: str) -> str | None:
    tag: str | None = posseg().dt.word_tag_tab.get(word)
    return tag


def _is_ethnic(tail: str) -> bool:
    words = [w for w, _ in pos_words(tail)]
    return bool(words) and all(w.endswith("族") or w in ("维吾尔", "蒙古") for w in words)


def _strip_ethnic(stem: str) -> str:
    """广西壮族 → 广西, 湘西土家族苗族 → 湘西, 新疆维吾尔 → 新疆 (what precedes 自治区/州):
    the longest tail made only of ethnic names (jieba's words ending in 族) goes."""
    for i in range(2, len(stem) - 1):
        if _is_ethnic(stem[i:]):
            return stem[:i]
    return stem


@lru_cache(maxsize=4096)
def canonical_place(name: str) -> str:
    """The short form a place is matched on (normalized, Simplified):
    衡阳市 → 衡阳; 湖南省衡阳市 → 衡阳; 广西壮族自治区 / 广西省 → 广西; 天津高新区 → 天津;
    滨海新区 → 滨海. A name that would become shorter than two characters is kept whole."""
    form = normalize(name).strip()
    form = re.sub(r"(这个|那个|该)(省|市|州|县|区)$", "", form)
    for zone in ZONE_WORDS:
        if form.endswith(zone) and len(form) - len(zone) >= 2:
            form = form[: -len(zone)]
            break
    # A compound (湖南省衡阳市, 天津市滨海新区) is the innermost place.
    for i in range(len(form) - 3, 1, -1):
        if form[i] in "省市州" and len(form) - i - 1 >= 2 and not form[i + 1 :].startswith(("自治", "地区")):
            return canonical_place(form[i + 1 :])
    for suffix in _ADMIN:
        if form.endswith(suffix) and len(form) - len(suffix) >= 2:
            stem = form[: -len(suffix)]
            return _strip_ethnic(stem) if suffix.startswith("自治") else stem
    return form


def short_place(name: str) -> str:
    """The short form a person says: 衡阳市 → 衡阳; 天津高新区 → 天津; 广西壮族自治区 → 广西
    (`canonical_place`; one rule for follow-ups, place checks and suggestions)."""
    return canonical_place(name)


def _outer_places(name: str) -> list[str]:
    """The enclosing places a compound name spells out: 湖南省衡阳市 → [湖南]."""
    form = normalize(name)
    out: list[str] = []
    for i in range(2, len(form) - 2):
        if form[i] in "省市州" and not form[i + 1 :].startswith(("自治", "地区")):
            out.append(canonical_place(form[: i + 1]))
    return out


@dataclass(frozen=True)
class PlaceSpan:
    """A place named in a text: its span in the normalized text and its canonical form."""

    start: int
    end: int
    canonical: str
    outer: tuple[str, ...] = ()
    """Enclosing places the name spells out (湖南省衡阳市, 湖南衡阳 → 湖南)."""


class PlaceFinder:
    """Finds place spans in normalized text (see `Gazetteer.find`)."""

    def __init__(self, forms: dict[str, str], form_list: list[str] | None = None) -> None:
        self.forms = forms
        self.form_list = form_list if form_list is not None else sorted(forms, key=len, reverse=True)

    def find(self, norm: str, strict: bool = False, prose: bool = False) -> list[PlaceSpan]:
        spans: list[tuple[int, int]] = []
        taken = bytearray(len(norm))  # linear in the text, however many names it repeats

        def take(s: int, e: int) -> None:
            if not any(taken[s:e]):
                spans.append((s, e))
                taken[s:e] = b"\x01" * (e - s)

        for form in self.form_list:
            if len(form) < 2 or form in _GENERIC:
                continue
            start = norm.find(form)
            while start >= 0:
                take(start, _extend_suffix(norm, start + len(form)))
                start = norm.find(form, start + len(form))
        for s, e in _tagged_places(norm, strict, prose):
            take(s, e)
        # Adjacent names are one place, the innermost (湖南衡阳, 湖南省衡阳市 → 衡阳).
        groups: list[list[tuple[int, int]]] = []
        for s, e in sorted(spans):
            if groups and groups[-1][-1][1] == s:
                groups[-1].append((s, e))
            else:
                groups.append([(s, e)])
        out: list[PlaceSpan] = []
        for g in groups:
            names = [self._canonical(norm[s:e]) for s, e in g]
            outer = [*names[:-1], *_outer_places(norm[g[-1][0] : g[-1][1]])]
            out.append(PlaceSpan(g[0][0], g[-1][1], names[-1], tuple(p for p in outer if p != names[-1])))
        return out

    def _canonical(self, written: str) -> str:
        known = self.forms.get(written)
        return known if known is not None else canonical_place(written)


def _extend_suffix(norm: str, end: int) -> int:
    """A known short form followed by an admin suffix is one name (衡阳 + 市 → 衡阳市)."""
    for suffix in _ADMIN:
        if norm.startswith(suffix, end) and not _ZONE_RE.match(norm, end):
            return end + len(suffix)
    return end


def _tagged_places(norm: str, strict: bool = False, prose: bool = False) -> list[tuple[int, int]]:
    """Spans of words jieba tags as place names (ns), standing where a place stands (before
    a zone or admin word, a particle, or another place name: 深圳前海); `strict` (headings,
    titles): only before a zone or admin word, a colon or another place name."""
    out: list[tuple[int, int]] = []
    pairs = pos_words(norm)
    after = _AFTER_STRICT if strict else _AFTER_PLACE
    pos = 0
    for i, (word, flag) in enumerate(pairs):
        start, pos = pos, pos + len(word)
        if not _is_place_word(word, flag):
            continue
        suffixed = word.endswith(_ADMIN) and len(word) >= 3
        nxt = pairs[i + 1] if i + 1 < len(pairs) else ("", "")
        prev_placed = bool(out) and out[-1][1] == start
        # A question opens with the place it asks about (那长沙呢, 长沙在哪里); a report's clause
        # opening with a word jieba calls a place (,深度激发…) is a place only where a place
        # stands (深圳市, 深圳的, 在深圳), else a common word would take a sentence from its place.
        opens = start == 0 or norm[start - 1] in "那在到和与及、,，:：;； "
        leading = (
            not strict and opens and (not prose or norm[start - 1 : start] in ("在", "到", "与", "和", "及", "、"))
        )
        if suffixed or after.match(norm[pos : pos + 4]) or _is_place_word(*nxt) or prev_placed or leading:
            out.append((start, pos))
    return out


def _is_place_word(word: str, flag: str) -> bool:
    return flag.startswith("ns") and len(word) >= 2 and word not in _GENERIC and canonical_place(word) not in _GENERIC
