"""Issue 12, audit: the attack paths the first fixes' tests did not take.

- Findings 3 and 8 through `reformqa serve` itself, as an office runs it: bound to 0.0.0.0, no
  admin password, a broken reports.toml. The app comes up, answers, and refuses uploads and
  event file data. (uvicorn is swapped for one on loopback, so the test binds 127.0.0.1 only;
  everything before the bind is the command's own code path.)
- Finding 6: an upload returns while its ingest runs in the worker thread, not the request's.
- Finding 9: report ids holding a newline or a right-to-left override, through `/api/search`,
  `/api/ask`, `reformqa show` and `reformqa remove`; a report indexed under such a name before
  names were checked leaves the index.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from click.testing import CliRunner
from fastapi.testclient import TestClient
from test_ui_api import seed_copy_settings  # the seed corpus copied into a private root

import index.scanning as scanning
from assistant.facade import Assistant
from index.settings import Settings
from reformqa.cli import main
from ui.app import create_app
from ui.guard import upload_folder
from ui.library_tab import LibraryHandlers

SEED_002 = "002_016209cccba9a16d.txt"
BAD_IDS = ["002\n", "\u202e002", "00\u200b2"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# -- `reformqa serve` on 0.0.0.0, no admin password, a broken reports.toml (findings 3, 8) ------
class _Served:
    """What `reformqa serve` handed to uvicorn, and the loopback server that runs it instead."""

    def __init__(self) -> None:
        self.host = ""
        self.base = ""
        self.server: uvicorn.Server | None = None
        self.thread: threading.Thread | None = None

    def run(self, app: Any, host: str, port: int, **options: Any) -> None:
        self.host = host
        config = uvicorn.Config(app, host="127.0.0.1", port=_free_port(), log_level="warning")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.thread.start()
        for _ in range(600):
            if self.server.started:
                break
            time.sleep(0.05)
        self.base = f"http://127.0.0.1:{config.port}"

    def stop(self) -> None:
        if self.server is not None and self.thread is not None:
            self.server.should_exit = True
            self.thread.join(15)


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[_Served, str]]:
    root = tmp_path_factory.mktemp("serve")
    settings = seed_copy_settings(root)
    toml = settings.corpus_dir / "reports.toml"  # the attack's duplicated table
    toml.write_text(toml.read_text(encoding="utf-8") + f'\n["{SEED_002}"]\ntitle = "重复"\n', encoding="utf-8")
    served = _Served()
    env = {"REFORMQA_EMBEDDING__MODEL": "hash:256", "REFORMQA_CACHE_DIR": str(root / "cache")}
    args = ["--data-dir", str(settings.data_dir), "--corpus-dir", str(settings.corpus_dir)]
    with pytest.MonkeyPatch.context() as mp:
        mp.delenv("REFORMQA_ADMIN_PASSWORD", raising=False)
        mp.setattr(uvicorn, "run", served.run)
        result = CliRunner().invoke(main, [*args, "serve", "--host", "0.0.0.0", "--port", "7860"], env=env)
    try:
        yield served, f"exit {result.exit_code}\n{result.output}"
    finally:
        served.stop()


def test_serve_goes_on_with_a_broken_metadata_file(served: tuple[_Served, str]) -> None:
    srv, output = served
    assert srv.server is not None and srv.server.started, output  # before the fix: exit 1
    assert "reports.toml" in output and "defined twice" in output
    docs = httpx.get(f"{srv.base}/api/docs", timeout=30).json()
    assert len(docs) == 5
    assert httpx.get(f"{srv.base}/", timeout=30).status_code == 200
    r = httpx.post(f"{srv.base}/api/search", json={"query": "天津高新区", "k": 3}, timeout=30)
    assert r.status_code == 200 and r.json()["results"]


def test_serve_on_all_interfaces_without_admin_refuses_uploads_and_server_paths(
    served: tuple[_Served, str],
) -> None:
    srv, output = served
    assert srv.host == "0.0.0.0", output
    before = set(upload_folder().glob("*/*")) if upload_folder().is_dir() else set()
    for _ in range(3):
        r = httpx.post(f"{srv.base}/gradio_api/upload", files={"files": ("fill.txt", b"x" * 100_000)}, timeout=30)
        assert r.status_code == 403 and "未设置管理员密码" in r.json()["error"]
    config = httpx.get(f"{srv.base}/config", timeout=30).json()
    for dep in config["dependencies"][:40]:  # every event, whatever its inputs
        file = {"path": "/dev/zero", "meta": {"_type": "gradio.FileData"}}
        body = {"data": [[file]], "fn_index": dep["id"], "session_hash": "attacker"}
        r = httpx.post(f"{srv.base}/gradio_api/queue/join", json=body, timeout=30)
        assert r.status_code == 403, (dep["id"], r.text)
    assert httpx.get(f"{srv.base}/api/docs", timeout=1.0).status_code == 200
    after = set(upload_folder().glob("*/*")) if upload_folder().is_dir() else set()
    assert not {p for p in after - before if p.name in ("fill.txt", "zero")}


# -- finding 6: the upload handler does not run the ingest --------------------------------------
def test_an_upload_returns_while_its_ingest_runs_in_the_worker_thread(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    a = Assistant(seed_copy_settings(tmp_path, admin_password="pw"))
    a.ingest()
    h = LibraryHandlers(a)
    entered, release = threading.Event(), threading.Event()
    threads: list[str] = []
    real = a.ingest

    def slow_ingest(*args: Any, **kw: Any) -> Any:  # a heavy report: reading takes a while
        threads.append(threading.current_thread().name)
        entered.set()
        release.wait(60)
        return real(*args, **kw)

    monkeypatch.setattr(a, "ingest", slow_ingest)
    staged = upload_folder() / f"test-audit-{os.getpid()}-{time.time_ns()}"
    staged.mkdir(parents=True)
    upload = staged / "慢报告.txt"
    upload.write_text("新区改革报告\n一、做法\n某新区推行极简审批改革，审批时限压缩一半。\n", encoding="utf-8")
    try:
        _status, notes, _box, timer = h.upload(h.gate.issue(), [str(upload)])
        assert entered.wait(30)
        # The handler is back while the ingest is still held: it ran elsewhere.
        assert h.worker.snapshot().running and timer.active
        assert threads == ["reformqa-ingest"] != [threading.current_thread().name]
        release.set()
        assert h.worker.wait(120).summary is not None
        assert "新增 1" in h.poll(notes)[0]
    finally:
        release.set()
        shutil.rmtree(staged, ignore_errors=True)


# -- finding 9: report ids with invisible characters, through the API and the CLI --------------
@pytest.fixture(scope="module")
def client(seed_index: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(Assistant(seed_index)), raise_server_exceptions=False) as c:
        yield c


def _no_raw_char(text: str) -> bool:
    return not any(ch in text for ch in "\n\u202e\u200b")


@pytest.mark.parametrize("bad", BAD_IDS)
def test_report_ids_with_invisible_characters_are_refused_by_the_api(client: TestClient, bad: str) -> None:
    for path, body in (
        ("/api/search", {"query": "审批改革", "reports": [bad]}),
        ("/api/ask", {"question": "审批改革怎么做？", "reports": [bad]}),
    ):
        r = client.post(path, json=body)
        error = r.json()["error"]
        assert r.status_code == 404 and r.json()["ok"] is False, r.text
        assert "invisible character U+" in error and _no_raw_char(error), error


@pytest.mark.parametrize("bad", BAD_IDS)
def test_report_ids_with_invisible_characters_are_refused_by_the_cli(seed_index: Settings, bad: str) -> None:
    args = ["--data-dir", str(seed_index.data_dir), "--corpus-dir", str(seed_index.corpus_dir)]
    env = {"REFORMQA_EMBEDDING__MODEL": "hash:256"}
    for command in (["show", bad], ["remove", bad]):
        r = CliRunner().invoke(main, [*args, *command], env=env)
        assert r.exit_code == 1 and "invisible character U+" in r.output, r.output
        assert _no_raw_char(r.output.rstrip("\n")), r.output
    assert len(Assistant(seed_index).docs()) == 5  # nothing was removed


def test_a_report_indexed_under_an_invisible_name_before_names_were_checked_leaves_the_index(
    fake_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    (fake_settings.corpus_dir / "evil\u202etxt.exe.txt").write_text("园区审批改革的简报。\n", encoding="utf-8")
    with monkeypatch.context() as mp:  # an index built by a version that did not check names
        mp.setattr(scanning, "_name_problem", lambda *_: None)
        assert any("\u202e" in added for added in Assistant(fake_settings).ingest().added)
    s = Assistant(fake_settings).ingest()
    assert any("\u202e" in removed for removed in s.removed)
    assert "evil\\u202etxt.exe.txt" in dict(s.failed)
    assert not any("\u202e" in d.doc_id for d in Assistant(fake_settings).docs())
    assert json.dumps(s.failed, ensure_ascii=False).count("\u202e") == 0


# -- finding 2: `reformqa ingest PATH` from outside the corpus ----------------------------------
def test_two_outside_files_with_one_name_do_not_silently_become_one_report(
    fake_settings: Settings, tmp_path: Path
) -> None:
    Assistant(fake_settings).ingest()
    other = tmp_path / "other"
    for sub, text in (("a", "甲报告：园区审批改革。\n"), ("b", "乙报告：园区人事改革。\n")):
        (other / sub).mkdir(parents=True)
        (other / sub / "x.txt").write_text(text, encoding="utf-8")
    s = Assistant(fake_settings).ingest([other, other / "a" / "x.txt"])  # a/x.txt named twice: read once
    assert s.added == ["x"]
    assert "same name as" in dict(s.failed)[str(other / "b" / "x.txt")]
    assert "outside the corpus folder" in dict(s.notes)[str(other / "a" / "x.txt")]
    _row, text, _chunks = Assistant(fake_settings).show("x")
    assert "甲报告" in text


# -- every input has a bounded cost: the HTTP API's bodies ---------------------------------------
def test_api_bodies_are_capped_before_fastapi_reads_them(served: tuple[_Served, str]) -> None:
    srv, _output = served
    host, port = srv.base.removeprefix("http://").split(":")
    head = (
        "POST /api/ask HTTP/1.1\r\n"
        f"Host: {host}\r\nContent-Type: application/json\r\nContent-Length: 2000000000\r\n\r\n"
    )
    with socket.create_connection((host, int(port)), timeout=30) as sock:
        sock.sendall(head.encode())
        reply = sock.recv(4096).decode(errors="replace")
    assert reply.startswith("HTTP/1.1 413") and '"ok":false' in reply.replace(" ", "")

    def chunked() -> Iterator[bytes]:  # no Content-Length: refused while it is read
        yield b'{"question": "'
        for _ in range(20):
            yield b"x" * 1_000_000
        yield b'"}'

    r = httpx.post(f"{srv.base}/api/ask", content=chunked(), headers={"content-type": "application/json"}, timeout=30)
    assert r.status_code == 413 and r.json()["ok"] is False and "bytes" in r.json()["error"]
    ok = httpx.post(f"{srv.base}/api/search", json={"query": "天津高新区", "k": 2}, timeout=30)
    assert ok.status_code == 200 and ok.json()["results"]


def _raw_post(base: str, path: str, body: bytes, content_type: str) -> str:
    """The status line of a POST sent as written (clients normalize `//` and `/./`)."""
    host, port = base.removeprefix("http://").split(":")
    head = (
        f"POST {path} HTTP/1.1\r\nHost: {host}\r\nContent-Type: {content_type}\r\n"
        f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
    )
    with socket.create_connection((host, int(port)), timeout=30) as sock:
        sock.sendall(head.encode() + body)
        return sock.recv(4096).decode(errors="replace").split("\r\n", 1)[0]


@pytest.mark.parametrize(
    "prefix",
    ["/gradio_api/", "//gradio_api/", "/gradio_api//", "/./gradio_api/", "/x/../gradio_api/", "/gradio_api%2F", "/"],
)
def test_no_spelling_of_gradios_routes_gets_past_the_guard(served: tuple[_Served, str], prefix: str) -> None:
    srv, _output = served
    upload = b'--b\r\nContent-Disposition: form-data; name="files"; filename="a.txt"\r\n\r\nhello\r\n--b--\r\n'
    status = _raw_post(srv.base, f"{prefix}upload", upload, "multipart/form-data; boundary=b")
    assert status.split()[1] in ("403", "404"), (prefix, status)
    event = json.dumps({"data": [[{"path": "/etc/passwd"}]], "fn_index": 0, "session_hash": "z"}).encode()
    status = _raw_post(srv.base, f"{prefix}queue/join", event, "application/json")
    assert status.split()[1] in ("403", "404"), (prefix, status)
