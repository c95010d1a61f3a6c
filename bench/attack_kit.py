"""What the attacks of bench/attack.py share: a result with its probe of /api/docs, and
Gradio's own HTTP API (an event joined to the queue, its output read from the queue's stream).
tests/served.py uses the Gradio helpers too."""

from __future__ import annotations

import json
import secrets
import statistics
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx

TARGET = 1.0  # seconds for /api/docs during an attack
COOKIE = "rq_admin"
CSRF_HEADER = "x-reformqa-csrf"


@dataclass
class Result:
    name: str
    statuses: Counter[str] = field(default_factory=Counter)
    latencies: list[float] = field(default_factory=list)
    probe_failures: int = 0
    expected: str = ""
    refused_ok: bool = True
    extra: str = ""
    """Figures of the attack itself (how long its requests took)."""

    @property
    def worst(self) -> float:
        return max(self.latencies, default=float("nan"))

    @property
    def ok(self) -> bool:
        return self.refused_ok and not self.probe_failures and bool(self.latencies) and self.worst <= TARGET

    def line(self) -> str:
        med = statistics.median(self.latencies) if self.latencies else float("nan")
        codes = ", ".join(f"{k}×{v}" for k, v in sorted(self.statuses.items()))
        verdict = "OK" if self.ok else "FAIL"
        extra = f"; {self.extra}" if self.extra else ""
        return (
            f"{verdict:4} {self.name:44} /api/docs median {med:.3f} s, worst {self.worst:.3f} s "
            f"({len(self.latencies)} probes, {self.probe_failures} failed); replies: {codes}; {self.expected}{extra}"
        )


@contextmanager
def probe(base: str, result: Result, seconds: float) -> Iterator[None]:
    """Time GET /api/docs every 0.2 s while the block runs (at most `seconds` more after it)."""
    stop = threading.Event()

    def run() -> None:
        with httpx.Client(timeout=max(5.0, TARGET * 5)) as c:
            while not stop.is_set():
                t = time.perf_counter()
                try:
                    ok = c.get(f"{base}/api/docs").status_code == 200
                except httpx.HTTPError:
                    ok = False
                if ok:
                    result.latencies.append(time.perf_counter() - t)
                else:
                    result.probe_failures += 1
                stop.wait(0.2)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.wait(min(2.0, seconds))  # a few probes after the attack's requests went out
        stop.set()
        thread.join(seconds)


# -- Gradio's own HTTP API --------------------------------------------------------------------
def _config(base: str) -> dict[str, Any]:
    config: dict[str, Any] = httpx.get(f"{base}/config", timeout=30).json()
    return config


def _component(config: dict[str, Any], elem_id: str) -> set[int]:
    return {c["id"] for c in config["components"] if c.get("props", {}).get("elem_id") == elem_id}


def dependency(base: str, elem_id: str) -> tuple[int, list[str]]:
    """The fn_index of the event a component with `elem_id` triggers, and its inputs' types."""
    config = _config(base)
    types = {c["id"]: c.get("type", "") for c in config["components"]}
    ids = _component(config, elem_id)
    dep = next((d for d in config["dependencies"] if any(t[0] in ids for t in d["targets"])), None)
    if dep is None:
        raise SystemExit(f"the app has no event on #{elem_id} (is REFORMQA_ADMIN_PASSWORD set on the server?)")
    return dep["id"], [types.get(i, "") for i in dep["inputs"]]


def filler(base: str, elem_id: str) -> int:
    """The fn_index of the page-load event that fills the choices of the dropdown `elem_id`
    (Gradio refuses a dropdown value not among a session's choices, so an attacker's session
    runs this first)."""
    config = _config(base)
    target = _component(config, elem_id)
    return int(next(d["id"] for d in config["dependencies"] if set(d["outputs"]) == target and not d["inputs"]))


def call_event(
    base: str,
    fn_index: int,
    data: list[Any],
    *,
    cookies: dict[str, str] | None = None,
    headers: dict[str, str] | None = None,
    timeout: float = 60,
    session: str = "",
) -> tuple[httpx.Response, list[Any] | None]:
    """Join the queue, then read the event's output from the queue's stream (Gradio runs
    an event once its session listens there). The output is None when the join was refused."""
    session = session or secrets.token_hex(6)
    body = {"data": data, "fn_index": fn_index, "session_hash": session, "event_data": None}
    with httpx.Client(timeout=timeout, cookies=cookies, headers=headers) as c:
        joined = c.post(f"{base}/gradio_api/queue/join", json=body)
        if joined.status_code != 200:
            return joined, None
        with c.stream("GET", f"{base}/gradio_api/queue/data", params={"session_hash": session}) as events:
            for line in events.iter_lines():
                if not line.startswith("data:"):
                    continue
                msg = json.loads(line[5:])
                if msg.get("msg") == "process_completed":
                    output = msg.get("output") or {}
                    return joined, list(output.get("data") or [output.get("error")])
    return joined, None
