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

`ApiBodyCap` bounds the bodies of the HTTP API (`/api/…`) the same way; its refusals are in
English, like the API's other errors. Gradio's refusals are `{"ok": false, "error": …}` in
Chinese: the browser shows them to the admin.

`OriginGuard` refuses changing requests that come from another site's page (issue 20,
finding 5): a page on another port of the same host deleted a report through `queue/join`
with the admin's cookie (cookies are not kept per port, and SameSite counts such a page as
the same site). See its docstring.
"""

from __future__ import annotations

import hmac
import json
import logging
import os
import stat
import tempfile
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from starlette.requests import HTTPConnection

from ui.admin import COOKIE, CSRF_HEADER, AdminGate

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
MAX_API_BODY = 16_000_000
"""An /api/ask body with 20 history turns of long answers fits; more is not a question."""
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
        body = await _read_bounded(receive, send, MAX_EVENT_BODY, f"请求内容超过 {MAX_EVENT_BODY:,} 字节")
        if body is None:
            return
        refusal = self._check_files(body, admin)
        if refusal:
            log.warning("refused an event call from %s: %s", client, refusal)
            await _respond(send, 403, refusal)
            return
        await self.app(scope, _replay([body], receive), send)

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


async def _read_bounded(receive: Receive, send: Send, limit: int, too_large: str) -> bytes | None:
    """The whole request body, or None once it passed `limit` (answered 413 with `too_large`)
    or the client went away."""
    body = bytearray()
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return None  # the client went away
        body += message.get("body", b"")
        if len(body) > limit:
            await _respond(send, 413, too_large)
            return None
        if not message.get("more_body", False):
            return bytes(body)


class ApiBodyCap:
    """Caps the request bodies of the HTTP API (`/api/…`, issue 12: every input has a bounded
    cost). FastAPI reads a body whole, then parses it, before any field limit applies: a 1 GB
    POST to /api/ask cost a gigabyte of memory and a JSON parse of its whole size. A declared
    size over the cap is refused from the headers; an undeclared (chunked) one while it is read."""

    def __init__(self, app: ASGIApp, max_bytes: int = MAX_API_BODY) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope.get("path", "").startswith("/api/"):
            await self.app(scope, receive, send)
            return
        too_large = f"request body over {self.max_bytes:,} bytes; send the question and its history only"
        declared = HTTPConnection(scope).headers.get("content-length", "")
        if declared.isdigit() and int(declared) > self.max_bytes:
            await _respond(send, 413, too_large)
            return
        body = await _read_bounded(receive, send, self.max_bytes, too_large)
        if body is not None:
            await self.app(scope, _replay([body], receive), send)


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


# -- the origin of changing requests ---------------------------------------------------------
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
OPEN_ROUTES = ("/api/ask", "/api/search")
"""POST routes that change nothing (answers and searches): any page or script may use them,
like the GET routes (`/api/docs`, the page, Gradio's config and file routes)."""
_DEFAULT_PORTS = {"http": 80, "https": 443}


def origin_of(url: str) -> str | None:
    """`scheme://host[:port]` of a URL or Origin header, lower-case, default port left out;
    None for `null` or anything that is not an http(s) origin."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return None
    scheme, host = parts.scheme.lower(), (parts.hostname or "").lower()
    if scheme not in _DEFAULT_PORTS or not host:
        return None
    if ":" in host:
        host = f"[{host}]"  # IPv6, as it is written in a URL
    return f"{scheme}://{host}" + (f":{port}" if port and port != _DEFAULT_PORTS[scheme] else "")


class OriginGuard:
    """ASGI middleware: changing requests only from the app's own pages.

    Every request that is not GET/HEAD/OPTIONS, except the read-only `OPEN_ROUTES`, must
    show that a page of the app sent it: its `Origin` (or, when a browser sent none, its
    `Referer`) must be the app's own `scheme://host:port`, as the browser addressed it (the
    Host header and the request's scheme, which uvicorn takes from X-Forwarded-Proto only for
    trusted proxies), or one of `allowed` (a reverse proxy's public origin). `Origin: null`
    (a sandboxed frame, a local file) is refused.

    A request with neither header is not from a modern browser's page (curl, scripts): it
    passes, but if it carries an admin session cookie it must also carry the session's CSRF
    token (`X-ReformQA-CSRF`, from the login reply) — an old browser that sends neither header
    on a same-site form could otherwise ride the cookie. The cookie itself is SameSite=Strict.

    Gradio's own CORS check (`CustomCORSMiddleware`) only decides who may *read* replies,
    and under a real host name it approves any origin; the app sets Starlette's CORS
    middleware instead (`ui.app`), which turns Gradio's off and allows `allowed` only.
    """

    def __init__(self, app: ASGIApp, gate: AdminGate, allowed: tuple[str, ...] = ()) -> None:
        self.app = app
        self.gate = gate
        self.allowed = frozenset(o for o in (origin_of(a) for a in allowed) if o)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope.get("method", "GET") not in SAFE_METHODS:
            path = scope.get("path", "")
            if path not in OPEN_ROUTES:
                refusal = self.check(HTTPConnection(scope))
                if refusal:
                    conn = HTTPConnection(scope)
                    client = conn.client.host if conn.client else "?"
                    log.warning(
                        "refused %s %s from %s: %s (own origin %s; behind a reverse proxy, set "
                        "server.trusted_proxies or server.allowed_origins)",
                        scope.get("method"),
                        path,
                        client,
                        refusal,
                        self.own_origin(conn),
                    )
                    await _respond(send, 403, refusal)
                    return
        await self.app(scope, receive, send)

    def own_origin(self, conn: HTTPConnection) -> str | None:
        host = conn.headers.get("host", "")
        return origin_of(f"{conn.url.scheme}://{host}") if host else None

    def check(self, conn: HTTPConnection) -> str:
        """Why this changing request is refused ("" when it may go on)."""
        origin = conn.headers.get("origin")
        referer = conn.headers.get("referer")
        if origin is None and not referer:
            token = conn.cookies.get(COOKIE)
            if token and self.gate.valid(token):
                expected = self.gate.csrf(token)
                sent = conn.headers.get(CSRF_HEADER, "")
                if not hmac.compare_digest(sent.encode(), expected.encode()):
                    return "带管理员会话的请求缺少 Origin/Referer 时，必须带 X-ReformQA-CSRF（登录时返回）"
            return ""
        source = origin_of(origin) if origin is not None else origin_of(referer or "")
        if source is not None and (source == self.own_origin(conn) or source in self.allowed):
            return ""
        shown = origin if origin is not None else f"Referer {referer}"
        return f"来自其他网站（{shown[:100]}）的修改请求被拒绝；请在本应用的页面中操作"
