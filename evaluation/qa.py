"""`reformqa eval`: retrieval and answer metrics on the development QA sets.

Two formats (../shared/eval/README.md): seed questions with `[report, phrase]` gold over a
corpus folder, and `docs.jsonl` + `qa.jsonl` sets whose documents are indexed into a
separate data directory (kept between runs, so re-running only re-indexes what changed).
"""

from __future__ import annotations

import hashlib
import json
import statistics
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from assistant.facade import Assistant
from index.errors import ConfigError, ReformQAError
from index.settings import Settings
from index.textnorm import compact
from index.types import Hit


@dataclass(frozen=True)
class Question:
    qid: str
    text: str
    gold: tuple[tuple[str, str], ...] = ()
    """(report prefix or doc id, phrase); an empty report matches any report."""
    multi: bool = False
    unanswerable: bool = False


@dataclass
class _Tally:
    ranks: list[int | None] = field(default_factory=list)
    coverage: list[float] = field(default_factory=list)
    two_covered: list[bool] = field(default_factory=list)
    latency: list[float] = field(default_factory=list)
    cited: list[bool] = field(default_factory=list)
    first_cited: list[bool] = field(default_factory=list)
    declined: dict[str, list[bool]] = field(default_factory=lambda: {"answerable": [], "unanswerable": []})
    outcomes: list[dict[str, Any]] = field(default_factory=list)
    """One row per question asked for an answer (JSON only): two runs compare question by question."""


def read_questions(path: Path) -> tuple[list[Question], Path | None]:
    """Questions of either format, and the docs.jsonl that goes with a docs/qa set."""
    out: list[Question] = []
    docs: Path | None = None
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            raise ConfigError(f"{path}:{n}: not valid JSON ({exc.msg}); one JSON object per line") from exc
        if "q" in row:
            gold = tuple((str(r), str(p)) for r, p in row.get("gold", []))
            out.append(Question(row["qid"], row["q"], gold, bool(row.get("multi")), bool(row.get("unanswerable"))))
        elif "question" in row:
            out.append(Question(row["qid"], row["question"], tuple(("", a) for a in row["answers"])))
            docs = path.parent / "docs.jsonl"
        else:
            raise ConfigError(f"{path}:{n}: needs `q` (seed format) or `question` (docs/qa format)")
    return out, docs


def corpus_settings(settings: Settings, docs: Path | None, corpus: Path | None = None) -> Settings:
    """The settings a QA set is evaluated with: the data dir and corpus of its documents
    (`corpus`, else `docs`, the docs.jsonl `read_questions` found beside a docs/qa set,
    else the settings' own corpus)."""
    if corpus is not None and corpus.is_file():
        docs = corpus
    if docs is not None:
        return _docs_corpus(docs, settings)
    if corpus is not None:
        return settings.model_copy(update={"corpus_dir": corpus, "data_dir": settings.data_dir / "eval" / corpus.name})
    return settings


def _docs_corpus(docs_jsonl: Path, settings: Settings) -> Settings:
    """Write docs.jsonl out as text files and point settings at a private data directory."""
    digest = hashlib.sha256(docs_jsonl.read_bytes()).hexdigest()[:12]
    base = settings.data_dir / "eval" / f"{docs_jsonl.parent.name}-{digest}"
    corpus = base / "corpus"
    if not corpus.exists():
        tmp = base / "corpus.tmp"
        tmp.mkdir(parents=True, exist_ok=True)
        for line in docs_jsonl.read_text(encoding="utf-8").splitlines():
            if line.strip():
                d = json.loads(line)
                (tmp / f"{d['doc_id']}.txt").write_text(f"{d.get('title', '')}\n{d['text']}", encoding="utf-8")
        tmp.rename(corpus)
    return settings.model_copy(update={"data_dir": base / "data", "corpus_dir": corpus})


def gold_matches(hit_doc: str, text: str, gold: Sequence[tuple[str, str]]) -> set[str]:
    """Gold reports whose phrase this chunk contains."""
    norm = compact(text)
    return {r for r, p in gold if (not r or hit_doc.startswith(r)) and compact(p) in norm}


def _rank(hits: Sequence[Hit], gold: Sequence[tuple[str, str]]) -> int | None:
    for i, h in enumerate(hits, 1):
        if gold_matches(h.chunk.doc_id, h.chunk.text, gold):
            return i
    return None


