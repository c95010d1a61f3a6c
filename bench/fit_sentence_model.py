"""Check the hand-set sentence ranking (assistant/scoring.py, AnswerConfig) against a model
fitted on data, on data neither saw.

For each answerable question of the training sets (cmrc2018 and seed_dev_qa) the engine
retrieves, judges and lists its candidate sentences exactly as when answering; a candidate
is positive when it holds a gold answer. An L2 logistic model is fitted on the candidates
that are compared by meaning when answering (the best `AnswerConfig.dense_candidates` by the
ranking score), over their features and E5 similarity. The check set (drcd, Traditional
Chinese, another encyclopedia) is scored the same way. Printed: for each set, how often the
most likely sentence holds the answer, and for pairs of thresholds (`confident_min`: the
best answers alone from this probability; `extra_min`: below it, a further sentence joins
from this probability) how often the cited sentences hold the answer and how many are cited
per answer; beside them the hand-set policy the answerer uses (the best by the ranking
score, near-equals ≥ `keep_ratio` of it join). Measured 2026-12-07 (docs/BENCHMARKS.md):
the fitted model picks the answer exactly as often as the hand-set score (cmrc2018 0.778
vs 0.777, drcd 0.869 vs 0.870) and its thresholds find no policy shorter at the same
share, so the answerer keeps the hand-set score; re-run this after changing the features.

Writes bench/data/sentence_model.json (weights, data, date, figures).

Usage: python bench/fit_sentence_model.py [--limit N] [--out PATH]
(the data dir is REFORMQA_DATA_DIR, as for `reformqa eval`; the sets' indexes are reused)
"""

from __future__ import annotations

import argparse
import json
import os
import pickle
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

from sentence_model import MODEL_FILE, SentenceModel, fit  # bench/sentence_model.py

from assistant.candidates import Sentence
from assistant.extractive import ExtractiveAnswerer
from assistant.facade import Assistant
from assistant.question import Question
from assistant.scoring import DENSE_FEATURES, FEATURES, Scorer
from evaluation.qa import corpus_settings, gold_matches, read_questions
from index.settings import Settings

REPO = Path(__file__).resolve().parent.parent
EVAL = REPO.parent / "shared" / "eval"
TRAIN = ("cmrc2018", "seed_dev_qa")
CHECK = ("drcd",)
THRESHOLDS = (0.1, 0.2, 0.3)
CONFIDENT = (0.5, 0.7, 1.01)


@dataclass
class Item:
    """One question's candidates as the engine sees them."""

    question: Question
    sentences: list[Sentence]
    rows: np.ndarray
    labels: np.ndarray
    scorer: Scorer
    dense: np.ndarray | None = None
    top: list[int] | None = None
    hand: np.ndarray | None = None
    """The answerer's own (hand-set) ranking score of the candidates `top`."""


def qa_path(name: str) -> Path:
    return EVAL / f"{name}.jsonl" if name == "seed_dev_qa" else EVAL / name / "qa.jsonl"


def collect(name: str, limit: int) -> list[Item]:
    """Each answered question's candidates, features, labels, and the few compared by meaning."""
    questions, docs = read_questions(qa_path(name))
    assistant = Assistant(corpus_settings(Settings(), docs))
    assistant.ingest()
    engine = assistant.engine
    extractive: ExtractiveAnswerer = engine.generation().extractive
    scorer = Scorer(extractive.embedder, extractive.config)
    out = []
    for q in [q for q in questions if not q.unanswerable][: limit or None]:
        _, analyzed, hits = engine.prepare(q.text, (), False, None)
        verdict, sentences, weights = extractive.candidates(analyzed, hits)
        if verdict.why or not sentences:
            continue
        labels = np.array([bool(gold_matches(s.hit.chunk.doc_id, s.text, q.gold)) for s in sentences], dtype=float)
        feats = scorer.features(analyzed, sentences, weights)
        base = scorer.base(feats)
        top = scorer.top(base)
        dense = scorer.dense(analyzed, sentences, top)
        hand = base[top] + scorer.config.w_dense * dense[:, 0]
        out.append(Item(analyzed, sentences, feats.rows, labels, scorer, dense, top, hand))
    return out


def _light(sets: dict[str, list[Item]]) -> dict[str, list[Item]]:
    """The items without what cannot or need not be kept (sentences, scorer): numbers only."""
    return {
        k: [Item(it.question, [], it.rows, it.labels, None, it.dense, it.top, it.hand) for it in v]  # type: ignore[arg-type]
        for k, v in sets.items()
    }


def full_rows(items: list[Item]) -> tuple[np.ndarray, np.ndarray]:
    xs = [np.hstack([it.rows[it.top], it.dense]) for it in items if it.top and it.dense is not None]
    ys = [it.labels[it.top] for it in items if it.top and it.dense is not None]
    return np.vstack(xs), np.concatenate(ys)


