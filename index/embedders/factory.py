"""`make_embedder`: the embedder the settings name, behind one vector cache."""

from __future__ import annotations

# The backend modules register themselves on import; the factory is the one place that
# knows them all.
import index.embedders.hashing
import index.embedders.onnx_backend
import index.embedders.sentence_transformer
from index.embedders.base import Embedder, backend_names, registered
from index.embedders.caching import CachingEmbedder
from index.errors import ConfigError
from index.settings import Settings


def make_embedder(settings: Settings, *, cached: bool = True) -> Embedder:
    """The embedder for `embedding.backend` (`hash:N` as the model selects the fake).

    Cheap: nothing loads until the first text is embedded. `cached=False` leaves out the
    vector cache (a benchmark of the backend itself).
    """
    model = settings.embedding.model
    name = "hash" if model.startswith(index.embedders.hashing.PREFIX) else settings.embedding.backend
    constructor = registered(name)
    if constructor is None:  # settings validate the backend; this is a backend that did not register
        raise ConfigError(f"embedding.backend {name!r} has no embedder; registered: {', '.join(backend_names())}")
    embedder = constructor(settings)
    return CachingEmbedder(embedder) if cached else embedder
