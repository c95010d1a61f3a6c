"""One cache of vectors in front of any embedder.

The same texts come back again and again: a question in chat, the UI and evaluation, and
the sentences of the same passages question after question in the extractive answerer.
A vector depends only on the model, the kind (query or passage) and the text, so it is
looked up by (kind, text) and only the missing texts reach the model, each on its own (so
that this holds for quantized models too).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Sequence

import numpy as np

from index.embedders.base import Embedder, Kind
from index.types import Vectors

DEFAULT_SIZE = 4096
"""Vectors kept (384 floats each: ~6 MB), enough for a session's questions and the
sentences of the passages they retrieve."""

_BULK = 64
"""Batches larger than this (an ingest) bypass the cache: their texts rarely come back,
and they would evict the query vectors that do."""


class CachingEmbedder(Embedder):
    """Wraps `inner`; returns copies, so a caller changing its vectors cannot change the cache."""

    def __init__(self, inner: Embedder, size: int = DEFAULT_SIZE) -> None:
        self.inner = inner
        self.name = inner.name
        self._size = size
        self._cache: OrderedDict[tuple[Kind, str], Vectors] = OrderedDict()
        self._lock = threading.Lock()

    @property
    def dim(self) -> int:
        return self.inner.dim

    def embed_batch(self, texts: Sequence[str], kind: Kind) -> Vectors:
        if not texts or len(texts) > _BULK:
            return self.inner.embed_batch(texts, kind)
        with self._lock:
            found = {t: v for t in texts if (v := self._cache.get((kind, t))) is not None}
            for t in found:
                self._cache.move_to_end((kind, t))
        missing = [t for t in dict.fromkeys(texts) if t not in found]
        if missing:
            # One text at a time: a quantized model's output shifts a little with what it is
            # batched with (activation scales are taken per batch), and a cached vector must
            # not depend on which question first asked for it.
            fresh = {t: self.inner.embed_batch([t], kind)[0] for t in missing}
            found.update(fresh)
            with self._lock:
                self._cache.update({(kind, t): v for t, v in fresh.items()})
                while len(self._cache) > self._size:
                    self._cache.popitem(last=False)
        return np.stack([found[t] for t in texts])  # a new array: the cached rows stay private
