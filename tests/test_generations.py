"""The index lifecycle (index.generations): a rebuild switches directories and cleans up
what it replaced, but never a vector store that every directory shares."""

from __future__ import annotations

import numpy as np

from assistant.facade import Assistant
from index.generations import Generations, fingerprint
from index.settings import Settings
from index.store import IndexStore, current_index_dir
from index.vectorstore import MemoryVectorStore


def test_a_rebuild_keeps_a_shared_store_and_search_works(fake_settings: Settings) -> None:
    shared = MemoryVectorStore()
    Assistant(fake_settings, vectors=shared).ingest()
    first = current_index_dir(fake_settings.data_dir)
    summary = Assistant(fake_settings, vectors=shared).ingest(rebuild=True)
    assert summary.rebuilt and current_index_dir(fake_settings.data_dir) != first
    assert first is not None and not first.exists()  # the replaced directory is gone
    store = IndexStore.open_current(fake_settings, shared)
    assert store.db.chunk_ids() <= shared.all_ids()  # its vectors were not dropped with the old directory
    assert Assistant(fake_settings, vectors=shared).search("天津高新区承接了多少项市级权力事项")


def test_a_rebuild_drops_the_replaced_embedded_collection(fake_settings: Settings) -> None:
    Assistant(fake_settings).ingest()
    first = current_index_dir(fake_settings.data_dir)
    Assistant(fake_settings).ingest(rebuild=True)
    assert first is not None and not first.exists()
    assert Assistant(fake_settings).search("天津高新区承接了多少项市级权力事项")


def test_open_for_ingest_changes_the_live_index_in_place_when_settings_match(fake_settings: Settings) -> None:
    Assistant(fake_settings).ingest()
    store, replaced = Generations(fake_settings).open_for_ingest(rebuild=False, rebuild_stale=False)
    try:
        assert replaced is None and store.path == current_index_dir(fake_settings.data_dir)
        assert store.fingerprint() == fingerprint(fake_settings)
    finally:
        store.close()


def test_dropping_a_memory_store_empties_it() -> None:
    store = MemoryVectorStore()
    store.add(["a"], np.ones((1, 2), dtype=np.float32), ["t"], [{"doc_id": "d"}])
    store.drop()
    assert store.all_ids() == set()
