"""An HTML page's main content: the article, without the site's menus, link lists and footer.

A saved government or news page is mostly furniture: on a provincial portal the article is
~15% of the page's text, the rest menus, breadcrumbs, "related" lists and the footer's link
lists. Read whole, every menu item becomes a "sentence" and a chunk. So the page is read as
lines (one per block element, as before), each weighed by what it holds:
- prose (a line with a comma or full stop: ，。；！？) counts its characters;
- other plain text (a heading, a date, a table cell, a caption) counts a fraction of them;
- link text counts against (menus, link lists, breadcrumbs are links).
The article is the block element whose lines weigh most (text density against link
density, as readability and GeneralNewsExtractor score a page's nodes), widened to the
outermost element of that weight, plus the title block just above it (the lines up to the
first link line: a kicker, the headline, a subtitle, the date line). Everything inside that
element stays, tables and captions included; boilerplate lines inside it (来源, 打印, 分享)
are the cleaner's (index.boilerplate), as for any text.

Nothing of an article may be lost, so the whole page is kept when the choice is not clear:
when the element holds less than `_MIN_PROSE_SHARE` of the page's prose (prose in several
places: comments, a second article), or the page has no furniture to speak of.

The page also says things about itself outside its text: its title (<meta name=ArticleTitle>,
og:title, <title> without the site's name, <h1>) and its publication date (<meta
name=PubDate>, the Chinese government-site standard, or article:published_time): those go to
metadata detection (index.docmeta) as candidates.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from bs4 import BeautifulSoup
from bs4.element import NavigableString, PreformattedString, Tag

__all__ = ["HtmlPage", "read_html"]

# Page furniture, plus ruby annotations (<rt>, <rp>): those are pinyin, not text.
_DROP = frozenset(
    {"script", "style", "nav", "header", "footer", "aside", "form", "noscript", "iframe", "svg", "template"}
    | {"rt", "rp", "head", "canvas", "select", "button"}
)
_BLOCK = frozenset(
    {"address", "article", "blockquote", "body", "caption", "dd", "details", "dialog", "div", "dl", "dt"}
    | {"fieldset", "figcaption", "figure", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "li", "main", "ol", "p"}
    | {"pre", "section", "summary", "table", "tbody", "thead", "tfoot", "tr", "ul", "title", "center", "html"}
)
_CELLS = frozenset({"td", "th"})
_SPACE = re.compile(r"[ \t\r\n\f]+")
# A source line break between two hanzi is layout, not a space (Chinese has no word spaces).
_CJK_BREAK = re.compile(
    r"(?<=[\u3400-\u9fff\uff00-\uffef\u3000-\u303f])[ \t\r\f]*\n[ \t\r\n\f]*(?=[\u3400-\u9fff\uff00-\uffef\u3000-\u303f])"
)
_PROSE = re.compile(r"[，。；！？,;!?]")
_URL = re.compile(r"(?:https?://|www\.)[\x21-\x7e]+", re.I)
"""An address written out counts as link text: link lists print them beside the names."""
_HIDDEN_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.I)
_LABEL_WEIGHT = 0.3
"""What a character of plain text that is not prose (a heading, a cell, a date) weighs
against a character of prose; link text weighs -1."""
_MIN_PROSE_SHARE = 0.6
"""The article element must hold this share of the page's prose, else the page is kept whole."""
_MIN_FURNITURE = 0.2
"""Below this share of the page's text outside the article, the page is kept whole."""
_HEAD_LINES = 4
"""Lines above the article element taken as its title block (kicker, headline, subtitle,
date line), up to the first line that is mostly links."""
_TITLE_SPLIT = re.compile(r"\s*[_|｜]+\s*|\s+[-–—]+\s+")
_META_TITLES = ("articletitle", "og:title", "twitter:title", "dc.title")
_META_DATES = (
    "pubdate",
    "publishdate",
    "publish_date",
    "article:published_time",
    "firstpublishedtime",
    "dc.date",
    "dc.date.issued",
    "date",
)