def percentile(values: Sequence[float], q: float) -> float | None:
    """The q-quantile (nearest rank) of `values`; None when there are none."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def share(part: float, whole: int) -> float | None:
    """part / whole, or None when the set has nothing to measure it on (printed as n/a:
    0.0 or 1.0 would read as a result)."""
    return part / whole if whole else None


def fmt(value: object) -> str:
    """A metric for the text report: floats to three places, None as n/a."""
    if value is None:
        return "n/a"
    return f"{value:.3f}" if isinstance(value, float) else str(value)


def evaluate(
    settings: Settings, qa_file: Path, *, corpus: Path | None = None, k: int = 10, answers: bool = True, limit: int = 0
) -> dict[str, Any]:
    questions, docs = read_questions(qa_file)
    settings = corpus_settings(settings, docs, corpus)
    if limit:
        questions = questions[:limit]
    assistant = Assistant(settings)
    summary = assistant.ingest()
    tally = _Tally()
    for q in questions:
        _one(assistant, q, k, answers, tally)
    return _report(qa_file, questions, tally, k, summary.chunks_total, answers)


def _one(assistant: Assistant, q: Question, k: int, answers: bool, tally: _Tally) -> None:
    t0 = time.perf_counter()
    try:
        hits = assistant.search(q.text, k)
    except ReformQAError:
        hits = []
    tally.latency.append((time.perf_counter() - t0) * 1000)
    if not q.unanswerable:
        tally.ranks.append(_rank(hits, q.gold))
    if q.multi:
        reports = {r for r, _ in q.gold}
        found = set().union(*(gold_matches(h.chunk.doc_id, h.chunk.text, q.gold) for h in hits[:5])) if hits else set()
        tally.coverage.append(len(found & reports) / len(reports))
        tally.two_covered.append(len(found & reports) >= min(2, len(reports)))
    if not answers:
        return
    ans = assistant.ask(q.text, use_llm=False)
    tally.declined["unanswerable" if q.unanswerable else "answerable"].append(not ans.grounded)
    row: dict[str, Any] = {"qid": q.qid, "declined": not ans.grounded}
    if not q.unanswerable:
        cited = ans.grounded and any(gold_matches(c.doc_id, c.quote, q.gold) for c in ans.citations)
        first = (
            ans.grounded
            and bool(ans.citations)
            and bool(gold_matches(ans.citations[0].doc_id, ans.citations[0].quote, q.gold))
        )
        tally.cited.append(cited)
        tally.first_cited.append(first)
        row |= {"cites_gold": cited, "first_citation_has_gold": first}
    tally.outcomes.append(row)


def _report(
    qa_file: Path, questions: Sequence[Question], t: _Tally, k: int, chunks: int, answers: bool
) -> dict[str, Any]:
    n = len(t.ranks)

    def recall(at: int) -> float | None:
        return share(sum(1 for r in t.ranks if r is not None and r <= at), n)

    out: dict[str, Any] = {
        "file": str(qa_file),
        "questions": len(questions),
        "chunks": chunks,
        "retrieval": {
            "recall@1": recall(1),
            "recall@5": recall(5),
            f"recall@{k}": recall(k),
            "mrr": share(sum(1 / r for r in t.ranks if r), n),
            "missed": [
                q.qid for q, r in zip([q for q in questions if not q.unanswerable], t.ranks, strict=True) if r is None
            ],
        },
        "latency_ms": {"p50": percentile(t.latency, 0.5), "p95": percentile(t.latency, 0.95)},
    }
    if t.coverage:
        out["multi_report"] = {
            "mean_coverage@5": statistics.fmean(t.coverage),
            "at_least_two": statistics.fmean(t.two_covered),
        }
    if answers:
        out["answers"] = _answer_metrics(t)
        out["per_question"] = t.outcomes
    return out


def _answer_metrics(t: _Tally) -> dict[str, Any]:
    """Answer metrics; a set without unanswerable questions cannot measure refusal precision
    or recall (declining an answerable question there is counted in `answerable_declined`)."""
    ans = t.declined["answerable"]
    una = t.declined["unanswerable"]
    declined_right = sum(una)
    return {
        "cites_gold": share(sum(t.cited), len(t.cited)),
        "first_citation_has_gold": share(sum(t.first_cited), len(t.first_cited)),
        "answerable_declined": sum(ans),
        "refusal_precision": share(declined_right, declined_right + sum(ans)) if una else None,
        "refusal_recall": share(declined_right, len(una)),
    }


def format_report(r: dict[str, Any]) -> str:
    lines = [f"{r['file']}: {r['questions']} questions over {r['chunks']} chunks"]
    ret = r["retrieval"]
    lines.append("retrieval: " + ", ".join(f"{key} {fmt(v)}" for key, v in ret.items() if key != "missed"))
    if ret["missed"]:
        lines.append(f"  not found in top k: {', '.join(ret['missed'][:20])}")
    if "multi_report" in r:
        lines.append("multi-report: " + ", ".join(f"{key} {fmt(v)}" for key, v in r["multi_report"].items()))
    if "answers" in r:
        lines.append("answers: " + ", ".join(f"{key} {fmt(v)}" for key, v in r["answers"].items()))
    lines.append(f"latency: p50 {fmt_ms(r['latency_ms']['p50'])}, p95 {fmt_ms(r['latency_ms']['p95'])}")
    return "\n".join(lines)


def fmt_ms(value: float | None) -> str:
    """Milliseconds for the text report, None as n/a."""
    return "n/a" if value is None else f"{value:.0f} ms"
