"""The manifest: reports, chunks and index metadata in one SQLite database.

This database is the source of truth of what is indexed. An ingest commits all its
changes in one transaction, after the vectors and the keyword index for the new state
are already written, so a crash leaves either the old state or the new one. Vectors in
the vector store that no committed chunk references are invisible to search and are
garbage-collected by the next ingest.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from index.types import Chunk, ChunkRecord, CleanDocument, ReportMeta

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS docs (
    doc_id TEXT PRIMARY KEY, rel TEXT NOT NULL, sha256 TEXT NOT NULL,
    content_hash TEXT NOT NULL, meta TEXT NOT NULL, text TEXT NOT NULL, norm TEXT NOT NULL,
    notes TEXT NOT NULL, n_chunks INTEGER NOT NULL,
    pages TEXT NOT NULL DEFAULT '[]', ocr_pages TEXT NOT NULL DEFAULT '[]'
);
CREATE TABLE IF NOT EXISTS chunks (
    id TEXT PRIMARY KEY, doc_id TEXT NOT NULL, seq INTEGER NOT NULL, start INTEGER NOT NULL,
    "end" INTEGER NOT NULL, section TEXT NOT NULL, n_tokens INTEGER NOT NULL,
    text TEXT NOT NULL, norm TEXT NOT NULL, tokens TEXT NOT NULL, kw_row INTEGER NOT NULL,
    pages TEXT NOT NULL DEFAULT '[]'
);
CREATE INDEX IF NOT EXISTS chunks_doc ON chunks(doc_id, seq);
CREATE INDEX IF NOT EXISTS chunks_row ON chunks(kw_row);
CREATE TABLE IF NOT EXISTS rejected (key TEXT PRIMARY KEY, rel TEXT NOT NULL, reason TEXT NOT NULL);
"""
# Columns added since the first schema, for databases made before them (`_migrate`):
# a report's page starts and OCR pages, a chunk's pages. Empty means "no pages".
_ADDED_COLUMNS = (
    ("docs", "pages", "TEXT NOT NULL DEFAULT '[]'"),
    ("docs", "ocr_pages", "TEXT NOT NULL DEFAULT '[]'"),
    ("chunks", "pages", "TEXT NOT NULL DEFAULT '[]'"),
)
# `rejected` remembers files that could not be indexed, by content hash and limits, so a
# 45 MB file refused once is not read again on every ingest. It is a cache beside the
# index state, written outside the ingest's commit: losing it only costs a re-read.


@dataclass(frozen=True)
class DocRow:
    """A report as recorded in the manifest."""

    doc_id: str
    rel: str
    sha256: str
    content_hash: str
    meta: ReportMeta
    n_chunks: int
    notes: tuple[str, ...]
    page_starts: tuple[int, ...] = ()
    """Where each page begins in the cleaned text (empty: a format without pages)."""
    ocr_pages: tuple[int, ...] = ()
    """Pages whose text was read by OCR."""


@dataclass(frozen=True)
class ChunkRow:
    """Where a chunk sits: its report, position, span, keyword-index row and text."""

    id: str
    doc_id: str
    seq: int
    start: int
    end: int
    kw_row: int
    text: str


def _meta_json(meta: ReportMeta) -> str:
    return json.dumps(
        {
            "title": meta.title,
            "regions": list(meta.regions),
            "year": meta.year,
            "kind": meta.kind,
            "script": meta.script,
            "source_site": meta.source_site,
            "issuer": meta.issuer,
            "doc_number": meta.doc_number,
            "date": meta.date,
            "detected": list(meta.detected),
            "explicit": list(meta.explicit),
        },
        ensure_ascii=False,
    )


def _meta_from(blob: str) -> ReportMeta:
    d = json.loads(blob)
    return ReportMeta(
        title=d["title"],
        regions=tuple(d["regions"]),
        year=d["year"],
        kind=d["kind"],
        script=d["script"],
        source_site=d["source_site"],
        # Rows written before metadata detection have none of these.
        issuer=d.get("issuer", ""),
        doc_number=d.get("doc_number", ""),
        date=d.get("date", ""),
        detected=tuple(d.get("detected", ())),
        explicit=tuple(d.get("explicit", ())),
    )


