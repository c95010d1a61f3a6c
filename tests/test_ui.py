"""Web UI rendering: escaping, highlighting, answer/source/search views and exports (no server)."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import datetime

import pytest

from assistant.answer_types import Answer, Citation, ComparisonRow
from assistant.render import hit_json
from index.search import SearchFilter
from index.types import Chunk, ChunkRecord, Hit, ReportMeta
from ui.answer_view import (
    DECLINED_TITLE,
    answer_html,
    context_window,
    locate,
    source_view,
    strip_markers,
)
from ui.conversations import Entry
from ui.export import (
    CSV_FIELDS,
    SearchRun,
    conversation_docx,
    conversation_markdown,
    hits_csv,
    hits_json,
    hits_markdown,
    write_export,
)
from ui.html import esc, highlight, md_escape, md_text, merge_spans, term_spans
from ui.library_view import READ_ONLY_TITLE, access_notice, library_table, summary_html
from ui.provenance import Provenance, location_line
from ui.search_view import hits_html

XSS = "<script>alert(1)</script><img src=x onerror=alert(1)>[点我](javascript:alert(1))"
REPORT = "一、背景\n天津高新区承接185项市级权力事项。其他内容在这里。\n二、做法\n推行“管委会+公司”模式。"


def _cite(n: int = 1, quote: str = "天津高新区承接185项市级权力事项。", **kw: object) -> Citation:
    start = REPORT.find(quote)
    fields: dict[str, object] = dict(
        n=n,
        doc_id="002_tianjin",
        title="天津高新区管理体制改革的实践",
        source="002_tianjin.txt",
        section="一、背景",
        quote=quote,
        start=start,
        end=start + len(quote),
        regions=("天津市", "滨海新区"),
    )
    fields.update(kw)
    return Citation(**fields)  # type: ignore[arg-type]


def _answer(**kw: object) -> Answer:
    fields: dict[str, object] = dict(
        question="天津承接了多少项？",
        resolved_question="天津承接了多少项？",
        text="天津高新区承接185项市级权力事项。[1]",
        grounded=True,
        mode="extractive",
        citations=(_cite(),),
    )
    fields.update(kw)
    return Answer(**fields)  # type: ignore[arg-type]


def _hit(text: str, norm: str | None = None, terms: tuple[str, ...] = (), title: str = "报告") -> Hit:
    chunk = Chunk("c1", "d1", 0, text, norm or text, ("一、背景", "(一)小节"), 10, 10 + len(text), 12)
    return Hit(ChunkRecord(chunk, title, "d1.txt", ("天津市",), 2020), 0.5, matched_terms=terms)


def _render_markdown(text: str) -> str:
    """Markdown → HTML with a permissive renderer: raw HTML on, every link scheme allowed."""
    markdown_it = pytest.importorskip("markdown_it")
    md = markdown_it.MarkdownIt("commonmark", {"html": True}).enable("table")
    md.validateLink = lambda url: True
    return str(md.render(text))


def _no_live_markup(rendered: str, *, markdown: bool = False) -> None:
    """None of the payload's markup survives as markup: no tags, no links, no images."""
    html = _render_markdown(rendered) if markdown else rendered
    assert "<script" not in html and "<img" not in html and "href" not in html and "<a " not in html


# -- primitives ------------------------------------------------------------------------------
def test_esc_escapes_tags_and_quotes() -> None:
    assert esc("<a href='x'>&\"</a>") == "&lt;a href=&#x27;x&#x27;&gt;&amp;&quot;&lt;/a&gt;"


@pytest.mark.parametrize(
    "text",
    [
        "<script>alert(1)</script>",
        "<img src=x onerror=alert(1)>",
        "[点我](javascript:alert(1))",
        "![x](javascript:alert(1))",
        "<javascript:alert(1)>",
        "**市开发区**",
        "$x$ `code` | a | b |",
    ],
)
def test_md_escape_leaves_no_markdown_or_html(text: str) -> None:
    out = md_escape(text)
    assert "<" not in out and ">" not in out
    _no_live_markup(out, markdown=True)
    assert not re.search(r"(?<!\\)[\[\]()*`|$!]", out), out  # every special character is escaped


