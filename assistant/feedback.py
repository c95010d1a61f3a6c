"""Feedback on answers: 👍/👎 and an optional comment, kept in the data dir (SQLite).

One row per answer (`entry_id`, chosen by the UI): voting again or adding a comment updates
it. Each row keeps the question, the resolved question, the answer and its citations as
they were shown, so a maintainer can review what went wrong without the conversation.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from assistant.answer_json import citation_json
from assistant.answer_types import Answer
from index.errors import ReformQAError

Vote = Literal["up", "down"]
FILENAME = "feedback.sqlite3"
MAX_COMMENT = 2000

_SCHEMA = """
CREATE TABLE IF NOT EXISTS feedback (
    entry_id TEXT PRIMARY KEY,
    question TEXT NOT NULL,
    resolved_question TEXT NOT NULL,
    answer TEXT NOT NULL,
    grounded INTEGER NOT NULL,
    citations TEXT NOT NULL,
    vote TEXT NOT NULL CHECK (vote IN ('up', 'down')),
    comment TEXT NOT NULL DEFAULT '',
    time TEXT NOT NULL
)
"""


class FeedbackError(ReformQAError):
    """A vote or comment that cannot be stored as given."""


@dataclass(frozen=True)
class Feedback:
    entry_id: str
    question: str
    resolved_question: str
    answer: str
    grounded: bool
    citations: tuple[dict[str, Any], ...]
    vote: Vote
    comment: str
    time: str
    """UTC, ISO 8601."""

    def to_json(self) -> dict[str, Any]:
        return {
            "entry_id": self.entry_id,
            "question": self.question,
            "resolved_question": self.resolved_question,
            "answer": self.answer,
            "grounded": self.grounded,
            "citations": list(self.citations),
            "vote": self.vote,
            "comment": self.comment,
            "time": self.time,
        }


class FeedbackStore:
    """The feedback table in `<data_dir>/feedback.sqlite3` (created on first write)."""

    def __init__(self, data_dir: Path) -> None:
        self.path = Path(data_dir) / FILENAME

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with closing(sqlite3.connect(self.path, timeout=10)) as db, db:
            db.execute(_SCHEMA)
            yield db

    def record(self, entry_id: str, answer: Answer, vote: str, comment: str = "") -> Feedback:
        """Store (or update) the vote and comment on one answer."""
        if vote not in ("up", "down"):
            raise FeedbackError(f"vote must be 'up' or 'down', got {vote!r}")
        if not entry_id.strip():
            raise FeedbackError("feedback needs the answer's entry id (the UI sends one per answer)")
        row = Feedback(
            entry_id=entry_id,
            question=answer.question,
            resolved_question=answer.resolved_question,
            answer=answer.text,
            grounded=answer.grounded,
            citations=tuple(citation_json(c) for c in answer.citations or answer.related),
            vote=vote,  # type: ignore[arg-type]
            comment=comment.strip()[:MAX_COMMENT],
            time=datetime.now(UTC).isoformat(timespec="seconds"),
        )
        with self._connect() as db:
            db.execute(
                "INSERT OR REPLACE INTO feedback VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    row.entry_id,
                    row.question,
                    row.resolved_question,
                    row.answer,
                    int(row.grounded),
                    json.dumps(row.citations, ensure_ascii=False),
                    row.vote,
                    row.comment,
                    row.time,
                ),
            )
        return row

    def list(self) -> list[Feedback]:
        """All feedback, newest first."""
        if not self.path.exists():
            return []
        with self._connect() as db:
            rows = db.execute("SELECT * FROM feedback ORDER BY time DESC, rowid DESC").fetchall()
        return [Feedback(e, q, rq, a, bool(g), tuple(json.loads(c)), v, cm, t) for e, q, rq, a, g, c, v, cm, t in rows]
