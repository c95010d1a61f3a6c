"""Places: normalized names, and which reports and sections are about which place.

One `Gazetteer` is built per index generation from the reports' region metadata, their
titles, the section headings of their chunks and, for a report without region metadata,
its byline lines. Every form of a place (衡阳市, 湖南省衡阳市, 衡陽, 广西壮族自治区, 广西省)
maps to one canonical short form (衡阳, 广西), which is what reports, sections and questions
are matched on.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Protocol

from index.keyword import tokenize
from index.textnorm import normalize
from index.types import ReportMeta

# Administrative suffixes, longest first: a place's name without them is its short form.
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
    r"^(?:高新|经开|开发|自贸|新区|园区|省|市|州|县|区|的|和|与|及|、|,|，|在|呢|有|是|:|：|这个|那个|\s|$)"
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


class Vocabulary(Protocol):
    """The reports' vocabulary (the keyword index): how many chunks hold a token."""

    def doc_freq(self, token: str) -> int: ...


class Gazetteer:
    """The places of the reports: which forms name which place, which reports and sections
    are about it. Build once per index generation with `Gazetteer.build`."""

    def __init__(
        self,
        forms: dict[str, str],
        about: dict[str, frozenset[str]],
        doc_places: dict[str, tuple[str, ...]],
        sections: dict[tuple[str, tuple[str, ...]], frozenset[str]],
        texts: dict[str, str],
        vocabulary: Vocabulary | None = None,
    ) -> None:
        self._forms = forms
        self._form_list = sorted(forms, key=len, reverse=True)
        self._about = about
        self._doc_places = doc_places
        self._sections = sections
        self._texts = texts
        self._vocabulary = vocabulary
        self._mentions: dict[str, tuple[str, ...]] = {}
        self._finder = _Finder(forms, self._form_list)

    # -- building ----------------------------------------------------------------------------
    @classmethod
    def build(
        cls,
        docs: Iterable[Any],
        chunks: Iterable[Any] = (),
        vocabulary: Vocabulary | None = None,
    ) -> Gazetteer:
        """From the reports (`DocRow`s: doc_id + meta) and their chunks (`Chunk` or
        `ChunkRecord`: doc_id, section, norm). `vocabulary` (the keyword index) tells which
        words the reports use; without it the chunks' text is searched."""
        metas: dict[str, ReportMeta] = {d.doc_id: d.meta for d in docs}
        forms: dict[str, str] = {}
        about: dict[str, set[str]] = {}
        doc_places: dict[str, dict[str, None]] = {doc: {} for doc in metas}  # ordered: regions first

        def add(written: str, doc: str | None, canon: str | None = None) -> str:
            canon = canon or canonical_place(written)
            forms[normalize(written)] = canon
            forms.setdefault(canon, canon)
            if doc is not None:
                about.setdefault(canon, set()).add(doc)
                doc_places[doc][canon] = None
            return canon

        for doc, meta in metas.items():
            for region in meta.regions:
                add(region, doc)
        finder = _Finder(forms)
        parts: dict[str, list[str]] = {}
        headings: dict[tuple[str, tuple[str, ...]], None] = {}
        for c in chunks:
            chunk = getattr(c, "chunk", c)
            parts.setdefault(chunk.doc_id, []).append(chunk.norm)
            headings.setdefault((chunk.doc_id, tuple(chunk.section)), None)
        texts = {doc: "\n".join(p) for doc, p in parts.items()}
        for doc, meta in metas.items():
            for span in finder.find(normalize(meta.title), strict=True):
                add(meta.title[span.start : span.end], doc, span.canonical)
                for outer in span.outer:
                    add(outer, doc)
        sections: dict[tuple[str, tuple[str, ...]], frozenset[str]] = {}
        heading_cache: dict[str, frozenset[str]] = {}
        for doc, section in headings:
            named: frozenset[str] = frozenset()
            for heading in reversed(section):  # the innermost heading that names a place wins
                if heading not in heading_cache:
                    heading_cache[heading] = _named(finder.find(normalize(heading), strict=True))
                named = heading_cache[heading]
                if named:
                    break
            sections[(doc, section)] = named
            for canon in named:
                about.setdefault(canon, set()).add(doc)
                forms.setdefault(canon, canon)
        for doc in metas:
            if not metas[doc].regions and doc in texts:
                # No region metadata: the report's byline (a line near its start or end naming
                # the author's unit or the source) says where it comes from (作者单位:昆明高新区
                # 发展战略研究院 → 昆明). Body text is not a byline: a Wikipedia article's first
                # lines name places it is not about.
                for line in _byline_lines(texts[doc]):
                    for span in finder.find(line, strict=True):
                        add(line[span.start : span.end], doc, span.canonical)
        return cls(
            forms,
            {k: frozenset(v) for k, v in about.items()},
            {k: tuple(v) for k, v in doc_places.items()},
            sections,
            texts,
            vocabulary,
        )

    @classmethod
    def from_regions(cls, regions: Iterable[str]) -> Gazetteer:
        """A gazetteer that only knows place names (no reports): for resolving follow-ups."""
        forms: dict[str, str] = {}
        for r in regions:
            canon = canonical_place(r)
            forms[normalize(r)] = canon
            forms.setdefault(canon, canon)
        return cls(forms, {}, {}, {}, {})

    # -- queries -----------------------------------------------------------------------------
    def find(self, norm: str) -> list[PlaceSpan]:
        """Places named in normalized text, in order: known forms (any suffix), and words
        jieba tags as place names in a place's position (成都高新区, 那长沙呢). Adjacent names
        make one place, the innermost (湖南省衡阳市 → 衡阳)."""
        return self._finder.find(norm)

    def docs_about(self, canonical: str) -> tuple[str, ...]:
        """Reports about the place: region metadata, title, section headings, byline."""
        return tuple(sorted(self._about.get(canonical, ())))

    def docs_mentioning(self, canonical: str) -> tuple[str, ...]:
        """Reports whose text names the place (for a place no report is about)."""
        if len(canonical) < 2:
            return ()
        if canonical not in self._mentions:
            self._mentions[canonical] = tuple(sorted(d for d, t in self._texts.items() if canonical in t))
        return self._mentions[canonical]

    def docs_for(self, canonical: str) -> tuple[str, ...]:
        """Reports to answer a question about the place from: those about it, else those naming it."""
        return self.docs_about(canonical) or self.docs_mentioning(canonical)

    def doc_places(self, doc_id: str) -> frozenset[str]:
        """Places the report as a whole is about (region metadata, title, byline)."""
        return frozenset(self._doc_places.get(doc_id, ()))

    def main_place(self, doc_id: str) -> str | None:
        """The report's first place (its first region; regions are listed province first)."""
        places = self._doc_places.get(doc_id, ())
        return places[0] if places else None

    def section_places(self, doc_id: str, section: Sequence[str]) -> frozenset[str]:
        """Places the section's innermost place-naming heading is about (empty: none)."""
        key = (doc_id, tuple(section))
        if key in self._sections:
            return self._sections[key]
        for heading in reversed(tuple(section)):
            named = _named(self._finder.find(normalize(heading), strict=True))
            if named:
                return named
        return frozenset()

    def places_named(self, norm: str) -> frozenset[str]:
        """Canonical places a (normalized) sentence names, in any known form or suffix."""
        return frozenset(s.canonical for s in self.find(norm))

    def names_place(self, norm: str, canonical: str) -> bool:
        """Whether the text names the place in any of its forms (衡阳, 衡阳市, 衡陽)."""
        if canonical in norm:
            return True
        return any(form in norm for form, canon in self._forms.items() if canon == canonical)

    def docs_with(self, word: str) -> frozenset[str]:
        """Reports whose text holds `word` (normalized)."""
        return frozenset(d for d, t in self._texts.items() if word in t)

    def near(self, a: str, b: str, window: int = 60) -> bool:
        """Whether some report has `b` within `window` characters of `a` (normalized words).
        Without report texts (a names-only gazetteer) nothing can be checked: True."""
        if not self._texts:
            return True
        for text in self._texts.values():
            start = text.find(a)
            seen = 0
            while start >= 0 and seen < 200:
                if b in text[max(0, start - window) : start + len(a) + window]:
                    return True
                start = text.find(a, start + 1)
                seen += 1
        return False

    @property
    def places(self) -> frozenset[str]:
        return frozenset(self._forms.values())

    def attested(self, word: str) -> bool:
        """Whether the reports use `word` (the keyword index, else their text)."""
        if self._vocabulary is not None:
            return self._vocabulary.doc_freq(word) > 0
        return any(word in t for t in self._texts.values())


