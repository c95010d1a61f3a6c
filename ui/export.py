"""Downloads: a conversation with its references as Markdown and .docx; search results as CSV, Markdown, JSON.

The search JSON is `reformqa search --json` plus what was searched (`filters`) and when
(`exported_at`); CSV and Markdown carry the same fields (query, filters, time, report,
section, character span, source site) in forms a spreadsheet or a reader opens directly.
A conversation's Markdown and .docx list each source with the same file and position.
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
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from assistant.answer_types import Citation
from assistant.render import hit_json
from index.search import SearchFilter
from index.types import Hit, ReportMeta
from ui.answer_view import DECLINED_TITLE, RELATED_TITLE, is_follow_up, references
from ui.chat_view import body_plain, reference
from ui.conversations import Entry
from ui.html import md_text, places
from ui.provenance import location_line, of_hit

CSV_FIELDS = (
    "query",
    "filters",
    "exported_at",
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
    "source_site",
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
    head, quote = reference(c)
    return [f"- {_md(head)}", f"  > {_md(quote)}"]


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
        refs = references(a)
        if refs:
            doc.add_paragraph("参考来源：" if a.grounded else f"{RELATED_TITLE}：")
        for c in refs:
            head, quote = reference(c)
            doc.add_paragraph(head)
            doc.add_paragraph(f"“{quote}”", style="Quote")
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()


def _safe_csv(value: object) -> object:
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


@dataclass(frozen=True)
class SearchRun:
    """One search as exported: the query, its filters, when, the results, the reports' metadata."""

    query: str
    hits: Sequence[Hit]
    flt: SearchFilter = field(default_factory=SearchFilter)
    at: datetime = field(default_factory=datetime.now)
    metas: Mapping[str, ReportMeta] = field(default_factory=dict)
    """Metadata by report id: titles for the report filter, source sites for the results."""

    @property
    def exported_at(self) -> str:
        return self.at.isoformat(timespec="seconds")

    def filters_text(self) -> str:
        """`报告：《…》；地区：湖南省；年份：2020`, or `无` without filters."""
        parts = []
        if self.flt.reports:
            titles = [f"《{m.title}》" if (m := self.metas.get(r)) else r for r in self.flt.reports]
            parts.append("报告：" + "、".join(titles))
        if self.flt.regions:
            parts.append("地区：" + "、".join(self.flt.regions))
        if self.flt.years:
            parts.append("年份：" + "、".join(str(y) for y in self.flt.years))
        return "；".join(parts) or "无"

    def site(self, hit: Hit) -> str:
        meta = self.metas.get(hit.chunk.doc_id)
        return meta.source_site if meta else ""


def hits_csv(run: SearchRun) -> str:
    """One row per result, each with the query, filters and export time (UTF-8 with BOM when
    written, so Excel reads the Chinese)."""
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=CSV_FIELDS, lineterminator="\r\n")
    writer.writeheader()
    for i, h in enumerate(run.hits, 1):
        row = hit_json(h, i)
        row.update(query=run.query, filters=run.filters_text(), exported_at=run.exported_at, source_site=run.site(h))
        row["regions"] = "、".join(row["regions"])
        row["matched_terms"] = " ".join(row["matched_terms"])
        row["year"] = "" if row["year"] is None else row["year"]
        writer.writerow({k: _safe_csv(row[k]) for k in CSV_FIELDS})
    return buf.getvalue()


def hits_markdown(run: SearchRun) -> str:
    lines = [
        f"# 检索：{md_text(run.query)}",
        "",
        f"- 筛选：{md_text(run.filters_text())}",
        f"- 导出时间：{run.at:%Y-%m-%d %H:%M:%S}",
        f"- 共 {len(run.hits)} 条结果",
        "",
    ]
    for i, h in enumerate(run.hits, 1):
        c, r = h.chunk, h.record
        lines.append(f"## {i}. 《{md_text(r.title)}》")
        lines.append("")
        if c.section_path:
            lines.append(f"- 章节：{md_text(c.section_path)}")
        lines.append(f"- 地区：{md_text(places(r.regions))}")
        lines.append(
            f"- 出处：{md_text(location_line(of_hit(h, run.metas.get(c.doc_id))))}（报告 {md_text(c.doc_id)}）"
        )
        if h.matched_terms:
            lines.append(f"- 命中词：{md_text('、'.join(h.matched_terms))}")
        lines += ["", "> " + md_text(c.text).replace("\n", "\n> "), ""]
    return "\n".join(lines)


def hits_json(run: SearchRun) -> str:
    """`reformqa search --json` with the filters and the export time."""
    results = [hit_json(h, i) for i, h in enumerate(run.hits, 1)]
    flt = {"reports": list(run.flt.reports), "regions": list(run.flt.regions), "years": list(run.flt.years)}
    body = {"query": run.query, "filters": flt, "exported_at": run.exported_at, "results": results}
    return json.dumps(body, ensure_ascii=False, indent=2)


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
