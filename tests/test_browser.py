"""End to end in headless Chromium: the real `reformqa serve` on loopback, driven by Playwright.

The server runs in a subprocess with the fake embedder, a private data directory, a copy of
the seed corpus plus a hostile report, and an admin password.
"""

from __future__ import annotations

import csv
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from served import stop

pytestmark = pytest.mark.browser

CHROMIUM = Path("/usr/bin/chromium")
if not CHROMIUM.exists():
    pytest.skip(
        "Debian's chromium is not installed (apt-get install chromium chromium-driver)", allow_module_level=True
    )
sync_api = pytest.importorskip("playwright.sync_api", reason="the `browser` extra (playwright) is not installed")

REPO = Path(__file__).resolve().parent.parent
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PASSWORD = "browser-test-password"
QUESTION = "天津高新区承接了多少项市级权力事项？"
UNANSWERABLE = "火星基地的氧气供应怎么解决？"
XSS_REPORT = """<script>alert(1)</script>开发区安全测试报告
一、测试背景
本报告检验开发区管理平台的网页显示安全。<img src=x onerror=alert(1)>开发区管委会推行网页安全审查制度。
二、测试内容
开发区网页安全审查包括链接检查，例如[点我](javascript:alert(1))这样的链接必须显示为文字。
开发区网页安全审查的网址是 https://gov.example.cn/a_b 和 www.example.cn，邮箱 audit@example.cn。
"""
UPLOAD = "极简审批新区改革报告\n一、做法\n某新区推行极简审批改革，企业开办审批时限压缩到一天。\n"
WAIT = 60_000  # ms; a 2-core machine shared with others
DATA_DIRS: dict[str, Path] = {}
"""Each running server's data directory, by URL (tests read what the app stored there)."""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_ready(url: str, proc: subprocess.Popen[bytes], log: Path, timeout: float = 240) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"the server exited ({proc.returncode}):\n{log.read_text(errors='replace')[-3000:]}")
        try:
            with urllib.request.urlopen(url + "api/docs", timeout=5) as r:
                if r.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    pytest.fail(f"the server did not start in {timeout:.0f}s:\n{log.read_text(errors='replace')[-3000:]}")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    root = tmp_path_factory.mktemp("browser")
    corpus = root / "corpus"
    shutil.copytree(REPO / "corpus", corpus)
    (corpus / "xss_report.txt").write_text(XSS_REPORT, encoding="utf-8")
    port = _free_port()
    env = {
        **os.environ,
        "REFORMQA_EMBEDDING__MODEL": "hash:256",
        "REFORMQA_CACHE_DIR": str(root / "cache"),
        "REFORMQA_ADMIN_PASSWORD": PASSWORD,
        "GRADIO_ANALYTICS_ENABLED": "False",
        "HF_HUB_OFFLINE": "1",
        "ANONYMIZED_TELEMETRY": "False",
    }
    cmd = [sys.executable, "-m", "reformqa", "--data-dir", str(root / "data"), "--corpus-dir", str(corpus)]
    log = root / "server.log"
    with log.open("wb") as out:
        proc = subprocess.Popen([*cmd, "serve", "--port", str(port)], cwd=REPO, env=env, stdout=out, stderr=out)
    url = f"http://127.0.0.1:{port}/"
    DATA_DIRS[url] = root / "data"
    try:
        _wait_ready(url, proc, log)
        yield url
    finally:
        stop(proc)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield b
        b.close()


class Page:
    """A page on the app that records dialogs and only talks to loopback."""

    def __init__(
        self,
        browser: Any,
        url: str,
        *,
        width: int = 1440,
        height: int = 900,
        phone: bool = False,
        locale: str = "zh-CN",
    ) -> None:
        self.context = browser.new_context(
            locale=locale,
            viewport={"width": width, "height": height},
            accept_downloads=True,
            has_touch=phone,
            is_mobile=phone,
        )
        self.dialogs: list[str] = []
        self.page = self.context.new_page()
        self.page.set_default_timeout(WAIT)
        self.page.on("dialog", self._dialog)
        self.page.route("**/*", self._route)
        self.page.goto(url)
        self.page.wait_for_selector("#rq-question textarea")

    def _dialog(self, dialog: Any) -> None:
        self.dialogs.append(dialog.message)
        dialog.dismiss()

    @staticmethod
    def _route(route: Any) -> None:
        local = route.request.url.startswith(("http://127.0.0.1", "data:", "blob:"))
        route.continue_() if local else route.abort()

    def ask(self, question: str) -> None:
        self.page.fill("#rq-question textarea", question)
        self.page.click("#rq-send")
        self.wait_answer(question)

    def wait_answer(self, question: str) -> None:
        """Until the answer to `question` is final (kept in the conversation, not streaming)."""
        self.page.wait_for_selector(f"#rq-chatbot .rq-bot[data-turn] .rq-answer[data-question='{question}']")

    def tab(self, name: str) -> None:
        self.page.get_by_role("tab", name=name).click()

    def last_bot_message(self) -> str:
        return str(self.page.locator("#rq-chatbot .rq-bot").last.inner_text())

    def sign_in(self) -> None:
        self.tab("资料库")
        self.page.fill("#rq-password input", PASSWORD)
        self.page.click("#rq-login")
        self.page.wait_for_selector("#rq-signed-in :text('已登录')")

    def choose(self, elem_id: str, option: str) -> None:
        """Pick the option containing `option` in a Gradio dropdown."""
        self.page.click(f"#{elem_id} input")
        self.page.get_by_role("option", name=option).first.click()

    def download(self, selector: str) -> Path:
        with self.page.expect_download() as info:
            self.page.click(selector)
        return Path(info.value.path())


