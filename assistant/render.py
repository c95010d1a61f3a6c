"""Text and JSON shapes of results for the CLI and the HTTP API (one place for both)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import click

from assistant.answer_types import Answer, AnswerBlock, Citation, Turn
from index.pipeline import IngestSummary
from index.statedb import DocRow
from index.types import Hit


def hit_json(hit: Hit, rank: int) -> dict[str, Any]:
    c = hit.chunk
    return {
        "rank": rank,
        "score": round(hit.score, 6),
        "doc_id": c.doc_id,
        "title": hit.record.title,
        "source": hit.record.rel,
        "section": c.section_path,
        "text": c.text,
        "start": c.start,
        "end": c.end,
        "regions": list(hit.record.regions),
        "year": hit.record.year,
        "matched_terms": list(hit.matched_terms),
    }


def doc_json(d: DocRow) -> dict[str, Any]:
    """One report as `reformqa docs --json` and `GET /api/docs` show it."""
    return {
        "doc_id": d.doc_id,
        "source": d.rel,
        "title": d.meta.title,
        "regions": list(d.meta.regions),
        "year": d.meta.year,
        "kind": d.meta.kind,
        "script": d.meta.script,
        "source_site": d.meta.source_site,
        "chunks": d.n_chunks,
        "sha256": d.sha256,
    }


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
        "regions": list(c.regions),
    }


def answer_json(a: Answer) -> dict[str, Any]:
    out: dict[str, Any] = {
        "question": a.question,
        "resolved_question": a.resolved_question,
        "answer": a.text,
        "grounded": a.grounded,
        "mode": a.mode,
        "kind": a.kind,
        "blocks": [{"kind": b.kind, "heading": b.heading, "items": list(b.items)} for b in a.blocks],
        "citations": [citation_json(c) for c in a.citations],
    }
    if a.comparison:
        out["comparison"] = [{"place": r.place, "text": r.text, "citations": list(r.citations)} for r in a.comparison]
    if a.related:
        out["related"] = [citation_json(c) for c in a.related]
    if a.note:
        out["note"] = a.note
    return out


def print_hits(query: str, hits: list[Hit]) -> None:
    if not hits:
        click.echo(f"no results for {query!r}")
    for i, h in enumerate(hits, 1):
        c = h.chunk
        click.secho(f"[{i}] {h.record.title}  ({c.doc_id} {c.start}-{c.end})", bold=True)
        if c.section_path:
            click.echo(f"    § {c.section_path}")
        click.echo(f"    {c.text}\n")


def print_answer(a: Answer) -> None:
    if a.resolved_question != a.question:
        click.secho(f"(理解为: {a.resolved_question})", dim=True)
    if a.note:
        click.secho(a.note, fg="yellow")
    if a.blocks:
        for b in a.blocks:
            print_block(b)
    else:
        click.echo(a.text)
    refs = a.citations or a.related
    if refs:
        click.echo("\n" + ("参考来源:" if a.grounded else "相关段落:"))
    for c in refs:
        where = f" § {c.section}" if c.section else ""
        click.echo(f"[{c.n}] {c.title}{where} ({c.doc_id} {c.start}-{c.end})\n    “{c.quote}”")


def print_block(b: AnswerBlock) -> None:
    """One block of an answer as terminal text: bullets, a headed place, a notice, related."""
    if b.kind == "notice":
        click.secho("".join(b.items), fg="yellow")
    elif b.kind == "place":
        click.secho(f"■ {b.heading}", bold=True)
        for item in b.items:
            click.echo(f"  - {item}")
    elif b.kind == "related":
        click.secho(b.heading or "相关段落（不是对问题的回答）", dim=True)
        for item in b.items:
            click.secho(f"  · {item}", dim=True)
    elif b.kind == "bullets":
        if b.heading:
            click.secho(b.heading, bold=True)
        for item in b.items:
            click.echo(f"  • {item}")
    else:
        click.echo("".join(b.items))


def print_summary(s: IngestSummary) -> None:
    click.echo(
        f"files: {len(s.added)} added, {len(s.updated)} updated, {len(s.unchanged)} unchanged, "
        f"{len(s.removed)} removed, {len(s.failed)} failed"
    )
    click.echo(
        f"chunks: {s.chunks_total} in the index; {s.chunks_embedded} embedded, "
        f"{s.chunks_reused} reused" + (" (rebuilt)" if s.rebuilt else "")
    )
    for rel, why in s.failed:
        click.secho(f"  failed: {rel}: {why}", fg="red", err=True)
    for rel, why in s.notes:
        click.secho(f"  note: {rel}: {why}", fg="yellow", err=True)
    for a, b, score in s.duplicates:
        click.secho(f"  duplicate reports: {a} ~ {b} ({score:.0%} of paragraphs shared)", fg="yellow", err=True)


def turns_from_json(history: Iterable[Mapping[str, Any]]) -> list[Turn]:
    """Conversation turns from earlier answers in their JSON shape (`answer_json`; an
    /api/ask response passed back as `history`). Only what follow-up resolution reads is
    kept: question, resolved question, answer text, whether it was grounded and the first
    citations (report, section, regions, quote: the places the answer was about). The HTTP
    API and `reformqa eval` both build history here, so a dialogue scored in-process and
    one scored over HTTP see the same turns."""
    turns = []
    for h in history:
        question = str(h["question"])
        resolved = str(h.get("resolved_question") or question)
        cites = tuple(_citation_from_json(i, c) for i, c in enumerate(_first_citations(h), 1))
        grounded = bool(h.get("grounded", True))
        answer = Answer(question, resolved, str(h.get("answer", "")), grounded, "extractive", cites)
        turns.append(Turn(question, answer))
    return turns


_HISTORY_CITATIONS = 10
_HISTORY_FIELD_CHARS = 2000


def _first_citations(h: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    raw = h.get("citations") or []
    return [c for c in raw[:_HISTORY_CITATIONS] if isinstance(c, Mapping)] if isinstance(raw, list) else []


def _citation_from_json(n: int, c: Mapping[str, Any]) -> Citation:
    """A history citation, every text field cut to a bounded length (it is client input)."""

    def text(key: str) -> str:
        return str(c.get(key) or "")[:_HISTORY_FIELD_CHARS]

    regions = c.get("regions") or []
    return Citation(
        n,
        text("doc_id"),
        text("title"),
        text("source"),
        text("section"),
        text("quote"),
        0,
        0,
        tuple(str(r)[:100] for r in regions[:10]) if isinstance(regions, list) else (),
    )
