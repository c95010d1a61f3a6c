"""Retrieval benchmark: ReformQA's hybrid search beside the two pipelines a user would
otherwise have, on the development sets.

- **ours**: `reformqa` as shipped (structure-aware chunks, E5 dense + BM25, RRF, collapse).
- **tutorial**: what LangChain's RAG tutorial builds: `RecursiveCharacterTextSplitter`
  (the tutorial's chunk_size=1000, chunk_overlap=200) over the raw text, the same
  embedding model (with its E5 prompts), plain Chroma similarity search.
- **bm25**: our keyword index alone (jieba + BM25 over our chunks).

Usage: python bench/retrieval.py [--sets seed,cmrc2018,drcd] [--limit N] [--out FILE.json]
Prints a Markdown table; `--out` also writes the raw figures.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

import contextlib

from assistant.facade import Assistant
from evaluation.qa import Question, corpus_settings, gold_matches, read_questions
from index.embedders import Embedder, make_embedder
from index.keyword import tokenize
from index.settings import Settings
from index.textnorm import normalize

REPO = Path(__file__).resolve().parent.parent
EVAL = REPO.parent / "shared" / "eval"
SETS = {
    "seed": EVAL / "seed_dev_qa.jsonl",
    "cmrc2018": EVAL / "cmrc2018" / "qa.jsonl",
    "drcd": EVAL / "drcd" / "qa.jsonl",
}
Ranked = list[tuple[str, str]]
"""(doc id, chunk text) best first."""


@dataclass
class Result:
    pipeline: str
    ranks: list[int | None]
    latency_ms: list[float]
    chunks: int
    ingest_s: float

    def row(self) -> dict[str, float]:
        n = len(self.ranks) or 1
        return {
            "recall@1": sum(r == 1 for r in self.ranks) / n,
            "recall@5": sum(r is not None and r <= 5 for r in self.ranks) / n,
            "mrr": sum(1 / r for r in self.ranks if r) / n,
            "chunks": self.chunks,
            "ingest_chunks_per_s": self.chunks / self.ingest_s if self.ingest_s else 0.0,
            "search_p50_ms": statistics.median(self.latency_ms) if self.latency_ms else 0.0,
        }


def _rank(ranked: Ranked, q: Question) -> int | None:
    for i, (doc_id, text) in enumerate(ranked, 1):
        if gold_matches(doc_id, text, q.gold):
            return i
    return None


def _run(
    name: str, questions: Sequence[Question], search: Callable[[str], Ranked], chunks: int, ingest_s: float
) -> Result:
    search(questions[0].text)  # warm: first-query costs (model load, caches) are not search latency
    ranks, lat = [], []
    for q in questions:
        t0 = time.perf_counter()
        ranked = search(q.text)
        lat.append((time.perf_counter() - t0) * 1000)
        ranks.append(_rank(ranked, q))
    return Result(name, ranks, lat, chunks, ingest_s)


def ours(settings: Settings, questions: Sequence[Question], embedder: Embedder) -> tuple[Result, Result]:
    shutil.rmtree(settings.data_dir, ignore_errors=True)
    assistant = Assistant(settings, embedder=embedder)
    t0 = time.perf_counter()
    summary = assistant.ingest()
    ingest_s = time.perf_counter() - t0

    def hybrid(text: str) -> Ranked:
        return [(h.chunk.doc_id, h.chunk.text) for h in assistant.search(text, 10)]

    view = assistant.searcher.store.keyword()
    records = assistant.searcher.store.db.records(view.ids)

    def bm25(text: str) -> Ranked:
        rows = view.index.top(tokenize(normalize(text)), 10)
        return [(records[view.ids[r]].chunk.doc_id, records[view.ids[r]].chunk.text) for r, _ in rows]

    # BM25's own ingest cost is the tokenizing and indexing: not measured apart here.
    return (
        _run("ours (hybrid)", questions, hybrid, summary.chunks_total, ingest_s),
        _run("bm25 alone", questions, bm25, summary.chunks_total, 0.0),
    )


def tutorial(raw_docs: dict[str, str], questions: Sequence[Question], embedder: Embedder) -> Result:
    import chromadb
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    splitter = RecursiveCharacterTextSplitter(chunk_size=1000, chunk_overlap=200)
    t0 = time.perf_counter()
    pieces = [(doc_id, piece) for doc_id, text in raw_docs.items() for piece in splitter.split_text(text)]
    client = chromadb.EphemeralClient()
    col = client.create_collection(f"tutorial-{time.monotonic_ns()}", metadata={"hnsw:space": "cosine"})
    for s in range(0, len(pieces), 256):
        part = pieces[s : s + 256]
        vecs = embedder.embed_documents([p for _, p in part])
        col.add(
            ids=[str(s + i) for i in range(len(part))],
            embeddings=vecs.tolist(),
            documents=[p for _, p in part],
            metadatas=[{"doc_id": d} for d, _ in part],
        )
    ingest_s = time.perf_counter() - t0

    def search(text: str) -> Ranked:
        res = col.query(query_embeddings=[embedder.embed_query(text).tolist()], n_results=10)
        return [(str(m["doc_id"]), str(d)) for m, d in zip(res["metadatas"][0], res["documents"][0], strict=True)]

    return _run("langchain tutorial", questions, search, len(pieces), ingest_s)


def raw_corpus(settings: Settings) -> dict[str, str]:
    """The files as a tutorial's TextLoader would read them (no cleaning)."""
    from index.loaders import load_file

    out = {}
    for path in sorted(settings.corpus_dir.glob("*.txt")):
        out[path.stem] = load_file(path, path.name, max_bytes=10**9).text
    return out


