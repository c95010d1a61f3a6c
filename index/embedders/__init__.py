"""Embedders: one module per backend, a registry in `base`, the factory on top.

- `base`: the `Embedder` interface (one abstract `embed_batch`) and the registry.
- `hashing`: the deterministic fake (`hash:N` models), for tests.
- `sentence_transformer`: the `torch` backend.
- `onnx_backend` / `onnx_export`: the `onnx`, `onnx-int8` and `onnx-fp32` backends.
- `caching`: one vector cache in front of any embedder.
- `model_path`: where the model the settings name lives.
- `factory`: `make_embedder(settings)`.
"""

from index.embedders.base import Embedder, Kind
from index.embedders.caching import CachingEmbedder
from index.embedders.factory import make_embedder
from index.embedders.hashing import HashingEmbedder
from index.embedders.model_path import resolve_model_path
from index.embedders.onnx_backend import OnnxEmbedder
from index.embedders.sentence_transformer import SentenceTransformerEmbedder

__all__ = [
    "CachingEmbedder",
    "Embedder",
    "HashingEmbedder",
    "Kind",
    "OnnxEmbedder",
    "SentenceTransformerEmbedder",
    "make_embedder",
    "resolve_model_path",
]
