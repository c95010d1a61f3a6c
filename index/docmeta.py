"""Metadata a report states about itself: title, issuing body, 文号, date and year, regions.

Pure functions over the cleaned text and the title candidates the PDF layout offers
(`LoadedText.title_lines`), so a maintainer who drops a file in gets a usable title, places
and year without filling a form. Hand metadata (reports.toml, the upload form) always wins,
field by field (`merge_meta`).

The rules, in the order they are tried:
- **title**: the first layout candidate that is a title (a meaningful PDF Title property, the
  largest-font lines of page 1); else the 公文 title in the opening lines (关于…的通知/意见/
  报告/决定/办法…, also wrapped over two lines); else the first title-like opening line; else
  the report's opening words. Never a salutation (各位代表：, 尊敬的…), a running header
  (请务必阅读…声明), a masthead (…文件, letter-spaced 税 务 总 局), a date line or a 文号 line.
- **issuer** (发文机关): the organization lines above the signature date (a date line after
  the body begins); else the masthead; else the title's office (X关于…, X公告).
- **文号**: a 文号 (〔〕, [], （）) standing on its own line among the opening lines; a 文号 cited
  inside a sentence is another document's.
- **date**: the signature date (a date line among the closing lines, also 二〇一九年六月十九日
  and Taiwan's 中華民國112年10月3日);
  else a date line among the opening lines (“——2024年1月21日在…”, a standard's 发布 date).
  **year**: the date's year; else the year in the title (2024年政府工作报告); else the 文号's.
- **regions**: places in the issuer (北京市人民政府 → 北京市); a body that names no place is
  national (国务院, 国家发展改革委) and then only the title can give places; without an issuer,
  the title's places and the places the first page names at least twice (not a list of four
  or more provinces, which is national scope).
"""

from __future__ import annotations

import dataclasses
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from index.cleaning import guess_title
from index.gazetteer import Division, gazetteer
from index.textnorm import normalize
from index.types import ReportMeta

DOCMETA_VERSION = "1"
"""Part of each report's content hash: a change here re-reads every report's metadata."""

_CJK = r"\u3400-\u9fff"
_CN_DIGIT = "〇零○Ｏ一二三四五六七八九"
_DATE = re.compile(
    r"((?:19|20)\d{2})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日|((?:19|20)\d{2})[-/.](\d{1,2})[-/.](\d{1,2})"
    rf"|((?:中华民国|中華民國|民国|民國)\s*(?:\d{{2,3}}|[{_CN_DIGIT}十]{{2,4}})|[{_CN_DIGIT}]{{4}})\s*年"
    r"\s*([一二三四五六七八九十\d]{1,2})\s*月\s*([一二三四五六七八九十\d]{1,3})\s*日"
)
_ROC = re.compile(r"^(?:中华民国|中華民國|民国|民國)\s*")
_ROC_OFFSET = 1911
"""A Republic-of-China year (Taiwan's official documents: 中華民國112年) plus this is the CE year."""
_DOC_NUMBER = re.compile(
    rf"[{_CJK}]{{1,16}}\s*[〔\[［【（(]\s*((?:19|20)\d{{2}})\s*[〕\]］】）)]\s*第?\s*\d{{1,5}}\s*号"
)
_GONGWEN = re.compile(
    r"关于.{2,80}的(?:通知|意见|实施意见|指导意见|报告|决定|办法|批复|通报|函|复函|请示|规定|方案|公告|通告|"
    r"决议|答复|规划|细则|指引|措施|若干措施)$"
)
_ORG = re.compile(
    r"(?:人民政府|政府|委员会|管委会|办公厅|办公室|总局|分局|厅|局|委|部|院|署|协会|学会|中心|公司|集团|"
    r"银行|大学|研究院|研究所|党委|法院|检察院|联合会|工作组|董事会|监事会)$"
)
_SALUTATION = re.compile(r"[:：]$|^(?:尊敬的|各位|亲爱的)")
_HEADER = re.compile(r"请务必阅读|请仔细阅读|免责声明|免責聲明|法律声明|信息披露|仅供内部|内部资料|机密")
_CLASS_HEADER = re.compile(r"(?:国家|行业|地方|团体|企业)标准$|^中华人民共和国.{0,8}标准$")
_FILENAME = re.compile(r"\.(?:docx?|pdf|wps|txt|html?)$|microsoft\s+word|^untitled$|^无标题", re.I)
_LETTER_SPACED = re.compile(rf"(?:^|\s|[^{_CJK}\s])(?:[{_CJK}]\s+){{3,}}[{_CJK}](?:\s|$)")
_SPACE_IN_CJK = re.compile(rf"(?<=[{_CJK}])\s+(?=[{_CJK}])")
_SENTENCE_END = re.compile(r"[。!?！？；;]")
_TITLE_YEAR = re.compile(r"((?:19|20)\d{2})\s*年")
_OPENING, _CLOSING = 30, 12
"""Lines searched for the title, masthead and 文号 (the opening) and for the signature (the closing)."""
_MAX_TITLE = 60
_GENERIC_TITLE = 8
"""A title this short (纪律处分决定书, 通知, 公告) names a kind of document: its issuer goes before it."""
_FIRST_PAGE = 1200
"""Characters taken as the first page when the text has no page offsets."""
_NATIONAL_SCOPE = 4
"""A first page naming this many provinces lists the country's, it is about none of them."""


