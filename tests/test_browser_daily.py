"""Issue 20's web app items in a real Chromium, desktop (1366×900) and phone (390×844): what a
daily user hits in the library, the search, the chat on a phone, the conversation list, the
toasts and the exports. Uses the server of tests/test_browser.py (fake embedder, seed corpus
plus a hostile report, an admin password); each test is one page load with its checks grouped.
"""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from test_browser import PASSWORD, QUESTION, Page, browser, server  # noqa: F401 (fixtures)
from test_browser_chat import COMPARE, _english, _page, phone  # noqa: F401 (fixture)

from index.loaders import SUPPORTED_SUFFIXES

pytestmark = pytest.mark.browser

DESKTOP: dict[str, Any] = {"width": 1366, "height": 900}
REPORT = "极简审批新区改革报告\n一、做法\n某新区推行极简审批改革，企业开办的审批时限压缩到一个工作日。\n"
REPORT_QUESTION = "某新区企业开办的审批时限压缩到多少？"


@pytest.fixture
def desktop(browser: Any, server: str) -> Iterator[Page]:  # noqa: F811
    yield from _page(browser, server, DESKTOP)


def _sign_in(page: Page) -> None:
    pg = page.page
    pg.wait_for_timeout(1200)  # another test's wrong password may still hold the one-second back-off
    page.tab("资料库")
    pg.fill("#rq-password input", PASSWORD)
    pg.click("#rq-login")
    pg.wait_for_selector("#rq-signed-in :text('退出登录')")


def _box(page: Page, selector: str) -> dict[str, float]:
    box = page.page.locator(selector).first.bounding_box()
    assert box is not None, f"{selector} is not shown"
    return dict(box)


# -- library: refused types, who is signed in, sign-out, a fresh form per file --------------------
def test_library_refuses_a_program_in_chinese_shows_the_session_and_signs_out(desktop: Page, tmp_path: Path) -> None:
    pg = desktop.page
    page_access = pg.locator("#rq-access")
    _sign_in(desktop)
    # Signed in: who, and a way out; no password box and no "enter the password first".
    assert "管理员" in pg.locator("#rq-signed-in").inner_text()
    assert not pg.locator("#rq-password").is_visible() and not page_access.is_visible()

    program = tmp_path / "setup.exe"
    program.write_bytes(b"MZ\x90\x00" + b"\x00" * 64)
    pg.set_input_files("#rq-upload input[type=file]", str(program))
    status = pg.locator("#rq-admin-status")
    status.get_by_text("不能上传 setup.exe").wait_for()
    # The accepted types come from the index's one list (index.loaders.SUPPORTED_SUFFIXES).
    assert all(t in status.inner_text() for t in (".pdf", ".docx", ".txt"))
    assert "setup.exe" not in pg.locator("#rq-upload").inner_text()  # refused, not kept for the upload
    assert pg.locator("[data-testid='toast-body'], .toast-title.error").count() == 0  # no English toast
    assert "Invalid" not in pg.evaluate("document.body.innerText")
    accepted = {suffix.lstrip(".") for suffix in SUPPORTED_SUFFIXES}
    assert _english(desktop) <= {"setup", "exe"} | accepted  # the file's name and the accepted types only

    pg.reload()  # the session outlives the page: still signed in
    desktop.tab("资料库")
    pg.wait_for_selector("#rq-signed-in :text('退出登录')")
    pg.click("#rq-logout")
    status.get_by_text("已退出登录").wait_for()
    assert pg.locator("#rq-password").is_visible() and page_access.is_visible()
    assert not pg.locator("#rq-admin-panel").is_visible()
    assert not [c for c in desktop.context.cookies() if c["name"] == "rq_admin"]


