"""Follow-up questions resolved without an LLM: place detection, rewriting, and the
resolved question shown to the user (in the answer, its JSON and the terminal chat)."""

from __future__ import annotations

import re

import pytest
from click.testing import CliRunner

from assistant.answer_json import answer_json
from assistant.answer_types import Answer, Citation, Turn
from assistant.conversation import is_follow_up, places_in, resolve
from assistant.facade import Assistant
from assistant.places import short_place
from index.settings import Settings
from reformqa.cli import main

KNOWN = ["湖南省", "吉首市", "河南省", "天津市", "滨海新区", "衡阳市", "四川省", "绵阳市"]
"""The regions of the seed reports (corpus/reports.toml)."""
Q_TIANJIN = "天津高新区干部工资分为哪两部分?"


def _turn(question: str, resolved: str | None = None, citations: tuple[Citation, ...] = ()) -> Turn:
    answer = Answer(question, resolved or question, "…[1]" if citations else "…", True, "extractive", citations)
    return Turn(question, answer)


def _citation(section: str, regions: tuple[str, ...]) -> Citation:
    return Citation(1, "003", "案例", "003.txt", section, "对外由市国资委履行出资人职责。", 10, 25, regions)


# -- places -----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("name", "short"),
    [
        ("衡阳市", "衡阳"),
        ("湖南省", "湖南"),
        ("天津高新区", "天津"),
        ("滨海新区", "滨海"),
        ("新区", "新区"),
        ("吉首", "吉首"),
    ],
)
def test_short_place(name: str, short: str) -> None:
    assert short_place(name) == short


def test_places_are_found_in_text_order() -> None:
    assert places_in("衡阳和绵阳的园区管理体制改革怎么做的?", KNOWN) == ["衡阳", "绵阳"]
    assert places_in("绵阳和衡阳的园区管理体制改革怎么做的?", KNOWN) == ["绵阳", "衡阳"]
    assert places_in(Q_TIANJIN, KNOWN) == ["天津"]


def test_places_not_in_the_reports_are_found_too() -> None:
    assert "深圳" in "".join(places_in("深圳前海的自贸区政策是什么?", KNOWN))
    assert "深圳" in "".join(places_in("深圳前海的自贸区政策是什么?", []))


def test_adjacent_names_are_one_place() -> None:
    """A province followed by its city is one place, not two (else a follow-up doubles it)."""
    assert places_in("湖南省衡阳市:持续深化市直园区管理体制改革", KNOWN) == ["湖南省衡阳市"]
    assert places_in("四川省绵阳市:聚焦打造发展引擎深化园区综合改革", []) == ["四川省绵阳市"]


@pytest.mark.parametrize(
    "text",
    [
        "各地开发区推行了哪些管委会加公司的市场化运营模式?",
        "二、近年来高新区管理体制机制改革的概况",
        "四、持续深化高新区改革的路径和建议",
        "关于开发区改革进展情况的调研报告",
        "开发区管委会应坚持什么授权原则?",
        "这些开发区的薪酬制度有什么不同?",
    ],
)
def test_generic_zone_words_are_not_places(text: str) -> None:
    assert places_in(text, KNOWN) == []


def test_places_in_traditional_text_are_returned_as_written() -> None:
    assert places_in("那衡陽呢?", KNOWN) == ["衡陽"]
    assert places_in("綿陽編制了多少張招商圖譜?", []) == ["綿陽"]


# -- follow-ups -------------------------------------------------------------------------------
@pytest.mark.parametrize("q", ["那衡阳呢?", "那么绵阳呢？", "它们的审批改革有什么不同?", "薪酬呢?", "两地有何不同?"])
def test_follow_ups_are_recognised(q: str) -> None:
    assert is_follow_up(q)


@pytest.mark.parametrize("q", [Q_TIANJIN, "衡阳高新区副科级岗位竞聘选出了多少人?", "哪些地方实行了以岗定薪的薪酬制度?"])
def test_standalone_questions_are_not_follow_ups(q: str) -> None:
    assert not is_follow_up(q)


def test_without_history_the_question_is_unchanged() -> None:
    assert resolve("  那衡阳呢? ", [], KNOWN) == "那衡阳呢?"


