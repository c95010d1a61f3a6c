#!/usr/bin/env bash
# Set up (if needed) and run every check: ruff, mypy, then the test suite (real model and
# real browser included). CPU-heavy tests run serially: torch threads fight each other.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --dev --browser
. .venv/bin/activate
export ANONYMIZED_TELEMETRY=False HF_HUB_OFFLINE=1 TOKENIZERS_PARALLELISM=false
echo "== ruff"; ruff check .
echo "== mypy"; mypy
echo "== pytest"; python -m pytest "$@"
