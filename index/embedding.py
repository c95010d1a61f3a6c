"""Embedders: the bundled E5 model through sentence-transformers, the same model exported
to ONNX (`index.onnx_embed`, the fast path), and a deterministic fake.

All implement `Embedder`. Models load lazily on first use, never at import or
construction, so commands that do not embed (an ingest with nothing changed, `docs`)
never pay for loading torch.
"""

from __future__ import annotations

import hashlib
import os
import threading
from abc import ABC, abstractmethod
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from index.errors import ConfigError
from index.settings import DEFAULT_MODEL, Settings

Vectors = npt.NDArray[np.float32]


class Embedder(ABC):
    """Turns passages and queries into L2-normalized float32 vectors."""

    name: str
    """Identity of the model, part of the index fingerprint."""

    @property
    @abstractmethod
    def dim(self) -> int: ...

    @abstractmethod
    def embed_documents(self, texts: Sequence[str]) -> Vectors: ...

    @abstractmethod
    def embed_query(self, text: str) -> Vectors:
        """One vector of shape (dim,)."""

    def embed_queries(self, texts: Sequence[str]) -> Vectors:
        return np.stack([self.embed_query(t) for t in texts]) if texts else self._empty()

    def _empty(self) -> Vectors:
        return np.zeros((0, self.dim), dtype=np.float32)


class HashingEmbedder(Embedder):
    """Deterministic fake: hashed character n-grams. Fast, no model, for unit tests.

    Not meaningless: texts sharing character bigrams get similar vectors, so tests of
    ranking behave like a (weak) real retriever.
    """

    def __init__(self, dim: int = 256) -> None:
        self.name = f"hash:{dim}"
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

    def embed_documents(self, texts: Sequence[str]) -> Vectors:
        return np.stack([self._vector(t) for t in texts]) if texts else self._empty()

    def embed_query(self, text: str) -> Vectors:
        return self._vector(text)


def resolve_model_path(settings: Settings) -> str:
    """The model folder the settings name: the bundled model converts once into the cache."""
    cfg = settings.embedding
    if cfg.model == DEFAULT_MODEL:
        from index.e5convert import ensure_e5_model

        return str(ensure_e5_model(settings.cache_dir))
    if Path(cfg.model).expanduser().exists():
        return str(Path(cfg.model).expanduser())
    return cfg.model  # a name in the local Hugging Face cache (offline)


class SentenceTransformerEmbedder(Embedder):
    """A sentence-transformers model on the CPU, with E5-style prompts."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self.name = settings.embedding.model
        self._model: Any = None
        self._lock = threading.Lock()

    def _resolve_path(self) -> str:
        return resolve_model_path(self._settings)

    def _load(self) -> Any:
        with self._lock:
            if self._model is None:
                os.environ.setdefault("HF_HUB_OFFLINE", "1")
                import transformers
                from sentence_transformers import SentenceTransformer

                # "Loading weights" bars would land in the middle of CLI output and JSON pipes.
                transformers.utils.logging.disable_progress_bar()  # type: ignore[no-untyped-call]
                transformers.utils.logging.set_verbosity_error()  # type: ignore[no-untyped-call]

                threads = self._settings.embedding.threads
                if threads:
                    import torch

                    torch.set_num_threads(threads)
                kwargs: dict[str, Any] = {"device": "cpu"}
                if self._settings.embedding.backend != "torch":
                    kwargs["backend"] = self._settings.embedding.backend
                try:
                    self._model = SentenceTransformer(self._resolve_path(), **kwargs)
                except OSError as exc:
                    raise ConfigError(
                        f"embedding model {self.name!r} could not be loaded offline ({exc}); "
                        "set REFORMQA_EMBEDDING__MODEL to a local sentence-transformers folder"
                    ) from exc
            return self._model

    @property
    def dim(self) -> int:
        return int(self._load().get_sentence_embedding_dimension())

    def _encode(self, texts: Sequence[str], prompt: str) -> Vectors:
        if not texts:
            return self._empty()
        model = self._load()
        out = model.encode(
            list(texts),
            prompt=prompt,
            batch_size=self._settings.embedding.batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        return np.asarray(out, dtype=np.float32)

    def embed_documents(self, texts: Sequence[str]) -> Vectors:
        # Sorting by length keeps padding small inside each batch: a large win on CPU.
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        vecs = self._encode([texts[i] for i in order], self._settings.embedding.passage_prompt)
        out = np.empty_like(vecs)
        out[order] = vecs
        return out

    def embed_query(self, text: str) -> Vectors:
        vec: Vectors = self._encode([text], self._settings.embedding.query_prompt)[0]
        return vec

    def embed_queries(self, texts: Sequence[str]) -> Vectors:
        return self._encode(list(texts), self._settings.embedding.query_prompt)


def make_embedder(settings: Settings) -> Embedder:
    """The embedder the settings name (`hash:N` selects the deterministic fake).

    `embedding.backend` `onnx` (int8) or `onnx-fp32` selects the exported model on
    onnxruntime (`index.onnx_embed`); `torch` (and anything else) sentence-transformers.
    """
    model = settings.embedding.model
    if model.startswith("hash:"):
        return HashingEmbedder(int(model.split(":", 1)[1]))
    from index.onnx_embed import VARIANTS, OnnxEmbedder

    variant = VARIANTS.get(settings.embedding.backend)
    if variant is not None:
        return OnnxEmbedder(settings, variant)
    return SentenceTransformerEmbedder(settings)
