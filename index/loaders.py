"""Read report files (txt, md, html, docx, pdf, png/jpg/tif) into `LoadedText`.

Encodings are detected, never assumed (`index.encoding`); a PDF is read by position
(`index.pdf_reader`) and its layout turned into text (`index.layout`). Every limit applies while the
file is read (`ReadLimits`): bytes before reading, decompressed bytes of a .docx as they
come out, a PDF's page count before any page is parsed, characters while decoding. Every
failure (undecodable bytes, a corrupt docx, an encrypted pdf) becomes a `LoadError`
naming the file, the reason and the fix, so one bad file never stops an ingest.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from index.docx_reader import docx_text
from index.encoding import Decoded, chars_over_limit, decode_bytes, decode_report, verified_declaration
from index.errors import LoadError
from index.html_main import read_html
from index.images import IMAGE_FORMATS, image_pages
from index.layout import lay_out
from index.ocr import make_ocr_engine
from index.ocr_pages import OcrOptions, OcrRun, ocr_pdf_page
from index.pdf_reader import PageOcr, pdf_page_count, read_pdf
from index.types import LoadedText, PageLines

__all__ = [
    "CONVERTIBLE",
    "SUPPORTED_SUFFIXES",
    "Read",
    "ReadLimits",
    "check_size",
    "decode_bytes",
    "html_to_text",
    "load_file",
    "paged_text",
]


@dataclass(frozen=True)
class ReadLimits:
    """Bounds that apply WHILE a file is read, so a hostile file costs at most these."""

    max_bytes: int = 50_000_000
    """The file on disk (settings: limits.max_file_bytes)."""
    max_chars: int | None = None
    """Characters of text (settings: limits.max_text_chars); None: no limit."""
    max_unpacked_bytes: int = 128_000_000
    """A .docx's parts once decompressed, all together: a 300 KB zip bomb unpacks to GBs."""
    max_pdf_pages: int = 5_000
    """Pages of a PDF (or frames of an image), counted before any page is parsed."""
    max_ocr_pages: int = 100
    """Pages of one file read by OCR; the rest are skipped and named (limits.max_ocr_pages)."""
    max_ocr_seconds: float = 900.0
    """Seconds of OCR for one file; pages not started by then are skipped (limits.max_ocr_seconds)."""
    max_image_pixels: int = 60_000_000
    """Pixels of an image frame before it is decoded, and of a PDF page rendered for OCR."""

    @property
    def max_markup_chars(self) -> int | None:
        """HTML markup is a few times its text: bound the parser, not only the result."""
        return None if self.max_chars is None else 5 * self.max_chars


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
def html_to_text(markup: str) -> str:
    """The main content of an HTML page, one block element per line (`index.html_main`)."""
    return read_html(markup).text


# -- docx / pdf -----------------------------------------------------------------------------
def _check_unpacked(data: bytes, rel: str, limit: int) -> None:
    """Decompress every part of a .docx in bounded pieces and stop past `limit` bytes.

    The sizes a zip declares can lie, so the bytes are counted as they come out; a bomb
    costs `limit` bytes of decompression, not gigabytes of parsing."""
    total = 0
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        for info in zf.infolist():
            with zf.open(info) as part:
                while piece := part.read(1 << 20):
                    total += len(piece)
                    if total > limit:
                        raise LoadError(
                            rel,
                            f"unpacks to more than {limit:,} bytes (a zip bomb, or a document full of images); "
                            "save a copy without the large content, or paste its text into a .txt file",
                        )


def docx_to_text(data: bytes, rel: str = "", limits: ReadLimits | None = None) -> str:
    """Paragraphs (with their list numbers) and table rows (cells joined by ` | `) in document
    order, body only (`index.docx_reader`)."""
    _check_unpacked(data, rel, (limits or ReadLimits()).max_unpacked_bytes)
    return docx_text(data)


def _pdf_ocr(data: bytes, run: OcrRun | None) -> PageOcr | None:
    """OCR for the pages of this PDF that have no text layer (or an unreadable one): a
    function from a 0-based page index to that page's `PageLines` (with `ocr=True`), or None
    when the run's budget skips it. No run: such pages give no text."""
    if run is None:
        return None

    def ocr(index: int) -> PageLines | None:
        if not run.total:  # the first page without text: at most the pages left can follow
            run.plan(pdf_page_count(data) - index)
        return ocr_pdf_page(data, index, run)

    return ocr


