"""Serving the app for attack tests: uvicorn in a thread, `reformqa serve` in a subprocess,
and Gradio's own HTTP API (an event called and its output read from the queue's stream)."""

from __future__ import annotations

import json
import os
import secrets
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import uvicorn

from assistant.facade import Assistant
from ui.app import create_app, uvicorn_options

REPO = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def in_thread(assistant: Assistant) -> Iterator[str]:
    """The app under uvicorn on a free loopback port, configured as `reformqa serve` does."""
    config = uvicorn.Config(
        create_app(assistant),
        host="127.0.0.1",
        port=free_port(),
        log_level="warning",
        **uvicorn_options(assistant),
    )
    srv = uvicorn.Server(config)
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    for _ in range(600):
        if srv.started:
            break
        time.sleep(0.05)
    assert srv.started, "uvicorn did not start"
    try:
        yield f"http://127.0.0.1:{config.port}"
    finally:
        srv.should_exit = True
        thread.join(15)


@contextmanager
def subprocess_serve(root: Path, corpus: Path, args: list[str], env: dict[str, str]) -> Iterator[str]:
    """`reformqa serve` itself (its own uvicorn configuration), fake embedder, on loopback."""
    port = free_port()
    full_env = {
        **os.environ,
        "REFORMQA_EMBEDDING__MODEL": "hash:256",
        "REFORMQA_CACHE_DIR": str(root / "cache"),
        "GRADIO_ANALYTICS_ENABLED": "False",
        "HF_HUB_OFFLINE": "1",
        "ANONYMIZED_TELEMETRY": "False",
        **env,
    }
    cmd = [sys.executable, "-m", "reformqa", "--data-dir", str(root / "data"), "--corpus-dir", str(corpus)]
    log = root / f"serve-{port}.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [*cmd, "serve", "--port", str(port), *args], cwd=REPO, env=full_env, stdout=out, stderr=out
        )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 240
        while True:
            if proc.poll() is not None:
                raise AssertionError(f"serve exited ({proc.returncode}):\n{log.read_text(errors='replace')[-3000:]}")
            try:
                with urllib.request.urlopen(url + "/api/docs", timeout=5) as r:
                    if r.status == 200:
                        break
            except OSError:
                if time.monotonic() > deadline:
                    raise AssertionError(f"serve did not start:\n{log.read_text(errors='replace')[-3000:]}") from None
                time.sleep(0.5)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def dependency(base: str, elem_id: str) -> tuple[int, list[str]]:
    """The fn_index of the event a component with `elem_id` triggers, and its inputs' types."""
    config = httpx.get(f"{base}/config", timeout=30).json()
    types = {c["id"]: c.get("type", "") for c in config["components"]}
    ids = {c["id"] for c in config["components"] if c.get("props", {}).get("elem_id") == elem_id}
    dep = next(d for d in config["dependencies"] if any(t[0] in ids for t in d["targets"]))
    return dep["id"], [types.get(i, "") for i in dep["inputs"]]


def filler(base: str, elem_id: str) -> int:
    """The fn_index of the page-load event that fills the choices of the dropdown `elem_id`
    (Gradio refuses a dropdown value not among a session's choices, so an attacker's session
    runs this first)."""
    config = httpx.get(f"{base}/config", timeout=30).json()
    target = next(c["id"] for c in config["components"] if c.get("props", {}).get("elem_id") == elem_id)
    return int(next(d["id"] for d in config["dependencies"] if d["outputs"] == [target] and not d["inputs"]))


def call_event(
    base: str,
    fn_index: int,
    data: list[Any],
    *,
    cookies: dict[str, str] | None = None,
    headers: dict[str, str] | None = None,
    timeout: float = 60,
    session: str = "",
) -> tuple[httpx.Response, list[Any] | None]:
    """Gradio's own API: join the queue, then read the event's output from the queue's
    stream. The output is None when the join was refused."""
    session = session or secrets.token_hex(6)
    body = {"data": data, "fn_index": fn_index, "session_hash": session, "event_data": None}
    with httpx.Client(timeout=timeout, cookies=cookies, headers=headers) as c:
        joined = c.post(f"{base}/gradio_api/queue/join", json=body)
        if joined.status_code != 200:
            return joined, None
        with c.stream("GET", f"{base}/gradio_api/queue/data", params={"session_hash": session}) as events:
            for line in events.iter_lines():
                if not line.startswith("data:"):
                    continue
                msg = json.loads(line[5:])
                if msg.get("msg") == "process_completed":
                    output = msg.get("output") or {}
                    return joined, list(output.get("data") or [output.get("error")])
    return joined, None
