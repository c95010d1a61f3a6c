"""Grounding shared by the extractive and the LLM answerers, as named stages.

One question's path (each stage a module, typed objects between them):

1. `assistant.candidates`: the retrieved passages cut into `Sentence`s, each with its report
   span and its frame (title, regions, heading path);
2. `assistant.terms`: the question's `TermWeights` (idf for scoring, specific weights for
   declining; conversational words in neither);
3. `assistant.verdict`: the `Verdict`, whether the passages answer at all (coverage, the
   asked place and year) and, if not, what is missing and what to offer as related;
4. `assistant.placecheck`: the place and year check every cited sentence passes;
5. `assistant.scoring`: `Scored` sentences (lexical, dense, rank, shape);
6. the answer shapes (`assistant.shape_plain`, `shape_list`, `shape_compare`) choose the
   sentences, and `assistant.citing` turns them into `Citation`s and the answer's blocks.

Every threshold sits in `AnswerConfig` (`index.settings`, the `answer` group of `Settings`).
This module re-exports the stages' public names for the answerers and tools.
"""

from __future__ import annotations

from assistant.candidates import (
    Sentence,
    context_of,
    dedupe,
    frame_of,
    is_junk,
    lead_sentences,
    sentences_of,
    similar,
)
from assistant.citing import answer_of, cite, declined, flatten, in_script, marked, paragraphs
from assistant.grammar import HAS_NUM, QUESTION_WORDS, is_question_word, years_in
from assistant.placecheck import UNPLACED, PlaceIndex, RegionPlaces, about_place, fits, fits_years, place_of
from assistant.question import question_of
from assistant.scoring import Scored, Scorer, focus, is_echo
from assistant.terms import TermWeights, top_coverage
from assistant.verdict import Verdict, judge, lacks
from index.settings import AnswerConfig

__all__ = [
    "HAS_NUM",
    "QUESTION_WORDS",
    "UNPLACED",
    "AnswerConfig",
    "PlaceIndex",
    "RegionPlaces",
    "Scored",
    "Scorer",
    "Sentence",
    "TermWeights",
    "Verdict",
    "about_place",
    "answer_of",
    "cite",
    "context_of",
    "declined",
    "dedupe",
    "fits",
    "fits_years",
    "flatten",
    "focus",
    "frame_of",
    "in_script",
    "is_echo",
    "is_junk",
    "is_question_word",
    "judge",
    "lacks",
    "lead_sentences",
    "marked",
    "paragraphs",
    "place_of",
    "question_of",
    "sentences_of",
    "similar",
    "top_coverage",
    "years_in",
]
