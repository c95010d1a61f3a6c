"""The extractive answerer: the default, offline, and good on its own.

It quotes the reports, shaped like the question (`Question.kind`):
- fact, number, definition, effect, yes/no: the sentence that answers (the one holding the
  number, the defining one), or the whole run of consecutive sentences of a provision;
- list and measures: the items (一是…二是…, numbered sub-headings) of the section that
  answers, one cited bullet each;
- summary: one bullet per sub-heading of the matching section, with its key sentence;
- comparison: one block per place, topic sentences only, labelled with the place.
Every cited sentence passes the place and year check of `assistant.grounding`; when none
about the asked place answers, it says so for that place and shows the rest as related.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

from assistant.answer_types import Answer, AnswerBlock, Citation, ComparisonRow
from assistant.grounding import (
    COUNT_Q,
    HAS_NUM,
    UNPLACED,
    AnswerConfig,
    PlaceIndex,
    RegionPlaces,
    Scored,
    Scorer,
    Sentence,
    TermWeights,
    about_place,
    cite,
    declined,
    fits,
    fits_years,
    flatten,
    focus,
    is_junk,
    judge,
    lacks,
    marked,
    place_of,
    question_of,
    sentences_of,
    similar,
    years_in,
)
from assistant.question import Question
from index.embedders import Embedder
from index.keyword import KeywordIndex
from index.search import is_cross_report
from index.textnorm import normalize
from index.types import ChunkRecord, Hit

ChunksOf = Callable[[str], Sequence[ChunkRecord]]
"""A report's chunks in reading order (the whole section a list or summary answer reads)."""

_ENUM = re.compile(
    r"^\s*(?:[一二三四五六七八九十]+是|第[一二三四五六七八九十]+[,，、]|首先|其次|再次|最后|[(（]\d{1,2}[)）]|[①-⑳])"
)
# An inline list introduced as the answer (包括甲、乙、丙; 通过“整合、扩区、调规”).
_INLINE_LIST = re.compile(
    r"(包括|包含|主要有|分为|分别是|即|：|:|通过)[“\"]?[^、，,。“”]{1,16}、[^、，,。]{1,16}[、和及]"
)
_LEAD_IN = re.compile(
    r"([:：；;]|(分为|分成|包括|包含|(?<![没所])有)[^，,。]{0,6}([两二三四五六七八九十几]+|\d+)(个|种|类|项|点|条|步|部分|方面)[。.]?)\s*$"
)
"""A sentence ending in a colon or semicolon is continued by the next (a provision's steps),
as is one that announces a count (…大约分成两种。 → 一种位于室内，一种位于室外。)."""
# A definition is one sentence (its run aside); other answers keep near-equals (≤ max_sentences).
_CAPS = {"definition": 1}
_DEFINES = re.compile(r"(是指|所谓|指的是|即|是一种|是以)")
_BACKGROUND = re.compile(r"(先后|相继)?(出台|印发|制定|发布)了?《")


