"""A guard in front of Gradio's HTTP routes: file data only from a signed-in admin's own uploads.

Gradio mounted with `mount_gradio_app` skips its own check of which server files an event may
name (`processing_utils._check_allowed` returns early unless `launch()` ran), and it hashes and
copies every file an event names before any handler runs. So a request naming `/dev/zero`
pinned the server, and one naming `/etc/passwd` copied it into Gradio's cache. This ASGI
middleware sees each request before Gradio does:

- `POST /gradio_api/upload` needs a valid admin session cookie, a declared size within
  `UploadCaps.max_bytes` and at most `UploadCaps.max_files` parts; the body is spooled
  (bounded) and replayed to Gradio only when it passed.
- Event calls (`queue/join`, `call/…`, `run/…`, `api/…`) are read whole (bounded) and every
  file object in them (`{"path": …}`) must be one that Gradio's upload route created in this
  process (`blocks.upload_file_set`), a regular file inside the upload folder, sent with a
  valid admin session; otherwise the request is refused before Gradio touches the path.
- Other POST routes of Gradio that this app does not use (recording uploads, component
  servers, streams, code editing) are refused.

Refusals are `{"ok": false, "error": …}` in Chinese: the browser shows them to the admin.
"""

from __future__ import annotations

import json
import logging
import os
import stat
import tempfile
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from starlette.requests import HTTPConnection

from ui.admin import COOKIE, AdminGate

log = logging.getLogger("reformqa.guard")

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

PREFIX = "/gradio_api/"
EVENT_ROUTES = ("queue/join", "call/", "run/", "api/")
OTHER_ALLOWED = ("cancel", "reset", "upload")
MAX_EVENT_BODY = 4_000_000  # a chat turn with its visible conversation fits many times over
_CHUNK = 1 << 16


@dataclass(frozen=True)
class UploadCaps:
    max_files: int = 20
    max_bytes: int = 80_000_000
    """Total declared size of one upload request (each file is also capped by Gradio)."""

    @classmethod
    def for_file_limit(cls, max_upload_bytes: int) -> UploadCaps:
        """Room for four files at the per-file limit, plus the multipart framing."""
        return cls(max_bytes=4 * max_upload_bytes + 1_000_000)


def upload_folder() -> Path:
    """Gradio's upload folder (GRADIO_TEMP_DIR or <tmp>/gradio), resolved."""
    from gradio.utils import get_upload_folder

    return Path(get_upload_folder()).resolve()


def is_uploaded_file(path: str, created: set[str] | None = None) -> bool:
    """True for a regular file (not a link, device or pipe) inside Gradio's upload folder
    and, when `created` is given, one of the paths Gradio's upload route wrote."""
    if created is not None and path not in created:
        return False
    try:
        resolved = Path(path).resolve(strict=True)
        info = os.lstat(path)
    except (OSError, RuntimeError, ValueError):
        return False
    return stat.S_ISREG(info.st_mode) and resolved.is_relative_to(upload_folder())


def file_paths(data: Any) -> list[Any] | None:
    """The `path` values of every file object in a JSON value; None when the value is too
    deeply nested to be a real event call."""
    found: list[Any] = []
    stack: list[tuple[Any, int]] = [(data, 0)]
    while stack:
        value, depth = stack.pop()
        if depth > 64:
            return None
        if isinstance(value, dict):
            if "path" in value:
                found.append(value["path"])
            stack.extend((v, depth + 1) for v in value.values())
        elif isinstance(value, list):
            stack.extend((v, depth + 1) for v in value)
    return found


