"""The shared grounding and the answer shapes, on hand-made reports: a sentence about one place
never answers for another, an asked year must be the sentence's year, answers follow the
question's script, and lists, summaries, comparisons, definitions and provisions are shaped
like the question. (Seed-corpus behaviour is in tests/test_answers.py.)"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass

import pytest

from assistant.answer_types import Answer
from assistant.extractive import ExtractiveAnswerer
from assistant.grammar import doc_field
from assistant.grounding import (
    HAS_NUM,
    AnswerConfig,
    RegionPlaces,
    Scorer,
    TermWeights,
    about_place,
    fits_years,
    is_echo,
    sentences_of,
)
from assistant.question import Place, Question, QuestionKind
from index.embedders import HashingEmbedder
from index.keyword import KeywordIndex, tokenize
from index.statedb import DocRow
from index.textnorm import char_bigrams, normalize
from index.types import Chunk, ChunkRecord, Hit, ReportMeta, Vectors

FILLER = ["本条消息与问题无关。", "天气预报说明天有雨。", "会议讨论了年度预算。", "图书馆周末照常开放。"]


@dataclass(frozen=True)
class Doc:
    doc_id: str
    title: str
    regions: tuple[str, ...]
    parts: tuple[tuple[tuple[str, ...], str], ...]
    """(section path, text) of each chunk, in reading order."""


class Library:
    """Hand-made reports as chunks, a keyword index over them, and the answerer."""

    def __init__(self, *docs: Doc) -> None:
        self.records: dict[str, list[ChunkRecord]] = {}
        self.texts: dict[str, str] = {}
        for d in docs:
            text, recs = "", []
            for seq, (section, part) in enumerate(d.parts):
                start = len(text)
                text += part + "\n"
                chunk = Chunk(
                    f"{d.doc_id}-{seq}", d.doc_id, seq, part, normalize(part), section, start, start + len(part), 50
                )
                recs.append(ChunkRecord(chunk, d.title, f"{d.doc_id}.txt", d.regions))
            self.records[d.doc_id], self.texts[d.doc_id] = recs, text
        rows = [r for rs in self.records.values() for r in rs]
        texts = [f"{r.title} {r.chunk.norm}" for r in rows] + FILLER
        keyword = KeywordIndex([f"r{i}" for i in range(len(texts))], [tokenize(normalize(t)) for t in texts])
        meta = [DocRow(d.doc_id, f"{d.doc_id}.txt", "", "", ReportMeta(d.title, d.regions), 1, ()) for d in docs]
        self.places = RegionPlaces(meta)
        self.answerer = ExtractiveAnswerer(
            HashingEmbedder(64), keyword, places=self.places, chunks_of=lambda doc_id: self.records[doc_id]
        )

    def hits(self, *doc_ids: str) -> list[Hit]:
        chosen = [r for d in (doc_ids or self.records) for r in self.records[d]]
        return [Hit(r, 1.0 / (i + 1)) for i, r in enumerate(chosen)]

    def ask(self, q: Question, *doc_ids: str) -> Answer:
        a = self.answerer.answer(q, self.hits(*doc_ids))
        for c in (*a.citations, *a.related):
            assert self.texts[c.doc_id][c.start : c.end] == c.quote  # every quote is the report at its span
        return a


def question(
    text: str,
    kind: QuestionKind = "fact",
    places: Sequence[tuple[str, tuple[str, ...]]] = (),
    **fields: object,
) -> Question:
    return Question(
        text=text,
        norm=normalize(text),
        kind=kind,
        places=tuple(Place(p, p, docs) for p, docs in places),
        **fields,  # type: ignore[arg-type]
    )


TIANJIN = Doc(
    "tj",
    "天津高新区管理体制改革的实践",
    ("天津市",),
    ((("一、人事薪酬",), "天津高新区干部工资分为基本收入和评价收入两部分。评价收入依年度考核结果发放。"),),
)
HENGYANG = Doc(
    "hy",
    "衡阳园区改革案例",
    ("衡阳市",),
    ((("一、审批改革",), "衡阳高新区推行审批改革，审批环节精简了一半。企业开办时间压缩至一个工作日。"),),
)


# -- the place check --------------------------------------------------------------------------
def test_another_places_facts_never_answer_and_the_notice_names_the_asked_place() -> None:
    lib = Library(TIANJIN, HENGYANG)
    q = question("衡阳高新区干部工资分为哪两部分?", "list", [("衡阳", ("hy",))], attribute="干部工资的构成")
    a = lib.ask(q)
    assert not a.grounded and a.citations == ()
    notice = next(b for b in a.blocks if b.kind == "notice")
    assert "衡阳" in notice.items[0] and "干部工资" in notice.items[0]
    assert all(c.doc_id != "hy" or "工资" not in c.quote for c in a.related)
    assert any(b.kind == "related" for b in a.blocks) == bool(a.related)
    # The same question for the place that has it is answered from that place only.
    a = lib.ask(question("天津高新区干部工资分为哪两部分?", "fact", [("天津", ("tj",))]))
    assert a.grounded and {c.doc_id for c in a.citations} == {"tj"} and "基本收入" in a.citations[0].quote


def test_in_a_report_on_several_places_a_sentence_is_about_its_section_or_the_place_it_names() -> None:
    both = Doc(
        "two",
        "园区改革典型案例",
        ("湖南省", "衡阳市", "四川省", "绵阳市"),
        (
            (("湖南省衡阳市:深化园区改革",), "衡阳设立了5个招商小组。绵阳设立了13个招商专班。全市组建了招商队伍。"),
            (("四川省绵阳市:园区综合改革",), "园区新签约项目118个。"),
        ),
    )
    lib = Library(both)
    sents = {s.text: s for s in sentences_of(lib.hits())}

    def about(text: str, place: str) -> bool:
        return about_place(sents[text], place, lib.places)

    assert about("衡阳设立了5个招商小组。", "衡阳") and not about("衡阳设立了5个招商小组。", "绵阳")
    # Named explicitly, another place is not the section's place, whatever the section says.
    assert about("绵阳设立了13个招商专班。", "绵阳") and not about("绵阳设立了13个招商专班。", "衡阳")
    assert about("全市组建了招商队伍。", "衡阳") and not about("全市组建了招商队伍。", "绵阳")
    assert about("园区新签约项目118个。", "绵阳") and not about("园区新签约项目118个。", "衡阳")
    a = lib.ask(question("绵阳设立了多少个招商专班?", "number", [("绵阳", ("two",))]))
    assert a.grounded and [c.quote for c in a.citations] == ["绵阳设立了13个招商专班。"]


def test_an_asked_year_must_be_the_sentences_year() -> None:
    gdp = Doc(
        "gdp",
        "天津高新区发展报告",
        ("天津市",),
        ((("一、经济",), "2017年，天津高新区地区生产总值达到900亿元。园区企业数量稳步增长。"),),
    )
    lib = Library(gdp)
    q = question("天津高新区2022年的地区生产总值是多少?", "number", [("天津", ("gdp",))], years=(2022,))
    a = lib.ask(q)
    assert not a.grounded and a.citations == () and "2022" in a.text
    a = lib.ask(question("天津高新区2017年的地区生产总值是多少?", "number", [("天津", ("gdp",))], years=(2017,)))
    assert a.grounded and "900亿元" in a.citations[0].quote
    s = next(s for s in sentences_of(lib.hits()) if s.text.startswith("园区企业"))
    assert fits_years(s, (2017,)) and not fits_years(s, (2022,))  # the passage's year carries on


def test_conversational_words_do_not_decide_declining() -> None:
    lib = Library(TIANJIN, HENGYANG)
    q = question(
        "请问一下天津高新区干部工资一共分为哪两部分呀?",
        "fact",
        [("天津", ("tj",))],
        filler=("请问", "一下", "一共", "呀"),
    )
    a = lib.ask(q)
    assert a.grounded and "基本收入" in a.citations[0].quote
    # Without the analysis saying they are conversational, the unknown words do count.
    assert not lib.ask(question("天津高新区火星基地工资分为哪两部分?", "fact", [("天津", ("tj",))])).grounded


# -- script -----------------------------------------------------------------------------------
def test_the_answer_follows_the_questions_script_and_the_citation_keeps_the_original() -> None:
    hant = Doc(
        "km",
        "深化開發區管理體制改革",
        (),
        ((("堅持效能化運行",), "所謂“雙軌運行”，是指幹部編內任職與崗位聘職相分離。該做法激發了幹部活力。"),),
    )
    lib = Library(hant)
    a = lib.ask(question("“双轨运行”是指什么?", "definition", quoted=("双轨运行",), terms=("双轨运行",)))
    assert a.grounded
    assert "干部编内任职与岗位聘职相分离" in a.text and "幹部" not in a.text
    assert "幹部編內任職" in a.citations[0].quote  # the quote as the report has it
    a = lib.ask(question("“雙軌運行”是指什麼?", "definition", quoted=("双轨运行",), terms=("双轨运行",)))
    assert "幹部編內任職" in a.text


# -- shapes -----------------------------------------------------------------------------------
MEASURES = Doc(
    "my",
    "绵阳园区改革",
    ("绵阳市",),
    (
        (("一、招商引资",), "绵阳做好招商引资工作。一是围绕主导产业招商。二是瞄准龙头企业招引。三是加快项目签约落地。"),
        (("二、土地清理",), "绵阳清理闲置土地。对闲置满一年的土地征收闲置费。"),
    ),
)


def test_a_list_question_gets_the_items_of_the_section_one_bullet_each() -> None:
    lib = Library(MEASURES)
    a = lib.ask(question("绵阳在招商引资上做了哪几件事?", "list", [("绵阳", ("my",))]))
    (bullets,) = [b for b in a.blocks if b.kind == "bullets"]
    assert [c.quote for c in a.citations] == [
        "一是围绕主导产业招商。",
        "二是瞄准龙头企业招引。",
        "三是加快项目签约落地。",
    ]
    assert len(bullets.items) == 3 and a.kind == "list"
    assert a.text.splitlines() == [f"- {c.quote}[{c.n}]" for c in a.citations]
    a = lib.ask(question("绵阳在招商引资上做了哪两件事?", "list", [("绵阳", ("my",))], count=2))
    assert len(a.citations) == 2  # as many as asked


NOTICE = Doc(
    "nt",
    "关于加强纳税信用建设的通知",
    (),
    (
        (
            ("关于加强纳税信用建设的通知", "一、总体要求"),
            "一、总体要求\n开展纳税信用建设，要坚持依法推进原则。要坚持权益保护原则，维护纳税人合法权益。",
        ),
        (
            ("关于加强纳税信用建设的通知", "二、建立纳税信用管理机制"),
            "二、建立纳税信用管理机制\n税务部门设立信用承诺书。",
        ),
        (("关于加强纳税信用建设的通知", "三、强化组织实施"), "三、强化组织实施\n各地区要加强纳税信用建设的组织领导。"),
    ),
)


def test_a_list_question_naming_a_section_gets_its_text_not_the_sibling_headings() -> None:
    lib = Library(NOTICE)
    a = lib.ask(question("纳税信用建设有哪些总体要求?", "list"))
    quotes = [c.quote for c in a.citations]
    assert quotes and all("原则" in q for q in quotes), quotes  # the text under 一、总体要求
    assert not any(q.startswith(("二、", "三、")) for q in quotes)


def test_a_measures_question_never_gets_a_guiding_principle_or_a_notices_purpose_clause() -> None:
    preamble = "为促进守信纳税人享受激励措施，现就有关事项通知如下。"
    guiding = "各地区要以新时代思想为指导，完善守信激励机制，让纳税人享受激励措施。"
    measure = "对信用记录持续优良的纳税人，相关部门依法实施绿色通道、容缺受理等激励措施。"
    doc = Doc(
        "gw",
        "关于加强纳税信用建设的通知",
        (),
        (
            (("关于加强纳税信用建设的通知",), preamble),
            (("关于加强纳税信用建设的通知", "一、总体要求"), guiding),
            (("关于加强纳税信用建设的通知", "二、对守信纳税人提供便利"), measure),
        ),
    )
    a = Library(doc).ask(question("守信纳税人可以享受哪些激励措施?", "measures"))
    assert a.grounded and a.citations[0].quote == measure
    assert all(c.quote not in (preamble, guiding) for c in a.citations)


SUMMARY = Doc(
    "sm",
    "天津高新区改革的实践",
    ("天津市",),
    (
        (("二、经验:打破制度障碍",), "二、经验:打破制度障碍\n天津高新区的改革经验有以下几点。"),
        (("二、经验:打破制度障碍", "(一)推行法定机构改革"), "(一)推行法定机构改革\n取消行政编制，实行企业化管理。"),
        (("二、经验:打破制度障碍", "(二)承接市级权限下放"), "(二)承接市级权限下放\n承接市级权力事项196项。"),
        (("二、经验:打破制度障碍", "(三)提升政府服务效率"), "(三)提升政府服务效率\n推行承诺审批制度。"),
        (("三、方向",), "三、方向\n下一步将引入市场化力量。"),
    ),
)


def test_a_summary_quotes_the_measures_of_each_part_not_its_headings() -> None:
    lib = Library(SUMMARY)
    a = lib.ask(question("请总结天津高新区改革的经验", "summary", [("天津", ("sm",))], filler=("请", "总结")))
    parts = [b for b in a.blocks if b.kind == "bullets"]
    assert [b.heading for b in parts] == ["推行法定机构改革", "承接市级权限下放", "提升政府服务效率"]
    assert [c.quote for c in a.citations] == [
        "取消行政编制，实行企业化管理。",
        "承接市级权力事项196项。",
        "推行承诺审批制度。",
    ]
    assert "下一步" not in a.text  # another section


def test_a_summary_skips_background_principles_and_item_heads_and_stays_short() -> None:
    text = (
        "改革前，全市共有园区二十个。"
        "一是整合园区。"
        "按照精简高效的思路，统筹推进园区工作。"
        "将二十个园区整合为八个。"
        "二是下放权限。"
        "向园区下放审批权限五十项。"
        "三是优化服务。"
        "设立企业服务中心。"
        "四是强化考核。"
        "实行季度考核排名。"
        "五是盘活土地。"
        "收回闲置土地三百亩。"
        "六是引进人才。"
        "引进专业管理团队。"
        "七是规范收费。"
        "取消园区收费项目十项。"
    )
    doc = Doc("yy", "岳阳园区改革", ("岳阳市",), ((("二、岳阳园区改革的主要做法",), text),))
    a = Library(doc).ask(
        question("请概括岳阳园区改革的主要做法", "summary", [("岳阳", ("yy",))], filler=("请", "概括"))
    )
    quotes = [c.quote for c in a.citations]
    assert quotes[:2] == ["将二十个园区整合为八个。", "向园区下放审批权限五十项。"]
    assert len(quotes) == AnswerConfig().summary_sentences  # a phone screen, not the whole section
    assert not any(q.startswith(("改革前", "按照", "一是", "二是")) for q in quotes)


def test_a_comparison_has_one_block_per_place_with_topic_sentences_only() -> None:
    tj = Doc(
        "tj2",
        "天津高新区改革",
        ("天津市",),
        ((("审批",), "20xx年起，xx省政府先后出台《xx意见》等文件。天津高新区推行承诺审批制度，审批效率全市领先。"),),
    )
    hy = Doc(
        "hy2",
        "衡阳园区改革",
        ("衡阳市",),
        ((("放权",), "园区是衡阳发展的主引擎。衡阳设立园区行政审批专用章，实行一枚印章管审批。"),),
    )
    lib = Library(tj, hy)
    q = question(
        "天津和衡阳在审批改革上有什么不同?", "comparison", [("天津", ("tj2",)), ("衡阳", ("hy2",))], filler=("不同",)
    )
    a = lib.ask(q)
    places = [b for b in a.blocks if b.kind == "place"]
    assert [b.heading for b in places] == ["天津", "衡阳"] == [r.place for r in a.comparison]
    quotes = " ".join(c.quote for c in a.citations)
    assert "承诺审批" in quotes and "一枚印章管审批" in quotes
    assert "先后出台" not in quotes and "主引擎" not in quotes  # background and lead sentences
    assert not {b.heading for b in places} & {tj.title, hy.title}


def test_a_comparison_place_whose_report_words_the_topic_differently_is_not_left_out() -> None:
    """The question says 薪酬; one report says 薪资 (工资 in the seed reports): that place still gets its block (by
    meaning), where a place with nothing on the topic is said to have nothing."""
    hy = Doc(
        "hy3",
        "衡阳园区改革",
        ("衡阳市",),
        (
            (
                ("人事",),
                "园区是衡阳发展的主引擎。衡阳园区推行绩效薪酬，拉开收入档次，激发员工干事创业热情，推动园区高质量发展，打造一流营商环境。",
            ),
        ),
    )
    tj = Doc(
        "tj3",
        "天津高新区改革",
        ("天津市",),
        ((("人事",), "天津高新区推行法定机构改革。干部薪资制度分为基本薪资和绩效薪资。会议讨论了年度预算。"),),
    )
    lib = Library(hy, tj)
    q = question(
        "衡阳和天津的薪酬制度有什么区别?",
        "comparison",
        [("衡阳", ("hy3",)), ("天津", ("tj3",))],
        filler=("区别",),
        attribute="薪酬制度",
    )
    a = lib.ask(q)
    blocks = {b.heading: " ".join(b.items) for b in a.blocks if b.kind == "place"}
    assert list(blocks) == ["衡阳", "天津"]
    assert "绩效薪酬" in blocks["衡阳"] and "薪资制度" in blocks["天津"] and "预算" not in blocks["天津"]


def test_a_definition_that_names_the_term_brings_the_sentences_that_explain_it() -> None:
    doc = Doc(
        "gs",
        "开发区改革调研",
        ("河南省",),
        (
            (
                ("三、市场化运营",),
                "我市积极推行“管委会+公司”管理模式。管委会主要承担经济管理职能。开发运营公司主要负责投融资。"
                "开发区共有企业500家。",
            ),
        ),
    )
    lib = Library(doc)
    a = lib.ask(question("“管委会+公司”模式是什么?", "definition", quoted=("管委会+公司",), terms=("管委会+公司",)))
    assert [c.quote for c in a.citations] == [
        "我市积极推行“管委会+公司”管理模式。",
        "管委会主要承担经济管理职能。",
        "开发运营公司主要负责投融资。",
    ]


def test_a_provision_is_cited_whole_in_reading_order_without_link_lines() -> None:
    doc = Doc(
        "gg",
        "关于申领补贴的公告",
        ("泉州市",),
        (
            (
                ("公告",),
                "现将有关事项公告如下。申领补贴的程序如下：企业提交申请材料；区财政局审核后拨付资金。"
                "公告正文下载链接：附件1。联系电话：0595-1234567。",
            ),
        ),
    )
    lib = Library(doc)
    a = lib.ask(question("泉州申领补贴的程序是什么?", "fact", [("泉州", ("gg",))]))
    quotes = [c.quote for c in a.citations]
    assert quotes[:2] == ["申领补贴的程序如下：企业提交申请材料；", "区财政局审核后拨付资金。"]
    assert not [q for q in quotes if "链接" in q or "电话" in q or "公告如下" in q]


def test_a_number_question_cites_the_sentence_holding_the_number() -> None:
    doc = Doc(
        "qy",
        "开发区企业调研",
        ("河南省",),
        ((("一、企业",), "开发区企业数量稳步增长，企业类型日益丰富。截至年底，开发区入驻企业共计500家。"),),
    )
    a = Library(doc).ask(question("开发区入驻企业的数量是多少?", "number"))
    assert [c.quote for c in a.citations] == ["截至年底，开发区入驻企业共计500家。"]


def test_a_number_question_no_sentence_answers_with_a_quantity_is_declined() -> None:
    """多久 answered by a sentence on the topic that states no time is no answer."""
    doc = Doc(
        "my",
        "绵阳园区改革",
        ("绵阳市",),
        ((("一、服务",), "绵阳园区推行企业开办一站式服务，企业开办时间明显压缩。政务服务事项向服务中心集中。"),),
    )
    lib = Library(doc)
    a = lib.ask(question("绵阳把企业开办时间压缩到了多久?", "number", [("绵阳", ("my",))]))
    assert not a.grounded and a.citations == ()
    doc2 = Doc("my2", "绵阳园区改革", ("绵阳市",), ((("一、服务",), "绵阳园区企业开办时间压缩至兩個工作日。"),))
    a = Library(doc2).ask(question("绵阳把企业开办时间压缩到了多久?", "number", [("绵阳", ("my2",))]))
    assert a.grounded and "工作日" in a.citations[0].quote  # 兩個: a Traditional quantity counts


def test_the_zone_word_of_a_place_does_not_pick_the_section() -> None:
    """湘西高新区的内设机构: 高新区 names the place; a heading that only shares it (三、xx高新区
    改革的举措) is not the section that answers, the sentence on 内设机构 is."""
    doc = Doc(
        "xx",
        "高新区改革研究",
        ("湘西土家族苗族自治州",),
        (
            (("三、xx高新区改革的举措", "(一)放权赋能"), "该区拥有更大自主权限，实行各项计划单列。"),
            (("三、xx高新区改革的举措", "(二)大部制"), "实行大部门制，内设机构减少三成，科级干部减少两成。"),
            (("三、xx高新区改革的举措", "(三)社会事务"), "社会事务下沉至街道办事处。"),
        ),
    )
    lib = Library(doc)
    keyword = lib.answerer.keyword
    q = question("湘西高新区的内设机构是怎么改革的?", "measures", [("湘西", ("xx",))], zones=("高新区",))
    a = lib.ask(q)
    assert a.grounded and "内设机构减少" in a.citations[0].quote
    weights = TermWeights(q, keyword)
    assert "高新" not in weights.weights and "新区" not in weights.weights  # no pieces of it
    assert "高新区" not in weights.specific  # never decides answering
    assert weights.weights["高新区"] < 0.5 * min(w for t, w in weights.weights.items() if t != "高新区")


def test_a_sentence_that_announces_a_count_brings_the_sentence_that_gives_it() -> None:
    doc = Doc(
        "cz",
        "园区企业调研",
        ("河南省",),
        ((("一、企业",), "园区企业的类别大约分成两类。一类位于孵化器内，一类位于厂区内。园区周末照常开放。"),),
    )
    a = Library(doc).ask(question("园区企业的类别是什么?", "fact"))
    assert [c.quote for c in a.citations][:2] == ["园区企业的类别大约分成两类。", "一类位于孵化器内，一类位于厂区内。"]


@pytest.mark.parametrize(
    "text", ["共有五百余家企业", "一百多项", "压缩至半个工作日", "两小时办结", "三成", "每年一次", "壓縮至兩個工作日"]
)
def test_quantities_in_words_count_as_numbers(text: str) -> None:
    assert HAS_NUM.search(normalize(text))


def test_how_big_is_not_declined_for_lacking_a_number() -> None:
    """多大 / 比例 may be answered in words; only 多少 / 几 / 多久 need a quantity."""
    doc = Doc("zz", "园区改革", ("天津市",), ((("一、放权",), "天津高新区拥有市级经济管理权限，自主权大幅扩大。"),))
    a = Library(doc).ask(question("天津高新区的自主权有多大?", "number", [("天津", ("zz",))]))
    assert a.grounded and "自主权" in a.citations[0].quote


def test_a_comparison_place_by_meaning_comes_from_its_own_report_only() -> None:
    """A report on another place that names 天津 (与天津相比…) never gives Tianjin's block."""
    hy = Doc(
        "hy4",
        "衡阳园区改革",
        ("衡阳市",),
        ((("人事",), "衡阳园区推行绩效薪酬，拉开收入档次，推动园区高质量发展，打造一流营商环境。"),),
    )
    tj = Doc("tj4", "天津高新区改革", ("天津市",), ((("概况",), "天津高新区推行法定机构改革。会议讨论了年度预算。"),))
    other = Doc(
        "bj4", "北京园区改革", ("北京市",), ((("人事",), "与天津相比，北京园区的薪资制度分为基本薪资和绩效薪资。"),)
    )
    q = question(
        "衡阳和天津的薪酬制度有什么区别?",
        "comparison",
        [("衡阳", ("hy4",)), ("天津", ("tj4",))],
        filler=("区别",),
        attribute="薪酬制度",
    )
    a = Library(hy, tj, other).ask(q)
    assert all(c.doc_id != "bj4" for c in a.citations)
    assert "天津" not in [b.heading for b in a.blocks if b.kind == "place"]


