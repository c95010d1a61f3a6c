"""How printed lines join back into text: no space between Chinese characters, one space
between Latin words, a word broken with a soft hyphen made whole; and which line starts a
new block whatever the geometry says (a heading or list marker)."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence

__all__ = ["SOFT_HYPHEN", "ends_sentence", "is_wide", "join_lines", "joint", "starts_block"]

SOFT_HYPHEN = "\u00ad"


def is_wide(ch: str) -> bool:
    """A Chinese/Japanese/Korean character or full-width mark: no spaces between such."""
    return unicodedata.east_asian_width(ch) in ("W", "F")


_CN_NUM = "一二三四五六七八九十百零"
BLOCK_START = re.compile(
    rf"\s*(?:第[{_CN_NUM}\d]{{1,4}}[章节条款篇部编](?![{_CN_NUM}\d])"
    rf"|[{_CN_NUM}]{{1,3}}[、．]"
    rf"|[(（][{_CN_NUM}\d]{{1,3}}[)）]"
    r"|\d{1,2}[.．、](?![\d.．])"
    r"|\d{1,2}(?:\.\d{1,2}){2,}(?!\d)"
    r"|[A-Z]\.\d{1,2}(?:\.\d{1,2})*(?![\d.])"
    r"|[①-⑳⑴-⒇㈠-㈩]"
    r"|[•●◆◇■□▪▶➢√☑☐※])"
)
"""A heading or list item starts here: 第三条, 一、, （一）, (1), 1. / 1、, 4.1.2, ①, a bullet.
"1." needs a non-digit after it (not 1.5), and a two-part clause number (4.1) is not a
marker on its own: a wrapped line can start with "4.4万亿元". An annex clause (C.1, D.2.1)
is one."""

NUMBER_ONLY = re.compile(
    rf"\s*(?:[A-Z]?\.?\d{{1,3}}(?:\.\d{{1,3}})*[.．、]?|[A-Z](?:\.\d{{1,3}})+|第[{_CN_NUM}\d]{{1,4}}[章节条款篇部编]"
    rf"|[{_CN_NUM}]{{1,3}}[、．]|[(（][{_CN_NUM}\d]{{1,3}}[)）]|[①-⑳⑴-⒇㈠-㈩]|[•●◆◇■□▪▶➢※])\s*"
)
"""A piece of text that is only a clause, list or heading number ("3.1.1", "C.1.2", "第五条",
"（二）"): set apart from its text by a wide gap, it is not a table cell."""


_SENTENCE_END = re.compile(r"(?:[。！？!?；;…：:]|(?<!\d)\.)[”’」』）)\]\"'》]*\s*$")


def ends_sentence(text: str) -> bool:
    """Does the line end a sentence (or a clause that introduces a list: "…如下：")?"""
    return bool(_SENTENCE_END.search(text))


def starts_block(text: str) -> bool:
    """Does this line begin a heading or a list item (a break before it, always)?"""
    return bool(BLOCK_START.match(text))


_LATIN_END = re.compile(r"[A-Za-z0-9À-ɏ,.;:!?)\]%'\"”’]")
_LATIN_START = re.compile(r"[A-Za-z0-9À-ɏ(\[\"'“‘]")


def joint(before: str, after: str) -> tuple[str, int]:
    """How `after` continues `before` on the next printed line: (separator, characters to
    drop from the end of `before`).

    Chinese has no spaces between words, Latin has one; a soft hyphen at the end of a line
    marks a word broken in two (dropped before a letter, a printed hyphen otherwise); a
    dash or hyphen at a line end takes no space ("state-\\nowned", "GB/T 3623—\\n2007")."""
    if not before or not after:
        return "", 0
    last, first = before[-1], after[0]
    if last == SOFT_HYPHEN:
        return ("", 1) if first.isalpha() and not is_wide(first) else ("-", 1)
    if _LATIN_END.match(last) and _LATIN_START.match(first):
        return " ", 0
    return "", 0


def join_lines(lines: Sequence[str]) -> str:
    """Printed lines joined as running text (see `joint`)."""
    out = ""
    for line in (ln.strip() for ln in lines):
        if not line:
            continue
        sep, drop = joint(out, line)
        out = out[: len(out) - drop] + sep + line
    return end_hyphen(out)


def end_hyphen(text: str) -> str:
    """A soft hyphen left at the end of a line is a printed hyphen."""
    return text[:-1] + "-" if text.endswith(SOFT_HYPHEN) else text
