"""Issue 12, finding 10: boilerplate goes only where it is boilerplate (header/footer, a
running footer, or the marker part of a line); body lines with phones, URLs and e-mails stay;
cleaning says what it dropped."""

from __future__ import annotations

import pytest

from index.boilerplate import strip_boilerplate_lines, strip_markers
from index.cleaning import clean_text

HEAD = "关于做好2023年度开发区企业申报工作的通知"
P1 = "各有关单位:为进一步优化营商环境,现将2023年度开发区企业申报工作有关事项通知如下。"
P2 = "请各单位于6月30日前完成申报材料的报送,逾期不再受理,特此通知。"


def _body(line: str) -> str:
    return f"{HEAD}\n{P1}\n{line}\n{P2}"


# -- body lines that hold a phone, URL or e-mail are content ---------------------------------------
@pytest.mark.parametrize(
    "line",
    [
        "咨询电话:022-12345678",
        "咨询电话：0731-88888888(工作日9:00-17:00)",
        "举报电话：12320",
        "联系人:王老师,电话:13800138000",
        "邮箱:zhengwu@tj.gov.cn",
        "申报材料请发送至 kfq_shenbao@163.com",
        "网址:http://www.tjht.gov.cn",
        "https://www.gov.cn/zhengce/2020-02/26/content_5483412.htm",
        "www.example.gov.cn",
        "QQ群:123456789",
        "传真:022-87654321",
    ],
)
def test_a_body_line_with_a_phone_url_or_email_is_kept(line: str) -> None:
    text = _body(line)
    assert strip_boilerplate_lines(text) == text
    assert line in clean_text(text).text


def test_the_same_lines_in_a_page_footer_go() -> None:
    footer = ["联系电话:022-12345678", "邮箱:service@example.com", "www.example.gov.cn", "Copyright © 2023 示例网"]
    cleaned = clean_text("\n".join([HEAD, P1, P2, *footer]))
    assert cleaned.text == "\n".join([HEAD, P1, P2])
    assert len(cleaned.dropped) == 4 and all(line in cleaned.dropped[n] for n, line in enumerate(footer))
    assert len(cleaned.notes) == 1 and "boilerplate" in cleaned.notes[0] and "4" in cleaned.notes[0]


def test_the_same_lines_in_a_page_header_go() -> None:
    header = ["www.example.gov.cn", "当前位置:首页 > 通知公告", "服务热线:12345"]
    assert clean_text("\n".join([*header, HEAD, P1, P2])).text == "\n".join([HEAD, P1, P2])


def test_a_blank_line_does_not_end_the_footer() -> None:
    text = f"{HEAD}\n{P1}\n{P2}\n\n联系电话:022-12345678\n\n邮箱:service@example.com\n\n版权所有:示例网"
    assert clean_text(text).text == f"{HEAD}\n{P1}\n{P2}"


@pytest.mark.parametrize(
    "closing",
    [
        ["举报违法热线电话:12345"],
        ["联系人:王老师", "联系电话:022-12345678", "邮箱:service@example.com"],
        ["电子税务局网址:https://etax.tianjin.chinatax.gov.cn"],
    ],
)
def test_a_notices_closing_contact_lines_are_its_own(closing: list[str]) -> None:
    """Without site furniture (copyright, navigation) beside them, contact lines at the end
    are the notice's answer to “whom do I call”, not a page footer."""
    text = "\n".join([HEAD, P1, P2, *closing])
    assert clean_text(text).text == text


def test_a_contact_line_repeated_on_every_page_is_a_running_footer() -> None:
    page = "地址:天津市滨海新区 电话:022-66668888"
    text = "\n".join([HEAD, P1, page, "第二页的正文内容,介绍了申报条件。", page, P2, page, "附件:申报表。"])
    cleaned = clean_text(text).text
    assert page not in cleaned and "附件:申报表。" in cleaned and "第二页的正文内容" in cleaned


def test_a_contact_line_twice_in_a_body_is_kept() -> None:
    line = "咨询电话:022-12345678"
    text = "\n".join([HEAD, P1, line, "第二项事项说明。", line, P2])
    assert clean_text(text).text.count(line) == 2


# -- a marker goes, the news item that carries it stays ---------------------------------------------
NEWS = (
    "6月18日,天津高新区2023年创新创业大赛决赛在海泰创新基地举行,来自全国的120个项目同台竞技,"
    "最终评选出一等奖3名、二等奖5名、三等奖10名,获奖项目将优先入驻园区孵化器并获得最高50万元资金支持。"
)


