"""The chat's HTML: answer blocks, inline citations, copy text, kept conversations, search notices."""

from __future__ import annotations

import json
import re

from assistant.answer_types import Answer, AnswerBlock, Citation
from index.statedb import DocRow
from index.types import ReportMeta
from ui.answer_view import answer_html, blocks_of, paragraphs, section_path, source_label, source_labels
from ui.chat_view import answer_plain, conversation_html, conversations_html
from ui.conversations import Entry, entry_from_json, entry_to_json, load, save
from ui.search_view import absent_notice, region_choices

XSS = "<script>alert(1)</script><img src=x onerror=alert(1)>"


def _cite(n: int, title: str = "园区管理体制改革典型案例:湖南省衡阳市", section: str = "", **kw: object) -> Citation:
    fields: dict[str, object] = dict(
        n=n, doc_id=f"d{n}", title=title, source=f"d{n}.txt", section=section or f"{title} › 一、做法 › 第{n}节",
        quote=f"引文{n}。", start=0, end=4, regions=("湖南省", "衡阳市"),
    )  # fmt: skip
    fields.update(kw)
    return Citation(**fields)  # type: ignore[arg-type]


def _answer(text: str = "", blocks: tuple[AnswerBlock, ...] = (), n: int = 3, **kw: object) -> Answer:
    fields: dict[str, object] = dict(
        question="问题", resolved_question="问题", text=text, grounded=True, mode="extractive",
        citations=tuple(_cite(i) for i in range(1, n + 1)), blocks=blocks,
    )  # fmt: skip
    fields.update(kw)
    return Answer(**fields)  # type: ignore[arg-type]


# -- layout ----------------------------------------------------------------------------------
def test_text_without_blocks_becomes_one_paragraph_per_cited_run() -> None:
    text = "甲做了一。[1]甲做了二。[1]乙做了三。[2]丙和丁。[2][3]"
    assert paragraphs(text) == ["甲做了一。[1]甲做了二。[1]", "乙做了三。[2]", "丙和丁。[2][3]"]
    html = answer_html(_answer(text))
    assert html.count("<p>") == 3


def test_each_block_kind_has_its_own_markup() -> None:
    blocks = (
        AnswerBlock("paragraph", ("总体上推行改革。[1]",)),
        AnswerBlock("bullets", ("第一点。[1]", "第二点。[2]"), "主要做法"),
        AnswerBlock("place", ("衡阳做法。[2]",), "衡阳"),
        AnswerBlock("place", ("天津做法。[3]",), "天津"),
        AnswerBlock("notice", ("报告中没有绵阳的内容。",)),
        AnswerBlock("related", ("吉首的做法。[3]",)),
    )
    html = answer_html(_answer(blocks=blocks), turn=2)
    assert "<ul class='rq-bullets'><li>第一点。" in html and html.count("<li>") == 2
    assert html.count("class='rq-place-row'") == 2 and html.count("rq-comparison") == 1  # one table
    assert "rq-answer-notice" in html and "报告中没有绵阳的内容。" in html
    assert "<aside class='rq-related'><strong>相关内容（不是这个问题的答案）</strong>" in html
    assert "data-cite='2' data-turn='2'" in html


def test_markers_that_name_no_citation_stay_text() -> None:
    html = answer_html(_answer("一句话。[1][7]", n=1))
    assert html.count("class='rq-cite' data-cite='1'") == 2 and "[7]" in html and "data-cite='7'" not in html


def test_blocks_fall_back_to_comparison_rows() -> None:
    from assistant.answer_types import ComparisonRow

    a = _answer("各地做法：", comparison=(ComparisonRow("衡阳", "做法。[1]", (1,)),))
    assert [b.kind for b in blocks_of(a)] == ["place"]


def test_source_labels_tell_sources_of_one_report_apart() -> None:
    labels = {source_label(_cite(i)) for i in (1, 2, 3)}
    assert len(labels) == 3
    assert all("衡阳市" in label and "一、做法" not in label for label in labels)


