"""The hybrid search as a LangChain `BaseRetriever`, so it composes with any LangChain chain."""

from __future__ import annotations

from typing import Any

from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever
from pydantic import ConfigDict

from index.search import SearchFilter
from index.types import Chunk, ChunkRecord, Hit


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
    """Hybrid (dense + BM25, RRF) search over the report index."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    assistant: Any
    """An `assistant.facade.Assistant`."""
    k: int = 8
    search_filter: SearchFilter | None = None
    diverse: bool | None = None

    def _get_relevant_documents(self, query: str, *, run_manager: CallbackManagerForRetrieverRun) -> list[Document]:
        hits = self.assistant.search(query, self.k, self.search_filter, diverse=self.diverse)
        return [hit_to_document(h) for h in hits]
