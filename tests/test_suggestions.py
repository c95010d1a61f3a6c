"""Suggested next questions (issue 19): deeper questions on the same place before place swaps,
one name per place, never an anonymization placeholder, and each offered only when asking it
gets an answer whose citations speak to it. Over the seed reports (fake embedder)."""

from __future__ import annotations

import re

import pytest

from assistant.answer_types import Answer, Turn
from assistant.facade import Assistant
from assistant.suggestions import Suggester, _about_part, _clause
from index.settings import Settings

PLACEHOLDER = re.compile(r"(xx|XX|\*\*|××)")


@pytest.fixture(scope="module")
def assistant(seed_index: Settings) -> Assistant:
    return Assistant(seed_index)


@pytest.mark.parametrize(
    "question",
    ["衡阳园区在选人用人上推行了哪四项制度?", "湘西高新区的社会事务下沉到了哪里?", "绵阳对新签约落地的项目发放什么?"],
)
def test_suggestions_are_answered_on_topic_and_clean(assistant: Assistant, question: str) -> None:
    answer = assistant.ask(question, use_llm=False)
    suggested = assistant.suggest_questions(answer)
    for q in suggested:
        assert not PLACEHOLDER.search(q) and ":" not in q and "：" not in q, q
        reply = assistant.ask(q, [Turn(question, answer)], use_llm=False)
        assert reply.grounded and reply.citations and assistant.on_topic(reply), q
    names = [m.group(1) for q in suggested if (m := re.match(r"^那(.+)呢？$", q))]
    assert not {"湘西", "吉首"} <= set(names)  # one report, one place


def test_a_report_about_one_place_and_its_capital_offers_one_name(assistant: Assistant) -> None:
    places = Suggester(assistant)._other_places(assistant.ask("天津高新区干部工资分为哪两部分?", use_llm=False))
    assert "湘西" in places and "吉首" not in places
    assert {"衡阳", "绵阳"} <= set(places)  # one report, a part for each place
    assert "天津" not in places and "滨海" not in places  # the place asked about


def test_candidates_go_deeper_on_the_same_place_before_swapping_places(assistant: Assistant) -> None:
    answer = assistant.ask("绵阳在招商引资上做了哪三件事?", use_llm=False)
    first = [q for q, _ in Suggester(assistant).candidates(answer)][:3]
    assert sum(q.startswith("绵阳") for q in first) >= 2 and not first[0].startswith("那")


def test_a_candidate_the_reports_do_not_answer_on_topic_is_not_offered(assistant: Assistant) -> None:
    class OffTopic(Assistant):
        def on_topic(self, answer: Answer) -> bool:
            return False

    off = OffTopic(assistant.settings)
    assert off.suggest_questions(off.ask("绵阳在招商引资上做了哪三件事?", use_llm=False)) == []


def test_headings_become_questions_without_numbering_or_place_prefix() -> None:
    assert _clause("二、做好清闲促建“减法”,实现园区提质") == "做好清闲促建“减法”"
    assert _clause("湖南省衡阳市:持续深化市直园区管理体制改革") == "持续深化市直园区管理体制改革"
    assert _about_part("绵阳", "做好清闲促建“减法”") == "绵阳是怎么做好清闲促建“减法”的？"
