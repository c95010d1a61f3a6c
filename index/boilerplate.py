"""Web boilerplate in a report's text: navigation, page meta, paywall teasers, contact and
URL lines, copyright and reposting markers.

Judged by LINE SHAPE (short, pattern-dominated lines), never by a substring alone: a
sentence that mentions 来源 or 试点 in prose is the report's own text. Contact and URL lines
are furniture only by POSITION (a page's header or footer, or a running footer): in a
notice's body "咨询电话:…" is the answer. Copyright and source markers go alone, never with
the news item that carries them.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

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
    r"^(?:主办单位|主辦單位|承办单位|承辦單位|协办单位|協辦單位|运行维护单位|運行維護單位|技术支持|技術支持|"
    r"网站地图|網站地圖|网站标识码|網站標識碼)\s*[:\uff1a]?|^(?:版权|版權)(?:和|与|與|及)?(?:免责|免責)?(?:声明|聲明)",
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
    | {"字体", "字體", "放大", "缩小", "縮小", "正常", "默认", "默認", "超大"}  # a font-size widget
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


# A source marker says where the text came from: it goes wherever it stands, alone, never
# with the news item that carries it.
_SOURCE_MARK = re.compile(
    r"(?:来源|來源|转自|轉自|转载自|轉載自|本文来自|本文來自|本文来源于|本文來源於)[^。!?！？]{0,30}(?:公众号|公眾號)|"
    r"未经授权不得转载|未經授權不得轉載|未经许可不得转载|未經許可不得轉載"
)
# An invitation to follow an account (关注“天津高新”公众号…): page furniture as the tail of a
# news item or at the page's edge, but in a notice's body the account's name is the answer
# (“关注‘北京税务’微信公众号，在线预约办理”), so there it stays.
_FOLLOW_MARK = re.compile(
    r"(?:关注|關注|搜索|扫码|掃碼|扫描|掃描|长按|長按)[^。!?！？,，;；]{0,30}(?:公众号|公眾號)|"
    r"(?:微信)?(?:公众号|公眾號)\s*[:\uff1a“\"「]"
)
_PAREN = re.compile(r"[(（][^()（）]{0,80}[)）]")
_PIECE = re.compile(r"[^。!?！？]+(?:[。!?！？]+[”」』)）]*)?|[。!?！？]+")
"""A line's sentences, in order; joined they give the line back."""
_CJK_GAP = re.compile(r"(?<=[\u3400-\u9fff\uff01-\uff5e])[ \t]+(?=\S)|[ \t]+(?=[\u3400-\u9fff])")
"""Spaces next to a Chinese character: where a footer's fields part (主办单位：… 版权所有：…)."""
_MAX_MARKER_PIECE = 120
"""A longer sentence that mentions 版权所有 or 公众号 is prose about it, not a marker."""
_MARKER_SHARE = 0.4
"""Text after a line's first marker goes with it when the markers are this share of it (the
rest of a disclaimer); text before the first marker (the news item) always stays."""
_MIN_REST = 10
"""A line left with fewer content characters than this was all marker."""
_MIN_FOLLOWED_BODY = 20
"""Content characters after a follow invitation that make it a sentence of its own."""
_CONTENT = re.compile(r"[\w\u3400-\u9fff]")


def _is_marker_piece(piece: str) -> bool:
    if len(piece) > _MAX_MARKER_PIECE:
        return False
    return bool(_COPYRIGHT.search(piece) or _DISCLAIMER.search(piece.strip("(（)） ")) or _SOURCE_MARK.search(piece))


def _is_follow_piece(piece: str) -> bool:
    return len(piece) <= _MAX_MARKER_PIECE and bool(_FOLLOW_MARK.search(piece))


def _content(text: str) -> int:
    return len(_CONTENT.findall(text))


def _kind(piece: str) -> str:
    return "marker" if _is_marker_piece(piece) else "follow" if _is_follow_piece(piece) else "body"


