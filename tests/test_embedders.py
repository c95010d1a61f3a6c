"""The embedder package: one abstract method, backends chosen by settings, one vector cache."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pytest
from pydantic import ValidationError

from index.embedders import CachingEmbedder, Embedder, HashingEmbedder, Kind, make_embedder
from index.errors import ConfigError
from index.settings import EmbeddingSettings, Settings
from index.types import Vectors


class Counting(Embedder):
    """Implements only `embed_batch`; records every text that reaches it."""

    name = "counting"

    def __init__(self) -> None:
        self.seen: list[tuple[Kind, str]] = []
        self._fake = HashingEmbedder(8)

    def embed_batch(self, texts: Sequence[str], kind: Kind) -> Vectors:
        self.seen += [(kind, t) for t in texts]
        vecs = self._fake.embed_batch([f"{kind}:{t}" for t in texts], kind)
        return vecs


def test_one_method_gives_queries_passages_and_the_size() -> None:
    e = Counting()
    assert e.embed_query("问").shape == (8,)
    assert e.embed_queries(["问", "答"]).shape == (2, 8)
    assert e.embed_documents(["段落"]).shape == (1, 8)
    assert e.dim == 8
    assert ("query", "问") in e.seen and ("passage", "段落") in e.seen
    assert not np.allclose(e.embed_query("同"), e.embed_documents(["同"])[0])  # the kind reaches the backend


def test_the_cache_embeds_each_text_once_per_kind() -> None:
    inner = Counting()
    cached = CachingEmbedder(inner)
    first = cached.embed_queries(["甲", "乙", "甲"])
    again = cached.embed_queries(["乙", "甲"])
    assert inner.seen == [("query", "甲"), ("query", "乙")]
    np.testing.assert_array_equal(again, first[[1, 0]])
    cached.embed_documents(["甲"])
    assert inner.seen[-1] == ("passage", "甲")  # a passage is not a query: its own vector


def test_cached_vectors_are_copies() -> None:
    cached = CachingEmbedder(Counting())
    v = cached.embed_query("问")
    keep = v.copy()
    v[:] = 0
    np.testing.assert_array_equal(cached.embed_query("问"), keep)


def test_the_cache_forgets_the_oldest_texts() -> None:
    inner = Counting()
    cached = CachingEmbedder(inner, size=2)
    for t in ("一", "二", "三", "一"):
        cached.embed_query(t)
    assert [t for _, t in inner.seen] == ["一", "二", "三", "一"]


def test_the_settings_choose_the_backend() -> None:
    fake = make_embedder(Settings(embedding=EmbeddingSettings(model="hash:64")))
    assert isinstance(fake, CachingEmbedder) and isinstance(fake.inner, HashingEmbedder) and fake.dim == 64
    assert isinstance(
        make_embedder(Settings(embedding=EmbeddingSettings(model="hash:64")), cached=False), HashingEmbedder
    )
    with pytest.raises(ConfigError, match="hash:256"):
        make_embedder(Settings(embedding=EmbeddingSettings(model="hash:many")))


def test_a_backend_typo_is_a_settings_error_naming_the_field_and_the_choices(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("REFORMQA_EMBEDDING__BACKEND", "onxx")
    with pytest.raises(ValidationError) as info:
        Settings()
    message = str(info.value)
    assert "embedding.backend" in message
    assert all(f"'{b}'" in message for b in ("onnx", "onnx-fp32", "torch"))


class _BatchSensitive(Counting):
    """Like a quantized model: each output shifts with the batch it was computed in."""

    def embed_batch(self, texts: Sequence[str], kind: Kind) -> Vectors:
        return super().embed_batch(texts, kind) + 0.01 * len(texts)


def test_a_cached_vector_does_not_depend_on_what_it_was_first_batched_with() -> None:
    alone = CachingEmbedder(_BatchSensitive()).embed_documents(["甲"])[0]
    with_others = CachingEmbedder(_BatchSensitive()).embed_documents(["乙", "甲", "丙"])[1]
    np.testing.assert_array_equal(alone, with_others)
