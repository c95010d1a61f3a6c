#!/usr/bin/env bash
# Set up (if needed) and run every check: ruff, mypy, import-linter, then the test suite
# (real model and real browser included). CPU-heavy tests run serially: torch threads fight each other.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --dev --browser
. .venv/bin/activate
export ANONYMIZED_TELEMETRY=False HF_HUB_OFFLINE=1 TOKENIZERS_PARALLELISM=false
echo "== ruff"; ruff check .
echo "== mypy"; mypy
echo "== import-linter"; lint-imports  # layers and no import cycles (contracts in pyproject.toml)
# One Chroma server on loopback for the server-mode tests (tests/test_chroma_server.py),
# stopped however this script ends.
CHROMA_DIR=$(mktemp -d)
CHROMA_PORT=$(python -c "import socket; s = socket.socket(); s.bind(('127.0.0.1', 0)); print(s.getsockname()[1])")
chroma run --path "$CHROMA_DIR/db" --host 127.0.0.1 --port "$CHROMA_PORT" >"$CHROMA_DIR/server.log" 2>&1 &
CHROMA_PID=$!
trap 'kill "$CHROMA_PID" 2>/dev/null; wait "$CHROMA_PID" 2>/dev/null; rm -rf "$CHROMA_DIR"' EXIT
export REFORMQA_TEST_CHROMA_URL="http://127.0.0.1:$CHROMA_PORT"
python - "$CHROMA_PID" <<'PY' || { cat "$CHROMA_DIR/server.log" >&2; echo "chroma run did not start" >&2; exit 1; }
import os, sys, time, urllib.request
url, pid = os.environ["REFORMQA_TEST_CHROMA_URL"] + "/api/v2/heartbeat", int(sys.argv[1])
for _ in range(300):
    try:
        urllib.request.urlopen(url, timeout=1)
        sys.exit(0)
    except OSError:
        os.kill(pid, 0)  # raises (and fails the check) once the server has exited
        time.sleep(0.2)
sys.exit(1)
PY
echo "== pytest"; python -m pytest "$@"
