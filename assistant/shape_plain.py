"""Answer shape: a fact, number, definition, effect or yes/no question gets the sentence that
answers (the one holding the number, the defining one) and near-equals that say something
else, or the whole run of consecutive sentences of a provision, in reading order.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from assistant.answer_types import Answer
from assistant.candidates import Sentence, dedupe, is_junk, sentences_of, similar
from assistant.citing import answer_of, cite, declined, paragraphs
from assistant.evidence import Evidence
from assistant.grammar import DEFINES, DIVIDES, ENUM, HAS_NUM, HAS_TIME, LEAD_IN, NOT_A_MEASURE, years_in
from assistant.question import Question
from assistant.scoring import Scored
from assistant.terms import TermWeights
from assistant.verdict import lacks, related_reading, states_topic, topic_share
from index.settings import AnswerConfig
from index.textnorm import normalize

# A definition is one sentence (its run aside); other answers keep near-equals (≤ max_sentences).
_CAPS = {"definition": 1}


def plain(ev: Evidence, question: Question, scored: Sequence[Scored], weights: TermWeights) -> Answer:
    if question.kind == "measures":
        # 有哪些措施 asks for measures: a guiding principle or a notice's purpose clause names
        # every topic of the document and is none of them.
        scored = [s for s in scored if not NOT_A_MEASURE.search(s.sentence.norm)] or scored
    if question.kind == "number":
        # The answer to 多少 is a sentence that holds a number, if any candidate does.
        top = max((s.lexical for s in scored), default=0.0)
        numbered = [
            s for s in scored if s.lexical >= ev.config.number_match_ratio * top and HAS_NUM.search(s.sentence.norm)
        ]
        if scored and not numbered and question.wants_quantity:
            # No sentence near the best match states a quantity (of the asked year, after
            # the year check): a sentence on the topic is no answer to 多少 / 多久.
            best = scored[0].sentence
            return declined(question, lacks(question, weights, best.norm), [best], places=ev.places)
        scored = numbered or scored
    if _placed(ev, question, scored):
        # On a place of reports that declare their places, only sentences that speak of what
        # was asked are cited; a list of so many (哪两部分) needs a sentence that lists.
        hits = list(dict.fromkeys(s.sentence.hit for s in scored))
        scored = [s for s in scored if _states(question, weights, s.sentence)]
        if not scored:
            # The place's reports do not state what was asked: say so for it, and show what
            # they do say on the topic as related reading, not as the answer.
            related, heading = related_reading(question, hits, weights, ev.places, ev.config)
            return declined(question, lacks(question, weights, ""), related, places=ev.places, heading=heading)
    chosen = select(ev.config, scored, _CAPS.get(question.kind))
    if _whole(ev.config, question, chosen[:1], weights):
        # The best sentence holds every asked word: only a near-equal that holds them in its
        # own words joins (the reports leave open which one answers); one that has them only
        # from the headings it shares with the best, or holds part of them, is padding.
        cut = ev.config.complete_min
        chosen = [c for i, c in enumerate(chosen) if not i or weights.coverage(c.sentence.norm, specific=True) >= cut]
    if question.kind in ("measures", "effect") and len(chosen) > 1:
        # A how- or effect-question may take several sentences, each on the asked topic: not
        # the next measure of the same passage on something else.
        own = _topic(question, weights, chosen[0].sentence)
        chosen = [
            chosen[0],
            *(c for c in chosen[1:] if _topic(question, weights, c.sentence) >= ev.config.extra_topic_ratio * own),
        ]
    if chosen and _off_topic(ev.config, question, chosen[0].sentence, weights):
        return declined(
            question, lacks(question, weights, chosen[0].sentence.norm), [chosen[0].sentence], places=ev.places
        )
    sentences = run_of(ev, chosen, question)
    citations = tuple(cite(i, s, ev.places) for i, s in enumerate(sentences, 1))
    blocks = paragraphs(citations, question)
    return answer_of(question, blocks, citations)


def _off_topic(cfg: AnswerConfig, question: Question, s: Sentence, weights: TermWeights) -> bool:
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
    return topic.coverage(f"{s.frame} {s.norm}", specific=True) < cfg.min_sentence_topic


def _placed(ev: Evidence, question: Question, scored: Sequence[Scored]) -> bool:
    """A question about a place, over reports that declare their places. Elsewhere (an
    encyclopedia) an answer often names the topic only in the sentence before it: a sentence
    is not required to name it."""
    if not scored or not any(p.doc_ids for p in question.places):
        return False
    s = scored[0].sentence
    return ev.places.speaks_for(s.hit.chunk.doc_id, s.hit.chunk.section) is not None


def _states(question: Question, weights: TermWeights, s: Sentence) -> bool:
    """The sentence (with its own heading) speaks of the asked topic (衡阳高新区干部工资…: not a
    sentence on 副科级岗位竞聘, however close its passage), and a question asking for so many
    items (哪两部分) gets a sentence that divides or lists (划分为…和…, 、)."""
    section = s.hit.chunk.section
    if not states_topic(question, weights, section[-1] if section else "", s.norm):
        return False
    return not question.count or bool(DIVIDES.search(s.norm))


def _whole(cfg: AnswerConfig, question: Question, scored: Sequence[Scored], weights: TermWeights) -> bool:
    """Whether the first sentence answers a fact, number, definition or yes/no question in full:
    it holds every asked word (with its headings) and, for 何时, a date. When the best does,
    only near-equals that hold them in their own words join it (the policy table of
    bench/fit_sentence_model.py on cmrc2018, seed_dev_qa and drcd: the share of answers citing
    the gold stays within 0.01 with a tenth fewer citations; dropping every near-equal costs
    0.02 and more)."""
    if not scored or question.kind not in ("fact", "number", "definition", "yesno"):
        return False
    s = scored[0].sentence
    if question.asks_time and not HAS_TIME.search(s.text):
        return False
    return weights.coverage(f"{s.frame} {s.norm}", specific=True) >= cfg.complete_min


def _topic(question: Question, weights: TermWeights, s: Sentence) -> float:
    """How much of the asked topic the sentence itself states (its headings left out: they
    speak for every sentence under them)."""
    return topic_share(question, weights, "", s.norm)


def select(cfg: AnswerConfig, scored: Sequence[Scored], cap: int | None = None) -> list[Scored]:
    """The best sentence, and near-equals (≥ keep_ratio of its score) that say something
    else, at most `cap` in all. A heading or a short item head (一是…) names a topic and
    never joins: what follows it says what was done."""
    if not scored:
        return []
    best = scored[0]
    chosen = [best]
    cap = cap or cfg.max_sentences
    for s in scored[1:]:
        if len(chosen) >= cap or s.score < cfg.keep_ratio * best.score:
            break
        head = s.sentence.is_heading or (ENUM.match(s.sentence.norm) and len(s.sentence.text) <= cfg.short_item)
        if (
            s.lexical > 0
            and not head
            and not any(similar(s.sentence.norm, c.sentence.norm, cfg.near_duplicate) for c in chosen)
        ):
            chosen.append(s)
    return chosen


def run_of(ev: Evidence, chosen: Sequence[Scored], question: Question) -> list[Sentence]:
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
        # A sentence ending in "：" or "；" goes on in the next; once a run is led in, its
        # enumerated steps follow on. A sentence that leads nowhere ends the answer: the next
        # item of a list (二是…) is another item, not its continuation.
        led = False
        while end + 1 < len(body) and not body[end + 1].is_heading and end - at < ev.config.max_run - 1:
            leads = bool(LEAD_IN.search(body[end].norm))
            if not (leads or (led and ENUM.match(body[end + 1].norm))):
                break
            led = led or leads
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
        if _introduces(first, question):
            for s in body[at + 1 : at + ev.config.max_run]:
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
    return dedupe(run + others)


def _introduces(s: Sentence, question: Question) -> bool:
    """A definition question answered by a sentence that names the term without
    defining it (推行“管委会+公司”模式。): the sentences after it explain it."""
    return question.kind == "definition" and not DEFINES.search(s.norm) and bool(_parts(question))


def _parts(question: Question) -> list[str]:
    """The words of the quoted terms (管委会, 公司 of “管委会+公司”)."""
    return [t for q in question.quoted for t in re.split(r"[^\w]+", normalize(q)) if len(t) >= 2]
