"""Places per section (issue 19): a report's national overview speaks for no place, a report
with no place of its own (a general article) is no evidence about a named place, a byline's
unit is a place the report speaks for, and each quote is labelled with its own section's
place. Hand-made reports of our own; seed-corpus behaviour is in tests/test_answers.py."""

from __future__ import annotations

from types import SimpleNamespace

from test_grounding import Doc, Library, question

from assistant.extractive import ExtractiveAnswerer
from assistant.places import Gazetteer
from index.types import ReportMeta

YUEYANG = Doc(
    "yy",
    "岳阳经开区改革调研",
    ("湖南省", "岳阳市"),
    (
        (("一、全国经开区改革的总体情况",), "各地经开区普遍推行了人员聘任制，实行岗位绩效工资。"),
        (("二、岳阳经开区的做法",), "该区推行全员竞聘上岗，实行“基本工资+绩效奖励”的薪酬办法。"),
    ),
)
TWO_CITIES = Doc(
    "two",
    "园区改革典型案例",
    ("湖南省", "常德市", "四川省", "遂宁市"),
    (
        (("湖南省常德市:深化园区改革",), "常德园区成立了企业服务中心，推行帮代办服务。"),
        (("四川省遂宁市:园区综合改革",), "遂宁园区设立了项目服务专班，实行每周调度。"),
    ),
)
ESSAY = Doc(
    "essay",
    "开发区人事制度改革的思考",
    (),
    ((("一、薪酬",), "开发区应推行岗位工资加绩效工资的薪酬制度，打破身份界限。作者单位:株洲高新区发展研究中心"),),
)


def test_a_national_overview_section_answers_for_no_place() -> None:
    lib = Library(YUEYANG)
    a = lib.ask(question("岳阳经开区普遍推行人员聘任制吗?", "yesno", [("岳阳", ("yy",))]))
    assert all("各地经开区" not in c.quote for c in a.citations)
    # Without a place the overview is a fine answer on the topic.
    general = lib.ask(question("经开区普遍推行了什么制度?", "fact"))
    assert general.grounded and "各地经开区" in general.citations[0].quote


def test_each_quote_is_labelled_with_its_sections_place() -> None:
    lib = Library(TWO_CITIES)
    a = lib.ask(question("遂宁园区设立了什么专班?", "fact", [("遂宁", ("two",))]))
    assert a.grounded and [c.regions for c in a.citations] == [("四川省", "遂宁市")]
    overview = Library(YUEYANG).ask(question("经开区普遍推行了什么制度?", "fact"))
    assert overview.citations[0].regions == ()  # a national overview is labelled with no place


def _gazetteer_library(*docs: Doc) -> Library:
    lib = Library(*docs)
    rows = [SimpleNamespace(doc_id=d.doc_id, meta=ReportMeta(title=d.title, regions=d.regions)) for d in docs]
    chunks = [r for d in docs for r in lib.records[d.doc_id]]
    lib.places = Gazetteer.build(rows, chunks)  # type: ignore[assignment]
    old = lib.answerer
    lib.answerer = ExtractiveAnswerer(old.embedder, old.keyword, places=lib.places, chunks_of=old.evidence.chunks_of)
    return lib


def test_a_general_article_is_no_evidence_about_a_named_place_but_its_byline_place_is() -> None:
    lib = _gazetteer_library(YUEYANG, ESSAY)
    assert lib.places.doc_places("essay") == frozenset({"株洲"})
    # 岳阳's question never gets the general article's proposal.
    a = lib.ask(question("岳阳经开区推行什么薪酬制度?", "fact", [("岳阳", ("yy",))]))
    assert {c.doc_id for c in a.citations} <= {"yy"}
    # The byline's unit makes the article speak for 株洲.
    z = lib.ask(
        question(
            "株洲高新区研究中心的文章提出了什么薪酬制度?",
            "fact",
            [("株洲", ("essay",))],
            filler=("研究中心", "文章", "提出", "什么"),
        )
    )
    assert z.grounded and z.citations[0].doc_id == "essay" and z.citations[0].regions == ("株洲",)


