"""The life of index directories: which one is live, how a change is committed, and the
clean-up of what is no longer live.

Under the data directory, `CURRENT` names the live `idx-<stamp>` directory (see
`index.store`). An ingest either changes the live index in place (a commit: new keyword
generation plus manifest, in one SQLite transaction) or builds a new directory and switches
`CURRENT` to it (a rebuild). Writers hold the ingest lock; readers never wait for it.

Clean-up: vectors no committed chunk references, stale keyword generations, directories of
killed rebuilds, and the Chroma collections of replaced indexes. On a Chroma server a replaced
collection is not dropped at once but retired, and dropped at the start of the next ingest:
replicas with an older copy of the data dir still search it (docs/DEPLOY.md).
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from filelock import FileLock, Timeout

from index.chunking import CHUNKER_VERSION
from index.cleaning import CLEANER_VERSION
from index.errors import IngestLockedError
from index.keyword import KeywordIndex
from index.settings import Settings
from index.statedb import StateDB
from index.store import CURRENT, IndexStore, collection_name, current_index_dir, new_index_dir, write_atomic
from index.types import Chunk, CleanDocument
from index.vectorstore import ChromaVectorStore, VectorStore

INDEX_TEXT_VERSION = "4"
"""What `index.pipeline.index_text` embeds and the keyword index reads: the normalized
(Simplified) form, so scripts meet in one space, with unreadable-text marks blanked (3) and
look-alike characters (Kangxi radicals, compatibility ideographs and forms) folded (4).
Part of the fingerprint."""

RETIRED = "retired-collections.json"
"""Server collections of replaced indexes, dropped at the start of the next ingest."""

LOCK = "ingest.lock"


def fingerprint(settings: Settings) -> str:
    """Everything that changes stored chunks or vectors; an index built with another one
    must be rebuilt, never queried or extended."""
    return settings.index_fingerprint(CLEANER_VERSION, f"{CHUNKER_VERSION}+text{INDEX_TEXT_VERSION}")


@contextmanager
def ingest_lock(data_dir: Path, *, busy: str, wait: float = 0) -> Iterator[None]:
    """Hold the one writer lock of `data_dir`; IngestLockedError(`busy`) if another writer
    keeps it longer than `wait` seconds."""
    data_dir.mkdir(parents=True, exist_ok=True)
    lock = FileLock(str(data_dir / LOCK))
    try:
        lock.acquire(timeout=wait)
    except Timeout as exc:
        raise IngestLockedError(busy) from exc
    try:
        yield
    finally:
        lock.release()


@dataclass(frozen=True)
class IndexedDoc:
    """One report as a commit writes it: cleaned text, file hash, chunks with their keyword tokens."""

    doc: CleanDocument
    sha256: str
    chunks: Sequence[tuple[Chunk, list[str]]]


class Generations:
    """The index directories of one data directory. Call under `ingest_lock`."""

    def __init__(self, settings: Settings, vectors: VectorStore | None = None) -> None:
        self.settings = settings
        self._vectors = vectors
        self._data_dir = settings.data_dir

    # -- which index an ingest writes ----------------------------------------------------
    def _store(self, path: Path) -> IndexStore:
        return IndexStore(self.settings, path, self._vectors, writable=True)

    def open_for_ingest(self, *, rebuild: bool, rebuild_stale: bool) -> tuple[IndexStore, Path | None]:
        """The store to write and the live directory it will replace (None: changed in place).

        `rebuild` starts a new directory; `rebuild_stale` does so only when the live index
        has another fingerprint (otherwise a mismatch raises IndexMismatchError).
        """
        old = current_index_dir(self._data_dir)
        if rebuild or old is None or not (old / "state.sqlite").exists():
            return self._store(new_index_dir(self._data_dir)), old
        store = self._store(old)
        if rebuild_stale and store.fingerprint() not in (None, fingerprint(self.settings)):
            store.close()
            return self._store(new_index_dir(self._data_dir)), old
        store.check_fingerprint(fingerprint(self.settings))
        return store, None

    def open_live(self) -> IndexStore:
        return IndexStore.open_current(self.settings, self._vectors)

    def discard(self, store: IndexStore, replaced: Path | None, rebuild: bool) -> None:
        """After a failed ingest: delete a new directory (the old index keeps serving)."""
        if replaced is not None or (rebuild and store.path != current_index_dir(self._data_dir)):
            store.close()
            shutil.rmtree(store.path, ignore_errors=True)

    # -- commit and switch ----------------------------------------------------------------
    def commit(self, store: IndexStore, written: Sequence[IndexedDoc], removed: Sequence[str]) -> int:
        """Replace the reports in `written` and delete those in `removed`, atomically: a new
        keyword generation, then the manifest in one transaction. Returns the chunk count."""
        replaced_ids = {d.doc.doc_id for d in written} | set(removed)
        rows = [(cid, toks) for cid, doc_id, toks in store.db.all_chunk_tokens() if doc_id not in replaced_ids]
        rows += [(c.id, toks) for d in written for c, toks in d.chunks]
        gen = store.generation() + 1
        self._write_keyword(store, gen, rows)
        with store.db.transaction() as conn:
            for doc_id in replaced_ids:
                StateDB.delete_doc(conn, doc_id)
            for d in written:
                StateDB.put_doc(conn, d.doc, d.sha256, len(d.chunks))
                StateDB.put_chunks(conn, d.chunks)
            StateDB.set_rows(conn, [cid for cid, _ in rows])
            StateDB.set_meta(conn, "generation", str(gen))
            StateDB.set_meta(conn, "fingerprint", fingerprint(self.settings))
            StateDB.set_meta(conn, "model", self.settings.embedding.model)
        return len(rows)

    @staticmethod
    def _write_keyword(store: IndexStore, gen: int, rows: list[tuple[str, list[str]]]) -> None:
        """Build keyword generation `gen` beside the live one and rename it into place."""
        tmp = store.path / f".kw-{gen}.tmp"
        shutil.rmtree(tmp, ignore_errors=True)
        KeywordIndex([cid for cid, _ in rows], [t for _, t in rows]).save(tmp)
        # A kw-<gen> can only be the uncommitted leftover of a killed ingest (or `remove`):
        # os.replace cannot replace a non-empty directory.
        shutil.rmtree(store.kw_dir(gen), ignore_errors=True)
        os.replace(tmp, store.kw_dir(gen))

    def switch(self, store: IndexStore, replaced: Path | None) -> None:
        """Make `store` the live index and let go of the directory it replaced."""
        if current_index_dir(self._data_dir) != store.path:
            write_atomic(self._data_dir / CURRENT, store.path.name)
        if replaced is None or replaced == store.path:
            return
        if self._on_server:
            self._retire(collection_name(replaced))
        elif self._vectors is None:  # a store passed in is shared by every directory: keep it
            old = IndexStore(self.settings, replaced)
            old.vectors.drop()
            old.close()
        shutil.rmtree(replaced, ignore_errors=True)

    # -- clean-up -------------------------------------------------------------------------
    @property
    def _on_server(self) -> bool:
        """Vectors live in collections of our own on a Chroma server (not a store passed in)."""
        return bool(self.settings.chroma_url) and self._vectors is None

    def _drop_on_server(self, collection: str) -> None:
        ChromaVectorStore(collection, url=self.settings.chroma_url).drop()

    def _retire(self, collection: str) -> None:
        path = self._data_dir / RETIRED
        write_atomic(path, json.dumps([*_read_names(path), collection]))

    def drop_retired(self) -> None:
        """Drop the server collections of indexes that a rebuild replaced before this ingest."""
        path = self._data_dir / RETIRED
        names = _read_names(path)
        if not names or not self._on_server:
            return
        for name in names:
            self._drop_on_server(name)
        path.unlink(missing_ok=True)

    def collect_garbage(self, store: IndexStore) -> None:
        """Drop vectors no committed chunk references, stale keyword generations and the
        directories of killed rebuilds."""
        orphans = sorted(store.vectors.all_ids() - store.db.chunk_ids())
        if orphans:
            store.vectors.delete(orphans)
        store.remove_stale_generations()
        for child in self._data_dir.glob("idx-*"):
            if child != store.path and child != current_index_dir(self._data_dir):
                # Never live, so no replica searches them.
                if self._on_server:
                    self._drop_on_server(collection_name(child))
                shutil.rmtree(child, ignore_errors=True)


def _read_names(path: Path) -> list[str]:
    try:
        names = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []
    return [n for n in names if isinstance(n, str)] if isinstance(names, list) else []