# -- the engine -------------------------------------------------------------------------------
def test_the_engine_does_not_import_the_facade() -> None:
    """answering ↔ facade was an import cycle: the engine now takes narrow dependencies."""
    code = "import sys, assistant.answering; assert 'assistant.facade' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)


def test_a_byline_or_contact_line_is_never_the_answer() -> None:
    doc = Doc(
        "km2",
        "开发区人事制度改革",
        ("昆明市",),
        ((("人事",), "开发区干部实行全员聘用，按岗位签订聘用合同。(作者单位:昆明高新区发展战略研究院)"),),
    )
    a = Library(doc).ask(question("昆明高新区的干部怎么聘用?", "measures", [("昆明", ("km2",))]))
    assert a.grounded and [c.quote for c in a.citations] == ["开发区干部实行全员聘用，按岗位签订聘用合同。"]


# -- sentence choice --------------------------------------------------------------------------
def test_a_sentence_that_restates_the_question_with_a_word_of_its_own_is_the_answer() -> None:
    qgrams = char_bigrams(normalize("麦城铁路在哪一年建成通车?"))
    assert is_echo(normalize("麦城铁路建成通车"), qgrams)  # a heading saying only the question
    assert is_echo(normalize("（二）麦城铁路建成通车"), qgrams)  # its number is no word of its own
    assert not is_echo(normalize("麦城铁路在1958年建成通车。"), qgrams)
    assert not is_echo(normalize("麦城铁路于南岭山区建成通车。"), qgrams)
    assert is_echo(normalize("麦城铁路的主要建成通车"), qgrams)  # function characters are no word
    doc = Doc(
        "mc",
        "铁路志",
        (),
        (
            (
                ("一、沿革",),
                "麦城铁路在1958年建成通车。此后沿线的工厂与集镇逐渐兴起。铁路沿线人口增长较快。",
            ),
        ),
    )
    a = Library(doc).ask(question("麦城铁路在哪一年建成通车?", "fact"))
    assert a.grounded and a.citations[0].quote == "麦城铁路在1958年建成通车。"


