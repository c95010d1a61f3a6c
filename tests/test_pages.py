"""Pages end to end: page starts carried from the loaded text onto the cleaned text, into
chunks, the manifest (with a migration of older databases), search, answers and the CLI."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from cli_run import run_cli
from pdf_draw import Page, draw_docs, need_font
from settings_kit import hashed_settings

from index.cleaning import clean_text
from index.pages import chunk_pages, map_page_starts, page_at
from index.settings import Settings
from index.statedb import StateDB
from index.types import Chunk


def _pages(*texts: str) -> tuple[str, tuple[int, ...]]:
    starts, at = [], 0
    for t in texts:
        starts.append(at)
        at += len(t) + 1
    return "\n".join(texts), tuple(starts)


# -- mapping page starts onto the cleaned text ------------------------------------------------
def test_page_starts_follow_the_text_when_whitespace_changes() -> None:
    raw, starts = _pages("第一页的正文，  写了一些内容。", "第二页  接着写，\t内容继续。", "第三页的正文。")
    cleaned = "第一页的正文， 写了一些内容。\n第二页 接着写， 内容继续。\n第三页的正文。"
    got = map_page_starts(raw, cleaned, starts)
    assert [cleaned[s : s + 3] for s in got] == ["第一页", "第二页", "第三页"]


def test_a_page_whose_first_line_was_dropped_starts_at_what_remains() -> None:
    raw, starts = _pages(
        "正文第一页，讲的是管理体制。", "来源：某某网站 责任编辑：张三\n第二页讲的是薪酬制度改革。", "第三页讲考核。"
    )
    cleaned = "正文第一页，讲的是管理体制。\n第二页讲的是薪酬制度改革。\n第三页讲考核。"
    got = map_page_starts(raw, cleaned, starts)
    assert cleaned[got[1] :].startswith("第二页讲的是薪酬")
    assert cleaned[got[2] :].startswith("第三页讲考核")


def test_a_page_that_was_all_header_starts_where_the_next_page_starts() -> None:
    raw, starts = _pages("第一页的正文内容写在这里。", "版权所有 ©2024 某某网", "第三页的正文内容写在这里。")
    cleaned = "第一页的正文内容写在这里。\n第三页的正文内容写在这里。"
    got = map_page_starts(raw, cleaned, starts)
    assert got[1] == got[2] == cleaned.index("第三页")
    assert page_at(got, got[2]) == 3  # of two pages starting at one offset, the one holding the text


def test_page_starts_survive_the_real_cleaner() -> None:
    body = [
        "开发区管理体制改革的第一部分内容。" * 3,
        "第二部分讲的是人事制度和薪酬制度的改革。" * 3,
        "第三部分讲考核。" * 4,
    ]
    raw, starts = _pages(*(f"{b}\n\n\n   " for b in body))
    cleaned = clean_text(raw).text
    got = map_page_starts(raw, cleaned, starts)
    assert [cleaned[s : s + 4] for s in got] == ["开发区管", "第二部分", "第三部分"]
    assert list(got) == sorted(got) and got[0] == 0


def test_no_pages_without_page_starts() -> None:
    assert map_page_starts("文本", "文本", ()) == ()
    assert page_at((), 5) is None
    assert chunk_pages((), 0, 10) == ()


def test_a_chunk_tells_the_page_of_any_offset_inside_it() -> None:
    starts = (0, 100, 250, 250, 400)  # page 4 is empty: page 3 and 4 start together
    pages = chunk_pages(starts, 80, 300)
    assert pages == ((80, 1), (100, 2), (250, 4))
    chunk = Chunk("id", "d", 0, "x" * 220, "x" * 220, (), 80, 300, 1, pages=pages)
    assert (chunk.page, chunk.last_page) == (1, 4)
    assert [chunk.page_at(o) for o in (80, 99, 100, 249, 250, 299)] == [1, 1, 2, 2, 4, 4]


# -- the manifest ---------------------------------------------------------------------------
_OLD_SCHEMA = """
CREATE TABLE docs (doc_id TEXT PRIMARY KEY, rel TEXT NOT NULL, sha256 TEXT NOT NULL,
    content_hash TEXT NOT NULL, meta TEXT NOT NULL, text TEXT NOT NULL, norm TEXT NOT NULL,
    notes TEXT NOT NULL, n_chunks INTEGER NOT NULL);