def test_a_citation_to_a_deleted_report_says_so_in_chinese(desktop: Page, tmp_path: Path) -> None:
    pg = desktop.page
    _sign_in(desktop)
    upload = tmp_path / "极简审批新区报告.txt"
    upload.write_text(REPORT, encoding="utf-8")
    pg.set_input_files("#rq-upload input[type=file]", str(upload))
    pg.wait_for_selector("#rq-upload :text('极简审批新区报告.txt')")
    pg.click("#rq-upload-btn")
    pg.locator("#rq-library tr", has_text="极简审批新区改革报告").wait_for()

    desktop.tab("问答")
    desktop.ask(REPORT_QUESTION)
    cite = pg.locator("#rq-chatbot .rq-bot").last.locator(".rq-refs button.rq-cite").first
    assert "极简审批" in pg.locator("#rq-chatbot .rq-bot").last.locator(".rq-refs").inner_text()

    desktop.tab("资料库")
    desktop.choose("rq-remove-pick", "极简审批新区改革报告")
    pg.click("#rq-remove")
    pg.click("#rq-confirm-delete")
    pg.wait_for_selector("#rq-admin-status :text('已从索引中移除')")

    desktop.tab("问答")
    cite.click()
    view = pg.locator("#rq-source-view")
    view.get_by_text("该报告已被删除或尚未索引").wait_for()
    assert "极简审批新区改革报告" in view.inner_text()  # which source it was
    assert "reformqa" not in view.inner_text() and "not in the index" not in view.inner_text()


# -- search: per-section places, filters that search again, citable results, recorded exports -----
def _results(page: Page) -> str:
    return str(page.page.locator("#rq-results").inner_text())


def test_search_filters_by_the_place_of_each_excerpt_and_searches_again(desktop: Page) -> None:
    pg = desktop.page
    desktop.tab("检索")
    desktop.choose("rq-k", "20")
    pg.fill("#rq-query textarea", "园区管理体制改革 招商")
    pg.click("#rq-search")
    pg.wait_for_selector("#rq-results .rq-hit")
    unfiltered = _results(desktop)
    # Without a filter the case collection's 绵阳 sections are found (the report also covers 衡阳).
    assert any("绵阳" in s for s in pg.locator("#rq-results .rq-sec").all_inner_texts())

    desktop.choose("rq-filter-regions", "湖南省")  # no click on 检索: the filter searches again
    pg.wait_for_function("t => document.querySelector('#rq-results').innerText !== t", arg=unfiltered)
    pg.wait_for_selector("#rq-results .rq-hit")
    hits = pg.locator("#rq-results .rq-hit")
    for i in range(hits.count()):
        # Each excerpt is 湖南's: a section under a heading naming another place is not.
        where = hits.nth(i).locator(".rq-hit-where").inner_text()
        section = hits.nth(i).locator(".rq-sec").all_inner_texts()
        assert "湖南" in where and not any("绵阳" in t or "四川" in t for t in section), where
    # Where to cite each result from: file and span always; year and source site where known.
    assert all("清洗后文本第" in t for t in pg.locator("#rq-results .rq-loc").all_inner_texts())

    with desktop.download("#rq-export-csv").open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == hits.count() and rows[0]["query"] == "园区管理体制改革 招商"
    assert rows[0]["filters"] == "地区：湖南省" and re.match(r"\d{4}-\d\d-\d\dT\d\d:\d\d", rows[0]["exported_at"])
    body = json.loads(desktop.download("#rq-export-json").read_text(encoding="utf-8"))
    assert body["filters"]["regions"] == ["湖南省"] and body["exported_at"] and len(body["results"]) == len(rows)
    md = desktop.download("#rq-export-md").read_text(encoding="utf-8")
    assert "筛选：地区：湖南省" in md and "导出时间：" in md

    desktop.choose("rq-filter-years", "2020")  # another filter: searched again, now 湖南 and 2020
    pg.wait_for_selector("#rq-results .rq-empty:has-text('没有找到')")
    pg.locator("#rq-filter-regions .token .token-remove").first.click()
    pg.wait_for_selector("#rq-results .rq-hit")
    dated = pg.locator("#rq-results .rq-loc").all_inner_texts()
    assert dated and all("2020年" in t for t in dated)  # the report's date, in its location line