@dataclass(frozen=True)
class DetectedMeta:
    """What the text says about itself; empty where it says nothing."""

    title: str = ""
    issuer: str = ""
    doc_number: str = ""
    date: str = ""
    """ISO `YYYY-MM-DD`."""
    year: int | None = None
    regions: tuple[str, ...] = ()


def _despace(line: str) -> str:
    """`税 务 总 局 办 公 厅` → `税务总局办公厅` (letter-spaced mastheads and titles)."""
    return _SPACE_IN_CJK.sub("", line.strip())


def _cn_number(text: str) -> int:
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
        y = _cn_number(m.group(7)[roc.end() :]) + _ROC_OFFSET if roc else _cn_number(m.group(7))
        mo, d = _cn_number(m.group(8)), _cn_number(m.group(9))
    if not (1 <= mo <= 12 and 1 <= d <= 31 and 1950 <= y <= 2100):
        return ""
    return f"{y:04d}-{mo:02d}-{d:02d}"


def _is_date_line(line: str) -> bool:
    """A line that is a date (and perhaps a verb or a place of delivery), not a sentence."""
    m = _DATE.search(line)
    return m is not None and not _SENTENCE_END.search(line) and len(line) - len(m.group(0)) <= 30


def _is_doc_number_line(line: str) -> bool:
    m = _DOC_NUMBER.search(line)
    return m is not None and len(m.group(0)) >= 0.6 * len(line)


def is_masthead(line: str) -> bool:
    """发展改革委办公厅 文件, 税 务 总 局 办 公 厅 文件: the issuing office's banner, not a title."""
    flat = _despace(line).replace(" ", "")
    banner = re.search(r"文件", flat) and _ORG.search(flat.split("文件")[0])
    return (bool(banner) and len(flat) <= 40) or bool(_LETTER_SPACED.search(line.strip()))


def _is_org_name(line: str) -> bool:
    """中国证券投资基金业协会 alone on a line: a masthead or signature naming who issues the
    document, not its title (a title says what the document is)."""
    flat = normalize(line.replace(" ", ""))
    return bool(re.fullmatch(rf"[{_CJK}（）()]{{4,30}}", flat)) and bool(_ORG.search(flat)) and "关于" not in flat


def is_title_like(line: str) -> bool:
    """Could this line be a report's title? Not a salutation, running header, masthead, date,
    文号, class header, file name, sentence or long paragraph."""
    flat = _despace(line)
    norm = normalize(flat)
    return not (
        not flat
        or len(flat) > _MAX_TITLE
        or len(re.findall(rf"[{_CJK}]", flat)) < 4
        or _SALUTATION.search(norm)
        or _HEADER.search(norm)
        or _CLASS_HEADER.search(norm)
        or _FILENAME.search(flat)
        or is_masthead(line)
        or _is_org_name(flat)
        or _is_date_line(flat)
        or _is_doc_number_line(flat)
        or _SENTENCE_END.search(flat)
        or flat.startswith(("——", "--", "（", "("))
    )


def _gongwen_title(lines: list[str]) -> str:
    """关于…的通知 in the opening lines, joined when the layout wrapped it over two lines."""
    for n, line in enumerate(lines[:_OPENING]):
        flat = _despace(line)
        if _GONGWEN.search(normalize(flat)) and is_title_like(flat):
            return flat
        if n + 1 < len(lines) and is_title_like(flat) and is_title_like(lines[n + 1]):
            joined = flat + _despace(lines[n + 1])
            if len(joined) <= _MAX_TITLE and _GONGWEN.search(normalize(joined)):
                return joined
    return ""


_PART = re.compile(r"^第\s*[0-9一二三四五六七八九十]+\s*部分")


def _with_part(title: str, following: str) -> str:
    """核电厂定期安全评价 + 第1部分：通用要求: a standard's part belongs to its title."""
    return f"{title} {_despace(following)}" if _PART.match(following.strip()) else title


def _opening_title(lines: list[str]) -> str:
    """The first title-like line before the first paragraph (a text that opens with its body
    has no title line: a heading further down names a section, not the report)."""
    for n, line in enumerate(lines[:_OPENING]):
        if is_title_like(line):
            return _with_part(_despace(line), lines[n + 1] if n + 1 < len(lines) else "")
        if _SENTENCE_END.search(line) and len(line) > _MAX_TITLE:
            break
    return ""


def detect_title(lines: list[str], title_lines: Sequence[str]) -> str:
    for candidate in title_lines:
        if is_title_like(candidate):
            return _despace(candidate)
    title = _gongwen_title(lines) or _opening_title(lines)
    if title:
        return title
    return guess_title("\n".join(line for line in lines if not _SALUTATION.search(normalize(line))))