def test_sources_of_one_section_are_told_apart_by_their_quote() -> None:
    same = (_cite(1, section="一、做法", quote="第一句引文。"), _cite(2, section="一、做法", quote="第二句引文。"))
    labels = source_labels(same)
    assert len(set(labels)) == 2 and "“第一句引文。”" in labels[0]
    assert source_labels(same[:1]) == [source_label(same[0])]


def test_section_path_drops_the_report_title() -> None:
    assert section_path("报告甲 › 一、做法 › (一)放权", "报告甲") == "一、做法 › (一)放权"
    assert section_path("一、做法", "报告甲") == "一、做法"


def test_popover_shows_quote_report_place_and_section_escaped() -> None:
    evil = _cite(1, title=XSS, quote=XSS, section=XSS)
    html = answer_html(_answer("一句话。[1]", n=0, citations=(evil,)), turn=0)
    pop = re.search(r"<span class='rq-pop' role='tooltip'>.*?</span></span>", html)
    assert pop and "&lt;script&gt;" in pop.group() and "衡阳市" in pop.group()
    assert "<script" not in html and "<img" not in html


# -- copy ------------------------------------------------------------------------------------
def test_copy_text_is_clean_with_markers_and_sources() -> None:
    blocks = (AnswerBlock("paragraph", ("推行**改革**。[1]",)), AnswerBlock("bullets", ("第一点。[2]",)))
    text = answer_plain(_answer(blocks=blocks, n=2))
    assert "推行**改革**。[1]" in text  # the report's own characters, no escaping added
    assert "• 第一点。[2]" in text and "\\[" not in text and "<" not in text
    assert "参考来源：\n[1] 《园区管理体制改革典型案例:湖南省衡阳市》" in text and "“引文1。”" in text


# -- conversations -----------------------------------------------------------------------------
def test_entries_round_trip_through_the_browser_store() -> None:
    blocks = (AnswerBlock("bullets", ("一。[1]",), "做法"),)
    entry = Entry("e1", "问题", _answer(blocks=blocks), suggestions=("那天津呢？",), vote="up", comment="好")
    store = save({}, "c1", [entry])
    back = load(json.loads(json.dumps(store)), "c1")
    assert back == [entry]


def test_malformed_entries_are_dropped() -> None:
    good = entry_to_json(Entry("e1", "问题", _answer("一。[1]")))
    assert entry_from_json({**good, "answer": {**good["answer"], "citations": [{"n": "1"}]}}) is None
    assert entry_from_json({**good, "answer": {**good["answer"], "blocks": [{"kind": "script"}]}}) is None
    assert entry_from_json("junk") is None
    assert entry_from_json(good) is not None


def test_conversation_list_and_chat_escape_stored_text() -> None:
    entry = Entry("e1", XSS, _answer("一。[1]", question=XSS))
    stored = save({}, "c1", [entry])["items"]
    for html in (conversations_html(stored, "c1"), conversation_html([entry])):
        assert "<script" not in html and "<img" not in html
    assert "rq-current" in conversations_html(stored, "c1")


def test_starter_questions_also_follow_an_answer() -> None:
    html = conversation_html([Entry("e1", "问题", _answer("一。[1]"))])
    assert html.count("class='rq-suggest'") >= 2


# -- search ----------------------------------------------------------------------------------
def _row(regions: tuple[str, ...]) -> DocRow:
    return DocRow("d", "d.txt", "0" * 64, "h", ReportMeta("报告", regions), 1, ())


def test_region_filter_is_grouped_by_province() -> None:
    rows = [_row(("湖南省", "衡阳市", "四川省", "绵阳市")), _row(("湖南省", "吉首市")), _row(("天津市", "滨海新区"))]
    assert region_choices(rows) == [
        ("四川省", "四川省"),
        ("\u3000› 绵阳市", "绵阳市"),
        ("天津市", "天津市"),
        ("\u3000› 滨海新区", "滨海新区"),
        ("湖南省", "湖南省"),
        ("\u3000› 吉首市", "吉首市"),
        ("\u3000› 衡阳市", "衡阳市"),
    ]


def test_absent_notice_names_the_missing_words_escaped() -> None:
    assert absent_notice([]) == ""
    html = absent_notice(["深圳前海", XSS])
    assert "报告中没有找到“深圳前海”" in html and "以下结果只部分相关" in html and "<script" not in html
