"""The command line run in-process against a test's index, with the fake embedder."""

from __future__ import annotations

from click.testing import CliRunner

from index.settings import Settings
from reformqa.cli import main


def run_cli(settings: Settings, *args: str, env: dict[str, str] | None = None) -> tuple[int, str]:
    """`reformqa --data-dir … --corpus-dir … ARGS`: its exit code and output."""
    r = CliRunner().invoke(
        main,
        ["--data-dir", str(settings.data_dir), "--corpus-dir", str(settings.corpus_dir), *args],
        env={"REFORMQA_EMBEDDING__MODEL": "hash:256", **(env or {})},
    )
    return r.exit_code, r.output
