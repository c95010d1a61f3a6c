"""Where an excerpt comes from, as a reader cites it: one typed record and one formatter.

Search result cards, the source view and the exports all print the same location line
(date or year · issuer · 文号 · author · source site · page · file · character span), so a
field the index learns to fill (a page, a detected issuer) appears everywhere once it is set
here. Every slot but the file and span is optional and left out when unknown.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from assistant.answer_types import Citation
    from index.types import Hit, ReportMeta


@dataclass(frozen=True)
class Provenance:
    """An excerpt's report file and span, with what is known about the report's origin."""

    rel: str
    """The report's file under the library (what `reformqa docs` lists)."""
    start: int
    end: int
    """The excerpt's span in the cleaned text that `reformqa show` prints."""
    page: int | None = None
    """1-based page of a PDF or scan, when the index knows it."""
    year: int | None = None
    date: str = ""
    """The report's own date (2020-02-26) when known; shown instead of the year."""
    issuer: str = ""
    """Issuing office of a government document."""
    doc_no: str = ""
    """文号 of a government document."""
    author: str = ""
    site: str = ""
    """The site the copy came from."""


def span_label(start: int, end: int) -> str:
    """Which text a character span counts in: the cleaned text that `reformqa show` prints."""
    return f"清洗后文本第 {start}–{end} 字"


def location_parts(p: Provenance, *, file: bool = True) -> list[str]:
    """The known parts of the location line, most citable first (date, issuer … span)."""
    parts = [p.date or (f"{p.year}年" if p.year else "")]
    parts += [p.issuer, p.doc_no, f"作者：{p.author}" if p.author else "", f"来源：{p.site}" if p.site else ""]
    parts.append(f"第 {p.page} 页" if p.page else "")
    if file:
        parts += [p.rel, span_label(p.start, p.end)]
    return [x for x in parts if x]


def location_line(p: Provenance, *, file: bool = True) -> str:
    """`2020年 · 来源：qiantufanwen.com · 第 3 页 · 001_….txt · 清洗后文本第 10–90 字`."""
    return " · ".join(location_parts(p, file=file))


def of_hit(hit: Hit, meta: ReportMeta | None = None) -> Provenance:
    """A search result's provenance; `meta` (the report's metadata) adds its date, issuer,
    文号 and source site."""
    c, r = hit.chunk, hit.record
    return _with_meta(
        Provenance(rel=r.rel, start=c.start, end=c.end, page=c.page, year=r.year),
        meta,
    )


def of_citation(c: Citation, meta: ReportMeta | None = None) -> Provenance:
    """A citation's provenance; `meta` (the report's metadata) adds its date, issuer, 文号 and
    source site."""
    return _with_meta(Provenance(rel=c.source, start=c.start, end=c.end, page=c.page), meta)


def _with_meta(p: Provenance, meta: ReportMeta | None) -> Provenance:
    if meta is None:
        return p
    return replace(
        p,
        year=p.year if p.year is not None else meta.year,
        date=meta.date,
        issuer=meta.issuer,
        doc_no=meta.doc_number,
        site=meta.source_site,
    )
