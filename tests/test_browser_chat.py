"""Issue 13 in a real Chromium, desktop (1440×900) and phone (390×844): inline citations,
comparison layout, kept conversations, feedback, suggested questions, search honesty and
Chinese-only screens. Uses the server of tests/test_browser.py (fake embedder, seed corpus).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import pytest
from test_browser import DATA_DIRS, QUESTION, REPO, XSS_REPORT, Page, browser, server  # noqa: F401 (fixtures)

pytestmark = pytest.mark.browser

COMPARE = "各地开发区如何推行“管委会+公司”模式？"
ABSENT = "深圳前海 自贸区"
DESKTOP: dict[str, Any] = {"width": 1440, "height": 900}
PHONE: dict[str, Any] = {"width": 390, "height": 844, "phone": True}
# Words that may show: product and format names, and anything the reports themselves contain
# (ids, file names, source sites, "GDP" in a quoted passage).
ALLOWED = {"ReformQA", "CSV", "JSON", "Markdown", "docx", "pdf", "txt", "html"}


def _page(browser: Any, server: str, size: dict[str, Any]) -> Iterator[Page]:  # noqa: F811
    p = Page(browser, server, **size)
    yield p
    assert p.dialogs == []
    p.context.close()


@pytest.fixture
def desktop(browser: Any, server: str) -> Iterator[Page]:  # noqa: F811
    yield from _page(browser, server, DESKTOP)


@pytest.fixture
def english_browser(browser: Any, server: str) -> Iterator[Page]:  # noqa: F811
    """A desktop browser set to English: Gradio's own strings must still be Chinese."""
    yield from _page(browser, server, {**DESKTOP, "locale": "en-US"})


@pytest.fixture
def phone(browser: Any, server: str) -> Iterator[Page]:  # noqa: F811
    yield from _page(browser, server, PHONE)


def _report_words() -> set[str]:
    words = set(re.findall(r"[A-Za-z]{3,}", "xss_report.txt" + XSS_REPORT))  # the server's hostile report
    for path in (REPO / "corpus").iterdir():
        words |= set(re.findall(r"[A-Za-z]{3,}", path.name + path.read_text(encoding="utf-8", errors="replace")))
    return words


def _english(page: Page) -> set[str]:
    text = page.page.evaluate("document.body.innerText")
    tips = page.page.evaluate(
        "[...document.querySelectorAll('[title], [placeholder]')].filter(e => e.offsetParent !== null)"
        ".map(e => (e.getAttribute('title') || '') + ' ' + (e.getAttribute('placeholder') || '')).join(' ')"
    )
    found = set(re.findall(r"[A-Za-z]{3,}", f"{text} {tips}"))
    return found - ALLOWED - _report_words()


def _ask_starter(page: Page, question: str = QUESTION) -> None:
    page.page.locator("#rq-chatbot button.rq-suggest").get_by_text(question, exact=True).click()
    page.wait_answer(question)


# -- 1. citations in the text -----------------------------------------------------------------
def test_hovering_and_clicking_a_marker_in_the_text_opens_its_quote(desktop: Page) -> None:
    pg = desktop.page
    _ask_starter(desktop)
    marker = pg.locator("#rq-chatbot .rq-text .rq-cite-wrap").last
    n = marker.locator("button.rq-cite").get_attribute("data-cite")
    marker.locator("button.rq-cite").hover()
    pop = marker.locator(".rq-pop")
    assert pop.is_visible() and "《" in pop.inner_text()
    quote = pop.locator(".rq-pop-quote").inner_text().strip('“”"…')
    marker.locator("button.rq-cite").click()
    mark = pg.wait_for_selector(f"#rq-source-view .rq-source[data-cite='{n}'] mark.rq-hl")
    assert mark is not None and "".join(mark.inner_text().split()).startswith("".join(quote.split())[:40])
    assert pg.locator("#rq-chatbot .rq-bot").last.locator(".rq-refs").count() == 1  # one list of sources
    assert "清洗后文本第" in pg.locator("#rq-source-view").inner_text()