@pytest.mark.parametrize(
    ("marker", "kind"),
    [
        ("(来源:滨海高新微信公众号)", "paren"),
        ("（来源：天津发布公众号）", "paren"),
        ("本网版权所有,未经授权不得转载。", "sentence"),
        ("版权所有©天津日报社。", "sentence"),
        ("京ICP备12345678号", "sentence"),
        ("关注“天津高新”公众号获取更多资讯。", "sentence"),
        ("转载请注明出处。", "sentence"),
        ("Copyright © 2023 tjht.gov.cn All Rights Reserved.", "sentence"),
    ],
)
def test_a_news_item_ending_with_a_marker_keeps_its_text(marker: str, kind: str) -> None:
    line = NEWS + marker
    kept, n = strip_markers(line)
    assert n == 1 and kept == NEWS, kind
    cleaned = clean_text(f"{HEAD}\n{line}\n{P2}")
    assert NEWS in cleaned.text and marker not in cleaned.text
    (note,) = cleaned.notes  # a marker, not a line: the note says so and counts one line
    assert "marker" in note and "1" in note and "boilerplate" not in note
    assert any("marker" in d and "6月18日" in d for d in cleaned.dropped)


@pytest.mark.parametrize(
    "line",
    [
        "天津高新区开通政务微信公众号,企业可通过公众号在线预约办理23项审批事项,平均办理时间缩短一半。",
        "园区加强知识产权保护,查处侵犯版权案件30起,帮助企业登记软件著作权1200件。",
        "(来源:国家统计局)",  # a data source under a table
        "资金来源主要是财政拨款。",
    ],
)
def test_prose_about_accounts_and_copyright_is_not_a_marker(line: str) -> None:
    assert strip_markers(line) == (line, 0)
    assert line in clean_text(f"{HEAD}\n{line}\n{P2}").text


@pytest.mark.parametrize(
    "line",
    [
        "本文来源于微信公众号“天津发布”",
        "版权所有:xx市开发区管理委员会",
        "京公网安备11010502030143号",
        "本网版权所有,未经授权不得转载。",
    ],
)
def test_a_line_that_is_all_marker_goes_anywhere(line: str) -> None:
    assert strip_markers(line)[0] == ""
    assert clean_text(f"{HEAD}\n{P1}\n{line}\n{P2}").text == f"{HEAD}\n{P1}\n{P2}"


def test_a_marker_heavy_disclaimer_goes_whole() -> None:
    line = (
        "本文内容由互联网用户自发贡献,该文观点仅代表作者本人。本站仅提供信息存储空间服务,不拥有所有权,"
        "不承担相关法律责任。如发现本站有涉嫌抄袭侵权/违法违规的内容,请发送邮件举报,一经查实,本站将立刻删除。"
    )
    assert strip_markers(line)[0] == ""


# -- cleaning says what it dropped ---------------------------------------------------------------
def test_dropped_lines_are_listed() -> None:
    text = f"当前位置:首页 > 通知公告\n{HEAD}\n{P1}\n{NEWS}(来源:滨海高新微信公众号)\n{P2}\n联系电话:022-12345678\n"
    text += "版权所有:示例网"
    cleaned = clean_text(text)
    # Each dropped line is named whole; the line that lost only its marker is named by its start.
    line, phone, copyright, news = cleaned.dropped
    assert "boilerplate" in line and "当前位置:首页 > 通知公告" in line
    assert "boilerplate" in phone and "联系电话:022-12345678" in phone
    assert "boilerplate" in copyright and "版权所有:示例网" in copyright
    assert "marker" in news and NEWS[:40] in news
    assert NEWS in cleaned.text and "公众号" not in cleaned.text
    boiler, marker = cleaned.notes  # one note per kind of removal, with its count
    assert "boilerplate" in boiler and "3" in boiler and "marker" in marker and "1" in marker


def test_cleaning_with_markers_is_idempotent() -> None:
    text = "\n".join(
        ["www.example.gov.cn", HEAD, NEWS + "(来源:天津发布公众号)", "举报电话:12320", P2, "京ICP备12345678号"]
    )
    once = clean_text(text).text
    assert clean_text(once).text == once and "举报电话:12320" in once


