"""Typed objects of the answering stage: Citation → AnswerPart → Answer, and Turn."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal


@dataclass(frozen=True)
class Citation:
    """A verbatim quote of a report, located by its span in the cleaned text (`reformqa show`)."""

    n: int
    doc_id: str
    title: str
    source: str
    section: str
    quote: str
    start: int
    end: int
    regions: tuple[str, ...] = ()
    page: int | None = None
    """The page the quote starts on (None for formats without pages)."""


@dataclass(frozen=True)
class ComparisonRow:
    """One place/report of a comparison answer."""

    place: str
    text: str
    """What that place did, with its [n] markers."""
    citations: tuple[int, ...]


@dataclass(frozen=True)
class AnswerBlock:
    """One structural block of an answer, for layout (the UI) and plain text (`Answer.text`).

    kind: `paragraph` (items are consecutive sentences of one run), `bullets` (one item per
    listed point, measure or sub-heading), `place` (one place of a comparison: `heading` is
    the place, items its sentences), `notice` (a visible statement such as "报告中没有衡阳…的内容";
    carries no citation), `related` (passages of other places shown as NOT answering).
    Every item of the other kinds carries its [n] markers.
    """

    kind: Literal["paragraph", "bullets", "place", "notice", "related"]
    items: tuple[str, ...] = ()
    heading: str = ""


@dataclass(frozen=True)
class Answer:
    """What the assistant says, with everything needed to check it."""

    question: str
    resolved_question: str
    text: str
    """The answer; every claim carries [n] markers that index `citations`."""
    grounded: bool
    """False exactly when the assistant declines to answer from the reports."""
    mode: Literal["extractive", "llm"]
    citations: tuple[Citation, ...] = ()
    comparison: tuple[ComparisonRow, ...] = ()
    blocks: tuple[AnswerBlock, ...] = ()
    """The answer's structure; `text` is these blocks flattened (empty: `text` is one paragraph)."""
    kind: str = "fact"
    """The question type the answer is shaped for: fact, number, list, measures, definition,
    effect, summary, comparison, yesno."""
    related: tuple[Citation, ...] = ()
    """For a declined answer: the nearest passages, offered for reading."""
    note: str = ""
    """A visible note, e.g. that the LLM failed and this is the extractive answer."""
    debug: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class Turn:
    """One exchange of a conversation."""

    question: str
    answer: Answer
