"""Answer shape: a question about the document itself (`Question.doc_field`: its 文号, its
signature date, its issuing bodies) is answered by the lines that state them, found the way
ingest finds a report's metadata (`index.docmeta`), in the report the search ranks first.

The text rarely names the field with the question's words (a 文号 line never says 文号), so
the term-based verdict would decline; the line is cited at its span like any quote.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence

from assistant.answer_types import Answer
from assistant.candidates import Sentence
from assistant.citing import answer_of, cite, paragraphs
from assistant.evidence import Evidence
from assistant.question import Question
from assistant.shape_list import bullets
from index.docdates import despace, detect_date, is_date_line, parse_date
from index.docmeta import detect_doc_number, detect_issuer
from index.textnorm import normalize
from index.types import ChunkRecord, Hit

Line = tuple[int, int, str]
"""(start, end, text) of a non-empty line of the cleaned report."""


def doc_field_answer(ev: Evidence, question: Question, hits: Sequence[Hit]) -> Answer | None:
    """The cited lines that state the asked field of the best-ranked report that has it."""
    if not question.doc_field or not hits or ev.chunks_of is None:
        return None
    for doc_id in dict.fromkeys(h.chunk.doc_id for h in hits):
        records = list(ev.chunks_of(doc_id))
        lines = list(_lines(records))
        found = _FIELDS[question.doc_field](lines, records[0].title if records else "")
        if found:
            sentences = [s for s in (_sentence(records, line) for line in found) if s is not None]
            if not sentences:
                continue
            if len(sentences) > 1:  # two issuing bodies: one line each
                return bullets(ev, question, [[s] for s in sentences])
            citations = (cite(1, sentences[0], ev.places),)
            return answer_of(question, paragraphs(citations, question), citations)
    return None


def _lines(records: Sequence[ChunkRecord]) -> Iterator[Line]:
    """The report's lines with their spans, rebuilt from its (overlapping) chunks."""
    if not records:
        return
    chars = ["\n"] * max(r.chunk.start + len(r.chunk.text) for r in records)
    for r in records:  # overlapping chunks hold the same text where they overlap
        chars[r.chunk.start : r.chunk.start + len(r.chunk.text)] = r.chunk.text
    full = "".join(chars)
    at = 0
    for raw in full.split("\n"):
        stripped = raw.strip()
        if stripped:
            lead = len(raw) - len(raw.lstrip())
            yield at + lead, at + lead + len(stripped), stripped
        at += len(raw) + 1


def _doc_number(lines: list[Line], title: str) -> list[Line]:
    value = detect_doc_number([t for _, _, t in lines])
    return [line for line in lines if value in re.sub(r"\s+", "", line[2])][:1] if value else []


def _date(lines: list[Line], title: str) -> list[Line]:
    texts = [t for _, _, t in lines]
    value = detect_date(texts)
    dated = [line for line in lines if is_date_line(despace(line[2])) and parse_date(despace(line[2])) == value]
    return dated[-1:] if value else []  # the signature's, at the end


def _issuer(lines: list[Line], title: str) -> list[Line]:
    value = detect_issuer([t for _, _, t in lines], title)
    out: list[Line] = []
    for name in (n for n in value.split("、") if n):
        stating = [line for line in lines if normalize(name) in normalize(despace(line[2]))]
        if stating and stating[-1] not in out:
            out.append(stating[-1])  # the signature block closes the notice
    return sorted(out)


_FIELDS = {"doc_number": _doc_number, "date": _date, "issuer": _issuer}


def _sentence(records: Sequence[ChunkRecord], line: Line) -> Sentence | None:
    start, end, text = line
    record = next((r for r in records if r.chunk.start <= start and end <= r.chunk.end), None)
    return None if record is None else Sentence(Hit(record, 0.0), 0, text, normalize(text), start, end, False)
