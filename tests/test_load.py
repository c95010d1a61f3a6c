"""The web app under load: `reformqa serve` on loopback, 20 concurrent clients, an ingest beside.

Runs `bench/load.py` (which starts and stops the server itself) with the fake embedder and
a smaller plan than the benchmark; the checks of each response live there (`check`), and
are tested here on hand-made bad responses.
"""

from __future__ import annotations

import importlib.util
import sys
import threading
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

REPO = Path(__file__).resolve().parent.parent


def _bench() -> ModuleType:
    if "bench_load" not in sys.modules:
        spec = importlib.util.spec_from_file_location("bench_load", REPO / "bench" / "load.py")
        assert spec and spec.loader
        module = importlib.util.module_from_spec(spec)
        sys.modules["bench_load"] = module  # dataclasses look their module up here
        spec.loader.exec_module(module)
    return sys.modules["bench_load"]


load = _bench()
HIT = {"doc_id": "002", "text": "天津高新区", "start": 10, "end": 15}
CITE = {"doc_id": "002", "quote": "天津高新区", "start": 10, "end": 15}


@pytest.mark.parametrize(
    ("endpoint", "body_in", "status", "body_out", "problem"),
    [
        ("search", {"query": "q", "k": 3}, 200, {"results": [HIT]}, None),
        ("search", {"query": "q", "k": 3}, 400, {"ok": False, "error": "the query is empty"}, "ok: false"),
        ("search", {"query": "q", "k": 3}, 500, {"detail": "x"}, "status 500"),
        ("search", {"query": "q", "k": 3}, 200, {"results": []}, "no results"),
        ("search", {"query": "q", "k": 1}, 200, {"results": [HIT, HIT]}, "more than k"),
        ("search", {"query": "q", "k": 3}, 200, {"results": [{**HIT, "end": 16}]}, "not its span"),
        ("search", {"query": "q", "k": 3}, 200, {"results": [{**HIT, "doc_id": None}]}, "no doc_id"),
        ("ask", {"question": "q"}, 200, {"answer": "a", "grounded": True, "citations": [CITE]}, None),
        ("ask", {"question": "q"}, 200, {"answer": "没有找到", "grounded": False, "citations": []}, None),
        ("ask", {"question": "q"}, 200, {"answer": "a", "grounded": True, "citations": []}, "without citations"),
        ("ask", {"question": "q"}, 200, {"answer": "", "grounded": True, "citations": [CITE]}, "no answer"),
        ("ask", {"question": "q"}, 200, {"answer": "a", "grounded": True, "citations": ["x"]}, "not an object"),
        ("ask", {"question": "q"}, 200, [], "not a JSON object"),
        ("docs", None, 200, [{"doc_id": "000"}], None),
        ("docs", None, 200, [], "not a list of reports"),
    ],
)
def test_check_accepts_only_well_formed_responses(
    endpoint: str, body_in: dict[str, Any] | None, status: int, body_out: Any, problem: str | None
) -> None:
    found = load.check(load.Call(endpoint, body_in), status, body_out)
    if problem is None:
        assert found is None
    else:
        assert found is not None and problem in found


def test_plan_is_reproducible_and_mixes_all_endpoints() -> None:
    calls = load.plan(200, seed=3)
    assert calls == load.plan(200, seed=3)
    assert {c.endpoint for c in calls} == {"search", "ask", "docs"}


@pytest.mark.slow
def test_twenty_clients_with_an_ingest_beside_get_no_errors() -> None:
    cfg = load.Config(clients=20, requests=200, ingests=1, timeout=240, request_timeout=60, startup_timeout=180)
    box: dict[str, Any] = {}
    runner = threading.Thread(target=lambda: box.update(result=load.run_load(cfg)), daemon=True)
    runner.start()
    runner.join(600)  # a hard stop, beyond the bench's own bounds
    assert "result" in box, "the load test did not finish within 600 s"
    result = box["result"]
    report = load.markdown(result)
    assert result.not_run == 0 and len(result.outcomes) >= 200, report
    assert not result.errors, report
    counts = {name: sum(o.endpoint == name for o in result.outcomes) for name in ("search", "ask", "docs")}
    assert all(counts.values()), counts
    # The ingest committed while requests ran, and searches kept working across it.
    [ingest] = result.ingests
    assert ingest.returncode == 0, ingest.output
    assert result.ingests_during_load() == 1, report
    during = [o for o in result.outcomes if o.endpoint == "search" and ingest.started < o.started < ingest.ended]
    assert during and not [o for o in during if o.error], report
    assert result.after_ingest == [], result.after_ingest  # the added report is listed and found