class _RecordingEmbedder(HashingEmbedder):
    """The fake embedder, remembering the queries it was asked to embed."""

    def __init__(self) -> None:
        super().__init__(64)
        self.queries: list[str] = []

    def embed_query(self, text: str) -> Vectors:
        self.queries.append(text)
        return super().embed_query(text)


def test_sentence_similarity_leaves_out_the_place_but_keeps_the_topic() -> None:
    """The place check already holds, so the place name would only favour sentences that
    repeat it; the topic words (shared by every passage retrieval found) pick the sentence."""
    lib = Library(TIANJIN, HENGYANG)
    embedder = _RecordingEmbedder()
    scorer = Scorer(embedder, AnswerConfig())
    q = question("天津高新区干部工资分为哪两部分?", "fact", [("天津", ("tj",))])
    sentences = sentences_of(lib.hits("tj"))
    scorer.score(q, sentences, TermWeights(q, lib.answerer.keyword))
    assert embedder.queries and "天津" not in embedder.queries[-1] and "干部工资" in embedder.queries[-1]
    q = question("开发区的薪酬管理实行什么模式?", "fact")
    scorer.score(q, sentences_of(lib.hits()), TermWeights(q, lib.answerer.keyword))
    assert "薪酬管理" in embedder.queries[-1]


