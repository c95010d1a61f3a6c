"""Suggested next questions: built from the reports, asked before they are shown, and offered
only when the reports answer them on the topic.

Candidates after a grounded answer, deeper questions on the same place first:
- a term the cited sentences quote that the question did not ask about ("衡阳的“优先选人”
  具体是怎么做的？");
- the next parts of the cited report about the same place ("绵阳是怎么做好清闲促建“减法”的？"),
  from their headings without numbering or place prefix;
- the same topic for another place the library covers ("那天津呢？"), one name per place
  (a report about 湘西 and its capital 吉首 offers 湘西 once).
A candidate holding an anonymization placeholder (xx, **) is never made. Each is verified
by asking it (extractive, so cheap and deterministic) with the answer as history: kept when
the reply is grounded, cites something new, cites the place it names, and its citations
speak to the reply's topic (`Library.on_topic`). At most `MAX_CHECKED` are asked per answer
and the result is cached.
"""

from __future__ import annotations

import re
import threading
from collections import OrderedDict
from collections.abc import Iterator, Sequence
from typing import Protocol

from assistant.answer_types import Answer, Citation, Turn
from assistant.citing import has_traditional
from assistant.grammar import HEADING_NUMBER, PROVINCE, QUOTED
from assistant.place_names import pos_words
from assistant.places import short_place
from index.errors import ReformQAError
from index.statedb import DocRow
from index.textnorm import normalize, to_simplified
from index.types import ChunkRecord


class Library(Protocol):
    """What the suggester needs of the library (the `Assistant` facade provides it)."""

    def docs(self) -> list[DocRow]: ...

    def show(self, doc_id: str) -> tuple[DocRow, str, list[ChunkRecord]]: ...

    def ask(self, question: str, history: Sequence[Turn] = (), *, use_llm: bool | None = None) -> Answer: ...

    def section_places(self, doc_id: str, section: Sequence[str]) -> tuple[str, ...]: ...

    def on_topic(self, answer: Answer) -> bool: ...


MAX_CHECKED = 6
CACHE_SIZE = 256
_PLACEHOLDER = re.compile(r"(xx|XX|ｘｘ|\*\*|××|某某)")
_PLACE_PREFIX = re.compile(r"^[^:：]{2,16}[:：]")
"""A heading's place prefix (湖南省衡阳市:持续深化…): the place, not the part."""


def leaf_places(regions: tuple[str, ...]) -> list[str]:
    """The most specific places of a report: its cities, or its province when it names none."""
    cities = [r for r in regions if not PROVINCE.match(r)]
    return cities or list(regions[:1])


def _key(answer: Answer) -> tuple[object, ...]:
    return answer.resolved_question, tuple((c.doc_id, c.start, c.end) for c in answer.citations)


def _clean(question: str) -> str | None:
    """The question, or None when it would show an anonymization placeholder."""
    return None if _PLACEHOLDER.search(question) else question


