"""One Answer serializer with a format version: what is written reads back the same, and
answers stored in format 1 (the API's `answer` key, the browser's `text` key) still load."""

from __future__ import annotations

import pytest

from assistant.answer_json import FORMAT, answer_from_json, answer_json
from assistant.answer_types import Answer, AnswerBlock, Citation, ComparisonRow


def _answer() -> Answer:
    cite = Citation(
        1,
        "002",
        "天津高新区管理体制改革的实践",
        "002.txt",
        "二、经验",
        "把干部人员工资划分为基本收入和评价收入。",
        866,
        952,
        ("天津市",),
        3,
    )
    other = Citation(2, "003", "典型案例", "003.txt", "", "衡阳实行绩效工资。", 10, 20, ("湖南省衡阳市",))
    return Answer(
        "天津和衡阳的工资?",
        "天津和衡阳的干部工资分为哪两部分?",
        "■ 天津\n把干部人员工资划分为基本收入和评价收入。[1]",
        True,
        "extractive",
        (cite,),
        (ComparisonRow("天津", "把干部人员工资划分为基本收入和评价收入。[1]", (1,)),),
        (AnswerBlock("place", ("把干部人员工资划分为基本收入和评价收入。[1]",), "天津"),),
        "comparison",
        (other,),
        "报告没有写衡阳干部工资分为哪几部分",
    )


def test_an_answer_reads_back_as_it_was_written() -> None:
    written = answer_json(_answer())
    assert written["format"] == FORMAT and written["answer"].startswith("■ 天津")
    assert written["citations"][0]["page"] == 3 and written["citations"][0]["regions"] == ["天津市"]
    assert answer_from_json(written) == _answer()


def test_every_key_is_written_even_when_empty() -> None:
    bare = answer_json(Answer("问", "问", "报告中没有。", False, "extractive"))
    assert {"related", "comparison", "note", "blocks", "citations"} <= set(bare)


def test_format_1_from_the_api_and_from_the_browser_still_loads() -> None:
    current = answer_json(_answer())
    api_v1 = {k: v for k, v in current.items() if k != "format"}
    for c in api_v1["citations"]:
        del c["page"], c["regions"]
    browser_v1 = {**{k: v for k, v in api_v1.items() if k != "answer"}, "text": current["answer"]}
    for old in (api_v1, browser_v1):
        loaded = answer_from_json(old)
        assert loaded.text == _answer().text and loaded.citations[0].quote == _answer().citations[0].quote
        assert loaded.citations[0].page is None


@pytest.mark.parametrize(
    "change", [{"format": 99}, {"answer": 3}, {"citations": [{"n": "1"}]}, {"blocks": [{"kind": "script"}]}]
)
def test_a_malformed_or_unknown_answer_is_refused(change: dict[str, object]) -> None:
    with pytest.raises((ValueError, KeyError, TypeError)):
        answer_from_json({**answer_json(_answer()), **change})
