"""Metadata a report states about itself: title, issuing body, 文号, date and year, regions.

Pure functions over the cleaned text and the title candidates the PDF layout offers
(`LoadedText.title_lines`), so a maintainer who drops a file in gets a usable title, places
and year without filling a form. Hand metadata (reports.toml, the upload form) always wins,
field by field (`merge_meta`).

The rules, in the order they are tried:
- **title**: the first layout candidate that is a title (a meaningful PDF Title property, the
  largest-font lines of page 1, a web page's title meta/<title>/<h1>); a research report's
  banner "公司（600398.SH）" takes the headline set large under it. Else the 公文 title in the
  opening lines (关于…的通知/意见/报告/决定/办法…, also wrapped over two lines); else the first
  title-like opening line that is no piece of a sentence (a standard's name without its number,
  with its 第N部分, 编制说明 and （征求意见稿）). Else a government work report's name from its
  opening (我代表北京市人民政府，向大会报告政府工作 → 2024年北京市政府工作报告); else the file's
  name. Never a salutation (各位代表：, 尊敬的…), a running header (请务必阅读…声明), a masthead
  (…文件, letter-spaced 税 务 总 局), a date line, a 文号 line or a section heading (一、…, 第七章…).
- **issuer** (发文机关): a work report's "我代表X"; else the organization lines above the
  signature date (a date line after the body begins); else the masthead; else the title's
  office (X关于…, X公告).
- **文号**: a 文号 (〔〕, [], （）) standing on its own line among the opening lines; a 文号 cited
  inside a sentence is another document's.
- **date** and **year**: `index.docdates`; a work report's year is the later of the years its
  top-level headings name (一、2023年工作回顾 … 二、2024年重点任务) and its date's.
- **regions**: places in the issuer (北京市人民政府 → 北京市); a body that names no place is
  national (国务院, 国家发展改革委) and then only the title can give places; a title that names
  a place gives it. Without either, the places the first page names at least twice outside its
  footnotes, in the one province most of its place names fall in (not a list of four or more
  provinces, which is national scope).
"""

from __future__ import annotations

import dataclasses
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import PurePosixPath

from index.cleaning import guess_title
from index.docdates import CJK as _CJK
from index.docdates import CLOSING as _CLOSING
from index.docdates import CN_DIGIT as _CN_DIGIT
from index.docdates import OPENING as _OPENING
from index.docdates import SENTENCE_END as _SENTENCE_END
from index.docdates import despace as _despace
from index.docdates import detect_date, detect_year
from index.docdates import is_date_line as _is_date_line
from index.gazetteer import Division, gazetteer
from index.textnorm import normalize
from index.types import ReportMeta
from index.wrapping import starts_block

DOCMETA_VERSION = "4"
"""Part of each report's content hash: a change here re-reads every report (and its metadata).
2: work reports named from their opening, headings and fragments never titles, the file's
name as the last resort, publication and cover dates, regions only from a dominant province;
web pages read for their main content (index.html_main) with their title and date meta.
3, 4: an entry whose first paragraph opens with its first line (赵鹏 / 赵鹏（），中国足球运动员…) has
that line as its title, however short; a short line above the first paragraph beats a file name
that is an id (drcd-dev-0000)."""

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
_MAX_TITLE = 60
_GENERIC_TITLE = 8
"""A title this short (纪律处分决定书, 通知, 公告) names a kind of document: its issuer goes before it."""
_FIRST_PAGE = 1200
"""Characters taken as the first page when the text has no page offsets."""
_NATIONAL_SCOPE = 4
"""A first page naming this many provinces lists the country's, it is about none of them."""
_DOMINANT = 2 / 3
"""Share of a first page's place mentions that must fall in one province for it to be the page's."""
_PARATEXT = re.compile(
    r"^[*＊]|基金|资助|收稿|录用日期|首发时间|作者简介|作者单位|通讯作者|通信作者|e-?mail|"
    r"(?:大学|学院|研究所|研究院|研究中心|实验室|编辑部).{0,20}(?<!\d)\d{6}(?!\d)",
    re.I,
)
"""A footnote about the paper, not its subject: funding, dates received, the authors'
affiliations with their postcodes (北京 100190 is where the authors work)."""


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
        or is_heading(flat)
    )


