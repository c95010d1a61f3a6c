"""The HTTP API and the UI handlers over a real index of the seed reports (fake embedder)."""

from __future__ import annotations

import json
import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import gradio as gr
import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient
from settings_kit import hashed_settings

from assistant.answer_types import Turn
from assistant.facade import Assistant
from index.settings import Settings
from reformqa.cli import main
from ui.admin import NOT_SIGNED_IN
from ui.app import build_blocks, create_app
from ui.chat_tab import ChatHandlers
from ui.conversations import Entry
from ui.guard import upload_folder
from ui.library_tab import LibraryHandlers
from ui.search_tab import SearchHandlers

QUESTION = "天津高新区承接了多少项市级权力事项？"
UNANSWERABLE = "火星基地的氧气供应怎么解决？"
SEEDS = Path(__file__).resolve().parent.parent / "corpus"


def seed_copy_settings(root: Path, **kw: Any) -> Settings:
    """Settings over a private copy of the seed corpus under `root` (fake embedder)."""
    corpus = root / "corpus"
    if not corpus.exists():
        shutil.copytree(SEEDS, corpus)
    return hashed_settings(root, corpus, **kw)


@pytest.fixture(scope="module")
def assistant(seed_index: Settings) -> Assistant:
    """The session's seed index, for the read-only tests of this module."""
    return Assistant(seed_index)


@pytest.fixture(scope="module")
def client(assistant: Assistant) -> Iterator[TestClient]:
    with TestClient(create_app(assistant), raise_server_exceptions=False) as c:
        yield c


# -- HTTP API --------------------------------------------------------------------------------
def test_docs_lists_reports_with_chunk_counts(client: TestClient) -> None:
    r = client.get("/api/docs")
    assert r.status_code == 200
    docs = r.json()
    assert len(docs) == 5 and all(d["chunks"] > 0 for d in docs)
    assert {"doc_id", "title", "regions", "year", "source"} <= set(docs[0])


def test_ask_matches_the_cli_json(client: TestClient, assistant: Assistant, monkeypatch: pytest.MonkeyPatch) -> None:
    r = client.post("/api/ask", json={"question": QUESTION})
    assert r.status_code == 200
    body = r.json()
    assert body["grounded"] and body["citations"]
    monkeypatch.setenv("REFORMQA_EMBEDDING__MODEL", "hash:256")
    s = assistant.settings
    args = ["--data-dir", str(s.data_dir), "--corpus-dir", str(s.corpus_dir), "ask", QUESTION, "--json"]
    cli = CliRunner().invoke(main, args)
    assert cli.exit_code == 0, cli.output
    assert json.loads(cli.output) == body


def test_citation_spans_locate_quotes_in_the_report_text(client: TestClient, assistant: Assistant) -> None:
    body = client.post("/api/ask", json={"question": QUESTION}).json()
    for c in body["citations"]:
        _row, text, _chunks = assistant.show(c["doc_id"])
        assert text[c["start"] : c["end"]] == c["quote"]


def test_follow_up_takes_the_previous_response_as_history(client: TestClient) -> None:
    first = client.post("/api/ask", json={"question": QUESTION}).json()
    r = client.post("/api/ask", json={"question": "那衡阳呢？", "history": [first]})
    assert r.status_code == 200
    body = r.json()
    assert body["question"] == "那衡阳呢？" and body["resolved_question"] != body["question"]
    assert "衡阳" in body["resolved_question"]


def test_unanswerable_question_is_declined_with_related(client: TestClient) -> None:
    body = client.post("/api/ask", json={"question": UNANSWERABLE}).json()
    assert body["grounded"] is False and body["citations"] == []


