"""The `torch` backend: a sentence-transformers model on the CPU, with E5-style prompts.

The model loads on first use, never at import or construction, so commands that do not
embed (an ingest with nothing changed, `docs`) never pay for loading torch.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence
from typing import Any

import numpy as np

from index.embedders.base import Embedder, Kind, register
from index.embedders.model_path import resolve_model_path
from index.errors import ConfigError
from index.settings import Settings
from index.types import Vectors


class SentenceTransformerEmbedder(Embedder):
    """A sentence-transformers model; `embedding.batch_size` texts per forward pass."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self.name = settings.embedding.model
        self._model: Any = None
        self._lock = threading.Lock()

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
                try:
                    self._model = SentenceTransformer(resolve_model_path(self._settings), device="cpu")
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
        out = self._load().encode(
            list(texts),
            prompt=prompt,
            batch_size=self._settings.embedding.batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        return np.asarray(out, dtype=np.float32)

    def embed_batch(self, texts: Sequence[str], kind: Kind) -> Vectors:
        cfg = self._settings.embedding
        if kind == "query":
            return self._encode(texts, cfg.query_prompt)
        # Sorting by length keeps padding small inside each batch: a large win on CPU.
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        vecs = self._encode([texts[i] for i in order], cfg.passage_prompt)
        out = np.empty_like(vecs)
        out[order] = vecs
        return out


@register("torch")
def from_settings(settings: Settings) -> Embedder:
    return SentenceTransformerEmbedder(settings)
