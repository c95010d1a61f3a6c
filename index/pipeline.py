"""Ingest: corpus files → cleaned reports → chunks → vectors + keyword index + manifest.

Incremental: a file whose content hash (bytes + metadata) is unchanged is skipped without
loading the model; a changed file is re-chunked and only chunks whose ids are not already
in the vector store are embedded. Crash-safe: see `index.statedb` and `index.store`.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from filelock import FileLock, Timeout

from index.chunking import CHUNKER_VERSION, chunk_document
from index.cleaning import CLEANER_VERSION, clean_text, find_duplicate_reports, guess_title
from index.embedding import Embedder, make_embedder
from index.errors import IngestLockedError, LoadError, ReformQAError
from index.keyword import KeywordIndex, tokenize
from index.loaders import SUPPORTED_SUFFIXES, check_size, load_file
from index.metadata import load_metadata
from index.settings import Settings
from index.statedb import DocRow, StateDB
from index.store import CURRENT, IndexStore, collection_name, current_index_dir, new_index_dir, write_atomic
from index.textnorm import normalize
from index.types import Chunk, CleanDocument, ReportMeta, SourceFile
from index.uploads import upload_metadata, uploads_inside_corpus, uploads_prefix
from index.vectorstore import ChromaVectorStore, Metadata, VectorStore

Progress = Callable[[str, int, int], None]
"""progress(stage, done, total)."""


INDEX_TEXT_VERSION = "2"
"""What `index_text` embeds; 2: the normalized (Simplified) form, so scripts meet in one space."""


RETIRED = "retired-collections.json"
"""Server collections of replaced indexes, dropped at the start of the next ingest."""


def _read_names(path: Path) -> list[str]:
    try:
        names = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []
    return [n for n in names if isinstance(n, str)] if isinstance(names, list) else []


def fingerprint(settings: Settings) -> str:
    return settings.index_fingerprint(CLEANER_VERSION, f"{CHUNKER_VERSION}+text{INDEX_TEXT_VERSION}")


@dataclass
class IngestSummary:
    """What an ingest did, for the CLI summary and the UI."""

    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)
    duplicates: list[tuple[str, str, float]] = field(default_factory=list)
    chunks_total: int = 0
    chunks_embedded: int = 0
    chunks_reused: int = 0
    rebuilt: bool = False

    def to_dict(self) -> dict[str, object]:
        return {k: v for k, v in self.__dict__.items()}


# -- scanning ------------------------------------------------------------------------------
def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _walk(root: Path) -> Iterator[Path]:
    # os.walk does not follow directory symlinks, so a symlink loop cannot trap us.
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for name in sorted(filenames):
            if not name.startswith(".") and Path(name).suffix.lower() in SUPPORTED_SUFFIXES:
                yield Path(dirpath) / name


def scan(
    corpus_dir: Path, paths: Sequence[Path], failed: list[tuple[str, str]], *, max_bytes: int | None = None
) -> list[SourceFile]:
    """Supported report files under `paths`; unreadable or too large ones are recorded in `failed`."""
    root = corpus_dir.resolve()
    found: list[SourceFile] = []
    for given in paths:
        candidates = [given] if given.is_file() else list(_walk(given)) if given.is_dir() else []
        if not candidates and not given.exists():
            failed.append((str(given), "no such file or directory"))
        elif not candidates and not given.is_dir():
            failed.append((str(given), "is not a regular file or a directory"))
        for path in candidates:
            rel = _rel(path, root)
            if not _is_utf8(rel):  # an undecodable name (surrogate escapes) breaks ids, JSON and SQLite
                shown = rel.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
                failed.append((shown, "has a file name that is not valid UTF-8 (saved on another system?); rename it"))
                continue
            try:
                if not path.is_file():
                    raise OSError(_not_regular(path))
                size = path.stat().st_size
                if max_bytes is not None:
                    check_size(rel, size, max_bytes)  # before hashing: it could be gigabytes
                found.append(SourceFile(path=path, rel=rel, sha256=_sha256(path), size=size))
            except OSError as exc:
                failed.append((rel, f"cannot be read ({exc.strerror or exc})"))
            except LoadError as exc:
                failed.append((rel, exc.reason))
    return found


def scan_uploads(settings: Settings, taken: set[str], failed: list[tuple[str, str]]) -> list[SourceFile]:
    """The upload folder's reports, named `uploads/<file>` (nothing extra when the folder lies
    inside the corpus: the corpus scan found them)."""
    folder = settings.uploads
    if uploads_inside_corpus(settings) or not folder.is_dir():
        return []
    prefix = uploads_prefix(settings)
    mine: list[tuple[str, str]] = []
    found = scan(folder, [folder], mine, max_bytes=settings.limits.max_file_bytes)
    failed.extend((prefix + rel, why) for rel, why in mine)
    out = []
    for f in found:
        rel = prefix + f.rel
        if rel in taken:  # corpus/uploads/<same name> from before uploads left the checkout
            failed.append((rel, f"has the same name as a file in the corpus ({settings.corpus_dir}); rename one"))
            continue
        out.append(SourceFile(path=f.path, rel=rel, sha256=f.sha256, size=f.size))
    return out


def _not_regular(path: Path) -> str:
    # is_file() follows links: it is False for a broken or looping link (where
    # Path.resolve() would raise RuntimeError) and for a pipe or a device, which would
    # block or never end when read.
    if not path.is_symlink():
        return "not a regular file (a pipe, socket or device)"
    if path.exists():
        return "a symbolic link to something that is not a regular file"
    return "broken or looping symbolic link"


def _is_utf8(name: str) -> bool:
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _rel(path: Path, root: Path) -> str:
    try:
        return path.absolute().relative_to(root).as_posix()
    except ValueError:
        return path.name


def doc_ids_for(files: Sequence[SourceFile]) -> dict[str, str]:
    """rel → doc id: the path without its suffix, or the full path where that collides."""
    stems: dict[str, list[str]] = {}
    for f in files:
        stems.setdefault(f.rel.rsplit(".", 1)[0], []).append(f.rel)
    return {rel: (stem if len(rels) == 1 else rel) for stem, rels in stems.items() for rel in rels}


# -- per-document processing ---------------------------------------------------------------
def content_hash(source: SourceFile, meta: ReportMeta | None) -> str:
    blob = source.sha256 + json.dumps(meta.__dict__ if meta else None, ensure_ascii=False, default=list)
    return hashlib.sha256(blob.encode()).hexdigest()


def prepare(source: SourceFile, doc_id: str, meta: ReportMeta | None, settings: Settings) -> CleanDocument:
    """Load, clean and normalize one file (raises LoadError)."""
    loaded = load_file(source.path, source.rel, max_bytes=settings.limits.max_file_bytes)
    limit = settings.limits.max_text_chars
    if len(loaded.text) > limit:  # checked before cleaning and chunking, which take minutes on such text
        raise LoadError(
            source.rel,
            f"has {len(loaded.text):,} characters of text, over the limit of {limit:,}; split the report "
            "or raise the setting limits.max_text_chars (REFORMQA_LIMITS__MAX_TEXT_CHARS)",
        )
    cleaned = clean_text(loaded.text)
    if not cleaned.text.strip():
        raise LoadError(source.rel, "has no text left after cleaning (only boilerplate or blank)")
    final_meta = meta or ReportMeta(title=guess_title(cleaned.text))
    return CleanDocument(
        doc_id=doc_id,
        rel=source.rel,
        text=cleaned.text,
        norm=normalize(cleaned.text),
        meta=final_meta,
        content_hash=content_hash(source, meta),
        notes=(f"encoding {loaded.encoding}", *cleaned.notes),
    )


def index_text(chunk: Chunk, title: str) -> str:
    """What is embedded and keyword-indexed, normalized: the title and heading path give the
    chunk context, and the Simplified form lets a question in either script meet it."""
    head = " › ".join((title, *chunk.section))
    return normalize(f"{head}\n{chunk.text}")


def _chunk_meta(chunk: Chunk, doc: CleanDocument) -> Metadata:
    return {
        "doc_id": doc.doc_id,
        "title": doc.meta.title,
        "source": doc.rel,
        "region": ",".join(doc.meta.regions),
        "year": doc.meta.year or 0,
        "section": chunk.section_path,
        "start": chunk.start,
        "end": chunk.end,
    }


@dataclass
class _Prepared:
    source: SourceFile
    doc: CleanDocument
    chunks: list[tuple[Chunk, list[str]]]


class Ingestor:
    """Runs one ingest against the live index (or a fresh one for --rebuild)."""

    def __init__(
        self,
        settings: Settings,
        *,
        embedder: Embedder | None = None,
        vectors: VectorStore | None = None,
        progress: Progress | None = None,
        on_file: Callable[[str], None] | None = None,
    ) -> None:
        self.settings = settings
        self._embedder = embedder
        self._vectors = vectors
        self.progress = progress or (lambda stage, done, total: None)
        self.on_file = on_file or (lambda rel: None)
        """Told the name of each file as it is read (the web app shows per-file progress)."""

    @property
    def embedder(self) -> Embedder:
        if self._embedder is None:
            self._embedder = make_embedder(self.settings)
        return self._embedder

    def run(
        self,
        paths: Sequence[Path] | None = None,
        *,
        rebuild: bool = False,
        rebuild_stale: bool = False,
        wait: float = 0,
    ) -> IngestSummary:
        """Index what changed. `rebuild` builds a new index from scratch; `rebuild_stale` does
        so only when the current one was built with other settings (instead of refusing)."""
        data_dir = self.settings.data_dir
        data_dir.mkdir(parents=True, exist_ok=True)
        lock = FileLock(str(data_dir / "ingest.lock"))
        try:
            lock.acquire(timeout=wait)
        except Timeout as exc:
            raise IngestLockedError(
                f"another ingest is running on {data_dir}; wait for it to finish "
                "(or pass --wait SECONDS to queue behind it)"
            ) from exc
        try:
            return self._run_locked(paths, rebuild, rebuild_stale)
        finally:
            lock.release()

    def _store(self, path: Path) -> IndexStore:
        return IndexStore(self.settings, path, self._vectors, writable=True)

    def _open(self, rebuild: bool, rebuild_stale: bool) -> tuple[IndexStore, Path | None]:
        old = current_index_dir(self.settings.data_dir)
        if rebuild or old is None or not (old / "state.sqlite").exists():
            return self._store(new_index_dir(self.settings.data_dir)), old
        store = self._store(old)
        if rebuild_stale and store.fingerprint() not in (None, fingerprint(self.settings)):
            store.close()
            return self._store(new_index_dir(self.settings.data_dir)), old
        store.check_fingerprint(fingerprint(self.settings))
        return store, None

    def _run_locked(self, paths: Sequence[Path] | None, rebuild: bool, rebuild_stale: bool) -> IngestSummary:
        store, replaced = self._open(rebuild, rebuild_stale)
        summary = IngestSummary(rebuilt=replaced is not None or rebuild)
        try:
            self._drop_retired()
            self._collect_garbage(store)
            scan_paths = list(paths) if paths else [self.settings.corpus_dir]
            files = scan(
                self.settings.corpus_dir, scan_paths, summary.failed, max_bytes=self.settings.limits.max_file_bytes
            )
            corpus = self.settings.corpus_dir.resolve()
            if not paths or any(Path(p).resolve() == corpus for p in paths):  # the whole library: uploads too
                files += scan_uploads(self.settings, {f.rel for f in files}, summary.failed)
            prepared, removed = self._plan(store, files, scan_paths, summary)
            self._embed(store, prepared, summary)
            self._commit(store, prepared, removed, summary)
        except BaseException:
            if replaced is not None or (rebuild and store.path != current_index_dir(self.settings.data_dir)):
                store.close()
                shutil.rmtree(store.path, ignore_errors=True)  # the old index keeps serving
            raise
        self._switch(store, replaced)
        self._collect_garbage(store)
        store.close()
        return summary

    # -- planning -------------------------------------------------------------------------
    def _plan(
        self, store: IndexStore, files: list[SourceFile], scan_paths: list[Path], summary: IngestSummary
    ) -> tuple[list[_Prepared], list[str]]:
        metas = load_metadata(self.settings.corpus_dir) | upload_metadata(self.settings)
        known = {d.rel: d for d in store.db.docs()}
        ids = doc_ids_for([*files, *(SourceFile(Path(r), r, "", 0) for r in known if r not in {f.rel for f in files})])
        prepared: list[_Prepared] = []
        for n, source in enumerate(files, 1):
            self.on_file(source.rel)
            self.progress("read", n, len(files))
            meta = metas.get(source.rel)
            old = known.get(source.rel)
            if old is not None and old.content_hash == content_hash(source, meta):
                summary.unchanged.append(old.doc_id)
                continue
            try:
                item = self._prepare(source, ids[source.rel], meta)
            except ReformQAError as exc:
                summary.failed.append((source.rel, str(exc).removeprefix(f"{source.rel}: ")))
                continue
            except Exception as exc:  # noqa: BLE001 - a bug on one odd file must not stop the ingest
                reason = f"could not be indexed ({type(exc).__name__}: {exc}); please report this file as a bug"
                summary.failed.append((source.rel, reason))
                continue
            prepared.append(item)
            (summary.updated if old is not None else summary.added).append(item.doc.doc_id)
        removed = self._removed(known, files, scan_paths, summary)
        summary.duplicates = find_duplicate_reports(
            {p.doc.doc_id: p.doc.text for p in prepared}
            | {
                d.doc_id: (store.db.doc_text(d.doc_id) or ("", ""))[0]
                for d in known.values()
                if d.doc_id in summary.unchanged
            }
        )
        return prepared, removed

    def _prepare(self, source: SourceFile, doc_id: str, meta: ReportMeta | None) -> _Prepared:
        doc = prepare(source, doc_id, meta, self.settings)
        cfg = self.settings.chunking
        chunks = chunk_document(doc, max_tokens=cfg.max_tokens, overlap=cfg.overlap_sentences, encoding=cfg.encoding)
        if len(chunks) > self.settings.limits.max_chunks_per_file:
            raise LoadError(
                source.rel,
                f"gives {len(chunks)} chunks, over the limit of {self.settings.limits.max_chunks_per_file} "
                "(setting limits.max_chunks_per_file / REFORMQA_LIMITS__MAX_CHUNKS_PER_FILE)",
            )
        toks = [(c, tokenize(index_text(c, doc.meta.title))) for c in chunks]
        return _Prepared(source, doc, toks)

    def _removed(
        self, known: Mapping[str, DocRow], files: list[SourceFile], scan_paths: list[Path], summary: IngestSummary
    ) -> list[str]:
        """Reports whose files vanished from the scanned directories."""
        root = self.settings.corpus_dir.resolve()
        present = {f.rel for f in files} | {rel for rel, _ in summary.failed}
        scanned = ["" if p.resolve() == root else _rel(p, root).rstrip("/") + "/" for p in scan_paths if p.is_dir()]
        out = [
            doc.doc_id
            for rel, doc in known.items()
            if rel not in present and any(rel.startswith(prefix) for prefix in scanned)
        ]
        summary.removed.extend(out)
        return out

    # -- embedding ------------------------------------------------------------------------
    def _embed(self, store: IndexStore, prepared: list[_Prepared], summary: IngestSummary) -> None:
        pending = [(p, c) for p in prepared for c, _ in p.chunks]
        have = store.vectors.existing([c.id for _, c in pending]) if pending else set()
        todo = [(p, c) for p, c in pending if c.id not in have]
        summary.chunks_reused = len(pending) - len(todo)
        batch = max(1, self.settings.embedding.batch_size * 4)
        for s in range(0, len(todo), batch):
            part = todo[s : s + batch]
            vecs = self.embedder.embed_documents([index_text(c, p.doc.meta.title) for p, c in part])
            store.vectors.add(
                [c.id for _, c in part], vecs, [c.text for _, c in part], [_chunk_meta(c, p.doc) for p, c in part]
            )
            summary.chunks_embedded += len(part)
            self.progress("embed", min(s + batch, len(todo)), len(todo))

    # -- commit ---------------------------------------------------------------------------
    def _commit(self, store: IndexStore, prepared: list[_Prepared], removed: list[str], summary: IngestSummary) -> None:
        replaced_ids = {p.doc.doc_id for p in prepared} | set(removed)
        rows = [(cid, toks) for cid, doc_id, toks in store.db.all_chunk_tokens() if doc_id not in replaced_ids]
        rows += [(c.id, toks) for p in prepared for c, toks in p.chunks]
        gen = store.generation() + 1
        self.progress("keyword", 0, 1)
        tmp = store.path / f".kw-{gen}.tmp"
        shutil.rmtree(tmp, ignore_errors=True)
        KeywordIndex([cid for cid, _ in rows], [t for _, t in rows]).save(tmp)
        # A kw-<gen> can only be the uncommitted leftover of a killed ingest (or `remove`):
        # os.replace cannot replace a non-empty directory.
        shutil.rmtree(store.kw_dir(gen), ignore_errors=True)
        os.replace(tmp, store.kw_dir(gen))
        with store.db.transaction() as conn:
            for doc_id in replaced_ids:
                StateDB.delete_doc(conn, doc_id)
            for p in prepared:
                StateDB.put_doc(conn, p.doc, p.source.sha256, len(p.chunks))
                StateDB.put_chunks(conn, p.chunks)
            StateDB.set_rows(conn, [cid for cid, _ in rows])
            StateDB.set_meta(conn, "generation", str(gen))
            StateDB.set_meta(conn, "fingerprint", fingerprint(self.settings))
            StateDB.set_meta(conn, "model", self.settings.embedding.model)
        summary.chunks_total = len(rows)
        self.progress("keyword", 1, 1)

    def _switch(self, store: IndexStore, replaced: Path | None) -> None:
        if current_index_dir(self.settings.data_dir) != store.path:
            write_atomic(self.settings.data_dir / CURRENT, store.path.name)
        if replaced is None or replaced == store.path:
            return
        if self._on_server:
            # Replicas with an older copy of the data dir still search the old collection:
            # it goes at the start of the next ingest, not now (docs/DEPLOY.md).
            self._retire(collection_name(replaced))
        else:
            old = IndexStore(self.settings, replaced, self._vectors)
            if hasattr(old.vectors, "drop"):
                old.vectors.drop()
            old.close()
        shutil.rmtree(replaced, ignore_errors=True)

    @property
    def _on_server(self) -> bool:
        """Vectors live in collections of our own on a Chroma server (not a store passed in)."""
        return bool(self.settings.chroma_url) and self._vectors is None

    def _drop_on_server(self, collection: str) -> None:
        ChromaVectorStore(collection, url=self.settings.chroma_url).drop()

    def _retire(self, collection: str) -> None:
        path = self.settings.data_dir / RETIRED
        names = [*_read_names(path), collection]
        write_atomic(path, json.dumps(names))

    def _drop_retired(self) -> None:
        """Drop the server collections of indexes that a rebuild replaced before this ingest."""
        path = self.settings.data_dir / RETIRED
        names = _read_names(path)
        if not names or not self._on_server:
            return
        for name in names:
            self._drop_on_server(name)
        path.unlink(missing_ok=True)

    def _collect_garbage(self, store: IndexStore) -> None:
        """Drop vectors no committed chunk references and stale keyword generations."""
        live = store.db.chunk_ids()
        orphans = sorted(store.vectors.all_ids() - live)
        if orphans:
            store.vectors.delete(orphans)
        store.remove_stale_generations()
        for child in self.settings.data_dir.glob("idx-*"):
            if child != store.path and child != current_index_dir(self.settings.data_dir):
                # A killed rebuild's leftovers (never live, so no replica searches them).
                if self._on_server:
                    self._drop_on_server(collection_name(child))
                shutil.rmtree(child, ignore_errors=True)


def remove_report(settings: Settings, doc_id: str, *, vectors: VectorStore | None = None) -> None:
    """Remove one report from the index (its file stays; delete it or it comes back)."""
    from index.errors import UnknownReportError

    lock = FileLock(str(settings.data_dir / "ingest.lock"))
    try:
        lock.acquire(timeout=0)
    except Timeout as exc:
        raise IngestLockedError(f"an ingest is running on {settings.data_dir}; try again when it ends") from exc
    try:
        store = IndexStore.open_current(settings, vectors)
        if doc_id not in {d.doc_id for d in store.db.docs()}:
            raise UnknownReportError(f"no report {doc_id!r} in the index; `reformqa docs` lists them")
        ing = Ingestor(settings, vectors=vectors)
        ing._commit(store, [], [doc_id], IngestSummary())
        ing._collect_garbage(store)
        store.close()
    finally:
        lock.release()
