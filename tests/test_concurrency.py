"""Search during a re-index: readers see the old or the new state of a report, never a half.

An ingest runs as a `reformqa` subprocess, again and again, while two threads of one
long-lived `Assistant` (as in the web app) and `reformqa search --batch` processes query
the same index. Every edit inserts text near the top of a report, so every later chunk
moves: a hit assembled from two states would not be a span of either.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import threading
from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest

from assistant.facade import Assistant
from index.pipeline import Ingestor, prepare
from index.settings import Settings
from index.store import IndexStore
from index.types import Hit, SourceFile

REFORMQA = Path(sys.executable).with_name("reformqa")
ENV = {**os.environ, "REFORMQA_EMBEDDING__MODEL": "hash:256"}
ROUNDS = 3
QUERIES = ["天津高新区法定机构改革", "开发区管理体制", "园区审批改革提速", "衡阳园区投资公司", "高新区 考核 机制"]


def _cmd(settings: Settings, *args: str) -> list[str]:
    exe = [str(REFORMQA)] if REFORMQA.exists() else [sys.executable, "-m", "reformqa"]
    return [*exe, "--data-dir", str(settings.data_dir), "--corpus-dir", str(settings.corpus_dir), *args]


class _Versions:
    """Every cleaned text each report has had, registered before an ingest can index it."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.texts: dict[str, list[str]] = defaultdict(list)
        self._lock = threading.Lock()

    def register(self, path: Path) -> None:
        rel = path.relative_to(self.settings.corpus_dir).as_posix()
        data = path.read_bytes()
        source = SourceFile(path, rel, hashlib.sha256(data).hexdigest(), len(data))
        doc = prepare(source, rel.rsplit(".", 1)[0], None, self.settings)
        with self._lock:
            self.texts[rel.rsplit(".", 1)[0]].append(doc.text)

    def one_version_holds(self, doc_id: str, spans: list[tuple[int, int, str]]) -> bool:
        """Some single version of `doc_id` has every (start, end, text) span."""
        with self._lock:
            versions = list(self.texts[doc_id])
        return any(all(v[s:e] == t for s, e, t in spans) for v in versions)


class _Readers:
    """Searches (and answers) in threads until stopped; records what did not add up."""

    def __init__(self, assistant: Assistant, versions: _Versions) -> None:
        self.assistant, self.versions = assistant, versions
        self.errors: list[str] = []
        self.searches = 0
        self.generations: set[int] = set()
        self.stop = threading.Event()
        self.threads = [threading.Thread(target=self._loop, args=(i,), daemon=True) for i in range(2)]

    def _check_hits(self, query: str, hits: list[Hit]) -> None:
        by_doc: dict[str, list[tuple[int, int, str]]] = defaultdict(list)
        for h in hits:
            by_doc[h.chunk.doc_id].append((h.chunk.start, h.chunk.end, h.chunk.text))
        for doc_id, spans in by_doc.items():
            if not self.versions.one_version_holds(doc_id, spans):
                self.errors.append(f"{query!r}: hits of {doc_id} match no single version of it")

    def _loop(self, i: int) -> None:
        n = 0
        while not self.stop.is_set():
            query = QUERIES[(n + i) % len(QUERIES)]
            n += 1
            try:
                if n % 4 == 0:
                    answer = self.assistant.ask(query, use_llm=False)
                    for c in answer.citations:
                        if not self.versions.one_version_holds(c.doc_id, [(c.start, c.end, c.quote)]):
                            self.errors.append(f"{query!r}: citation [{c.n}] of {c.doc_id} is in no version")
                else:
                    self._check_hits(query, self.assistant.search(query, 8))
                self.generations.add(self.assistant.searcher.store.keyword().generation)
                self.searches += 1
            except Exception as exc:  # noqa: BLE001 - any failure of a reader is what we look for
                self.errors.append(f"{query!r}: {type(exc).__name__}: {exc}")


