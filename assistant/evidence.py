"""What grounding reads of the live index, in one object the answer stages share.

`Evidence` bundles the keyword statistics (idf, document frequencies), the embedder (sentence
similarity), the place index (which reports and sections are about which place), the
reports' chunks (a list or summary reads a whole section, not only the hits) and the
`AnswerConfig`. The extractive answerer is built from it, and the LLM answerer's claim check
needs nothing more: neither takes the other whole.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import cached_property

from assistant.candidates import Sentence, dedupe, sentences_of
from assistant.placecheck import PlaceIndex, RegionPlaces
from assistant.scoring import Scorer
from index.embedders import Embedder
from index.keyword import KeywordIndex
from index.settings import AnswerConfig
from index.types import ChunkRecord, Hit

ChunksOf = Callable[[str], Sequence[ChunkRecord]]
"""A report's chunks in reading order (the whole section a list or summary answer reads)."""


@dataclass(frozen=True)
class Evidence:
    """The index as grounding sees it (see the module docstring)."""

    embedder: Embedder
    keyword: KeywordIndex
    places: PlaceIndex = field(default_factory=lambda: RegionPlaces([]))
    config: AnswerConfig = field(default_factory=AnswerConfig)
    chunks_of: ChunksOf | None = None

    @cached_property
    def scorer(self) -> Scorer:
        return Scorer(self.embedder, self.config)

    def section(self, hit: Hit, path: tuple[str, ...]) -> list[Sentence]:
        """Every sentence under `path` in the hit's report (all its chunks, not only the
        hits), in reading order, each once (chunks overlap)."""
        records = self.chunks_of(hit.chunk.doc_id) if self.chunks_of else [hit.record]
        inside = [r for r in records if r.chunk.section[: len(path)] == path]
        if not inside:
            inside = [hit.record]
        sents = sentences_of([Hit(r, 0.0) for r in inside])
        return [s for s in dedupe(sorted(sents, key=lambda s: s.start)) if s.hit.chunk.doc_id == hit.chunk.doc_id]