def test_an_unescaped_payload_would_be_caught() -> None:
    with pytest.raises(AssertionError):
        _no_live_markup("[点我](javascript:alert(1))", markdown=True)


def test_md_escape_keeps_plain_chinese_readable() -> None:
    assert md_escape("天津高新区承接185项市级权力事项。") == "天津高新区承接185项市级权力事项。"


def test_md_text_blocks_links_and_tags_but_stays_readable() -> None:
    out = md_text("（二）见[点我](javascript:alert(1))<b>x</b>")
    assert out == "（二）见\\[点我\\](javascript:alert(1))\\<b\\>x\\</b\\>"
    _no_live_markup(out + md_text(XSS), markdown=True)


def test_merge_spans_joins_overlaps_and_drops_empty() -> None:
    assert merge_spans([(5, 8), (0, 2), (1, 3), (8, 9), (4, 4)]) == [(0, 3), (5, 9)]


def test_highlight_marks_spans_and_escapes_inside_and_out() -> None:
    out = highlight("a<b>c<d>e", [(1, 4), (100, 120)])
    assert out == "a<mark>&lt;b&gt;</mark>c&lt;d&gt;e"


def test_term_spans_find_simplified_terms_in_traditional_text() -> None:
    shown = "管委會作為經濟管理主體"
    norm = "管委会作为经济管理主体"
    spans = term_spans(norm, ["管委会", "管理"])
    assert [shown[s:e] for s, e in spans] == ["管委會", "管理"]


# -- answers ---------------------------------------------------------------------------------
def test_answer_html_links_markers_and_lists_sources_once() -> None:
    html = answer_html(_answer(), turn=0)
    assert "<button type='button' class='rq-cite' data-cite='1' data-turn='0'" in html
    assert html.count("class='rq-source-item'") == 1 and "参考来源" in html
    assert "理解为" not in html


def test_answer_html_shows_the_resolved_follow_up() -> None:
    html = answer_html(_answer(question="那衡阳呢？", resolved_question="衡阳承接了多少项？"))
    assert "理解为：<q class='rq-resolved-q'>衡阳承接了多少项？</q>" in html


def test_declined_answer_looks_different() -> None:
    declined = _answer(text="现有报告无法回答这个问题。", grounded=False, citations=(), related=(_cite(),))
    html = answer_html(declined, turn=0)
    assert DECLINED_TITLE in html and "rq-is-declined" in html and "rq-warn" in html
    assert "不是答案" in html and "参考来源" not in html
    assert "data-cite='1'" in html  # related passages open like citations
    grounded = answer_html(_answer())
    assert "rq-is-declined" not in grounded and "参考来源" in grounded


def test_comparison_renders_as_a_two_column_table() -> None:
    rows = (
        ComparisonRow("天津", "承接185项。[1]", (1,)),
        ComparisonRow("衡阳", "推行管委会+公司。[2][3]", (2, 3)),
    )
    cites = (_cite(1), _cite(2, quote="推行“管委会+公司”模式。"), _cite(3, quote="其他内容在这里。"))
    html = answer_html(_answer(comparison=rows, citations=cites, text="各报告的相关做法："), turn=0)
    assert "rq-comparison" in html and "<th scope='row' class='rq-row-place'>衡阳</th>" in html
    assert "<th>出处</th>" not in html  # citations sit in the text, not in a squeezed column
    assert html.count("class='rq-cite' data-cite='3'") == 2  # inline and in the source list


def test_strip_markers_only_removes_the_rows_own_markers() -> None:
    assert strip_markers("甲[1]乙[2]丙[9]", [1, 2]) == "甲乙丙[9]"


def test_answer_views_escape_report_and_model_text() -> None:
    evil = _cite(quote=XSS, title=XSS, section=XSS, regions=(XSS,))
    a = _answer(text=XSS + "[1]", citations=(evil,), note=XSS, resolved_question=XSS)
    for rendered in (answer_html(a, turn=0), source_view(evil, "前文" + XSS + "后文")):
        _no_live_markup(rendered)
    assert "&lt;script&gt;" in answer_html(a)


