"""Replay of the attacks of issues 12 and 20 against the web app, on loopback only, bounded.

For each attack a probe thread asks GET /api/docs every 0.2 s while the attack runs and
the script prints how long /api/docs took (median and worst); the target is at most 1 s.

1. The upload event through Gradio's own HTTP API (`/gradio_api/queue/join`) naming
   `/dev/zero` and `/etc/passwd`, with a wrong password / no session (finding 1).
2. 100 anonymous 1 MB uploads to `/gradio_api/upload` (finding 3).
3. /api/ask with a `history` of turns holding 20,000-character questions ("天津"×9999),
   from 4 clients at once (finding 5).
4. With the admin password: an upload of a .docx zip bomb (a few hundred KB that inflate to
   hundreds of MB) and a large GBK text, then the library's upload event (finding 6).
Issue 20 (bench/attacks20.py): 20-1 an LLM endpoint dripping a byte a second (1 ask, then 45),
20-3 a session cookie replayed after logout, 20-5 a deletion from another origin with the
admin's cookie, 20-4 a new X-Forwarded-For per login try (last: it leaves a back-off).

Usage:
    python bench/attack.py                         # starts its own app (seed corpus, fake embedder)
    python bench/attack.py --url http://127.0.0.1:7860 --password PW   # a running app
Options: --max-seconds per attack (default 60), --real-model for the own app, --drip-port
PORT to serve the dripping endpoint for a running app started with
REFORMQA_LLM__BASE_URL=http://127.0.0.1:PORT/v1 REFORMQA_LLM__TIMEOUT=5 REFORMQA_LLM__MAX_RETRIES=0
(without it, 20-1 is skipped against a running app). The own app uses that endpoint, which
answers 503 at once outside 20-1.
Exit status 1 when /api/docs took more than 1 s, failed, or an attack was not refused.
"""

from __future__ import annotations

import argparse
import io
import ipaddress
import os
import secrets
import shutil
import socket
import sys
import tempfile
import threading
import time
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from attack_kit import COOKIE, CSRF_HEADER, Result, dependency, probe
from attacks20 import DrippingLLM, cross_origin, dripping_llm, forwarded_for, login, logout_replay
from load import environment, server  # the same private server as the load test

REPO = Path(__file__).resolve().parent.parent


def require_loopback(url: str) -> None:
    host = urlsplit(url).hostname or ""
    try:
        addresses = {str(info[4][0]) for info in socket.getaddrinfo(host, None)}
    except OSError as exc:
        raise SystemExit(f"cannot resolve {host!r}: {exc}") from exc
    if not addresses or not all(ipaddress.ip_address(a.split("%")[0]).is_loopback for a in addresses):
        raise SystemExit(f"{url} is not a loopback address: this script only attacks 127.0.0.1/::1")


def join(
    base: str,
    event: tuple[int, list[str]],
    paths: list[str],
    cookies: dict[str, str] | None,
    filler: str,
    headers: dict[str, str] | None = None,
) -> httpx.Response:
    """The upload event with `paths` for its file input and `filler` for the others (a wrong
    password when replaying the attack; empty metadata fields for a real upload)."""
    fn_index, inputs = event
    files = [{"path": p, "orig_name": Path(p).name, "meta": {"_type": "gradio.FileData"}} for p in paths]
    data = [files if kind == "file" else filler for kind in inputs]
    body = {"data": data, "fn_index": fn_index, "session_hash": secrets.token_hex(5), "event_data": None}
    return httpx.post(f"{base}/gradio_api/queue/join", json=body, cookies=cookies, headers=headers, timeout=30)


# -- the attacks ----------------------------------------------------------------------------
def server_paths(base: str, seconds: float) -> Result:
    r = Result("1 upload event naming /dev/zero, /etc/passwd", expected="expected: every call refused (403)")
    event = dependency(base, "rq-upload-btn")
    with probe(base, r, seconds):
        for cookies in (None, {COOKIE: "9999999999.00.forged"}):
            for path in ("/etc/passwd", "/dev/zero"):
                reply = join(base, event, [path], cookies, "wrong password")
                r.statuses[str(reply.status_code)] += 1
    r.refused_ok = set(r.statuses) == {"403"}
    return r


def anonymous_uploads(base: str, seconds: float, count: int = 100) -> Result:
    r = Result(f"3 {count} anonymous 1 MB uploads", expected="expected: every upload refused (403)")
    payload = os.urandom(1 << 20)
    deadline = time.monotonic() + seconds
    with probe(base, r, seconds), httpx.Client(timeout=30) as c:
        for i in range(count):
            if time.monotonic() > deadline:
                r.statuses["not sent (time)"] += count - i
                break
            reply = c.post(f"{base}/gradio_api/upload", files={"files": (f"fill-{i}.txt", payload)})
            r.statuses[str(reply.status_code)] += 1
    r.refused_ok = set(r.statuses) == {"403"}
    return r