def test_search_with_filters_matches_the_cli_shape(client: TestClient, assistant: Assistant) -> None:
    tianjin = next(d.doc_id for d in assistant.docs() if "天津" in d.meta.title)
    r = client.post("/api/search", json={"query": "市级权力事项", "k": 3, "reports": [tianjin[:6]]})
    assert r.status_code == 200
    body = r.json()
    assert body["query"] == "市级权力事项" and 1 <= len(body["results"]) <= 3
    first = body["results"][0]
    assert {r["doc_id"] for r in body["results"]} == {tianjin}
    assert {"rank", "section", "start", "end", "matched_terms", "text"} <= set(first)
    by_region = client.post("/api/search", json={"query": "管委会", "regions": ["湖南"]}).json()["results"]
    assert by_region and all(any("湖南" in g for g in hit["regions"]) for hit in by_region)


@pytest.mark.parametrize(
    ("path", "payload", "status", "needle"),
    [
        ("/api/search", {"query": "管委会", "reports": ["no-such-report"]}, 404, "no-such-report"),
        ("/api/ask", {"question": "问" * 2001}, 400, "limit is 2,000"),
        ("/api/search", {"query": "   "}, 400, "empty"),
        ("/api/ask", {"question": "？？"}, 400, "no words"),
        ("/api/ask", {"q": "x"}, 400, "question"),
        ("/api/search", {"query": "x", "k": 0}, 400, "k"),
    ],
)
def test_errors_are_json_with_status(client: TestClient, path: str, payload: Any, status: int, needle: str) -> None:
    r = client.post(path, json=payload)
    assert r.status_code == status
    body = r.json()
    assert body["ok"] is False and needle in body["error"]
    assert "Traceback" not in r.text


def test_invalid_json_body_is_a_400(client: TestClient) -> None:
    r = client.post("/api/ask", content=b"{not json", headers={"content-type": "application/json"})
    assert r.status_code == 400 and r.json()["ok"] is False


def test_unexpected_errors_never_leak_a_trace(
    client: TestClient, assistant: Assistant, monkeypatch: pytest.MonkeyPatch
) -> None:
    def boom(*args: object, **kwargs: object) -> None:
        raise RuntimeError("secret internals at /home/x")

    monkeypatch.setattr(assistant, "search", boom)
    r = client.post("/api/search", json={"query": "管委会"})
    assert r.status_code == 500
    assert r.json() == {"ok": False, "error": "internal error: see the server log"}


def test_missing_index_is_a_503(tmp_path: Path) -> None:
    empty = Assistant(seed_copy_settings(tmp_path))
    with TestClient(create_app(empty), raise_server_exceptions=False) as c:
        r = c.get("/api/docs")
    assert r.status_code == 503 and r.json()["ok"] is False


def test_gradio_app_is_served_at_the_root(client: TestClient) -> None:
    r = client.get("/")
    assert r.status_code == 200 and "text/html" in r.headers["content-type"]


# -- the UI without a browser ----------------------------------------------------------------
def _config(blocks: Any) -> str:
    return json.dumps(blocks.get_config_file(), ensure_ascii=False, default=str)


def test_library_is_read_only_without_an_admin_password(assistant: Assistant) -> None:
    config = _config(build_blocks(assistant))
    assert "资料库为只读" in config and "rq-password" not in config and "rq-upload" not in config


def test_admin_controls_exist_with_a_password(tmp_path: Path) -> None:
    a = Assistant(seed_copy_settings(tmp_path, admin_password="pw"))
    config = _config(build_blocks(a))
    assert "rq-password" in config and "rq-upload" in config and "资料库为只读" not in config


def _event(data: dict[str, Any]) -> gr.EventData:
    return gr.EventData(None, data)


def _ask(h: ChatHandlers, question: str, entries: list[Entry] | None = None, store: Any = None) -> tuple[Any, ...]:
    outs = list(h.respond(question, entries or [], "conv-1", store or {"current": "", "items": []}))
    assert len(outs) >= 2
    return outs[-1]  # type: ignore[no-any-return]


def test_chat_handler_streams_then_keeps_the_conversation_and_exports(assistant: Assistant) -> None:
    chat, entries, conv_id, store, convs, md_btn, docx_btn, _box = _ask(ChatHandlers(assistant), QUESTION)
    assert "参考来源" in chat and "class='rq-cite' data-cite='1' data-turn='0'" in chat
    assert len(entries) == 1 and isinstance(entries[0], Entry) and entries[0].question == QUESTION
    assert store["current"] == conv_id == "conv-1" and store["items"][0]["entries"][0]["question"] == QUESTION
    assert QUESTION[:10] in convs
    md = Path(md_btn["value"]).read_text(encoding="utf-8")
    assert "参考来源" in md and QUESTION in md and "extractive" not in md
    assert Path(docx_btn["value"]).suffix == ".docx"


