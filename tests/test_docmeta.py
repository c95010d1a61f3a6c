"""Metadata without hand work (issue 18): title, issuer, 文号, date/year and regions read from
texts written in each layout reports come in, and hand metadata winning field by field."""

from __future__ import annotations

from pathlib import Path

import pytest
from settings_kit import hashed_settings

from assistant.facade import Assistant
from index.docdates import parse_date
from index.docmeta import DetectedMeta, detect_meta, is_title_like, merge_meta
from index.gazetteer import gazetteer
from index.metadata import load_metadata
from index.types import ReportMeta

REALDOCS = Path(__file__).resolve().parents[2] / "shared" / "realdocs"

GONGWEN = """湖南省人民政府办公厅 文件
湘政办发〔2023〕15号
关于进一步深化全省开发区管理体制改革的
实施意见
各市州、县市区人民政府，省政府各厅委、各直属机构：
为推动全省开发区高质量发展，经省人民政府同意，现提出如下实施意见。
一、总体要求
坚持市场化改革方向，推动开发区聚焦经济发展主责主业。
湖南省人民政府办公厅
2023年6月19日
（此件主动公开）"""

WORK_REPORT = """政府工作报告
——2024年1月21日在北京市第十六届人民代表大会第二次会议上
北京市市长 殷勇
各位代表：
现在，我代表北京市人民政府，向大会报告政府工作，请予审议，并请市政协委员提出意见。
一、2023年工作回顾
过去一年，全市地区生产总值增长5.2%，北京市经济运行持续回升向好。"""

BROKER = """请务必阅读正文之后的信息披露和法律声明
新能源汽车行业深度报告：出海进入加速期
证券研究报告 | 2024年3月5日
核心观点：2023年我国新能源汽车出口120万辆，同比增长77.6%。
请务必阅读正文之后的信息披露和法律声明
一、行业概览
出口目的地以欧洲和东南亚为主。"""

NEWS = """衡阳高新区打造“一站式”企业服务中心
来源：衡阳日报 2023-09-12
9月11日，衡阳高新区企业服务中心正式启用，企业可在中心一站办理注册、税务、社保等86项业务。
衡阳高新区管委会负责人介绍，中心运行后企业办事时间平均缩短一半。"""

TRADITIONAL = """臺北市政府公告
府授產業字第11230012345號
主旨：公告修正「臺北市產業園區管理自治條例」施行細則。
依據：臺北市產業園區管理自治條例第二十條。
公告事項：本細則自公告日起施行。
市長 蔣萬安
中華民國一一二年十月三日"""

STANDARD = """ICS 03.080
A 12
中 华 人 民 共 和 国 国 家 标 准
GB/T 39520—2020
产业园区服务规范
第1部分：基本要求
Service specification for industrial parks—Part 1: General requirements
2020-11-19发布 2021-06-01实施
国家市场监督管理总局
国家标准化管理委员会 发布
前言
本部分按照GB/T 1.1—2009给出的规则起草。"""


def test_a_gongwen_with_masthead_number_salutation_and_signature() -> None:
    m = detect_meta(GONGWEN)
    assert m.title == "关于进一步深化全省开发区管理体制改革的实施意见"  # wrapped over two lines
    assert m.issuer == "湖南省人民政府办公厅"
    assert m.doc_number == "湘政办发〔2023〕15号"
    assert (m.date, m.year) == ("2023-06-19", 2023)
    assert m.regions == ("湖南省",)


def test_a_work_report_opening_with_a_salutation() -> None:
    m = detect_meta(WORK_REPORT)
    # 政府工作报告 alone names a kind of document: the place and year its opening gives make it this one
    assert m.title == "2024年北京市政府工作报告" and m.title != "各位代表："
    assert (m.date, m.year) == ("2024-01-21", 2024)  # the delivery date under the title
    assert m.issuer == "北京市人民政府"  # 我代表北京市人民政府，向大会报告政府工作
    assert m.regions == ("北京市",)


def test_a_broker_report_whose_pages_start_with_a_disclaimer_header() -> None:
    m = detect_meta(BROKER)
    assert m.title == "新能源汽车行业深度报告：出海进入加速期"
    assert m.year == 2024 and m.regions == ()


def test_a_news_article() -> None:
    m = detect_meta(NEWS)
    assert m.title == "衡阳高新区打造“一站式”企业服务中心"
    assert m.regions == ("湖南省", "衡阳市")  # 衡阳高新区: the zone's city, with its province
    assert m.issuer == "" and m.doc_number == ""


def test_a_traditional_chinese_notice() -> None:
    m = detect_meta(TRADITIONAL)
    assert m.title == "臺北市政府公告"
    assert m.issuer == "臺北市政府"  # the title's office (no signature block above the date)
    assert m.regions == ("台湾省", "台北市")
    assert (m.date, m.year) == ("2023-10-03", 2023)  # 中華民國一一二年: year 112 of the Republic


