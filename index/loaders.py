"""Read report files (txt, md, html, docx, pdf) into `LoadedText`.

Encodings are detected, never assumed: the reports are scraped Chinese web pages and
office exports, so GB18030/GBK, Big5, UTF-16 and UTF-8 with or without a BOM all occur.
Every failure (undecodable bytes, a corrupt docx, an encrypted pdf) becomes a `LoadError`
naming the file, the reason and the fix, so one bad file never stops an ingest.
"""

from __future__ import annotations

import codecs
import io
import re
import unicodedata
from collections.abc import Callable, Iterator
from functools import lru_cache
from pathlib import Path
from typing import Any

import charset_normalizer
from bs4 import BeautifulSoup
from bs4.element import NavigableString, PreformattedString, Tag
from docx import Document
from docx.document import Document as DocxDocument
from docx.table import Table
from docx.text.paragraph import Paragraph
from pypdf import PdfReader

from index.errors import LoadError
from index.types import LoadedText

SUPPORTED_SUFFIXES: frozenset[str] = frozenset({".txt", ".md", ".html", ".htm", ".docx", ".pdf"})

_BOMS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
# Big5 is tried as the strict standard table first, then Microsoft's cp950 superset.
_CJK_CODECS = ("gb18030", "big5", "cp950")
_MIN_PLAUSIBLE = 0.8
"""Share of well-formed characters a CJK decode needs: right decodes score ~0.95+, a GBK
text read as Big5 (or the reverse) about 0.3-0.6."""
_MAX_CONTROL_SHARE = 0.01
_BINARY = "looks like a binary file, not text; check that it is the report itself (not an archive or image) and re-save it as UTF-8 text"
_EMPTY = "is empty (no text); add the report's text or remove the file"


# -- encodings ------------------------------------------------------------------------------
@lru_cache(maxsize=1)
def _common_hanzi() -> frozenset[str]:
    """GB2312 level 1 (3,755 common Simplified) plus Big5's 常用字 (5,401 common Traditional).

    Both character sets are frequency tiers by design, so they are derived from the codecs
    themselves instead of shipping a frequency list.
    """
    chars: set[str] = set()
    spans = ((range(0xB0, 0xD8), range(0xA1, 0xFF), "gb2312"), (range(0xA4, 0xC7), range(0x40, 0xFF), "big5"))
    for leads, trails, codec in spans:
        for lead in leads:
            for trail in trails:
                try:
                    chars.add(bytes((lead, trail)).decode(codec))
                except UnicodeDecodeError:
                    continue
    return frozenset(chars)


def _char_weight(ch: str, common: frozenset[str]) -> float:
    code = ord(ch)
    if ch in common or 0x3000 <= code <= 0x303F or 0xFF01 <= code <= 0xFFEF or 0x2000 <= code <= 0x206F:
        return 1.0
    if 0xC0 <= code <= 0x24F:  # Latin letters with accents: pinyin tone marks, names
        return 1.0
    if 0x3400 <= code <= 0x9FFF:  # a real but rare hanzi: a wrong decode produces many of these
        return 0.3
    return 0.0


def _plausibility(text: str) -> float:
    """How much `text` looks like correctly decoded Chinese/ASCII text (0..1)."""
    wide = [ch for ch in text if ord(ch) > 0x7E and not ch.isspace()]
    if not wide:
        return 1.0
    common = _common_hanzi()
    return sum(_char_weight(ch, common) for ch in wide) / len(wide)


def _control_share(text: str) -> float:
    controls = sum(1 for ch in text if unicodedata.category(ch) == "Cc" and ch not in "\n\r\t\f")
    return controls / max(len(text), 1)


def _strict(data: bytes, codec: str) -> str | None:
    try:
        return data.decode(codec)
    except (UnicodeDecodeError, LookupError):
        return None


