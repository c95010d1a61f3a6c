"""The ONNX embedding backend: same vectors as sentence-transformers (fp32) or close to them
(int8), exported once and atomically, selected by settings and part of the fingerprint."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from assistant.facade import Assistant
from index.embedders import CachingEmbedder, OnnxEmbedder, SentenceTransformerEmbedder, make_embedder, onnx_export
from index.embedders.onnx_backend import batches_by_length
from index.embedders.onnx_export import ensure_onnx_model, onnx_folder
from index.errors import IndexMismatchError
from index.settings import EmbeddingSettings, Settings

TEXTS = [
    "天津滨海高新区 › 薪酬制度\n干部工资分为基本工资和绩效工资两部分。",
    "  開發區管理體制改革：推行「管委會+公司」模式，  \n",  # Traditional, stray whitespace
    "x",
    "长沙高新区实行全员聘用制、岗位绩效工资制。" * 60,  # beyond 512 tokens: truncated alike
    "园区承接市级权力事项共计 120 项，涉及发改、规划、环保等部门。",
]
QUERIES = ["天津高新区干部工资分为哪两部分?", "哪些地方推行了员额制"]


def _settings(cache: Path, tmp_path: Path, backend: str) -> Settings:
    return Settings(data_dir=tmp_path / "data", cache_dir=cache, embedding=EmbeddingSettings(backend=backend))


def _cos(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.asarray((a * b).sum(axis=-1))


# -- cheap: no model ----------------------------------------------------------------------
def test_backend_setting_selects_the_embedder_without_loading_it(tmp_path: Path) -> None:
    for backend, variant in [("onnx", "int8"), ("onnx-fp32", "fp32")]:
        e = make_embedder(_settings(tmp_path / "cache", tmp_path, backend))
        assert isinstance(e, CachingEmbedder)
        assert isinstance(e.inner, OnnxEmbedder) and e.inner.variant == variant
        assert not e.inner.loaded  # nothing loads before the first text
    torch = make_embedder(_settings(tmp_path / "cache", tmp_path, "torch"))
    assert isinstance(torch, CachingEmbedder) and isinstance(torch.inner, SentenceTransformerEmbedder)


def test_the_backend_is_part_of_the_index_fingerprint() -> None:
    prints = {
        b: Settings(embedding=EmbeddingSettings(backend=b)).index_fingerprint("c", "k")
        for b in ("torch", "onnx", "onnx-fp32")
    }
    assert len(set(prints.values())) == 3


def test_switching_backend_needs_a_rebuild(fake_settings: Settings) -> None:
    Assistant(fake_settings).ingest()
    backend = "torch" if fake_settings.embedding.backend != "torch" else "onnx"
    other = fake_settings.model_copy(update={"embedding": EmbeddingSettings(model="hash:256", backend=backend)})
    with pytest.raises(IndexMismatchError, match="rebuild"):
        Assistant(other).ingest()
    assert Assistant(other).ingest(rebuild=True).rebuilt


def test_a_failed_export_leaves_nothing_behind(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    model = tmp_path / "model"
    model.mkdir()
    (model / "modules.json").write_text(
        '[{"idx":0,"name":"0","path":"","type":"x.Transformer"},{"idx":1,"name":"1","path":"1_Pooling","type":"x.Pooling"}]'
    )
    (model / "config.json").write_text('{"model_type": "bert", "num_attention_heads": 2, "hidden_size": 8}')
    (model / "1_Pooling").mkdir()
    (model / "1_Pooling" / "config.json").write_text('{"pooling_mode": "mean"}')

    def broken(model_dir: Path, out: Path) -> None:
        out.write_bytes(b"partial")
        raise RuntimeError("killed mid-export")

    monkeypatch.setattr(onnx_export, "_export_torch", broken)
    cache = tmp_path / "cache"
    with pytest.raises(RuntimeError, match="mid-export"):
        ensure_onnx_model(model, cache, "int8")
    assert not onnx_folder(model, cache, "int8").exists()
    assert not [p for p in cache.iterdir() if p.suffix != ".lock"]  # no half-written folder


def test_models_it_cannot_reproduce_are_refused(tmp_path: Path) -> None:
    model = tmp_path / "cls"
    (model / "1_Pooling").mkdir(parents=True)
    (model / "modules.json").write_text(
        '[{"idx":0,"name":"0","path":"","type":"x.Transformer"},{"idx":1,"name":"1","path":"1_Pooling","type":"x.Pooling"}]'
    )
    (model / "config.json").write_text("{}")
    (model / "1_Pooling" / "config.json").write_text('{"pooling_mode": "cls"}')
    from index.errors import ConfigError

    with pytest.raises(ConfigError, match="mean Pooling"):
        ensure_onnx_model(model, tmp_path / "cache")


# -- the real model -----------------------------------------------------------------------
@pytest.fixture(scope="module")
def torch_vectors(model_cache: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[np.ndarray, np.ndarray]:
    e = make_embedder(_settings(model_cache, tmp_path_factory.mktemp("t"), "torch"))
    return e.embed_documents(TEXTS), e.embed_queries(QUERIES)


@pytest.mark.model
@pytest.mark.slow
def test_onnx_fp32_gives_the_torch_vectors(
    model_cache: Path, tmp_path: Path, torch_vectors: tuple[np.ndarray, np.ndarray]
) -> None:
    pytest.importorskip("onnxruntime")
    e = make_embedder(_settings(model_cache, tmp_path, "onnx-fp32"))
    docs, queries = torch_vectors
    assert _cos(e.embed_documents(TEXTS), docs).min() > 0.9999
    assert _cos(e.embed_queries(QUERIES), queries).min() > 0.9999
    assert _cos(e.embed_query(QUERIES[0]), queries[0]) > 0.9999


@pytest.mark.model
@pytest.mark.slow
def test_onnx_int8_stays_close_and_ranks_alike(
    model_cache: Path, tmp_path: Path, torch_vectors: tuple[np.ndarray, np.ndarray]
) -> None:
    pytest.importorskip("onnxruntime")
    e = make_embedder(_settings(model_cache, tmp_path, "onnx"))
    docs, queries = torch_vectors
    fast_docs = e.embed_documents(TEXTS)
    assert fast_docs.dtype == np.float32 and fast_docs.shape == docs.shape
    assert np.allclose(np.linalg.norm(fast_docs, axis=1), 1.0, atol=1e-4)
    assert _cos(fast_docs, docs).min() > 0.99
    fast_queries = np.stack([e.embed_query(q) for q in QUERIES])
    assert _cos(fast_queries, queries).min() > 0.99
    assert ((fast_queries @ fast_docs.T).argmax(axis=1) == (queries @ docs.T).argmax(axis=1)).all()


def test_batches_are_cut_by_padded_token_count() -> None:
    lengths = [30, 5, 12, 6, 100, 11]
    batches = batches_by_length(lengths, budget=36)
    assert sorted(i for b in batches for i in b) == list(range(len(lengths)))
    assert [[lengths[i] for i in b] for b in batches] == [[5, 6, 11], [12], [30], [100]]
    for b in batches:  # within budget once padded, unless a single text is longer
        assert len(b) == 1 or len(b) * max(lengths[i] for i in b) <= 36


@pytest.mark.model
@pytest.mark.slow
def test_batching_by_length_keeps_each_text_its_vector(model_cache: Path, tmp_path: Path) -> None:
    pytest.importorskip("onnxruntime")
    s = _settings(model_cache, tmp_path, "onnx-fp32").model_copy(
        update={"embedding": EmbeddingSettings(backend="onnx-fp32", batch_tokens=40)}
    )
    e = make_embedder(s)
    together = e.embed_documents(TEXTS)
    alone = np.stack([e.embed_documents([t])[0] for t in TEXTS])
    assert _cos(together, alone).min() > 0.9999
    assert e.embed_documents([]).shape == (0, 384)


@pytest.mark.model
@pytest.mark.slow
def test_export_happens_once_and_query_vectors_are_cached(
    model_cache: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytest.importorskip("onnxruntime")
    first = make_embedder(_settings(model_cache, tmp_path, "onnx"))
    first.embed_query("预热")  # exports if this machine has not yet

    def no_export(*args: object) -> None:
        raise AssertionError("exported twice")

    monkeypatch.setattr(onnx_export, "_export_torch", no_export)
    e = make_embedder(_settings(model_cache, tmp_path, "onnx"))
    a = e.embed_query(QUERIES[0])
    a[:] = 0  # a caller changing its copy must not change the cache
    b = e.embed_query(QUERIES[0])
    assert np.linalg.norm(b) == pytest.approx(1.0, abs=1e-4)
    assert e.dim == 384
