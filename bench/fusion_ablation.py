"""Fusion ablation: how the parts of the hybrid search add up, on an existing index.

For each question it fetches the dense (E5 + Chroma) and BM25 candidate lists once, then
ranks them by: dense alone, BM25 alone, reciprocal-rank fusion with several dense weights,
and RRF followed by the best-sentence re-rank (`index.search.HybridSearcher._rerank`) at
several depths and weights. Recall@1/@5 of a chunk containing the gold text.

Usage: python bench/fusion_ablation.py NAME QA.jsonl LIMIT   (index kept in /tmp/reformqa-ablation/NAME)
"""

from __future__ import annotations

import itertools
import sys
from pathlib import Path

from assistant.facade import Assistant
from evaluation.qa import corpus_settings, gold_matches, read_questions
from index.keyword import tokenize
from index.segmentation import segment
from index.settings import Settings
from index.textnorm import normalize


def main() -> None:
    name, qa, limit = sys.argv[1], Path(sys.argv[2]), int(sys.argv[3])
    qs, docs = read_questions(qa)
    qs = [q for q in qs if not q.unanswerable][:limit]
    base = Settings(data_dir=Path("/tmp/reformqa-ablation") / name)
    settings = corpus_settings(base, docs)
    assistant = Assistant(settings)
    assistant.ingest()
    st, emb = assistant.searcher.store, assistant.embedder
    view = st.keyword()
    live = set(view.ids)
    lists = []
    for q in qs:
        d = [c for c, _ in st.vectors.query(emb.embed_query(normalize(q.text)), 50, None) if c in live]
        toks = tokenize(normalize(q.text))
        lists.append((d, [view.ids[r] for r, _ in view.index.top(toks, 50)], toks))
    rec = st.db.records(list({c for d, k, _ in lists for c in d + k}))
    sents = {c: [r.chunk.norm[s.start : s.end] for s in segment(r.chunk.norm)] for c, r in rec.items()}

    def rank(order: list[str], q: object) -> int | None:
        for i, c in enumerate(order[:10], 1):
            if gold_matches(rec[c].chunk.doc_id, rec[c].chunk.text, q.gold):  # type: ignore[attr-defined]
                return i
        return None

    def fuse(weighted: list[tuple[list[str], float]], rk: int = 60) -> list[str]:
        sc: dict[str, float] = {}
        for lst, w in weighted:
            for i, c in enumerate(lst, 1):
                sc[c] = sc.get(c, 0) + w / (rk + i)
        return sorted(sc, key=lambda c: -sc[c])

    def best_sent(c: str, weights: dict[str, float]) -> float:
        tot = sum(weights.values()) or 1
        return max((sum(w for t, w in weights.items() if t in s) / tot for s in sents[c]), default=0)

    def report(label: str, orders: list[list[str]]) -> None:
        ranks = [rank(o, q) for o, q in zip(orders, qs, strict=True)]
        n = len(ranks)
        r1 = sum(r == 1 for r in ranks) / n
        r5 = sum(r is not None and r <= 5 for r in ranks) / n
        print(f"| {name} | {label} | {r1:.3f} | {r5:.3f} |")

    report("dense alone", [d for d, _, _ in lists])
    report("bm25 alone", [k for _, k, _ in lists])
    for wd in (0.7, 1.0, 1.5):
        fused = [fuse([(d, wd), (k, 1.0)]) for d, k, _ in lists]
        report(f"RRF, dense weight {wd}", fused)
        for depth, ws in itertools.product((20, 40), (1.0, 2.0)):
            orders = []
            for (_, _, toks), f in zip(lists, fused, strict=True):
                weights = {t: view.index.idf(t) * (0.4 if len(t) == 1 else 1) for t in dict.fromkeys(toks)}
                top = f[:depth]
                bs = sorted(top, key=lambda c: -best_sent(c, weights))
                orders.append(fuse([(top, 1.0), (bs, ws)]) + f[depth:])
            report(f"RRF {wd} + best-sentence re-rank, depth {depth}, weight {ws}", orders)


if __name__ == "__main__":
    main()