def _org_names(line: str) -> list[str]:
    parts = [p for p in re.split(r"\s{2,}|[、，,]", line.strip()) if p]
    names = [_despace(p).removesuffix("文件").strip() for p in parts]
    return [n for n in names if n and _ORG.search(n) and len(n) <= 30 and not _SENTENCE_END.search(n)]


def detect_issuer(lines: list[str], title: str) -> str:
    body = [n for n, line in enumerate(lines) if _SENTENCE_END.search(line)]
    closing = lines[max(-_CLOSING, (body[0] + 1 - len(lines)) if body else 0) :] if body else []
    dated = [n for n, line in enumerate(closing) if _is_date_line(_despace(line))]
    if dated:
        names: list[str] = []
        for line in reversed(closing[max(0, dated[-1] - 4) : dated[-1]]):
            found = _org_names(line)
            if not found:
                break
            names = found + names
        if names:
            return "、".join(names)
    head = lines[: _OPENING // 2]
    masthead = [n for n, line in enumerate(head) if is_masthead(line) and _despace(line).endswith("文件")]
    if masthead:
        names = []
        for line in head[masthead[0] : masthead[0] + 4]:
            found = _org_names(line)
            if not found:
                break
            names.extend(found)
        if names:
            return "、".join(names)
    norm = normalize(title)
    prefix = norm.split("关于", 1)[0] if "关于" in norm else re.sub(r"(?:公告|通告|公报|令)$", "", norm)
    if prefix and prefix != norm and _ORG.search(prefix):  # 北京市人民政府关于…, 臺北市政府公告
        return title[: len(prefix)]
    return ""


def detect_doc_number(lines: list[str]) -> str:
    for line in lines[:_OPENING]:
        flat = line.strip()
        if _is_doc_number_line(flat):
            m = _DOC_NUMBER.search(flat)
            assert m is not None
            return re.sub(r"\s+", "", m.group(0))
    return ""


def detect_date(lines: list[str]) -> str:
    body = [n for n, line in enumerate(lines) if _SENTENCE_END.search(line)]
    for line in reversed(lines[max(body[0] + 1, len(lines) - _CLOSING) :] if body else []):
        if _is_date_line(_despace(line)):
            return parse_date(_despace(line))
    for line in lines[:_OPENING // 2]:
        flat = _despace(line)
        if _is_date_line(flat.lstrip("—-")) or (flat.startswith(("——", "--")) and _DATE.search(flat)):
            return parse_date(flat)
    return ""


def detect_year(date: str, title: str, doc_number: str) -> int | None:
    if date:
        return int(date[:4])
    for source in (title, doc_number):
        m = _TITLE_YEAR.search(source) or re.search(r"[〔\[［【（(]((?:19|20)\d{2})[〕\]］】）)]", source)
        if m:
            return int(m.group(1))
    return None


def detect_regions(issuer: str, title: str, first_page: str) -> tuple[str, ...]:
    g = gazetteer()
    places: list[Division] = [m.division for m in g.find(issuer)] if issuer else []
    places += [m.division for m in g.find(title)]
    if not issuer:
        found = [m.division for m in g.find(first_page)]
        provinces = {d.code[:2] for d in found}
        counts = Counter(d.code for d in found)
        if len(provinces) < _NATIONAL_SCOPE:
            places += [d for d in found if counts[d.code] >= 2]
    return g.regions(places)


def detect_meta(text: str, title_lines: Sequence[str] = (), page_starts: Sequence[int] = ()) -> DetectedMeta:
    """Everything `text` (cleaned) and the layout's title candidates say about the report."""
    lines = [line.strip() for line in text.split("\n") if line.strip()]
    if not lines:
        return DetectedMeta()
    title = detect_title(lines, title_lines)
    issuer = detect_issuer(lines, title)
    if issuer and len(title) <= _GENERIC_TITLE and not title.startswith(issuer):
        title = issuer + title  # 纪律处分决定书 alone names a kind of document, not this one
    doc_number = detect_doc_number(lines)
    date = detect_date(lines)
    first_page = text[: page_starts[1]] if len(page_starts) > 1 else text[:_FIRST_PAGE]
    return DetectedMeta(
        title=title,
        issuer=issuer,
        doc_number=doc_number,
        date=date,
        year=detect_year(date, title, doc_number),
        regions=detect_regions(issuer, title, first_page),
    )


_MERGED = ("title", "regions", "year", "issuer", "doc_number", "date")


def merge_meta(given: ReportMeta | None, detected: DetectedMeta) -> ReportMeta:
    """Hand metadata wins field by field; detection fills the fields it left empty (and not
    given as empty on purpose: `given.explicit`); `detected` names the fields detection filled."""
    base = given or ReportMeta(title="")
    updates: dict[str, object] = {}
    for name in _MERGED:
        if getattr(base, name) or name in base.explicit:
            continue
        value = getattr(detected, name)
        if value:
            updates[name] = value
    return dataclasses.replace(base, **updates, detected=tuple(sorted(updates)))  # type: ignore[arg-type]
