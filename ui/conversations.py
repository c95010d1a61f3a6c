"""Conversations kept in the browser: entries (question, answer, suggestions, vote) as JSON.

The browser stores `{"current": id, "items": [{"id", "title", "updated", "entries"}]}` in
localStorage (`gr.BrowserState`). What comes back from the browser is untrusted: it is
parsed field by field into typed objects (anything malformed is dropped) and everything
shown from it goes through the same escaping as a fresh answer.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from assistant.answer_json import answer_from_json, answer_json, strs
from assistant.answer_types import Answer, Turn

MAX_CONVERSATIONS = 30
MAX_ENTRIES = 50
TITLE_CHARS = 100
"""A title is the first question (or the name given) up to this length; the list cuts it at
its own width with an ellipsis and shows it whole in a tooltip."""
Store = dict[str, Any]


@dataclass(frozen=True)
class Entry:
    """One question and answer of a conversation, with what the UI adds to it."""

    id: str
    question: str
    answer: Answer
    suggestions: tuple[str, ...] = ()
    vote: str = ""
    comment: str = ""


def new_id() -> str:
    return uuid.uuid4().hex


def turns(entries: list[Entry]) -> list[Turn]:
    """The history the assistant resolves follow-ups against."""
    return [Turn(e.question, e.answer) for e in entries]


def with_entry(entries: list[Entry], entry_id: str, **changes: Any) -> list[Entry]:
    return [replace(e, **changes) if e.id == entry_id else e for e in entries]


# -- to JSON ----------------------------------------------------------------------------------
def entry_to_json(e: Entry) -> dict[str, Any]:
    return {
        "id": e.id,
        "question": e.question,
        "answer": answer_json(e.answer),
        "suggestions": list(e.suggestions),
        "vote": e.vote,
        "comment": e.comment,
    }


# -- from JSON (untrusted) ----------------------------------------------------------------------
def _str(d: dict[str, Any], key: str) -> str:
    v = d.get(key, "")
    if not isinstance(v, str):
        raise ValueError(key)
    return v


def entry_from_json(d: object) -> Entry | None:
    """An entry from the browser, or None if anything in it is malformed."""
    try:
        if not isinstance(d, dict):
            return None
        vote = _str(d, "vote")
        return Entry(
            id=_str(d, "id") or new_id(),
            question=_str(d, "question"),
            answer=answer_from_json(d["answer"]),
            suggestions=strs(d.get("suggestions", []))[:3],
            vote=vote if vote in ("up", "down") else "",
            comment=_str(d, "comment"),
        )
    except (KeyError, TypeError, ValueError, AttributeError):
        return None


# -- the store ---------------------------------------------------------------------------------
def empty_store() -> Store:
    return {"current": "", "items": []}


def items(store: object) -> list[dict[str, Any]]:
    """The stored conversations that look like conversations, newest first."""
    raw = store.get("items") if isinstance(store, dict) else None
    if not isinstance(raw, list):
        return []
    ok = [c for c in raw if isinstance(c, dict) and isinstance(c.get("id"), str) and isinstance(c.get("entries"), list)]
    return sorted(ok, key=lambda c: str(c.get("updated", "")), reverse=True)


def load(store: object, conv_id: str) -> list[Entry]:
    """The entries of one stored conversation (malformed ones dropped)."""
    conv = next((c for c in items(store) if c["id"] == conv_id), None)
    if conv is None:
        return []
    return [e for e in map(entry_from_json, conv["entries"][-MAX_ENTRIES:]) if e is not None]


def clean_title(text: str) -> str:
    """One line of at most TITLE_CHARS characters."""
    t = " ".join(text.split())
    return t if len(t) <= TITLE_CHARS else t[: TITLE_CHARS - 1] + "…"


def title_of(entries: list[Entry]) -> str:
    return clean_title(entries[0].question) if entries else "新对话"


def save(store: object, conv_id: str, entries: list[Entry]) -> Store:
    """The store with this conversation written (first, as the newest) and marked current.
    A name the user gave (`rename`) is kept; otherwise the title is the first question."""
    before = next((c for c in items(store) if c["id"] == conv_id), None)
    others = [c for c in items(store) if c["id"] != conv_id]
    if entries:
        named = before is not None and before.get("named") is True and isinstance(before.get("title"), str)
        conv = {
            "id": conv_id,
            "title": before["title"] if named and before else title_of(entries),
            "named": named,
            "updated": datetime.now().isoformat(timespec="seconds"),
            "entries": [entry_to_json(e) for e in entries[-MAX_ENTRIES:]],
        }
        others = [conv, *others]
    return {"current": conv_id, "items": others[:MAX_CONVERSATIONS]}


def rename(store: object, conv_id: str, title: str) -> Store:
    """The store with a kept conversation renamed (an empty name gives back the first question)."""
    current = store.get("current", "") if isinstance(store, dict) else ""
    out = []
    for c in items(store):
        if c["id"] == conv_id:
            entries = [e for e in map(entry_from_json, c["entries"]) if e is not None]
            name = clean_title(title)
            c = {**c, "title": name or title_of(entries), "named": bool(name)}
        out.append(c)
    return {"current": current, "items": out}


def delete(store: object, conv_id: str) -> Store:
    current = store.get("current", "") if isinstance(store, dict) else ""
    return {"current": "" if current == conv_id else current, "items": [c for c in items(store) if c["id"] != conv_id]}
