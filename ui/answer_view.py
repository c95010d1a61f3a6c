"""How an `Answer` looks: its blocks with inline [n] citations, one list of sources, the source view.

All text from reports and models is escaped (see `ui.html`); the only markup is ours. A
marker `[n]` becomes a button (click: the source view; hover or tap: the quote) only when n
is one of the answer's citations; any other bracket stays text.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from assistant.answer_types import Answer, AnswerBlock, Citation
from index.errors import UnknownReportError
from index.types import ReportMeta
from ui.html import empty, esc, highlight, notice, places
from ui.locale import REPORT_GONE, user_error
from ui.provenance import location_line, of_citation

_MARKER = re.compile(r"\[(\d+)\]")
_CITED_RUN = re.compile(r"[^\n]*?(?:\[\d+\])+|[^\n]+")
DECLINED_TITLE = "报告中没有找到答案"
RELATED_TITLE = "相关段落（不是答案，仅供参考）"
POP_QUOTE_CHARS = 140


def references(answer: Answer) -> tuple[Citation, ...]:
    """The sources an answer lists: the citations, or for a declined answer the related passages."""
    return answer.citations if answer.grounded else answer.related


def citation(answer: Answer, n: int) -> Citation | None:
    """Citation n of an answer (its citations first, then the related passages)."""
    return next((c for c in (*answer.citations, *answer.related) if c.n == n), None)


def is_follow_up(answer: Answer) -> bool:
    return answer.resolved_question.strip() != answer.question.strip()


# -- labels ---------------------------------------------------------------------------------
def _short(text: str, n: int) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"


def section_path(section: str, title: str) -> str:
    """A section path without the report title (the title is shown next to it anyway)."""
    key = "".join(title.split())
    parts = [p.strip() for p in section.split("›")]
    kept = [p for p in parts if p and "".join(p.split()) != key]
    return " › ".join(kept)


def leaf_section(c: Citation) -> str:
    path = section_path(c.section, c.title)
    return path.rsplit("›", 1)[-1].strip()


def source_label(c: Citation) -> str:
    """Short title · place · section: tells apart sources of one report and of look-alike titles."""
    bits = [_short(c.title, 14), places(c.regions[-1:] if len(c.regions) > 1 else c.regions)]
    if leaf_section(c):
        bits.append(_short(leaf_section(c), 16))
    return " · ".join(b for b in bits if b and b != "—")


# -- inline citations ------------------------------------------------------------------------
def cite_button(n: int, turn: int | None = None) -> str:
    data_turn = f" data-turn='{turn}'" if turn is not None else ""
    return (
        f"<button type='button' class='rq-cite' data-cite='{n}'{data_turn} "
        f"aria-label='查看引用 {n} 的原文'>[{n}]</button>"
    )


def _popover(c: Citation, turn: int | None) -> str:
    section = leaf_section(c)
    where = " · ".join(x for x in (places(c.regions), section) if x and x != "—")
    open_btn = (
        f"<button type='button' class='rq-open-source' data-cite='{c.n}' data-turn='{turn}'>查看原文</button>"
        if turn is not None
        else ""
    )
    return (
        "<span class='rq-pop' role='tooltip'>"
        f"<q class='rq-pop-quote'>{esc(_short(' '.join(c.quote.split()), POP_QUOTE_CHARS))}</q>"
        f"<span class='rq-pop-src'>《{esc(c.title)}》</span>"
        f"<span class='rq-pop-where'>{esc(where)}</span>{open_btn}</span>"
    )


def cited_html(text: str, answer: Answer, turn: int | None = None) -> str:
    """Escaped text whose valid [n] markers are citation buttons with a quote popover."""
    escaped = esc(text)

    def marker(m: re.Match[str]) -> str:
        c = citation(answer, int(m.group(1)))
        if c is None:
            return m.group()
        return f"<span class='rq-cite-wrap'>{cite_button(c.n, turn)}{_popover(c, turn)}</span>"

    return _MARKER.sub(marker, escaped)


# -- blocks ----------------------------------------------------------------------------------
def paragraphs(text: str) -> list[str]:
    """An answer without blocks as paragraphs: one per run of sentences citing the same sources."""
    out: list[tuple[frozenset[str], str]] = []
    for line in text.split("\n"):
        for m in _CITED_RUN.finditer(line):
            sentence = m.group().strip()
            if not sentence:
                continue
            cites = frozenset(_MARKER.findall(sentence))
            if out and cites and out[-1][0] == cites:
                out[-1] = (cites, out[-1][1] + sentence)
            else:
                out.append((cites, sentence))
    return [s for _, s in out]


def blocks_of(answer: Answer) -> tuple[AnswerBlock, ...]:
    """The answer's blocks; for an answer without them, built from `comparison` or `text`."""
    # Only real blocks: an answerer that still passes `related` positionally lands it here.
    blocks = tuple(b for b in answer.blocks if isinstance(b, AnswerBlock))
    if blocks:
        return blocks
    if answer.comparison:
        return tuple(AnswerBlock("place", (r.text,), r.place) for r in answer.comparison)
    return tuple(AnswerBlock("paragraph", (p,)) for p in paragraphs(answer.text))


