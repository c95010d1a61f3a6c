"""The web app: Gradio Blocks (问答 / 检索 / 资料库) mounted on a FastAPI app beside the HTTP API.

`serve` is what `reformqa serve` calls; `create_app` is the ASGI app for tests and servers.
"""

from __future__ import annotations

import importlib
import logging
import time
from typing import Any

import gradio as gr
from fastapi import FastAPI
from starlette.middleware.cors import CORSMiddleware

from assistant.facade import Assistant
from index.errors import ReformQAError
from ui import chat_tab, library_tab, search_tab
from ui.admin import AdminGate
from ui.api import add_api
from ui.guard import ApiBodyCap, GradioGuard, OriginGuard, UploadCaps
from ui.library_view import LIBRARY_CSS
from ui.locale import ChineseInterface, gradio_translations
from ui.theme import CSS, HEAD, theme

log = logging.getLogger("reformqa.app")

TITLE = "ReformQA · 开发区改革报告问答"
INTRO = (
    "# ReformQA · 开发区改革报告问答\n"
    "回答只摘自资料库中的开发区、高新区管理体制改革报告，每句都注明出处；报告里找不到的，会直接说明。"
)


# Gradio deletes its cached uploads and downloads older than an hour, every ten minutes.
CACHE_SWEEP = (600, 3600)


def build_blocks(assistant: Assistant, gate: AdminGate | None = None) -> gr.Blocks:
    """The three tabs, with their filters and tables filled on page load."""
    demo = gr.Blocks(title=TITLE, analytics_enabled=False, delete_cache=CACHE_SWEEP)
    with demo:
        gr.Markdown(INTRO, elem_classes=["rq-header"])
        with gr.Tabs(elem_id="rq-tabs"):
            with gr.Tab("问答", id="chat", elem_id="rq-tab-chat"):
                chat = chat_tab.build(assistant)
            with gr.Tab("检索", id="search", elem_id="rq-tab-search"):
                search = search_tab.build(assistant)
            with gr.Tab("资料库", id="library", elem_id="rq-tab-library"):
                library = library_tab.build(assistant, gate)

        for event in library.changed:
            event.then(search.handlers.filters, None, search.filters, api_visibility="private")
        demo.load(*chat.on_load, api_visibility="private")  # the conversation kept in the browser
        demo.load(search.handlers.filters, None, search.filters, api_visibility="private")
        demo.load(library.handlers.table, None, library.table, api_visibility="private")
        if library.remove_pick is not None:
            demo.load(library.handlers.choices, None, library.remove_pick, api_visibility="private")
        if library.on_load is not None:
            demo.load(*library.on_load, api_visibility="private")
    return demo


def create_app(assistant: Assistant) -> FastAPI:
    """FastAPI with /api/* first, then the Gradio app at / (routes match in that order)."""
    app = FastAPI(title="ReformQA", docs_url="/api/docs-ui", redoc_url=None, openapi_url="/api/openapi.json")
    gate = AdminGate(assistant)
    add_api(app, assistant, gate)
    blocks = build_blocks(assistant, gate).queue(default_concurrency_limit=2)
    mounted: FastAPI = gr.mount_gradio_app(
        app,
        blocks,
        path="/",
        footer_links=[],
        show_error=False,
        max_file_size=assistant.settings.limits.max_upload_bytes,
        ssr_mode=False,
        mcp_server=False,
        theme=theme(),
        css=CSS + LIBRARY_CSS,
        i18n=gradio_translations(),
        head=HEAD,
    )
    secure_mount(mounted, blocks, gate)
    mounted.add_middleware(ChineseInterface)  # Gradio's own strings in Chinese for any browser language
    mounted.add_middleware(ApiBodyCap)  # FastAPI reads a body whole before any field limit
    allowed = assistant.settings.server.allowed_origins
    # Replaces Gradio's CORS (which approves any origin under a real host name, with
    # credentials): only the configured origins may read replies from another origin.
    mounted.add_middleware(CORSMiddleware, allow_origins=list(allowed), allow_credentials=True)
    mounted.add_middleware(OriginGuard, gate=gate, allowed=allowed)  # outermost: before any body is read
    return mounted


def secure_mount(app: FastAPI, blocks: gr.Blocks, gate: AdminGate) -> None:
    """Security for a mounted Gradio app (see ui/guard.py, finding 1 of issue 12)."""
    # `launch()` would set this; without it Gradio skips its own check that event file data
    # lies in its upload folder. Kept on as a second line behind the guard.
    blocks.has_launched = True
    caps = UploadCaps.for_file_limit(gate.assistant.settings.limits.max_upload_bytes)
    app.add_middleware(GradioGuard, gate=gate, created=blocks.upload_file_set, caps=caps)


WARM_QUESTION = "开发区管理体制改革有哪些主要做法？"


def warm_up(assistant: Assistant) -> float:
    """Load the model and open the index (vectors, keywords, places, jieba) by answering one
    question and its next-question check, so that the first visitor's question is as fast
    as the rest (it took ~4 s behind a status line). Returns the seconds it took."""
    started = time.perf_counter()
    try:
        # Never the LLM: a start must not wait on (or pay for) an endpoint.
        assistant.suggest_questions(assistant.ask(WARM_QUESTION, use_llm=False))
    except ReformQAError as exc:  # no index yet: the first question loads what it needs
        log.warning("warm-up skipped: %s", exc)
    return time.perf_counter() - started


def uvicorn_options(assistant: Assistant) -> dict[str, Any]:
    """How uvicorn treats X-Forwarded-For/-Proto: believed only from `server.trusted_proxies`.
    (uvicorn's default believes them from 127.0.0.1, so any local client, or a proxy's
    other users, could pose as a new address on every login try.)"""
    trusted = assistant.settings.server.trusted_proxies
    if not trusted:
        return {"proxy_headers": False}
    return {"proxy_headers": True, "forwarded_allow_ips": list(trusted)}


def serve(assistant: Assistant, *, host: str = "127.0.0.1", port: int = 7860, **options: Any) -> None:
    """Run the app with uvicorn until interrupted (loopback unless `host` says otherwise).
    The model and the index are loaded before the port opens (`warm_up`)."""
    import uvicorn

    app = create_app(assistant)
    print(f"ReformQA: model and index loaded in {warm_up(assistant):.1f} s", flush=True)
    if assistant.engine.llm_configured:
        # The LLM client's imports (openai, langchain_openai) take about a second of CPU,
        # holding every other request up: paid here, before the port opens, not by the
        # first question (the warm-up never asks the LLM).
        importlib.import_module("assistant.llm")
    print(f"ReformQA: http://{host}:{port}/  (API: /api/ask, /api/search, /api/docs)", flush=True)
    uvicorn.run(app, host=host, port=port, log_level="warning", **{**uvicorn_options(assistant), **options})
