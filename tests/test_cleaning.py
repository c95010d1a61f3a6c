"""Cleaning: many tiny cases on the seeds' real lines and on look-alike text that must stay."""

from __future__ import annotations

from pathlib import Path

import pytest

import index.generations
from assistant.facade import Assistant
from index.boilerplate import is_boilerplate_line, strip_boilerplate_lines
from index.cleaning import (
    CLEANER_VERSION,
    clean_text,
    drop_repeated_content,
    find_duplicate_reports,
    guess_title,
    normalize_whitespace,
    strip_pinyin_annotations,
)
from index.errors import IndexMismatchError
from index.settings import Settings

SEEDS = Path(__file__).resolve().parent.parent / "corpus"
SEED_NAMES = sorted(p.name for p in SEEDS.glob("*.txt"))


def _notes_mention(notes: tuple[str, ...], *kinds: str) -> None:
    """One note for each kind of removal, in cleaning order, and none for anything else."""
    assert len(notes) == len(kinds), notes
    for note, kind in zip(notes, kinds, strict=True):
        assert kind in note and any(ch.isdigit() for ch in note), note  # says what went, and how much


def _seed(prefix: str) -> str:
    (path,) = SEEDS.glob(f"{prefix}_*.txt")
    return path.read_text(encoding="utf-8")


# -- normalize_whitespace -------------------------------------------------------------------
@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("\u3000\u3000开发区改革\u3000", "开发区改革"),
        ("    (一)全面推动开发区整合。", "(一)全面推动开发区整合。"),  # 001's indentation
        ("第一段\n\xa0\n\xa0\n\xa0\n\n第二段", "第一段\n\n第二段"),  # 002's nbsp runs
        ("甲&nbsp;&nbsp;乙", "甲 乙"),
        ("开\u200b发\u200c区\u200d\ufeff", "开发区"),
        ("a\x00b\x07c\td", "abc d"),
        ("一\r\n二\r三\u2028四", "一\n二\n三\n四"),
        ("\n\n\n正文\n\n\n", "正文"),
        ("段落一\n段落二", "段落一\n段落二"),  # a single line break is a paragraph break: kept
    ],
)
def test_normalize_whitespace(raw: str, expected: str) -> None:
    assert normalize_whitespace(raw) == expected


# -- strip_pinyin_annotations ---------------------------------------------------------------
@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("開發(fā)區(qū)建設(shè)作為我國改革開放的成功實踐", "開發區建設作為我國改革開放的成功實踐"),
        ("區(qū)域經(jīng)濟社會發(fā)展起到了重要的引領(lǐng)", "區域經濟社會發展起到了重要的引領"),
        ("建设(shè)", "建设"),
        ("建设（jiàn shè）", "建设"),  # full-width parentheses, two syllables
        ("建设(jian4she4)", "建设"),  # tone digits
        ("開(kāi)(kāi)發", "開發"),  # stacked marks go in one pass (idempotence)
        ("(一)全面推动开发区整合", "(一)全面推动开发区整合"),
        ("高新技术产业开发区(以下简称“高新区”)", "高新技术产业开发区(以下简称“高新区”)"),
        ("《规划》(2019)", "《规划》(2019)"),
        ("地区生产总值(GDP)", "地区生产总值(GDP)"),
        ("政府和社会资本合作(PPP)", "政府和社会资本合作(PPP)"),
        ("附件(a)", "附件(a)"),
        ("国务院印发《xx》(xx号)", "国务院印发《xx》(xx号)"),  # anonymization placeholder
        ("中国(**)跨境电子商务综合试验区", "中国(**)跨境电子商务综合试验区"),
        ("(作者單位:昆明高新區(qū)發(fā)展戰(zhàn)略研究院)", "(作者單位:昆明高新區發展戰略研究院)"),
        ("Li (lǐ) said", "Li (lǐ) said"),  # not after a hanzi
    ],
)
def test_strip_pinyin_annotations(raw: str, expected: str) -> None:
    assert strip_pinyin_annotations(raw) == expected


