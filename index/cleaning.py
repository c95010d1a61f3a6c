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
# 4: contact lines at the end go only with a site footer (furniture or a copyright line
# beside them); a footer sharing a news item's line loses only the footer; follow-the-account
# invitations go only as a tail or at the page edge; repeated copies only as a whole article
# (consecutive lines, a quarter of the text), never repeated clauses or rows; never emptied.
# 5: a font-size widget line (字体： 放大 正常 缩小) goes as the other page-tool lines do.
CLEANER_VERSION = "5"


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
"""A repeated copy starts at a line at least this long (without spaces): a paragraph."""
_MIN_DOUBLED = 6
"""A title-like line doubled in place is dropped from this length (a scraped heading twice)."""
_MAX_ALIGN = 64
"""Earlier occurrences of a line tried for alignment (bounds the work on repetitive files)."""
_COPY_LINES = 3
"""A repeated copy is at least this many consecutive lines repeated in order (table rows not counted)."""
_COPY_SHARE = 0.25
"""…and at least this share of the document's characters: a whole article carried twice, not
a standard's repeated clauses or a table's repeated rows."""
_CJK_CHAR = re.compile(r"[\u3400-\u9fff]")
_DATE_LINE = re.compile(
    r"(?:\d{4}|[〇零○Ｏ一二三四五六七八九]{4})年[\d一二三四五六七八九十]{1,3}月[\d一二三四五六七八九十]{1,3}日"
)
"""The first line again right above a date is a signature (a 公文's issuer over its date), not
a running header."""


def _key(line: str) -> str:
    # Copies of one page differ in spaces (002 has nbsp and full-width runs), not in words.
    return re.sub(r"\s+", "", line)


def _is_title_line(key: str) -> bool:
    return 0 < len(key) <= 40 and not _SENTENCE_END.search(key)


def _is_row(key: str) -> bool:
    return "|" in key


@dataclass(frozen=True)
class _Repeats:
    """Which non-blank lines repeat earlier text, and why."""

    running: list[int]
    """The title line again (a running header) or a heading doubled in place."""
    copies: list[list[int]]
    """Each repeated copy of the article, as its lines."""


def _copy_at(keys: list[str], i: int, j: int, skip: set[int]) -> list[int]:
    """Lines from `i` on that repeat the lines from `j` on, in order (lines in `skip` are left
    out on both sides), ending before `i` on the earlier side."""
    run: list[int] = []
    a, b = i, j
    while a < len(keys) and b < i:
        if a in skip:
            a += 1
            continue
        if b in skip:
            b += 1
            continue
        if keys[a] != keys[b]:
            break
        run.append(a)
        a, b = a + 1, b + 1
    return run


def _find_repeats(keys: list[str]) -> _Repeats:
    title = keys[0] if keys and _is_title_line(keys[0]) else None
    running = [
        i
        for i in range(1, len(keys))
        if (keys[i] == title and not (i + 1 < len(keys) and _DATE_LINE.fullmatch(keys[i + 1])))
        or (
            keys[i] == keys[i - 1]
            and _is_title_line(keys[i])
            and len(keys[i]) >= _MIN_DOUBLED
            and not _is_row(keys[i])
            and len(_CJK_CHAR.findall(keys[i])) >= 4
        )
    ]
    skip = set(running)
    total = sum(len(k) for k in keys)
    seen: dict[str, list[int]] = {}
    copies: list[list[int]] = []
    i = 0
    while i < len(keys):
        key = keys[i]
        best: list[int] = []
        if i not in skip and len(key) >= _MIN_PARAGRAPH:
            for j in seen.get(key, [])[-_MAX_ALIGN:]:
                run = _copy_at(keys, i, j, skip)
                if sum(len(keys[n]) for n in run) > sum(len(keys[n]) for n in best):
                    best = run
        prose = [n for n in best if not _is_row(keys[n])]
        if len(prose) >= _COPY_LINES and sum(len(keys[n]) for n in best) >= _COPY_SHARE * total:
            copies.append(best)
            skip.update(best)
            i = best[-1] + 1
            continue
        seen.setdefault(key, []).append(i)
        i += 1
    return _Repeats(running, copies)


@dataclass(frozen=True)
class _RepeatRemoval:
    text: str
    running: tuple[str, ...] = ()
    copies: tuple[tuple[str, ...], ...] = ()