def test_a_phone_directory_at_the_end_is_content_not_a_footer() -> None:
    directory = [f"第{i}园区管委会 电话:022-6000{i:04d}" for i in range(1, 11)]
    text = "\n".join([HEAD, P1, "各园区联系方式如下:", *directory])
    cleaned = clean_text(text).text
    assert all(line in cleaned for line in directory)


# -- issue 18: what cleaning still lost -------------------------------------------------------------
# A government notice whose body holds a 举报电话 sentence, a bank account, a 公众号 name, an
# e-tax URL and a sentence about free mailing; a repeated account line in its annex.
NOTICE = [
    "国家税务总局天津市税务局关于做好2024年度个人所得税综合所得汇算清缴工作的通告",
    "为贯彻落实个人所得税法及其实施条例,现就2024年度汇算清缴有关事项通告如下。",
    "一、办理渠道",
    "纳税人可优先通过手机个人所得税APP办理,也可登录自然人电子税务局网站https://etax.chinatax.gov.cn办理。",
    "关注“天津税务”微信公众号,可在线预约办税时间。",
    "网址:https://etax.chinatax.gov.cn",
    "二、退税与补税",
    "需补税的纳税人可通过以下账户缴款:",
    "户名:国家税务总局天津市税务局 开户银行:中国人民银行天津分行 账号:1200 1234 5678 9012 345",
    "纳税人申请邮寄纸质完税证明的,税务机关免费邮寄送达。",
    "三、咨询与举报",
    "纳税人对汇算清缴有疑问的,可拨打12366纳税服务热线咨询;发现违法行为的,可拨打举报违法热线电话022-12366举报。",
    "咨询电话:022-12366",
    "附件:缴款账户",
    "户名:国家税务总局天津市税务局 开户银行:中国人民银行天津分行 账号:1200 1234 5678 9012 345",
    "举报违法热线电话:022-12366",
]


def test_a_notices_body_keeps_every_phone_url_account_and_account_name() -> None:
    text = "\n".join(NOTICE)
    cleaned = clean_text(text)
    assert cleaned.text == text, cleaned.dropped
    assert cleaned.notes == () and cleaned.dropped == ()


def test_the_same_notice_in_a_web_page_loses_only_the_page_furniture() -> None:
    page = ["当前位置:首页 > 通知公告", "发布时间:2025-02-28 浏览次数:1024", *NOTICE]
    page += ["【打印】 【关闭】", "主办单位:国家税务总局天津市税务局 网站标识码:1200000052", "津ICP备05000000号"]
    cleaned = clean_text("\n".join(page))
    assert cleaned.text == "\n".join(NOTICE)
    assert len(cleaned.dropped) == 5 and all(d.startswith("boilerplate: ") for d in cleaned.dropped)


SHENZHOU = (
    "6月5日17时42分,神舟十四号载人飞船成功对接于天和核心舱径向端口,3名航天员随后从神舟十四号载人飞船"
    "进入天和核心舱。7月25日,航天员乘组顺利进入问天实验舱,这是中国航天员首次在轨进入科学实验舱。"
)
AIRPORT = "北京大兴国际机场城市航站楼在丽泽商务区、草桥等地陆续启用,旅客可在城市航站楼办理值机和行李托运手续"


@pytest.mark.parametrize(
    "footer",
    [
        "主办单位:国务院办公厅 运行维护单位:中国政府网运行中心 版权所有:中国政府网 中文域名:中国政府网.政务",
        "版权和免责声明 本网站所有内容,凡注明“来源:中国政府网”的文字、图片和音视频稿件,版权均属本网所有。",
        "© The Financial Times Limited 2022. All rights reserved. 请勿擅自转载、摘编或利用其它方式使用本网站的内容。",
        "关注公众号 获取更多航天资讯",
    ],
)
def test_a_news_item_sharing_its_line_with_a_footer_keeps_its_text(footer: str) -> None:
    """Single-line news passages (issue 18: 18 real items of 100–300 characters were lost whole)."""
    for news in (SHENZHOU, AIRPORT):
        line = f"{news} {footer}" if not news.endswith("。") else news + footer
        cleaned = clean_text(line)
        assert news in cleaned.text, footer
        assert footer[:8] not in cleaned.text
        assert any("marker" in d for d in cleaned.dropped)


def test_a_follow_invitation_opening_a_news_line_goes_and_the_news_stays() -> None:
    cleaned = clean_text(f"关注公众号 {SHENZHOU}")
    assert cleaned.text == SHENZHOU


