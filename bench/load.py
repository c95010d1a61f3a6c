"""Load test of the web app's HTTP API on loopback.

Starts `reformqa serve` on a free loopback port, with a temporary data directory and a
copy of corpus/, waits until it answers, then runs CLIENTS threads (one keep-alive httpx
client each) through a fixed plan of REQUESTS requests that mixes POST /api/search,
POST /api/ask and GET /api/docs with real questions about the reports. It then stops the
server and prints the latency (p50, p95, max) per endpoint and every error.

A request is an error unless it answers 200 with the JSON shape of its endpoint (`ok` is
never false; search results and citations carry a report, a text and a span). With
`--ingests K`, K times one report is added, another edited and `reformqa ingest` run in
another process, one after another, beside the load; if the plan is done before the K-th
ingest has committed, the load goes on through the plan again until it has (within
`--timeout`), so that every commit lands among running requests. The added reports must
then be listed and searchable.

The fake embedder (`hash:256`) is the default, for tests; `--real-model` serves with the
bundled multilingual-e5-small, for the figures in docs/BENCHMARKS.md.

Usage: python bench/load.py [--clients 20] [--requests 300] [--real-model] [--ingests K]
                            [--timeout 600] [--json FILE]
Exit status 1 when a request failed or was not run, or an ingest failed.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import random
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import httpx

REPO = Path(__file__).resolve().parent.parent
QUESTIONS = (
    "天津高新区干部工资分为哪两部分?",
    "天津高新区承接了多少项市级权力事项",
    "天津高新区的经济发展局是由哪些部门合并成立的?",
    "天津高新区的审批服务推行了哪几种办理方式?",
    "高新区运行机制方面存在哪些功能异化现象?",
    "高新区对重点难点工作出台了哪些特殊贡献奖励政策?",
    "这一轮开发区改革通过哪四个方面重塑管理体制?",
    "开发区科级机构精简到了多少个?",
    "衡阳园区投资公司的出资人职责对外由谁履行?",
    "衡阳高新区副科级岗位竞聘选出了多少人?",
    "绵阳编制了多少张招商图谱?",
    "绵阳对闲置满一年的土地征收多少闲置费?",
    "开发区管委会应坚持什么授权原则?",
    "開發區的薪酬管理實行什麼模式?",
    "开发区如何解决干部晋升通道窄的问题?",
    "各地开发区推行了哪些管委会加公司的市场化运营模式?",
)
KEYWORDS = ("法定机构改革", "管委会 公司 分离", "以岗定薪", "审批 一枚印章", "园区 闲置土地", "大部制")
MIX = (("search", 0.5), ("ask", 0.35), ("docs", 0.15))
LOAD_MARK = "负载测试报告"
"""Text of the reports `--ingest` adds, so that searches can find them."""


@dataclass(frozen=True)
class Config:
    clients: int = 20
    requests: int = 300
    real_model: bool = False
    ingests: int = 0
    warmup: bool = False
    """Ask every question and run every search once, untimed, before the load."""
    seed: int = 1
    timeout: float = 600.0
    """Seconds for the whole load; requests not started by then count as not run."""
    request_timeout: float = 120.0
    startup_timeout: float = 600.0


@dataclass(frozen=True)
class Call:
    endpoint: str
    body: dict[str, Any] | None = None


@dataclass(frozen=True)
class Outcome:
    endpoint: str
    started: float
    """Seconds since the load began."""
    seconds: float
    status: int
    error: str | None = None


@dataclass(frozen=True)
class IngestRun:
    started: float
    ended: float
    returncode: int
    added: str
    """The doc id of the report this run added."""
    output: str = ""


@dataclass
class LoadResult:
    config: Config
    outcomes: list[Outcome] = field(default_factory=list)
    ingests: list[IngestRun] = field(default_factory=list)
    wall: float = 0.0
    startup: float = 0.0
    warmup: float = 0.0
    not_run: int = 0
    after_ingest: list[str] = field(default_factory=list)
    """Problems found once the load and the ingests were over."""
    machine: str = ""

    @property
    def errors(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.error]

    @property
    def ok(self) -> bool:
        failed_ingests = [r for r in self.ingests if r.returncode != 0]
        return not self.errors and not self.not_run and not failed_ingests and not self.after_ingest

    def during_ingest(self) -> int:
        """Requests that were running while an ingest ran."""
        return sum(
            any(o.started < r.ended and o.started + o.seconds > r.started for r in self.ingests) for o in self.outcomes
        )

    def ingests_during_load(self) -> int:
        """Ingests that finished (committed) before the last request ended."""
        return sum(r.returncode == 0 and r.ended < self.wall for r in self.ingests)

    def summary(self) -> dict[str, Any]:
        rows = {name: _stats([o for o in self.outcomes if o.endpoint == name]) for name, _ in MIX}
        return {
            "config": asdict(self.config),
            "machine": self.machine,
            "startup_s": round(self.startup, 1),
            "warmup_s": round(self.warmup, 1),
            "wall_s": round(self.wall, 2),
            "requests_per_s": round(len(self.outcomes) / self.wall, 1) if self.wall else 0.0,
            "all": _stats(self.outcomes),
            "endpoints": rows,
            "requests": len(self.outcomes),
            "not_run": self.not_run,
            "errors": [asdict(o) for o in self.errors[:20]],
            "ingests": [asdict(r) for r in self.ingests],
            "requests_during_ingest": self.during_ingest(),
            "ingests_during_load": self.ingests_during_load(),
            "after_ingest": self.after_ingest,
        }


def _percentile(values: list[float], p: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


def _stats(outcomes: list[Outcome]) -> dict[str, Any]:
    ms = [o.seconds * 1000 for o in outcomes]
    if not ms:
        return {"requests": 0, "errors": 0}
    return {
        "requests": len(ms),
        "errors": sum(o.error is not None for o in outcomes),
        "p50_ms": round(_percentile(ms, 50), 1),
        "p95_ms": round(_percentile(ms, 95), 1),
        "max_ms": round(max(ms), 1),
    }


def markdown(result: LoadResult) -> str:
    """The figures as a Markdown table, with the run's settings and machine."""
    s = result.summary()
    cfg = result.config
    model = "multilingual-e5-small" if cfg.real_model else "fake embedder hash:256"
    lines = [
        f"{cfg.clients} clients, {len(result.outcomes)} requests, {model}"
        + (f", after a warm-up of {s['warmup_s']} s" if cfg.warmup else ", cold (no warm-up)")
        + (f", {cfg.ingests} ingest(s) beside the load" if cfg.ingests else "")
        + f"; {s['wall_s']} s, {s['requests_per_s']} requests/s; server start and first ingest {s['startup_s']} s",
        f"machine: {result.machine}",
        "",
        "| endpoint | requests | errors | p50 ms | p95 ms | max ms |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for name, row in [*s["endpoints"].items(), ("all", s["all"])]:
        if row["requests"]:
            lines.append(
                f"| {name} | {row['requests']} | {row['errors']} | {row['p50_ms']} | {row['p95_ms']} | {row['max_ms']} |"
            )
    if result.not_run:
        lines.append(f"\n{result.not_run} requests not run (timeout {cfg.timeout:.0f} s)")
    if cfg.ingests:
        ok = sum(r.returncode == 0 for r in result.ingests)
        lines.append(
            f"\ningests: {len(result.ingests)} ({ok} succeeded, {s['ingests_during_load']} committed during the load); "
            f"{s['requests_during_ingest']} requests ran while an ingest ran"
        )
    for o in result.errors[:10]:
        lines.append(f"- error: {o.endpoint} {o.status}: {o.error}")
    lines.extend(f"- after ingest: {p}" for p in result.after_ingest)
    return "\n".join(lines)


def machine() -> str:
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    return (
        f"{platform.system()} {platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}, "
        f"load average {load:.1f} at start, {time.strftime('%Y-%m-%d')}"
    )


# -- the plan ---------------------------------------------------------------------------
def plan(n: int, seed: int) -> list[Call]:
    """N requests, drawn reproducibly from MIX, QUESTIONS and KEYWORDS."""
    rng = random.Random(seed)
    names, weights = [name for name, _ in MIX], [weight for _, weight in MIX]
    calls = []
    for _ in range(n):
        name = rng.choices(names, weights)[0]
        if name == "search":
            query = rng.choice(QUESTIONS + KEYWORDS)
            calls.append(Call("search", {"query": query, "k": rng.choice((3, 5, 8))}))
        elif name == "ask":
            calls.append(Call("ask", {"question": rng.choice(QUESTIONS)}))
        else:
            calls.append(Call("docs"))
    return calls


# -- checking responses -----------------------------------------------------------------
def _span_problem(item: Any, what: str) -> str | None:
    if not isinstance(item, dict):
        return f"{what} is not an object"
    for key, kind in (("doc_id", str), ("start", int), ("end", int)):
        if not isinstance(item.get(key), kind):
            return f"{what} has no {key}"
    text = item.get("text", item.get("quote"))
    if not isinstance(text, str) or not text or item["end"] - item["start"] != len(text):
        return f"{what} has a text that is not its span"
    return None


def check(call: Call, status: int, body: Any) -> str | None:
    """What is wrong with a response, or None when it is a well-formed success."""
    if isinstance(body, dict) and body.get("ok") is False:
        return f"ok: false: {body.get('error')}"
    if status != 200:
        return f"status {status}"
    if call.endpoint == "docs":
        if not isinstance(body, list) or not body or not all(isinstance(d, dict) and d.get("doc_id") for d in body):
            return "docs: not a list of reports"
        return None
    if not isinstance(body, dict):
        return "not a JSON object"
    if call.endpoint == "search":
        results = body.get("results")
        if not isinstance(results, list) or not results or len(results) > int((call.body or {})["k"]):
            return "search: no results, or more than k"
        problems = [_span_problem(r, f"result {i}") for i, r in enumerate(results, 1)]
        return next((p for p in problems if p), None)
    answer, citations = body.get("answer"), body.get("citations")
    if not isinstance(answer, str) or not answer or not isinstance(body.get("grounded"), bool):
        return "ask: no answer text or grounded flag"
    if not isinstance(citations, list) or (body["grounded"] and not citations):
        return "ask: a grounded answer without citations"
    problems = [_span_problem(c, f"citation {i}") for i, c in enumerate(citations, 1)]
    return next((p for p in problems if p), None)


# -- the server -------------------------------------------------------------------------
def _reformqa() -> list[str]:
    exe = Path(sys.executable).with_name("reformqa")
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "reformqa"]


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def environment(work: Path, real_model: bool) -> dict[str, str]:
    """The server's and the ingests' environment: private directories, no user settings."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("REFORMQA_")}
    env.update(
        ANONYMIZED_TELEMETRY="False",
        HF_HUB_OFFLINE="1",
        TOKENIZERS_PARALLELISM="false",
        REFORMQA_DATA_DIR=str(work / "data"),
        REFORMQA_CORPUS_DIR=str(work / "corpus"),
    )
    if not real_model:
        env["REFORMQA_EMBEDDING__MODEL"] = "hash:256"
    return env


@contextmanager
def server(work: Path, env: dict[str, str], startup_timeout: float) -> Iterator[str]:
    """`reformqa serve` on a free loopback port, ready to answer; stopped on exit."""
    port = _free_port()
    log_path = work / "server.log"
    with log_path.open("wb") as log:
        proc = subprocess.Popen(
            [*_reformqa(), "serve", "--host", "127.0.0.1", "--port", str(port)],
            env=env,
            cwd=work,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_ready(proc, base, startup_timeout, log_path)
        yield base
    finally:
        proc.terminate()  # uvicorn shuts down gracefully on SIGTERM
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(30)


def _wait_ready(proc: subprocess.Popen[bytes], base: str, timeout: float, log: Path) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the server exited with {proc.returncode}:\n{_tail(log)}")
        try:
            if httpx.get(f"{base}/api/docs", timeout=5).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.5)
    raise RuntimeError(f"the server did not answer within {timeout:.0f} s:\n{_tail(log)}")


def _tail(path: Path, lines: int = 30) -> str:
    return "\n".join(path.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])


# -- the load ---------------------------------------------------------------------------
class _Clients:
    """CLIENTS threads taking the next call of the plan until it is done or time is up."""

    def __init__(self, base: str, calls: list[Call], cfg: Config, more: Callable[[], bool] = lambda: False) -> None:
        self.base, self.calls, self.cfg, self.more = base, calls, cfg, more
        self.outcomes: list[Outcome] = []
        self._next = 0
        self._lock = threading.Lock()
        self.t0 = 0.0

    def _take(self) -> Call | None:
        with self._lock:
            if time.monotonic() - self.t0 > self.cfg.timeout:
                return None
            if self._next >= len(self.calls) and not self.more():
                return None
            self._next += 1
            return self.calls[(self._next - 1) % len(self.calls)]

    def _one(self, client: httpx.Client, call: Call) -> Outcome:
        started = time.monotonic()
        status, error = 0, None
        try:
            if call.endpoint == "docs":
                response = client.get("/api/docs")
            else:
                response = client.post(f"/api/{call.endpoint}", json=call.body)
            status = response.status_code
            error = check(call, status, response.json())
        except (httpx.HTTPError, ValueError) as exc:
            error = f"{type(exc).__name__}: {exc}"
        return Outcome(call.endpoint, started - self.t0, time.monotonic() - started, status, error)

    def _loop(self) -> None:
        with httpx.Client(base_url=self.base, timeout=self.cfg.request_timeout) as client:
            while (call := self._take()) is not None:
                outcome = self._one(client, call)
                with self._lock:
                    self.outcomes.append(outcome)

    def run(self) -> float:
        """Run the plan; the seconds from `t0` (now, unless set) to its end."""
        self.t0 = self.t0 or time.monotonic()
        threads = [threading.Thread(target=self._loop, daemon=True) for _ in range(self.cfg.clients)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(self.cfg.timeout + self.cfg.request_timeout + 10)
        return time.monotonic() - self.t0


class _Ingests:
    """COUNT times: add a report, edit another, run `reformqa ingest` (stops early if told)."""

    def __init__(self, work: Path, env: dict[str, str], count: int, timeout: float) -> None:
        self.work, self.env, self.count, self.timeout = work, env, count, timeout
        self.t0 = time.monotonic()
        self.runs: list[IngestRun] = []
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._loop, daemon=True)

    def _edit(self, n: int) -> str:
        corpus = self.work / "corpus"
        doc_id = f"9{n:02d}_load"
        (corpus / f"{doc_id}.txt").write_text(
            f"{LOAD_MARK}第{n}号\n某高新区推行法定机构改革第{n}轮试点，审批事项实行一枚印章管到底。\n", encoding="utf-8"
        )
        seeds = sorted(p for p in corpus.glob("0*.txt"))
        target = seeds[n % len(seeds)]
        target.write_text(f"负载测试修订第{n}版。\n" + target.read_text(encoding="utf-8"), encoding="utf-8")
        return doc_id

    def running(self) -> bool:
        return self.thread.is_alive()

    def _loop(self) -> None:
        for n in range(self.count):
            if self.stop.is_set():
                return
            added = self._edit(n)
            started = time.monotonic() - self.t0
            proc = subprocess.run(
                [*_reformqa(), "ingest", "--wait", "120", "--quiet"],
                env=self.env,
                cwd=self.work,
                capture_output=True,
                text=True,
                timeout=self.timeout,
                check=False,
            )
            out = (proc.stdout + proc.stderr)[-2000:] if proc.returncode else ""
            self.runs.append(IngestRun(started, time.monotonic() - self.t0, proc.returncode, added, out))


def _warm_up(base: str, calls: list[Call], timeout: float) -> None:
    """Each distinct request of the plan once, one after another (fills the server's caches)."""
    seen: set[str] = set()
    with httpx.Client(base_url=base, timeout=timeout) as client:
        for call in calls:
            key = json.dumps([call.endpoint, call.body], ensure_ascii=False, sort_keys=True)
            if key not in seen and call.body is not None:
                seen.add(key)
                client.post(f"/api/{call.endpoint}", json=call.body)


def _check_added(base: str, runs: list[IngestRun]) -> list[str]:
    """Every report the ingests added is listed and found by a search limited to it."""
    problems = []
    with httpx.Client(base_url=base, timeout=120) as client:
        listed = {d["doc_id"] for d in client.get("/api/docs").json()}
        for run in runs:
            if run.returncode != 0:
                continue
            if run.added not in listed:
                problems.append(f"{run.added} is not listed by /api/docs")
                continue
            body = client.post("/api/search", json={"query": LOAD_MARK, "reports": [run.added]}).json()
            if not any(r.get("doc_id") == run.added for r in body.get("results", [])):
                problems.append(f"a search limited to {run.added} does not find it: {body}")
    return problems


def run_load(cfg: Config) -> LoadResult:
    """Start the server, run the load (and the ingests), stop the server."""
    result = LoadResult(cfg, machine=machine())
    with tempfile.TemporaryDirectory(prefix="reformqa-load-") as tmp:
        work = Path(tmp)
        shutil.copytree(REPO / "corpus", work / "corpus")
        env = environment(work, cfg.real_model)
        started = time.monotonic()
        with server(work, env, cfg.startup_timeout) as base:
            result.startup = time.monotonic() - started
            calls = plan(cfg.requests, cfg.seed)
            if cfg.warmup:
                _warm_up(base, calls, cfg.request_timeout)
                result.warmup = time.monotonic() - started - result.startup
            ingests = _Ingests(work, env, cfg.ingests, cfg.timeout) if cfg.ingests else None
            clients = _Clients(base, calls, cfg, ingests.running if ingests else lambda: False)
            if ingests:
                clients.t0 = ingests.t0  # one clock for requests and ingests
                ingests.thread.start()
            result.wall = clients.run()
            if ingests:
                ingests.stop.set()  # only when the load timed out is an ingest still to come
                ingests.thread.join(cfg.timeout + 60)
                result.ingests = list(ingests.runs)
                result.after_ingest = _check_added(base, result.ingests)
            result.outcomes = sorted(clients.outcomes, key=lambda o: o.started)
            result.not_run = max(0, cfg.requests - len(result.outcomes))
    return result


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    p.add_argument("--clients", type=int, default=20, help="concurrent clients (threads)")
    p.add_argument("--requests", type=int, default=300, help="requests in all")
    p.add_argument("--real-model", action="store_true", help="serve with the bundled multilingual-e5-small")
    p.add_argument(
        "--ingests", type=int, default=0, help="re-ingests (after adding and editing reports) during the load"
    )
    p.add_argument("--warmup", action="store_true", help="run each distinct request once, untimed, first")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--timeout", type=float, default=600, help="seconds for the whole load")
    p.add_argument("--json", type=Path, help="also write the figures to this file")
    a = p.parse_args(argv)
    cfg = Config(a.clients, a.requests, a.real_model, a.ingests, a.warmup, a.seed, a.timeout)
    result = run_load(cfg)
    print(markdown(result))
    if a.json:
        a.json.write_text(json.dumps(result.summary(), ensure_ascii=False, indent=2), encoding="utf-8")
    return 0 if result.ok else 1


if __name__ == "__main__":
    sys.exit(main())