def test_a_kept_conversation_is_restored_from_the_browser_store(assistant: Assistant) -> None:
    h = ChatHandlers(assistant)
    store = _ask(h, QUESTION)[3]
    chat, entries, conv_id, _convs, *_exports = h.restore(json.loads(json.dumps(store)))
    assert conv_id == "conv-1" and entries[0].answer.citations and QUESTION in chat
    # A new conversation keeps the old one in the list; deleting it removes it.
    fresh = h.new_conversation(store)
    assert fresh[1] == [] and fresh[2] != "conv-1" and QUESTION[:10] in fresh[4]
    deleted = h.conversation_action(_event({"delete": "conv-1"}), fresh[3], fresh[2], [])
    assert deleted[3]["items"] == [] and QUESTION[:10] not in deleted[4]


def test_a_tampered_store_is_dropped_not_rendered(assistant: Assistant) -> None:
    bad = {"current": "x", "items": [{"id": "x", "entries": [{"id": "e", "question": 1}, "junk"]}]}
    chat, entries, *_rest = ChatHandlers(assistant).restore(bad)
    assert entries == [] and "向报告提问" in chat


def test_chat_handler_shows_the_cited_passage(assistant: Assistant) -> None:
    h = ChatHandlers(assistant)
    entries = _ask(h, QUESTION)[1]
    html = h.show(_event({"turn": 0, "cite": 1}), entries)
    quote = entries[-1].answer.citations[0].quote
    assert f'<mark class="rq-hl">{quote}</mark>' in html and "清洗后文本第" in html
    assert "没有编号" in h.show(_event({"turn": 0, "cite": 99}), entries)


def test_chat_handler_reports_errors_in_the_conversation(assistant: Assistant) -> None:
    outs = list(ChatHandlers(assistant).respond("问" * 5000, [], "", {}))
    assert "问题太长" in outs[-1][0]


def test_feedback_is_stored_and_listed_by_the_cli(tmp_path: Path) -> None:
    a = Assistant(seed_copy_settings(tmp_path))
    a.ingest()
    h = ChatHandlers(a)
    entries = _ask(h, QUESTION)[1]
    out = h.feedback(_event({"entry": entries[0].id, "vote": "down", "comment": "数字不对"}), entries, "conv-1", {})
    assert out[1][0].vote == "down" and "rq-vote rq-on" in out[0]
    args = ["--data-dir", str(tmp_path / "data"), "--corpus-dir", str(tmp_path / "corpus"), "feedback"]
    listed = json.loads(CliRunner().invoke(main, [*args, "--json"]).output)
    assert len(listed) == 1 and listed[0]["vote"] == "down" and listed[0]["comment"] == "数字不对"
    assert listed[0]["question"] == QUESTION and listed[0]["citations"][0]["quote"]
    text = CliRunner().invoke(main, args).output
    assert "数字不对" in text and QUESTION in text
    # Voting again updates the same answer's row.
    h.feedback(_event({"entry": entries[0].id, "vote": "up", "comment": ""}), entries, "conv-1", {})
    assert [f.vote for f in a.feedback()] == ["up"]


def test_suggested_questions_are_answered_not_declined(assistant: Assistant) -> None:
    answer = assistant.ask(QUESTION, use_llm=False)
    suggested = assistant.suggest_questions(answer)
    assert 1 <= len(suggested) <= 3
    for q in suggested:
        reply = assistant.ask(q, [Turn(QUESTION, answer)], use_llm=False)
        assert reply.grounded and reply.citations, q
    assert assistant.suggest_questions(answer) == suggested  # cached
    declined = assistant.ask(UNANSWERABLE, use_llm=False)
    assert assistant.suggest_questions(declined) == []