def test_a_standalone_question_after_a_turn_is_unchanged() -> None:
    q = "绵阳编制了多少张招商图谱?"
    assert resolve(q, [_turn(Q_TIANJIN)], KNOWN) == q


def test_another_place_keeps_the_previous_topic() -> None:
    assert resolve("那衡阳呢?", [_turn(Q_TIANJIN)], KNOWN) == "衡阳高新区干部工资分为哪两部分?"
    assert resolve("那衡陽呢？", [_turn(Q_TIANJIN)], KNOWN) == "衡陽高新区干部工资分为哪两部分?"


@pytest.mark.parametrize(
    "follow_up", ["换成衡阳呢?", "如果是衡阳呢?", "那衡阳那边呢?", "衡阳那边是怎么做的?", "那衡阳这块情况如何?"]
)
def test_a_place_switch_in_any_words_keeps_the_previous_topic(follow_up: str) -> None:
    """Nothing but a place and form words (a rule of the analysis, not a list of phrasings)."""
    assert resolve(follow_up, [_turn("天津高新区的人员是怎么选用的?")], KNOWN) == "衡阳高新区的人员是怎么选用的?"


def test_a_place_switch_with_a_frame_of_its_own_asks_the_previous_topic_in_it() -> None:
    out = resolve("天津那边有什么成效?", [_turn("衡阳园区的审批改革是怎么做的?")], KNOWN)
    assert out.startswith("天津") and "改革" in out and "成效" in out and "怎么做" not in out


def test_a_pointer_that_went_with_the_old_place_goes_with_it() -> None:
    out = resolve("那湘西那边呢?", [_turn("河南这个市开发区的薪酬制度是谁定的?")], [*KNOWN, "湘西土家族苗族自治州"])
    assert out == "湘西开发区的薪酬制度是谁定的?"


@pytest.mark.parametrize("q", ["长沙在哪里?", "介绍一下长沙", "长沙高新区有多少家企业?"])
def test_a_question_of_its_own_about_a_new_place_is_not_a_follow_up(q: str) -> None:
    """Without 呢, 那, 换成… or 那边 there is no cue that it leans on the previous question."""
    assert resolve(q, [_turn("衡阳园区的审批改革是怎么做的?")], [*KNOWN, "长沙市"]) == q


def test_the_old_places_pointer_goes_in_either_script_but_not_out_of_a_word() -> None:
    known = [*KNOWN, "湘西土家族苗族自治州"]
    assert (
        resolve("那湘西呢?", [_turn("河南這個市開發區的薪酬制度是誰定的?")], known) == "湘西開發區的薪酬制度是誰定的?"
    )
    assert resolve("那湘西呢?", [_turn("河南这个市场监管改革怎么做的?")], known).endswith("市场监管改革怎么做的?")


def test_follow_ups_chain_through_the_resolved_question() -> None:
    history = [_turn(Q_TIANJIN), _turn("那衡阳呢?", "衡阳高新区干部工资分为哪两部分?")]
    assert resolve("那绵阳呢?", history, KNOWN) == "绵阳高新区干部工资分为哪两部分?"


def test_a_compound_place_is_replaced_once() -> None:
    prev = _turn("湖南省衡阳市的园区审批改革怎么做的?")
    assert resolve("那绵阳呢?", [prev], KNOWN) == "绵阳的园区审批改革怎么做的?"


def test_another_topic_keeps_the_previous_place() -> None:
    out = resolve("那薪酬呢?", [_turn(Q_TIANJIN)], KNOWN)
    assert "天津" in out and "薪酬" in out and "干部工资" not in out


def test_plural_reference_names_the_previous_places() -> None:
    prev = _turn("衡阳和绵阳的园区管理体制改革怎么做的?")
    out = resolve("它们的审批改革有什么不同?", [prev], KNOWN)
    assert "它们" not in out and "衡阳" in out and "绵阳" in out and out.endswith("审批改革有什么不同?")


