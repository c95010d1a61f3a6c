"""Metadata detection on layouts it was not first written for (issue 18, held-out files):
a work report without a title page, a prospectus page whose largest line is a chapter
heading, a scan whose opening line is a piece of a sentence, a journal page dated only in
its footnote, a web page dated in its meta. Every text here is written for the test."""

from __future__ import annotations

import pytest

from index.docmeta import detect_meta, is_fragment, is_heading, is_title_like

WORK_REPORT_NO_TITLE = """各位代表：
现在，我代表成都市人民政府，向大会报告政府工作，请予审议，并请市政协委员提出意见。
一、2023年工作回顾
过去一年，我们深入推进成渝地区双城经济圈建设，与重庆市、德阳市、眉山市、资阳市协同发展，德阳、眉山、资阳同城化加快。
二、2024年重点任务
今年是实现“十四五”规划目标任务的关键一年，我们将加强与重庆市、德阳市的合作。"""

WORK_REPORT_CITY_UNNAMED = """政府工作报告
——2025年1月8日在绵阳市第八届人民代表大会第五次会议上
各位代表：
现在，我代表市人民政府，向大会报告工作，请予审议。
一、2024年工作回顾
全市经济运行稳中有进。"""

NATIONAL_WORK_REPORT = """各位代表：
现在，我代表国务院，向大会报告政府工作，请予审议，并请全国政协各位委员提出意见。
一、2023年工作回顾
过去一年，北京、上海、广东等地经济回升向好。
二、2024年经济社会发展总体要求和政策取向
三、2024年政府工作任务"""

PROSPECTUS_PAGE = """某某高新区投资集团有限公司2023年度第四期超短期融资券募集说明书
第七章 企业资信状况
一、发行人历史信用评级情况
截至2023年3月末，发行人授信总额372亿元。
1 | 徽商银行南京中山北路支行 | 330,435.30
2 | 南京银行盐城分行 | 175,170.00
3 | 恒丰银行南京江北支行 | 93,900.00"""

SCANNED_COLUMNS = """庆县某人驾驶农用车，行驶时，将存在安装技术水平不高、焊接质量
问题的管道压断，造成天然气泄漏。
北京市燃气集团接报后立即组织抢修。北京市应急部门到场。"""

JOURNAL_PAGE = """数字技术与商业模式创新的共演
摘要：本文以一个虚拟偶像为案例，探讨了数字产品的成长机制。
一、引言
数字经济发展迅速，浙江省、上海市、北京市、广东省相继出台政策。
收稿时间：2022-11-15；反馈外审意见时间：2023-3-3；网络首发时间：2024-3-23。"""


def test_a_work_report_without_a_title_page_is_named_from_its_opening() -> None:
    m = detect_meta(WORK_REPORT_NO_TITLE)
    assert m.title == "2024年成都市政府工作报告"  # never the heading 一、2023年工作回顾
    assert m.issuer == "成都市人民政府"
    assert m.year == 2024  # the year it plans for, not the year it looks back on
    assert m.regions == ("四川省", "成都市")  # its issuer's place, not every city it names twice


def test_a_work_report_by_the_city_government_takes_the_city_from_its_session_line() -> None:
    m = detect_meta(WORK_REPORT_CITY_UNNAMED)
    assert (m.issuer, m.title) == ("绵阳市人民政府", "2025年绵阳市政府工作报告")
    assert (m.date, m.year) == ("2025-01-08", 2025)  # the delivery date; the headings name only 2024
    assert m.regions == ("四川省", "绵阳市")


def test_the_national_work_report_has_no_region() -> None:
    m = detect_meta(NATIONAL_WORK_REPORT)
    assert (m.title, m.issuer, m.year, m.regions) == ("2024年政府工作报告", "国务院", 2024, ())


def test_a_chapter_heading_in_the_largest_font_is_not_the_title() -> None:
    m = detect_meta(PROSPECTUS_PAGE, title_lines=("第七章 企业资信状况",))
    assert m.title == "某某高新区投资集团有限公司2023年度第四期超短期融资券募集说明书"
    assert m.year == 2023


def test_a_title_that_names_its_place_is_not_joined_by_places_the_page_repeats() -> None:
    text = PROSPECTUS_PAGE.replace("某某高新区", "盐城高新区")
    assert detect_meta(text).regions == ("江苏省", "盐城市")  # 南京 (three banks' branches) is not its place


@pytest.mark.parametrize(
    "line", ["第七章 企业资信状况", "一、2023年工作回顾", "（一）总体要求", "1.2 中文支持及中英文混排", "1 准备稿件"]
)
def test_a_section_heading_is_never_a_title(line: str) -> None:
    assert is_heading(line) and not is_title_like(line)