def test_a_follow_invitation_as_the_tail_of_a_body_line_goes() -> None:
    line = NEWS + "关注“滨海高新”公众号,获取更多园区资讯。"
    cleaned = clean_text(f"{HEAD}\n{line}\n{P2}")
    assert cleaned.text == f"{HEAD}\n{NEWS}\n{P2}"


def test_a_follow_instruction_inside_a_notice_is_content() -> None:
    line = "关注“天津税务”微信公众号,点击“办税服务”即可在线预约,预约成功后按时到办税服务厅办理。"
    text = f"{HEAD}\n{P1}\n{line}\n{P2}"
    assert clean_text(text).text == text


# A national standard: clauses and table rows legitimately repeat (issue 18: 18 removals).
STANDARD = [
    "钛及钛合金牌号和化学成分",
    "1 范围",
    "本部分规定了钛及钛合金的牌号和化学成分。",
    "2 要求",
    "2.1 工业纯钛的化学成分应符合表1的规定,其他元素单个含量和总和应符合表1的规定。",
    "牌号 | 名义化学成分 | Ti | Fe | C",
    "TA1 | 工业纯钛 | 余量 | 0.20 | 0.08",
    "TA2 | 工业纯钛 | 余量 | 0.30 | 0.08",
    "2.2 α型钛合金的化学成分应符合表2的规定,其他元素单个含量和总和应符合表1的规定。",
    "牌号 | 名义化学成分 | Ti | Fe | C",
    "TA1 | 工业纯钛 | 余量 | 0.20 | 0.08",
    "TA2 | 工业纯钛 | 余量 | 0.30 | 0.08",
    "2.3 当需方要求并在合同中注明时,可对其他元素进行分析,分析结果应符合相应表中的规定。",
    "2.4 β型钛合金的化学成分应符合表3的规定,其他元素单个含量和总和应符合表1的规定。",
    "2.5 当需方要求并在合同中注明时,可对其他元素进行分析,分析结果应符合相应表中的规定。",
    "3 试验方法",
    "当需方要求并在合同中注明时,可对其他元素进行分析,分析结果应符合相应表中的规定。",
    "当需方要求并在合同中注明时,可对其他元素进行分析,分析结果应符合相应表中的规定。",
]


def test_a_standards_repeated_clauses_and_rows_are_never_removed() -> None:
    text = "\n".join(STANDARD)
    cleaned = clean_text(text)
    assert cleaned.text == text
    assert not any("repeat" in n for n in cleaned.notes)


ARTICLE = [
    "开发区管理体制改革的实践与思考",
    "近年来,各地开发区围绕管理体制机制创新开展了大量探索,形成了一批可复制可推广的经验做法。",
    "一、主要做法",
    "推行法定机构改革,剥离社会事务管理职能,聚焦经济发展主责主业,实行全员竞聘、薪酬激励。",
    "推进放权赋能,按照“应放尽放”原则下放市级经济管理权限,实现“园区事园区办”。",
    "二、存在问题",
    "部分开发区管理机构设置与所在行政区职能交叉,权责边界不够清晰,考核评价机制有待完善。",
]


def test_a_scraped_article_carried_twice_is_kept_once_and_the_note_names_the_copy() -> None:
    text = "\n".join([*ARTICLE, "", *ARTICLE])
    cleaned = clean_text(text)
    assert cleaned.text == "\n".join(ARTICLE)
    assert any(n.startswith("removed a repeated copy of the article (6 lines") for n in cleaned.notes)
    (copy,) = [d for d in cleaned.dropped if d.startswith("repeated copy")]
    assert ARTICLE[1][:20] in copy and ARTICLE[-1][:20] in copy


def test_a_partial_repeat_is_not_a_copy_of_the_article() -> None:
    text = "\n".join([*ARTICLE, "三、下一步打算", ARTICLE[3], ARTICLE[4]])
    assert clean_text(text).text == text


@pytest.mark.parametrize(
    "text",
    [
        "版权所有:示例网\n京ICP备12345678号",  # a file that is all furniture
        "当前位置:首页 > 通知公告\n发布时间:2024-01-02 浏览次数:12\n申报截止:6月30日",
    ],
)
def test_a_document_is_never_emptied(text: str) -> None:
    cleaned = clean_text(text)
    assert cleaned.text == text
    assert any(n.startswith("kept the whole text") for n in cleaned.notes)
