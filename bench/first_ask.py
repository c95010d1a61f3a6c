"""The first answer after a start, beside the next ones: what an official waits for on
the morning after a restart.

Starts `reformqa serve --no-ingest` over an existing data directory (build it first with
`reformqa ingest`), and as soon as the port accepts a connection (no readiness request that
would warm anything) asks `POST /api/ask` a first question, then other questions one by
one. Repeats `--runs` times with a fresh server each time and prints, per run: seconds until
the port opened, the first answer's milliseconds and the median of the following ones.

Usage: python bench/first_ask.py --data-dir DIR [--runs 3] [--fake]
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from load import QUESTIONS, _free_port, machine  # bench/load.py: the same questions and port choice

REPO = Path(__file__).resolve().parent.parent


def _wait_port(port: int, proc: subprocess.Popen[bytes], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            sys.exit(f"the server exited with {proc.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.05)
    sys.exit("the server did not open its port")


def one_run(data_dir: Path, fake: bool, questions: int) -> tuple[float, float, float]:
    """(seconds to the open port, first answer ms, median of the later answers ms)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("REFORMQA_")}
    env.update(ANONYMIZED_TELEMETRY="False", HF_HUB_OFFLINE="1", TOKENIZERS_PARALLELISM="false")
    if fake:
        env["REFORMQA_EMBEDDING__MODEL"] = "hash:256"
    port = _free_port()
    cmd = [sys.executable, "-m", "reformqa", "--data-dir", str(data_dir), "--corpus-dir", str(REPO / "corpus")]
    t0 = time.monotonic()
    proc = subprocess.Popen(
        [*cmd, "serve", "--no-ingest", "--port", str(port)],
        cwd=REPO,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        _wait_port(port, proc, 600)
        opened = time.monotonic() - t0
        times = []
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=120) as client:
            for q in QUESTIONS[:questions]:
                t = time.perf_counter()
                r = client.post("/api/ask", json={"question": q})
                r.raise_for_status()
                times.append((time.perf_counter() - t) * 1000)
        return opened, times[0], statistics.median(times[1:])
    finally:
        proc.terminate()
        proc.wait(30)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data-dir", type=Path, required=True, help="an index built with `reformqa ingest`")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--questions", type=int, default=6, help="questions per run (the first is the one timed cold)")
    ap.add_argument("--fake", action="store_true", help="the fake embedder (the index must be built with it)")
    a = ap.parse_args()
    print(machine())
    print("| run | port open s | first answer ms | later answers p50 ms |\n|---:|---:|---:|---:|")
    for i in range(1, a.runs + 1):
        opened, first, later = one_run(a.data_dir, a.fake, a.questions)
        print(f"| {i} | {opened:.1f} | {first:.0f} | {later:.0f} |", flush=True)


if __name__ == "__main__":
    main()
