"""Checking an LLM reply against its sources: each cited claim is mapped to the sentence of
the cited source that supports it best, and a sentence is kept only when every clause of it
is in the sources it cites (`assistant.claims`) and it passes the place/year check."""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from assistant.answer_types import Citation
from assistant.claims import ClauseChecker
from assistant.grounding import AnswerConfig, PlaceIndex, Sentence, TermWeights, cite, fits, sentences_of
from assistant.llm_reply import DECLINE, claim_spans, claims_of, parse_markers, span_of_runs, strip_markers
from assistant.prompts import PackedSource
from assistant.question import Question
from index.embedders import Embedder
from index.keyword import KeywordIndex
from index.textnorm import char_bigrams, normalize
from index.types import Hit

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Grounded:
    """An answer text with its markers checked, renumbered and turned into citations."""

    text: str
    citations: tuple[Citation, ...]
    dropped: int
    """Markers dropped: out of range, or standing behind a claim the source does not support."""
    unsupported: int = 0
    """Sentences dropped because their cited sources do not support every clause of them."""
    uncited: int = 0
    """Sentences dropped because they cite no source."""
    sentences: tuple[tuple[str, str], ...] = ()
    """Every sentence of the reply without markers, with what became of it: "kept",
    "unsupported" or "uncited"."""
    offered: tuple[Citation, ...] = ()
    """The source sentences that best match the cited sentences, kept or not (what a
    declining answer offers to read)."""

    def asides(self) -> list[str]:
        """Uncited sentences that say what the sources lack: shown apart, never as the answer."""
        return [t for t, st in self.sentences if st == "uncited" and DECLINE.search(t)]


@dataclass(frozen=True)
class _Support:
    sentence: Sentence
    share: float
    """How much of the claim's content the sentence holds (0–1)."""


@dataclass(frozen=True)
class GroundingParts:
    """What checking a model's citations needs of the index: the embedder (claim ↔ sentence
    similarity), the keyword index (term weights) and the places of the reports."""

    embedder: Embedder
    keyword: KeywordIndex
    places: PlaceIndex


