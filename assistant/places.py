"""Places: normalized names, and which reports and sections are about which place.

One `Gazetteer` is built per index generation from the reports' region metadata, their
titles, the section headings of their chunks and, for a report without region metadata,
its byline lines. Every form of a place (衡阳市, 湖南省衡阳市, 衡陽, 广西壮族自治区, 广西省)
maps to one canonical short form (衡阳, 广西), which is what reports, sections and questions
are matched on.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Any, Protocol

from assistant.grammar import GENERAL_SCOPE
from assistant.place_names import (
    ZONE_WORDS,
    PlaceFinder,
    PlaceSpan,
    _pos_words,
    canonical_place,
    pos_words,
    posseg,
    short_place,
)
from index.textnorm import normalize
from index.types import ReportMeta

__all__ = [
    "ZONE_WORDS",
    "Gazetteer",
    "PlaceSpan",
    "Vocabulary",
    "_pos_words",
    "canonical_place",
    "pos_words",
    "posseg",
    "short_place",
]


def held_regions(meta: ReportMeta) -> tuple[str, ...]:
    """The regions answering holds a report to: those given by hand, and detected ones only
    when the issuing body names them (北京市人民政府 → 北京市). A region guessed from the
    title or the first page's place names is a label for search, not what the report speaks
    for: an encyclopedia article on a footballer names his clubs' cities, one on 广东广播电视台
    珠江频道 names 广东; holding them to those places makes them answer nothing else."""
    if "regions" not in meta.detected:
        return meta.regions
    issuer = normalize(meta.issuer)
    if issuer and any(canonical_place(normalize(r)) in issuer for r in meta.regions):
        return meta.regions
    return ()


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
        general: frozenset[tuple[str, tuple[str, ...]]] = frozenset(),
        declared: bool = False,
    ) -> None:
        self._forms = forms
        self._general = general
        self._declared = declared
        self._form_list = sorted(forms, key=len, reverse=True)
        self._about = about
        self._doc_places = doc_places
        self._sections = sections
        self._texts = texts
        self._vocabulary = vocabulary
        self._mentions: dict[str, tuple[str, ...]] = {}
        self._finder = PlaceFinder(forms, self._form_list)

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

        held = {doc: held_regions(meta) for doc, meta in metas.items()}
        for doc, regions in held.items():
            for region in regions:
                add(region, doc)
        finder = PlaceFinder(forms)
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
        general: set[tuple[str, tuple[str, ...]]] = set()
        heading_cache: dict[str, frozenset[str]] = {}
        for doc, section in headings:
            named: frozenset[str] = frozenset()
            # The innermost heading that names a place, or says the section speaks of the
            # country as a whole (一、全国高新区改革的背景, 二、近年来…的概况), decides.
            for heading in reversed(section):
                if heading not in heading_cache:
                    heading_cache[heading] = _named(finder.find(normalize(heading), strict=True))
                named = heading_cache[heading]
                if named:
                    break
                if GENERAL_SCOPE.search(normalize(heading)):
                    general.add((doc, section))
                    break
            sections[(doc, section)] = named
            for canon in named:
                about.setdefault(canon, set()).add(doc)
                forms.setdefault(canon, canon)
        for doc in metas:
            if not held[doc] and doc in texts:
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
            frozenset(general),
            any(held.values()),
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

    def is_general(self, doc_id: str, section: Sequence[str]) -> bool:
        """Whether a passage speaks for no place: its section is about the country as a whole
        (a national overview inside a report on one place), or, in a library where some reports
        declare regions in their metadata (an encyclopedia declares none), its report has no place of its own (region, title, byline) and its
        headings name none. A general text is no evidence about a named place."""
        key = (doc_id, tuple(section))
        if key in self._general or (key not in self._sections and self._general_headings(key[1])):
            return True
        return self._declared and not self._doc_places.get(doc_id) and not self.section_places(doc_id, section)

    def _general_headings(self, section: tuple[str, ...]) -> bool:
        """The innermost heading that names a place or the national scope speaks nationally."""
        for heading in reversed(section):
            norm = normalize(heading)
            if _named(self._finder.find(norm, strict=True)):
                return False
            if GENERAL_SCOPE.search(norm):
                return True
        return False

    def speaks_for(self, doc_id: str, section: Sequence[str]) -> frozenset[str] | None:
        """The places a passage speaks for: none for a general text (`is_general`), its
        section's places, else its report's (regions, title, byline); None where the library
        declares nothing and neither do its headings (an encyclopedia: not held to a place)."""
        if self.is_general(doc_id, section):
            return frozenset()
        named = self.section_places(doc_id, section)
        if named:
            return named
        if not self._declared:
            return None
        return frozenset(self._doc_places.get(doc_id, ()))

    def section_regions(self, doc_id: str, section: Sequence[str], regions: Sequence[str]) -> tuple[str, ...]:
        """The places a passage speaks for, as its report's metadata spells them: its section's
        (003's 衡阳 half: 湖南省, 衡阳市; not 绵阳市), none for a general section, else the
        report's regions, or the places its title or byline names (昆明)."""
        if self.is_general(doc_id, section):
            return ()
        named = self.section_places(doc_id, section)
        if named:
            spelled = tuple(r for r in regions if canonical_place(r) in named)
            return spelled or tuple(sorted(named))
        return tuple(regions) or tuple(self._doc_places.get(doc_id, ()))

    def places_named(self, norm: str) -> frozenset[str]:
        """Canonical places a (normalized) report sentence names, in any known form or suffix;
        an unknown word jieba calls a place counts only where a place stands (not 深度 of ,深度激发)."""
        return frozenset(s.canonical for s in self._finder.find(norm, prose=True))

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