# -- strip_boilerplate_lines ----------------------------------------------------------------
BOILERPLATE = [
    # 002
    "Network",
    "当前位置:主页 > 新闻中心 > 高新区新闻 >",
    "来源:未知 日期:2020-02-26 点击:",
    "主页 > 新闻中心 > 高新区新闻 >",
    "2020-02-26 来源:未知 点击:",
    # 001
    "............试读结束............",
    "查阅全文加微信3231169",
    "本文内容由互联网用户自发贡献,该文观点仅代表作者本人。本站仅提供信息存储空间服务,不拥有所有权,不承担相关法律"
    "责任。如发现本站有涉嫌抄袭侵权/违法违规的内容, 请发送邮件至 3231169@qq.com 举报,一经查实,本站将立刻删除。",
    "如若转载,请注明出处:https://www.qiantufanwen.com/119130.html",
    # 004, as scraped and after its pinyin marks are gone
    "友情鏈接: 政府 高新園區(qū)合作媒體",
    "Copyright 1999-2025 中國高新網(wǎng)chinahightech.com All Rights Reserved.京ICP備14033264號-5",
    "電信與信息服務(wù)業(yè)務(wù)經(jīng)營許可證060344號主辦單位:《中國高新技術(shù)產(chǎn)業(yè)導(dǎo)報》社有限責任公司",
    "友情鏈接: 政府 高新園區合作媒體",
    "電信與信息服務業務經營許可證060344號主辦單位:《中國高新技術產業導報》社有限責任公司",
    # common furniture, Simplified and Traditional, full-width colons
    "當前位置:首頁 > 新聞中心 > 園區動態",
    "首页 > 新闻中心 > 园区动态 > 正文",
    "发布时间：2021-03-02 浏览次数：1024",
    "點擊數:356",
    "分享到:微信 微博 QQ空间",
    "扫一扫在手机打开当前页",
    "責任編輯:王小明",
    "【打印】 【关闭】",
    "打印 字体： 放大 正常 缩小 分享",  # a font-size widget
    "字號:大 中 小",
    "上一篇:天津高新区推进法定机构改革",
    "版权所有:xx市开发区管理委员会",
    "京公网安备11010502030143号",
    "转载请注明出处",
    "免責聲明:本網站內容僅供參考",
]

KEEP = [
    "资金来源主要是财政拨款。",
    "资金来源",
    "运行状态 | 正常",  # a table row with a word a widget also has
    "来源:国家统计局",  # a data source under a table is content
    "截止日期:2022年6月底前完成整合。",
    "推进平台公司市场化改革。借鉴东湖高新区平台公司市场化改革经验,推进海泰集团混合所有制改革。",
    "平台公司",
    "开展综合改革试点",
    "试点",
    "中国自由贸易试验区**片区",
    "召开全市开发区改革电话会议",
    "(作者單位:昆明高新區發展戰略研究院)",
    "湖南省衡阳市:持续深化市直园区管理体制改革",
    "堅持一體化管理",
    "(一)推行法定机构改革,聚焦经济发展主责主业",
    "2017年以来,随着占据天津市GDP60%以上的滨海新区挤出三分之一的水分,全市经济总量严重缩水。",
    "各开发区通过政务服务网www.gov.cn公开权责清单和服务清单,企业可以在线查询办事指南、办理进度和审批结果,"
    "实现“一网通办”,审批时限平均压缩一半以上,群众满意度明显提高。",
    "依托“互联网+政务服务”平台,推行网上审批。",
    "以强化智慧政务建设为牵引,开发“一网通办”服务平台APP客户端",
    "二、开发区改革需要继续关注的问题",
    "经过xx余年的快速发展",
    "GDP增速 > 5% 的开发区有12个",
]


# Contact and URL lines are furniture in a page's header or footer, content in its body
# (issue 12, finding 10): dropped anywhere, they would lose "咨询电话:…" answers.
EDGE_ONLY = [
    "如来写作网gw.rulaixiezuo.com(可搜索其他更多资料)",  # 001's footer
    "联系电话：0731-88888888",
    "邮箱:service@example.com",
    "QQ群:123456789",
    "www.example.gov.cn",
]


@pytest.mark.parametrize("line", EDGE_ONLY)
def test_contact_and_url_lines_go_in_the_header_or_footer_only(line: str) -> None:
    assert is_boilerplate_line(line)
    # A site footer (it holds a copyright marker): the contact line goes with it.
    footer = f"正文第一段。\n正文第二段。\n{line}\n版权所有:示例网"
    assert strip_boilerplate_lines(footer) == "正文第一段。\n正文第二段。"
    assert strip_boilerplate_lines(f"{line}\n正文第一段。\n正文第二段。") == "正文第一段。\n正文第二段。"
    body = f"正文第一段。\n{line}\n正文第二段。"
    assert strip_boilerplate_lines(body) == body
    # A notice's closing contact line, with no site furniture beside it, is the notice's own.
    closing = f"正文第一段。\n正文第二段。\n{line}"
    assert strip_boilerplate_lines(closing) == closing


