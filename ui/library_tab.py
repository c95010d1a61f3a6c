"""The 资料库 tab: the indexed reports; upload, re-index and remove for a signed-in admin.

Without REFORMQA_ADMIN_PASSWORD the tab is read-only: the admin controls are not built at
all. With it, the admin signs in first (`ui.library_session`: the password goes to
`/api/admin/login`, which sets a short-lived HttpOnly session cookie); only then can files be
uploaded (`ui.guard` refuses Gradio uploads without that cookie), and every changing handler
checks the cookie again.
Ingests run in a background worker (`ui.ingest_jobs`) that the tab polls on a timer.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import gradio as gr

from assistant.facade import Assistant
from index.errors import ReformQAError
from index.loaders import SUPPORTED_SUFFIXES
from ui import library_session as session
from ui.admin import NOT_SIGNED_IN, WRONG_PASSWORD, AdminGate
from ui.guard import UploadCaps, is_uploaded_file
from ui.html import notice
from ui.ingest_jobs import IngestWorker, JobSnapshot
from ui.library_session import session_token
from ui.library_view import (
    KIND_LABELS,
    TYPES_TEXT,
    access_notice,
    failed_html,
    library_table,
    reason_zh,
    summary_html,
)
from ui.search_view import report_choices

KIND_CHOICES = [("未填写", ""), *((zh, en) for en, zh in KIND_LABELS.items())]
_REGION_SPLIT = re.compile(r"[、,，;；\s]+")


class MetaError(ValueError):
    """A metadata field the admin typed that cannot be saved (message in Chinese)."""


def meta_fields(title: str, regions: str, year: str, kind: str) -> dict[str, Any]:
    """The metadata form as a `reports.toml` table (empty fields left out)."""
    fields: dict[str, Any] = {"title": " ".join((title or "").split())}
    fields["regions"] = [r for r in _REGION_SPLIT.split(regions or "") if r]
    text = (year or "").strip()
    if text:
        if not text.isdigit() or not 1950 <= int(text) <= 2100:
            raise MetaError("年份须为 1950–2100 之间的整数，例如 2021。")
        fields["year"] = int(text)
    if kind:
        if kind not in KIND_LABELS:
            raise MetaError("请从列表中选择报告类型。")
        fields["kind"] = kind
    return fields


def meta_fields_or_error(
    title: str, regions: str, year: str, kind: str, files: list[str] | None
) -> dict[str, Any] | str:
    """The upload form as metadata, or what is wrong with it (in Chinese)."""
    if title.strip() and files and len(files) > 1:
        return "标题只能给一份报告：一次上传多个文件时请把标题留空。"
    try:
        return meta_fields(title, regions, year, kind)
    except MetaError as exc:
        return str(exc)


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
        self.session = session.SessionHandlers(self.gate)
        self.worker = worker or IngestWorker(assistant)
        self._gone: set[str] = set()  # failed files removed since the last ingest
        self._gone_run = 0

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

    # -- upload checks ----------------------------------------------------------------------
    def check_files(self, files: list[str] | None) -> tuple[Any, ...]:
        """A file chosen or dropped on the upload box: any that is not a report type is refused
        at once, by name, in Chinese (and its upload deleted). Outputs: status, upload box."""
        refused = [f for f in files or [] if Path(f).suffix.lower() not in SUPPORTED_SUFFIXES]
        if not refused:
            return "", gr.skip()
        for f in refused:
            if is_uploaded_file(f):
                Path(f).unlink(missing_ok=True)
        names = "、".join(Path(f).name for f in refused)
        kept = [f for f in files or [] if f not in refused]
        message = notice("error", f"不能上传 {names}", f"只接受这些类型的报告文件：{TYPES_TEXT}。")
        return message, (kept or None)

    def _refusal(self, token: str | None) -> str:
        return "" if self.gate.valid(token) else notice("error", NOT_SIGNED_IN)

    # -- changes ----------------------------------------------------------------------------
    def upload(
        self,
        token: str | None,
        files: list[str] | None,
        title: str = "",
        regions: str = "",
        year: str = "",
        kind: str = "",
    ) -> tuple[Any, ...]:
        """Store the uploaded files with their metadata and start a background ingest.
        Outputs: status, notes (kept for the poll), upload box, timer."""
        return self._upload(token, files, meta_fields_or_error(title, regions, year, kind, files))[0]

    def upload_and_clear(
        self, token: str | None, files: list[str] | None, title: str, regions: str, year: str, kind: str
    ) -> tuple[Any, ...]:
        """`upload`'s outputs, then the four metadata fields: emptied once a file is stored, so
        the next file starts with a blank form (kept when nothing was stored, to be corrected)."""
        outputs, stored = self._upload(token, files, meta_fields_or_error(title, regions, year, kind, files))
        return (*outputs, *(("", "", "", "") if stored else (gr.skip(),) * 4))

    def _upload(
        self, token: str | None, files: list[str] | None, meta: dict[str, Any] | str
    ) -> tuple[tuple[Any, ...], bool]:
        """`upload`'s outputs and whether any file was stored."""
        refusal = self._refusal(token)
        if refusal:
            return (refusal, "", gr.skip(), gr.skip()), False
        if not files:
            return (notice("warn", "请先选择要上传的报告文件。"), "", gr.skip(), gr.skip()), False
        caps = UploadCaps()
        if len(files) > caps.max_files:
            return (notice("error", f"一次最多上传 {caps.max_files} 个文件。"), "", gr.skip(), gr.skip()), False
        if isinstance(meta, str):
            return (notice("error", meta), "", gr.skip(), gr.skip()), False
        stored, problems = self._store(files, meta)
        if not stored:
            return (notice("error", "没有可以保存的报告", "\n".join(problems)), "", None, gr.skip()), False
        notes = notice("ok", f"已保存 {len(stored)} 个文件", "\n".join(stored))
        if problems:
            notes += notice("warn", "部分文件未保存", "\n".join(problems))
        self.worker.start()
        return (job_html(self.worker.snapshot(), notes), notes, None, gr.Timer(active=True)), True

    def _store(self, files: list[str], meta: dict[str, Any]) -> tuple[list[str], list[str]]:
        """Copy each upload into the library with its metadata; a name that was taken is said so.

        Without a title the file name is the title whenever other fields were given (a
        metadata table needs one); with no fields at all the title is guessed from the text."""
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
            described = any(meta.get(k) for k in ("regions", "year", "kind", "title"))
            table = {**meta, "title": meta["title"] or path.stem} if described else None
            try:
                target = self.assistant.add_report(path.name, path.read_bytes(), table)
            except ReformQAError as exc:
                problems.append(f"{path.name}：{reason_zh(str(exc))}")
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

    def failed(self) -> list[tuple[str, str]]:
        """Files the last background ingest could not index and that were not removed since."""
        job = self.worker.snapshot()
        if job.runs != self._gone_run:  # a new ingest reports afresh
            self._gone, self._gone_run = set(), job.runs
        return [(rel, why) for rel, why in (job.summary.failed if job.summary else []) if rel not in self._gone]

    def failed_view(self) -> tuple[str, Any]:
        """Outputs: the failed-files list, its picker."""
        rows = self.failed()
        return failed_html(rows), gr.update(choices=[rel for rel, _ in rows], value=None, visible=bool(rows))

    def remove_failed(self, token: str | None, rel: str | None) -> tuple[Any, ...]:
        """Delete a file that failed to index. Outputs: status, failed list, its picker."""
        refusal = self._refusal(token)
        if refusal:
            return refusal, gr.skip(), gr.skip()
        if not rel or rel not in {r for r, _ in self.failed()}:
            return notice("warn", "请先选择要移除的失败文件。"), gr.skip(), gr.skip()
        try:
            deleted = self.assistant.delete_file(rel)
        except (ReformQAError, OSError) as exc:
            return notice("error", f"无法移除 {rel}", reason_zh(str(exc))), gr.skip(), gr.skip()
        self._gone.add(rel)
        said = f"已删除文件 {rel}" if deleted else f"文件 {rel} 已不存在"
        return notice("ok", said), *self.failed_view()

    def meta_form(self, doc_id: str | None) -> tuple[Any, ...]:
        """The edit form filled with a report's metadata. Outputs: title, regions, year, kind."""
        row = next((d for d in self._docs() if d.doc_id == doc_id), None)
        if row is None:
            return "", "", "", ""
        m = row.meta
        return m.title, "、".join(m.regions), str(m.year or ""), m.kind if m.kind in KIND_LABELS else ""

    def save_meta(
        self, token: str | None, doc_id: str | None, title: str, regions: str, year: str, kind: str
    ) -> tuple[Any, ...]:
        """Write a report's metadata and re-index. Outputs: status, notes, timer."""
        refusal = self._refusal(token)
        if refusal:
            return refusal, "", gr.skip()
        if not doc_id:
            return notice("warn", "请先选择要修改的报告。"), "", gr.skip()
        if not (title or "").strip():
            return notice("error", "请填写标题。"), "", gr.skip()
        try:
            path = self.assistant.set_report_meta(doc_id, meta_fields(title, regions, year, kind))
        except MetaError as exc:
            return notice("error", str(exc)), "", gr.skip()
        except ReformQAError as exc:
            return notice("error", "报告信息未能保存", str(exc)), "", gr.skip()
        notes = notice("ok", "报告信息已保存", f"写入 {path.name}；正在重新索引以生效。")
        self.worker.start()
        return job_html(self.worker.snapshot(), notes), notes, gr.Timer(active=True)

    def ask_delete(self, token: str | None, doc_id: str | None) -> tuple[Any, ...]:
        """Step one of deleting: name the report and its file. Outputs: status, confirm box, its text."""
        refusal = self._refusal(token)
        if refusal:
            return refusal, gr.update(visible=False), ""
        row = next((d for d in self._docs() if d.doc_id == doc_id), None)
        if row is None:
            return notice("warn", "请先选择要删除的报告。"), gr.update(visible=False), ""
        question = notice(
            "warn",
            f"确定删除《{row.meta.title}》吗？",
            f"将从索引中移除，并删除文件 {row.rel}。此操作不能撤销。",
        )
        return "", gr.update(visible=True), question

    def _docs(self) -> list[Any]:
        try:
            return list(self.assistant.docs())
        except ReformQAError:
            return []

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

    def pickers(self) -> tuple[Any, Any]:
        return self.choices(), self.choices()

    def refreshed_all(self) -> tuple[Any, ...]:
        """After an ingest: table, both report pickers, failed list and its picker."""
        table, choices = self.refreshed()
        return table, choices, choices, *self.failed_view()