def test_source_view_marks_the_quote_with_its_context() -> None:
    c = _cite()
    html = source_view(c, REPORT)
    assert f'<mark class="rq-hl">{c.quote}</mark>' in html
    assert "一、背景" in html and "天津市、滨海新区" in html and "002_tianjin.txt" in html


def test_source_view_finds_a_quote_whose_span_is_stale() -> None:
    c = _cite(start=0, end=5)
    assert locate(c, REPORT) == (REPORT.find(c.quote), REPORT.find(c.quote) + len(c.quote))
    missing = _cite(quote="报告里没有的话")
    assert locate(missing, REPORT) is None
    assert "原文中没有找到这段引文" in source_view(missing, REPORT)


def test_context_window_cuts_at_line_boundaries() -> None:
    text = "aaaa\nbbbb\nQUOTE\ncccc\ndddd"
    start = text.find("QUOTE")
    lo, hi = context_window(text, start, start + 5, window=7)
    assert text[lo:hi] == "bbbb\nQUOTE\ncccc"


# -- search and library ----------------------------------------------------------------------
def test_hits_html_highlights_matched_terms_and_shows_the_section() -> None:
    html = hits_html("管委会", [_hit("推行管委會模式", norm="推行管委会模式", terms=("管委会",))])
    assert '<mark class="rq-term">管委會</mark>' in html
    assert "一、背景 › (一)小节" in html and "清洗后文本第 10–17 字" in html


def test_hits_html_escapes_report_text() -> None:
    _no_live_markup(hits_html(XSS, [_hit(XSS, terms=("script",), title=XSS)]))
    assert "没有找到" in hits_html(XSS, [])


def test_library_views() -> None:
    assert READ_ONLY_TITLE in access_notice(False) and "REFORMQA_ADMIN_PASSWORD" in access_notice(False)
    assert READ_ONLY_TITLE not in access_notice(True)
    assert "还没有报告" in library_table([])


def test_summary_html_warns_about_failures() -> None:
    from index.pipeline import IngestSummary

    ok = summary_html(IngestSummary(added=["a"], chunks_total=3))
    assert "rq-ok" in ok and "新增 1" in ok
    bad = summary_html(IngestSummary(failed=[("x.pdf", XSS)]))
    assert "rq-warn" in bad
    _no_live_markup(bad)


# -- exports ---------------------------------------------------------------------------------
def test_conversation_markdown_has_every_answer_with_references_and_spans() -> None:
    first = Entry("e1", "天津承接了多少项？", _answer())
    second = Entry("e2", "那天津呢？", _answer(question="那天津呢？", resolved_question="天津承接了多少项？"))
    md = conversation_markdown([first, second])
    assert "## 1. 天津承接了多少项？" in md and "## 2. 那天津呢？" in md and "（理解为：天津承接了多少项？）" in md
    c = _cite()
    assert f"清洗后文本第 {c.start}–{c.end} 字" in md and "《天津高新区管理体制改革的实践》 一、背景" in md
    assert "事项。[1]" in md and "\\[" not in md  # markers stay readable
    assert "模式" not in md.split("\n")[2] and "extractive" not in md and "— —" not in md


def test_conversation_markdown_of_a_declined_answer_and_a_hostile_report() -> None:
    a = _answer(text=XSS, grounded=False, citations=(), related=(_cite(quote=XSS),))
    md = conversation_markdown([Entry("e", XSS, a)])
    assert DECLINED_TITLE in md and "不是答案" in md
    _no_live_markup(md, markdown=True)


def test_conversation_docx_holds_questions_answers_and_sources(tmp_path: object) -> None:
    import docx

    data = conversation_docx([Entry("e1", "天津承接了多少项？", _answer())])
    path = write_export(data, "x", ".docx")
    text = "\n".join(p.text for p in docx.Document(str(path)).paragraphs)
    assert "1. 天津承接了多少项？" in text and "天津高新区承接185项市级权力事项。[1]" in text
    assert "[1] 《天津高新区管理体制改革的实践》" in text and "extractive" not in text


AT = datetime(2026, 3, 4, 5, 6, 7)
METAS = {"d1": ReportMeta("天津报告", ("天津市",), 2020, source_site="example.gov.cn")}


