"""Ingest: corpus files → cleaned reports → chunks → vectors + keyword index + manifest.

Incremental: a file whose content hash (bytes + metadata) is unchanged is skipped without
loading the model; a changed file is re-chunked and only chunks whose ids are not already
in the vector store are embedded. Crash-safe: see `index.statedb` and `index.store`.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from index.chunking import chunk_document
from index.cleaning import clean_text, find_duplicate_reports
from index.docmeta import DOCMETA_VERSION, detect_meta, merge_meta
from index.embedders import Embedder, make_embedder
from index.errors import LoadError, ReformQAError, UnknownReportError
from index.generations import Generations, IndexedDoc, fingerprint, ingest_lock
from index.keyword import tokenize
from index.loaders import ReadLimits, load_file
from index.metadata import METADATA_FILE, read_metadata
from index.ocr import OcrEngine, make_ocr_engine
from index.ocr_pages import OcrOptions
from index.pages import map_page_starts
from index.scanning import rel_path, scan
from index.settings import Settings
from index.statedb import DocRow
from index.store import IndexStore
from index.textnorm import normalize
from index.types import Chunk, CleanDocument, LoadedText, ReportMeta, SourceFile
from index.uploads import upload_metadata, uploads_inside_corpus, uploads_prefix
from index.vectorstore import Metadata, VectorStore

Progress = Callable[[str, int, int], None]
"""progress(stage, done, total); stages: read (files), ocr (pages of the file being read by
OCR), embed (chunks), keyword."""


@dataclass
class IngestSummary:
    """What an ingest did, for the CLI summary and the UI."""

    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)
    notes: list[tuple[str, str]] = field(default_factory=list)
    """Per-file remarks that are not failures: links and hidden files not read, files from
    outside the corpus folder, files skipped because the same content was rejected before."""
    duplicates: list[tuple[str, str, float]] = field(default_factory=list)
    chunks_total: int = 0
    chunks_embedded: int = 0
    chunks_reused: int = 0
    rebuilt: bool = False

    def to_dict(self) -> dict[str, object]:
        return {k: v for k, v in self.__dict__.items()}


_SAID = ("removed", "read ", "page ", "pages ")
"""Notes the ingest summary repeats per file: what cleaning removed, what OCR read or skipped."""


# -- report ids ----------------------------------------------------------------------------
_REMEMBERED = (
    "skipped as previously rejected: this content was refused before and is not read again; "
    "change the file or the limits to retry"
)


def scan_uploads(settings: Settings, taken: set[str], summary: IngestSummary) -> list[SourceFile]:
    """The upload folder's reports, named `uploads/<file>` (nothing extra when the folder lies
    inside the corpus: the corpus scan found them)."""
    folder = settings.uploads
    if uploads_inside_corpus(settings) or not folder.is_dir():
        return []
    prefix = uploads_prefix(settings)
    scanned = scan(folder, [folder], max_bytes=settings.limits.max_file_bytes)
    summary.failed.extend((prefix + rel, why) for rel, why in scanned.failed)
    summary.notes.extend((prefix + rel, why) for rel, why in scanned.notes)
    out = []
    for f in scanned.files:
        rel = prefix + f.rel
        if rel in taken:  # corpus/uploads/<same name> from before uploads left the checkout
            summary.failed.append(
                (rel, f"has the same name as a file in the corpus ({settings.corpus_dir}); rename one")
            )
            continue
        out.append(SourceFile(path=f.path, rel=rel, sha256=f.sha256, size=f.size))
    return out


def doc_ids_for(files: Sequence[SourceFile]) -> dict[str, str]:
    """rel → doc id: the path without its suffix, or the full path where that collides."""
    stems: dict[str, list[str]] = {}
    for f in files:
        stems.setdefault(f.rel.rsplit(".", 1)[0], []).append(f.rel)
    return {rel: (stem if len(rels) == 1 else rel) for stem, rels in stems.items() for rel in rels}


# -- per-document processing ---------------------------------------------------------------
def content_hash(source: SourceFile, meta: ReportMeta | None) -> str:
    # The detector's version too: better detection re-reads every report (no rebuild needed).
    blob = source.sha256 + json.dumps(meta.__dict__ if meta else None, ensure_ascii=False, default=list)
    blob += f"|docmeta{DOCMETA_VERSION}"
    return hashlib.sha256(blob.encode()).hexdigest()


def read_limits(settings: Settings) -> ReadLimits:
    """The limits that apply while a file is read, from the settings."""
    lim = settings.limits
    # The character limit applies while reading, before cleaning and chunking, which take
    # minutes on such text.
    return ReadLimits(
        max_bytes=lim.max_file_bytes,
        max_chars=lim.max_text_chars,
        max_ocr_pages=lim.max_ocr_pages,
        max_ocr_seconds=lim.max_ocr_seconds,
        max_image_pixels=lim.max_image_pixels,
    )


def ocr_options(settings: Settings, engine: OcrEngine | None = None, progress: Progress | None = None) -> OcrOptions:
    """How scanned pages and images are read; each page moves the "ocr" progress stage."""
    report = progress or (lambda stage, done, total: None)
    return OcrOptions(
        engine or make_ocr_engine(settings.ocr.engine),
        dpi=settings.ocr.dpi,
        min_score=settings.ocr.min_line_score,
        progress=lambda done, total: report("ocr", done, total),
    )


def prepare(
    source: SourceFile, doc_id: str, meta: ReportMeta | None, settings: Settings, *, ocr: OcrOptions | None = None
) -> CleanDocument:
    """Load, clean and normalize one file (raises LoadError)."""
    loaded = load_file(source.path, source.rel, limits=read_limits(settings), ocr=ocr or ocr_options(settings))
    return clean_document(loaded, source, doc_id, meta)


def clean_document(loaded: LoadedText, source: SourceFile, doc_id: str, meta: ReportMeta | None) -> CleanDocument:
    """A loaded file cleaned and normalized, its metadata completed and its pages mapped."""
    cleaned = clean_text(loaded.text)
    if not cleaned.text.strip():
        raise LoadError(source.rel, "has no text left after cleaning (only boilerplate or blank)")
    # Hand metadata wins field by field; what it leaves out is read from the text.
    detected = detect_meta(
        cleaned.text, loaded.title_lines, loaded.page_starts, stated_date=loaded.stated_date, file_name=loaded.rel
    )
    final_meta = merge_meta(meta, detected)
    pages = map_page_starts(loaded.text, cleaned.text, loaded.page_starts)
    return CleanDocument(
        doc_id=doc_id,
        rel=source.rel,
        text=cleaned.text,
        norm=normalize(cleaned.text),
        meta=final_meta,
        content_hash=content_hash(source, meta),
        notes=(f"encoding {loaded.encoding}", *loaded.notes, *cleaned.notes, *cleaned.dropped),
        page_starts=pages,
        ocr_pages=loaded.ocr_pages,
    )


def index_text(chunk: Chunk, title: str) -> str:
    """What is embedded and keyword-indexed, normalized: the title and heading path give the
    chunk context, and the Simplified form lets a question in either script meet it.
    A change here bumps `index.generations.INDEX_TEXT_VERSION`."""
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
        "page": chunk.page or 0,
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
        ocr_engine: OcrEngine | None = None,
    ) -> None:
        self.settings = settings
        self.embedder = embedder or make_embedder(settings)  # cheap: the model loads on first use
        self.ocr_engine = ocr_engine or make_ocr_engine(settings.ocr.engine)  # cheap too
        self.generations = Generations(settings, vectors)
        self.progress = progress or (lambda stage, done, total: None)
        self.on_file = on_file or (lambda rel: None)
        """Told the name of each file as it is read (the web app shows per-file progress)."""

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
        busy = (
            f"another ingest is running on {data_dir}; wait for it to finish "
            "(or pass --wait SECONDS to queue behind it)"
        )
        with ingest_lock(data_dir, busy=busy, wait=wait):
            return self._run_locked(paths, rebuild, rebuild_stale)

    def _run_locked(self, paths: Sequence[Path] | None, rebuild: bool, rebuild_stale: bool) -> IngestSummary:
        gens = self.generations
        store, replaced = gens.open_for_ingest(rebuild=rebuild, rebuild_stale=rebuild_stale)
        summary = IngestSummary(rebuilt=replaced is not None or rebuild)
        try:
            gens.drop_retired()
            gens.collect_garbage(store)
            scan_paths = list(paths) if paths else [self.settings.corpus_dir]
            scanned = scan(self.settings.corpus_dir, scan_paths, max_bytes=self.settings.limits.max_file_bytes)
            summary.failed.extend(scanned.failed)
            summary.notes.extend(scanned.notes)
            files = scanned.files
            corpus = self.settings.corpus_dir.resolve()
            if not paths or any(Path(p).resolve() == corpus for p in paths):  # the whole library: uploads too
                files += scan_uploads(self.settings, {f.rel for f in files}, summary)
            prepared, removed = self._plan(store, files, scan_paths, summary)
            self._embed(store, prepared, summary)
            self.progress("keyword", 0, 1)
            written = [IndexedDoc(p.doc, p.source.sha256, p.chunks) for p in prepared]
            summary.chunks_total = gens.commit(store, written, removed)
            self.progress("keyword", 1, 1)
        except BaseException:
            gens.discard(store, replaced, rebuild)
            raise
        gens.switch(store, replaced)
        gens.collect_garbage(store)
        store.close()
        return summary

    # -- planning -------------------------------------------------------------------------
    def _plan(
        self, store: IndexStore, files: list[SourceFile], scan_paths: list[Path], summary: IngestSummary
    ) -> tuple[list[_Prepared], list[str]]:
        metas: dict[str, ReportMeta] = {}
        for folder, metadata in upload_metadata(self.settings, read_metadata(self.settings.corpus_dir)):
            where = f"{folder / METADATA_FILE}: "
            summary.failed.extend((METADATA_FILE, why.removeprefix(where)) for why in metadata.problems)
            metas |= metadata.metas
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
            key = self._reject_key(source)
            remembered = store.db.rejected_reason(key)
            if remembered is not None:
                summary.failed.append((source.rel, f"{remembered} ({_REMEMBERED})"))
                continue
            try:
                item = self._prepare(source, ids[source.rel], meta)
            except ReformQAError as exc:
                reason = str(exc).removeprefix(f"{source.rel}: ")
                summary.failed.append((source.rel, reason))
                if not reason.startswith("cannot be read"):  # a read error may pass; content does not
                    store.db.remember_rejected(key, source.rel, reason)
                continue
            except Exception as exc:  # noqa: BLE001 - a bug on one odd file must not stop the ingest
                reason = f"could not be indexed ({type(exc).__name__}: {exc}); please report this file as a bug"
                summary.failed.append((source.rel, reason))
                continue
            prepared.append(item)
            (summary.updated if old is not None else summary.added).append(item.doc.doc_id)
            said = [n for n in item.doc.notes if n.startswith(_SAID) or n.endswith("replaced by �")]
            if said:  # what reading and cleaning took out, per file (the lines: `reformqa show`)
                summary.notes.append((source.rel, "; ".join(said)))
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

    def _reject_key(self, source: SourceFile) -> str:
        """A refusal holds for these bytes under these limits and this cleaner and chunker."""
        limits = self.settings.limits.model_dump_json()
        blob = f"{source.sha256}|{source.rel.rsplit('.', 1)[-1].lower()}|{limits}|{fingerprint(self.settings)}"
        return hashlib.sha256(blob.encode()).hexdigest()

    def _prepare(self, source: SourceFile, doc_id: str, meta: ReportMeta | None) -> _Prepared:
        ocr = ocr_options(self.settings, self.ocr_engine, self.progress)
        doc = prepare(source, doc_id, meta, self.settings, ocr=ocr)
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
        scanned = ["" if p.resolve() == root else rel_path(p, root).rstrip("/") + "/" for p in scan_paths if p.is_dir()]
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
        batch = self.settings.embedding.ingest_batch
        for s in range(0, len(todo), batch):
            part = todo[s : s + batch]
            vecs = self.embedder.embed_documents([index_text(c, p.doc.meta.title) for p, c in part])
            store.vectors.add(
                [c.id for _, c in part], vecs, [c.text for _, c in part], [_chunk_meta(c, p.doc) for p, c in part]
            )
            summary.chunks_embedded += len(part)
            self.progress("embed", min(s + batch, len(todo)), len(todo))


def remove_report(settings: Settings, doc_id: str, *, vectors: VectorStore | None = None) -> None:
    """Remove one report from the index (its file stays; delete it or it comes back)."""
    busy = f"an ingest is running on {settings.data_dir}; try again when it ends"
    with ingest_lock(settings.data_dir, busy=busy):
        gens = Generations(settings, vectors)
        store = gens.open_live()
        try:
            if doc_id not in {d.doc_id for d in store.db.docs()}:
                raise UnknownReportError(f"no report {doc_id!r} in the index; `reformqa docs` lists them")
            gens.commit(store, [], [doc_id])
            gens.collect_garbage(store)
        finally:
            store.close()
