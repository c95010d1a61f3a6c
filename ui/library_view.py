"""How the report library looks: the report table and ingest summaries (escaped HTML)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TYPE_CHECKING

from index.loaders import SUPPORTED_SUFFIXES
from ui.html import empty, esc, notice, places

if TYPE_CHECKING:
    from index.pipeline import IngestSummary
    from index.statedb import DocRow

# The index's one list of what it reads (index.loaders): a type the loaders learn is offered
# (and named in refusals) here without a change.
UPLOAD_TYPES = sorted(SUPPORTED_SUFFIXES)
TYPES_TEXT = "、".join(UPLOAD_TYPES)
KIND_LABELS = {
    "research report": "研究报告",
    "survey": "调研报告",
    "news article": "新闻报道",
    "case collection": "案例汇编",
}
SCRIPT_LABELS = {"zh-Hans": "简体", "zh-Hant": "繁体"}
READ_ONLY_TITLE = "资料库为只读"
READ_ONLY_BODY = "未设置管理员密码（环境变量 REFORMQA_ADMIN_PASSWORD），不能上传、重新索引或删除报告。"


DETECTED = "（自动识别）"
"""Shown after a field read from the report's text rather than given by hand."""


def _auto(d: DocRow, field: str) -> str:
    return f"<small class='rq-auto'>{DETECTED}</small>" if field in d.meta.detected else ""


def _official(d: DocRow) -> str:
    """Issuing body, 文号 and date, where the report has them."""
    parts = [
        f"{esc(label)}：{esc(value)}{_auto(d, field)}"
        for field, label, value in (
            ("issuer", "发文机关", d.meta.issuer),
            ("doc_number", "文号", d.meta.doc_number),
            ("date", "日期", d.meta.date),
        )
        if value
    ]
    return f"<div class='rq-official'><small>{'；'.join(parts)}</small></div>" if parts else ""


COLUMNS = ("报告", "地区", "年份", "类型", "文字", "文件 / 来源", "段落数")


def library_table(rows: Sequence[DocRow]) -> str:
    """One row per indexed report: title (with issuer, 文号, date), regions, year, kind, script,
    source, chunk count; fields read from the text are marked as detected (自动识别).
    A table on a desktop; on a phone each report is a card listing the same fields, labelled
    (`data-label`), so no column is hidden off the screen."""
    if not rows:
        return empty("索引中还没有报告。")

    def row(d: DocRow) -> str:
        site = f"<br><small>{esc(d.meta.source_site)}</small>" if d.meta.source_site else ""
        cells = (
            f"<div class='rq-src-title'>{esc(d.meta.title)}{_auto(d, 'title')}</div>{_official(d)}"
            f"<code class='rq-id'>{esc(d.doc_id)}</code>",
            esc(places(d.meta.regions)) + _auto(d, "regions"),
            f"{esc(d.meta.year or '—')}{_auto(d, 'year')}",
            esc(KIND_LABELS.get(d.meta.kind, d.meta.kind or "—")),
            esc(SCRIPT_LABELS.get(d.meta.script, d.meta.script or "—")),
            f"{esc(d.rel)}{site}",
            str(d.n_chunks),
        )
        num = " class='rq-num'"
        tds = "".join(
            f"<td data-label='{label}'{num if label == COLUMNS[-1] else ''}><div>{cell}</div></td>"
            for label, cell in zip(COLUMNS, cells, strict=True)
        )
        return f"<tr>{tds}</tr>"

    total = sum(d.n_chunks for d in rows)
    head = "".join(f"<th>{c}</th>" for c in COLUMNS)
    return (
        f"<p class='rq-count'>共 {len(rows)} 份报告，{total} 个段落</p>"
        f"<div class='rq-table-wrap'><table class='rq-table rq-library'><thead><tr>{head}</tr></thead>"
        f"<tbody>{''.join(row(d) for d in rows)}</tbody></table></div>"
    )


def summary_html(s: IngestSummary) -> str:
    """An ingest summary as a notice (warning when files failed)."""
    lines = [
        f"新增 {len(s.added)}，更新 {len(s.updated)}，未变 {len(s.unchanged)}，移除 {len(s.removed)}，失败 {len(s.failed)}",
        f"索引共 {s.chunks_total} 个段落（本次嵌入 {s.chunks_embedded}，复用 {s.chunks_reused}）",
    ]
    lines += [f"失败：{rel}：{reason_zh(why)}" for rel, why in s.failed]
    lines += [f"提示：{rel}：{why}" for rel, why in s.notes]
    lines += [f"疑似重复：{a} ≈ {b}（{score:.0%} 段落相同）" for a, b, score in s.duplicates]
    kind = "warn" if s.failed else "ok"
    return notice(kind, "索引已更新", "\n".join(lines))


