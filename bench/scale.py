"""Scale benchmark: ingest and search at 1k, 10k and 100k chunks, embedded Chroma and a
Chroma server.

Corpus. Real Chinese text only: every sentence of the dev sets' documents
(../shared/eval/cmrc2018 and drcd docs.jsonl, Simplified and Traditional Wikipedia) and of
the seed reports (corpus/*.txt). These hold ~0.9M characters, about 4k chunks, so larger
corpora are *variants*: each synthetic report takes the title of a real document of one
source plus "（变体 N）", and its sentences are spliced from two real sentences of that
source (the clauses before a random comma of one, then the clauses after a random comma of
the other), 2 to 6 per paragraph, 6 to 16 paragraphs. Vocabulary, sentence lengths, script
mix and BM25 statistics stay those of real text, and no sentence repeats verbatim across
reports (so duplicate-report detection does no artificial work). Generated with a fixed
seed; `1k` and `10k` are the first files of the `100k` corpus.

Vectors. Embedding 100k chunks with the real model would take hours on 2 cores, so the
ingest runs the real pipeline (loading, cleaning, chunking, jieba, Chroma upserts, BM25
build, SQLite commit) with one stage replaced: a chunk's vector is a real E5 vector (the
ONNX int8 model on one of 1,024 real chunks, computed once and cached) picked by a hash of
the chunk text, plus Gaussian noise (cosine to it ~0.96), normalized. Ingest chunks/s
therefore excludes the model; bench/embed_speed.py measures the model separately, and the
docs add the two. Queries are real dev-set questions embedded by the real ONNX model at
search time (included in the latency, and reported apart).

Each phase runs in a fresh process, so peak memory (max RSS) is that phase's; in server
mode the Chroma server (started here on loopback, one per size) is measured too.

Usage: python bench/scale.py [--sizes 1000,10000,100000] [--modes embedded,server]
                             [--queries 200] [--work /tmp/reformqa-scale] [--out FILE.json]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import random
import re
import resource
import shutil
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from collections.abc import Sequence
from pathlib import Path
from typing import Any

os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

import numpy as np

from index.embedders import Embedder, Kind
from index.settings import EmbeddingSettings, Settings
from index.types import Vectors

REPO = Path(__file__).resolve().parent.parent
EVAL = REPO.parent / "shared" / "eval"
SOURCES = {"cmrc2018": EVAL / "cmrc2018" / "docs.jsonl", "drcd": EVAL / "drcd" / "docs.jsonl"}
CHARS_PER_CHUNK = 175
"""Characters of report text per chunk on this corpus (measured: 240k characters gave 1,371
chunks; chunks overlap by a sentence and carry the title and heading path)."""
BASE_VECTORS = 1024
NOISE = 0.015
_SENT = re.compile(r"[^。！？!?；;\n]+[。！？!?；;]?")


# --------------------------------------------------------------------------- corpus


def _real_documents() -> dict[str, list[tuple[str, str]]]:
    """source → [(title, text)] of the real documents."""
    out: dict[str, list[tuple[str, str]]] = {}
    for name, path in SOURCES.items():
        rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
        out[name] = [(str(r.get("title", "")), str(r["text"])) for r in rows]
    out["seed"] = []
    for p in sorted((REPO / "corpus").glob("*.txt")):
        text = p.read_text(encoding="utf-8")
        out["seed"].append((text.strip().split("\n", 1)[0][:40], text))
    return out


def _splice(rng: random.Random, a: str, b: str) -> str:
    ca, cb = a.split("，"), b.split("，")
    head = ca[: rng.randint(1, len(ca))]
    tail = cb[rng.randint(0, len(cb) - 1) :] if len(cb) > 1 else cb
    return "，".join(head + tail)


def build_corpus(folder: Path, chunks: int, seed: int = 0) -> int:
    """Write synthetic reports (see the module doc) worth about `chunks` chunks; returns files."""
    docs = _real_documents()
    rng = random.Random(seed)
    pools = {
        name: [s.strip() for _, t in ds for s in _SENT.findall(t) if len(s.strip()) >= 6] for name, ds in docs.items()
    }
    weights = {name: sum(map(len, pool)) for name, pool in pools.items()}
    names = sorted(pools)
    folder.mkdir(parents=True, exist_ok=True)
    written, n = 0, 0
    while written < chunks * CHARS_PER_CHUNK:
        src = rng.choices(names, weights=[weights[x] for x in names])[0]
        title = rng.choice(docs[src])[0] or src
        pool = pools[src]
        paras = [
            "".join(_splice(rng, rng.choice(pool), rng.choice(pool)) for _ in range(rng.randint(2, 6)))
            for _ in range(rng.randint(6, 16))
        ]
        body = "\n".join(paras)
        (folder / f"syn{n:06d}.txt").write_text(f"{title}（变体 {n}）\n{body}\n", encoding="utf-8")
        written += len(body)
        n += 1
    return n


def subset(full: Path, folder: Path, files: int) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for p in sorted(full.glob("*.txt"))[:files]:
        shutil.copy2(p, folder / p.name)


# --------------------------------------------------------------------------- vectors


def base_vectors(work: Path, settings: Settings) -> Vectors:
    """1,024 real E5 vectors (ONNX int8) of real chunks, computed once per work folder."""
    path = work / "base_vectors.npy"
    if path.exists():
        return np.asarray(np.load(path), dtype=np.float32)
    from index.chunking import chunk_document
    from index.embedders import make_embedder
    from index.pipeline import index_text, prepare
    from index.types import SourceFile

    texts: list[str] = []
    tmp = work / "real"
    tmp.mkdir(parents=True, exist_ok=True)
    for name, rows in _real_documents().items():
        for i, (title, text) in enumerate(rows[:80]):
            p = tmp / f"{name}-{i}.txt"
            p.write_text(f"{title}\n{text}", encoding="utf-8")
            doc = prepare(SourceFile(p, p.name, "-", 0), p.stem, None, settings)
            cfg = settings.chunking
            texts += [
                index_text(c, doc.meta.title)
                for c in chunk_document(
                    doc, max_tokens=cfg.max_tokens, overlap=cfg.overlap_sentences, encoding=cfg.encoding
                )
            ]
    rng = random.Random(1)
    chosen = rng.sample(texts, min(BASE_VECTORS, len(texts)))
    vecs = make_embedder(settings).embed_documents(chosen)
    np.save(path, vecs)
    return vecs


class PerturbedEmbedder(Embedder):
    """Passage vectors without the model: a real vector chosen by the text's hash, plus
    deterministic noise. Queries are not served here (search uses the real model)."""

    def __init__(self, base: Vectors, name: str) -> None:
        self._base = base
        self.name = name

    @property
    def dim(self) -> int:
        return int(self._base.shape[1])

    def embed_batch(self, texts: Sequence[str], kind: Kind) -> Vectors:
        if kind == "query":
            raise AssertionError("queries use the real model")
        out = np.empty((len(texts), self.dim), dtype=np.float32)
        for i, t in enumerate(texts):
            h = int.from_bytes(hashlib.blake2b(t.encode(), digest_size=8).digest(), "little")
            v = self._base[h % len(self._base)] + np.random.default_rng(h).normal(0, NOISE, self.dim)
            out[i] = v / np.linalg.norm(v)
        return out


# --------------------------------------------------------------------------- phases (subprocesses)


def _settings(work: Path, size: str, mode: str, url: str) -> Settings:
    return Settings(
        data_dir=work / f"data-{mode}-{size}",
        corpus_dir=work / f"corpus-{size}",
        embedding=EmbeddingSettings(backend="onnx"),
        chroma_url=url,
    )


def _peak_mb() -> float:
    """This process's peak resident memory (VmHWM: unlike ru_maxrss, not inherited over exec)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def phase_ingest(work: Path, size: str, mode: str, url: str) -> dict[str, Any]:
    from assistant.facade import Assistant

    settings = _settings(work, size, mode, url)
    shutil.rmtree(settings.data_dir, ignore_errors=True)
    emb = PerturbedEmbedder(base_vectors(work, settings.model_copy(update={"chroma_url": ""})), "perturbed")
    t0 = time.perf_counter()
    summary = Assistant(settings, embedder=emb).ingest()
    dt = time.perf_counter() - t0
    return {
        "chunks": summary.chunks_total,
        "reports": len(summary.added),
        "ingest_s": dt,
        "ingest_chunks_per_s": summary.chunks_total / dt,
        "ingest_peak_mb": _peak_mb(),
        "data_dir_mb": _du(settings.data_dir),
    }


