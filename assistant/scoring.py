"""Stage 2 of grounding: scores of the candidate sentences for a question.

A sentence's score mixes idf-weighted term coverage (its title and headings count for it),
character-bigram coverage, its passage's search rank, a bonus for the asked shape (a number
for 多少, a date for 何时, 是指 for a definition) and, for the best few, E5 similarity to
the question; headings and sentences that only restate the question are penalised, and
their match passes to the sentence after them. Weights are `AnswerConfig`'s.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from assistant.candidates import Sentence
from assistant.grammar import DEFINES, ENUM, FUNCTION_CHARS, HAS_NUM, HAS_TIME, NUMBERING, QUESTION_WORDS
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
    """The ranking score every shape reads: term match, rank, shape and similarity."""
    lexical: float
    """Its term and bigram match (title and headings counting), for the shapes' own checks."""


FEATURES = (
    "cov_frame",
    "cov_sentence",
    "specific_sentence",
    "bigrams",
    "carried",
    "rank",
    "heading",
    "echo",
    "shaped",
    "length",
    "position",
    "item_head",
    "prev_cov",
    "next_cov",
)
"""A candidate's features (`Scorer.features`): the ranking score reads some of them, and
bench/fit_sentence_model.py fits a model over all of them to check the hand-set weights."""
DENSE_FEATURES = ("dense", "dense_gap")


@dataclass(frozen=True)
class Features:
    """The candidates' feature rows and their lexical match, in the candidates' order."""

    rows: np.ndarray
    lexical: list[float]


class Scorer:
    """Scores candidate sentences for a question: term match, search rank, the asked shape,
    and for the best `AnswerConfig.dense_candidates` E5 similarity. The weights are set by
    hand (`AnswerConfig`); bench/fit_sentence_model.py fits a logistic model on cmrc2018 and
    seed_dev_qa over these features and more, and it picks the answer no better (see
    docs/BENCHMARKS.md), so the simpler hand-set score stays."""

    def __init__(self, embedder: Embedder, config: AnswerConfig) -> None:
        self.embedder = embedder
        self.config = config

    def score(self, question: Question, sentences: Sequence[Sentence], weights: TermWeights) -> list[Scored]:
        if not sentences:
            return []
        feats = self.features(question, sentences, weights)
        scores = self.base(feats)
        top = self.top(scores)
        scores[top] += self.config.w_dense * self.dense(question, sentences, top)[:, 0]
        out = [Scored(s, float(sc), lex) for s, sc, lex in zip(sentences, scores, feats.lexical, strict=True)]
        return sorted(out, key=lambda x: -x.score)

    def base(self, feats: Features) -> np.ndarray:
        """The ranking score before similarity: term match, search rank, shape, and a penalty
        for a heading or a sentence that only restates the question."""
        cfg = self.config
        col = {n: feats.rows[:, i] for i, n in enumerate(FEATURES)}
        hit_rank = 1.0 / col["rank"] - 1.0
        penalty = cfg.heading_penalty * np.maximum(col["heading"], col["echo"])
        lexical = np.asarray(feats.lexical)
        out: np.ndarray = (
            cfg.w_lexical * lexical
            + cfg.w_rank / (1.0 + cfg.rank_decay * hit_rank)
            + cfg.shape_bonus * col["shaped"]
            - penalty
        )
        return out

    def top(self, base: np.ndarray) -> list[int]:
        """The candidates compared by meaning: the best few by `base` (a CPU budget per answer)."""
        return [int(i) for i in np.argsort(-base, kind="stable")[: self.config.dense_candidates]]

    def features(self, question: Question, sentences: Sequence[Sentence], weights: TermWeights) -> Features:
        """The lexical feature rows (`FEATURES`) of the candidates."""
        cfg = self.config
        local = weights.localized([s.norm for s in sentences])
        qgrams, qall = char_bigrams(_content(question.norm)), char_bigrams(question.norm)
        own = [_lexical(s, local, qgrams, cfg.w_term_coverage) for s in sentences]
        lexical = _carry_to_continuations(sentences, own, qall, cfg)
        rows = []
        position = 0
        cov = [local.coverage(s.norm) for s in sentences]
        for i, s in enumerate(sentences):
            prev = cov[i - 1] if i and sentences[i - 1].hit is s.hit else 0.0
            nxt = cov[i + 1] if i + 1 < len(sentences) and sentences[i + 1].hit is s.hit else 0.0
            position = position + 1 if i and sentences[i - 1].hit is s.hit else 0
            shaped = (
                (question.numeric and HAS_NUM.search(s.norm))
                or (question.asks_time and HAS_TIME.search(s.text))
                or (question.kind == "definition" and DEFINES.search(s.norm))
            )
            rows.append(
                [
                    local.coverage(f"{s.frame} {s.norm}"),
                    cov[i],
                    weights.coverage(s.norm, specific=True),
                    sum(g in s.norm for g in qgrams) / len(qgrams) if qgrams else 0.0,
                    lexical[i] - own[i],
                    1.0 / (1.0 + s.hit_rank),
                    float(s.is_heading),
                    float(is_echo(s.norm, qall, cfg.echo_share)),
                    float(bool(shaped)),
                    math.log(1 + len(s.text)),
                    1.0 / (1.0 + position),
                    float(bool(ENUM.match(s.norm)) and len(s.text) <= cfg.short_item),
                    prev,
                    nxt,
                ]
            )
        return Features(np.asarray(rows, dtype=float), lexical)

    def dense(self, question: Question, sentences: Sequence[Sentence], top: Sequence[int]) -> np.ndarray:
        """`DENSE_FEATURES` of the candidates `top`: similarity to the question, min-max scaled
        among them, and its gap to the best of them (E5 similarities bunch: rank, don't threshold)."""
        if len(top) < 2:
            return np.tile([1.0, 0.0], (len(top), 1))
        q = self.embedder.embed_query(focus(question))
        # The same passages come back question after question: the engine's embedder
        # (index.embedders.CachingEmbedder) keeps their vectors.
        sims = self.embedder.embed_documents([sentences[i].norm for i in top]) @ q
        lo, hi = float(sims.min()), float(sims.max())
        scaled = (sims - lo) / (hi - lo) if hi > lo else np.ones_like(sims)
        return np.stack([scaled, sims - hi], axis=1)


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
