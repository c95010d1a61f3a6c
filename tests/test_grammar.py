"""The question and report-text grammar (assistant.grammar), on phrasings of our own: the
patterns every stage reads, and what `Question` decides once from them."""

from __future__ import annotations

import pytest
from seed_places import seed_gazetteer

from assistant.grammar import (
    ENUM,
    HAS_NUM,
    INLINE_LIST,
    LEAD_IN,
    asks_across,
    cn_number,
    doc_field,
    is_question_word,
    years_in,
)
from assistant.question import analyze
from index.textnorm import normalize


@pytest.mark.parametrize(
    ("numeral", "value"), [("5", 5), ("五", 5), ("两", 2), ("十", 10), ("十二", 12), ("三十", 30), ("亿", None)]
)
def test_small_numerals_have_their_value(numeral: str, value: int | None) -> None:
    assert cn_number(numeral) == value


@pytest.mark.parametrize(
    ("query", "across"),
    [
        ("哪些地方推行了园区合伙人制度?", True),
        ("各地对闲置厂房怎么处理", True),
        ("把长沙和岳阳的招商办法比较一下", True),
        ("岳阳园区的招商办法是什么?", False),
    ],
)
def test_breadth_is_asked_by_its_words(query: str, across: bool) -> None:
    assert asks_across(query) is across


@pytest.mark.parametrize(("token", "form"), [("哪几类", True), ("第几批", True), ("几项", True), ("补贴", False)])
def test_question_words_are_form(token: str, form: bool) -> None:
    assert is_question_word(token) is form


@pytest.mark.parametrize(
    ("sentence", "item"),
    [
        ("一是减少审批环节。", True),
        ("（2）建立台账。", True),
        ("③实行清单管理。", True),
        ("首先要摸清底数。", True),
        ("审批减少一半。", False),
    ],
)
def test_list_numbering_of_running_text(sentence: str, item: bool) -> None:
    assert bool(ENUM.match(sentence)) is item


@pytest.mark.parametrize(
    ("sentence", "quantity"),
    [("补贴四十万元。", True), ("用地减少三成。", True), ("每年评估一次。", True), ("提升了服务水平。", False)],
)
def test_a_quantity_in_digits_or_words(sentence: str, quantity: bool) -> None:
    assert bool(HAS_NUM.search(sentence)) is quantity


def test_inline_lists_and_lead_ins() -> None:
    assert INLINE_LIST.search("主要包括摸底、清理、回收三步")
    assert LEAD_IN.search("推进工作共分成三步。") and LEAD_IN.search("流程如下：")
    assert not LEAD_IN.search("我们没有分为三个阶段的计划,而是一次完成")


def test_years_are_read_in_digits_only_where_they_stand_alone() -> None:
    assert years_in("2019年起实施,12019号文件") == {2019}


def test_the_question_decides_comparison_breadth_and_counts_once() -> None:
    both = analyze("衡阳和绵阳的招商专班分别有多少个?", seed_gazetteer())
    assert both.compares and both.wide and both.wants_quantity
    one = analyze("绵阳的招商专班是怎么组建的?", seed_gazetteer())
    assert not one.compares and not one.wide and not one.wants_quantity
    assert analyze("园区合伙人制度是什么时候提出的?", seed_gazetteer()).asks_time


@pytest.mark.parametrize(
    ("text", "field"),
    [
        ("这个通知的文号是多少?", "doc_number"),
        ("这份通知的落款日期是哪天?", "date"),
        ("本办法什么时候印发的?", "date"),
        ("该文件由哪个部门印发?", "issuer"),
        ("这个通知是哪两个部门联合印发的?", "issuer"),
        # Another document's 文号 cited in the text, an event's date, the content: no field.
        ("《国务院关于印发社会信用体系建设规划纲要的通知》的文号是多少?", ""),
        ("天津什么时候发布了条例?", ""),
        ("这份通知提出了哪些总体要求?", ""),
    ],
)
def test_questions_about_the_document_itself(text: str, field: str) -> None:
    assert doc_field(normalize(text)) == field
