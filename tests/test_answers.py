"""Extractive answers: every sentence is a verbatim quote with its [n] marker, citations
locate their quotes, the assistant declines what the reports never mention, and
cross-report questions are answered place by place."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from assistant.answer_json import answer_json
from assistant.answer_types import Answer, Citation
from assistant.facade import Assistant
from assistant.grounding import UNPLACED
from assistant.places import short_place
from index.errors import QueryError
from index.search import SearchFilter
from index.segmentation import segment
from index.settings import Settings
from index.textnorm import compact, normalize

_MARK = re.compile(r"\[(\d+)\]")
_LABEL = re.compile(r"^- (?:[^：\[]{1,12}：)?")


@pytest.fixture(scope="module")
def assistant(seed_index: Settings) -> Assistant:
    """The session's seed index (read-only)."""
    return Assistant(seed_index)


# -- checks shared by the tests ---------------------------------------------------------------
def check_citations(a: Assistant, cits: tuple[Citation, ...]) -> None:
    """Numbered 1..n; each quote is the cleaned report text at [start:end] of a real report."""
    docs = {d.doc_id: d for d in a.docs()}
    assert [c.n for c in cits] == list(range(1, len(cits) + 1))
    for c in cits:
        assert c.quote.strip()
        assert a.show(c.doc_id)[1][c.start : c.end] == c.quote
        assert c.title == docs[c.doc_id].meta.title and c.source == docs[c.doc_id].rel
        assert (a.settings.corpus_dir / c.source).is_file()


def check_answer(a: Assistant, ans: Answer) -> None:
    """Every [n] indexes a citation, every citation is used, and in an extractive answer every
    sentence is a quote (in the question's script) followed by its own marker."""
    check_citations(a, ans.citations)
    check_citations(a, ans.related)
    assert {int(n) for n in _MARK.findall(ans.text)} == {c.n for c in ans.citations}
    if ans.mode != "extractive" or not ans.grounded:
        return
    for line in ans.text.splitlines():
        if not _MARK.search(line):
            continue  # a notice or heading line; bullets are "- quote[n]", places "- place：quote[n]…"
        parts = _MARK.split(_LABEL.sub("", line))
        assert parts[-1].strip() == "", f"text after the last marker: {parts[-1]!r}"
        for quote, n in zip(parts[0::2], parts[1::2], strict=False):
            cited = ans.citations[int(n) - 1].quote
            assert compact(quote) == compact(cited), f"[{n}] does not follow its quote"


def _is_heading(a: Assistant, c: Citation) -> bool:
    """Whether the cited span is a heading of its report (as the chunker segments it)."""
    for rec in a.show(c.doc_id)[2]:
        ch = rec.chunk
        if ch.start <= c.start and c.end <= ch.end:
            for seg in segment(ch.text):
                if (ch.start + seg.start, ch.start + seg.end) == (c.start, c.end):
                    return seg.is_heading
    raise AssertionError(f"citation [{c.n}] is not a segment of any chunk of {c.doc_id}")


def _gold_cited(ans: Answer, item: dict[str, Any]) -> bool:
    gold = item["gold"]
    assert isinstance(gold, list) and gold
    return all(
        any(c.doc_id.startswith(rep) and compact(phrase) in compact(c.quote) for c in ans.citations)
        for rep, phrase in gold
    )


# -- grounded answers -------------------------------------------------------------------------
@pytest.mark.parametrize("qid", ["d06", "d07", "d12", "d13", "d17"])
def test_answerable_questions_quote_the_answer(
    assistant: Assistant, seed_qa: dict[str, dict[str, Any]], qid: str
) -> None:
    q = str(seed_qa[qid]["q"])
    ans = assistant.ask(q)
    assert ans.grounded and ans.mode == "extractive" and ans.citations
    assert ans.question == ans.resolved_question == q
    check_answer(assistant, ans)
    assert _gold_cited(ans, seed_qa[qid])


def test_a_traditional_question_is_answered_from_simplified_text(assistant: Assistant) -> None:
    ans = assistant.ask("綿陽編制了多少張招商圖譜?")
    assert ans.grounded
    check_answer(assistant, ans)
    assert any("招商图谱10余张" in c.quote for c in ans.citations)


def test_answers_in_json_keep_the_contract(assistant: Assistant) -> None:
    out = answer_json(assistant.ask("衡阳园区投资公司的出资人职责对外由谁履行?"))
    assert {"question", "resolved_question", "answer", "grounded", "mode", "citations"} <= set(out)
    assert out["grounded"] is True
    for c in out["citations"]:
        assert set(c) == {"n", "doc_id", "title", "source", "section", "quote", "start", "end", "page", "regions"}
        assert c["page"] is None  # the seed reports are text files: no pages
    json.dumps(out, ensure_ascii=False)


def test_a_report_filter_limits_the_citations(assistant: Assistant) -> None:
    ans = assistant.ask("园区管理体制改革有哪些做法?", flt=SearchFilter(reports=("003",)))
    assert ans.citations and all(c.doc_id.startswith("003") for c in ans.citations)
    check_answer(assistant, ans)