# -- the chat on a phone ---------------------------------------------------------------------------
def test_on_a_phone_a_new_answer_comes_into_view_under_a_pinned_input(phone: Page) -> None:  # noqa: F811
    pg = phone.page
    height = 844
    ask = _box(phone, "#rq-ask-row")
    assert abs(ask["y"] + ask["height"] - height) <= 1, "the question box is not at the bottom of the screen"
    phone.ask(QUESTION)
    phone.ask(COMPARE)
    pg.wait_for_timeout(300)
    ask = _box(phone, "#rq-ask-row")
    assert abs(ask["y"] + ask["height"] - height) <= 1 and ask["height"] < 160
    question = _box(phone, "#rq-chatbot .rq-user >> nth=-1")
    answer = _box(phone, "#rq-chatbot .rq-bot >> nth=-1")
    assert question["y"] >= 0, "the new question scrolled past the top"
    assert answer["y"] + 40 <= ask["y"], "the new answer is below the question box, out of view"

    # A long answer's sources are one line (“参考来源 (n)”) until opened; [n] still shows each quote.
    refs = pg.locator("#rq-chatbot .rq-bot").last.locator("details.rq-refs")
    assert refs.get_attribute("open") is None and not refs.locator(".rq-sources").is_visible()
    assert re.fullmatch(r"参考来源 \(\d+\)", refs.locator("summary").inner_text().strip())
    refs.locator("summary").tap()
    assert refs.locator(".rq-sources").is_visible()
    pg.evaluate("window.scrollTo(0, 0)")
    ask = _box(phone, "#rq-ask-row")
    assert abs(ask["y"] + ask["height"] - height) <= 1  # pinned at any scroll position
    assert pg.evaluate("document.documentElement.scrollWidth") <= 390


def test_on_a_phone_search_filters_and_the_library_show_every_field(phone: Page, tmp_path: Path) -> None:  # noqa: F811
    pg = phone.page
    phone.tab("检索")
    pg.fill("#rq-query textarea", "园区管理体制改革")
    pg.click("#rq-search")
    pg.wait_for_selector("#rq-results .rq-hit")
    before = _results(phone)
    phone.choose("rq-filter-regions", "四川省")  # searches again by itself
    pg.wait_for_function("t => document.querySelector('#rq-results').innerText !== t", arg=before)
    places = pg.locator("#rq-results .rq-hit-where").all_inner_texts()
    assert places and all("四川" in t for t in places)
    for loc in pg.locator("#rq-results .rq-loc").all():
        box = loc.bounding_box()
        assert box is not None and box["x"] + box["width"] <= 390  # the location line wraps on the screen

    phone.tab("资料库")
    pg.wait_for_selector("#rq-library table")
    rows = pg.locator("#rq-library tbody tr")
    assert rows.count() >= 5
    for i in range(rows.count()):
        cells = rows.nth(i).locator("td")
        assert cells.count() == 7
        for j in range(7):
            box = cells.nth(j).bounding_box()
            assert box is not None and box["width"] > 0 and box["x"] >= 0 and box["x"] + box["width"] <= 390, (i, j)
    labels = rows.first.evaluate(
        "r => [...r.querySelectorAll('td')].map(td => getComputedStyle(td, '::before').content)"
    )
    assert '"段落数"' in labels and '"年份"' in labels  # each field is labelled on its card
    assert pg.evaluate("document.documentElement.scrollWidth") <= 390

    _sign_in(phone)
    logout = _box(phone, "#rq-logout")
    assert logout["x"] + logout["width"] <= 390
    program = tmp_path / "setup.exe"
    program.write_bytes(b"MZ\x90\x00")
    pg.set_input_files("#rq-upload input[type=file]", str(program))
    pg.wait_for_selector("#rq-admin-status :text('不能上传 setup.exe')")
    pg.locator("#rq-logout").tap()
    pg.wait_for_selector("#rq-admin-status :text('已退出登录')")