def _group(blocks: Iterable[AnswerBlock]) -> list[list[AnswerBlock]]:
    """Consecutive `place` blocks together (they form one comparison), others alone."""
    groups: list[list[AnswerBlock]] = []
    for b in blocks:
        if b.kind == "place" and groups and groups[-1][0].kind == "place":
            groups[-1].append(b)
        else:
            groups.append([b])
    return groups


def comparison_html(rows: Sequence[AnswerBlock], answer: Answer, turn: int | None) -> str:
    """A two-column table (narrow place, wide text); per-place cards on narrow screens (CSS)."""
    body = "".join(
        f"<tr class='rq-place-row'><th scope='row' class='rq-row-place'>{esc(r.heading or '—')}</th>"
        f"<td class='rq-row-text'>{''.join(f'<p>{cited_html(i, answer, turn)}</p>' for i in r.items)}</td></tr>"
        for r in rows
    )
    return (
        "<table class='rq-table rq-comparison'><colgroup><col class='rq-col-place'><col class='rq-col-text'>"
        f"</colgroup><thead><tr><th>地区</th><th>做法</th></tr></thead><tbody>{body}</tbody></table>"
    )


def block_html(b: AnswerBlock, answer: Answer, turn: int | None) -> str:
    items = [cited_html(i, answer, turn) for i in b.items]
    if b.kind == "bullets":
        head = f"<p class='rq-block-head'>{esc(b.heading)}</p>" if b.heading else ""
        return f"{head}<ul class='rq-bullets'>{''.join(f'<li>{i}</li>' for i in items)}</ul>"
    if b.kind == "notice":
        return f"<div class='rq-notice rq-info rq-answer-notice' role='note'>{''.join(items)}</div>"
    if b.kind == "related":
        head = esc(b.heading or "相关内容（不是这个问题的答案）")
        return f"<aside class='rq-related'><strong>{head}</strong>{''.join(f'<p>{i}</p>' for i in items)}</aside>"
    return "".join(f"<p>{i}</p>" for i in items)


def body_html(answer: Answer, turn: int | None = None) -> str:
    """The answer's text, laid out by its blocks."""
    parts: list[str] = []
    for group in _group(blocks_of(answer)):
        if group[0].kind == "place":
            parts.append(comparison_html(group, answer, turn))
        else:
            parts.append(block_html(group[0], answer, turn))
    return "".join(parts)


def source_labels(refs: Sequence[Citation]) -> list[str]:
    """One label per source; sources that would share a label also show how their quote begins."""
    labels = [source_label(c) for c in refs]
    return [
        f"{label} · “{_short(' '.join(c.quote.split()), 12)}”" if labels.count(label) > 1 else label
        for label, c in zip(labels, refs, strict=True)
    ]


def sources_html(answer: Answer, turn: int | None = None) -> str:
    """The one list of sources of an answer, as a disclosure `参考来源 (n)`: the chat's script
    opens it on a desktop and leaves it closed on a phone, where a long answer's sources
    would be longer than the answer (the [n] markers in the text still show each quote)."""
    refs = references(answer)
    if not refs:
        return ""
    head = f"参考来源 ({len(refs)})" if answer.grounded else f"{RELATED_TITLE} ({len(refs)})"
    items = "".join(
        f"<li class='rq-source-item'>{cite_button(c.n, turn)} <span class='rq-src-label'>{esc(label)}</span></li>"
        for c, label in zip(refs, source_labels(refs), strict=True)
    )
    key = f" data-turn='{turn}'" if turn is not None else ""
    return (
        f"<details class='rq-refs'{key}><summary class='rq-refs-head'>{head}</summary>"
        f"<ol class='rq-sources'>{items}</ol></details>"
    )


