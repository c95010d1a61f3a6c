"""Issue 12 on the web side: Gradio's HTTP API, uploads, sign-in, request bodies, exports.

The attacks of findings 1 and 3 run against a real uvicorn server on loopback (a thread of
this process), the rest through Starlette's test client; all with the fake embedder.
"""

from __future__ import annotations

import logging
import os
import shutil
import socket
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from unittest import mock

import httpx
import pytest
from fastapi.testclient import TestClient
from served import in_thread
from test_ui_api import seed_copy_settings  # the seed corpus copied into a private root

from assistant.facade import Assistant
from index.uploads import store_upload
from ui import export
from ui.admin import COOKIE, CSRF_HEADER, SESSION_SECONDS, AdminGate, Outcome
from ui.app import create_app
from ui.guard import file_paths, upload_folder
from ui.html import md_escape
from ui.library_tab import LibraryHandlers

PASSWORD = "security-test-password"
REPORT = "极简审批新区改革报告\n一、做法\n某新区推行极简审批改革，企业开办审批时限压缩到一天。\n"


@pytest.fixture(scope="module")
def assistant(tmp_path_factory: pytest.TempPathFactory) -> Assistant:
    a = Assistant(seed_copy_settings(tmp_path_factory.mktemp("security"), admin_password=PASSWORD))
    a.ingest()
    return a


@pytest.fixture(scope="module")
def server(assistant: Assistant) -> Iterator[str]:
    """The real app under uvicorn on a free loopback port."""
    with in_thread(assistant) as url:
        yield url


def _dependency(base: str, elem_id: str) -> tuple[int, list[str]]:
    """The fn_index of the event a button with `elem_id` triggers, and its inputs' types."""
    config = httpx.get(f"{base}/config", timeout=30).json()
    types = {c["id"]: c.get("type", "") for c in config["components"]}
    ids = {c["id"] for c in config["components"] if c.get("props", {}).get("elem_id") == elem_id}
    dep = next(d for d in config["dependencies"] if any(t[0] in ids for t in d["targets"]))
    return dep["id"], [types.get(i, "") for i in dep["inputs"]]


def _file(path: str) -> dict[str, Any]:
    return {"path": path, "orig_name": Path(path).name + ".txt", "meta": {"_type": "gradio.FileData"}}


def _join(
    base: str,
    event: tuple[int, list[str]],
    paths: list[str],
    cookies: dict[str, str] | None = None,
    filler: str = "wrong password",
    headers: dict[str, str] | None = None,
) -> httpx.Response:
    """Call the event as the attack did: the files for the file input, a wrong password for
    any text input (the old upload event took both)."""
    fn_index, inputs = event
    data = [[_file(p) for p in paths] if kind == "file" else filler for kind in inputs]
    body = {"data": data, "fn_index": fn_index, "session_hash": "attacker", "event_data": None}
    return httpx.post(f"{base}/gradio_api/queue/join", json=body, cookies=cookies, headers=headers, timeout=30)


def _cached_copies(name: str, since: float) -> list[Path]:
    """Files called `name` that appeared in Gradio's upload/cache folder since `since`."""
    root = upload_folder()
    if not root.is_dir():
        return []
    # ctime: a copy may keep the source's mtime (copy2), never its change time.
    return [p for p in root.glob(f"*/{name}") if p.stat().st_ctime >= since - 1]


def _login(base: str) -> tuple[dict[str, str], dict[str, str]]:
    """The session cookie, and the CSRF header a script sends with it (a browser's page
    sends its Origin instead)."""
    r = httpx.post(f"{base}/api/admin/login", json={"password": PASSWORD}, timeout=30)
    assert r.status_code == 200, r.text
    return {COOKIE: r.cookies[COOKIE]}, {CSRF_HEADER: r.json()["csrf"]}