class Grounder:
    """Maps each cited claim to the best-supporting sentence of its source, and drops the
    claims no cited sentence supports (or that fail the place/year check)."""

    def __init__(
        self,
        parts: GroundingParts,
        config: AnswerConfig,
        sources: Sequence[PackedSource],
        question: Question | None = None,
    ) -> None:
        self.parts = parts
        self.sources = sources
        self.config = config
        self.question = question
        self.places = parts.places
        self.clauses = ClauseChecker(parts.keyword, self.places)

    def _sentences(self, hit: Hit) -> list[Sentence]:
        found = sentences_of([hit])
        if found:
            return found
        c = hit.chunk  # a chunk too short to split: cite it whole
        lead = len(c.text) - len(c.text.lstrip())
        body = c.text.strip()
        return [
            Sentence(hit, 0, body, c.norm[lead : lead + len(body)], c.start + lead, c.start + lead + len(body), False)
        ]

    def support(self, refs: Sequence[tuple[str, int]]) -> list[_Support]:
        """For each (claim, source number), the source's sentence that backs the claim best."""
        if not refs:
            return []
        cfg = self.config
        cands = {n: self._sentences(self.sources[n - 1].hit) for n in sorted({n for _, n in refs})}
        embedder = self.parts.embedder
        flat = embedder.embed_documents([s.text for n in cands for s in cands[n]])
        vecs, at = {}, 0
        for n, sents in cands.items():
            vecs[n], at = flat[at : at + len(sents)], at + len(sents)
        claims = list(dict.fromkeys(c for c, _ in refs))
        qvecs = dict(zip(claims, embedder.embed_queries(claims), strict=True))
        out = []
        for claim, n in refs:
            weights, grams = TermWeights(claim, self.parts.keyword), char_bigrams(normalize(claim))
            dense = vecs[n] @ qvecs[claim]
            scores = []
            for s, d in zip(cands[n], dense, strict=True):
                terms = weights.coverage(s.norm)
                share = len(grams & char_bigrams(s.norm)) / len(grams) if grams else 0.0
                scores.append(
                    cfg.w_claim_terms * terms
                    + cfg.w_claim_bigrams * share
                    + cfg.w_claim_dense * float(d)
                    - (cfg.claim_heading_penalty if s.is_heading else 0.0)
                )
            best = int(np.argmax(scores))
            s = cands[n][best]
            grams_s = char_bigrams(s.norm)
            share = max(weights.coverage(s.norm), len(grams & grams_s) / len(grams) if grams else 0.0)
            out.append(_Support(s, share))
        return out

    def _ok(self, sup: _Support) -> bool:
        if sup.share < self.config.min_claim_support:
            return False
        return self.question is None or fits(sup.sentence, self.question, self.places)

    def ground(self, text: str) -> Grounded:
        """Check, renumber and cite every marker run of `text`. A sentence is kept only when
        it cites a source and every clause of it is in the sources it cites (`assistant.claims`);
        uncited sentences are left out too (those saying what the sources lack become asides)."""
        runs = parse_markers(text)
        spans = claim_spans(text)
        valid = [[n for n in run.numbers if 1 <= n <= len(self.sources)] for run in runs]
        capped, budget = [], self.config.max_claims
        for ok in valid:  # a bounded number of claims is checked; markers beyond it are dropped
            capped.append(ok[: max(0, budget)])
            budget -= len(capped[-1])
        refs = [(claim, n) for claim, ok in zip(claims_of(text, runs, spans), capped, strict=True) for n in ok]
        supports = iter(self.support(refs))
        kept = [[sup for sup in (next(supports) for _ in ok) if self._ok(sup)] for ok in capped]
        where = span_of_runs(spans, runs)
        citing = {where[i] for i, ok in enumerate(capped) if ok}
        backed: dict[int, list[Hit]] = {}
        for i, k in enumerate(kept):
            if k:
                backed.setdefault(where[i], []).extend(sup.sentence.hit for sup in k)
        drop = citing - {si for si, hits in backed.items() if not self._gap(text, spans[si], hits)}
        uncited = {si for si in range(len(spans)) if si not in citing}
        gone = drop | uncited
        status = ["unsupported" if si in drop else "uncited" if si in uncited else "kept" for si in range(len(spans))]
        sentences = tuple((strip_markers(text[a:b]).strip(), st) for (a, b), st in zip(spans, status, strict=True))
        offered: dict[tuple[str, int, int], Citation] = {}
        for sup in (sup for k in kept for sup in k):
            self._number(offered, sup.sentence)
        numbering: dict[tuple[str, int, int], Citation] = {}
        out, last, ri = [], 0, 0
        for si, (a, b) in enumerate(spans):
            piece, pos = [], a
            while ri < len(runs) and where[ri] == si:
                run = runs[ri]
                new = [] if si in gone else [self._number(numbering, sup.sentence) for sup in kept[ri]]
                piece += [text[pos : run.start], "".join(f"[{k}]" for k in dict.fromkeys(new))]
                pos, ri = run.end, ri + 1
            piece.append(text[pos:b])
            out.append(text[last:a])
            if si not in gone:
                out.append("".join(piece))
            last = b
        used = sum(len(k) for i, k in enumerate(kept) if where[i] not in gone)
        dropped = sum(len(run.numbers) for run in runs) - used
        body = re.sub(r"\n{3,}", "\n\n", "".join(out)).strip()
        return Grounded(
            body, tuple(numbering.values()), dropped, len(drop), len(uncited), sentences, tuple(offered.values())
        )

    def _gap(self, text: str, span: tuple[int, int], hits: Sequence[Hit]) -> str:
        """Why a clause of the sentence at `span` is not in `hits` ("" when all are)."""
        sentence = strip_markers(text[span[0] : span[1]])
        why = self.clauses.unsupported(sentence, list({h.chunk.id: h for h in hits}.values()))
        if why:
            log.info("LLM sentence dropped: %s", why)
        return why

    @staticmethod
    def _number(numbering: dict[tuple[str, int, int], Citation], s: Sentence) -> int:
        return numbering.setdefault((s.hit.chunk.doc_id, s.start, s.end), cite(len(numbering) + 1, s)).n
