"""Ingest: incremental re-index, removal, fingerprint, failures isolated per file."""

from __future__ import annotations

import json
import shutil
from collections.abc import Sequence
from pathlib import Path

import pytest
from chromadb.api.client import SharedSystemClient  # type: ignore[attr-defined]
from cli_run import run_cli

from assistant.facade import Assistant
from index.embedders import HashingEmbedder, Kind
from index.errors import IndexMismatchError, IngestLockedError, VectorsMissingError
from index.pipeline import Ingestor
from index.settings import ChunkSettings, Settings
from index.store import IndexStore, current_index_dir
from index.types import Vectors


def _consistent(settings: Settings) -> IndexStore:
    """Manifest, vector store and keyword index agree exactly."""
    store = IndexStore.open_current(settings)
    ids = store.db.chunk_ids()
    assert store.vectors.all_ids() == ids
    view = store.keyword()
    assert sorted(view.ids) == sorted(ids) and len(view.ids) == len(ids)
    assert sum(d.n_chunks for d in store.db.docs()) == len(ids)
    return store


def test_first_ingest_indexes_the_seed_reports(fake_settings: Settings) -> None:
    s = Assistant(fake_settings).ingest()
    assert len(s.added) == 5 and not s.failed
    assert s.chunks_embedded == s.chunks_total > 50
    store = _consistent(fake_settings)
    assert {d.doc_id[:3] for d in store.db.docs()} == {"000", "001", "002", "003", "004"}


def test_unchanged_files_are_skipped_without_the_model(fake_settings: Settings) -> None:
    Assistant(fake_settings).ingest()

    class Exploding(HashingEmbedder):
        def embed_batch(self, texts: Sequence[str], kind: Kind) -> Vectors:
            raise AssertionError("the model must not load when nothing changed")

    s = Ingestor(fake_settings, embedder=Exploding()).run()
    assert len(s.unchanged) == 5 and s.chunks_embedded == 0 and not s.added


def test_editing_one_report_embeds_only_its_new_chunks(fake_settings: Settings) -> None:
    Assistant(fake_settings).ingest()
    path = fake_settings.corpus_dir / "003_c058a78fdbcdfa77.txt"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("30人脱颖而出", "31人脱颖而出"), encoding="utf-8")
    s = Assistant(fake_settings).ingest()
    assert s.updated == ["003_c058a78fdbcdfa77"] and len(s.unchanged) == 4
    assert 1 <= s.chunks_embedded <= 3  # the edited chunk (and its overlap neighbour)
    assert s.chunks_reused > 10
    store = _consistent(fake_settings)
    hits = [c for c in store.db.doc_chunks("003_c058a78fdbcdfa77") if "31人脱颖而出" in c.chunk.text]
    assert hits


def test_removed_file_leaves_all_stores(fake_settings: Settings) -> None:
    Assistant(fake_settings).ingest()
    (fake_settings.corpus_dir / "001_5fecd174d6647819.txt").unlink()
    s = Assistant(fake_settings).ingest()
    assert s.removed == ["001_5fecd174d6647819"]
    store = _consistent(fake_settings)
    assert "001_5fecd174d6647819" not in {d.doc_id for d in store.db.docs()}


def test_remove_command_removes_one_report(fake_settings: Settings) -> None:
    a = Assistant(fake_settings)
    a.ingest()
    a.remove("002")
    store = _consistent(fake_settings)
    assert len(store.db.docs()) == 4


def test_bad_files_are_reported_by_name_and_the_rest_indexed(fake_settings: Settings) -> None:
    corpus = fake_settings.corpus_dir
    (corpus / "empty.txt").write_bytes(b"")
    (corpus / "junk.txt").write_bytes(bytes(range(256)) * 40)
    (corpus / "broken.docx").write_bytes(b"PK\x03\x04 not really a zip")
    s = Assistant(fake_settings).ingest()
    failed = dict(s.failed)
    assert set(failed) == {"empty.txt", "junk.txt", "broken.docx"}
    assert all(reason for reason in failed.values())
    assert len(s.added) == 5


def test_failed_update_keeps_the_indexed_version(fake_settings: Settings) -> None:
    Assistant(fake_settings).ingest()
    (fake_settings.corpus_dir / "004_e798851dbd215fd1.txt").write_bytes(b"\x00\x01\x02" * 100)
    s = Assistant(fake_settings).ingest()
    assert [rel for rel, _ in s.failed] == ["004_e798851dbd215fd1.txt"]
    store = _consistent(fake_settings)
    assert "004_e798851dbd215fd1" in {d.doc_id for d in store.db.docs()}


def test_fingerprint_mismatch_stops_and_rebuild_fixes(fake_settings: Settings) -> None:
    Assistant(fake_settings).ingest()
    other = fake_settings.model_copy(update={"chunking": ChunkSettings(max_tokens=200)})
    with pytest.raises(IndexMismatchError, match="--rebuild"):
        Assistant(other).ingest()
    s = Assistant(other).ingest(rebuild=True)
    assert s.rebuilt and len(s.added) == 5
    _consistent(other)
    assert len(list(other.data_dir.glob("idx-*"))) == 1  # the old index is gone


