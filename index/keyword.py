"""The Chinese keyword index: jieba tokens of the normalized text, ranked with BM25 (bm25s).

Token lists are computed once per chunk and kept in the state database, so rebuilding the
BM25 matrices after an incremental ingest only tokenizes the new chunks.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path

import bm25s
import numpy as np
import numpy.typing as npt

_WORD = re.compile(r"[\w\u4e00-\u9fff]")
# Function words and question words that carry no topic: they only add noise to BM25.
STOPWORDS = frozenset(
    [
        "的",
        "了",
        "和",
        "与",
        "及",
        "是",
        "在",
        "有",
        "对",
        "为",
        "以",
        "等",
        "也",
        "就",
        "都",
        "而",
        "并",
        "或",
        "之",
        "其",
        "中",
        "上",
        "下",
        "这",
        "那",
        "个",
        "一",
        "哪些",
        "哪个",
        "什么",
        "怎么",
        "怎样",
        "如何",
        "多少",
        "是否",
        "吗",
        "呢",
        "啊",
        "为什么",
        "哪",
        "谁",
        "几",
        "方面",
        "情况",
        "进行",
        "通过",
        "主要",
        "具有",
        "我们",
        "他们",
        "它们",
        "一个",
        "一些",
        "这些",
        "那些",
        "可以",
        "已经",
        "因此",
        "同时",
        "以及",
        "还",
        "又",
    ]
)
_lock = threading.Lock()


@lru_cache(maxsize=1)
def _jieba() -> object:
    import jieba

    jieba.setLogLevel(logging.WARNING)
    jieba.initialize()
    return jieba


def tokenize(norm: str) -> list[str]:
    """Search-mode jieba tokens of normalized text, without punctuation and stopwords."""
    jb = _jieba()
    with _lock:  # jieba's lazy dictionary state is not thread-safe
        words = jb.lcut_for_search(norm)  # type: ignore[attr-defined]
    return [w for w in (w.strip() for w in words) if w and _WORD.search(w) and w not in STOPWORDS]


def is_dictionary_word(word: str) -> bool:
    """Whether jieba's bundled dictionary lists `word` (not a name or a glued fragment)."""
    return bool(_jieba().dt.FREQ.get(word))  # type: ignore[attr-defined]


def general_rarity(word: str) -> float:
    """How rare `word` is in general Chinese: -log of its share in jieba's bundled word
    frequencies (about 7 for 不是/起来, 8 for 管理/改革, 14 for 管委会, 18 for a word the
    dictionary lacks). The corpus's own idf cannot tell 看到 from a name in a small corpus."""
    jb = _jieba()
    dt = jb.dt  # type: ignore[attr-defined]
    return float(np.log(dt.total / (dt.FREQ.get(word, 0) + 1)))


class KeywordIndex:
    """BM25 over chunk token lists; row i is chunk `ids[i]`."""

    def __init__(self, ids: Sequence[str], tokens: Sequence[Sequence[str]]) -> None:
        self.ids = list(ids)
        self._bm25 = bm25s.BM25()
        if self.ids:
            self._bm25.index([list(t) or ["\u0000"] for t in tokens], show_progress=False)

    @classmethod
    def load(cls, path: Path, ids: Sequence[str]) -> KeywordIndex:
        self = cls.__new__(cls)
        self.ids = list(ids)
        self._bm25 = bm25s.BM25.load(str(path), show_progress=False) if self.ids else bm25s.BM25()
        return self

    def save(self, path: Path) -> None:
        path.mkdir(parents=True, exist_ok=True)
        if self.ids:
            self._bm25.save(str(path), show_progress=False)

    @property
    def n_rows(self) -> int:
        """Rows (chunks) the BM25 matrices were built from, whatever `ids` says."""
        return int(self._bm25.scores.get("num_docs", 0)) if self.ids else 0

    def row_terms(self) -> list[set[str]]:
        """The distinct tokens of every row, read back from the BM25 matrices (for checks)."""
        rows: list[set[str]] = [set() for _ in range(self.n_rows)]
        if not rows:
            return rows
        indptr, indices = self._bm25.scores["indptr"], self._bm25.scores["indices"]
        for token, tid in self._bm25.vocab_dict.items():
            if tid + 1 >= len(indptr):
                continue  # bm25s adds an empty token that has no column
            for row in indices[indptr[tid] : indptr[tid + 1]]:
                rows[int(row)].add(token)
        return rows

    def doc_freq(self, token: str) -> int:
        """In how many chunks `token` occurs (0 if never)."""
        tid = self._bm25.vocab_dict.get(token) if self.ids else None
        if tid is None:
            return 0
        indptr = self._bm25.scores["indptr"]
        return int(indptr[tid + 1] - indptr[tid])

    def idf(self, token: str) -> float:
        """BM25 inverse document frequency; an unseen token gets the largest value."""
        n = len(self.ids)
        df = self.doc_freq(token)
        return float(np.log(1 + (n - df + 0.5) / (df + 0.5)))

    def scores(self, query_tokens: Sequence[str]) -> npt.NDArray[np.float32]:
        """BM25 score of every row (zeros for tokens the corpus lacks)."""
        if not self.ids:
            return np.zeros(0, dtype=np.float32)
        vocab = self._bm25.vocab_dict
        known = [t for t in query_tokens if t in vocab]
        if not known:
            return np.zeros(len(self.ids), dtype=np.float32)
        return np.asarray(self._bm25.get_scores(known), dtype=np.float32)

    def top(
        self, query_tokens: Sequence[str], k: int, allowed: npt.NDArray[np.bool_] | None = None
    ) -> list[tuple[int, float]]:
        """(row, score) of the k best rows with a positive score, optionally masked."""
        scores = self.scores(query_tokens)
        if allowed is not None and len(scores):
            scores = np.where(allowed, scores, 0.0)
        if not len(scores):
            return []
        return [(int(i), float(scores[i])) for i in rank_rows(scores, k) if scores[i] > 0]


def rank_rows(scores: npt.NDArray[np.float32], k: int) -> list[int]:
    """The k best rows, best first; equal scores in row order.

    argpartition alone picks an arbitrary subset of the rows tied at the k-th score, so
    which of them make the cut would depend on the array's layout, not on the data: every
    row tied with the k-th is taken, then the lowest rows win.
    """
    k = min(k, len(scores))
    if k <= 0:
        return []
    kth = scores[np.argpartition(-scores, k - 1)[k - 1]]
    candidates = np.flatnonzero(scores >= kth)
    order = np.lexsort((candidates, -scores[candidates]))  # last key first: score, then row
    return [int(i) for i in candidates[order][:k]]
