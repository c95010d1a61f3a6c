"""The normalized form that search and matching work on.

Reports are shown and quoted in their own script; search, keyword matching and answer
scoring work on a Simplified-Chinese, half-width, lower-cased form. `normalize` keeps the
length of its input, so one character span locates a quote in both forms.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

import opencc

# Quote marks normalised to one family so that 「…」 (Traditional texts) and “…” match.
_PUNCT_MAP = str.maketrans({"「": "“", "」": "”", "『": "‘", "』": "’", "\u3000": " "})
_NON_WORD = re.compile(r"\W+")
GAP = "〔原文乱码〕"
"""Where cleaning found text that cannot be read (index.mojibake): shown to readers, but not
words, so the normalized form holds blanks there (search and answer scoring ignore it)."""
_GAP_BLANK = " " * len(GAP)
_PINYIN_PAREN = re.compile(r"[(（][a-zA-Zāáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜü]{1,7}[1-5]?[)）]")


@lru_cache(maxsize=1)
def _t2s() -> opencc.OpenCC:
    return opencc.OpenCC("t2s")


def _halfwidth(ch: str) -> str:
    # NFKC would also fold many CJK compatibility forms into several characters; only the
    # full-width ASCII block is folded here, which is always one character to one.
    code = ord(ch)
    if 0xFF01 <= code <= 0xFF5E:
        return chr(code - 0xFEE0)
    return ch


def to_simplified(text: str) -> str:
    """Traditional → Simplified, guaranteed to keep the length (falls back per character)."""
    converted: str = _t2s().convert(text)
    if len(converted) == len(text):
        return converted
    # Phrase conversions that change length are rare; per-character conversion keeps the
    # alignment at the cost of the odd phrase-level choice.
    return "".join(c if len(c) == 1 else ch for ch, c in ((ch, _t2s().convert(ch)) for ch in text))


def normalize(text: str) -> str:
    """Simplified, half-width, lower-case, unified quotes; same length as `text`."""
    simplified = to_simplified(text)
    folded = "".join(_halfwidth(ch) for ch in simplified.translate(_PUNCT_MAP))
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
