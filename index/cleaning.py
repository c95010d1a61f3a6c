"""Clean a report's raw text: whitespace, pinyin annotations, web boilerplate, repeats.

The reports are scraped pages and office exports. What they carry besides the report is
removed here, by LINE SHAPE (short, pattern-dominated lines), never by a substring alone:
a sentence that mentions 来源 or 试点 in prose is the report's own text. Contact and URL
lines are furniture only by POSITION (a page's header or footer, or a running footer):
in a notice's body "咨询电话:…" is the answer. Copyright and source markers go alone, never
with the news item that carries them. Anonymization
placeholders (`xx`, `**`, `x月`) are also the report's own text and are kept.

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

# Part of the index fingerprint: bump it whenever cleaning output changes.
# 2: contact and URL lines go only in a page's header/footer (or as a running footer);
# copyright, ICP, 公众号 and reposting markers go alone, not with the line that carries them.
CLEANER_VERSION = "2"


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


# -- boilerplate lines ----------------------------------------------------------------------
_SENTENCE_END = re.compile(r"[。!?！？]")
_URL = re.compile(
    r"(?:https?://|www\.)[a-z0-9_./?=&%#:~+\-]+|(?<![a-z0-9@.\-])[a-z0-9][a-z0-9\-]*(?:\.[a-z0-9\-]+)*"
    r"\.(?:com|cn|net|org|gov|edu|info|cc|top|xyz|io|tw|hk)(?:\.cn)?(?:/[a-z0-9_./?=&%#\-]*)?",
    re.I,
)
_BREADCRUMB_START = re.compile(
    r"^(?:当前位置|當前位置|您的位置|你的位置|您现在的位置|您現在的位置|所在位置)\s*[:\uff1a]"
)
_BREADCRUMB_SEP = re.compile(r"\s*(?:>|»|›|＞|→)\s*")
_META_LABEL = re.compile(
    r"(?:来源|來源|日期|时间|時間|发布时间|發佈時間|發布時間|发布日期|發布日期|点击|點擊|点击数|浏览|瀏覽|"
    r"浏览次数|瀏覽次數|阅读|閱讀|作者|编辑|編輯|责任编辑|責任編輯|字号|字號)\s*[:\uff1a]"
)
_COUNT_LABEL = re.compile(
    r"^(?:点击|點擊|浏览|瀏覽|阅读|閱讀|责任编辑|責任編輯|编辑|編輯|字号|字號)(?:数|數|次数|次數|量)?\s*[:\uff1a]"
)
_COPYRIGHT = re.compile(
    r"copyright|©|all rights reserved|版权所有|版權所有|ICP[备備证證]|公网安备|公網安備|"
    r"(?:许可证|許可證)\s*[:\uff1a]?\s*[A-Z京津沪滬渝冀晋晉蒙辽遼吉黑苏蘇浙皖闽閩赣贛鲁魯豫鄂湘粤粵桂琼瓊川贵貴云雲藏陕陝甘青宁寧新]?\d*[-A-Z]*\d{4,}|"
    r"^(?:主办单位|主辦單位|承办单位|承辦單位|技术支持|技術支持|网站地图|網站地圖)\s*[:\uff1a]?",
    re.I,
)
_LINK_LIST = re.compile(r"^(?:友情链接|友情鏈接|相关链接|相關鏈接|合作媒体|合作媒體)")
_TEASER = re.compile(
    r"试读结束|試讀結束|查阅全文|查閱全文|阅读全文|閱讀全文|下载全文|下載全文|全文下载|全文下載|未完待续|未完待續"
)
_CONTACT = re.compile(
    r"(?:微信|加微|QQ|qq|电话|電話|热线|熱線|传真|傳真|手机|手機|联系方式|聯繫方式|邮箱|郵箱|e-?mail)[号號群]?\s*[:\uff1a]?\s*[a-z0-9_.\-]*\d{5,}|"
    r"[\w.\-]+@[\w\-]+\.[\w.]+",
    re.I,
)
_DISCLAIMER = re.compile(
    r"本文内容由互联网用户自发贡献|本文內容由互聯網用戶自發貢獻|本站仅提供信息存储空间|本站僅提供信息存儲空間|"
    r"如若转载|如若轉載|转载请注明|轉載請註明|轉載請注明|不代表本站观点|不代表本站觀點|如有侵权|如有侵權|"
    r"版权归原作者|版權歸原作者|^免责声明|^免責聲明"  # “容错免责” is reform vocabulary: only a leading label
)
_UI_START = re.compile(
    r"^(?:分享到|分享至|扫一扫|掃一掃|上一篇|下一篇|上一条|下一條|返回顶部|返回頂部|打印本页|打印本頁|关闭窗口|關閉窗口)"
)
_UI_WORDS = frozenset(
    {"network", "分享", "收藏", "打印", "关闭", "關閉", "返回", "首页", "首頁", "主页", "主頁", "评论", "評論"}
    | {"点赞", "點讚", "顶部", "頂部", "大", "中", "小", "【打印】", "【关闭】", "【關閉】", "字号", "字號"}
)


def _is_breadcrumb(line: str) -> bool:
    if _BREADCRUMB_START.match(line):
        return len(line) <= 120
    parts = [p for p in _BREADCRUMB_SEP.split(line) if p]
    separators = len(_BREADCRUMB_SEP.findall(line))
    return separators >= 2 and len(line) <= 80 and all(len(p) <= 12 for p in parts) and not _SENTENCE_END.search(line)


def _is_meta(line: str) -> bool:
    if len(line) > 100 or _SENTENCE_END.search(line):
        return False
    return len(_META_LABEL.findall(line)) >= 2 or (len(line) <= 40 and bool(_COUNT_LABEL.match(line)))


def _is_url_line(line: str) -> bool:
    """Mostly a URL or a site name with its domain: `如来写作网gw.rulaixiezuo.com(…)`."""
    if len(line) > 80 or _SENTENCE_END.search(line) or not _URL.search(line):
        return False
    rest = re.sub(r"[\s\W_]+", "", _URL.sub("", line))
    return len(rest) <= 25


def _is_ui(line: str) -> bool:
    words = line.replace("|", " ").split()
    return bool(words) and all(w.strip(":\uff1a").lower() in _UI_WORDS for w in words)


# A marker that ends a news item or sits in a parenthesis: only the marker goes.
_SOURCE_MARK = re.compile(
    r"(?:来源|來源|转自|轉自|转载自|轉載自|本文来自|本文來自|关注|關注|搜索|扫码|掃碼|长按|長按)[^。!?！？]{0,30}"
    r"(?:公众号|公眾號)|(?:微信)?(?:公众号|公眾號)\s*[:\uff1a“\"「]|未经授权不得转载|未經授權不得轉載|"
    r"未经许可不得转载|未經許可不得轉載"
)
_PAREN = re.compile(r"[(（][^()（）]{0,80}[)）]")
_PIECE = re.compile(r"[^。!?！？]+(?:[。!?！？]+[”」』)）]*)?|[。!?！？]+")
"""A line's sentences, in order; joined they give the line back."""
_MAX_MARKER_PIECE = 120
"""A longer sentence that mentions 版权所有 or 公众号 is prose about it, not a marker."""
_MARKER_SHARE = 0.4
"""A line whose markers make up this share of it is furniture as a whole."""
_CONTENT = re.compile(r"[\w\u3400-\u9fff]")