def paged_text(pages: Sequence[PageLines], doc_title: str = "", notes: Sequence[str] = ()) -> Read:
    """The text of pages read by layout (`index.layout`), with their starts and title lines;
    for PDF text layers and for OCR output alike."""
    laid = lay_out(pages, doc_title)
    return Read(
        laid.text,
        page_starts=laid.page_starts,
        ocr_pages=tuple(p.number for p in pages if p.ocr),
        title_lines=laid.title_lines,
        notes=tuple(notes),
    )


def pdf_to_text(data: bytes, rel: str, limits: ReadLimits | None = None, run: OcrRun | None = None) -> Read:
    """The text of every page, read by position (bounded in pages and characters); a page
    without a text layer is read by OCR through `run`."""
    limits = limits or ReadLimits()
    read = read_pdf(data, rel, max_pages=limits.max_pdf_pages, max_chars=limits.max_chars, ocr=_pdf_ocr(data, run))
    ocr_notes = run.finish() if run is not None else ()
    return paged_text(read.pages, read.title, (*read.notes, *ocr_notes))


# -- dispatch -------------------------------------------------------------------------------
_NOT_DECODED = Decoded("", "")


@dataclass(frozen=True)
class Read:
    """What one loader read from a file (see `LoadedText` for the fields)."""

    text: str
    found: Decoded = _NOT_DECODED
    page_starts: tuple[int, ...] = ()
    ocr_pages: tuple[int, ...] = ()
    title_lines: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    stated_date: str = ""


def _load_text(data: bytes, rel: str, limits: ReadLimits) -> Read:
    found = decode_report(data, rel, max_chars=limits.max_chars)
    return Read(found.text, found)


def _load_md(data: bytes, rel: str, limits: ReadLimits) -> Read:
    found = decode_report(data, rel, max_chars=limits.max_chars)
    return Read(strip_markdown(found.text), found)


def _load_html(data: bytes, rel: str, limits: ReadLimits) -> Read:
    """Honour <meta charset>, but only if the page reads as plausible text with it."""
    found = decode_report(data, rel, max_chars=limits.max_markup_chars, codec=verified_declaration(data))
    page = read_html(found.text)
    return Read(page.text, found, title_lines=page.title_lines, stated_date=page.date)


def _load_docx(data: bytes, rel: str, limits: ReadLimits) -> Read:
    return Read(docx_to_text(data, rel, limits), Decoded("", "docx"))


def _load_pdf(data: bytes, rel: str, limits: ReadLimits, run: OcrRun) -> Read:
    return pdf_to_text(data, rel, limits, run)


def _load_image(data: bytes, rel: str, limits: ReadLimits, run: OcrRun) -> Read:
    pages = image_pages(data, rel, run, max_pixels=limits.max_image_pixels, max_pages=limits.max_pdf_pages)
    return paged_text(pages, notes=run.finish())


_LOADERS: dict[str, tuple[str, Callable[[bytes, str, ReadLimits], Read]]] = {
    ".txt": ("txt", _load_text),
    ".md": ("md", _load_md),
    ".html": ("html", _load_html),
    ".htm": ("html", _load_html),
    ".docx": ("docx", _load_docx),
}
_PAGED_LOADERS: dict[str, tuple[str, Callable[[bytes, str, ReadLimits, OcrRun], Read]]] = {
    ".pdf": ("pdf", _load_pdf),
    **{suffix: (fmt, _load_image) for suffix, fmt in IMAGE_FORMATS.items()},
}
"""Formats with pages, some of which may be read by OCR."""
SUPPORTED_SUFFIXES: frozenset[str] = frozenset(_LOADERS) | frozenset(_PAGED_LOADERS)
_HINTS = {
    "docx": "open it in Word or WPS and save it again as .docx",
    "pdf": "re-download it or export it again as PDF",
    "html": "save the page again or copy its text into a .txt file",
    **{fmt: "open it in an image viewer and save it again (PNG, JPEG or TIFF)" for fmt in IMAGE_FORMATS.values()},
}
CONVERTIBLE: dict[str, str] = {
    ".doc": "is an old binary Word file (.doc), which cannot be read; open it in Word or WPS and save it as .docx",
    ".wps": "is a WPS Writer file (.wps), which cannot be read; open it in WPS and save it as .docx",
    ".rtf": "is a Rich Text file (.rtf), which cannot be read; open it in Word or WPS and save it as .docx",
}
"""Report types that are not read but are named with the fix (a scan lists them as failed
instead of passing over them in silence)."""


