"""Hybrid search: dense (E5) + BM25 (jieba), fused by reciprocal rank.

Both retrievers over-fetch (`fetch_k`) before fusion; the query is normalized like the
documents, so a Traditional question finds Simplified text and the other way round.
Near-duplicate chunks collapse into one hit; a caller that wants breadth (`diverse`) gets
the best hit of each report first.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import NamedTuple

import numpy as np

from index.embedders import Embedder, make_embedder
from index.errors import QueryError, UnknownReportError
from index.generations import fingerprint
from index.keyword import KeywordIndex, tokenize
from index.scanning import char_name, invisible_char, shown_name
from index.segmentation import segment
from index.settings import Settings
from index.statedb import DocRow
from index.store import IndexStore, KeywordView
from index.textnorm import normalize
from index.types import Hit


@dataclass(frozen=True)
class SearchFilter:
    """Restrict search to some reports (ids or unique id prefixes), regions or years."""

    reports: tuple[str, ...] = ()
    regions: tuple[str, ...] = ()
    years: tuple[int, ...] = ()

    def is_empty(self) -> bool:
        return not (self.reports or self.regions or self.years)


# A region that is a province (or a city directly under the state); the regions of a report
# list a province before the places inside it (reports.toml).
PROVINCE = re.compile(r".+(省|自治区|特别行政区)$|^(北京|天津|上海|重庆)市$")
_ADMIN_SUFFIX = re.compile(r"(特别行政区|自治区|自治州|自治县|省|市|州|县|区)$")


def _named_in(heading: str, region: str) -> bool:
    """Whether a (normalized) heading names a region, with or without its admin suffix
    (湖南省衡阳市:… names 衡阳市 and 湖南省; 衡阳园区… names 衡阳市)."""
    stem = _ADMIN_SUFFIX.sub("", region)
    return region in heading or (len(stem) >= 2 and stem in heading)


def section_regions(regions: Sequence[str], section: Sequence[str]) -> tuple[str, ...]:
    """The places an excerpt is about: the report's regions that its innermost place-naming
    section heading names, with the province listed before a named place and the places
    listed under a named province; the report's regions when no heading names one. A report
    covering 衡阳 and 绵阳 under two headings has excerpts of 衡阳 (湖南省, 衡阳市) and excerpts
    of 绵阳 (四川省, 绵阳市), not all four places each."""
    norms = [normalize(r) for r in regions]
    parent: list[int | None] = []
    province: int | None = None
    for i, region in enumerate(regions):
        province = i if PROVINCE.match(region) else province
        parent.append(None if province == i else province)
    for heading in reversed(section):
        h = normalize(heading)
        named = {i for i, r in enumerate(norms) if _named_in(h, r)}
        if named:
            keep = named | {p for i in named if (p := parent[i]) is not None}
            keep |= {i for i, p in enumerate(parent) if p in named}
            return tuple(r for i, r in enumerate(regions) if i in keep)
    return tuple(regions)


def _in_regions(wanted: Sequence[str], regions: Sequence[str]) -> bool:
    """Whether any wanted (normalized) region is part of one of the regions (衡阳 of 衡阳市)."""
    return any(w in normalize(r) for w in wanted for r in regions)


def _shingles(text: str) -> set[str]:
    compact = re.sub(r"\s+", "", text)
    return {compact[i : i + 2] for i in range(len(compact) - 1)}


def _overlap(a: set[str], b: set[str]) -> float:
    return len(a & b) / min(len(a), len(b)) if a and b else 0.0


def resolve_reports(docs: Sequence[DocRow], wanted: Sequence[str]) -> list[str]:
    """Report ids from ids, unique id prefixes or source paths; unknown ones raise."""
    out: list[str] = []
    for w in wanted:
        bad = invisible_char(w)
        if bad is not None:  # ingest refuses such names, so no report id holds one (issue 12, 9)
            raise UnknownReportError(
                f"report id '{shown_name(w)}' holds the invisible character {char_name(bad)}, "
                "which no report id has; "
                "`reformqa docs` lists the report ids"
            )
        exact = [d.doc_id for d in docs if w in (d.doc_id, d.rel)]
        prefixed = [d.doc_id for d in docs if d.doc_id.startswith(w) or d.rel.startswith(w)]
        match = exact or prefixed
        if len(match) != 1:
            why = "matches several reports" if match else "is not in the index"
            raise UnknownReportError(f"report {w!r} {why}; `reformqa docs` lists the report ids")
        out.append(match[0])
    return out


class Fused(NamedTuple):
    """One candidate after reciprocal-rank fusion, with the ranks it came from."""

    chunk_id: str
    score: float
    dense_rank: int | None
    keyword_rank: int | None
    dense_score: float | None


class HybridSearcher:
    """Searches the live index. Cheap to construct; the model loads on the first query."""

    def __init__(self, settings: Settings, store: IndexStore | None = None, embedder: Embedder | None = None) -> None:
        self.settings = settings
        self.store = store or IndexStore.open_current(settings)
        # Never query vectors made with another model or chunker: say so and how to fix it.
        self.store.check_fingerprint(fingerprint(settings))
        self.embedder = embedder or make_embedder(settings)  # cheap: the model loads on first use

    def check_query(self, query: str) -> str:
        q = _recover_bytes(query).strip()
        if not q:
            raise QueryError("the query is empty: type a question or some keywords")
        limit = self.settings.search.max_query_chars
        if len(q) > limit:
            raise QueryError(
                f"the query has {len(q):,} characters; the limit is {limit:,} "
                "(setting search.max_query_chars): shorten it to the question itself"
            )
        return q

    def allowed_docs(self, flt: SearchFilter | None) -> list[str] | None:
        if flt is None or flt.is_empty():
            return None
        docs = self.store.db.docs()
        keep = {d.doc_id for d in docs}
        if flt.reports:
            keep &= set(resolve_reports(docs, flt.reports))
        if flt.regions:
            wanted = [normalize(r) for r in flt.regions]
            keep &= {d.doc_id for d in docs if _in_regions(wanted, d.meta.regions)}
        if flt.years:
            keep &= {d.doc_id for d in docs if d.meta.year in flt.years}
        return sorted(keep)

    def search(
        self, query: str, k: int | None = None, flt: SearchFilter | None = None, *, diverse: bool | None = None
    ) -> list[Hit]:
        q = self.check_query(query)
        k = k or self.settings.search.k
        allowed = self.allowed_docs(flt)
        if allowed is not None and not allowed:
            return []
        view = self.store.keyword()
        qnorm = normalize(q)
        tokens = tokenize(qnorm)
        fused = self.fuse(q, tokens, view, allowed)
        depth = max(4 * k, 20, self.settings.search.rerank_depth)
        if flt is not None and flt.regions:
            # Per excerpt, not per report: a report about two places answers for one of them
            # only in the sections about it (the reports' filter above is the coarse cut).
            wanted = [normalize(r) for r in flt.regions]
            records = self.store.db.records([cid for cid, *_ in fused])
            fused = [
                f
                for f in fused
                if f.chunk_id in records
                and _in_regions(wanted, section_regions(records[f.chunk_id].regions, records[f.chunk_id].chunk.section))
            ][:depth]
        else:
            records = self.store.db.records([cid for cid, *_ in fused[:depth]])
        hits = [
            Hit(
                record=records[cid],
                score=s,
                dense_rank=dr,
                keyword_rank=kr,
                dense_score=ds,
                matched_terms=tuple(t for t in dict.fromkeys(tokens) if t in records[cid].chunk.norm),
            )
            for cid, s, dr, kr, ds in fused
            if cid in records
        ]
        hits = self._rerank(hits, tokens, view.index)
        hits = self._collapse(hits)
        # Whether a query wants breadth is the question grammar's call (assistant.grammar),
        # made by the caller: the index only knows how to spread.
        return self._spread(hits, k) if diverse else hits[:k]

    def fuse(self, q: str, tokens: list[str], view: KeywordView, allowed: list[str] | None) -> list[Fused]:
        """Both retrievers' candidates fused by reciprocal rank, best first (ties by chunk id)."""
        cfg = self.settings.search
        mask = np.isin(view.doc_ids, allowed) if allowed is not None else None
        kw = [(view.ids[row], score) for row, score in view.index.top(tokens, cfg.fetch_k, mask)]
        live = view.live  # built once per keyword generation, not per query
        found = self.store.vectors.query(self.embedder.embed_query(normalize(q)), cfg.fetch_k, allowed)
        # Equal similarities in chunk-id order: a store may return ties in any order.
        dense = sorted(
            ((cid, s) for cid, s in found if cid in live),  # vectors of uncommitted or removed chunks are invisible
            key=lambda r: (-r[1], r[0]),
        )
        table: dict[str, list[float | int | None]] = {}
        for rank, (cid, s) in enumerate(dense, 1):
            table.setdefault(cid, [0.0, None, None, None])
            table[cid][0] = float(table[cid][0] or 0) + cfg.dense_weight / (cfg.rrf_k + rank)
            table[cid][1], table[cid][3] = rank, s
        for rank, (cid, _) in enumerate(kw, 1):
            table.setdefault(cid, [0.0, None, None, None])
            table[cid][0] = float(table[cid][0] or 0) + cfg.keyword_weight / (cfg.rrf_k + rank)
            table[cid][2] = rank
        rows = [
            Fused(cid, float(v[0] or 0), _int(v[1]), _int(v[2]), None if v[3] is None else float(v[3]))
            for cid, v in table.items()
        ]
        return sorted(rows, key=lambda r: (-r.score, r.chunk_id))

    def _rerank(self, hits: list[Hit], tokens: list[str], keyword: KeywordIndex) -> list[Hit]:
        """Fuse the ranking once more with each candidate's best single sentence.

        A chunk that answers usually has one sentence holding most of the question's
        terms; one that merely shares the topic spreads them thinly. This is the part of a
        cross-encoder's judgement that needs no model, and it costs a few milliseconds.
        """
        cfg = self.settings.search
        depth = min(cfg.rerank_depth, len(hits))
        if depth < 2 or not cfg.sentence_weight:
            return hits
        weights = {t: keyword.idf(t) * (0.4 if len(t) == 1 else 1.0) for t in dict.fromkeys(tokens)}
        head = hits[:depth]
        best = sorted(range(depth), key=lambda i: (-_best_sentence(head[i].chunk.norm, weights), i))
        score = [1.0 / (cfg.rrf_k + i + 1) for i in range(depth)]
        for rank, i in enumerate(best, 1):
            score[i] += cfg.sentence_weight / (cfg.rrf_k + rank)
        order = sorted(range(depth), key=lambda i: (-score[i], i))  # ties keep the fused order
        # Scores stay above every un-reranked hit's, so the order is the same for all consumers.
        floor = hits[depth].score if len(hits) > depth else 0.0
        top = [replace(head[i], score=floor + score[i]) for i in order]
        return top + hits[depth:]

    def _collapse(self, hits: list[Hit]) -> list[Hit]:
        """Keep the best of near-duplicate chunks (repeated passages within or across reports)."""
        kept: list[tuple[Hit, set[str]]] = []
        for hit in hits:
            sh = _shingles(hit.chunk.norm)
            if all(_overlap(sh, other) < self.settings.search.dedup_threshold for _, other in kept):
                kept.append((hit, sh))
        return [h for h, _ in kept]

    @staticmethod
    def _spread(hits: list[Hit], k: int) -> list[Hit]:
        """Best hit of each report first (in score order), then the rest by score."""
        firsts: dict[str, Hit] = {}
        for h in hits[: 3 * k]:
            firsts.setdefault(h.chunk.doc_id, h)
        chosen = list(firsts.values())[:k]
        rest = [h for h in hits if h not in chosen]
        position = {id(h): n for n, h in enumerate(hits)}
        # Ties keep the incoming (already tie-broken) order, not the order they were chosen in.
        return sorted(chosen + rest[: max(0, k - len(chosen))], key=lambda h: (-h.score, position[id(h)]))


@lru_cache(maxsize=8192)
def _sentences(norm: str) -> tuple[str, ...]:
    return tuple(norm[s.start : s.end] for s in segment(norm))


def _best_sentence(norm: str, weights: dict[str, float]) -> float:
    """The largest share of the query's term weight that one sentence of `norm` holds."""
    total = sum(weights.values())
    if not total:
        return 0.0
    return max((sum(w for t, w in weights.items() if t in s) / total for s in _sentences(norm)), default=0.0)


def _recover_bytes(query: str) -> str:
    """A query typed in a GBK terminal reaches Python as undecodable bytes (lone surrogates)."""
    if not any("\udc80" <= ch <= "\udcff" for ch in query):
        return query
    raw = query.encode("utf-8", "surrogateescape")
    for codec in ("gb18030", "big5"):
        try:
            return raw.decode(codec)
        except UnicodeDecodeError:
            continue
    raise QueryError("the query is not valid text in UTF-8, GB18030 or Big5: retype it or set a UTF-8 terminal")


def _int(v: float | int | None) -> int | None:
    return None if v is None else int(v)
