"""Word's automatic list numbering (numbering.xml and the styles' numPr), rendered as a
reader sees it: each level's format (一、 （一） 1. 1.1 ① a) A. i.), start value, counters
that deeper levels restart, `lvlText` such as "%1.%2", legal numbering and startOverride.
Also the small XML helpers the .docx reader shares.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from docx.opc.constants import RELATIONSHIP_TYPE as RT

W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
MC_NS = "http://schemas.openxmlformats.org/markup-compatibility/2006"


def local_name(el: Any) -> str:
    """`w:p` → "p"; elements of other namespaces keep a prefix-free local name too."""
    tag = el.tag
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def namespace(el: Any) -> str:
    tag = el.tag
    return tag[1:].split("}", 1)[0] if isinstance(tag, str) and tag.startswith("{") else ""


def w_attr(el: Any, name: str) -> str | None:
    value = el.get(f"{{{W_NS}}}{name}")
    return None if value is None else str(value)


def w_child(el: Any, name: str) -> Any:
    return None if el is None else el.find(f"{{{W_NS}}}{name}")


def w_val(el: Any, name: str) -> str | None:
    child = w_child(el, name)
    return None if child is None else w_attr(child, "val")


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
    for value, mark in (
        (1000, "m"),
        (900, "cm"),
        (500, "d"),
        (400, "cd"),
        (100, "c"),
        (90, "xc"),
        (50, "l"),
        (40, "xl"),
        (10, "x"),
        (9, "ix"),
        (5, "v"),
        (4, "iv"),
        (1, "i"),
    ):
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
    if fmt in (
        "chineseCounting",
        "chineseCountingThousand",
        "taiwaneseCounting",
        "taiwaneseCountingThousand",
        "japaneseCounting",
    ):
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
        ppr = w_child(p, "pPr")
        numpr = w_child(ppr, "numPr")
        style = w_val(ppr, "pStyle")
        num_id = w_val(numpr, "numId") if numpr is not None else None
        own_ilvl = w_val(numpr, "ilvl") if numpr is not None else None
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
    for lvl in abstract.findall(f"{{{W_NS}}}lvl"):
        ilvl = int(w_attr(lvl, "ilvl") or 0)
        restart = w_val(lvl, "lvlRestart")
        out[ilvl] = _Level(
            start=int(w_val(lvl, "start") or 1),
            fmt=w_val(lvl, "numFmt") or "decimal",
            text=w_val(lvl, "lvlText") or "",
            suffix=w_val(lvl, "suff") or "tab",
            legal=w_child(lvl, "isLgl") is not None and w_val(lvl, "isLgl") not in ("0", "false"),
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
        for abstract in root.findall(f"{{{W_NS}}}abstractNum"):
            aid = w_attr(abstract, "abstractNumId") or ""
            numbering.levels[aid] = _read_levels(abstract)
            for lvl in abstract.findall(f"{{{W_NS}}}lvl"):
                linked = w_val(lvl, "pStyle")
                if linked:
                    numbering.style_level[(aid, linked)] = int(w_attr(lvl, "ilvl") or 0)
        for num in root.findall(f"{{{W_NS}}}num"):
            nid = w_attr(num, "numId") or ""
            numbering.nums[nid] = w_val(num, "abstractNumId") or ""
            for ov in num.findall(f"{{{W_NS}}}lvlOverride"):
                start = w_val(ov, "startOverride")
                if start is not None:
                    numbering.overrides.setdefault(nid, {})[int(w_attr(ov, "ilvl") or 0)] = int(start)
    numbering.style_num = _style_numbering(part)
    return numbering


def _style_numbering(part: Any) -> dict[str, tuple[str | None, int | None]]:
    """styleId → (numId, ilvl) through each style's `basedOn` chain."""
    try:
        styles = part.part_related_by(RT.STYLES).element
    except KeyError:
        return {}
    own: dict[str, tuple[str | None, int | None, str | None]] = {}
    for st in styles.findall(f"{{{W_NS}}}style"):
        numpr = w_child(w_child(st, "pPr"), "numPr")
        level = w_val(numpr, "ilvl") if numpr is not None else None
        own[w_attr(st, "styleId") or ""] = (
            w_val(numpr, "numId") if numpr is not None else None,
            int(level) if level is not None else None,
            w_val(st, "basedOn"),
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
