"""Refusal beyond the few unanswerable development questions: ask the questions of one set
of the documents of another (cmrc2018 questions of the seed reports, drcd questions of the
cmrc2018 articles, ...). Almost none of them can be answered there, so the share declined
estimates refusal recall on questions about things the reports do not cover; run beside
`reformqa eval` on the set's own documents, which gives how many answerable questions are
declined. (A question of one Wikipedia set may occasionally be answerable from the other:
the figure is a lower bound.)

Usage: python bench/refusal.py [--n 1000] [--data-dir DIR] [PAIR ...]
PAIR is QUESTIONS>DOCUMENTS with names seed, cmrc2018, drcd; default: all four pairs below.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

from assistant.facade import Assistant
from evaluation.qa import corpus_settings, read_questions
from index.settings import Settings

EVAL = Path(__file__).resolve().parent.parent.parent / "shared" / "eval"
PAIRS = ["cmrc2018>seed", "drcd>seed", "drcd>cmrc2018", "cmrc2018>drcd"]


def qa_file(name: str) -> Path:
    return EVAL / "seed_dev_qa.jsonl" if name == "seed" else EVAL / name / "qa.jsonl"


def declined(pair: str, n: int, base: Settings) -> tuple[int, int]:
    asked, docs = pair.split(">")
    questions = [q for q in read_questions(qa_file(asked))[0] if not q.unanswerable][:n]
    settings = corpus_settings(base, read_questions(qa_file(docs))[1])
    assistant = Assistant(settings)
    assistant.ingest()
    return sum(not assistant.ask(q.text, use_llm=False).grounded for q in questions), len(questions)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("pairs", nargs="*", default=PAIRS)
    ap.add_argument("--n", type=int, default=1000, help="questions per pair")
    ap.add_argument("--data-dir", type=Path, default=Path("/tmp/reformqa-refusal"))
    args = ap.parse_args()
    base = Settings(data_dir=args.data_dir)
    print(f"{time.strftime('%Y-%m-%d %H:%M')}; questions asked of documents that do not cover them\n")
    print("| questions > documents | asked | declined | share |\n|---|---:|---:|---:|")
    for pair in args.pairs:
        d, n = declined(pair, args.n, base)
        print(f"| {pair.replace('>', ' > ')} | {n} | {d} | {d / n:.3f} |", flush=True)


if __name__ == "__main__":
    sys.exit(main())
