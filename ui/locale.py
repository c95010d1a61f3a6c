"""Chinese on every screen: Gradio's own strings whatever the browser's language, and our
errors in words for the page (`user_error`).

Gradio picks its interface language (upload areas, "Loading", tooltips) from
`navigator.language` once, before any app code runs. This ASGI middleware puts a one-line
script at the top of the page's `<head>` that reports `zh-CN`, so a reader whose browser is
set to English still sees one language. Only the HTML page at the root is touched.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from index.errors import (
    IndexMismatchError,
    IndexMissingError,
    IngestLockedError,
    QueryError,
    UnknownReportError,
    VectorsMissingError,
)

log = logging.getLogger("reformqa.ui")

Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
App = Callable[[MutableMapping[str, Any], Receive, Send], Awaitable[None]]

LOCALE = "zh-CN"
SCRIPT = (
    "<script>(() => { for (const k of ['language', 'languages']) { try { Object.defineProperty(navigator, k, "
    f"{{get: () => k === 'language' ? '{LOCALE}' : ['{LOCALE}', 'zh']}}); }} catch (e) {{}} }} }})();</script>"
).encode()


# Keys Gradio's own zh-CN dictionary lacks, which its screen-reader status line announced
# raw ("common.complete" after every event with a progress indicator).
MISSING_KEYS = {"common.complete": "完成"}


def gradio_translations() -> Any:
    """Our additions to Gradio's interface dictionary (`mount_gradio_app(i18n=…)`)."""
    import gradio as gr

    return gr.I18n(**{LOCALE: MISSING_KEYS, "zh": MISSING_KEYS})


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


# -- our own errors, for a reader of the page -----------------------------------------------------
# The project's errors speak to a developer (English, naming commands and settings); the CLI
# and the API show them as they are. The page says in Chinese what happened and what to do.
REPORT_GONE = "该报告已被删除或尚未索引"


def user_error(exc: Exception) -> str:
    """A project error as one Chinese sentence for the page (the English detail goes to the log)."""
    log.info("shown to the user as a Chinese message: %s", exc)
    if isinstance(exc, UnknownReportError):
        return f"{REPORT_GONE}：可以在“资料库”中查看现有的报告。"
    if isinstance(exc, IndexMissingError | IndexMismatchError | VectorsMissingError):
        return "资料库还没有可用的索引：请管理员在“资料库”中重新索引后再试。"
    if isinstance(exc, IngestLockedError):
        return "资料库正在更新，请稍后再试。"
    if isinstance(exc, QueryError):
        return "无法处理这个问题：请输入一句完整的问题或几个关键词。"
    return "处理时出了问题，请稍后再试；如果一再出现，请联系管理员查看服务器日志。"
