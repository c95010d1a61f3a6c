"""Issue 13 point 7, the maintainer's library: upload folder, metadata, edit, delete, failures."""

from __future__ import annotations

import io
import os
import shutil
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from test_ui_api import seed_copy_settings  # the seed corpus copied into a private root

from assistant.facade import Assistant
from index.errors import MetadataError
from index.uploads import source_path, write_report_meta
from ui.guard import upload_folder
from ui.ingest_jobs import JobSnapshot
from ui.library_tab import LibraryHandlers, meta_fields
from ui.library_view import failed_html, reason_zh

REPORT = "极简审批新区改革报告\n一、做法\n某新区推行极简审批改革，企业开办审批时限压缩到一天。\n"


def _corrupt_docx() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("[Content_Types].xml", "<Types/>")
    return buf.getvalue()[:-10]


@pytest.fixture
def staged() -> Iterator[Path]:
    """A folder inside Gradio's upload folder, as if Gradio had received the files."""
    folder = upload_folder() / f"test-library-{os.getpid()}-{time.time_ns()}"
    folder.mkdir(parents=True)
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


def _stage(folder: Path, name: str, data: bytes) -> str:
    sub = folder / str(len(list(folder.iterdir())))
    sub.mkdir()
    (sub / name).write_bytes(data)
    return str(sub / name)


@pytest.fixture
def handlers(tmp_path: Path) -> LibraryHandlers:
    a = Assistant(seed_copy_settings(tmp_path, admin_password="pw"))
    a.ingest()
    return LibraryHandlers(a)


def _ingested(h: LibraryHandlers) -> JobSnapshot:
    job = h.worker.wait(120)
    assert not job.running and job.summary is not None
    return job


def test_uploads_go_to_the_data_dir_with_their_metadata(handlers: LibraryHandlers, staged: Path) -> None:
    h, a = handlers, handlers.assistant
    token = h.gate.issue()
    path = _stage(staged, "新区报告.txt", REPORT.encode())
    status, notes, *_ = h.upload(token, [path], "极简审批改革调研", "海南、三亚", "2023", "survey")
    assert "已保存 1 个文件" in notes, status
    _ingested(h)
    stored = a.settings.data_dir / "corpus" / "新区报告.txt"
    assert stored.is_file() and not list(a.settings.corpus_dir.rglob("新区报告.txt"))  # not in the corpus
    toml = (a.settings.data_dir / "corpus" / "reports.toml").read_text(encoding="utf-8")
    assert '["新区报告.txt"]' in toml and 'kind = "survey"' in toml
    row = next(d for d in a.docs() if d.rel == "uploads/新区报告.txt")
    assert (row.meta.title, row.meta.regions, row.meta.year, row.meta.kind) == (
        "极简审批改革调研",
        ("海南", "三亚"),
        2023,
        "survey",
    )
    assert source_path(a.settings, row.rel) == stored.resolve()


def test_metadata_form_is_checked_in_chinese(handlers: LibraryHandlers, staged: Path) -> None:
    token = handlers.gate.issue()
    path = _stage(staged, "a.txt", REPORT.encode())
    status, *_ = handlers.upload(token, [path], "", "", "二〇二三", "")
    assert "年份须为 1950–2100 之间的整数" in status
    two = [path, _stage(staged, "b.txt", REPORT.encode())]
    status, *_ = handlers.upload(token, two, "一个标题", "", "", "")
    assert "标题只能给一份报告" in status
    assert meta_fields(" 标题 ", "天津，滨海 新区", "2020", "") == {
        "title": "标题",
        "regions": ["天津", "滨海", "新区"],
        "year": 2020,
    }


def test_editing_metadata_keeps_the_rest_of_a_hand_written_file(handlers: LibraryHandlers) -> None:
    h, a = handlers, handlers.assistant
    toml = a.settings.corpus_dir / "reports.toml"
    before = toml.read_text(encoding="utf-8")
    row = next(d for d in a.docs() if "天津" in d.meta.title)
    assert h.meta_form(row.doc_id)[0] == row.meta.title

    status, _notes, timer = h.save_meta(h.gate.issue(), row.doc_id, "天津高新区改革（修订）", "天津", "2021", "")
    assert "报告信息已保存" in status and timer.active
    _ingested(h)
    assert next(d for d in a.docs() if d.doc_id == row.doc_id).meta.title == "天津高新区改革（修订）"
    after = toml.read_text(encoding="utf-8")
    others = [line for line in before.splitlines() if line.startswith("#") or line.startswith('["')]
    assert all(line in after for line in others)  # comments and the other tables are untouched

    status, *_ = h.save_meta(h.gate.issue(), row.doc_id, "", "", "", "")
    assert "请填写标题" in status
    status, *_ = h.save_meta(None, row.doc_id, "x", "", "", "")
    assert "请先输入管理员密码" in status


