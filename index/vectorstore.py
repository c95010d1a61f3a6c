"""Vector stores: Chroma (embedded `PersistentClient` or a server via `HttpClient`) and an
in-memory fake with the same behaviour for unit tests.

Ids are chunk content hashes; vectors are always supplied by our embedder (Chroma's
default embedding function would download a model).
"""

from __future__ import annotations

import contextlib
import os
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import numpy as np

from index.errors import VectorsMissingError
from index.types import Vectors

os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")

Metadata = Mapping[str, str | int | float | bool]
_BATCH = 1000


class VectorStore(ABC):
    """Stores chunk vectors by id; answers nearest-neighbour queries."""

    @abstractmethod
    def add(self, ids: Sequence[str], vectors: Vectors, texts: Sequence[str], metas: Sequence[Metadata]) -> None: ...

    @abstractmethod
    def delete(self, ids: Sequence[str]) -> None: ...

    @abstractmethod
    def existing(self, ids: Sequence[str]) -> set[str]: ...

    @abstractmethod
    def all_ids(self) -> set[str]: ...

    @abstractmethod
    def query(self, vector: Vectors, k: int, doc_ids: Sequence[str] | None = None) -> list[tuple[str, float]]:
        """(id, cosine similarity) best first, optionally only chunks of these reports."""

    def refresh(self) -> None:  # noqa: B027 - optional hook; most stores need nothing
        """Drop cached state so that writes of another process become visible."""

    @abstractmethod
    def drop(self) -> None:
        """Delete every vector and the store itself (a rebuilt index replaced this one)."""


class MemoryVectorStore(VectorStore):
    """Brute-force cosine search in memory: the deterministic fake."""

    def __init__(self) -> None:
        self._vecs: dict[str, Vectors] = {}
        self._doc: dict[str, str] = {}

    def add(self, ids: Sequence[str], vectors: Vectors, texts: Sequence[str], metas: Sequence[Metadata]) -> None:
        for cid, vec, meta in zip(ids, vectors, metas, strict=True):
            self._vecs[cid] = vec
            self._doc[cid] = str(meta.get("doc_id", ""))

    def delete(self, ids: Sequence[str]) -> None:
        for cid in ids:
            self._vecs.pop(cid, None)
            self._doc.pop(cid, None)

    def existing(self, ids: Sequence[str]) -> set[str]:
        return {i for i in ids if i in self._vecs}

    def all_ids(self) -> set[str]:
        return set(self._vecs)

    def query(self, vector: Vectors, k: int, doc_ids: Sequence[str] | None = None) -> list[tuple[str, float]]:
        allowed = set(doc_ids) if doc_ids is not None else None
        scored = [
            (cid, float(np.dot(vec, vector)))
            for cid, vec in self._vecs.items()
            if allowed is None or self._doc[cid] in allowed
        ]
        return sorted(scored, key=lambda x: (-x[1], x[0]))[:k]

    def drop(self) -> None:
        self._vecs.clear()
        self._doc.clear()


_SETTLE_TRIES = 4
"""Queries asked in all when a concurrent ingest removed a vector mid-query (see
ChromaVectorStore._query_settled); the waits add up to half a second at most."""