class ExtractiveAnswerer:
    """Builds a cited `Answer` from search hits, or declines."""

    mode = "extractive"

    def __init__(
        self,
        embedder: Embedder,
        keyword: KeywordIndex,
        config: AnswerConfig | None = None,
        *,
        places: PlaceIndex | None = None,
        chunks_of: ChunksOf | None = None,
    ) -> None:
        self.embedder = embedder
        self.keyword = keyword
        self.config = config or AnswerConfig()
        self.places: PlaceIndex = places or RegionPlaces([])
        self.chunks_of = chunks_of
        self.scorer = Scorer(embedder, self.config)

    def answer(self, question: Question, hits: Sequence[Hit]) -> Answer:
        weights = TermWeights(question, self.keyword)
        verdict = judge(question, hits, weights, self.places, self.config)
        if verdict.why:
            return declined(question, verdict.why, self._related(question, hits, verdict.related))
        sentences = [s for s in sentences_of(verdict.hits) if fits(s, question, self.places) and not is_junk(s)]
        scored = self.scorer.score(question, sentences, weights)
        debug = dict(zip(("coverage", "passage_coverage"), verdict.coverage, strict=True))
        several = len({s.sentence.hit.chunk.doc_id for s in scored[: 2 * self.config.max_sentences]}) > 1
        if _is_comparison(question) and (several or len([p for p in question.places if p.doc_ids]) > 1):
            out = self.comparison(question, hits, weights)
            if out is not None:
                return _with_debug(out, debug)
        shaped: Answer | None = None
        if question.kind in ("list", "measures"):
            shaped = self.listing(question, scored, weights)
        elif question.kind == "summary":
            shaped = self.summary(question, verdict.hits, scored, weights)
        return _with_debug(shaped or self.plain(question, scored, weights), debug)

    def stream(self, question: Question, hits: Sequence[Hit]) -> list[Answer]:
        """Streaming has nothing to stream here: the final answer at once."""
        return [self.answer(question, hits)]

    # -- fact, number, definition, provision ----------------------------------------------
    def plain(self, question: Question, scored: Sequence[Scored], weights: TermWeights) -> Answer:
        if question.kind == "number":
            # The answer to 多少 is a sentence that holds a number, if any candidate does.
            top = max((s.lexical for s in scored), default=0.0)
            numbered = [s for s in scored if s.lexical >= 0.8 * top and HAS_NUM.search(s.sentence.norm)]
            if scored and not numbered and COUNT_Q.search(question.norm):
                # No sentence near the best match states a quantity (of the asked year, after
                # the year check): a sentence on the topic is no answer to 多少 / 多久.
                best = scored[0].sentence
                return declined(question, lacks(question, weights, best.norm), [best])
            scored = numbered or scored
        chosen = self.select(scored, _CAPS.get(question.kind))
        if chosen and self._off_topic(question, chosen[0].sentence, weights):
            return declined(question, lacks(question, weights, chosen[0].sentence.norm), [chosen[0].sentence])
        sentences = self.run_of(chosen, question)
        citations = tuple(cite(i, s) for i, s in enumerate(sentences, 1))
        blocks = _paragraphs(citations, question)
        return _answer(question, blocks, citations)

    def _off_topic(self, question: Question, s: Sentence, weights: TermWeights) -> bool:
        """When a year is asked and the best sentence does not name it, the year check could
        not date it: the sentence must then itself (with its headings) speak to the asked
        topic, not only stand in a passage that does (审批环节精简64.5% is no answer to
        2023年的财政收入)."""
        if not question.years or years_in(s.norm):
            return False
        asked = [x for p in question.places for x in (p.written, p.canonical)] + [str(y) for y in question.years]
        topic = weights.without(asked)
        if not topic.specific:
            return False
        return topic.coverage(f"{s.frame} {s.norm}", specific=True) < self.config.min_sentence_topic

    def select(self, scored: Sequence[Scored], cap: int | None = None) -> list[Scored]:
        """The best sentence, and near-equals (≥ keep_ratio of its score) that say something
        else, at most `cap` in all."""
        if not scored:
            return []
        best = scored[0]
        chosen = [best]
        cap = cap or self.config.max_sentences
        for s in scored[1:]:
            if len(chosen) >= cap or s.score < self.config.keep_ratio * best.score:
                break
            if (
                s.lexical > 0
                and not s.sentence.is_heading
                and not any(similar(s.sentence.norm, c.sentence.norm) for c in chosen)
            ):
                chosen.append(s)
        return chosen

    def run_of(self, chosen: Sequence[Scored], question: Question) -> list[Sentence]:
        """The chosen sentences in reading order; a sentence that leads in ("如下：") or is
        followed by enumerated steps brings the run that completes it, and a chosen sentence
        one or two after the best brings the sentence between them."""
        if not chosen:
            return []
        first = chosen[0].sentence
        body = [s for s in sentences_of([first.hit]) if not is_junk(s)]
        at = next((i for i, s in enumerate(body) if s.start == first.start), None)
        picked = {first.start: first}
        if at is not None:
            end = at
            # A sentence ending in "：" or "；" goes on in the next; enumerated steps follow on.
            while end + 1 < len(body) and not body[end + 1].is_heading and end - at < self.config.max_run - 1:
                if not (_LEAD_IN.search(body[end].norm) or _ENUM.match(body[end + 1].norm)):
                    break
                end += 1
            for s in body[at : end + 1]:
                picked[s.start] = s
            starts = [s.start for s in body]
            for other in chosen[1:]:
                o = other.sentence
                if o.hit.chunk.id == first.hit.chunk.id and o.start in starts:
                    j = starts.index(o.start)
                    # A near-equal just after the best continues it (the sentence between
                    # comes along); one before it stays behind it: the best answer leads.
                    if 0 < j - at <= 2:
                        for s in body[at : j + 1]:
                            picked[s.start] = s
            if self._introduces(first, question):
                for s in body[at + 1 : at + self.config.max_run]:
                    if s.is_heading or not any(t in s.norm for t in _parts(question)):
                        break
                    picked[s.start] = s
        # The run that holds the best sentence first, in reading order; the other chosen
        # sentences after it, report by report in text order.
        run = sorted(picked.values(), key=lambda s: s.start)
        docs = {d: i for i, d in enumerate(dict.fromkeys(c.sentence.hit.chunk.doc_id for c in chosen))}
        others = sorted(
            (c.sentence for c in chosen[1:] if c.sentence.start not in picked or c.sentence.hit is not first.hit),
            key=lambda s: (docs[s.hit.chunk.doc_id], s.start),
        )
        return _dedupe(run + others)

    @staticmethod
    def _introduces(s: Sentence, question: Question) -> bool:
        """A definition question answered by a sentence that names the term without
        defining it (推行“管委会+公司”模式。): the sentences after it explain it."""
        return question.kind == "definition" and not _DEFINES.search(s.norm) and bool(_parts(question))

    # -- list and measures ----------------------------------------------------------------
    def listing(self, question: Question, scored: Sequence[Scored], weights: TermWeights) -> Answer | None:
        """The items of the section that answers: its enumerated sentences, or else its
        sub-headings, one bullet each (as many as asked when the section has them)."""
        best = next((s for s in scored if not s.sentence.is_heading), scored[0] if scored else None)
        if best is None:
            return None
        hit = best.sentence.hit
        section = hit.chunk.section
        topic = weights.without([x for p in question.places for x in (p.written, p.canonical)])
        top = [s for s in scored if not s.sentence.is_heading][:3]
        most = max(s.lexical for s in top)
        inline = next((s for s in top if s.lexical >= most and _INLINE_LIST.search(s.sentence.norm)), None)
        if inline is not None:
            # The sentence that matches the question best lists the items itself (包括甲、乙、丙).
            return self.plain(question, [inline, *(s for s in scored if s is not inline)], weights)
        for depth in range(len(section), 0, -1):
            items = self._items(question, hit, section[:depth])
            # A section's items are the answer when its heading names the topic, or when the
            # best sentence is one of them or leads into them (a report's "经验" is no answer
            # to 工资分为哪两部分, nor 004's 效能化运行 list to 干部晋升通道窄).
            heads = depth == len(section) and _leads_into(best.sentence, items)
            if not heads and topic.coverage(normalize(section[depth - 1])) < 0.3:
                continue
            if len(items) >= 2:
                if question.count and len(items) > question.count:
                    items = items[: question.count]
                return self._bullets(question, [[s] for s in items])
        return None

    def _items(self, question: Question, hit: Hit, path: tuple[str, ...]) -> list[Sentence]:
        body = self._section(hit, path)
        direct = [s for s in body if s.hit.chunk.section == path and not s.is_heading]
        enumerated = [s for s in direct if _ENUM.match(s.norm)]
        if len(enumerated) >= 2:
            return enumerated[: self.config.max_items]
        return [s for s, _ in self._children(body, path)][: self.config.max_items]

    def _section(self, hit: Hit, path: tuple[str, ...]) -> list[Sentence]:
        """Every sentence under `path` in the report (all its chunks, not only the hits),
        in reading order, each once (chunks overlap)."""
        records = self.chunks_of(hit.chunk.doc_id) if self.chunks_of else [hit.record]
        inside = [r for r in records if r.chunk.section[: len(path)] == path]
        if not inside:
            inside = [hit.record]
        sents = sentences_of([Hit(r, 0.0) for r in inside])
        return [s for s in _dedupe(sorted(sents, key=lambda s: s.start)) if fits_hit(s, hit)]

    @staticmethod
    def _children(body: Sequence[Sentence], path: tuple[str, ...]) -> list[tuple[Sentence, Sentence | None]]:
        """(heading, first body sentence) of each direct sub-section of `path`."""
        out: dict[str, tuple[Sentence, Sentence | None]] = {}
        for s in body:
            sec = s.hit.chunk.section
            if len(sec) <= len(path):
                continue
            child = sec[len(path)]
            if child not in out and s.is_heading and normalize(child)[:6] in s.norm:
                out[child] = (s, None)
            elif child in out and out[child][1] is None and not s.is_heading and not is_junk(s):
                out[child] = (out[child][0], s)
        return list(out.values())

    def _bullets(self, question: Question, items: Sequence[Sequence[Sentence]]) -> Answer:
        citations: list[Citation] = []
        lines = []
        for group in items:
            parts = []
            for s in group:
                c = cite(len(citations) + 1, s)
                citations.append(c)
                parts.append(marked(c, question))
            lines.append("".join(parts))
        blocks = (AnswerBlock("bullets", tuple(lines)),)
        return _answer(question, blocks, tuple(citations))

    # -- summary --------------------------------------------------------------------------
    def summary(
        self, question: Question, hits: Sequence[Hit], scored: Sequence[Scored], weights: TermWeights
    ) -> Answer | None:
        """One bullet per sub-heading of the section whose heading matches the question best."""
        # A heading names what a summary asks for (二、经验…, 主要举措): the kind's words count here.
        places = [x for p in question.places for x in (p.written, p.canonical)]
        weights = TermWeights(question_of(question.norm), self.keyword).without(places)
        best: tuple[float, int, Hit, tuple[str, ...]] | None = None
        for hit in hits:
            sec = hit.chunk.section
            for depth in range(1, len(sec) + 1):
                cov = weights.coverage(normalize(sec[depth - 1]))
                key = (cov, -depth)
                if best is None or key > (best[0], best[1]):
                    best = (cov, -depth, hit, sec[:depth])
        if best is None or best[0] <= 0:
            return self.listing(question, scored, weights)
        _, _, hit, path = best
        children = self._children(self._section(hit, path), path)
        if len(children) < 2:
            return self.listing(question, scored, weights)
        groups = [[h, *([k] if k is not None else [])] for h, k in children[: self.config.max_items]]
        return self._bullets(question, groups)

    # -- comparison -----------------------------------------------------------------------
    def comparison(self, question: Question, hits: Sequence[Hit], weights: TermWeights) -> Answer | None:
        """One block per place: only sentences that speak to the topic (not the place, not
        the lead of a section), at most `per_place` each, labelled with the place."""
        asked = [p.canonical for p in question.places if p.doc_ids]
        topic = weights.without([*asked, *(p.written for p in question.places)])
        candidates = [
            s for s in sentences_of(hits) if not s.is_heading and not is_junk(s) and fits_years(s, question.years)
        ]
        scored = self.scorer.score(question, candidates, topic)
        groups: dict[str, list[Scored]] = {}
        for s in scored:
            # The sentence with its own heading (一、做好招商引资“加法”: its items say 招商),
            # compounds counted once: how much of the topic this sentence itself speaks to.
            section = s.sentence.hit.chunk.section
            own = topic.coverage(f"{normalize(section[-1]) if section else ''} {s.sentence.norm}", specific=True)
            if own < self.config.topic_min or _BACKGROUND.search(s.sentence.norm):
                continue  # background, lead or boilerplate: names no part of the topic itself
            label = self._label(s.sentence, asked)
            if not label:
                continue
            group = groups.setdefault(label, [])
            if len(group) < self.config.per_place and not any(similar(s.sentence.norm, g.sentence.norm) for g in group):
                group.append(s)
        if asked:
            if groups:
                groups |= self._in_other_words(question, scored, asked, groups)
            groups = {p: groups[p] for p in asked if p in groups}
        top = max((g[0].score for g in groups.values() if g), default=0.0)
        rows_in = [
            (p, g) for p, g in groups.items() if g and (asked or g[0].score >= self.config.place_min_score * top)
        ]
        rows_in = rows_in[: self.config.max_places]
        if not rows_in:
            return None  # no place speaks to the topic itself: the plain answer says what is there
        citations: list[Citation] = []
        rows: list[ComparisonRow] = []
        blocks: list[AnswerBlock] = []
        for place, group in rows_in:
            ns, parts = [], []
            for sent in self._with_details([g.sentence for g in group]):
                c = cite(len(citations) + 1, sent)
                citations.append(c)
                ns.append(c.n)
                parts.append(marked(c, question))
            rows.append(ComparisonRow(place, "".join(parts), tuple(ns)))
            blocks.append(AnswerBlock("place", tuple(parts), place))
        missing = [p.written for p in question.places if p.doc_ids and p.canonical not in dict(rows_in)]
        if missing:
            blocks.append(AnswerBlock("notice", (f"报告中没有{'、'.join(missing)}这方面的内容。",)))
        out = _answer(question, tuple(blocks), tuple(citations))
        return Answer(
            out.question,
            out.resolved_question,
            out.text,
            True,
            "extractive",
            out.citations,
            tuple(rows),
            out.blocks,
            "comparison",
        )

    def _in_other_words(
        self, question: Question, scored: Sequence[Scored], asked: Sequence[str], groups: dict[str, list[Scored]]
    ) -> dict[str, list[Scored]]:
        """An asked place whose report says the topic in other words (工资 for 薪酬) is not
        left out: its sentence most similar to the topic joins when it is at least as similar
        as a sentence the topic's own words found for another place (a rank within one
        query, not a cosine threshold)."""
        topic = question.attribute or focus(question)
        found = [g[0].sentence for g in groups.values()]
        # Only the place's own reports: a sentence elsewhere that names it (与衡阳相比…) or a
        # report that declares no place is no evidence by meaning alone.
        own = {p.canonical: set(p.doc_ids) for p in question.places}
        pending = {
            p: [
                s
                for s in scored
                if s.sentence.hit.chunk.doc_id in own.get(p, ()) and about_place(s.sentence, p, self.places)
            ][: self.config.reworded_candidates]
            for p in asked
            if p not in groups
        }
        pending = {p: c for p, c in pending.items() if c}
        if not pending:
            return {}
        q = self.embedder.embed_query(topic)
        bar = float(min(self.embedder.embed_documents([s.norm for s in found]) @ q))
        out: dict[str, list[Scored]] = {}
        for place, cands in pending.items():
            sims = self.embedder.embed_documents([c.sentence.norm for c in cands]) @ q
            best = cands[int(sims.argmax())]
            if float(sims.max()) >= bar and not _BACKGROUND.search(best.sentence.norm):
                out[place] = [best]
        return out

    def _with_details(self, chosen: Sequence[Sentence]) -> list[Sentence]:
        """In reading order; an enumerated item's short head (一是围绕主特产业招商。) brings the
        sentence after it, which says what was done."""
        out: list[Sentence] = []
        for s in sorted(chosen, key=lambda s: (s.hit.chunk.doc_id, s.start)):
            out.append(s)
            if _ENUM.match(s.norm) and len(s.text) <= self.config.short_item:
                body = [b for b in sentences_of([s.hit]) if not is_junk(b)]
                nxt = next((b for b in body if b.start >= s.end), None)
                if nxt is not None and not nxt.is_heading and not _ENUM.match(nxt.norm):
                    out.append(nxt)
        return _dedupe(out)

    def _label(self, s: Sentence, asked: Sequence[str]) -> str:
        if asked:
            return next((p for p in asked if about_place(s, p, self.places)), "")
        return place_of(s, self.places) or UNPLACED

    def _related(self, question: Question, hits: Sequence[Hit], fallback: Sequence[Sentence]) -> list[Sentence]:
        return list(fallback)


