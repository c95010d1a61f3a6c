"""The on-disk index: where it lives, how it is opened, and how readers see a consistent state.

Layout under the data directory::

    CURRENT                 name of the live index directory (replaced atomically)
    ingest.lock             held by the one ingest allowed at a time
    idx-<stamp>/state.sqlite  the manifest (reports, chunks, fingerprint, generation)
    idx-<stamp>/chroma/       the embedded Chroma store (or a collection on a server)
    idx-<stamp>/kw-<gen>/     the BM25 index of generation <gen>

`--rebuild` builds a new `idx-*` directory and switches CURRENT only when it is complete,
so a failed or killed rebuild leaves the old index serving.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from index.errors import IndexMismatchError, IndexMissingError
from index.keyword import KeywordIndex
from index.settings import Settings
from index.statedb import StateDB
from index.vectorstore import ChromaVectorStore, VectorStore

CURRENT = "CURRENT"


def write_atomic(path: Path, data: str) -> None:
    """Write a small file so that readers see the old or the new content, never a part."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def current_index_dir(data_dir: Path) -> Path | None:
    try:
        name = (data_dir / CURRENT).read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        return None
    return data_dir / name if name else None


def new_index_dir(data_dir: Path) -> Path:
    stamp = time.strftime("%Y%m%dT%H%M%S") + f"-{os.getpid()}-{time.monotonic_ns() % 100000}"
    path = data_dir / f"idx-{stamp}"
    path.mkdir(parents=True)
    return path


@dataclass(frozen=True)
class KeywordView:
    """The keyword index of one generation and its row → chunk layout."""

    generation: int
    index: KeywordIndex
    ids: list[str]
    doc_ids: npt.NDArray[np.str_]


class IndexStore:
    """One index directory: manifest + vector store + keyword index generations."""

    def __init__(self, settings: Settings, path: Path, vectors: VectorStore | None = None) -> None:
        self.settings = settings
        self.path = path
        self.db = StateDB(path / "state.sqlite")
        self.vectors = vectors or ChromaVectorStore(
            f"reformqa-{path.name}", path=path / "chroma", url=settings.chroma_url
        )
        self._kw: KeywordView | None = None
        self._kw_lock = threading.Lock()

    @classmethod
    def open_current(cls, settings: Settings, vectors: VectorStore | None = None) -> IndexStore:
        path = current_index_dir(settings.data_dir)
        if path is None or not (path / "state.sqlite").exists():
            raise IndexMissingError(
                f"no index in {settings.data_dir}: run `reformqa ingest` first "
                "(or point --data-dir / REFORMQA_DATA_DIR at an existing one)"
            )
        return cls(settings, path, vectors)

    def close(self) -> None:
        self.db.close()

    # -- fingerprint --------------------------------------------------------------------
    def fingerprint(self) -> str | None:
        return self.db.get_meta("fingerprint")

    def check_fingerprint(self, expected: str) -> None:
        found = self.fingerprint()
        if found is not None and found != expected:
            model = self.db.get_meta("model") or "?"
            raise IndexMismatchError(
                f"the index in {self.path} was built with other settings (model {model}, "
                f"fingerprint {found}; current settings give {expected}). "
                "Run `reformqa ingest --rebuild` to rebuild it with the current settings."
            )

    # -- keyword generations ------------------------------------------------------------
    def generation(self) -> int:
        return int(self.db.get_meta("generation") or 0)

    def kw_dir(self, generation: int) -> Path:
        return self.path / f"kw-{generation}"

    def keyword(self) -> KeywordView:
        """The keyword index of the committed generation (reloaded when it changes)."""
        gen = self.generation()
        with self._kw_lock:
            if self._kw is None or self._kw.generation != gen:
                layout = self.db.row_layout()
                ids = [cid for cid, _ in layout]
                kw = KeywordIndex.load(self.kw_dir(gen), ids)
                doc_ids = np.array([d for _, d in layout], dtype=np.str_)
                if self._kw is not None:
                    self.vectors.refresh()  # another process committed: see its vectors too
                self._kw = KeywordView(gen, kw, ids, doc_ids)
            return self._kw

    def remove_stale_generations(self) -> None:
        keep = self.kw_dir(self.generation()).name
        for child in self.path.glob("kw-*"):
            if child.name != keep:
                shutil.rmtree(child, ignore_errors=True)
