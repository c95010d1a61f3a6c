"""The deterministic fake embedder: hashed character n-grams. Fast, no model, for tests.

Not meaningless: texts sharing character bigrams get similar vectors, so tests of ranking
behave like a (weak) real retriever. Selected by the model name `hash:N` (N dimensions).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

import numpy as np

from index.embedders.base import Embedder, Kind, register
from index.errors import ConfigError
from index.settings import Settings
from index.types import Vectors

PREFIX = "hash:"
"""A model name starting with this selects the fake, whatever the backend setting."""


class HashingEmbedder(Embedder):
    """Signed feature hashing of character unigrams and bigrams, L2-normalized."""

    def __init__(self, dim: int = 256) -> None:
        self.name = f"{PREFIX}{dim}"
        self._dim = dim

    @property
    def dim(self) -> int:
        return self._dim

    def _vector(self, text: str) -> Vectors:
        vec = np.zeros(self._dim, dtype=np.float32)
        grams = [text[i : i + n] for n in (1, 2) for i in range(len(text) - n + 1)]
        for gram in grams:
            h = int.from_bytes(hashlib.blake2b(gram.encode(), digest_size=8).digest(), "little")
            vec[h % self._dim] += 1.0 if (h >> 32) & 1 else -1.0
        norm = float(np.linalg.norm(vec))
        return vec / norm if norm else vec

    def embed_batch(self, texts: Sequence[str], kind: Kind) -> Vectors:
        # Queries and passages share one space: the fake has no prompts.
        return np.stack([self._vector(t) for t in texts]) if texts else self._empty()


@register("hash")
def from_settings(settings: Settings) -> Embedder:
    size = settings.embedding.model.removeprefix(PREFIX)
    if not size.isdigit() or int(size) < 1:
        raise ConfigError(
            f"embedding.model {settings.embedding.model!r}: the fake embedder needs a size, e.g. `hash:256`"
        )
    return HashingEmbedder(int(size))