def _is_marker_piece(piece: str) -> bool:
    if len(piece) > _MAX_MARKER_PIECE:
        return False
    return bool(_COPYRIGHT.search(piece) or _DISCLAIMER.search(piece.strip("(（)） ")) or _SOURCE_MARK.search(piece))


def strip_markers(line: str) -> tuple[str, int]:
    """The line without its copyright / ICP / 公众号 / reposting markers, and how many went.

    A news item that ends with “(来源:xx公众号)” or “本网版权所有,未经授权不得转载。” keeps its
    text; a line that is (almost) all marker comes back empty."""
    dropped = 0

    def paren(match: re.Match[str]) -> str:
        nonlocal dropped
        if _is_marker_piece(match.group(0)):
            dropped += 1
            return ""
        return match.group(0)

    unbracketed = _PAREN.sub(paren, line)
    pieces = _PIECE.findall(unbracketed)
    if "".join(pieces) != unbracketed:  # defensive: never lose text to a tokenizing slip
        return line, 0
    kept = [p for p in pieces if not _is_marker_piece(p)]
    dropped += len(pieces) - len(kept)
    if not dropped:
        return line, 0
    rest = "".join(kept).strip(" ,，;；:：|")
    marker_chars = len(line) - len(rest)
    if marker_chars >= _MARKER_SHARE * len(line) or len(_CONTENT.findall(rest)) < 10:
        return "", dropped
    return rest, dropped


