"""Word (.docx) body text as a reader sees it, walked over the document's XML.

- Only the body: headers and footers live in their own parts and are never read; text
  boxes and shapes anchored in the body are (once: `mc:AlternateContent` holds the same box
  twice, as DrawingML and as VML), but a field that shows a page number (PAGE, NUMPAGES,
  SECTIONPAGES, PAGEREF) is not.
- Automatic numbering (a paragraph's `w:numPr`, or its style's) is rendered into the text
  (`index.docx_numbering`): 一、 （一） 1. 1.1 ① a) as the reader sees them; an empty
  numbered paragraph keeps its number (a standard's term "3.1" stands on its own line).
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
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from docx import Document

from index.docx_numbering import MC_NS, W_NS, Numbering, local_name, namespace, read_numbering, w_attr, w_child, w_val

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
            name = local_name(child)
            if name == "p":
                yield from self.paragraph(child)
            elif name == "tbl":
                yield from (" | ".join(cells) for cells in self.table(child) if any(cells))
            elif name in ("sdt", "customXml", "ins", "moveTo", "sdtContent") or (
                name == "AlternateContent" and namespace(child) == MC_NS
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
            name = local_name(child)
            if name in _SKIP:
                continue
            if name == "r":
                self.run(child, out, boxes)
            elif name in _CONTAINERS or name == "sdt":
                self.inline(w_child(child, "sdtContent") if name == "sdt" else child, out, boxes)
            elif name == "fldSimple":
                field = _Field(w_attr(child, "instr") or "", result=True)
                self.fields.append(field)
                self.inline(child, out, boxes)
                self.fields.pop()
            elif name == "ruby":
                self.inline(w_child(child, "rubyBase") if w_child(child, "rubyBase") is not None else child, out, boxes)
            elif name == "AlternateContent":
                self.inline(_choice(child), out, boxes)
            elif name in ("oMath", "oMathPara") and self._visible():
                out.append("".join(t.text or "" for t in child.iter() if local_name(t) == "t"))

    def run(self, r: Any, out: list[str], boxes: list[Any]) -> None:
        rpr = w_child(r, "rPr")
        vanish = w_child(rpr, "vanish")
        hidden = vanish is not None and w_attr(vanish, "val") not in ("0", "false")
        for child in r:
            name = local_name(child)
            if name == "fldChar":
                kind = w_attr(child, "fldCharType")
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
                code = int(w_attr(child, "char") or "0", 16)
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
            col = int(w_val(w_child(tr, "trPr"), "gridBefore") or 0)
            cells: list[str] = []
            for tc in _descendants(tr, "tc", stop="tbl"):
                tcpr = w_child(tc, "tcPr")
                span = int(w_val(tcpr, "gridSpan") or 1)
                vmerge = w_child(tcpr, "vMerge")
                if vmerge is not None and w_attr(vmerge, "val") in (None, "continue"):
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
            if local_name(child) == "tbl":  # a nested table inside the cell: "a / b; c / d"
                parts.append("; ".join(" / ".join(c for c in row if c) for row in self.table(child) if any(row)))
            elif local_name(child) != "tcPr":
                parts.extend(self.blocks([child]))
        return " ".join(" ".join(parts).split())


def _choice(alternate: Any) -> Any:
    """The first `mc:Choice` of an AlternateContent (its Fallback repeats the same content)."""
    for child in alternate:
        if local_name(child) == "Choice":
            return child
    return next((c for c in alternate if local_name(c) == "Fallback"), [])


def _descendants(el: Any, name: str, *, stop: str) -> Iterator[Any]:
    """`name` elements under `el`, through wrappers (sdt, customXml) but not into `stop`."""
    for child in el:
        tag = local_name(child)
        if tag == name:
            yield child
        elif tag != stop:
            yield from _descendants(child, name, stop=stop)


def _text_boxes(el: Any) -> list[Any]:
    """The outermost text box contents (w:txbxContent) inside a drawing or VML shape."""
    out: list[Any] = []
    for child in el:
        if local_name(child) == "txbxContent" and namespace(child) == W_NS:
            out.append(child)
        elif local_name(child) == "AlternateContent":
            out.extend(_text_boxes(_choice(child)))
        elif local_name(child) != "Fallback":
            out.extend(_text_boxes(child))
    return out


def docx_text(data: bytes) -> str:
    """The body text of a .docx: paragraphs (with their list labels) and table rows, one a line."""
    document = Document(io.BytesIO(data))
    reader = BodyReader(read_numbering(document))
    return "\n".join(reader.blocks(document.element.body))
