"""Downloads: a conversation with its references as Markdown and .docx; search results as CSV, Markdown, JSON.

The JSON is exactly `reformqa search --json`; CSV and Markdown carry the same fields
(report, section, character span) in forms a spreadsheet or a reader opens directly.
"""

from __future__ import annotations

import csv
import io
import json
import re
import shutil
import tempfile
import time
import uuid
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

from assistant.answer_types import Citation
from assistant.render import hit_json
from index.types import Hit
from ui.answer_view import DECLINED_TITLE, RELATED_TITLE, is_follow_up, references, span_label
from ui.chat_view import body_plain, source_lines
from ui.conversations import Entry
from ui.html import md_text, places

CSV_FIELDS = (
    "query",
    "rank",
    "score",
    "doc_id",
    "title",
    "source",
    "section",
    "start",
    "end",
    "regions",
    "year",
    "matched_terms",
    "text",
)
# A cell starting with one of these is a formula to Excel/LibreOffice (CSV injection).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


_ESCAPED_MARKER = re.compile(r"\\\[(\d+)\\\](?![(:])")


def _md(text: str) -> str:
    """Markdown-safe text that keeps [n] markers readable (`[1]` alone is no link)."""
    return _ESCAPED_MARKER.sub(r"[\1]", md_text(text))


def _reference_lines(c: Citation) -> list[str]:
    section = f" {_md(c.section)}" if c.section else ""
    where = f"{_md(places(c.regions))}；{_md(c.source)}，{span_label(c.start, c.end)}"
    return [f"- [{c.n}] 《{_md(c.title)}》{section}（{where}）", f"  > {_md(' '.join(c.quote.split()))}"]


def _entry_markdown(i: int, e: Entry) -> list[str]:
    a = e.answer
    lines = [f"## {i}. {_md(e.question)}", ""]
    if is_follow_up(a):
        lines += [f"（理解为：{_md(a.resolved_question)}）", ""]
    if a.note:
        lines += [f"> {_md(a.note)}", ""]
    if not a.grounded:
        lines += [f"> ⚠️ {DECLINED_TITLE}：{_md(a.text)}", ""]
    else:
        for line in body_plain(a):
            lines += [_md(line).replace("• ", "- ", 1) if line.startswith("• ") else _md(line), ""]
    refs = references(a)
    if refs:
        lines += ["参考来源：" if a.grounded else f"{RELATED_TITLE}：", ""]
        for c in refs:
            lines += _reference_lines(c)
        lines.append("")
    return lines


def conversation_markdown(entries: Sequence[Entry]) -> str:
    """The whole conversation: each question, its answer and its sources with quotes and spans."""
    lines = ["# ReformQA 问答记录", "", f"导出时间：{datetime.now():%Y-%m-%d %H:%M}，共 {len(entries)} 个问题。", ""]
    for i, e in enumerate(entries, 1):
        lines += _entry_markdown(i, e)
    return "\n".join(lines)


def conversation_docx(entries: Sequence[Entry]) -> bytes:
    """The same content as `conversation_markdown`, as a Word document."""
    from docx import Document

    doc = Document()
    doc.add_heading("ReformQA 问答记录", level=0)
    doc.add_paragraph(f"导出时间：{datetime.now():%Y-%m-%d %H:%M}，共 {len(entries)} 个问题。")
    for i, e in enumerate(entries, 1):
        a = e.answer
        doc.add_heading(f"{i}. {e.question}", level=1)
        if is_follow_up(a):
            doc.add_paragraph(f"（理解为：{a.resolved_question}）")
        if a.note:
            doc.add_paragraph(a.note)
        if not a.grounded:
            doc.add_paragraph(f"{DECLINED_TITLE}：{a.text}")
        else:
            for line in body_plain(a):
                if line.startswith("• "):
                    doc.add_paragraph(line[2:], style="List Bullet")
                else:
                    doc.add_paragraph(line)
        for line in source_lines(a):
            doc.add_paragraph(line.strip(), style="Quote" if line.startswith("    ") else None)
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()


def _safe_csv(value: object) -> object:
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def hits_csv(query: str, hits: Sequence[Hit]) -> str:
    """One row per result (UTF-8 with BOM when written, so Excel reads the Chinese)."""
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=CSV_FIELDS, lineterminator="\r\n")
    writer.writeheader()
    for i, h in enumerate(hits, 1):
        row = hit_json(h, i)
        row["query"] = query
        row["regions"] = "、".join(row["regions"])
        row["matched_terms"] = " ".join(row["matched_terms"])
        row["year"] = "" if row["year"] is None else row["year"]
        writer.writerow({k: _safe_csv(row[k]) for k in CSV_FIELDS})
    return buf.getvalue()


def hits_markdown(query: str, hits: Sequence[Hit]) -> str:
    lines = [f"# 检索：{md_text(query)}", "", f"共 {len(hits)} 条结果", ""]
    for i, h in enumerate(hits, 1):
        c, r = h.chunk, h.record
        lines.append(f"## {i}. 《{md_text(r.title)}》")
        lines.append("")
        if c.section_path:
            lines.append(f"- 章节：{md_text(c.section_path)}")
        lines.append(f"- 报告：{md_text(c.doc_id)}（{md_text(r.rel)}），{span_label(c.start, c.end)}")
        lines.append(f"- 地区：{md_text(places(r.regions))}；年份：{r.year or '—'}")
        if h.matched_terms:
            lines.append(f"- 命中词：{md_text('、'.join(h.matched_terms))}")
        lines += ["", "> " + md_text(c.text).replace("\n", "\n> "), ""]
    return "\n".join(lines)


def hits_json(query: str, hits: Sequence[Hit]) -> str:
    """Exactly what `reformqa search --json` prints."""
    results = [hit_json(h, i) for i, h in enumerate(hits, 1)]
    return json.dumps({"query": query, "results": results}, ensure_ascii=False, indent=2)


EXPORT_MAX_AGE = 15 * 60
"""Seconds an export file is kept: Gradio copies it into its own cache (swept separately)
when the handler returns, so ours is only needed briefly."""


def export_root() -> Path:
    return Path(tempfile.gettempdir()) / "reformqa-exports"


def sweep_exports(max_age: float = EXPORT_MAX_AGE) -> int:
    """Delete export folders older than `max_age` seconds; returns how many went."""
    cutoff = time.time() - max_age
    gone = 0
    try:
        folders = list(export_root().iterdir())
    except OSError:
        return 0
    for folder in folders:
        try:
            if folder.is_dir() and not folder.is_symlink() and folder.stat().st_mtime < cutoff:
                shutil.rmtree(folder, ignore_errors=True)
                gone += 1
        except OSError:
            continue  # another process swept it first
    return gone


def write_export(content: str | bytes, stem: str, suffix: str) -> Path:
    """Write a download into its own temporary folder (sessions never share a file).

    Every call first sweeps folders older than EXPORT_MAX_AGE, so the exports on disk are
    bounded by what was asked for in the last quarter hour."""
    sweep_exports()
    folder = export_root() / uuid.uuid4().hex
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{stem}-{datetime.now():%Y%m%d-%H%M%S}{suffix}"
    if isinstance(content, bytes):
        path.write_bytes(content)
        return path
    encoding = "utf-8-sig" if suffix == ".csv" else "utf-8"
    path.write_text(content, encoding=encoding, newline="")
    return path
