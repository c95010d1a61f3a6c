"""Answer latency of `POST /api/ask`, one question at a time, as an official sees it.

Starts `reformqa serve` on a free loopback port over a copy of corpus/ (or takes `--url` of
a running app), asks a few warm-up questions that are not in the measured list (loading the
model and filling per-process caches, but not the query-vector cache of the measured
questions), then asks, one after another: every question of a seed QA file, and every
conversation of a dialogue file turn by turn with the earlier responses passed back as
`history` (as the web chat and ../shared/eval/check_dialogue.py do). Prints p50, p95 and max
per kind of request and overall.

Bounded: at most `--max-requests` timed requests and `--timeout` seconds in all (what is
left is counted as not run); each request times out after `--request-timeout` seconds.

The real model (bundled multilingual-e5-small) is the default; `--fake` serves with the
fake embedder (`hash:256`), for tests of this script.

Usage: python bench/ask_latency.py --qa QA.jsonl --dialogue DIALOGUE.jsonl [--url URL]
           [--fake] [--max-requests 200] [--timeout 600] [--json FILE]
Exit status 1 when a request failed or was not run.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from evaluation.qa import percentile

sys.path.insert(0, str(Path(__file__).resolve().parent))
from load import environment, machine, server  # bench/load.py: one way to start the app

REPO = Path(__file__).resolve().parent.parent
EVAL = REPO.parent / "shared" / "eval"
WARMUP = ("开发区管理体制改革有哪些主要做法?", "园区干部的薪酬怎么定?", "那审批呢?")
"""Not in the measured sets; the last one is a follow-up, so that path is warm too."""


@dataclass
class Timing:
    kind: str
    """`qa` (a single question) or `dialogue` (a turn of a conversation, with history)."""
    ms: float
    error: str | None = None


@dataclass
class Run:
    timings: list[Timing] = field(default_factory=list)
    planned: int = 0
    machine: str = ""
    startup_s: float | None = None
    """Server start and ingest; None for a running app (`--url`)."""

    @property
    def not_run(self) -> int:
        return self.planned - len(self.timings)

    @property
    def ok(self) -> bool:
        return self.not_run == 0 and not any(t.error for t in self.timings)


def _quantiles(ms: list[float]) -> dict[str, float | None]:
    return {"p50": percentile(ms, 0.5), "p95": percentile(ms, 0.95), "max": max(ms) if ms else None}


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


def summary(run: Run) -> dict[str, Any]:
    rows: dict[str, Any] = {}
    for kind in ("qa", "dialogue", "all"):
        ms = [t.ms for t in run.timings if kind in ("all", t.kind) and not t.error]
        rows[kind] = {"requests": len(ms), **{f"{name}_ms": _round(v) for name, v in _quantiles(ms).items()}}
    errors = [t.error for t in run.timings if t.error]
    return {
        "machine": run.machine,
        "startup_s": _round(run.startup_s),
        "latency": rows,
        "errors": errors,
        "not_run": run.not_run,
    }


def markdown(run: Run) -> str:
    s = summary(run)
    lines = [
        f"machine: {s['machine']}"
        + (f"; server start and ingest {s['startup_s']} s" if s["startup_s"] is not None else "; a running app"),
        "",
        "| requests | count | p50 ms | p95 ms | max ms |",
        "|---|---:|---:|---:|---:|",
    ]
    for kind, row in s["latency"].items():
        cells = ["–" if row[k] is None else str(row[k]) for k in ("p50_ms", "p95_ms", "max_ms")]
        lines.append(f"| {kind} | {row['requests']} | {' | '.join(cells)} |")
    if run.not_run:
        lines.append(f"\n{run.not_run} requests not run (bounds: --max-requests, --timeout)")
    lines.extend(f"- error: {e}" for e in s["errors"][:10])
    return "\n".join(lines)


def _jsonl(path: Path) -> list[dict[str, Any]]:
    if not path.is_file():
        sys.exit(f"{path} not found: pass --qa / --dialogue (the sets are described in ../shared/eval/README.md)")
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def plan(qa: Path, dialogue: Path) -> list[tuple[str, tuple[str, ...]]]:
    """(kind, questions): a QA question alone, or a conversation's turns in order."""
    out: list[tuple[str, tuple[str, ...]]] = [("qa", (str(r["q"]),)) for r in _jsonl(qa)]
    out += [("dialogue", tuple(str(t) for t in r["turns"])) for r in _jsonl(dialogue)]
    return out