def test_a_standard_with_a_cover() -> None:
    m = detect_meta(STANDARD)
    assert m.title == "产业园区服务规范 第1部分：基本要求"
    assert (m.date, m.year) == ("2020-11-19", 2020)
    assert m.regions == ()


def test_layout_title_lines_come_first_but_never_a_masthead_or_header() -> None:
    lines = ("税 务 总 局 办 公 厅 文件", "请务必阅读正文之后的信息披露和法律声明", "关于做好园区统计工作的通知")
    assert detect_meta("各有关单位：\n现将有关事项通知如下。", lines).title == "关于做好园区统计工作的通知"
    assert detect_meta("正文。", ("report_final_v2.docx", "园区年度报告")).title == "园区年度报告"


@pytest.mark.parametrize(
    "line",
    [
        "各位代表：",
        "尊敬的各位企业家：",
        "请务必阅读正文之后的信息披露和法律声明",
        "发展改革委办公厅 文件",
        "税 务 总 局 办 公 厅 文件",
        "发展改革委办公厅 文件税 务 总 局 办 公 厅",
        "2019年6月19日",
        "二〇一九年六月十九日",
        "发改办财金规〔2019〕860号",
        "中基协处分〔2025〕334号",
        "GB/T 3620.1—2016",
        "中华人民共和国国家标准",
    ],
)
def test_what_is_never_a_title(line: str) -> None:
    assert not is_title_like(line)


@pytest.mark.parametrize(
    ("text", "iso"),
    [
        ("2019年6月19日", "2019-06-19"),
        ("二〇一九年六月十九日", "2019-06-19"),
        ("二〇二三年十二月三十一日", "2023-12-31"),
        ("2016-10-13发布", "2016-10-13"),
        ("中華民國112年10月3日", "2023-10-03"),
        ("2019年13月1日", ""),
    ],
)
def test_dates_in_either_numeral_system(text: str, iso: str) -> None:
    assert parse_date(text) == iso


@pytest.mark.parametrize(
    ("line", "number"),
    [
        ("发改办财金规〔2019〕860号", "发改办财金规〔2019〕860号"),
        ("中基协处分[2025]334号", "中基协处分[2025]334号"),
        ("京政发（2024）3号", "京政发（2024）3号"),
    ],
)
def test_doc_numbers_with_any_brackets_and_the_year_from_them(line: str, number: str) -> None:
    m = detect_meta(f"{line}\n关于开展园区体检的通知\n各单位：\n现通知如下。")
    assert m.doc_number == number and m.year == int(number[number.index("20") : number.index("20") + 4])


def test_a_doc_number_cited_in_a_sentence_is_another_documents() -> None:
    text = "关于开展园区体检的通知\n根据《国务院关于促进开发区改革的意见》（国办发〔2017〕7号），现通知如下。"
    assert detect_meta(text).doc_number == ""


def test_a_national_body_gives_no_region_even_when_its_salutation_lists_places() -> None:
    text = (
        "国家发展改革委办公厅 文件\n发改办财金〔2019〕1号\n关于做好信用建设的通知\n"
        "各省、自治区、直辖市、新疆生产建设兵团发展改革委，北京市、上海市、湖南省发展改革委：\n现通知如下。\n"
        "国家发展改革委办公厅\n2019年6月19日"
    )
    m = detect_meta(text)
    assert m.issuer == "国家发展改革委办公厅" and m.regions == ()


# -- the gazetteer ------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "regions"),
    [
        ("北京市人民政府", ("北京市",)),
        ("湖南省湘西州经开区管委会", ("湖南省", "湘西土家族苗族自治州")),
        ("吉首市吉凤街道", ("湖南省", "湘西土家族苗族自治州", "吉首市")),
        ("衡阳高新区", ("湖南省", "衡阳市")),
        ("东湖高新区", ()),  # 东湖 is a district of 南昌 by name: the data cannot place this zone
        ("国家发展改革委", ()),
        ("国务院办公厅", ()),
        ("祝大家生活安康", ()),  # 安康 (a city) as a common word
        ("东方市场监管", ()),  # 东方市 inside 东方市场
        ("河北省石家庄市新华区", ("河北省", "石家庄市", "新华区")),
        ("新华区", ()),  # three 新华区: which one is not said
        ("廣西壯族自治區南寧市", ("广西壮族自治区", "南宁市")),
    ],
)
def test_the_gazetteer_finds_divisions_and_not_words(text: str, regions: tuple[str, ...]) -> None:
    g = gazetteer()
    assert g.regions([m.division for m in g.find(text)]) == regions