def test_a_copula_glued_to_a_name_by_either_segmentation_is_not_a_missing_word() -> None:
    """The analysis (潘 + 淑是) and the tokenizer (潘淑是) segment differently: neither glued
    copula may stand as a term no report holds, or the question is declined for lacking it."""
    doc = Doc("pz", "潘淑", (), ((("生平",), "潘淑，会稽句章人，吴大帝孙权的皇后。"),))
    lib = Library(doc)
    q = question("潘淑是哪里人?", "fact", terms=("潘", "淑是"))
    weights = TermWeights(q, lib.answerer.keyword)
    assert "淑是" not in weights.weights and "潘淑是" not in weights.weights
    assert lib.ask(q).grounded


def test_a_list_that_starts_after_a_colon_keeps_its_first_item() -> None:
    doc = Doc(
        "yy",
        "岳阳园区调研",
        ("岳阳市",),
        (
            (
                ("一、存在的问题",),
                "综合来看，园区发展主要存在以下问题：一是审批环节多，办事慢；二是收费项目多；三是专业人才少。"
                "另外，部分园区规划滞后。",
            ),
        ),
    )
    a = Library(doc).ask(question("岳阳园区发展存在哪些问题?", "list", [("岳阳", ("yy",))]))
    assert [c.quote for c in a.citations] == ["一是审批环节多，办事慢；", "二是收费项目多；", "三是专业人才少。"]