_BYLINE = re.compile(r"(作者|单位|来源|供稿|发布机构|发布单位|出处|记者|通讯员|编辑)\s*[:：]?")


def _byline_lines(text: str) -> list[str]:
    """Lines within the first 300 and last 300 characters that carry a byline marker."""
    edges = (text[:300], text[-300:]) if len(text) > 600 else (text,)
    return [seg for edge in edges for seg in re.split(r"[\n()（）]", edge) if _BYLINE.search(seg)]


def _named(spans: list[PlaceSpan]) -> frozenset[str]:
    """Canonical places of spans with the places enclosing them (湖南省衡阳市 → 衡阳, 湖南)."""
    return frozenset(p for s in spans for p in (s.canonical, *s.outer))


class _Finder:
    """Finds place spans in normalized text (see `Gazetteer.find`)."""

    def __init__(self, forms: dict[str, str], form_list: list[str] | None = None) -> None:
        self.forms = forms
        self.form_list = form_list if form_list is not None else sorted(forms, key=len, reverse=True)

    def find(self, norm: str, strict: bool = False) -> list[PlaceSpan]:
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
        for s, e in _tagged_places(norm, strict):
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


def _tagged_places(norm: str, strict: bool = False) -> list[tuple[int, int]]:
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
        leading = not strict and (start == 0 or norm[start - 1] in "那在和与及、,，:：;； ")
        if suffixed or after.match(norm[pos : pos + 4]) or _is_place_word(*nxt) or prev_placed or leading:
            out.append((start, pos))
    return out


def _is_place_word(word: str, flag: str) -> bool:
    return flag.startswith("ns") and len(word) >= 2 and word not in _GENERIC and canonical_place(word) not in _GENERIC
