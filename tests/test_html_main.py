"""Web pages read for their article (index.html_main): the menus, breadcrumb, related links
and footer go, and nothing of the article is lost (issue 18, "cleaning loses nothing").
Every page here is written for the test, as sites lay them out."""

from __future__ import annotations

from pathlib import Path

from index.cleaning import clean_text
from index.html_main import read_html
from index.loaders import load_file

MENU = "".join(f'<li><a href="/c{i}/">栏目{i}</a></li>' for i in range(40))
FOOTER_LINKS = "".join(f'<li><a href="http://dept{i}.example.gov.cn">省第{i}厅</a></li>' for i in range(30))
HEAD = """<html><head><meta charset="utf-8"><title>{title} - 某省人民政府门户网站</title>
<meta name="SiteName" content="某省人民政府门户网站"><meta name="ArticleTitle" content="{title}">
<meta name="PubDate" content="2019-09-18 06:23"></head><body>
<div class="top"><a href="/">中国政府网</a> <a href="/rd">省人大</a> <a href="/zx">省政协</a></div>
<div class="logo"><h1><a href="/">某省人民政府网站</a></h1></div>
<div class="menu"><ul>{menu}</ul></div>
<div class="crumb"><a href="/">首页</a> &gt; <a href="/yw/">要闻</a> &gt; <span>本省要闻</span></div>"""
FOOT = """<div class="related"><h3>相关新闻</h3><ul>{links}</ul></div>
<div class="footer"><ul>{footer}</ul><p>主办：某省人民政府办公厅 版权所有 网站标识码1400000045</p></div>
</body></html>"""

NEWS_ARTICLE = [
    "某省品牌丝路行（南美站）正式启动",
    "成功举办中国（某省）－巴西双向经贸投资推介会",
    "图为启动仪式。（刘通摄）",
    "当地时间9月16日下午，2019年某省品牌丝路行活动在巴西圣保罗正式启动，并成功举办双向经贸投资推介会。",
    "举办此次活动，是我省积极主动融入“一带一路”建设、加快构建内陆地区对外开放新高地的具体举措。",
    "推介会上，省商务厅、转型综改示范区管委会分别作了推介。咨询电话：0351-1234567。",
    "南美站活动将先后在巴西、乌拉圭、阿根廷举行。（张巨峰）",
]


def _news_page() -> str:
    related = "".join(f'<li><a href="/n{i}.html">相关新闻标题第{i}条</a></li>' for i in range(12))
    return (
        HEAD.format(title=NEWS_ARTICLE[0], menu=MENU)
        + f"""<div class="article"><div class="title"><h2>{NEWS_ARTICLE[0]}</h2><h3>{NEWS_ARTICLE[1]}</h3>
<p class="info">时间：2019-09-18 06:23 来源：某省日报</p><span>打印</span> <span>分享</span></div>
<div class="content"><p>{NEWS_ARTICLE[2]}</p>"""
        + "".join(f"<p>　　{line}</p>" for line in NEWS_ARTICLE[3:])
        + "</div></div>"
        + FOOT.format(links=related, footer=FOOTER_LINKS)
    )


def test_a_news_page_keeps_its_article_and_drops_the_furniture() -> None:
    page = read_html(_news_page())
    lines = page.text.split("\n")
    for line in NEWS_ARTICLE:
        assert any(line in got for got in lines), line
    for furniture in ("栏目7", "省第12厅", "相关新闻标题", "版权所有", "省政协", "本省要闻"):
        assert furniture not in page.text
    assert furniture in page.whole  # the whole page is still there for who needs it
    assert page.title_lines[0] == NEWS_ARTICLE[0] and page.date == "2019-09-18 06:23"
    assert "某省人民政府门户网站" not in page.title_lines  # the site's name is no title


