"""Issue 20, findings 1 and 3–6, replayed over real HTTP against a served app.

- 1: the LLM endpoint drips a byte a second for ever (a scripted OpenAI-compatible server on
  loopback): `/api/ask` answers within the deadline, follow-ups too, and 45 such questions at
  once leave `/api/docs` fast and no connection to the endpoint open.
- 3: logout ends the session on the server: the old cookie is refused afterwards.
- 4: `reformqa serve` (its own uvicorn configuration) ignores X-Forwarded-For unless the
  peer is a configured proxy, so the login back-off cannot be reset per try.
- 5: changing requests from another origin (Origin, Referer, `null`, none at all with a
  session cookie) are refused; the read-only API stays open; Gradio's any-origin CORS is off.
- 6: `/api/ask` refuses an unknown report id by name, as `/api/search` does; a file the
  background ingest cannot index is logged with its reason, and named in Chinese.
The browser side of 1 and 5 (the web chat, a page of another origin) is in
tests/test_browser_security.py.
"""

from __future__ import annotations

import logging
import statistics
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from served import call_event, dependency, filler, in_thread, subprocess_serve
from test_bounded_reads import BODY, _docx_with, _pdf_pages
from test_llm import FakeOpenAI, Reply, fake_openai
from test_ui_api import seed_copy_settings  # the seed corpus copied into a private root

from assistant.facade import Assistant
from index.settings import LLMSettings, ServerSettings
from ui.admin import COOKIE, CSRF_HEADER, NOT_SIGNED_IN
from ui.app import uvicorn_options
from ui.ingest_jobs import IngestWorker
from ui.library_view import reason_zh

PASSWORD = "round3-test-password"
LLM_TIMEOUT = 5.0
QUESTION = "天津高新区干部人员工资划分为哪两部分？"


# -- finding 1: a dripping LLM endpoint -------------------------------------------------------
@pytest.fixture(scope="module")
def dripping() -> Iterator[FakeOpenAI]:
    """An endpoint that sends a byte a second and never finishes (the issue's attack)."""
    with fake_openai(lambda body: Reply(drip=1.0)) as fake:
        yield fake


@pytest.fixture(scope="module")
def llm_app(tmp_path_factory: pytest.TempPathFactory, dripping: FakeOpenAI) -> Iterator[str]:
    llm = LLMSettings(base_url=dripping.url, model="fake", timeout=LLM_TIMEOUT, max_retries=0)
    assistant = Assistant(seed_copy_settings(tmp_path_factory.mktemp("llm"), llm=llm))
    assistant.ingest()
    with in_thread(assistant) as base:
        yield base


def _ask(base: str, body: dict[str, object], timeout: float = 60) -> tuple[httpx.Response, float]:
    started = time.monotonic()
    r = httpx.post(f"{base}/api/ask", json=body, timeout=timeout)
    return r, time.monotonic() - started


def test_a_dripping_llm_gives_the_extractive_answer_within_12_seconds(llm_app: str) -> None:
    """The issue's Done-when, over the HTTP API (before: 150 s, until the endpoint stopped)."""
    r, seconds = _ask(llm_app, {"question": QUESTION}, timeout=30)
    assert r.status_code == 200 and seconds < 12, (r.status_code, seconds)
    a = r.json()
    assert a["mode"] == "extractive" and a["grounded"] and a["citations"]
    assert a["note"] == f"大模型在 {LLM_TIMEOUT:.0f} 秒内没有答完（请求超时），以下为抽取式答案。"


def test_a_follow_up_whose_rewrite_drips_answers_within_12_seconds(llm_app: str) -> None:
    """A follow-up first asks the LLM to rewrite it: that call had no limit at all."""
    first, _ = _ask(llm_app, {"question": QUESTION}, timeout=30)
    turn = {"question": QUESTION, **{k: first.json()[k] for k in ("answer", "grounded", "citations")}}
    r, seconds = _ask(llm_app, {"question": "那衡阳呢？", "history": [turn]}, timeout=30)
    assert r.status_code == 200 and seconds < 12, (r.status_code, seconds)
    assert "秒内没有答完" in r.json()["note"]


