"""The HTTP API beside the web app: /api/ask, /api/search, /api/docs.

Success bodies are exactly what `reformqa ask --json` / `search --json` / `docs --json` print.
Errors are translated here, at the edge: `{"ok": false, "error": "..."}` with a status code
(400 bad request, 404 unknown report, 409 ingest running, 503 no usable index); never a trace.
"""

from __future__ import annotations

import logging
from typing import Any

import anyio
from fastapi import APIRouter, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, field_validator
from starlette.exceptions import HTTPException as StarletteHTTPException

from assistant.answer_json import answer_json
from assistant.answer_types import Turn
from assistant.facade import Assistant
from assistant.render import doc_json, hit_json, turns_from_json
from index.errors import (
    IndexMismatchError,
    IndexMissingError,
    IngestLockedError,
    ReformQAError,
    UnknownReportError,
)
from index.search import SearchFilter
from ui.admin import COOKIE, LOGGED_OUT, SESSION_SECONDS, AdminGate, Outcome

log = logging.getLogger("reformqa.api")

MAX_HISTORY = 20
HISTORY_TURN_CHARS = 2_000  # the same cap as a question
HISTORY_CITATIONS = 10
MAX_K = 50


class HistoryTurn(BaseModel):
    """One earlier exchange. A previous /api/ask response can be passed back as it is."""

    model_config = ConfigDict(extra="ignore")

    question: str = Field(max_length=100_000)
    resolved_question: str = Field("", max_length=100_000)
    answer: str = Field("", max_length=200_000, description="The earlier answer text.")
    grounded: bool = True
    citations: list[dict[str, Any]] = Field(default_factory=list, description="The earlier answer's citations.")

    # An earlier turn only helps resolve a follow-up: read a bounded part of it, so a
    # pasted history costs no more than a question (the resolver reads the last turns only).
    @field_validator("question", "resolved_question", "answer")
    @classmethod
    def _cut_text(cls, v: str) -> str:
        return v[:HISTORY_TURN_CHARS]

    @field_validator("citations", mode="before")
    @classmethod
    def _cut_citations(cls, v: Any) -> Any:
        return v[:HISTORY_CITATIONS] if isinstance(v, list) else v


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


class LoginRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    password: str = Field("", max_length=1_000)


LOGIN_STATUS = {Outcome.OK: 200, Outcome.EMPTY: 400, Outcome.WRONG: 401, Outcome.LOCKED: 429, Outcome.OFF: 403}


def admin_router(gate: AdminGate) -> APIRouter:
    """Sign-in for the library's admin actions: a short-lived HttpOnly session cookie, ended
    on the server by logout. Both routes only take requests from the app's own pages
    (`ui.guard.OriginGuard`)."""
    r = APIRouter(prefix="/api/admin")

    @r.post("/login")
    async def login(body: LoginRequest, request: Request) -> JSONResponse:
        # The connecting peer: forwarded headers count only from configured proxies
        # (`server.trusted_proxies`, applied by uvicorn before this runs).
        verdict = gate.login(body.password, request.client.host if request.client else "?")
        status = LOGIN_STATUS[verdict.outcome]
        if verdict.outcome is not Outcome.OK:
            headers = {"Retry-After": str(max(1, round(verdict.retry_after)))} if verdict.retry_after else None
            return JSONResponse({"ok": False, "error": verdict.message}, status_code=status, headers=headers)
        body_out = {
            "ok": True,
            "message": verdict.message,
            "expires_in": SESSION_SECONDS,
            "csrf": gate.csrf(verdict.token),
        }
        response = JSONResponse(body_out)
        response.set_cookie(
            COOKIE,
            verdict.token,
            max_age=SESSION_SECONDS,
            httponly=True,
            samesite="strict",
            secure=request.url.scheme == "https",
            path="/",
        )
        return response

    @r.post("/logout")
    async def logout(request: Request) -> JSONResponse:
        """Ends the session on the server (its cookie is refused from now on, even if kept)."""
        ended = gate.logout(request.cookies.get(COOKIE))
        response = JSONResponse({"ok": True, "ended": ended, "message": LOGGED_OUT})
        response.delete_cookie(COOKIE, path="/", httponly=True, samesite="strict")
        return response

    return r


def docs_json(assistant: Assistant) -> list[dict[str, Any]]:
    """The same list as `reformqa docs --json`."""
    return [doc_json(d) for d in assistant.docs()]


def router(assistant: Assistant) -> APIRouter:
    r = APIRouter(prefix="/api")
    # Questions wait for their LLM in threads of their own pool: 45 questions on a slow
    # endpoint used to hold all 40 threads of the shared pool, and /api/docs waited 37 s.
    ask_threads = anyio.CapacityLimiter(assistant.settings.server.ask_threads)

    @r.post("/ask")
    async def ask(body: AskRequest) -> dict[str, Any]:
        # Unknown ids are refused by name (404), as /api/search refuses them; place-aware
        # retrieval would otherwise narrow them away and answer 200 "nothing found".
        flt = SearchFilter(tuple(assistant.resolve_report(r) for r in body.reports)) if body.reports else None

        def answer() -> dict[str, Any]:
            return answer_json(assistant.ask(body.question, to_turns(body.history), flt=flt))

        return await anyio.to_thread.run_sync(answer, limiter=ask_threads)

    @r.post("/search")
    def search(body: SearchRequest) -> dict[str, Any]:
        flt = SearchFilter(tuple(body.reports), tuple(body.regions), tuple(body.years))
        hits = assistant.search(body.query, body.k, flt)
        return {"query": body.query, "results": [hit_json(h, i) for i, h in enumerate(hits, 1)]}

    @r.get("/docs")
    def docs() -> list[dict[str, Any]]:
        return docs_json(assistant)

    return r


def add_api(app: FastAPI, assistant: Assistant, gate: AdminGate | None = None) -> None:
    """Add the routes and the error translation to `app` (before Gradio is mounted at /)."""
    app.include_router(router(assistant))
    app.include_router(admin_router(gate or AdminGate(assistant)))

    # Last among /api routes: an unknown /api path is the API's 404, not Gradio's page router.
    @app.api_route("/api/{rest:path}", methods=["GET", "POST", "PUT", "PATCH", "DELETE"], include_in_schema=False)
    async def _unknown(rest: str) -> JSONResponse:
        return error_response(404, f"no such API route: /api/{rest}; see /api/docs-ui")

    @app.exception_handler(ReformQAError)
    async def _project_error(request: Request, exc: ReformQAError) -> JSONResponse:
        return error_response(status_for(exc), str(exc))

    @app.exception_handler(RequestValidationError)
    async def _bad_request(request: Request, exc: RequestValidationError) -> JSONResponse:
        return error_response(400, _validation_message(exc))

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        # FastAPI's own `{"detail": …}` (a body that is not UTF-8 JSON, an unknown route or
        # method) in the API's one error shape.
        detail = exc.detail if isinstance(exc.detail, str) else "bad request"
        if exc.status_code == 400 and "parsing the body" in detail:
            detail = "invalid request: the body must be JSON in UTF-8"
        return JSONResponse({"ok": False, "error": detail}, status_code=exc.status_code, headers=exc.headers)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unexpected error on %s", request.url.path)
        return error_response(500, "internal error: see the server log")