def test_a_place_the_reports_only_mention_gets_no_general_text() -> None:
    """常德 is named in 岳阳's report only in passing; the general article says nothing about it."""
    visit = Doc(
        "visit",
        "岳阳经开区考察报告",
        ("岳阳市",),
        ((("一、考察学习",), "考察组先后到常德经开区等地学习开发区机构改革。"),),
    )
    bare = Doc("bare", "开发区薪酬制度浅谈", (), ((("一、薪酬",), "开发区应推行岗位工资加绩效工资的薪酬制度。"),))
    lib = _gazetteer_library(visit, bare)
    a = lib.ask(question("常德经开区推行什么薪酬制度?", "fact", [("常德", ("visit",))]))
    assert not a.grounded
    assert all(c.doc_id != "bare" for c in a.citations)


def test_a_place_the_reports_only_mention_is_said_to_have_no_material() -> None:
    visit = Doc(
        "visit",
        "岳阳经开区考察报告",
        ("岳阳市",),
        ((("一、考察学习",), "考察组先后到常德经开区等地学习开发区薪酬改革。岳阳经开区推行绩效薪酬制度。"),),
    )
    lib = _gazetteer_library(visit, ESSAY)
    a = lib.ask(question("常德经开区推行什么薪酬制度?", "fact", [("常德", ("visit",))], filler=("什么",)))
    assert not a.grounded and "没有关于“常德”的材料" in a.text
    related = next(b for b in a.blocks if b.kind == "related")
    assert "不是常德的做法" in related.heading


def test_only_sentences_on_the_asked_topic_answer_for_a_place() -> None:
    """衡阳高新区干部工资…: a sentence on 干部 alone is about something else. The reports' words
    on the topic (绩效工资) are shown as related, and the notice says what is not written."""
    doc = Doc(
        "yy",
        "岳阳园区改革",
        ("岳阳市",),
        (
            (
                ("二、人事制度",),
                "岳阳园区开展副科级干部竞聘，选出二十名干部。岳阳园区实行绩效工资与园区业绩挂钩。",
            ),
        ),
    )
    lib = Library(doc)
    q = question("岳阳园区干部工资分为哪两部分?", "list", [("岳阳", ("yy",))], filler=("哪两",), count=2)
    a = lib.ask(q)
    assert not a.grounded and "报告中没有写明岳阳园区干部工资分为哪两部分" in a.text
    related = next(b for b in a.blocks if b.kind == "related")
    assert "岳阳" in related.heading and a.related[0].quote == "岳阳园区实行绩效工资与园区业绩挂钩。"


def test_a_place_no_report_covers_gets_other_reports_practice_labelled_as_not_its_own() -> None:
    a = Library(YUEYANG).ask(question("株洲经开区的薪酬办法是什么?", "fact", [("株洲", ())], filler=("什么",)))
    assert not a.grounded and "没有关于“株洲”的材料" in a.text
    (related,) = [b for b in a.blocks if b.kind == "related"]
    assert "不是株洲的做法" in related.heading


def test_regions_guessed_from_a_pages_place_names_hold_no_report_to_a_place() -> None:
    """Detected regions hold a report to its place only when its issuing body names them: a
    region guessed from the first page (an encyclopedia article on a footballer names his
    clubs' cities) is a label, not what the article speaks for, and does not turn the other
    articles into general texts that answer for no place."""
    guessed = ReportMeta(title="赵鹏", regions=("广东省", "广州市"), detected=("regions", "title"))
    issued = ReportMeta(
        title="关于加强园区建设的通知", regions=("北京市",), issuer="北京市人民政府", detected=("issuer", "regions")
    )
    bio = ReportMeta(title="邹游")
    rows = [SimpleNamespace(doc_id=d, meta=m) for d, m in (("zp", guessed), ("bj", issued), ("zy", bio))]
    gaz = Gazetteer.build(rows)
    assert gaz.doc_places("zp") == frozenset() and gaz.doc_places("bj") == frozenset({"北京"})
    # 邹游's article still answers "…河南建业…": the library's guessed regions declare nothing
    # about it, and it is not general because 北京's notice declares a place by its issuer.
    only_guessed = Gazetteer.build(rows[:1] + rows[2:])
    assert only_guessed.speaks_for("zy", ()) is None and only_guessed.speaks_for("zp", ()) is None
    assert gaz.is_general("zy", ())  # beside a report that declares its place, a placeless one is general
