"""Stage 2 of grounding: scores of the candidate sentences for a question.

A sentence's score mixes idf-weighted term coverage (its title and headings count for it),
character-bigram coverage, its passage's search rank, a bonus for the asked shape (a number
for 多少, a date for 何时, 是指 for a definition) and, for the best few, E5 similarity to
the question; headings and sentences that only restate the question are penalised, and
their match passes to the sentence after them. Weights are `AnswerConfig`'s.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from assistant.candidates import Sentence
from assistant.grammar import DEFINES, FUNCTION_CHARS, HAS_NUM, HAS_TIME, NUMBERING, QUESTION_WORDS
from assistant.question import Question
from assistant.terms import TermWeights
from index.embedders import Embedder
from index.keyword import tokenize
from index.settings import AnswerConfig
from index.textnorm import char_bigrams, normalize, word_chars


@dataclass(frozen=True)
class Scored:
    sentence: Sentence
    score: float
    lexical: float


class Scorer:
    """Scores candidate sentences for a question (lexical, dense, rank, shape)."""

    def __init__(self, embedder: Embedder, config: AnswerConfig) -> None:
        self.embedder = embedder
        self.config = config

    def score(self, question: Question, sentences: Sequence[Sentence], weights: TermWeights) -> list[Scored]:
        if not sentences:
            return []
        cfg = self.config
        local = weights.localized([s.norm for s in sentences])
        qnorm = question.norm
        qgrams, qall = char_bigrams(_content(qnorm)), char_bigrams(qnorm)
        lexical = [_lexical(s, local, qgrams, cfg.w_term_coverage) for s in sentences]
        lexical = _carry_to_continuations(sentences, lexical, qall, cfg)
        numeric, timely = question.numeric, question.asks_time
        defining = question.kind == "definition"
        base = []
        for s, lex in zip(sentences, lexical, strict=True):
            shaped = (
                (numeric and HAS_NUM.search(s.norm))
                or (timely and HAS_TIME.search(s.text))
                or (defining and DEFINES.search(s.norm))
            )
            penalty = cfg.heading_penalty if s.is_heading or is_echo(s.norm, qall, cfg.echo_share) else 0.0
            rank = 1.0 / (1.0 + cfg.rank_decay * s.hit_rank)
            base.append(cfg.w_lexical * lex + cfg.w_rank * rank + (cfg.shape_bonus if shaped else 0.0) - penalty)
        dense = self._dense(question, sentences, base)
        out = [
            Scored(s, b + cfg.w_dense * d, lex) for s, b, d, lex in zip(sentences, base, dense, lexical, strict=True)
        ]
        return sorted(out, key=lambda x: -x.score)

    def _dense(self, question: Question, sentences: Sequence[Sentence], base: Sequence[float]) -> list[float]:
        """Min-max scaled similarity to the question, for the best few candidates only."""
        top = sorted(range(len(sentences)), key=lambda i: -base[i])[: self.config.dense_candidates]
        out = [0.0] * len(sentences)
        if len(top) < 2:
            return [1.0 if i in top else 0.0 for i in range(len(sentences))]
        q = self.embedder.embed_query(focus(question))
        # The same passages come back question after question: the engine's embedder
        # (index.embedders.CachingEmbedder) keeps their vectors.
        vecs = self.embedder.embed_documents([sentences[i].norm for i in top])
        sims = vecs @ q
        lo, hi = float(sims.min()), float(sims.max())
        for i, sim in zip(top, sims, strict=True):
            out[i] = (float(sim) - lo) / (hi - lo) if hi > lo else 1.0
        return out


def _content(norm: str) -> str:
    """The question without its question words, as space-separated terms."""
    return " ".join(t for t in tokenize(norm) if t not in QUESTION_WORDS and len(t) > 1)


def _lexical(s: Sentence, weights: TermWeights, qgrams: set[str], w_terms: float) -> float:
    """Term coverage (title and headings count for every sentence under them), softened by
    character-bigram coverage (robust to word segmentation)."""
    grams = sum(g in s.norm for g in qgrams) / len(qgrams) if qgrams else 0.0
    return w_terms * weights.coverage(f"{s.frame} {s.norm}") + (1.0 - w_terms) * grams


def focus(question: Question) -> str:
    """The question without the places it names, if enough of it remains: the place check
    already keeps only sentences about them, and a place name in the query would make the
    similarity favour sentences that repeat the name over those that answer."""
    focused = question.norm
    for name in sorted(
        {x for p in question.places for x in (normalize(p.written), p.canonical)}, key=len, reverse=True
    ):
        focused = focused.replace(name, "")
    return focused if len(_content(focused).split()) >= 2 else question.norm


def is_echo(norm: str, qgrams: set[str], share: float = 0.6) -> bool:
    """A sentence that only restates the question (often an inline heading) answers nothing.
    One that restates it and adds a word of its own (…节奏型称为“锣鼓点”, …被旧金山勇士队选中)
    is its answer: at most one character outside the question's character pairs is allowed."""
    own = char_bigrams(norm)
    if not own or len(own & qgrams) / len(own) < share:
        return False
    body = word_chars(NUMBERING.sub("", norm))
    covered = [False] * len(body)
    for i in range(len(body) - 1):
        if body[i : i + 2] in qgrams:
            covered[i] = covered[i + 1] = True
    return sum(1 for c, hit in zip(body, covered, strict=True) if not hit and c not in FUNCTION_CHARS) < 2


def _carry_to_continuations(
    sentences: Sequence[Sentence], lexical: list[float], qgrams: set[str], cfg: AnswerConfig
) -> list[float]:
    """What follows a heading or a restated question is usually its answer: it inherits the match."""
    out = list(lexical)
    for i in range(len(sentences) - 1):
        cur, nxt = sentences[i], sentences[i + 1]
        if nxt.hit is cur.hit and (cur.is_heading or is_echo(cur.norm, qgrams, cfg.echo_share)):
            out[i + 1] = max(out[i + 1], cfg.carry * lexical[i])
    return out
