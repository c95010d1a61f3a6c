"""Screenshots of the three tabs into docs/screenshots/{chat,search,library}.png.

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
        "REFORMQA_ADMIN_PASSWORD": "screenshot",
        "HF_HUB_OFFLINE": "1",
        "ANONYMIZED_TELEMETRY": "False",
    }
    if model.startswith("hash:"):
        env["REFORMQA_CACHE_DIR"] = str(root / "cache")
    cmd = [sys.executable, "-m", "assistant.cli", "--data-dir", str(root / "data"), "--corpus-dir", str(corpus)]
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


def shoot(page: Page, url: str, out: Path) -> None:
    page.goto(url)
    page.wait_for_selector("#rq-question textarea")
    page.fill("#rq-question textarea", QUESTION)
    page.click("#rq-send")
    page.wait_for_selector("#rq-answer-panel button.rq-cite")
    page.click("#rq-answer-panel button.rq-cite[data-cite='1']")
    page.wait_for_selector("#rq-source-view mark")
    page.wait_for_timeout(500)
    page.screenshot(path=str(out / "chat.png"), full_page=True)

    page.get_by_role("tab", name="检索").click()
    page.fill("#rq-query textarea", SEARCH)
    page.click("#rq-search")
    page.wait_for_selector("#rq-results .rq-hit")
    page.wait_for_timeout(300)
    page.screenshot(path=str(out / "search.png"))

    page.get_by_role("tab", name="资料库").click()
    page.wait_for_selector("#rq-library table")
    page.wait_for_timeout(300)
    page.screenshot(path=str(out / "library.png"), full_page=True)


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
                page = browser.new_page(locale="zh-CN", viewport={"width": 1400, "height": 900})
                page.set_default_timeout(120_000)
                page.route("**/*", lambda r: r.continue_() if r.request.url.startswith(url) else r.abort())
                shoot(page, url, args.out)
                browser.close()
        finally:
            proc.terminate()
            proc.wait(timeout=15)
    print(f"screenshots in {args.out}")


if __name__ == "__main__":
    main()
