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
    cmd = [sys.executable, "-m", "assistant.cli", "--data-dir", str(root / "data"), "--corpus-dir", str(corpus)]
    log = root / "server.log"
    with log.open("wb") as out:
        proc = subprocess.Popen([*cmd, "serve", "--port", str(port)], cwd=REPO, env=env, stdout=out, stderr=out)
    url = f"http://127.0.0.1:{port}/"
    DATA_DIRS[url] = root / "data"
    try:
        _wait_ready(url, proc, log)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


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


def test_admin_upload_needs_the_password(page: Page, tmp_path: Path) -> None:
    pg = page.page
    page.tab("资料库")
    pg.wait_for_selector("#rq-library table")
    upload = tmp_path / "极简审批新区改革报告.txt"
    upload.write_text(UPLOAD, encoding="utf-8")
    pg.set_input_files("#rq-upload input[type=file]", str(upload))
    pg.wait_for_selector("#rq-upload :text('极简审批新区改革报告.txt')")

    pg.fill("#rq-password input", "wrong password")
    pg.click("#rq-upload-btn")
    pg.wait_for_selector("#rq-admin-status :text('管理员密码不正确')")
    assert "极简审批新区改革报告" not in pg.locator("#rq-library").inner_text()

    pg.fill("#rq-password input", PASSWORD)
    pg.click("#rq-upload-btn")
    pg.wait_for_selector("#rq-admin-status :text('索引已更新')")
    assert "极简审批新区改革报告" in pg.locator("#rq-library").inner_text()


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