def _utf8(data: bytes) -> str | None:
    """Strict UTF-8, tolerating only a multi-byte character cut off at the very end."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.start >= len(data) - 3 and exc.reason == "unexpected end of data":
            return data[: exc.start].decode("utf-8")
        return None


def _most_plausible(data: bytes, candidates: tuple[str, ...]) -> tuple[str, str] | None:
    """The strict decode that reads most like text (earlier candidates win ties), if any does."""
    best: tuple[float, str, str] | None = None
    for codec in candidates:
        text = _strict(data, codec)
        if text is None or _control_share(text) > _MAX_CONTROL_SHARE:
            continue
        score = _plausibility(text)
        if best is None or score > best[0]:
            best = (score, text, codec)
    if best is None or best[0] < _MIN_PLAUSIBLE:
        return None
    return best[1], best[2]


def _utf16_without_bom(data: bytes) -> tuple[str, str] | None:
    """UTF-16 (its NUL bytes are the zero halves of ASCII): the byte order that reads as text.

    NUL parity alone is not enough: common hanzi such as 一 (U+4E00) and 开 (U+5F00) have a
    zero byte too, on the other side from ASCII.
    """
    return None if len(data) % 2 else _most_plausible(data, ("utf-16-le", "utf-16-be"))


def _fallback(data: bytes) -> tuple[str, str] | None:
    match = charset_normalizer.from_bytes(data).best()
    if match is None:
        return None
    return str(match), match.encoding


def _decode(data: bytes, rel: str) -> tuple[str, str]:
    for bom, codec in _BOMS:
        if data.startswith(bom):
            text = _strict(data[len(bom) :], codec.removesuffix("-sig"))
            if text is None:
                raise LoadError(
                    rel, f"starts with a {codec} byte-order mark but is not valid {codec}; re-save it as UTF-8"
                )
            return text, codec
    if b"\x00" in data:
        found = _utf16_without_bom(data)
        if found is None:
            raise LoadError(rel, _BINARY)
        return found
    text = _utf8(data)
    if text is not None:
        return text, "utf-8"
    # GB18030 first: it wins ties, the corpus is mainland Chinese.
    found = _most_plausible(data, _CJK_CODECS) or _fallback(data)
    if found is None:
        raise LoadError(rel, _BINARY)
    return found


def decode_bytes(data: bytes, rel: str) -> tuple[str, str]:
    """Decode report bytes: returns (text with `\\n` newlines, encoding name).

    Order: byte-order mark, UTF-16 by its NUL pattern, strict UTF-8, then the most
    plausible strict GB18030/Big5 decode, then charset-normalizer. Raises LoadError for
    empty or binary data.
    """
    if not data.strip():
        raise LoadError(rel, _EMPTY)
    text, codec = _decode(data, rel)
    if not text.strip():
        raise LoadError(rel, _EMPTY)
    if _control_share(text) > _MAX_CONTROL_SHARE:
        raise LoadError(rel, _BINARY)
    return text.replace("\r\n", "\n").replace("\r", "\n"), codec


# -- markdown -------------------------------------------------------------------------------
# `#标题` without the space is common in Chinese Markdown, so the space is optional.
_MD_HEADING = re.compile(r"^ {0,3}#{1,6}[ \t]*(.*?)(?:[ \t]+#+)?[ \t]*$", re.M)
_MD_IMAGE_OR_LINK = re.compile(r"!?\[([^\]\n]*)\]\([^)\n]*\)|!?\[([^\]\n]*)\]\[[^\]\n]*\]")
_MD_REF_DEF = re.compile(r"^ {0,3}\[[^\]\n]+\]:[ \t]+\S+.*$\n?", re.M)
_MD_AUTOLINK = re.compile(r"<((?:https?|mailto):[^>\s]+)>")
# Emphasis only at the start of a line (`**一、总体要求**`) or between spaces/punctuation:
# `**` inside Chinese text is usually an anonymization placeholder (“分别是**经济技术开发区、
# **高新区”), which is the report's own text.
_MD_EMPHASIS = re.compile(r"(?<![\w*])(\*\*|__|\*|_)(?=[^\s*_])([^\n*_]+?)(?<=\S)\1(?![\w*])")
_MD_LEADING_EMPHASIS = re.compile(r"^([ \t]*)(\*\*|__)(?=[^\s*_])([^\n*_]+?)(?<=\S)\2", re.M)
_MD_CODE = re.compile(r"`([^`\n]+)`")
_MD_DROP_LINE = re.compile(
    r"^ {0,3}(?:```.*|~~~.*|(?:[-*_][ \t]*){3,}|\|?[ \t]*:?-{3,}:?[ \t]*(?:\|[ \t]*:?-{3,}:?[ \t]*)*\|?)$\n?", re.M
)
_MD_LINE_MARKS = re.compile(r"^ {0,3}(?:>[ \t]?)+|^[ \t]*[-*+][ \t]+", re.M)


def strip_markdown(text: str) -> str:
    """Light Markdown → text: heading marks, emphasis, links, code marks, rules and table pipes go."""
    text = _MD_DROP_LINE.sub("", _MD_REF_DEF.sub("", text))
    text = _MD_HEADING.sub(r"\1", text)
    text = _MD_IMAGE_OR_LINK.sub(lambda m: m.group(1) or m.group(2) or "", text)
    text = _MD_AUTOLINK.sub(r"\1", text)
    text = _MD_EMPHASIS.sub(r"\2", _MD_LEADING_EMPHASIS.sub(r"\1\3", text))
    text = _MD_CODE.sub(r"\1", text)
    text = _MD_LINE_MARKS.sub("", text)
    return re.sub(r"^[ \t]*\|[ \t]*|[ \t]*\|[ \t]*$", "", re.sub(r"(?<=\S)[ \t]*\|[ \t]*(?=\S)", " ", text), flags=re.M)


# -- html -----------------------------------------------------------------------------------
# Page furniture, plus ruby annotations (<rt>, <rp>): those are pinyin, not text.
_HTML_DROP = frozenset(
    {"script", "style", "nav", "header", "footer", "aside", "form", "noscript", "iframe", "svg", "template"}
    | {"rt", "rp"}
)
_HTML_BLOCK = frozenset(
    {"address", "article", "blockquote", "body", "caption", "dd", "details", "dialog", "div", "dl", "dt"}
    | {"fieldset", "figcaption", "figure", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "li", "main", "ol", "p"}
    | {"pre", "section", "summary", "table", "tbody", "thead", "tfoot", "tr", "ul", "title"}
)
_HTML_CELLS = frozenset({"td", "th"})
_META_CHARSET = re.compile(rb"<meta[^>]+charset\s*=\s*[\"']?\s*([a-zA-Z0-9_\-]+)", re.I)
_HTML_SPACE = re.compile(r"[ \t\r\n\f]+")
# A source line break between two hanzi is layout, not a space (Chinese has no word spaces).
_HTML_CJK_BREAK = re.compile(
    r"(?<=[\u3400-\u9fff\uff00-\uffef\u3000-\u303f])[ \t\r\f]*\n[ \t\r\n\f]*(?=[\u3400-\u9fff\uff00-\uffef\u3000-\u303f])"
)
_CHARSET_ALIASES = {"gb2312": "gb18030", "gbk": "gb18030", "x-gbk": "gb18030", "big5": "cp950", "utf8": "utf-8"}


def _declared_charset(data: bytes) -> str | None:
    match = _META_CHARSET.search(data[:4096])
    if match is None:
        return None
    name = match.group(1).decode("ascii").lower()
    return _CHARSET_ALIASES.get(name, name)


def _decode_html(data: bytes, rel: str) -> tuple[str, str]:
    """Honour <meta charset>, but only if a strict decode with it is plausible text."""
    declared = _declared_charset(data)
    if declared and _utf8(data) is None and not data.startswith(tuple(b for b, _ in _BOMS)):
        text = _strict(data, declared)
        if text is not None and text.strip() and _plausibility(text) >= _MIN_PLAUSIBLE:
            return text.replace("\r\n", "\n").replace("\r", "\n"), declared
    return decode_bytes(data, rel)


def _html_pieces(node: Tag) -> Iterator[str]:
    for child in node.children:
        if isinstance(child, PreformattedString):  # comments, doctype, CDATA
            continue
        if isinstance(child, NavigableString):
            yield _HTML_SPACE.sub(" ", _HTML_CJK_BREAK.sub("", str(child)))
        elif isinstance(child, Tag):
            if child.name == "br":
                yield "\n"
                continue
            block = child.name in _HTML_BLOCK
            if block:
                yield "\n"
            yield from _html_pieces(child)
            if block:
                yield "\n"
            elif child.name in _HTML_CELLS:
                yield " | "


def _page_title(soup: BeautifulSoup) -> str:
    """<title> without the usual `_站名` / ` - 站名` suffix."""
    raw = soup.title.get_text(" ", strip=True) if soup.title else ""
    first = re.split(r"\s*[_|｜]\s*|\s+[-–—]\s+", raw)[0].strip()
    return first if len(first) >= 4 else raw


def html_to_text(markup: str) -> str:
    """Visible body text of an HTML page, one block element per line."""
    soup = BeautifulSoup(markup, "lxml")
    title = _page_title(soup)
    for tag in soup.find_all(sorted(_HTML_DROP)):
        tag.decompose()
    body = soup.body or soup
    text = "".join(_html_pieces(body))
    lines = [line.strip(" |") for line in text.split("\n")]  # " | " ends each table cell
    body_text = "\n".join(line for line in lines if line)
    if title and body.find(re.compile(r"^h[1-6]$")) is None and not body_text.startswith(title):
        return f"{title}\n{body_text}"
    return body_text


# -- docx / pdf -----------------------------------------------------------------------------
def _docx_blocks(document: DocxDocument, element: Any) -> Iterator[str]:
    for child in element.iterchildren():
        tag = child.tag.rsplit("}", 1)[-1]
        if tag == "p":
            yield Paragraph(child, document).text
        elif tag == "tbl":
            yield from _docx_table(Table(child, document))
        elif tag in ("sdt", "sdtContent"):  # content controls wrap ordinary paragraphs
            yield from _docx_blocks(document, child)


def _docx_table(table: Table) -> Iterator[str]:
    for row in table.rows:
        cells: list[str] = []
        seen: set[int] = set()
        for cell in row.cells:
            if id(cell._tc) in seen:  # a merged cell is repeated once per grid column
                continue
            seen.add(id(cell._tc))
            cells.append(" ".join(cell.text.split()))
        yield " | ".join(c for c in cells if c)


def docx_to_text(data: bytes) -> str:
    """Paragraphs and table rows (cells joined by ` | `) in document order."""
    document = Document(io.BytesIO(data))
    body = document.element.body
    return "\n".join(_docx_blocks(document, body))


def pdf_to_text(data: bytes, rel: str) -> str:
    """Text of every page, pages separated by a blank line."""
    reader = PdfReader(io.BytesIO(data))
    if reader.is_encrypted and not reader.decrypt(""):
        raise LoadError(rel, "is a password-protected PDF; save an unprotected copy and add that instead")
    if len(reader.pages) == 0:
        raise LoadError(rel, "is a PDF with no readable pages (truncated or corrupt); re-download or re-export it")
    return "\n\n".join((page.extract_text() or "").strip() for page in reader.pages)


# -- dispatch -------------------------------------------------------------------------------
def _load_md(data: bytes, rel: str) -> tuple[str, str]:
    text, codec = decode_bytes(data, rel)
    return strip_markdown(text), codec


def _load_html(data: bytes, rel: str) -> tuple[str, str]:
    markup, codec = _decode_html(data, rel)
    return html_to_text(markup), codec


_LOADERS: dict[str, tuple[str, Callable[[bytes, str], tuple[str, str]]]] = {
    ".txt": ("txt", decode_bytes),
    ".md": ("md", _load_md),
    ".html": ("html", _load_html),
    ".htm": ("html", _load_html),
    ".docx": ("docx", lambda data, rel: (docx_to_text(data), "docx")),
    ".pdf": ("pdf", lambda data, rel: (pdf_to_text(data, rel), "pdf")),
}
_HINTS = {
    "docx": "open it in Word or WPS and save it again as .docx",
    "pdf": "re-download it or export it again as PDF",
    "html": "save the page again or copy its text into a .txt file",
}


def check_size(rel: str, size: int, max_bytes: int) -> None:
    """Raise the LoadError for a file over the byte limit (also used before hashing it)."""
    if size > max_bytes:
        raise LoadError(
            rel,
            f"is {size:,} bytes, over the limit of {max_bytes:,}; split the report or raise the setting "
            "limits.max_file_bytes (REFORMQA_LIMITS__MAX_FILE_BYTES)",
        )


def _read(path: Path, rel: str, max_bytes: int) -> bytes:
    try:
        check_size(rel, path.stat().st_size, max_bytes)
        return path.read_bytes()
    except OSError as exc:
        raise LoadError(rel, f"cannot be read ({exc.strerror or exc}); check that it exists and is readable") from exc


def load_file(path: Path, rel: str, *, max_bytes: int = 50_000_000) -> LoadedText:
    """Load one report file by its suffix; any failure is a LoadError naming `rel`."""
    suffix = path.suffix.lower()
    if suffix not in _LOADERS:
        supported = ", ".join(sorted(SUPPORTED_SUFFIXES))
        raise LoadError(rel, f"has the unsupported type '{suffix or '(no suffix)'}'; convert it to one of: {supported}")
    fmt, loader = _LOADERS[suffix]
    data = _read(path, rel, max_bytes)
    try:
        text, codec = loader(data, rel)
    except LoadError:
        raise
    except Exception as exc:  # a parser's own error type is not ours: translate it here, at the edge
        hint = _HINTS.get(fmt, "re-save it as UTF-8 text")
        reason = f"is not a readable {fmt} file, probably truncated or corrupt ({type(exc).__name__}: {exc})"
        raise LoadError(rel, f"{reason}; {hint}") from exc
    if not text.strip():
        what = "no extractable text (a scanned PDF needs OCR first)" if fmt == "pdf" else "no text"
        raise LoadError(rel, f"has {what}; add the report's text or remove the file")
    return LoadedText(rel=rel, text=text, encoding=codec, fmt=fmt)
