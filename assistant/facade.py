"""`Assistant`: the one facade that the CLI, the HTTP API and the web UI call.

Cheap to construct; the index opens and the model loads on first use. Nothing above this
module (ui/, the CLI) touches `index` internals.
"""

from __future__ import annotations

import hmac
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from index.embedders import Embedder, make_embedder
from index.errors import ReformQAError, UnknownReportError
from index.pipeline import Ingestor, IngestSummary, Progress, remove_report
from index.search import HybridSearcher, SearchFilter, resolve_reports
from index.settings import Settings
from index.statedb import DocRow
from index.store import IndexStore, current_index_dir
from index.types import ChunkRecord, Hit
from index.uploads import source_path, store_upload, uploads_prefix, write_report_meta
from index.vectorstore import VectorStore

if TYPE_CHECKING:
    from assistant.answer_types import Answer, Turn
    from assistant.answering import AnswerEngine
    from assistant.feedback import Feedback
    from assistant.suggestions import Suggester


class Assistant:
    """Ingest, browse, search and ask over the report library."""

    def __init__(
        self,
        settings: Settings | None = None,
        *,
        embedder: Embedder | None = None,
        vectors: VectorStore | None = None,
    ) -> None:
        self.settings = settings or Settings()
        # The one embedder of ingest, search and answering (cheap: the model loads on first use).
        self.embedder = embedder or make_embedder(self.settings)
        self._vectors = vectors
        self._searcher: HybridSearcher | None = None
        self._engine: AnswerEngine | None = None
        self._lock = threading.Lock()
        self._suggester: Suggester | None = None

    # -- shared resources -----------------------------------------------------------------
    @property
    def searcher(self) -> HybridSearcher:
        with self._lock:
            live = current_index_dir(self.settings.data_dir)
            if self._searcher is None or self._searcher.store.path != live:
                # First use, or a rebuild switched the live index: open the new one.
                store = IndexStore.open_current(self.settings, self._vectors)
                self._searcher = HybridSearcher(self.settings, store, self.embedder)
            return self._searcher

    @property
    def engine(self) -> AnswerEngine:
        """The answering engine, given only what it needs (no reference back to this facade)."""
        if self._engine is None:
            from assistant.answering import AnswerEngine

            self._engine = AnswerEngine(
                settings=self.settings,
                search=self.search,
                keyword=lambda: self.searcher.store.keyword().index,
                embedder=lambda: self.embedder,
                docs=self.docs,
                chunks_of=lambda doc_id: self.searcher.store.db.doc_chunks(doc_id),
                check_query=lambda q: self.searcher.check_query(q),
            )
        return self._engine

    # -- library --------------------------------------------------------------------------
    def ingest(
        self,
        paths: Sequence[Path] | None = None,
        *,
        rebuild: bool = False,
        rebuild_stale: bool = False,
        wait: float = 0,
        progress: Progress | None = None,
        on_file: Callable[[str], None] | None = None,
    ) -> IngestSummary:
        ing = Ingestor(self.settings, embedder=self.embedder, vectors=self._vectors, progress=progress, on_file=on_file)
        return ing.run(paths, rebuild=rebuild, rebuild_stale=rebuild_stale, wait=wait)

    def add_report(self, filename: str, data: bytes, meta: Mapping[str, Any] | None = None) -> Path:
        """Store an uploaded report in the upload folder (not yet indexed: call `ingest`),
        with its metadata (title, regions, year, kind) when given."""
        path = store_upload(self.settings, filename, data)
        if meta:
            try:
                write_report_meta(self.settings, uploads_prefix(self.settings) + path.name, meta)
            except ReformQAError:
                path.unlink(missing_ok=True)  # no half-described upload
                raise
        return path

    def set_report_meta(self, doc_id: str, meta: Mapping[str, Any]) -> Path:
        """Write a report's metadata (into the metadata file that describes it); re-index to apply."""
        resolved = self.resolve_report(doc_id)
        rel = next(d.rel for d in self.docs() if d.doc_id == resolved)
        return write_report_meta(self.settings, rel, meta)

    def delete_file(self, rel: str) -> Path | None:
        """Delete a library file that is not indexed (one that failed), and its metadata table."""
        path = source_path(self.settings, rel)
        if path is None or not path.is_file():
            return None
        path.unlink()
        if rel.startswith(uploads_prefix(self.settings)):
            write_report_meta(self.settings, rel, None)
        return path

    def check_admin(self, password: str) -> bool:
        """Constant-time comparison with REFORMQA_ADMIN_PASSWORD; False when none is set."""
        expected = self.settings.admin_password.get_secret_value()
        return bool(expected) and hmac.compare_digest(password.encode(), expected.encode())

    @property
    def admin_enabled(self) -> bool:
        return bool(self.settings.admin_password.get_secret_value())

    def remove(self, doc_id: str) -> None:
        remove_report(self.settings, self.resolve_report(doc_id), vectors=self._vectors)

    def delete_report(self, doc_id: str) -> Path | None:
        """Remove a report from the index and delete its file, so the next ingest does not
        add it back. Returns the deleted file (None if it was already gone)."""
        resolved = self.resolve_report(doc_id)
        rel = next(d.rel for d in self.docs() if d.doc_id == resolved)
        self.remove(resolved)
        return self.delete_file(rel)

    def docs(self) -> list[DocRow]:
        return self.searcher.store.db.docs()

    def resolve_report(self, doc_id: str) -> str:
        return resolve_reports(self.docs(), [doc_id])[0]

    def show(self, doc_id: str) -> tuple[DocRow, str, list[ChunkRecord]]:
        """A report's manifest row, cleaned text and chunks."""
        resolved = self.resolve_report(doc_id)
        db = self.searcher.store.db
        with db.snapshot():  # row, text and chunks of one version, even while an ingest commits
            row = next((d for d in db.docs() if d.doc_id == resolved), None)
            texts = db.doc_text(resolved)
            chunks = db.doc_chunks(resolved)
        if row is None or texts is None:
            raise UnknownReportError(f"report {doc_id!r} vanished from the index; run `reformqa docs`")
        return row, texts[0], chunks

    # -- search and answers ---------------------------------------------------------------
    def search(
        self, query: str, k: int | None = None, flt: SearchFilter | None = None, *, diverse: bool | None = None
    ) -> list[Hit]:
        """Hybrid search; `diverse=None` spreads the hits over reports when the query asks
        across places (哪些地方…, 各地…, 分别…: the question grammar decides)."""
        if diverse is None:
            from assistant.grammar import asks_across

            diverse = asks_across(self.searcher.check_query(query))  # the query as the search reads it
        return self.searcher.search(query, k, flt, diverse=diverse)

    def on_topic(self, answer: Answer) -> bool:
        """Whether the answer's citations speak to the question it answers."""
        return self.engine.on_topic(answer)

    def section_places(self, doc_id: str, section: Sequence[str]) -> tuple[str, ...]:
        """The places a passage (a report and its heading path) speaks for, per section: what
        a citation is labelled with and what a per-section region filter can match."""
        return self.engine.section_places(doc_id, section)

    def ask(
        self,
        question: str,
        history: Sequence[Turn] = (),
        *,
        use_llm: bool | None = None,
        flt: SearchFilter | None = None,
    ) -> Answer:
        return self.engine.ask(question, history, use_llm=use_llm, flt=flt)

    def ask_stream(
        self,
        question: str,
        history: Sequence[Turn] = (),
        *,
        use_llm: bool | None = None,
        flt: SearchFilter | None = None,
    ) -> Iterator[Answer]:
        """Partial answers as they are produced; the last one is final."""
        return self.engine.ask_stream(question, history, use_llm=use_llm, flt=flt)

    # -- feedback and suggested questions (issue 13) ----------------------------------------
    def record_feedback(self, entry_id: str, answer: Answer, vote: str, comment: str = "") -> Feedback:
        """Store 👍/👎 and an optional comment on an answer (`reformqa feedback` lists them)."""
        from assistant.feedback import FeedbackStore

        return FeedbackStore(self.settings.data_dir).record(entry_id, answer, vote, comment)

    def feedback(self) -> list[Feedback]:
        """All feedback on answers, newest first."""
        from assistant.feedback import FeedbackStore

        return FeedbackStore(self.settings.data_dir).list()

    def suggest_questions(self, answer: Answer, limit: int = 3) -> list[str]:
        """Follow-up questions the reports answer (each one checked by asking it)."""
        from assistant.suggestions import Suggester

        if self._suggester is None:
            self._suggester = Suggester(self)
        return self._suggester.suggest(answer, limit)

    @staticmethod
    def absent_terms(query: str, hits: Sequence[Hit]) -> list[str]:
        """Content words of the query that no hit holds (names, terms): `深圳前海` when only 前 matched.

        A space-separated part of the query counts as found when some hit's text holds it
        whole; a longer part (a question) is checked word by word (jieba, two characters or more).
        """
        from index.keyword import tokenize
        from index.textnorm import normalize

        texts = [h.chunk.norm for h in hits]
        matched = {t for h in hits for t in h.matched_terms}
        missing: list[str] = []
        for part in query.split():
            norm = normalize(part)
            if any(norm in t for t in texts):
                continue
            words = [w for w in tokenize(norm) if len(w) >= 2] if len(norm) > 6 else [norm]
            for word in words:
                if word not in matched and not any(word in t for t in texts) and word not in missing:
                    missing.append(word)
        return missing