def _drop_repeats_once(text: str) -> _RepeatRemoval:
    lines = text.split("\n")
    where = [n for n, line in enumerate(lines) if line.strip()]
    found = _find_repeats([_key(lines[n]) for n in where])
    dropped = {where[k] for k in found.running} | {where[k] for run in found.copies for k in run}
    kept = "\n".join(line for n, line in enumerate(lines) if n not in dropped)
    return _RepeatRemoval(
        _BLANK_RUNS.sub("\n\n", kept),
        tuple(lines[where[k]] for k in found.running),
        tuple(tuple(lines[where[k]] for k in run) for run in found.copies),
    )


def _repeats_subn(text: str) -> _RepeatRemoval:
    running: list[str] = []
    copies: list[tuple[str, ...]] = []
    for _ in range(4):  # dropping lines can line up new repeats; stop at a fixed point
        once = _drop_repeats_once(text)
        if once.text == text:
            break
        text = once.text
        running.extend(once.running)
        copies.extend(once.copies)
    return _RepeatRemoval(text, tuple(running), tuple(copies))


def drop_repeated_content(text: str) -> str:
    """Keep the first occurrence of a repeated article copy, the title line and a heading doubled
    in place; repeated clauses, paragraphs and table rows are the document's own and stay."""
    return _repeats_subn(text).text


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
_KEEP_SHORT = 500
"""A text of fewer content characters than this is short: cleaning may not take most of it."""
_KEEP_SHARE = 0.5
"""…more than this share of a short text removed means cleaning misjudged it: it is kept whole."""
_WORD = re.compile(r"[\w\u3400-\u9fff]")


def _repeat_notes(removed: _RepeatRemoval) -> tuple[list[str], list[str]]:
    notes = [
        f"removed a repeated copy of the article ({len(run)} lines, {sum(map(len, run)):,} chars)"
        for run in removed.copies
    ]
    n = len(removed.running)
    if n:
        notes.append(
            f"removed {n} repeated line{'s' if n > 1 else ''} (the title as a running header, or a heading doubled)"
        )
    dropped = [f"repeated copy ({len(run)} lines): {_shorten(run[0])} … {_shorten(run[-1])}" for run in removed.copies]
    dropped += [f"repeated line: {_shorten(line)}" for line in removed.running]
    return notes, dropped


def clean_text(text: str) -> CleanResult:
    """whitespace → pinyin → boilerplate → repeats → whitespace, with notes on what went.

    Never empties a document: when boilerplate and repeat removal would leave nothing, or take
    most of a short text, the text is kept as it was before them and a note says so."""
    text = normalize_whitespace(text)
    text, n_pinyin = _pinyin_subn(text)
    text, n_fixed, n_gaps = repair_mojibake_count(text)
    notes: list[str] = []
    if n_pinyin:
        notes.append(f"removed {n_pinyin} pinyin annotations")
    if n_fixed or n_gaps:
        notes.append(f"mojibake: {n_fixed} runs repaired, {n_gaps} marked as {GAP}")
    boiler = find_boilerplate(text)
    repeats = _repeats_subn(boiler.text)
    cleaned = normalize_whitespace(repeats.text)
    # Only whole lines count: a marker trimmed from a line keeps that line's body by construction.
    lines_gone = [*boiler.lines, *repeats.running, *(line for run in repeats.copies for line in run)]
    before, lost = len(_WORD.findall(text)), len(_WORD.findall("".join(lines_gone)))
    if before and (not _WORD.search(cleaned) or (before < _KEEP_SHORT and lost > _KEEP_SHARE * before)):
        notes.append(
            f"kept the whole text: removing boilerplate and repeats would have taken {lost} of its {before} characters"
        )
        return CleanResult(text=text, notes=tuple(notes))
    n_boiler = len(boiler.lines)
    if n_boiler:
        notes.append(f"removed {n_boiler} boilerplate line{'s' if n_boiler > 1 else ''}")
    if boiler.markers:
        n = len(boiler.markers)
        notes.append(f"removed a copyright/source marker from {n} line{'s' if n > 1 else ''} (the rest kept)")
    repeat_notes, repeat_dropped = _repeat_notes(repeats)
    notes.extend(repeat_notes)
    dropped = tuple(f"boilerplate: {_shorten(line)}" for line in boiler.lines)
    dropped += tuple(f"marker removed from: {_shorten(line)}" for line in boiler.markers)
    dropped += tuple(repeat_dropped)
    return CleanResult(text=cleaned, notes=tuple(notes), dropped=dropped)


def _shorten(line: str, width: int = 60) -> str:
    line = line.strip()
    return f"“{line}”" if len(line) <= width else f"“{line[: width - 1]}…”"