def _questions(n: int) -> list[str]:
    qs: list[str] = []
    for name in ("cmrc2018", "drcd"):
        rows = (EVAL / name / "qa.jsonl").read_text(encoding="utf-8").splitlines()
        qs += [json.loads(r)["question"] for r in rows[: n // 2 + 5]]
    return qs


def phase_search(work: Path, size: str, mode: str, url: str, n: int) -> dict[str, Any]:
    from assistant.facade import Assistant
    from index.keyword import tokenize
    from index.textnorm import normalize

    settings = _settings(work, size, mode, url)
    a = Assistant(settings)
    qs = _questions(n)
    warm, qs = qs[:5], qs[5 : 5 + n]
    for q in warm:
        a.search(q, k=5)  # model load, keyword index load, caches
    total: list[float] = []
    for q in qs:
        t0 = time.perf_counter()
        a.search(q, k=5)
        total.append((time.perf_counter() - t0) * 1000)
    # Where the time goes: each stage alone, on the same questions (fresh query strings).
    searcher = a.searcher
    store, cfg = searcher.store, settings.search
    view = store.keyword()
    parts: dict[str, list[float]] = {k: [] for k in ("embed", "tokenize", "bm25", "dense", "fuse", "records")}
    for q in qs:
        qq = q + "？"
        t = time.perf_counter()
        vec = a.embedder.embed_query(qq)
        parts["embed"].append(_ms(t))
        t = time.perf_counter()
        toks = tokenize(normalize(qq))
        parts["tokenize"].append(_ms(t))
        t = time.perf_counter()
        view.index.top(toks, cfg.fetch_k, None)
        parts["bm25"].append(_ms(t))
        t = time.perf_counter()
        store.vectors.query(vec, cfg.fetch_k, None)
        parts["dense"].append(_ms(t))
        t = time.perf_counter()
        fused = searcher._fuse(qq, toks, view, None)  # includes bm25 and dense again (cached query vector)
        parts["fuse"].append(_ms(t))
        t = time.perf_counter()
        store.db.records([cid for cid, *_ in fused[:20]])
        parts["records"].append(_ms(t))
    return {
        "search_p50_ms": statistics.median(total),
        "search_p95_ms": _pct(total, 0.95),
        "search_mean_ms": statistics.fmean(total),
        "stages_p50_ms": {k: statistics.median(v) for k, v in parts.items()},
        "stages_p95_ms": {k: _pct(v, 0.95) for k, v in parts.items()},
        "search_peak_mb": _peak_mb(),
        "queries": len(qs),
    }


def _ms(t: float) -> float:
    return (time.perf_counter() - t) * 1000


def _pct(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def _du(path: Path) -> float:
    if not path.exists():
        return 0.0
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) / 2**20


# --------------------------------------------------------------------------- driver


def _label(n: int) -> str:
    return f"{n // 1000}k" if n % 1000 == 0 else str(n)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _start_server(path: Path) -> tuple[subprocess.Popen[bytes], str]:
    exe = shutil.which("chroma")
    if exe is None:
        raise SystemExit("server mode needs the `chroma` CLI (chromadb) on PATH")
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    shutil.rmtree(path, ignore_errors=True)
    path.mkdir(parents=True)
    proc = subprocess.Popen(
        [exe, "run", "--path", str(path), "--host", "127.0.0.1", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    for _ in range(300):
        try:
            urllib.request.urlopen(f"{url}/api/v2/heartbeat", timeout=1)
            return proc, url
        except OSError:
            time.sleep(0.2)
    proc.kill()
    raise SystemExit("chroma run did not start")


def _server_peak_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def _run_phase(args: list[str]) -> dict[str, Any]:
    out = subprocess.run([sys.executable, __file__, *args], check=True, capture_output=True, text=True)
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


def drive(work: Path, sizes: list[int], modes: list[str], queries: int) -> dict[str, Any]:
    work.mkdir(parents=True, exist_ok=True)
    full = work / f"corpus-{_label(max(sizes))}"
    if not full.exists():
        t = time.perf_counter()
        n = build_corpus(full.with_suffix(".tmp"), max(sizes))
        full.with_suffix(".tmp").rename(full)
        print(f"corpus: {n} reports in {time.perf_counter() - t:.0f}s", file=sys.stderr)
    n_full = len(list(full.glob("*.txt")))
    for size in sizes:
        folder = work / f"corpus-{_label(size)}"
        if not folder.exists():
            subset(full, folder, max(1, round(n_full * size / max(sizes))))
    _run_phase(["--phase", "vectors", "--work", str(work)])  # the model loads in a child process
    results: list[dict[str, Any]] = []
    for mode in modes:
        for size in sizes:
            label = _label(size)
            proc, url = _start_server(work / f"server-{label}") if mode == "server" else (None, "")
            try:
                row: dict[str, Any] = {"mode": mode, "size": label}
                row |= _run_phase(
                    ["--phase", "ingest", "--work", str(work), "--size", label, "--mode", mode, "--url", url]
                )
                print(f"{mode} {label}: ingested {row['chunks']} chunks", file=sys.stderr, flush=True)
                row |= _run_phase(
                    [
                        "--phase",
                        "search",
                        "--work",
                        str(work),
                        "--size",
                        label,
                        "--mode",
                        mode,
                        "--url",
                        url,
                        "--queries",
                        str(queries),
                    ]
                )
                if proc is not None:
                    row["server_peak_mb"] = _server_peak_mb(proc.pid)
                    row["server_disk_mb"] = _du(work / f"server-{label}")
                row["disk_mb"] = row["data_dir_mb"] + row.get("server_disk_mb", 0.0)
                print(json.dumps(row), file=sys.stderr, flush=True)
                with (work / "results.jsonl").open("a", encoding="utf-8") as fh:
                    fh.write(json.dumps(row) + "\n")  # partial results survive an interrupted run
                results.append(row)
            finally:
                if proc is not None:
                    proc.terminate()
                    proc.wait(timeout=30)
    return {
        "date": time.strftime("%Y-%m-%d %H:%M"),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, {os.sysconf('SC_PAGE_SIZE') * os.sysconf('SC_PHYS_PAGES') / 2**30:.0f} GiB",
        "load_avg_1m": os.getloadavg()[0],
        "results": results,
    }


def markdown(r: dict[str, Any]) -> str:
    head = (
        "| store | chunks | ingest chunks/s (no model) | search p50 / p95 ms | of which query embedding p50 ms "
        "| peak MB ingest / search / server | disk MB |\n|---|---|---|---|---|---|---|\n"
    )
    lines = []
    for x in r["results"]:
        server = f" / {x['server_peak_mb']:.0f}" if "server_peak_mb" in x else ""
        lines.append(
            f"| {x['mode']} | {x['chunks']:,} | {x['ingest_chunks_per_s']:.0f} | {x['search_p50_ms']:.0f} / "
            f"{x['search_p95_ms']:.0f} | {x['stages_p50_ms']['embed']:.0f} | {x['ingest_peak_mb']:.0f} / "
            f"{x['search_peak_mb']:.0f}{server} | {x['disk_mb']:.0f} |"
        )
    stages = "\n\n| store | chunks | " + " | ".join(f"{k} p50/p95" for k in r["results"][0]["stages_p50_ms"]) + " |\n"
    stages += "|---|---|" + "---|" * len(r["results"][0]["stages_p50_ms"]) + "\n"
    for x in r["results"]:
        cells = " | ".join(f"{x['stages_p50_ms'][k]:.1f} / {x['stages_p95_ms'][k]:.1f}" for k in x["stages_p50_ms"])
        stages += f"| {x['mode']} | {x['chunks']:,} | {cells} |\n"
    return head + "\n".join(lines) + stages


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sizes", default="1000,10000,100000")
    ap.add_argument("--modes", default="embedded,server")
    ap.add_argument("--queries", type=int, default=200)
    ap.add_argument("--work", type=Path, default=Path("/tmp/reformqa-scale"))
    ap.add_argument("--out", type=Path)
    ap.add_argument("--phase", choices=["vectors", "ingest", "search"], help=argparse.SUPPRESS)
    ap.add_argument("--size", help=argparse.SUPPRESS)
    ap.add_argument("--mode", help=argparse.SUPPRESS)
    ap.add_argument("--url", default="", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.phase == "vectors":
        print(
            json.dumps(
                {"base_vectors": len(base_vectors(args.work, Settings(embedding=EmbeddingSettings(backend="onnx"))))}
            )
        )
        return
    if args.phase == "ingest":
        print(json.dumps(phase_ingest(args.work, args.size, args.mode, args.url)))
        return
    if args.phase == "search":
        print(json.dumps(phase_search(args.work, args.size, args.mode, args.url, args.queries)))
        return
    result = drive(args.work, [int(s) for s in args.sizes.split(",")], args.modes.split(","), args.queries)
    print(f"{result['date']}, {result['machine']}, load average {result['load_avg_1m']:.1f}\n")
    print(markdown(result))
    if args.out:
        args.out.write_text(json.dumps(result, indent=2, ensure_ascii=False), encoding="utf-8")


if __name__ == "__main__":
    main()