@pytest.mark.parametrize("line", BOILERPLATE)
def test_boilerplate_line_is_removed(line: str) -> None:
    assert is_boilerplate_line(line)
    assert strip_boilerplate_lines(f"正文第一段。\n{line}\n正文第二段。") == "正文第一段。\n正文第二段。"


@pytest.mark.parametrize("line", KEEP)
def test_look_alike_text_is_kept(line: str) -> None:
    assert not is_boilerplate_line(line)
    assert strip_boilerplate_lines(line) == line


# -- drop_repeated_content ------------------------------------------------------------------
_ARTICLE = [
    "天津高新区管理体制改革的实践",
    "十九大以来,国内外经济形势复杂多变、新一轮科技产业变革进入群体迸发期。",
    "(一)引市场化力量",
    "探索园区合伙人制度。引入武汉“城市合伙人”理念,面向主导产业领域邀请顶尖人才。",
    "(二)创新制度供给",
    "加强创新制度改革和产业政策突破,通过制度创新打造自创区“升级版”。",
]


def test_an_article_carried_twice_is_kept_once_even_with_other_spacing() -> None:
    first = "\n\n".join(_ARTICLE)
    second = "\n\xa0\n".join(f"\u3000{p} " for p in _ARTICLE)
    result = clean_text(f"{first}\n\n{second}")
    assert result.text == first
    assert any("repeated copy of the article" in note for note in result.notes)


def test_a_repeated_paragraph_is_the_documents_own_and_stays() -> None:
    text = f"{_ARTICLE[1]}\n其他内容。\n{_ARTICLE[1]}"
    assert drop_repeated_content(text) == text


def test_a_title_repeated_consecutively_or_as_running_header_is_kept_once() -> None:
    title = _ARTICLE[0]
    text = f"{title}\n\n{title}\n\n{_ARTICLE[1]}\n{title}\n{_ARTICLE[3]}"
    assert drop_repeated_content(text) == f"{title}\n\n{_ARTICLE[1]}\n{_ARTICLE[3]}"


def test_short_headings_repeated_by_a_case_template_are_kept() -> None:
    text = (
        "典型案例汇编\n湖南省衡阳市\n主要做法\n(一)组织领导\n衡阳市成立园区改革领导小组,统筹推进各项改革任务。\n"
        "四川省绵阳市\n主要做法\n(一)组织领导\n绵阳市建立市级领导联系园区制度,定期调度解决问题。"
    )
    assert drop_repeated_content(text) == text


def test_identical_short_lines_and_table_rows_in_place_are_kept() -> None:
    text = "类别 | 数量\n合计 | 6个\n合计 | 6个\n是\n是"
    assert drop_repeated_content(text) == text


def test_drop_repeated_content_is_a_fixed_point() -> None:
    text = "\n".join([*_ARTICLE, "插入段落。", *_ARTICLE[2:], *_ARTICLE])
    once = drop_repeated_content(text)
    assert drop_repeated_content(once) == once
    assert once.count(_ARTICLE[3]) == 1


# -- guess_title ----------------------------------------------------------------------------
def test_guess_title_first_short_line() -> None:
    assert (
        guess_title("天津高新区管理体制改革的实践\n\n十九大以来,国内外经济形势复杂多变。")
        == "天津高新区管理体制改革的实践"
    )


def test_guess_title_of_a_single_line_report_stops_at_report() -> None:
    assert guess_title(_seed("000")) == "持续深化高新区管理体制机制改革的政策和路径研究报告"


def test_guess_title_falls_back_to_the_first_clause_or_trimmed_sentence() -> None:
    assert guess_title(clean_text(_seed("004")).text) == "開發區建設作為我國改革開放的成功實踐"
    long = "高" * 60 + "。后文"
    assert guess_title(long) == "高" * 39 + "…"
    assert guess_title("") == ""


# -- find_duplicate_reports -----------------------------------------------------------------
def _sentences(n: int, tag: str = "") -> str:
    return "".join(f"第{i}项改革措施在开发区全面推开{tag}。" for i in range(n))


def test_find_duplicate_reports_exact_near_and_not() -> None:
    base = _sentences(20)
    near = base.replace("第3项改革措施在开发区全面推开", "第3项改革举措已经全面落实到位")
    texts = {
        "a": base,
        "b": base.replace("。", "。\n "),  # same text, other spacing
        "c": near,
        "d": _sentences(3),  # an excerpt is not a duplicate
        "e": _sentences(20, tag="并取得成效"),
    }
    assert find_duplicate_reports(texts) == [("a", "b", 1.0), ("a", "c", 0.95), ("b", "c", 0.95)]