CREATE TABLE chunks (id TEXT PRIMARY KEY, doc_id TEXT NOT NULL, seq INTEGER NOT NULL, start INTEGER NOT NULL,
    "end" INTEGER NOT NULL, section TEXT NOT NULL, n_tokens INTEGER NOT NULL,
    text TEXT NOT NULL, norm TEXT NOT NULL, tokens TEXT NOT NULL, kw_row INTEGER NOT NULL);
"""


def test_a_manifest_from_before_pages_is_migrated_and_reads_as_without_pages(tmp_path: Path) -> None:
    path = tmp_path / "state.sqlite"
    conn = sqlite3.connect(path)
    conn.executescript(_OLD_SCHEMA)
    meta = json.dumps({"title": "报告", "regions": [], "year": None, "kind": "", "script": "", "source_site": ""})
    conn.execute("INSERT INTO docs VALUES ('d','d.txt','s','h',?,'正文。','正文。','[]',1)", (meta,))
    conn.execute("INSERT INTO chunks VALUES ('c','d',0,0,3,'[]',2,'正文。','正文。','正文',0)")
    conn.commit()
    conn.close()
    db = StateDB(path)
    (doc,) = db.docs()
    assert (doc.page_starts, doc.ocr_pages) == ((), ())
    (record,) = db.doc_chunks("d")
    assert (record.chunk.pages, record.chunk.page) == ((), None)
    db.close()


# -- through the CLI ------------------------------------------------------------------------
FACT = "天津高新区把干部人员工资划分为基本收入和评价收入两部分，基本收入按月发放。"


def _report() -> list[Page]:
    """Three pages; the fact sits on page 3, under a running header and "— N —" numbers."""
    pages = []
    fillers = [
        "开发区管理体制改革的背景是园区数量多、规模小、管理分散，需要整合资源，提高行政效率，这是第一页的正文。",
        "改革的主要做法包括精简机构、下放权限、实行聘用制和绩效考核，各地根据实际情况推进，这是第二页的正文。",
    ]
    for n, text in enumerate([*fillers, FACT], 1):
        page = Page().text(200, 40, "开发区改革研究报告汇编", 9).text(290, 800, f"— {n} —")
        page.paragraph(72, 100, text, per_line=30)
        pages.append(page)
    return pages


@pytest.fixture
def paged_settings(tmp_path: Path) -> Settings:
    need_font()
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "report.pdf").write_bytes(draw_docs({"report": _report()})["report"])
    return hashed_settings(tmp_path, corpus)


def test_search_ask_show_and_docs_give_the_page(paged_settings: Settings) -> None:
    code, out = run_cli(paged_settings, "ingest", "--quiet")
    assert code == 0, out
    code, out = run_cli(paged_settings, "search", "干部人员工资划分为基本收入和评价收入", "--json")
    assert code == 0, out
    top = json.loads(out)["results"][0]
    assert FACT[:10] in top["text"] and top["page"] is not None and top["page"] <= 3 <= top["last_page"]
    code, out = run_cli(paged_settings, "ask", "天津高新区干部工资分为哪两部分?", "--json")
    assert code == 0, out
    cites = json.loads(out)["citations"]
    quoting = [c for c in cites if "基本收入" in c["quote"]]
    assert quoting and all(c["page"] == 3 for c in quoting)
    code, out = run_cli(paged_settings, "ask", "天津高新区干部工资分为哪两部分?")
    assert code == 0 and ", p. 3)" in out
    code, out = run_cli(paged_settings, "show", "report", "--chunks", "--json")
    assert code == 0
    shown = json.loads(out)
    assert "开发区改革研究报告汇编" not in shown["text"] and "— 2 —" not in shown["text"]
    assert shown["chunks"][0]["page"] == 1 and shown["chunks"][-1]["last_page"] == 3
    code, out = run_cli(paged_settings, "docs", "--json")
    assert json.loads(out)[0]["pages"] == 3 and json.loads(out)[0]["ocr_pages"] == []