def test_without_a_place_in_the_question_the_cited_places_are_used() -> None:
    by_heading = _turn(
        "园区投资公司的出资人职责由谁履行?",
        citations=(
            _citation("湖南省衡阳市:持续深化市直园区管理体制改革 › 一、聚焦理顺管理机制", ("湖南省", "衡阳市")),
        ),
    )
    assert "衡阳" in resolve("那薪酬呢?", [by_heading], KNOWN)
    by_region = _turn("干部工资分为哪两部分?", citations=(_citation("", ("天津市", "滨海新区")),))
    assert "天津" in resolve("那薪酬呢?", [by_region], KNOWN)


# -- through the assistant and the CLI --------------------------------------------------------
def test_the_answer_carries_the_resolved_question(seed_index: Settings) -> None:
    a = Assistant(seed_index)
    first = a.ask(Q_TIANJIN)
    assert first.resolved_question == Q_TIANJIN
    follow = a.ask("那衡阳呢?", [Turn(Q_TIANJIN, first)])
    assert follow.question == "那衡阳呢?"
    assert follow.resolved_question == "衡阳高新区干部工资分为哪两部分?"
    out = answer_json(follow)
    assert out["question"] == "那衡阳呢?" and out["resolved_question"] == follow.resolved_question


def test_terminal_chat_shows_how_a_follow_up_was_understood(seed_index: Settings) -> None:
    r = CliRunner().invoke(
        main,
        ["--data-dir", str(seed_index.data_dir), "--corpus-dir", str(seed_index.corpus_dir), "chat", "--no-llm"],
        input=f"{Q_TIANJIN}\n那衡阳呢?\n\n",
        env={"REFORMQA_EMBEDDING__MODEL": "hash:256"},
    )
    assert r.exit_code == 0, r.output
    assert "理解为: 衡阳高新区干部工资分为哪两部分?" in r.output
    assert r.output.count("理解为") == 1  # the first question needed no resolving


# -- follow-ups on the analyzed question (our own phrasings, over the seed reports' places) ------
def _seed_resolve(*questions: str) -> str:
    """Resolve the last question after the earlier ones (each earlier one resolved in turn)."""
    from seed_places import seed_gazetteer

    gaz = seed_gazetteer()
    history: list[Turn] = []
    for q in questions[:-1]:
        history.append(_turn(q, resolve(q, history, gaz)))
    return resolve(questions[-1], history, gaz)


def _reads_naturally(text: str) -> bool:
    """No doubled place (衡阳和衡阳), doubled particle or frame, or stray reference left."""
    doubled = re.search(r"(\w{2,})(和|与|、)\1", text) or re.search(r"(的的|是什么是什么|呢\?|\?\?|？\?)", text)
    frames = len(re.findall(r"(什么|怎么样|多少|哪些|如何)", text))
    return not doubled and frames <= 1 and not re.search(r"^(那|它们|两地|这些)", text)