def test_a_sentence_fragment_is_not_a_title_and_the_file_name_is() -> None:
    assert is_fragment("庆县某人驾驶农用车，行驶时，将存在安装技术水平不高、焊接质量")
    assert not is_fragment("北京、天津、河北三地协同发展报告")  # a list joined by 、
    assert not is_fragment("某服装企业第三季度收入下滑11%，费用率提升盈利承压")
    m = detect_meta(SCANNED_COLUMNS, file_name="scans/北京燃气管道泄漏事故分析.png")
    assert m.title == "北京燃气管道泄漏事故分析"  # what the maintainer named the file, not a body line
    assert m.regions == ("北京市",)


def test_a_headline_in_a_large_font_may_have_two_commas() -> None:
    headline = "某服装企业：收入稳健增长，费用率提升，维持买入评级"
    assert detect_meta("核心观点：收入增长。", title_lines=(headline,)).title == headline


def test_a_journal_page_dated_only_in_its_footnote() -> None:
    m = detect_meta(JOURNAL_PAGE, title_lines=("数字技术与商业模式创新的共演*",))
    assert m.title == "数字技术与商业模式创新的共演"  # the footnote mark after it is not the title's
    assert (m.date, m.year) == ("2024-03-23", 2024)  # published online, not received
    assert m.regions == ()  # four provinces listed: the national scope


def test_a_web_page_dated_by_its_meta_unless_the_text_dates_itself() -> None:
    news = "山西品牌丝路行正式启动\n当地时间9月16日下午，活动在巴西圣保罗正式启动。"
    m = detect_meta(news, title_lines=("山西品牌丝路行正式启动",), stated_date="2019-09-18 06:23")
    assert (m.date, m.year, m.regions) == ("2019-09-18", 2019, ("山西省",))
    notice = "关于开展园区体检的通知\n各单位：\n现通知如下。\n山西省商务厅\n2019年9月2日"
    assert detect_meta(notice, stated_date="2019-09-18").date == "2019-09-02"  # the signature date wins


def test_a_title_spaced_between_digits_and_hanzi_is_closed_up() -> None:
    title = "关于调整2007\u3000年末国债余额限额的决议"
    assert detect_meta("会议决定：批准。", title_lines=(title,)).title == "关于调整2007年末国债余额限额的决议"


def test_a_research_reports_banner_names_the_company_then_the_headline() -> None:
    text = (
        "某电池企业（300750.SZ）\n上半年收入增长8%，海外订单放量\n核心观点\n"
        "上半年收入同比增长8%，海外订单放量。\n风险提示：需求不及预期。"
    )
    lines = ("某电池企业（300750.SZ）", "上半年收入增长8%，海外订单放量", "核心观点")
    assert detect_meta(text, title_lines=lines).title == "某电池企业（300750.SZ）上半年收入增长8%，海外订单放量"
    # a company's name alone, with no headline set large under it, stays as it is
    assert detect_meta(text, title_lines=lines[:1]).title == "某电池企业（300750.SZ）"


def test_a_standards_drafting_note_is_named_without_its_number_and_with_its_stage() -> None:
    text = (
        "NB/T XXXX－20YY 园区能源管理规范 第3部分：评价\n编制说明\n（征求意见稿） （从讨论稿一直写到报批稿）\n"
        "（2023年3月）\n一、任务来源\n本标准来源于国家能源局2021年下达的计划（国能综通科技[2021]92号）。"
    )
    m = detect_meta(text)
    assert m.title == "园区能源管理规范 第3部分：评价 编制说明（征求意见稿）"
    assert m.doc_number == ""  # the 文号 cited in a sentence is another document's
    assert (
        detect_meta("GB/T 3620.1—2016 钛及钛合金牌号和化学成分\n前言\n本部分按照规则起草。").title
        == "钛及钛合金牌号和化学成分"
    )


@pytest.mark.parametrize("line", ["（2023年3月）", "2023年3月", "二〇二三年三月"])
def test_a_covers_month_line_gives_the_year(line: str) -> None:
    text = f"园区能源管理规范\n编制说明\n{line}\n一、任务来源\n本标准来源于2021年下达的计划。"
    assert detect_meta(text).year == 2023
    assert detect_meta(f"园区能源管理规范\n一、任务来源\n计划于{line}完成。").year is None  # in a sentence: an event's


def test_a_papers_places_in_its_footnotes_and_citations_are_not_its_regions() -> None:
    paper = (
        "数字产品成长机制研究\n摘要：本文研究数字产品的成长。\n"
        "北京市、上海市先后出台了虚拟现实产业政策，北京冬奥会上虚拟主播亮相，浙江省也有相关举措。\n"
        "*本项研究得到浙江省软科学研究计划、浙江省哲学社会科学规划课题、浙江省自然科学基金的资助。\n"
        "1.中国科学院自动化研究所北京100190 2.北京大学光华管理学院北京100871"
    )
    assert detect_meta(paper, file_name="paper.pdf").regions == ()
    report = "燃气管道泄漏事故分析\n北京市燃气管网长2万公里。北京市延庆区、北京市大兴区曾发生泄漏，天津市也有类似事故。"
    assert detect_meta(report).regions == ("北京市",)  # most of its places are in one province
