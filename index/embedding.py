"""Re-exports for modules that import `index.embedding`; the embedders live in
`index.embedders` and `Vectors` in `index.types`, where new code imports them from."""

from index.embedders import (
    Embedder,
    HashingEmbedder,
    SentenceTransformerEmbedder,
    make_embedder,
    resolve_model_path,
)
from index.types import Vectors

__all__ = [
    "Embedder",
    "HashingEmbedder",
    "SentenceTransformerEmbedder",
    "Vectors",
    "make_embedder",
    "resolve_model_path",
]