# -- finding 1: server paths through Gradio's own HTTP API --------------------------------------
def test_event_naming_server_files_is_refused_and_the_app_stays_up(server: str) -> None:
    started = time.time()
    event = _dependency(server, "rq-upload-btn")
    assert "file" in event[1]
    forged = {COOKIE: "9999999999.00.forged"}
    for cookies in (None, forged):
        for path in ("/etc/passwd", "/dev/zero"):
            r = _join(server, event, [path], cookies)
            assert r.status_code == 403 and r.json()["ok"] is False, r.text
    # Gradio's other event routes are guarded the same way.
    body = {"data": [[_file("/etc/passwd")]]}
    assert httpx.post(f"{server}/gradio_api/call/upload_fn", json=body, timeout=30).status_code == 403
    assert httpx.post(f"{server}/gradio_api/run/upload_fn", json=body, timeout=30).status_code == 403

    docs = httpx.get(f"{server}/api/docs", timeout=1.0)  # /dev/zero used to pin the server for good
    assert docs.status_code == 200 and len(docs.json()) >= 5
    assert _cached_copies("passwd", started) == []


def test_even_an_admin_cannot_name_a_server_file(server: str) -> None:
    started = time.time()
    cookies, csrf = _login(server)
    r = _join(server, _dependency(server, "rq-upload-btn"), ["/etc/passwd"], cookies, headers=csrf)
    assert r.status_code == 403 and "通过本页面上传的文件" in r.json()["error"]
    assert _cached_copies("passwd", started) == []


# -- finding 3: anonymous uploads ---------------------------------------------------------------
def test_anonymous_uploads_are_refused_and_leave_nothing(server: str) -> None:
    started = time.time()
    name = f"anon-{os.getpid()}.txt"
    for _ in range(5):
        r = httpx.post(f"{server}/gradio_api/upload", files={"files": (name, b"x" * 1000)}, timeout=30)
        assert r.status_code == 403 and r.json()["ok"] is False
    assert _cached_copies(name, started) == []


def test_uploads_are_refused_when_admin_is_off(tmp_path: Path) -> None:
    a = Assistant(seed_copy_settings(tmp_path))
    with TestClient(create_app(a)) as c:
        r = c.post("/gradio_api/upload", files={"files": ("a.txt", b"hello")})
    assert r.status_code == 403 and "未设置管理员密码" in r.json()["error"]


def test_admin_upload_is_capped_in_count_and_size(server: str) -> None:
    cookies, csrf = _login(server)
    files = [("files", (f"f{i}.txt", b"x")) for i in range(21)]
    r = httpx.post(f"{server}/gradio_api/upload", files=files, cookies=cookies, headers=csrf, timeout=30)
    assert r.status_code == 413 and "一次最多上传 20 个文件" in r.json()["error"]
    # A declared 10 GB body is refused from its headers alone (raw socket: clients will not lie).
    host, port = server.removeprefix("http://").split(":")
    head = (
        "POST /gradio_api/upload HTTP/1.1\r\n"
        f"Host: {host}\r\nCookie: {COOKIE}={cookies[COOKIE]}\r\nX-ReformQA-CSRF: {csrf[CSRF_HEADER]}\r\n"
        "Content-Type: multipart/form-data; boundary=b\r\nContent-Length: 10000000000\r\n\r\n"
    )
    with socket.create_connection((host, int(port)), timeout=30) as sock:
        sock.sendall(head.encode())
        reply = sock.recv(4096).decode(errors="replace")
    assert reply.startswith("HTTP/1.1 413")


def test_admin_upload_then_event_indexes_in_the_background(server: str, assistant: Assistant) -> None:
    cookies, csrf = _login(server)
    r = httpx.post(
        f"{server}/gradio_api/upload",
        files={"files": ("极简审批新区改革报告.txt", REPORT.encode())},
        cookies=cookies,
        headers=csrf,
        timeout=30,
    )
    assert r.status_code == 200, r.text
    [uploaded] = r.json()
    joined = _join(server, _dependency(server, "rq-upload-btn"), [uploaded], cookies, filler="", headers=csrf)
    assert joined.status_code == 200 and "event_id" in joined.json()
    for _ in range(600):  # the event runs in the queue, the ingest in the worker thread
        if any("极简审批" in d["title"] for d in httpx.get(f"{server}/api/docs", timeout=30).json()):
            break
        time.sleep(0.1)
    titles = [d.meta.title for d in assistant.docs()]
    assert any("极简审批" in t for t in titles)


def test_unused_gradio_post_routes_are_refused(server: str) -> None:
    for route in ("process_recording", "vibe-edit", "stream/x", "component_server"):
        assert httpx.post(f"{server}/gradio_api/{route}", content=b"{}", timeout=30).status_code == 403