def answer_html(answer: Answer, turn: int | None = None) -> str:
    """Resolved question, notes, declined notice, the laid-out text and the sources."""
    parts: list[str] = []
    if is_follow_up(answer):
        parts.append(
            f"<div class='rq-resolved'>理解为：<q class='rq-resolved-q'>{esc(answer.resolved_question)}</q></div>"
        )
    if answer.note:
        parts.append(notice("info", "提示", answer.note))
    if not answer.grounded:
        parts.append(f"<div class='rq-declined'>{notice('warn', DECLINED_TITLE, answer.text)}</div>")
    else:
        parts.append(f"<div class='rq-text'>{body_html(answer, turn)}</div>")
    parts.append(sources_html(answer, turn))
    cls = "rq-answer rq-is-declined" if not answer.grounded else "rq-answer"
    return f"<div class='{cls}' data-question='{esc(answer.question)}'>{''.join(parts)}</div>"


def strip_markers(text: str, numbers: Sequence[int]) -> str:
    """The text without its [n] markers for the given numbers."""
    keep = set(numbers)
    return _MARKER.sub(lambda m: "" if int(m.group(1)) in keep else m.group(), text)


# -- source view (HTML) ------------------------------------------------------------------------
def locate(c: Citation, text: str) -> tuple[int, int] | None:
    """The quote's span in the report text: the cited span if it holds the quote, else a search."""
    if 0 <= c.start < c.end <= len(text) and text[c.start : c.end] == c.quote:
        return c.start, c.end
    found = text.find(c.quote) if c.quote else -1
    return (found, found + len(c.quote)) if found >= 0 else None


def context_window(text: str, start: int, end: int, window: int) -> tuple[int, int]:
    """About `window` characters either side of the span, cut at line starts/ends when possible."""
    lo = max(0, start - window)
    if lo > 0:
        nl = text.find("\n", lo, start)
        if nl >= 0:
            lo = nl + 1
    hi = min(len(text), end + window)
    if hi < len(text):
        nl = text.rfind("\n", end, hi)
        if nl >= 0:
            hi = nl
    return lo, hi


def source_view(c: Citation, text: str, *, window: int = 300, meta: ReportMeta | None = None) -> str:
    """The report text around a citation, the quote marked; with title, section path, place
    and where to cite it from (`meta`, the report's metadata, adds its year and source site)."""
    head = (
        f"<div class='rq-source-head'><button type='button' class='rq-close' aria-label='关闭原文'>×</button>"
        f"<span class='rq-badge'>{c.n}</span> <strong>{esc(c.title)}</strong></div>"
        "<dl class='rq-meta'>"
        f"<dt>章节</dt><dd>{esc(section_path(c.section, c.title) or '—')}</dd>"
        f"<dt>地区</dt><dd>{esc(places(c.regions))}</dd>"
        f"<dt>出处</dt><dd>{esc(location_line(of_citation(c, meta)))}</dd>"
        "</dl>"
    )
    span = locate(c, text)
    if span is None:
        body = notice("warn", "原文中没有找到这段引文", c.quote)
    else:
        lo, hi = context_window(text, span[0], span[1], window)
        shown = highlight(text[lo:hi], [(span[0] - lo, span[1] - lo)], cls="rq-hl")
        body = f"<div class='rq-source-text'>{'…' if lo > 0 else ''}{shown}{'…' if hi < len(text) else ''}</div>"
    return f"<div class='rq-source' data-doc='{esc(c.doc_id)}' data-cite='{c.n}'>{head}{body}</div>"


def source_missing(c: Citation, exc: Exception) -> str:
    """The source view when the cited report cannot be opened (deleted since, or re-indexed)."""
    if isinstance(exc, UnknownReportError):
        body = f"引用 [{c.n}] 出自《{c.title}》（{c.source}），资料库中已经没有这份报告；可以重新提问，或在“资料库”中查看现有的报告。"
        return notice("warn", REPORT_GONE, body)
    return notice("error", "无法打开这份报告", user_error(exc))


def source_placeholder() -> str:
    return "<h4 class='rq-panel-title'>原文</h4>" + empty(
        "点击回答中的引用编号 [n]，这里会显示它在报告原文中的上下文。"
    )
