"""Answer shape: a summary quotes the concrete measures of the section that matches the
question, not its headings.

The section is the one whose heading the question names best (二、经验…, 推行法定机构改革).
Its parts are its sub-sections, else its enumerated items (一是…二是…), else the section
itself; each part gives its first measures in reading order: sentences with a verb of a
concrete measure (推行, 设立, 下放…), skipping the background and the guiding principle a
part opens with (改革前…, 按照…的思路) and the short heads that only name an item. One block
per part, headed with its heading (not cited); at most `AnswerConfig.summary_sentences`
quotes in all, so the answer reads on a phone.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from assistant.answer_types import Answer, AnswerBlock, Citation
from assistant.candidates import Sentence, is_junk
from assistant.citing import answer_of, cite, in_script, marked
from assistant.evidence import Evidence
from assistant.grammar import ENUM, HEADING_NUMBER, MEASURE, NOT_A_MEASURE
from assistant.question import Question, question_of
from assistant.terms import TermWeights
from index.textnorm import normalize
from index.types import Hit


@dataclass(frozen=True)
class Part:
    """One part of the summarized section: its label and its sentences in reading order."""

    label: str
    sentences: tuple[Sentence, ...]


def summarize(ev: Evidence, question: Question, hits: Sequence[Hit]) -> Answer | None:
    """The measures of the section whose heading matches the question best (None: no heading
    names the question's topic; the caller answers as a list)."""
    found = _best_section(ev, question, hits)
    if found is None:
        return None
    hit, path = found
    body = [s for s in ev.section(hit, path) if not is_junk(s)]
    parts = _parts(body, path, ev.config.short_item)
    budget = ev.config.summary_sentences
    lead = _overview(body, path, parts)
    per_part = max(1, (budget - bool(lead)) // max(1, len(parts)))
    chosen = [(p, _measures(p.sentences, per_part, ev.config.short_item)) for p in parts]
    chosen = [(p, m) for p, m in chosen if m]
    if lead is not None:
        chosen.insert(0, (Part("", (lead,)), [lead]))
    if not chosen:
        return None
    citations: list[Citation] = []
    blocks: list[AnswerBlock] = []
    for part, measures in chosen:
        if len(citations) >= budget:
            break
        items = []
        for s in measures[: budget - len(citations)]:
            c = cite(len(citations) + 1, s, ev.places)
            citations.append(c)
            items.append(marked(c, question))
        heading = in_script(part.label, question) if len(chosen) > 1 else ""
        blocks.append(AnswerBlock("bullets", tuple(items), heading))
    return answer_of(question, tuple(blocks), tuple(citations))


def _best_section(ev: Evidence, question: Question, hits: Sequence[Hit]) -> tuple[Hit, tuple[str, ...]] | None:
    """The heading path whose last heading holds most of the question (the kind's words count
    here: a heading says 经验, 主要举措); on a tie the shallower one."""
    places = [x for p in question.places for x in (p.written, p.canonical)]
    weights = TermWeights(question_of(question.norm), ev.keyword, ev.config).without(places)
    best: tuple[float, int, Hit, tuple[str, ...]] | None = None
    for hit in hits:
        sec = hit.chunk.section
        for depth in range(1, len(sec) + 1):
            cov = weights.coverage(normalize(sec[depth - 1]))
            if best is None or (cov, -depth) > (best[0], best[1]):
                best = (cov, -depth, hit, sec[:depth])
    if best is None or best[0] <= 0:
        return None
    return best[2], best[3]


def _parts(body: Sequence[Sentence], path: tuple[str, ...], short_item: int) -> list[Part]:
    """Sub-sections of `path`, else its enumerated items, else the section as one part."""
    children: dict[str, list[Sentence]] = {}
    for s in body:
        sec = s.hit.chunk.section
        if len(sec) > len(path):
            children.setdefault(sec[len(path)], []).append(s)
    if len(children) >= 2:
        return [Part(_label(k), tuple(v)) for k, v in children.items()]
    items: list[list[Sentence]] = []
    for s in body:
        if ENUM.match(s.norm) and len(s.text) <= short_item:
            items.append([s])
        elif items:
            items[-1].append(s)
    if len(items) >= 2:
        return [Part(_label(i[0].text), tuple(i)) for i in items]
    return [Part(_label(path[-1]), tuple(body))]


def _overview(body: Sequence[Sentence], path: tuple[str, ...], parts: Sequence[Part]) -> Sentence | None:
    """The section's own opening sentence that names its parts (通过推行法定机构改革、争取市级
    权限下放…等系列举措): it summarizes the section, so it leads. A part is named when the
    sentence holds four characters of its label in a row; two parts at least."""
    if len(parts) < 2:
        return None
    labels = [normalize(p.label) for p in parts]
    for s in body:
        if s.is_heading or s.hit.chunk.section != path:
            continue
        named = sum(any(label[i : i + 4] in s.norm for i in range(len(label) - 3)) for label in labels)
        if named >= 2:
            return s
    return None


def _label(heading: str) -> str:
    """A heading or item head without its numbering (一、; (一); 一是) and end punctuation."""
    text = HEADING_NUMBER.sub("", heading.strip())
    return ENUM.sub("", text).strip(" 。：:")


def _measures(sentences: Sequence[Sentence], n: int, short_item: int) -> list[Sentence]:
    """The first `n` measures of a part, in reading order: first one from each enumerated item
    (where the part has items), then the next ones."""
    found: list[tuple[int, Sentence]] = []
    item = -1
    for s in sentences:
        if s.is_heading:
            continue
        if ENUM.match(s.norm) and len(s.text) <= short_item:
            item += 1  # a head that only names the item: what follows says what was done
            continue
        if not NOT_A_MEASURE.search(s.norm) and MEASURE.search(s.norm):
            found.append((item, s))
    firsts: dict[int, Sentence] = {}
    for item, s in found:
        firsts.setdefault(item, s)
    picked = list(firsts.values())[:n]
    picked += [s for _, s in found if s not in picked][: n - len(picked)]
    return sorted(picked, key=lambda s: s.start)