# -- sources, feedback and toasts on a desktop ------------------------------------------------------
def test_on_a_desktop_sources_are_open_feedback_is_inline_and_toasts_stay_off_the_source(desktop: Page) -> None:
    pg = desktop.page
    desktop.ask(QUESTION)
    bot = pg.locator("#rq-chatbot .rq-bot").last
    assert bot.locator("details.rq-refs").get_attribute("open") is not None
    bot.locator(".rq-refs button.rq-cite").first.click()
    pg.wait_for_selector("#rq-source-view mark.rq-hl")

    pg.locator("#rq-chatbot button.rq-vote[data-vote='up']").last.click()
    pg.wait_for_selector("#rq-chatbot .rq-voted")
    pg.locator("#rq-chatbot button.rq-vote[data-vote='down']").last.click()
    pg.wait_for_selector("#rq-chatbot button.rq-vote.rq-on[data-vote='down']")
    pg.wait_for_timeout(500)
    assert pg.locator("[data-testid='toast-body']").count() == 0  # votes are confirmed beside the buttons
    # The reader's choice for an answer's sources survives re-renders (a vote re-renders the chat).
    bot.locator("details.rq-refs summary").click()
    pg.locator("#rq-chatbot button.rq-vote[data-vote='up']").last.click()
    pg.wait_for_selector("#rq-chatbot button.rq-vote.rq-on[data-vote='up']")
    assert pg.locator("#rq-chatbot .rq-bot").last.locator("details.rq-refs").get_attribute("open") is None

    for _ in range(3):
        pg.click("#rq-send")  # an empty question: a warning toast, each time
        pg.wait_for_timeout(150)
    pg.wait_for_selector("[data-testid='toast-body']")
    shown = [b for b in pg.locator(".toast-item").all() if b.is_visible()]
    assert len(shown) == 1, "toasts stack up"
    toast = shown[0].bounding_box()
    source = _box(desktop, "#rq-source-col")
    assert toast is not None and toast["x"] + toast["width"] <= source["x"], "the toast covers the source view"


# -- the conversation list --------------------------------------------------------------------------
@pytest.mark.parametrize("size", ["desktop", "phone"])
def test_conversations_show_whole_titles_rename_and_delete_after_asking(
    size: str, request: pytest.FixtureRequest
) -> None:
    page: Page = request.getfixturevalue(size)
    pg = page.page
    on_phone = size == "phone"

    def press(selector: str) -> None:
        loc = pg.locator(selector).first
        loc.tap() if on_phone else loc.click()

    page.ask(COMPARE)
    title = pg.locator("#rq-convs .rq-conv-open").first
    assert title.get_attribute("title") == COMPARE  # the whole question in the tooltip
    width, full, font = title.evaluate("b => [b.clientWidth, b.scrollWidth, parseFloat(getComputedStyle(b).fontSize)]")
    assert width >= 9 * font, f"the title shows fewer than nine characters ({width}px)"
    assert full <= width or title.evaluate("b => getComputedStyle(b).textOverflow") == "ellipsis"

    press("#rq-convs .rq-conv-rename")
    pg.fill("#rq-convs input.rq-conv-name", "我的改革笔记")
    pg.press("#rq-convs input.rq-conv-name", "Enter")
    pg.wait_for_selector("#rq-convs .rq-conv-open:text-is('我的改革笔记')")
    page.ask(QUESTION)  # a later question keeps the name given
    asked = _box(page, "#rq-chatbot .rq-user >> nth=-1")
    height = 844 if on_phone else 900
    assert 0 <= asked["y"] <= height - 150, "the new question is not in view"
    pg.reload()
    page.wait_answer(QUESTION)
    assert pg.locator("#rq-convs .rq-conv-open").first.inner_text() == "我的改革笔记"

    press("#rq-convs .rq-conv-del")
    ask = pg.locator("#rq-convs .rq-conv-ask")
    assert "我的改革笔记" in ask.inner_text()  # asks first, naming the conversation
    press("#rq-convs button.rq-conv-cancel")
    assert pg.locator("#rq-convs .rq-conv-open").first.inner_text() == "我的改革笔记"
    press("#rq-convs .rq-conv-del")
    press("#rq-convs button.rq-conv-confirm")
    pg.wait_for_selector("#rq-chatbot .rq-welcome")
    assert pg.locator("#rq-convs .rq-conv").count() == 0


# -- exports ----------------------------------------------------------------------------------------
def test_the_word_export_keeps_each_quotes_file_and_position_like_the_markdown(desktop: Page) -> None:
    import docx

    desktop.ask(QUESTION)
    desktop.page.wait_for_selector("#rq-export-docx:not([disabled])")
    md = desktop.download("#rq-export-answer").read_text(encoding="utf-8")
    heads = [line[2:] for line in md.splitlines() if re.match(r"- \[\d+\] 《", line)]
    assert heads and all("清洗后文本第" in h and ".txt" in h for h in heads)
    word = "\n".join(p.text for p in docx.Document(str(desktop.download("#rq-export-docx"))).paragraphs)
    for head in heads:
        assert head.replace("\\", "") in word, head  # the same source line, file and span included
