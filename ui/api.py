"""The HTTP API beside the web app: /api/ask, /api/search, /api/docs.

Success bodies are exactly what `reformqa ask --json` / `search --json` / `docs --json` print.
Errors are translated here, at the edge: `{"ok": false, "error": "..."}` with a status code
(400 bad request, 404 unknown report, 409 ingest running, 503 no usable index); never a trace.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from assistant.answer_types import Turn
from assistant.facade import Assistant
from assistant.render import answer_json, doc_json, hit_json, turns_from_json
from index.errors import (
    IndexMismatchError,
    IndexMissingError,
    IngestLockedError,
    ReformQAError,
    UnknownReportError,
)
from index.search import SearchFilter

log = logging.getLogger("reformqa.api")

MAX_HISTORY = 20
MAX_K = 50


class HistoryTurn(BaseModel):
    """One earlier exchange. A previous /api/ask response can be passed back as it is."""

    model_config = ConfigDict(extra="ignore")

    question: str = Field(max_length=20_000)
    resolved_question: str = Field("", max_length=20_000)
    answer: str = Field("", max_length=200_000, description="The earlier answer text.")
    grounded: bool = True


class AskRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    question: str = Field(max_length=100_000)
    history: list[HistoryTurn] = Field(default_factory=list, max_length=MAX_HISTORY)
    reports: list[str] = Field(default_factory=list, max_length=50)


class SearchRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    query: str = Field(max_length=100_000)
    k: int | None = Field(None, ge=1, le=MAX_K)
    reports: list[str] = Field(default_factory=list, max_length=50)
    regions: list[str] = Field(default_factory=list, max_length=50)
    years: list[int] = Field(default_factory=list, max_length=50)


def to_turns(history: list[HistoryTurn]) -> list[Turn]:
    """Conversation turns from the JSON history (one conversion, shared with `reformqa eval`)."""
    return turns_from_json(h.model_dump() for h in history)


def status_for(exc: ReformQAError) -> int:
    if isinstance(exc, UnknownReportError):
        return 404
    if isinstance(exc, IngestLockedError):
        return 409
    if isinstance(exc, IndexMissingError | IndexMismatchError):
        return 503
    return 400


def error_response(status: int, message: str) -> JSONResponse:
    return JSONResponse({"ok": False, "error": message}, status_code=status)


def _validation_message(exc: RequestValidationError) -> str:
    parts = []
    for err in exc.errors()[:5]:
        where = ".".join(str(p) for p in err.get("loc", ()) if p != "body")
        parts.append(f"{where or 'body'}: {err.get('msg', 'invalid')}")
    return "invalid request: " + "; ".join(parts)


def docs_json(assistant: Assistant) -> list[dict[str, Any]]:
    """The same list as `reformqa docs --json`."""
    return [doc_json(d) for d in assistant.docs()]


def router(assistant: Assistant) -> APIRouter:
    r = APIRouter(prefix="/api")

    @r.post("/ask")
    def ask(body: AskRequest) -> dict[str, Any]:
        flt = SearchFilter(tuple(body.reports)) if body.reports else None
        return answer_json(assistant.ask(body.question, to_turns(body.history), flt=flt))

    @r.post("/search")
    def search(body: SearchRequest) -> dict[str, Any]:
        flt = SearchFilter(tuple(body.reports), tuple(body.regions), tuple(body.years))
        hits = assistant.search(body.query, body.k, flt)
        return {"query": body.query, "results": [hit_json(h, i) for i, h in enumerate(hits, 1)]}

    @r.get("/docs")
    def docs() -> list[dict[str, Any]]:
        return docs_json(assistant)

    return r


def add_api(app: FastAPI, assistant: Assistant) -> None:
    """Add the routes and the error translation to `app` (before Gradio is mounted at /)."""
    app.include_router(router(assistant))

    @app.exception_handler(ReformQAError)
    async def _project_error(request: Request, exc: ReformQAError) -> JSONResponse:
        return error_response(status_for(exc), str(exc))

    @app.exception_handler(RequestValidationError)
    async def _bad_request(request: Request, exc: RequestValidationError) -> JSONResponse:
        return error_response(400, _validation_message(exc))

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unexpected error on %s", request.url.path)
        return error_response(500, "internal error: see the server log")
