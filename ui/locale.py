"""Gradio's own strings in Chinese whatever the browser's language.

Gradio picks its interface language (upload areas, "Loading", tooltips) from
`navigator.language` once, before any app code runs. This ASGI middleware puts a one-line
script at the top of the page's `<head>` that reports `zh-CN`, so a reader whose browser is
set to English still sees one language. Only the HTML page at the root is touched.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
App = Callable[[MutableMapping[str, Any], Receive, Send], Awaitable[None]]

LOCALE = "zh-CN"
SCRIPT = (
    "<script>(() => { for (const k of ['language', 'languages']) { try { Object.defineProperty(navigator, k, "
    f"{{get: () => k === 'language' ? '{LOCALE}' : ['{LOCALE}', 'zh']}}); }} catch (e) {{}} }} }})();</script>"
).encode()


class ChineseInterface:
    """Inject `SCRIPT` into the HTML page served at `/` (other responses pass through untouched)."""

    def __init__(self, app: App) -> None:
        self.app = app

    async def __call__(self, scope: MutableMapping[str, Any], receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope.get("method") != "GET" or scope.get("path") not in ("/", ""):
            await self.app(scope, receive, send)
            return
        start: Message = {}
        chunks: list[bytes] = []

        async def capture(message: Message) -> None:
            if message["type"] == "http.response.start":
                start.update(message)
                return
            if message["type"] != "http.response.body":
                await send(message)
                return
            chunks.append(message.get("body", b""))
            if message.get("more_body"):
                return
            body = b"".join(chunks)
            headers = [(k, v) for k, v in start.get("headers", []) if k.lower() != b"content-length"]
            ctype = next((v for k, v in headers if k.lower() == b"content-type"), b"")
            if ctype.startswith(b"text/html"):
                body = body.replace(b"<head>", b"<head>" + SCRIPT, 1)
            await send({**start, "headers": [*headers, (b"content-length", str(len(body)).encode())]})
            await send({"type": "http.response.body", "body": body})

        await self.app(scope, receive, capture)
