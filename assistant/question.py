"""Question analysis, once per question, as a typed object used by retrieval, the
answerers and the UI.

(Skeleton: the types are the contract between retrieval/conversation and the answerers;
`analyze` and `Gazetteer` are filled in by the question-analysis work.)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

QuestionKind = Literal[
    "fact", "number", "list", "measures", "definition", "effect", "summary", "comparison", "yesno"
]


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

    @property
    def place_doc_ids(self) -> frozenset[str]:
        return frozenset(d for p in self.places for d in p.doc_ids)

    @property
    def absent_places(self) -> tuple[Place, ...]:
        return tuple(p for p in self.places if not p.doc_ids)
