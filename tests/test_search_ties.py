"""Issue 12, finding 11: equal scores are ranked the same way in every process, whatever
order a store returns them in or how Python's hash seed orders sets."""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from assistant.facade import Assistant
from index.keyword import KeywordIndex, rank_rows
from index.search import HybridSearcher
from index.settings import Settings

REPO = Path(__file__).resolve().parent.parent
QUERY = "天津高新区干部工资分为哪两部分"


@pytest.mark.parametrize("seed", range(20))
def test_rank_rows_takes_the_lowest_rows_among_ties(seed: int) -> None:
    rng = np.random.default_rng(seed)
    scores = rng.integers(0, 3, size=300).astype(np.float32)  # three values: ties everywhere
    k = int(rng.integers(1, 120))
    assert rank_rows(scores, k) == sorted(range(len(scores)), key=lambda i: (-scores[i], i))[:k]


def test_keyword_top_breaks_ties_by_row_at_the_cut(monkeypatch: pytest.MonkeyPatch) -> None:
    index = KeywordIndex([f"c{i}" for i in range(200)], [["审批"]] * 200)
    tied = np.random.default_rng(2).integers(1, 3, size=200).astype(np.float32)
    monkeypatch.setattr(index, "scores", lambda tokens: tied)
    rows = [row for row, _ in index.top(["审批"], 32)]
    assert rows == sorted(range(200), key=lambda i: (-tied[i], i))[:32]


def test_dense_ties_rank_the_same_whatever_order_the_store_returns(
    fake_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    Assistant(fake_settings).ingest()
    searcher = HybridSearcher(fake_settings)
    ids = sorted(searcher.store.db.chunk_ids())
    results = []
    for seed in (1, 2, 3):
        shuffled = ids[:]
        random.Random(seed).shuffle(shuffled)

        def tied(
            vector: object, k: int, doc_ids: object = None, order: list[str] = shuffled
        ) -> list[tuple[str, float]]:
            return [(cid, 0.5) for cid in order]  # every chunk tied, in a different order each time

        monkeypatch.setattr(searcher.store.vectors, "query", tied)
        fused = searcher._fuse(QUERY, [], searcher.store.keyword(), None)
        results.append([(cid, dense_rank) for cid, _, dense_rank, _, _ in fused])
    assert results[0] == results[1] == results[2]
    assert [cid for cid, _ in results[0]] == sorted(cid for cid, _ in results[0])  # all tied: id order


_SEARCH = """
import json, sys
from index.search import HybridSearcher
from index.settings import Settings
s = Settings(data_dir=sys.argv[1], corpus_dir=sys.argv[2], embedding={"model": "hash:256"})
searcher = HybridSearcher(s)
out = [[(h.chunk.id, round(h.score, 12)) for h in searcher.search(q, k=10)] for q in sys.argv[3:]]
print(json.dumps(out))
"""


@pytest.mark.slow
def test_the_same_questions_rank_identically_in_processes_with_different_hash_seeds(
    fake_settings: Settings,
) -> None:
    Assistant(fake_settings).ingest()
    queries = [QUERY, "哪些地方推行了法定机构改革", "开发区 管委会", "园区"]
    runs = []
    for seed in ("0", "1", "12345"):
        env = {**os.environ, "PYTHONHASHSEED": seed, "PYTHONPATH": str(REPO)}
        args = [sys.executable, "-c", _SEARCH, str(fake_settings.data_dir), str(fake_settings.corpus_dir), *queries]
        done = subprocess.run(args, env=env, capture_output=True, text=True, timeout=240, cwd=REPO)
        assert done.returncode == 0, done.stderr[-2000:]
        runs.append(json.loads(done.stdout.strip().splitlines()[-1]))
    assert runs[0] == runs[1] == runs[2]