def _is_furniture(line: str) -> bool:
    """Lines that are web furniture wherever they stand: navigation, page meta, share and
    print buttons, paywall teasers, link lists."""
    return (
        _is_breadcrumb(line)
        or _is_meta(line)
        or _is_ui(line)
        or (len(line) <= 60 and bool(_TEASER.search(line)))
        or (len(line) <= 150 and bool(_LINK_LIST.match(line) or _UI_START.match(line)))
    )


def _is_contact(line: str) -> bool:
    """A short phone / QQ / e-mail line or a URL line: furniture in a page footer, content in
    a notice's body (“咨询电话:…”, “举报电话:12320”)."""
    return _is_url_line(line) or (len(line) <= 60 and bool(_CONTACT.search(line)))


def is_boilerplate_line(line: str) -> bool:
    """True for a whole line of web furniture (navigation, footer, paywall, contact,
    disclaimer) as it would be judged in a page's header or footer."""
    line = line.strip()
    if not line:
        return False
    return _is_furniture(line) or _is_contact(line) or strip_markers(line)[0] == ""


@dataclass(frozen=True)
class _Verdict:
    drop: bool
    text: str
    markers: int = 0


_REPEATED_FOOTER = 3
"""A contact line this often in one document is a running page footer."""


_MAX_FOOTER_CONTACTS = 6
"""A page header or footer has a few contact lines; a longer run is a directory (content)."""


def _edge_flags(lines: list[str], candidate: list[bool], contact: list[bool]) -> list[bool]:
    """Lines in the leading or trailing run of candidates (blank lines do not break a run),
    unless the run holds more contact lines than a page footer does."""
    flags = [False] * len(lines)
    for order in (range(len(lines)), range(len(lines) - 1, -1, -1)):
        run: list[int] = []
        for n in order:
            if not lines[n].strip():
                continue
            if not candidate[n]:
                break
            run.append(n)
        if sum(contact[n] for n in run) <= _MAX_FOOTER_CONTACTS:
            for n in run:
                flags[n] = True
    return flags


def _verdicts(lines: list[str]) -> list[_Verdict]:
    stripped = [strip_markers(line.strip()) if line.strip() else (line, 0) for line in lines]
    furniture = [bool(line.strip()) and _is_furniture(line.strip()) for line in lines]
    contact = [bool(line.strip()) and _is_contact(line.strip()) for line in lines]
    all_marker = [bool(line.strip()) and text == "" for line, (text, _) in zip(lines, stripped, strict=True)]
    candidate = [f or c or m for f, c, m in zip(furniture, contact, all_marker, strict=True)]
    edge = _edge_flags(lines, candidate, contact)
    counts = Counter(_key(line) for line, c in zip(lines, contact, strict=True) if c)
    out: list[_Verdict] = []
    for n, line in enumerate(lines):
        text, markers = stripped[n]
        running = contact[n] and counts[_key(line)] >= _REPEATED_FOOTER
        if furniture[n] or all_marker[n] or (contact[n] and (edge[n] or running)):
            out.append(_Verdict(True, "", markers))
        else:
            out.append(_Verdict(False, text if markers else line, markers))
    return out


@dataclass(frozen=True)
class _Boilerplate:
    text: str
    lines: tuple[str, ...]
    """The whole lines dropped."""
    markers: tuple[str, ...]
    """Lines that lost only a marker (as they were)."""


def _boilerplate(text: str) -> _Boilerplate:
    lines = text.split("\n")
    verdicts = _verdicts(lines)
    kept = [v.text for v in verdicts if not v.drop]
    dropped = tuple(line for line, v in zip(lines, verdicts, strict=True) if v.drop)
    trimmed = tuple(line for line, v in zip(lines, verdicts, strict=True) if not v.drop and v.markers)
    return _Boilerplate("\n".join(kept), dropped, trimmed)


def strip_boilerplate_lines(text: str) -> str:
    """Drop web furniture: navigation and page-meta lines anywhere, contact and URL lines in
    the header or footer (or repeated as a running footer), copyright and reposting markers
    (the marker only, or the line when it is all marker). Prose that merely mentions a
    keyword, and a body line that holds a phone number, URL or e-mail, stay."""
    return _boilerplate(text).text


# -- repeated content -----------------------------------------------------------------------
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
    boiler = _boilerplate(text)
    text, runs = _repeats_subn(boiler.text)
    text = normalize_whitespace(text)
    notes: list[str] = []
    if n_pinyin:
        notes.append(f"removed {n_pinyin} pinyin annotations")
    n_boiler = len(boiler.lines)
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
