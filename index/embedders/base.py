"""The embedder interface and the registry that backends add themselves to.

A backend implements one method, `embed_batch(texts, kind)`; passages, queries and the
vector size are derived from it. The base never imports a backend: each backend module
registers its constructor under the names it answers to, and `index.embedders.factory`
imports the backend modules and picks one by name.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from typing import Literal

import numpy as np

from index.settings import Settings
from index.types import Vectors

Kind = Literal["query", "passage"]
"""What a text is: a question (the E5 `query: ` prompt) or a stored passage (`passage: `)."""

Constructor = Callable[[Settings], "Embedder"]
_BACKENDS: dict[str, Constructor] = {}


class Embedder(ABC):
    """Turns passages and queries into L2-normalized float32 vectors."""

    name: str
    """Identity of the model, part of the index fingerprint."""

    _dim: int = 0

    @abstractmethod
    def embed_batch(self, texts: Sequence[str], kind: Kind) -> Vectors:
        """One row per text, shape (len(texts), dim); (0, dim) for no texts."""

    def embed_documents(self, texts: Sequence[str]) -> Vectors:
        return self.embed_batch(texts, "passage")

    def embed_queries(self, texts: Sequence[str]) -> Vectors:
        return self.embed_batch(texts, "query")

    def embed_query(self, text: str) -> Vectors:
        """One vector of shape (dim,)."""
        vec: Vectors = self.embed_batch([text], "query")[0]
        return vec

    @property
    def dim(self) -> int:
        """The vector size (embeds one text the first time, which loads the model)."""
        if not self._dim:
            self._dim = int(self.embed_batch(["x"], "query").shape[1])
        return self._dim

    def _empty(self) -> Vectors:
        return np.zeros((0, self.dim), dtype=np.float32)


def register(*names: str) -> Callable[[Constructor], Constructor]:
    """Class decorator: `make_embedder` builds this backend for any of `names`."""

    def add(constructor: Constructor) -> Constructor:
        for name in names:
            _BACKENDS[name] = constructor
        return constructor

    return add


def registered(name: str) -> Constructor | None:
    return _BACKENDS.get(name)


def backend_names() -> list[str]:
    return sorted(_BACKENDS)