def test_a_question_inside_one_item_is_answered_from_that_item_not_with_the_list() -> None:
    text = (
        "一是建好招商平台。组建招商公司，对重点项目实行专班跟进，对一般项目实行清单管理。"
        "二是建好服务平台。设立企业服务中心。"
        "三是建好人才平台。引进专业团队。"
    )
    doc = Doc("yy", "岳阳园区调研", ("岳阳市",), ((("二、平台建设",), text),))
    lib = Library(doc)
    inside = lib.ask(question("岳阳园区的招商平台里,对不同项目分别怎么跟进?", "measures", [("岳阳", ("yy",))]))
    assert [c.quote for c in inside.citations] == ["组建招商公司，对重点项目实行专班跟进，对一般项目实行清单管理。"]
    items = lib.ask(question("岳阳园区建了哪几个平台?", "list", [("岳阳", ("yy",))]))
    assert [c.quote for c in items.citations] == ["一是建好招商平台。", "二是建好服务平台。", "三是建好人才平台。"]


def test_a_comparison_block_prefers_the_item_whose_head_names_the_topic() -> None:
    """A place's measure on the topic is the item headed with it (二是推行“一窗受理”审批), not a
    sentence of another item that mentions the topic in passing."""
    yy = Doc(
        "yy",
        "岳阳园区改革",
        ("岳阳市",),
        (
            (
                ("一、放权赋能",),
                "一是下放管理权限。向园区下放各类权限八十项，提升园区审批服务效能。"
                "二是推行“一窗受理”审批。设立园区审批专窗，审批事项一窗办结。",
            ),
        ),
    )
    cd = Doc("cd", "常德园区改革", ("常德市",), ((("一、审批",), "常德园区推行并联审批，审批时限压缩一半。"),))
    lib = Library(yy, cd)
    places = [("岳阳", ("yy",)), ("常德", ("cd",))]
    q = question("岳阳和常德在审批改革上分别怎么做?", "comparison", places, filler=("分别", "怎么", "做"))
    a = lib.ask(q)
    block = next(b for b in a.blocks if b.heading == "岳阳")
    assert "下放各类权限八十项" not in "".join(block.items)
    assert any("审批专窗" in item or "一窗受理" in item for item in block.items)


