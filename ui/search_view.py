"""How search results look: excerpt cards with the matched terms marked (escaped HTML).

Each card says where to cite the excerpt from (`ui.provenance.location_line`) and which
place it is about: the place of its section when the report covers several
(`index.search.section_regions`, the same rule the region filter uses)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from index.search import PROVINCE, section_regions
from index.types import Hit, ReportMeta
from ui.answer_view import section_path
from ui.html import empty, esc, highlight, notice, places, term_spans
from ui.provenance import location_line, of_hit

if TYPE_CHECKING:
    from index.statedb import DocRow


def hit_regions(hit: Hit) -> tuple[str, ...]:
    """The places of the excerpt (its section's, in a report about several places)."""
    return section_regions(hit.record.regions, hit.chunk.section)


def hit_card(hit: Hit, rank: int, meta: ReportMeta | None = None) -> str:
    """One result: title; place and section; the excerpt, terms marked; where to cite it from."""
    c = hit.chunk
    r = hit.record
    marked = highlight(c.text, term_spans(c.norm, hit.matched_terms), cls="rq-term")
    terms = "、".join(hit.matched_terms)
    path = section_path(c.section_path, r.title)
    section = f" <span class='rq-sec'>§ {esc(path)}</span>" if path else ""
    where = location_line(of_hit(hit, meta))
    matched = f"<span class='rq-terms'> · 命中：{esc(terms)}</span>" if terms else ""
    return (
        f"<article class='rq-hit' data-rank='{rank}' data-doc='{esc(c.doc_id)}'>"
        f"<header><span class='rq-badge'>{rank}</span> <strong class='rq-src-title'>{esc(r.title)}</strong></header>"
        f"<div class='rq-hit-where'><span class='rq-place'>{esc(places(hit_regions(hit)))}</span>{section}</div>"
        f"<div class='rq-hit-text'>{marked}</div>"
        f"<footer class='rq-meta-line'><span class='rq-loc'>{esc(where)}</span>"
        f"{matched}</footer></article>"
    )


def absent_notice(absent: Sequence[str]) -> str:
    """Above the results: the query's content words that no result holds."""
    if not absent:
        return ""
    words = "".join(f"“{w}”" for w in absent)
    return notice("warn", f"报告中没有找到{words}；以下结果只部分相关")


def hits_html(
    query: str, hits: Sequence[Hit], absent: Sequence[str] = (), metas: Mapping[str, ReportMeta] | None = None
) -> str:
    """All result cards (after a notice about query words no result holds), or a note that
    nothing matched. `metas`: the reports' metadata by id (source site, dates)."""
    if not query.strip():
        return empty("输入关键词或问题，检索报告原文段落。")
    if not hits:
        return empty(f"没有找到与“{query}”相关的段落。")
    metas = metas or {}
    cards = "".join(hit_card(h, i, metas.get(h.chunk.doc_id)) for i, h in enumerate(hits, 1))
    return f"{absent_notice(absent)}<p class='rq-count'>共 {len(hits)} 条结果</p><div class='rq-hits'>{cards}</div>"


def report_choices(rows: Sequence[DocRow]) -> list[tuple[str, str]]:
    """(label, doc_id) pairs for report pickers."""
    return [(f"{d.meta.title}（{d.doc_id[:12]}）", d.doc_id) for d in rows]


def region_choices(rows: Sequence[DocRow]) -> list[tuple[str, str]]:
    """(label, region) pairs grouped by province: `湖南省`, then `　› 衡阳市` under it.

    A report lists its regions province first (reports.toml), so a region that is not a
    province belongs to the province before it in that list.
    """
    tree: dict[str, set[str]] = {}
    for d in rows:
        province = ""
        for region in d.meta.regions:
            if PROVINCE.match(region):
                province = region
                tree.setdefault(province, set())
            else:
                tree.setdefault(province, set()).add(region)
    choices: list[tuple[str, str]] = []
    for province in sorted(tree, key=lambda p: (p == "", p)):
        if province:
            choices.append((province, province))
        indent = "\u3000› " if province else ""
        choices += [(f"{indent}{city}", city) for city in sorted(tree[province])]
    return choices


def year_choices(rows: Sequence[DocRow]) -> list[int]:
    return sorted({d.meta.year for d in rows if d.meta.year is not None})