_NUMBERED = re.compile(rf"^\d{{1,2}}(?:\.\d{{1,2}})*\s*[{_CJK}]")
"""1 准备稿件, 1.2 中文支持: a numbered section heading (a year has four digits)."""
_CLAUSE_MARK = re.compile(r"[，,]")


def is_heading(line: str) -> bool:
    """一、…, （一）…, 第七章…, 1.2 …, a list item: a section's heading names a part of the
    report, never the report (a prospectus page shows 第七章 in its largest font)."""
    flat = line.strip()
    return starts_block(flat) or bool(_NUMBERED.match(flat))


def is_fragment(line: str) -> bool:
    """A piece of a sentence, not a title: two clause marks (，、；), one of them a comma (a
    list of places joined by 、 is a title's). Judged on plain opening lines only: a headline
    set in a large font may well carry two commas."""
    commas = len(_CLAUSE_MARK.findall(line))
    return commas >= 1 and commas + line.count("、") >= 2


_FOOTNOTE_MARK = re.compile(r"[*＊†‡¹²³⁴⁵⁶⁷⁸⁹]+$")


_STANDARD_CODE = re.compile(
    r"^[A-Z]{1,4}(?:/[A-Z])?\s*[\dX]+(?:\.[\dX]+)*\s*[—–－-]\s*(?:\d{4}|\d{2}|[\dXY]{2,4})\s+(?=\S)"
)
"""NB/T XXXX－20YY, GB/T 3620.1—2016 before a standard's name: its number, not its title."""
_PART_INSIDE = re.compile(r"(?<=\S)(?=第\s*[0-9一二三四五六七八九十]+\s*部分)")


def _clean_title(line: str) -> str:
    """A title as shown: spacing closed up (a space kept before 第N部分), a standard's number
    before it and a footnote mark after it (…的共演*) gone."""
    flat = line.strip()
    rest = _STANDARD_CODE.sub("", flat)
    if len(re.findall(rf"[{_CJK}]", rest)) >= 4:
        flat = rest
    return _PART_INSIDE.sub(" ", _FOOTNOTE_MARK.sub("", _despace(flat)).strip())


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
_DOC_KIND = re.compile(r"^(?:编制说明|编写说明|起草说明|修订说明)$")
_DRAFT_STAGE = re.compile(r"^[（(](?:征求意见稿|送审稿|报批稿|讨论稿|草案|试行)[）)]")


def _with_following(title: str, following: Sequence[str]) -> str:
    """The lines under a standard's name that belong to its title: its part (第1部分：通用
    要求), the kind of paper (编制说明) and the draft's stage (（征求意见稿）)."""
    for line in following[:3]:
        flat = _despace(line)
        if _PART.match(flat) or _DOC_KIND.match(flat):
            title = f"{title} {flat}"
            continue
        stage = _DRAFT_STAGE.match(flat)
        if stage:
            title += stage.group(0)
        break
    return title


def _opening_title(lines: list[str]) -> str:
    """The first title-like line before the first paragraph (a text that opens with its body
    has no title line: a heading further down names a section, not the report)."""
    if _names_the_subject(lines):
        return _clean_title(lines[0])
    for n, line in enumerate(lines[:_OPENING]):
        if is_title_like(line) and not is_fragment(line):
            return _with_following(_clean_title(line), lines[n + 1 : n + 4])
        if _SENTENCE_END.search(line) and len(line) > _MAX_TITLE:
            break
    return ""