def bench_set(name: str, limit: int, work: Path, embedder: Embedder) -> list[Result]:
    questions, docs = read_questions(SETS[name])
    questions = [q for q in questions if not q.unanswerable][: limit or None]
    base = Settings(data_dir=work / name, corpus_dir=REPO / "corpus")
    settings = corpus_settings(base, docs)
    hybrid, bm25 = ours(settings, questions, embedder)
    tut = tutorial(raw_corpus(settings), questions, embedder)
    return [hybrid, tut, bm25]


def machine() -> str:
    cpu = "?"
    with contextlib.suppress(OSError, StopIteration):
        cpu = next(
            ln.split(":", 1)[1].strip() for ln in Path("/proc/cpuinfo").read_text().splitlines() if "model name" in ln
        )
    return f"{platform.machine()}, {os.cpu_count()} cores ({cpu}), Python {platform.python_version()}"


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sets", default="seed,cmrc2018,drcd")
    ap.add_argument("--limit", type=int, default=0, help="questions per set (0 = all)")
    ap.add_argument("--out", type=Path)
    args = ap.parse_args(argv)
    embedder = make_embedder(Settings())
    work = Path(tempfile.mkdtemp(prefix="reformqa-bench-"))
    table: dict[str, dict[str, dict[str, float]]] = {}
    try:
        for name in args.sets.split(","):
            table[name] = {r.pipeline: r.row() for r in bench_set(name, args.limit, work, embedder)}
            print(f"done {name}", file=sys.stderr)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(f"{time.strftime('%Y-%m-%d')} · {machine()}\n")
    print("| set | pipeline | recall@1 | recall@5 | MRR | chunks | ingest chunks/s | search p50 ms |")
    print("|---|---|---|---|---|---|---|---|")
    for name, rows in table.items():
        for pipe, r in rows.items():
            print(
                f"| {name} | {pipe} | {r['recall@1']:.3f} | {r['recall@5']:.3f} | {r['mrr']:.3f} | {r['chunks']:.0f} "
                f"| {r['ingest_chunks_per_s']:.1f} | {r['search_p50_ms']:.1f} |"
            )
    if args.out:
        args.out.write_text(json.dumps(table, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
