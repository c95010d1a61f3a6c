"""Every answer of a QA or dialogue file, in full, one JSON line each: to prove that a
refactor changes no answer (run before and after, then `diff` the two files) and to read
what changed when a rule does.

Each line: qid, the resolved question, grounded, kind, the answer text and every citation
as (report, start, end). Dialogue files are asked turn by turn with the earlier answers as
history, as `reformqa eval` and ../shared/eval/check_dialogue.py do.

Usage: python bench/answer_snapshot.py QA_OR_DIALOGUE.jsonl [--limit N] > answers.jsonl
(the data dir is REFORMQA_DATA_DIR, as for `reformqa eval`; docs/qa sets index their
documents beside it).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

from assistant.answer_types import Answer
from assistant.facade import Assistant
from assistant.render import answer_json, turns_from_json
from evaluation.dialogue import is_dialogue, read_conversations
from evaluation.qa import corpus_settings, read_questions
from index.settings import Settings


def row(qid: str, a: Answer) -> dict[str, object]:
    return {
        "qid": qid,
        "resolved": a.resolved_question,
        "grounded": a.grounded,
        "kind": a.kind,
        "text": a.text,
        "citations": [[c.doc_id[:3], c.start, c.end] for c in a.citations],
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("file", type=Path)
    ap.add_argument("--limit", type=int, default=0)
    args = ap.parse_args()
    settings = Settings()
    if is_dialogue(args.file):
        convs = read_conversations(args.file)[: args.limit or None]
        assistant = Assistant(settings)
        assistant.ingest()
        for conv in convs:
            history: list[dict[str, object]] = []
            for q in conv.turns:
                a = assistant.ask(q, turns_from_json(history), use_llm=False)
                history.append(answer_json(a))
            print(json.dumps(row(conv.qid, a), ensure_ascii=False), flush=True)
        return
    questions, docs = read_questions(args.file)
    assistant = Assistant(corpus_settings(settings, docs))
    assistant.ingest()
    for q in questions[: args.limit or None]:
        a = assistant.ask(q.text, use_llm=False)
        print(json.dumps(row(q.qid, a), ensure_ascii=False), flush=True)


if __name__ == "__main__":
    sys.exit(main())
