"""Issue 12, finding 10: boilerplate goes only where it is boilerplate (header/footer, a
running footer, or the marker part of a line); body lines with phones, URLs and e-mails stay;
cleaning says what it dropped."""

from __future__ import annotations

import pytest

from index.cleaning import clean_text, strip_boilerplate_lines, strip_markers

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
    assert cleaned.notes == ("removed 4 boilerplate lines",)


def test_the_same_lines_in_a_page_header_go() -> None:
    header = ["www.example.gov.cn", "当前位置:首页 > 通知公告", "服务热线:12345"]
    assert clean_text("\n".join([*header, HEAD, P1, P2])).text == "\n".join([HEAD, P1, P2])


def test_a_blank_line_does_not_end_the_footer() -> None:
    text = f"{HEAD}\n{P1}\n{P2}\n\n联系电话:022-12345678\n\n邮箱:service@example.com"
    assert clean_text(text).text == f"{HEAD}\n{P1}\n{P2}"


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
    assert cleaned.notes == ("removed a copyright/source marker from 1 line (the rest kept)",)
    assert any(d.startswith("marker removed from: “6月18日") for d in cleaned.dropped)


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
    text = f"当前位置:首页 > 通知公告\n{HEAD}\n{P1}\n{NEWS}(来源:滨海高新微信公众号)\n{P2}\n联系电话:022-12345678"
    cleaned = clean_text(text)
    assert cleaned.dropped == (
        "boilerplate: “当前位置:首页 > 通知公告”",
        "boilerplate: “联系电话:022-12345678”",
        f"marker removed from: “{(NEWS + '(来源:滨海高新微信公众号)')[:59]}…”",
    )
    assert cleaned.notes == (
        "removed 2 boilerplate lines",
        "removed a copyright/source marker from 1 line (the rest kept)",
    )


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
