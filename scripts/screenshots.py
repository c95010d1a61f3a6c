"""Screenshots of the three tabs into docs/screenshots/{tab}-{desktop,phone}-{light,dark}.png.

Starts `reformqa serve` on a free loopback port over a temporary copy of the corpus (fake
embedder unless --model is given), drives headless Chromium, then stops the server.

    python scripts/screenshots.py [--model hash:256] [--out docs/screenshots]
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from playwright.sync_api import Page, sync_playwright

REPO = Path(__file__).resolve().parent.parent
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
QUESTION = "天津高新区承接了多少项市级权力事项？"
PASSWORD = "screenshot"
SEARCH = "管委会 公司 市场化"


def start(root: Path, model: str) -> tuple[subprocess.Popen[bytes], str]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    corpus = root / "corpus"
    shutil.copytree(REPO / "corpus", corpus)
    env = {
        **os.environ,
        "REFORMQA_EMBEDDING__MODEL": model,
        "REFORMQA_ADMIN_PASSWORD": PASSWORD,
        "HF_HUB_OFFLINE": "1",
        "ANONYMIZED_TELEMETRY": "False",
    }
    if model.startswith("hash:"):
        env["REFORMQA_CACHE_DIR"] = str(root / "cache")
    cmd = [sys.executable, "-m", "reformqa", "--data-dir", str(root / "data"), "--corpus-dir", str(corpus)]
    proc = subprocess.Popen([*cmd, "serve", "--port", str(port)], cwd=REPO, env=env)
    url = f"http://127.0.0.1:{port}/"
    for _ in range(480):
        if proc.poll() is not None:
            raise SystemExit(f"the server exited with {proc.returncode}")
        try:
            with urllib.request.urlopen(url + "api/docs", timeout=5):
                return proc, url
        except OSError:
            time.sleep(0.5)
    proc.terminate()
    raise SystemExit("the server did not start")


SIZES = {"desktop": {"width": 1366, "height": 900}, "phone": {"width": 390, "height": 844}}
COMPARE = "各地开发区如何推行“管委会+公司”模式？"


def shoot(page: Page, url: str, out: Path, name: str, phone: bool) -> None:
    """One size and scheme: a cited answer with its source open, a comparison, search, library."""
    page.goto(url)
    page.wait_for_selector("#rq-question textarea")
    page.wait_for_timeout(800)
    page.fill("#rq-question textarea", QUESTION)
    page.click("#rq-send")
    page.wait_for_selector("#rq-chatbot .rq-bot[data-turn='0'] .rq-next:has-text('接着问')")
    cite = page.locator("#rq-chatbot .rq-text button.rq-cite").first
    if phone:
        cite.tap()
        page.locator("#rq-chatbot .rq-cite-wrap.rq-open button.rq-open-source").tap()
    else:
        cite.hover()
        cite.click()
    page.wait_for_selector("#rq-source-view mark")
    page.wait_for_timeout(500)
    page.screenshot(path=str(out / f"chat-{name}.png"), full_page=not phone)

    if phone:
        page.locator("#rq-source-view button.rq-close").tap()
    page.fill("#rq-question textarea", COMPARE)
    page.click("#rq-send")
    page.wait_for_selector("#rq-chatbot .rq-bot[data-turn='1'] table.rq-comparison")
    page.locator("#rq-chatbot .rq-bot[data-turn='1']").scroll_into_view_if_needed()
    page.wait_for_timeout(500)
    page.screenshot(path=str(out / f"compare-{name}.png"))

    page.get_by_role("tab", name="检索").click()
    page.fill("#rq-query textarea", SEARCH)
    page.click("#rq-search")
    page.wait_for_selector("#rq-results .rq-hit")
    page.click("#rq-filter-regions input")  # a filter searches again by itself
    page.get_by_role("option", name="湖南省").first.click()
    page.wait_for_selector("#rq-results .rq-hit:has-text('湖南')")
    page.keyboard.press("Escape")
    page.wait_for_timeout(500)
    page.screenshot(path=str(out / f"search-{name}.png"))

    page.get_by_role("tab", name="资料库").click()
    page.wait_for_selector("#rq-library table")
    page.fill("#rq-password input", PASSWORD)
    page.click("#rq-login")
    page.wait_for_selector("#rq-signed-in :text('退出登录')")
    page.wait_for_selector("#rq-ed-title input")
    page.wait_for_timeout(1500)
    page.screenshot(path=str(out / f"library-{name}.png"), full_page=not phone)
    page.click("#rq-logout")
    page.wait_for_selector("#rq-admin-status :text('已退出登录')")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", default="hash:256", help="embedding model (default: the fake hashing embedder)")
    ap.add_argument("--out", type=Path, default=REPO / "docs" / "screenshots")
    ap.add_argument("--chromium", default="/usr/bin/chromium")
    args = ap.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="reformqa-shots-") as tmp:
        proc, url = start(Path(tmp), args.model)
        try:
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=args.chromium, args=ARGS)
                for size, viewport in SIZES.items():
                    for scheme in ("light", "dark"):
                        phone = size == "phone"
                        context = browser.new_context(
                            locale="zh-CN", viewport=viewport, color_scheme=scheme, has_touch=phone, is_mobile=phone
                        )
                        page = context.new_page()
                        page.set_default_timeout(120_000)
                        page.route("**/*", lambda r: r.continue_() if r.request.url.startswith(url) else r.abort())
                        shoot(page, f"{url}?__theme={scheme}", args.out, f"{size}-{scheme}", phone)
                        context.close()
                browser.close()
        finally:
            proc.terminate()
            proc.wait(timeout=15)
    print(f"screenshots in {args.out}")


if __name__ == "__main__":
    main()