def access_notice(admin_enabled: bool) -> str:
    if admin_enabled:
        return notice("info", "管理操作需要管理员密码", "上传、重新索引和删除报告前，请先输入密码。")
    return notice("warn", READ_ONLY_TITLE, READ_ONLY_BODY)


# Ingest reasons are English (CLI, logs); the library shows them in Chinese. First match wins.
_REASONS = (
    ("password-protected", "PDF 有密码保护；请另存一份没有密码的副本再上传。"),
    ("no readable pages", "PDF 没有可读的页面（可能已损坏）；请重新导出为 PDF。"),
    ("is not a readable", "文件已损坏或不完整，无法打开；请重新保存后再上传。"),
    ("binary", "看起来不是文本文件（二进制内容）。"),
    ("no text left after cleaning", "清理网页模板后没有剩下正文。"),
    ("characters of text, over the limit", "文字太多，超过单份报告的字数上限。"),
    ("unpacks to more than", "解压后的内容超过上限（可能是压缩炸弹，或含大量图片的文档）；请另存为较小的文件。"),
    ("over the limit", "文件太大，超过大小上限。"),
    ("over the upload limit", "文件太大，超过上传上限。"),
    ("is empty", "文件是空的，没有文字。"),
    ("symbolic link", "是符号链接，出于安全考虑不读取。"),
    ("not a regular file", "不是普通文件（管道、设备等），不读取。"),
    ("unsupported type", f"不支持的文件类型；请转换为这些类型之一：{TYPES_TEXT}。"),
    ("not a supported report type", f"不支持的文件类型；只接受这些类型的报告文件：{TYPES_TEXT}。"),
    ("not valid UTF-8", "文件名编码无效；请重命名后再上传。"),
    ("same name as a file in the corpus", "与资料库中的文件同名；请重命名其中一个。"),
    ("gives", "分段过多，超过单份报告的段落上限。"),
    ("cannot be read", "无法读取（文件权限或磁盘问题）。"),
)


_PAGES = re.compile(r"has ([\d,]+) pages, over the limit of ([\d,]+)")


def reason_zh(reason: str) -> str:
    """A failure reason from ingest, in Chinese (a generic one for reasons not listed; the
    worker logs every reason in full, `ui.ingest_jobs`)."""
    if m := _PAGES.search(reason):  # before "over the limit": a page count, not a size
        return f"页数太多（{m[1]} 页，上限 {m[2]} 页）；请拆分成较小的 PDF 再上传。"
    return next((zh for needle, zh in _REASONS if needle in reason), "无法索引这个文件；详情见服务器日志。")


def failed_html(failed: Sequence[tuple[str, str]]) -> str:
    """The files the last ingest could not index, each with its reason in Chinese."""
    if not failed:
        return ""
    items = "".join(f"<li><code>{esc(rel)}</code>：{esc(reason_zh(why))}</li>" for rel, why in failed)
    return (
        "<div class='rq-failed'><strong>未能索引的文件</strong>"
        f"<ul>{items}</ul><p class='rq-hint'>可以在下方选择文件并移除。</p></div>"
    )


LIBRARY_CSS = """
.rq-table-wrap { max-width: 100%; overflow-x: auto; -webkit-overflow-scrolling: touch; }
.rq-table-wrap .rq-library { min-width: 640px; }
@media (max-width: 640px) {
  .rq-table-wrap .rq-library { min-width: 0; }
  .rq-library, .rq-library tbody, .rq-library tr, .rq-library td { display: block; width: auto; }
  .rq-library thead { display: none; }
  .rq-library { border: 0 !important; }
  .rq-library tr { border: 1px solid var(--border-color-primary); border-radius: 8px; margin: .5em 0; padding: .4em .6em; }
  .rq-library td { border: none; padding: .12em 0; display: grid; grid-template-columns: 5.5em 1fr; gap: .5em;
    text-align: left; overflow-wrap: anywhere; }
  .rq-library td::before { content: attr(data-label); color: var(--body-text-color-subdued); font-size: .88em; }
  .rq-library td:first-child { display: block; }
  .rq-library td:first-child::before { content: none; }
}
#rq-signed-in { align-items: center; }
#rq-signed-in .rq-who { margin: 0; }
.rq-failed { border-left: 4px solid #d97706; padding: .4em .8em; margin: .4em 0;
  background: rgba(245, 158, 11, .10); border-radius: 6px; }
.rq-failed ul { margin: .3em 0; padding-left: 1.2em; }
#rq-library { max-width: 100%; overflow: hidden; }
"""
