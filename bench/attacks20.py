"""Issue 20's attacks, replayed by bench/attack.py.

20-1 An LLM endpoint that sends a byte a second and never finishes (`DrippingLLM`, which
     the script's own app uses; a running app must be pointed at `--drip-port` by hand):
     one /api/ask, then 45 at once, while /api/docs is probed.
20-3 Logout, then the old session cookie replayed: an upload and the 重新索引全部 event.
20-4 30 wrong passwords, each with a new X-Forwarded-For.
20-5 As a signed-in admin's browser would send them from another page: the deletion of a
     report through Gradio's queue/join with a foreign Origin, a foreign Referer, Origin
     null, and no Origin or Referer without the CSRF token. The report named does not
     exist, so the replay deletes nothing even where it is not refused.
"""

from __future__ import annotations

import json
import statistics
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
from attack_kit import COOKIE, Result, call_event, dependency, filler, probe

NOT_SIGNED_IN = "请先输入管理员密码并登录"
ASK = "天津高新区干部人员工资划分为哪两部分？"


# -- a dripping LLM endpoint ------------------------------------------------------------------
class DrippingLLM:
    """An OpenAI-compatible endpoint on loopback. While `drip` is set it answers every
    request with headers and then one byte a second, for ever; otherwise with a quick 503
    (so the other attacks' questions fall back at once)."""

    def __init__(self, port: int = 0) -> None:
        self.drip = threading.Event()
        self.stop = threading.Event()
        self.active = 0
        self._lock = threading.Lock()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                with outer._lock:
                    outer.active += 1
                try:
                    if not outer.drip.is_set():
                        body = json.dumps({"error": {"message": "not now", "type": "server_error"}}).encode()
                        self.send_response(503)
                        self.send_header("Content-Type", "application/json")
                        self.send_header("Content-Length", str(len(body)))
                        self.end_headers()
                        self.wfile.write(body)
                        return
                    self.send_response(200)
                    self.send_header("Content-Type", "application/json")
                    self.end_headers()
                    self.wfile.write(b"{")
                    self.wfile.flush()
                    while not outer.stop.wait(1.0):
                        self.wfile.write(b" ")
                        self.wfile.flush()
                except OSError:
                    pass  # the client hung up: what a deadline does
                finally:
                    with outer._lock:
                        outer.active -= 1

        class Server(ThreadingHTTPServer):
            request_queue_size = 256
            daemon_threads = True

        self.httpd = Server(("127.0.0.1", port), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, args=(0.1,), daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"

    def close(self) -> None:
        self.stop.set()
        self.httpd.shutdown()
        self.httpd.server_close()


def dripping_llm(base: str, seconds: float, llm: DrippingLLM, clients: int = 45, bound: float = 12.0) -> Result:
    r = Result(
        f"20-1 LLM drips 1 byte/s: 1 ask, then {clients}",
        expected=f"expected: 200s with the extractive answer and a note, the single ask within {bound:.0f} s",
    )
    took: list[float] = []
    lock = threading.Lock()

    def one(timeout: float) -> None:
        started = time.monotonic()
        try:
            reply = httpx.post(f"{base}/api/ask", json={"question": ASK}, timeout=timeout)
            code = str(reply.status_code) if "秒内没有答完" in reply.json().get("note", "") else f"{reply.status_code}?"
        except (httpx.HTTPError, ValueError) as exc:
            code = type(exc).__name__
        with lock:
            r.statuses[code] += 1
            took.append(time.monotonic() - started)

    llm.drip.set()
    try:
        with probe(base, r, seconds):
            one(min(seconds, 60))
            single = took[0]
            threads = [threading.Thread(target=one, args=(seconds,), daemon=True) for _ in range(clients)]
            for t in threads:
                t.start()
            for t in threads:
                t.join(seconds)
    finally:
        llm.drip.clear()
    end = time.monotonic() + 10
    while llm.active and time.monotonic() < end:
        time.sleep(0.1)
    r.extra = (
        f"single ask {single:.1f} s; {clients} asks median {statistics.median(took[1:]):.1f} s, "
        f"worst {max(took[1:]):.1f} s; connections left open at the endpoint: {llm.active}"
    )
    r.refused_ok = set(r.statuses) == {"200"} and single <= bound and llm.active == 0
    return r


# -- sessions, forwarded headers, origins -----------------------------------------------------
def login(base: str, password: str) -> tuple[dict[str, str], str]:
    """A session cookie and its CSRF token, signed in as the app's own page would."""
    for _ in range(10):
        reply = httpx.post(f"{base}/api/admin/login", json={"password": password}, headers={"Origin": base}, timeout=30)
        if reply.status_code == 429:  # an earlier attack left a back-off
            time.sleep(float(reply.headers.get("retry-after", "1")))
            continue
        if reply.status_code != 200:
            raise SystemExit(f"cannot sign in ({reply.status_code}): {reply.text[:200]}")
        return {COOKIE: reply.cookies[COOKIE]}, str(reply.json().get("csrf", ""))
    raise SystemExit("cannot sign in: the login stayed locked")


def logout_replay(base: str, seconds: float, password: str) -> Result:
    r = Result("20-3 session cookie replayed after logout", expected="expected: upload 403, re-index refused")
    cookies, _csrf = login(base, password)
    page = {"Origin": base}
    reindex, _ = dependency(base, "rq-reindex")
    with probe(base, r, seconds):
        out = httpx.post(f"{base}/api/admin/logout", cookies=cookies, headers=page, timeout=30)
        r.statuses[f"logout {out.status_code}"] += 1
        up = httpx.post(
            f"{base}/gradio_api/upload", files={"files": ("x.txt", b"x")}, cookies=cookies, headers=page, timeout=30
        )
        r.statuses[f"upload {up.status_code}"] += 1
        joined, output = call_event(base, reindex, [], cookies=cookies, headers=page, timeout=seconds)
        refused = joined.status_code == 403 or (output is not None and NOT_SIGNED_IN in str(output[0]))
        r.statuses["re-index refused" if refused else "re-index STARTED"] += 1
    r.refused_ok = out.status_code == 200 and up.status_code == 403 and refused
    return r


def forwarded_for(base: str, seconds: float, tries: int = 30) -> Result:
    r = Result(
        f"20-4 {tries} wrong passwords, new X-Forwarded-For each",
        expected="expected: 1 real check (401), then 429",
    )
    with probe(base, r, seconds), httpx.Client(timeout=30) as c:
        for i in range(tries):
            headers = {"Origin": base, "X-Forwarded-For": f"198.51.100.{i + 1}"}
            reply = c.post(f"{base}/api/admin/login", json={"password": f"guess-{i}"}, headers=headers)
            r.statuses[str(reply.status_code)] += 1
    r.refused_ok = r.statuses.get("401", 0) <= 1 and r.statuses.get("429", 0) >= tries - 1
    return r


def cross_origin(base: str, seconds: float, password: str) -> Result:
    r = Result("20-5 deletion from another origin (admin cookie)", expected="expected: every join refused (403)")
    cookies, _csrf = login(base, password)
    fill, (delete, _inputs) = filler(base, "rq-remove-pick"), dependency(base, "rq-confirm-delete")
    forged = [
        {"Origin": "http://127.0.0.1:8000"},
        {"Origin": "http://evil.example.org"},
        {"Origin": "null"},
        {"Referer": "http://127.0.0.1:8000/cats.html"},
        {},  # no Origin, no Referer, no CSRF token: an old browser's form
    ]
    with probe(base, r, seconds):
        for i, headers in enumerate(forged):
            session = f"attack20-5-{i}"
            call_event(base, fill, [], cookies=cookies, headers=headers, session=session, timeout=seconds)
            joined, _ = call_event(
                base, delete, ["attack-probe-no-such-report"], cookies=cookies, headers=headers, session=session
            )
            r.statuses[str(joined.status_code)] += 1
    r.refused_ok = set(r.statuses) == {"403"}
    return r
