"""Shared fixtures. Network is blocked except loopback; the real model only in `model` tests.

Test data lives in the repository: the reports in `corpus/`, the QA sets in `tests/data/`
(see its README); a test never reads `../shared`, so a fresh clone runs the same tests (one
exception: tests/test_real_pdfs.py reads the real files of ../shared/realdocs and skips
without them)."""

from __future__ import annotations

import json
import os
import shutil
import socket
from pathlib import Path
from typing import Any

import pytest

os.environ["ANONYMIZED_TELEMETRY"] = "False"
os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TOKENIZERS_PARALLELISM"] = "false"
for _key in [k for k in os.environ if k.startswith("REFORMQA_")]:
    del os.environ[_key]  # the developer's own settings must not leak into tests

from settings_kit import hashed_settings  # noqa: E402

from assistant.facade import Assistant  # noqa: E402
from index.settings import Settings  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
SEEDS = REPO / "corpus"
SEED_FILES = sorted(p.name for p in SEEDS.glob("*.txt"))
DATA = Path(__file__).resolve().parent / "data"


def _read_jsonl(name: str) -> list[dict[str, Any]]:
    """The records of a JSONL file of tests/data. A missing file fails the test, never skips
    it: the file is part of the repository (tests/data/README.md says where it comes from)."""
    path = DATA / name
    if not path.is_file():
        pytest.fail(f"{path} is missing; restore it from git (tests/data/README.md says where it comes from)")
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


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
    return hashed_settings(tmp_path, corpus)


@pytest.fixture(scope="session")
def seed_qa() -> dict[str, dict[str, Any]]:
    """The development questions over the seed reports (tests/data/seed_dev_qa.jsonl) by qid."""
    return {q["qid"]: q for q in _read_jsonl("seed_dev_qa.jsonl")}


@pytest.fixture(scope="session")
def seed_index(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """The seed reports indexed once per test session with the fake embedder. Read-only:
    tests that change the corpus or the index use `fake_settings` instead."""
    root = tmp_path_factory.mktemp("seed-index")
    shutil.copytree(SEEDS, root / "corpus")
    settings = hashed_settings(root)
    Assistant(settings).ingest()
    return settings


@pytest.fixture(scope="session")
def model_cache() -> Path:
    """The real converted model, shared across test sessions (converted once)."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "reformqa"
