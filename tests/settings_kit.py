"""Settings for tests that index: the deterministic hashing embedder (no model) and private
directories under one root."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from index.settings import EmbeddingSettings, Settings


def hashed_settings(root: Path, corpus: Path | None = None, **more: Any) -> Settings:
    """Data, cache (and by default the corpus) under `root`; `more` sets other groups."""
    return Settings(
        data_dir=root / "data",
        corpus_dir=corpus if corpus is not None else root / "corpus",
        cache_dir=root / "cache",
        embedding=EmbeddingSettings(model="hash:256"),
        **more,
    )
