"""Downloads: an answer with its references as Markdown; search results as CSV, Markdown, JSON.

The JSON is exactly `reformqa search --json`; CSV and Markdown carry the same fields
(report, section, character span) in forms a spreadsheet or a reader opens directly.
"""

from __future__ import annotations

import csv
import io
import json
import shutil
import tempfile
import time
import uuid
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

from assistant.answer_types import Answer, Citation
from assistant.render import hit_json
from index.types import Hit
from ui.answer_view import DECLINED_TITLE, references, strip_markers
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


def _reference_lines(c: Citation) -> list[str]:
    section = f" § {md_text(c.section)}" if c.section else ""
    where = f"{md_text(places(c.regions))}；{md_text(c.source)}，字符 {c.start}–{c.end}"
    return [f"- \\[{c.n}\\] 《{md_text(c.title)}》{section} — {where}", f"  > {md_text(' '.join(c.quote.split()))}"]


def answer_markdown(answer: Answer) -> str:
    """The answer, the resolved question, a comparison table and the references, as Markdown."""
    lines = ["# ReformQA 问答", "", f"**问题**：{md_text(answer.question)}"]
    if answer.resolved_question.strip() != answer.question.strip():
        lines.append(f"**理解为**：{md_text(answer.resolved_question)}")
    lines += ["", "## 回答", ""]
    if not answer.grounded:
        lines += [f"> ⚠️ {DECLINED_TITLE}", ""]
    if answer.note:
        lines += [f"> {md_text(answer.note)}", ""]
    lines.append(md_text(answer.text).replace("\n", "  \n"))
    if answer.comparison:
        lines += ["", "| 地区 | 做法 | 出处 |", "| --- | --- | --- |"]
        for r in answer.comparison:
            cites = " ".join(f"\\[{n}\\]" for n in r.citations)
            lines.append(
                f"| {md_text(_cell(r.place))} | {md_text(_cell(strip_markers(r.text, r.citations)))} | {cites} |"
            )
    refs = references(answer)
    if refs:
        lines += ["", "## 参考来源" if answer.grounded else "## 相关段落（仅供参考）", ""]
        for c in refs:
            lines += _reference_lines(c)
    lines += ["", f"*导出时间：{datetime.now():%Y-%m-%d %H:%M}；模式：{answer.mode}*", ""]
    return "\n".join(lines)


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
        lines.append(f"- 报告：{md_text(c.doc_id)}（{md_text(r.rel)}），字符 {c.start}–{c.end}")
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


def write_export(content: str, stem: str, suffix: str) -> Path:
    """Write a download into its own temporary folder (sessions never share a file).

    Every call first sweeps folders older than EXPORT_MAX_AGE, so the exports on disk are
    bounded by what was asked for in the last quarter hour."""
    sweep_exports()
    folder = export_root() / uuid.uuid4().hex
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{stem}-{datetime.now():%Y%m%d-%H%M%S}{suffix}"
    encoding = "utf-8-sig" if suffix == ".csv" else "utf-8"
    path.write_text(content, encoding=encoding, newline="")
    return path