def fits_hit(s: Sentence, hit: Hit) -> bool:
    """Section sentences are read from the same report as the hit that chose the section."""
    return s.hit.chunk.doc_id == hit.chunk.doc_id


def _is_comparison(question: Question) -> bool:
    return (
        question.kind == "comparison"
        or question.cross_place
        or (len([p for p in question.places if p.doc_ids]) >= 2 and is_cross_report(question.norm))
    )


def _leads_into(best: Sentence, items: Sequence[Sentence]) -> bool:
    """`best` is one of `items`, or the sentence right before the first of them."""
    if not items:
        return False
    if any(i.start == best.start and i.hit.chunk.doc_id == best.hit.chunk.doc_id for i in items):
        return True
    return best.hit.chunk.doc_id == items[0].hit.chunk.doc_id and 0 <= items[0].start - best.end <= 2


def _parts(question: Question) -> list[str]:
    """The words of the quoted terms (管委会, 公司 of “管委会+公司”)."""
    return [t for q in question.quoted for t in re.split(r"[^\w]+", normalize(q)) if len(t) >= 2]


def _dedupe(sentences: Sequence[Sentence]) -> list[Sentence]:
    seen: set[tuple[str, int]] = set()
    out = []
    for s in sentences:
        key = (s.hit.chunk.doc_id, s.start)
        if key not in seen:
            seen.add(key)
            out.append(s)
    return out


def _paragraphs(citations: Sequence[Citation], question: Question) -> tuple[AnswerBlock, ...]:
    """One paragraph per report, its sentences in reading order."""
    blocks: list[list[str]] = []
    last = None
    for c in citations:
        if c.doc_id != last:
            blocks.append([])
        blocks[-1].append(marked(c, question))
        last = c.doc_id
    return tuple(AnswerBlock("paragraph", tuple(b)) for b in blocks)


def _answer(question: Question, blocks: tuple[AnswerBlock, ...], citations: tuple[Citation, ...]) -> Answer:
    return Answer(
        question.text, question.text, flatten(blocks), True, "extractive", citations, (), blocks, question.kind
    )


def _with_debug(answer: Answer, debug: dict[str, float]) -> Answer:
    from dataclasses import replace

    return replace(answer, debug={**answer.debug, **debug})
