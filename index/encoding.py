"""Detect a report's text encoding on a bounded sample, then decode it once.

The reports are scraped Chinese web pages and office exports: GB18030/GBK, Big5, UTF-16
and UTF-8 with or without a BOM all occur, and some files mix in a few stray bytes (a
UTF-8 page with one GBK-encoded name, a NUL left by an editor). Detection never costs more
than decoding: candidates are scored on a sample of `SAMPLE_BYTES` only, the whole file is
decoded once with the winner, in pieces, stopping as soon as it holds more characters than
allowed. A file that is mostly text keeps its text, with the bad bytes replaced and
counted; only a file that is mostly not text is refused as binary.
"""

from __future__ import annotations

import codecs
import re
import threading
from dataclasses import dataclass
from functools import lru_cache

import charset_normalizer

from index.errors import LoadError

SAMPLE_BYTES = 64 * 1024
"""What detection reads: enough for thousands of hanzi, cheap to decode four times."""
PIECE_BYTES = 1 << 20
"""Decoding goes this many bytes at a time, so a character limit stops it early."""
MAX_BAD_SHARE = 0.01
"""Share of undecodable bytes a file may have and still be text (replaced, and counted)."""

BOMS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
# Big5 is tried as the strict standard table first, then Microsoft's cp950 superset.
CJK_CODECS = ("gb18030", "big5", "cp950")
MIN_PLAUSIBLE = 0.8
"""Share of well-formed characters a CJK decode needs: right decodes score ~0.95+, a GBK
text read as Big5 (or the reverse) about 0.3-0.6."""
MAX_CONTROL_SHARE = 0.01
BINARY = (
    "looks like a binary file, not text; check that it is the report itself (not an archive or image) "
    "and re-save it as UTF-8 text"
)
EMPTY = "is empty (no text); add the report's text or remove the file"
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f-\x9f]")  # Cc without \t \n \f \r

# -- counting replacement ---------------------------------------------------------------------
_counter = threading.local()


def _count_and_replace(exc: UnicodeError) -> tuple[str, int]:
    assert isinstance(exc, UnicodeDecodeError)
    _counter.bad = getattr(_counter, "bad", 0) + (exc.end - exc.start)
    return "\ufffd", exc.end


codecs.register_error("reformqa-count", _count_and_replace)


def _decode_counting(data: bytes, codec: str, *, final: bool, max_chars: int | None = None) -> tuple[str, int, bool]:
    """(text, bad bytes replaced, cut) in pieces; `cut` when `max_chars` was exceeded.

    With `final=False` an incomplete character at the very end is dropped, not counted:
    a sample (or a file) cut in the middle of a character is not corrupt.
    """
    decoder = codecs.getincrementaldecoder(codec)(errors="reformqa-count")
    _counter.bad = 0
    parts: list[str] = []
    chars = 0
    for start in range(0, len(data), PIECE_BYTES):
        last = start + PIECE_BYTES >= len(data)
        part = decoder.decode(data[start : start + PIECE_BYTES], final=final and last)
        parts.append(part)
        chars += len(part)
        if max_chars is not None and chars > max_chars and not last:  # stop: no need to read on
            return "".join(parts), _counter.bad, True
    return "".join(parts), _counter.bad, False


# -- plausibility -----------------------------------------------------------------------------
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


def plausibility(text: str) -> float:
    """How much `text` looks like correctly decoded Chinese/ASCII text (0..1).

    Replacement characters (bytes already counted as bad) are left out of the share."""
    wide = [ch for ch in text if ord(ch) > 0x7E and not ch.isspace() and ch != "\ufffd"]
    if not wide:
        return 1.0
    common = _common_hanzi()
    return sum(_char_weight(ch, common) for ch in wide) / len(wide)


def control_share(text: str) -> float:
    return len(_CONTROL.findall(text)) / max(len(text), 1)


# -- choosing a codec on the sample -------------------------------------------------------------
@dataclass(frozen=True)
class _Trial:
    codec: str
    bad: int
    plausible: float


def _trial(sample: bytes, codec: str) -> _Trial | None:
    try:
        text, bad, _ = _decode_counting(sample, codec, final=False)  # a cut last character is no error
    except LookupError:
        return None
    if control_share(text) > MAX_CONTROL_SHARE:
        return None
    return _Trial(codec, bad, plausibility(text))


_NON_ASCII = re.compile(rb"[\x80-\xff]")


def _sample(data: bytes) -> bytes:
    """The bytes detection looks at: from the first non-ASCII byte on, so a page that opens
    with 100 KB of ASCII script is judged by its Chinese text, not by its JavaScript. (That
    byte starts a character in every candidate encoding: everything before it is ASCII.)
    UTF-16 is judged from the start, where its byte order shows."""
    head = data[:SAMPLE_BYTES]
    if b"\x00" in head:
        return head
    first = _NON_ASCII.search(data)
    start = first.start() if first is not None and first.start() >= SAMPLE_BYTES // 2 else 0
    return data[start : start + SAMPLE_BYTES]


