#!/usr/bin/env bash
# Set up ReformQA in ./.venv: torch (CPU wheel) first, then the project, then the bundled
# embedding model converted (and exported to ONNX) once into the cache. Safe to run again:
# it only does what is missing.
# Usage: scripts/setup.sh [--dev] [--browser]
set -euo pipefail
cd "$(dirname "$0")/.."

DEV=0; BROWSER=0
for arg in "$@"; do
  case "$arg" in
    --dev) DEV=1 ;;
    --browser) BROWSER=1 ;;
    *) echo "unknown option: $arg" >&2; exit 2 ;;
  esac
done

PY=${PYTHON:-python3.11}
command -v "$PY" >/dev/null 2>&1 || PY=python3
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
. .venv/bin/activate
export PIP_DISABLE_PIP_VERSION_CHECK=1
# Quiet, but a failed install stops the set-up with pip's own output.
pip_q() {
  local log; log=$(mktemp)
  if ! pip install -q "$@" >"$log" 2>&1; then cat "$log" >&2; rm -f "$log"; return 1; fi
  grep -v -e "^WARNING: Location" -e "is ignored: it is neither" "$log" || true
  rm -f "$log"
}

# torch before anything that depends on it: the local CPU wheel, not GBs of CUDA packages.
python -c "import torch, sys; sys.exit(0 if torch.__version__.startswith('2.13.0') else 1)" 2>/dev/null \
  || pip_q torch==2.13.0
extras=""
[ "$DEV" = 1 ] && extras="dev"
[ "$BROWSER" = 1 ] && extras="${extras:+$extras,}browser"
if [ -n "$extras" ]; then pip_q -e ".[$extras]"; else pip_q -e .; fi
python -c "import index, assistant, ui" || { echo "setup failed: the project does not import" >&2; exit 1; }

# Convert the bundled multilingual-e5-small once and export it to ONNX int8 (the default
# backend; about a minute the first time, cached per user), then load it once.
ANONYMIZED_TELEMETRY=False HF_HUB_OFFLINE=1 python - <<'PY'
from index.embedders import make_embedder
from index.settings import Settings

embedder = make_embedder(Settings())
print(f"embedding model: {embedder.name} ({embedder.dim} dimensions)")
PY

# The tests draw their own Chinese PDFs (tests/pdf_draw.py): they need a CJK font.
if [ "$DEV" = 1 ] && [ "$BROWSER" = 0 ] && ! fc-list 2>/dev/null | grep -qi "noto.*cjk"; then
  if [ "$(id -u)" = 0 ]; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq fonts-noto-cjk >/dev/null
  else
    echo "the PDF tests need a CJK font: sudo apt-get install fonts-noto-cjk (they skip without it)" >&2
  fi
fi
if [ "$BROWSER" = 1 ] && { ! command -v chromium >/dev/null 2>&1 || ! fc-list 2>/dev/null | grep -qi "noto.*cjk"; }; then
  # Playwright cannot download its own browser here: use Debian's Chromium.
  if [ "$(id -u)" = 0 ]; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver fonts-noto-cjk >/dev/null
  else
    echo "browser tests need Debian's chromium: sudo apt-get install chromium chromium-driver fonts-noto-cjk" >&2
  fi
fi
if [ "$DEV" = 1 ] && ! fc-list 2>/dev/null | grep -qi "noto.*cjk"; then
  # The OCR and PDF tests draw their own Chinese pages with Debian's Noto CJK fonts.
  if [ "$(id -u)" = 0 ]; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq fonts-noto-cjk >/dev/null
  else
    echo "the OCR tests draw Chinese pages: sudo apt-get install fonts-noto-cjk" >&2
  fi
fi
echo "setup done: . .venv/bin/activate"
