"""The LLM endpoint behind one deadline per question, however the endpoint behaves.

A per-read timeout bounds nothing against an endpoint that sends a byte a second, and an
abandoned blocking call keeps a thread reading for as long as the endpoint trickles. So
every call runs as a task on one event loop (a daemon thread shared by the whole process)
under `asyncio.timeout`: at the deadline the task is cancelled, which closes its
connection, whether the endpoint was silent, trickling, retrying or streaming for ever.
The caller's thread only waits on a future or a queue with the same deadline, so
it is back in time even if the loop were late. Replies are also capped in bytes on the
wire (`ReplyTooLarge`), before any JSON or SSE parsing, so a huge reply costs bounded memory.

Retries (`llm.max_retries`, on HTTP errors and refused connections) happen inside the task,
so they spend the same deadline: a silent endpoint is never asked twice.
"""

from __future__ import annotations

import asyncio
import queue
import threading
import time
from collections.abc import AsyncIterator, Coroutine, Generator, Sequence
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from typing import Any, TypeVar

import httpx
from langchain_core.messages import BaseMessage
from langchain_openai import ChatOpenAI
from pydantic import SecretStr

from index.errors import ReformQAError
from index.settings import LLMSettings

T = TypeVar("T")

MAX_REPLY_BYTES = 4_000_000
"""Bytes of one HTTP reply: an answer of `max_reply_chars` as SSE chunks (~200 bytes of JSON
per token) fits twice over; an endpoint sending more is cut off."""
_GRACE = 0.25
"""Seconds the caller waits past the deadline for the cancelled task to report back."""


class DeadlineExceeded(ReformQAError):
    """The question's LLM time (`llm.timeout`) ran out."""


class ReplyTooLarge(ReformQAError):
    """The endpoint sent more than `MAX_REPLY_BYTES` in one reply."""


@dataclass(frozen=True)
class Deadline:
    """A point in time (`time.monotonic`) by which one question's LLM use must end."""

    at: float
    seconds: float
    """The budget it was made with (for notes: "没有在 N 秒内答完")."""

    @classmethod
    def after(cls, seconds: float) -> Deadline:
        return cls(time.monotonic() + seconds, seconds)

    def remaining(self) -> float:
        return max(0.0, self.at - time.monotonic())

    @property
    def passed(self) -> bool:
        return self.remaining() <= 0.0


# -- the byte cap on the wire -------------------------------------------------------------------
class _CappedStream(httpx.AsyncByteStream):
    def __init__(self, inner: httpx.AsyncByteStream, limit: int) -> None:
        self.inner = inner
        self.limit = limit

    async def __aiter__(self) -> AsyncIterator[bytes]:
        seen = 0
        async for chunk in self.inner:
            seen += len(chunk)
            if seen > self.limit:
                raise ReplyTooLarge(f"the LLM endpoint sent more than {self.limit:,} bytes in one reply")
            yield chunk

    async def aclose(self) -> None:
        await self.inner.aclose()


class CappedTransport(httpx.AsyncBaseTransport):
    """httpx's transport with every response body cut off after `limit` bytes."""

    def __init__(self, limit: int = MAX_REPLY_BYTES) -> None:
        self.inner = httpx.AsyncHTTPTransport()
        self.limit = limit

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self.inner.handle_async_request(request)
        assert isinstance(response.stream, httpx.AsyncByteStream)
        return httpx.Response(
            response.status_code,
            headers=response.headers,
            stream=_CappedStream(response.stream, self.limit),
            extensions=response.extensions,
            request=request,
        )

    async def aclose(self) -> None:
        await self.inner.aclose()


# -- the shared event loop ----------------------------------------------------------------------
class _Loop:
    """One asyncio loop in a daemon thread, started on first use, for every LLM call."""

    _lock = threading.Lock()
    _loop: asyncio.AbstractEventLoop | None = None

    @classmethod
    def get(cls) -> asyncio.AbstractEventLoop:
        with cls._lock:
            if cls._loop is None or cls._loop.is_closed():
                loop = asyncio.new_event_loop()
                threading.Thread(target=loop.run_forever, name="reformqa-llm", daemon=True).start()
                cls._loop = loop
            return cls._loop


def _run(coro: Coroutine[Any, Any, T], deadline: Deadline) -> T:
    """Run `coro` on the LLM loop under `deadline`; `DeadlineExceeded` when it passes."""
    future = asyncio.run_coroutine_threadsafe(_bounded(coro, deadline), _Loop.get())
    try:
        return future.result(timeout=deadline.remaining() + _GRACE)
    except FutureTimeout:
        future.cancel()
        raise DeadlineExceeded(f"no reply within {deadline.seconds:.0f} s") from None


async def _bounded(coro: Coroutine[Any, Any, T], deadline: Deadline) -> T:
    try:
        async with asyncio.timeout(deadline.remaining()):
            return await coro
    except TimeoutError:
        raise DeadlineExceeded(f"no reply within {deadline.seconds:.0f} s") from None


class LLMClient:
    """An OpenAI-compatible chat model, every call bounded by a `Deadline` and `MAX_REPLY_BYTES`."""

    def __init__(self, cfg: LLMSettings, api_key: str, *, max_reply_bytes: int = MAX_REPLY_BYTES) -> None:
        self.chat = ChatOpenAI(
            model=cfg.model,
            base_url=cfg.base_url,
            api_key=SecretStr(api_key or "not-needed"),  # local servers take any key; the client wants one
            # Per read; the deadline bounds the whole call, retries included.
            timeout=cfg.timeout,
            max_retries=cfg.max_retries,
            temperature=cfg.temperature,
            http_async_client=httpx.AsyncClient(transport=CappedTransport(max_reply_bytes), timeout=cfg.timeout),
        )

    def invoke(self, messages: Sequence[BaseMessage], deadline: Deadline) -> str:
        """The model's whole reply; `DeadlineExceeded`, or the endpoint's error."""
        if deadline.passed:
            raise DeadlineExceeded(f"no time left of {deadline.seconds:.0f} s")

        async def call() -> str:
            return (await self.chat.ainvoke(list(messages))).text

        return _run(call(), deadline)

    def stream(self, messages: Sequence[BaseMessage], deadline: Deadline) -> Generator[str, None, None]:
        """The reply's pieces as they arrive; `DeadlineExceeded` when the deadline passes
        first. Closing the iterator early cancels the request."""
        if deadline.passed:
            raise DeadlineExceeded(f"no time left of {deadline.seconds:.0f} s")
        pieces: queue.Queue[tuple[str, object]] = queue.Queue()

        async def pump() -> None:
            try:
                async with asyncio.timeout(deadline.remaining()):
                    async for chunk in self.chat.astream(list(messages)):
                        pieces.put(("text", chunk.text))
                pieces.put(("end", None))
            except TimeoutError:
                pieces.put(("error", DeadlineExceeded(f"no complete reply within {deadline.seconds:.0f} s")))
            except Exception as e:  # noqa: BLE001 - handed to the reading thread
                pieces.put(("error", e))

        future: Future[None] = asyncio.run_coroutine_threadsafe(pump(), _Loop.get())
        try:
            while True:
                try:
                    kind, value = pieces.get(timeout=deadline.remaining() + _GRACE)
                except queue.Empty:
                    raise DeadlineExceeded(f"no complete reply within {deadline.seconds:.0f} s") from None
                if kind == "end":
                    return
                if kind == "error":
                    raise value if isinstance(value, Exception) else ReformQAError(str(value))
                yield str(value)
        finally:
            future.cancel()