@dataclass
class _Line:
    pieces: list[str] = field(default_factory=list)
    link: int = 0
    """Characters inside links (whitespace aside)."""

    @property
    def text(self) -> str:
        text = "".join(self.pieces).strip(" |")
        return text if text.strip() else ""  # a line of no-break spaces is an empty one


@dataclass(frozen=True)
class HtmlPage:
    """What an HTML page gives: its main text, the whole text, and what it says of itself."""

    text: str
    """The main content (the whole page when no article stands out)."""
    whole: str
    """Every visible line of the page."""
    title_lines: tuple[str, ...] = ()
    """Title candidates, best first: the page's own title meta, <title> without the site
    name, its <h1> headings (those inside the main content first)."""
    date: str = ""
    """The publication date its meta tags state, as written."""


def _compact(text: str) -> int:
    return len("".join(text.split()))


def _lines(root: Tag) -> tuple[list[_Line], list[tuple[int, int]]]:
    """The page's lines in document order (one per block element, table cells joined by
    " | "), and for each block element the range of lines it holds. Walked with an explicit
    stack: pages nested a few thousand elements deep would overflow Python's recursion."""
    lines: list[_Line] = [_Line()]
    spans: list[tuple[int, int]] = []
    links = 0

    def new_line() -> None:
        if lines[-1].pieces:
            lines.append(_Line())

    stack: list[Iterator[Any]] = [iter(root.children)]
    while stack:
        child = next(stack[-1], None)
        if child is None:
            stack.pop()
        elif isinstance(child, PreformattedString):  # comments, doctype, CDATA
            continue
        elif isinstance(child, NavigableString):
            piece = _SPACE.sub(" ", _CJK_BREAK.sub("", str(child)))
            lines[-1].pieces.append(piece)
            if links:
                lines[-1].link += _compact(piece)
        elif isinstance(child, Tag):
            if child.name == "br":
                new_line()
                continue
            closing: list[Any] = []
            if child.name in _BLOCK:
                new_line()
                start = len(lines) - 1

                def close(start: int = start) -> None:
                    new_line()
                    end = len(lines) - (0 if lines[-1].pieces else 1)
                    spans.append((start, end))

                closing.append(close)
            elif child.name in _CELLS:
                closing.append(lambda: lines[-1].pieces.append(" | "))
            elif child.name == "a":
                links += 1

                def unlink() -> None:
                    nonlocal links
                    links -= 1

                closing.append(unlink)
            stack.append(iter(closing))
            stack.append(iter(child.children))
        else:
            child()  # the closing action of an element, pushed above
    return lines, spans


_CRUMB_MARK = re.compile(r"[>»›＞→]")


def _link_chars(line: _Line) -> int:
    """Link text, an address written out, and a breadcrumb's separators (its last step, the
    page's own section, is often plain text: 首页 > 要闻 > 本省要闻)."""
    return max(line.link, sum(map(len, _URL.findall(line.text)))) + len(_CRUMB_MARK.findall(line.text))


def _weight(line: _Line) -> float:
    link = _link_chars(line)
    plain = max(_compact(line.text) - link, 0)
    return (1.0 if _PROSE.search(line.text) else _LABEL_WEIGHT) * plain - link


def _prose(line: _Line) -> int:
    return max(_compact(line.text) - _link_chars(line), 0) if _PROSE.search(line.text) else 0


def _hidden(tag: Tag) -> bool:
    """Not shown by a browser: `hidden`, or a style of display:none / visibility:hidden."""
    return tag.has_attr("hidden") or bool(_HIDDEN_STYLE.search(str(tag.get("style") or "")))


