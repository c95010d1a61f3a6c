"""The normalized form that search and matching work on.

Reports are shown and quoted in their own script; search, keyword matching and answer
scoring work on a Simplified-Chinese, half-width, lower-cased form in which look-alike
characters are the ordinary ones: a PDF that spells 人工智能 with Kangxi radicals (⼈⼯智能,
U+2F08/U+2F2F), CJK compatibility ideographs or other compatibility forms is found by a
search for 人工智能. `normalize` keeps the length of its input, so one character span
locates a quote in both forms.
"""

from __future__ import annotations

import re
import sys
import unicodedata
from functools import lru_cache
from pathlib import Path

import opencc

# Quote marks normalised to one family so that 「…」 (Traditional texts) and “…” match.
_PUNCT_MAP = str.maketrans({"「": "“", "」": "”", "『": "‘", "』": "’", "\u3000": " "})
_NON_WORD = re.compile(r"\W+")
GAP = "〔原文乱码〕"
"""Where cleaning found text that cannot be read (index.mojibake): shown to readers, but not
words, so the normalized form holds blanks there (search and answer scoring ignore it)."""
_GAP_BLANK = " " * len(GAP)
_PINYIN_PAREN = re.compile(r"[(（][a-zA-Zāáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜü]{1,7}[1-5]?[)）]")


_EQUIVALENTS = Path(__file__).parent / "data" / "EquivalentUnifiedIdeograph.txt"
"""Unicode's Equivalent_Unified_Ideograph property (UCD 14.0.0, shipped unchanged): the CJK
Radicals Supplement (⻓ U+2ED3 → 长) and CJK Strokes, which NFKC leaves alone."""
_EQUIVALENT_LINE = re.compile(r"^([0-9A-F]{4,6})(?:\.\.([0-9A-F]{4,6}))?\s*;\s*([0-9A-F]{4,6})\b")


def _equivalent_ideographs() -> dict[int, str]:
    out: dict[int, str] = {}
    for line in _EQUIVALENTS.read_text(encoding="utf-8").splitlines():
        m = _EQUIVALENT_LINE.match(line)
        if m:
            first, last = int(m.group(1), 16), int(m.group(2) or m.group(1), 16)
            out.update({cp: chr(int(m.group(3), 16)) for cp in range(first, last + 1)})
    return out


@lru_cache(maxsize=1)
def look_alikes() -> dict[int, str]:
    """Code point → the one ordinary character it stands for, derived from Unicode data:
    every character whose NFKC form is a single other character (Kangxi radicals, CJK
    compatibility ideographs in the BMP and beyond it, full-width and other compatibility
    forms), plus the radicals and strokes of Equivalent_Unified_Ideograph. NFKC results of
    several characters (㈱ → (株), ﬁ → fi) are left out: the normalized form keeps the length."""
    table: dict[int, str] = {}
    for cp in range(sys.maxunicode + 1):
        if 0xD800 <= cp <= 0xDFFF:
            continue
        ch = chr(cp)
        folded = unicodedata.normalize("NFKC", ch)
        if len(folded) == 1 and folded != ch:
            table[cp] = folded
    for cp, ch in _equivalent_ideographs().items():
        table.setdefault(cp, ch)
    return table


def fold_look_alikes(text: str) -> str:
    """`text` with each look-alike replaced by its ordinary character (same length)."""
    return text.translate(look_alikes())


@lru_cache(maxsize=1)
def _t2s() -> opencc.OpenCC:
    return opencc.OpenCC("t2s")


def to_simplified(text: str) -> str:
    """Traditional → Simplified, guaranteed to keep the length (falls back per character)."""
    converted: str = _t2s().convert(text)
    if len(converted) == len(text):
        return converted
    # Phrase conversions that change length are rare; per-character conversion keeps the
    # alignment at the cost of the odd phrase-level choice.
    return "".join(c if len(c) == 1 else ch for ch, c in ((ch, _t2s().convert(ch)) for ch in text))


def normalize(text: str) -> str:
    """Look-alikes folded, Simplified, half-width, lower-case, unified quotes; same length as `text`."""
    simplified = to_simplified(fold_look_alikes(text))
    folded = simplified.translate(_PUNCT_MAP)  # full-width ASCII was folded with the look-alikes
    lowered = "".join(ch.lower() if len(ch.lower()) == 1 else ch for ch in folded)
    return lowered.replace(GAP, _GAP_BLANK) if GAP in lowered else lowered


def word_chars(text: str) -> str:
    """The text's word characters (letters, digits, CJK), punctuation and spaces left out."""
    return _NON_WORD.sub("", text)


def char_bigrams(text: str) -> set[str]:
    """Pairs of adjacent word characters, punctuation and spaces left out: a match signal
    that does not depend on how jieba segments the words."""
    joined = word_chars(text)
    return {joined[i : i + 2] for i in range(len(joined) - 1)}


def compact(text: str) -> str:
    """Normalized form without whitespace or pinyin marks: for comparing gold phrases."""
    norm = normalize(unicodedata.normalize("NFC", text))
    norm = _PINYIN_PAREN.sub("", norm)
    return re.sub(r"\s+", "", norm)