def test_a_fact_whose_sentence_holds_every_asked_word_is_cited_once() -> None:
    """No padding: the near-equal after it (same passage, same words) is no part of the answer."""
    doc = Doc(
        "yy",
        "岳阳园区改革",
        ("岳阳市",),
        (
            (
                ("二、人事制度",),
                "岳阳园区干部实行全员聘任制，按岗位签订聘任合同。岳阳园区干部聘任工作由组织部门指导。"
                "园区干部队伍结构得到优化。",
            ),
        ),
    )
    a = Library(doc).ask(question("岳阳园区干部实行什么聘任制度?", "fact", [("岳阳", ("yy",))], filler=("什么",)))
    assert [c.quote for c in a.citations] == ["岳阳园区干部实行全员聘任制，按岗位签订聘任合同。"]


def test_a_how_answer_keeps_only_sentences_on_the_asked_topic() -> None:
    """A near-equal of a how-question (its heading scores it up) joins only when it states the
    asked topic itself: the next measure of the same passage on something else does not."""
    from assistant.scoring import Scored
    from assistant.shape_plain import plain
    from assistant.terms import TermWeights

    doc = Doc(
        "yy",
        "岳阳园区改革",
        ("岳阳市",),
        (
            (
                ("五、国有公司改革与干部交流",),
                "推行机关干部到国有公司交流任职制度，干部交流每年安排一次。加快吉投集团转型，配齐集团领导班子。",
            ),
        ),
    )
    lib = Library(doc)
    q = question(
        "岳阳国有公司改革里干部交流是怎么安排的?", "measures", [("岳阳", ("yy",))], filler=("是", "怎么", "的")
    )
    ev = lib.answerer.evidence
    first, second = [s for s in sentences_of(lib.hits()) if not s.is_heading]
    near_equals = [Scored(first, 0.9, 0.8), Scored(second, 0.88, 0.7)]
    a = plain(ev, q, near_equals, TermWeights(q, ev.keyword, ev.config))
    assert [c.quote for c in a.citations] == [first.text]


