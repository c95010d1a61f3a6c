"""Suggested next questions: built from the reports, kept only when the reports answer them.

Two kinds of candidate, after a grounded answer:
- the same topic for another place the library covers ("那衡阳呢？", resolved against the answer
  like any follow-up), kept only if the answer to it cites a report of that place;
- the next section of the report the answer quotes ("天津的主要成效是什么？").
Each candidate is verified by asking it (extractive, so cheap and deterministic) with the
answer as history; at most `MAX_CHECKED` are asked per answer and the result is cached.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterator, Sequence
from typing import Protocol

from assistant.answer_types import Answer, Citation, Turn
from assistant.grammar import HEADING_NUMBER, PROVINCE
from assistant.places import canonical_place
from index.errors import ReformQAError
from index.statedb import DocRow
from index.types import ChunkRecord


class Library(Protocol):
    """What the suggester needs of the library (the `Assistant` facade provides it)."""

    def docs(self) -> list[DocRow]: ...

    def show(self, doc_id: str) -> tuple[DocRow, str, list[ChunkRecord]]: ...

    def ask(self, question: str, history: Sequence[Turn] = (), *, use_llm: bool | None = None) -> Answer: ...


MAX_CHECKED = 4
CACHE_SIZE = 256


def short_place(region: str) -> str:
    """`衡阳市` → `衡阳`, `湖南省` → `湖南`, `湘西土家族苗族自治州` → `湘西`; `滨海新区` stays
    (its suffix is part of the name a person says)."""
    return region if region.endswith("新区") else canonical_place(region)


def leaf_places(regions: tuple[str, ...]) -> list[str]:
    """The most specific places of a report: its cities, or its province when it names none."""
    cities = [r for r in regions if not PROVINCE.match(r)]
    return cities or list(regions[:1])


def _key(answer: Answer) -> tuple[object, ...]:
    return answer.resolved_question, tuple((c.doc_id, c.start, c.end) for c in answer.citations)


class Suggester:
    """Candidates from the library's places and the cited report's sections, verified by asking."""

    def __init__(self, assistant: Library) -> None:
        self.assistant = assistant
        self._cache: OrderedDict[tuple[object, ...], list[str]] = OrderedDict()
        self._lock = threading.Lock()

    def suggest(self, answer: Answer, limit: int = 3) -> list[str]:
        if not answer.grounded or not answer.citations:
            return []
        key = _key(answer)
        with self._lock:
            if key in self._cache:
                self._cache.move_to_end(key)
                return self._cache[key][:limit]
        kept: list[str] = []
        for i, (question, place) in enumerate(self.candidates(answer)):
            if i >= MAX_CHECKED or len(kept) >= limit:
                break
            if question not in kept and self._answers(question, place, answer):
                kept.append(question)
        with self._lock:
            self._cache[key] = kept
            while len(self._cache) > CACHE_SIZE:
                self._cache.popitem(last=False)
        return kept[:limit]

    def candidates(self, answer: Answer) -> Iterator[tuple[str, str]]:
        """(question, place its answer must cite or "") pairs, best first, alternating kinds."""
        others = self._other_places(answer)
        sections = self._next_sections(answer.citations[0])
        for i in range(max(len(others), len(sections))):
            if i < len(others):
                yield f"那{others[i]}呢？", others[i]
            if i < len(sections):
                yield sections[i], ""

    def _other_places(self, answer: Answer) -> list[str]:
        cited = {short_place(r) for c in answer.citations for r in c.regions}
        asked = answer.resolved_question
        out: list[str] = []
        for row in self.assistant.docs():
            for region in leaf_places(row.meta.regions):
                place = short_place(region)
                if place not in cited and place not in asked and place not in out:
                    out.append(place)
        return out

    def _next_sections(self, cite: Citation) -> list[str]:
        """Questions about the sections after the cited one, in the same report."""
        try:
            row, _text, chunks = self.assistant.show(cite.doc_id)
        except ReformQAError:
            return []
        place = next((short_place(r) for r in reversed(leaf_places(row.meta.regions))), "")
        seen = {cite.section}
        out: list[str] = []
        for chunk in chunks:
            if chunk.chunk.end <= cite.start or not chunk.chunk.section:
                continue
            heading = HEADING_NUMBER.sub("", chunk.chunk.section[-1]).strip(" ：:。")
            if chunk.chunk.section_path in seen or not heading or heading == row.meta.title:
                continue
            seen.add(chunk.chunk.section_path)
            out.append(f"{place}的{heading}有哪些内容？" if place else f"“{heading}”有哪些内容？")
            if len(out) >= 2:
                break
        return out

    def _answers(self, question: str, place: str, answer: Answer) -> bool:
        try:
            reply = self.assistant.ask(question, [Turn(answer.question, answer)], use_llm=False)
        except ReformQAError:
            return False
        if not reply.grounded or not reply.citations:
            return False
        if place and not any(place in r for c in reply.citations for r in c.regions):
            return False
        shown = {(c.doc_id, c.start) for c in answer.citations}
        return any((c.doc_id, c.start) not in shown for c in reply.citations)
