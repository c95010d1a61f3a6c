"""Server mode (`REFORMQA_CHROMA_URL`): the whole library life cycle through the `Assistant`
facade against a real `chroma run` server, compared step by step with the embedded store.

The server is the one in `REFORMQA_TEST_CHROMA_URL` (scripts/test.sh starts one on
loopback), or else one this module starts itself on a free loopback port.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from served import stop

from assistant.facade import Assistant
from index.errors import VectorsMissingError
from index.pipeline import IngestSummary
from index.settings import Settings
from index.store import IndexStore, current_index_dir

pytestmark = pytest.mark.slow

QUERIES = ["天津高新区干部工资分为哪两部分", "开发区管理体制改革", "哪些地方推行了员额制"]
EDITED = "003_c058a78fdbcdfa77.txt"


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _alive(url: str) -> bool:
    try:
        return httpx.get(f"{url}/api/v2/heartbeat", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


@pytest.fixture(scope="module")
def chroma_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    given = os.environ.get("REFORMQA_TEST_CHROMA_URL", "").rstrip("/")
    if given:
        assert _alive(given), f"REFORMQA_TEST_CHROMA_URL={given} does not answer /api/v2/heartbeat"
        yield given
        return
    exe = shutil.which("chroma")
    if exe is None:
        pytest.skip("the `chroma` CLI (from the chromadb package) is not on PATH, so no server can be started")
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    path = tmp_path_factory.mktemp("chroma-server")
    log = (path / "server.log").open("wb")
    proc = subprocess.Popen(
        [exe, "run", "--path", str(path / "db"), "--host", "127.0.0.1", "--port", str(port)],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 60
        while not _alive(url):
            if proc.poll() is not None or time.monotonic() > deadline:
                log.flush()
                raise AssertionError(f"`chroma run` did not start: {(path / 'server.log').read_text(errors='replace')}")
            time.sleep(0.2)
        yield url
    finally:
        stop(proc)
        log.close()


def _client(url: str) -> Any:
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    port = int(url.rsplit(":", 1)[1])
    return chromadb.HttpClient(host="127.0.0.1", port=port, settings=ChromaSettings(anonymized_telemetry=False))


def _collections(url: str) -> set[str]:
    return {c.name if hasattr(c, "name") else str(c) for c in _client(url).list_collections()}


@pytest.fixture
def server_settings(fake_settings: Settings, chroma_url: str, tmp_path: Path) -> Iterator[Settings]:
    """The fake embedder's settings, with vectors on the server; collections made here are
    deleted afterwards (the server may be shared by the whole test run)."""
    before = _collections(chroma_url)
    yield fake_settings.model_copy(update={"data_dir": tmp_path / "server-data", "chroma_url": chroma_url})
    client = _client(chroma_url)
    for name in _collections(chroma_url) - before:
        if name.startswith("reformqa-idx-"):
            client.delete_collection(name)


def _summary(s: IngestSummary) -> dict[str, Any]:
    d = s.to_dict()
    return {k: sorted(v) if isinstance(v, list) else v for k, v in d.items()}


def _state(settings: Settings) -> dict[str, Any]:
    """What must be identical in both modes: manifest, keyword index, consistency."""
    store = IndexStore.open_current(settings)
    try:
        view = store.keyword()
        check = store.check_consistency()
        return {
            "docs": [(d.doc_id, d.n_chunks, d.content_hash) for d in store.db.docs()],
            "chunks": sorted(store.db.chunk_ids()),
            "generation": view.generation,
            "keyword_rows": list(view.ids),
            "vectors": sorted(store.vectors.all_ids()),
            "problems": check.problems,
            "leftovers": check.leftovers,
        }
    finally:
        store.close()


def _results(a: Assistant) -> list[list[tuple[str, int | None, int | None]]]:
    return [[(h.chunk.id, h.dense_rank, h.keyword_rank) for h in a.search(q, k=5)] for q in QUERIES]


def _step(embedded: Assistant, server: Assistant, action: str) -> None:
    """Do one library action in both modes and check that they agree afterwards."""
    if action == "ingest":
        assert _summary(embedded.ingest()) == _summary(server.ingest())
    elif action == "rebuild":
        assert _summary(embedded.ingest(rebuild=True)) == _summary(server.ingest(rebuild=True))
    elif action.startswith("remove "):
        embedded.remove(action.split()[1])
        server.remove(action.split()[1])
    assert _state(embedded.settings) == _state(server.settings), action
    assert _results(embedded) == _results(server), action


def test_server_mode_behaves_like_the_embedded_store(fake_settings: Settings, server_settings: Settings) -> None:
    embedded, server = Assistant(fake_settings), Assistant(server_settings)
    _step(embedded, server, "ingest")
    first = _state(server_settings)
    assert len(first["docs"]) == 5 and first["problems"] == () and first["leftovers"] == ()

    # Incremental: one edited report, the same corpus copy seen by both.
    path = fake_settings.corpus_dir / EDITED
    path.write_text(path.read_text(encoding="utf-8").replace("30人脱颖而出", "31人脱颖而出"), encoding="utf-8")
    s = server.ingest()
    e = embedded.ingest()
    assert _summary(s) == _summary(e) and s.updated == [EDITED.removesuffix(".txt")]
    assert 1 <= s.chunks_embedded <= 3 and s.chunks_reused > 10
    assert _state(embedded.settings) == _state(server.settings)
    _step(embedded, server, "ingest")  # nothing changed: nothing embedded, same state

    _step(embedded, server, "remove 001")
    assert all(h.chunk.doc_id != "001_5fecd174d6647819" for q in QUERIES for h in server.search(q, k=10))
    _step(embedded, server, "rebuild")
    _step(embedded, server, "ingest")  # the removed report's file is still there: it comes back
    assert len(_state(server_settings)["docs"]) == 5


def test_server_mode_keeps_no_vectors_in_the_data_dir(server_settings: Settings, chroma_url: str) -> None:
    Assistant(server_settings).ingest()
    live = current_index_dir(server_settings.data_dir)
    assert live is not None
    assert (live / "state.sqlite").is_file() and (live / "kw-1").is_dir()
    assert not (live / "chroma").exists()  # the vectors are on the server
    assert f"reformqa-{live.name}" in _collections(chroma_url)


def test_rebuild_drops_the_old_collection_at_the_next_ingest(server_settings: Settings, chroma_url: str) -> None:
    a = Assistant(server_settings)
    a.ingest()
    old = current_index_dir(server_settings.data_dir)
    assert old is not None
    a.ingest(rebuild=True)
    new = current_index_dir(server_settings.data_dir)
    assert new is not None and new != old and not old.exists()
    names = _collections(chroma_url)
    # Kept for replicas that still have a copy of the old data dir, until the next ingest.
    assert f"reformqa-{new.name}" in names and f"reformqa-{old.name}" in names
    assert a.search(QUERIES[0], k=3)  # the facade follows the switch to the new index
    a.ingest()
    names = _collections(chroma_url)
    assert f"reformqa-{new.name}" in names and f"reformqa-{old.name}" not in names


def test_a_replica_on_a_copy_from_before_a_rebuild(server_settings: Settings, tmp_path: Path) -> None:
    """Deployment B of docs/DEPLOY.md: it keeps answering until the next ingest, then says
    what to do instead of answering from an empty dense index."""
    indexer = Assistant(server_settings)
    indexer.ingest()
    copy = tmp_path / "replica-data"
    shutil.copytree(server_settings.data_dir, copy)
    replica = Assistant(server_settings.model_copy(update={"data_dir": copy}))
    before = _results(replica)
    assert all(before)

    indexer.ingest(rebuild=True)
    assert _results(replica) == before  # old collection still there
    indexer.ingest()  # drops it
    fresh = Assistant(server_settings.model_copy(update={"data_dir": copy}))
    for app in (replica, fresh):
        with pytest.raises(VectorsMissingError, match="predates a rebuild"):
            app.search(QUERIES[0], k=3)
    old_name = f"reformqa-{current_index_dir(copy).name}"  # type: ignore[union-attr]
    assert old_name not in _collections(server_settings.chroma_url)  # not re-created empty


def test_a_second_replica_sees_the_writers_changes(server_settings: Settings) -> None:
    """Two app instances on one data dir and one server: the reader follows the writer."""
    writer, reader = Assistant(server_settings), Assistant(server_settings)
    writer.ingest()
    assert reader.search(QUERIES[0], k=3)
    writer.remove("002")
    assert all(h.chunk.doc_id != "002_016209cccba9a16d" for h in reader.search(QUERIES[0], k=10))
    assert "002_016209cccba9a16d" not in {d.doc_id for d in reader.docs()}
