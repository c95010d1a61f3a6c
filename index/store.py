"""The on-disk index: where it lives, how it is opened, and how readers see a consistent state.

Layout under the data directory::

    CURRENT                 name of the live index directory (replaced atomically)
    ingest.lock             held by the one ingest allowed at a time
    idx-<stamp>/state.sqlite  the manifest (reports, chunks, fingerprint, generation)
    idx-<stamp>/chroma/       the embedded Chroma store (or a collection on a server)
    idx-<stamp>/kw-<gen>/     the BM25 index of generation <gen>

`--rebuild` builds a new `idx-*` directory and switches CURRENT only when it is complete,
so a failed or killed rebuild leaves the old index serving. `IndexStore.check_consistency`
verifies that the manifest, the vectors and the keyword index agree (docs/RELIABILITY.md).
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
from index.statedb import ChunkRow, DocRow, StateDB
from index.vectorstore import ChromaVectorStore, VectorStore

CURRENT = "CURRENT"
_KW_RETRIES = 5


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
    live: frozenset[str] = frozenset()
    """The committed chunk ids (= `ids`), built once per generation for per-query lookups."""


@dataclass(frozen=True)
class Consistency:
    """What `IndexStore.check_consistency` found."""

    problems: tuple[str, ...] = ()
    """Disagreements that make search wrong: a chunk without a vector, keyword rows that
    are not the manifest's chunks, a chunk that is not a span of its report's text."""
    leftovers: tuple[str, ...] = ()
    """What an interrupted ingest leaves behind (vectors no committed chunk uses, keyword
    generations or index directories nobody reads): invisible to search, removed by the
    next ingest."""
    docs: int = 0
    chunks: int = 0

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def clean(self) -> bool:
        return not self.problems and not self.leftovers


def _manifest_problems(docs: list[DocRow], rows: list[ChunkRow], texts: dict[str, str]) -> list[str]:
    out: list[str] = []
    by_doc: dict[str, list[int]] = {}
    for r in rows:
        by_doc.setdefault(r.doc_id, []).append(r.seq)
        if r.doc_id not in texts:
            out.append(f"chunk {r.id} belongs to {r.doc_id!r}, which is not in the manifest")
        elif texts[r.doc_id][r.start : r.end] != r.text:
            out.append(f"chunk {r.id} of {r.doc_id!r} is not the text at {r.start}:{r.end} of its report")
    for d in docs:
        if sorted(by_doc.get(d.doc_id, [])) != list(range(d.n_chunks)):
            got = len(by_doc.get(d.doc_id, []))
            out.append(f"report {d.doc_id!r} should have chunks 0..{d.n_chunks - 1}; the manifest has {got}")
    rels = [d.rel for d in docs]
    out += [f"file {rel!r} is indexed twice" for rel in sorted({r for r in rels if rels.count(r) > 1})]
    if sorted(r.kw_row for r in rows) != list(range(len(rows))):
        out.append("keyword rows of the manifest are not 0..n-1 exactly once each")
    return out


def collection_name(index_dir: Path) -> str:
    """The Chroma collection of an index directory (unique per rebuild: idx-<stamp>)."""
    return f"reformqa-{index_dir.name}"


class IndexStore:
    """One index directory: manifest + vector store + keyword index generations."""

    def __init__(
        self, settings: Settings, path: Path, vectors: VectorStore | None = None, *, writable: bool = False
    ) -> None:
        self.settings = settings
        self.path = path
        self.db = StateDB(path / "state.sqlite")
        self.vectors = vectors or ChromaVectorStore(
            collection_name(path), path=path / "chroma", url=settings.chroma_url, create=writable
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
        """The keyword index of the committed generation (reloaded when it changes).

        The generation and its row layout are read in one snapshot, so they always belong
        together. If an ingest in another process commits and removes that generation before
        it is loaded, the load is retried on the new one.
        """
        with self._kw_lock:
            attempt = 0
            while True:
                with self.db.snapshot():
                    gen = self.generation()
                    if self._kw is not None and self._kw.generation == gen:
                        return self._kw
                    layout = self.db.row_layout()
                try:
                    kw = KeywordIndex.load(self.kw_dir(gen), [cid for cid, _ in layout])
                    break
                except (OSError, ValueError) as exc:
                    attempt += 1
                    if attempt < _KW_RETRIES and self.generation() != gen:
                        continue  # a newer generation replaced this one meanwhile
                    raise IndexMissingError(
                        f"the keyword index {self.kw_dir(gen)} is missing or damaged ({exc}); "
                        "run `reformqa ingest --rebuild` to rebuild the index"
                    ) from exc
            if self._kw is not None:
                self.vectors.refresh()  # another process committed: see its vectors too
            doc_ids = np.array([d for _, d in layout], dtype=np.str_)
            ids = [cid for cid, _ in layout]
            self._kw = KeywordView(gen, kw, ids, doc_ids, frozenset(ids))
            return self._kw

    def remove_stale_generations(self) -> None:
        keep = self.kw_dir(self.generation()).name
        for child in self.path.glob("kw-*"):
            if child.name != keep:
                shutil.rmtree(child, ignore_errors=True)

    # -- consistency ----------------------------------------------------------------------
    def check_consistency(self) -> Consistency:
        """Check that the manifest, the vector store and the keyword index agree.

        Every committed chunk must be a span of its report's text, have a vector, and be
        the keyword-index row the manifest says, with the tokens the manifest holds; the
        keyword index must have no other rows. Meant for an index no ingest is writing to
        (it takes no lock): the vector ids are read after the manifest snapshot.
        """
        with self.db.snapshot():
            gen = self.generation()
            docs = self.db.docs()
            rows = self.db.chunk_rows()
            tokens = {cid: toks for cid, _, toks in self.db.all_chunk_tokens()}
            texts = {d.doc_id: (self.db.doc_text(d.doc_id) or ("", ""))[0] for d in docs}
        problems = _manifest_problems(docs, rows, texts)
        problems += self._keyword_problems(gen, rows, tokens)
        self.vectors.refresh()
        vector_ids = self.vectors.all_ids()
        ids = {r.id for r in rows}
        missing = sorted(ids - vector_ids)
        if missing:
            problems.append(f"{len(missing)} committed chunks have no vector (e.g. {missing[0]})")
        leftovers = self._leftovers(gen)
        orphans = len(vector_ids - ids)
        if orphans:
            leftovers.insert(0, f"{orphans} vectors that no committed chunk uses")
        return Consistency(tuple(problems), tuple(leftovers), docs=len(docs), chunks=len(rows))

    def _keyword_problems(self, gen: int, rows: list[ChunkRow], tokens: dict[str, list[str]]) -> list[str]:
        if not rows:
            return []
        by_row = sorted(rows, key=lambda r: r.kw_row)
        try:
            kw = KeywordIndex.load(self.kw_dir(gen), [r.id for r in by_row])
        except (OSError, ValueError) as exc:
            return [f"the keyword index of generation {gen} cannot be loaded ({exc})"]
        if kw.n_rows != len(rows):
            return [f"the keyword index of generation {gen} has {kw.n_rows} rows; the manifest has {len(rows)} chunks"]
        # An empty token list is indexed as one placeholder token (see KeywordIndex).
        wrong = [
            r.id for r, terms in zip(by_row, kw.row_terms(), strict=True) if terms != set(tokens[r.id] or ["\u0000"])
        ]
        return [f"{len(wrong)} keyword rows hold other tokens than their chunk (e.g. {wrong[0]})"] if wrong else []

    def _leftovers(self, gen: int) -> list[str]:
        out = [
            f"keyword generation {p.name}, not the live kw-{gen}"
            for p in sorted(self.path.glob("kw-*"))
            if p != self.kw_dir(gen)
        ]
        out += [f"unfinished keyword index {p.name}" for p in sorted(self.path.glob(".kw-*.tmp"))]
        live = current_index_dir(self.settings.data_dir)
        out += [
            f"index directory {p.name} nobody reads"
            for p in sorted(self.settings.data_dir.glob("idx-*"))
            if p not in (self.path, live)
        ]
        return out
