"""Word (.docx) body text as a reader sees it, walked over the document's XML.

- Only the body: headers and footers live in their own parts and are never read; text
  boxes and shapes anchored in the body are (once: `mc:AlternateContent` holds the same box
  twice, as DrawingML and as VML), but a field that shows a page number (PAGE, NUMPAGES,
  SECTIONPAGES, PAGEREF) is not.
- Automatic numbering (a paragraph's `w:numPr`, or its style's) is rendered into the text
  from numbering.xml: each level's format (一、 (一) 1. 1.1 ① a) A. i.), start, counters that
  deeper levels restart, `lvlText` such as "%1.%2", and `startOverride`.
- Fields: the shown result is kept (FORMTEXT form fields, REF, HYPERLINK, a TOC's lines),
  the instruction never; `w:fldSimple` likewise.
- Tracked changes: insertions kept, deletions (and moved-away text) dropped; hyperlinks,
  smart tags, content controls and custom XML give their text; ruby keeps the base text.
- Tables: one line per row, cells separated by " | "; a cell spanning columns appears once,
  a cell merged down the rows is repeated on each row it covers (each row reads whole); a
  table nested in a cell becomes "a / b; c / d" inside that cell.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from docx import Document
from docx.opc.constants import RELATIONSHIP_TYPE as RT

_W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
_MC = "http://schemas.openxmlformats.org/markup-compatibility/2006"


def _tag(el: Any) -> str:
    """`w:p` → "p"; elements of other namespaces keep a prefix-free local name too."""
    tag = el.tag
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _ns(el: Any) -> str:
    tag = el.tag
    return tag[1:].split("}", 1)[0] if isinstance(tag, str) and tag.startswith("{") else ""


def _attr(el: Any, name: str) -> str | None:
    value = el.get(f"{{{_W}}}{name}")
    return None if value is None else str(value)


def _child(el: Any, name: str) -> Any:
    return None if el is None else el.find(f"{{{_W}}}{name}")


def _val(el: Any, name: str) -> str | None:
    child = _child(el, name)
    return None if child is None else _attr(child, "val")


# -- number formats ---------------------------------------------------------------------------
_CN_DIGITS = "零一二三四五六七八九"
_CN_TRAD_DIGITS = "零壹贰叁肆伍陆柒捌玖"


def _chinese(n: int, digits: str = _CN_DIGITS, units: str = "十百千") -> str:
    """1 → 一, 10 → 十, 21 → 二十一, 105 → 一百零五 (Word's chineseCounting up to 9999)."""
    if n <= 0 or n >= 10_000:
        return str(n)
    parts: list[str] = []
    zero = False
    for power, unit in ((1000, units[2]), (100, units[1]), (10, units[0]), (1, "")):
        d = n // power % 10
        if d == 0:
            zero = bool(parts)
            continue
        if zero:
            parts.append(digits[0])
            zero = False
        parts.append(("" if d == 1 and power == 10 and not parts else digits[d]) + unit)
    return "".join(parts)


def _roman(n: int) -> str:
    out = []
    for value, mark in ((1000, "m"), (900, "cm"), (500, "d"), (400, "cd"), (100, "c"), (90, "xc"), (50, "l"), (40, "xl"), (10, "x"), (9, "ix"), (5, "v"), (4, "iv"), (1, "i")):
        while n >= value:
            out.append(mark)
            n -= value
    return "".join(out)


def _letters(n: int) -> str:
    """1 → a, 26 → z, 27 → aa (Word repeats the letter)."""
    return chr(ord("a") + (n - 1) % 26) * ((n - 1) // 26 + 1)


_CIRCLED = {**{i: chr(0x2460 + i - 1) for i in range(1, 21)}, **{i: chr(0x3251 + i - 21) for i in range(21, 36)}}
_ZODIAC = "子丑寅卯辰巳午未申酉戌亥"
_HEAVENLY = "甲乙丙丁戊己庚辛壬癸"


def format_number(n: int, fmt: str) -> str:
    """A counter in one of Word's `w:numFmt` formats (unknown formats: decimal)."""
    if fmt in ("none", "bullet"):
        return ""
    if fmt in ("chineseCounting", "chineseCountingThousand", "taiwaneseCounting", "taiwaneseCountingThousand", "japaneseCounting"):
        return _chinese(n)
    if fmt in ("chineseLegalSimplified", "ideographLegalTraditional"):
        return _chinese(n, _CN_TRAD_DIGITS, "拾佰仟")
    if fmt in ("decimalEnclosedCircle", "decimalEnclosedCircleChinese"):
        return _CIRCLED.get(n, str(n))
    if fmt == "decimalEnclosedParen":
        return f"({n})"
    if fmt in ("decimalFullWidth", "decimalFullWidth2"):
        return "".join(chr(ord(c) + 0xFEE0) for c in str(n))
    if fmt == "decimalZero":
        return f"{n:02d}"
    if fmt == "ideographTraditional":
        return _HEAVENLY[(n - 1) % 10]
    if fmt == "ideographZodiac":
        return _ZODIAC[(n - 1) % 12]
    if fmt == "lowerLetter":
        return _letters(n)
    if fmt == "upperLetter":
        return _letters(n).upper()
    if fmt == "lowerRoman":
        return _roman(n)
    if fmt == "upperRoman":
        return _roman(n).upper()
    return str(n)


# -- numbering definitions and counters --------------------------------------------------------
@dataclass(frozen=True)
class _Level:
    start: int = 1
    fmt: str = "decimal"
    text: str = "%1."
    suffix: str = "tab"
    legal: bool = False
    restart: int | None = None
    """w:lvlRestart: the level (1-based) whose use restarts this one; None = any shallower."""


@dataclass
class Numbering:
    """numbering.xml and the styles' numbering, plus the counters of one pass over the body."""

    levels: dict[str, dict[int, _Level]] = field(default_factory=dict)
    """abstractNumId → ilvl → level."""
    nums: dict[str, str] = field(default_factory=dict)
    """numId → abstractNumId."""
    overrides: dict[str, dict[int, int]] = field(default_factory=dict)
    """numId → ilvl → startOverride."""
    style_num: dict[str, tuple[str | None, int | None]] = field(default_factory=dict)
    """styleId → (numId, ilvl) from the style chain."""
    style_level: dict[tuple[str, str], int] = field(default_factory=dict)
    """(abstractNumId, styleId) → ilvl, for levels linked to a style (w:lvl/w:pStyle)."""
    counters: dict[str, dict[int, int]] = field(default_factory=dict)
    started: set[str] = field(default_factory=set)

    def label(self, num_id: str, ilvl: int) -> tuple[str, str]:
        """The label of the next paragraph of list `num_id` at `ilvl`, and its suffix."""
        abstract = self.nums.get(num_id)
        levels = self.levels.get(abstract or "")
        if abstract is None or not levels or ilvl not in levels:
            return "", "nothing"
        counts = self.counters.setdefault(abstract, {})
        if num_id not in self.started:  # a list instance with startOverride restarts there
            self.started.add(num_id)
            for lvl, start in self.overrides.get(num_id, {}).items():
                counts[lvl] = start - 1
                for deeper in [k for k in counts if k > lvl]:
                    del counts[deeper]
        level = levels[ilvl]
        counts[ilvl] = counts.get(ilvl, level.start - 1) + 1
        for deeper in [k for k in counts if k > ilvl]:
            restart = levels.get(deeper, _Level()).restart
            if restart is None or restart > ilvl:  # lvlRestart=0 keeps counting
                del counts[deeper]

        def number(match: re.Match[str]) -> str:
            k = int(match.group(1)) - 1
            lv = levels.get(k, _Level())
            n = counts.get(k, lv.start)
            return format_number(n, "decimal" if level.legal and lv.fmt != "none" else lv.fmt)

        return re.sub(r"%([1-9])", number, level.text), level.suffix

    def of_paragraph(self, p: Any) -> tuple[str | None, int]:
        """(numId, ilvl) of a paragraph: its own w:numPr, else its style's; numId 0 = none."""
        ppr = _child(p, "pPr")
        numpr = _child(ppr, "numPr")
        style = _val(ppr, "pStyle")
        num_id = _val(numpr, "numId") if numpr is not None else None
        own_ilvl = _val(numpr, "ilvl") if numpr is not None else None
        ilvl = int(own_ilvl) if own_ilvl is not None else None
        if num_id is None and style is not None:
            num_id, style_ilvl = self.style_num.get(style, (None, None))
            ilvl = ilvl if ilvl is not None else style_ilvl
        if num_id is None or num_id == "0":
            return None, 0
        if ilvl is None and style is not None:
            ilvl = self.style_level.get((self.nums.get(num_id, ""), style))
        return num_id, ilvl or 0


def _read_levels(abstract: Any) -> dict[int, _Level]:
    out = {}
    for lvl in abstract.findall(f"{{{_W}}}lvl"):
        ilvl = int(_attr(lvl, "ilvl") or 0)
        restart = _val(lvl, "lvlRestart")
        out[ilvl] = _Level(
            start=int(_val(lvl, "start") or 1),
            fmt=_val(lvl, "numFmt") or "decimal",
            text=_val(lvl, "lvlText") or "",
            suffix=_val(lvl, "suff") or "tab",
            legal=_child(lvl, "isLgl") is not None and _val(lvl, "isLgl") not in ("0", "false"),
            restart=int(restart) if restart is not None else None,
        )
    return out


def read_numbering(document: Any) -> Numbering:
    """The numbering definitions of a python-docx Document (empty when it has none)."""
    numbering = Numbering()
    part = document.part
    try:
        root = part.numbering_part.element
    except (KeyError, NotImplementedError):
        root = None
    if root is not None:
        for abstract in root.findall(f"{{{_W}}}abstractNum"):
            aid = _attr(abstract, "abstractNumId") or ""
            numbering.levels[aid] = _read_levels(abstract)
            for lvl in abstract.findall(f"{{{_W}}}lvl"):
                linked = _val(lvl, "pStyle")
                if linked:
                    numbering.style_level[(aid, linked)] = int(_attr(lvl, "ilvl") or 0)
        for num in root.findall(f"{{{_W}}}num"):
            nid = _attr(num, "numId") or ""
            numbering.nums[nid] = _val(num, "abstractNumId") or ""
            for ov in num.findall(f"{{{_W}}}lvlOverride"):
                start = _val(ov, "startOverride")
                if start is not None:
                    numbering.overrides.setdefault(nid, {})[int(_attr(ov, "ilvl") or 0)] = int(start)
    numbering.style_num = _style_numbering(part)
    return numbering


def _style_numbering(part: Any) -> dict[str, tuple[str | None, int | None]]:
    """styleId → (numId, ilvl) through each style's `basedOn` chain."""
    try:
        styles = part.part_related_by(RT.STYLES).element
    except KeyError:
        return {}
    own: dict[str, tuple[str | None, int | None, str | None]] = {}
    for st in styles.findall(f"{{{_W}}}style"):
        numpr = _child(_child(st, "pPr"), "numPr")
        level = _val(numpr, "ilvl") if numpr is not None else None
        own[_attr(st, "styleId") or ""] = (
            _val(numpr, "numId") if numpr is not None else None,
            int(level) if level is not None else None,
            _val(st, "basedOn"),
        )
    out: dict[str, tuple[str | None, int | None]] = {}
    for sid in own:
        seen, cur = set(), sid
        num_id: str | None = None
        ilvl: int | None = None
        while cur in own and cur not in seen:
            seen.add(cur)
            n, lv, base = own[cur]
            num_id = num_id if num_id is not None else n
            ilvl = ilvl if ilvl is not None else lv
            cur = base or ""
        if num_id is not None:
            out[sid] = (num_id, ilvl)
    return out


# -- the body ---------------------------------------------------------------------------------
_PAGE_FIELDS = frozenset({"PAGE", "NUMPAGES", "SECTIONPAGES", "PAGEREF", "SECTION"})
"""Fields whose result is a page or section number: furniture, never body text."""
_SKIP = frozenset({"del", "moveFrom", "delText", "instrText", "rPr", "pPr", "tblPr", "trPr", "tcPr", "sectPr", "rt"})
_CONTAINERS = frozenset({"hyperlink", "smartTag", "customXml", "ins", "moveTo", "bdo", "dir", "sdtContent", "rubyBase"})
_PRIVATE_BULLET = "•"


@dataclass
class _Field:
    instr: str = ""
    result: bool = False
    """False while the instruction is read, True once `separate` is passed."""

    @property
    def hidden(self) -> bool:
        words = self.instr.split()
        return bool(words) and words[0].lstrip("=").upper() in _PAGE_FIELDS


def _label_gap(label: str, suffix: str) -> str:
    """What separates a list label from its text: a space after a Latin or digit label
    ("1.1 范围", "a) 核电厂设计"), nothing after a Chinese one ("一、", "（一）", "①")."""
    if not label or suffix == "nothing" or label[-1].isspace():
        return ""
    return " " if label[-1].isascii() else ""


class BodyReader:
    """One pass over a document body (counters and open fields carry across paragraphs)."""

    def __init__(self, numbering: Numbering) -> None:
        self.numbering = numbering
        self.fields: list[_Field] = []

    # blocks: paragraphs, tables, content controls -------------------------------------------
    def blocks(self, container: Any) -> Iterator[str]:
        for child in container:
            name = _tag(child)
            if name == "p":
                yield from self.paragraph(child)
            elif name == "tbl":
                yield from (" | ".join(cells) for cells in self.table(child) if any(cells))
            elif name in ("sdt", "customXml", "ins", "moveTo", "sdtContent") or (
                name == "AlternateContent" and _ns(child) == _MC
            ):
                yield from self.blocks(_choice(child) if name == "AlternateContent" else child)

    def paragraph(self, p: Any) -> Iterator[str]:
        boxes: list[Any] = []
        pieces: list[str] = []
        self.inline(p, pieces, boxes)
        text = "".join(pieces)
        num_id, ilvl = self.numbering.of_paragraph(p)
        if num_id is not None:
            label, suffix = self.numbering.label(num_id, ilvl)
            if len(label) == 1 and 0xE000 <= ord(label) <= 0xF8FF:  # a Symbol/Wingdings bullet
                label = _PRIVATE_BULLET
            # An empty numbered paragraph still shows its number (a standard's term "3.1"
            # stands on its own line above the term); a bullet alone is nothing.
            text = label + _label_gap(label, suffix) + text if text.strip() or label != _PRIVATE_BULLET else text
        text = text.strip(" \t")
        if text.strip():
            yield text
        for box in boxes:  # a text box reads after the paragraph it is anchored in
            saved, self.fields = self.fields, []
            yield from self.blocks(box)
            self.fields = saved

    # inline content -----------------------------------------------------------------------------
    def _visible(self) -> bool:
        return all(f.result and not f.hidden for f in self.fields)

    def inline(self, el: Any, out: list[str], boxes: list[Any]) -> None:
        for child in el:
            name = _tag(child)
            if name in _SKIP:
                continue
            if name == "r":
                self.run(child, out, boxes)
            elif name in _CONTAINERS or name == "sdt":
                self.inline(_child(child, "sdtContent") if name == "sdt" else child, out, boxes)
            elif name == "fldSimple":
                field = _Field(_attr(child, "instr") or "", result=True)
                self.fields.append(field)
                self.inline(child, out, boxes)
                self.fields.pop()
            elif name == "ruby":
                self.inline(_child(child, "rubyBase") if _child(child, "rubyBase") is not None else child, out, boxes)
            elif name == "AlternateContent":
                self.inline(_choice(child), out, boxes)
            elif name in ("oMath", "oMathPara") and self._visible():
                out.append("".join(t.text or "" for t in child.iter() if _tag(t) == "t"))

    def run(self, r: Any, out: list[str], boxes: list[Any]) -> None:
        rpr = _child(r, "rPr")
        vanish = _child(rpr, "vanish")
        hidden = vanish is not None and _attr(vanish, "val") not in ("0", "false")
        for child in r:
            name = _tag(child)
            if name == "fldChar":
                kind = _attr(child, "fldCharType")
                if kind == "begin":
                    self.fields.append(_Field())
                elif kind == "separate" and self.fields:
                    self.fields[-1].result = True
                elif kind == "end" and self.fields:
                    self.fields.pop()
            elif name == "instrText":
                if self.fields and not self.fields[-1].result:
                    self.fields[-1].instr += child.text or ""
            elif name in ("drawing", "pict", "object", "AlternateContent"):
                boxes.extend(_text_boxes(_choice(child) if name == "AlternateContent" else child))
            elif hidden or not self._visible():
                continue
            elif name == "t":
                out.append(child.text or "")
            elif name == "tab":
                out.append("\t")
            elif name in ("br", "cr"):
                out.append("\n")
            elif name == "noBreakHyphen":
                out.append("-")
            elif name == "sym":
                code = int(_attr(child, "char") or "0", 16)
                if code and not 0xE000 <= code <= 0xF8FF:  # a Symbol-font glyph has no character
                    out.append(chr(code))
            elif name == "ruby":
                self.inline(child, out, boxes)

    # tables ---------------------------------------------------------------------------------
    def table(self, tbl: Any) -> list[list[str]]:
        """Rows of cell texts; a vertically merged cell repeats its text on each row."""
        rows: list[list[str]] = []
        above: dict[int, str] = {}
        for tr in _descendants(tbl, "tr", stop="tbl"):
            col = int(_val(_child(tr, "trPr"), "gridBefore") or 0)
            cells: list[str] = []
            for tc in _descendants(tr, "tc", stop="tbl"):
                tcpr = _child(tc, "tcPr")
                span = int(_val(tcpr, "gridSpan") or 1)
                vmerge = _child(tcpr, "vMerge")
                if vmerge is not None and _attr(vmerge, "val") in (None, "continue"):
                    text = above.get(col, "")
                else:
                    text = self.cell(tc)
                    above[col] = text
                cells.append(text)
                col += span
            while cells and not cells[-1]:
                cells.pop()
            rows.append(cells)
        return rows

    def cell(self, tc: Any) -> str:
        parts: list[str] = []
        for child in tc:
            if _tag(child) == "tbl":  # a nested table inside the cell: "a / b; c / d"
                parts.append("; ".join(" / ".join(c for c in row if c) for row in self.table(child) if any(row)))
            elif _tag(child) != "tcPr":
                parts.extend(self.blocks([child]))
        return " ".join(" ".join(parts).split())


def _choice(alternate: Any) -> Any:
    """The first `mc:Choice` of an AlternateContent (its Fallback repeats the same content)."""
    for child in alternate:
        if _tag(child) == "Choice":
            return child
    return next((c for c in alternate if _tag(c) == "Fallback"), [])


def _descendants(el: Any, name: str, *, stop: str) -> Iterator[Any]:
    """`name` elements under `el`, through wrappers (sdt, customXml) but not into `stop`."""
    for child in el:
        tag = _tag(child)
        if tag == name:
            yield child
        elif tag != stop:
            yield from _descendants(child, name, stop=stop)


def _text_boxes(el: Any) -> list[Any]:
    """The outermost text box contents (w:txbxContent) inside a drawing or VML shape."""
    out: list[Any] = []
    for child in el:
        if _tag(child) == "txbxContent" and _ns(child) == _W:
            out.append(child)
        elif _tag(child) == "AlternateContent":
            out.extend(_text_boxes(_choice(child)))
        elif _tag(child) != "Fallback":
            out.extend(_text_boxes(child))
    return out


def docx_text(data: bytes) -> str:
    """The body text of a .docx: paragraphs (with their list labels) and table rows, one a line."""
    document = Document(io.BytesIO(data))
    reader = BodyReader(read_numbering(document))
    return "\n".join(reader.blocks(document.element.body))