def test_write_report_meta_adds_replaces_and_removes_one_table(tmp_path: Path) -> None:
    s = seed_copy_settings(tmp_path)
    s.uploads.mkdir(parents=True)
    (s.uploads / "reports.toml").write_text('# 说明\n["a.txt"]\ntitle = "甲"\n\n["b.txt"]\ntitle = "乙"\n', "utf-8")
    write_report_meta(s, "uploads/a.txt", {"title": "甲'\"\\新", "regions": ["天津"]})
    write_report_meta(s, "uploads/c.txt", {"title": "丙", "year": 2020})
    write_report_meta(s, "uploads/b.txt", None)
    import tomllib

    text = (s.uploads / "reports.toml").read_text("utf-8")
    data = tomllib.loads(text)
    assert text.startswith("# 说明") and set(data) == {"a.txt", "c.txt"}
    assert data["a.txt"] == {"title": "甲'\"\\新", "regions": ["天津"]} and data["c.txt"]["year"] == 2020
    with pytest.raises(MetadataError):
        write_report_meta(s, "uploads/a.txt", {"title": "x", "year": 3000})


def test_delete_asks_first_and_names_the_file(handlers: LibraryHandlers, staged: Path) -> None:
    h, a = handlers, handlers.assistant
    token = h.gate.issue()
    h.upload(token, [_stage(staged, "待删除报告.txt", REPORT.encode())], "待删除的报告", "", "", "")
    _ingested(h)
    row = next(d for d in a.docs() if d.rel == "uploads/待删除报告.txt")
    status, box, question = h.ask_delete(token, row.doc_id)
    assert box["visible"] is True and "《待删除的报告》" in question and "uploads/待删除报告.txt" in question
    assert any(d.doc_id == row.doc_id for d in a.docs())  # asking deletes nothing
    status, *_ = h.remove(token, row.doc_id)
    assert "已从索引中移除" in status and not any(d.doc_id == row.doc_id for d in a.docs())
    assert not (a.settings.uploads / "待删除报告.txt").exists()
    assert "待删除报告.txt" not in (a.settings.uploads / "reports.toml").read_text("utf-8")


def test_failed_files_are_listed_in_chinese_and_removable(handlers: LibraryHandlers, staged: Path) -> None:
    h, a = handlers, handlers.assistant
    token = h.gate.issue()
    h.upload(token, [_stage(staged, "损坏.docx", _corrupt_docx())])
    job = _ingested(h)
    assert [rel for rel, _ in job.summary.failed] == ["uploads/损坏.docx"]  # type: ignore[union-attr]
    listing, picker = h.failed_view()
    assert "uploads/损坏.docx" in listing and "文件已损坏或不完整" in listing
    assert picker["choices"] == ["uploads/损坏.docx"] and picker["visible"] is True

    status, *_ = h.remove_failed(None, "uploads/损坏.docx")
    assert "请先输入管理员密码" in status and (a.settings.uploads / "损坏.docx").exists()
    status, listing, picker = h.remove_failed(token, "uploads/损坏.docx")
    assert "已删除文件 uploads/损坏.docx" in status and listing == "" and picker["visible"] is False
    assert not (a.settings.uploads / "损坏.docx").exists()
    status, *_ = h.remove_failed(token, "../corpus/reports.toml")  # only listed failures
    assert "请先选择" in status


def test_progress_names_the_file_being_read() -> None:
    job = JobSnapshot(running=True, stage="read", done=3, total=7, file="uploads/报告.docx")
    assert job.progress_text == "读取报告：第 3/7 个（uploads/报告.docx）"
    assert JobSnapshot(running=True, stage="embed", done=1, total=4).progress_text == "计算向量：1/4"


def test_reasons_are_chinese() -> None:
    assert reason_zh("is not a readable docx file, probably truncated or corrupt (BadZipFile: x)").startswith(
        "文件已损坏"
    )
    assert reason_zh("something new") == "无法索引这个文件；详情见服务器日志。"
    assert "<script>" not in failed_html([("<script>.txt", "is empty")])


def test_a_locked_ingest_is_reported_in_chinese(handlers: LibraryHandlers, monkeypatch: pytest.MonkeyPatch) -> None:
    from index.errors import IngestLockedError

    def locked(**_kw: object) -> None:
        raise IngestLockedError("another ingest is running")

    monkeypatch.setattr(handlers.assistant, "ingest", locked)
    handlers.reindex(handlers.gate.issue())
    job = handlers.worker.wait(30)
    assert not job.running and "另一个索引任务" in job.error
    assert "另一个索引任务" in handlers.poll("")[0]


def test_ingesting_the_corpus_folder_by_path_keeps_the_uploads(handlers: LibraryHandlers, staged: Path) -> None:
    h, a = handlers, handlers.assistant
    h.upload(h.gate.issue(), [_stage(staged, "留存报告.txt", REPORT.encode())])
    _ingested(h)
    summary = a.ingest([a.settings.corpus_dir])  # `reformqa ingest corpus/`
    assert summary.removed == [] and any(d.rel == "uploads/留存报告.txt" for d in a.docs())
