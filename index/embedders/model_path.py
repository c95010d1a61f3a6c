"""Where the model the settings name lives on disk."""

from __future__ import annotations

from pathlib import Path

from index.e5 import ensure_e5_model
from index.settings import DEFAULT_MODEL, Settings


def resolve_model_path(settings: Settings) -> str:
    """The model folder the settings name: the bundled model converts once into the cache;
    a path is expanded; anything else is a name in the local Hugging Face cache (offline)."""
    cfg = settings.embedding
    if cfg.model == DEFAULT_MODEL:
        return str(ensure_e5_model(settings.cache_dir))
    if Path(cfg.model).expanduser().exists():
        return str(Path(cfg.model).expanduser())
    return cfg.model
