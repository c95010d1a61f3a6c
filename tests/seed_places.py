"""The seed corpus's reports and chunks, prepared without any model (cleaning + chunking
only), for the question-analysis and follow-up tests."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from assistant.places import Gazetteer
from index.chunking import chunk_document
from index.metadata import load_metadata
from index.pipeline import doc_ids_for, prepare
from index.scanning import scan
from index.settings import Settings
from index.types import Chunk, CleanDocument

SEEDS = Path(__file__).resolve().parent.parent / "corpus"


@lru_cache(maxsize=1)
def seed_reports() -> tuple[tuple[CleanDocument, ...], tuple[Chunk, ...]]:
    settings = Settings(corpus_dir=SEEDS)
    metas = load_metadata(SEEDS)
    files = scan(SEEDS, [SEEDS]).files
    ids = doc_ids_for(files)
    cfg = settings.chunking
    docs = tuple(prepare(f, ids[f.rel], metas.get(f.rel), settings) for f in files)
    chunks = tuple(
        c
        for d in docs
        for c in chunk_document(d, max_tokens=cfg.max_tokens, overlap=cfg.overlap_sentences, encoding=cfg.encoding)
    )
    return docs, chunks


@lru_cache(maxsize=1)
def seed_gazetteer() -> Gazetteer:
    docs, chunks = seed_reports()
    return Gazetteer.build(docs, chunks)


def doc(prefix: str) -> str:
    """The seed report id that starts with `prefix` (000 … 004)."""
    return next(d.doc_id for d in seed_reports()[0] if d.doc_id.startswith(prefix))
