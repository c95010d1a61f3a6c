"""Follow-up resolution cost against the history's size (issue 12, finding 5).

The resolver reads only the last `MAX_TURNS` turns, each cut to `MAX_TURN_CHARS`
characters, so a 20,000-character history question ("天津" * 9999, the attack) or a
history of many turns costs what a capped one does. Prints the median time of `resolve`
for each history shape, over the seed reports' places (cleaning and chunking only, no model),
with jieba's per-text cache cleared before each call.

Usage: python bench/resolve_history.py [--rounds 20]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from seed_places import seed_gazetteer

from assistant.answer_types import Answer, Turn
from assistant.conversation import resolve
from assistant.places import _pos_words


def _turn(question: str) -> Turn:
    return Turn(question, Answer(question, question, "…", True, "extractive"))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=20)
    args = ap.parse_args()
    gaz = seed_gazetteer()
    shapes = {
        "one turn, 16 chars": [_turn("天津高新区干部工资分为哪两部分?")],
        "one turn, 2,000 chars": [_turn("天津" * 1000)],
        "one turn, 20,000 chars": [_turn("天津" * 9999)],
        "20 turns of 20,000 chars": [_turn("天津" * 9999)] * 20,
    }
    resolve("那衡阳呢?", shapes["one turn, 16 chars"], gaz)  # warm jieba
    print(f"{'history':<28} {'median ms':>10}")
    for name, history in shapes.items():
        times = []
        for _ in range(args.rounds):
            _pos_words.cache_clear()  # each round cuts the text anew, as a new request does
            t = time.perf_counter()
            resolve("那衡阳呢?", history, gaz)
            times.append((time.perf_counter() - t) * 1000)
        print(f"{name:<28} {statistics.median(times):>10.1f}")


if __name__ == "__main__":
    main()
