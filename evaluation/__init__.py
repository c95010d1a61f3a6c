"""Evaluation of the assistant on development sets: `qa` (retrieval and answer metrics on QA
files) and `dialogue` (conversations asked turn by turn, scored like
../shared/eval/check_dialogue.py). It sits above `assistant` and calls only its facade; the
CLI's `reformqa eval` and the benchmarks use it, the web app never does."""