def test_45_dripping_questions_neither_starve_other_requests_nor_leave_connections(
    llm_app: str, dripping: FakeOpenAI
) -> None:
    """Before: /api/docs took 37 s while 45 such questions held every worker thread."""
    results: list[tuple[int, float]] = []
    lock = threading.Lock()

    def one() -> None:
        try:
            r, seconds = _ask(llm_app, {"question": QUESTION}, timeout=120)
            outcome = (r.status_code, seconds)
        except httpx.HTTPError:
            outcome = (0, 120.0)
        with lock:
            results.append(outcome)

    threads = [threading.Thread(target=one, daemon=True) for _ in range(45)]
    for t in threads:
        t.start()
    probes: list[float] = []
    with httpx.Client(timeout=30) as c:
        while any(t.is_alive() for t in threads) and len(probes) < 400:
            started = time.monotonic()
            assert c.get(f"{llm_app}/api/docs").status_code == 200
            probes.append(time.monotonic() - started)
            time.sleep(0.2)
    for t in threads:
        t.join(120)
    assert len(results) == 45 and all(code == 200 for code, _ in results), results
    # Typically a median of 10 ms and a worst of 0.5–2 s on the shared 2-core machine (the
    # client, the app and the endpoint share one process here); before the fix, 37 s.
    assert max(probes) < 5.0, f"/api/docs median {statistics.median(probes):.2f} s, worst {max(probes):.2f} s"
    deadline = time.monotonic() + 10
    while dripping.active and time.monotonic() < deadline:
        time.sleep(0.1)
    assert dripping.active == 0, "connections to the LLM endpoint were left reading"


# -- findings 3 and 5: sessions and origins ---------------------------------------------------
@pytest.fixture(scope="module")
def admin_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Assistant]]:
    assistant = Assistant(seed_copy_settings(tmp_path_factory.mktemp("admin"), admin_password=PASSWORD))
    assistant.ingest()
    with in_thread(assistant) as base:
        yield base, assistant


def _login(base: str) -> tuple[dict[str, str], str]:
    r = httpx.post(f"{base}/api/admin/login", json={"password": PASSWORD}, headers={"Origin": base}, timeout=30)
    assert r.status_code == 200, r.text
    return {COOKIE: r.cookies[COOKIE]}, str(r.json()["csrf"])


def _reindex(base: str, cookies: dict[str, str], headers: dict[str, str]) -> str:
    """The status the library's 重新索引全部 event shows (its first output)."""
    fn, _ = dependency(base, "rq-reindex")
    joined, output = call_event(base, fn, [], cookies=cookies, headers=headers)
    assert joined.status_code == 200 and output is not None, joined.text
    return str(output[0])


def test_logout_ends_the_session_on_the_server(admin_app: tuple[str, Assistant]) -> None:
    """Before: the old cookie still re-indexed and uploaded for its remaining 30 minutes."""
    base, assistant = admin_app
    cookies, _csrf = _login(base)
    browser = {"Origin": base}
    assert NOT_SIGNED_IN not in _reindex(base, cookies, browser)  # signed in: the re-index starts
    out = httpx.post(f"{base}/api/admin/logout", cookies=cookies, headers=browser, timeout=30)
    assert out.status_code == 200
    # The attacker kept a copy of the cookie.
    assert NOT_SIGNED_IN in _reindex(base, cookies, browser)
    up = httpx.post(
        f"{base}/gradio_api/upload", files={"files": ("x.txt", b"abc")}, cookies=cookies, headers=browser, timeout=30
    )
    assert up.status_code == 403
    assert out.json()["ended"] is True
    assert COOKIE in out.headers.get("set-cookie", "")  # the browser is told to forget it, too
    again = httpx.post(f"{base}/api/admin/logout", cookies=cookies, headers=browser, timeout=30)
    assert again.json()["ended"] is False
    assert assistant.docs()  # nothing was lost on the way


def _delete(base: str, doc_id: str, cookies: dict[str, str], headers: dict[str, str]) -> httpx.Response:
    """The library's 确认删除 event through Gradio's API, as the issue's attacker sent it: first
    the page-load event that fills the report picker in its session, then the deletion."""
    session = "attacker-" + headers.get("Origin", "none")[-6:]
    call_event(base, filler(base, "rq-remove-pick"), [], cookies=cookies, headers=headers, session=session)
    fn, inputs = dependency(base, "rq-confirm-delete")
    assert inputs == ["dropdown"]
    joined, _output = call_event(base, fn, [doc_id], cookies=cookies, headers=headers, session=session)
    return joined


