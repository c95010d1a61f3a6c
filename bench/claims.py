"""How the clause check of LLM answers (assistant/claims.py) splits faithful from invented
sentences, on the seed reports, at several thresholds of `min_support`.

Every sentence of 12–90 characters of a seed report's chunks is a claim citing its chunk:
- faithful forms (should be kept): the sentence as written; its clauses in another order;
  its first clauses only; with a discourse opener (此外，/具体来说，); with one or two words
  put in other words (推行 → 实行, 提高 → 提升…);
- invented forms (should be dropped): the sentence plus "，另外" and a clause of another
  report; plus a judgement the report does not make ("，取得了明显成效"); a sentence of another report cited to this chunk; the sentence with a number
  changed (sentences that hold one).
Prints, per threshold, the share of each form the check keeps. The faithful forms are
mechanical rewordings: a real model's paraphrases are kept less often than these.

Usage: python bench/claims.py [--limit N]   (fake embedder; a few minutes on 2 cores)
"""

from __future__ import annotations

import argparse
import random
import re
import shutil
import sys
import tempfile
from collections import defaultdict
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from assistant.claims import ClauseChecker  # noqa: E402
from assistant.facade import Assistant  # noqa: E402
from index.settings import EmbeddingSettings, Settings  # noqa: E402
from index.types import Hit  # noqa: E402

THRESHOLDS = (0.4, 0.5, 0.6, 0.7, 0.8)
_SENT = re.compile(r"[^。！？\n]{12,90}[。！？]")
_CLAUSE = re.compile(r"[，；,;]")
_SYNONYMS = (
    ("推行", "实行"),
    ("实行", "推行"),
    ("建立", "建设"),
    ("提高", "提升"),
    ("提升", "提高"),
    ("加强", "强化"),
    ("开展", "推进"),
    ("实施", "推进"),
    ("完善", "健全"),
    ("优化", "改进"),
    ("设立", "成立"),
    ("成立", "设立"),
    ("推进", "推动"),
    ("推动", "推进"),
    ("深化", "推进"),
    ("探索", "尝试"),
    ("工作", "任务"),
    ("机制", "制度"),
)
"""Words a model may put for the source's (a perturbation for the bench, not a rule)."""
_NUMBER = re.compile(r"\d+")


def _forms(sentence: str, other: str, other_clause: str, rng: random.Random) -> dict[str, str]:
    body = sentence.rstrip("。！？")
    clauses = [c for c in _CLAUSE.split(body) if c]
    forms = {"faithful: as written": body}
    if len(clauses) >= 2:
        shuffled = clauses[:]
        rng.shuffle(shuffled)
        forms["faithful: clauses reordered"] = "，".join(shuffled)
        forms["faithful: first clauses only"] = "，".join(clauses[: max(1, len(clauses) - 1)])
    forms["faithful: discourse opener"] = rng.choice(("此外，", "具体来说，", "也就是说，")) + body
    swapped, n = body, 0
    for a, b in _SYNONYMS:
        if a in swapped and n < 2:
            swapped, n = swapped.replace(a, b, 1), n + 1
            forms[f"faithful: {n} word(s) put in other words"] = swapped
    forms["invented: + a judgement (，取得了明显成效)"] = f"{body}，取得了明显成效"
    forms["invented: + another report's clause"] = f"{body}，另外{other_clause}"
    forms["invented: another report's sentence"] = other.rstrip("。！？")
    if _NUMBER.search(body):
        forms["invented: a number changed"] = _NUMBER.sub(lambda m: str(int(m.group()) * 3 + 7), body, count=1)
    return forms


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--limit", type=int, default=400, help="sentences checked (seeded sample)")
    args = ap.parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="reformqa-claims-"))
    try:
        shutil.copytree(REPO / "corpus", work / "corpus")
        settings = Settings(
            data_dir=work / "data",
            corpus_dir=work / "corpus",
            cache_dir=work / "cache",
            embedding=EmbeddingSettings(model="hash:256"),
        )
        assistant = Assistant(settings)
        assistant.ingest()
        store = assistant.searcher.store
        keyword = store.keyword().index
        places = assistant.engine.generation().gazetteer
        records = [r for d in assistant.docs() for r in store.db.doc_chunks(d.doc_id)]
        pool = [(r, s) for r in records for s in _SENT.findall(r.chunk.text)]
        rng = random.Random(20)
        sample = rng.sample(pool, min(args.limit, len(pool)))
        kept: dict[tuple[str, float], int] = defaultdict(int)
        seen: dict[str, int] = defaultdict(int)
        checkers = {t: ClauseChecker(keyword, places, t) for t in THRESHOLDS}
        for record, sentence in sample:
            others = [s for r, s in pool if r.chunk.doc_id != record.chunk.doc_id]
            other = rng.choice(others)
            other_clause = rng.choice([c for c in _CLAUSE.split(rng.choice(others).rstrip("。！？")) if c])
            hit = Hit(record, 1.0)
            for form, text in _forms(sentence, other, other_clause, rng).items():
                seen[form] += 1
                for t, checker in checkers.items():
                    kept[(form, t)] += not checker.unsupported(text, [hit])
        print(f"{len(sample)} sentences of the seed reports; share of each form kept, by min_support:")
        print(f"{'form':40}" + "".join(f"{t:>8.1f}" for t in THRESHOLDS) + "       n")
        for form in sorted(seen):
            cells = "".join(f"{kept[(form, t)] / seen[form]:>8.0%}" for t in THRESHOLDS)
            print(f"{form:40}{cells}{seen[form]:>8}")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
