"""How search results look: excerpt cards with the matched terms marked (escaped HTML)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from index.types import Hit
from ui.html import empty, esc, highlight, places, term_spans

if TYPE_CHECKING:
    from index.statedb import DocRow


def hit_card(hit: Hit, rank: int) -> str:
    c = hit.chunk
    r = hit.record
    marked = highlight(c.text, term_spans(c.norm, hit.matched_terms), cls="rq-term")
    terms = "、".join(hit.matched_terms)
    section = f"<div class='rq-sec'>§ {esc(c.section_path)}</div>" if c.section_path else ""
    year = f" · {r.year}年" if r.year else ""
    return (
        f"<article class='rq-hit' data-rank='{rank}'>"
        f"<header><span class='rq-badge'>{rank}</span> <strong class='rq-src-title'>{esc(r.title)}</strong>"
        f" <span class='rq-place'>{esc(places(r.regions))}{esc(year)}</span></header>"
        f"{section}<div class='rq-hit-text'>{marked}</div>"
        f"<footer class='rq-meta-line'>{esc(r.rel)} · 字符 {c.start}–{c.end}"
        f"{' · 命中：' + esc(terms) if terms else ''}</footer></article>"
    )


def hits_html(query: str, hits: Sequence[Hit]) -> str:
    """All result cards, or a note that nothing matched."""
    if not query.strip():
        return empty("输入关键词或问题，检索报告原文段落。")
    if not hits:
        return empty(f"没有找到与“{query}”相关的段落。")
    cards = "".join(hit_card(h, i) for i, h in enumerate(hits, 1))
    return f"<p class='rq-count'>共 {len(hits)} 条结果</p><div class='rq-hits'>{cards}</div>"


def report_choices(rows: Sequence[DocRow]) -> list[tuple[str, str]]:
    """(label, doc_id) pairs for report pickers."""
    return [(f"{d.meta.title}（{d.doc_id[:12]}）", d.doc_id) for d in rows]


def region_choices(rows: Sequence[DocRow]) -> list[str]:
    return sorted({r for d in rows for r in d.meta.regions})


def year_choices(rows: Sequence[DocRow]) -> list[int]:
    return sorted({d.meta.year for d in rows if d.meta.year is not None})
