"""Ingest in a background thread, so an upload or a re-index never holds a request thread.

A heavy report (a large GBK text, a .docx bomb before the loader rejects it) would stall
the chat if the upload handler ran the ingest inline. The worker runs one ingest at a
time; a request made while one runs is queued as one follow-up run (which picks up every
file stored meanwhile). The UI polls `snapshot()` on a timer.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, replace

from assistant.facade import Assistant
from index.errors import IngestLockedError, ReformQAError
from index.pipeline import IngestSummary

log = logging.getLogger("reformqa.ingest_jobs")

STAGES = {"read": "读取报告", "ocr": "识别扫描页（OCR）", "embed": "计算向量", "keyword": "建立关键词索引"}


@dataclass(frozen=True)
class JobSnapshot:
    """What the UI shows: whether a run is going, where it is, and the last result."""

    running: bool = False
    runs: int = 0
    """Finished runs so far (the UI refreshes the table when this changes)."""
    stage: str = ""
    done: int = 0
    total: int = 0
    file: str = ""
    """The report being read (per-file progress)."""
    summary: IngestSummary | None = None
    error: str = ""

    @property
    def progress_text(self) -> str:
        label = STAGES.get(self.stage, "准备中")
        if not self.total:
            return f"{label}…"
        where = f"（{self.file}）" if self.stage in ("read", "ocr") and self.file else ""
        if self.stage == "ocr":
            return f"{label}：第 {self.done}/{self.total} 页{where}"
        return (
            f"{label}：第 {self.done}/{self.total} 个{where}"
            if self.stage == "read"
            else f"{label}：{self.done}/{self.total}"
        )


class IngestWorker:
    """One background ingest at a time over the assistant's library."""

    def __init__(self, assistant: Assistant) -> None:
        self.assistant = assistant
        self._lock = threading.Lock()
        self._state = JobSnapshot()
        self._again = False
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Start an ingest now, or once more after the one that is running."""
        with self._lock:
            if self._state.running:  # set and cleared under the lock, unlike is_alive()
                self._again = True
                return
            self._state = replace(self._state, running=True, stage="", done=0, total=0, file="", error="")
            self._thread = threading.Thread(target=self._loop, name="reformqa-ingest", daemon=True)
            self._thread.start()

    def snapshot(self) -> JobSnapshot:
        with self._lock:
            return self._state

    def wait(self, timeout: float | None = None) -> JobSnapshot:
        """Block until the current run ends (tests and scripts; the UI polls instead)."""
        thread = self._thread
        if thread is not None:
            thread.join(timeout)
        return self.snapshot()

    def _progress(self, stage: str, done: int, total: int) -> None:
        with self._lock:
            self._state = replace(self._state, stage=stage, done=done, total=total)

    def _file(self, rel: str) -> None:
        with self._lock:
            self._state = replace(self._state, file=rel)

    def _loop(self) -> None:
        while True:
            summary, error = None, ""
            try:
                summary = self.assistant.ingest(wait=60, progress=self._progress, on_file=self._file)
            except IngestLockedError:
                error = "另一个索引任务（例如命令行的 reformqa ingest）正在运行；请等它结束后再点“重新索引全部”。"
            except ReformQAError as exc:
                error = str(exc)
            except Exception as exc:  # the worker must report, never die silently
                log.exception("background ingest failed")
                error = f"索引时出现内部错误（{type(exc).__name__}），详情见服务器日志。"
            if summary is not None:
                _log_failures(summary)
            with self._lock:
                again, self._again = self._again, False
                self._state = replace(
                    self._state, running=again, runs=self._state.runs + 1, summary=summary, error=error
                )
                if not again:
                    return


def _log_failures(summary: IngestSummary) -> None:
    """Each file the run could not index, with its reason (the library shows a short Chinese
    form and points here): the name and the reason only, never the file's content."""
    for rel, reason in summary.failed:
        log.warning("could not index %r: %s", rel, reason[:500])