GONGWEN = Doc(
    "gw",
    "关于加强纳税信用建设的通知",
    (),
    (
        (
            ("关于加强纳税信用建设的通知",),
            "国家发展改革委办公厅\n税务总局办公厅 文件\n发改办财金规〔2019〕860号\n关于加强纳税信用建设的通知\n"
            "各省、自治区、直辖市税务局：\n为促进纳税人诚信纳税，现就有关事项通知如下。\n"
            "一、总体要求\n开展纳税信用建设，要坚持依法推进原则。",
        ),
        (
            ("关于加强纳税信用建设的通知", "二、强化组织实施"),
            "二、强化组织实施\n各地区要加强组织领导。\n国家发展改革委办公厅\n税务总局办公厅\n2019年8月20日",
        ),
    ),
)


@pytest.mark.parametrize(
    ("text", "quotes"),
    [
        ("这个通知的文号是多少?", ["发改办财金规〔2019〕860号"]),
        ("这份通知的落款日期是哪天?", ["2019年8月20日"]),
        ("这个通知是哪两个部门联合印发的?", ["国家发展改革委办公厅", "税务总局办公厅"]),
    ],
)
def test_a_question_about_the_document_itself_cites_the_line_that_states_it(text: str, quotes: list[str]) -> None:
    lib = Library(GONGWEN)
    a = lib.ask(question(text, "fact", doc_field=doc_field(normalize(text))))
    assert a.grounded and [c.quote for c in a.citations] == quotes
    # The signature's lines, not the masthead's: the notice closes with who issued it.
    assert all(c.start > lib.texts["gw"].index("组织领导") for c in a.citations if "办公厅" in c.quote)
