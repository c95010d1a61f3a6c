"""`bench/ask_latency.py` against a real `reformqa serve` on loopback (fake embedder): the
timed requests stop at the bound, QA questions and conversation turns are told apart, and
a failing request makes the exit status 1. Speed itself is measured, not asserted."""

from __future__ import annotations

import json
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "bench"))  # the benchmark scripts are not a package
import ask_latency as bench  # noqa: E402


def _jsonl(path: Path, rows: list[dict[str, object]]) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return path


def test_requests_are_bounded_and_counted_by_kind(tmp_path: Path) -> None:
    qa = _jsonl(
        tmp_path / "qa.jsonl",
        [{"qid": "a", "q": "天津高新区承接了多少项市级权力事项?"}, {"qid": "b", "q": "绵阳编制了多少张招商图谱?"}],
    )
    dialogue = _jsonl(
        tmp_path / "d.jsonl",
        [{"qid": "c", "kind": "k", "turns": ["天津高新区干部工资分为哪两部分?", "那衡阳呢?", "满两年的呢?"]}],
    )
    out = tmp_path / "latency.json"
    args = ["--fake", "--qa", str(qa), "--dialogue", str(dialogue), "--max-requests", "4", "--json", str(out)]
    assert bench.main(args) == 0
    figures = json.loads(out.read_text(encoding="utf-8"))
    rows = figures["latency"]
    assert (rows["qa"]["requests"], rows["dialogue"]["requests"], rows["all"]["requests"]) == (2, 2, 4)
    assert figures["not_run"] == 0 and figures["errors"] == []
    assert rows["all"]["p50_ms"] <= rows["all"]["p95_ms"] <= rows["all"]["max_ms"]


def test_an_app_that_does_not_answer_is_a_failed_run(tmp_path: Path) -> None:
    qa = _jsonl(tmp_path / "qa.jsonl", [{"qid": "a", "q": "天津高新区承接了多少项市级权力事项?"}])
    dialogue = _jsonl(tmp_path / "d.jsonl", [])
    args = ["--url", "http://127.0.0.1:9", "--qa", str(qa), "--dialogue", str(dialogue), "--request-timeout", "5"]
    assert bench.main(args) == 1
