"""`reformqa eval` on a dialogue file: conversations asked turn by turn, the last answer scored.

The format and the rules are those of ../shared/eval/README.md and its reference scorer
`check_dialogue.py`, which asks a running app over HTTP (`POST /api/ask` with the earlier
answers as `history`). Here the same conversations are asked in-process; the history is
built from the answers' JSON shape by `turns_from_json`, the function the HTTP API uses, and
the last answer is scored on that same JSON shape, so both ways give the same verdicts.
"""

from __future__ import annotations

import json
import os
import re
import time
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import opencc

from assistant.answer_json import answer_json
from assistant.facade import Assistant
from assistant.render import turns_from_json
from evaluation.qa import corpus_settings, fmt, fmt_ms, percentile, share
from index.errors import ConfigError, ReformQAError
from index.settings import Settings

# The reference scorer's normalization, kept character for character: the project's own
# `compact` also folds width and case and knows fewer pinyin forms, and a looser match here
# would make the in-process score disagree with the HTTP one.
_PINYIN = re.compile(r"([\u4e00-\u9fff])\([a-zA-Z\u00c0-\u024f\u0300-\u036f]+\)")
_DROPPED = re.compile(r"[\s,，、]")
_REPORT = re.compile(r"^\d{3}_")


@lru_cache(maxsize=1)
def _t2s() -> opencc.OpenCC:
    return opencc.OpenCC("t2s")


def scorer_norm(text: str) -> str:
    """Simplified, pinyin annotations such as 區(qū) removed, whitespace and ,，、 removed."""
    return _DROPPED.sub("", _t2s().convert(_PINYIN.sub(r"\1", text or "")))


def report_of(citation: Mapping[str, Any]) -> str:
    """The three-digit report prefix of a cited file (`source`, else `doc_id`); "?" if none."""
    for key in ("source", "doc_id"):
        name = os.path.basename(str(citation.get(key, "")))
        if _REPORT.match(name):
            return name[:3]
    return "?"


@dataclass(frozen=True)
class Conversation:
    """One record of a dialogue file; only the answer to the last turn is scored."""

    qid: str
    kind: str
    turns: tuple[str, ...]
    gold: tuple[tuple[str, str], ...] = ()
    need: int = 1
    groups: tuple[tuple[int, ...], ...] | None = None
    """One group per place of a comparison: each group needs one of its gold items cited."""
    forbid_reports: tuple[str, ...] = ()
    forbid_phrases: tuple[str, ...] = ()
    decline_ok: bool = False
    decline_required: bool = False
    precision: float = 0.0
    """At least this share of the cited quotes must hold a gold phrase (any report's)."""


@dataclass(frozen=True)
class Verdict:
    qid: str
    kind: str
    right: bool
    wrong_place: bool
    """Answered with a citation of a forbidden report or a quote holding a forbidden phrase."""
    declined: bool
    decline_required: bool
    why: str
    """Why it failed ("" when right): answered, declined, wrong place/fact […], gold i/n."""
    resolved_question: str


def is_dialogue(path: Path) -> bool:
    """Whether the first record of a JSONL file is a conversation (has `turns`)."""
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            try:
                return "turns" in json.loads(line)
            except json.JSONDecodeError:
                return False  # read_questions reports the bad line with its number
    return False


def read_conversations(path: Path) -> list[Conversation]:
    out = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        where = f"{path}:{n}"
        try:
            out.append(_conversation(json.loads(line), where))
        except json.JSONDecodeError as exc:
            raise ConfigError(f"{where}: not valid JSON ({exc.msg}); one JSON object per line") from exc
        except (KeyError, TypeError, ValueError) as exc:
            raise ConfigError(
                f"{where}: not a conversation ({exc!r}); needs qid, kind, turns (a list of questions) "
                "and gold as [[report, phrase], ...] (see ../shared/eval/README.md)"
            ) from exc
    return out


def _conversation(row: dict[str, Any], where: str) -> Conversation:
    turns = tuple(str(t) for t in row["turns"])
    gold = tuple((str(r), str(p)) for r, p in row.get("gold", []))
    groups = tuple(tuple(int(i) for i in g) for g in row["groups"]) if "groups" in row else None
    if not turns:
        raise ValueError("turns is empty")
    if groups is not None and any(not 0 <= i < len(gold) for g in groups for i in g):
        raise ConfigError(f"{where}: a group indexes a gold item that does not exist ({len(gold)} gold items)")
    return Conversation(
        qid=str(row["qid"]),
        kind=str(row["kind"]),
        turns=turns,
        gold=gold,
        need=int(row.get("need", 1)),
        groups=groups,
        forbid_reports=tuple(str(r) for r in row.get("forbid_reports", [])),
        forbid_phrases=tuple(str(p) for p in row.get("forbid_phrases", [])),
        decline_ok=bool(row.get("decline_ok")),
        decline_required=bool(row.get("decline_required")),
        precision=float(row.get("precision", 0.0)),
    )