def _choose(sample: bytes) -> str | None:
    """The codec to decode the whole file with, judged by its `sample`."""
    if b"\x00" in sample:  # UTF-16's NULs are the zero halves of ASCII (and of 一, 开, …)
        trials = [t for c in ("utf-16-le", "utf-16-be") if (t := _trial(sample, c)) is not None]
        clean = [t for t in trials if t.bad == 0 and t.plausible >= MIN_PLAUSIBLE]
        if clean:
            return max(clean, key=lambda t: t.plausible).codec
        # else: text with a stray NUL (an editor's leftover) is still text, tried below
    utf8 = _trial(sample, "utf-8")
    if utf8 is not None and utf8.bad == 0:
        return "utf-8"
    trials = [t for c in CJK_CODECS if (t := _trial(sample, c)) is not None]
    # GB18030 first: it wins ties (max keeps the first), the corpus is mainland Chinese.
    clean = [t for t in trials if t.bad == 0 and t.plausible >= MIN_PLAUSIBLE]
    if clean:
        return max(clean, key=lambda t: t.plausible).codec
    limit = MAX_BAD_SHARE * len(sample)
    lenient = [t for t in ([utf8] if utf8 else []) + trials if t.bad <= limit and t.plausible >= MIN_PLAUSIBLE]
    if lenient:  # mostly text with a few stray bytes: the most plausible, then the fewest bad bytes
        return max(lenient, key=lambda t: (t.plausible, -t.bad)).codec
    match = charset_normalizer.from_bytes(sample).best()
    return None if match is None else str(match.encoding)


# -- decoding ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class Decoded:
    """A report's text, the encoding it was read with, and how many bytes were not text."""

    text: str
    encoding: str
    bad_bytes: int = 0

    @property
    def note(self) -> str | None:
        if not self.bad_bytes:
            return None
        n = self.bad_bytes
        return f"{n:,} byte{'s' if n > 1 else ''} that are not valid {self.encoding} replaced by �"


def chars_over_limit(rel: str, count: int, limit: int, *, at_least: bool = False) -> LoadError:
    """The LoadError for text over `limits.max_text_chars`."""
    more = "more than " if at_least else ""
    return LoadError(
        rel,
        f"has {more}{count:,} characters of text, over the limit of {limit:,}; split the report "
        "or raise the setting limits.max_text_chars (REFORMQA_LIMITS__MAX_TEXT_CHARS)",
    )


def _bom(data: bytes) -> tuple[str, int] | None:
    for bom, codec in BOMS:
        if data.startswith(bom):
            return codec, len(bom)
    return None


def decode_report(data: bytes, rel: str, *, max_chars: int | None = None, codec: str | None = None) -> Decoded:
    """Decode report bytes to text with `\\n` newlines (raises LoadError).

    Order: a byte-order mark, else `codec` if given (a verified HTML declaration), else the
    codec chosen on the first `SAMPLE_BYTES`: UTF-16 by its NUL pattern, strict UTF-8, the
    most plausible strict GB18030/Big5, the most plausible with a few bad bytes, then
    charset-normalizer. Refused: empty data, binary data, text over `max_chars`.
    """
    if not data.strip():
        raise LoadError(rel, EMPTY)
    bom = _bom(data)
    if bom is not None:
        codec, skip = bom
        data = data[skip:]
        codec = codec.removesuffix("-sig")
    elif codec is None:
        codec = _choose(_sample(data))
        if codec is None:
            raise LoadError(rel, BINARY)
    text, bad, cut = _decode_counting(data, codec, final=False, max_chars=max_chars)
    if max_chars is not None and len(text) > max_chars:
        raise chars_over_limit(rel, len(text), max_chars, at_least=cut)
    if bom is not None and bad:
        name = bom[0]
        raise LoadError(rel, f"starts with a {name} byte-order mark but is not valid {name}; re-save it as UTF-8")
    if bad > MAX_BAD_SHARE * len(data) or control_share(text) > MAX_CONTROL_SHARE:
        raise LoadError(rel, BINARY)
    if not text.strip():
        raise LoadError(rel, EMPTY)
    shown = bom[0] if bom is not None else codec
    return Decoded(text.replace("\r\n", "\n").replace("\r", "\n"), shown, bad)


def decode_bytes(data: bytes, rel: str) -> tuple[str, str]:
    """Decode report bytes: returns (text with `\\n` newlines, encoding name)."""
    found = decode_report(data, rel)
    return found.text, found.encoding


# -- HTML declarations --------------------------------------------------------------------------
_META_CHARSET = re.compile(rb"<meta[^>]+charset\s*=\s*[\"']?\s*([a-zA-Z0-9_\-]+)", re.I)
_CHARSET_ALIASES = {"gb2312": "gb18030", "gbk": "gb18030", "x-gbk": "gb18030", "big5": "cp950", "utf8": "utf-8"}


def declared_charset(data: bytes) -> str | None:
    """The `<meta charset>` of an HTML page (first 4 KB), as a Python codec name."""
    match = _META_CHARSET.search(data[:4096])
    if match is None:
        return None
    name = match.group(1).decode("ascii").lower()
    return _CHARSET_ALIASES.get(name, name)


def verified_declaration(data: bytes) -> str | None:
    """The declared charset, if the sample reads as plausible text with it and is not UTF-8."""
    declared = declared_charset(data)
    if not declared or _bom(data) is not None:
        return None
    sample = _sample(data)
    utf8 = _trial(sample, "utf-8")
    if utf8 is not None and utf8.bad == 0:
        return None
    trial = _trial(sample, declared)
    if trial is None or trial.bad or trial.plausible < MIN_PLAUSIBLE:
        return None
    return declared
