"""Embedding throughput: sentence-transformers on torch fp32 beside the ONNX exports.

Passages are real chunks (`index_text`, as ingest embeds them) of the seed reports and of
the first documents of the cmrc2018 (Simplified) and drcd (Traditional) dev sets, made by
our own cleaner and chunker.

- **torch**: `SentenceTransformerEmbedder`, i.e. plain sentence-transformers, fp32, with
  its default 32 texts per batch (the baseline).
- **torch-b8**: the same with 8 texts per batch, the best batch size for torch on this CPU
  (so the speed-up is not just small batches).
- **onnx-fp32**: the same network exported to ONNX with fused BERT kernels (onnxruntime).
- **onnx**: that graph with int8 weights (dynamic quantization): the fast path, the default.

The ONNX backends batch by token budget (`embedding.batch_tokens`). The backends run in
interleaved rounds on the same texts (torch, torch-b8, onnx-fp32, onnx, torch, ...), so
load from other processes hits them alike; speed-ups are the median of per-round ratios,
for wall-clock and for process CPU time. Model loading and the one-time export are
excluded and reported apart. Agreement is the cosine between each backend's vector and
torch's for the same passage.

Usage: python bench/embed_speed.py [--n 192] [--rounds 3] [--queries 30] [--out FILE.json]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


from index.chunking import chunk_document
from index.embedders import Embedder, make_embedder
from index.pipeline import index_text, prepare
from index.settings import EmbeddingSettings, Settings
from index.types import SourceFile, Vectors

REPO = Path(__file__).resolve().parent.parent
EVAL = REPO.parent / "shared" / "eval"
CONFIGS: dict[str, EmbeddingSettings] = {
    "torch": EmbeddingSettings(backend="torch", batch_size=32),
    "torch-b8": EmbeddingSettings(backend="torch", batch_size=8),
    "onnx-fp32": EmbeddingSettings(backend="onnx-fp32"),
    "onnx": EmbeddingSettings(backend="onnx"),
}
BACKENDS = tuple(CONFIGS)


def passages(settings: Settings, n: int, workdir: Path) -> list[str]:
    """n chunk texts: a third each from the seed reports, cmrc2018 and drcd (cycled)."""
    pools: list[list[str]] = []
    sources: list[list[Path]] = [sorted((REPO / "corpus").glob("*.txt"))]
    for name in ("cmrc2018", "drcd"):
        sources.append(_jsonl_docs(EVAL / name / "docs.jsonl", workdir / name, limit=60))
    cfg = settings.chunking
    for files in sources:
        pool: list[str] = []
        for path in files:
            doc = prepare(SourceFile(path, path.name, "-", path.stat().st_size), path.stem, None, settings)
            for c in chunk_document(
                doc, max_tokens=cfg.max_tokens, overlap=cfg.overlap_sentences, encoding=cfg.encoding
            ):
                pool.append(index_text(c, doc.meta.title))
        pools.append(pool)
    out: list[str] = []
    while len(out) < n:
        for pool in pools:
            if pool and len(out) < n:
                out.append(pool[(len(out) // len(pools)) % len(pool)])
    return out


def _jsonl_docs(path: Path, folder: Path, limit: int) -> list[Path]:
    if not path.exists():
        return []
    folder.mkdir(parents=True, exist_ok=True)
    out = []
    for line in path.read_text(encoding="utf-8").splitlines()[:limit]:
        d = json.loads(line)
        p = folder / f"{d['doc_id']}.txt"
        p.write_text(f"{d.get('title', '')}\n{d['text']}", encoding="utf-8")
        out.append(p)
    return out


def _timed_docs(e: Embedder, texts: list[str]) -> tuple[float, float, Vectors]:
    w, c = time.perf_counter(), time.process_time()
    out = e.embed_documents(texts)
    return time.perf_counter() - w, time.process_time() - c, out


def _timed_query(e: Embedder, text: str) -> float:
    w = time.perf_counter()
    e.embed_query(text)
    return (time.perf_counter() - w) * 1000


def run(n: int, rounds: int, n_queries: int) -> dict[str, Any]:
    base = Settings()
    with tempfile.TemporaryDirectory() as tmp:
        texts = passages(base, n, Path(tmp))
    queries = [t.split("\n", 1)[-1][:40] for t in texts[:n_queries]]
    embedders: dict[str, Embedder] = {}
    load_s: dict[str, float] = {}
    for b in BACKENDS:
        e = make_embedder(base.model_copy(update={"embedding": CONFIGS[b]}), cached=False)
        load_s[b] = _timed_docs(e, texts[:2])[0]  # load (and the one-time export)
        embedders[b] = e
    wall: dict[str, list[float]] = {b: [] for b in BACKENDS}
    cpu: dict[str, list[float]] = {b: [] for b in BACKENDS}
    vecs: dict[str, Vectors] = {}
    for r in range(rounds):
        for b in BACKENDS:
            w, c, vecs[b] = _timed_docs(embedders[b], texts)
            wall[b].append(w)
            cpu[b].append(c)
            print(f"round {r + 1} {b}: {n / w:.1f} passages/s", file=sys.stderr, flush=True)
    qlat: dict[str, list[float]] = {b: [] for b in BACKENDS}
    for i, q in enumerate(queries):
        for b in BACKENDS:
            qlat[b].append(_timed_query(embedders[b], f"{q} {i}"))  # never a cached query
    ref = vecs["torch"]
    rows = {}
    for b in BACKENDS:
        cos = (vecs[b] * ref).sum(axis=1)
        rows[b] = {
            "passages_per_s": n / statistics.median(wall[b]),
            "speedup_wall": statistics.median(t / s for t, s in zip(wall["torch"], wall[b], strict=True)),
            "speedup_cpu": statistics.median(t / s for t, s in zip(cpu["torch"], cpu[b], strict=True)),
            "speedup_wall_vs_b8": statistics.median(t / s for t, s in zip(wall["torch-b8"], wall[b], strict=True)),
            "cpu_s_per_100": 100 * statistics.median(cpu[b]) / n,
            "query_p50_ms": statistics.median(qlat[b]),
            "cos_vs_torch_min": float(cos.min()),
            "cos_vs_torch_mean": float(cos.mean()),
            "load_s": load_s[b],
        }
    return {
        "date": time.strftime("%Y-%m-%d %H:%M"),
        "machine": f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores",
        "load_avg_1m": os.getloadavg()[0],
        "passages": n,
        "mean_chars": sum(map(len, texts)) / n,
        "rounds": rounds,
        "backends": rows,
    }


def markdown(r: dict[str, Any]) -> str:
    head = (
        "| backend | passages/s | speed-up (wall) | speed-up (CPU) | vs torch-b8 (wall) | CPU s / 100 passages "
        "| query p50 ms | cosine vs torch (min / mean) | load s |\n|---|---|---|---|---|---|---|---|---|\n"
    )
    lines = [
        f"| {b} | {v['passages_per_s']:.1f} | {v['speedup_wall']:.2f}× | {v['speedup_cpu']:.2f}× | "
        f"{v['speedup_wall_vs_b8']:.2f}× | "
        f"{v['cpu_s_per_100']:.1f} | {v['query_p50_ms']:.0f} | {v['cos_vs_torch_min']:.4f} / "
        f"{v['cos_vs_torch_mean']:.4f} | {v['load_s']:.1f} |"
        for b, v in r["backends"].items()
    ]
    return head + "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--n", type=int, default=192, help="passages per round")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--queries", type=int, default=30, help="single-query latency samples")
    ap.add_argument("--out", type=Path)
    args = ap.parse_args()
    result = run(args.n, args.rounds, args.queries)
    print(
        f"{result['date']}, {result['machine']}, load average {result['load_avg_1m']:.1f}; "
        f"{result['passages']} passages of {result['mean_chars']:.0f} characters on average, "
        f"{result['rounds']} interleaved rounds\n"
    )
    print(markdown(result))
    if args.out:
        args.out.write_text(json.dumps(result, indent=2, ensure_ascii=False), encoding="utf-8")


if __name__ == "__main__":
    main()