class ChromaVectorStore(VectorStore):
    """A Chroma collection, embedded on disk or on a server (`url`).

    Only a writer (`create=True`, i.e. ingest) creates the collection. A reader whose
    collection is missing gets `VectorsMissingError`, not a new empty collection: on a
    server that means its copy of the data dir is older than a rebuild, and answering from
    an empty dense index would silently halve retrieval.
    """

    def __init__(self, collection: str, *, path: Path | None = None, url: str = "", create: bool = False) -> None:
        self._name = collection
        self._path = path
        self._url = url
        self._create = create
        self._lock = threading.Lock()
        self._col: Any = None

    def _client(self) -> Any:
        import chromadb
        from chromadb.config import Settings as ChromaSettings

        settings = ChromaSettings(anonymized_telemetry=False, allow_reset=False)
        if self._url:
            u = urlparse(self._url)
            return chromadb.HttpClient(
                host=u.hostname or "127.0.0.1", port=u.port or 8000, ssl=u.scheme == "https", settings=settings
            )
        assert self._path is not None
        self._path.mkdir(parents=True, exist_ok=True)
        return chromadb.PersistentClient(path=str(self._path), settings=settings)

    def _collection(self) -> Any:
        with self._lock:
            if self._col is None:
                client = self._client()
                if self._create:
                    self._col = client.get_or_create_collection(
                        self._name, embedding_function=None, configuration={"hnsw": {"space": "cosine"}}
                    )
                else:
                    self._col = self._open(client)
            return self._col

    def _open(self, client: Any) -> Any:
        from chromadb.errors import NotFoundError

        try:
            return client.get_collection(self._name, embedding_function=None)
        except (NotFoundError, ValueError) as exc:  # ValueError: older chromadb clients
            where = f"the Chroma server at {self._url}" if self._url else f"{self._path}"
            raise VectorsMissingError(
                f"the vector collection {self._name!r} is missing from {where}. If this is a replica, "
                "its copy of the data dir predates a rebuild: copy the indexer's current index again "
                "(docs/DEPLOY.md). Otherwise run `reformqa ingest --rebuild`."
            ) from exc

    def refresh(self) -> None:
        if self._url:
            return  # a server is always current
        with self._lock:
            self._col = None
            from chromadb.api.client import SharedSystemClient  # type: ignore[attr-defined]

            SharedSystemClient.clear_system_cache()

    def add(self, ids: Sequence[str], vectors: Vectors, texts: Sequence[str], metas: Sequence[Metadata]) -> None:
        col = self._collection()
        for s in range(0, len(ids), _BATCH):
            col.upsert(
                ids=list(ids[s : s + _BATCH]),
                embeddings=np.asarray(vectors[s : s + _BATCH]),
                documents=list(texts[s : s + _BATCH]),
                metadatas=[dict(m) for m in metas[s : s + _BATCH]],
            )

    def delete(self, ids: Sequence[str]) -> None:
        col = self._collection()
        for s in range(0, len(ids), _BATCH):
            col.delete(ids=list(ids[s : s + _BATCH]))

    def existing(self, ids: Sequence[str]) -> set[str]:
        col = self._collection()
        found: set[str] = set()
        for s in range(0, len(ids), _BATCH):
            found.update(col.get(ids=list(ids[s : s + _BATCH]), include=[])["ids"])
        return found

    def all_ids(self) -> set[str]:
        col = self._collection()
        out: set[str] = set()
        offset = 0
        while True:
            got = col.get(include=[], limit=5000, offset=offset)["ids"]
            out.update(got)
            if len(got) < 5000:
                return out
            offset += len(got)

    def query(self, vector: Vectors, k: int, doc_ids: Sequence[str] | None = None) -> list[tuple[str, float]]:
        from chromadb.errors import NotFoundError

        where = {"doc_id": {"$in": list(doc_ids)}} if doc_ids else None
        if doc_ids is not None and not doc_ids:
            return []
        args: dict[str, Any] = {"query_embeddings": np.asarray([vector]), "n_results": k, "where": where}
        try:
            res = self._query_settled(args)
        except NotFoundError:
            # Deleted since we opened it (a rebuild elsewhere): open again, which says why.
            with self._lock:
                self._col = None
            res = self._query_settled(args)
        return [(cid, 1.0 - float(d)) for cid, d in zip(res["ids"][0], res["distances"][0], strict=True)]

    def _query_settled(self, args: dict[str, Any]) -> Any:
        """One query; asked again when an ingest deleted a matched vector mid-query.

        Chroma's embedded store can find an id in its in-memory vector index whose record
        an in-place ingest in another process just removed ("Error finding id"): the
        index is reloaded (`refresh`) and the query sees the settled state (old or new,
        never half), which is what readers are promised.
        """
        from chromadb.errors import InternalError

        for attempt in range(_SETTLE_TRIES):
            try:
                return self._collection().query(**args, include=["distances"])
            except InternalError as exc:
                if "finding id" not in str(exc) or attempt == _SETTLE_TRIES - 1:
                    raise
                self.refresh()
                time.sleep(0.05 * attempt)
        raise AssertionError("unreachable")

    def drop(self) -> None:
        """Delete the whole collection (a rebuilt index replaced this one)."""
        with self._lock:
            with contextlib.suppress(Exception):  # already gone is fine
                self._client().delete_collection(self._name)
            self._col = None