def score(conv: Conversation, answer: Mapping[str, Any]) -> Verdict:
    """The last answer (its JSON shape, as /api/ask returns it) judged by check_dialogue.py's rules."""
    declined = not answer.get("grounded")
    cites = [(report_of(c), scorer_norm(str(c.get("quote", "")))) for c in answer.get("citations", [])]
    bad: list[str] = []
    if conv.decline_required:
        right, why = declined, "answered"
    elif declined:
        right, why = conv.decline_ok, "declined"
    else:
        bad = [d for d, _ in cites if d in conv.forbid_reports]
        bad += [p for p in conv.forbid_phrases if any(scorer_norm(p) in q for _, q in cites)]
        hits = [any(d == rep and scorer_norm(phrase) in q for d, q in cites) for rep, phrase in conv.gold]
        if conv.groups is not None:
            good = all(any(hits[i] for i in group) for group in conv.groups)
        else:
            good = sum(hits) >= conv.need
        on_topic = [any(scorer_norm(g) in q for _, g in conv.gold) for _, q in cites]
        precise = not cites or sum(on_topic) / len(cites) >= conv.precision
        right = good and precise and not bad
        why = f"wrong place/fact {bad[:2]}" if bad else f"gold {sum(hits)}/{len(hits)}"
        if good and not bad and not precise:
            why = f"precision {sum(on_topic)}/{len(cites)} cited quotes answer"
    resolved = str(answer.get("resolved_question") or answer.get("question", ""))
    return _verdict(
        conv, right=right, wrong_place=bool(bad), declined=declined, why="" if right else why, resolved=resolved
    )


def _verdict(conv: Conversation, *, right: bool, wrong_place: bool, declined: bool, why: str, resolved: str) -> Verdict:
    return Verdict(conv.qid, conv.kind, right, wrong_place, declined, conv.decline_required, why, resolved)


def converse(assistant: Assistant, conv: Conversation, latency: list[float] | None = None) -> dict[str, Any]:
    """Ask the turns in order, each with the earlier answers as history; the last answer's JSON."""
    history: list[dict[str, Any]] = []
    for question in conv.turns:
        t0 = time.perf_counter()
        answer = assistant.ask(question, turns_from_json(history), use_llm=False)
        if latency is not None:
            latency.append((time.perf_counter() - t0) * 1000)
        history.append(answer_json(answer))
    return history[-1]


def evaluate_dialogue(settings: Settings, path: Path, *, corpus: Path | None = None, limit: int = 0) -> dict[str, Any]:
    conversations = read_conversations(path)
    if limit:
        conversations = conversations[:limit]
    assistant = Assistant(corpus_settings(settings, None, corpus))
    summary = assistant.ingest()
    latency: list[float] = []
    verdicts = []
    for conv in conversations:
        try:
            verdicts.append(score(conv, converse(assistant, conv, latency)))
        except ReformQAError as exc:  # the HTTP API would answer 400: the conversation fails
            verdicts.append(
                _verdict(conv, right=False, wrong_place=False, declined=False, why=f"error: {exc}", resolved="")
            )
    return dialogue_report(path, verdicts, summary.chunks_total, latency)


def dialogue_report(path: Path, verdicts: Sequence[Verdict], chunks: int, latency: Sequence[float]) -> dict[str, Any]:
    by_kind: dict[str, dict[str, int]] = {}
    for v in verdicts:
        tally = by_kind.setdefault(v.kind, {"right": 0, "total": 0})
        tally["right"] += v.right
        tally["total"] += 1
    right = sum(v.right for v in verdicts)
    return {
        "file": str(path),
        "conversations": len(verdicts),
        "chunks": chunks,
        "right": right,
        "share_right": share(right, len(verdicts)),
        "wrong_place": sum(v.wrong_place for v in verdicts),
        "by_kind": by_kind,
        "refusal": _refusal(verdicts),
        "failures": [asdict(v) for v in verdicts if not v.right],
        "latency_ms": {"p50": percentile(latency, 0.5), "p95": percentile(latency, 0.95)},
    }


def _refusal(verdicts: Sequence[Verdict]) -> dict[str, float | None]:
    """Precision: of the declined answers, the share where declining was right (required or
    allowed); recall: of the conversations that require declining, the share declined. n/a
    when nothing was declined or nothing requires it."""
    declined = [v for v in verdicts if v.declined]
    required = [v for v in verdicts if v.decline_required]
    return {
        "precision": share(sum(v.right for v in declined), len(declined)),
        "recall": share(sum(v.declined for v in required), len(required)),
    }


def format_dialogue_report(r: dict[str, Any]) -> str:
    lines = [f"{r['file']}: {r['conversations']} conversations over {r['chunks']} chunks"]
    for f in r["failures"]:
        lines.append(f"  {f['qid']} ({f['kind']}): {f['why']}  [{f['resolved_question']}]")
    lines.append("by kind: " + ", ".join(f"{k} {t['right']}/{t['total']}" for k, t in r["by_kind"].items()))
    lines.append(
        f"dialogue: {r['right']}/{r['conversations']} right ({fmt(r['share_right'])}), "
        f"{r['wrong_place']} answered with another place's facts"
    )
    lines.append("refusal: " + ", ".join(f"{k} {fmt(v)}" for k, v in r["refusal"].items()))
    lines.append(f"latency per turn: p50 {fmt_ms(r['latency_ms']['p50'])}, p95 {fmt_ms(r['latency_ms']['p95'])}")
    return "\n".join(lines)