def _pieces(line: str) -> list[tuple[str, str]]:
    """The line's sentences with their kind (body, marker, follow). A sentence holding a
    marker is cut at its field gaps, so “新闻…正式启用 版权和免责声明 本网站…” loses the
    footer, not the news: the first marker field and the rest of its sentence are the marker."""
    out: list[tuple[str, str]] = []
    for sentence in _PIECE.findall(line):
        cuts = [m.end() for m in _CJK_GAP.finditer(sentence)]
        parts = [sentence[a:b] for a, b in zip([0, *cuts], [*cuts, len(sentence)], strict=True) if sentence[a:b]]
        first = next((n for n, p in enumerate(parts) if _is_marker_piece(p)), None)
        if first is None:  # a long sentence that mentions 版权所有: prose
            out.append((sentence, _kind(sentence)))
            continue
        out.extend((p, _kind(p)) for p in parts[:first])
        out.append(("".join(parts[first:]), "marker"))
    return out


def _without_follow(piece: str) -> str:
    """A follow invitation that opens a sentence of its own (关注公众号 神舟十四号…): the
    invitation goes, the sentence stays; a short invitation goes whole."""
    rest = _FOLLOW_MARK.sub("", piece)
    return rest.lstrip(" ,，:：") if _content(rest) >= _MIN_FOLLOWED_BODY else ""


def strip_markers(line: str, *, edge: bool = False) -> tuple[str, int]:
    """The line without its copyright / ICP / source / reposting markers, and how many went.

    A news item that ends with “(来源:xx公众号)”, “本网版权所有,未经授权不得转载。” or a footer
    (“主办单位：… 版权所有：…”) keeps its text: text before the first marker always stays.
    An invitation to follow an account goes as the tail of a body line or on a line at the
    page's `edge`; a body line that is the invitation (“关注‘天津税务’公众号,在线预约”) is
    content. A line that is (almost) all marker comes back empty."""
    dropped = 0

    def paren(match: re.Match[str]) -> str:
        nonlocal dropped
        if _is_marker_piece(match.group(0)):
            dropped += 1
            return ""
        return match.group(0)

    unbracketed = _PAREN.sub(paren, line)
    pieces = _pieces(unbracketed)
    if "".join(p for p, _ in pieces) != unbracketed:  # defensive: never lose text to a tokenizing slip
        return line, 0
    body_at = [n for n, (_, kind) in enumerate(pieces) if kind == "body"]
    head: list[str] = []
    after: list[str] = []
    marker_chars = 0
    for n, (piece, kind) in enumerate(pieces):
        tail = bool(body_at) and body_at[0] < n and n > body_at[-1]
        if kind == "body" or (kind == "follow" and not edge and not tail):
            (after if marker_chars else head).append(piece)
            continue
        kept = _without_follow(piece) if kind == "follow" else ""
        marker_chars += len(piece) - len(kept)
        if kept:
            (after if marker_chars else head).append(kept)
        dropped += 1
    if not dropped:
        return line, 0
    rest_after = "".join(after)
    if _content(rest_after) < _MIN_REST or marker_chars >= _MARKER_SHARE * (marker_chars + len(rest_after)):
        rest_after = ""
    rest = ("".join(head) + rest_after).strip(" ,，;；:：|")
    if _content(rest) < _MIN_REST:
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
    """A short phone / QQ / e-mail line or a URL line, without a sentence of its own:
    furniture in a page's header or footer, content in a notice's body (“咨询电话:…”,
    “举报电话:12320”). A line with sentence punctuation is the body's, whatever it holds."""
    if _SENTENCE_END.search(line):
        return False
    return _is_url_line(line) or (len(line) <= 60 and bool(_CONTACT.search(line)))


def is_boilerplate_line(line: str) -> bool:
    """True for a whole line of web furniture (navigation, footer, paywall, contact,
    disclaimer) as it would be judged in a page's header or footer."""
    line = line.strip()
    if not line:
        return False
    return _is_furniture(line) or _is_contact(line) or strip_markers(line, edge=True)[0] == ""


@dataclass(frozen=True)
class _Verdict:
    drop: bool
    text: str
    markers: int = 0


_REPEATED_FOOTER = 3
"""A contact line this often in one document is a running page footer."""


_MAX_FOOTER_CONTACTS = 6
"""A page header or footer has a few contact lines; a longer run is a directory (content)."""