def test_the_seeds_are_not_duplicates_of_each_other() -> None:
    cleaned = {name: clean_text((SEEDS / name).read_text(encoding="utf-8")).text for name in SEED_NAMES}
    assert find_duplicate_reports(cleaned) == []


# -- clean_text on the seeds ----------------------------------------------------------------
@pytest.mark.parametrize("name", SEED_NAMES)
def test_cleaning_is_idempotent(name: str) -> None:
    once = clean_text((SEEDS / name).read_text(encoding="utf-8"))
    twice = clean_text(once.text)
    assert twice.text == once.text and twice.notes == ()


def test_cleaning_a_messy_mixture_is_idempotent() -> None:
    messy = "\n".join(["Network", *_ARTICLE, "\u3000", "開(kāi)(kāi)發", "查阅全文加微信3231169", *_ARTICLE, "Network"])
    once = clean_text(messy).text
    assert clean_text(once).text == once


def test_seed_002_keeps_one_copy_and_no_navigation() -> None:
    raw = _seed("002")
    sentence = "天津高新区在全国率先推出“创新创业通票”制度"
    assert raw.count(sentence) == 2
    result = clean_text(raw)
    assert result.text.count(sentence) == 1
    assert result.text.count("天津高新区管理体制改革的实践") == 1
    assert result.text.count("(二)抓好放权赋能,承接市级权限下放") == 1
    for furniture in ("Network", "当前位置", "主页 >", "来源:未知", "点击:", "\xa0"):
        assert furniture not in result.text
    assert result.text.endswith("构建完善的政策服务体系。")
    _notes_mention(result.notes, "boilerplate", "repeated copy of the article", "repeated line")


def test_seed_001_ends_with_its_last_real_sentence() -> None:
    result = clean_text(_seed("001"))
    assert result.text.endswith("只能帮助企业联系对接县区")
    for furniture in ("试读结束", "微信", "rulaixiezuo", "qiantufanwen", "http", "本文内容由互联网用户", "如若转载"):
        assert furniture not in result.text
    _notes_mention(result.notes, "boilerplate")
    assert "一、**市开发区管理体制的创新实践" in result.text  # the placeholder survives
    assert "中国(**)跨境电子商务综合试验区" in result.text


def test_seed_004_loses_its_pinyin_but_keeps_the_author_unit() -> None:
    result = clean_text(_seed("004"))
    assert "(fā)" not in result.text and "(qū)" not in result.text
    assert not any(ch in result.text for ch in "āáǎàīíǐìūúǔù")
    assert result.text.startswith("開發區建設作為我國改革開放的成功實踐")
    assert result.text.endswith("(作者單位:昆明高新區發展戰略研究院)")
    for furniture in ("友情鏈接", "Copyright", "ICP", "許可證"):
        assert furniture not in result.text
    _notes_mention(result.notes, "pinyin", "mojibake", "boilerplate")


def test_seed_000_single_line_and_placeholders_are_untouched() -> None:
    raw = _seed("000")
    result = clean_text(raw)
    assert result.text == raw.strip() and result.notes == ()
    for placeholder in ("经过xx余年", "2023年x月", "20xx年x月xx日", "《xx》(xx号)"):
        assert placeholder in result.text


def test_seed_003_is_already_clean() -> None:
    raw = _seed("003")
    assert clean_text(raw).text == raw.strip()


def test_a_new_cleaner_version_makes_an_index_built_before_it_stale(
    fake_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Bumping CLEANER_VERSION (whenever cleaning output changes) must stop an index of the old
    cleaning from being used or extended: chunks of two cleanings would mix."""
    Assistant(fake_settings).ingest()
    monkeypatch.setattr(index.generations, "CLEANER_VERSION", CLEANER_VERSION + "+changed")
    with pytest.raises(IndexMismatchError, match="--rebuild"):
        Assistant(fake_settings).search("天津高新区承接了多少项市级权力事项")
    assert Assistant(fake_settings).ingest(rebuild=True).rebuilt


def test_the_issuer_over_the_closing_date_is_a_signature_not_a_running_header() -> None:
    body = "当事人可以在收到本决定书之日起十五个工作日内提出书面复核申请，说明申请复核的事实和理由。"
    text = f"中国证券投资基金业协会\n纪律处分决定书\n{body}\n中国证券投资基金业协会\n2025年11月25日\n抄送：某某。"
    assert drop_repeated_content(text) == text