# -- hand metadata wins ---------------------------------------------------------------------------
def test_hand_metadata_wins_field_by_field() -> None:
    detected = DetectedMeta(
        title="自动标题", issuer="北京市人民政府", year=2023, regions=("北京市",), date="2023-01-02"
    )
    merged = merge_meta(ReportMeta(title="人工标题", year=2020), detected)
    assert (merged.title, merged.year) == ("人工标题", 2020)
    assert merged.regions == ("北京市",) and merged.issuer == "北京市人民政府" and merged.date == "2023-01-02"
    assert merged.detected == ("date", "issuer", "regions")
    assert merge_meta(None, detected).detected == ("date", "issuer", "regions", "title", "year")
    kept_empty = merge_meta(ReportMeta(title="人工标题", explicit=("regions",)), detected)
    assert kept_empty.regions == ()


def test_reports_toml_takes_the_new_fields_and_an_explicit_empty(tmp_path: Path) -> None:
    (tmp_path / "reports.toml").write_text(
        '["a.txt"]\ntitle = "甲"\nissuer = "北京市人民政府"\ndoc_number = "京政发〔2024〕3号"\n'
        'date = "2024-02-01"\nregions = []\n',
        encoding="utf-8",
    )
    meta = load_metadata(tmp_path)["a.txt"]
    assert (meta.issuer, meta.doc_number, meta.date, meta.explicit) == (
        "北京市人民政府",
        "京政发〔2024〕3号",
        "2024-02-01",
        ("regions",),
    )


def test_a_report_without_metadata_is_described_and_shown_as_detected(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "notice.txt").write_text(GONGWEN, encoding="utf-8")
    (corpus / "described.txt").write_text(NEWS, encoding="utf-8")
    (corpus / "reports.toml").write_text('["described.txt"]\ntitle = "人工标题"\nyear = 2022\n', encoding="utf-8")
    settings = hashed_settings(tmp_path, corpus)
    a = Assistant(settings)
    a.ingest()
    docs = {d.rel: d.meta for d in a.docs()}
    notice = docs["notice.txt"]
    assert notice.title == "关于进一步深化全省开发区管理体制改革的实施意见"
    assert (notice.year, notice.doc_number, notice.regions) == (2023, "湘政办发〔2023〕15号", ("湖南省",))
    assert set(notice.detected) == {"title", "year", "issuer", "doc_number", "date", "regions"}
    described = docs["described.txt"]
    assert (described.title, described.year) == ("人工标题", 2022)  # hand metadata wins
    assert described.regions == ("湖南省", "衡阳市") and described.detected == ("date", "regions")
    assert a.search("衡阳 企业服务中心", 1, None)[0].record.regions == ("湖南省", "衡阳市")


@pytest.mark.skipif(not REALDOCS.is_dir(), reason="../shared/realdocs is not beside this checkout")
def test_real_notice_02_from_its_reference_text() -> None:
    text = next(REALDOCS.glob("02_*_groundtruth.txt")).read_text(encoding="utf-8")
    m = detect_meta(text)
    assert m.title == "关于加强个人所得税纳税信用建设的通知"
    assert m.year == 2019 and m.doc_number == "发改办财金规〔2019〕860号"
    assert m.issuer == "国家发展改革委办公厅、税务总局办公厅" and m.regions == ()


@pytest.mark.parametrize(
    ("text", "title"),
    [
        ("赵鹏\n赵鹏（），中国足球运动员，司职后卫。赵鹏于1997年加入河南建业青年队。", "赵鹏"),
        ("锣鼓经\n锣鼓经是中国戏曲打击乐的节奏型。", "锣鼓经"),
        ("魏斯可金融公司\n魏斯可金融公司（Wesco Financial）是一家美国公司。", "魏斯可金融公司"),
    ],
)
def test_an_entry_whose_first_paragraph_opens_with_its_first_line_has_it_as_title(text: str, title: str) -> None:
    assert detect_meta(text, file_name="entry-0001.txt").title == title


def test_a_short_first_line_the_body_does_not_open_with_is_no_title() -> None:
    text = "附件\n各单位：\n现将有关事项通知如下，请遵照执行。\n一、总体要求\n坚持依法推进。"
    assert detect_meta(text, file_name="notice-2024.txt").title != "附件"


def test_a_short_line_above_the_first_paragraph_beats_a_file_name_that_is_an_id() -> None:
    assert (
        detect_meta("梵文\n梵語是一種印歐語系語言，是印度的古典語言。", file_name="drcd-dev-0000.txt").title == "梵文"
    )
    # A file name in words still names the report, and a salutation is never a title.
    assert detect_meta("梵文\n梵語是一種語言。", file_name="梵语简介.txt").title == "梵语简介"
    assert detect_meta("各位代表：\n现在，我向大会报告工作。", file_name="r-01.txt").title != "各位代表："


def test_a_numbered_section_heading_above_a_paragraph_is_no_title() -> None:
    text = "1 天然气管道的发展\n天然气管道是城市能源的主要运输方式。"
    assert detect_meta(text, file_name="scan_0007.png").title == "scan_0007"
