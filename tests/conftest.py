"""Shared fixtures. Network is blocked except loopback; the real model only in `model` tests."""

from __future__ import annotations

import os
import shutil
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

os.environ["ANONYMIZED_TELEMETRY"] = "False"
os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TOKENIZERS_PARALLELISM"] = "false"
for _key in [k for k in os.environ if k.startswith("REFORMQA_")]:
    del os.environ[_key]  # the developer's own settings must not leak into tests

from index.settings import EmbeddingSettings, Settings  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
SEEDS = REPO / "corpus"
SEED_FILES = sorted(p.name for p in SEEDS.glob("*.txt"))

_real_connect = socket.socket.connect


def _guarded_connect(self: socket.socket, address: object) -> None:
    host = address[0] if isinstance(address, tuple) else address
    remote = isinstance(host, str) and not (host.startswith("127.") or host in ("localhost", "::1"))
    if remote and self.family in (socket.AF_INET, socket.AF_INET6):
        raise RuntimeError(f"network access blocked in tests: {address!r}")
    _real_connect(self, address)  # type: ignore[arg-type]


@pytest.fixture(autouse=True)
def _block_network(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(socket.socket, "connect", _guarded_connect)


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    """A copy of the seed corpus (with its reports.toml) that a test may change."""
    dst = tmp_path / "corpus"
    shutil.copytree(SEEDS, dst)
    return dst


@pytest.fixture
def fake_settings(tmp_path: Path, corpus: Path) -> Settings:
    """Settings with the deterministic hashing embedder and private directories."""
    return Settings(
        data_dir=tmp_path / "data",
        corpus_dir=corpus,
        cache_dir=tmp_path / "cache",
        embedding=EmbeddingSettings(model="hash:256"),
    )


@pytest.fixture(scope="session")
def model_cache() -> Path:
    """The real converted model, shared across test sessions (converted once)."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "reformqa"


@pytest.fixture
def real_settings(tmp_path: Path, corpus: Path, model_cache: Path) -> Iterator[Settings]:
    yield Settings(data_dir=tmp_path / "data", corpus_dir=corpus, cache_dir=model_cache)
