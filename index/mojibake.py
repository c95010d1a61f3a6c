"""Mojibake: runs of a report decoded with the wrong codec, repaired or marked as a gap.

Some scraped pages carry text that went through GBK with a one-byte shift: every character
pairs the second byte of one original character with the first byte of the next, and the
bytes the decoder could not pair became `?` (with the ASCII of a neighbouring pinyin
annotation, e.g. `?yōu)`, glued on). In report 004, `業績?yōu)橹行牡摹皩嵖兞炕己?綜合` is
`業績為中心的“實績量化考核+綜合` shifted by one byte.

`repair_mojibake` finds such runs by their markers (a `?` glued to Chinese text, optionally
followed by an orphaned pinyin tail such as `nèi)`), re-encodes each run as GBK, decodes it
one byte later and keeps the result only when every character is a common (GB2312) one once
simplified; whatever cannot be recovered becomes the visible gap `〔原文乱码〕`, never words.
"""

from __future__ import annotations

import re

from index.textnorm import GAP, to_simplified

_TONED = "āáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜü"
_CJK = r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_TAIL = rf"[a-z{_TONED}]{{1,6}}\)"
# A run opens with a `?` glued to Chinese text and an orphaned pinyin tail (`?yōu)` has no
# opening bracket) and closes at the next `?` when only Chinese characters and brackets come
# between (no sentence punctuation: a real `?` ends a question, the next is sentences away).
# A bare `?` never opens a run, so `什么?我们` stays as it is.
_RUN = re.compile(
    rf"(?<=[{_CJK}\u3000-\u303f\uff00-\uffef])\?{_TAIL}"
    rf"(?:(?P<body>[{_CJK}\u3008-\u3011\u3014-\u301b“”‘’]{{0,24}})\?(?:{_TAIL})?)?"
)


CODECS = ("gbk",)
"""The codecs a shifted run is tried in. Big5 is not: its second bytes include ASCII, so a
shifted Big5 run breaks into letters and `?` that this module's run pattern does not take."""


def _shift_decode(run: str, codec: str) -> str:
    """The run's bytes in `codec`, decoded one byte later; "" when they do not decode."""
    try:
        data = run.encode(codec)[1:]
        text = data[: len(data) - len(data) % 2].decode(codec)
    except (UnicodeEncodeError, UnicodeDecodeError):
        return ""
    # The last character straddles the bytes that were lost at the closing marker.
    return text[:-1]


def _recover(run: str) -> str:
    """The run decoded back to common characters (GB2312 once simplified), or "" when none does."""
    for codec in CODECS:
        text = _shift_decode(run, codec)
        try:
            to_simplified(text).encode("gb2312")
        except UnicodeEncodeError:
            continue  # still rare characters: the shift did not find the text
        if text:
            return text
    return ""


def repair_mojibake_count(text: str) -> tuple[str, int, int]:
    """(text, runs repaired, runs marked as a gap)."""
    repaired = gaps = 0

    def replace(match: re.Match[str]) -> str:
        nonlocal repaired, gaps
        fixed = _recover(match.group("body") or "")
        if fixed:
            repaired += 1
            return f"{GAP}{fixed}{GAP}"
        gaps += 1
        return GAP

    return _RUN.sub(replace, text), repaired, gaps


def repair_mojibake(text: str) -> str:
    """Mojibake runs repaired where the bytes allow it, else replaced by `〔原文乱码〕`."""
    return repair_mojibake_count(text)[0]
