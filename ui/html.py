"""Safe rendering primitives: everything from a report or a model is escaped here.

Two targets: `gr.HTML` (we write the tags, every piece of text goes through `esc`) and the
chatbot's Markdown (`md_escape` turns text into inert Markdown: no HTML, no links, no images).
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Sequence

# Markdown punctuation that can start HTML, links, images, code, emphasis, tables, math or
# headings. `-`, `+`, `.` stay so that plain lists from an answerer keep their shape.
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#!|~$])")
# What GFM's autolinker (and linkify) start a link at: `scheme://`, `www.`, `user@host`.
_AUTOLINK_START = re.compile(r"(?i)(?<=[a-z0-9])(:)(?=//)|(?<=www)(\.)|(@)")
_ENTITY = {":": "&#58;", ".": "&#46;", "@": "&#64;"}


def esc(text: object) -> str:
    """HTML-escape any value (quotes included, so it is safe inside attributes too)."""
    return html.escape(str(text), quote=True)


def md_escape(text: str) -> str:
    """Text that Markdown renders literally: no tags, links, images, emphasis or math.

    Backslash-escapes the Markdown punctuation, then turns `& < >` into entities, so that
    `<script>`, `<img onerror=…>`, `[x](javascript:…)` and `![x](…)` show as typed. Bare
    URLs and e-mail addresses stay text too: the `:` of `://`, the `.` of `www.` and `@` become
    entities, which the autolinker does not see (it made `https://x/a_b` a link to `a%5C_b`).
    """
    escaped = _MD_SPECIAL.sub(r"\\\1", text)
    escaped = escaped.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _AUTOLINK_START.sub(lambda m: _ENTITY[m.group(0)], escaped)


def places(regions: Iterable[str]) -> str:
    """A report's regions for display (`—` when none are known)."""
    return "、".join(regions) or "—"


def merge_spans(spans: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
    """Sorted, non-overlapping spans (overlapping or touching ones joined, empty ones dropped)."""
    out: list[tuple[int, int]] = []
    for start, end in sorted(s for s in spans if s[1] > s[0]):
        if out and start <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], end))
        else:
            out.append((start, end))
    return out


def highlight(text: str, spans: Iterable[tuple[int, int]], *, cls: str = "") -> str:
    """`text` escaped, with each span wrapped in `<mark>` (spans are clipped to the text)."""
    attr = f' class="{esc(cls)}"' if cls else ""
    clipped = ((max(0, s), min(len(text), e)) for s, e in spans)
    parts: list[str] = []
    pos = 0
    for start, end in merge_spans(clipped):
        parts.append(esc(text[pos:start]))
        parts.append(f"<mark{attr}>{esc(text[start:end])}</mark>")
        pos = end
    parts.append(esc(text[pos:]))
    return "".join(parts)


def term_spans(norm: str, terms: Sequence[str]) -> list[tuple[int, int]]:
    """Where the (normalized) terms occur in `norm`, the normalized twin of the shown text.

    `norm` has the length of the shown text, so these spans highlight the shown text even
    when it is Traditional and the terms are Simplified.
    """
    spans: list[tuple[int, int]] = []
    low = norm.lower()
    for term in {t.lower() for t in terms if t.strip()}:
        start = low.find(term)
        while start >= 0:
            spans.append((start, start + len(term)))
            start = low.find(term, start + 1)
    return merge_spans(spans)


def notice(kind: str, title: str, body: str = "") -> str:
    """A styled notice box; `kind` is one of info, warn, error, ok. Title and body are text."""
    detail = f"<div class='rq-notice-body'>{esc(body)}</div>" if body else ""
    return f"<div class='rq-notice rq-{esc(kind)}' role='status'><strong>{esc(title)}</strong>{detail}</div>"


def empty(text: str) -> str:
    """A muted placeholder line."""
    return f"<p class='rq-empty'>{esc(text)}</p>"


_MD_LINKISH = re.compile(r"([\\`*_\[\]<>])")


def md_text(text: str) -> str:
    """Lighter escaping for Markdown files people also read raw (exports).

    Escapes what could form links, images, autolinks, HTML or emphasis (`\\ ` * _ [ ] < >`)
    and leaves the rest readable.
    """
    return _MD_LINKISH.sub(r"\\\1", text)
