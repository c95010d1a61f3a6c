"""A government-notice proxy: questions an official asks of one 公文 (总体要求, 适用对象,
信用修复, …), with the span that answers each, over ../shared/realdocs/02_*_groundtruth.txt
(a real notice's reference text). It watches what the held-out notice set found: answers
that hold the gold but are several times longer than it (a fact question should cite the
sentence that answers, not a paragraph).

Prints, for bench/data/govnotice_qa.jsonl (20 questions written for issue 19): how many
answers cite the gold span, how many put it in the first citation, how many are declined,
and the length of what is cited against the gold span (median and mean ratio of cited
characters to gold characters, over the answers that cite the gold).

Usage: python bench/govnotice.py [--data-dir DIR] [--json FILE]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import time
from pathlib import Path

os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

from assistant.facade import Assistant
from evaluation.qa import gold_matches, read_questions
from index.settings import Settings

REPO = Path(__file__).resolve().parent.parent
REALDOCS = REPO.parent / "shared" / "realdocs"
QA = REPO / "bench" / "data" / "govnotice_qa.jsonl"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data-dir", type=Path, default=Path("/tmp/reformqa-govnotice"))
    ap.add_argument("--json", type=Path, help="also write each question's outcome here")
    args = ap.parse_args()
    corpus = args.data_dir / "corpus"
    corpus.mkdir(parents=True, exist_ok=True)
    for src in REALDOCS.glob("02_*_groundtruth.txt"):
        shutil.copyfile(src, corpus / src.name)
    assistant = Assistant(Settings(data_dir=args.data_dir / "data", corpus_dir=corpus))
    assistant.ingest()
    questions, _ = read_questions(QA)
    rows = []
    for q in questions:
        a = assistant.ask(q.text, use_llm=False)
        cited = [c for c in a.citations if gold_matches(c.doc_id, c.quote, q.gold)]
        gold_len = min(len(p) for _, p in q.gold)
        rows.append(
            {
                "qid": q.qid,
                "declined": not a.grounded,
                "cites_gold": bool(a.grounded and cited),
                "first_has_gold": bool(a.grounded and a.citations and cited and cited[0] is a.citations[0]),
                "citations": len(a.citations),
                "cited_chars": sum(len(c.quote) for c in a.citations),
                "gold_chars": gold_len,
            }
        )
    hit = [r for r in rows if r["cites_gold"]]
    ratios = [r["cited_chars"] / r["gold_chars"] for r in hit]
    print(f"{time.strftime('%Y-%m-%d %H:%M')}; {QA.name}, {len(rows)} questions over the 2019-860 notice\n")
    print(
        "| cites gold | first citation has gold | declined | citations per answer | cited chars / gold chars (median, mean) |"
    )
    print("|---:|---:|---:|---:|---:|")
    per = statistics.fmean(r["citations"] for r in rows if not r["declined"]) if hit else 0.0
    med = statistics.median(ratios) if ratios else 0.0
    mean = statistics.fmean(ratios) if ratios else 0.0
    print(
        f"| {len(hit)}/{len(rows)} | {sum(r['first_has_gold'] for r in rows)}/{len(rows)} | "
        f"{sum(r['declined'] for r in rows)} | {per:.1f} | {med:.1f}, {mean:.1f} |"
    )
    if args.json:
        args.json.write_text(json.dumps(rows, ensure_ascii=False, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