def test_gradio_file_route_serves_no_server_file(server: str) -> None:
    for path in ("/etc/passwd", "/proc/self/environ"):
        r = httpx.get(f"{server}/gradio_api/file={path}", timeout=30)
        assert r.status_code in (403, 404) and "root:" not in r.text


def test_file_paths_finds_nested_file_objects() -> None:
    data = {"data": [[{"path": "/a"}], {"x": {"path": "/b"}}, "path"], "fn_index": 1}
    assert sorted(file_paths(data) or []) == ["/a", "/b"]
    deep: Any = []
    for _ in range(100):
        deep = [deep]
    assert file_paths(deep) is None


# -- sign-in and back-off ---------------------------------------------------------------------
def test_login_backs_off_exponentially_and_logs_without_the_password(
    assistant: Assistant, caplog: pytest.LogCaptureFixture
) -> None:
    now = [1000.0]
    gate = AdminGate(assistant, clock=lambda: now[0])
    assert gate.login("", "10.0.0.1").outcome is Outcome.EMPTY
    with caplog.at_level(logging.WARNING, logger="reformqa.admin"):
        first = gate.login("guess-1", "10.0.0.1")
        assert first.outcome is Outcome.WRONG and first.retry_after == 1
        assert gate.login(PASSWORD, "10.0.0.1").outcome is Outcome.LOCKED  # even the right one waits
        assert gate.login(PASSWORD, "10.0.0.2").outcome is Outcome.OK  # other clients are not held up
        now[0] += 1.5
        second = gate.login("guess-2", "10.0.0.1")
        assert second.outcome is Outcome.WRONG and second.retry_after == 2
        now[0] += 2.5
        assert gate.login("guess-3", "10.0.0.1").retry_after == 4
    assert "guess" not in caplog.text and "10.0.0.1" in caplog.text
    assert caplog.text.count("admin login failed") == 3
    now[0] += 5
    ok = gate.login(PASSWORD, "10.0.0.1")
    assert ok.outcome is Outcome.OK and gate.valid(ok.token)
    assert gate.login("guess-4", "10.0.0.1").retry_after == 1  # success reset the count


def test_session_tokens_cannot_be_forged_or_reused_elsewhere(assistant: Assistant) -> None:
    gate = AdminGate(assistant)
    token = gate.issue()
    assert gate.valid(token)
    expiry, nonce, mac = token.split(".")
    assert not gate.valid(f"{int(expiry) + 9999}.{nonce}.{mac}")
    assert not gate.valid(f"{expiry}.{nonce}.{'0' * len(mac)}")
    assert not AdminGate(assistant).valid(token)  # another process (salt) or password
    # A genuine token of this gate, past its expiry: issued one session length and a second ago.
    now = time.time()
    with mock.patch("ui.admin.time.time", return_value=now - SESSION_SECONDS - 1):
        expired = gate.issue()
    assert not gate.valid(expired)


def test_login_route_sets_an_http_only_cookie(tmp_path: Path) -> None:
    a = Assistant(seed_copy_settings(tmp_path, admin_password=PASSWORD))
    with TestClient(create_app(a)) as c:
        assert c.post("/api/admin/login", json={"password": ""}).json()["error"] == "请输入管理员密码。"
        wrong = c.post("/api/admin/login", json={"password": "nope"})
        assert wrong.status_code == 401 and wrong.json()["ok"] is False
        locked = c.post("/api/admin/login", json={"password": PASSWORD})
        assert locked.status_code == 429 and int(locked.headers["retry-after"]) >= 1
    fresh = Assistant(seed_copy_settings(tmp_path / "b", admin_password=PASSWORD))
    with TestClient(create_app(fresh)) as c:
        ok = c.post("/api/admin/login", json={"password": PASSWORD})
    cookie = ok.headers["set-cookie"]
    assert ok.status_code == 200 and "httponly" in cookie.lower() and "samesite=strict" in cookie.lower()
    assert PASSWORD not in cookie


