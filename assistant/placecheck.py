"""The place and year check every cited sentence passes.

A sentence answers for place X only if it names X, or its section (the innermost heading
that names a place) or else its report is about X and it names no other place. A passage
whose report declares no place and whose headings name none (an encyclopedia article, a
general essay) is not held to a place. An asked year must be the sentence's year.
`PlaceIndex` is what the check reads: the `Gazetteer` (assistant.places) in the engine,
`RegionPlaces` (region metadata only) in tests and tools.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from assistant.candidates import Sentence
from assistant.grammar import GENERAL_SCOPE, years_in
from assistant.places import canonical_place
from assistant.question import Question
from index.statedb import DocRow
from index.textnorm import normalize

UNPLACED = "未注明地区的报告"
"""The label of a comparison block from a report whose place is not known (never its title)."""


class PlaceIndex(Protocol):
    """Which places reports, sections and sentences are about (canonical short forms)."""

    def doc_places(self, doc_id: str) -> frozenset[str]: ...

    def section_places(self, doc_id: str, section: tuple[str, ...]) -> frozenset[str]: ...

    def places_named(self, norm: str) -> frozenset[str]: ...

    def is_general(self, doc_id: str, section: tuple[str, ...]) -> bool: ...

    def docs_about(self, canonical: str) -> tuple[str, ...]: ...

    def speaks_for(self, doc_id: str, section: tuple[str, ...]) -> frozenset[str] | None: ...

    def section_regions(self, doc_id: str, section: tuple[str, ...], regions: Sequence[str]) -> tuple[str, ...]: ...


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
                short = canonical_place(full)
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

    def is_general(self, doc_id: str, section: tuple[str, ...]) -> bool:
        """A section headed at national scope (全国, 我国, 近年来…概况) speaks for no place."""
        inner = next(
            (h for h in reversed(section) if self.places_named(normalize(h)) or GENERAL_SCOPE.search(normalize(h))), ""
        )
        return bool(inner) and not self.places_named(normalize(inner))

    def speaks_for(self, doc_id: str, section: tuple[str, ...]) -> frozenset[str] | None:
        if self.is_general(doc_id, section):
            return frozenset()
        return self.section_places(doc_id, section) or self.doc_places(doc_id) or None

    def section_regions(self, doc_id: str, section: tuple[str, ...], regions: Sequence[str]) -> tuple[str, ...]:
        if self.is_general(doc_id, section):
            return ()
        named = self.section_places(doc_id, section)
        spelled = tuple(r for r in regions if canonical_place(r) in named)
        return spelled or tuple(regions)


def about_place(s: Sentence, place: str, places: PlaceIndex) -> bool:
    """Whether `s` may answer for `place`: the sentence names it; or it names no other place
    and its section (if its headings name places) or else its report is about it (region
    metadata, title, byline). A general text (a national overview section; in a library whose
    reports declare places, a report with no place of its own) answers for no place it does
    not name. A passage whose report declares no region and whose headings name no place, in
    a library where nothing is declared (an encyclopedia), is not held to a place."""
    c = s.hit.chunk
    named = places.places_named(s.norm)
    if place in named:
        return True
    home = places.speaks_for(c.doc_id, c.section)
    if home is None:
        return True  # nothing declares what this passage is about: the search chose it
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
    regions = [canonical_place(normalize(r)) for r in s.hit.record.regions]
    regions = regions or sorted(places.doc_places(c.doc_id))  # 004 names no region; its byline does
    said = f"{normalize(s.hit.record.title)} {s.norm}"
    return next((r for r in regions if r in said), regions[0] if regions else "")


def _most_specific(named: frozenset[str], section: tuple[str, ...]) -> str:
    """湖南省衡阳市 names 湖南 and 衡阳: the later (narrower) one labels the block."""
    text = normalize(" ".join(section))
    return max(named, key=lambda p: text.rfind(p))


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