def report(name: str, items: list[Item], model: SentenceModel, cap: int, keep_ratio: float) -> dict[str, object]:
    """How often the most likely sentence (fitted) and the best-scored one (hand-set) hold the
    answer; for the answerer's policy and each fitted (confident_min, extra_min), how often
    the citations hold it and how many are cited per answer."""
    policies: dict[str, list[float]] = {
        "hand-set (keep_ratio)": [0.0, 0.0],
        "answerer (complete best keeps complete near-equals)": [0.0, 0.0],
    }
    grid = [(c, e) for c in CONFIDENT for e in THRESHOLDS if e <= c]
    policies |= {f"fitted {c}/{e}": [0.0, 0.0] for c, e in grid}
    best = {"fitted": 0.0, "hand-set": 0.0}
    for it in items:
        assert it.top is not None and it.dense is not None and it.hand is not None
        p = model.full.probability(np.hstack([it.rows[it.top], it.dense]))
        labels = it.labels[it.top]
        order = np.argsort(-p, kind="stable")
        ranked = np.argsort(-it.hand, kind="stable")
        best["fitted"] += labels[order[0]]
        best["hand-set"] += labels[ranked[0]]
        hand = [ranked[0], *[i for i in ranked[1:cap] if it.hand[i] >= keep_ratio * it.hand[ranked[0]]]]
        # The answerer's policy (assistant/shape_plain.py): a best sentence that holds every asked
        # word (with its frame) keeps only near-equals that hold them in their own words; the
        # features' localized coverage stands in for the answerer's specific-weight coverage.
        rows = it.rows[it.top]
        whole = rows[ranked[0], FEATURES.index("cov_frame")] >= 0.95
        own = rows[:, FEATURES.index("cov_sentence")]
        answerer = [i for n, i in enumerate(hand) if not n or not whole or own[i] >= 0.95]
        chosen = {"hand-set (keep_ratio)": hand, "answerer (complete best keeps complete near-equals)": answerer}
        for c, e in grid:
            extra = [i for i in order[1:cap] if p[i] >= e] if p[order[0]] < c else []
            chosen[f"fitted {c}/{e}"] = [order[0], *extra]
        for k, picked in chosen.items():
            policies[k][0] += float(labels[picked].max())
            policies[k][1] += len(picked)
    n = max(1, len(items))
    print(
        f"\n{name}: {len(items)} questions answered; the best holds the answer: fitted "
        f"{best['fitted'] / n:.3f}, hand-set {best['hand-set'] / n:.3f}"
    )
    print("| policy | citations hold the answer | citations per answer |\n|---|---:|---:|")
    for k, v in policies.items():
        print(f"| {k} | {v[0] / n:.3f} | {v[1] / n:.2f} |")
    return {
        "questions": len(items),
        "best_holds_answer": {k: round(v / n, 4) for k, v in best.items()},
        "policies": {
            k: {"cites_answer": round(v[0] / n, 4), "citations": round(v[1] / n, 3)} for k, v in policies.items()
        },
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--limit", type=int, default=0, help="questions per set (0: all)")
    ap.add_argument("--out", type=Path, default=MODEL_FILE)
    ap.add_argument("--l2", type=float, default=1.0)
    ap.add_argument("--cache", type=Path, help="keep the collected candidates here (pickle) and reuse them")
    args = ap.parse_args()
    cfg = Settings().answer
    if args.cache and args.cache.exists():
        train, check = pickle.loads(args.cache.read_bytes())
    else:
        train = {name: collect(name, args.limit) for name in TRAIN}
        check = {name: collect(name, args.limit) for name in CHECK}
        if args.cache:
            args.cache.write_bytes(pickle.dumps((_light(train), _light(check))))
    xf, yf = full_rows([it for items in train.values() for it in items])
    full = fit(xf, yf, FEATURES + DENSE_FEATURES, args.l2)
    model = SentenceModel(full)
    figures = {
        name: report(name, items, model, cfg.max_sentences, cfg.keep_ratio)
        for name, items in {**train, **check}.items()
    }
    payload = {
        "about": "Fitted by bench/fit_sentence_model.py to check the answerer's hand-set ranking: L2 logistic "
        "regression, positive = the sentence holds a gold answer. Not read by the answerer; re-run the script.",
        "fitted": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "train": list(TRAIN),
        "check": list(CHECK),
        "rows": len(yf),
        "l2": args.l2,
        "full": full.to_json(),
        "figures": figures,
    }
    args.out.write_text(json.dumps(payload, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(f"\nwrote {args.out}")
    print({n: round(float(c), 3) for n, c in zip(full.names, full.coef, strict=True)})


if __name__ == "__main__":
    main()