def _short_above_paragraph(lines: list[str]) -> str:
    """The first line, despaced, when it is short, is no sentence and stands above a paragraph;
    else "" (what both rules below start from)."""
    if len(lines) < 2 or not _SENTENCE_END.search(lines[1]):
        return ""
    head = _despace(lines[0])
    return "" if len(head) > _MAX_TITLE or _SENTENCE_END.search(head) else head


def _names_the_subject(lines: list[str]) -> bool:
    """An entry's first line names its subject, and the first paragraph opens with it (赵鹏 /
    赵鹏（），中国足球运动员…; 20呎标准货柜 / 20呎标准货柜（TEU）…): the title however short,
    or however much it looks like an organization's name or a numbered heading."""
    head = _short_above_paragraph(lines)
    return len(re.findall(rf"[{_CJK}]", head)) >= 2 and _despace(lines[1]).startswith(head)


def _line_above_body(lines: list[str]) -> str:
    """A short first line standing above a paragraph (梵文 / 梵語是…。): an entry's title, when
    it is none of the lines a title never is (salutation, header, date, 文号, masthead)."""
    head = _short_above_paragraph(lines)
    norm = normalize(head)
    if (
        not head
        or _SALUTATION.search(norm)
        or _HEADER.search(norm)
        or _FILENAME.search(head)
        or is_masthead(lines[0])
        or _is_date_line(head)
        or _is_doc_number_line(head)
        or is_heading(head)
        or _NUMBERED.match(head)  # 1 天然气管道的发展: a section of a page, not the report
    ):
        return ""
    return _clean_title(lines[0])


_TICKER = re.compile(r"[（(]\s*\d{4,6}(?:\s*\.\s*[A-Z]{2})?\s*[)）]$")
"""某服装企业（600398.SH）: a listed company's name with its code, as a research report's
banner names the company above the report's headline."""


def _with_headline(title: str, lines: list[str], title_lines: Sequence[str]) -> str:
    """A company's name and code alone is the subject, not the title: the headline set large
    right under it completes it (某服装企业（600398.SH）第三季度收入下滑11%…)."""
    if not _TICKER.search(title):
        return title
    large = {_despace(t) for t in title_lines}
    for n, line in enumerate(lines[: _OPENING - 1]):
        if _clean_title(line) == title:
            following = _despace(lines[n + 1])
            if following in large and is_title_like(following) and not _TICKER.search(following):
                return title + following
            break
    return title


def detect_title(lines: list[str], title_lines: Sequence[str]) -> str:
    """The title the text shows, or "" (then `detect_meta` names the report otherwise)."""
    for candidate in title_lines:
        if is_title_like(candidate):
            return _with_headline(_clean_title(candidate), lines, title_lines)
    return _gongwen_title(lines) or _opening_title(lines)


# A government work report opens "现在，我代表北京市人民政府，向大会报告政府工作": its issuer.
_WORK_REPORT = re.compile(r"我代表\s*([^，,。：:、\s]{2,30}?)\s*[，,]?\s*向(?:大会|全会|会议|本次会议)(?:作|做|报告)")
_CONGRESS = re.compile(rf"在([{_CJK}]{{2,12}}?[省市区县州旗盟])第[{_CN_DIGIT}十\d]{{1,4}}届人民代表大会")
_PLAN_HEADING = re.compile(r"^[一二三四五六七八九十]{1,3}、\s*((?:19|20)\d{2})\s*年")
"""一、2023年工作回顾 … 二、2024年工作安排: a work report's top-level headings name its years."""


@dataclass(frozen=True)
class _WorkReport:
    issuer: str
    year: int | None

    @property
    def title(self) -> str:
        """北京市人民政府 → (2024年)北京市政府工作报告; 国务院 → 政府工作报告."""
        if self.issuer == "国务院":
            name = "政府工作报告"
        elif self.issuer.endswith("政府"):
            name = self.issuer.removesuffix("政府").removesuffix("人民") + "政府工作报告"
        else:
            name = self.issuer + "工作报告"
        return f"{self.year}年{name}" if self.year else name


