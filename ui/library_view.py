"""How the report library looks: the report table and ingest summaries (escaped HTML)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from ui.html import empty, esc, notice, places

if TYPE_CHECKING:
    from index.pipeline import IngestSummary
    from index.statedb import DocRow

KIND_LABELS = {
    "research report": "研究报告",
    "survey": "调研报告",
    "news article": "新闻报道",
    "case collection": "案例汇编",
}
SCRIPT_LABELS = {"zh-Hans": "简体", "zh-Hant": "繁体"}
READ_ONLY_TITLE = "资料库为只读"
READ_ONLY_BODY = "未设置管理员密码（环境变量 REFORMQA_ADMIN_PASSWORD），不能上传、重新索引或删除报告。"


def library_table(rows: Sequence[DocRow]) -> str:
    """One row per indexed report: title, regions, year, kind, script, source, chunk count."""
    if not rows:
        return empty("索引中还没有报告。")
    body = "".join(
        "<tr>"
        f"<td><div class='rq-src-title'>{esc(d.meta.title)}</div><code class='rq-id'>{esc(d.doc_id)}</code></td>"
        f"<td>{esc(places(d.meta.regions))}</td>"
        f"<td>{esc(d.meta.year or '—')}</td>"
        f"<td>{esc(KIND_LABELS.get(d.meta.kind, d.meta.kind or '—'))}</td>"
        f"<td>{esc(SCRIPT_LABELS.get(d.meta.script, d.meta.script or '—'))}</td>"
        f"<td>{esc(d.rel)}{'<br><small>' + esc(d.meta.source_site) + '</small>' if d.meta.source_site else ''}</td>"
        f"<td class='rq-num'>{d.n_chunks}</td>"
        "</tr>"
        for d in rows
    )
    total = sum(d.n_chunks for d in rows)
    return (
        f"<p class='rq-count'>共 {len(rows)} 份报告，{total} 个段落</p>"
        "<table class='rq-table rq-library'><thead><tr><th>报告</th><th>地区</th><th>年份</th><th>类型</th>"
        f"<th>文字</th><th>文件 / 来源</th><th>段落数</th></tr></thead><tbody>{body}</tbody></table>"
    )


def summary_html(s: IngestSummary) -> str:
    """An ingest summary as a notice (warning when files failed)."""
    lines = [
        f"新增 {len(s.added)}，更新 {len(s.updated)}，未变 {len(s.unchanged)}，移除 {len(s.removed)}，失败 {len(s.failed)}",
        f"索引共 {s.chunks_total} 个段落（本次嵌入 {s.chunks_embedded}，复用 {s.chunks_reused}）",
    ]
    lines += [f"失败：{rel}：{why}" for rel, why in s.failed]
    lines += [f"提示：{rel}：{why}" for rel, why in s.notes]
    lines += [f"疑似重复：{a} ≈ {b}（{score:.0%} 段落相同）" for a, b, score in s.duplicates]
    kind = "warn" if s.failed else "ok"
    return notice(kind, "索引已更新", "\n".join(lines))


def access_notice(admin_enabled: bool) -> str:
    if admin_enabled:
        return notice("info", "管理操作需要管理员密码", "上传、重新索引和删除报告前，请先输入密码。")
    return notice("warn", READ_ONLY_TITLE, READ_ONLY_BODY)