@pytest.mark.parametrize(
    "headers",
    [
        {"Origin": "http://127.0.0.1:8000"},  # another port of the same host: the attack
        {"Origin": "http://evil.example.org"},
        {"Origin": "null"},  # a sandboxed frame or a local file
        {"Referer": "http://127.0.0.1:8000/attack.html"},  # no Origin, a foreign page
    ],
)
def test_a_page_of_another_origin_cannot_delete_a_report(
    admin_app: tuple[str, Assistant], headers: dict[str, str]
) -> None:
    base, assistant = admin_app
    cookies, _csrf = _login(base)
    victim = assistant.docs()[0].doc_id
    joined = _delete(base, victim, cookies, headers)
    assert victim in {d.doc_id for d in assistant.docs()}  # before: deleted
    assert joined.status_code == 403 and "其他网站" in joined.json()["error"], joined.text


def test_a_script_with_the_cookie_but_no_origin_needs_the_csrf_token(admin_app: tuple[str, Assistant]) -> None:
    """No Origin and no Referer: not a modern browser's page, so the session cookie alone is
    not enough (an old browser's same-site form could send it)."""
    base, _assistant = admin_app
    cookies, csrf = _login(base)
    files = {"files": ("x.txt", b"abc")}
    refused = httpx.post(f"{base}/gradio_api/upload", files=files, cookies=cookies, timeout=30)
    assert refused.status_code == 403 and "X-ReformQA-CSRF" in refused.json()["error"]
    wrong = httpx.post(
        f"{base}/gradio_api/upload", files=files, cookies=cookies, headers={CSRF_HEADER: "0" * 64}, timeout=30
    )
    assert wrong.status_code == 403
    ok = httpx.post(f"{base}/gradio_api/upload", files=files, cookies=cookies, headers={CSRF_HEADER: csrf}, timeout=30)
    assert ok.status_code == 200, ok.text


def test_the_apps_own_pages_may_change_things(tmp_path: Path) -> None:
    assistant = Assistant(seed_copy_settings(tmp_path, admin_password=PASSWORD))
    assistant.ingest()
    with in_thread(assistant) as base:
        cookies, _csrf = _login(base)
        for headers in ({"Origin": base}, {"Referer": f"{base}/?tab=library"}):
            assert NOT_SIGNED_IN not in _reindex(base, cookies, headers)
        victim = assistant.docs()[0].doc_id
        assert _delete(base, victim, cookies, {"Origin": base}).status_code == 200
        assert victim not in {d.doc_id for d in assistant.docs()}  # the same request, from the app, works


def test_sign_in_and_out_only_from_the_apps_pages(admin_app: tuple[str, Assistant]) -> None:
    base, _assistant = admin_app
    evil = {"Origin": "http://127.0.0.1:8000"}
    r = httpx.post(f"{base}/api/admin/login", json={"password": PASSWORD}, headers=evil, timeout=30)
    assert r.status_code == 403 and COOKIE not in r.cookies
    cookies, _csrf = _login(base)
    assert httpx.post(f"{base}/api/admin/logout", cookies=cookies, headers=evil, timeout=30).status_code == 403
    assert NOT_SIGNED_IN not in _reindex(base, cookies, {"Origin": base})  # still signed in


def test_the_read_only_api_stays_open_to_other_origins(admin_app: tuple[str, Assistant]) -> None:
    base, _assistant = admin_app
    evil = {"Origin": "http://127.0.0.1:8000"}
    ask = httpx.post(f"{base}/api/ask", json={"question": QUESTION}, headers=evil, timeout=60)
    search = httpx.post(f"{base}/api/search", json={"query": "天津高新区", "k": 3}, headers=evil, timeout=60)
    assert ask.status_code == 200 and search.status_code == 200
    assert httpx.get(f"{base}/api/docs", headers=evil, timeout=30).status_code == 200