def _meta_inputs(prefix: str) -> tuple[Any, ...]:
    """Title, regions, year and kind fields (ids `<prefix>-title` …)."""
    title = gr.Textbox(label="标题", max_lines=1, elem_id=f"{prefix}-title")
    with gr.Row():
        regions = gr.Textbox(label="地区（用顿号或逗号分隔）", max_lines=1, elem_id=f"{prefix}-regions")
        year = gr.Textbox(label="年份", max_lines=1, elem_id=f"{prefix}-year")
    kind = gr.Dropdown(choices=KIND_CHOICES, value="", label="类型", elem_id=f"{prefix}-kind")
    return title, regions, year, kind


@dataclass
class LibraryTab:
    handlers: LibraryHandlers
    table: gr.HTML
    remove_pick: gr.Dropdown | None
    changed: list[Any]
    """Events after which the search filters must be refreshed."""
    on_load: tuple[Any, list[Any], list[Any]] | None = None
    """(function, inputs, outputs) for `demo.load`: the sign-in state of this browser."""


def build(assistant: Assistant, gate: AdminGate | None = None) -> LibraryTab:
    h = LibraryHandlers(assistant, gate)
    access = gr.HTML(access_notice(assistant.admin_enabled), elem_id="rq-access", padding=False)
    with gr.Row():
        gr.Markdown("#### 已索引的报告")
        refresh = gr.Button("刷新", size="sm", scale=0, min_width=80, elem_id="rq-refresh")
    table = gr.HTML(elem_id="rq-library", padding=True)
    refresh.click(h.table, None, table, api_visibility="private")
    if not assistant.admin_enabled:
        return LibraryTab(h, table, None, [])

    with gr.Accordion("管理资料库", open=True, elem_id="rq-admin"):
        rows = session.build_rows()
        status = gr.HTML(elem_id="rq-admin-status", padding=True)
        with gr.Column(visible=False, elem_id="rq-admin-panel") as panel:
            with gr.Row():
                with gr.Column(elem_id="rq-upload-form"):
                    gr.Markdown("##### 上传报告")
                    # No `file_types`: Gradio would refuse other types itself, in English
                    # (`check_files` refuses them in Chinese, naming the file).
                    files = gr.File(
                        label=f"报告文件（{TYPES_TEXT}）",
                        file_count="multiple",
                        type="filepath",
                        elem_id="rq-upload",
                    )
                    up_title, up_regions, up_year, up_kind = _meta_inputs("rq-up")
                    upload = gr.Button("上传并索引", variant="primary", elem_id="rq-upload-btn")
                with gr.Column(elem_id="rq-edit-form"):
                    gr.Markdown("##### 修改报告信息")
                    edit_pick = gr.Dropdown(choices=[], label="选择报告", elem_id="rq-edit-pick")
                    ed_title, ed_regions, ed_year, ed_kind = _meta_inputs("rq-ed")
                    save = gr.Button("保存并重新索引", elem_id="rq-save-meta")
            with gr.Row():
                with gr.Column():
                    gr.Markdown("##### 删除报告")
                    pick = gr.Dropdown(choices=[], label="选择要删除的报告（同时删除其文件）", elem_id="rq-remove-pick")
                    remove = gr.Button("删除所选报告…", variant="stop", elem_id="rq-remove")
                    with gr.Column(visible=False, elem_id="rq-confirm") as confirm_box:
                        confirm_text = gr.HTML(elem_id="rq-confirm-text")
                        with gr.Row():
                            confirm = gr.Button("确认删除", variant="stop", elem_id="rq-confirm-delete")
                            cancel = gr.Button("取消", elem_id="rq-cancel-delete")
                with gr.Column():
                    gr.Markdown("##### 索引")
                    reindex = gr.Button("重新索引全部", elem_id="rq-reindex")
                    failed_list = gr.HTML(elem_id="rq-failed")
                    failed_pick = gr.Dropdown(
                        choices=[], label="选择失败的文件", visible=False, elem_id="rq-failed-pick"
                    )
                    remove_failed = gr.Button("移除所选失败文件", elem_id="rq-remove-failed")
    notes = gr.State("")
    runs = gr.State(0)
    timer = gr.Timer(1.0, active=False)

    def upload_fn(
        paths: list[str] | None, title: str, regions: str, year: str, kind: str, request: gr.Request
    ) -> tuple[Any, ...]:
        return h.upload_and_clear(session_token(request), paths, title, regions, year, kind)

    def reindex_fn(request: gr.Request) -> tuple[Any, ...]:
        return h.reindex(session_token(request))

    def save_fn(
        doc_id: str | None, title: str, regions: str, year: str, kind: str, request: gr.Request
    ) -> tuple[Any, ...]:
        return h.save_meta(session_token(request), doc_id, title, regions, year, kind)

    def ask_fn(doc_id: str | None, request: gr.Request) -> tuple[Any, ...]:
        return h.ask_delete(session_token(request), doc_id)

    def remove_fn(doc_id: str | None, request: gr.Request) -> tuple[Any, ...]:
        return (*h.remove(session_token(request), doc_id), gr.update(visible=False))

    def remove_failed_fn(rel: str | None, request: gr.Request) -> tuple[Any, ...]:
        return h.remove_failed(session_token(request), rel)

    # A reload while signed in shows the signed-in view (the cookie outlives the page).
    signed_in, on_load = session.wire(h.session, rows, status, access, panel)
    for signed in signed_in:
        signed.then(h.pickers, None, [pick, edit_pick], api_visibility="private")
    files.upload(h.check_files, [files], [status, files], api_visibility="private")
    upload_in = [files, up_title, up_regions, up_year, up_kind]
    upload_out = [status, notes, files, timer, up_title, up_regions, up_year, up_kind]
    upload.click(upload_fn, upload_in, upload_out, api_visibility="private")
    reindex.click(reindex_fn, None, [status, notes, timer], api_visibility="private")
    edit_pick.change(h.meta_form, [edit_pick], [ed_title, ed_regions, ed_year, ed_kind], api_visibility="private")
    save.click(
        save_fn, [edit_pick, ed_title, ed_regions, ed_year, ed_kind], [status, notes, timer], api_visibility="private"
    )
    remove.click(ask_fn, [pick], [status, confirm_box, confirm_text], api_visibility="private")
    for closes in (cancel.click, pick.change):  # a changed pick must be asked about again
        closes(lambda: gr.update(visible=False), None, confirm_box, api_visibility="private")
    remove_failed.click(remove_failed_fn, [failed_pick], [status, failed_list, failed_pick], api_visibility="private")
    timer.tick(h.poll, [notes], [status, timer, runs], api_visibility="private")
    changed = [
        runs.change(
            h.refreshed_all, None, [table, pick, edit_pick, failed_list, failed_pick], api_visibility="private"
        ),
        confirm.click(remove_fn, [pick], [status, table, pick, confirm_box], api_visibility="private"),
    ]
    return LibraryTab(h, table, pick, changed, on_load)


__all__ = ["WRONG_PASSWORD", "LibraryHandlers", "LibraryTab", "build"]