def test_search_says_when_no_result_holds_a_query_word(assistant: Assistant) -> None:
    html = SearchHandlers(assistant).run("深圳前海 自贸区", [], [], [], 5)[0]
    assert "报告中没有找到“深圳前海”“自贸区”；以下结果只部分相关" in html
    assert "报告中没有找到" not in SearchHandlers(assistant).run("管委会 公司", [], [], [], 4)[0]


def test_search_handler_fills_results_and_exports(assistant: Assistant) -> None:
    html, csv_btn, md_btn, json_btn = SearchHandlers(assistant).run("管委会 公司", [], [], [], 4)
    assert html.count("class='rq-hit'") == 4 and "rq-term" in html
    assert [Path(b["value"]).suffix for b in (csv_btn, md_btn, json_btn)] == [".csv", ".md", ".json"]
    assert json.loads(Path(json_btn["value"]).read_text(encoding="utf-8"))["query"] == "管委会 公司"


def test_library_handlers_need_a_session(tmp_path: Path) -> None:
    a = Assistant(seed_copy_settings(tmp_path, admin_password="pw"))
    a.ingest()
    h = LibraryHandlers(a)
    staged = upload_folder() / f"test-ui-api-{time.time_ns()}"
    staged.mkdir(parents=True)
    upload = staged / "新报告.txt"
    upload.write_text("新区改革报告\n一、做法\n某新区推行极简审批改革，审批时限压缩一半。\n", encoding="utf-8")
    try:
        status, *_ = h.upload("forged.token", [str(upload)])
        assert NOT_SIGNED_IN in status and len(a.docs()) == 5 and upload.exists()

        token = h.gate.issue()
        status, notes, _files, timer = h.upload(token, [str(upload)])
        assert "已保存 1 个文件" in notes and timer.active
        assert (
            a.settings.data_dir / "corpus" / "新报告.txt"
        ).is_file()  # the data dir, not the checkout  # the tab polls while the worker ingests
        assert h.worker.wait(120).summary is not None
        status, _timer, runs = h.poll(notes)
        assert "索引已更新" in status and "新增 1" in status and runs == 1 and len(a.docs()) == 6
        new = next(d for d in a.docs() if d.rel.startswith("uploads/"))
        assert esc_free(new.meta.title) in h.table()

        status, *_ = h.remove(None, new.doc_id)
        assert NOT_SIGNED_IN in status and len(a.docs()) == 6
        status, _table, _pick = h.remove(token, new.doc_id)
        assert "已从索引中移除" in status and len(a.docs()) == 5
        assert new.rel == "uploads/新报告.txt" and not (a.settings.uploads / "新报告.txt").exists()
        assert len(a.ingest().added) == 0  # the file is gone, so it does not come back
    finally:
        shutil.rmtree(staged, ignore_errors=True)


def esc_free(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def test_history_turns_are_cut_to_the_question_cap_and_keep_their_citations() -> None:
    """A pasted 20,000-character history question costs no more than a question: it is read
    up to the question cap; the earlier answer's citations come through (for follow-ups)."""
    from ui.api import HISTORY_CITATIONS, HISTORY_TURN_CHARS, HistoryTurn

    turn = HistoryTurn.model_validate(
        {"question": "天津" * 9999, "answer": "x" * 50_000, "citations": [{"doc_id": f"00{i}"} for i in range(40)]}
    )
    assert len(turn.question) == HISTORY_TURN_CHARS and len(turn.answer) == HISTORY_TURN_CHARS
    assert len(turn.citations) == HISTORY_CITATIONS and turn.citations[0] == {"doc_id": "000"}


def test_the_page_reports_a_chinese_browser_language(client: TestClient) -> None:
    page = client.get("/")
    assert page.status_code == 200 and page.text.count("'zh-CN'") >= 1
    assert page.text.index("defineProperty(navigator") < page.text.index("<meta")  # before Gradio's scripts
    assert int(page.headers["content-length"]) == len(page.content)
    assert "defineProperty" not in client.get("/api/docs").text
