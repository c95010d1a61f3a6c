"""How search results look: excerpt cards with the matched terms marked (escaped HTML)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TYPE_CHECKING

from index.types import Hit
from ui.answer_view import section_path, span_label
from ui.html import empty, esc, highlight, notice, places, term_spans

if TYPE_CHECKING:
    from index.statedb import DocRow


def hit_card(hit: Hit, rank: int) -> str:
    c = hit.chunk
    r = hit.record
    marked = highlight(c.text, term_spans(c.norm, hit.matched_terms), cls="rq-term")
    terms = "、".join(hit.matched_terms)
    path = section_path(c.section_path, r.title)
    section = f"<div class='rq-sec'>§ {esc(path)}</div>" if path else ""
    year = f" · {r.year}年" if r.year else ""
    return (
        f"<article class='rq-hit' data-rank='{rank}'>"
        f"<header><span class='rq-badge'>{rank}</span> <strong class='rq-src-title'>{esc(r.title)}</strong>"
        f" <span class='rq-place'>{esc(places(r.regions))}{esc(year)}</span></header>"
        f"{section}<div class='rq-hit-text'>{marked}</div>"
        f"<footer class='rq-meta-line'>{esc(r.rel)} · {span_label(c.start, c.end)}"
        f"{' · 命中：' + esc(terms) if terms else ''}</footer></article>"
    )


def absent_notice(absent: Sequence[str]) -> str:
    """Above the results: the query's content words that no result holds."""
    if not absent:
        return ""
    words = "".join(f"“{w}”" for w in absent)
    return notice("warn", f"报告中没有找到{words}；以下结果只部分相关")


def hits_html(query: str, hits: Sequence[Hit], absent: Sequence[str] = ()) -> str:
    """All result cards (after a notice about query words no result holds), or a note that nothing matched."""
    if not query.strip():
        return empty("输入关键词或问题，检索报告原文段落。")
    if not hits:
        return empty(f"没有找到与“{query}”相关的段落。")
    cards = "".join(hit_card(h, i) for i, h in enumerate(hits, 1))
    return f"{absent_notice(absent)}<p class='rq-count'>共 {len(hits)} 条结果</p><div class='rq-hits'>{cards}</div>"


def report_choices(rows: Sequence[DocRow]) -> list[tuple[str, str]]:
    """(label, doc_id) pairs for report pickers."""
    return [(f"{d.meta.title}（{d.doc_id[:12]}）", d.doc_id) for d in rows]


_PROVINCE = re.compile(r".+(省|自治区|特别行政区)$|^(北京|天津|上海|重庆)市$")


def region_choices(rows: Sequence[DocRow]) -> list[tuple[str, str]]:
    """(label, region) pairs grouped by province: `湖南省`, then `　› 衡阳市` under it.

    A report lists its regions province first (reports.toml), so a region that is not a
    province belongs to the province before it in that list.
    """
    tree: dict[str, set[str]] = {}
    for d in rows:
        province = ""
        for region in d.meta.regions:
            if _PROVINCE.match(region):
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