def long_history(base: str, seconds: float, clients: int = 4, per_client: int = 3) -> Result:
    r = Result(f"5 /api/ask, history of 20k-char turns, {clients} clients", expected="expected: answers or 400s")
    turn = {"question": "天津" * 9999, "answer": "天津高新区……", "grounded": True}
    body = {"question": "那衡阳呢？", "history": [turn] * 20}
    deadline = time.monotonic() + seconds
    lock = threading.Lock()

    def client() -> None:
        with httpx.Client(timeout=seconds) as c:
            for _ in range(per_client):
                if time.monotonic() > deadline:
                    return
                try:
                    code = str(c.post(f"{base}/api/ask", json=body).status_code)
                except httpx.HTTPError as exc:
                    code = type(exc).__name__
                with lock:
                    r.statuses[code] += 1

    with probe(base, r, seconds):
        threads = [threading.Thread(target=client, daemon=True) for _ in range(clients)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(seconds)
    r.refused_ok = all(k in ("200", "400") for k in r.statuses)
    return r


def docx_bomb(inflated: int = 200_000_000) -> bytes:
    """A .docx whose document.xml inflates to `inflated` bytes (a few hundred KB zipped)."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
        z.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types/>')
        with z.open("word/document.xml", "w", force_zip64=True) as f:
            f.write(b'<?xml version="1.0"?><w:document><w:body><w:p><w:r><w:t>')
            chunk = b"a" * (1 << 20)
            for _ in range(inflated // len(chunk)):
                f.write(chunk)
            f.write(b"</w:t></w:r></w:p></w:body></w:document>")
    return buf.getvalue()


def gbk_text(size: int) -> bytes:
    line = "开发区管理体制改革推行“管委会+公司”模式，审批时限压缩一半。\n".encode("gbk")
    return line * (size // len(line))


def heavy_uploads(base: str, seconds: float, password: str, gbk_bytes: int) -> Result:
    r = Result("6 admin upload: .docx bomb + large GBK text", expected="expected: uploads stored, chat stays up")
    cookies, csrf = login(base, password)
    script = {CSRF_HEADER: csrf}  # an admin's script: the session's CSRF token instead of a page's Origin
    files = [("files", ("bomb.docx", docx_bomb())), ("files", ("大文本-gbk.txt", gbk_text(gbk_bytes)))]
    with probe(base, r, seconds):
        up = httpx.post(f"{base}/gradio_api/upload", files=files, cookies=cookies, headers=script, timeout=seconds)
        r.statuses[f"upload {up.status_code}"] += 1
        if up.status_code == 200:
            reply = join(base, dependency(base, "rq-upload-btn"), up.json(), cookies, "", script)
            r.statuses[f"event {reply.status_code}"] += 1
            # Keep probing while the background ingest reads the two files.
            time.sleep(min(seconds, 20))
    r.refused_ok = r.statuses.get("upload 200", 0) == 1
    return r


# -- running --------------------------------------------------------------------------------
@contextmanager
def own_app(real_model: bool, password: str, llm: DrippingLLM) -> Iterator[str]:
    work = Path(tempfile.mkdtemp(prefix="reformqa-attack-"))
    try:
        shutil.copytree(REPO / "corpus", work / "corpus")
        env = environment(work, real_model)
        env.update(
            REFORMQA_ADMIN_PASSWORD=password,
            PYTHONPATH=str(REPO),
            GRADIO_ANALYTICS_ENABLED="False",
            REFORMQA_LLM__BASE_URL=llm.url,
            REFORMQA_LLM__MODEL="attack-drip",
            REFORMQA_LLM__TIMEOUT="5",
            REFORMQA_LLM__MAX_RETRIES="0",
        )
        with server(work, env, startup_timeout=300) as base:
            yield base
    finally:
        shutil.rmtree(work, ignore_errors=True)


def run(base: str, password: str, seconds: float, gbk_bytes: int, llm: DrippingLLM | None) -> list[Result]:
    attacks: list[Callable[[], Result]] = [
        lambda: server_paths(base, seconds),
        lambda: anonymous_uploads(base, seconds),
        lambda: long_history(base, seconds),
        lambda: heavy_uploads(base, seconds, password, gbk_bytes),
        *([lambda: dripping_llm(base, seconds, llm)] if llm is not None else []),
        lambda: logout_replay(base, seconds, password),
        lambda: cross_origin(base, seconds, password),
        lambda: forwarded_for(base, seconds),  # last: it leaves a back-off on this address
    ]
    if llm is None:
        print("skip 20-1 (dripping LLM): pass --drip-port and point the app's LLM at it", flush=True)
    results = []
    for attack in attacks:
        result = attack()
        print(result.line(), flush=True)
        results.append(result)
    return results


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--url", help="a running app on loopback (default: start one)")
    ap.add_argument("--password", default=os.environ.get("REFORMQA_ADMIN_PASSWORD", ""), help="its admin password")
    ap.add_argument("--max-seconds", type=float, default=60.0, help="time bound per attack")
    ap.add_argument("--gbk-mb", type=float, default=19.0, help="size of the GBK text (under the upload limit)")
    ap.add_argument("--real-model", action="store_true", help="own app with the real embedding model")
    ap.add_argument("--drip-port", type=int, help="serve the dripping LLM endpoint here (for --url)")
    args = ap.parse_args(argv)
    gbk_bytes = int(args.gbk_mb * 1_000_000)
    llm = DrippingLLM(args.drip_port or 0) if args.drip_port or not args.url else None
    try:
        if args.url:
            require_loopback(args.url)
            if not args.password:
                raise SystemExit("--password (or REFORMQA_ADMIN_PASSWORD) is needed for the admin attacks")
            results = run(args.url.rstrip("/"), args.password, args.max_seconds, gbk_bytes, llm)
        else:
            assert llm is not None
            password = secrets.token_urlsafe(16)
            with own_app(args.real_model, password, llm) as base:
                print(f"app: {base} (temporary data dir, seed corpus)", flush=True)
                results = run(base, password, args.max_seconds, gbk_bytes, llm)
    finally:
        if llm is not None:
            llm.close()
    failed = [r.name for r in results if not r.ok]
    print("all attacks held (/api/docs ≤ 1 s throughout)" if not failed else f"FAILED: {', '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