FOLLOW_UPS = [
    # (conversation, must contain, must not contain)
    (("衡阳高新区干部工资怎么定?", "那绵阳呢?"), ["绵阳高新区干部工资怎么定"], ["衡阳"]),
    (("衡阳高新区干部工资怎么定?", "那綿陽呢？"), ["綿陽高新区干部工资怎么定"], ["衡阳"]),
    (("天津高新区的社会事务交给了谁?", "那河南这个市呢?"), ["河南这个市的社会事务交给了谁"], ["天津", "高新区"]),
    (("天津和衡阳在人事制度上分别怎么改?", "那绵阳呢?"), ["绵阳在人事制度上怎么改"], ["天津", "衡阳", "分别"]),
    (("天津和衡阳在人事制度上分别怎么改?", "那衡阳呢?"), ["衡阳在人事制度上怎么改"], ["天津"]),
    (("绵阳园区2022年新签约项目有多少个?", "总投资呢?"), ["绵阳园区2022年总投资"], ["新签约"]),
    (("衡阳高新区通过竞聘提拔了多少干部?", "绩效工资呢?"), ["衡阳高新区", "绩效工资"], ["提拔", "竞聘"]),
    (("滨海新区下放了多少项审批权?", "为企业办结了多少件?"), ["滨海新区为企业办结了多少件"], []),
    (("衡阳高新区试用期满一年的干部怎么考核?", "满三年的呢?"), ["衡阳高新区试用期满三年的干部怎么考核"], ["满一年"]),
    (("绵阳2022年新签约多少项目?", "2021年的呢?"), ["绵阳2021年新签约多少项目"], ["2022"]),
    (("绵阳推行了哪些放权措施?", "效果怎么样?"), ["绵阳", "放权", "效果怎么样"], ["是什么"]),
    (
        ("天津高新区的飞地管理有哪些做法?", "这些做法取得了什么成效?"),
        ["天津高新区", "飞地管理", "做法取得了什么成效"],
        ["这些"],
    ),
    (("衡阳和绵阳的园区招商怎么做的?", "两地的考核办法有什么区别?"), ["衡阳和绵阳的考核办法有什么区别"], ["两地"]),
    (("衡阳和绵阳的园区招商怎么做的?", "这两个地方的薪酬有何不同?"), ["衡阳和绵阳的薪酬有何不同"], ["这两个"]),
    (("衡阳高新区干部工资怎么定?", "那绵阳呢?", "奖金呢?"), ["绵阳", "奖金"], ["衡阳", "工资"]),
    (("衡阳园区怎么选拔干部?", "那天津高新区呢?"), ["天津高新区怎么选拔干部"], ["衡阳", "园区"]),
    (("滨海新区的飞地管理是怎么推进的?", "取得了什么成效?"), ["滨海新区飞地管理取得了什么成效"], []),
    (("绵阳园区原来有多少家企业?", "现在增加到多少家?"), ["绵阳", "现在增加到多少家"], []),
    (("天津有几个市级开发区?", "省级的呢?"), ["天津有几个省级开发区"], ["市级"]),
    (("滨海新区2019年下放了多少项权限?", "2020年呢?"), ["滨海新区2020年下放了多少项权限"], ["2019"]),
    (("“一制三化”指什么?", "那“两个统一”呢?"), ["“两个统一”指什么"], ["一制三化"]),
    (("衡阳和绵阳的园区改革有何不同?", "那天津呢?"), ["天津的园区改革有什么特点"], ["衡阳", "不同"]),
    (("衡阳高新区的执法队伍怎么组建?", "它的考核办法呢?"), ["衡阳高新区", "考核办法"], ["它", "呢"]),
    (("天津高新区的飞地管理有哪些做法?", "具体效果呢?"), ["天津高新区飞地管理", "效果怎么样"], ["呢"]),
    (
        ("绵阳园区2022年招商引资到位多少亿元?", "那衡阳的固定资产投资呢?"),
        ["衡阳", "2022年", "固定资产投资"],
        ["绵阳", "招商"],
    ),
    (("绵阳园区的考核办法怎么定?", "跟企业数量挂钩吗?"), ["绵阳", "考核", "跟企业数量挂钩吗"], []),
    (("天津高新区的放权改革有哪些做法?", "这些做法的成效如何?"), ["天津高新区放权改革的成效如何"], ["做法"]),
    # A topic only the previous place's report holds continues that place's conversation.
    (("天津高新区的人事改革怎么做的?", "评价收入按什么发放?"), ["天津高新区", "评价收入按什么发放"], []),
    (("衡阳的放权赋能有哪些做法?", "园区行政审批专用章有什么用?"), ["衡阳", "园区行政审批专用章有什么用"], []),
]


@pytest.mark.parametrize(("turns", "has", "lacks"), FOLLOW_UPS)
def test_follow_ups_replace_the_slot_that_changed(turns: tuple[str, ...], has: list[str], lacks: list[str]) -> None:
    out = _seed_resolve(*turns)
    assert all(h in out for h in has), out
    assert not any(x in out for x in lacks), out
    assert _reads_naturally(out), out


@pytest.mark.parametrize(
    "turns",
    [
        ("天津高新区干部工资分为哪两部分?", "模块化服务包括哪几个模块?"),
        ("天津高新区干部工资分为哪两部分?", "绵阳清理了多少闲置土地?"),
        ("衡阳推行了哪些审批改革?", "各地怎么剥离社会事务?"),
        ("衡阳推行了哪些审批改革?", "什么是法定机构?"),
        # Its topic is in other reports too: a question of its own, not about 天津.
        ("天津高新区干部工资分为哪两部分?", "高新区改革面临的形势有哪五个方面?"),
    ],
)
def test_questions_of_their_own_pass_through(turns: tuple[str, str]) -> None:
    assert _seed_resolve(*turns) == turns[-1]


