#!/usr/bin/env bash
# Set up (if needed), index the bundled reports and open the chat at http://127.0.0.1:7860
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
. .venv/bin/activate
export ANONYMIZED_TELEMETRY=False HF_HUB_OFFLINE=1 TOKENIZERS_PARALLELISM=false
exec reformqa serve "$@"