# -- finding 9: request bodies ----------------------------------------------------------------
@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (b"\xff\xfe\x00{", "application/json"),
        ('{"question": "天津"}'.encode("gbk"), "application/json"),
        (b"question=x", "application/x-www-form-urlencoded"),
        (b"", "application/json"),
    ],
)
def test_bodies_that_are_not_utf8_json_get_the_api_error_shape(server: str, body: bytes, content_type: str) -> None:
    r = httpx.post(f"{server}/api/ask", content=body, headers={"content-type": content_type}, timeout=30)
    assert r.status_code == 400 and r.json()["ok"] is False and "detail" not in r.json()


def test_unknown_api_routes_and_methods_get_the_api_error_shape(server: str) -> None:
    for r in (httpx.get(f"{server}/api/ask", timeout=30), httpx.post(f"{server}/api/nope", timeout=30)):
        assert r.status_code in (404, 405) and r.json()["ok"] is False


# -- finding 9: bare URLs -------------------------------------------------------------------
def test_bare_urls_and_emails_do_not_autolink() -> None:
    out = md_escape("详见 https://evil.example/a_b?x=1 、www.gov.cn 或 a@b.com")
    for start in ("://", "www.", "@"):
        assert start not in out
    assert "https&#58;//evil.example/a\\_b" in out and "www&#46;gov.cn" in out and "a&#64;b.com" in out


# -- finding 7: uploads never overwrite each other ----------------------------------------------
def test_colliding_upload_names_keep_every_file(tmp_path: Path) -> None:
    s = seed_copy_settings(tmp_path)
    names = ["报告 1.txt", "报告+1.txt", "报告&1.txt"]
    paths = [store_upload(s, n, f"{n} 的内容\n开发区改革。".encode()) for n in names]
    assert len({p.name for p in paths}) == 3
    for n, p in zip(names, paths, strict=True):
        assert p.read_text(encoding="utf-8").startswith(n)
    assert not list(paths[0].parent.glob(".*.part"))


def test_upload_summary_names_renamed_files_and_all_are_indexed(tmp_path: Path) -> None:
    a = Assistant(seed_copy_settings(tmp_path, admin_password=PASSWORD))
    a.ingest()
    h = LibraryHandlers(a)
    staged = upload_folder() / f"test-{os.getpid()}-{time.time_ns()}"
    staged.mkdir(parents=True)
    try:
        files = []
        for i, n in enumerate(["报告 1.txt", "报告+1.txt", "报告&1.txt"]):
            (staged / str(i)).mkdir()
            f = staged / str(i) / n
            f.write_text(f"新区改革报告{i}\n一、做法\n第{i}个新区推行审批改革，时限压缩{i + 1}天。\n", encoding="utf-8")
            files.append(str(f))
        _status, notes, *_ = h.upload(h.gate.issue(), files)
        assert "已保存 3 个文件" in notes
        for stored in ("报告_1.txt", "报告_1-2.txt", "报告_1-3.txt"):  # every new name is said
            assert f"已存为 {stored}）" in notes
        job = h.worker.wait(120)
        assert not job.running and job.summary is not None and len(job.summary.added) == 3
        assert "新增 3" in h.poll(notes)[0]
        assert not any(Path(f).exists() for f in files)  # Gradio's copies are gone
    finally:
        shutil.rmtree(staged, ignore_errors=True)


def test_upload_handler_refuses_without_a_session_and_reads_no_server_file(tmp_path: Path) -> None:
    a = Assistant(seed_copy_settings(tmp_path, admin_password=PASSWORD))
    h = LibraryHandlers(a)
    status, *_ = h.upload(None, ["/etc/passwd"])
    assert "请先输入管理员密码" in status
    status, *_ = h.upload(h.gate.issue(), ["/etc/passwd", "/dev/zero"])
    assert "不是通过本页面上传的文件" in status and not a.settings.uploads.exists()


# -- finding 3: exports bounded by age ----------------------------------------------------------
def test_old_exports_are_swept(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(export, "export_root", lambda: tmp_path / "exports")
    old = export.write_export("旧", "old", ".md")
    past = time.time() - export.EXPORT_MAX_AGE - 60
    os.utime(old.parent, (past, past))
    new = export.write_export("新", "new", ".md")
    assert not old.exists() and new.exists()
    assert len(list((tmp_path / "exports").iterdir())) == 1
