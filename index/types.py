"""Typed objects that flow between the indexing stages.

SourceFile -> LoadedText -> CleanDocument -> Chunk -> (stored) -> Hit.
All are frozen dataclasses: stages build new objects, they never mutate inputs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import numpy.typing as npt

Vectors = npt.NDArray[np.float32]
"""Embeddings: one L2-normalized float32 row per text, or a single (dim,) vector."""


@dataclass(frozen=True)
class SourceFile:
    """A report file found under the corpus root."""

    path: Path
    """Absolute path on disk."""
    rel: str
    """Path relative to the corpus root, POSIX separators (shown to users as `source`)."""
    sha256: str
    size: int


@dataclass(frozen=True)
class PageLine:
    """One line of text as it sits on a page (a PDF text line or an OCR line).

    Coordinates are in points (1/72 inch) with the origin at the page's top-left corner,
    so `top < bottom`. Layout reading (line joins, headers/footers, columns, tables) works
    on these, whatever produced them.
    """

    text: str
    x0: float
    top: float
    x1: float
    bottom: float
    size: float
    """Font size in points (for OCR: the line's height)."""


@dataclass(frozen=True)
class Rule:
    """A thin line drawn on a page (a table's border or grid line), same coordinates as `PageLine`."""

    x0: float
    top: float
    x1: float
    bottom: float

    @property
    def vertical(self) -> bool:
        return self.bottom - self.top > self.x1 - self.x0


@dataclass(frozen=True)
class PageLines:
    """The lines of one page, in the order the source gave them."""

    number: int
    """1-based page number."""
    width: float
    height: float
    lines: tuple[PageLine, ...]
    ocr: bool = False
    """True when the lines were read by OCR (the page had no text layer, or was an image)."""
    rules: tuple[Rule, ...] = ()
    """Thin lines drawn on the page (a PDF's table grid); empty for OCR. `index.layout` reads
    a table's cells and rows from them."""


@dataclass(frozen=True)
class LoadedText:
    """The raw text of one file, decoded, before cleaning."""

    rel: str
    text: str
    encoding: str
    """The detected encoding (`utf-8`, `gb18030`, `big5`, `utf-16`, ...) or the format (`docx`, `pdf`)."""
    fmt: str
    """One of `txt`, `md`, `html`, `docx`, `pdf` (and image formats read by OCR)."""
    notes: tuple[str, ...] = ()
    """What reading noticed (e.g. bytes that were not text, replaced), for the ingest summary."""
    page_starts: tuple[int, ...] = ()
    """For paged formats (PDF, images): the offset in `text` where each page begins (the first
    is 0), one per page; empty for formats without pages."""
    ocr_pages: tuple[int, ...] = ()
    """1-based numbers of the pages whose text was read by OCR."""
    title_lines: tuple[str, ...] = ()
    """Title candidates the layout offers, best first: a meaningful document Title property,
    then the largest-font lines of the first page, in reading order (metadata detection);
    for a web page its title meta, <title> and <h1>."""
    stated_date: str = ""
    """A date the file states about itself outside its text, as written (a web page's
    publication date meta); metadata detection uses it when the text gives none."""


@dataclass(frozen=True)
class ReportMeta:
    """Human metadata for a report (from corpus/reports.toml or guessed from the text)."""

    title: str
    regions: tuple[str, ...] = ()
    year: int | None = None
    kind: str = ""
    """research report / survey / news article / case collection."""
    script: str = ""
    """`zh-Hans` or `zh-Hant`."""
    source_site: str = ""
    issuer: str = ""
    """The issuing body (发文机关), e.g. `国家发展改革委办公厅、税务总局办公厅`."""
    doc_number: str = ""
    """The document's 文号, e.g. `发改办财金规〔2019〕860号`."""
    date: str = ""
    """The date the document states for itself (signature or issue date), `YYYY-MM-DD`."""
    detected: tuple[str, ...] = ()
    """Names of the fields found in the text (index.docmeta) rather than given by hand."""
    explicit: tuple[str, ...] = ()
    """Fields given by hand as empty on purpose (`regions = []`): detection leaves them empty."""


@dataclass(frozen=True)
class CleanDocument:
    """A report after cleaning: what is shown (`text`) and what is searched (`norm`).

    `norm` is the Simplified-Chinese normalized form of `text` and has exactly the same
    length, so a character span locates a quote in both.
    """

    doc_id: str
    rel: str
    text: str
    norm: str
    meta: ReportMeta
    content_hash: str
    """Hash of the source bytes plus its metadata: a change re-indexes the report."""
    notes: tuple[str, ...] = ()
    """What cleaning removed or noticed, for the ingest summary."""
    page_starts: tuple[int, ...] = ()
    """For paged formats: the offset in `text` where each page begins (`index.pages`)."""
    ocr_pages: tuple[int, ...] = ()
    """1-based numbers of the pages whose text was read by OCR."""


@dataclass(frozen=True)
class Chunk:
    """A contiguous span of a cleaned report, cut at sentence boundaries."""

    id: str
    """Content hash: doc id + section path + embedded text."""
    doc_id: str
    seq: int
    """Position of the chunk in its report (0-based)."""
    text: str
    """The chunk in the report's own script (== CleanDocument.text[start:end])."""
    norm: str
    """The same span of CleanDocument.norm."""
    section: tuple[str, ...]
    """Heading path, outermost first."""
    start: int
    end: int
    n_tokens: int
    """cl100k_base token count of `text`."""
    pages: tuple[tuple[int, int], ...] = ()
    """(offset in the report, page) of the page the chunk starts on and of each page that
    begins inside it; empty for formats without pages. Not part of the id."""

    @property
    def section_path(self) -> str:
        return " › ".join(self.section)

    @property
    def page(self) -> int | None:
        """The page the chunk starts on (None without pages)."""
        return self.pages[0][1] if self.pages else None

    def page_at(self, offset: int) -> int | None:
        """The page of an offset in the report that falls inside this chunk (a quote may
        start on a later page than its chunk)."""
        found = None
        for start, page in self.pages:
            if start > offset:
                break
            found = page
        return found if found is not None else self.page

    @property
    def last_page(self) -> int | None:
        return self.pages[-1][1] if self.pages else None


@dataclass(frozen=True)
class ChunkRecord:
    """A chunk as stored in the index, with the report fields search results need."""

    chunk: Chunk
    title: str
    rel: str
    regions: tuple[str, ...] = ()
    year: int | None = None


@dataclass(frozen=True)
class Hit:
    """One search result."""

    record: ChunkRecord
    score: float
    """Fused score (reciprocal-rank fusion); higher is better. Only comparable within one query."""
    dense_rank: int | None = None
    keyword_rank: int | None = None
    dense_score: float | None = None
    matched_terms: tuple[str, ...] = field(default=())

    @property
    def chunk(self) -> Chunk:
        return self.record.chunk
