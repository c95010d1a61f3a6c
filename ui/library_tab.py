"""The 资料库 tab: the indexed reports; upload, re-index and remove with the admin password.

Without REFORMQA_ADMIN_PASSWORD the tab is read-only: the admin controls are not built at
all, and every changing handler checks the password again on the server.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import gradio as gr

from assistant.facade import Assistant
from index.errors import ReformQAError
from ui.html import notice
from ui.library_view import access_notice, library_table, summary_html
from ui.search_view import report_choices

STAGES = {"read": "读取报告", "embed": "计算向量", "keyword": "建立关键词索引"}
UPLOAD_TYPES = [".txt", ".md", ".html", ".htm", ".docx", ".pdf"]
WRONG_PASSWORD = "管理员密码不正确，没有做任何修改。"
_FAIL_DELAY = 1.0  # seconds: slows down password guessing


def progress_callback(progress: Any) -> Callable[[str, int, int], None]:
    """Feed the ingest's progress(stage, done, total) into a `gr.Progress`."""

    def report(stage: str, done: int, total: int) -> None:
        if total > 0:
            progress((done, total), desc=STAGES.get(stage, stage), unit="项")

    return report


class LibraryHandlers:
    def __init__(self, assistant: Assistant) -> None:
        self.assistant = assistant

    def table(self) -> str:
        try:
            return library_table(self.assistant.docs())
        except ReformQAError as exc:
            return notice("error", "无法读取资料库", str(exc))

    def choices(self) -> Any:
        try:
            return gr.update(choices=report_choices(self.assistant.docs()), value=None)
        except ReformQAError:
            return gr.update(choices=[], value=None)

    def _denied(self, password: str) -> bool:
        if self.assistant.check_admin(password or ""):
            return False
        time.sleep(_FAIL_DELAY)
        gr.Warning(WRONG_PASSWORD)
        return True

    def _after(self, status: str) -> tuple[Any, ...]:
        """Outputs: status, table, remove picker, upload box."""
        return status, self.table(), self.choices(), None

    def upload(self, password: str, files: list[str] | None, progress: Any = None) -> tuple[Any, ...]:
        if self._denied(password):
            return notice("error", WRONG_PASSWORD), gr.skip(), gr.skip(), gr.skip()
        if not files:
            return notice("warn", "请先选择要上传的报告文件。"), gr.skip(), gr.skip(), gr.skip()
        problems: list[str] = []
        stored = 0
        for f in files:
            path = Path(f)
            try:
                self.assistant.add_report(path.name, path.read_bytes())
                stored += 1
            except ReformQAError as exc:
                problems.append(str(exc))
        if not stored:
            return notice("error", "没有可以保存的报告", "\n".join(problems)), gr.skip(), gr.skip(), gr.skip()
        status = self._ingest(progress)
        if problems:
            status += notice("warn", "部分文件未保存", "\n".join(problems))
        return self._after(status)

    def reindex(self, password: str, progress: Any = None) -> tuple[Any, ...]:
        if self._denied(password):
            return notice("error", WRONG_PASSWORD), gr.skip(), gr.skip(), gr.skip()
        return self._after(self._ingest(progress))

    def remove(self, password: str, doc_id: str | None) -> tuple[Any, ...]:
        if self._denied(password):
            return notice("error", WRONG_PASSWORD), gr.skip(), gr.skip(), gr.skip()
        if not doc_id:
            return notice("warn", "请先选择要删除的报告。"), gr.skip(), gr.skip(), gr.skip()
        try:
            deleted = self.assistant.delete_report(doc_id)
        except ReformQAError as exc:
            return notice("error", "删除失败", str(exc)), gr.skip(), gr.skip(), gr.skip()
        where = f"已删除文件 {deleted.name}" if deleted else "源文件已不存在"
        return self._after(notice("ok", f"已从索引中移除 {doc_id}", where))

    def _ingest(self, progress: Any) -> str:
        try:
            summary = self.assistant.ingest(wait=30, progress=progress_callback(progress) if progress else None)
        except ReformQAError as exc:
            return notice("error", "索引失败", str(exc))
        return summary_html(summary)


@dataclass
class LibraryTab:
    handlers: LibraryHandlers
    table: gr.HTML
    remove_pick: gr.Dropdown | None
    changed: list[Any]
    """Events after which the search filters must be refreshed."""


def build(assistant: Assistant) -> LibraryTab:
    h = LibraryHandlers(assistant)
    gr.HTML(access_notice(assistant.admin_enabled), elem_id="rq-access", padding=False)
    with gr.Row():
        gr.Markdown("#### 已索引的报告")
        refresh = gr.Button("刷新", size="sm", scale=0, min_width=80, elem_id="rq-refresh")
    table = gr.HTML(elem_id="rq-library", padding=True)
    refresh.click(h.table, None, table, api_visibility="private")
    if not assistant.admin_enabled:
        return LibraryTab(h, table, None, [])

    with gr.Accordion("管理资料库", open=True, elem_id="rq-admin"):
        password = gr.Textbox(label="管理员密码", type="password", elem_id="rq-password", max_lines=1)
        with gr.Row():
            with gr.Column():
                files = gr.File(
                    label="上传报告（txt、md、html、docx、pdf）",
                    file_count="multiple",
                    file_types=UPLOAD_TYPES,
                    type="filepath",
                    elem_id="rq-upload",
                )
                with gr.Row():
                    upload = gr.Button("上传并索引", variant="primary", elem_id="rq-upload-btn")
                    reindex = gr.Button("重新索引全部", elem_id="rq-reindex")
            with gr.Column():
                pick = gr.Dropdown(choices=[], label="删除报告（同时删除其文件）", elem_id="rq-remove-pick")
                remove = gr.Button("删除所选报告", variant="stop", elem_id="rq-remove")
        status = gr.HTML(elem_id="rq-admin-status", padding=True)

    # gr.Progress reaches a handler through a default argument of its signature.
    def upload_fn(password: str, paths: list[str] | None, progress: Any = gr.Progress()) -> tuple[Any, ...]:  # noqa: B008
        return h.upload(password, paths, progress)

    def reindex_fn(password: str, progress: Any = gr.Progress()) -> tuple[Any, ...]:  # noqa: B008
        return h.reindex(password, progress)

    outputs = [status, table, pick, files]
    changed = [
        upload.click(upload_fn, [password, files], outputs, api_visibility="private"),
        reindex.click(reindex_fn, [password], outputs, api_visibility="private"),
        remove.click(h.remove, [password, pick], outputs, api_visibility="private"),
    ]
    return LibraryTab(h, table, pick, changed)
