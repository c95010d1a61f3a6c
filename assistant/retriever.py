"""Place-aware retrieval over the hybrid search, and the search as a LangChain `BaseRetriever`
(so it composes with any LangChain chain).

`retrieve(question, search, k, flt, gazetteer)`: a question about a place searches that
place's evidence (the reports about it; in a report about several places, such as a case
collection, the sections about it come first); a comparison of places searches each place
and merges, so no place is left out; a question across places without naming them
(各地, 哪些地方) spreads over reports; anything else is the plain search.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace
from typing import Any, Protocol

from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever
from pydantic import ConfigDict

from assistant.grammar import COMPARING
from assistant.places import Gazetteer
from assistant.question import Place, Question, analyze
from index.search import SearchFilter
from index.types import Chunk, ChunkRecord, Hit


class Search(Protocol):
    """The hybrid search (`Assistant.search` / `HybridSearcher.search`)."""

    def __call__(
        self, query: str, k: int | None = None, flt: SearchFilter | None = None, *, diverse: bool | None = None
    ) -> list[Hit]: ...


def retrieve(
    question: Question,
    search: Search,
    k: int,
    flt: SearchFilter | None = None,
    gazetteer: Gazetteer | None = None,
) -> list[Hit]:
    """Hits for an analyzed question (see the module docstring).

    Only reports *about* a place (region metadata, title, section headings, byline) narrow
    the search; a place a report merely mentions (香港 in a Wikipedia article about a film)
    gets the plain search: the answerer's place check keeps other places' facts out."""
    about = [replace(p, doc_ids=_about(p, gazetteer)) for p in question.places]
    known = [p for p in about if p.doc_ids]
    if not known:
        # No place, or only places no report is about (the answer declines for those; the
        # plain search still offers related passages).
        return search(question.query, k, flt, diverse=question.wide)
    if len(about) == 1:
        return _for_place(question, known[0], search, k, flt, gazetteer)
    per_place = max(3, -(-k // len(about)))
    lists = [
        _for_place(question, p, search, per_place, flt, gazetteer, alone=True)
        if p.doc_ids
        else search(_query_for(question, p), per_place, flt, diverse=False)
        for p in about
    ]
    return _interleave(lists, max(k, per_place * len(about)))


def _about(place: Place, gazetteer: Gazetteer | None) -> tuple[str, ...]:
    """The reports about the place (without a gazetteer: the question's own doc_ids)."""
    if gazetteer is None:
        return place.doc_ids
    return tuple(d for d in place.doc_ids if d in set(gazetteer.docs_about(place.canonical)))


def _for_place(
    question: Question,
    place: Place,
    search: Search,
    k: int,
    flt: SearchFilter | None,
    gazetteer: Gazetteer | None,
    *,
    alone: bool = False,
) -> list[Hit]:
    """The question's hits among the reports about `place`, its own sections first."""
    restricted = _restrict(flt, place.doc_ids)
    if restricted is None:
        return []
    query = _query_for(question, place) if alone else question.query
    if gazetteer is None:
        return search(query, k, restricted, diverse=False)
    hits = search(query, 2 * k, restricted, diverse=False)  # over-fetch: other places' sections go
    own: list[Hit] = []
    other: list[Hit] = []
    for h in hits:
        about = gazetteer.speaks_for(h.chunk.doc_id, h.chunk.section)
        # A section about other places only (003's 绵阳 half for a 衡阳 question), or about the
        # country as a whole (000's national overview), goes last.
        (other if about is not None and place.canonical not in about else own).append(h)
    # In a comparison each place brings only its own evidence; alone, others' sections may follow.
    return (own if alone else own + other)[:k]


def _restrict(flt: SearchFilter | None, doc_ids: Sequence[str]) -> SearchFilter | None:
    """`flt` narrowed to `doc_ids` (None when the filter leaves none of them)."""
    if flt is None or not flt.reports:
        return replace(flt or SearchFilter(), reports=tuple(doc_ids))
    wanted = tuple(d for d in doc_ids if any(d == r or d.startswith(r) for r in flt.reports))
    return replace(flt, reports=wanted) if wanted else None


def _query_for(question: Question, place: Place) -> str:
    """The question about one place of a comparison: the other places' names left out."""
    text = question.query
    for other in question.places:
        if other.canonical != place.canonical:
            # 衡阳和天津的… → 衡阳的…: the name goes with the connector beside it.
            text = re.sub(f"[和与跟及、]?{re.escape(other.written)}[和与跟及、]?", "", text, count=1)
    # What one place did is the query; the words asking to compare match nothing in its report.
    return COMPARING.sub("", text) or text


def _interleave(lists: list[list[Hit]], limit: int) -> list[Hit]:
    """Round-robin over the places' hits (each place's best first), without repeats."""
    out: list[Hit] = []
    seen: set[str] = set()
    for rank in range(max((len(x) for x in lists), default=0)):
        for hits in lists:
            if rank < len(hits) and hits[rank].chunk.id not in seen:
                seen.add(hits[rank].chunk.id)
                out.append(hits[rank])
    return out[:limit]


def hit_to_document(hit: Hit) -> Document:
    c = hit.chunk
    return Document(
        id=c.id,
        page_content=c.text,
        metadata={
            "chunk_id": c.id,
            "doc_id": c.doc_id,
            "title": hit.record.title,
            "source": hit.record.rel,
            "section": c.section_path,
            "section_path": list(c.section),
            "start": c.start,
            "end": c.end,
            "seq": c.seq,
            "n_tokens": c.n_tokens,
            "norm": c.norm,
            "regions": list(hit.record.regions),
            "year": hit.record.year,
            "score": hit.score,
            "dense_rank": hit.dense_rank,
            "keyword_rank": hit.keyword_rank,
            "dense_score": hit.dense_score,
            "matched_terms": list(hit.matched_terms),
        },
    )


def document_to_hit(doc: Document) -> Hit:
    """Inverse of `hit_to_document` (answerers work on typed hits)."""
    m = doc.metadata
    chunk = Chunk(
        id=m["chunk_id"],
        doc_id=m["doc_id"],
        seq=m["seq"],
        text=doc.page_content,
        norm=m["norm"],
        section=tuple(m["section_path"]),
        start=m["start"],
        end=m["end"],
        n_tokens=m["n_tokens"],
    )
    record = ChunkRecord(chunk=chunk, title=m["title"], rel=m["source"], regions=tuple(m["regions"]), year=m["year"])
    return Hit(
        record=record,
        score=m["score"],
        dense_rank=m["dense_rank"],
        keyword_rank=m["keyword_rank"],
        dense_score=m["dense_score"],
        matched_terms=tuple(m["matched_terms"]),
    )


class ReformRetriever(BaseRetriever):
    """Hybrid (dense + BM25, RRF) search over the report index; with a `gazetteer`, the
    place-aware `retrieve` (the query is analyzed first)."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    assistant: Any
    """An `assistant.facade.Assistant` (anything with its `search`)."""
    k: int = 8
    search_filter: SearchFilter | None = None
    diverse: bool | None = None
    gazetteer: Gazetteer | None = None

    def _get_relevant_documents(self, query: str, *, run_manager: CallbackManagerForRetrieverRun) -> list[Document]:
        if self.gazetteer is not None and self.diverse is None:
            question = analyze(query, self.gazetteer)
            hits = retrieve(question, self.assistant.search, self.k, self.search_filter, self.gazetteer)
        else:
            hits = self.assistant.search(query, self.k, self.search_filter, diverse=self.diverse)
        return [hit_to_document(h) for h in hits]
