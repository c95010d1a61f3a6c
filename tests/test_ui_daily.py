"""Issue 20's web app items below the browser: per-section places in search, Chinese errors,
refused upload types, the sign-in view, kept conversation names and the warm start.
(The browser side is tests/test_browser_daily.py.)"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from test_ui_api import seed_copy_settings
from test_ui_library import staged  # noqa: F401 (fixture)

from assistant.answer_types import Answer, Citation
from assistant.facade import Assistant
from index.errors import IndexMissingError, IngestLockedError, UnknownReportError
from index.loaders import SUPPORTED_SUFFIXES
from index.search import SearchFilter, section_regions
from index.settings import Settings
from ui import conversations as store_ops
from ui.answer_view import source_missing
from ui.conversations import Entry
from ui.library_tab import LibraryHandlers
from ui.locale import REPORT_GONE, user_error

CASES = ("湖南省", "衡阳市", "四川省", "绵阳市")  # the case collection (corpus/003): two places, two headings


# -- the places of an excerpt --------------------------------------------------------------------
@pytest.mark.parametrize(
    ("section", "places"),
    [
        (("湖南省衡阳市:持续深化市直园区管理体制改革", "一、聚焦理顺管理机制"), ("湖南省", "衡阳市")),
        (("四川省绵阳市:聚焦打造发展引擎", "二、做好清闲促建“减法”"), ("四川省", "绵阳市")),
        (("衡阳园区的做法",), ("湖南省", "衡阳市")),  # a place without its 市, its province added
        (("四川的经验",), ("四川省", "绵阳市")),  # a province: the places listed under it too
        (("一、总体情况",), CASES),  # no heading names a place: the report's places
        ((), CASES),
        (("四川省绵阳市:做法", "湖南省衡阳市:小结"), ("湖南省", "衡阳市")),  # the innermost heading wins
    ],
)
def test_an_excerpt_is_about_the_places_its_headings_name(section: tuple[str, ...], places: tuple[str, ...]) -> None:
    assert section_regions(CASES, section) == places


def test_a_single_place_report_keeps_its_places_under_a_heading_naming_the_outer_one() -> None:
    # 天津高新区… names 天津 (a city under the state): 滨海新区, listed under it, stays.
    assert section_regions(("天津市", "滨海新区"), ("天津高新区的改革",)) == ("天津市", "滨海新区")
    assert section_regions(("天津市", "滨海新区"), ("滨海新区的做法",)) == ("天津市", "滨海新区")
    assert section_regions(("河南省",), ("郑州的做法",)) == ("河南省",)


@pytest.fixture(scope="module")
def assistant(seed_index: Settings) -> Assistant:
    return Assistant(seed_index)


def test_the_region_filter_keeps_only_the_excerpts_of_that_place(assistant: Assistant) -> None:
    query = "园区管理体制改革 招商 人才"
    every = assistant.search(query, 30)
    assert any("绵阳" in h.chunk.section_path for h in every)  # found without a filter

    hunan = assistant.search(query, 30, SearchFilter(regions=("湖南",)))
    assert hunan and not any("绵阳" in h.chunk.section_path or "四川" in h.chunk.section_path for h in hunan)
    mianyang = assistant.search(query, 30, SearchFilter(regions=("绵阳",)))
    assert mianyang and {h.chunk.doc_id[:3] for h in mianyang} == {"003"}
    assert not any("衡阳" in h.chunk.section_path for h in mianyang)
    assert any("绵阳" in h.chunk.section_path for h in mianyang)


# -- errors in Chinese -----------------------------------------------------------------------------
def _cite() -> Citation:
    return Citation(1, "gone", "消失的报告", "uploads/消失的报告.txt", "一、背景", "引文。", 0, 3, ("湖南省",))


def test_a_deleted_report_is_named_in_chinese_without_the_developer_message() -> None:
    exc = UnknownReportError("report 'uploads/x' is not in the index; `reformqa docs` lists the report ids")
    shown = source_missing(_cite(), exc)
    assert REPORT_GONE in shown and "《消失的报告》" in shown and "uploads/消失的报告.txt" in shown
    assert "reformqa" not in shown and "not in the index" not in shown
    for error in (IndexMissingError("no index in /x; run `reformqa ingest`"), IngestLockedError("locked by pid 3")):
        message = user_error(error)
        assert message and not any(c.isascii() and c.isalpha() for c in message), message


# -- upload types, the sign-in view ----------------------------------------------------------------
@pytest.fixture
def handlers(tmp_path: Path) -> LibraryHandlers:
    return LibraryHandlers(Assistant(seed_copy_settings(tmp_path, admin_password="pw")))


def test_a_program_is_refused_by_name_with_the_accepted_types(
    handlers: LibraryHandlers,
    staged: Path,  # noqa: F811
) -> None:
    program, report = staged / "setup.exe", staged / "报告.txt"
    program.write_bytes(b"MZ\x90\x00")
    report.write_text("报告", encoding="utf-8")
    status, kept = handlers.check_files([str(program), str(report)])
    assert "不能上传 setup.exe" in status and all(s in status for s in SUPPORTED_SUFFIXES)
    assert kept == [str(report)] and not program.exists()  # the refused upload is deleted at once
    status, kept = handlers.check_files([str(report)])
    assert status == ""


def test_the_upload_form_is_emptied_once_a_file_is_stored(
    handlers: LibraryHandlers,
    staged: Path,  # noqa: F811
) -> None:
    report = staged / "新区报告.txt"
    report.write_text("新区改革报告\n一、做法\n某新区推行极简审批改革。\n", encoding="utf-8")
    token = handlers.gate.issue()
    status, _notes, _box, _timer, *form = handlers.upload_and_clear(
        token, [str(report)], "新区", "海南", "二〇二三", ""
    )
    assert "年份" in status and all(f is not None and not isinstance(f, str) for f in form)  # kept, to correct
    status, notes, _box, _timer, *form = handlers.upload_and_clear(token, [str(report)], "新区", "海南", "2023", "")
    assert "已保存 1 个文件" in notes and form == ["", "", "", ""]
    assert handlers.worker.wait(120).summary is not None


def test_the_admin_view_follows_the_session(handlers: LibraryHandlers) -> None:
    def shown(updates: tuple[Any, ...]) -> list[bool]:
        return [u["visible"] for u in updates]

    token = handlers.gate.issue()
    # access notice, password row, signed-in row, admin panel
    assert shown(handlers.session.view(token)) == [False, False, True, True]
    assert shown(handlers.session.view(None)) == [True, True, False, False]
    status, password, *view = handlers.session.after_login("", token)
    assert password == "" and shown(tuple(view)) == [False, False, True, True]
    status, *view = handlers.session.after_logout(None)
    assert "已退出登录" in status and shown(tuple(view)) == [True, True, False, False]


# -- conversation names ----------------------------------------------------------------------------
def _entry(question: str) -> Entry:
    return Entry(store_ops.new_id(), question, Answer(question, question, "答。", True, "extractive"))


def test_titles_are_whole_and_a_given_name_is_kept() -> None:
    long = "各地开发区如何推行“管委会+公司”模式，又怎样处理园区与属地政府的关系？"
    store = store_ops.save(store_ops.empty_store(), "c1", [_entry(long)])
    assert store["items"][0]["title"] == long  # the list cuts it at its own width, not at ~6 characters

    store = store_ops.rename(store, "c1", "  我的 改革笔记 ")
    assert store["items"][0]["title"] == "我的 改革笔记" and store["current"] == "c1"
    store = store_ops.save(store, "c1", [_entry(long), _entry("那衡阳呢？")])
    assert store["items"][0]["title"] == "我的 改革笔记"  # a later question keeps the name
    store = store_ops.rename(store, "c1", " ")
    assert store["items"][0]["title"] == long  # an empty name gives the first question back


# -- the warm start ---------------------------------------------------------------------------------
def test_serve_loads_the_model_and_index_before_the_port_opens(
    seed_index: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    import uvicorn

    from ui import app

    a = Assistant(seed_index)
    calls: list[str] = []
    real_ask = a.ask

    def ask(question: str, *args: Any, **kw: Any) -> Answer:
        calls.append(f"ask llm={kw.get('use_llm')}")
        return real_ask(question, *args, **kw)

    monkeypatch.setattr(a, "ask", ask)
    monkeypatch.setattr(uvicorn, "run", lambda *args, **kw: calls.append("port opens"))
    app.serve(a, port=0)
    # Answered (and its next questions checked, never by the LLM), then served.
    assert calls[-1] == "port opens" and calls[:-1] and set(calls[:-1]) == {"ask llm=False"}
    assert a.searcher.embedder is a.embedder  # the index was opened with the one embedder


def test_a_start_without_an_index_still_serves(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import uvicorn

    from ui import app

    opened: list[bool] = []
    monkeypatch.setattr(uvicorn, "run", lambda *args, **kw: opened.append(True))
    app.serve(Assistant(seed_copy_settings(tmp_path)), port=0)  # never ingested
    assert opened == [True]