class Suggester:
    """Candidates from the cited sentences, the cited report's next parts and the library's
    places, verified by asking."""

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
        """(question, place its answer must cite or "") pairs, best first: two deeper
        questions on the same place, then a place swap, alternating."""
        place = self._place_of(answer.citations[0])
        deeper = list(
            dict.fromkeys(
                [
                    *self._quoted_terms(answer, place),
                    *self._next_parts(answer.citations[0], place, has_traditional(answer.question)),
                ]
            )
        )
        others = self._other_places(answer)
        seen: set[str] = set()
        while deeper or others:
            for q, p in [*((d, place) for d in deeper[:2]), *((f"那{o}呢？", o) for o in others[:1])]:
                cleaned = _clean(q)
                if cleaned and cleaned not in seen:
                    seen.add(cleaned)
                    yield cleaned, p
            deeper, others = deeper[2:], others[1:]

    def _place_of(self, cite: Citation) -> str:
        """The place a citation speaks for, as the library is asked about it: its section's
        (衡阳 in 003), else its report's (湘西 for 000, not its capital 吉首); "" if none."""
        leaves = [short_place(r) for r in leaf_places(cite.regions)]
        row = next((d for d in self.assistant.docs() if d.doc_id == cite.doc_id), None)
        named = self._report_places(row) if row is not None else []
        return next((p for p in named if p in leaves), named[0] if named else (leaves[0] if leaves else ""))

    def _quoted_terms(self, answer: Answer, place: str) -> list[str]:
        """Terms the cited sentences quote that the question did not ask about."""
        asked = normalize(answer.resolved_question)
        out: list[str] = []
        for c in answer.citations[:4]:
            for m in QUOTED.finditer(c.quote):
                term = m.group(1)
                words = re.sub(r"[\d〇零一二两三四五六七八九十百千万亿对个]", "", term)
                if not term or not 2 <= len(term) <= 12 or normalize(term) in asked or len(words) < 2:
                    continue  # not 一对一, 2号: a term names something
                lead = f"{place}的" if place else ""
                out.append(f"{lead}“{term}”具体是怎么做的？")
        return out

    def _next_parts(self, cite: Citation, place: str, traditional: bool) -> list[str]:
        """Questions about the parts after the cited one in the same report, about the same
        place (a part about another place is a place swap, offered as one)."""
        try:
            row, _text, chunks = self.assistant.show(cite.doc_id)
        except ReformQAError:
            return []
        seen = {cite.section}
        out: list[str] = []
        for chunk in chunks:
            c = chunk.chunk
            if c.end <= cite.start or not c.section or c.section_path in seen:
                continue
            seen.add(c.section_path)
            there = [short_place(r) for r in self.assistant.section_places(c.doc_id, c.section)]
            if place and there and place not in there:
                continue
            clause = _clause(c.section[-1])
            clause = clause if traditional else to_simplified(clause)  # in the asker's script
            if not clause or clause == row.meta.title:
                continue
            out.append(_about_part(place, clause))
            if len(out) >= 2:
                break
        return out

    def _other_places(self, answer: Answer) -> list[str]:
        """One name per place the library covers, other than those asked or cited."""
        cited = {short_place(r) for c in answer.citations for r in c.regions}
        asked = answer.resolved_question
        out: list[str] = []
        for row in self.assistant.docs():
            for place in self._report_places(row):
                if place and place not in cited and place not in asked and place not in out:
                    out.append(place)
        return out

    def _report_places(self, row: DocRow) -> list[str]:
        """The places a report is asked about by: those its headings give parts of their own
        (003: 衡阳 and 绵阳), else the region its title names (天津), else its first leaf region
        (000: 湘西, not also its capital 吉首), else its byline's place (004: 昆明)."""
        regions = row.meta.regions
        if not regions:
            return [short_place(r) for r in self.assistant.section_places(row.doc_id, ())][:1]
        leaves = [short_place(r) for r in leaf_places(regions)]
        try:
            _, _, chunks = self.assistant.show(row.doc_id)
        except ReformQAError:
            return leaves[:1]
        headings = " ".join({h for c in chunks for h in c.chunk.section})
        parts = [p for p in leaves if p in headings]
        if len(parts) > 1:
            return parts
        titled = [short_place(r) for r in regions if short_place(r) in row.meta.title]
        return (titled or leaves)[:1]

    def _answers(self, question: str, place: str, answer: Answer) -> bool:
        try:
            reply = self.assistant.ask(question, [Turn(answer.question, answer)], use_llm=False)
        except ReformQAError:
            return False
        if not reply.grounded or not reply.citations:
            return False
        if place and not any(place in short_place(r) for c in reply.citations for r in c.regions):
            return False
        shown = {(c.doc_id, c.start) for c in answer.citations}
        if not any((c.doc_id, c.start) not in shown for c in reply.citations):
            return False
        return self.assistant.on_topic(reply)


def _clause(heading: str) -> str:
    """A heading's first clause without its numbering or place prefix: 二、做好清闲促建“减法”,
    实现园区提质 → 做好清闲促建“减法”."""
    text = HEADING_NUMBER.sub("", heading.strip())
    text = _PLACE_PREFIX.sub("", text)
    return re.split(r"[,，;；。:：]", text)[0].strip()


def _about_part(place: str, clause: str) -> str:
    """做好清闲促建“减法” → 绵阳是怎么做好清闲促建“减法”的？; a noun phrase → …有哪些做法？"""
    words = pos_words(normalize(clause))
    lead = place or ""
    if words and words[0][1].startswith("v"):
        return f"{lead}是怎么{clause}的？" if lead else f"怎么{clause}？"
    return f"{lead}的{clause}有哪些做法？" if lead else f"{clause}有哪些做法？"