def test_hits_csv_round_trips_with_spans_sections_and_what_was_searched() -> None:
    hits = [_hit("第一段", terms=("第一",)), _hit('=HYPERLINK("http://x")')]
    run = SearchRun("查询", hits, SearchFilter(("d1",), ("天津市",), (2020,)), AT, METAS)
    rows = list(csv.DictReader(io.StringIO(hits_csv(run))))
    assert tuple(rows[0]) == CSV_FIELDS
    assert rows[0]["section"] == "一、背景 › (一)小节" and rows[0]["start"] == "10" and rows[0]["end"] == "13"
    assert rows[0]["regions"] == "天津市" and rows[0]["query"] == "查询"
    assert rows[0]["filters"] == "报告：《天津报告》；地区：天津市；年份：2020"
    assert rows[0]["exported_at"] == "2026-03-04T05:06:07" and rows[0]["source_site"] == "example.gov.cn"
    assert rows[1]["text"].startswith("'=")  # a formula is neutralized for spreadsheets


def test_hits_json_is_the_cli_shape_with_the_filters_and_time() -> None:
    hits = [_hit("第一段")]
    body = json.loads(hits_json(SearchRun("q", hits, SearchFilter(regions=("天津",)), AT)))
    assert body["query"] == "q" and body["results"] == [hit_json(hits[0], 1)]
    assert body["filters"] == {"reports": [], "regions": ["天津"], "years": []}
    assert body["exported_at"] == "2026-03-04T05:06:07"


def test_hits_markdown_names_report_section_span_filters_and_time() -> None:
    md = hits_markdown(SearchRun("q", [_hit("第一段<b>")], at=AT, metas=METAS))
    assert "章节：一、背景 › (一)小节" in md and "清洗后文本第 10–16 字" in md and "\\<b\\>" in md
    assert "筛选：无" in md and "导出时间：2026-03-04 05:06:07" in md and "来源：example.gov.cn" in md


def test_location_line_has_optional_slots_for_what_the_index_learns() -> None:
    base = Provenance("uploads/a.pdf", 10, 90)
    assert location_line(base) == "uploads/a.pdf · 清洗后文本第 10–90 字"
    full = Provenance(
        "uploads/a.pdf", 10, 90, page=3, year=2020, date="2020-02-26", issuer="某市人民政府",
        doc_no="某政发〔2020〕1号", author="张三", site="example.gov.cn",
    )  # fmt: skip
    assert location_line(full) == (
        "2020-02-26 · 某市人民政府 · 某政发〔2020〕1号 · 作者：张三 · 来源：example.gov.cn · 第 3 页 · "
        "uploads/a.pdf · 清洗后文本第 10–90 字"
    )
    assert location_line(Provenance("a.txt", 0, 5, year=2021), file=False) == "2021年"
    card = hits_html("第一", [_hit("第一段", terms=("第一",))], metas=METAS)
    assert "2020年 · 来源：example.gov.cn · d1.txt · 清洗后文本第 10–13 字" in card


def test_the_word_export_lists_each_source_like_the_markdown() -> None:
    import docx

    entries = [Entry("e1", "天津承接了多少项？", _answer())]
    md = conversation_markdown(entries)
    word = docx.Document(io.BytesIO(conversation_docx(entries)))
    paragraphs = [p.text for p in word.paragraphs]
    c = _cite()
    head = f"[1] 《{c.title}》 一、背景（天津市、滨海新区；002_tianjin.txt · 清洗后文本第 {c.start}–{c.end} 字）"
    assert f"- {head}" in md.replace("\\", "") and head in paragraphs  # Markdown escapes the `_`
    assert f"“{c.quote}”" in paragraphs


def test_write_export_uses_a_bom_for_csv_only(tmp_path: object) -> None:
    csv_path = write_export("a,b\r\n", "x", ".csv")
    md_path = write_export("# 标题", "x", ".md")
    assert csv_path.read_bytes().startswith(b"\xef\xbb\xbf") and csv_path.parent != md_path.parent
    assert md_path.read_text(encoding="utf-8") == "# 标题"