def test_streaming_without_an_llm_yields_the_final_answer(assistant: Assistant) -> None:
    q = "绵阳对闲置满一年的土地征收多少闲置费?"
    streamed = list(assistant.ask_stream(q))
    assert streamed == [assistant.ask(q)]


# -- declining --------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("question", "named"),
    [
        ("深圳前海的自贸区政策是什么?", "深圳"),
        ("深圳前海的自貿區政策是什麼?", "深圳"),
        ("火星基地怎么建设?", "火星"),
        ("如何申请出口退税?", "退税"),
    ],
)
def test_questions_the_reports_never_mention_are_declined(assistant: Assistant, question: str, named: str) -> None:
    ans = assistant.ask(question)
    assert ans.grounded is False
    assert ans.citations == () and not _MARK.search(ans.text)
    assert "无法回答" in ans.text and named in ans.text  # says so, and says what is missing
    assert ans.related  # the nearest passages, to read
    check_answer(assistant, ans)
    out = answer_json(ans)
    assert out["grounded"] is False and out["citations"] == [] and out["related"]


# -- comparisons ------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "question", ["哪些地方实行了以岗定薪的薪酬制度?", "各地开发区推行了哪些管委会加公司的市场化运营模式?"]
)
def test_cross_report_questions_are_answered_place_by_place(assistant: Assistant, question: str) -> None:
    ans = assistant.ask(question)
    assert ans.grounded, ans.text
    check_answer(assistant, ans)
    rows = ans.comparison
    assert rows
    assert len({r.place for r in rows}) == len(rows)
    cited = [n for r in rows for n in r.citations]
    assert sorted(cited) == [c.n for c in ans.citations]  # each citation in exactly one row
    docs = {d.doc_id: d for d in assistant.docs()}
    for r in rows:
        assert [int(n) for n in _MARK.findall(r.text)] == list(r.citations)
        assert f"- {r.place}：{r.text}" in ans.text
        for n in r.citations:
            meta = docs[ans.citations[n - 1].doc_id].meta
            # A row is labelled by a place the report covers or names (004's byline: 昆明),
            # never by a report title.
            text = normalize(assistant.show(ans.citations[n - 1].doc_id)[1])
            assert r.place not in {d.meta.title for d in docs.values()}
            placed = any(short_place(reg) in r.place for reg in meta.regions)
            assert placed or r.place == UNPLACED or r.place in text, r.place


def test_a_comparison_covers_several_places(assistant: Assistant) -> None:
    ans = assistant.ask("哪些地方实行了以岗定薪的薪酬制度?")
    assert len(ans.comparison) >= 2
    assert len({c.doc_id for c in ans.citations}) >= 2


# -- errors -----------------------------------------------------------------------------------
@pytest.mark.parametrize(("question", "why"), [("", "empty"), ("   ", "empty"), ("？？？!!", "no words")])
def test_questions_without_words_are_errors(assistant: Assistant, question: str, why: str) -> None:
    with pytest.raises(QueryError, match=why):
        assistant.ask(question)


def test_asking_for_the_llm_without_an_endpoint_names_the_settings(assistant: Assistant) -> None:
    with pytest.raises(QueryError, match="REFORMQA_LLM__BASE_URL"):
        assistant.ask("天津高新区干部工资分为哪两部分?", use_llm=True)


# -- known weaknesses (assistant/extractive.py) -----------------------------------------------
def test_headings_are_not_cited_as_answers(assistant: Assistant) -> None:
    ans = assistant.ask("技术变革要“快”是指什么?")
    assert ans.grounded and ans.citations
    assert not [c.quote for c in ans.citations if _is_heading(assistant, c)]


def test_places_are_per_section_in_the_seed_reports(assistant: Assistant) -> None:
    """003's two halves are labelled 衡阳 and 绵阳, 000's national overview with no place, and 004
    (no region metadata) with its byline's 昆明 (issue 19)."""
    docs = {d.doc_id[:3]: d.doc_id for d in assistant.docs()}
    rows = {r.chunk.section for r in assistant.show(docs["003"])[2] if r.chunk.section}
    heng = next(s for s in rows if s[0].startswith("湖南省衡阳市"))
    mian = next(s for s in rows if s[0].startswith("四川省绵阳市"))
    assert assistant.section_places(docs["003"], heng) == ("湖南省", "衡阳市")
    assert assistant.section_places(docs["003"], mian) == ("四川省", "绵阳市")
    overview = next(r.chunk.section for r in assistant.show(docs["000"])[2] if "全国" in "".join(r.chunk.section))
    assert assistant.section_places(docs["000"], overview) == ()
    assert assistant.section_places(docs["004"], ()) == ("昆明",)
    ans = assistant.ask("绵阳对新签约落地的项目发放什么?")
    assert ans.grounded and all(c.regions == ("四川省", "绵阳市") for c in ans.citations)
