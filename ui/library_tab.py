"""The 资料库 tab: the indexed reports; upload, re-index and remove for a signed-in admin.

Without REFORMQA_ADMIN_PASSWORD the tab is read-only: the admin controls are not built at
all. With it, the admin signs in first (the password goes to `/api/admin/login`, which sets
a short-lived HttpOnly session cookie); only then can files be uploaded (`ui.guard` refuses
Gradio uploads without that cookie), and every changing handler checks the cookie again.
Ingests run in a background worker (`ui.ingest_jobs`) that the tab polls on a timer.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import gradio as gr

from assistant.facade import Assistant
from index.errors import ReformQAError
from ui.admin import COOKIE, NOT_SIGNED_IN, WRONG_PASSWORD, AdminGate
from ui.guard import UploadCaps, is_uploaded_file
from ui.html import notice
from ui.ingest_jobs import IngestWorker, JobSnapshot
from ui.library_view import access_notice, library_table, summary_html
from ui.search_view import report_choices

UPLOAD_TYPES = [".txt", ".md", ".html", ".htm", ".docx", ".pdf"]

# The password goes straight to the sign-in route (which sets the HttpOnly cookie); the
# Python handler then only sees the route's message, never the password.
LOGIN_JS = """
async (password) => {
  try {
    const r = await fetch('api/admin/login', {method: 'POST', credentials: 'same-origin',
      headers: {'content-type': 'application/json'}, body: JSON.stringify({password: password || ''})});
    const body = await r.json();
    return body.ok ? '' : (body.error || '登录失败。');
  } catch (e) {
    return '无法连接服务器，请稍后再试。';
  }
}
"""


def session_token(request: Any) -> str | None:
    """The admin session cookie of a Gradio request (None outside a request, e.g. in tests)."""
    cookies = getattr(request, "cookies", None) or {}
    token = cookies.get(COOKIE)
    return token if isinstance(token, str) else None


def job_html(job: JobSnapshot, notes: str = "") -> str:
    """The status box while an ingest runs and after it ends."""
    if job.running:
        return notes + notice("info", "正在后台索引…", job.progress_text)
    if job.error:
        return notes + notice("error", "索引失败", job.error)
    return notes + (summary_html(job.summary) if job.summary else "")


class LibraryHandlers:
    def __init__(self, assistant: Assistant, gate: AdminGate | None = None, worker: IngestWorker | None = None) -> None:
        self.assistant = assistant
        self.gate = gate or AdminGate(assistant)
        self.worker = worker or IngestWorker(assistant)

    # -- views ------------------------------------------------------------------------------
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

    def refreshed(self) -> tuple[str, Any]:
        return self.table(), self.choices()

    # -- sign-in ----------------------------------------------------------------------------
    def after_login(self, message: str, token: str | None) -> tuple[Any, ...]:
        """Outputs: status, admin panel, password box (the sign-in route already answered)."""
        if self.gate.valid(token):
            return notice("ok", "已登录", "30 分钟内有效；可以上传、重新索引和删除报告。"), gr.update(visible=True), ""
        return notice("error", message or NOT_SIGNED_IN), gr.update(visible=False), gr.skip()

    def _refusal(self, token: str | None) -> str:
        return "" if self.gate.valid(token) else notice("error", NOT_SIGNED_IN)

    # -- changes ----------------------------------------------------------------------------
    def upload(self, token: str | None, files: list[str] | None) -> tuple[Any, ...]:
        """Store the uploaded files and start a background ingest.
        Outputs: status, notes (kept for the poll), upload box, timer."""
        refusal = self._refusal(token)
        if refusal:
            return refusal, "", gr.skip(), gr.skip()
        if not files:
            return notice("warn", "请先选择要上传的报告文件。"), "", gr.skip(), gr.skip()
        caps = UploadCaps()
        if len(files) > caps.max_files:
            return notice("error", f"一次最多上传 {caps.max_files} 个文件。"), "", gr.skip(), gr.skip()
        stored, problems = self._store(files)
        if not stored:
            return notice("error", "没有可以保存的报告", "\n".join(problems)), "", None, gr.skip()
        notes = notice("ok", f"已保存 {len(stored)} 个文件", "\n".join(stored))
        if problems:
            notes += notice("warn", "部分文件未保存", "\n".join(problems))
        self.worker.start()
        return job_html(self.worker.snapshot(), notes), notes, None, gr.Timer(active=True)

    def _store(self, files: list[str]) -> tuple[list[str], list[str]]:
        """Copy each upload into the library; a name that was taken is said so."""
        stored: list[str] = []
        problems: list[str] = []
        limit = self.assistant.settings.limits.max_upload_bytes
        for f in files:
            path = Path(f)
            # Only files Gradio's upload route wrote (regular files in its folder) are read.
            if not is_uploaded_file(f):
                problems.append(f"{path.name}：不是通过本页面上传的文件，已忽略。")
                continue
            if path.stat().st_size > limit:
                problems.append(f"{path.name}：超过 {limit:,} 字节的上传上限。")
                continue
            try:
                target = self.assistant.add_report(path.name, path.read_bytes())
            except ReformQAError as exc:
                problems.append(str(exc))
                continue
            finally:
                path.unlink(missing_ok=True)  # Gradio's copy is not needed any more
            renamed = "" if target.name == path.name else f"（已存为 {target.name}）"
            stored.append(f"{path.name}{renamed}")
        return stored, problems

    def reindex(self, token: str | None) -> tuple[Any, ...]:
        """Outputs: status, notes, timer."""
        refusal = self._refusal(token)
        if refusal:
            return refusal, "", gr.skip()
        self.worker.start()
        return job_html(self.worker.snapshot()), "", gr.Timer(active=True)

    def poll(self, notes: str) -> tuple[Any, ...]:
        """Outputs: status, timer (stops when the ingest ended), finished-run counter."""
        job = self.worker.snapshot()
        return job_html(job, notes or ""), gr.Timer(active=job.running), job.runs

    def remove(self, token: str | None, doc_id: str | None) -> tuple[Any, ...]:
        """Outputs: status, table, remove picker."""
        refusal = self._refusal(token)
        if refusal:
            return refusal, gr.skip(), gr.skip()
        if not doc_id:
            return notice("warn", "请先选择要删除的报告。"), gr.skip(), gr.skip()
        try:
            deleted = self.assistant.delete_report(doc_id)
        except ReformQAError as exc:
            return notice("error", "删除失败", str(exc)), gr.skip(), gr.skip()
        where = f"已删除文件 {deleted.name}" if deleted else "源文件已不存在"
        return notice("ok", f"已从索引中移除 {doc_id}", where), *self.refreshed()


@dataclass
class LibraryTab:
    handlers: LibraryHandlers
    table: gr.HTML
    remove_pick: gr.Dropdown | None
    changed: list[Any]
    """Events after which the search filters must be refreshed."""


def build(assistant: Assistant, gate: AdminGate | None = None) -> LibraryTab:
    h = LibraryHandlers(assistant, gate)
    gr.HTML(access_notice(assistant.admin_enabled), elem_id="rq-access", padding=False)
    with gr.Row():
        gr.Markdown("#### 已索引的报告")
        refresh = gr.Button("刷新", size="sm", scale=0, min_width=80, elem_id="rq-refresh")
    table = gr.HTML(elem_id="rq-library", padding=True)
    refresh.click(h.table, None, table, api_visibility="private")
    if not assistant.admin_enabled:
        return LibraryTab(h, table, None, [])

    with gr.Accordion("管理资料库", open=True, elem_id="rq-admin"):
        with gr.Row():
            password = gr.Textbox(label="管理员密码", type="password", elem_id="rq-password", max_lines=1, scale=3)
            login = gr.Button("登录", scale=0, min_width=100, elem_id="rq-login")
        status = gr.HTML(elem_id="rq-admin-status", padding=True)
        with gr.Row(visible=False, elem_id="rq-admin-panel") as panel:
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
    notes = gr.State("")
    runs = gr.State(0)
    timer = gr.Timer(1.0, active=False)

    def login_fn(message: str, request: gr.Request) -> tuple[Any, ...]:
        return h.after_login(message, session_token(request))

    def upload_fn(paths: list[str] | None, request: gr.Request) -> tuple[Any, ...]:
        return h.upload(session_token(request), paths)

    def reindex_fn(request: gr.Request) -> tuple[Any, ...]:
        return h.reindex(session_token(request))

    def remove_fn(doc_id: str | None, request: gr.Request) -> tuple[Any, ...]:
        return h.remove(session_token(request), doc_id)

    login.click(login_fn, [password], [status, panel, password], js=LOGIN_JS, api_visibility="private")
    password.submit(login_fn, [password], [status, panel, password], js=LOGIN_JS, api_visibility="private")
    upload.click(upload_fn, [files], [status, notes, files, timer], api_visibility="private")
    reindex.click(reindex_fn, None, [status, notes, timer], api_visibility="private")
    timer.tick(h.poll, [notes], [status, timer, runs], api_visibility="private")
    changed = [
        runs.change(h.refreshed, None, [table, pick], api_visibility="private"),
        remove.click(remove_fn, [pick], [status, table, pick], api_visibility="private"),
    ]
    return LibraryTab(h, table, pick, changed)


__all__ = ["WRONG_PASSWORD", "LibraryHandlers", "LibraryTab", "build"]
