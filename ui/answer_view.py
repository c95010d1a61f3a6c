"""How an `Answer` looks: the chat message (Markdown), the sources panel and the source view (HTML).

All text from reports and models is escaped (see `ui.html`); the only markup is ours.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from assistant.answer_types import Answer, Citation, ComparisonRow
from ui.html import empty, esc, highlight, md_escape, notice, places

_MARKER = re.compile(r"\[(\d+)\]")
DECLINED_TITLE = "报告中没有找到答案"


def references(answer: Answer) -> tuple[Citation, ...]:
    """What the sources panel lists: the citations, or for a declined answer the related passages."""
    return answer.citations if answer.grounded else answer.related


def is_follow_up(answer: Answer) -> bool:
    return answer.resolved_question.strip() != answer.question.strip()


# -- chat message (Markdown) ------------------------------------------------------------------
def chat_markdown(answer: Answer) -> str:
    """The assistant's chat message: inert Markdown built from escaped pieces."""
    parts: list[str] = []
    if is_follow_up(answer):
        parts.append(f"*理解为：{md_escape(answer.resolved_question)}*")
    if answer.note:
        parts.append(f"ℹ️ {md_escape(answer.note)}")
    if not answer.grounded:
        parts.append(f"⚠️ **{DECLINED_TITLE}**")
    if answer.comparison:
        parts.append(comparison_markdown(answer.comparison))
    else:
        parts.append(md_escape(answer.text))
    refs = references(answer)
    if refs:
        head = "**参考来源**" if answer.grounded else "**相关段落（仅供参考）**"
        lines = [f"{md_escape(f'[{c.n}]')} {md_escape(c.title)}{_md_section(c)}" for c in refs]
        parts.append(head + "\n" + "\n".join(lines))
    return "\n\n".join(parts)


def _md_section(c: Citation) -> str:
    return f" · {md_escape(c.section)}" if c.section else ""


def _cell(text: str) -> str:
    return md_escape(" ".join(text.split()))


def comparison_markdown(rows: Sequence[ComparisonRow]) -> str:
    """A Markdown table: place / what they did / citations."""
    lines = ["| 地区 | 做法 | 出处 |", "| --- | --- | --- |"]
    for r in rows:
        cites = " ".join(md_escape(f"[{n}]") for n in r.citations)
        lines.append(f"| {_cell(r.place)} | {_cell(strip_markers(r.text, r.citations))} | {cites} |")
    return "\n".join(lines)


def pending_markdown() -> str:
    return "*正在检索报告……*"


def error_markdown(message: str) -> str:
    return f"❌ **出错了**：{md_escape(message)}"


# -- sources panel (HTML) ----------------------------------------------------------------------
def cite_button(n: int) -> str:
    return f"<button type='button' class='rq-cite' data-cite='{n}' title='查看原文 [{n}]'>[{n}]</button>"


def strip_markers(text: str, numbers: Sequence[int]) -> str:
    """The text without its [n] markers for the given numbers (they go to their own column)."""
    keep = set(numbers)
    return _MARKER.sub(lambda m: "" if int(m.group(1)) in keep else m.group(), text)


def comparison_html(rows: Sequence[ComparisonRow], valid: set[int]) -> str:
    body = "".join(
        f"<tr><td class='rq-row-place'>{esc(r.place)}</td><td>{esc(strip_markers(r.text, r.citations))}</td>"
        f"<td class='rq-cites'>{''.join(cite_button(n) for n in r.citations if n in valid)}</td></tr>"
        for r in rows
    )
    return (
        "<table class='rq-table rq-comparison'><thead><tr><th>地区</th><th>做法</th><th>出处</th></tr></thead>"
        f"<tbody>{body}</tbody></table>"
    )


def source_item(c: Citation) -> str:
    section = f"<span class='rq-sec'>§ {esc(c.section)}</span>" if c.section else ""
    return (
        f"<li class='rq-source-item'>{cite_button(c.n)} <span class='rq-src-title'>{esc(c.title)}</span> "
        f"{section} <span class='rq-place'>· {esc(places(c.regions))}</span>"
        f"<blockquote class='rq-quote'>{esc(c.quote)}</blockquote></li>"
    )


def answer_panel(answer: Answer | None) -> str:
    """The panel beside the chat: resolved question, declined notice, comparison, sources."""
    if answer is None:
        return "<h4 class='rq-panel-title'>回答来源</h4>" + empty(
            "提问后，这里会列出回答引用的报告段落；点击编号查看原文。"
        )
    parts: list[str] = []
    if is_follow_up(answer):
        parts.append(
            f"<div class='rq-resolved'>追问理解为：<q class='rq-resolved-q'>{esc(answer.resolved_question)}</q></div>"
        )
    if answer.note:
        parts.append(notice("info", "提示", answer.note))
    if not answer.grounded:
        parts.append(f"<div class='rq-declined'>{notice('warn', DECLINED_TITLE, answer.text)}</div>")
    refs = references(answer)
    valid = {c.n for c in refs}
    if answer.comparison:
        parts.append("<h4>各地做法对比</h4>" + comparison_html(answer.comparison, valid))
    if refs:
        head = "参考来源" if answer.grounded else "相关段落（仅供参考）"
        items = "".join(source_item(c) for c in refs)
        parts.append(f"<h4>{head}</h4><ol class='rq-sources'>{items}</ol>")
        parts.append("<p class='rq-hint'>点击编号，在下方查看原文中的位置。</p>")
    elif answer.grounded:
        parts.append(empty("这个回答没有引用。"))
    cls = "rq-answer rq-is-declined" if not answer.grounded else "rq-answer"
    return f"<div class='{cls}' data-question='{esc(answer.question)}'>{''.join(parts)}</div>"


def citation_choices(answer: Answer | None) -> list[tuple[str, int]]:
    """(label, number) pairs for the citation picker."""
    if answer is None:
        return []
    return [(f"[{c.n}] {_short(c.title, 16)}", c.n) for c in references(answer)]


def _short(text: str, n: int) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"


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


def source_view(c: Citation, text: str, *, window: int = 300) -> str:
    """The report text around a citation, the quote marked; with title, section path and place."""
    head = (
        f"<div class='rq-source-head'>{cite_button(c.n)} <strong>{esc(c.title)}</strong></div>"
        "<dl class='rq-meta'>"
        f"<dt>章节</dt><dd>{esc(c.section or '—')}</dd>"
        f"<dt>地区</dt><dd>{esc(places(c.regions))}</dd>"
        f"<dt>出处</dt><dd>{esc(c.source)}（字符 {c.start}–{c.end}）</dd>"
        "</dl>"
    )
    span = locate(c, text)
    if span is None:
        body = notice("warn", "原文中没有找到这段引文", c.quote)
    else:
        lo, hi = context_window(text, span[0], span[1], window)
        shown = highlight(text[lo:hi], [(span[0] - lo, span[1] - lo)], cls="rq-hl")
        body = f"<div class='rq-source-text'>{'…' if lo > 0 else ''}{shown}{'…' if hi < len(text) else ''}</div>"
    return f"<div class='rq-source' data-doc='{esc(c.doc_id)}'>{head}{body}</div>"


def source_placeholder() -> str:
    return "<h4 class='rq-panel-title'>原文</h4>" + empty("选择一个引用编号，查看它在报告原文中的上下文。")