def _is_article_end(line: str) -> bool:
    return _is_ui(line) or (len(line) <= 150 and bool(_UI_START.match(line)))


def _edge_run(lines: list[str], candidate: list[bool], order: range) -> list[int]:
    """The leading (or, walking backwards, trailing) run of candidates; blank lines do not
    break it."""
    run: list[int] = []
    for n in order:
        if not lines[n].strip():
            continue
        if not candidate[n]:
            break
        run.append(n)
    return run


def _verdicts(lines: list[str]) -> list[_Verdict]:
    """Furniture goes anywhere; a line that is all marker goes anywhere; contact and URL
    lines go in the page's header run, in a footer run that also holds furniture or a
    copyright marker (a site footer, not a notice's closing 联系电话), or as a running
    footer. A follow invitation goes from the first and last lines and the edge runs."""
    strip = [line.strip() for line in lines]
    furniture = [bool(t) and _is_furniture(t) for t in strip]
    contact = [bool(t) and _is_contact(t) for t in strip]
    at_edge = [strip_markers(t, edge=True) if t else (t, 0) for t in strip]
    candidate = [
        f or c or (bool(t) and e[0] == "") for f, c, t, e in zip(furniture, contact, strip, at_edge, strict=True)
    ]
    lead = _edge_run(lines, candidate, range(len(lines)))
    trail = _edge_run(lines, candidate, range(len(lines) - 1, -1, -1))
    site_footer = any(furniture[n] or at_edge[n][0] == "" for n in trail)
    # An article's end (打印 / 关闭 / 分享 / 上一篇) parts it from the site's footer: contact
    # lines before it close the article (a notice's 举报电话), those after it are the site's.
    ends = [n for n in trail if _is_article_end(strip[n])]
    footer = [n for n in trail if n > max(ends)] if ends else trail
    drop_contact: set[int] = set()
    for run, applies in ((lead, True), (footer, site_footer)):
        if applies and sum(contact[n] for n in run) <= _MAX_FOOTER_CONTACTS:
            drop_contact.update(run)
    content = [n for n, t in enumerate(strip) if t]
    edges = set(lead) | set(trail) | ({content[0], content[-1]} if content else set())
    counts = Counter(_key(line) for line, c in zip(lines, contact, strict=True) if c)
    out: list[_Verdict] = []
    for n, line in enumerate(lines):
        text, markers = at_edge[n] if n in edges else (strip_markers(strip[n]) if strip[n] else (line, 0))
        running = contact[n] and counts[_key(line)] >= _REPEATED_FOOTER
        if furniture[n] or (markers and text == "") or (contact[n] and (n in drop_contact or running)):
            out.append(_Verdict(True, "", markers))
        else:
            out.append(_Verdict(False, text if markers else line, markers))
    return out


@dataclass(frozen=True)
class Boilerplate:
    """A text with its boilerplate removed, and what went."""

    text: str
    lines: tuple[str, ...]
    """The whole lines dropped."""
    markers: tuple[str, ...]
    """Lines that lost only a marker (as they were)."""


def find_boilerplate(text: str) -> Boilerplate:
    """Judge every line of `text` as a whole page (header and footer runs, running footers)."""
    lines = text.split("\n")
    verdicts = _verdicts(lines)
    kept = [v.text for v in verdicts if not v.drop]
    dropped = tuple(line for line, v in zip(lines, verdicts, strict=True) if v.drop)
    trimmed = tuple(line for line, v in zip(lines, verdicts, strict=True) if not v.drop and v.markers)
    return Boilerplate("\n".join(kept), dropped, trimmed)


def strip_boilerplate_lines(text: str) -> str:
    """Drop web furniture: navigation and page-meta lines anywhere, contact and URL lines in
    the header or footer (or repeated as a running footer), copyright and reposting markers
    (the marker only, or the line when it is all marker). Prose that merely mentions a
    keyword, and a body line that holds a phone number, URL or e-mail, stay."""
    return find_boilerplate(text).text


def _key(line: str) -> str:
    # A running footer repeats with other spacing (nbsp, full-width runs), not other words.
    return re.sub(r"\s+", "", line)