def test_a_notice_whose_article_is_short_is_still_found() -> None:
    notice = [
        "关于2024年度高新区统计年报填报工作的通知",
        "各有关企业：",
        "请于3月31日前登录系统完成填报。联系电话：0351-7654321。",
    ]
    page_html = (
        HEAD.format(title=notice[0], menu=MENU)
        + f'<div class="main"><h2>{notice[0]}</h2>'
        + "".join(f"<p>{line}</p>" for line in notice[1:])
        + "<p>某市科技局</p><p>2024年3月1日</p></div>"
        + FOOT.format(links="", footer=FOOTER_LINKS)
    )
    text = read_html(page_html).text
    for line in [*notice, "某市科技局", "2024年3月1日"]:
        assert line in text.split("\n"), line
    assert "栏目3" not in text and "省第3厅" not in text


def test_a_table_in_the_article_stays_whole() -> None:
    rows = "".join(
        f"<tr><td>{name}</td><td>{n}</td><td>{n * 3}</td></tr>"
        for n, name in enumerate(["甲园区", "乙园区", "丙园区"], 1)
    )
    page_html = (
        HEAD.format(title="2023年各园区营业收入情况", menu=MENU)
        + '<div class="content"><h2>2023年各园区营业收入情况</h2><p>全省园区营业收入稳步增长，具体情况如下表。</p>'
        + f"<table><tr><th>园区</th><th>企业数</th><th>营业收入（亿元）</th></tr>{rows}</table>"
        + "<p>注：数据来源于省统计局。</p></div>"
        + FOOT.format(links="", footer=FOOTER_LINKS)
    )
    lines = read_html(page_html).text.split("\n")
    assert "园区 | 企业数 | 营业收入（亿元）" in lines
    assert {"甲园区 | 1 | 3", "乙园区 | 2 | 6", "丙园区 | 3 | 9"} <= set(lines)
    assert "注：数据来源于省统计局。" in lines and "栏目1" not in lines


def test_the_article_after_a_stray_closing_html_tag_is_read() -> None:
    # A server-side include of the site's header that ends with </html>: the article follows it.
    page_html = (
        "<html><head><title>关于批准调整国债余额限额的决议__国务院公报_中国政府网</title></head><body>"
        f'<div class="header"><ul>{MENU}</ul></div></html>'
        '<div class="content"><p>全国人民代表大会常务委员会<br>关于批准调整国债余额限额的决议</p>'
        "<p>会议决定：批准2007年末国债余额限额调整为53365.53亿元。</p></div>"
        f'<div class="footer"><ul>{FOOTER_LINKS}</ul></div></body></html>'
    )
    page = read_html(page_html)
    assert "会议决定：批准2007年末国债余额限额调整为53365.53亿元。" in page.text
    assert page.title_lines[0] == "关于批准调整国债余额限额的决议"


def test_hidden_elements_are_not_read() -> None:
    page = read_html(
        '<p>正文第一段，内容。</p><li style="display: none">http://hidden.example.cn</li><p hidden>隐藏</p>'
    )
    assert page.text == "正文第一段，内容。"


def test_a_page_without_furniture_is_kept_whole() -> None:
    # A report saved from Word as HTML: headings and short lines are its own, not furniture.
    body = "<h1>园区改革研究报告</h1><p>一、总体情况</p><p>全省共有园区86家，营业收入增长。</p><p>二、主要问题</p><p>管理体制不顺，机构重叠。</p>"
    assert read_html(f"<html><body>{body}</body></html>").text.split("\n") == [
        "园区改革研究报告",
        "一、总体情况",
        "全省共有园区86家，营业收入增长。",
        "二、主要问题",
        "管理体制不顺，机构重叠。",
    ]


def test_the_loaded_page_gives_its_title_and_date_and_cleaning_keeps_the_article(tmp_path: Path) -> None:
    path = tmp_path / "news.html"
    path.write_text(_news_page(), encoding="utf-8")
    loaded = load_file(path, "news.html")
    assert loaded.title_lines[0] == NEWS_ARTICLE[0] and loaded.stated_date == "2019-09-18 06:23"
    cleaned = clean_text(loaded.text).text
    for line in NEWS_ARTICLE:
        assert line in cleaned, line  # the phone number's line too
    assert len(cleaned.split("\n")) <= len(NEWS_ARTICLE) + 2