def test_the_naturalness_check_catches_what_it_should() -> None:
    assert not _reads_naturally("衡阳和衡阳的园区改革有什么不同?")
    assert not _reads_naturally("绵阳的做法有什么效果是什么?")
    assert _reads_naturally("衡阳和绵阳的园区改革有什么不同?")


def test_history_is_read_within_its_caps(monkeypatch: pytest.MonkeyPatch) -> None:
    """A huge history costs no more than a capped one: only the last MAX_TURNS turns, each
    cut to MAX_TURN_CHARS characters, ever reach the analysis (issue 12, finding 5)."""
    from seed_places import seed_gazetteer

    import assistant.conversation as conv

    seen: list[int] = []
    from assistant.question import analyze as real

    def counting(text: str, gaz: object) -> object:
        seen.append(len(text))
        return real(text, gaz)  # type: ignore[arg-type]

    monkeypatch.setattr("assistant.conversation.analyze", counting)
    long_turn = _turn("天津" * 9999)
    out = resolve("那衡阳呢?", [long_turn], seed_gazetteer())
    assert max(seen) <= conv.MAX_TURN_CHARS and out.startswith("衡阳")
    seen.clear()
    resolve("奖金呢?", [_turn(f"第{i}个问题有什么内容?") for i in range(500)], seed_gazetteer())
    assert len(seen) <= conv.MAX_TURNS + 1  # the question itself, then at most the capped turns


def test_history_json_keeps_the_cited_places_within_bounds() -> None:
    """An /api/ask response passed back as history keeps what its answer cited (the place a
    question without one was about), at most 10 citations with bounded fields."""
    from seed_places import doc, seed_gazetteer

    from assistant.render import turns_from_json

    heng = Citation(
        1, doc("003"), "案例", "003.txt", "湖南省衡阳市:持续深化市直园区管理体制改革", "…", 0, 1, ("湖南省", "衡阳市")
    )
    previous = answer_json(
        Answer("干部工资分为哪两部分?", "干部工资分为哪两部分?", "…[1]", True, "extractive", (heng,))
    )
    (turn,) = turns_from_json([previous])
    assert turn.answer.citations[0].doc_id == doc("003")
    assert "衡阳" in resolve("那奖金呢?", [turn], seed_gazetteer())  # from the cited section's heading
    no_section = dict(previous, citations=[{"doc_id": doc("002"), "section": ""}])
    assert "天津" in resolve("那奖金呢?", turns_from_json([no_section]), seed_gazetteer())  # the report's place
    flood = dict(previous, citations=[{"doc_id": "x" * 50_000, "section": "天津" * 9999}] * 1000)
    (big,) = turns_from_json([flood])
    assert len(big.answer.citations) == 10
    assert all(len(c.section) <= 2000 and len(c.doc_id) <= 2000 for c in big.answer.citations)


def test_a_demonstrative_names_the_term_the_previous_turn_named() -> None:
    """这个卡 / 这个制度: the term the previous answer quoted, or the one its question asked about."""
    from seed_places import seed_gazetteer

    card = Citation(
        1, "003", "案例", "003.txt", "四川省绵阳市:园区改革", "对重点项目发放“企业服务卡”,提供上门服务。", 0, 20
    )
    asked = _turn("绵阳给重点项目发什么卡?", citations=(card,))
    out = resolve("持有这个卡可以享受什么?", [asked], seed_gazetteer())
    assert "“企业服务卡”" in out and "这个" not in out and out.startswith("绵阳")
    system = resolve("这个制度怎么分配收益?", [_turn("天津高新区的“园区合伙人”是一种什么制度?")], seed_gazetteer())
    assert "“园区合伙人”制度怎么分配收益" in system and "这个" not in system and system.count("“") == 1


def test_a_phrase_pointing_back_names_the_previous_place() -> None:
    from seed_places import seed_gazetteer

    out = resolve("上面提到的竞聘里,试用期怎么考核?", [_turn("衡阳园区的干部是怎么选拔的?")], seed_gazetteer())
    assert out.startswith("衡阳的竞聘里") and "上面" not in out