@pytest.fixture
def page(browser: Any, server: str) -> Iterator[Page]:
    p = Page(browser, server)
    yield p
    assert p.dialogs == [], f"a script ran in the page: {p.dialogs}"
    p.context.close()


def test_chat_cites_highlights_follows_up_and_declines(page: Page) -> None:
    pg = page.page
    example = pg.locator("#rq-chatbot button.rq-suggest").get_by_text(QUESTION, exact=True)
    assert example.is_visible()  # starter questions on first load
    example.click()
    page.wait_answer(QUESTION)
    assert "[1]" in page.last_bot_message() and "参考来源" in page.last_bot_message()

    pg.click("#rq-chatbot .rq-refs button.rq-cite[data-cite='1']")
    mark = pg.wait_for_selector("#rq-source-view .rq-source[data-cite='1'] mark.rq-hl")
    assert mark is not None and "天津" in pg.locator("#rq-source-view .rq-meta").inner_text()

    page.ask("那衡阳呢？")
    resolved = pg.locator("#rq-chatbot .rq-resolved-q").last.inner_text()
    assert "衡阳" in resolved and "理解为" in page.last_bot_message()

    page.ask(UNANSWERABLE)
    assert pg.locator("#rq-chatbot .rq-is-declined .rq-warn").last.is_visible()
    assert "报告中没有找到答案" in page.last_bot_message()

    md = page.download("#rq-export-answer").read_text(encoding="utf-8")
    assert QUESTION in md and UNANSWERABLE in md and "报告中没有找到答案" in md  # the whole conversation


def test_search_highlights_terms_and_exports_csv(page: Page) -> None:
    pg = page.page
    page.tab("检索")
    pg.fill("#rq-query textarea", "管委会 公司")
    pg.click("#rq-search")
    pg.wait_for_selector("#rq-results .rq-hit")
    n = pg.locator("#rq-results .rq-hit").count()
    assert n >= 3 and pg.locator("#rq-results mark.rq-term").count() >= n
    assert pg.locator("#rq-results .rq-sec").count() >= 1
    with page.download("#rq-export-csv").open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == n and rows[0]["query"] == "管委会 公司"
    assert all(int(r["end"]) > int(r["start"]) >= 0 and r["doc_id"] for r in rows)


def test_admin_signs_in_then_uploads(page: Page, tmp_path: Path) -> None:
    pg = page.page
    page.tab("资料库")
    pg.wait_for_selector("#rq-library table")
    assert not pg.locator("#rq-upload").is_visible()  # no upload box before signing in

    pg.click("#rq-login")
    pg.wait_for_selector("#rq-admin-status :text('请输入管理员密码')")
    pg.fill("#rq-password input", "wrong password")
    pg.click("#rq-login")
    pg.wait_for_selector("#rq-admin-status :text('管理员密码不正确')")
    assert not pg.locator("#rq-upload").is_visible()
    pg.wait_for_timeout(1200)  # the back-off after one failure is one second

    pg.fill("#rq-password input", PASSWORD)
    pg.click("#rq-login")
    pg.wait_for_selector("#rq-signed-in :text('已登录')")
    upload = tmp_path / "极简审批新区改革报告.txt"
    upload.write_text(UPLOAD, encoding="utf-8")
    pg.set_input_files("#rq-upload input[type=file]", str(upload))
    pg.wait_for_selector("#rq-upload :text('极简审批新区改革报告.txt')")
    pg.click("#rq-upload-btn")
    pg.wait_for_selector("#rq-admin-status :text('索引已更新')")
    pg.locator("#rq-library tr", has_text="极简审批新区改革报告").wait_for()  # the table follows the status


def test_bare_urls_in_reports_are_not_links(page: Page) -> None:
    pg = page.page
    page.ask("开发区网页安全审查的网址是什么？")
    pg.wait_for_timeout(300)
    chat = pg.locator("#rq-chatbot")
    assert "https://gov.example.cn/a_b" in chat.inner_text() and "audit@example.cn" in chat.inner_text()
    assert pg.locator("#rq-chatbot a[href*='example.cn'], #rq-chatbot a[href*='%5C']").count() == 0


