"""Dates a report states about itself, and its year (part of `index.docmeta`).

- **date**: the signature date (a date line among the closing lines: 2019年6月19日,
  二〇一九年六月十九日, Taiwan's 中華民國112年10月3日); else a date line among the opening lines
  (“——2024年1月21日在…”, a standard's 发布 date); else a date labelled as the publication's on
  the first page (网络首发时间：2024-3-23); else the date the file states outside its text (a
  web page's meta).
- **year**: the date's; else the title's (2024年政府工作报告); else the 文号's; else a cover's
  month line standing alone (（2023年3月）).
"""

from __future__ import annotations

import re

CJK = r"\u3400-\u9fff"
CN_DIGIT = "〇零○Ｏ一二三四五六七八九"
SENTENCE_END = re.compile(r"[。!?！？；;]")
OPENING, CLOSING = 30, 12
"""Lines searched for the title, masthead and 文号 (the opening) and for the signature (the closing)."""
_DATE = re.compile(
    r"((?:19|20)\d{2})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日|((?:19|20)\d{2})[-/.](\d{1,2})[-/.](\d{1,2})"
    rf"|((?:中华民国|中華民國|民国|民國)\s*(?:\d{{2,3}}|[{CN_DIGIT}十]{{2,4}})|[{CN_DIGIT}]{{4}})\s*年"
    r"\s*([一二三四五六七八九十\d]{1,2})\s*月\s*([一二三四五六七八九十\d]{1,3})\s*日"
)
_ROC = re.compile(r"^(?:中华民国|中華民國|民国|民國)\s*")
_ROC_OFFSET = 1911
"""A Republic-of-China year (Taiwan's official documents: 中華民國112年) plus this is the CE year."""
_TITLE_YEAR = re.compile(r"((?:19|20)\d{2})\s*年")
_SPACE_IN_CJK = re.compile(rf"(?<=[{CJK}])\s+(?=[{CJK}])|(?<=\d)\s+(?=[{CJK}])|(?<=[{CJK}])\s+(?=\d)")


def despace(line: str) -> str:
    """`税 务 总 局 办 公 厅` → `税务总局办公厅` (letter-spaced mastheads and titles; also
    `2007 年` as a typesetter spaces digits from hanzi)."""
    return _SPACE_IN_CJK.sub("", line.strip())


def cn_number(text: str) -> int:
    if text.isdigit():
        return int(text)
    digits = {c: i for i, c in enumerate("〇一二三四五六七八九")} | {"零": 0, "○": 0, "Ｏ": 0}
    if all(c in digits for c in text):
        return int("".join(str(digits[c]) for c in text))
    tens, _, ones = text.partition("十")
    return (digits.get(tens, 1) if tens else 1) * 10 + (digits.get(ones, 0) if ones else 0)


def parse_date(text: str) -> str:
    """The first date in `text` as `YYYY-MM-DD` (2019年6月19日, 2019-06-19, 二〇一九年六月十九日)."""
    m = _DATE.search(text)
    if not m:
        return ""
    if m.group(1):
        y, mo, d = int(m.group(1)), int(m.group(2)), int(m.group(3))
    elif m.group(4):
        y, mo, d = int(m.group(4)), int(m.group(5)), int(m.group(6))
    else:
        roc = _ROC.match(m.group(7))
        y = cn_number(m.group(7)[roc.end() :]) + _ROC_OFFSET if roc else cn_number(m.group(7))
        mo, d = cn_number(m.group(8)), cn_number(m.group(9))
    if not (1 <= mo <= 12 and 1 <= d <= 31 and 1950 <= y <= 2100):
        return ""
    return f"{y:04d}-{mo:02d}-{d:02d}"


def is_date_line(line: str) -> bool:
    """A line that is a date (and perhaps a verb or a place of delivery), not a sentence."""
    m = _DATE.search(line)
    return m is not None and not SENTENCE_END.search(line) and len(line) - len(m.group(0)) <= 30


_PUBLISHED = re.compile(
    r"(?:网络首发|首发|出版|发布|發布|印发|印發|公布|刊发|刊發|发表|發表)(?:时间|時間|日期)\s*[:：]\s*"
)
"""网络首发时间：2024-3-23 (a journal article's footnote), 发布日期：…: the date it was published."""


def detect_date(lines: list[str], first_page: str = "", stated: str = "") -> str:
    """The signature date; else a date line at the top; else a date labelled as the
    publication's on the first page; else the date the file states outside its text."""
    body = [n for n, line in enumerate(lines) if SENTENCE_END.search(line)]
    for line in reversed(lines[max(body[0] + 1, len(lines) - CLOSING) :] if body else []):
        if is_date_line(despace(line)):
            return parse_date(despace(line))
    for line in lines[: OPENING // 2]:
        flat = despace(line)
        if is_date_line(flat.lstrip("—-")) or (flat.startswith(("——", "--")) and _DATE.search(flat)):
            return parse_date(flat)
    for label in _PUBLISHED.finditer(first_page):
        date = parse_date(first_page[label.end() : label.end() + 20])
        if date and _DATE.match(first_page, label.end()):
            return date
    return parse_date(stated)


_COVER_MONTH = re.compile(
    rf"^[（(]?\s*((?:19|20)\d{{2}}|[{CN_DIGIT}]{{4}})\s*年\s*(?:\d{{1,2}}|[一二三四五六七八九十]{{1,3}})\s*月\s*[）)]?$"
)
"""（2023年3月）, 二〇二三年三月 alone on a line of a cover: when the paper was written."""


def cover_year(lines: list[str]) -> int | None:
    for line in lines[: OPENING // 2]:
        m = _COVER_MONTH.match(despace(line))
        if m:
            year = cn_number(m.group(1))
            return year if 1950 <= year <= 2100 else None
    return None


def detect_year(date: str, title: str, doc_number: str, lines: list[str] | None = None) -> int | None:
    """The date's year; else the title's (2024年政府工作报告); else the 文号's; else a cover's
    month line (（2023年3月）)."""
    if date:
        return int(date[:4])
    for source in (title, doc_number):
        m = _TITLE_YEAR.search(source) or re.search(r"[〔\[［【（(]((?:19|20)\d{2})[〕\]］】）)]", source)
        if m:
            return int(m.group(1))
    return cover_year(lines or [])