class _CliReaders:
    """`reformqa search --batch FILE` processes, one started with each ingest, as separate readers."""

    def __init__(self, settings: Settings, tmp: Path) -> None:
        self.settings, self.tmp = settings, tmp
        self.batch = tmp / "queries.txt"
        self.batch.write_text("\n".join(QUERIES * 30) + "\n", encoding="utf-8")
        self.procs: list[tuple[subprocess.Popen[bytes], Path]] = []

    def start(self) -> None:
        out = self.tmp / f"batch-{len(self.procs)}.jsonl"
        with out.open("wb") as fh:
            cmd = _cmd(self.settings, "search", "--batch", str(self.batch), "-k", "8")
            self.procs.append((subprocess.Popen(cmd, env=ENV, stdout=fh, stderr=subprocess.PIPE), out))

    def results(self) -> list[dict[str, Any]]:
        lines: list[dict[str, Any]] = []
        for proc, out in self.procs:
            _, err = proc.communicate(timeout=300)
            assert proc.returncode == 0 and b"Traceback" not in err, err.decode(errors="replace")
            lines += [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
        return lines


def _check_cli_results(versions: _Versions, lines: list[dict[str, Any]]) -> None:
    seen: dict[str, set[str]] = defaultdict(set)
    for line in lines:
        assert "error" not in line, line
        by_doc: dict[str, list[tuple[int, int, str]]] = defaultdict(list)
        for hit in line["results"]:
            by_doc[hit["doc_id"]].append((hit["start"], hit["end"], hit["text"]))
        for doc_id, spans in by_doc.items():
            assert versions.one_version_holds(doc_id, spans), f"CLI batch: {doc_id} mixes versions"
        seen[line["query"]].add(json.dumps(line["results"], ensure_ascii=False))
    assert len(lines) == ROUNDS * 30 * len(QUERIES)
    assert max(len(v) for v in seen.values()) >= 2, "the CLI readers saw only one state"


def _edit(path: Path, round_: int) -> None:
    text = path.read_text(encoding="utf-8")
    head, _, rest = text.partition("\n")
    path.write_text(
        f"{head}\n第{round_}轮修订说明:园区审批改革提速,新增{round_ * 7}项服务事项。\n{rest}", encoding="utf-8"
    )


@pytest.mark.slow
def test_search_during_reindex_sees_old_or_new_never_half(fake_settings: Settings, tmp_path: Path) -> None:
    corpus = fake_settings.corpus_dir
    versions = _Versions(fake_settings)
    for p in sorted(corpus.glob("*.txt")):
        versions.register(p)
    Ingestor(fake_settings).run()

    assistant = Assistant(fake_settings)
    assistant.search(QUERIES[0])  # open the index and load the model before the race starts
    readers = _Readers(assistant, versions)
    cli = _CliReaders(fake_settings, tmp_path)
    for t in readers.threads:
        t.start()
    files = sorted(corpus.glob("*.txt"))
    try:
        for r in range(1, ROUNDS + 1):
            for p in files[r % 2 :: 2]:  # half of the reports change each round
                _edit(p, r)
                versions.register(p)
            cli.start()  # imports while the ingest does, then searches while it commits
            res = subprocess.run(_cmd(fake_settings, "ingest", "--quiet"), env=ENV, capture_output=True, text=True)
            assert res.returncode == 0, res.stderr
    finally:
        readers.stop.set()
        for t in readers.threads:
            t.join(timeout=60)
    lines = cli.results()

    assert not readers.errors, readers.errors[:5]
    assert readers.searches >= 10 and len(readers.generations) >= 2, (readers.searches, readers.generations)
    _check_cli_results(versions, lines)
    found = IndexStore.open_current(fake_settings).check_consistency()
    assert found.clean, (found.problems, found.leftovers)
    print(
        f"\n{readers.searches} in-process searches/answers over {len(readers.generations)} generations, "
        f"{len(lines)} CLI batch searches, {ROUNDS} ingests"
    )


def test_keyword_view_comes_from_one_snapshot(fake_settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    """An ingest that commits (and removes the old keyword generation) between the reader's
    look at the generation number and its look at the row layout must not mix the two."""
    Ingestor(fake_settings).run()
    reader = IndexStore.open_current(fake_settings)
    first = reader.generation()
    real_generation = reader.generation
    done: list[bool] = []

    def generation_then_someone_commits() -> int:
        gen = real_generation()
        if not done:
            done.append(True)
            _edit(fake_settings.corpus_dir / "003_c058a78fdbcdfa77.txt", 1)
            Ingestor(fake_settings).run()  # another writer: commits gen + 1, deletes kw-<gen>
        return gen

    monkeypatch.setattr(reader, "generation", generation_then_someone_commits)
    view = reader.keyword()
    assert done and view.generation == first + 1
    tokens = {cid: toks for cid, _, toks in reader.db.all_chunk_tokens()}
    assert view.index.n_rows == len(view.ids) == len(tokens)
    assert all(terms == set(tokens[cid]) for cid, terms in zip(view.ids, view.index.row_terms(), strict=True))
    reader.close()


class _RacingCollection:
    """A Chroma collection whose first queries hit a vector an ingest just removed."""

    def __init__(self, failures: int, message: str = "Error executing plan: Internal error: Error finding id") -> None:
        self.failures, self.message, self.calls = failures, message, 0

    def query(self, **_: Any) -> dict[str, Any]:
        from chromadb.errors import InternalError

        self.calls += 1
        if self.calls <= self.failures:
            raise InternalError(self.message)
        return {"ids": [["a", "b"]], "distances": [[0.1, 0.2]]}


def test_a_query_racing_an_in_place_ingest_is_asked_again(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """An id removed mid-query by a concurrent ingest is a moment's state: the reader asks
    again and gets the settled answer; any other internal error still surfaces."""
    import numpy as np
    from chromadb.errors import InternalError

    from index.vectorstore import ChromaVectorStore

    racing = _RacingCollection(failures=2)
    store = ChromaVectorStore("c", path=tmp_path)
    reloads: list[int] = []
    monkeypatch.setattr(store, "_collection", lambda: racing)
    monkeypatch.setattr(store, "refresh", lambda: reloads.append(1))
    assert [cid for cid, _ in store.query(np.ones(4), 2)] == ["a", "b"]
    assert racing.calls == 3 and len(reloads) == 2  # reloaded before each new try
    racing = _RacingCollection(failures=1, message="disk I/O error")
    with pytest.raises(InternalError):
        store.query(np.ones(4), 2)
