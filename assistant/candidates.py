"""Stage 1 of grounding: the candidate sentences of the retrieved passages.

Each hit is cut into its sentences and headings (index.segmentation), each located by its
span in the cleaned report and carrying its frame (the report's title, regions and heading
path: what the sentence is about). Everything after this stage reads `Sentence`s.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from assistant.grammar import ENUM_AFTER_COLON, JUNK
from index.segmentation import segment
from index.textnorm import char_bigrams, normalize
from index.types import Hit


@dataclass(frozen=True)
class Sentence:
    """A candidate answer sentence, located in its report."""

    hit: Hit
    hit_rank: int
    text: str
    norm: str
    start: int
    end: int
    is_heading: bool
    frame: str = ""
    """Normalized title and heading path of its report section: what it is about."""


def sentences_of(hits: Sequence[Hit]) -> list[Sentence]:
    """The sentences and headings of each hit, in reading order, with their report spans."""
    out: list[Sentence] = []
    for rank, hit in enumerate(hits):
        c = hit.chunk
        frame = frame_of(hit)
        for seg in segment(c.text):
            for a, b in _split_lead_in(c.norm, seg.start, seg.end):
                text = c.text[a:b]
                if len(text.strip()) < 4:
                    continue
                out.append(Sentence(hit, rank, text, c.norm[a:b], c.start + a, c.start + b, seg.is_heading, frame))
    return out


def _split_lead_in(norm: str, start: int, end: int) -> list[tuple[int, int]]:
    """A sentence whose list starts after a colon (…主要有:一是行政授权不充分;) is two: the
    lead-in and the first item, so a list answer quotes every item whole and none is lost."""
    m = ENUM_AFTER_COLON.search(norm, start, end)
    if m is None or m.end() - start < 4:
        return [(start, end)]
    return [(start, m.end()), (m.end(), end)]


def frame_of(hit: Hit) -> str:
    return _frame_text(hit.record.title, hit.record.regions, hit.chunk.section)


@lru_cache(maxsize=4096)
def _frame_text(title: str, regions: tuple[str, ...], section: tuple[str, ...]) -> str:
    """Title, regions and heading path: what a passage is about (a report on 河南 may call
    it **市 throughout). Normalized once: the same frames come back in every answer."""
    return normalize(" ".join((title, *regions, *section)))


def context_of(hit: Hit) -> str:
    """A passage with the title and headings that frame it."""
    return f"{frame_of(hit)} {hit.chunk.norm}"


def is_junk(s: Sentence) -> bool:
    """Link, contact and byline lines (作者单位:…) never answer: they name a place or a
    source and nothing else."""
    return bool(JUNK.search(s.norm))


def lead_sentences(hits: Sequence[Hit], n: int) -> list[Sentence]:
    """The first body sentence of each of the first `n` hits (related reading)."""
    out: list[Sentence] = []
    for h in hits[:n]:
        sents = [s for s in sentences_of([h]) if not s.is_heading and not is_junk(s)]
        if sents:
            out.append(sents[0])
    return out


def similar(a: str, b: str, threshold: float = 0.7) -> bool:
    """Near-duplicate sentences (overlapping chunks repeat them): bigram overlap above
    `threshold` (`AnswerConfig.near_duplicate`)."""
    sa, sb = char_bigrams(a), char_bigrams(b)
    return bool(sa and sb) and len(sa & sb) / min(len(sa), len(sb)) > threshold


def dedupe(sentences: Sequence[Sentence]) -> list[Sentence]:
    """Each report span once (overlapping chunks repeat sentences), first occurrence kept."""
    seen: set[tuple[str, int]] = set()
    out = []
    for s in sentences:
        key = (s.hit.chunk.doc_id, s.start)
        if key not in seen:
            seen.add(key)
            out.append(s)
    return out