def test_serve_rebuilds_an_index_built_with_other_settings(fake_settings: Settings) -> None:
    Assistant(fake_settings).ingest()
    old = current_index_dir(fake_settings.data_dir)
    other = fake_settings.model_copy(update={"chunking": ChunkSettings(max_tokens=200)})
    s = Assistant(other).ingest(rebuild_stale=True)  # what `reformqa serve` does
    assert s.rebuilt and len(s.added) == 5 and current_index_dir(other.data_dir) != old
    _consistent(other)
    again = Assistant(other).ingest(rebuild_stale=True)  # current again: an ordinary ingest
    assert not again.rebuilt and len(again.unchanged) == 5 and again.chunks_embedded == 0


def test_a_reader_never_creates_a_missing_vector_collection(fake_settings: Settings) -> None:
    Assistant(fake_settings).ingest()
    live = current_index_dir(fake_settings.data_dir)
    assert live is not None
    shutil.rmtree(live / "chroma")
    SharedSystemClient.clear_system_cache()  # as a new process would find it
    with pytest.raises(VectorsMissingError, match="--rebuild"):
        Assistant(fake_settings).search("开发区管理体制改革", k=3)
    assert not (live / "chroma").exists() or not any((live / "chroma").glob("*-*-*"))
    assert Assistant(fake_settings).ingest(rebuild=True).rebuilt  # the fix the message gives
    assert Assistant(fake_settings).search("开发区管理体制改革", k=3)


def test_second_ingest_refuses_while_one_runs(fake_settings: Settings) -> None:
    from filelock import FileLock

    fake_settings.data_dir.mkdir(parents=True)
    with FileLock(str(fake_settings.data_dir / "ingest.lock")), pytest.raises(IngestLockedError, match="--wait"):
        Assistant(fake_settings).ingest()


def test_metadata_change_reindexes_that_report(fake_settings: Settings) -> None:
    Assistant(fake_settings).ingest()
    toml = fake_settings.corpus_dir / "reports.toml"
    text = toml.read_text(encoding="utf-8")
    toml.write_text(text + '\n["extra-unused.txt"]\ntitle = "未使用"\n', encoding="utf-8")
    s = Assistant(fake_settings).ingest()
    assert len(s.unchanged) == 5  # other entries' content did not change


def test_cli_ingest_docs_show_search(fake_settings: Settings) -> None:
    code, out = run_cli(fake_settings, "ingest", "--quiet")
    assert code == 0 and "5 added" in out
    code, out = run_cli(fake_settings, "docs", "--json")
    docs = json.loads(out)
    assert len(docs) == 5 and all(d["chunks"] > 0 and d["title"] for d in docs)
    code, out = run_cli(fake_settings, "show", "002", "--chunks", "--json")
    shown = json.loads(out)
    assert shown["text"].count("天津高新区自上而下推行法定机构改革") == 1
    assert "当前位置" not in shown["text"]
    for c in shown["chunks"]:
        assert shown["text"][c["start"] : c["end"]] == c["text"]
    code, out = run_cli(fake_settings, "search", "天津高新区承接了多少项市级权力事项", "--json", "-k", "3")
    res = json.loads(out)
    assert res["query"] and len(res["results"]) == 3
    r0 = res["results"][0]
    assert set(r0) >= {"rank", "score", "doc_id", "title", "source", "section", "text", "start", "end"}
    assert shown["text"][r0["start"] : r0["end"]] == r0["text"] or r0["doc_id"] != shown["doc_id"]


def test_cli_errors_are_one_line_messages(fake_settings: Settings, tmp_path: Path) -> None:
    code, out = run_cli(fake_settings, "search", "任何问题")
    assert code == 1 and "reformqa ingest" in out and "Traceback" not in out
    run_cli(fake_settings, "ingest", "--quiet")
    code, out = run_cli(fake_settings, "show", "999")
    assert code == 1 and "999" in out
    code, out = run_cli(fake_settings, "search", "   ")
    assert code == 1 and "empty" in out


def test_cli_search_batch(fake_settings: Settings, tmp_path: Path) -> None:
    run_cli(fake_settings, "ingest", "--quiet")
    qfile = tmp_path / "q.txt"
    qfile.write_text("天津高新区审批\n\n衡阳园区投资公司\n", encoding="utf-8")
    code, out = run_cli(fake_settings, "search", "--batch", str(qfile), "-k", "2")
    lines = [json.loads(x) for x in out.splitlines()]
    assert code == 0 and [x["query"] for x in lines] == ["天津高新区审批", "衡阳园区投资公司"]
    assert all(len(x["results"]) == 2 for x in lines)
