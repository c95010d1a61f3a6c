"""Serving the app for attack tests: uvicorn in a thread, `reformqa serve` in a subprocess,
and Gradio's own HTTP API (from bench/attack_kit.py: an event called and its output read
from the queue's stream)."""

from __future__ import annotations

import importlib.util
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType

import uvicorn

from assistant.facade import Assistant
from ui.app import create_app, uvicorn_options

REPO = Path(__file__).resolve().parent.parent


def _kit() -> ModuleType:
    """bench/attack_kit.py: Gradio's HTTP API as the attack script drives it (one copy)."""
    if "bench_attack_kit" not in sys.modules:
        spec = importlib.util.spec_from_file_location("bench_attack_kit", REPO / "bench" / "attack_kit.py")
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules["bench_attack_kit"] = module  # dataclasses look their module up here
        spec.loader.exec_module(module)
    return sys.modules["bench_attack_kit"]


_KIT = _kit()
dependency = _KIT.dependency
filler = _KIT.filler
call_event = _KIT.call_event


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
        stop(proc)


def stop(proc: subprocess.Popen[bytes]) -> None:
    """Ends a server process: politely, then by force after 15 s."""
    proc.terminate()
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