class _Asker:
    """Asks one request at a time within the bounds; records each timed request."""

    def __init__(self, client: httpx.Client, run: Run, max_requests: int, deadline: float) -> None:
        self.client, self.run, self.max_requests, self.deadline = client, run, max_requests, deadline

    def full(self) -> bool:
        return len(self.run.timings) >= self.max_requests or time.monotonic() >= self.deadline

    def ask(self, question: str, history: list[dict[str, Any]], kind: str | None) -> dict[str, Any] | None:
        t0 = time.perf_counter()
        try:
            r = self.client.post("/api/ask", json={"question": question, "history": history})
            body: dict[str, Any] = r.json()
            error = None if r.status_code == 200 else f"{question}: status {r.status_code}: {body.get('error')}"
        except (httpx.HTTPError, ValueError) as exc:
            body, error = {}, f"{question}: {exc!r}"
        if kind is not None:
            self.run.timings.append(Timing(kind, (time.perf_counter() - t0) * 1000, error))
        return None if error else body


def measure(
    base: str, calls: list[tuple[str, tuple[str, ...]]], max_requests: int, timeout: float, request_timeout: float
) -> Run:
    run = Run(planned=min(max_requests, sum(len(turns) for _, turns in calls)), machine=machine())
    with httpx.Client(base_url=base, timeout=request_timeout) as client:
        asker = _Asker(client, run, max_requests, time.monotonic() + timeout)
        _conversation(asker, WARMUP, None)
        for kind, turns in calls:
            if asker.full():
                break
            _conversation(asker, turns, kind)
    return run


def _conversation(asker: _Asker, turns: tuple[str, ...], kind: str | None) -> None:
    """The turns in order, each with the earlier responses as history (untimed when kind is None)."""
    history: list[dict[str, Any]] = []
    for q in turns:
        if kind is not None and asker.full():
            return
        body = asker.ask(q, history, kind)
        if body is None:
            return  # the rest of a broken conversation would measure something else
        history.append(body)


@contextmanager
def _own_server(real_model: bool, startup_timeout: float) -> Iterator[str]:
    with tempfile.TemporaryDirectory(prefix="reformqa-latency-") as tmp:
        work = Path(tmp)
        shutil.copytree(REPO / "corpus", work / "corpus")
        with server(work, environment(work, real_model), startup_timeout) as base:
            yield base


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    p.add_argument("--url", help="a running app (default: start one over a copy of corpus/)")
    p.add_argument("--qa", type=Path, default=EVAL / "seed_dev_qa.jsonl")
    p.add_argument("--dialogue", type=Path, default=EVAL / "seed_dialogue_dev.jsonl")
    p.add_argument("--fake", action="store_true", help="serve with the fake embedder (tests)")
    p.add_argument("--max-requests", type=int, default=200, help="timed requests at most")
    p.add_argument("--timeout", type=float, default=600, help="seconds for all timed requests")
    p.add_argument("--request-timeout", type=float, default=120)
    p.add_argument("--startup-timeout", type=float, default=600)
    p.add_argument("--json", type=Path, help="also write the figures to this file")
    a = p.parse_args(argv)
    calls = plan(a.qa, a.dialogue)
    started = time.monotonic()
    with nullcontext(a.url.rstrip("/")) if a.url else _own_server(not a.fake, a.startup_timeout) as base:
        startup = time.monotonic() - started
        run = measure(base, calls, a.max_requests, a.timeout, a.request_timeout)
    run.startup_s = None if a.url else startup
    print(markdown(run))
    if a.json:
        a.json.write_text(json.dumps(summary(run), ensure_ascii=False, indent=2), encoding="utf-8")
    return 0 if run.ok else 1


if __name__ == "__main__":
    sys.exit(main())
