"""China's administrative divisions (province, prefecture, county), for finding the regions
a report is about (`index.docmeta`).

The divisions come from a data file built once from a registry package and committed
(`index/data/divisions.tsv`, see `index/data/README.md`): nothing is downloaded at run time.
A division is found by its full name anywhere (北京市, 湘西土家族苗族自治州, 吉首市) and, for a
province or prefecture, by its short form (北京, 湘西, 湘西州, 衡阳) where the text treats it as
a place: jieba cuts it as a place name (`ns`) or a zone or administrative word follows
(衡阳高新区, 湘西州). A county is found by its full name only: its short forms (东湖, 城区,
新华) are common words and other places' names, so 东湖高新区 gives no region (the data cannot
say which city the zone belongs to). A name several divisions share (新华区) counts only when
the text also names the province or prefecture of exactly one of them.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from index.textnorm import normalize

_DATA = Path(__file__).parent / "data"
_SUFFIXES = ("特别行政区", "自治区", "自治州", "自治县", "自治旗", "地区", "省", "市", "州", "县", "区", "盟", "旗")
# Words the suffix character also starts (东方市场, 城区域): the name does not end there.
_SUFFIX_WORD = re.compile(r"^(?:场|民|值|面|井|长|域|间|别|分|份|钱|力|府|里)")
# What may follow a short form for it to be a place whatever jieba says: a zone or admin word.
_PLACE_FOLLOWS = re.compile(
    r"^(?:省|市|州|县|区|盟|高新|经开|经济|开发|新区|自贸|保税|综保|园区|管委会|人民政府|政府|地区|全省|全市)"
)
_POS_LOCK = threading.Lock()


@dataclass(frozen=True)
class Division:
    code: str
    """12-digit code: province `PP0000000000`, prefecture `PPCC00000000`, county `PPCCDD000000`."""
    name: str
    """The official name (湖南省, 湘西土家族苗族自治州, 吉首市)."""

    @property
    def level(self) -> int:
        """1 province, 2 prefecture, 3 county."""
        return 1 if self.code[2:6] == "0000" else 2 if self.code[4:6] == "00" else 3


@dataclass(frozen=True)
class PlaceMatch:
    start: int
    end: int
    division: Division


def _stem(name: str) -> tuple[str, str]:
    for suffix in _SUFFIXES:
        if name.endswith(suffix) and len(name) - len(suffix) >= 2:
            return name[: -len(suffix)], suffix
    return name, ""


@lru_cache(maxsize=1)
def _ethnic_groups() -> tuple[str, ...]:
    names = (_DATA / "ethnic_groups.txt").read_text(encoding="utf-8").split()
    forms = {n for n in names} | {n.removesuffix("族") for n in names if len(n) > 2}
    return tuple(sorted(forms, key=len, reverse=True))


def _strip_ethnic(stem: str) -> str:
    """湘西土家族苗族 → 湘西, 广西壮族 → 广西, 新疆维吾尔 → 新疆."""
    changed = True
    while changed:
        changed = False
        for group in _ethnic_groups():
            if stem.endswith(group) and len(stem) - len(group) >= 2:
                stem, changed = stem[: -len(group)], True
                break
    return stem


def short_forms(div: Division) -> set[str]:
    """The names a province or prefecture also goes by: 湖南, 湘西, 湘西州, 湘西自治州, 衡阳."""
    if div.level == 3:
        return set()
    stem, suffix = _stem(div.name)
    if not suffix:
        return set()
    if suffix.startswith("自治"):
        stem = _strip_ethnic(stem)
    forms = {stem}
    if suffix == "自治州":
        forms |= {stem + "州", stem + "自治州"}
    return {f for f in forms if len(f) >= 2 and f != div.name}


class Gazetteer:
    """Divisions by name, and the places a text names."""

    def __init__(self, divisions: list[Division], former: set[str] | None = None) -> None:
        self.by_code = {d.code: d for d in divisions}
        self.full: dict[str, list[Division]] = {}
        self.short: dict[str, list[Division]] = {}
        for d in divisions:
            self.full.setdefault(normalize(d.name), []).append(d)
        for d in divisions:
            if former and d.name in former:
                continue  # an old name: found by its full name only
            for form in short_forms(d):
                norm = normalize(form)
                if norm in self.full:
                    continue
                # 湘西州 says it is a place as its full name does; a bare 湘西 must be shown to be one.
                bare = not _stem(form)[1]
                (self.short if bare else self.full).setdefault(norm, []).append(d)
        self._longest = max(map(len, [*self.full, *self.short]))

    def parents(self, div: Division) -> list[Division]:
        """The province and prefecture above `div`, outermost first (those the data has)."""
        codes = [div.code[:2] + "0" * 10, div.code[:4] + "0" * 8][: div.level - 1]
        return [self.by_code[c] for c in codes if c in self.by_code and c != div.code]

    def find(self, text: str) -> list[PlaceMatch]:
        """The divisions `text` names, in order, longest name first at each position."""
        norm = normalize(text)
        tokens = _ns_tokens(norm)
        found: list[tuple[int, int, list[Division]]] = []
        i = 0
        while i < len(norm):
            hit = self._match_at(norm, i, tokens)
            if hit is None:
                i += 1
                continue
            end, divisions = hit
            found.append((i, end, divisions))
            i = end
        return self._resolve(found)

    def _match_at(self, norm: str, i: int, tokens: set[tuple[int, int]]) -> tuple[int, list[Division]] | None:
        for end in range(min(len(norm), i + self._longest), i + 1, -1):
            form = norm[i:end]
            if form in self.full and not _SUFFIX_WORD.match(norm[end:]):
                return end, self.full[form]
            if form in self.short and ((i, end) in tokens or _PLACE_FOLLOWS.match(norm[end:])):
                return end, self.short[form]
        return None

    def _resolve(self, found: list[tuple[int, int, list[Division]]]) -> list[PlaceMatch]:
        """A name shared by several divisions is kept where the text names the prefecture (or
        else the province) of exactly one of them; a province-level name wins over a city of
        the same name (吉林, 北京市); otherwise the name is left out."""

        def plain(ds: list[Division]) -> Division | None:
            top = min(d.level for d in ds)
            highest = [d for d in ds if d.level == top]
            return highest[0] if len(highest) == 1 and top < 3 else None

        first = [ds[0] if len(ds) == 1 else plain(ds) for _, _, ds in found]
        named = {d.code for d in first if d} | {p.code for d in first if d for p in self.parents(d)}
        out: list[PlaceMatch] = []
        for (start, end, ds), chosen in zip(found, first, strict=True):
            if chosen is None:
                by_city = [d for d in ds if any(p.code in named and p.level == 2 for p in self.parents(d))]
                by_province = [d for d in ds if any(p.code in named and p.level == 1 for p in self.parents(d))]
                chosen = next((c[0] for c in (by_city, by_province) if len(c) == 1), None)
            if chosen is not None:
                out.append(PlaceMatch(start, end, chosen))
        return out

    def regions(self, divisions: list[Division]) -> tuple[str, ...]:
        """Official names, each place after the province and prefecture above it, in order of
        first mention: 吉首市 → 湖南省, 湘西土家族苗族自治州, 吉首市."""
        out: list[str] = []
        for d in divisions:
            for name in [p.name for p in self.parents(d)] + [d.name]:
                if name not in out:
                    out.append(name)
        return tuple(out)


def _ns_tokens(norm: str) -> set[tuple[int, int]]:
    """Spans of the words jieba tags as place names."""
    import jieba.posseg

    from index.keyword import tokenize

    tokenize("")  # jieba's shared dictionary, initialized once
    spans: set[tuple[int, int]] = set()
    at = 0
    with _POS_LOCK:
        for pair in jieba.posseg.cut(norm):
            if pair.flag == "ns":
                spans.add((at, at + len(pair.word)))
            at += len(pair.word)
    return spans


@lru_cache(maxsize=1)
def gazetteer() -> Gazetteer:
    divisions: list[Division] = []
    former: set[str] = set()
    for line in (_DATA / "divisions.tsv").read_text(encoding="utf-8").splitlines():
        if not line or line.startswith("#"):
            continue
        code, name, status = line.split("\t")
        divisions.append(Division(code, name))
        if status == "former":
            former.add(name)
    return Gazetteer(divisions, former)