def check_size(rel: str, size: int, max_bytes: int) -> None:
    """Raise the LoadError for a file over the byte limit (also used before hashing it)."""
    if size > max_bytes:
        raise LoadError(
            rel,
            f"is {size:,} bytes, over the limit of {max_bytes:,}; split the report or raise the setting "
            "limits.max_file_bytes (REFORMQA_LIMITS__MAX_FILE_BYTES)",
        )


def check_chars(rel: str, text: str, limits: ReadLimits) -> None:
    """Raise the LoadError for text over the character limit (after extraction)."""
    if limits.max_chars is not None and len(text) > limits.max_chars:
        raise chars_over_limit(rel, len(text), limits.max_chars)


def _read(path: Path, rel: str, max_bytes: int) -> bytes:
    try:
        check_size(rel, path.stat().st_size, max_bytes)
        with path.open("rb") as fh:
            data = fh.read(max_bytes + 1)  # the file may have grown since it was measured
        check_size(rel, len(data), max_bytes)
        return data
    except OSError as exc:
        raise LoadError(rel, f"cannot be read ({exc.strerror or exc}); check that it exists and is readable") from exc


def load_file(
    path: Path,
    rel: str,
    *,
    max_bytes: int = 50_000_000,
    limits: ReadLimits | None = None,
    ocr: OcrOptions | None = None,
) -> LoadedText:
    """Load one report file by its suffix; any failure is a LoadError naming `rel`.

    `ocr` reads scanned PDF pages and images (default: the real engine, loaded on the first
    page that needs it)."""
    limits = limits or ReadLimits(max_bytes=max_bytes)
    suffix = path.suffix.lower()
    if suffix in CONVERTIBLE:
        raise LoadError(rel, CONVERTIBLE[suffix])
    if suffix not in SUPPORTED_SUFFIXES:
        supported = ", ".join(sorted(SUPPORTED_SUFFIXES))
        raise LoadError(rel, f"has the unsupported type '{suffix or '(no suffix)'}'; convert it to one of: {supported}")
    fmt = (_LOADERS.get(suffix) or _PAGED_LOADERS[suffix])[0]
    data = _read(path, rel, limits.max_bytes)
    try:
        read = _load(suffix, data, rel, limits, ocr)
    except LoadError:
        raise
    except Exception as exc:  # a parser's own error type is not ours: translate it here, at the edge
        hint = _HINTS.get(fmt, "re-save it as UTF-8 text")
        reason = f"is not a readable {fmt} file, probably truncated or corrupt ({type(exc).__name__}: {exc})"
        raise LoadError(rel, f"{reason}; {hint}") from exc
    if not read.text.strip():
        raise LoadError(rel, f"has {_no_text(fmt, read)}; add the report's text or remove the file")
    check_chars(rel, read.text, limits)
    notes = ((read.found.note,) if read.found.note else ()) + read.notes
    return LoadedText(
        rel=rel,
        text=read.text,
        encoding=read.found.encoding,
        fmt=fmt,
        notes=notes,
        page_starts=read.page_starts,
        ocr_pages=read.ocr_pages,
        title_lines=read.title_lines,
        stated_date=read.stated_date,
    )


def _load(suffix: str, data: bytes, rel: str, limits: ReadLimits, ocr: OcrOptions | None) -> Read:
    if suffix not in _PAGED_LOADERS:
        return _LOADERS[suffix][1](data, rel, limits)
    options = ocr or OcrOptions(make_ocr_engine("rapidocr"))
    run = options.run(
        rel, max_pages=limits.max_ocr_pages, max_seconds=limits.max_ocr_seconds, max_pixels=limits.max_image_pixels
    )
    fmt, loader = _PAGED_LOADERS[suffix]
    return replace(loader(data, rel, limits, run), found=Decoded("", fmt))


def _no_text(fmt: str, read: Read) -> str:
    """Why a file gave no text, with what OCR did or skipped."""
    if read.notes:
        return "no text (" + "; ".join(read.notes) + ")"
    if fmt == "pdf" or fmt in IMAGE_FORMATS.values():
        return "no text that OCR could read (a blank or illegible scan)"
    return "no text"