def test_hostile_report_renders_as_text(page: Page) -> None:
    pg = page.page
    # A function string: Playwright calls it (a bare assignment of a function would be called too).
    pg.evaluate("() => { window.__xss = 0; window.alert = () => { window.__xss += 1; }; }")
    page.tab("检索")
    pg.fill("#rq-query textarea", "网页安全审查 链接检查")
    pg.click("#rq-search")
    pg.wait_for_selector("#rq-results .rq-hit")
    results = pg.locator("#rq-results").inner_text()
    assert "<img src=x onerror=alert(1)>" in results or "[点我](javascript:alert(1))" in results

    page.tab("资料库")
    pg.wait_for_selector("#rq-library table")
    assert "<script>alert(1)</script>开发区安全测试报告" in pg.locator("#rq-library").inner_text()

    page.tab("问答")
    page.ask("开发区网页安全审查包括什么？")
    if pg.locator("#rq-chatbot .rq-refs button.rq-cite").count():
        pg.click("#rq-chatbot .rq-refs button.rq-cite[data-cite='1']")
        pg.wait_for_selector("#rq-source-view .rq-source")
    pg.wait_for_timeout(500)
    assert pg.locator("img[src='x'], img[onerror]").count() == 0
    assert pg.locator("a[href^='javascript']").count() == 0
    injected = pg.evaluate("[...document.scripts].filter(s => s.textContent.includes('alert(1)')).length")
    assert injected == 0 and pg.evaluate("window.__xss") == 0


def _corrupt_docx() -> bytes:
    import io
    import zipfile

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("[Content_Types].xml", "<Types/>")
    return buf.getvalue()[:-10]


def test_library_upload_with_metadata_edit_and_confirm_delete(page: Page, tmp_path: Path) -> None:
    pg = page.page
    pg.wait_for_timeout(1200)  # another test's wrong password may still hold the back-off
    page.sign_in()
    upload = tmp_path / "海南营商报告.txt"
    upload.write_text("海南自贸港营商环境报告\n一、做法\n三亚推行承诺即入制，审批时限压缩到三天。\n", encoding="utf-8")
    pg.set_input_files("#rq-upload input[type=file]", str(upload))
    pg.wait_for_selector("#rq-upload :text('海南营商报告.txt')")
    pg.fill("#rq-up-title input", "三亚承诺即入制调研")
    pg.fill("#rq-up-regions input", "海南省、三亚市")
    pg.fill("#rq-up-year input", "2023")
    page.choose("rq-up-kind", "调研报告")
    pg.click("#rq-upload-btn")
    row = pg.locator("#rq-library tr", has_text="三亚承诺即入制调研")
    row.wait_for()
    assert "海南省、三亚市" in row.inner_text() and "2023" in row.inner_text() and "调研报告" in row.inner_text()
    assert "uploads/海南营商报告.txt" in row.inner_text()
    # The next file starts with a blank form, not this file's title, places, year and kind.
    for field in ("#rq-up-title input", "#rq-up-regions input", "#rq-up-year input"):
        assert pg.input_value(field) == "", field
    assert pg.input_value("#rq-up-kind input") == "未填写"

    page.choose("rq-edit-pick", "三亚承诺即入制调研")
    pg.wait_for_function("document.querySelector('#rq-ed-title input').value === '三亚承诺即入制调研'")
    pg.fill("#rq-ed-title input", "三亚承诺即入制调研（修订）")
    pg.click("#rq-save-meta")
    pg.locator("#rq-library tr", has_text="三亚承诺即入制调研（修订）").wait_for()

    page.choose("rq-remove-pick", "三亚承诺即入制调研（修订）")
    pg.click("#rq-remove")
    question = pg.locator("#rq-confirm-text")
    question.get_by_text("确定删除《三亚承诺即入制调研（修订）》吗？").wait_for()
    assert "uploads/海南营商报告.txt" in question.inner_text()
    assert "三亚承诺即入制调研（修订）" in pg.locator("#rq-library").inner_text()  # nothing gone yet
    pg.click("#rq-confirm-delete")
    pg.wait_for_selector("#rq-admin-status :text('已从索引中移除')")
    assert "三亚承诺即入制调研" not in pg.locator("#rq-library").inner_text()


def test_library_lists_a_failed_file_in_chinese_and_removes_it(page: Page, tmp_path: Path) -> None:
    pg = page.page
    pg.wait_for_timeout(1200)
    page.sign_in()
    bad = tmp_path / "损坏的报告.docx"
    bad.write_bytes(_corrupt_docx())
    pg.set_input_files("#rq-upload input[type=file]", str(bad))
    pg.wait_for_selector("#rq-upload :text('损坏的报告.docx')")
    pg.click("#rq-upload-btn")
    failed = pg.locator("#rq-failed")
    failed.get_by_text("uploads/损坏的报告.docx").wait_for()
    assert "文件已损坏或不完整" in failed.inner_text()
    page.choose("rq-failed-pick", "uploads/损坏的报告.docx")
    pg.click("#rq-remove-failed")
    pg.wait_for_selector("#rq-admin-status :text('已删除文件 uploads/损坏的报告.docx')")
    assert "损坏的报告" not in pg.locator("#rq-failed").inner_text()