class StateDB:
    """Thread-safe access to the manifest database (WAL: readers never block the writer)."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._conn = sqlite3.connect(path, check_same_thread=False, timeout=30, isolation_level=None)
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.execute("PRAGMA synchronous=NORMAL")
        self._conn.executescript(SCHEMA)
        self._migrate()
        self._lock = threading.RLock()

    def _migrate(self) -> None:
        """Add the columns a database made by an older version lacks (their defaults say
        "no pages": such an index was built before pages were recorded)."""
        for table, column, decl in _ADDED_COLUMNS:
            have = {str(r[1]) for r in self._conn.execute(f"PRAGMA table_info({table})")}
            if column not in have:
                self._conn.execute(f"ALTER TABLE {table} ADD COLUMN {column} {decl}")

    def close(self) -> None:
        self._conn.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield self._conn
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("COMMIT")

    @contextmanager
    def snapshot(self) -> Iterator[None]:
        """Reads inside the block all see one committed state, even while an ingest commits.

        A WAL read transaction: it never blocks the writer, and the writer never changes
        what it sees. Without it, two reads can straddle a commit (a generation number from
        before it, the chunk layout from after).
        """
        with self._lock:
            self._conn.execute("BEGIN DEFERRED")
            try:
                yield
            finally:
                self._conn.execute("COMMIT")

    def _query(self, sql: str, args: Sequence[object] = ()) -> list[tuple[object, ...]]:
        with self._lock:
            return list(self._conn.execute(sql, args).fetchall())

    # -- meta ---------------------------------------------------------------------------
    def get_meta(self, key: str) -> str | None:
        rows = self._query("SELECT value FROM meta WHERE key=?", (key,))
        return str(rows[0][0]) if rows else None

    @staticmethod
    def set_meta(conn: sqlite3.Connection, key: str, value: str) -> None:
        conn.execute("INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)", (key, value))

    # -- rejected files -----------------------------------------------------------------
    def rejected_reason(self, key: str) -> str | None:
        """Why the content under `key` was refused before (None: never refused)."""
        rows = self._query("SELECT reason FROM rejected WHERE key=?", (key,))
        return str(rows[0][0]) if rows else None

    def remember_rejected(self, key: str, rel: str, reason: str) -> None:
        with self.transaction() as conn:
            conn.execute("INSERT OR REPLACE INTO rejected(key, rel, reason) VALUES (?, ?, ?)", (key, rel, reason))

    # -- docs ---------------------------------------------------------------------------
    def docs(self) -> list[DocRow]:
        rows = self._query(
            "SELECT doc_id, rel, sha256, content_hash, meta, n_chunks, notes, pages, ocr_pages FROM docs ORDER BY rel"
        )
        return [
            DocRow(
                str(r[0]),
                str(r[1]),
                str(r[2]),
                str(r[3]),
                _meta_from(str(r[4])),
                int(str(r[5])),
                tuple(json.loads(str(r[6]))),
                tuple(json.loads(str(r[7]))),
                tuple(json.loads(str(r[8]))),
            )
            for r in rows
        ]

    def doc_text(self, doc_id: str) -> tuple[str, str] | None:
        rows = self._query("SELECT text, norm FROM docs WHERE doc_id=?", (doc_id,))
        return (str(rows[0][0]), str(rows[0][1])) if rows else None

    @staticmethod
    def put_doc(conn: sqlite3.Connection, doc: CleanDocument, sha256: str, n_chunks: int) -> None:
        conn.execute(
            "INSERT OR REPLACE INTO docs (doc_id, rel, sha256, content_hash, meta, text, norm, notes, n_chunks, "
            "pages, ocr_pages) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
            (
                doc.doc_id,
                doc.rel,
                sha256,
                doc.content_hash,
                _meta_json(doc.meta),
                doc.text,
                doc.norm,
                json.dumps(list(doc.notes), ensure_ascii=False),
                n_chunks,
                json.dumps(list(doc.page_starts)),
                json.dumps(list(doc.ocr_pages)),
            ),
        )

    @staticmethod
    def delete_doc(conn: sqlite3.Connection, doc_id: str) -> None:
        conn.execute("DELETE FROM docs WHERE doc_id=?", (doc_id,))
        conn.execute("DELETE FROM chunks WHERE doc_id=?", (doc_id,))

    # -- chunks -------------------------------------------------------------------------
    @staticmethod
    def put_chunks(conn: sqlite3.Connection, chunks: Iterable[tuple[Chunk, list[str]]]) -> None:
        conn.executemany(
            'INSERT OR REPLACE INTO chunks (id, doc_id, seq, start, "end", section, n_tokens, text, norm, tokens, '
            "kw_row, pages) VALUES (?,?,?,?,?,?,?,?,?,?,-1,?)",
            [
                (
                    c.id,
                    c.doc_id,
                    c.seq,
                    c.start,
                    c.end,
                    json.dumps(list(c.section), ensure_ascii=False),
                    c.n_tokens,
                    c.text,
                    c.norm,
                    " ".join(toks),
                    json.dumps([list(p) for p in c.pages]),
                )
                for c, toks in chunks
            ],
        )

    @staticmethod
    def set_rows(conn: sqlite3.Connection, ids: Sequence[str]) -> None:
        conn.executemany("UPDATE chunks SET kw_row=? WHERE id=?", [(i, cid) for i, cid in enumerate(ids)])

    def all_chunk_tokens(self) -> list[tuple[str, str, list[str]]]:
        """(id, doc_id, tokens) of every chunk, in report/sequence order."""
        rows = self._query("SELECT id, doc_id, tokens FROM chunks ORDER BY doc_id, seq")
        return [(str(r[0]), str(r[1]), str(r[2]).split(" ") if r[2] else []) for r in rows]

    def row_layout(self) -> list[tuple[str, str]]:
        """(id, doc_id) ordered by keyword-index row."""
        rows = self._query("SELECT id, doc_id FROM chunks ORDER BY kw_row")
        return [(str(r[0]), str(r[1])) for r in rows]

    def chunk_ids(self) -> set[str]:
        return {str(r[0]) for r in self._query("SELECT id FROM chunks")}

    def chunk_rows(self) -> list[ChunkRow]:
        """Every chunk's placement, in report/sequence order: for consistency checks."""
        rows = self._query('SELECT id, doc_id, seq, start, "end", kw_row, text FROM chunks ORDER BY doc_id, seq')
        return [
            ChunkRow(str(r[0]), str(r[1]), int(str(r[2])), int(str(r[3])), int(str(r[4])), int(str(r[5])), str(r[6]))
            for r in rows
        ]

    def records(self, ids: Sequence[str]) -> dict[str, ChunkRecord]:
        """Chunk records (with report title, source, regions) by id."""
        if not ids:
            return {}
        out: dict[str, ChunkRecord] = {}
        with self.snapshot():  # several batches still read one committed state
            for start in range(0, len(ids), 500):
                part = list(ids[start : start + 500])
                marks = ",".join("?" * len(part))
                rows = self._query(
                    f'SELECT c.id, c.doc_id, c.seq, c.start, c."end", c.section, c.n_tokens, c.text, '
                    f"c.norm, d.rel, d.meta, c.pages FROM chunks c JOIN docs d ON c.doc_id=d.doc_id "
                    f"WHERE c.id IN ({marks})",
                    part,
                )
                for r in rows:
                    out[str(r[0])] = self._record(r)
        return out

    def doc_chunks(self, doc_id: str) -> list[ChunkRecord]:
        rows = self._query(
            'SELECT c.id, c.doc_id, c.seq, c.start, c."end", c.section, c.n_tokens, c.text, c.norm, '
            "d.rel, d.meta, c.pages FROM chunks c JOIN docs d ON c.doc_id=d.doc_id WHERE c.doc_id=? ORDER BY c.seq",
            (doc_id,),
        )
        return [self._record(r) for r in rows]

    @staticmethod
    def _record(r: tuple[object, ...]) -> ChunkRecord:
        meta = _meta_from(str(r[10]))
        chunk = Chunk(
            id=str(r[0]),
            doc_id=str(r[1]),
            seq=int(str(r[2])),
            start=int(str(r[3])),
            end=int(str(r[4])),
            section=tuple(json.loads(str(r[5]))),
            n_tokens=int(str(r[6])),
            text=str(r[7]),
            norm=str(r[8]),
            pages=tuple((int(a), int(b)) for a, b in json.loads(str(r[11]))),
        )
        return ChunkRecord(chunk=chunk, title=meta.title, rel=str(r[9]), regions=meta.regions, year=meta.year)