def test_no_other_origin_may_read_replies_under_a_real_host_name(admin_app: tuple[str, Assistant]) -> None:
    """Gradio's CORS reflects any Origin, with credentials, when the Host is not localhost."""
    base, _assistant = admin_app
    headers = {"Host": "reformqa.example.org", "Origin": "http://evil.example.org"}
    preflight = {**headers, "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "content-type"}
    for r in (
        httpx.get(f"{base}/config", headers=headers, timeout=30),
        httpx.options(f"{base}/gradio_api/queue/join", headers=preflight, timeout=30),
    ):
        assert "access-control-allow-origin" not in r.headers, r.headers


def test_a_configured_origin_is_allowed(tmp_path: Path) -> None:
    """Behind a reverse proxy that rewrites Host, its public origin is configured."""
    public = "https://reformqa.example.org"
    settings = seed_copy_settings(
        tmp_path, admin_password=PASSWORD, server=ServerSettings(allowed_origins=(public,))
    )
    assistant = Assistant(settings)
    assistant.ingest()
    with in_thread(assistant) as base:
        cookies, _csrf = _login(base)
        assert NOT_SIGNED_IN not in _reindex(base, cookies, {"Origin": public})
        assert _reindex_refused(base, cookies, {"Origin": "https://other.example.org"})


def _reindex_refused(base: str, cookies: dict[str, str], headers: dict[str, str]) -> bool:
    fn, _ = dependency(base, "rq-reindex")
    joined, _output = call_event(base, fn, [], cookies=cookies, headers=headers)
    return joined.status_code == 403


# -- finding 4: forwarded headers -------------------------------------------------------------
def test_a_new_forwarded_for_per_try_does_not_reset_the_back_off(tmp_path: Path) -> None:
    """Through `reformqa serve` itself. Before: uvicorn believed X-Forwarded-For from
    127.0.0.1, so each try with a new one was a new client: 300 checks in 1.3 s."""
    root = tmp_path / "serve"
    corpus = seed_copy_settings(root).corpus_dir
    with subprocess_serve(root, corpus, [], {"REFORMQA_ADMIN_PASSWORD": PASSWORD}) as base:
        codes = []
        for i in range(6):
            r = httpx.post(
                f"{base}/api/admin/login",
                json={"password": f"guess-{i}"},
                headers={"Origin": base, "X-Forwarded-For": f"10.1.2.{i + 1}"},
                timeout=30,
            )
            codes.append(r.status_code)
    assert codes[0] == 401 and set(codes[1:]) == {429}, codes


def test_forwarded_headers_count_only_from_configured_proxies(tmp_path: Path) -> None:
    """With this machine configured as the proxy, each forwarded client has its own back-off."""
    settings = seed_copy_settings(
        tmp_path, admin_password=PASSWORD, server=ServerSettings(trusted_proxies=("127.0.0.1",))
    )
    assert uvicorn_options(Assistant(seed_copy_settings(tmp_path / "b"))) == {"proxy_headers": False}
    assert uvicorn_options(Assistant(settings))["forwarded_allow_ips"] == ["127.0.0.1"]
    assistant = Assistant(settings)
    assistant.ingest()
    with in_thread(assistant) as base:
        def login(client: str) -> int:
            headers = {"Origin": base, "X-Forwarded-For": client}
            return httpx.post(f"{base}/api/admin/login", json={"password": "x"}, headers=headers, timeout=30).status_code

        assert [login("10.1.2.1"), login("10.1.2.1"), login("10.1.2.2")] == [401, 429, 401]


# -- finding 6: an unknown report id ----------------------------------------------------------
def test_ask_refuses_an_unknown_report_like_search(admin_app: tuple[str, Assistant]) -> None:
    base, _assistant = admin_app
    ask = httpx.post(f"{base}/api/ask", json={"question": QUESTION, "reports": ["nope-404"]}, timeout=60)
    search = httpx.post(f"{base}/api/search", json={"query": "天津", "reports": ["nope-404"]}, timeout=60)
    assert ask.status_code == search.status_code == 404
    assert "'nope-404'" in ask.json()["error"] and ask.json()["ok"] is False


def test_failed_files_are_logged_by_name_and_named_in_chinese(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A .docx bomb said "详情见服务器日志" with nothing in the log; 10,000 PDF pages said "文件太大"."""
    settings = seed_copy_settings(tmp_path)
    bomb = _docx_with({"word/media/image1.png": bytes(140_000_000)})  # a 140 KB zip of 140 MB
    (settings.corpus_dir / "bomb.docx").write_bytes(bomb)
    (settings.corpus_dir / "pages.pdf").write_bytes(_pdf_pages(10_000))
    worker = IngestWorker(Assistant(settings))
    caplog.set_level(logging.WARNING, logger="reformqa.ingest_jobs")
    worker.start()
    summary = worker.wait(300).summary
    assert summary is not None
    reasons = dict(summary.failed)
    logged = [r.getMessage() for r in caplog.records if r.name == "reformqa.ingest_jobs"]
    assert any(m.startswith("could not index 'bomb.docx': ") and "unpacks to more than" in m for m in logged), logged
    assert any("'pages.pdf'" in m and "10,000 pages" in m for m in logged), logged
    assert not any(BODY[:12] in m for m in logged)  # the reason, never the content
    assert reason_zh(reasons["bomb.docx"]).startswith("解压后的内容超过上限")
    assert reason_zh(reasons["pages.pdf"]) == "页数太多（10,000 页，上限 5,000 页）；请拆分成较小的 PDF 再上传。"
