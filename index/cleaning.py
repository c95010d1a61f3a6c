"""Clean a report's raw text: whitespace, pinyin annotations, web boilerplate, repeats.

The reports are scraped pages and office exports. What they carry besides the report is
removed here; web boilerplate is judged line by line in `index.boilerplate`. Anonymization
placeholders (`xx`, `**`, `x月`) are the report's own text and are kept.

Every step is a pure `str -> str` function; `clean_text` runs them in order and says what
it removed. Cleaning is idempotent: `clean_text(clean_text(x).text).text == clean_text(x).text`.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from itertools import combinations

from index.boilerplate import find_boilerplate
from index.mojibake import repair_mojibake_count
from index.textnorm import GAP

# Part of the index fingerprint: bump it whenever cleaning output changes.
# 3: mojibake runs repaired or marked; contact and URL lines go only in a page's
# header/footer (or as a running footer); copyright, ICP, 公众号 and reposting markers
# go alone, not with the line that carries them.
CLEANER_VERSION = "3"


@dataclass(frozen=True)
class CleanResult:
    text: str
    notes: tuple[str, ...] = ()
    """What was removed, for the ingest summary (e.g. "removed 7 boilerplate lines")."""
    dropped: tuple[str, ...] = ()
    """Each boilerplate line removed and each line that lost a marker (shortened), so a
    reader can check that no content went."""


# -- whitespace -----------------------------------------------------------------------------
_ENTITY_SPACES = re.compile(r"&(?:nbsp|ensp|emsp|thinsp|#160|#12288|#x0*a0);?", re.I)
_SPACES = re.compile(r"[ \t\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000]+")
_LINE_BREAKS = str.maketrans({"\r": "\n", "\v": "\n", "\f": "\n", "\u2028": "\n", "\u2029": "\n", "\x85": "\n"})
_BLANK_RUNS = re.compile(r"\n{3,}")


def _drop_invisible(text: str) -> str:
    # Cc (controls) and Cf (zero-width spaces, BOM, soft hyphen, bidi marks) never carry meaning here.
    return "".join(ch for ch in text if ch == "\n" or unicodedata.category(ch) not in ("Cc", "Cf"))


def normalize_whitespace(text: str) -> str:
    """One kind of space, no invisible characters, no indentation, at most one blank line in a row."""
    text = _ENTITY_SPACES.sub(" ", text.replace("\r\n", "\n").translate(_LINE_BREAKS))
    text = _drop_invisible(_SPACES.sub(" ", text))
    lines = (line.strip(" ") for line in text.split("\n"))
    return _BLANK_RUNS.sub("\n\n", "\n".join(lines)).strip("\n")


# -- pinyin ---------------------------------------------------------------------------------
_TONED = "āáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜ"
_SYLLABLE = rf"(?:zh|ch|sh|[bpmfdtnlgkhjqxrzcsyw])?[aeiouüv{_TONED}]+(?:ng|n|r)?[1-5]?"
_PINYIN = re.compile(rf"{_SYLLABLE}(?:[ '’]?{_SYLLABLE}){{0,3}}")
_CJK = r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_PAREN_AFTER_CJK = re.compile(rf"(?<=[{_CJK}])(?:[(（][a-zü{_TONED}1-5 '’]{{1,24}}[)）])+")
_PAREN_CONTENT = re.compile(r"[(（]([^()（）]*)[)）]")


def _is_pinyin(content: str) -> bool:
    """Lower-case pinyin with a tone mark or tone digits: `fā`, `jian4she4`. Not `a`, `xx`, `GDP`."""
    if not _PINYIN.fullmatch(content):
        return False
    return any(ch in _TONED for ch in content) or content[-1].isdigit()


def _strip_pinyin(match: re.Match[str]) -> str:
    group = match.group(0)
    kept = [m.group(0) for m in _PAREN_CONTENT.finditer(group) if not _is_pinyin(m.group(1))]
    return "".join(kept)


def _pinyin_subn(text: str) -> tuple[str, int]:
    removed = 0

    def replace(match: re.Match[str]) -> str:
        nonlocal removed
        kept = _strip_pinyin(match)
        removed += len(_PAREN_CONTENT.findall(match.group(0))) - len(_PAREN_CONTENT.findall(kept))
        return kept

    return _PAREN_AFTER_CJK.sub(replace, text), removed


def strip_pinyin_annotations(text: str) -> str:
    """`開發(fā)區(qū)` → `開發區`; `(一)`, `(2019)`, `(GDP)`, `(a)`, `(以下简称…)` stay."""
    return _pinyin_subn(text)[0]


# -- repeated content -----------------------------------------------------------------------
_SENTENCE_END = re.compile(r"[。!?！？]")
_MIN_PARAGRAPH = 20
"""A repeated line at least this long (without spaces) is a repeat wherever it occurs."""
_MIN_DOUBLED = 6
"""A line doubled in place is dropped from this length (a title), unless it is a table row (`|`)."""
_MAX_ALIGN = 64
"""Earlier occurrences of a short line tried for alignment (bounds the work on table-heavy files)."""
_COPY_LINES, _COPY_CHARS = 5, 500
"""A run of dropped lines this long is reported as a repeated copy of the article."""


def _key(line: str) -> str:
    # Copies of one page differ in spaces (002 has nbsp and full-width runs), not in words.
    return re.sub(r"\s+", "", line)


def _is_title_line(key: str) -> bool:
    return 0 < len(key) <= 40 and not _SENTENCE_END.search(key)


def _run_has_long_line(keys: list[str], i: int, j: int) -> bool:
    """Do the lines aligned with (i, j), walking both ways while they match, include a long one?"""
    for step in (-1, 1):
        a, b = i, j
        while 0 <= b < i and a < len(keys) and keys[a] == keys[b]:
            if len(keys[a]) >= _MIN_PARAGRAPH:
                return True
            a, b = a + step, b + step
    return False


def _is_repeat(keys: list[str], i: int, earlier: list[int], title: str | None, aligned: bool) -> bool:
    key = keys[i]
    return bool(earlier) and (
        len(key) >= _MIN_PARAGRAPH
        or key == title
        or (keys[i - 1] == key and len(key) >= _MIN_DOUBLED and "|" not in key)
        or (aligned and any(_run_has_long_line(keys, i, j) for j in earlier[-_MAX_ALIGN:]))
    )


def _repeat_flags(keys: list[str]) -> list[bool]:
    """Which lines repeat earlier text: long paragraphs, the title line, short lines inside a
    repeated run (a copy's headings), and a title-like line directly repeating the one before."""
    title = keys[0] if keys and _is_title_line(keys[0]) else None
    counts = Counter(keys)
    aligned = any(n > 1 and len(k) >= _MIN_PARAGRAPH for k, n in counts.items())  # else no run can hold one
    seen: dict[str, list[int]] = {}
    flags: list[bool] = []
    for i, key in enumerate(keys):
        earlier = seen.setdefault(key, [])
        flags.append(_is_repeat(keys, i, earlier, title, aligned))
        earlier.append(i)
    return flags


def _drop_repeats_once(text: str) -> tuple[str, list[tuple[int, int]]]:
    lines = text.split("\n")
    where = [n for n, line in enumerate(lines) if line.strip()]
    flags = _repeat_flags([_key(lines[n]) for n in where])
    dropped = {where[k] for k, flag in enumerate(flags) if flag}
    runs: list[tuple[int, int]] = []  # (lines, chars) of each stretch of consecutive dropped lines
    for k, flag in enumerate(flags):
        if not flag:
            continue
        chars = len(lines[where[k]])
        if k > 0 and flags[k - 1]:
            runs[-1] = (runs[-1][0] + 1, runs[-1][1] + chars)
        else:
            runs.append((1, chars))
    kept = "\n".join(line for n, line in enumerate(lines) if n not in dropped)
    return _BLANK_RUNS.sub("\n\n", kept), runs


def _repeats_subn(text: str) -> tuple[str, list[tuple[int, int]]]:
    runs: list[tuple[int, int]] = []
    for _ in range(4):  # dropping lines can line up new runs; stop at a fixed point
        text, found = _drop_repeats_once(text)
        if not found:
            break
        runs.extend(found)
    return text, runs


def drop_repeated_content(text: str) -> str:
    """Keep the first occurrence of a repeated article copy, paragraph or title line."""
    return _repeats_subn(text)[0]


# -- titles and duplicate reports -----------------------------------------------------------
_TITLE_CHARS = 40
_REPORT_WORD = re.compile(r"^([^,，。;；:：!?！？\s]{4,48}?(?:报告|報告))")
_SENTENCE = re.compile(r"[^。!?;！？；\n]+")


def guess_title(text: str) -> str:
    """A display title: the first short standalone line, else the report's opening words."""
    lines = [line.strip() for line in text.split("\n") if line.strip()]
    if not lines:
        return ""
    if _is_title_line(lines[0]) and len(lines) > 1:
        return lines[0]
    first = lines[0]
    report = _REPORT_WORD.match(first)
    if report:  # single-line exports start with the title run into the body: “…研究报告我国…”
        return report.group(1)
    sentence = _SENTENCE.match(first)
    head = sentence.group(0).strip() if sentence else first
    clause = re.split(r"[,，:：]", head)[0]
    if 8 <= len(clause) <= _TITLE_CHARS:
        return clause
    return head if len(head) <= _TITLE_CHARS else head[: _TITLE_CHARS - 1] + "…"


def _sentence_keys(text: str) -> set[str]:
    return {k for k in (_key(s) for s in _SENTENCE.findall(text)) if len(k) >= 10}


def find_duplicate_reports(texts: Mapping[str, str], threshold: float = 0.9) -> list[tuple[str, str, float]]:
    """Pairs (a, b, share) of reports that are exact or near duplicates, sorted by id.

    `share` is the smaller of the two shares of sentences that the other report also has,
    so a short excerpt of a long report does not count as its duplicate.
    """
    keys = {doc: _sentence_keys(text) for doc, text in texts.items()}
    exact = {doc: _key(text) for doc, text in texts.items()}
    owners: dict[str, list[str]] = {}
    for doc in sorted(keys):
        for k in keys[doc]:
            owners.setdefault(k, []).append(doc)
    shared: Counter[tuple[str, str]] = Counter(pair for docs in owners.values() for pair in combinations(docs, 2))
    pairs = set(shared) | {(a, b) for a, b in combinations(sorted(texts), 2) if exact[a] and exact[a] == exact[b]}
    out: list[tuple[str, str, float]] = []
    for a, b in sorted(pairs):
        share = 1.0 if exact[a] == exact[b] else shared[(a, b)] / max(len(keys[a]), len(keys[b]))
        if share >= threshold:
            out.append((a, b, round(share, 3)))
    return out


# -- the pipeline ---------------------------------------------------------------------------
def _repeat_notes(runs: list[tuple[int, int]]) -> list[str]:
    copies = [chars for lines, chars in runs if lines >= _COPY_LINES or chars >= _COPY_CHARS]
    others = sum(lines for lines, chars in runs if not (lines >= _COPY_LINES or chars >= _COPY_CHARS))
    notes = [f"removed a repeated copy of the article ({chars:,} chars)" for chars in copies]
    if others:
        notes.append(f"removed {others} repeated line{'s' if others > 1 else ''} (title or paragraph repeats)")
    return notes


def clean_text(text: str) -> CleanResult:
    """whitespace → pinyin → boilerplate → repeats → whitespace, with notes on what went."""
    text = normalize_whitespace(text)
    text, n_pinyin = _pinyin_subn(text)
    text, n_fixed, n_gaps = repair_mojibake_count(text)
    boiler = find_boilerplate(text)
    text, runs = _repeats_subn(boiler.text)
    text = normalize_whitespace(text)
    notes: list[str] = []
    if n_pinyin:
        notes.append(f"removed {n_pinyin} pinyin annotations")
    n_boiler = len(boiler.lines)
    if n_fixed or n_gaps:
        notes.append(f"mojibake: {n_fixed} runs repaired, {n_gaps} marked as {GAP}")
    if n_boiler:
        notes.append(f"removed {n_boiler} boilerplate line{'s' if n_boiler > 1 else ''}")
    if boiler.markers:
        n = len(boiler.markers)
        notes.append(f"removed a copyright/source marker from {n} line{'s' if n > 1 else ''} (the rest kept)")
    notes.extend(_repeat_notes(runs))
    dropped = tuple(f"boilerplate: {_shorten(line)}" for line in boiler.lines)
    dropped += tuple(f"marker removed from: {_shorten(line)}" for line in boiler.markers)
    return CleanResult(text=text, notes=tuple(notes), dropped=dropped)


def _shorten(line: str, width: int = 60) -> str:
    line = line.strip()
    return f"“{line}”" if len(line) <= width else f"“{line[: width - 1]}…”"
