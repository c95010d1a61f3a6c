"""The one JSON shape of an `Answer`, with a format version, and its reader.

`reformqa ask --json`, `POST /api/ask`, the dialogue evaluation and the web app's stored
conversations all write `answer_json` and read `answer_from_json`, so an answer saved in a
browser, returned by the API or scored by `check_dialogue.py` has the same keys everywhere.

Format 2 (this one): `{"format": 2, "question", "resolved_question", "answer", "grounded",
"mode", "kind", "note", "blocks", "citations", "related", "comparison"}`; a citation is
`{"n", "doc_id", "title", "source", "section", "quote", "start", "end", "page", "regions"}`.
Format 1 had no `format` key: the API wrote the text as `answer` and left out empty
`related`/`comparison`/`note`; the browser's stored conversations wrote it as `text`. Both
still load.

The reader takes untrusted input (a browser's localStorage): a wrong type raises
`ValueError` naming the field, which callers turn into "drop this entry".
"""

from __future__ import annotations

from typing import Any

from assistant.answer_types import Answer, AnswerBlock, Citation, ComparisonRow

FORMAT = 2
_BLOCK_KINDS = ("paragraph", "bullets", "place", "notice", "related")


def citation_json(c: Citation) -> dict[str, Any]:
    return {
        "n": c.n,
        "doc_id": c.doc_id,
        "title": c.title,
        "source": c.source,
        "section": c.section,
        "quote": c.quote,
        "start": c.start,
        "end": c.end,
        "page": c.page,
        "regions": list(c.regions),
    }


def answer_json(a: Answer) -> dict[str, Any]:
    """The answer as every outside reader sees it (format `FORMAT`)."""
    return {
        "format": FORMAT,
        "question": a.question,
        "resolved_question": a.resolved_question,
        "answer": a.text,
        "grounded": a.grounded,
        "mode": a.mode,
        "kind": a.kind,
        "note": a.note,
        "blocks": [{"kind": b.kind, "heading": b.heading, "items": list(b.items)} for b in a.blocks],
        "citations": [citation_json(c) for c in a.citations],
        "related": [citation_json(c) for c in a.related],
        "comparison": [{"place": r.place, "text": r.text, "citations": list(r.citations)} for r in a.comparison],
    }


# -- reading (untrusted) ----------------------------------------------------------------------
def _str(d: dict[str, Any], key: str) -> str:
    v = d.get(key, "")
    if not isinstance(v, str):
        raise ValueError(key)
    return v


def _int(d: dict[str, Any], key: str) -> int:
    v = d.get(key)
    if not isinstance(v, int) or isinstance(v, bool):
        raise ValueError(key)
    return v


def strs(v: object) -> tuple[str, ...]:
    """A list of strings, or ValueError."""
    if not isinstance(v, list) or not all(isinstance(x, str) for x in v):
        raise ValueError("list of strings")
    return tuple(v)


def _page(v: object) -> int | None:
    """A citation's page (older answers have none)."""
    return v if isinstance(v, int) and not isinstance(v, bool) and v > 0 else None


def citation_from_json(d: dict[str, Any]) -> Citation:
    return Citation(
        n=_int(d, "n"), doc_id=_str(d, "doc_id"), title=_str(d, "title"), source=_str(d, "source"),
        section=_str(d, "section"), quote=_str(d, "quote"), start=_int(d, "start"), end=_int(d, "end"),
        regions=strs(d.get("regions", [])), page=_page(d.get("page")),
    )  # fmt: skip


def _block_from(d: dict[str, Any]) -> AnswerBlock:
    kind = _str(d, "kind")
    if kind not in _BLOCK_KINDS:
        raise ValueError(kind)
    return AnswerBlock(kind, strs(d.get("items", [])), _str(d, "heading"))  # type: ignore[arg-type]


def _text(d: dict[str, Any]) -> str:
    """The answer's text: `answer` in format 2 and in the API's format 1, `text` in the
    browser's format 1."""
    version = d.get("format")
    if version is not None and version != FORMAT:
        raise ValueError(f"format {version!r}")
    return _str(d, "answer") if "answer" in d or version == FORMAT else _str(d, "text")


def answer_from_json(d: dict[str, Any]) -> Answer:
    """An `Answer` from `answer_json`'s shape (format 2) or from format 1; ValueError if malformed."""
    mode = _str(d, "mode")
    return Answer(
        question=_str(d, "question"),
        resolved_question=_str(d, "resolved_question"),
        text=_text(d),
        grounded=bool(d.get("grounded")),
        mode="llm" if mode == "llm" else "extractive",
        citations=tuple(citation_from_json(c) for c in d.get("citations", [])),
        related=tuple(citation_from_json(c) for c in d.get("related", [])),
        comparison=tuple(
            ComparisonRow(_str(r, "place"), _str(r, "text"), tuple(int(n) for n in r.get("citations", [])))
            for r in d.get("comparison", [])
        ),
        blocks=tuple(_block_from(b) for b in d.get("blocks", [])),
        kind=_str(d, "kind") or "fact",
        note=_str(d, "note"),
    )