def _main_span(lines: list[_Line], spans: list[tuple[int, int]]) -> tuple[int, int]:
    """The lines of the article (module docstring); all of them when none stands out."""
    everything = (0, len(lines))
    if not spans:
        return everything
    sums = [0.0]
    for line in lines:
        sums.append(sums[-1] + _weight(line))
    # The heaviest element; of equal weights the outermost (it loses nothing more).
    start, end = max(spans, key=lambda s: (round(sums[s[1]] - sums[s[0]], 6), s[1] - s[0]))
    prose = sum(map(_prose, lines))
    kept = sum(_prose(ln) for ln in lines[start:end])
    chars = sum(_compact(ln.text) for ln in lines)
    inside = sum(_compact(ln.text) for ln in lines[start:end])
    if prose == 0 or kept < _MIN_PROSE_SHARE * prose or chars - inside < _MIN_FURNITURE * chars:
        return everything
    while start < end and (_linked(lines[start]) or not lines[start].text):
        start += 1  # the breadcrumb the article's box opens with
    head, taken = start, 0
    while head > 0 and taken < _HEAD_LINES and not _linked(lines[head - 1]):
        head -= 1  # the title block above the box, up to a breadcrumb or a menu
        taken += bool(lines[head].text)
    return head, end


_CRUMB = re.compile(r"^\s*(?:>|»|›|＞|→)")
"""A breadcrumb's last step, the page's own section, is often not a link: "> 山西要闻"."""


def _linked(line: _Line) -> bool:
    """A line that is mostly links (a menu item, a breadcrumb); an empty line is not."""
    chars = _compact(line.text)
    return chars > 0 and (_link_chars(line) * 2 >= chars or bool(_CRUMB.match(line.text)))


def _meta(soup: BeautifulSoup, names: tuple[str, ...]) -> list[str]:
    found: list[tuple[int, str]] = []
    for tag in soup.find_all("meta"):
        key = str(tag.get("name") or tag.get("property") or "").strip().lower()
        content = str(tag.get("content") or "").strip()
        if key in names and content:
            found.append((names.index(key), content))
    return [content for _, content in sorted(found, key=lambda f: f[0])]


def _flat(text: str) -> str:
    return "".join(text.split())


def _title_candidates(soup: BeautifulSoup) -> list[str]:
    """The page's own title meta, the <title>'s first piece that is not the site's name, its
    <h1> headings, the <title>'s other pieces (read before the furniture goes)."""
    raw = soup.title.get_text(" ", strip=True) if soup.title else ""
    sites = {_flat(s) for s in _meta(soup, ("sitename", "og:site_name", "application-name"))}
    pieces = [p.strip() for p in _TITLE_SPLIT.split(raw) if len(_flat(p)) >= 4 and _flat(p) not in sites]
    headings = [h.get_text(" ", strip=True) for h in soup.find_all("h1")]
    candidates: list[str] = []
    for c in [*_meta(soup, _META_TITLES), *pieces[:1], *headings, *pieces[1:]]:
        c = _SPACE.sub(" ", c).strip()
        if c and c not in candidates:
            candidates.append(c)
    return candidates


def read_html(markup: str) -> HtmlPage:
    """The page's main text and whole text, its title candidates and stated date."""
    soup = BeautifulSoup(markup, "lxml")
    dates = _meta(soup, _META_DATES)
    candidates = _title_candidates(soup)
    for tag in [*soup.find_all(sorted(_DROP)), *soup.find_all(_hidden)]:
        if not tag.decomposed:
            tag.decompose()
    # The whole document, not only <body>: pages with a stray </html> (a server-side include
    # of the header) put the article after it, outside the first <body>.
    lines, spans = _lines(soup)
    start, end = _main_span(lines, spans)
    texts = [ln.text for ln in lines]
    main = "\n".join(t for t in texts[start:end] if t)
    whole = "\n".join(t for t in texts if t)
    # Those the main content shows first: a site's name is not in its article.
    candidates.sort(key=lambda c: _flat(c) not in _flat(main))
    title = candidates[0] if candidates else ""
    if title and _flat(title) not in _flat(main[: 4 * len(title) + 200]):
        main = f"{title}\n{main}" if main else title  # the headline the page states, above its article
    return HtmlPage(main, whole, tuple(candidates), dates[0] if dates else "")