def test_on_a_phone_a_tap_shows_the_quote_and_the_source_opens_over_the_chat(phone: Page) -> None:
    pg = phone.page
    _ask_starter(phone)
    assert not pg.locator("#rq-source-view").is_visible()  # no source view far below the chat
    wrap = pg.locator("#rq-chatbot .rq-text .rq-cite-wrap").first
    wrap.locator("button.rq-cite").tap()
    assert wrap.locator(".rq-pop").is_visible()
    wrap.locator("button.rq-open-source").tap()
    drawer = pg.wait_for_selector("#rq-source-view .rq-drawer-open mark.rq-hl")
    assert drawer is not None
    box = pg.locator("#rq-source-view .rq-drawer-open").bounding_box()
    assert box is not None and box["y"] >= 0 and box["y"] + box["height"] <= 844 + 1  # within the screen
    pg.locator("#rq-source-view button.rq-close").tap()
    assert not pg.locator("#rq-source-view .rq-drawer-open").count()


# -- 2. answer layout ---------------------------------------------------------------------------
def test_comparison_is_a_wide_text_table_on_desktop(desktop: Page) -> None:
    _ask_starter(desktop, COMPARE)
    table = desktop.page.locator("#rq-chatbot table.rq-comparison").last
    width = table.bounding_box()["width"]  # type: ignore[index]
    text_col = table.locator("tbody tr td.rq-row-text").first.bounding_box()["width"]  # type: ignore[index]
    assert text_col >= 0.6 * width


def test_comparison_is_cards_on_a_phone(phone: Page) -> None:
    _ask_starter(phone, COMPARE)
    row = phone.page.locator("#rq-chatbot table.rq-comparison tr.rq-place-row").first
    assert row.evaluate("e => getComputedStyle(e).display") == "block"
    assert not phone.page.locator("#rq-chatbot table.rq-comparison thead").is_visible()
    text = row.locator("td.rq-row-text").bounding_box()
    # The text spans the card (the page's own margins aside), not a squeezed column of 4–5 characters.
    assert text is not None and text["width"] >= 0.6 * 390


def test_copy_gives_clean_text_with_markers_and_sources(desktop: Page) -> None:
    desktop.context.grant_permissions(["clipboard-read", "clipboard-write"])
    _ask_starter(desktop)
    desktop.page.locator("#rq-chatbot .rq-bot button.rq-copy").last.click()
    copied = desktop.page.evaluate("navigator.clipboard.readText()")
    assert "[1]" in copied and "参考来源：" in copied and "\\[" not in copied and "**" not in copied


# -- 3. conversations kept ------------------------------------------------------------------------
def test_a_conversation_survives_reload_and_can_be_deleted(desktop: Page) -> None:
    pg = desktop.page
    _ask_starter(desktop)
    pg.reload()
    desktop.wait_answer(QUESTION)  # restored from localStorage
    assert pg.locator("#rq-convs .rq-conv").count() == 1
    pg.click("#rq-new")
    pg.wait_for_selector("#rq-chatbot .rq-welcome")
    assert pg.locator("#rq-convs .rq-conv").count() == 1
    pg.click("#rq-convs .rq-conv-open")
    desktop.wait_answer(QUESTION)
    pg.click("#rq-convs .rq-conv-del")
    pg.click("#rq-convs .rq-conv-confirm")  # deleting asks first
    pg.wait_for_selector("#rq-chatbot .rq-welcome")
    assert pg.locator("#rq-convs .rq-conv").count() == 0
    pg.reload()
    pg.wait_for_selector("#rq-chatbot .rq-welcome")
    assert pg.locator("#rq-convs .rq-conv").count() == 0