def _work_report(lines: list[str], date: str) -> _WorkReport | None:
    """Who delivers the report (我代表…，向大会报告) and the year it plans for: the later of
    the years its top-level headings name and its delivery date's."""
    opening = "\n".join(lines[:_OPENING])
    m = _WORK_REPORT.search(opening)
    if m is None:
        return None
    issuer = m.group(1)
    if issuer[0] in "省市区县州" and not gazetteer().find(issuer):  # 我代表市人民政府
        place = _CONGRESS.search(opening)
        issuer = place.group(1) + issuer[1:] if place else issuer
    years = [int(h.group(1)) for line in lines if (h := _PLAN_HEADING.match(line))]
    years += [int(date[:4])] if date else []
    return _WorkReport(issuer, max(years) if years else None)


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


def detect_regions(issuer: str, title: str, first_page: str) -> tuple[str, ...]:
    g = gazetteer()
    places: list[Division] = [m.division for m in g.find(issuer)] if issuer else []
    places += [m.division for m in g.find(title)]
    if not issuer and not places:  # a title that names its place says what the report is about
        body = "\n".join(line for line in first_page.split("\n") if not _PARATEXT.search(line))
        found = [m.division for m in g.find(body)]
        by_province = Counter(d.code[:2] for d in found)
        counts = Counter(d.code for d in found)
        if len(by_province) < _NATIONAL_SCOPE:
            # Only a place the page is about: the one province most of its mentions are in
            # (a paper that cites Beijing's and Zhejiang's policies is about neither).
            main = [p for p, n in by_province.items() if n >= _DOMINANT * len(found)]
            places += [d for d in found if counts[d.code] >= 2 and d.code[:2] in main]
    return g.regions(places)


def _guess_title(lines: list[str]) -> str:
    """The opening words (only for a caller that knows no file name)."""
    return guess_title("\n".join(line for line in lines if not _SALUTATION.search(normalize(line))))


def _file_title(file_name: str) -> str:
    """reports/2024年北京市政府工作报告.pdf → 2024年北京市政府工作报告."""
    stem = PurePosixPath(file_name.replace("\\", "/")).name
    return stem.rsplit(".", 1)[0] if "." in stem else stem


def detect_meta(
    text: str,
    title_lines: Sequence[str] = (),
    page_starts: Sequence[int] = (),
    *,
    stated_date: str = "",
    file_name: str = "",
) -> DetectedMeta:
    """Everything `text` (cleaned) and the layout's title candidates say about the report.
    `stated_date`: a date the file states outside its text (a web page's meta); `file_name`:
    the report's name, its title when the text shows none (never a piece of its body)."""
    lines = [line.strip() for line in text.split("\n") if line.strip()]
    if not lines:
        return DetectedMeta()
    first_page = text[: page_starts[1]] if len(page_starts) > 1 else text if page_starts else text[:_FIRST_PAGE]
    date = detect_date(lines, first_page, stated_date)
    title = detect_title(lines, title_lines)
    work = _work_report(lines, date)
    if work is not None and len(title) <= _GENERIC_TITLE:  # nothing, or 政府工作报告 alone
        title = work.title
    if not title:
        # A file name in words (2024年北京市政府工作报告.pdf) names the report; an id
        # (drcd-dev-0000.txt) says less than a short line standing above the first paragraph.
        named = _file_title(file_name)
        worded = named if re.search(rf"[{_CJK}]", named) else ""
        title = worded or _line_above_body(lines) or named or _guess_title(lines)
    issuer = work.issuer if work is not None else detect_issuer(lines, title)
    if issuer and len(title) <= _GENERIC_TITLE and not title.startswith(issuer):
        title = issuer + title  # 纪律处分决定书 alone names a kind of document, not this one
    doc_number = detect_doc_number(lines)
    return DetectedMeta(
        title=title,
        issuer=issuer,
        doc_number=doc_number,
        date=date,
        year=(work.year if work is not None and work.year else None) or detect_year(date, title, doc_number, lines),
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
