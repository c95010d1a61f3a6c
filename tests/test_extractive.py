"""The extractive answerer on hand-made passages: which sentence answers, and when the
passages do not answer at all. (Seed-corpus behaviour is in tests/test_answers.py.)"""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from assistant.extractive import ExtractiveAnswerer
from assistant.grounding import TermWeights, is_question_word, question_of
from index.embedders import HashingEmbedder
from index.keyword import KeywordIndex, general_rarity, tokenize
from index.textnorm import normalize
from index.types import Chunk, ChunkRecord, Hit

FILLER = ["本条消息与问题无关。", "天气预报说明天有雨。", "会议讨论了年度预算。", "图书馆周末照常开放。"]


def _hit(n: int, title: str, text: str) -> Hit:
    norm = normalize(text)
    assert len(norm) == len(text)  # Simplified text: offsets line up
    chunk = Chunk(f"c{n}", f"d{n}", 0, text, norm, (), 0, len(text), len(text))
    return Hit(ChunkRecord(chunk, title, f"d{n}.txt"), 1.0 / (n + 1))


def _answerer(hits: Sequence[Hit]) -> ExtractiveAnswerer:
    """A keyword index over the passages (titles included, as ingest indexes them) and filler."""
    texts = [f"{h.record.title} {h.chunk.norm}" for h in hits] + FILLER
    keyword = KeywordIndex([f"r{i}" for i in range(len(texts))], [tokenize(normalize(t)) for t in texts])
    return ExtractiveAnswerer(HashingEmbedder(64), keyword)


def test_general_rarity_ranks_everyday_words_below_names() -> None:
    assert general_rarity("不是") < general_rarity("管理") < general_rarity("管委会") < general_rarity("邹游")


@pytest.mark.parametrize(
    ("word", "asks"), [("第几代", True), ("几盘", True), ("几届", True), ("几乎", False), ("几何", False)]
)
def test_how_many_words_are_question_words(word: str, asks: bool) -> None:
    assert is_question_word(word) is asks


def test_a_copula_glued_to_an_unknown_name_is_dropped() -> None:
    question = "王沈是哪里人?"
    assert "王沈是" in tokenize(normalize(question))  # what jieba does with a name it does not know
    hits = [_hit(0, "王沈", "王沈，字处道，太原晋阳人，三国时期曹魏大臣。")]
    weights = TermWeights(question, _answerer(hits).keyword)
    assert "王沈" in weights.weights and "王沈是" not in weights.weights
    assert _answerer(hits).answer(question_of(question), hits).grounded
    assert "目的" in TermWeights("改革的目的是什么?", _answerer(hits).keyword).weights  # a word, not a glue


def test_terms_scattered_over_unrelated_passages_do_not_answer() -> None:
    question = "网球冠军的薪酬由哪个管委会决定?"
    scattered = [
        _hit(0, "网球场", "这座网球场位于市中心，可容纳五千名观众。"),
        _hit(1, "围棋", "他在十八岁时获得全国围棋冠军。"),
        _hit(2, "工资制度", "企业职工的薪酬按月发放。"),
        _hit(3, "开发区", "开发区管委会负责园区的日常管理。"),
    ]
    ans = _answerer(scattered).answer(question_of(question), scattered)
    assert not ans.grounded and ans.citations == ()
    together = [_hit(0, "网球", "网球冠军的薪酬由体育管委会决定，每年调整一次。"), *scattered[1:]]
    ans = _answerer(together).answer(question_of(question), together)
    assert ans.grounded and "体育管委会" in ans.citations[0].quote
    assert ans.debug["passage_coverage"] >= 0.99


def test_a_place_the_passages_spell_out_is_not_missing() -> None:
    """jieba tags 蚌山 as a place in the question but indexes the passage as 螺蚌山."""
    question = "螺蚌山自然生态步道位于哪一行政区?"
    hits = [_hit(0, "螺蚌山", "螺蚌山自然生态步道位于南竿乡，是马祖的一条步道。")]
    ans = _answerer(hits).answer(question_of(question), hits)
    assert ans.grounded and "南竿乡" in ans.citations[0].quote


def test_the_answer_need_not_repeat_the_name_in_the_title() -> None:
    """In an article or report about X, the sentence that answers often says 他 or 该区."""
    question = "邹游出生在哪里?"
    text = "邹游在2004年进入大连实德一线队，司职后卫。他出生于辽宁省大连市。"
    hits = [_hit(0, "邹游", text)]
    ans = _answerer(hits).answer(question_of(question), hits)
    assert ans.grounded and ans.citations[0].quote == "他出生于辽宁省大连市。"
