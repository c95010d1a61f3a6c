"""Term weights: how much each content word of a question counts.

idf from the keyword index scores sentences; `specific` weights (idf × how rare the word is
in general Chinese, compounds counted once) decide whether the reports answer at all.
Conversational words (`Question.filler`) are in neither. Zone words that name a place with
it (天津高新区) weigh little and never decide.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Sequence
from itertools import pairwise

from assistant.grammar import COUNTING, QUESTION_WORDS, is_question_word
from assistant.question import Question, question_of
from index.keyword import KeywordIndex, general_rarity, is_dictionary_word, tokenize
from index.settings import AnswerConfig
from index.textnorm import normalize


class TermWeights:
    """idf weights of a question's content terms, from the keyword index.

    `weights` score sentences; `specific` (weighted by how rare each term is in general
    Chinese, compounds counted once) decide whether the reports answer at all. Words the
    question analysis calls conversational (`Question.filler`) are in neither: 请问, 一下,
    意思 never make a question unanswerable.
    """

    def __init__(self, question: Question | str, keyword: KeywordIndex, config: AnswerConfig | None = None) -> None:
        cfg = self.config = config or AnswerConfig()
        q = question if isinstance(question, Question) else question_of(question)
        filler = [normalize(f) for f in q.filler]
        tokens = list(dict.fromkeys(_unglue(t, keyword) for t in tokenize(_without_zones(q))))
        tokens = [t for t in tokens if not any(t in f for f in filler)]
        # The analysis's words come from another segmentation (潘 + 淑是 where the tokenizer saw 潘淑是):
        # they are unglued the same way.
        tokens += [
            t for t in (_unglue(normalize(x), keyword) for x in q.terms) if t and t not in tokens and len(t) <= 12
        ]
        # "哪三件事", "几个方面": a lone character after a count is the thing counted, not the topic.
        counted = {b for a, b in pairwise(tokens) if len(b) == 1 and COUNTING.match(a)}
        terms = [t for t in tokens if not is_question_word(t) and not COUNTING.match(t) and t not in counted]
        # Verbs of the question's frame (实行, 推行, 分为) never decide whether the reports
        # answer, but an answer often repeats them: they help pick its sentence.
        self.frame = {t: cfg.frame_verb_weight * keyword.idf(t) for t in tokens if t in QUESTION_WORDS and len(t) > 1}
        # A lone character (两, 区, 新) says little on its own, whatever its rarity as a token.
        self.weights = {t: keyword.idf(t) * (cfg.single_char_weight if len(t) == 1 else 1.0) for t in terms}
        # 天津高新区: the zone word names the place with it. It still tells 高新区 from 经开区
        # a little, but never picks a section (三、xx高新区…的举措) or decides answering.
        self.specific = {
            t: w * _specificity(t) for t, w in self.weights.items() if not any(t != o and t in o for o in self.weights)
        }
        zones = {normalize(z) for z in q.zones} - self.weights.keys()
        self.weights |= {z: cfg.zone_weight * keyword.idf(z) for z in zones}
        self.missing = [t for t in terms if keyword.doc_freq(t) == 0]

    def coverage(self, norm: str, *, specific: bool = False) -> float:
        """Share of the question's term weight found in `norm` (a word jieba glued to its
        neighbour counts by the share of its character pairs that occur)."""
        weights = self.specific if specific else self.weights
        total = sum(weights.values())
        if not total:
            return 0.0
        return sum(w * presence(t, norm) for t, w in weights.items()) / total

    def without(self, drop: Iterable[str]) -> TermWeights:
        """The same weights without some terms (a place, once the place check holds)."""
        gone = [normalize(d) for d in drop if d]
        out = copy.copy(self)
        keep = {t: w for t, w in self.weights.items() if not any(t in g or g in t for g in gone)}
        out.weights = keep or self.weights
        out.specific = {t: w for t, w in self.specific.items() if t in out.weights}
        return out

    def localized(self, norms: Sequence[str]) -> TermWeights:
        """The same terms, down-weighted where most candidates share them (inside one report
        every sentence may say 天津高新区: the term picks the report, not the sentence)."""
        out = copy.copy(self)
        n = len(norms) or 1
        merged = {**self.frame, **self.weights}
        out.weights = {
            t: w * (1.0 - self.config.shared_term_discount * sum(t in x for x in norms) / n) for t, w in merged.items()
        }
        return out


def _without_zones(q: Question) -> str:
    """The question with each zone word that follows a place taken out (天津高新区 → 天津)."""
    norm = q.norm
    for p in q.places:
        name = normalize(p.written)
        for z in q.zones:
            norm = norm.replace(name + normalize(z), name)
    return norm


def _unglue(term: str, keyword: KeywordIndex) -> str:
    """王沈是 → 王沈: jieba glues a copula or particle to a name it does not know."""
    if len(term) >= 2 and term[-1] in "是的了在有" and keyword.doc_freq(term) == 0 and not is_dictionary_word(term):
        return term[:-1]
    return term


def _specificity(term: str) -> float:
    """0.15 for words common in any Chinese text (rarity ≤ 7), rising to 1 for rare words and names."""
    return min(1.0, max(0.15, (general_rarity(term) - 6.0) / 6.0))


def presence(term: str, norm: str) -> float:
    if term in norm:
        return 1.0
    if len(term) < 3:
        return 0.0
    pairs = [term[i : i + 2] for i in range(len(term) - 1)]
    return sum(p in norm for p in pairs) / len(pairs)


def top_coverage(contexts: Sequence[str], weights: TermWeights) -> tuple[float, float]:
    """Shares of the specific term weight the passages hold together, and the best one alone."""
    union = weights.coverage("\n".join(contexts), specific=True)
    single = max((weights.coverage(c, specific=True) for c in contexts), default=0.0)
    return union, single