# -- 4. feedback ----------------------------------------------------------------------------------
def test_feedback_is_stored_and_listed_by_the_cli(desktop: Page, server: str) -> None:  # noqa: F811
    pg = desktop.page
    _ask_starter(desktop)
    pg.locator("#rq-chatbot button.rq-vote[data-vote='down']").last.click()
    pg.wait_for_selector("#rq-chatbot button.rq-vote.rq-on[data-vote='down']")
    pg.fill("#rq-chatbot .rq-comment-input", "数字不对")
    pg.click("#rq-chatbot button.rq-comment-send")
    pg.wait_for_selector("#rq-chatbot .rq-thanks")
    env = {**os.environ, "REFORMQA_EMBEDDING__MODEL": "hash:256"}
    cmd = [sys.executable, "-m", "reformqa", "--data-dir", str(DATA_DIRS[server]), "feedback", "--json"]
    out = subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, text=True, check=True).stdout
    rows = [r for r in json.loads(out) if r["comment"] == "数字不对"]
    assert rows and rows[0]["vote"] == "down" and rows[0]["question"] == QUESTION and rows[0]["citations"]


# -- 5. next questions ----------------------------------------------------------------------------
def test_each_suggested_question_is_answered(desktop: Page) -> None:
    pg = desktop.page
    _ask_starter(desktop)
    chips = pg.locator("#rq-chatbot .rq-bot").last.locator(".rq-next button.rq-suggest")
    pg.wait_for_selector("#rq-chatbot .rq-bot[data-turn='0'] .rq-next:has-text('接着问')")
    suggested = chips.all_inner_texts()
    assert 2 <= len(suggested) <= 3
    for q in suggested:
        pg.click("#rq-new")
        pg.wait_for_selector("#rq-chatbot .rq-welcome")
        _ask_starter(desktop)
        pg.locator("#rq-chatbot .rq-bot[data-turn='0'] button.rq-suggest").get_by_text(q, exact=True).click()
        pg.wait_for_selector("#rq-chatbot .rq-bot[data-turn='1'] .rq-answer")
        assert pg.locator("#rq-chatbot .rq-bot[data-turn='1'] .rq-is-declined").count() == 0, q
        assert pg.locator("#rq-chatbot .rq-bot[data-turn='1'] .rq-text button.rq-cite").count() >= 1, q
    assert pg.locator("#rq-chatbot .rq-bot[data-turn='1'] .rq-next button.rq-suggest").count() >= 1


# -- 6. search honesty ----------------------------------------------------------------------------
def test_an_absent_topic_search_says_so(desktop: Page) -> None:
    pg = desktop.page
    desktop.tab("检索")
    pg.fill("#rq-query textarea", ABSENT)
    pg.click("#rq-search")
    pg.wait_for_selector("#rq-results .rq-hit")
    notice = pg.locator("#rq-results .rq-warn").first.inner_text()
    assert "报告中没有找到“深圳前海”" in notice and "以下结果只部分相关" in notice
    assert "清洗后文本第" in pg.locator("#rq-results .rq-hit").first.inner_text()
    pg.click("#rq-filter-regions input")
    options = pg.locator("ul[role='listbox'] li").all_inner_texts()
    assert any(o.strip() == "湖南省" for o in options) and any("› 衡阳市" in o for o in options)


# -- 9. Chinese everywhere ------------------------------------------------------------------------
@pytest.mark.parametrize("size", ["desktop", "phone", "english_browser"])
def test_no_visible_english_on_any_screen(size: str, request: pytest.FixtureRequest) -> None:
    page: Page = request.getfixturevalue(size)
    pg = page.page
    pg.click("#rq-send")  # an empty question: a warning toast
    pg.wait_for_selector("[data-testid='toast-body']")
    assert _english(page) == set()
    _ask_starter(page)
    pg.locator("#rq-chatbot button.rq-vote[data-vote='up']").last.click()
    pg.wait_for_selector("#rq-chatbot button.rq-vote.rq-on")
    assert _english(page) == set()
    page.tab("检索")
    pg.fill("#rq-query textarea", ABSENT)
    pg.click("#rq-search")
    pg.wait_for_selector("#rq-results .rq-hit")
    assert _english(page) == set()
    page.tab("资料库")
    pg.wait_for_selector("#rq-library table")
    assert _english(page) == set()