async def _respond(send: Send, status: int, message: str) -> None:
    body = json.dumps({"ok": False, "error": message}, ensure_ascii=False).encode()
    headers = [(b"content-type", b"application/json; charset=utf-8"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


class GradioGuard:
    """ASGI middleware; `created` is Gradio's set of uploaded paths (`blocks.upload_file_set`)."""

    def __init__(self, app: ASGIApp, gate: AdminGate, created: set[str], caps: UploadCaps | None = None) -> None:
        self.app = app
        self.gate = gate
        self.created = created
        self.caps = caps or UploadCaps()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "") if scope["type"] == "http" else ""
        if scope["type"] != "http" or scope.get("method") != "POST" or not path.startswith(PREFIX):
            await self.app(scope, receive, send)
            return
        route = path[len(PREFIX) :]
        conn = HTTPConnection(scope)
        admin = self.gate.valid(conn.cookies.get(COOKIE))
        client = conn.client.host if conn.client else "?"
        if route.rstrip("/") == "upload":
            await self._upload(scope, receive, send, admin, client)
        elif route.startswith(EVENT_ROUTES):
            await self._event(scope, receive, send, admin, client)
        elif route.rstrip("/") in OTHER_ALLOWED:
            await self.app(scope, receive, send)
        else:
            await _respond(send, 403, f"本应用不使用 /{PREFIX.strip('/')}/{route}")

    async def _event(self, scope: Scope, receive: Receive, send: Send, admin: bool, client: str) -> None:
        body = bytearray()
        while True:
            message = await receive()
            if message["type"] != "http.request":
                return  # the client went away
            body += message.get("body", b"")
            if len(body) > MAX_EVENT_BODY:
                await _respond(send, 413, f"请求内容超过 {MAX_EVENT_BODY:,} 字节")
                return
            if not message.get("more_body", False):
                break
        refusal = self._check_files(bytes(body), admin)
        if refusal:
            log.warning("refused an event call from %s: %s", client, refusal)
            await _respond(send, 403, refusal)
            return
        await self.app(scope, _replay([bytes(body)], receive), send)

    def _check_files(self, body: bytes, admin: bool) -> str:
        try:
            data = json.loads(body) if body.strip() else None
        except (ValueError, RecursionError):
            return ""  # not JSON: Gradio answers it with its own error, no file is named
        paths = file_paths(data)
        if paths is None:
            return "请求的数据嵌套过深"
        if not paths:
            return ""
        if not admin:
            return "文件数据需要管理员登录（在“资料库”页登录）"
        for p in paths:
            if not isinstance(p, str) or not is_uploaded_file(p, self.created):
                return "只能使用通过本页面上传的文件"
        return ""

    async def _upload(self, scope: Scope, receive: Receive, send: Send, admin: bool, client: str) -> None:
        if not self.gate.enabled:
            await _respond(send, 403, "未设置管理员密码（REFORMQA_ADMIN_PASSWORD），不能上传文件")
            return
        if not admin:
            log.warning("refused an upload from %s: no admin session", client)
            await _respond(send, 403, "上传需要管理员登录（在“资料库”页登录）")
            return
        declared = HTTPConnection(scope).headers.get("content-length", "")
        if not declared.isdigit():
            await _respond(send, 411, "上传请求必须声明 Content-Length")
            return
        if int(declared) > self.caps.max_bytes:
            await _respond(send, 413, f"上传内容 {int(declared):,} 字节，超过上限 {self.caps.max_bytes:,} 字节")
            return
        boundary = _boundary(HTTPConnection(scope).headers.get("content-type", ""))
        if not boundary:
            await _respond(send, 400, "上传请求必须是 multipart/form-data")
            return
        with tempfile.SpooledTemporaryFile(max_size=1 << 20) as spool:
            counter = _PartCounter(boundary)
            size = 0
            while True:
                message = await receive()
                if message["type"] != "http.request":
                    return
                chunk = message.get("body", b"")
                size += len(chunk)
                if size > int(declared):
                    await _respond(send, 400, "上传内容比声明的 Content-Length 长")
                    return
                if counter.feed(chunk) > self.caps.max_files:
                    await _respond(send, 413, f"一次最多上传 {self.caps.max_files} 个文件")
                    return
                spool.write(chunk)
                if not message.get("more_body", False):
                    break
            spool.seek(0)
            await self.app(scope, _replay(iter(lambda: spool.read(_CHUNK), b""), receive), send)


def _boundary(content_type: str) -> bytes:
    kind, _, params = content_type.partition(";")
    if kind.strip().lower() != "multipart/form-data":
        return b""
    for part in params.split(";"):
        key, _, value = part.strip().partition("=")
        if key.lower() == "boundary" and value:
            return value.strip('"').encode("latin-1", "replace")
    return b""


class _PartCounter:
    """Counts multipart delimiters across chunk borders (parts = delimiters - 1)."""

    def __init__(self, boundary: bytes) -> None:
        self.marker = b"--" + boundary
        self.tail = b""
        self.seen = 0

    def feed(self, chunk: bytes) -> int:
        data = self.tail + chunk
        self.seen += data.count(self.marker)
        # Keep fewer bytes than a marker, so no marker is counted twice.
        self.tail = data[-(len(self.marker) - 1) :] if len(self.marker) > 1 else b""
        return max(0, self.seen - 1)


def _replay(chunks: Any, receive: Receive) -> Receive:
    """A `receive` that hands out the already-read body, then defers to the real one."""
    it = iter(chunks)
    pending: bytes | None = next(it, b"")
    done = False

    async def replay() -> Message:
        nonlocal pending, done
        if done:
            return await receive()
        current = pending or b""
        pending = next(it, None)
        done = pending is None
        return {"type": "http.request", "body": current, "more_body": not done}

    return replay
